//! OpenAI chat chunks (SSE) → Responses stream events, in the documented sequence
//! (<https://platform.openai.com/docs/api-reference/responses-streaming>) that the SDKs and
//! Codex parse: `response.created`, `response.in_progress`, then per output item
//! `response.output_item.added` … its deltas … `response.output_item.done`, then
//! `response.completed` (or `response.incomplete`) with every item and the usage. Every event
//! carries a rising `sequence_number`.
//!
//! Items are sequential, as on OpenAI's wire: a reasoning item (its summary text streams as
//! `response.reasoning_summary_text.delta`), a message (`response.output_text.delta`, a refusal
//! as `response.refusal.delta`), function calls (`response.function_call_arguments.delta`). The
//! first tool call streams its arguments live; those of parallel calls interleaved with it are
//! buffered and each is sent whole, in chat index order, when the open item closes. A custom
//! tool's call is sent whole too (its `input` is decoded from the chat arguments). Item texts
//! are kept until the end: `response.completed` repeats the whole output, as the protocol
//! requires. A stream that ends without `finish_reason` (cut off), an upstream error event or
//! an unreadable chunk ends with `response.failed`.

use crate::dialect::openai::tool_call_id;
use crate::dialect::{StreamTranslator, TranslateCtx};
use crate::ingress::chat::{content_text, read_chat_doc, CallIn, ChatUsage};
use crate::json::write_str as push_str;
use crate::json::write_u64;
use crate::json::{as_object, as_str};
use crate::stream::sse::{Block, SseDecoder};
use serde_json::value::RawValue;

use super::response::{
    call_name, custom_input, response_id, write_call_item, write_message_item, write_reasoning_item,
    write_refusal_part, write_response, write_summary_part, write_text_part, CallName, Head, Status,
};

/// Item id kinds.
const RS: &str = "rs";
const MSG: &str = "msg";
const FC: &str = "fc";

/// The item currently open.
#[derive(Debug)]
enum Open {
    None,
    Reasoning {
        index: u32,
        text: String,
    },
    Message(MessageItem),
    /// A tool call: its position in `tools`.
    Tool(usize),
}

/// An open message and its content parts (text or refusal, in order).
#[derive(Debug)]
struct MessageItem {
    index: u32,
    parts: Vec<(PartKind, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Text,
    Refusal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ToolPhase {
    /// Not started: its arguments are buffered.
    Pending,
    Open,
    Closed,
}

/// One chat tool call (by `index`) and its output item.
#[derive(Debug)]
struct ToolSlot {
    chat_index: u64,
    id: Option<String>,
    name: Option<String>,
    /// The name is a custom tool's (known with the name: later deltas carry none).
    custom: bool,
    arguments: String,
    output_index: u32,
    phase: ToolPhase,
}

#[derive(Debug)]
struct State {
    ctx: TranslateCtx,
    started: bool,
    done: bool,
    seq: u64,
    id: String,
    model: String,
    /// The JSON text of the finished items, comma-separated.
    output: Vec<u8>,
    items: u32,
    open: Open,
    tools: Vec<ToolSlot>,
    status: Option<Status>,
    usage: Option<ChatUsage>,
}

/// OpenAI `chat.completion.chunk` SSE → Responses events, one chunk at a time.
#[derive(Debug)]
pub struct ChatToResponsesStream {
    decoder: SseDecoder,
    state: State,
}

impl ChatToResponsesStream {
    pub fn new(ctx: TranslateCtx) -> Self {
        ChatToResponsesStream {
            decoder: SseDecoder::default(),
            state: State {
                ctx,
                started: false,
                done: false,
                seq: 0,
                id: String::new(),
                model: String::new(),
                output: Vec::new(),
                items: 0,
                open: Open::None,
                tools: Vec::new(),
                status: None,
                usage: None,
            },
        }
    }
}

impl StreamTranslator for ChatToResponsesStream {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.state.done {
            return;
        }
        let state = &mut self.state;
        if let Err(e) = self.decoder.feed(chunk, &mut |b: Block<'_>| state.on_block(b, out)) {
            self.state.fail("stream_error", &format!("unreadable upstream stream: {e}"), out);
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.state.done {
            let state = &mut self.state;
            if let Err(e) = self.decoder.finish(&mut |b: Block<'_>| state.on_block(b, out)) {
                self.state.fail("stream_error", &format!("unreadable upstream stream: {e}"), out);
            }
        }
        let s = &mut self.state;
        if s.done {
            return;
        }
        if !s.started {
            s.fail("stream_error", "the upstream stream ended without any data", out);
        } else if s.status.is_some() {
            s.end(out);
        } else {
            s.fail("stream_error", "upstream stream ended early", out);
        }
    }

    fn usage(&self) -> Option<crate::dialect::openai::UsageOut> {
        self.state.usage.as_ref().map(ChatUsage::to_openai)
    }
}

impl State {
    /// `event: <name>\ndata: {"type":"<name>","sequence_number":N` — the caller writes the rest
    /// of the object, then `end_event`.
    fn begin(&mut self, out: &mut Vec<u8>, name: &str) {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\ndata: {\"type\":\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\",\"sequence_number\":");
        write_u64(out, self.seq);
        self.seq += 1;
    }

    fn end_event(out: &mut Vec<u8>) {
        out.extend_from_slice(b"}\n\n");
    }

    /// `,"item_id":"…","output_index":N`
    fn item_ref(&self, out: &mut Vec<u8>, kind: &str, index: u32) {
        out.extend_from_slice(b",\"item_id\":");
        push_str(out, &self.item_id(kind, index));
        out.extend_from_slice(b",\"output_index\":");
        write_u64(out, u64::from(index));
    }

    /// An item id: its kind (`rs`, `msg`, `fc`), the request's random value, its output index.
    fn item_id(&self, kind: &str, index: u32) -> String {
        format!("{kind}_{:016x}_{index}", self.ctx.random)
    }

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
                self.fail("stream_error", "the upstream stream ended without any data", out);
            }
            return;
        }
        let chunk = match read_chat_doc(data, true) {
            Ok(c) => c,
            Err(_) => return self.fail("stream_error", "the upstream sent a stream chunk that is not valid JSON", out),
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
                if let Some(text) = delta.reasoning_text() {
                    self.reasoning(text, out);
                }
                if let Some(text) = content_text(delta.content).filter(|t| !t.is_empty()) {
                    self.message_delta(PartKind::Text, &text, out);
                }
                if let Some(refusal) = delta.refusal.as_deref().filter(|r| !r.is_empty()) {
                    self.message_delta(PartKind::Refusal, refusal, out);
                }
                for call in &delta.tool_calls {
                    self.tool_delta(call, out);
                }
            }
            if let Some(reason) = choice.finish_reason.as_deref().filter(|r| !r.is_empty()) {
                self.status = Some(Status::of_finish(Some(reason)));
                self.close_all(out);
            }
        }
    }

    fn start(&mut self, chat_id: Option<&str>, model: Option<&str>, out: &mut Vec<u8>) {
        self.started = true;
        self.id = response_id(chat_id, self.ctx.random);
        self.model = model.filter(|m| !m.is_empty()).unwrap_or(&self.ctx.model).to_string();
        for name in ["response.created", "response.in_progress"] {
            self.begin(out, name);
            out.extend_from_slice(b",\"response\":");
            let head = Head { id: &self.id, model: &self.model, status: Status::InProgress, error: None };
            write_response(out, &head, &self.ctx, b"", None);
            Self::end_event(out);
        }
    }

    /// `response.output_item.added` / `.done` for `item` (its JSON text).
    fn item_event(&mut self, name: &str, index: u32, item: &[u8], out: &mut Vec<u8>) {
        self.begin(out, name);
        out.extend_from_slice(b",\"output_index\":");
        write_u64(out, u64::from(index));
        out.extend_from_slice(b",\"item\":");
        out.extend_from_slice(item);
        Self::end_event(out);
    }

    /// Records a finished item for `response.completed` and announces it.
    fn item_done(&mut self, index: u32, item: Vec<u8>, out: &mut Vec<u8>) {
        self.item_event("response.output_item.done", index, &item, out);
        if !self.output.is_empty() {
            self.output.push(b',');
        }
        self.output.extend_from_slice(&item);
    }

    fn next_index(&mut self) -> u32 {
        let index = self.items;
        self.items += 1;
        index
    }

    fn reasoning(&mut self, text: &str, out: &mut Vec<u8>) {
        if !matches!(self.open, Open::Reasoning { .. }) {
            self.close_all(out);
            let index = self.next_index();
            self.open = Open::Reasoning { index, text: String::new() };
            let mut item = Vec::new();
            write_reasoning_item(&mut item, &self.item_id(RS, index), None);
            self.item_event("response.output_item.added", index, &item, out);
            self.begin(out, "response.reasoning_summary_part.added");
            self.item_ref(out, RS, index);
            out.extend_from_slice(b",\"summary_index\":0,\"part\":");
            write_summary_part(out, "");
            Self::end_event(out);
        }
        let Open::Reasoning { index, .. } = self.open else { return };
        self.begin(out, "response.reasoning_summary_text.delta");
        self.item_ref(out, RS, index);
        out.extend_from_slice(b",\"summary_index\":0,\"delta\":");
        push_str(out, text);
        Self::end_event(out);
        if let Open::Reasoning { text: all, .. } = &mut self.open {
            all.push_str(text);
        }
    }

    fn message_delta(&mut self, kind: PartKind, text: &str, out: &mut Vec<u8>) {
        if !matches!(self.open, Open::Message(_)) {
            self.close_all(out);
            let index = self.next_index();
            self.open = Open::Message(MessageItem { index, parts: Vec::new() });
            let mut item = Vec::new();
            write_message_item(&mut item, &self.item_id(MSG, index), Status::InProgress, None, None);
            self.item_event("response.output_item.added", index, &item, out);
        }
        let Open::Message(m) = &self.open else { return };
        let index = m.index;
        let same_part = m.parts.last().is_some_and(|(k, _)| *k == kind);
        if !same_part {
            if let Open::Message(m) = std::mem::replace(&mut self.open, Open::None) {
                self.close_part(&m, out);
                self.open = Open::Message(m);
            }
            let content_index = match &mut self.open {
                Open::Message(m) => {
                    m.parts.push((kind, String::new()));
                    m.parts.len() - 1
                }
                _ => return,
            };
            self.begin(out, "response.content_part.added");
            self.item_ref(out, MSG, index);
            out.extend_from_slice(b",\"content_index\":");
            write_u64(out, content_index as u64);
            out.extend_from_slice(b",\"part\":");
            match kind {
                PartKind::Text => write_text_part(out, ""),
                PartKind::Refusal => write_refusal_part(out, ""),
            }
            Self::end_event(out);
        }
        let content_index = match &self.open {
            Open::Message(m) => m.parts.len().saturating_sub(1),
            _ => return,
        };
        let name = if kind == PartKind::Text { "response.output_text.delta" } else { "response.refusal.delta" };
        self.begin(out, name);
        self.item_ref(out, MSG, index);
        out.extend_from_slice(b",\"content_index\":");
        write_u64(out, content_index as u64);
        out.extend_from_slice(b",\"delta\":");
        push_str(out, text);
        if kind == PartKind::Text {
            out.extend_from_slice(b",\"logprobs\":[]");
        }
        Self::end_event(out);
        if let Open::Message(m) = &mut self.open {
            if let Some((_, all)) = m.parts.last_mut() {
                all.push_str(text);
            }
        }
    }

    /// Ends the last content part of message `m`: `….done` and `response.content_part.done`.
    fn close_part(&mut self, m: &MessageItem, out: &mut Vec<u8>) {
        let Some((kind, text)) = m.parts.last() else { return };
        let (index, content_index) = (m.index, m.parts.len() - 1);
        let (name, field) = match kind {
            PartKind::Text => ("response.output_text.done", "text"),
            PartKind::Refusal => ("response.refusal.done", "refusal"),
        };
        self.begin(out, name);
        self.item_ref(out, MSG, index);
        out.extend_from_slice(b",\"content_index\":");
        write_u64(out, content_index as u64);
        out.extend_from_slice(b",\"");
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"\":");
        push_str(out, text);
        if *kind == PartKind::Text {
            out.extend_from_slice(b",\"logprobs\":[]");
        }
        Self::end_event(out);
        self.begin(out, "response.content_part.done");
        self.item_ref(out, MSG, index);
        out.extend_from_slice(b",\"content_index\":");
        write_u64(out, content_index as u64);
        out.extend_from_slice(b",\"part\":");
        match kind {
            PartKind::Text => write_text_part(out, text),
            PartKind::Refusal => write_refusal_part(out, text),
        }
        Self::end_event(out);
    }

    fn tool_delta(&mut self, call: &CallIn<'_>, out: &mut Vec<u8>) {
        let id = call.id.as_deref().filter(|id| !id.is_empty());
        let chat_index = match call.index {
            Some(i) => i,
            // Providers that omit `index`: a new id is a new call, anything else continues the last.
            None => match (id, self.tools.last()) {
                (Some(id), Some(last)) if last.id.as_deref() != Some(id) => last.chat_index.saturating_add(1),
                (_, Some(last)) => last.chat_index,
                (_, None) => 0,
            },
        };
        let slot = match self.tools.iter().position(|t| t.chat_index == chat_index) {
            Some(pos) => pos,
            None => {
                self.tools.push(ToolSlot {
                    chat_index,
                    id: None,
                    name: None,
                    custom: false,
                    arguments: String::new(),
                    output_index: 0,
                    phase: ToolPhase::Pending,
                });
                self.tools.len() - 1
            }
        };
        let name = call.name.as_deref().filter(|n| !n.is_empty());
        let args = call.arguments_text.as_deref().unwrap_or_default();
        let tool_names = &self.ctx.tool_names;
        let Some(tool) = self.tools.get_mut(slot) else { return };
        // Some providers repeat id and name in every delta: the first ones count.
        if tool.id.is_none() {
            tool.id = id.map(str::to_string);
        }
        if tool.name.is_none() {
            tool.name = name.map(str::to_string);
            tool.custom = name.is_some_and(|n| matches!(call_name(n, tool_names), CallName::Custom { .. }));
        }
        if tool.phase == ToolPhase::Closed {
            return;
        }
        tool.arguments.push_str(args);
        let (phase, has_name, index, custom) = (tool.phase, tool.name.is_some(), tool.output_index, tool.custom);
        match phase {
            // A custom tool's input is sent whole when it closes.
            ToolPhase::Open if !args.is_empty() && !custom => {
                self.begin(out, "response.function_call_arguments.delta");
                self.item_ref(out, FC, index);
                out.extend_from_slice(b",\"delta\":");
                push_str(out, args);
                Self::end_event(out);
            }
            ToolPhase::Pending if has_name && !matches!(self.open, Open::Tool(_)) => {
                // Only the open item closes: pending calls stay pending, this one opens.
                self.close_open(out);
                self.start_tool(slot, out);
            }
            _ => {}
        }
    }

    /// Opens the output item of `slot` and sends the arguments buffered so far.
    fn start_tool(&mut self, slot: usize, out: &mut Vec<u8>) {
        let index = self.next_index();
        let random = self.ctx.random;
        let Some(tool) = self.tools.get_mut(slot) else { return };
        tool.phase = ToolPhase::Open;
        tool.output_index = index;
        let call_id = tool.id.clone().unwrap_or_else(|| tool_call_id(random, tool.chat_index));
        tool.id = Some(call_id.clone());
        let (name, arguments, custom) = (tool.name.clone().unwrap_or_default(), tool.arguments.clone(), tool.custom);
        self.open = Open::Tool(slot);
        let mut item = Vec::new();
        write_call_item(
            &mut item,
            &self.item_id(FC, index),
            Status::InProgress,
            &call_id,
            &name,
            "",
            &self.ctx.tool_names,
        );
        self.item_event("response.output_item.added", index, &item, out);
        if !arguments.is_empty() && !custom {
            self.begin(out, "response.function_call_arguments.delta");
            self.item_ref(out, FC, index);
            out.extend_from_slice(b",\"delta\":");
            push_str(out, &arguments);
            Self::end_event(out);
        }
    }

    /// Closes the open item and sends every pending tool call, in chat index order.
    fn close_all(&mut self, out: &mut Vec<u8>) {
        self.close_open(out);
        while let Some(slot) = self
            .tools
            .iter()
            .enumerate()
            .filter(|(_, t)| t.phase == ToolPhase::Pending)
            .min_by_key(|(_, t)| t.chat_index)
            .map(|(pos, _)| pos)
        {
            self.start_tool(slot, out);
            self.close_open(out);
        }
    }

    fn close_open(&mut self, out: &mut Vec<u8>) {
        match std::mem::replace(&mut self.open, Open::None) {
            Open::None => {}
            Open::Reasoning { index, text } => {
                self.begin(out, "response.reasoning_summary_text.done");
                self.item_ref(out, RS, index);
                out.extend_from_slice(b",\"summary_index\":0,\"text\":");
                push_str(out, &text);
                Self::end_event(out);
                self.begin(out, "response.reasoning_summary_part.done");
                self.item_ref(out, RS, index);
                out.extend_from_slice(b",\"summary_index\":0,\"part\":");
                write_summary_part(out, &text);
                Self::end_event(out);
                let mut item = Vec::new();
                write_reasoning_item(&mut item, &self.item_id(RS, index), Some(&text));
                self.item_done(index, item, out);
            }
            Open::Message(m) => {
                self.close_part(&m, out);
                let text = joined(&m.parts, PartKind::Text);
                let refusal = joined(&m.parts, PartKind::Refusal);
                let mut item = Vec::new();
                write_message_item(
                    &mut item,
                    &self.item_id(MSG, m.index),
                    Status::Completed,
                    text.as_deref(),
                    refusal.as_deref(),
                );
                self.item_done(m.index, item, out);
            }
            Open::Tool(slot) => {
                let Some(tool) = self.tools.get_mut(slot) else { return };
                tool.phase = ToolPhase::Closed;
                // Closed: its arguments are not needed again (later deltas are ignored).
                let (index, call_id, name, arguments, custom) = (
                    tool.output_index,
                    tool.id.clone().unwrap_or_default(),
                    tool.name.clone().unwrap_or_default(),
                    std::mem::take(&mut tool.arguments),
                    tool.custom,
                );
                if custom {
                    let input = custom_input(&arguments).into_owned();
                    for (event, field) in [
                        ("response.custom_tool_call_input.delta", "delta"),
                        ("response.custom_tool_call_input.done", "input"),
                    ] {
                        self.begin(out, event);
                        self.item_ref(out, FC, index);
                        out.extend_from_slice(b",\"");
                        out.extend_from_slice(field.as_bytes());
                        out.extend_from_slice(b"\":");
                        push_str(out, &input);
                        Self::end_event(out);
                    }
                } else {
                    self.begin(out, "response.function_call_arguments.done");
                    self.item_ref(out, FC, index);
                    out.extend_from_slice(b",\"arguments\":");
                    push_str(out, &arguments);
                    Self::end_event(out);
                }
                let mut item = Vec::new();
                let id = self.item_id(FC, index);
                write_call_item(&mut item, &id, Status::Completed, &call_id, &name, &arguments, &self.ctx.tool_names);
                self.item_done(index, item, out);
            }
        }
    }

    /// The normal end: every item closed, then `response.completed` (or `.incomplete`).
    fn end(&mut self, out: &mut Vec<u8>) {
        self.close_all(out);
        let status = self.status.unwrap_or(Status::Completed);
        let name = if matches!(status, Status::Incomplete(_)) { "response.incomplete" } else { "response.completed" };
        self.begin(out, name);
        out.extend_from_slice(b",\"response\":");
        let head = Head { id: &self.id, model: &self.model, status, error: None };
        write_response(out, &head, &self.ctx, &self.output, self.usage.as_ref());
        Self::end_event(out);
        self.done = true;
    }

    /// An OpenAI error event (`{"error":{...}}`) → `response.failed` with its code and message.
    fn upstream_error(&mut self, error: &RawValue, out: &mut Vec<u8>) {
        let (code, message) = match (as_str(error), as_object(error)) {
            (Ok(message), _) => ("api_error".to_string(), message.into_owned()),
            (_, Ok(view)) => {
                let field = |k: &str| view.get(k).and_then(|v| as_str(v).ok()).map(|s| s.into_owned());
                let code = field("code").or_else(|| field("type")).unwrap_or_else(|| "api_error".into());
                (code, field("message").unwrap_or_default())
            }
            _ => ("api_error".to_string(), String::new()),
        };
        let message = if message.is_empty() { "the upstream provider returned an error".to_string() } else { message };
        self.fail(&code, &message, out);
    }

    fn fail(&mut self, code: &str, message: &str, out: &mut Vec<u8>) {
        // The stream is over once its last event went out (a framing error can follow, later
        // in the same chunk, an event that already ended it).
        if self.done {
            return;
        }
        if !self.started {
            self.start(None, None, out);
        }
        self.begin(out, "response.failed");
        out.extend_from_slice(b",\"response\":");
        let head = Head { id: &self.id, model: &self.model, status: Status::Failed, error: Some((code, message)) };
        write_response(out, &head, &self.ctx, &self.output, self.usage.as_ref());
        Self::end_event(out);
        self.done = true;
    }
}

/// The texts of one kind of part, joined (`None` when there is none).
fn joined(parts: &[(PartKind, String)], kind: PartKind) -> Option<String> {
    let texts: Vec<&str> = parts.iter().filter(|(k, _)| *k == kind).map(|(_, t)| t.as_str()).collect();
    (!texts.is_empty()).then(|| texts.concat())
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
