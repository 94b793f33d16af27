//! OpenAI chat completions request → DashScope native generation request.

use crate::error::ProxyError;

/// Configuration that shapes the translated request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QwenOptions {
    /// `qwenEnableSearch`: `parameters.enable_search`.
    pub enable_search: bool,
    /// `qwenFileIds`: a `fileid://…` system message for qwen-long document chat.
    pub file_ids: Vec<String>,
}

/// A translated request and what the exchange needs to route it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeRequest {
    pub body: Vec<u8>,
    pub stream: bool,
    /// The client asked for `stream_options.include_usage`.
    pub include_usage: bool,
    /// Use the multimodal-generation endpoint (VL/omni models, or image parts).
    pub multimodal: bool,
}

/// Translates an OpenAI chat body (a JSON object) for the mapped `model`.
pub fn build_request(_body: &[u8], _model: &str, _opts: &QwenOptions) -> Result<NativeRequest, ProxyError> {
    Err(ProxyError::new(501, "api_error", "not implemented yet"))
}
