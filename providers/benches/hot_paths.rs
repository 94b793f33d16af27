#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Hot paths per request, natively: what the filter does between Envoy's callbacks.
//! `make bench` runs these; the Envoy comparison is `bench/envoy_compare.py`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use providers::config::rules::RouteInfo;
use providers::stream::sse::{Block, SseDecoder};
use providers::{Engine, Exchange, RequestHead};
use std::hint::black_box;

/// A realistic ~5 KB chat request: a system prompt, a few turns, tools and extras.
fn chat_5kb() -> Vec<u8> {
    let turn = "Explain how a proxy-wasm filter rewrites a request body without re-serialising the JSON, \
                and why unknown fields, key order and number formats must survive. ";
    let mut messages =
        vec![serde_json::json!({"role": "system", "content": "You are a precise assistant. ".repeat(8)})];
    for i in 0..14 {
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        messages.push(serde_json::json!({"role": role, "content": turn.repeat(2)}));
    }
    let body = serde_json::json!({
        "model": "gpt-4o",
        "messages": messages,
        "temperature": 0,
        "top_p": 0.95,
        "stream": false,
        "tools": [{"type": "function", "function": {"name": "lookup", "description": "Look a thing up",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}],
        "x_vendor_extra": {"keep": [1, 2.5, null]}
    });
    let bytes = serde_json::to_vec(&body).unwrap();
    assert!((4500..6500).contains(&bytes.len()), "{}", bytes.len());
    bytes
}

fn request_rewrite(c: &mut Criterion) {
    let engine = Engine::compile(
        br#"{"provider":{"type":"openai","apiTokens":["sk-a","sk-b"],"modelMapping":{"gpt-4o":"gpt-4o-2024-11-20","gpt-4-*":"gpt-4-turbo","*":""}}}"#,
    )
    .unwrap();
    let provider = engine.select(&RouteInfo::default()).unwrap();
    let body = chat_5kb();
    let head = RequestHead {
        method: "POST",
        path: "/v1/chat/completions",
        content_type: Some("application/json"),
        content_length: Some(body.len() as u64),
        has_body: true,
    };
    let mut g = c.benchmark_group("openai_request");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("headers+map+rewrite_5kb", |b| {
        b.iter(|| {
            let (mut ex, plan) = Exchange::start(provider, black_box(&head), 7).unwrap();
            let out = ex.request_body(black_box(&body)).unwrap();
            black_box((plan, out));
        })
    });
    g.finish();
}

fn stream_events(c: &mut Criterion) {
    let event = br#"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hello there, "},"finish_reason":null}]}

"#;
    let stream: Vec<u8> = event.iter().copied().cycle().take(event.len() * 100).collect();
    let mut g = c.benchmark_group("sse");
    g.throughput(Throughput::Elements(100));
    g.bench_function("decode_100_events", |b| {
        b.iter(|| {
            let mut d = SseDecoder::default();
            let mut n = 0;
            for chunk in stream.chunks(512) {
                d.feed(black_box(chunk), &mut |b: Block<'_>| n += usize::from(b.event.is_some())).unwrap();
            }
            black_box(n)
        })
    });
    let payload =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/payloads/openai-chat-response.sse")).unwrap();
    g.throughput(Throughput::Bytes(payload.len() as u64));
    g.bench_function("usage_filter_bench_payload", |b| {
        b.iter(|| {
            let mut f = providers::dialect::openai::UsageChunkFilter::default();
            let mut out = Vec::with_capacity(payload.len());
            f.feed(black_box(&payload), &mut out);
            f.finish(&mut out);
            black_box(out)
        })
    });
    g.finish();
}

criterion_group!(benches, request_rewrite, stream_events);
criterion_main!(benches);
