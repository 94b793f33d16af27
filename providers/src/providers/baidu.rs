//! Baidu Qianfan v2 (https://cloud.baidu.com/doc/qianfan-api): OpenAI-compatible at `https://qianfan.baidubce.com/v2` with a Bearer API key.

use super::spec::{Auth, ProviderSpec};
use crate::api::ApiKind::*;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "baidu",
    base_url: "qianfan.baidubce.com/v2",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Embeddings, ImageGenerations, Models],
    stream_usage: false,
    token_required: true,
    fields: &[],
    configure: None,
    ..ProviderSpec::BASE
};
