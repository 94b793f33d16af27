//! Cloudflare Workers AI, OpenAI-compatible endpoints
//! (https://developers.cloudflare.com/workers-ai/configuration/open-ai-compatibility/):
//! `https://api.cloudflare.com/client/v4/accounts/{cloudflareAccountId}/ai/v1`.

use super::spec::{Auth, Endpoint, PathRule, ProviderSpec};
use crate::api::ApiKind::*;
use crate::config::fields::{ConfigErrors, Fields};
use crate::dialect::Dialect;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "cloudflare",
    base_url: "api.cloudflare.com",
    auth: Auth::Bearer,
    dialect: Dialect::OpenAi,
    apis: &[ChatCompletions, Embeddings],
    stream_usage: false,
    token_required: true,
    fields: &["cloudflareAccountId"],
    configure: Some(configure),
    ..ProviderSpec::BASE
};

fn configure(f: &mut Fields, errs: &mut ConfigErrors, ep: &mut Endpoint) {
    let Some(account) = f.required_string("cloudflareAccountId", errs) else { return };
    if !account.chars().all(|c| c.is_ascii_alphanumeric()) {
        errs.push(&f.child("cloudflareAccountId"), "must be the account id (letters and digits)");
        return;
    }
    ep.path = PathRule::Base(format!("/client/v4/accounts/{account}/ai/v1"));
}
