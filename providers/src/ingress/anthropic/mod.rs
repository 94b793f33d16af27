//! Anthropic Messages clients (`/v1/messages`: Claude Code, the Anthropic SDKs) in front of
//! any provider: Messages request → chat request; chat answer, stream and errors → Messages.
//! In front of `type: claude` the exchange passes the request through instead.

pub mod request;
pub mod response;
pub mod stream;

use crate::api::ApiKind;
use crate::dialect::{StreamTranslator, TranslateCtx, Translated};
use crate::error::ProxyError;
use crate::ingress::{ChatTarget, Ingress};
use crate::json::ObjectView;

#[derive(Debug)]
pub struct Messages;

pub static MESSAGES: Messages = Messages;

impl Ingress for Messages {
    fn request(&self, view: &ObjectView<'_>, model: &str, target: ChatTarget) -> Result<Translated, ProxyError> {
        request::translate_chat_request(view, model, target)
    }
    fn response(&self, chat: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
        response::translate_chat_response(chat, ctx)
    }
    fn error_from_openai(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
        response::translate_chat_error(status, body)
    }
    fn error(&self, e: &ProxyError) -> Vec<u8> {
        response::anthropic_error(e)
    }
    fn stream(&self, ctx: TranslateCtx) -> Box<dyn StreamTranslator> {
        Box::new(stream::ChatToMessagesStream::new(ctx))
    }
    fn protocol_headers(&self) -> &'static [&'static str] {
        &["anthropic-version", "anthropic-beta"]
    }
}

/// `POST /v1/messages/count_tokens` in front of a provider that counts tokens in its own API
/// (Gemini's `countTokens`): the Messages request → chat, and the count (a chat completion
/// carrying only `usage`) → `{"input_tokens": N}`. `type: claude` serves it natively.
#[derive(Debug)]
pub struct CountTokens;

pub static COUNT_TOKENS: CountTokens = CountTokens;

impl Ingress for CountTokens {
    fn request(&self, view: &ObjectView<'_>, model: &str, target: ChatTarget) -> Result<Translated, ProxyError> {
        request::translate_chat_request(view, model, target)
    }
    fn response(&self, chat: &[u8], _ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
        response::translate_count(chat)
    }
    fn error_from_openai(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
        response::translate_chat_error(status, body)
    }
    fn error(&self, e: &ProxyError) -> Vec<u8> {
        response::anthropic_error(e)
    }
    fn stream(&self, ctx: TranslateCtx) -> Box<dyn StreamTranslator> {
        // A count is never streamed; an upstream that labels its answer a stream gets the
        // Messages stream translation, which reports it as an error event.
        Box::new(stream::ChatToMessagesStream::new(ctx))
    }
    fn protocol_headers(&self) -> &'static [&'static str] {
        &["anthropic-version", "anthropic-beta"]
    }
    fn middle(&self) -> ApiKind {
        ApiKind::CountTokens
    }
}
