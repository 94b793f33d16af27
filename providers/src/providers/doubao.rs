//! Volcengine Ark / Doubao (https://www.volcengine.com/docs/82379): OpenAI-compatible at
//! `https://ark.cn-beijing.volces.com/api/v3`; `doubaoDomain` selects another region.
//! Models are usually endpoint ids (`ep-...`), so a `modelMapping` of `*` is common.

use super::spec::{Auth, Endpoint, ProviderSpec};
use crate::api::ApiKind::*;
use crate::config::fields::{ConfigErrors, Fields};
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "doubao",
    base_url: "ark.cn-beijing.volces.com/api/v3",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Embeddings, ImageGenerations, Responses],
    stream_usage: false,
    token_required: true,
    fields: &["doubaoDomain"],
    configure: Some(configure),
    ..ProviderSpec::BASE
};

fn configure(f: &mut Fields, errs: &mut ConfigErrors, ep: &mut Endpoint) {
    if let Some(host) = super::host_field(f, errs, "doubaoDomain") {
        ep.host = Some(host);
    }
}
