//! OpenAI chat completions request → Gemini `generateContent` request.

use crate::dialect::anthropic::to_messages::Translated;
use crate::error::ProxyError;

/// Configuration that shapes the translated request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeminiOptions {
    /// `geminiSafetySetting`: category → threshold, in configuration order.
    pub safety: Vec<(String, String)>,
    /// `geminiThinkingBudget`: a thinking budget used when the client asks for none.
    pub thinking_budget: Option<i64>,
}

/// Translates an OpenAI chat body (a JSON object). The model is not part of a Gemini body;
/// it goes in the path.
pub fn build_request(_body: &[u8], _opts: &GeminiOptions) -> Result<Translated, ProxyError> {
    Err(ProxyError::new(501, "api_error", "not implemented yet"))
}
