//! OpenAI Responses clients (`/v1/responses`: Codex CLI, the AI SDK's default `openai(model)`,
//! the OpenAI SDKs' `responses.create`) in front of providers that do not serve the Responses
//! API: Responses request → chat request; chat answer and stream → Responses response and
//! events. Providers that serve `/v1/responses` themselves (openai, azure, ...) get the request
//! untouched instead. Errors keep OpenAI's shape, which Responses clients read.

pub mod request;
pub mod response;
pub mod stream;

use crate::dialect::{StreamTranslator, TranslateCtx, Translated};
use crate::error::ProxyError;
use crate::ingress::{ChatTarget, Ingress};
use crate::json::ObjectView;

#[derive(Debug)]
pub struct Responses;

pub static RESPONSES: Responses = Responses;

impl Ingress for Responses {
    fn request(&self, view: &ObjectView<'_>, model: &str, target: ChatTarget) -> Result<Translated, ProxyError> {
        request::translate_request(view, model, target)
    }
    fn response(&self, chat: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
        response::translate_response(chat, ctx)
    }
    fn error_from_openai(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
        // Already an OpenAI error (or the provider's own text, which a client shows as it is).
        (status, body.to_vec())
    }
    fn error(&self, e: &ProxyError) -> Vec<u8> {
        e.to_openai_json()
    }
    fn stream(&self, ctx: TranslateCtx) -> Box<dyn StreamTranslator> {
        Box::new(stream::ChatToResponsesStream::new(ctx))
    }
}
