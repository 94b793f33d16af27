//! OpenAI chat chunks (SSE) → Anthropic Messages events (see [`ChatToMessagesStream`]). A
//! stream that ends with `finish_reason` but no `[DONE]` ends normally; one that ends with
//! neither (cut off) ends with an `error` event.

use crate::dialect::openai::tool_call_id;
use crate::dialect::{StreamTranslator, TranslateCtx};
use crate::json::write_str as push_str;
use crate::json::write_u64;
use crate::json::{as_object, as_str};
use crate::stream::sse::{Block, SseDecoder};
use serde_json::value::RawValue;
use std::borrow::Cow;

use super::response::{
    anthropic_error_body, final_stop_reason, message_id, stop_reason, write_message, write_usage, UsageOut,
};
use crate::ingress::chat::{content_text, read_chat_doc, CallIn, ChatUsage};

/// The Anthropic block currently open (blocks are strictly sequential on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    None,
    Thinking(u32),
    Text(u32),
    /// A tool call: its position in `tools` and its block index.
    Tool(usize, u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ToolPhase {
    /// Not started: its deltas are buffered.
    Pending,
    /// Its block is open and its arguments stream live.
    Open,
    Closed,
}

/// One OpenAI tool call (by `index`) and its Anthropic `tool_use` block.
#[derive(Debug)]
struct ToolSlot {
    openai_index: u64,
    id: Option<String>,
    name: Option<String>,
    buffered: String,
    phase: ToolPhase,
}

#[derive(Debug)]
struct StreamState {
    ctx: TranslateCtx,
    started: bool,
    done: bool,
    next_index: u32,
    open: Open,
    tools: Vec<ToolSlot>,
    finish: Option<&'static str>,
    refused: bool,
    usage: Option<ChatUsage>,
}

/// OpenAI `chat.completion.chunk` SSE → Anthropic Messages SSE, one event at a time.
///
/// Blocks are sequential as on Anthropic's wire: one is open at a time. The first tool call
/// seen streams its arguments live; arguments of other tool calls (parallel calls, possibly
/// interleaved) are buffered and each is sent as one `tool_use` block, in OpenAI index order,
/// when the open tool block closes (at `finish_reason`, text or thinking, or the end).
#[derive(Debug)]
pub struct ChatToMessagesStream {
    decoder: SseDecoder,
    state: StreamState,
}

impl ChatToMessagesStream {
    pub fn new(ctx: TranslateCtx) -> Self {
        ChatToMessagesStream {
            decoder: SseDecoder::default(),
            state: StreamState {
                ctx,
                started: false,
                done: false,
                next_index: 0,
                open: Open::None,
                tools: Vec::new(),
                finish: None,
                refused: false,
                usage: None,
            },
        }
    }
}

impl StreamTranslator for ChatToMessagesStream {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.state.done {
            return;
        }
        let state = &mut self.state;
        let res = self.decoder.feed(chunk, &mut |b: Block<'_>| state.on_block(b, out));
        if let Err(e) = res {
            self.state.fail(&format!("unreadable upstream stream: {e}"), out);
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.state.done {
            let state = &mut self.state;
            let res = self.decoder.finish(&mut |b: Block<'_>| state.on_block(b, out));
            if let Err(e) = res {
                self.state.fail(&format!("unreadable upstream stream: {e}"), out);
            }
        }
        let s = &mut self.state;
        if s.done {
            return;
        }
        if !s.started {
            s.fail("the upstream stream ended without any data", out);
        } else if s.finish.is_some() {
            s.end(out);
        } else {
            s.fail("upstream stream ended early", out);
        }
    }

    fn usage(&self) -> Option<crate::dialect::openai::UsageOut> {
        self.state.usage.as_ref().map(ChatUsage::to_openai)
    }
}

/// `event: <name>\ndata: {"type":"<name>"` — the caller writes the rest of the object and
/// then [`end_event`].
fn begin_event(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: {\"type\":\"");
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
}

fn end_event(out: &mut Vec<u8>) {
    out.extend_from_slice(b"}\n\n");
}

/// A block event's `,"index":N`.
fn push_index(out: &mut Vec<u8>, index: u32) {
    out.extend_from_slice(b",\"index\":");
    write_u64(out, u64::from(index));
}

impl StreamState {
    fn on_block(&mut self, block: Block<'_>, out: &mut Vec<u8>) {
        let Some(event) = block.event else { return };
        if self.done || event.event == "ping" {
            return;
        }
        let data = event.data.trim();
        if data.is_empty() {
            return;
        }
        if data == "[DONE]" {
            if self.started {
                self.end(out);
            } else {
                self.fail("the upstream stream ended without any data", out);
            }
            return;
        }
        let chunk = match read_chat_doc(data, true) {
            Ok(c) => c,
            Err(_) => return self.fail("the upstream sent a stream chunk that is not valid JSON", out),
        };
        if let Some(err) = chunk.error {
            return self.upstream_error(err, out);
        }
        if !self.started {
            self.start(chunk.id.as_deref(), chunk.model.as_deref(), out);
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage);
        }
        for choice in chunk.choices.iter().filter(|c| c.index.unwrap_or(0) == 0) {
            if let Some(delta) = &choice.message {
                if let Some(thinking) = delta.reasoning_text() {
                    self.thinking(thinking, out);
                }
                if let Some(text) = content_text(delta.content).filter(|t| !t.is_empty()) {
                    self.text(&text, out);
                }
                if let Some(refusal) = delta.refusal.as_deref().filter(|r| !r.is_empty()) {
                    self.refused = true;
                    self.text(refusal, out);
                }
                for call in &delta.tool_calls {
                    self.tool_delta(call, out);
                }
            }
            if let Some(reason) = choice.finish_reason.as_deref().filter(|r| !r.is_empty()) {
                self.finish = Some(stop_reason(Some(reason)));
                self.close_all(out);
            }
        }
    }

    fn start(&mut self, id: Option<&str>, model: Option<&str>, out: &mut Vec<u8>) {
        self.started = true;
        let model = model.filter(|m| !m.is_empty()).unwrap_or(&self.ctx.model);
        let usage = UsageOut { input_tokens: Some(0), output_tokens: 0, cache_read_input_tokens: None };
        begin_event(out, "message_start");
        out.extend_from_slice(b",\"message\":");
        write_message(out, &message_id(id, self.ctx.random), model, &[], None, usage);
        end_event(out);
    }

    /// Opens a block: `content_block` is its JSON text without the closing brace.
    fn open_block(&mut self, content_block: &[u8], out: &mut Vec<u8>) -> u32 {
        let index = self.next_index;
        self.next_index += 1;
        begin_event(out, "content_block_start");
        push_index(out, index);
        out.extend_from_slice(b",\"content_block\":");
        out.extend_from_slice(content_block);
        out.push(b'}');
        end_event(out);
        index
    }

    fn stop_block(index: u32, out: &mut Vec<u8>) {
        begin_event(out, "content_block_stop");
        push_index(out, index);
        end_event(out);
    }

    /// A `content_block_delta` of type `kind` whose `field` is `text`.
    fn delta(index: u32, kind: &str, field: &str, text: &str, out: &mut Vec<u8>) {
        begin_event(out, "content_block_delta");
        push_index(out, index);
        out.extend_from_slice(b",\"delta\":{\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\",\"");
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"\":");
        push_str(out, text);
        out.push(b'}');
        end_event(out);
    }

    fn thinking(&mut self, text: &str, out: &mut Vec<u8>) {
        let index = match self.open {
            Open::Thinking(i) => i,
            _ => {
                self.close_all(out);
                let i = self.open_block(br#"{"type":"thinking","thinking":"","signature":"""#, out);
                self.open = Open::Thinking(i);
                i
            }
        };
        Self::delta(index, "thinking_delta", "thinking", text, out);
    }

    fn text(&mut self, text: &str, out: &mut Vec<u8>) {
        let index = match self.open {
            Open::Text(i) => i,
            _ => {
                self.close_all(out);
                let i = self.open_block(br#"{"type":"text","text":"""#, out);
                self.open = Open::Text(i);
                i
            }
        };
        Self::delta(index, "text_delta", "text", text, out);
    }

    fn tool_delta(&mut self, call: &CallIn<'_>, out: &mut Vec<u8>) {
        let id = call.id.as_deref().filter(|id| !id.is_empty());
        let openai_index = match call.index {
            Some(i) => i,
            // Providers that omit `index`: a new id is a new call, anything else continues the last.
            None => match (id, self.tools.last()) {
                (Some(id), Some(last)) if last.id.as_deref() != Some(id) => last.openai_index.saturating_add(1),
                (_, Some(last)) => last.openai_index,
                (_, None) => 0,
            },
        };
        let slot = match self.tools.iter().position(|t| t.openai_index == openai_index) {
            Some(pos) => pos,
            None => {
                self.tools.push(ToolSlot {
                    openai_index,
                    id: None,
                    name: None,
                    buffered: String::new(),
                    phase: ToolPhase::Pending,
                });
                self.tools.len() - 1
            }
        };
        let name = call.name.as_deref().filter(|n| !n.is_empty());
        let args = call.arguments_text.as_deref().unwrap_or_default();
        let Some(tool) = self.tools.get_mut(slot) else { return };
        // Some providers repeat id and name in every delta: the first ones count.
        if tool.id.is_none() {
            tool.id = id.map(str::to_string);
        }
        if tool.name.is_none() {
            tool.name = name.map(str::to_string);
        }
        match tool.phase {
            ToolPhase::Closed => {}
            ToolPhase::Open => {
                if let (Open::Tool(_, index), false) = (self.open, args.is_empty()) {
                    Self::delta(index, "input_json_delta", "partial_json", args, out);
                }
            }
            ToolPhase::Pending => {
                tool.buffered.push_str(args);
                let ready = tool.name.is_some();
                if ready && !matches!(self.open, Open::Tool(..)) {
                    self.close_open(out);
                    self.start_tool(slot, out);
                }
            }
        }
    }

    /// Opens the `tool_use` block of `slot` and sends its buffered arguments.
    fn start_tool(&mut self, slot: usize, out: &mut Vec<u8>) {
        let random = self.ctx.random;
        let Some(tool) = self.tools.get_mut(slot) else { return };
        tool.phase = ToolPhase::Open;
        let id = tool.id.clone().unwrap_or_else(|| tool_call_id(random, tool.openai_index));
        let name = tool.name.clone().unwrap_or_default();
        let buffered = std::mem::take(&mut tool.buffered);
        let mut block = b"{\"type\":\"tool_use\",\"id\":".to_vec();
        push_str(&mut block, &id);
        block.extend_from_slice(b",\"name\":");
        push_str(&mut block, &name);
        block.extend_from_slice(b",\"input\":{}");
        let index = self.open_block(&block, out);
        self.open = Open::Tool(slot, index);
        if !buffered.is_empty() {
            Self::delta(index, "input_json_delta", "partial_json", &buffered, out);
        }
    }

    /// Closes the open block and sends every pending tool call, in OpenAI index order.
    fn close_all(&mut self, out: &mut Vec<u8>) {
        self.close_open(out);
        loop {
            let next = self
                .tools
                .iter()
                .enumerate()
                .filter(|(_, t)| t.phase == ToolPhase::Pending)
                .min_by_key(|(_, t)| t.openai_index)
                .map(|(pos, _)| pos);
            let Some(slot) = next else { break };
            self.start_tool(slot, out);
            self.close_open(out);
        }
    }

    /// Closes the open block, if any.
    fn close_open(&mut self, out: &mut Vec<u8>) {
        match std::mem::replace(&mut self.open, Open::None) {
            Open::None => {}
            Open::Thinking(i) | Open::Text(i) => Self::stop_block(i, out),
            Open::Tool(slot, index) => {
                if let Some(tool) = self.tools.get_mut(slot) {
                    tool.phase = ToolPhase::Closed;
                }
                Self::stop_block(index, out);
            }
        }
    }

    /// The normal end: close blocks, `message_delta` with the stop reason and usage, `message_stop`.
    fn end(&mut self, out: &mut Vec<u8>) {
        self.close_all(out);
        let has_tools = !self.tools.is_empty();
        let stop = final_stop_reason(self.finish.unwrap_or("end_turn"), has_tools, self.refused);
        let usage = match self.usage {
            Some(u) => u.to_anthropic(),
            None => UsageOut { input_tokens: None, output_tokens: 0, cache_read_input_tokens: None },
        };
        begin_event(out, "message_delta");
        out.extend_from_slice(b",\"delta\":{\"stop_reason\":");
        push_str(out, stop);
        out.extend_from_slice(b",\"stop_sequence\":null},\"usage\":");
        write_usage(out, usage);
        end_event(out);
        out.extend_from_slice(b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        self.done = true;
    }

    fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
        self.error_event("api_error", message, out);
    }

    /// An OpenAI error event (`{"error":{...}}`) → an Anthropic `error` event.
    fn upstream_error(&mut self, error: &RawValue, out: &mut Vec<u8>) {
        // `error` is a string (the message) or an object with `type`, `code` and `message`.
        let (kind, code, message) = match (as_str(error), as_object(error)) {
            (Ok(message), _) => (Cow::Borrowed(""), Cow::Borrowed(""), message),
            (_, Ok(view)) => {
                let field = |k: &str| view.get(k).and_then(|v| as_str(v).ok()).unwrap_or_default();
                (field("type"), field("code"), field("message"))
            }
            _ => (Cow::Borrowed(""), Cow::Borrowed(""), Cow::Borrowed("")),
        };
        let message = if message.is_empty() { "the upstream provider returned an error" } else { &message };
        let anthropic_kind = match &*kind {
            known @ ("invalid_request_error"
            | "authentication_error"
            | "permission_error"
            | "not_found_error"
            | "rate_limit_error"
            | "overloaded_error"
            | "api_error") => known,
            _ if kind.contains("rate_limit") || code.contains("rate_limit") => "rate_limit_error",
            _ if kind.contains("overloaded") || code.contains("overloaded") => "overloaded_error",
            _ => "api_error",
        };
        self.error_event(anthropic_kind, message, out);
    }

    fn error_event(&mut self, kind: &str, message: &str, out: &mut Vec<u8>) {
        // The stream is over once `message_stop` or an error went out (a framing error can
        // follow, later in the same chunk, an event that already failed the stream).
        if self.done {
            return;
        }
        out.extend_from_slice(b"event: error\ndata: ");
        out.extend_from_slice(&anthropic_error_body(kind, message));
        out.extend_from_slice(b"\n\n");
        self.done = true;
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
