//! Alibaba Cloud Model Studio / DashScope native API
//! (https://help.aliyun.com/zh/model-studio/): chat (`text-generation` and
//! `multimodal-generation`), text embeddings and text rerank, translated to and from the
//! OpenAI API.

#[cfg(feature = "dashscope")]
pub mod embeddings;
#[cfg(feature = "dashscope")]
pub mod request;
#[cfg(feature = "dashscope")]
pub mod rerank;
#[cfg(feature = "dashscope")]
pub mod response;
#[cfg(feature = "dashscope")]
pub mod stream;

/// Configuration that shapes the translated request (read with the configuration, so that it
/// is checked even in a build without the translator).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QwenOptions {
    /// `qwenEnableSearch`: `parameters.enable_search`.
    pub enable_search: bool,
    /// `qwenFileIds`: a `fileid://…` system message for qwen-long document chat.
    pub file_ids: Vec<String>,
}

pub const TEXT_GENERATION_PATH: &str = "/api/v1/services/aigc/text-generation/generation";
pub const MULTIMODAL_GENERATION_PATH: &str = "/api/v1/services/aigc/multimodal-generation/generation";
pub const EMBEDDING_PATH: &str = "/api/v1/services/embeddings/text-embedding/text-embedding";
pub const RERANK_PATH: &str = "/api/v1/services/rerank/text-rerank/text-rerank";
