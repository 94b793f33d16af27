//! Google Gemini API (https://ai.google.dev/api): `generateContent`, `streamGenerateContent`
//! (`alt=sse`) and `batchEmbedContents`, translated to and from the OpenAI API.

pub mod embeddings;
pub mod request;
pub mod response;
pub mod stream;

/// API version when neither `geminiApiVersion` nor `apiVersion` is configured.
pub const DEFAULT_API_VERSION: &str = "v1beta";
