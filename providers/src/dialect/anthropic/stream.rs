//! Anthropic Messages SSE → OpenAI `chat.completion.chunk` SSE.
//!
//! Event by event (https://docs.anthropic.com/en/docs/build-with-claude/streaming), dispatching
//! on the JSON `type` inside `data` (the SSE `event:` name only when `type` is missing):
//! - `message_start` → the role chunk `{"role":"assistant","content":""}`; its `id` is the chunk
//!   id for the whole stream and its `model` the chunk model (else `ctx.model`);
//! - `content_block_start`: `text` with text → `content`; `thinking` with text → `reasoning_content`;
//!   `redacted_thinking` → `thinking_blocks: [{"type":"redacted_thinking","data"}]`; `tool_use` →
//!   `tool_calls: [{"index":k,"id","type":"function","function":{"name","arguments":""}}]`, `k` the
//!   0-based count of `tool_use` blocks so far (server tools and other blocks are not forwarded);
//! - `content_block_delta`: `text_delta` → `content`; `input_json_delta` → `tool_calls` arguments
//!   of the block's `k`; `thinking_delta` → `reasoning_content`; `signature_delta` →
//!   `thinking_blocks: [{"type":"thinking","thinking":"","signature"}]`; others are dropped;
//! - `message_delta` → the finish chunk (`delta: {}`, mapped `finish_reason`), usage updated
//!   (`output_tokens` is cumulative: the last value wins);
//! - `message_stop` → the usage chunk (when `ctx.include_usage`), then `data: [DONE]`;
//! - `error` → an OpenAI error event with the Anthropic error type, then `[DONE]`;
//! - `ping`, `content_block_stop` and unknown events produce nothing.
//!
//! After `[DONE]` everything is ignored. A stream that ends before `message_stop`, an event that is
//! not JSON, or an SSE framing error ends with an error event and `[DONE]`.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::dialect::anthropic::response::{error_in, finish_reason, openai_usage, usage_in, UsageIn};
use crate::dialect::openai::UsageOut;
use crate::dialect::{StreamTranslator, TranslateCtx};
use crate::json::{as_u64, write_u64, WrongType};
use crate::json::{opt_str, read_members};
use crate::stream::sse::{Block, SseDecoder};

#[derive(Debug)]
pub struct MessagesToChatStream {
    decoder: SseDecoder,
    state: State,
}

impl MessagesToChatStream {
    pub fn new(ctx: TranslateCtx) -> Self {
        MessagesToChatStream {
            decoder: SseDecoder::default(),
            state: State {
                ctx,
                head: Vec::new(),
                started: false,
                finish_sent: false,
                done: false,
                tools: Vec::new(),
                usage: UsageIn::default(),
            },
        }
    }
}

impl StreamTranslator for MessagesToChatStream {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.state.done {
            return;
        }
        let state = &mut self.state;
        if let Err(e) = self.decoder.feed(chunk, &mut |b| state.on_block(b, out)) {
            state.fail(out, "api_error", &format!("invalid upstream stream: {e}"));
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.state.done {
            return;
        }
        let state = &mut self.state;
        if let Err(e) = self.decoder.finish(&mut |b| state.on_block(b, out)) {
            state.fail(out, "api_error", &format!("invalid upstream stream: {e}"));
        }
        state.fail(out, "api_error", "upstream stream ended early");
    }

    fn usage(&self) -> Option<UsageOut> {
        let u = &self.state.usage;
        (u.input_tokens.is_some() || u.output_tokens.is_some()).then(|| openai_usage(u))
    }
}

#[derive(Debug)]
struct State {
    ctx: TranslateCtx,
    /// `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[`, built
    /// once the stream has started; every chunk begins with it.
    head: Vec<u8>,
    started: bool,
    finish_sent: bool,
    /// `[DONE]` was written: everything else is ignored.
    done: bool,
    /// Anthropic block index → OpenAI tool call index, in order of appearance.
    tools: Vec<(u64, u32)>,
    usage: UsageIn,
}

/// Token counts, the last value seen for each (`output_tokens` is cumulative in streams).
fn merge_usage(into: &mut UsageIn, u: &UsageIn) {
    for (slot, v) in [
        (&mut into.input_tokens, u.input_tokens),
        (&mut into.output_tokens, u.output_tokens),
        (&mut into.cache_read_input_tokens, u.cache_read_input_tokens),
        (&mut into.cache_creation_input_tokens, u.cache_creation_input_tokens),
    ] {
        if v.is_some() {
            *slot = v;
        }
    }
}

// ---- input views ----
//
// Read by hand with `json::read_members` (a derived `Deserialize` costs kilobytes of
// Wasm per struct; this reads without allocating). As with serde, an absent or `null` member is
// `None`, unknown members are ignored and a member of the wrong type makes the part that holds
// it unreadable.

/// The top level of every event: only `type` is read eagerly; the rest is read per type.
struct Envelope<'a> {
    kind: Option<Cow<'a, str>>,
    index: Option<&'a RawValue>,
    message: Option<&'a RawValue>,
    content_block: Option<&'a RawValue>,
    delta: Option<&'a RawValue>,
    usage: Option<&'a RawValue>,
    error: Option<&'a RawValue>,
}

/// An event's data as an envelope; `None` when it is not a JSON object with a string `type`.
fn envelope(data: &str) -> Option<Envelope<'_>> {
    let mut m = [None; 7];
    read_members(data, &["type", "index", "message", "content_block", "delta", "usage", "error"], &mut m).ok()?;
    let [kind, index, message, content_block, delta, usage, error] = m;
    Some(Envelope { kind: opt_str(kind).ok()?, index, message, content_block, delta, usage, error })
}

/// A `content_block_start` block of a translated type (its `type` is read first).
struct ContentBlock<'a> {
    id: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
    input: Option<&'a RawValue>,
    text: Option<Cow<'a, str>>,
    thinking: Option<Cow<'a, str>>,
    signature: Option<Cow<'a, str>>,
    data: Option<Cow<'a, str>>,
}

// ---- output views ----

#[derive(Serialize, Default)]
struct DeltaOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_blocks: Option<[ThinkingBlockOut<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[ToolCallOut<'a>; 1]>,
}

#[derive(Serialize)]
struct ThinkingBlockOut<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a str>,
}

#[derive(Serialize)]
struct ToolCallOut<'a> {
    index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    function: FunctionOut<'a>,
}

#[derive(Serialize)]
struct FunctionOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

#[derive(Serialize)]
struct ErrorEvent<'a> {
    error: ErrorOut<'a>,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

/// An inner part of a known event did not have the documented shape.
struct Malformed;

impl From<WrongType> for Malformed {
    fn from(_: WrongType) -> Self {
        Malformed
    }
}

/// A content chunk between its head (id, model, ...) and its delta object, and after it.
const CHUNK_DELTA: &[u8] = b"{\"index\":0,\"delta\":";
const CHUNK_END: &[u8] = b",\"finish_reason\":null}]}\n\n";

/// The string piece a `content_block_delta` carries.
#[derive(Clone, Copy)]
enum Piece {
    Text,
    Thinking,
    Arguments,
}

/// A `content_block_delta` of text, thinking or tool arguments written exactly as Anthropic
/// writes it (`{"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"…"}}`,
/// the string with only short escapes): its piece, block index and JSON string, read without
/// a JSON parser. `None` for any other event or layout (the parser reads those).
fn delta_literal(data: &str) -> Option<(Piece, u64, &str)> {
    let rest = data.strip_prefix(r#"{"type":"content_block_delta","index":"#)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let index = rest.get(..digits)?.parse().ok()?;
    let rest = rest.get(digits..)?.strip_prefix(r#","delta":{"type":""#)?;
    let (kind, rest) = [
        (Piece::Text, r#"text_delta","text":"#),
        (Piece::Thinking, r#"thinking_delta","thinking":"#),
        (Piece::Arguments, r#"input_json_delta","partial_json":"#),
    ]
    .into_iter()
    .find_map(|(kind, head)| rest.strip_prefix(head).map(|rest| (kind, rest)))?;
    let len = crate::json::plain_string_literal(rest)?;
    (rest.get(len..)? == "}}").then(|| rest.get(..len).map(|piece| (kind, index, piece))).flatten()
}

fn non_empty<'s>(s: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// Serialises `value` at the end of `out`; on the (impossible) failure nothing is left behind.
fn write_json<T: Serialize>(out: &mut Vec<u8>, value: &T) -> bool {
    let mark = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(mark);
        return false;
    }
    true
}

impl State {
    fn on_block(&mut self, block: Block<'_>, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        let Some(event) = block.event else { return };
        let data = event.data.trim();
        if data.is_empty() {
            return;
        }
        if data == "[DONE]" {
            // Not Anthropic's, but some compatible servers end this way: a normal end.
            self.stop(out);
            return;
        }
        // Most events are text deltas in the layout Anthropic writes them: those are read
        // without a JSON parser; any other layout takes the general path below.
        if let Some((kind, index, piece)) = delta_literal(data) {
            if piece != "\"\"" {
                self.emit_piece(kind, index, piece, out);
            }
            return;
        }
        let Some(env) = envelope(data) else {
            self.fail(out, "api_error", "upstream stream event is not valid JSON");
            return;
        };
        let kind = env.kind.as_deref().unwrap_or(event.event);
        let result = match kind {
            "content_block_delta" => self.on_block_delta(&env, out),
            "content_block_start" => self.on_block_start(&env, out),
            "message_start" => self.on_message_start(&env, out),
            "message_delta" => self.on_message_delta(&env, out),
            "message_stop" => {
                self.stop(out);
                Ok(())
            }
            "error" => {
                // An unreadable error object is no error object.
                let body = env.error.and_then(|raw| error_in(raw).ok());
                let kind = body.as_ref().and_then(|b| non_empty(&b.kind)).unwrap_or("api_error");
                let message = body.as_ref().and_then(|b| non_empty(&b.message)).unwrap_or("upstream error");
                self.fail(out, kind, message);
                Ok(())
            }
            // ping, content_block_stop, and event types added after this was written.
            _ => Ok(()),
        };
        if result.is_err() {
            self.fail(out, "api_error", "upstream stream event has an unexpected shape");
        }
    }

    fn on_message_start(&mut self, env: &Envelope<'_>, out: &mut Vec<u8>) -> Result<(), Malformed> {
        let (mut id, mut model) = (None, None);
        if let Some(raw) = env.message {
            let mut m = [None; 3];
            read_members(raw.get(), &["id", "model", "usage"], &mut m)?;
            let [raw_id, raw_model, usage] = m;
            id = opt_str(raw_id)?;
            model = opt_str(raw_model)?;
            if let Some(u) = usage {
                merge_usage(&mut self.usage, &usage_in(u)?);
            }
        }
        if !self.started {
            self.start(non_empty(&id), non_empty(&model), out);
        }
        Ok(())
    }

    fn on_block_start(&mut self, env: &Envelope<'_>, out: &mut Vec<u8>) -> Result<(), Malformed> {
        let Some(raw) = env.content_block else { return Ok(()) };
        let mut m = [None; 8];
        read_members(raw.get(), &["type", "id", "name", "input", "text", "thinking", "signature", "data"], &mut m)?;
        let [kind, id, name, input, text, thinking, signature, data] = m;
        let Some(kind) = opt_str(kind)? else { return Ok(()) };
        // Only the blocks translated here must have the documented shape: a block type we do
        // not translate may use these field names otherwise.
        if !matches!(kind.as_ref(), "text" | "thinking" | "redacted_thinking" | "tool_use") {
            return Ok(());
        }
        let block = ContentBlock {
            id: opt_str(id)?,
            name: opt_str(name)?,
            input,
            text: opt_str(text)?,
            thinking: opt_str(thinking)?,
            signature: opt_str(signature)?,
            data: opt_str(data)?,
        };
        match kind.as_ref() {
            "text" => {
                if let Some(text) = non_empty(&block.text) {
                    self.emit(out, &DeltaOut { content: Some(text), ..DeltaOut::default() });
                }
            }
            "thinking" => {
                if let Some(thinking) = non_empty(&block.thinking) {
                    self.emit(out, &DeltaOut { reasoning_content: Some(thinking), ..DeltaOut::default() });
                }
                if let Some(signature) = non_empty(&block.signature) {
                    self.emit_signature(out, signature);
                }
            }
            "redacted_thinking" => {
                if let Some(data) = non_empty(&block.data) {
                    let tb = ThinkingBlockOut {
                        kind: "redacted_thinking",
                        thinking: None,
                        signature: None,
                        data: Some(data),
                    };
                    self.emit(out, &DeltaOut { thinking_blocks: Some([tb]), ..DeltaOut::default() });
                }
            }
            "tool_use" => {
                let index = block_index(env);
                let k = u32::try_from(self.tools.len()).unwrap_or(u32::MAX);
                self.tools.push((index, k));
                // Anthropic opens with `input: {}` and streams the arguments; a server that sends
                // the whole input up front gets it as the first arguments fragment.
                let arguments = match block.input {
                    Some(raw) if !is_empty_input(raw.get()) => raw.get().trim(),
                    _ => "",
                };
                let call = ToolCallOut {
                    index: k,
                    id: Some(block.id.as_deref().unwrap_or("")),
                    kind: Some("function"),
                    function: FunctionOut { name: Some(block.name.as_deref().unwrap_or("")), arguments },
                };
                self.emit(out, &DeltaOut { tool_calls: Some([call]), ..DeltaOut::default() });
            }
            // server_tool_use, web_search_tool_result, … run on Anthropic's side: OpenAI chat has
            // no place for them.
            _ => {}
        }
        Ok(())
    }

    fn on_block_delta(&mut self, env: &Envelope<'_>, out: &mut Vec<u8>) -> Result<(), Malformed> {
        let Some(raw) = env.delta else { return Ok(()) };
        let mut m = [None; 5];
        read_members(raw.get(), &["type", "text", "partial_json", "thinking", "signature"], &mut m)?;
        let [kind, text, partial_json, thinking, signature] = m;
        // Members of another type make the event malformed, whatever the delta type.
        if [text, partial_json, thinking, signature].iter().flatten().any(|raw| !raw.get().starts_with('"')) {
            return Err(Malformed);
        }
        let kind = opt_str(kind)?;
        let (kind, piece) = match kind.as_deref() {
            Some("text_delta") => (Piece::Text, text),
            Some("input_json_delta") => (Piece::Arguments, partial_json),
            Some("thinking_delta") => (Piece::Thinking, thinking),
            Some("signature_delta") => {
                if let Some(signature) = non_empty(&opt_str(signature)?) {
                    self.emit_signature(out, signature);
                }
                return Ok(());
            }
            // citations_delta and newer delta types have no chat-completions counterpart.
            _ => return Ok(()),
        };
        // A string (checked above); an empty one adds nothing.
        if let Some(piece) = piece.filter(|p| p.get() != "\"\"") {
            self.emit_piece(kind, block_index(env), piece.get(), out);
        }
        Ok(())
    }

    /// A text, thinking or argument piece: a JSON string in both protocols, copied as it is
    /// (not unescaped and escaped again: nearly every event of a stream is one).
    fn emit_piece(&mut self, kind: Piece, index: u64, literal: &str, out: &mut Vec<u8>) {
        // Arguments belong to the call of their block; none started: nothing to send.
        let call = match kind {
            Piece::Arguments => match self.tools.iter().rev().find(|(i, _)| *i == index) {
                Some((_, k)) => Some(*k),
                None => return,
            },
            Piece::Text | Piece::Thinking => None,
        };
        self.ensure_started(out);
        out.extend_from_slice(&self.head);
        out.extend_from_slice(CHUNK_DELTA);
        match (kind, call) {
            (Piece::Text, _) => out.extend_from_slice(b"{\"content\":"),
            (Piece::Thinking, _) => out.extend_from_slice(b"{\"reasoning_content\":"),
            (Piece::Arguments, k) => {
                out.extend_from_slice(b"{\"tool_calls\":[{\"index\":");
                write_u64(out, u64::from(k.unwrap_or_default()));
                out.extend_from_slice(b",\"function\":{\"arguments\":");
            }
        }
        out.extend_from_slice(literal.as_bytes());
        out.extend_from_slice(if call.is_some() { b"}}]}" } else { b"}" });
        out.extend_from_slice(CHUNK_END);
    }

    fn on_message_delta(&mut self, env: &Envelope<'_>, out: &mut Vec<u8>) -> Result<(), Malformed> {
        if let Some(u) = env.usage {
            merge_usage(&mut self.usage, &usage_in(u)?);
        }
        let stop_reason = match env.delta {
            Some(raw) => {
                let mut m = [None; 1];
                read_members(raw.get(), &["stop_reason"], &mut m)?;
                let [stop_reason] = m;
                opt_str(stop_reason)?
            }
            None => None,
        };
        if let Some(reason) = stop_reason {
            self.emit_finish(out, finish_reason(&reason));
        }
        Ok(())
    }

    /// Builds the chunk head and writes the role chunk.
    fn start(&mut self, id: Option<&str>, model: Option<&str>, out: &mut Vec<u8>) {
        self.started = true;
        let fallback_id;
        let id = match id {
            Some(id) => id,
            None => {
                fallback_id = format!("chatcmpl-{:016x}", self.ctx.random);
                &fallback_id
            }
        };
        let model = model.unwrap_or(&self.ctx.model);
        let mut head = Vec::with_capacity(96 + id.len() + model.len());
        head.extend_from_slice(b"data: {\"id\":");
        write_json(&mut head, &id);
        head.extend_from_slice(b",\"object\":\"chat.completion.chunk\",\"created\":");
        let _ = write!(head, "{}", self.ctx.created);
        head.extend_from_slice(b",\"model\":");
        write_json(&mut head, &model);
        head.extend_from_slice(b",\"choices\":[");
        self.head = head;
        self.write_chunk(out, &DeltaOut { role: Some("assistant"), content: Some(""), ..DeltaOut::default() });
    }

    fn ensure_started(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.start(None, None, out);
        }
    }

    fn emit(&mut self, out: &mut Vec<u8>, delta: &DeltaOut<'_>) {
        self.ensure_started(out);
        self.write_chunk(out, delta);
    }

    fn emit_signature(&mut self, out: &mut Vec<u8>, signature: &str) {
        let tb = ThinkingBlockOut { kind: "thinking", thinking: Some(""), signature: Some(signature), data: None };
        self.emit(out, &DeltaOut { thinking_blocks: Some([tb]), ..DeltaOut::default() });
    }

    fn write_chunk(&self, out: &mut Vec<u8>, delta: &DeltaOut<'_>) {
        let mark = out.len();
        out.extend_from_slice(&self.head);
        out.extend_from_slice(CHUNK_DELTA);
        if !write_json(out, delta) {
            out.truncate(mark);
            return;
        }
        out.extend_from_slice(CHUNK_END);
    }

    /// The finish chunk, once per stream.
    fn emit_finish(&mut self, out: &mut Vec<u8>, reason: &str) {
        if self.finish_sent {
            return;
        }
        self.ensure_started(out);
        self.finish_sent = true;
        out.extend_from_slice(&self.head);
        out.extend_from_slice(b"{\"index\":0,\"delta\":{},\"finish_reason\":\"");
        out.extend_from_slice(reason.as_bytes());
        out.extend_from_slice(b"\"}]}\n\n");
    }

    /// The normal end: finish chunk if none came, usage chunk if asked, `[DONE]`.
    fn stop(&mut self, out: &mut Vec<u8>) {
        self.emit_finish(out, "stop");
        if self.ctx.include_usage {
            let usage = openai_usage(&self.usage);
            let mark = out.len();
            out.extend_from_slice(&self.head);
            out.extend_from_slice(b"],\"usage\":");
            if write_json(out, &usage) {
                out.extend_from_slice(b"}\n\n");
            } else {
                out.truncate(mark);
            }
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
        self.done = true;
    }

    /// An error event then `[DONE]`, unless the stream is already over.
    fn fail(&mut self, out: &mut Vec<u8>, kind: &str, message: &str) {
        if self.done {
            return;
        }
        out.extend_from_slice(b"data: ");
        write_json(out, &ErrorEvent { error: ErrorOut { message, kind, param: None, code: None } });
        out.extend_from_slice(b"\n\ndata: [DONE]\n\n");
        self.done = true;
        self.tools = Vec::new();
    }
}

/// The Anthropic content block index of an event (`u64::MAX` when absent or not a number).
fn block_index(env: &Envelope<'_>) -> u64 {
    env.index.and_then(|r| as_u64(r).ok()).unwrap_or(u64::MAX)
}

/// `{}` (with any whitespace) or `null`: no arguments yet.
fn is_empty_input(raw: &str) -> bool {
    let mut bytes = raw.bytes().filter(|b| !b.is_ascii_whitespace());
    match bytes.next() {
        Some(b'{') => bytes.next() == Some(b'}') && bytes.next().is_none(),
        Some(b'n') => true,
        None => true,
        _ => false,
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
