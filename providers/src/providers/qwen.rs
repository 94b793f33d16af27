//! Qwen on Alibaba Cloud Model Studio / DashScope (https://help.aliyun.com/zh/model-studio/),
//! `dashscope.aliyuncs.com` (`qwenDomain`, e.g. `dashscope-intl.aliyuncs.com`), Bearer token.
//!
//! By default the native protocol: chat → `text-generation` / `multimodal-generation`,
//! embeddings → `text-embedding`, `/v1/rerank` → `text-rerank`, all translated.
//! `qwenEnableCompatible: true` uses DashScope's OpenAI-compatible endpoints under
//! `/compatible-mode/v1` instead (bodies pass through with the model mapped).

use super::spec::{Auth, Endpoint, PathRule, ProviderSpec};
use crate::api::ApiKind::{self, *};
use crate::config::fields::{ConfigErrors, Fields};
use crate::dialect::Dialect;

/// APIs of the native protocol.
const NATIVE_APIS: &[ApiKind] = &[ChatCompletions, Embeddings, Rerank];
/// APIs of the OpenAI-compatible mode.
const COMPATIBLE_APIS: &[ApiKind] = &[ChatCompletions, Completions, Embeddings, Models, Files, Batches, Responses];

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "qwen",
    base_url: "dashscope.aliyuncs.com",
    auth: Auth::Bearer,
    dialect: Dialect::DashScope,
    apis: NATIVE_APIS,
    // Used in compatible mode (DashScope's compatible endpoints accept it).
    stream_usage: true,
    fields: &["qwenEnableCompatible", "qwenDomain", "qwenEnableSearch", "qwenFileIds"],
    configure: Some(configure),
    // Documents Anthropic-style `cache_control` on chat content parts (prompt caching).
    cache_control: true,
    ..ProviderSpec::BASE
};

fn configure(f: &mut Fields, errs: &mut ConfigErrors, ep: &mut Endpoint) {
    if let Some(domain) = super::host_field(f, errs, "qwenDomain") {
        ep.host = Some(domain);
    }
    ep.options.qwen.enable_search = f.bool("qwenEnableSearch", errs).unwrap_or(false);
    let file_ids = f.string_list("qwenFileIds", errs).unwrap_or_default();
    if file_ids.iter().any(|id| id.trim().is_empty() || id.contains([',', ' '])) {
        errs.push(&f.child("qwenFileIds"), "must be DashScope file ids (no empty ids, commas or spaces)");
    }
    if !file_ids.is_empty() && f.has("context") {
        errs.push(&f.child("qwenFileIds"), "cannot be combined with `context`");
    }
    ep.options.qwen.file_ids = file_ids;
    if f.bool("qwenEnableCompatible", errs) == Some(true) {
        ep.dialect = Some(Dialect::OpenAi);
        ep.apis = Some(COMPATIBLE_APIS);
        ep.path = PathRule::Base("/compatible-mode/v1".into());
        if !ep.options.qwen.file_ids.is_empty() {
            errs.push(&f.child("qwenFileIds"), "works with the native protocol only (not with qwenEnableCompatible)");
        }
    } else {
        ep.path = PathRule::DashScope;
    }
}
