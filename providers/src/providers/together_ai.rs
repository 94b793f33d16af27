//! Together AI (https://docs.together.ai/reference): OpenAI-compatible at `https://api.together.xyz/v1`.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "together-ai",
    base_url: "api.together.xyz/v1",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[
        ChatCompletions,
        Completions,
        Embeddings,
        Models,
        ImageGenerations,
        AudioSpeech,
        AudioTranscriptions,
        Rerank,
        Files,
        FineTuning,
    ],
    stream_usage: false,
    token_required: true,
    fields: &[],
    configure: None,
    ..ProviderSpec::BASE
};
