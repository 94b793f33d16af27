//! Test-only (tests/e2e/test_recovery.py): a proxy-wasm filter that traps when asked to, so the
//! suite can show what Envoy's `failure_policy` in the shipped configuration does after a trap.
//! ai-proxy itself has no way to trap on request; this crate is built by `make e2e` alone and
//! never shipped.
//!
//! - `x-trap: request` traps in the request headers callback;
//! - `x-trap: response` traps in the response headers callback (after the upstream answered);
//! - anything else passes, and the response gets `x-vm-id`: the time this VM started, in
//!   nanoseconds, so the test can tell a reloaded VM from the one that trapped.

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, MapType};
use std::time::UNIX_EPOCH;

proxy_wasm::main! {{
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root { vm_id: 0 }) });
}}

struct Root {
    vm_id: u128,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_vm_start(&mut self, _: usize) -> bool {
        self.vm_id = hostcalls::get_current_time()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(1, |d| d.as_nanos());
        true
    }
    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
    fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Http { vm_id: self.vm_id, trap_on_response: false }))
    }
}

struct Http {
    vm_id: u128,
    trap_on_response: bool,
}

impl Context for Http {}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
        match hostcalls::get_map_value_bytes(MapType::HttpRequestHeaders, "x-trap") {
            Ok(Some(v)) if v == b"request" => panic!("trap-filter: trap on request, as asked"),
            Ok(Some(v)) if v == b"response" => self.trap_on_response = true,
            _ => {}
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _: usize, _: bool) -> Action {
        if self.trap_on_response {
            panic!("trap-filter: trap on response, as asked");
        }
        let _ = hostcalls::set_map_value(MapType::HttpResponseHeaders, "x-vm-id", Some(&self.vm_id.to_string()));
        Action::Continue
    }
}
