//! Zhipu AI / BigModel GLM (https://docs.bigmodel.cn/api-reference): OpenAI-style API at
//! `https://open.bigmodel.cn/api/paas/v4` (international: `zhipuDomain: api.z.ai`).
//! `zhipuCodePlanMode: true` uses the GLM Coding Plan endpoint `/api/coding/paas/v4`.

use super::spec::{Auth, Endpoint, PathRule, ProviderSpec};
use crate::api::ApiKind::*;
use crate::config::fields::{ConfigErrors, Fields};
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "zhipuai",
    base_url: "open.bigmodel.cn/api/paas/v4",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Embeddings, ImageGenerations],
    stream_usage: true,
    token_required: true,
    fields: &["zhipuDomain", "zhipuCodePlanMode"],
    configure: Some(configure),
    ..ProviderSpec::BASE
};

fn configure(f: &mut Fields, errs: &mut ConfigErrors, ep: &mut Endpoint) {
    if let Some(host) = super::host_field(f, errs, "zhipuDomain") {
        ep.host = Some(host);
    }
    if f.bool("zhipuCodePlanMode", errs) == Some(true) {
        ep.path = PathRule::Base("/api/coding/paas/v4".into());
    }
}
