//! Anthropic Messages (https://docs.anthropic.com/en/api/messages), both directions:
//! - `to_messages` / `from_messages` / `messages_stream`: an OpenAI chat client in front of
//!   `type: claude` (OpenAI chat → Messages request; Messages response, stream and errors →
//!   OpenAI);
//! - `inbound`: an Anthropic client (`/v1/messages`) in front of an OpenAI-wire provider
//!   (Messages → chat request; chat response, stream and errors → Messages).

#[cfg(feature = "anthropic")]
pub mod from_messages;
#[cfg(feature = "anthropic")]
pub mod inbound;
#[cfg(feature = "anthropic")]
pub mod messages_stream;
#[cfg(feature = "anthropic")]
pub mod to_messages;

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
    use super::{from_messages, messages_stream, to_messages, Chat, DEFAULT_MAX_TOKENS};
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
            let opts = to_messages::RequestOptions { default_max_tokens: DEFAULT_MAX_TOKENS };
            to_messages::translate_request(view, model, &opts)
        }
        fn response(&self, body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
            from_messages::translate_response(body, ctx)
        }
        fn error(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
            from_messages::translate_error(status, body)
        }
        fn stream(&self, ctx: TranslateCtx) -> Option<Box<dyn StreamTranslator>> {
            Some(Box::new(messages_stream::MessagesToChatStream::new(ctx)))
        }
    }
}
