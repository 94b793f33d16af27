//! Anthropic clients (`/v1/messages`) in front of OpenAI-wire providers: Messages request →
//! chat request; chat response, stream and errors → Messages.

use crate::dialect::anthropic::to_messages::Translated;
use crate::dialect::{StreamTranslator, TranslateCtx};
use crate::error::ProxyError;

/// A Messages request body (already validated as a JSON object) → an OpenAI chat body for
/// `model`. `stream_usage`: the upstream accepts `stream_options.include_usage` (needed to
/// report usage in `message_delta`).
pub fn build_chat_request(_body: &[u8], _model: &str, _stream_usage: bool) -> Result<Translated, ProxyError> {
    Err(ProxyError::new(501, "api_error", "not implemented yet"))
}

/// An OpenAI `chat.completion` → a Messages response.
pub fn translate_chat_response(_body: &[u8], _ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    Err(ProxyError::bad_upstream("not implemented yet"))
}

/// An upstream error in OpenAI shape (or any body) → status and Anthropic error body.
pub fn translate_chat_error(status: u16, _body: &[u8]) -> (u16, Vec<u8>) {
    (status, anthropic_error(&ProxyError::bad_upstream("not implemented yet")))
}

/// One of our own errors in Anthropic's shape: `{"type":"error","error":{"type","message"}}`.
pub fn anthropic_error(_err: &ProxyError) -> Vec<u8> {
    br#"{"type":"error","error":{"type":"api_error","message":"not implemented yet"}}"#.to_vec()
}

#[derive(Debug)]
pub struct ChatToMessagesStream {
    _ctx: TranslateCtx,
}

impl ChatToMessagesStream {
    pub fn new(ctx: TranslateCtx) -> Self {
        ChatToMessagesStream { _ctx: ctx }
    }
}

impl StreamTranslator for ChatToMessagesStream {
    fn feed(&mut self, _chunk: &[u8], _out: &mut Vec<u8>) {}
    fn finish(&mut self, _out: &mut Vec<u8>) {}
}
