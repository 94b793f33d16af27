//! Groq (https://console.groq.com/docs/api-reference): OpenAI-compatible at `https://api.groq.com/openai/v1`.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "groq",
    base_url: "api.groq.com/openai/v1",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Models, AudioSpeech, AudioTranscriptions, AudioTranslations, Responses, Files, Batches],
    stream_usage: true,
    token_required: true,
    fields: &[],
    configure: None,
    ..ProviderSpec::BASE
};
