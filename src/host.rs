//! Fallible wrappers over proxy-wasm host calls. The SDK's trait helpers `unwrap()` host
//! results, and a panic traps the VM for every request after it, so the glue uses these.

use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, MapType};

/// All request headers in one host call (lower-case names).
pub fn request_headers() -> Vec<(String, String)> {
    hostcalls::get_map(MapType::HttpRequestHeaders).unwrap_or_default()
}

/// All response headers in one host call (lower-case names).
pub fn response_headers() -> Vec<(String, String)> {
    hostcalls::get_map(MapType::HttpResponseHeaders).unwrap_or_default()
}

/// Sets (`Some`) or removes (`None`) a request header; failures are logged, not fatal.
pub fn set_request_header(name: &str, value: Option<&str>) {
    if let Err(status) = hostcalls::set_map_value(MapType::HttpRequestHeaders, name, value) {
        log::warn!("ai-proxy: could not change request header {name}: {status:?}");
    }
}

pub fn set_response_header(name: &str, value: Option<&str>) {
    if let Err(status) = hostcalls::set_map_value(MapType::HttpResponseHeaders, name, value) {
        log::warn!("ai-proxy: could not change response header {name}: {status:?}");
    }
}

pub fn buffer(kind: BufferType, size: usize) -> Vec<u8> {
    match hostcalls::get_buffer(kind, 0, size) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => Vec::new(),
        Err(status) => {
            log::warn!("ai-proxy: could not read {kind:?}: {status:?}");
            Vec::new()
        }
    }
}

/// Replaces the first `size` bytes of a body buffer with `data`.
pub fn replace_buffer(kind: BufferType, size: usize, data: &[u8]) -> bool {
    match hostcalls::set_buffer(kind, 0, size, data) {
        Ok(()) => true,
        Err(status) => {
            log::error!("ai-proxy: could not replace {kind:?}: {status:?}");
            false
        }
    }
}

/// Unix seconds from the host clock (0 if the host cannot tell).
pub fn now_secs() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

pub fn property(path: &[&str]) -> Option<String> {
    let bytes = hostcalls::get_property(path.to_vec()).ok().flatten()?;
    String::from_utf8(bytes).ok()
}

pub fn plugin_configuration() -> Vec<u8> {
    buffer(BufferType::PluginConfiguration, usize::MAX)
}

/// Sends a local reply; the request never reaches the upstream.
pub fn send_reply(status: u16, content_type: &str, body: &[u8]) {
    let headers = vec![("content-type", content_type)];
    if let Err(s) = hostcalls::send_http_response(u32::from(status), headers, Some(body)) {
        log::error!("ai-proxy: could not send local reply: {s:?}");
    }
}
