//! The common rerank API (`/v1/rerank`: Cohere/Jina style) ⇄ DashScope text-rerank.

use crate::dialect::TranslateCtx;
use crate::error::ProxyError;

/// A rerank body (`model`, `query`, `documents`, `top_n`, `return_documents`) → a DashScope
/// text-rerank body for `model`.
pub fn build_request(_body: &[u8], _model: &str) -> Result<Vec<u8>, ProxyError> {
    Err(ProxyError::new(501, "api_error", "not implemented yet"))
}

/// A text-rerank response → `{"results":[{"index","relevance_score","document"}],"usage"}`.
pub fn translate_response(_body: &[u8], _ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    Err(ProxyError::bad_upstream("not implemented yet"))
}
