// The fixtures and examples cover every provider: they need every translator.
#![cfg(all(feature = "anthropic", feature = "gemini", feature = "dashscope"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

//! Data-driven golden tests over `tests/fixtures/<provider>/<case>/case.json` (format in
//! `tests/fixtures/README.md`). Each case goes through the same `Engine` and `Exchange` the
//! Wasm glue drives; the runner plays the host: it keeps the header map, applies the plans,
//! and checks what the upstream would receive and what the client gets back.

use providers::config::rules::RouteInfo;
use providers::{Engine, Exchange, HeaderEdit, HeaderMap, RequestHead, ResponseMode};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

pub fn all_cases() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut stack = vec![fixtures_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "case.json") {
                let text = std::fs::read_to_string(&path).unwrap();
                let case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let name = path.parent().unwrap().strip_prefix(fixtures_dir()).unwrap().display().to_string();
                out.push((name, case));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The body a fixture describes: `body` (compact JSON) or `body_text` (exact bytes).
fn body_bytes(msg: &Value) -> Option<Vec<u8>> {
    if let Some(t) = msg.get("body_text") {
        return Some(t.as_str().unwrap().as_bytes().to_vec());
    }
    msg.get("body").map(|b| serde_json::to_vec(b).unwrap())
}

struct Headers(Vec<(String, String)>);

impl Headers {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    fn apply(&mut self, edits: &[HeaderEdit]) {
        for e in edits {
            self.0.retain(|(k, _)| k != e.name);
            if let Some(v) = &e.value {
                self.0.push((e.name.to_string(), v.clone()));
            }
        }
    }

    /// Applies every edit, and checks that the glue's pruned application (`HeaderMap::apply`,
    /// which skips the host calls that change nothing) ends with the same headers.
    fn apply_checked(&mut self, edits: &[HeaderEdit]) {
        let mut pruned = HeaderMap::from_pairs(self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut calls = 0;
        pruned.apply(edits, |_| calls += 1);
        self.apply(edits);
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        let got: Vec<(String, String)> = pruned.iter().map(|(k, v)| (text(k.to_vec()), text(v.to_vec()))).collect();
        let (mut want, mut got) = (self.0.clone(), got);
        want.sort();
        got.sort();
        assert_eq!(got, want, "pruned header edits must give the same headers: {edits:?}");
        assert!(calls <= edits.len());
    }
}

/// What the runner observed for one case.
struct Outcome {
    upstream: Option<(Headers, Vec<u8>)>,
    status: u16,
    client_headers: Vec<(String, String)>,
    client_body: Vec<u8>,
}

fn run(case: &Value, random: u64, chunking: &dyn Fn(&[u8]) -> Vec<Vec<u8>>) -> Outcome {
    let config = serde_json::to_vec(&case["config"]).unwrap();
    let engine = Engine::compile(&config).unwrap_or_else(|e| panic!("config rejected: {e}"));
    let req = &case["request"];
    let method = req["method"].as_str().unwrap_or("POST");
    let path = req["path"].as_str().unwrap();
    let body = body_bytes(req);
    let mut headers = Headers(vec![
        (":method".into(), method.into()),
        (":path".into(), path.into()),
        (":authority".into(), "gateway.local".into()),
    ]);
    if let Some(obj) = req.get("headers").and_then(Value::as_object) {
        for (k, v) in obj {
            headers.0.push((k.clone(), v.as_str().unwrap().to_string()));
        }
    }
    if let Some(b) = &body {
        headers.0.push(("content-length".into(), b.len().to_string()));
    }
    let local = |status: u16, body: Vec<u8>| Outcome {
        upstream: None,
        status,
        client_headers: vec![("content-type".into(), "application/json".into())],
        client_body: body,
    };
    let route = RouteInfo { route_name: None, authority: "gateway.local", cluster_name: None };
    let Some(provider) = engine.select(&route) else { panic!("no provider selected") };
    let content_type = headers.get("content-type").map(str::to_string);
    let head = RequestHead {
        method,
        path,
        content_type: content_type.as_deref(),
        content_length: body.as_ref().map(|b| b.len() as u64),
        has_body: body.is_some(),
    };
    let (mut ex, plan) = match Exchange::start(provider, &head, random) {
        Ok(x) => x,
        Err(reply) => return local(reply.status, reply.body),
    };
    headers.apply_checked(&plan.edits);
    let mut upstream_body = body.clone().unwrap_or_default();
    if plan.read_body {
        match ex.request_body(&upstream_body) {
            Ok(bp) => {
                headers.apply_checked(&bp.edits);
                if let Some(b) = bp.body {
                    upstream_body = b;
                }
            }
            Err(reply) => return local(reply.status, reply.body),
        }
    }
    if let Some(cl) = headers.get("content-length") {
        assert_eq!(cl, upstream_body.len().to_string(), "content-length must match the upstream body");
    }
    let up = &case["upstream"]["response"];
    let status = up["status"].as_u64().unwrap_or(200) as u16;
    let mut client_headers: Vec<(String, String)> = up
        .get("headers")
        .and_then(Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect())
        .unwrap_or_default();
    let ct = client_headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.clone());
    let rp = ex.response_headers(status, ct.as_deref(), || FIXED_NOW);
    for e in &rp.edits {
        client_headers.retain(|(k, _)| k != e.name);
        if let Some(v) = &e.value {
            client_headers.push((e.name.to_string(), v.clone()));
        }
    }
    let up_body = body_bytes(up).unwrap_or_default();
    let mut status = status;
    let client_body = match rp.mode {
        ResponseMode::Passthrough => up_body,
        ResponseMode::Buffer => {
            let bp = ex.response_body(&up_body);
            for e in &bp.edits {
                if e.name == ":status" {
                    status = e.value.as_deref().unwrap().parse().unwrap();
                    continue;
                }
                client_headers.retain(|(k, _)| k != e.name);
                if let Some(v) = &e.value {
                    client_headers.push((e.name.to_string(), v.clone()));
                }
            }
            assert_eq!(
                client_headers.iter().find(|(k, _)| k == "content-length").map(|(_, v)| v.clone()),
                bp.body.as_ref().map(|b| b.len().to_string()),
                "content-length must match the translated body"
            );
            bp.body.unwrap_or(up_body)
        }
        ResponseMode::Stream => {
            let chunks = chunking(&up_body);
            let mut out = Vec::new();
            let n = chunks.len();
            for (i, c) in chunks.iter().enumerate() {
                ex.response_chunk(c, i + 1 == n, &mut out);
            }
            if n == 0 {
                ex.response_chunk(&[], true, &mut out);
            }
            out
        }
    };
    Outcome { upstream: Some((headers, upstream_body)), status, client_headers, client_body }
}

/// The clock the runner gives the exchange; Envoy's is real, so fixtures that see it use
/// `"normalize": ["created"]`.
const FIXED_NOW: u64 = 1_700_000_000;

/// `"created":<digits>` (and Responses' `"created_at":<digits>`) → `0`, for fixtures that list
/// `created` under `normalize`.
fn normalize_created(text: &str) -> String {
    normalize_key(&normalize_key(text, "\"created\":"), "\"created_at\":")
}

fn normalize_key(text: &str, key: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(key) {
        let (head, tail) = rest.split_at(i + key.len());
        out.push_str(head);
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        out.push_str(if digits > 0 { "0" } else { "" });
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// `call_`/`chatcmpl-`/`msg_`/`rs_`/`fc_`/`resp_` + 16 hex digits (ids made from the
/// per-request random value, which Envoy's glue draws itself) → 16 zeros, for fixtures that
/// list `random_ids`.
fn normalize_random_ids(text: &str) -> String {
    let mut out = text.to_string();
    for prefix in ["call_", "chatcmpl-", "msg_", "rs_", "fc_", "resp_"] {
        let mut from = 0;
        while let Some(i) = out[from..].find(prefix) {
            let start = from + i + prefix.len();
            let hex = out.get(start..start + 16).unwrap_or("");
            if hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
                out.replace_range(start..start + 16, "0000000000000000");
            }
            from = start;
        }
    }
    out
}

fn json_of(bytes: &[u8], what: &str) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{what} is not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

fn check(name: &str, case: &Value, o: &Outcome) {
    let expect_up = case.get("upstream").map(|u| &u["expect"]);
    match (expect_up, &o.upstream) {
        (None, Some((_, b))) => panic!("{name}: request reached the upstream: {}", String::from_utf8_lossy(b)),
        (Some(_), None) => panic!(
            "{name}: local reply {} instead of reaching the upstream: {}",
            o.status,
            String::from_utf8_lossy(&o.client_body)
        ),
        (Some(exp), Some((h, body))) => {
            for (key, header) in [("method", ":method"), ("authority", ":authority"), ("path", ":path")] {
                if let Some(v) = exp.get(key) {
                    assert_eq!(h.get(header), v.as_str(), "{name}: upstream {header}");
                }
            }
            if let Some(obj) = exp.get("headers").and_then(Value::as_object) {
                for (k, v) in obj {
                    assert_eq!(h.get(k), v.as_str(), "{name}: upstream header {k}");
                }
            }
            if let Some(obj) = exp.get("absent_headers").and_then(Value::as_array) {
                for k in obj {
                    let k = k.as_str().unwrap();
                    assert_eq!(h.get(k), None, "{name}: header {k} must not reach the upstream");
                }
            }
            if let Some(t) = exp.get("body_text") {
                assert_eq!(String::from_utf8_lossy(body), t.as_str().unwrap(), "{name}: upstream body bytes");
            } else if let Some(b) = exp.get("body") {
                assert_eq!(&json_of(body, "upstream body"), b, "{name}: upstream body");
            }
        }
        (None, None) => {}
    }
    let resp = &case["response"];
    assert_eq!(o.status as u64, resp["status"].as_u64().unwrap_or(200), "{name}: client status");
    let wants = |key: &str| case["normalize"].as_array().is_some_and(|a| a.iter().any(|v| v == key));
    let (created, ids) = (wants("created"), wants("random_ids"));
    let normalize = created || ids;
    let normalize_created = |t: &str| {
        let t = if created { normalize_created(t) } else { t.to_string() };
        if ids {
            normalize_random_ids(&t)
        } else {
            t
        }
    };
    let client_body: Vec<u8> = if normalize {
        normalize_created(&String::from_utf8_lossy(&o.client_body)).into_bytes()
    } else {
        o.client_body.clone()
    };
    let o = Outcome { upstream: None, status: o.status, client_headers: o.client_headers.clone(), client_body };
    let expected_text = |t: &Value| {
        let t = t.as_str().unwrap();
        if normalize {
            normalize_created(t)
        } else {
            t.to_string()
        }
    };
    if let Some(obj) = resp.get("headers").and_then(Value::as_object) {
        for (k, v) in obj {
            let got = o.client_headers.iter().find(|(hk, _)| hk == k).map(|(_, hv)| hv.as_str());
            assert_eq!(got, v.as_str(), "{name}: client header {k}");
        }
    }
    if let Some(t) = resp.get("body_text") {
        assert_eq!(String::from_utf8_lossy(&o.client_body), expected_text(t), "{name}: client body bytes");
    } else if let Some(b) = resp.get("body") {
        let expected: Value = if normalize {
            serde_json::from_str(&normalize_created(&serde_json::to_string(b).unwrap())).unwrap()
        } else {
            b.clone()
        };
        assert_eq!(json_of(&o.client_body, "client body"), expected, "{name}: client body");
    }
    if let Some(t) = resp.get("error_type") {
        let v = json_of(&o.client_body, "error body");
        let err = &v["error"];
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: error.message");
        assert_eq!(&err["type"], t, "{name}: error.type");
        assert!(err.get("param").is_some() && err.get("code").is_some(), "{name}: error.param/code present");
    }
}

/// A configuration that must be refused, naming each expected field path.
fn check_rejected(name: &str, case: &Value, expected: &Value) {
    let config = serde_json::to_vec(&case["config"]).unwrap();
    let errors = match Engine::compile(&config) {
        Ok(_) => panic!("{name}: configuration accepted"),
        Err(e) => e.0.join("\n"),
    };
    let wanted: Vec<&str> = match expected {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().map(|v| v.as_str().unwrap()).collect(),
        _ => panic!("{name}: config_error must be a string or a list"),
    };
    for w in wanted {
        assert!(errors.contains(w), "{name}: `{w}` not named in:\n{errors}");
    }
    let text = serde_json::to_string(&case["config"]).unwrap();
    let mut secrets = Vec::new();
    collect_tokens(&case["config"], &mut secrets);
    for s in secrets.into_iter().filter(|s| s.len() >= 6) {
        assert!(!errors.contains(&s), "{name}: a token appears in the errors ({text})");
    }
}

fn collect_tokens(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "apiTokens" {
                    out.extend(x.as_array().into_iter().flatten().filter_map(|t| t.as_str().map(str::to_string)));
                } else {
                    collect_tokens(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_tokens(x, out)),
        _ => {}
    }
}

fn whole(b: &[u8]) -> Vec<Vec<u8>> {
    vec![b.to_vec()]
}

/// `BLESS=<case prefix> cargo test --test golden`: rewrite the expected upstream body and client response
/// of every case from what the code does now. Review the diff before committing it.
fn bless(path: &Path, case: &Value, o: &Outcome) {
    let mut case = case.clone();
    if let (Some((_, body)), Some(exp)) = (&o.upstream, case.pointer_mut("/upstream/expect")) {
        let exp = exp.as_object_mut().unwrap();
        if exp.contains_key("body_text") || serde_json::from_slice::<Value>(body).is_err() {
            exp.insert("body_text".into(), Value::String(String::from_utf8_lossy(body).into()));
        } else {
            exp.insert("body".into(), serde_json::from_slice(body).unwrap());
        }
    }
    let resp = case["response"].as_object_mut().unwrap();
    resp.insert("status".into(), Value::from(o.status));
    match serde_json::from_slice::<Value>(&o.client_body) {
        Ok(v) if !resp.contains_key("body_text") && !resp.contains_key("error_type") => {
            resp.insert("body".into(), v);
        }
        _ if resp.contains_key("error_type") => {}
        _ => {
            resp.insert("body_text".into(), Value::String(String::from_utf8_lossy(&o.client_body).into()));
        }
    }
    let text = serde_json::to_string_pretty(&case).unwrap() + "\n";
    std::fs::write(path.join("case.json"), text).unwrap();
}

#[test]
fn golden_fixtures() {
    let cases = all_cases();
    assert!(!cases.is_empty(), "no fixtures found");
    let mut ran = 0;
    for (name, case) in &cases {
        if case.get("skip_golden").is_some() {
            continue;
        }
        if let Some(expected) = case.get("config_error") {
            check_rejected(name, case, expected);
            ran += 1;
            continue;
        }
        let outcome = run(case, 0, &whole);
        // BLESS=<prefix>: only cases whose name starts with it (BLESS=gemini/).
        if std::env::var("BLESS").is_ok_and(|prefix| name.starts_with(&prefix)) {
            bless(&fixtures_dir().join(name), case, &outcome);
            continue;
        }
        check(name, case, &outcome);
        // Streams: every chunking gives the same client bytes.
        let is_stream = case["upstream"]["response"].get("body_text").is_some();
        if is_stream {
            let split_every = |n: usize| move |b: &[u8]| b.chunks(n).map(<[u8]>::to_vec).collect::<Vec<_>>();
            for n in [1, 7] {
                let o = run(case, 0, &split_every(n));
                check(&format!("{name} (every {n} bytes)"), case, &o);
            }
        }
        // Several tokens: every random value picks one of them, and all of them get picked.
        if let Some(one_of) = case["upstream"]["expect"].get("headers_one_of").and_then(Value::as_object) {
            for (header, allowed) in one_of {
                let allowed: BTreeSet<&str> = allowed.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
                let mut seen = BTreeSet::new();
                for r in 0..64u64 {
                    let o = run(case, r.wrapping_mul(0x9E37_79B9_7F4A_7C15), &whole);
                    let (h, _) = o.upstream.as_ref().expect("upstream");
                    let v = h.get(header).unwrap_or("<absent>").to_string();
                    assert!(allowed.contains(v.as_str()), "{name}: {header}={v} not in {allowed:?}");
                    seen.insert(v);
                }
                assert_eq!(seen.len(), allowed.len(), "{name}: not every token was used: {seen:?}");
            }
        }
        ran += 1;
    }
    assert!(ran > 0);
}
