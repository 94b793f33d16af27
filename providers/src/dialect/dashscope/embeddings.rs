//! OpenAI embeddings ⇄ DashScope text-embedding
//! (`POST /api/v1/services/embeddings/text-embedding/text-embedding`;
//! <https://www.alibabacloud.com/help/en/model-studio/text-embedding-synchronous-api>).
//!
//! Request: `{"model":…,"input":{"texts":[…]},"parameters":{…}}`.
//! - `input`: a string or an array of strings, always sent as the `texts` array (the strings are
//!   copied as JSON text, escapes and all). Token-id arrays (OpenAI lets clients send
//!   pre-tokenised input) → 400: DashScope embeds text only. An empty array → 400.
//! - `dimensions` (a positive integer) → `parameters.dimension` (it replaces a DashScope-native
//!   `dimension` the client may also have sent).
//! - `encoding_format`: `float` or `base64` (else 400); it shapes the response, not the request
//!   (DashScope always answers with float arrays): see `wants_base64` /
//!   `translate_response_encoded`.
//! - `user` is dropped (DashScope has no such field).
//! - Any other member is a DashScope parameter sent through an OpenAI SDK's `extra_body`
//!   (`text_type` `query`/`document`, `output_type` `dense`/`sparse`/`dense&sparse`, `instruct`,
//!   …) and is copied verbatim into `parameters`; `null` members are not sent. `parameters` is
//!   left out when there is nothing to put in it (DashScope's defaults apply).
//!
//! Response: `{"output":{"embeddings":[{"text_index":i,"embedding":[…]}]},"usage":{"total_tokens":N},
//! "request_id":…}` → `{"object":"list","data":[{"object":"embedding","index":i,"embedding":[…]}],
//! "model":ctx.model,"usage":{"prompt_tokens":N,"total_tokens":N}}`, entries ordered by
//! `text_index` (which becomes `index`). The numbers are copied as DashScope wrote them (no float
//! round trip), or, for `encoding_format: base64`, encoded like OpenAI does: the little-endian
//! float32 bytes, in standard base64. A `sparse_embedding` (asked for with `output_type`) is kept
//! verbatim on its entry (OpenAI clients ignore unknown fields); an entry without a dense
//! `embedding` (`output_type: sparse`) gets an empty one (`[]`, or `""` in base64).

use crate::dialect::{TranslateCtx, Translated};
use crate::error::ProxyError;
use crate::json::ObjectView;
use serde_json::value::RawValue;
use std::io::Write;

/// Members translated or dropped here: never copied into `parameters`.
const HANDLED: &[&str] = &["model", "input", "dimensions", "encoding_format", "user"];

/// An OpenAI embeddings body (a JSON object) → a DashScope text-embedding body for `model`.
#[cfg(test)]
pub fn build_request(body: &[u8], model: &str) -> Result<Vec<u8>, ProxyError> {
    build(&parse_client_body(body)?, model).map(|t| t.body)
}

/// The same over the parsed body, with whether the client wants base64 vectors (the official
/// OpenAI SDKs ask for them and decode the answer themselves).
pub fn build(view: &ObjectView<'_>, model: &str) -> Result<Translated, ProxyError> {
    let base64 = crate::dialect::embeddings::encoding(view)?;

    let texts = crate::dialect::embeddings::input_texts(view, "DashScope")?;

    let mut params = Vec::new();
    let dimensions = crate::dialect::embeddings::dimensions(view)?;
    if let Some(d) = dimensions {
        let _ = write!(params, ",\"dimension\":{d}");
    }
    let skip: &[&str] = if dimensions.is_some() { &["dimension"] } else { &[] };
    write_other_members(view, HANDLED, skip, &mut params);

    let model = crate::json::string_value(model);
    let texts_len: usize = texts.iter().map(|t| t.get().len() + 1).sum();
    let mut out = Vec::with_capacity(model.len() + texts_len + params.len() + 64);
    out.extend_from_slice(b"{\"model\":");
    out.extend_from_slice(&model);
    out.extend_from_slice(b",\"input\":{\"texts\":[");
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(text.get().as_bytes());
    }
    out.extend_from_slice(b"]}");
    write_parameters(&params, &mut out);
    out.push(b'}');
    Ok(Translated { body: out, base64, ..Translated::default() })
}

/// A text-embedding response → an OpenAI embeddings list, embeddings as float arrays.
pub fn translate_response(body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    translate_response_encoded(body, ctx, false)
}

/// A text-embedding response → an OpenAI embeddings list, embeddings as float arrays or, with
/// `base64`, as base64 strings of their little-endian float32 bytes.
pub fn translate_response_encoded(body: &[u8], ctx: &TranslateCtx, base64: bool) -> Result<Vec<u8>, ProxyError> {
    // Read through `ObjectView` and `&RawValue` lists rather than structs of our own: every
    // derived `Deserialize` costs Wasm code.
    let bad = || ProxyError::bad_upstream("the upstream response is not a valid DashScope text-embedding response");
    let view = ObjectView::parse(body).map_err(|_| bad())?;
    let output = match view.get("output") {
        Some(raw) if raw.get().starts_with('{') => ObjectView::parse(raw.get().as_bytes()).map_err(|_| bad())?,
        _ => return Err(upstream_error(&view, "the upstream response has no embeddings")),
    };
    let embeddings: Vec<&RawValue> = output
        .get("embeddings")
        .ok_or_else(|| ProxyError::bad_upstream("the upstream response has no embeddings"))
        .and_then(|raw| serde_json::from_str(raw.get()).map_err(|_| bad()))?;
    let not_numbers = || ProxyError::bad_upstream("the upstream embedding values are not numbers");

    // (text_index, embedding, sparse_embedding), in text_index order.
    let mut entries = Vec::with_capacity(embeddings.len());
    for (position, raw) in embeddings.iter().enumerate() {
        let item = ObjectView::parse(raw.get().as_bytes()).map_err(|_| bad())?;
        let index = match item.get("text_index") {
            Some(i) => i.get().parse::<u64>().map_err(|_| bad())?,
            None => position as u64,
        };
        let values: Vec<&RawValue> = match item.get("embedding").filter(|v| v.get() != "null") {
            Some(v) => serde_json::from_str(v.get()).map_err(|_| not_numbers())?,
            None => Vec::new(),
        };
        let sparse = item.get("sparse_embedding").filter(|v| v.get() != "null");
        entries.push((index, values, sparse));
    }
    entries.sort_by_key(|(index, _, _)| *index);

    let mut out = Vec::with_capacity(body.len() / 2 + 128 + ctx.model.len());
    out.extend_from_slice(b"{\"object\":\"list\",\"data\":[");
    let mut floats = Vec::new();
    for (n, (index, values, sparse)) in entries.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{{\"object\":\"embedding\",\"index\":{index},\"embedding\":");
        crate::dialect::embeddings::write_vector(values, base64, &mut floats, &mut out)?;
        if let Some(sparse) = sparse {
            out.extend_from_slice(b",\"sparse_embedding\":");
            out.extend_from_slice(crate::json::compact(sparse.get()).as_bytes());
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"model\":");
    out.extend_from_slice(&crate::json::string_value(&ctx.model));
    let tokens = total_tokens(&view);
    let _ = write!(out, ",\"usage\":{{\"prompt_tokens\":{tokens},\"total_tokens\":{tokens}}}}}");
    Ok(out)
}

/// The client body as an object view; malformed JSON or another JSON type → 400.
#[cfg(test)]
pub(super) fn parse_client_body(body: &[u8]) -> Result<ObjectView<'_>, ProxyError> {
    ObjectView::parse(body).map_err(|e| match e {
        crate::json::ViewError::Malformed(m) => {
            ProxyError::invalid_request(format!("the request body is not valid JSON: {m}"))
        }
        crate::json::ViewError::NotAnObject => ProxyError::invalid_request("the request body must be a JSON object"),
    })
}

/// Appends `,"key":value` for every member of `view` that is not in `handled` or `skip` and not
/// `null` (the last of duplicate keys only), values verbatim: DashScope parameters a client
/// sends through an OpenAI SDK's `extra_body`.
pub(super) fn write_other_members(view: &ObjectView<'_>, handled: &[&str], skip: &[&str], out: &mut Vec<u8>) {
    for m in view.members() {
        let key = m.key.as_ref();
        let last = view.get(key).is_some_and(|v| std::ptr::eq(v, m.value));
        if last && m.value.get() != "null" && !handled.contains(&key) && !skip.contains(&key) {
            out.push(b',');
            out.extend_from_slice(&crate::json::string_value(key));
            out.push(b':');
            out.extend_from_slice(m.value.get().as_bytes());
        }
    }
}

/// Appends `,"parameters":{…}` from members written as `,"k":v,…`; nothing when there are none.
pub(super) fn write_parameters(params: &[u8], out: &mut Vec<u8>) {
    if let Some(members) = params.strip_prefix(b",") {
        out.extend_from_slice(b",\"parameters\":{");
        out.extend_from_slice(members);
        out.push(b'}');
    }
}

/// `usage.total_tokens` of a DashScope response, or 0.
pub(super) fn total_tokens(view: &ObjectView<'_>) -> u64 {
    view.get("usage")
        .and_then(|raw| ObjectView::parse(raw.get().as_bytes()).ok())
        .and_then(|usage| usage.get("total_tokens").and_then(|t| t.get().parse::<u64>().ok()))
        .unwrap_or(0)
}

/// A response without `output`: DashScope's error members (`code`, `message`) when it sent them
/// (error bodies normally come with an error status and are translated by `response.rs`), else
/// `missing`.
pub(super) fn upstream_error(view: &ObjectView<'_>, missing: &str) -> ProxyError {
    let code = view.get_str("code").ok().flatten().filter(|c| !c.is_empty());
    let message = view.get_str("message").ok().flatten();
    match (code, message) {
        (Some(code), Some(message)) => ProxyError::bad_upstream(format!("upstream error {code}: {message}")),
        (Some(code), None) => ProxyError::bad_upstream(format!("upstream error {code}")),
        _ => ProxyError::bad_upstream(missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn ctx() -> TranslateCtx {
        TranslateCtx {
            model: "text-embedding-v4".into(),
            created: 1_700_000_000,
            random: 0,
            include_usage: false,
            ..TranslateCtx::default()
        }
    }

    fn build(body: &str) -> Result<String, ProxyError> {
        build_request(body.as_bytes(), "text-embedding-v4").map(|b| String::from_utf8(b).unwrap())
    }

    fn translate(body: &str, base64: bool) -> Result<String, ProxyError> {
        translate_response_encoded(body.as_bytes(), &ctx(), base64).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn builds_requests() {
        let cases: Vec<(&str, &str, &str)> = vec![
            (
                "one string, no parameters",
                r#"{"model":"text-embedding-3-small","input":"The clothes are of good quality and look good, definitely worth the wait. I love them."}"#,
                r#"{"model":"text-embedding-v4","input":{"texts":["The clothes are of good quality and look good, definitely worth the wait. I love them."]}}"#,
            ),
            (
                "array, dimensions, float format, user dropped, escapes kept verbatim",
                r#"{"input":["风急天高猿啸哀", "caf\u00e9 \"x\"\n"],"model":"m","dimensions":1024,"encoding_format":"float","user":"u-1"}"#,
                r#"{"model":"text-embedding-v4","input":{"texts":["风急天高猿啸哀","caf\u00e9 \"x\"\n"]},"parameters":{"dimension":1024}}"#,
            ),
            (
                "DashScope parameters pass into parameters; dimensions replace dimension; null dropped",
                r#"{"input":["q"],"text_type":"query","dimension":64,"output_type":"dense&sparse","dimensions":512,"instruct":"Given a web search query, retrieve relevant passages","encoding_format":"base64","extra":null}"#,
                r#"{"model":"text-embedding-v4","input":{"texts":["q"]},"parameters":{"dimension":512,"text_type":"query","output_type":"dense&sparse","instruct":"Given a web search query, retrieve relevant passages"}}"#,
            ),
            (
                "a native dimension passes without dimensions; last duplicate wins",
                r#"{"input":"d","dimension":768,"text_type":"query","text_type":"document","dimensions":null}"#,
                r#"{"model":"text-embedding-v4","input":{"texts":["d"]},"parameters":{"dimension":768,"text_type":"document"}}"#,
            ),
        ];
        for (name, req, want) in cases {
            let got = build(req).unwrap();
            assert_eq!(got, want, "{name}");
            serde_json::from_str::<Value>(&got).unwrap();
        }
        // The model name is JSON-escaped.
        let got = String::from_utf8(build_request(br#"{"input":"x"}"#, "a\"b").unwrap()).unwrap();
        assert_eq!(got, r#"{"model":"a\"b","input":{"texts":["x"]}}"#);
    }

    #[test]
    fn rejects_what_dashscope_cannot_take() {
        let cases: Vec<(&str, Option<&str>, &str)> = vec![
            (r#"{"model":"m"}"#, Some("input"), "required"),
            (r#"{"input":null}"#, Some("input"), "required"),
            (r#"{"input":[]}"#, Some("input"), "empty"),
            (r#"{"input":[1212, 318]}"#, Some("input"), "token ids"),
            (r#"{"input":[[1212, 318],[257]]}"#, Some("input"), "token ids"),
            (r#"{"input":["ok", 3]}"#, Some("input"), "token ids"),
            (r#"{"input":{"texts":["x"]}}"#, Some("input"), "token ids"),
            (r#"{"input":7}"#, Some("input"), "token ids"),
            (r#"{"input":"x","dimensions":0}"#, Some("dimensions"), "positive integer"),
            (r#"{"input":"x","dimensions":"256"}"#, Some("dimensions"), "positive integer"),
            (r#"{"input":"x","dimensions":-1}"#, Some("dimensions"), "positive integer"),
            (r#"{"input":"x","dimensions":2.5}"#, Some("dimensions"), "positive integer"),
            (r#"{"input":"x","encoding_format":"int8"}"#, Some("encoding_format"), "`float` or `base64`"),
            (r#"{"input":"x","encoding_format":1}"#, Some("encoding_format"), "`float` or `base64`"),
            ("[1]", None, "JSON object"),
            ("{", None, "not valid JSON"),
        ];
        for (req, param, needle) in cases {
            let e = build(req).unwrap_err();
            assert_eq!((e.status, e.param), (400, param), "{req}");
            assert!(e.message.contains(needle), "{req}: {}", e.message);
        }
    }

    #[test]
    fn detects_base64() {
        let base64 = |body: &str| super::build(&parse_client_body(body.as_bytes()).unwrap(), "m").map(|t| t.base64);
        assert_eq!(base64(r#"{"input":"x","encoding_format":"base64"}"#), Ok(true));
        assert_eq!(base64(r#"{"input":"x","encoding_format":"float"}"#), Ok(false));
        assert_eq!(base64(r#"{"input":"x"}"#), Ok(false));
    }

    #[test]
    fn translates_responses() {
        let cases: Vec<(&str, &str, &str)> = vec![
            (
                "DashScope's reference answer (pretty-printed), numbers verbatim",
                "{\n  \"status_code\": 200,\n  \"request_id\": \"1ba94ac8-e058-99bc-9cc1-7fdb37940a46\",\n  \"code\": \"\",\n  \"message\": \"\",\n  \"output\": {\n    \"embeddings\": [\n      {\n        \"embedding\": [\n          -0.006929283495992422,\n          -0.005336422007530928,\n          1e-05\n        ],\n        \"text_index\": 0\n      }\n    ]\n  },\n  \"usage\": {\n    \"total_tokens\": 27\n  }\n}\n",
                r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[-0.006929283495992422,-0.005336422007530928,1e-05]}],"model":"text-embedding-v4","usage":{"prompt_tokens":27,"total_tokens":27}}"#,
            ),
            (
                "entries ordered by text_index",
                r#"{"output":{"embeddings":[{"text_index":2,"embedding":[0.3]},{"text_index":0,"embedding":[0.1]},{"text_index":1,"embedding":[-0.2,0]}]},"usage":{"total_tokens":9},"request_id":"r"}"#,
                r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1]},{"object":"embedding","index":1,"embedding":[-0.2,0]},{"object":"embedding","index":2,"embedding":[0.3]}],"model":"text-embedding-v4","usage":{"prompt_tokens":9,"total_tokens":9}}"#,
            ),
            (
                "sparse embeddings kept; sparse-only entries get an empty dense embedding; no usage → 0",
                r#"{"output":{"embeddings":[{"sparse_embedding":[{"index":7149,"value":0.829,"token":"wind"}],"embedding":[0.5],"text_index":0},{"sparse_embedding":[ {"index":111290, "value":0.9004,"token":"风"} ],"text_index":1}]}}"#,
                r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5],"sparse_embedding":[{"index":7149,"value":0.829,"token":"wind"}]},{"object":"embedding","index":1,"embedding":[],"sparse_embedding":[{"index":111290,"value":0.9004,"token":"风"}]}],"model":"text-embedding-v4","usage":{"prompt_tokens":0,"total_tokens":0}}"#,
            ),
            (
                "an empty list stays empty",
                r#"{"output":{"embeddings":[]},"usage":{"total_tokens":0}}"#,
                r#"{"object":"list","data":[],"model":"text-embedding-v4","usage":{"prompt_tokens":0,"total_tokens":0}}"#,
            ),
        ];
        for (name, body, want) in cases {
            let got = translate(body, false).unwrap();
            assert_eq!(got, want, "{name}");
            serde_json::from_str::<Value>(&got).unwrap();
        }
    }

    #[test]
    fn base64_is_little_endian_float32() {
        let body = r#"{"output":{"embeddings":[{"text_index":1,"embedding":[]},{"text_index":0,"embedding":[1.0,-2.5,0.1]}]},"usage":{"total_tokens":4}}"#;
        let v: Value = serde_json::from_str(&translate(body, true).unwrap()).unwrap();
        assert_eq!(v["data"][0]["index"], 0);
        assert_eq!(v["data"][0]["embedding"], "AACAPwAAIMDNzMw9");
        assert_eq!(v["data"][1]["embedding"], "");
        assert_eq!(v["usage"], json!({"prompt_tokens":4,"total_tokens":4}));
        for (input, want) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")]
        {
            let mut out = Vec::new();
            crate::dialect::embeddings::encode_base64(input.as_bytes(), &mut out);
            assert_eq!(out, want.as_bytes(), "{input}");
        }
    }

    #[test]
    fn unreadable_responses_are_bad_upstream() {
        for body in [
            "nope",
            "[]",
            "{}",
            r#"{"output":{}}"#,
            r#"{"output":[]}"#,
            r#"{"output":{"embeddings":{"embedding":[1]}}}"#,
            r#"{"output":{"embeddings":[{"text_index":0,"embedding":["a"]}]}}"#,
            r#"{"output":{"embeddings":[{"text_index":0,"embedding":[null]}]}}"#,
            r#"{"output":{"embeddings":[{"text_index":-1,"embedding":[1]}]}}"#,
            r#"{"output":{"embeddings":[{"text_index":0,"embedding":1}]}}"#,
            r#"{"output":{"embeddings":[3]}}"#,
        ] {
            let e = translate(body, false).unwrap_err();
            assert_eq!((e.status, e.kind), (502, "api_error"), "{body}");
        }
        let e = translate(r#"{"output":{"embeddings":[{"embedding":["a"]}]}}"#, true).unwrap_err();
        assert_eq!(e.status, 502);
        // An error body that reached us anyway names DashScope's code and message.
        let e = translate(
            r#"{"code":"InvalidParameter","message":"Value error, batch size is invalid, it should not be larger than 10.","request_id":"x"}"#,
            false,
        )
        .unwrap_err();
        assert_eq!(e.status, 502);
        assert!(e.message.contains("InvalidParameter") && e.message.contains("batch size"), "{}", e.message);
    }
}
