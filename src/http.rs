//! The per-request context: feeds host callbacks to the core's `Exchange` and applies the
//! plans it returns.

use crate::host;
use providers::config::rules::RouteInfo;
use providers::{Engine, Exchange, HeaderEdit, HeaderMap, LocalReply, ProxyError, ResponseMode};
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, BufferType, MapType};
use std::cell::Cell;
use std::rc::Rc;

pub struct RequestContext {
    engine: Option<Rc<Engine>>,
    rng: Rc<Cell<u64>>,
    exchange: Option<Exchange>,
    /// The request headers as they will go upstream, so that only real changes cost host calls.
    request_headers: HeaderMap,
    /// The response headers while they are held (`ResponseMode::Buffer`).
    response_headers: HeaderMap,
    read_body: bool,
    response_mode: ResponseMode,
}

impl RequestContext {
    pub fn new(engine: Option<Rc<Engine>>, rng: Rc<Cell<u64>>) -> Self {
        RequestContext {
            engine,
            rng,
            exchange: None,
            request_headers: HeaderMap::default(),
            response_headers: HeaderMap::default(),
            read_body: false,
            response_mode: ResponseMode::Passthrough,
        }
    }

    /// SplitMix64 over a per-VM seed: one random number per request without a host call.
    fn next_random(&self) -> u64 {
        let mut z = self.rng.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.rng.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn reply(&mut self, reply: &LocalReply) -> Action {
        self.exchange = None;
        host::send_reply(reply.status, reply.content_type, &reply.body);
        Action::Pause
    }

    /// The host refused a call the request cannot go without (its headers, a credential
    /// edit, the translated body): answer 500 rather than forward a request half-rewritten.
    fn host_failure(&mut self, what: &str) -> Action {
        log::error!("ai-proxy: {what}; answering 500");
        let e = ProxyError::new(500, "api_error", format!("ai-proxy could not {what}")).with_code("filter_error");
        self.reply(&e.into())
    }
}

/// Applies request header edits; false when the host refused one.
fn apply_request_edits(headers: &mut HeaderMap, edits: &[HeaderEdit]) -> bool {
    let mut ok = true;
    headers.apply(edits, |e| ok &= host::set_header(MapType::HttpRequestHeaders, e.name, e.value.as_deref()).is_ok());
    ok
}

/// Applies response header edits; a refused one is logged (the response goes on).
fn apply_response_edits(headers: &mut HeaderMap, edits: &[HeaderEdit]) {
    headers.apply(edits, |e| {
        let _ = host::set_header(MapType::HttpResponseHeaders, e.name, e.value.as_deref());
    });
}

impl RequestContext {
    /// Translates an upstream response that ended with its headers and sends the result.
    fn answer_without_body(&mut self, upstream_status: u16) -> Action {
        let Some(exchange) = self.exchange.as_mut() else { return Action::Continue };
        let (status, content_type, body) = if self.response_mode == ResponseMode::Stream {
            let mut out = Vec::new();
            exchange.response_chunk(&[], true, &mut out);
            (upstream_status, "text/event-stream", out)
        } else {
            let plan = exchange.response_body(&[]);
            let status = plan
                .edits
                .iter()
                .find(|e| e.name == ":status")
                .and_then(|e| e.value.as_deref())
                .and_then(|v| v.parse().ok())
                .unwrap_or(upstream_status);
            (status, "application/json", plan.body.unwrap_or_default())
        };
        self.exchange = None;
        host::send_reply(status, content_type, &body);
        Action::Pause
    }
}

impl Context for RequestContext {}

impl HttpContext for RequestContext {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        let Some(engine) = self.engine.clone() else { return Action::Continue };
        let Ok(headers) = host::request_headers() else {
            return self.host_failure("read the request headers");
        };
        // Higress's Envoy names these `route_name`/`cluster_name`; stock Envoy ≥ 1.33 only has
        // them under `xds.` (envoyproxy/envoy#36619).
        let route_name = engine
            .needs_route_name()
            .then(|| host::property(&["route_name"]).or_else(|| host::property(&["xds", "route_name"])))
            .flatten();
        let cluster_name = engine
            .needs_cluster_name()
            .then(|| host::property(&["cluster_name"]).or_else(|| host::property(&["xds", "cluster_name"])))
            .flatten();
        let route = RouteInfo {
            route_name: route_name.as_deref(),
            authority: headers.get(":authority").unwrap_or_default(),
            cluster_name: cluster_name.as_deref(),
        };
        let Some(provider) = engine.select(&route) else { return Action::Continue };
        match Exchange::start_with_headers(provider, &headers, !end_of_stream, self.next_random()) {
            Ok((exchange, plan)) => {
                let mut edits = plan.edits;
                if !plan.read_body {
                    match exchange.sign(&[], host::now_secs) {
                        Ok(signature) => edits.extend(signature),
                        Err(reply) => return self.reply(&reply),
                    }
                }
                let mut headers = headers;
                if !apply_request_edits(&mut headers, &edits) {
                    return self.host_failure("rewrite the request headers");
                }
                self.request_headers = headers;
                self.read_body = plan.read_body;
                self.exchange = Some(exchange);
                if plan.read_body {
                    // Hold the headers: the body may still change the path and length.
                    Action::Pause
                } else {
                    Action::Continue
                }
            }
            Err(reply) => self.reply(&reply),
        }
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if !self.read_body {
            return Action::Continue;
        }
        let Some(exchange) = self.exchange.as_mut() else { return Action::Continue };
        if !end_of_stream {
            // Keep buffering; `request_body` enforces the size limit on the whole body.
            return Action::Pause;
        }
        let body = host::buffer(BufferType::HttpRequestBody, body_size);
        let plan = exchange.request_body(&body).and_then(|mut plan| {
            let signature = exchange.sign(plan.body.as_deref().unwrap_or(&body), host::now_secs)?;
            plan.edits.extend(signature);
            Ok(plan)
        });
        match plan {
            Ok(plan) => {
                // Nothing reads the request headers after this.
                let mut headers = std::mem::take(&mut self.request_headers);
                if !apply_request_edits(&mut headers, &plan.edits) {
                    return self.host_failure("rewrite the request headers");
                }
                if let Some(new_body) = plan.body {
                    if !host::replace_buffer(BufferType::HttpRequestBody, body_size, &new_body) {
                        return self.host_failure("replace the request body");
                    }
                }
                Action::Continue
            }
            Err(reply) => self.reply(&reply),
        }
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        let Some(exchange) = self.exchange.as_mut() else { return Action::Continue };
        if !exchange.needs_response() {
            return Action::Continue;
        }
        // Unreadable headers: translate as an unknown status with no content type (an error).
        let mut headers = host::response_headers().unwrap_or_default();
        // Not text counts as absent: the status is Envoy's own; a content-type that is not
        // text is no content type the translators know.
        let status = headers.get(":status").and_then(|s| s.parse().ok()).unwrap_or(0);
        let plan = exchange.response_headers(status, headers.get("content-type"), host::now_secs);
        apply_response_edits(&mut headers, &plan.edits);
        self.response_mode = plan.mode;
        if end_of_stream && plan.mode != ResponseMode::Passthrough {
            // No body will follow (an empty 429 from a load balancer, say): no body callback
            // comes, so the translated answer is sent from here.
            return self.answer_without_body(status);
        }
        if plan.mode == ResponseMode::Buffer {
            // Hold the headers: status and length are known once the body is translated.
            self.response_headers = headers;
            Action::Pause
        } else {
            Action::Continue
        }
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        let Some(exchange) = self.exchange.as_mut() else { return Action::Continue };
        match self.response_mode {
            ResponseMode::Passthrough => return Action::Continue,
            ResponseMode::Buffer if !end_of_stream => return Action::Pause,
            ResponseMode::Buffer => {
                let body = host::buffer(BufferType::HttpResponseBody, body_size);
                let plan = exchange.response_body(&body);
                let mut headers = std::mem::take(&mut self.response_headers);
                apply_response_edits(&mut headers, &plan.edits);
                if let Some(new_body) = plan.body {
                    host::replace_buffer(BufferType::HttpResponseBody, body_size, &new_body);
                }
                return Action::Continue;
            }
            ResponseMode::Stream => {}
        }
        let chunk = host::buffer(BufferType::HttpResponseBody, body_size);
        let mut out = Vec::with_capacity(chunk.len() + 64);
        exchange.response_chunk(&chunk, end_of_stream, &mut out);
        // Writing into the host costs a copy across the VM boundary: skip it when nothing changed.
        if out != chunk {
            host::replace_buffer(BufferType::HttpResponseBody, body_size, &out);
        }
        Action::Continue
    }
}
