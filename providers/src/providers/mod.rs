//! The provider registry: one line per provider type. Each file holds that provider's
//! `SPEC` (data) and, where it has its own config fields, a `configure` hook.

pub mod spec;

mod ai360;
mod azure;
mod baichuan;
mod baidu;
mod claude;
mod cloudflare;
mod deepseek;
mod doubao;
mod fireworks;
mod gemini;
mod generic;
mod github;
mod grok;
mod groq;
mod mistral;
mod moonshot;
mod ollama;
mod openai;
mod openrouter;
mod qwen;
mod stepfun;
mod together_ai;
mod yi;
mod zhipuai;

pub use spec::{Auth, Endpoint, PathCtx, PathRule, ProviderSpec};

use crate::config::fields::{ConfigErrors, Fields};

/// Every provider type the configuration accepts.
pub static REGISTRY: &[&ProviderSpec] = &[
    &openai::SPEC,
    &azure::SPEC,
    &deepseek::SPEC,
    &moonshot::SPEC,
    &groq::SPEC,
    &grok::SPEC,
    &mistral::SPEC,
    &yi::SPEC,
    &baichuan::SPEC,
    &stepfun::SPEC,
    &ai360::SPEC,
    &zhipuai::SPEC,
    &doubao::SPEC,
    &baidu::SPEC,
    &ollama::SPEC,
    &cloudflare::SPEC,
    &github::SPEC,
    &openrouter::SPEC,
    &fireworks::SPEC,
    &together_ai::SPEC,
    &generic::SPEC,
    &claude::SPEC,
    &gemini::SPEC,
    &qwen::SPEC,
];

pub fn find(name: &str) -> Option<&'static ProviderSpec> {
    REGISTRY.iter().copied().find(|s| s.name == name)
}

/// Reads an optional `host[:port]` field (no scheme, no path).
pub(crate) fn host_field(f: &mut Fields, errs: &mut ConfigErrors, key: &str) -> Option<String> {
    let host = f.string(key, errs)?;
    if valid_host(&host) {
        Some(host)
    } else {
        errs.push(&f.child(key), "must be host[:port] without scheme or path");
        None
    }
}

/// `host` or `host:port`, nothing else.
pub(crate) fn valid_host(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_fields_do_not_collide() {
        let mut names: Vec<_> = REGISTRY.iter().map(|s| s.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
        for s in REGISTRY {
            assert!(!s.apis.is_empty(), "{}", s.name);
            assert_eq!(s.fields.is_empty(), s.configure.is_none(), "{}", s.name);
        }
    }
}
