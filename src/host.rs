//! The glue's host calls. None of them can panic: they go through `abi` (our own imports of
//! the proxy-wasm ABI, every status returned) and `wire` (the ABI's byte formats, decoded
//! without trusting the input), and a failure is logged and handled by the caller.
//!
//! # What the glue uses of the proxy-wasm SDK (0.2.5), and why each cannot panic
//!
//! The SDK's `hostcalls` functions `panic!` on every status they do not expect, and its
//! decoders `unwrap` UTF-8 conversions of header names and values (one Latin-1 byte in a
//! header killed the VM). Its trait helpers (`get_http_request_header`, `set_http_response_body`,
//! `get_current_time`, ...) call those. So the glue uses only what runs no host call itself:
//!
//! - `proxy_wasm::main!`: the `_initialize` export; runs the constructors and our block.
//! - `proxy_wasm::set_root_context`: stores our constructor in the dispatcher.
//! - `proxy_wasm::traits::{Context, RootContext, HttpContext}`: implemented for their
//!   callbacks only; no default helper method is called (the audit test below rejects one).
//! - `proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType}`: plain enums.
//! - Linked in, not called: the dispatcher behind the `proxy_on_*` exports, which panics only
//!   when the host breaks the ABI (an unknown or duplicate context id; a root context without
//!   an HTTP context, and ours always makes one), plus `unwrap`s of `set_effective_context`
//!   in the callbacks of calls the module dispatches (it dispatches none); and the exported
//!   allocator `proxy_on_memory_allocate` (an allocation: out of memory aborts, as anywhere).
//!
//! Replaced: every `hostcalls::*` function the glue needed → `abi` (status returned, maps read
//! as bytes by `wire::decode_map`); `proxy_wasm::set_log_level` (its logger unwraps every
//! `proxy_log` status, and its panic hook unwraps too) → `crate::logger`.

mod abi;
pub mod wire;

use providers::HeaderMap;
use proxy_wasm::types::{BufferType, LogLevel, MapType};

pub use abi::HostStatus;

fn header_map(map: MapType) -> Result<HeaderMap, HostStatus> {
    let raw = abi::header_map_pairs(map)?;
    // A map the host serialised wrongly is a failed call (status 3: SerializationFailure).
    let spans = wire::decode_map(&raw).ok_or(HostStatus(3))?;
    HeaderMap::from_spans(raw, spans).ok_or(HostStatus(3))
}

/// All request headers in one host call (lower-case names, values as bytes).
pub fn request_headers() -> Result<HeaderMap, HostStatus> {
    header_map(MapType::HttpRequestHeaders)
}

/// All response headers in one host call (lower-case names, values as bytes).
pub fn response_headers() -> Result<HeaderMap, HostStatus> {
    header_map(MapType::HttpResponseHeaders)
}

/// Sets (`Some`) or removes (`None`) a header; a failure is logged and returned.
pub fn set_header(map: MapType, name: &str, value: Option<&str>) -> Result<(), HostStatus> {
    let result = match value {
        Some(v) => abi::replace_header(map, name.as_bytes(), v.as_bytes()),
        None => abi::remove_header(map, name.as_bytes()),
    };
    if let Err(status) = result {
        log::warn!("ai-proxy: could not change header {name} ({map:?}): host status {}", status.0);
    }
    result
}

/// The first `size` bytes of a body buffer (empty when the host has none).
pub fn buffer(kind: BufferType, size: usize) -> Vec<u8> {
    abi::buffer_bytes(kind, 0, size).unwrap_or_else(|status| {
        log::warn!("ai-proxy: could not read {kind:?}: host status {}", status.0);
        Vec::new()
    })
}

/// Replaces the first `size` bytes of a body buffer with `data`.
pub fn replace_buffer(kind: BufferType, size: usize, data: &[u8]) -> bool {
    match abi::set_buffer_bytes(kind, 0, size, data) {
        Ok(()) => true,
        Err(status) => {
            log::error!("ai-proxy: could not replace {kind:?}: host status {}", status.0);
            false
        }
    }
}

/// Unix seconds from the host clock (0 if the host cannot tell).
pub fn now_secs() -> u64 {
    abi::current_time_nanos().map_or(0, |nanos| nanos / 1_000_000_000)
}

/// A property as text; absent, unreadable or not UTF-8: `None`.
pub fn property(path: &[&str]) -> Option<String> {
    let bytes = abi::property(&wire::property_path(path)).ok().flatten()?;
    String::from_utf8(bytes).ok()
}

pub fn plugin_configuration() -> Vec<u8> {
    buffer(BufferType::PluginConfiguration, usize::MAX)
}

/// Sends a local reply; the request never reaches the upstream.
pub fn send_reply(status: u16, content_type: &str, body: &[u8]) {
    let headers = wire::encode_map(&[("content-type", content_type)]);
    if let Err(s) = abi::send_local_response(u32::from(status), &headers, body) {
        log::error!("ai-proxy: could not send local reply: host status {}", s.0);
    }
}

/// One log line; a host that refuses it is ignored (there is nowhere else to say so).
pub fn log(level: LogLevel, message: &str) {
    let _ = abi::log(level, message);
}

/// The host's log level for this plugin (proxy-wasm numbering, 0 = trace).
pub fn log_level() -> Option<u32> {
    abi::log_level().ok()
}

#[cfg(test)]
mod audit;
