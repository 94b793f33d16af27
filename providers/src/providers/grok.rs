//! xAI Grok (https://docs.x.ai/docs/api-reference): OpenAI-compatible at `https://api.x.ai/v1`.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "grok",
    base_url: "api.x.ai/v1",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Completions, Models, ImageGenerations, ImageEdits, Responses, Files, Batches],
    stream_usage: false,
    token_required: true,
    fields: &[],
    configure: None,
    ..ProviderSpec::BASE
};
