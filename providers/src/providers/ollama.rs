//! Ollama's OpenAI compatibility (https://github.com/ollama/ollama/blob/main/docs/openai.md):
//! `http://{ollamaServerHost}:{ollamaServerPort}/v1`, no credential.

use super::spec::{Auth, Endpoint, ProviderSpec};
use crate::api::ApiKind::*;
use crate::config::fields::{ConfigErrors, Fields};
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "ollama",
    base_url: "/v1",
    auth: Auth::None,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Completions, Embeddings, Models],
    stream_usage: true,
    token_required: false,
    fields: &["ollamaServerHost", "ollamaServerPort"],
    configure: Some(configure),
    ..ProviderSpec::BASE
};

/// Ollama's default port.
const DEFAULT_PORT: u64 = 11434;

fn configure(f: &mut Fields, errs: &mut ConfigErrors, ep: &mut Endpoint) {
    let host = f.required_string("ollamaServerHost", errs);
    let port = f.u64("ollamaServerPort", errs).unwrap_or(DEFAULT_PORT);
    if port == 0 || port > 65535 {
        errs.push(&f.child("ollamaServerPort"), "must be a port number (1-65535)");
    }
    if let Some(host) = host {
        if host.contains(['/', ':', ' ']) {
            errs.push(&f.child("ollamaServerHost"), "must be a host name or IP address, without scheme, port or path");
        }
        ep.host = Some(format!("{host}:{port}"));
    }
}
