//! Google Gemini API (https://ai.google.dev/api) on `generativelanguage.googleapis.com`,
//! `x-goog-api-key`. OpenAI chat and embeddings are translated to `generateContent` /
//! `streamGenerateContent?alt=sse` / `batchEmbedContents`; the model goes in the path.

use super::spec::{Auth, Endpoint, PathRule, ProviderSpec};
use crate::api::ApiKind::*;
use crate::config::fields::{type_name, ConfigErrors, Fields};
use crate::dialect::gemini::DEFAULT_API_VERSION;
use crate::dialect::Dialect;
use serde_json::Value;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "gemini",
    base_url: "generativelanguage.googleapis.com",
    auth: Auth::Header("x-goog-api-key"),
    dialect: Dialect::Gemini,
    apis: &[ChatCompletions, Embeddings, CountTokens],
    stream_usage: false,
    token_required: true,
    fields: &["geminiApiVersion", "apiVersion", "geminiSafetySetting", "geminiThinkingBudget"],
    configure: Some(configure),
    ..ProviderSpec::BASE
};

fn configure(f: &mut Fields, errs: &mut ConfigErrors, ep: &mut Endpoint) {
    // Higress reads the version from `apiVersion`; `geminiApiVersion` says what it is.
    let alias = f.string("apiVersion", errs);
    let version = f.string("geminiApiVersion", errs).or(alias).unwrap_or_else(|| DEFAULT_API_VERSION.to_string());
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
        errs.push(&f.child("geminiApiVersion"), "must be an API version such as v1beta or v1");
    }
    ep.path = PathRule::Gemini(version);
    if let Some(map) = f.object("geminiSafetySetting", errs) {
        for (category, threshold) in map {
            match threshold {
                Value::String(t) => ep.options.gemini.safety.push((category.clone(), t.clone())),
                other => errs.push(
                    &format!("{}.{category}", f.child("geminiSafetySetting")),
                    format!("must be a threshold string such as BLOCK_ONLY_HIGH, got {}", type_name(other)),
                ),
            }
        }
    }
    if let Some(v) = f.raw("geminiThinkingBudget") {
        match v.as_i64() {
            Some(b) if b >= -1 => ep.options.gemini.thinking_budget = (b != 0).then_some(b),
            _ => errs.push(&f.child("geminiThinkingBudget"), "must be an integer (-1 for dynamic, 0 for off)"),
        }
    }
}
