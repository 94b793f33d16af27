//! 01.AI Yi (https://platform.lingyiwanwu.com/docs): OpenAI-compatible at `https://api.lingyiwanwu.com/v1`.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "yi",
    base_url: "api.lingyiwanwu.com/v1",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Models],
    stream_usage: false,
    token_required: true,
    fields: &[],
    configure: None,
    ..ProviderSpec::BASE
};
