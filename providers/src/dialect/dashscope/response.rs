//! DashScope generation response and errors → OpenAI chat completion and errors.

use crate::dialect::TranslateCtx;
use crate::error::ProxyError;

/// A non-streamed generation response (`result_format: message`) → `chat.completion`.
pub fn translate_response(_body: &[u8], _ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    Err(ProxyError::bad_upstream("not implemented yet"))
}

/// A DashScope error body (`{"code","message","request_id"}`, any status) → status and OpenAI
/// error body.
pub fn translate_error(status: u16, _body: &[u8]) -> (u16, Vec<u8>) {
    (status, ProxyError::bad_upstream("not implemented yet").to_openai_json())
}
