//! proxy-wasm glue for ai-proxy. Everything that decides anything lives in the `providers`
//! crate; this layer only reads what the host offers, calls the core, and applies the plans it
//! returns. Host calls go through `host`, whose wrappers never panic (its module doc lists
//! what the glue uses of the proxy-wasm SDK, and why each use cannot panic).

// Natively the glue is only type-checked: the entry point exists on wasm32 alone.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod host;
mod http;
mod logger;
mod root;

#[cfg(target_arch = "wasm32")]
proxy_wasm::main! {{
    // Not `proxy_wasm::set_log_level`: the SDK's logger and panic hook unwrap host statuses.
    logger::init();
    proxy_wasm::set_root_context(|_| -> Box<dyn proxy_wasm::traits::RootContext> {
        Box::new(root::Root::new())
    });
}}
