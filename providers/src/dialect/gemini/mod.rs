//! Google Gemini API (https://ai.google.dev/api): `generateContent`, `streamGenerateContent`
//! (`alt=sse`) and `batchEmbedContents`, translated to and from the OpenAI API.

#[cfg(feature = "gemini")]
pub mod embeddings;
#[cfg(feature = "gemini")]
pub mod request;
#[cfg(feature = "gemini")]
pub mod response;
#[cfg(feature = "gemini")]
pub mod stream;

/// Configuration that shapes the translated request (read with the configuration, so that it
/// is checked even in a build without the translator).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeminiOptions {
    /// `geminiSafetySetting`: category → threshold, in configuration order.
    pub safety: Vec<(String, String)>,
    /// `geminiThinkingBudget`: a thinking budget used when the client asks for none.
    pub thinking_budget: Option<i64>,
}

/// API version when neither `geminiApiVersion` nor `apiVersion` is configured.
pub const DEFAULT_API_VERSION: &str = "v1beta";
