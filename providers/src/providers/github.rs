//! GitHub Models (https://docs.github.com/en/rest/models/inference): OpenAI-style inference at `https://models.github.ai/inference`, a GitHub token as Bearer.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "github",
    base_url: "models.github.ai/inference",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Embeddings],
    stream_usage: false,
    token_required: true,
    fields: &[],
    configure: None,
    ..ProviderSpec::BASE
};
