// The fixtures and examples cover every provider: they need every translator.
#![cfg(all(feature = "anthropic", feature = "gemini", feature = "dashscope"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

//! Properties that must hold for every input, not just the fixtures:
//! - a stream gives the same client bytes however it is split into chunks;
//! - the SSE decoder never panics and keeps within its limit on arbitrary bytes;
//! - unknown request members reach an OpenAI-wire upstream byte for byte.

use proptest::prelude::*;
use providers::config::rules::RouteInfo;
use providers::stream::sse::{Block, SseDecoder};
use providers::{Engine, Exchange, RequestHead, ResponseMode};
use serde_json::Value;
use std::path::Path;

/// Every fixture whose upstream answers with a stream: (name, case).
fn stream_cases() -> Vec<(String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut out = Vec::new();
    for provider in std::fs::read_dir(&root).unwrap() {
        let provider = provider.unwrap().path();
        if !provider.is_dir() {
            continue;
        }
        for case in std::fs::read_dir(&provider).unwrap() {
            let file = case.unwrap().path().join("case.json");
            let Ok(text) = std::fs::read_to_string(&file) else { continue };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["upstream"]["response"].get("body_text").is_some() && v.get("skip_golden").is_none() {
                out.push((file.display().to_string(), v));
            }
        }
    }
    assert!(out.len() >= 20, "expected many stream fixtures, found {}", out.len());
    out
}

/// Runs a stream case with the upstream body cut at `cuts`; returns the client bytes.
fn client_bytes(case: &Value, cuts: &[usize]) -> Vec<u8> {
    let engine = Engine::compile(&serde_json::to_vec(&case["config"]).unwrap()).unwrap();
    let provider = engine.select(&RouteInfo { authority: "h", ..Default::default() }).unwrap();
    let req = &case["request"];
    let body = match req.get("body_text") {
        Some(t) => t.as_str().unwrap().as_bytes().to_vec(),
        None => serde_json::to_vec(&req["body"]).unwrap(),
    };
    let head = RequestHead {
        method: "POST",
        path: req["path"].as_str().unwrap(),
        content_type: Some("application/json"),
        content_length: Some(body.len() as u64),
        has_body: true,
    };
    let (mut ex, plan) = Exchange::start(provider, &head, 0).unwrap();
    if plan.read_body {
        ex.request_body(&body).unwrap();
    }
    let up = case["upstream"]["response"]["body_text"].as_str().unwrap().as_bytes();
    let ct = case["upstream"]["response"]["headers"]["content-type"].as_str();
    let plan = ex.response_headers(200, ct, || 1_700_000_000);
    if plan.mode == ResponseMode::Passthrough {
        return up.to_vec();
    }
    let mut out = Vec::new();
    let mut last = 0;
    for &c in cuts.iter().filter(|&&c| c > 0 && c < up.len()) {
        if c > last {
            ex.response_chunk(&up[last..c], false, &mut out);
            last = c;
        }
    }
    ex.response_chunk(&up[last..], true, &mut out);
    out
}

#[test]
fn every_single_split_point_gives_the_same_stream() {
    for (name, case) in stream_cases() {
        let whole = client_bytes(&case, &[]);
        let len = case["upstream"]["response"]["body_text"].as_str().unwrap().len();
        for cut in 1..len {
            assert_eq!(client_bytes(&case, &[cut]), whole, "{name}: split at {cut}");
        }
        let all: Vec<usize> = (1..len).collect();
        assert_eq!(client_bytes(&case, &all), whole, "{name}: byte by byte");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_multi_splits_give_the_same_stream(mut cuts in proptest::collection::vec(0usize..4000, 0..40)) {
        cuts.sort_unstable();
        for (name, case) in stream_cases() {
            let whole = client_bytes(&case, &[]);
            prop_assert_eq!(client_bytes(&case, &cuts), whole, "{}", name);
        }
    }

    #[test]
    fn sse_decoder_never_panics_and_stays_bounded(bytes in proptest::collection::vec(any::<u8>(), 0..2048), split in 0usize..2048) {
        let limit = 256;
        let mut d = SseDecoder::new(limit).with_raw();
        let mut emit = |b: Block<'_>| {
            assert!(b.event.map_or(0, |e| e.data.len()) <= limit);
        };
        let cut = split.min(bytes.len());
        let _ = d.feed(&bytes[..cut], &mut emit);
        let _ = d.feed(&bytes[cut..], &mut emit);
        let _ = d.finish(&mut emit);
    }

    #[test]
    fn sse_decoder_output_is_split_invariant(events in proptest::collection::vec("[a-z你好 :]{0,12}", 1..8), split in 0usize..400) {
        let text: String = events.iter().map(|e| format!("data: {e}\r\n\r\n")).collect();
        let bytes = text.as_bytes();
        let collect = |chunks: &[&[u8]]| {
            let mut d = SseDecoder::default().with_raw();
            let mut seen = Vec::new();
            let mut raw = Vec::new();
            let mut emit = |b: Block<'_>| {
                raw.extend_from_slice(b.raw);
                if let Some(e) = b.event { seen.push(e.data.to_string()); }
            };
            for c in chunks { d.feed(c, &mut emit).unwrap(); }
            d.finish(&mut emit).unwrap();
            (seen, raw)
        };
        let cut = split.min(bytes.len());
        let whole = collect(&[bytes]);
        prop_assert_eq!(&whole.1, &bytes.to_vec());
        prop_assert_eq!(collect(&[&bytes[..cut], &bytes[cut..]]), whole);
    }

    #[test]
    fn unknown_members_survive_the_openai_path(
        extras in proptest::collection::btree_map("x_[a-z]{1,8}", prop_oneof![
            Just("0".to_string()), Just("1e2".to_string()), Just("0.10".to_string()), Just("null".to_string()),
            Just("\"caf\\u00e9\"".to_string()), Just("[1, {\"a\": []}]".to_string()), Just("false".to_string()),
        ], 0..6)
    ) {
        let mut body = String::from("{\"model\": \"gpt-4o\", \"messages\": [{\"role\":\"user\",\"content\":\"hi\"}]");
        for (k, v) in &extras {
            body.push_str(&format!(", \"{k}\" : {v}"));
        }
        body.push('}');
        let engine = Engine::compile(br#"{"provider":{"type":"openai","apiTokens":["k"],"modelMapping":{"gpt-4o":"gpt-4o-mini"}}}"#).unwrap();
        let provider = engine.select(&RouteInfo::default()).unwrap();
        let head = RequestHead { method: "POST", path: "/v1/chat/completions", content_type: None, content_length: None, has_body: true };
        let (mut ex, _) = Exchange::start(provider, &head, 0).unwrap();
        let out = ex.request_body(body.as_bytes()).unwrap().body.unwrap();
        prop_assert_eq!(String::from_utf8(out).unwrap(), body.replacen("\"gpt-4o\"", "\"gpt-4o-mini\"", 1));
    }
}
