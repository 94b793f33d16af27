//! What a provider *is*: data. Host, base path, auth scheme, the APIs it serves, its dialect;
//! plus an optional hook for providers whose config fields shape the endpoint.

use crate::api::ApiKind;
use crate::config::fields::{ConfigErrors, Fields};
use crate::dialect::{dashscope, Dialect, DialectOptions};
use crate::sign::SignerRef;

/// How the API token is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <token>`
    Bearer,
    /// `Authorization: <token>` (no scheme).
    RawAuthorization,
    /// `<header>: <token>`
    Header(&'static str),
    /// No credential (self-hosted servers).
    None,
}

/// A provider type, as registered in `providers::REGISTRY`.
pub struct ProviderSpec {
    /// The configuration `type`.
    pub name: &'static str,
    /// Default upstream host and base path of its OpenAI-style API (`api.groq.com/openai/v1`).
    /// Empty when the endpoint comes from configuration only.
    pub base_url: &'static str,
    pub auth: Auth,
    pub dialect: Dialect,
    /// The APIs this provider serves; others get 404 without reaching it.
    pub apis: &'static [ApiKind],
    /// Accepts `stream_options.include_usage` on streamed chat/completions.
    pub stream_usage: bool,
    /// At least one `apiTokens` entry is required.
    pub token_required: bool,
    /// Provider-specific config keys (read by `configure`).
    pub fields: &'static [&'static str],
    /// Reads the provider-specific fields and adjusts the endpoint.
    pub configure: Option<fn(&mut Fields, &mut ConfigErrors, &mut Endpoint)>,
    /// Documents Anthropic-style `cache_control` on OpenAI chat content parts (prompt caching),
    /// so an Anthropic client's marks are kept when its request is translated to chat.
    pub cache_control: bool,
    /// Accepts the `developer` role; `false`: it is sent as `system`.
    pub developer_role: bool,
    /// Wants an assistant turn's `reasoning_content` back in later requests (a translated
    /// client's thinking is sent there).
    pub reasoning_echo: bool,
}

impl ProviderSpec {
    /// The defaults a provider file fills in with `..ProviderSpec::BASE`.
    pub const BASE: ProviderSpec = ProviderSpec {
        name: "",
        base_url: "",
        auth: Auth::Bearer,
        dialect: Dialect::OpenAi,
        apis: &[],
        stream_usage: false,
        token_required: true,
        fields: &[],
        configure: None,
        cache_control: false,
        developer_role: true,
        reasoning_echo: false,
    };
}

/// Where requests go, after configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `:authority` to set; `None` keeps the client's.
    pub host: Option<String>,
    pub path: PathRule,
    /// Query parameters always added (Azure's `api-version=...`), without `?`.
    pub query: String,
    /// Headers set on every upstream request (`anthropic-version`).
    pub headers: Vec<(&'static str, String)>,
    /// Settings for the provider's dialect that come from its own fields.
    pub options: DialectOptions,
    /// A mode that speaks another dialect than the type's default (Qwen's compatible mode).
    pub dialect: Option<Dialect>,
    /// The APIs served in that mode, when they differ from the type's list.
    pub apis: Option<&'static [ApiKind]>,
    /// Signs each request (TC3, SigV4), with the keys from the provider's fields.
    pub signer: Option<SignerRef>,
}

/// How the upstream path is built from the API resource (the path after `/v1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathRule {
    /// `base + resource` (`/openai/v1` + `/chat/completions`).
    Base(String),
    /// Every request goes to exactly this path.
    Fixed(String),
    /// Azure OpenAI: `/openai/deployments/{deployment}/<resource>` for model-scoped APIs,
    /// `/openai/<resource>` for the others. `None`: the deployment is the mapped model.
    AzureDeployment(Option<String>),
    /// The client's path, unchanged.
    Keep,
    /// Gemini: `/{version}/models/{model}:{action}`; the model is in the path, not the body.
    Gemini(String),
    /// DashScope native: one path per API; chat picks text or multimodal generation from the body.
    DashScope,
}

/// What a path may depend on beyond the API: the body's model and shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct PathCtx<'a> {
    pub model: &'a str,
    pub stream: bool,
    /// DashScope: the request needs the multimodal-generation endpoint.
    pub multimodal: bool,
}

impl PathRule {
    /// Whether the path can only be known after reading the body's model.
    pub fn needs_model(&self, api: ApiKind) -> bool {
        match self {
            PathRule::AzureDeployment(None) => azure_deployment_scoped(api),
            PathRule::Gemini(_) => matches!(api, ApiKind::ChatCompletions | ApiKind::Embeddings | ApiKind::CountTokens),
            PathRule::DashScope => api == ApiKind::ChatCompletions,
            _ => false,
        }
    }

    /// The upstream path (without query) for an API resource. `stream` picks Gemini's
    /// streaming action.
    pub fn build(&self, api: ApiKind, resource: &str, client_path: &str, ctx: PathCtx<'_>) -> String {
        let PathCtx { model, stream, multimodal } = ctx;
        match self {
            PathRule::DashScope => match api {
                ApiKind::ChatCompletions if multimodal => dashscope::MULTIMODAL_GENERATION_PATH.into(),
                ApiKind::Embeddings => dashscope::EMBEDDING_PATH.into(),
                ApiKind::Rerank => dashscope::RERANK_PATH.into(),
                _ => dashscope::TEXT_GENERATION_PATH.into(),
            },
            PathRule::Gemini(version) => {
                let action = match (api, stream) {
                    (ApiKind::Embeddings, _) => "batchEmbedContents",
                    (ApiKind::CountTokens, _) => "countTokens",
                    (_, true) => "streamGenerateContent",
                    (_, false) => "generateContent",
                };
                // `tunedModels/x` keeps its collection; a bare name or `models/x` is a model.
                let name = if model.starts_with("tunedModels/") {
                    model.to_string()
                } else {
                    format!("models/{}", model.strip_prefix("models/").unwrap_or(model))
                };
                format!("/{version}/{name}:{action}")
            }
            PathRule::Base(base) => format!("{base}{resource}"),
            PathRule::Fixed(path) => path.clone(),
            PathRule::AzureDeployment(dep) if azure_deployment_scoped(api) => {
                let dep = dep.as_deref().unwrap_or(model);
                format!("/openai/deployments/{dep}{resource}")
            }
            PathRule::AzureDeployment(_) => format!("/openai{resource}"),
            PathRule::Keep => client_path.to_string(),
        }
    }
}

/// Azure APIs addressed through a deployment (the others live under `/openai/...`).
pub fn azure_deployment_scoped(api: ApiKind) -> bool {
    matches!(
        api,
        ApiKind::ChatCompletions
            | ApiKind::Completions
            | ApiKind::Embeddings
            | ApiKind::ImageGenerations
            | ApiKind::ImageEdits
            | ApiKind::ImageVariations
            | ApiKind::AudioSpeech
            | ApiKind::AudioTranscriptions
            | ApiKind::AudioTranslations
    )
}

impl ProviderSpec {
    /// The endpoint before provider-specific fields: host and base from `base_url`.
    pub fn default_endpoint(&self) -> Endpoint {
        let (host, base) = match self.base_url.split_once('/') {
            Some((h, b)) => (h, format!("/{b}")),
            None => (self.base_url, String::new()),
        };
        Endpoint {
            host: (!host.is_empty()).then(|| host.to_string()),
            path: PathRule::Base(base),
            query: String::new(),
            headers: Vec::new(),
            options: DialectOptions::default(),
            dialect: None,
            apis: None,
            signer: None,
        }
    }
}

/// Every OpenAI API except the foreign ones (Anthropic messages, rerank).
pub const OPENAI_APIS: &[ApiKind] = &[
    ApiKind::ChatCompletions,
    ApiKind::Completions,
    ApiKind::Embeddings,
    ApiKind::Models,
    ApiKind::ImageGenerations,
    ApiKind::ImageEdits,
    ApiKind::ImageVariations,
    ApiKind::AudioSpeech,
    ApiKind::AudioTranscriptions,
    ApiKind::AudioTranslations,
    ApiKind::Moderations,
    ApiKind::Responses,
    ApiKind::Files,
    ApiKind::Batches,
    ApiKind::FineTuning,
];

/// Splits `[scheme://]host[:port][/path][?query]` into host, path and query.
/// Returns `None` when there is no usable host.
pub fn parse_url(url: &str) -> Option<(String, String, String)> {
    let rest = url.trim();
    let rest = rest.strip_prefix("https://").or_else(|| rest.strip_prefix("http://")).unwrap_or(rest);
    if rest.contains("://") {
        return None;
    }
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, q.to_string()),
        None => (rest, String::new()),
    };
    let (host, path) = match before_query.find('/') {
        Some(i) => (before_query.get(..i)?, before_query.get(i..)?.to_string()),
        None => (before_query, String::new()),
    };
    let valid_host = !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
    if !valid_host || path.contains(char::is_whitespace) || query.contains(char::is_whitespace) {
        return None;
    }
    Some((host.to_string(), path, query))
}

impl std::fmt::Debug for ProviderSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSpec").field("name", &self.name).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_with_and_without_scheme() {
        assert_eq!(
            parse_url("https://x.openai.azure.com/openai/deployments/d?api-version=1"),
            Some(("x.openai.azure.com".into(), "/openai/deployments/d".into(), "api-version=1".into()))
        );
        assert_eq!(parse_url("example.com"), Some(("example.com".into(), "".into(), "".into())));
        assert_eq!(parse_url("h:8080/p"), Some(("h:8080".into(), "/p".into(), "".into())));
        assert_eq!(parse_url("https://"), None);
        assert_eq!(parse_url("ftp://x"), None);
        assert_eq!(parse_url("a b/c"), None);
    }

    #[test]
    fn azure_paths() {
        let r = PathRule::AzureDeployment(None);
        assert!(r.needs_model(ApiKind::ChatCompletions));
        assert!(!r.needs_model(ApiKind::Files));
        assert_eq!(
            r.build(
                ApiKind::ChatCompletions,
                "/chat/completions",
                "",
                PathCtx { model: "gpt-4o", ..Default::default() }
            ),
            "/openai/deployments/gpt-4o/chat/completions"
        );
        assert_eq!(r.build(ApiKind::Files, "/files/f1", "", PathCtx::default()), "/openai/files/f1");
    }

    #[test]
    fn gemini_paths() {
        let g = PathRule::Gemini("v1beta".into());
        assert!(g.needs_model(ApiKind::Embeddings) && !g.needs_model(ApiKind::Models));
        let chat = ApiKind::ChatCompletions;
        assert_eq!(
            g.build(chat, "", "", PathCtx { model: "gemini-2.5-flash", stream: true, ..Default::default() }),
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
        );
        assert_eq!(
            g.build(chat, "", "", PathCtx { model: "models/x", ..Default::default() }),
            "/v1beta/models/x:generateContent"
        );
        assert_eq!(
            g.build(ApiKind::Embeddings, "", "", PathCtx { model: "tunedModels/t", ..Default::default() }),
            "/v1beta/tunedModels/t:batchEmbedContents"
        );
    }
}
