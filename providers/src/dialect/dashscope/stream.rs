//! DashScope generation SSE (`X-DashScope-SSE: enable`) → OpenAI `chat.completion.chunk` SSE.

use crate::dialect::{StreamTranslator, TranslateCtx};

#[derive(Debug)]
pub struct DashScopeToChatStream {
    _ctx: TranslateCtx,
}

impl DashScopeToChatStream {
    pub fn new(ctx: TranslateCtx) -> Self {
        DashScopeToChatStream { _ctx: ctx }
    }
}

impl StreamTranslator for DashScopeToChatStream {
    fn feed(&mut self, _chunk: &[u8], _out: &mut Vec<u8>) {}
    fn finish(&mut self, _out: &mut Vec<u8>) {}
}
