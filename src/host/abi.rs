//! The proxy-wasm ABI 0.2.1 imports the glue calls, declared here rather than reached through
//! the SDK's `hostcalls`: those `panic!` on any status they do not expect (Envoy returns
//! `BadArgument`, `NotFound`, `InvalidMemoryAccess` in edge cases) and `unwrap` UTF-8
//! conversions of header bytes. Here every status is returned to the caller, and the only
//! unsafe code of the module is the FFI below.
#![allow(unsafe_code)]

use proxy_wasm::types::{BufferType, LogLevel, MapType};
use std::ptr::{null, null_mut};

/// A status other than `Ok` from the host (proxy-wasm `WasmResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostStatus(pub u32);

const OK: u32 = 0;
const NOT_FOUND: u32 = 1;

#[link(wasm_import_module = "env")]
extern "C" {
    fn proxy_log(level: u32, message_data: *const u8, message_size: usize) -> u32;
    fn proxy_get_log_level(return_level: *mut u32) -> u32;
    fn proxy_get_current_time_nanoseconds(return_time: *mut u64) -> u32;
    fn proxy_get_header_map_pairs(map_type: u32, return_data: *mut *mut u8, return_size: *mut usize) -> u32;
    fn proxy_replace_header_map_value(
        map_type: u32,
        key_data: *const u8,
        key_size: usize,
        value_data: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_remove_header_map_value(map_type: u32, key_data: *const u8, key_size: usize) -> u32;
    fn proxy_get_buffer_bytes(
        buffer_type: u32,
        start: usize,
        max_size: usize,
        return_data: *mut *mut u8,
        return_size: *mut usize,
    ) -> u32;
    fn proxy_set_buffer_bytes(
        buffer_type: u32,
        start: usize,
        size: usize,
        buffer_data: *const u8,
        buffer_size: usize,
    ) -> u32;
    fn proxy_get_property(
        path_data: *const u8,
        path_size: usize,
        return_data: *mut *mut u8,
        return_size: *mut usize,
    ) -> u32;
    #[allow(clippy::too_many_arguments)]
    fn proxy_send_local_response(
        status_code: u32,
        details_data: *const u8,
        details_size: usize,
        body_data: *const u8,
        body_size: usize,
        headers_data: *const u8,
        headers_size: usize,
        grpc_status: i32,
    ) -> u32;
}

fn status(code: u32) -> Result<(), HostStatus> {
    if code == OK {
        Ok(())
    } else {
        Err(HostStatus(code))
    }
}

/// Takes ownership of bytes the host returned through `return_data`/`return_size`.
///
/// The host allocates them with the module's exported `proxy_on_memory_allocate` (the SDK's:
/// a boxed `[u8]` of exactly `size` bytes), so they are freed as a `Vec<u8>` of that length
/// and capacity, as the SDK does.
fn take_returned(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() {
        return Vec::new();
    }
    // SAFETY: `data` is non-null and was allocated by our allocator for exactly `size` bytes,
    // which the host filled; nothing else owns it (the ABI hands it over to the module).
    unsafe { Vec::from_raw_parts(data, size, size) }
}

/// Calls a host function that returns bytes through a (data, size) out-pointer pair.
fn call_returning(call: impl FnOnce(*mut *mut u8, *mut usize) -> u32) -> Result<Vec<u8>, HostStatus> {
    let mut data: *mut u8 = null_mut();
    let mut size: usize = 0;
    let code = call(&mut data, &mut size);
    status(code)?;
    Ok(take_returned(data, size))
}

pub fn log(level: LogLevel, message: &str) -> Result<(), HostStatus> {
    // SAFETY: the pointer and length describe `message`, which outlives the call.
    status(unsafe { proxy_log(level as u32, message.as_ptr(), message.len()) })
}

pub fn log_level() -> Result<u32, HostStatus> {
    let mut level = 0u32;
    // SAFETY: `level` is a valid, writable u32 for the duration of the call.
    status(unsafe { proxy_get_log_level(&mut level) })?;
    Ok(level)
}

pub fn current_time_nanos() -> Result<u64, HostStatus> {
    let mut nanos = 0u64;
    // SAFETY: `nanos` is a valid, writable u64 for the duration of the call.
    status(unsafe { proxy_get_current_time_nanoseconds(&mut nanos) })?;
    Ok(nanos)
}

/// A header map in the ABI's serialised form (see `wire::decode_map`).
pub fn header_map_pairs(map: MapType) -> Result<Vec<u8>, HostStatus> {
    // SAFETY: both out-pointers are valid and writable; `call_returning` takes ownership.
    call_returning(|data, size| unsafe { proxy_get_header_map_pairs(map as u32, data, size) })
}

pub fn replace_header(map: MapType, name: &[u8], value: &[u8]) -> Result<(), HostStatus> {
    // SAFETY: both (pointer, length) pairs describe live slices for the duration of the call.
    status(unsafe {
        proxy_replace_header_map_value(map as u32, name.as_ptr(), name.len(), value.as_ptr(), value.len())
    })
}

pub fn remove_header(map: MapType, name: &[u8]) -> Result<(), HostStatus> {
    // SAFETY: the (pointer, length) pair describes a live slice for the duration of the call.
    status(unsafe { proxy_remove_header_map_value(map as u32, name.as_ptr(), name.len()) })
}

/// Up to `max_size` bytes of a buffer from `start`; an absent buffer is empty.
pub fn buffer_bytes(kind: BufferType, start: usize, max_size: usize) -> Result<Vec<u8>, HostStatus> {
    // SAFETY: both out-pointers are valid and writable; `call_returning` takes ownership.
    match call_returning(|data, size| unsafe { proxy_get_buffer_bytes(kind as u32, start, max_size, data, size) }) {
        Err(HostStatus(NOT_FOUND)) => Ok(Vec::new()),
        other => other,
    }
}

/// Replaces `size` bytes of a buffer at `start` with `data`.
pub fn set_buffer_bytes(kind: BufferType, start: usize, size: usize, data: &[u8]) -> Result<(), HostStatus> {
    // SAFETY: the (pointer, length) pair describes a live slice for the duration of the call.
    status(unsafe { proxy_set_buffer_bytes(kind as u32, start, size, data.as_ptr(), data.len()) })
}

/// A property by its serialised path (`wire::property_path`); `None` when the host has none.
pub fn property(path: &[u8]) -> Result<Option<Vec<u8>>, HostStatus> {
    // SAFETY: the path slice is live for the call; the out-pointers are valid and writable.
    match call_returning(|data, size| unsafe { proxy_get_property(path.as_ptr(), path.len(), data, size) }) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(HostStatus(NOT_FOUND)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A local reply; `headers` in the header map format (`wire::encode_map`). No gRPC status.
pub fn send_local_response(status_code: u32, headers: &[u8], body: &[u8]) -> Result<(), HostStatus> {
    // SAFETY: every (pointer, length) pair describes a live slice (or null and 0 for the
    // details, which Envoy then fills itself) for the duration of the call.
    status(unsafe {
        proxy_send_local_response(
            status_code,
            null(),
            0,
            body.as_ptr(),
            body.len(),
            headers.as_ptr(),
            headers.len(),
            -1,
        )
    })
}
