//! OpenAI chat completions request → Anthropic Messages request.

use crate::error::ProxyError;

/// Configuration that shapes the translated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOptions {
    /// `max_tokens` when the client sends neither `max_tokens` nor `max_completion_tokens`.
    pub default_max_tokens: u64,
}

/// A translated request body and what the rest of the exchange needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    pub body: Vec<u8>,
    pub stream: bool,
    /// The client asked for `stream_options.include_usage`.
    pub include_usage: bool,
}

/// Translates an OpenAI chat body (already validated as a JSON object) for `model`.
pub fn build_request(_body: &[u8], _model: &str, _opts: &RequestOptions) -> Result<Translated, ProxyError> {
    Err(ProxyError::new(501, "api_error", "not implemented yet"))
}
