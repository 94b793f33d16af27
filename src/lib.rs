//! proxy-wasm glue for ai-proxy. Everything that decides anything lives in the `providers`
//! crate; this layer only reads what the host offers, calls the core, and applies the plans it
//! returns. Host calls go through `host`, whose wrappers never panic.

// Natively the glue is only type-checked: the entry point exists on wasm32 alone.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod host;
mod http;
mod root;

#[cfg(target_arch = "wasm32")]
proxy_wasm::main! {{
    proxy_wasm::set_log_level(proxy_wasm::types::LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn proxy_wasm::traits::RootContext> {
        Box::new(root::Root::new())
    });
}}
