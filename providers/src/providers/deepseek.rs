//! DeepSeek (https://api-docs.deepseek.com): OpenAI-compatible at `https://api.deepseek.com`.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "deepseek",
    base_url: "api.deepseek.com",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Completions, Models],
    stream_usage: true,
    token_required: true,
    fields: &[],
    configure: None,
    // DeepSeek rejects the `developer` role (Codex and other Responses clients send it), and in
    // thinking mode an assistant tool-call turn without its `reasoning_content`.
    developer_role: false,
    reasoning_echo: true,
    ..ProviderSpec::BASE
};
