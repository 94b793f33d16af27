//! OpenAI embeddings ⇄ Gemini `batchEmbedContents`.

use crate::dialect::TranslateCtx;
use crate::error::ProxyError;

/// An OpenAI embeddings body (a JSON object) → a `batchEmbedContents` body for `model`.
pub fn build_request(_body: &[u8], _model: &str) -> Result<Vec<u8>, ProxyError> {
    Err(ProxyError::new(501, "api_error", "not implemented yet"))
}

/// A `batchEmbedContents` response → an OpenAI embeddings list.
pub fn translate_response(_body: &[u8], _ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    Err(ProxyError::bad_upstream("not implemented yet"))
}
