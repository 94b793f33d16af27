//! An upstream response with arbitrary bytes, for every translated provider and API, through
//! an exchange prepared with a valid request.
//!
//! Input: a setup selector byte (`% SETUPS.len()`), a status byte, a content-type byte, a
//! chunking header byte (bits 0-3: chunk-length count, bit 4: signal the end with an extra
//! empty chunk), the chunk lengths, then the upstream body.
//!
//! `response_headers` decides the mode: a buffered body goes to `response_body`, a stream to
//! `response_chunk` (once whole, once in the input's chunking). Properties: no panic; a
//! buffered answer is JSON with a valid status and a matching `content-length`, and a non-2xx
//! one is an error in the client's shape; a stream gives the same bytes however it is cut and
//! is a well-formed OpenAI stream ending in `data: [DONE]` (OpenAI ingress) or a well-formed
//! Anthropic event sequence (`/v1/messages` ingress).
#![no_main]

use ai_proxy_fuzz::{check_anthropic_error, check_anthropic_stream, check_openai_error, check_openai_stream};
use ai_proxy_fuzz::{Chunking, Input, PROVIDERS};
use libfuzzer_sys::fuzz_target;
use providers::{Exchange, ProviderConfig, RequestHead, ResponseMode};
use std::sync::{Arc, LazyLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ingress {
    /// An OpenAI client: translated streams are OpenAI chunks ending in `[DONE]`.
    OpenAi,
    /// An Anthropic Messages client.
    Anthropic,
    /// OpenAI to OpenAI with the injected-usage filter: the stream is the upstream's, minus one chunk.
    Filtered,
}

const CHAT: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#;
const CHAT_STREAM: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true}"#;
const CHAT_STREAM_USAGE: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"#;
const MESSAGES: &str = r#"{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"hi"}]}"#;
const MESSAGES_STREAM: &str =
    r#"{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"hi"}],"stream":true}"#;
const EMBEDDINGS: &str = r#"{"model":"text-embedding-004","input":["a","b"]}"#;
const EMBEDDINGS_BASE64: &str = r#"{"model":"text-embedding-v4","input":"a","encoding_format":"base64"}"#;
const RERANK: &str = r#"{"model":"gte-rerank-v2","query":"q","documents":["a","b"],"top_n":1}"#;
const OPENAI_HIDDEN_USAGE: &str =
    r#"{"provider":{"type":"openai","apiTokens":["sk-a"],"hideInjectedStreamUsage":true}}"#;

/// (provider: index into `PROVIDERS` or `usize::MAX` for `OPENAI_HIDDEN_USAGE`, path, request, ingress).
/// The seed script knows these indexes by name; keep them in sync (fuzz/seed.py `SETUPS`).
const SETUPS: [(usize, &str, &str, Ingress); 17] = [
    (2, "/v1/chat/completions", CHAT, Ingress::OpenAi), // 0 claude
    (2, "/v1/chat/completions", CHAT_STREAM, Ingress::OpenAi),
    (2, "/v1/chat/completions", CHAT_STREAM_USAGE, Ingress::OpenAi),
    (0, "/v1/messages", MESSAGES, Ingress::Anthropic), // 3 openai, Anthropic ingress
    (0, "/v1/messages", MESSAGES_STREAM, Ingress::Anthropic),
    (3, "/v1/chat/completions", CHAT, Ingress::OpenAi), // 5 gemini
    (3, "/v1/chat/completions", CHAT_STREAM, Ingress::OpenAi),
    (3, "/v1/chat/completions", CHAT_STREAM_USAGE, Ingress::OpenAi),
    (3, "/v1/embeddings", EMBEDDINGS, Ingress::OpenAi),
    (3, "/v1/embeddings", EMBEDDINGS_BASE64, Ingress::OpenAi),
    (4, "/v1/chat/completions", CHAT, Ingress::OpenAi), // 10 qwen native
    (4, "/v1/chat/completions", CHAT_STREAM, Ingress::OpenAi),
    (4, "/v1/chat/completions", CHAT_STREAM_USAGE, Ingress::OpenAi),
    (4, "/v1/embeddings", EMBEDDINGS, Ingress::OpenAi),
    (4, "/v1/embeddings", EMBEDDINGS_BASE64, Ingress::OpenAi),
    (4, "/v1/rerank", RERANK, Ingress::OpenAi),
    (usize::MAX, "/v1/chat/completions", CHAT_STREAM, Ingress::Filtered), // 16 usage filter
];

const STATUSES: [u16; 16] = [200, 400, 401, 403, 404, 429, 500, 502, 503, 529, 201, 204, 206, 301, 418, 599];
const CONTENT_TYPES: [Option<&str>; 8] = [
    Some("application/json"),
    Some("text/event-stream"),
    Some("text/event-stream; charset=utf-8"),
    None,
    Some(" Text/Event-Stream"),
    Some("application/json; charset=utf-8"),
    Some("text/plain"),
    Some("text/html"),
];

static CONFIGS: LazyLock<Vec<Arc<ProviderConfig>>> = LazyLock::new(|| {
    let mut v: Vec<_> = PROVIDERS.iter().map(|(_, c)| ai_proxy_fuzz::provider(c)).collect();
    v.push(ai_proxy_fuzz::provider(OPENAI_HIDDEN_USAGE));
    v
});

fn prepare(setup: usize, status: u16, content_type: Option<&str>) -> (Exchange, ResponseMode) {
    let (provider, path, body, _) = SETUPS[setup];
    let provider = &CONFIGS[provider.min(PROVIDERS.len())];
    let head = RequestHead {
        method: "POST",
        path,
        content_type: Some("application/json"),
        content_length: Some(body.len() as u64),
        has_body: true,
    };
    let (mut ex, plan) = Exchange::start(provider, &head, 0x5eed).expect("setup request starts");
    assert!(plan.read_body);
    ex.request_body(body.as_bytes()).expect("setup request accepted");
    let plan = ex.response_headers(status, content_type, || 1_700_000_000);
    (ex, plan.mode)
}

fn stream(ex: &mut Exchange, chunks: &[&[u8]], empty_end: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let n = chunks.len();
    for (i, c) in chunks.iter().enumerate() {
        ex.response_chunk(c, !empty_end && i + 1 == n, &mut out);
    }
    if empty_end || n == 0 {
        ex.response_chunk(&[], true, &mut out);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let setup = usize::from(input.byte()) % SETUPS.len();
    let status = STATUSES[usize::from(input.byte()) % STATUSES.len()];
    let content_type = CONTENT_TYPES[usize::from(input.byte()) % CONTENT_TYPES.len()];
    let header = input.byte();
    let chunking: Chunking = input.chunking(header);
    let empty_end = header & 0x10 != 0;
    let body = input.rest();
    let ingress = SETUPS[setup].3;

    let (mut ex, mode) = prepare(setup, status, content_type);
    match mode {
        ResponseMode::Passthrough => assert_eq!(ingress, Ingress::Filtered, "a translated response passed through"),
        ResponseMode::Buffer => {
            let plan = ex.response_body(body);
            let out = plan.body.expect("a buffered response gets a body");
            let header = |name: &str| plan.edits.iter().find(|e| e.name == name).and_then(|e| e.value.clone());
            let status: u16 = header(":status").and_then(|s| s.parse().ok()).expect(":status");
            assert!((200..600).contains(&status), "client status {status}");
            assert_eq!(header("content-length"), Some(out.len().to_string()), "content-length");
            assert_eq!(header("content-type").as_deref(), Some("application/json"));
            assert!(ai_proxy_fuzz::is_json(&out), "buffered answer not JSON: {:?}", String::from_utf8_lossy(&out));
            if !(200..300).contains(&status) {
                match ingress {
                    Ingress::Anthropic => check_anthropic_error(&out),
                    _ => check_openai_error(&out),
                }
            }
        }
        ResponseMode::Stream => {
            let whole = stream(&mut ex, &[body], false);
            let (mut ex2, _) = prepare(setup, status, content_type);
            let split = stream(&mut ex2, &chunking.split(body), empty_end);
            assert!(
                whole == split,
                "whole vs split ({:?}, empty end {empty_end}):\n{}\n---\n{}",
                chunking.lens,
                String::from_utf8_lossy(&whole),
                String::from_utf8_lossy(&split)
            );
            match ingress {
                Ingress::OpenAi => check_openai_stream(&whole),
                Ingress::Anthropic => check_anthropic_stream(&whole),
                Ingress::Filtered => {}
            }
        }
    }
});
