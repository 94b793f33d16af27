//! OpenAI embeddings ⇄ DashScope text-embedding.

use crate::dialect::TranslateCtx;
use crate::error::ProxyError;

/// An OpenAI embeddings body (a JSON object) → a DashScope text-embedding body for `model`.
pub fn build_request(_body: &[u8], _model: &str) -> Result<Vec<u8>, ProxyError> {
    Err(ProxyError::new(501, "api_error", "not implemented yet"))
}

/// A text-embedding response → an OpenAI embeddings list.
pub fn translate_response(_body: &[u8], _ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    Err(ProxyError::bad_upstream("not implemented yet"))
}
