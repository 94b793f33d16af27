//! Moonshot AI / Kimi (https://platform.moonshot.cn/docs): OpenAI-compatible at `https://api.moonshot.cn/v1`.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "moonshot",
    base_url: "api.moonshot.cn/v1",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Models, Files],
    stream_usage: true,
    token_required: true,
    fields: &[],
    configure: None,
    ..ProviderSpec::BASE
};
