//! Anthropic Messages (https://docs.anthropic.com/en/api/messages) as a provider wire: OpenAI
//! chat in front of `type: claude` (chat → Messages request; Messages response, stream and
//! errors → OpenAI). Anthropic *clients* are the ingress `crate::ingress::anthropic`.

#[cfg(feature = "anthropic")]
pub mod request;
#[cfg(feature = "anthropic")]
mod request_shapes;
#[cfg(feature = "anthropic")]
pub mod response;
#[cfg(feature = "anthropic")]
pub mod stream;

/// `anthropic-version` when `claudeVersion` is not configured.
pub const DEFAULT_VERSION: &str = "2023-06-01";

/// `max_tokens` sent to Anthropic when an OpenAI client gives none (Anthropic requires it).
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// OpenAI chat in front of `POST /v1/messages`.
#[cfg(feature = "anthropic")]
#[derive(Debug)]
pub struct Chat;

#[cfg(feature = "anthropic")]
pub static CHAT: Chat = Chat;

#[cfg(feature = "anthropic")]
mod chat {
    use super::{request, response, stream, Chat, DEFAULT_MAX_TOKENS};
    use crate::api::ApiKind;
    use crate::config::ProviderConfig;
    use crate::dialect::{StreamTranslator, TranslateCtx, Translated, Translator};
    use crate::error::ProxyError;
    use crate::json::ObjectView;

    impl Translator for Chat {
        fn upstream(&self, _api: ApiKind) -> (ApiKind, &'static str) {
            (ApiKind::Messages, "/messages")
        }
        fn request(&self, view: &ObjectView<'_>, model: &str, _p: &ProviderConfig) -> Result<Translated, ProxyError> {
            let opts = request::RequestOptions { default_max_tokens: DEFAULT_MAX_TOKENS };
            request::translate_request(view, model, &opts)
        }
        fn response(&self, body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
            response::translate_response(body, ctx)
        }
        fn error(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
            response::translate_error(status, body)
        }
        fn stream(&self, ctx: TranslateCtx) -> Option<Box<dyn StreamTranslator>> {
            Some(Box::new(stream::MessagesToChatStream::new(ctx)))
        }
    }
}
