//! The root context: compiles the configuration once per `on_configure` and hands each
//! request context a shared reference to it.

use crate::host;
use crate::http::RequestContext;
use providers::Engine;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::ContextType;
use std::cell::Cell;
use std::rc::Rc;

pub struct Root {
    engine: Option<Rc<Engine>>,
    rng: Rc<Cell<u64>>,
}

impl Root {
    pub fn new() -> Self {
        let mut seed = [0u8; 8];
        // WASI random_get; a fixed fallback still spreads load, just predictably.
        if getrandom::fill(&mut seed).is_err() {
            log::warn!("ai-proxy: no random source; token choice is deterministic");
        }
        Root { engine: None, rng: Rc::new(Cell::new(u64::from_le_bytes(seed) | 1)) }
    }
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        crate::logger::sync_level();
        match Engine::compile(&host::plugin_configuration()) {
            Ok(engine) => {
                for w in &engine.warnings {
                    log::warn!("ai-proxy config: {w}");
                }
                log::info!(
                    "ai-proxy: configuration loaded ({} rule(s), global provider: {})",
                    engine.rules.len(),
                    engine.global.as_ref().map_or("none", |p| p.spec.name)
                );
                self.engine = Some(Rc::new(engine));
                true
            }
            Err(errors) => {
                for e in &errors.0 {
                    log::error!("ai-proxy config rejected: {e}");
                }
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(RequestContext::new(self.engine.clone(), self.rng.clone())))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
