//! Does nothing on purpose: benchmarks compare Envoy + this module against Envoy + ai-proxy
//! to separate the cost of running any Wasm filter from the cost of ai-proxy's own work.
//!
//! With the plugin configuration `hold-body` it does the least a filter that must see the
//! request body can do: hold the headers, let Envoy buffer the body, read it once, continue.
//! That is the floor for ai-proxy, which needs the body's `model` before the request may go.
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(NoopRoot { hold_body: false }) });
}}

struct NoopRoot {
    hold_body: bool,
}
impl Context for NoopRoot {}
impl RootContext for NoopRoot {
    fn on_configure(&mut self, _: usize) -> bool {
        let config = proxy_wasm::hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX);
        self.hold_body = matches!(config, Ok(Some(c)) if c.trim_ascii() == b"hold-body");
        true
    }
    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
    fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(NoopHttp { hold_body: self.hold_body }))
    }
}

struct NoopHttp {
    hold_body: bool,
}
impl Context for NoopHttp {}
impl HttpContext for NoopHttp {
    fn on_http_request_headers(&mut self, _: usize, end_of_stream: bool) -> Action {
        if self.hold_body && !end_of_stream {
            Action::Pause
        } else {
            Action::Continue
        }
    }
    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if !self.hold_body {
            return Action::Continue;
        }
        if !end_of_stream {
            return Action::Pause;
        }
        let body = proxy_wasm::hostcalls::get_buffer(BufferType::HttpRequestBody, 0, body_size);
        std::hint::black_box(body.ok());
        Action::Continue
    }
}
