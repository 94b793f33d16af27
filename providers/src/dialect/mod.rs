//! Wire protocols. A provider speaks one dialect; the dialect decides how a request body is
//! built, where `customSettings` land, and how responses and streams come back.

use crate::api::ApiKind;
use crate::config::ProviderConfig;
use crate::error::ProxyError;
use crate::json::ObjectView;

pub mod anthropic;
pub mod dashscope;
pub mod embeddings;
pub mod gemini;
pub mod openai;

/// The wire protocol a provider speaks upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAI chat completions and friends: bodies pass through with byte-level edits.
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
    /// Google Gemini `generateContent`.
    Gemini,
    /// Alibaba DashScope native API (Qwen).
    DashScope,
}

/// Dialect settings that come from a provider's own configuration fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialectOptions {
    pub gemini: gemini::GeminiOptions,
    pub qwen: dashscope::QwenOptions,
}

/// A translated request body and what the rest of the exchange needs to know about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translated {
    pub body: Vec<u8>,
    pub stream: bool,
    /// The client asked for `stream_options.include_usage`.
    pub include_usage: bool,
    /// DashScope: the request goes to the multimodal-generation endpoint.
    pub multimodal: bool,
    /// Embeddings: the client asked for `encoding_format: base64`.
    pub base64: bool,
    /// Chat function names that stand for other tools of the client's protocol.
    pub tool_names: ToolNames,
}

/// Chat function names that stand for something else in the client's protocol (Responses: a
/// namespaced or a custom tool), so that the answer names each call as the client knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolNames {
    /// Tool namespaces, flattened into functions named `{namespace}__{name}`.
    pub namespaces: Vec<String>,
    /// Custom (free-form input) tools, sent as functions with one string member `input`.
    pub custom: Vec<String>,
}

/// One API of a provider wire protocol, translated to and from the OpenAI form of that API:
/// the egress half of the hub (the client's protocol is the ingress half, `crate::ingress`).
/// One static value per (dialect, API), registered in `translator`.
pub trait Translator: Sync + std::fmt::Debug {
    /// The API called upstream and its resource path (for `PathRule::Base` providers).
    fn upstream(&self, api: ApiKind) -> (ApiKind, &'static str) {
        (api, "")
    }
    /// The upstream body from an OpenAI request body, for the mapped `model`.
    fn request(&self, view: &ObjectView<'_>, model: &str, p: &ProviderConfig) -> Result<Translated, ProxyError>;
    /// A 2xx upstream body as the OpenAI answer.
    fn response(&self, body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError>;
    /// An upstream error body as an OpenAI error: (status, body).
    fn error(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>);
    /// The upstream stream as OpenAI chunks; `None`: this API does not stream (its answer is
    /// buffered and translated whatever its content type).
    fn stream(&self, _ctx: TranslateCtx) -> Option<Box<dyn StreamTranslator>> {
        None
    }
    /// `customSettings` apply: they are generation parameters (chat), not embeddings'.
    fn takes_settings(&self) -> bool {
        true
    }
    /// A query parameter the upstream needs to stream (Gemini's `alt=sse`).
    fn stream_query(&self) -> Option<&'static str> {
        None
    }
    /// A header the upstream needs to stream (DashScope's `x-dashscope-sse: enable`).
    fn stream_header(&self) -> Option<(&'static str, &'static str)> {
        None
    }
    /// Whether an upstream answer of this content type is this API's stream framing. SSE for
    /// every wire so far; a binary framing (Bedrock's `application/vnd.amazon.eventstream`)
    /// overrides this and decodes its frames in its `StreamTranslator`.
    fn streams(&self, content_type: &str) -> bool {
        is_event_stream(content_type)
    }
}

/// `text/event-stream`, whatever the case, leading space or parameters.
pub fn is_event_stream(content_type: &str) -> bool {
    let want = b"text/event-stream";
    content_type.trim_start().as_bytes().get(..want.len()).is_some_and(|ct| ct.eq_ignore_ascii_case(want))
}

/// The registry of translators: the only place that knows which (dialect, API) pairs this
/// build can translate. The OpenAI wire has none: its bodies get byte-level edits.
pub fn translator(dialect: Dialect, api: ApiKind) -> Option<&'static dyn Translator> {
    match (dialect, api) {
        #[cfg(feature = "anthropic")]
        (Dialect::Anthropic, ApiKind::ChatCompletions) => Some(&anthropic::CHAT),
        #[cfg(feature = "gemini")]
        (Dialect::Gemini, ApiKind::ChatCompletions) => Some(&gemini::CHAT),
        #[cfg(feature = "gemini")]
        (Dialect::Gemini, ApiKind::Embeddings) => Some(&gemini::EMBEDDINGS),
        #[cfg(feature = "gemini")]
        (Dialect::Gemini, ApiKind::CountTokens) => Some(&gemini::COUNT_TOKENS),
        #[cfg(feature = "dashscope")]
        (Dialect::DashScope, ApiKind::ChatCompletions) => Some(&dashscope::CHAT),
        #[cfg(feature = "dashscope")]
        (Dialect::DashScope, ApiKind::Embeddings) => Some(&dashscope::EMBEDDINGS),
        #[cfg(feature = "dashscope")]
        (Dialect::DashScope, ApiKind::Rerank) => Some(&dashscope::RERANK),
        _ => None,
    }
}

impl Dialect {
    /// The cargo feature that builds this dialect's translator, when this build left it out.
    pub fn missing_feature(self) -> Option<&'static str> {
        match self {
            Dialect::OpenAi => None,
            Dialect::Anthropic => (!cfg!(feature = "anthropic")).then_some("anthropic"),
            Dialect::Gemini => (!cfg!(feature = "gemini")).then_some("gemini"),
            Dialect::DashScope => (!cfg!(feature = "dashscope")).then_some("dashscope"),
        }
    }

    /// The dialect's name for a portable `customSettings` name (auto mode), or `None` when the
    /// dialect has no such parameter (the setting is then not applied).
    pub fn setting_name(self, portable: &str) -> Option<&'static str> {
        match (self, portable) {
            (Dialect::OpenAi, "max_tokens") => Some("max_tokens"),
            (Dialect::OpenAi, "temperature") => Some("temperature"),
            (Dialect::OpenAi, "top_p") => Some("top_p"),
            (Dialect::OpenAi, "seed") => Some("seed"),
            (Dialect::Anthropic, "max_tokens") => Some("max_tokens"),
            (Dialect::Anthropic, "temperature") => Some("temperature"),
            (Dialect::Anthropic, "top_p") => Some("top_p"),
            (Dialect::Anthropic, "top_k") => Some("top_k"),
            (Dialect::Gemini, "max_tokens") => Some("maxOutputTokens"),
            (Dialect::Gemini, "temperature") => Some("temperature"),
            (Dialect::Gemini, "top_p") => Some("topP"),
            (Dialect::Gemini, "top_k") => Some("topK"),
            (Dialect::Gemini, "seed") => Some("seed"),
            (Dialect::DashScope, "max_tokens") => Some("max_tokens"),
            (Dialect::DashScope, "temperature") => Some("temperature"),
            (Dialect::DashScope, "top_p") => Some("top_p"),
            (Dialect::DashScope, "top_k") => Some("top_k"),
            (Dialect::DashScope, "seed") => Some("seed"),
            _ => None,
        }
    }

    /// Where settings are injected in the upstream body (a path of object keys; empty = root).
    pub fn settings_root(self) -> &'static [&'static str] {
        match self {
            Dialect::OpenAi | Dialect::Anthropic => &[],
            // The translator writes `generationConfig`; settings join it there.
            Dialect::Gemini => &["generationConfig"],
            // DashScope native bodies carry their generation parameters under `parameters`.
            Dialect::DashScope => &["parameters"],
        }
    }
}

/// What a translator needs to know about the request it serves. Time and ids come in from
/// the glue so that translations are deterministic in tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranslateCtx {
    /// The model name the client should see in responses (the mapped upstream model).
    pub model: String,
    /// Unix seconds, for `created`.
    pub created: u64,
    /// A per-request random number, for ids the upstream does not provide.
    pub random: u64,
    /// The client asked for `stream_options.include_usage` (OpenAI ingress).
    pub include_usage: bool,
    /// Embeddings: answer with base64 vectors.
    pub base64: bool,
    /// See `Translated::tool_names`.
    pub tool_names: ToolNames,
}

/// A per-request, stateful stream translation: upstream SSE bytes in, client SSE bytes out.
/// Fed chunk by chunk whatever the boundaries; `finish` once at the end of the stream. The
/// output for a whole stream must not depend on how it was split.
pub trait StreamTranslator: std::fmt::Debug {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>);
    fn finish(&mut self, out: &mut Vec<u8>);
    /// The upstream's token counts so far, in OpenAI form (for `Exchange::outcome`); `None`
    /// until it reported any.
    fn usage(&self) -> Option<openai::UsageOut> {
        None
    }
}

/// The portable names auto-mode `customSettings` understand.
pub const PORTABLE_SETTINGS: &[&str] = &["max_tokens", "temperature", "top_p", "top_k", "seed"];
