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
        self.usage = None;
    }
}

fn open_chunk(out: &mut Vec<u8>, head: &[u8], index: u32) {
    out.extend_from_slice(head);
    let _ = write!(out, "{{\"index\":{index},\"delta\":");
}

/// A chunk whose delta is one text field.
fn text_chunk(out: &mut Vec<u8>, head: &[u8], index: u32, field: &str, text: &str) {
    open_chunk(out, head, index);
    let _ = write!(out, "{{\"{field}\":");
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
mod tests {
    use super::*;

    fn ctx(include_usage: bool) -> TranslateCtx {
        TranslateCtx {
            model: "qwen-plus".into(),
            created: 1_700_000_000,
            random: 0xabc,
            include_usage,
            ..TranslateCtx::default()
        }
    }

    /// Translates a stream fed as the given chunks.
    fn run_chunks(include_usage: bool, chunks: &[&[u8]]) -> String {
        let mut t = DashScopeToChatStream::new(ctx(include_usage));
        let mut out = Vec::new();
        for c in chunks {
            t.feed(c, &mut out);
        }
        t.finish(&mut out);
        // A second finish (or late bytes) never adds anything.
        let len = out.len();
        t.finish(&mut out);
        t.feed(b"data:{\"output\":{\"choices\":[{\"message\":{\"content\":\"late\"}}]}}\n\n", &mut out);
        assert_eq!(out.len(), len);
        String::from_utf8(out).unwrap()
    }

    fn run(include_usage: bool, input: &str) -> String {
        run_chunks(include_usage, &[input.as_bytes()])
    }

    /// The whole stream, split at every byte position, and byte by byte: identical output.
    fn assert_split_invariant(include_usage: bool, input: &str) -> String {
        let bytes = input.as_bytes();
        let whole = run(include_usage, input);
        for i in 0..=bytes.len() {
            assert_eq!(run_chunks(include_usage, &[&bytes[..i], &bytes[i..]]), whole, "split at {i}");
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(run_chunks(include_usage, &singles), whole, "byte by byte");
        let mut empties: Vec<&[u8]> = vec![b""];
        for c in bytes.chunks(7) {
            empties.push(c);
            empties.push(b"");
        }
        assert_eq!(run_chunks(include_usage, &empties), whole, "with empty chunks");
        whole
    }

    /// DashScope's framing: `id:<n>`, `event:result`, the status comment, `data:` without a space.
    fn sse(events: &[&str]) -> String {
        events
            .iter()
            .enumerate()
            .map(|(i, d)| format!("id:{}\nevent:result\n:HTTP_STATUS/200\ndata:{d}\n\n", i + 1))
            .collect()
    }

    /// Chunk builders for one stream head.
    struct H(String);

    impl H {
        fn new(id: &str) -> Self {
            H(format!(
                r#"data: {{"id":"{id}","object":"chat.completion.chunk","created":1700000000,"model":"qwen-plus","choices":["#
            ))
        }
        fn chunk(&self, index: u32, delta: &str) -> String {
            format!("{}{{\"index\":{index},\"delta\":{delta},\"finish_reason\":null}}]}}\n\n", self.0)
        }
        fn role(&self, index: u32) -> String {
            self.chunk(index, r#"{"role":"assistant","content":""}"#)
        }
        fn content(&self, index: u32, text: &str) -> String {
            self.chunk(index, &format!("{{\"content\":{}}}", serde_json::to_string(text).unwrap()))
        }
        fn reasoning(&self, index: u32, text: &str) -> String {
            self.chunk(index, &format!("{{\"reasoning_content\":{}}}", serde_json::to_string(text).unwrap()))
        }
        fn finish(&self, index: u32, reason: &str) -> String {
            format!("{}{{\"index\":{index},\"delta\":{{}},\"finish_reason\":\"{reason}\"}}]}}\n\n", self.0)
        }
        fn usage(&self, u: &str) -> String {
            format!("{}],\"usage\":{u}}}\n\n", self.0)
        }
    }

    const DONE: &str = "data: [DONE]\n\n";

    fn error(kind: &str, message: &str) -> String {
        error_with(kind, message, "null")
    }

    /// An error event with a code (`null` or a JSON string), then `[DONE]`.
    fn error_with(kind: &str, message: &str, code: &str) -> String {
        format!("data: {{\"error\":{{\"message\":\"{message}\",\"type\":\"{kind}\",\"param\":null,\"code\":{code}}}}}\n\n{DONE}")
    }

    /// The shape of the streaming example of DashScope's web search guide (qwen-plus,
    /// `incremental_output: true`): a first event with empty content, an empty `usage` and the
    /// search results, text deltas with cumulative usage, a last event with empty content and
    /// `finish_reason: stop`.
    const DOC_TEXT: &str = concat!(
        "id:1\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}],\"search_info\":{\"search_results\":[{\"site_name\":\"百家号\",\"index\":1,\"title\":\"杭州天气\",\"url\":\"https://baijiahao.baidu.com/s?id=1\"}]}},\"usage\":{},\"request_id\":\"785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c\"}\n\n",
        "id:2\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"根据\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}],\"search_info\":{\"extra_tool_info\":[],\"search_results\":[]}},\"usage\":{\"total_tokens\":2941,\"output_tokens\":1,\"input_tokens\":2940,\"plugins\":{\"search\":{\"count\":1}},\"prompt_tokens_details\":{\"cached_tokens\":0}},\"request_id\":\"785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c\"}\n\n",
        "id:3\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"现有\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}],\"search_info\":{\"extra_tool_info\":[],\"search_results\":[]}},\"usage\":{\"total_tokens\":2942,\"output_tokens\":2,\"input_tokens\":2940,\"plugins\":{\"search\":{\"count\":1}},\"prompt_tokens_details\":{\"cached_tokens\":0}},\"request_id\":\"785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c\"}\n\n",
        "id:4\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"资料，建议根据天气变化调整出行安排。\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}],\"search_info\":{\"extra_tool_info\":[],\"search_results\":[]}},\"usage\":{\"total_tokens\":2953,\"output_tokens\":13,\"input_tokens\":2940,\"plugins\":{\"search\":{\"count\":1}},\"prompt_tokens_details\":{\"cached_tokens\":0}},\"request_id\":\"785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c\"}\n\n",
        "id:5\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"\",\"role\":\"assistant\"},\"finish_reason\":\"stop\"}],\"search_info\":{\"extra_tool_info\":[],\"search_results\":[]}},\"usage\":{\"total_tokens\":2953,\"output_tokens\":13,\"input_tokens\":2940,\"plugins\":{\"search\":{\"count\":1}},\"prompt_tokens_details\":{\"cached_tokens\":0}},\"request_id\":\"785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c\"}\n\n",
    );

    #[test]
    fn incremental_text_with_usage_exact_bytes() {
        let h = H::new("785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c");
        let body = [
            h.role(0),
            h.content(0, "根据"),
            h.content(0, "现有"),
            h.content(0, "资料，建议根据天气变化调整出行安排。"),
            h.finish(0, "stop"),
        ]
        .concat();
        assert_eq!(assert_split_invariant(false, DOC_TEXT), format!("{body}{DONE}"));
        let usage = h.usage(
            r#"{"prompt_tokens":2940,"completion_tokens":13,"total_tokens":2953,"prompt_tokens_details":{"cached_tokens":0}}"#,
        );
        let want = format!("{body}{usage}{DONE}");
        assert_eq!(assert_split_invariant(true, DOC_TEXT), want);
        // CRLF and CR line ends give the same output, split anywhere.
        assert_eq!(assert_split_invariant(true, &DOC_TEXT.replace('\n', "\r\n")), want);
        assert_eq!(run(true, &DOC_TEXT.replace('\n', "\r")), want);
    }

    /// qwen3 with `enable_thinking`: reasoning deltas (content ""), an empty event between the
    /// stages, then the answer (reasoning ""), as in DashScope's deep thinking / code interpreter
    /// guides; usage with `output_tokens_details.reasoning_tokens`.
    #[test]
    fn reasoning_then_content() {
        let input = sse(&[
            r#"{"output":{"choices":[{"message":{"content":"","reasoning_content":"The","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":290,"output_tokens":3,"input_tokens":287,"output_tokens_details":{"reasoning_tokens":1}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","reasoning_content":" user is asking for 123^21.","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":293,"output_tokens":6,"input_tokens":287,"output_tokens_details":{"reasoning_tokens":4}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","reasoning_content":"","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":293,"output_tokens":6,"input_tokens":287,"output_tokens_details":{"reasoning_tokens":4}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
            r#"{"output":{"choices":[{"message":{"content":"123 to the power of ","reasoning_content":"","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":947,"output_tokens":213,"input_tokens":734,"output_tokens_details":{"reasoning_tokens":171}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
            r#"{"output":{"choices":[{"message":{"content":"21 is 77269364466549865653073473388030061522211723","reasoning_content":"","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":997,"output_tokens":263,"input_tokens":734,"output_tokens_details":{"reasoning_tokens":171}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","reasoning_content":"","role":"assistant"},"finish_reason":"stop"}]},"usage":{"total_tokens":997,"output_tokens":263,"input_tokens":734,"output_tokens_details":{"reasoning_tokens":171}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
        ]);
        let h = H::new("a1959ad1-2637-4672-a21f-4d351371d254");
        let expected = [
            h.role(0),
            h.reasoning(0, "The"),
            h.reasoning(0, " user is asking for 123^21."),
            h.content(0, "123 to the power of "),
            h.content(0, "21 is 77269364466549865653073473388030061522211723"),
            h.finish(0, "stop"),
            h.usage(r#"{"prompt_tokens":734,"completion_tokens":263,"total_tokens":997,"completion_tokens_details":{"reasoning_tokens":171}}"#),
            DONE.into(),
        ];
        assert_eq!(assert_split_invariant(true, &input), expected.concat());
    }

    /// Parallel tool calls streamed incrementally (the shape of DashScope's function calling
    /// stream with `incremental_output: true`): per call a first fragment with index, id, type,
    /// name and the start of the arguments, then `"id":""` fragments with more arguments.
    #[test]
    fn tool_calls() {
        let input = sse(&[
            r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":0,"id":"call_30817ba5d0b349ed88ddcc","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\":"}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":280,"output_tokens":8,"input_tokens":272},"request_id":"tc-0f8e"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":0,"id":"","type":"function","function":{"arguments":" \"浙江省杭州市\", \""}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":286,"output_tokens":14,"input_tokens":272},"request_id":"tc-0f8e"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":0,"id":"","type":"function","function":{"arguments":"unit\": \"celsius\"}"}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":290,"output_tokens":18,"input_tokens":272},"request_id":"tc-0f8e"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":1,"id":"call_566994452aec418d930430","type":"function","function":{"name":"get_current_weather","arguments":"{\"location"}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":296,"output_tokens":24,"input_tokens":272},"request_id":"tc-0f8e"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":1,"id":"","type":"function","function":{"arguments":"\": \"上海市\", \"unit"}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":301,"output_tokens":29,"input_tokens":272},"request_id":"tc-0f8e"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":1,"id":"","type":"function","function":{"arguments":"\": \"celsius\"}"}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":305,"output_tokens":33,"input_tokens":272},"request_id":"tc-0f8e"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","role":"assistant"},"index":0,"finish_reason":"tool_calls"}]},"usage":{"total_tokens":305,"output_tokens":33,"input_tokens":272},"request_id":"tc-0f8e"}"#,
        ]);
        let h = H::new("tc-0f8e");
        let expected = [
            h.role(0),
            h.chunk(0, r#"{"tool_calls":[{"index":0,"id":"call_30817ba5d0b349ed88ddcc","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\":"}}]}"#),
            h.chunk(0, r#"{"tool_calls":[{"index":0,"function":{"arguments":" \"浙江省杭州市\", \""}}]}"#),
            h.chunk(0, r#"{"tool_calls":[{"index":0,"function":{"arguments":"unit\": \"celsius\"}"}}]}"#),
            h.chunk(0, r#"{"tool_calls":[{"index":1,"id":"call_566994452aec418d930430","type":"function","function":{"name":"get_current_weather","arguments":"{\"location"}}]}"#),
            h.chunk(0, r#"{"tool_calls":[{"index":1,"function":{"arguments":"\": \"上海市\", \"unit"}}]}"#),
            h.chunk(0, r#"{"tool_calls":[{"index":1,"function":{"arguments":"\": \"celsius\"}"}}]}"#),
            h.finish(0, "tool_calls"),
            h.usage(r#"{"prompt_tokens":272,"completion_tokens":33,"total_tokens":305}"#),
            DONE.into(),
        ];
        assert_eq!(assert_split_invariant(true, &input), expected.concat());
    }

    /// Calls without `index` or `id` (older models: `"id":""`, the whole call in one fragment,
    /// repeated ids and names), text before them; `finish_reason` as DashScope sent it.
    #[test]
    fn tool_calls_without_index_or_id() {
        let input = sse(&[
            r#"{"output":{"choices":[{"message":{"content":"Let me check.","role":"assistant"},"finish_reason":"null"}]},"request_id":"old-1"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","role":"assistant","tool_calls":[{"function":{"name":"echo","arguments":"{\"words\": \"HELLO!\"}"},"id":"","type":"function"}]},"finish_reason":"null"}]},"request_id":"old-1"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","role":"assistant","tool_calls":[{"function":{"name":"now","arguments":""},"id":"call_b","type":"function"}]},"finish_reason":"null"}]},"request_id":"old-1"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","role":"assistant","tool_calls":[{"function":{"name":"now","arguments":"{}"},"id":"call_b","type":"function"}]},"finish_reason":"null"}]},"request_id":"old-1"}"#,
            r#"{"output":{"choices":[{"message":{"content":"","role":"assistant","tool_calls":[{"function":{"name":"now","arguments":"{}"},"id":"call_c","type":"function"}]},"finish_reason":"stop"}]},"request_id":"old-1"}"#,
        ]);
        let h = H::new("old-1");
        let expected = [
            h.role(0),
            h.content(0, "Let me check."),
            h.chunk(0, r#"{"tool_calls":[{"index":0,"id":"call_0000000000000abc_0","type":"function","function":{"name":"echo","arguments":"{\"words\": \"HELLO!\"}"}}]}"#),
            h.chunk(0, r#"{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"now","arguments":""}}]}"#),
            h.chunk(0, r#"{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}"#),
            h.chunk(0, r#"{"tool_calls":[{"index":2,"id":"call_c","type":"function","function":{"name":"now","arguments":"{}"}}]}"#),
            h.finish(0, "stop"),
            h.usage(r#"{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}"#),
            DONE.into(),
        ];
        assert_eq!(assert_split_invariant(true, &input), expected.concat());
    }

    /// `incremental_output` ignored: every event holds the whole text so far (the qwen2-style
    /// stream), and the last event repeats it with `finish_reason`.
    #[test]
    fn cumulative_text() {
        let input = sse(&[
            r#"{"output":{"choices":[{"message":{"content":"我是","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":11,"input_tokens":10,"output_tokens":1},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}"#,
            r#"{"output":{"choices":[{"message":{"content":"我是阿里","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":12,"input_tokens":10,"output_tokens":2},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}"#,
            r#"{"output":{"choices":[{"message":{"content":"我是阿里云开发的","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":14,"input_tokens":10,"output_tokens":4},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}"#,
            r#"{"output":{"choices":[{"message":{"content":"我是阿里云开发的通义千问。","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":17,"input_tokens":10,"output_tokens":7},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}"#,
            r#"{"output":{"choices":[{"message":{"content":"我是阿里云开发的通义千问。","role":"assistant"},"finish_reason":"stop"}]},"usage":{"total_tokens":17,"input_tokens":10,"output_tokens":7},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}"#,
        ]);
        let h = H::new("755310ab-4b61-9f11-acad-d5921c3ba239");
        let expected = [
            h.role(0),
            h.content(0, "我是"),
            // The second value is held until the third confirms the mode.
            h.content(0, "阿里云开发的"),
            h.content(0, "通义千问。"),
            h.finish(0, "stop"),
            h.usage(r#"{"prompt_tokens":10,"completion_tokens":7,"total_tokens":17}"#),
            DONE.into(),
        ];
        assert_eq!(assert_split_invariant(true, &input), expected.concat());
        // `result_format: text` (`output.text`), the same cumulative answer.
        let text: Vec<String> = [
            ("我是", "null"),
            ("我是阿里", "null"),
            ("我是阿里云开发的", "null"),
            ("我是阿里云开发的通义千问。", "null"),
            ("我是阿里云开发的通义千问。", "stop"),
        ]
        .iter()
        .map(|(t, f)| {
            format!(
                r#"{{"output":{{"finish_reason":"{f}","text":"{t}"}},"usage":{{"total_tokens":17,"input_tokens":10,"output_tokens":7}},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}}"#
            )
        })
        .collect();
        let text: Vec<&str> = text.iter().map(String::as_str).collect();
        assert_eq!(assert_split_invariant(true, &sse(&text)), expected.concat());
    }

    /// Tools without incremental output (what the anchor requested): content and arguments are
    /// snapshots; reasoning too, and it stops growing while the arguments grow.
    #[test]
    fn cumulative_reasoning_and_tool_calls() {
        let ev = |reasoning: &str, args: Option<&str>, finish: &str| {
            let calls = args.map_or(String::new(), |a| {
                format!(
                    r#","tool_calls":[{{"index":0,"id":"call_9f2","type":"function","function":{{"name":"get_current_weather","arguments":{}}}}}]"#,
                    serde_json::to_string(a).unwrap()
                )
            });
            format!(
                r#"{{"output":{{"choices":[{{"message":{{"content":"","reasoning_content":{}{calls},"role":"assistant"}},"finish_reason":"{finish}"}}]}},"usage":{{"input_tokens":200,"output_tokens":30,"total_tokens":230}},"request_id":"cum-2"}}"#,
                serde_json::to_string(reasoning).unwrap()
            )
        };
        let events = [
            ev("用户", None, "null"),
            ev("用户想知道", None, "null"),
            ev("用户想知道杭州天气。", None, "null"),
            ev("用户想知道杭州天气。", Some(""), "null"),
            ev("用户想知道杭州天气。", Some("{\"location\":"), "null"),
            ev("用户想知道杭州天气。", Some("{\"location\": \"杭州\"}"), "null"),
            ev("用户想知道杭州天气。", Some("{\"location\": \"杭州\"}"), "tool_calls"),
        ];
        let events: Vec<&str> = events.iter().map(String::as_str).collect();
        let h = H::new("cum-2");
        let expected = [
            h.role(0),
            h.reasoning(0, "用户"),
            h.reasoning(0, "想知道杭州天气。"),
            h.chunk(0, r#"{"tool_calls":[{"index":0,"id":"call_9f2","type":"function","function":{"name":"get_current_weather","arguments":""}}]}"#),
            // The stream is known to be cumulative: the arguments need no third value.
            h.chunk(0, r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]}"#),
            h.chunk(0, r#"{"tool_calls":[{"index":0,"function":{"arguments":" \"杭州\"}"}}]}"#),
            h.finish(0, "tool_calls"),
            DONE.into(),
        ];
        assert_eq!(assert_split_invariant(false, &sse(&events)), expected.concat());
    }

    /// Multimodal models (qwen-vl) send content as a list of `{"text"}` items.
    #[test]
    fn multimodal_list_content() {
        let input = sse(&[
            r#"{"output":{"choices":[{"message":{"content":[{"text":"图片"}],"role":"assistant"},"finish_reason":"null"}]},"usage":{"input_tokens":1264,"output_tokens":1,"image_tokens":1230},"request_id":"9713405c-31b3-97a5-8e99-ac2c685798a0"}"#,
            r#"{"output":{"choices":[{"message":{"content":[{"text":"中有"}],"role":"assistant"},"finish_reason":"null"}]},"usage":{"input_tokens":1264,"output_tokens":2,"image_tokens":1230},"request_id":"9713405c-31b3-97a5-8e99-ac2c685798a0"}"#,
            r#"{"output":{"choices":[{"message":{"content":[{"text":"两"},{"image":"https://example.com/x.png"},{"text":"辆"}],"role":"assistant"},"finish_reason":"null"}]},"usage":{"input_tokens":1264,"output_tokens":4,"image_tokens":1230},"request_id":"9713405c-31b3-97a5-8e99-ac2c685798a0"}"#,
            r#"{"output":{"choices":[{"message":{"content":[{"text":"自行车。"}],"role":"assistant"},"finish_reason":"stop"}]},"usage":{"input_tokens":1264,"output_tokens":7,"image_tokens":1230},"request_id":"9713405c-31b3-97a5-8e99-ac2c685798a0"}"#,
        ]);
        let h = H::new("9713405c-31b3-97a5-8e99-ac2c685798a0");
        let expected = [
            h.role(0),
            h.content(0, "图片"),
            h.content(0, "中有"),
            h.content(0, "两辆"),
            h.content(0, "自行车。"),
            h.finish(0, "stop"),
            h.usage(r#"{"prompt_tokens":1264,"completion_tokens":7,"total_tokens":1271}"#),
            DONE.into(),
        ];
        assert_eq!(assert_split_invariant(true, &input), expected.concat());
        // Empty lists, null content, items without text and content of another type are nothing.
        let input = sse(&[
            r#"{"output":{"choices":[{"message":{"content":[],"role":"assistant"},"finish_reason":"null"}]},"request_id":"mm"}"#,
            r#"{"output":{"choices":[{"message":{"content":null,"role":"assistant"},"finish_reason":"null"}]},"request_id":"mm"}"#,
            r#"{"output":{"choices":[{"message":{"content":5,"role":"assistant"},"finish_reason":"null"}]},"request_id":"mm"}"#,
            r#"{"output":{"choices":[{"message":{"content":[{"text":1}],"role":"assistant"},"finish_reason":"null"}]},"request_id":"mm"}"#,
            r#"{"output":{"choices":[{"message":{"content":[{"audio":{"id":"a"}}]},"finish_reason":"stop"}]},"request_id":"mm"}"#,
        ]);
        let h = H::new("mm");
        assert_eq!(run(false, &input), [h.role(0), h.finish(0, "stop"), DONE.into()].concat());
    }

    #[test]
    fn error_events() {
        // First and only event: the documented error frame (HTTP 200 stream, status in a comment).
        let input = "id:1\nevent:error\n:HTTP_STATUS/400\ndata:{\"code\":\"InvalidParameter\",\"message\":\"Required parameter(AppId) missing or invalid, please check the request parameters.\",\"request_id\":\"d18bb1bc-3e36-90c4-8ec5-9f8513302004\"}\n\n";
        assert_eq!(
            assert_split_invariant(true, input),
            error_with(
                "invalid_request_error",
                "Required parameter(AppId) missing or invalid, please check the request parameters.",
                r#""InvalidParameter""#
            )
        );
        // Mid-stream: content inspection stops the answer; nothing follows but [DONE].
        let input = format!(
            "{}id:3\nevent:error\n:HTTP_STATUS/400\ndata:{{\"code\":\"DataInspectionFailed\",\"message\":\"Output data may contain inappropriate content.\",\"request_id\":\"785ed962\"}}\n\n{}",
            DOC_TEXT.split_inclusive("\n\n").take(2).collect::<String>(),
            DOC_TEXT.split_inclusive("\n\n").skip(2).collect::<String>(),
        );
        let h = H::new("785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c");
        let expected = [
            h.role(0),
            h.content(0, "根据"),
            error_with(
                "invalid_request_error",
                "Output data may contain inappropriate content.",
                r#""DataInspectionFailed""#,
            ),
        ];
        assert_eq!(assert_split_invariant(true, &input), expected.concat());
        for (event, kind, message, code) in [
            (
                "event:error\n:HTTP_STATUS/429\ndata:{\"code\":\"Throttling.RateQuota\",\"message\":\"Requests rate limit exceeded, please try again later.\",\"request_id\":\"r\"}",
                "rate_limit_error",
                "Requests rate limit exceeded, please try again later.",
                r#""Throttling.RateQuota""#,
            ),
            (
                "event:error\r\n:HTTP_STATUS/401\r\ndata:{\"code\":\"InvalidApiKey\",\"message\":\"Invalid API-key provided.\"}",
                "authentication_error",
                "Invalid API-key provided.",
                r#""InvalidApiKey""#,
            ),
            (
                "event:error\n:HTTP_STATUS/500\ndata:{\"code\":\"InternalError\",\"message\":\"An internal error has occured, please try again later or contact service support.\"}",
                "api_error",
                "An internal error has occured, please try again later or contact service support.",
                r#""InternalError""#,
            ),
            // No status comment: the type follows the code.
            (
                "event:error\ndata:{\"code\":\"Throttling\",\"message\":\"slow down\"}",
                "rate_limit_error",
                "slow down",
                r#""Throttling""#,
            ),
            // A code without output under another event name; an error event that is not JSON.
            (
                "event:result\n:HTTP_STATUS/403\ndata:{\"code\":\"AccessDenied\",\"message\":\"Access denied.\"}",
                "permission_error",
                "Access denied.",
                r#""AccessDenied""#,
            ),
            ("event:error\n:HTTP_STATUS/503\ndata:Service Unavailable", "api_error", "upstream error (HTTP 503)", "null"),
            ("event:error\ndata:{}", "api_error", "upstream error", "null"),
        ] {
            let input = format!("id:1\n{event}\n\n");
            assert_eq!(assert_split_invariant(false, &input), error_with(kind, message, code), "{event}");
        }
        assert_eq!(comment_status(b"id:1\r\n:HTTP_STATUS/404\r\n"), Some(404));
        assert_eq!(comment_status(b"data:{\"a\":\":HTTP_STATUS/404\"}\n"), None);
    }

    #[test]
    fn truncated_streams_end_with_an_error() {
        let cut: String = DOC_TEXT.split_inclusive("\n\n").take(3).collect();
        let h = H::new("785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c");
        let expected =
            [h.role(0), h.content(0, "根据"), h.content(0, "现有"), error("api_error", "upstream stream ended early")];
        assert_eq!(assert_split_invariant(true, &cut), expected.concat());
        // Cut inside the last event: its JSON is incomplete.
        let out = run(true, &DOC_TEXT[..DOC_TEXT.len() - 40]);
        assert!(out.ends_with(&error("api_error", "upstream stream event is not valid JSON")), "{out}");
        // Nothing at all, or an event without choices.
        assert_eq!(run(true, ""), error("api_error", "upstream stream ended early"));
        assert_eq!(
            run(true, "data:{\"output\":{},\"usage\":{\"input_tokens\":3},\"request_id\":\"x\"}\n\n"),
            error("api_error", "upstream stream ended early")
        );
        // A held value still reaches the client before the error.
        let input = sse(&[
            r#"{"output":{"choices":[{"message":{"content":"1"},"finish_reason":"null"}]},"request_id":"t"}"#,
            r#"{"output":{"choices":[{"message":{"content":"1月"},"finish_reason":"null"}]},"request_id":"t"}"#,
        ]);
        let h = H::new("t");
        let expected =
            [h.role(0), h.content(0, "1"), h.content(0, "1月"), error("api_error", "upstream stream ended early")];
        assert_eq!(assert_split_invariant(false, &input), expected.concat());
    }

    #[test]
    fn last_event_without_blank_line_still_counts() {
        let out = assert_split_invariant(false, DOC_TEXT.trim_end());
        assert!(out.ends_with(&format!("\"finish_reason\":\"stop\"}}]}}\n\n{DONE}")), "{out}");
    }

    /// Incremental streams whose deltas happen to begin with the text so far.
    #[test]
    fn incremental_deltas_that_look_cumulative() {
        let content = |parts: &[(&str, &str)]| {
            let events: Vec<String> = parts
                .iter()
                .map(|(c, f)| {
                    format!(
                        r#"{{"output":{{"choices":[{{"message":{{"content":{}}},"finish_reason":"{f}"}}]}},"request_id":"i"}}"#,
                        serde_json::to_string(c).unwrap()
                    )
                })
                .collect();
            let events: Vec<&str> = events.iter().map(String::as_str).collect();
            run(false, &sse(&events))
        };
        let h = H::new("i");
        let text = |out: &str| -> String {
            out.lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .filter_map(|v| v["choices"][0]["delta"]["content"].as_str().map(str::to_string))
                .collect()
        };
        // "11月11日": the second delta begins with the first; the third decides.
        let out = content(&[("1", "null"), ("1月", "null"), ("11日", "null"), ("", "stop")]);
        assert_eq!(
            out,
            [h.role(0), h.content(0, "1"), h.content(0, "1月11日"), h.finish(0, "stop"), DONE.into()].concat()
        );
        assert_eq!(text(&out), "11月11日");
        // A repeated delta.
        assert_eq!(text(&content(&[("ha", "null"), ("ha", "null"), ("!", "null"), ("", "stop")])), "haha!");
        // Held when the choice finishes: incremental unless known otherwise.
        assert_eq!(text(&content(&[("ha", "null"), ("ha", "stop")])), "haha");
        // Once incremental, always incremental.
        assert_eq!(text(&content(&[("a", "null"), ("b", "null"), ("ab", "null"), ("abc", "stop")])), "abababc");
        // Cumulative: the finish event repeats the text.
        assert_eq!(text(&content(&[("Hel", "null"), ("Hello", "null"), ("Hello", "stop")])), "Hello");
        // Limit: three values each beginning with the previous one read as cumulative.
        assert_eq!(text(&content(&[("1", "null"), ("1", "null"), ("1", "stop")])), "1");
    }

    #[test]
    fn field_modes() {
        let mut hint = None;
        let mut f = Field::default();
        assert_eq!(f.push("", &mut hint), None);
        assert_eq!(f.push("ab", &mut hint).as_deref(), Some("ab"));
        assert_eq!(f.push("abc", &mut hint), None);
        assert_eq!(f.mode, Mode::Pending);
        assert_eq!(f.push("abcd", &mut hint).as_deref(), Some("cd"));
        assert_eq!((f.mode, hint), (Mode::Cumulative, Some(true)));
        assert_eq!(f.push("abcd", &mut hint), None);
        assert_eq!(f.push("abcdé", &mut hint).as_deref(), Some("é"));
        // Not a continuation: sent as a delta.
        assert_eq!(f.push("xy", &mut hint).as_deref(), Some("xy"));
        assert_eq!(f.push("abcdéxyz", &mut hint).as_deref(), Some("z"));
        // A hint decides on the second value.
        let mut g = Field::default();
        assert_eq!(g.push("{", &mut hint).as_deref(), Some("{"));
        assert_eq!(g.push("{}", &mut hint).as_deref(), Some("}"));
        let mut hint = Some(false);
        let mut g = Field::default();
        assert_eq!(g.push("a", &mut hint).as_deref(), Some("a"));
        assert_eq!(g.push("ab", &mut hint).as_deref(), Some("ab"));
        assert_eq!(g.mode, Mode::Incremental);
        // Held arguments at the end: the reading that gives valid JSON wins.
        let mut hint = None;
        let mut a = Field::default();
        a.push("{\"a\":", &mut hint);
        a.push("{\"a\": 1}", &mut hint);
        assert_eq!(a.flush(None, true).as_deref(), Some(" 1}"));
        let mut a = Field::default();
        a.push("{", &mut hint);
        a.push("{", &mut hint);
        assert_eq!(a.flush(None, true).as_deref(), Some("{"));
        let mut t = Field::default();
        t.push("x", &mut hint);
        t.push("x", &mut hint);
        assert_eq!(t.flush(Some(true), false), None);
        assert_eq!(t.flush(Some(true), false), None);
    }

    /// `n: 2`: both choices in the same events (with their `index`), finishing at different times.
    #[test]
    fn two_choices() {
        let input = sse(&[
            r#"{"output":{"choices":[{"index":0,"message":{"content":"红","role":"assistant"},"finish_reason":"null"},{"index":1,"message":{"content":"蓝","role":"assistant"},"finish_reason":"null"}]},"request_id":"n2"}"#,
            r#"{"output":{"choices":[{"index":1,"message":{"content":"色","role":"assistant"},"finish_reason":"null"},{"index":0,"message":{"content":"色","role":"assistant"},"finish_reason":"length"}]},"request_id":"n2"}"#,
            r#"{"output":{"choices":[{"index":1,"message":{"content":"","role":"assistant"},"finish_reason":"stop"}]},"usage":{"input_tokens":6,"output_tokens":4,"total_tokens":10},"request_id":"n2"}"#,
        ]);
        let h = H::new("n2");
        let expected = [
            h.role(0),
            h.content(0, "红"),
            h.role(1),
            h.content(1, "蓝"),
            h.content(1, "色"),
            h.content(0, "色"),
            h.finish(0, "length"),
            h.finish(1, "stop"),
            h.usage(r#"{"prompt_tokens":6,"completion_tokens":4,"total_tokens":10}"#),
            DONE.into(),
        ];
        assert_eq!(assert_split_invariant(true, &input), expected.concat());
        // Only choice 0 finished: the stream ended early.
        let cut: String = input.split_inclusive("\n\n").take(2).collect();
        assert!(run(false, &cut).ends_with(&error("api_error", "upstream stream ended early")));
    }

    #[test]
    fn malformed_json_and_sse_errors() {
        let first =
            sse(&[r#"{"output":{"choices":[{"message":{"content":"a"},"finish_reason":"null"}]},"request_id":"m"}"#]);
        let h = H::new("m");
        let prefix = [h.role(0), h.content(0, "a")].concat();
        for (event, message) in [
            ("{\"output\":", "upstream stream event is not valid JSON"),
            ("not json", "upstream stream event is not valid JSON"),
            (
                r#"{"output":{"choices":[{"message":{"reasoning_content":5}}]}}"#,
                "upstream stream event has an unexpected shape",
            ),
            (r#"{"output":{"choices":[{"finish_reason":true}]}}"#, "upstream stream event has an unexpected shape"),
            (r#"{"output":{"choices":{"index":0}}}"#, "upstream stream event has an unexpected shape"),
            (r#"[{"output":{}}]"#, "upstream stream event has an unexpected shape"),
        ] {
            let input = format!("{first}data:{event}\n\n");
            assert_eq!(
                assert_split_invariant(false, &input),
                format!("{prefix}{}", error("api_error", message)),
                "{event}"
            );
        }
        // Not UTF-8: the SSE decoder's error.
        let mut bytes = first.clone().into_bytes();
        bytes.extend_from_slice(b"data:\xff\n\n");
        assert_eq!(
            run_chunks(false, &[&bytes]),
            format!("{prefix}{}", error("api_error", "invalid upstream stream: stream event is not UTF-8"))
        );
        // An event over the decoder's limit.
        let mut t = DashScopeToChatStream::new(ctx(false));
        let mut out = Vec::new();
        t.feed(b"data:", &mut out);
        t.feed(&vec![b'x'; crate::stream::sse::DEFAULT_MAX_EVENT + 1], &mut out);
        t.finish(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            error("api_error", "invalid upstream stream: stream event larger than the limit")
        );
    }

    #[test]
    fn multibyte_utf8_escapes_and_line_ends_are_split_invariant() {
        let input = sse(&[
            r#"{"output":{"choices":[{"message":{"content":"","reasoning_content":"嗯，\"引号\"\n和 emoji 🌏","role":"assistant"},"finish_reason":"null"}]},"request_id":"u8"}"#,
            r#"{"output":{"choices":[{"message":{"content":"\u00e9\ud83d\ude00 你好","role":"assistant"},"finish_reason":"null"}]}}"#,
            r#"{"output":{"choices":[{"message":{"content":"，世界","role":"assistant","tool_calls":[{"index":0,"id":"call_ü","type":"function","function":{"name":"查询","arguments":"{\"q\":\"日本語\"}"}}]},"finish_reason":"null"}]}}"#,
            r#"{"output":{"choices":[{"message":{"content":"","role":"assistant"},"finish_reason":"tool_calls"}]},"usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}}"#,
        ]);
        let h = H::new("u8");
        let expected = [
            h.role(0),
            h.reasoning(0, "嗯，\"引号\"\n和 emoji 🌏"),
            h.content(0, "é😀 你好"),
            h.content(0, "，世界"),
            h.chunk(0, r#"{"tool_calls":[{"index":0,"id":"call_ü","type":"function","function":{"name":"查询","arguments":"{\"q\":\"日本語\"}"}}]}"#),
            h.finish(0, "tool_calls"),
            h.usage(r#"{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}"#),
            DONE.into(),
        ];
        assert_eq!(assert_split_invariant(true, &input), expected.concat());
        assert_eq!(assert_split_invariant(true, &input.replace('\n', "\r\n")), expected.concat());
        assert_eq!(run(true, &input.replace('\n', "\r")), expected.concat());
    }

    #[test]
    fn usage_details_and_empty_usage() {
        // A later event without counts (`"usage":{}`) does not wipe the last usage.
        let input = sse(&[
            r#"{"output":{"choices":[{"message":{"content":"好"},"finish_reason":"null"}]},"usage":{"input_tokens":3019,"output_tokens":104,"total_tokens":3123,"prompt_tokens_details":{"cached_tokens":2048},"output_tokens_details":{"reasoning_tokens":80}},"request_id":"u"}"#,
            r#"{"output":{"choices":[{"message":{"content":""},"finish_reason":"stop"}]},"usage":{},"request_id":"u"}"#,
        ]);
        let h = H::new("u");
        let expected = [
            h.role(0),
            h.content(0, "好"),
            h.finish(0, "stop"),
            h.usage(r#"{"prompt_tokens":3019,"completion_tokens":104,"total_tokens":3123,"prompt_tokens_details":{"cached_tokens":2048},"completion_tokens_details":{"reasoning_tokens":80}}"#),
            DONE.into(),
        ];
        assert_eq!(assert_split_invariant(true, &input), expected.concat());
    }

    #[test]
    fn member_types_are_checked_like_serde() {
        let (base, wrong, readable) = crate::dialect::dashscope::response::member_type_cases();
        let shape = error("api_error", "upstream stream event has an unexpected shape");
        // Without `code` and `message`, or it would be an error event.
        let strip = |b: &str| b.replace(r#""code":"C","#, "").replace(r#""message":"M","#, "");
        assert!(!run(false, &sse(&[&strip(&base)])).contains("\"error\""));
        for body in &wrong {
            assert_eq!(run(false, &sse(&[&strip(body)])), shape, "{body}");
            // An error event that cannot be read: a generic error with the status of its comment.
            let input = format!("event:error\n:HTTP_STATUS/500\ndata:{body}\n\n");
            assert_eq!(run(false, &input), error("api_error", "upstream error (HTTP 500)"), "{body}");
        }
        for body in &readable {
            assert!(!run(false, &sse(&[&strip(body)])).contains("\"error\""), "{body}");
            let input = format!("event:error\n:HTTP_STATUS/500\ndata:{body}\n\n");
            assert_eq!(run(false, &input), error_with("api_error", "M", r#""C""#), "{body}");
        }
    }
}
