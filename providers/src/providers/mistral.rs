//! Mistral AI (https://docs.mistral.ai/api): OpenAI-style API at `https://api.mistral.ai/v1`.
//! Mistral validates strictly and answers 422 to `stream_options`, so it is never injected;
//! usage already arrives in the last chunk.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "mistral",
    base_url: "api.mistral.ai/v1",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Embeddings, Models, Moderations, Files],
    stream_usage: false,
    token_required: true,
    fields: &[],
    configure: None,
    ..ProviderSpec::BASE
};
