//! OpenRouter (https://openrouter.ai/docs/api-reference): OpenAI-compatible at `https://openrouter.ai/api/v1`.
//! Usage is always included in streams, so `stream_options` is not injected.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "openrouter",
    base_url: "openrouter.ai/api/v1",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Completions, Models, Embeddings, Responses],
    stream_usage: false,
    // Documents Anthropic-style `cache_control` on chat content parts (prompt caching).
    cache_control: true,
    ..ProviderSpec::BASE
};
