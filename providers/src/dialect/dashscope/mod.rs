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

/// OpenAI chat in front of text or multimodal generation.
#[cfg(feature = "dashscope")]
#[derive(Debug)]
pub struct Chat;

#[cfg(feature = "dashscope")]
pub static CHAT: Chat = Chat;

/// OpenAI embeddings in front of text-embedding.
#[cfg(feature = "dashscope")]
#[derive(Debug)]
pub struct Embeddings;

#[cfg(feature = "dashscope")]
pub static EMBEDDINGS: Embeddings = Embeddings;

/// The common rerank API in front of text-rerank.
#[cfg(feature = "dashscope")]
#[derive(Debug)]
pub struct Rerank;

#[cfg(feature = "dashscope")]
pub static RERANK: Rerank = Rerank;

#[cfg(feature = "dashscope")]
mod translators {
    use super::{embeddings, request, rerank, response, stream, Chat, Embeddings, Rerank};
    use crate::config::ProviderConfig;
    use crate::dialect::{StreamTranslator, TranslateCtx, Translated, Translator};
    use crate::error::ProxyError;
    use crate::json::ObjectView;

    impl Translator for Chat {
        fn request(&self, view: &ObjectView<'_>, model: &str, p: &ProviderConfig) -> Result<Translated, ProxyError> {
            let r = request::translate_request(view, model, &p.endpoint.options.qwen)?;
            Ok(Translated {
                body: r.body,
                stream: r.stream,
                include_usage: r.include_usage,
                multimodal: r.multimodal,
                ..Translated::default()
            })
        }
        fn response(&self, body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
            response::translate_response(body, ctx)
        }
        fn error(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
            response::translate_error(status, body)
        }
        fn stream(&self, ctx: TranslateCtx) -> Option<Box<dyn StreamTranslator>> {
            Some(Box::new(stream::DashScopeToChatStream::new(ctx)))
        }
        fn stream_header(&self) -> Option<(&'static str, &'static str)> {
            // DashScope streams SSE only when this header asks for it.
            Some(("x-dashscope-sse", "enable"))
        }
    }

    impl Translator for Embeddings {
        fn request(&self, view: &ObjectView<'_>, model: &str, _p: &ProviderConfig) -> Result<Translated, ProxyError> {
            embeddings::build(view, model)
        }
        fn response(&self, body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
            embeddings::translate_response_encoded(body, ctx, ctx.base64)
        }
        fn error(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
            response::translate_error(status, body)
        }
        fn takes_settings(&self) -> bool {
            false
        }
    }

    impl Translator for Rerank {
        fn request(&self, view: &ObjectView<'_>, model: &str, _p: &ProviderConfig) -> Result<Translated, ProxyError> {
            Ok(Translated { body: rerank::build(view, model)?, ..Translated::default() })
        }
        fn response(&self, body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
            rerank::translate_response(body, ctx)
        }
        fn error(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
            response::translate_error(status, body)
        }
        fn takes_settings(&self) -> bool {
            false
        }
    }
}
