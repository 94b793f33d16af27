//! DashScope generation SSE (`X-DashScope-SSE: enable`, `incremental_output: true`,
//! `result_format: message`) → OpenAI `chat.completion.chunk` SSE.
//!
//! DashScope frames every event as `id:<n>` / `event:result` / `:HTTP_STATUS/200` (a comment) /
//! `data:<json>` (no space after the colon), the JSON being a whole generation response
//! `{"output":{"choices":[{"message":{"role","content","reasoning_content","tool_calls"},
//! "finish_reason"}]},"usage":{…},"request_id"}` with what was generated since the previous event
//! (<https://help.aliyun.com/zh/model-studio/stream>). Event by event, choice by choice (choice
//! index = the choice's `index`, else its position):
//! - the first time a choice is seen → its role chunk `{"role":"assistant","content":""}`;
//! - `message.reasoning_content` → a `reasoning_content` delta; `message.content` → a `content`
//!   delta (multimodal models send a list of `{"text"}` items: their texts are joined, other
//!   items such as `{"image"}` are skipped; content of another type is ignored);
//! - each `message.tool_calls` item (DashScope streams OpenAI-shaped fragments: the first with
//!   `index`, `id`, `type`, `function.name` and the start of `function.arguments`, the next ones
//!   with `"id":""` and more arguments) → one `tool_calls` delta. Calls are told apart by their
//!   `index` (else their position in the list; an item without `index` whose non-empty `id`
//!   differs from the call's starts a new call) and numbered per choice from 0 in order of
//!   appearance. The first delta of a call carries `id` (DashScope's when non-empty, else
//!   `call_<16 hex digits of ctx.random>_<n>`, `n` counting the stream's calls from 0),
//!   `"type":"function"` and the name; later ones only `index` and `function.arguments` (OpenAI
//!   clients concatenate string fields, so an id or name repeated by DashScope is sent once);
//! - `finish_reason` `"null"`, `null` or `""` means "not yet"; any other value → the choice's
//!   finish chunk (`delta: {}`) with it as is (DashScope's are OpenAI's: `stop`, `length`,
//!   `tool_calls`), once;
//! - `usage` is cumulative: the last one with counts is the stream's usage, mapped as unstreamed
//!   (`response::openai_usage`);
//! - `result_format: text` answers (`output.text`, `output.finish_reason`) are choice 0.
//!
//! The input views and the per-choice, finish_reason, usage, id and error-body helpers are
//! `response.rs`'s, so a stream says what the same answer unstreamed would.
//!
//! DashScope sends no end event: at the end of the stream (`finish`), when every choice seen has
//! finished, the usage chunk (when `ctx.include_usage`; zeros if DashScope reported none) and
//! `data: [DONE]` follow; otherwise an "upstream stream ended early" error event and `[DONE]`.
//! An `event:error` event (`:HTTP_STATUS/4xx|5xx`, `data:{"code","message","request_id"}`; also a
//! `code` without `output` under another event name) → an OpenAI error event with DashScope's
//! message and code, the type from the HTTP status of the comment as for unstreamed errors (else
//! from the code); an event
//! that is not JSON or not of the documented shape, or an SSE framing error → an error event.
//! Nothing follows an error event but `[DONE]`.
//!
//! One chunk id for the stream: the first event's `request_id` (as is), else
//! `chatcmpl-<16 hex digits of ctx.random>`; model: `ctx.model`; created: `ctx.created`.
//!
//! ## Cumulative text
//!
//! With `incremental_output: true` each event holds only new text, but some models and modes
//! ignore it (older tool calling, `incremental_output` overridden, some multimodal models) and
//! send everything generated so far in every event. The mode is detected per field (content,
//! reasoning, each tool call's arguments, per choice) from its non-empty values:
//! - the first value is sent as is;
//! - a value that does not start with all the field has sent → the field is incremental for
//!   good (values are sent as they come);
//! - the second value starting with the first (a cumulative snapshot, or by chance an incremental
//!   delta that repeats the first one, like "1" then "1月") is held back, and the third value
//!   decides: if it starts with the second, the field is cumulative for good (from then on only
//!   what extends the text sent is sent; a value that does not extend it is sent as a delta),
//!   otherwise the held value and the third go out as deltas and the field is incremental.
//!
//! The first field that decides sets a stream-wide hint (DashScope applies one mode per request),
//! so later fields decide on their second value without holding it back. A value held when its
//! choice finishes (or the stream ends) is decided by the hint, else — tool call arguments —
//! by which reading gives valid JSON, else as incremental. Limits: an incremental field whose
//! first three values each begin with the previous one ("1", "1", "1…") is read as cumulative;
//! a cumulative field with only two values and no hint from another field is read as incremental
//! (its text is repeated); an incremental field's text is kept only until it decides (a cumulative
//! field keeps its text, which is what each of its events carries anyway).

use std::borrow::Cow;
use std::io::Write;

use crate::dialect::dashscope::response::{
    choice_index, completion_id, error_body, error_kind, finish_reason, jstr, message_text, non_empty, openai_usage,
    response_in, tool_call_id, ToolCallIn, UsageIn,
};
use crate::dialect::openai::UsageOut;
use crate::dialect::{StreamTranslator, TranslateCtx};
use crate::error::ProxyError;
use crate::stream::sse::{Block, SseDecoder};

#[derive(Debug)]
pub struct DashScopeToChatStream {
    decoder: SseDecoder,
    state: State,
}

impl DashScopeToChatStream {
    pub fn new(ctx: TranslateCtx) -> Self {
        DashScopeToChatStream {
            // Raw blocks: the `:HTTP_STATUS/<code>` comment of an error event is read from them.
            decoder: SseDecoder::default().with_raw(),
            state: State { ctx, head: Vec::new(), choices: Vec::new(), calls: 0, usage: None, hint: None, done: false },
        }
    }
}

impl StreamTranslator for DashScopeToChatStream {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.state.done {
            return;
        }
        let state = &mut self.state;
        if let Err(e) = self.decoder.feed(chunk, &mut |b| state.on_block(b, out)) {
            state.fail(out, &bad_stream(format!("invalid upstream stream: {e}")));
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.state.done {
            return;
        }
        let state = &mut self.state;
        if let Err(e) = self.decoder.finish(&mut |b| state.on_block(b, out)) {
            state.fail(out, &bad_stream(format!("invalid upstream stream: {e}")));
        }
        state.end(out);
    }

    fn usage(&self) -> Option<UsageOut> {
        self.state.usage.as_ref().map(openai_usage)
    }
}

#[derive(Debug)]
struct State {
    ctx: TranslateCtx,
    /// `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[`, built
    /// from the first event; every chunk begins with it.
    head: Vec<u8>,
    /// The choices seen, in order of appearance.
    choices: Vec<Choice>,
    /// Tool calls seen in the whole stream (numbers the generated tool call ids).
    calls: u64,
    /// The last non-empty `usage`.
    usage: Option<UsageIn>,
    /// The stream-wide text mode, once a field has decided (`true`: cumulative).
    hint: Option<bool>,
    /// `[DONE]` was written: everything else is ignored.
    done: bool,
}

#[derive(Debug)]
struct Choice {
    index: u32,
    content: Field,
    reasoning: Field,
    tools: Vec<Tool>,
    finished: bool,
}

#[derive(Debug)]
struct Tool {
    /// DashScope's `index` of the call (else its position in the list).
    key: u32,
    /// DashScope's own id, when it sent one.
    upstream_id: Option<String>,
    /// The id the client sees.
    id: String,
    name_sent: bool,
    /// The header delta (`id`, `type`) was sent.
    announced: bool,
    arguments: Field,
}

/// The text mode of one field (see the module documentation).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing sent yet.
    #[default]
    Empty,
    /// One value sent (`sent`).
    Unknown,
    /// `sent` and a second value starting with it (`held`, not sent yet).
    Pending,
    Incremental,
    /// `sent` is the whole text the client has.
    Cumulative,
}

#[derive(Debug, Default)]
struct Field {
    mode: Mode,
    sent: String,
    held: String,
}

impl Field {
    /// Takes the field's next value; returns what to send. `hint`: the stream-wide mode, set by
    /// the first field that decides.
    fn push<'v>(&mut self, value: &'v str, hint: &mut Option<bool>) -> Option<Cow<'v, str>> {
        if value.is_empty() {
            return None;
        }
        match self.mode {
            Mode::Incremental => Some(Cow::Borrowed(value)),
            Mode::Empty => {
                self.sent = value.to_owned();
                self.mode = Mode::Unknown;
                Some(Cow::Borrowed(value))
            }
            Mode::Unknown => match (value.strip_prefix(self.sent.as_str()), *hint) {
                (Some(suffix), Some(true)) => {
                    self.mode = Mode::Cumulative;
                    self.sent = value.to_owned();
                    non_empty_cow(suffix)
                }
                (Some(_), None) => {
                    self.held = value.to_owned();
                    self.mode = Mode::Pending;
                    None
                }
                _ => {
                    self.incremental(hint);
                    Some(Cow::Borrowed(value))
                }
            },
            Mode::Pending => {
                if value.starts_with(self.held.as_str()) {
                    hint.get_or_insert(true);
                    let suffix = value.strip_prefix(self.sent.as_str()).unwrap_or_default().to_owned();
                    self.mode = Mode::Cumulative;
                    self.sent = value.to_owned();
                    self.held = String::new();
                    (!suffix.is_empty()).then_some(Cow::Owned(suffix))
                } else {
                    let mut both = std::mem::take(&mut self.held);
                    both.push_str(value);
                    self.incremental(hint);
                    Some(Cow::Owned(both))
                }
            }
            Mode::Cumulative => match value.strip_prefix(self.sent.as_str()) {
                Some(suffix) => {
                    let out = non_empty_cow(suffix);
                    self.sent.push_str(suffix);
                    out
                }
                // Not a continuation of what was sent: a delta after all.
                None => {
                    self.sent.push_str(value);
                    Some(Cow::Borrowed(value))
                }
            },
        }
    }

    /// The field's values are over (its choice finished or the stream ended): a held value is
    /// decided now. `json`: the field is a tool call's arguments.
    fn flush(&mut self, hint: Option<bool>, json: bool) -> Option<String> {
        if self.mode != Mode::Pending {
            return None;
        }
        let held = std::mem::take(&mut self.held);
        let cumulative = match hint {
            Some(h) => h,
            None if json => {
                let whole = format!("{}{held}", self.sent);
                !is_json(&whole) && is_json(&held)
            }
            None => false,
        };
        self.mode = if cumulative { Mode::Cumulative } else { Mode::Incremental };
        let out = if cumulative { held.strip_prefix(self.sent.as_str()).unwrap_or_default().to_owned() } else { held };
        self.sent = String::new();
        Some(out).filter(|s| !s.is_empty())
    }

    fn incremental(&mut self, hint: &mut Option<bool>) {
        hint.get_or_insert(false);
        self.mode = Mode::Incremental;
        self.sent = String::new();
        self.held = String::new();
    }
}

fn non_empty_cow(s: &str) -> Option<Cow<'_, str>> {
    (!s.is_empty()).then_some(Cow::Borrowed(s))
}

fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// An upstream stream we cannot read (the message is ours, never upstream bytes).
fn bad_stream(message: impl Into<String>) -> ProxyError {
    ProxyError::new(502, "api_error", message)
}

/// Ends a chunk opened by `State::open_chunk`, after its delta.
fn close_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"finish_reason\":null}]}\n\n");
}

/// The OpenAI error type of a DashScope error event: from the HTTP status of its comment, else
/// from the code (<https://help.aliyun.com/zh/model-studio/error-code>).
fn event_error_kind(status: Option<u16>, code: &str) -> &'static str {
    match status {
        Some(status) => error_kind(status),
        None if code.starts_with("Throttling") => "rate_limit_error",
        None if code == "InvalidApiKey" => "authentication_error",
        None if code.contains("AccessDenied") => "permission_error",
        None if code == "ModelNotFound" => "not_found_error",
        None if code.starts_with("InvalidParameter") || code == "DataInspectionFailed" => "invalid_request_error",
        None => "api_error",
    }
}

/// The status in a block's `:HTTP_STATUS/<code>` comment line.
fn comment_status(raw: &[u8]) -> Option<u16> {
    const MARK: &[u8] = b":HTTP_STATUS/";
    raw.split(|&b| b == b'\n' || b == b'\r').find_map(|line| {
        let digits = line.strip_prefix(MARK)?;
        std::str::from_utf8(digits).ok()?.trim().parse().ok()
    })
}

fn is_empty_usage(u: &UsageIn) -> bool {
    u.input_tokens.is_none() && u.output_tokens.is_none() && u.total_tokens.is_none()
}

// -------------------------------------------------------------------------------------------------

/// One choice of an event, whatever the result format.
struct ChoiceView<'e, 'a> {
    index: u32,
    content: Option<Cow<'e, str>>,
    reasoning: Option<&'e str>,
    tool_calls: &'e [ToolCallIn<'a>],
    finish_reason: Option<&'e str>,
}

impl State {
    fn on_block(&mut self, block: Block<'_>, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        let Some(event) = block.event else { return };
        let data = event.data.trim();
        let is_error = event.event == "error";
        // DashScope sends no `[DONE]`; one from a compatible server ends nothing by itself.
        if (data.is_empty() || data == "[DONE]") && !is_error {
            return;
        }
        let ev = match response_in(data) {
            Ok(ev) => ev,
            Err(_) if is_error => {
                self.upstream_error(out, comment_status(block.raw), None, None);
                return;
            }
            Err(_) => {
                let message = if is_json(data) {
                    "upstream stream event has an unexpected shape"
                } else {
                    "upstream stream event is not valid JSON"
                };
                self.fail(out, &bad_stream(message));
                return;
            }
        };
        if is_error || (ev.output.is_none() && non_empty(&ev.code).is_some()) {
            self.upstream_error(out, comment_status(block.raw), non_empty(&ev.code), non_empty(&ev.message));
            return;
        }
        if self.head.is_empty() {
            self.start(non_empty(&ev.request_id));
        }
        if let Some(usage) = ev.usage.filter(|u| !is_empty_usage(u)) {
            self.usage = Some(usage);
        }
        let Some(output) = &ev.output else { return };
        let mut views = Vec::new();
        match output.choices.as_deref() {
            Some(choices) => {
                for (position, c) in choices.iter().enumerate() {
                    let message = c.message.as_ref();
                    views.push(ChoiceView {
                        index: choice_index(c, position),
                        content: message_text(message.and_then(|m| m.content)),
                        reasoning: message.and_then(|m| m.reasoning_content.as_deref()),
                        tool_calls: message.and_then(|m| m.tool_calls.as_deref()).unwrap_or_default(),
                        finish_reason: finish_reason(&c.finish_reason),
                    });
                }
            }
            None if output.text.is_some() || output.finish_reason.is_some() => views.push(ChoiceView {
                index: 0,
                content: output.text.as_deref().map(Cow::Borrowed),
                reasoning: None,
                tool_calls: &[],
                finish_reason: finish_reason(&output.finish_reason),
            }),
            None => {}
        }
        for view in &views {
            self.on_choice(view, out);
        }
    }

    fn on_choice(&mut self, view: &ChoiceView<'_, '_>, out: &mut Vec<u8>) {
        let index = view.index;
        let slot = match self.choices.iter().position(|c| c.index == index) {
            Some(slot) => slot,
            None => {
                self.choices.push(Choice {
                    index,
                    content: Field::default(),
                    reasoning: Field::default(),
                    tools: Vec::new(),
                    finished: false,
                });
                self.open_chunk(out, index);
                out.extend_from_slice(b"{\"role\":\"assistant\",\"content\":\"\"}");
                close_chunk(out);
                self.choices.len() - 1
            }
        };
        let head = &self.head;
        let hint = &mut self.hint;
        let Some(choice) = self.choices.get_mut(slot) else { return };
        if choice.finished {
            return;
        }
        if let Some(text) = view.reasoning.and_then(|r| choice.reasoning.push(r, hint)) {
            text_chunk(out, head, index, "reasoning_content", &text);
        }
        if let Some(text) = view.content.as_deref().and_then(|c| choice.content.push(c, hint)) {
            text_chunk(out, head, index, "content", &text);
        }
        for (position, call) in view.tool_calls.iter().enumerate() {
            let key = call.index.unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
            let upstream_id = non_empty(&call.id);
            let existing = choice.tools.iter().rposition(|t| t.key == key).filter(|&i| {
                // Without an index, a new id at the same position is a new call.
                call.index.is_some()
                    || upstream_id.is_none()
                    || choice.tools.get(i).is_some_and(|t| t.upstream_id.as_deref() == upstream_id)
            });
            let slot = match existing {
                Some(slot) => slot,
                None => {
                    let id = upstream_id.map_or_else(|| tool_call_id(self.ctx.random, self.calls), str::to_string);
                    self.calls = self.calls.saturating_add(1);
                    choice.tools.push(Tool {
                        key,
                        upstream_id: upstream_id.map(str::to_string),
                        id,
                        name_sent: false,
                        announced: false,
                        arguments: Field::default(),
                    });
                    choice.tools.len() - 1
                }
            };
            let Some(tool) = choice.tools.get_mut(slot) else { continue };
            let name = non_empty(&call.name).filter(|_| !tool.name_sent);
            let arguments = call.arguments.as_deref().and_then(|a| tool.arguments.push(a, hint));
            tool_chunk(out, head, index, slot, tool, name, arguments.as_deref());
        }
        let Some(reason) = view.finish_reason else { return };
        flush_choice(out, head, choice, *hint);
        choice.finished = true;
        out.extend_from_slice(head);
        let _ = write!(out, "{{\"index\":{index},\"delta\":{{}},\"finish_reason\":");
        jstr(out, reason);
        out.extend_from_slice(b"}]}\n\n");
    }

    /// Builds the chunk head from the first event's request id.
    fn start(&mut self, request_id: Option<&str>) {
        let id = completion_id(request_id, self.ctx.random);
        let mut head = Vec::with_capacity(96 + id.len() + self.ctx.model.len());
        head.extend_from_slice(b"data: {\"id\":");
        jstr(&mut head, &id);
        let _ = write!(head, ",\"object\":\"chat.completion.chunk\",\"created\":{},\"model\":", self.ctx.created);
        jstr(&mut head, &self.ctx.model);
        head.extend_from_slice(b",\"choices\":[");
        self.head = head;
    }

    /// Writes a chunk up to its delta (`close_chunk` ends it).
    fn open_chunk(&self, out: &mut Vec<u8>, index: u32) {
        open_chunk(out, &self.head, index);
    }

    /// The end of the upstream stream: a normal end when every choice seen has finished.
    fn end(&mut self, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        if self.choices.is_empty() || self.choices.iter().any(|c| !c.finished) {
            // Text held back by the cumulative-mode detection still reaches the client.
            let hint = self.hint;
            for choice in self.choices.iter_mut().filter(|c| !c.finished) {
                flush_choice(out, &self.head, choice, hint);
            }
            self.fail(out, &bad_stream("upstream stream ended early"));
            return;
        }
        if self.ctx.include_usage {
            out.extend_from_slice(&self.head);
            out.extend_from_slice(b"],\"usage\":");
            let usage = openai_usage(self.usage.as_ref().unwrap_or(&UsageIn::default()));
            let mark = out.len();
            if serde_json::to_writer(&mut *out, &usage).is_err() {
                out.truncate(mark);
                out.extend_from_slice(b"null");
            }
            out.extend_from_slice(b"}\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
        self.done = true;
    }

    /// DashScope's error event → an OpenAI error event with its message and code, then `[DONE]`.
    fn upstream_error(&mut self, out: &mut Vec<u8>, status: Option<u16>, code: Option<&str>, message: Option<&str>) {
        let kind = event_error_kind(status, code.unwrap_or_default());
        let message = match (message, code, status) {
            (Some(m), _, _) => Cow::Borrowed(m),
            (None, Some(c), Some(s)) => Cow::Owned(format!("upstream error {c} (HTTP {s})")),
            (None, Some(c), None) => Cow::Owned(format!("upstream error {c}")),
            (None, None, Some(s)) => Cow::Owned(format!("upstream error (HTTP {s})")),
            (None, None, None) => Cow::Borrowed("upstream error"),
        };
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&error_body(kind, &message, code));
        out.extend_from_slice(b"\n\ndata: [DONE]\n\n");
        self.finish_error();
    }

    /// An error event then `[DONE]`, unless the stream is already over.
    fn fail(&mut self, out: &mut Vec<u8>, err: &ProxyError) {
        if self.done {
            return;
        }
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&err.to_openai_json());
        out.extend_from_slice(b"\n\ndata: [DONE]\n\n");
        self.finish_error();
    }

    fn finish_error(&mut self) {
        self.done = true;
        self.choices = Vec::new();
    }
}

fn open_chunk(out: &mut Vec<u8>, head: &[u8], index: u32) {
    out.extend_from_slice(head);
    out.extend_from_slice(b"{\"index\":");
    crate::json::write_u64(out, u64::from(index));
    out.extend_from_slice(b",\"delta\":");
}

/// A chunk whose delta is one text field.
fn text_chunk(out: &mut Vec<u8>, head: &[u8], index: u32, field: &str, text: &str) {
    open_chunk(out, head, index);
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(b"\":");
    jstr(out, text);
    out.push(b'}');
    close_chunk(out);
}

/// A `tool_calls` chunk for call number `k` of a choice, when there is something to send: its
/// header (id, type, name) the first time, a name not sent yet, new arguments.
fn tool_chunk(
    out: &mut Vec<u8>,
    head: &[u8],
    index: u32,
    k: usize,
    tool: &mut Tool,
    name: Option<&str>,
    arguments: Option<&str>,
) {
    if tool.announced && name.is_none() && arguments.is_none() {
        return;
    }
    open_chunk(out, head, index);
    let _ = write!(out, "{{\"tool_calls\":[{{\"index\":{k}");
    if !tool.announced {
        out.extend_from_slice(b",\"id\":");
        jstr(out, &tool.id);
        out.extend_from_slice(b",\"type\":\"function\"");
        tool.announced = true;
    }
    out.extend_from_slice(b",\"function\":{");
    if let Some(name) = name {
        out.extend_from_slice(b"\"name\":");
        jstr(out, name);
        out.push(b',');
        tool.name_sent = true;
    }
    out.extend_from_slice(b"\"arguments\":");
    jstr(out, arguments.unwrap_or_default());
    out.extend_from_slice(b"}}]}");
    close_chunk(out);
}

/// Sends what the cumulative-mode detection still holds for a choice.
fn flush_choice(out: &mut Vec<u8>, head: &[u8], choice: &mut Choice, hint: Option<bool>) {
    let index = choice.index;
    if let Some(text) = choice.reasoning.flush(hint, false) {
        text_chunk(out, head, index, "reasoning_content", &text);
    }
    if let Some(text) = choice.content.flush(hint, false) {
        text_chunk(out, head, index, "content", &text);
    }
    for (k, tool) in choice.tools.iter_mut().enumerate() {
        if let Some(arguments) = tool.arguments.flush(hint, true) {
            tool_chunk(out, head, index, k, tool, None, Some(&arguments));
        }
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
