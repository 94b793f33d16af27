//! Google Gemini API (https://ai.google.dev/api): `generateContent`, `streamGenerateContent`
//! (`alt=sse`) and `batchEmbedContents`, translated to and from the OpenAI API.

#[cfg(feature = "gemini")]
pub mod count;
#[cfg(feature = "gemini")]
pub mod embeddings;
#[cfg(feature = "gemini")]
pub mod request;
#[cfg(feature = "gemini")]
pub mod response;
#[cfg(feature = "gemini")]
pub mod schema;
#[cfg(feature = "gemini")]
pub mod stream;

/// Configuration that shapes the translated request (read with the configuration, so that it
/// is checked even in a build without the translator).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeminiOptions {
    /// `geminiSafetySetting`: category → threshold, in configuration order.
    pub safety: Vec<(String, String)>,
    /// `geminiThinkingBudget`: a thinking budget used when the client asks for none.
    pub thinking_budget: Option<i64>,
}

/// API version when neither `geminiApiVersion` nor `apiVersion` is configured.
pub const DEFAULT_API_VERSION: &str = "v1beta";

/// OpenAI chat in front of `generateContent` / `streamGenerateContent?alt=sse`.
#[cfg(feature = "gemini")]
#[derive(Debug)]
pub struct Chat;

#[cfg(feature = "gemini")]
pub static CHAT: Chat = Chat;

/// A token count (Anthropic clients' `count_tokens`) in front of `countTokens`.
#[cfg(feature = "gemini")]
#[derive(Debug)]
pub struct CountTokens;

#[cfg(feature = "gemini")]
pub static COUNT_TOKENS: CountTokens = CountTokens;

/// OpenAI embeddings in front of `batchEmbedContents`.
#[cfg(feature = "gemini")]
#[derive(Debug)]
pub struct Embeddings;

#[cfg(feature = "gemini")]
pub static EMBEDDINGS: Embeddings = Embeddings;

#[cfg(feature = "gemini")]
mod translators {
    use super::{count, embeddings, request, response, stream, Chat, CountTokens, Embeddings};
    use crate::config::ProviderConfig;
    use crate::dialect::{StreamTranslator, TranslateCtx, Translated, Translator};
    use crate::error::ProxyError;
    use crate::json::ObjectView;

    impl Translator for Chat {
        fn request(&self, view: &ObjectView<'_>, _model: &str, p: &ProviderConfig) -> Result<Translated, ProxyError> {
            request::translate_request(view, &p.endpoint.options.gemini)
        }
        fn response(&self, body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
            response::translate_response(body, ctx)
        }
        fn error(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
            response::translate_error(status, body)
        }
        fn stream(&self, ctx: TranslateCtx) -> Option<Box<dyn StreamTranslator>> {
            Some(Box::new(stream::GeminiToChatStream::new(ctx)))
        }
        fn stream_query(&self) -> Option<&'static str> {
            Some("alt=sse")
        }
    }

    impl Translator for CountTokens {
        fn request(&self, view: &ObjectView<'_>, model: &str, p: &ProviderConfig) -> Result<Translated, ProxyError> {
            count::build_request(view, model, &p.endpoint.options.gemini)
        }
        fn response(&self, body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
            count::translate_response(body, ctx)
        }
        fn error(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
            response::translate_error(status, body)
        }
        fn takes_settings(&self) -> bool {
            false
        }
    }

    impl Translator for Embeddings {
        fn request(&self, view: &ObjectView<'_>, model: &str, _p: &ProviderConfig) -> Result<Translated, ProxyError> {
            embeddings::build(view, model)
        }
        fn response(&self, body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
            embeddings::translate_response_encoded(body, ctx, ctx.base64)
        }
        fn error(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
            response::translate_error(status, body)
        }
        fn takes_settings(&self) -> bool {
            false
        }
    }
}
