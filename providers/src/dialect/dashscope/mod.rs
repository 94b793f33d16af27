//! Alibaba Cloud Model Studio / DashScope native API
//! (https://help.aliyun.com/zh/model-studio/): chat (`text-generation` and
//! `multimodal-generation`), text embeddings and text rerank, translated to and from the
//! OpenAI API.

pub mod embeddings;
pub mod request;
pub mod rerank;
pub mod response;
pub mod stream;

pub const TEXT_GENERATION_PATH: &str = "/api/v1/services/aigc/text-generation/generation";
pub const MULTIMODAL_GENERATION_PATH: &str = "/api/v1/services/aigc/multimodal-generation/generation";
pub const EMBEDDING_PATH: &str = "/api/v1/services/embeddings/text-embedding/text-embedding";
pub const RERANK_PATH: &str = "/api/v1/services/rerank/text-rerank/text-rerank";
