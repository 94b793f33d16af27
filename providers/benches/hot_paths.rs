#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::print_stdout)]
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

/// Counts heap allocations, so each benchmark also reports allocations per operation.
#[global_allocator]
static GLOBAL: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

fn allocations_of(f: impl FnOnce()) -> usize {
    let region = stats_alloc::Region::new(GLOBAL);
    f();
    let stats = region.change();
    stats.allocations + stats.reallocations
}

fn fixture(name: &str) -> serde_json::Value {
    let path = format!("{}/../tests/fixtures/{name}/case.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn body_of(msg: &serde_json::Value) -> Vec<u8> {
    match msg.get("body_text") {
        Some(t) => t.as_str().unwrap().as_bytes().to_vec(),
        None => serde_json::to_vec(&msg["body"]).unwrap(),
    }
}

/// An exchange for a fixture, through its request body (`body`, serialized once by the caller:
/// serializing it here would be measured too).
fn exchange_for(engine: &Engine, case: &serde_json::Value, body: &[u8]) -> Exchange {
    let provider = engine.select(&RouteInfo::default()).unwrap();
    let req = &case["request"];
    let head = RequestHead {
        method: "POST",
        path: req["path"].as_str().unwrap(),
        content_type: Some("application/json"),
        content_length: Some(body.len() as u64),
        has_body: true,
    };
    let (mut ex, plan) = Exchange::start(provider, &head, 7).unwrap();
    if plan.read_body {
        ex.request_body(body).unwrap();
    }
    ex
}

/// Request translation, buffered response translation and per-event stream translation for
/// each dialect, over golden fixtures; allocations per operation are printed alongside.
fn dialects(c: &mut Criterion) {
    let json_cases = [
        ("openai_passthrough", "openai/chat"),
        ("claude", "claude/parallel_tools_and_results"),
        ("anthropic_inbound", "deepseek/messages_claude_code_tools_nonstream"),
        ("gemini", "gemini/response_parallel_tool_calls_thought_signature"),
        ("qwen", "qwen/response_parallel_tool_calls"),
    ];
    let mut g = c.benchmark_group("dialect");
    for (label, name) in json_cases {
        let case = fixture(name);
        let engine = Engine::compile(&serde_json::to_vec(&case["config"]).unwrap()).unwrap();
        let request = body_of(&case["request"]);
        g.bench_function(format!("request/{label}"), |b| b.iter(|| black_box(exchange_for(&engine, &case, &request))));
        let allocs = allocations_of(|| drop(exchange_for(&engine, &case, &request)));
        println!("allocations: request/{label} {allocs} per request ({} B body)", request.len());
        let upstream = body_of(&case["upstream"]["response"]);
        let ct = case["upstream"]["response"]["headers"]["content-type"].as_str().map(str::to_string);
        let respond = |mut ex: Exchange| {
            let plan = ex.response_headers(200, ct.as_deref(), || 1_700_000_000);
            if plan.mode == providers::ResponseMode::Buffer {
                black_box(ex.response_body(&upstream));
            }
        };
        g.bench_function(format!("response/{label}"), |b| {
            b.iter_batched(|| exchange_for(&engine, &case, &request), respond, criterion::BatchSize::SmallInput)
        });
        let ex = exchange_for(&engine, &case, &request);
        let allocs = allocations_of(|| respond(ex));
        println!("allocations: response/{label} {allocs} per response ({} B body)", upstream.len());
    }
    let stream_cases = [
        ("claude", "claude/stream_tool_use"),
        ("anthropic_inbound", "deepseek/messages_claude_code_stream_parallel_tools"),
        ("gemini", "gemini/stream_tool_call_thought_signature"),
        ("qwen", "qwen/stream_reasoning_then_content_with_usage"),
    ];
    for (label, name) in stream_cases {
        let case = fixture(name);
        let engine = Engine::compile(&serde_json::to_vec(&case["config"]).unwrap()).unwrap();
        let request = body_of(&case["request"]);
        let sse = body_of(&case["upstream"]["response"]);
        let events = String::from_utf8_lossy(&sse).matches("data:").count().max(1);
        let translate = |mut ex: Exchange| {
            let _ = ex.response_headers(200, Some("text/event-stream"), || 1_700_000_000);
            let mut out = Vec::with_capacity(sse.len() * 2);
            ex.response_chunk(&sse, true, &mut out);
            black_box(out);
        };
        g.throughput(Throughput::Elements(events as u64));
        g.bench_function(format!("stream/{label}"), |b| {
            b.iter_batched(|| exchange_for(&engine, &case, &request), translate, criterion::BatchSize::SmallInput)
        });
        let ex = exchange_for(&engine, &case, &request);
        let allocs = allocations_of(|| translate(ex));
        println!("allocations: stream/{label} {allocs} for {events} events");
    }
    g.finish();
}

/// A Claude Code turn of about 100 KB (`/v1/messages`: 16 tools with long descriptions, a
/// history of tool calls with file-sized results, a cached system prompt), from the fixture's
/// shape grown to size.
fn claude_code_100kb() -> Vec<u8> {
    let case = fixture("deepseek/messages_claude_code_tools_nonstream");
    let mut body = case["request"]["body"].clone();
    let tools = body["tools"].as_array().cloned().unwrap_or_default();
    let mut grown = Vec::new();
    for i in 0..16 {
        let mut t = tools[i % tools.len()].clone();
        t["name"] = format!("Tool{i}").into();
        t["description"] = "Reads, edits or runs what the task needs; see the usage notes. ".repeat(24).into();
        grown.push(t);
    }
    body["tools"] = grown.into();
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let (first, turn) = (messages[0].clone(), &messages[1..3]);
    let mut history = vec![first];
    let file = "fn main() {\n    println!(\"hello, world\");\n}\n".repeat(60);
    let mut n = 0;
    while serde_json::to_vec(&history).unwrap().len() < 80_000 {
        let mut call = turn[0].clone();
        let mut result = turn[1].clone();
        let id = format!("toolu_{n:04}");
        for block in call["content"].as_array_mut().into_iter().flatten() {
            if block["type"] == "tool_use" {
                block["id"] = id.clone().into();
            }
        }
        for block in result["content"].as_array_mut().into_iter().flatten() {
            if block["type"] == "tool_result" {
                block["tool_use_id"] = id.clone().into();
                block["content"] = file.clone().into();
            }
        }
        history.push(call);
        history.push(result);
        n += 1;
    }
    body["messages"] = history.into();
    serde_json::to_vec(&body).unwrap()
}

/// The 100 KB Claude Code request translated to an OpenAI-wire provider, in bytes per second.
fn claude_code_request(c: &mut Criterion) {
    let case = fixture("deepseek/messages_claude_code_tools_nonstream");
    let engine = Engine::compile(&serde_json::to_vec(&case["config"]).unwrap()).unwrap();
    let request = claude_code_100kb();
    let mut g = c.benchmark_group("claude_code");
    g.throughput(Throughput::Bytes(request.len() as u64));
    g.bench_function(format!("request_{}kb_to_openai_wire", request.len() / 1000), |b| {
        b.iter(|| black_box(exchange_for(&engine, &case, &request)))
    });
    let allocs = allocations_of(|| drop(exchange_for(&engine, &case, &request)));
    println!("allocations: claude_code request {allocs} per request ({} B body)", request.len());
    g.finish();
}

/// The Envoy benchmark's scenarios (`bench/scenarios.json`), natively: the same configuration,
/// request and upstream answer, through the calls the glue makes per request (headers, body,
/// signature, response headers, response body or stream). Set against `bench/envoy_compare.py`'s
/// figures, what is left is the cost of Wasm and of the host.
fn envoy_scenarios(c: &mut Criterion) {
    let bench = format!("{}/../bench", env!("CARGO_MANIFEST_DIR"));
    let read = |rel: &str| std::fs::read(format!("{bench}/{rel}")).unwrap();
    let data: serde_json::Value = serde_json::from_slice(&read("scenarios.json")).unwrap();
    let mut g = c.benchmark_group("envoy_scenario");
    for (name, sc) in data["scenarios"].as_object().unwrap() {
        let engine = Engine::compile(&read(sc["config"].as_str().unwrap())).unwrap();
        let mut request: serde_json::Value = serde_json::from_slice(&read(sc["request"].as_str().unwrap())).unwrap();
        for (k, v) in sc["request_overrides"].as_object().into_iter().flatten() {
            request[k] = v.clone();
        }
        let body = serde_json::to_vec(&request).unwrap();
        let mock = &data["mocks"][sc["mock"].as_str().unwrap()];
        let answer = read(mock["body"].as_str().unwrap());
        let content_type = mock["content_type"].as_str().unwrap();
        let path = sc["client_path"].as_str().unwrap();
        let length = body.len().to_string();
        let headers = providers::HeaderMap::from_pairs([
            (":method", "POST"),
            (":path", path),
            (":authority", "127.0.0.1:10000"),
            (":scheme", "http"),
            ("content-type", "application/json"),
            ("authorization", "Bearer client-key"),
            ("user-agent", "wrk"),
            ("content-length", length.as_str()),
        ]);
        let one = || {
            let provider = engine.select(&RouteInfo::default()).unwrap();
            let (mut ex, plan) = Exchange::start_with_headers(provider, &headers, true, 7).unwrap();
            if plan.read_body {
                let plan = ex.request_body(&body).unwrap();
                black_box(ex.sign(plan.body.as_deref().unwrap_or(&body), || 1_700_000_000).unwrap());
            }
            if ex.needs_response() {
                let plan = ex.response_headers(200, Some(content_type), || 1_700_000_000);
                match plan.mode {
                    providers::ResponseMode::Buffer => drop(black_box(ex.response_body(&answer))),
                    providers::ResponseMode::Stream => {
                        let mut out = Vec::with_capacity(answer.len() + 64);
                        ex.response_chunk(&answer, true, &mut out);
                        black_box(out);
                    }
                    providers::ResponseMode::Passthrough => {}
                }
            }
        };
        g.bench_function(name.as_str(), |b| b.iter(one));
        println!("allocations: envoy_scenario/{name} {} per request", allocations_of(one));
    }
    g.finish();
}

criterion_group!(benches, request_rewrite, stream_events, dialects, claude_code_request, envoy_scenarios);
criterion_main!(benches);
