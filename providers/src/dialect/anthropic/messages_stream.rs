//! Anthropic Messages SSE → OpenAI `chat.completion.chunk` SSE.

use crate::dialect::{StreamTranslator, TranslateCtx};

#[derive(Debug)]
pub struct MessagesToChatStream {
    _ctx: TranslateCtx,
}

impl MessagesToChatStream {
    pub fn new(ctx: TranslateCtx) -> Self {
        MessagesToChatStream { _ctx: ctx }
    }
}

impl StreamTranslator for MessagesToChatStream {
    fn feed(&mut self, _chunk: &[u8], _out: &mut Vec<u8>) {}
    fn finish(&mut self, _out: &mut Vec<u8>) {}
}
