//! A client request with an arbitrary body through `Exchange::start` + `request_body`, for
//! each provider of `PROVIDERS` and each API of `PATHS`.
//!
//! Input: a selector byte (`% 24`: provider = / 4, path = % 4), a byte choosing the
//! content type (`% 4`), a byte for the per-request random value, then the body.
//! Properties: no panic; a local reply is an error in the client's shape (Anthropic on
//! `/v1/messages`) with a 4xx/5xx status; a body that goes upstream is valid JSON and
//! `content-length` matches it; header values carry no CR/LF/NUL and `:path` is visible ASCII.
#![no_main]

use ai_proxy_fuzz::{check_anthropic_error, check_header_value, check_openai_error, is_json, Input, PATHS, PROVIDERS};
use libfuzzer_sys::fuzz_target;
use providers::{Exchange, HeaderEdit, LocalReply, ProviderConfig, RequestHead};
use std::sync::{Arc, LazyLock};

static CONFIGS: LazyLock<Vec<Arc<ProviderConfig>>> =
    LazyLock::new(|| PROVIDERS.iter().map(|(_, c)| ai_proxy_fuzz::provider(c)).collect());

const CONTENT_TYPES: [Option<&str>; 4] =
    [Some("application/json"), None, Some("text/plain"), Some("application/json; charset=utf-8")];

fn check_edits(edits: &[HeaderEdit]) {
    for e in edits {
        if let Some(v) = &e.value {
            check_header_value(e.name, v);
        }
    }
}

fn check_reply(reply: &LocalReply, path: &str) {
    assert!((400..600).contains(&reply.status), "local reply status {}", reply.status);
    if path == "/v1/messages" {
        check_anthropic_error(&reply.body);
    } else {
        check_openai_error(&reply.body);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let selector = usize::from(input.byte()) % (PROVIDERS.len() * PATHS.len());
    let content_type = CONTENT_TYPES[usize::from(input.byte()) % CONTENT_TYPES.len()];
    let random = u64::from(input.byte()).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let body = input.rest();
    let provider = &CONFIGS[selector / PATHS.len()];
    let path = PATHS[selector % PATHS.len()];

    let head =
        RequestHead { method: "POST", path, content_type, content_length: Some(body.len() as u64), has_body: true };
    let (mut ex, plan) = match Exchange::start(provider, &head, random) {
        Ok(x) => x,
        Err(reply) => return check_reply(&reply, path),
    };
    check_edits(&plan.edits);
    if !plan.read_body {
        return;
    }
    match ex.request_body(body) {
        Ok(bp) => {
            check_edits(&bp.edits);
            let upstream = bp.body.as_deref().unwrap_or(body);
            assert!(is_json(upstream), "upstream body is not JSON: {:?}", String::from_utf8_lossy(upstream));
            let len = bp.edits.iter().rev().find(|e| e.name == "content-length").and_then(|e| e.value.clone());
            assert_eq!(len, Some(upstream.len().to_string()), "content-length");
        }
        Err(reply) => check_reply(&reply, path),
    }
});
