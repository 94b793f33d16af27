//! Gemini `streamGenerateContent?alt=sse` → OpenAI `chat.completion.chunk` SSE.

use crate::dialect::{StreamTranslator, TranslateCtx};

#[derive(Debug)]
pub struct GeminiToChatStream {
    _ctx: TranslateCtx,
}

impl GeminiToChatStream {
    pub fn new(ctx: TranslateCtx) -> Self {
        GeminiToChatStream { _ctx: ctx }
    }
}

impl StreamTranslator for GeminiToChatStream {
    fn feed(&mut self, _chunk: &[u8], _out: &mut Vec<u8>) {}
    fn finish(&mut self, _out: &mut Vec<u8>) {}
}
