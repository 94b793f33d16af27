//! Anthropic Claude (https://docs.anthropic.com/en/api/messages): `https://api.anthropic.com/v1`,
//! `x-api-key` and `anthropic-version` (`claudeVersion`, default `2023-06-01`). OpenAI chat
//! requests are translated to Messages; Anthropic clients' `/v1/messages` go through natively.

use super::spec::{Auth, Endpoint, ProviderSpec};
use crate::api::ApiKind::*;
use crate::config::fields::{ConfigErrors, Fields};
use crate::dialect::anthropic::DEFAULT_VERSION;
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "claude",
    base_url: "api.anthropic.com/v1",
    auth: Auth::Header("x-api-key"),
    dialect: Dialect::Anthropic,
    apis: &[ChatCompletions, Messages, CountTokens, Models],
    stream_usage: false,
    token_required: true,
    fields: &["claudeVersion", "apiVersion"],
    configure: Some(configure),
    ..ProviderSpec::BASE
};

fn configure(f: &mut Fields, errs: &mut ConfigErrors, ep: &mut Endpoint) {
    // Higress reads both keys into one field; `claudeVersion` wins.
    let api_version = f.string("apiVersion", errs);
    let version = f.string("claudeVersion", errs).or(api_version).unwrap_or_else(|| DEFAULT_VERSION.to_string());
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        errs.push(&f.child("claudeVersion"), "must be an Anthropic API version such as 2023-06-01");
        return;
    }
    ep.headers.push(("anthropic-version", version));
}
