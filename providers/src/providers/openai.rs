//! OpenAI (https://platform.openai.com/docs/api-reference) at `https://api.openai.com/v1`.
//!
//! `openaiCustomUrl` points the provider at any OpenAI-compatible server:
//! `host/prefix` re-roots every API under `prefix` (`host/myai/v1` → `/myai/v1/chat/completions`);
//! a URL whose path already names an API (`.../chat/completions`) sends every request there.

use super::spec::{parse_url, Auth, Endpoint, PathRule, ProviderSpec, OPENAI_APIS};
use crate::config::fields::{ConfigErrors, Fields};
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "openai",
    base_url: "api.openai.com/v1",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: OPENAI_APIS,
    stream_usage: true,
    token_required: true,
    fields: &["openaiCustomUrl"],
    configure: Some(configure),
    ..ProviderSpec::BASE
};

/// Path endings that make `openaiCustomUrl` a full endpoint rather than a base.
const API_SUFFIXES: &[&str] = &[
    "/completions",
    "/embeddings",
    "/audio/speech",
    "/audio/transcriptions",
    "/audio/translations",
    "/images/generations",
    "/images/variations",
    "/images/edits",
    "/models",
    "/responses",
    "/moderations",
];

fn configure(f: &mut Fields, errs: &mut ConfigErrors, ep: &mut Endpoint) {
    let Some(url) = f.string("openaiCustomUrl", errs) else { return };
    let Some((host, path, query)) = parse_url(&url) else {
        errs.push(&f.child("openaiCustomUrl"), "is not a valid URL (expected [https://]host[/path])");
        return;
    };
    ep.host = Some(host);
    ep.query = query;
    let path = path.trim_end_matches('/').to_string();
    ep.path = if API_SUFFIXES.iter().any(|s| path.ends_with(s)) { PathRule::Fixed(path) } else { PathRule::Base(path) };
}
