//! Any OpenAI-compatible server: `genericHost` (optional) replaces the host, the client's path
//! is kept, and a Bearer token is added when `apiTokens` are configured.

use super::spec::{Auth, Endpoint, PathRule, ProviderSpec};
use crate::api::ApiKind::*;
use crate::config::fields::{ConfigErrors, Fields};
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "generic",
    base_url: "",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    // Every OpenAI API, and rerank (vLLM, Jina, TEI and other compatible servers).
    apis: &[
        ChatCompletions,
        Completions,
        Embeddings,
        Models,
        ImageGenerations,
        ImageEdits,
        ImageVariations,
        AudioSpeech,
        AudioTranscriptions,
        AudioTranslations,
        Moderations,
        Responses,
        Files,
        Batches,
        FineTuning,
        Rerank,
    ],
    // Unknown servers may reject `stream_options` (old vLLM did); clients can still send it.
    stream_usage: false,
    token_required: false,
    fields: &["genericHost"],
    configure: Some(configure),
    ..ProviderSpec::BASE
};

fn configure(f: &mut Fields, errs: &mut ConfigErrors, ep: &mut Endpoint) {
    ep.path = PathRule::Keep;
    if let Some(host) = super::host_field(f, errs, "genericHost") {
        ep.host = Some(host);
    }
}
