//! Fireworks AI (https://docs.fireworks.ai/tools-sdks/openai-compatibility): OpenAI-compatible at
//! `https://api.fireworks.ai/inference/v1`. Usage always arrives in the last stream chunk.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "fireworks",
    base_url: "api.fireworks.ai/inference/v1",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Completions, Embeddings, Models],
    stream_usage: false,
    token_required: true,
    fields: &[],
    configure: None,
    ..ProviderSpec::BASE
};
