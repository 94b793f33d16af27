//! Client protocols: the ingress half of the hub. OpenAI chat is the canonical form in the
//! middle; an ingress maps another client protocol's request to a chat request, and the chat
//! answer, stream and errors back to the client's shape. A provider dialect (`crate::dialect`)
//! then carries the chat request to its wire, so any client protocol reaches any provider;
//! where the provider speaks the client's protocol itself the exchange passes it through.

use crate::api::ApiKind;
use crate::dialect::{StreamTranslator, TranslateCtx, Translated};
use crate::error::ProxyError;
use crate::exchange::LocalReply;
use crate::json::ObjectView;

#[cfg(feature = "anthropic")]
pub mod anthropic;
pub mod chat;
pub mod chat_request;
#[cfg(feature = "responses")]
pub mod responses;

/// What the chat request an ingress builds goes to: what its next hop accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChatTarget {
    /// Ask for `stream_options.include_usage` (the upstream accepts it, or a translator reads it).
    pub stream_usage: bool,
    /// Keep Anthropic-style `cache_control` marks on content parts (the provider documents
    /// them, or a translator decides).
    pub cache_control: bool,
    /// Send earlier assistant turns' reasoning back as `reasoning_content`.
    pub reasoning_content: bool,
}

/// A client protocol other than OpenAI's, translated to and from OpenAI chat.
pub trait Ingress: Sync + std::fmt::Debug {
    /// The chat request for the client's request, for the mapped `model`.
    fn request(&self, view: &ObjectView<'_>, model: &str, target: ChatTarget) -> Result<Translated, ProxyError>;
    /// A chat completion as the client's answer.
    fn response(&self, chat: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError>;
    /// An OpenAI error body (an OpenAI-wire upstream's, or a dialect's translation of its
    /// provider's) as the client's: (status, body).
    fn error_from_openai(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>);
    /// One of the filter's own errors in the client's shape.
    fn error(&self, e: &ProxyError) -> Vec<u8>;
    /// Chat chunks (SSE) as the client's stream.
    fn stream(&self, ctx: TranslateCtx) -> Box<dyn StreamTranslator>;
    /// Request headers of the client's protocol that mean nothing to a translated upstream.
    fn protocol_headers(&self) -> &'static [&'static str] {
        &[]
    }
    /// The OpenAI-form API in the middle: chat, except for a token count (a chat completion
    /// carrying only `usage`), which only providers that count tokens can serve.
    fn middle(&self) -> ApiKind {
        ApiKind::ChatCompletions
    }
}

/// The registry of client protocols: the ingress for a client API, `None` for the OpenAI APIs
/// (the canonical form needs none) and for protocols this build leaves out.
pub fn for_api(api: ApiKind) -> Option<&'static dyn Ingress> {
    match api {
        #[cfg(feature = "anthropic")]
        ApiKind::Messages => Some(&anthropic::MESSAGES),
        #[cfg(feature = "anthropic")]
        ApiKind::CountTokens => Some(&anthropic::COUNT_TOKENS),
        #[cfg(feature = "responses")]
        ApiKind::Responses => Some(&responses::RESPONSES),
        _ => None,
    }
}

/// Why this build cannot serve a client protocol it left out (its cargo feature).
pub fn missing(api: ApiKind) -> Option<&'static str> {
    match api {
        ApiKind::Messages | ApiKind::CountTokens if !cfg!(feature = "anthropic") => {
            Some("this build of ai-proxy has no Anthropic Messages translator (cargo feature `anthropic`)")
        }
        ApiKind::Responses if !cfg!(feature = "responses") => {
            Some("this build of ai-proxy has no OpenAI Responses translator (cargo feature `responses`)")
        }
        _ => None,
    }
}

/// One of the filter's own errors as a local reply in the client's protocol.
pub fn reply(api: Option<ApiKind>, e: ProxyError) -> LocalReply {
    match api.and_then(for_api) {
        Some(ingress) => LocalReply { status: e.status, content_type: "application/json", body: ingress.error(&e) },
        None => e.into(),
    }
}
