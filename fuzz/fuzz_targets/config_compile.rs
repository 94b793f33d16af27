//! `Engine::compile` on arbitrary bytes: JSON when the text starts with `{`, YAML otherwise.
//!
//! Properties: no panic; every error names something (no empty message); and a configuration
//! that compiles can serve a request: each provider it selects goes through `Exchange::start`,
//! `request_body`, `response_headers` and `response_body`/`response_chunk` without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use providers::config::rules::RouteInfo;
use providers::{Engine, Exchange, RequestHead, ResponseMode};

const BODY: &[u8] = br#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true}"#;
const ROUTES: [RouteInfo<'static>; 3] = [
    RouteInfo { route_name: None, authority: "gateway.local", cluster_name: None },
    RouteInfo { route_name: Some("route-a"), authority: "api.example.com:8080", cluster_name: None },
    RouteInfo { route_name: Some("llm"), authority: "a.b", cluster_name: Some("outbound|443||llm.dns") },
];

fuzz_target!(|data: &[u8]| {
    let engine = match Engine::compile(data) {
        Ok(engine) => engine,
        Err(errors) => {
            assert!(!errors.0.is_empty(), "rejected without a reason");
            assert!(errors.0.iter().all(|e| !e.trim().is_empty()), "an empty error message: {:?}", errors.0);
            return;
        }
    };
    let _ = (engine.needs_route_name(), engine.needs_cluster_name());
    for route in &ROUTES {
        let Some(provider) = engine.select(route) else { continue };
        for path in ["/v1/chat/completions", "/v1/messages", "/v1/embeddings"] {
            let head = RequestHead {
                method: "POST",
                path,
                content_type: Some("application/json"),
                content_length: Some(BODY.len() as u64),
                has_body: true,
            };
            let Ok((mut ex, plan)) = Exchange::start(provider, &head, 7) else { continue };
            if plan.read_body && ex.request_body(BODY).is_err() {
                continue;
            }
            if !ex.needs_response() {
                continue;
            }
            let plan = ex.response_headers(200, Some("text/event-stream"), || 1_700_000_000);
            let mut out = Vec::new();
            match plan.mode {
                ResponseMode::Stream => ex.response_chunk(b"data: {}\n\ndata: [DONE]\n\n", true, &mut out),
                ResponseMode::Buffer => drop(ex.response_body(b"{}")),
                ResponseMode::Passthrough => {}
            }
        }
    }
});
