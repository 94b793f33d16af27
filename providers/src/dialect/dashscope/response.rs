//! DashScope generation response and errors → OpenAI chat completion and errors.
//!
//! Response (`result_format: "message"`, Model Studio "Qwen API reference", DashScope
//! protocol, response object): `{"request_id", "output": {"choices": [{"finish_reason",
//! "message": {"role", "content", "reasoning_content", "tool_calls"}, "index"?, "logprobs"?}]},
//! "usage": {"input_tokens", "output_tokens", "total_tokens", "prompt_tokens_details"?,
//! "output_tokens_details"?}}`:
//! - one choice per DashScope choice, in order, `index` = the choice's `index`, else its position;
//! - per choice (`message_out`, shared with the stream translator): `content` is the string
//!   DashScope sent or, from the multimodal endpoint, the `text` items of its content list joined
//!   (image/audio items have no chat-completions counterpart and are skipped); an empty content
//!   next to tool calls is `null`, as OpenAI sends it; `reasoning_content` is kept when non-empty;
//!   `tool_calls` are kept in order as `{id, type: "function", function: {name, arguments}}`
//!   (DashScope's `index` is dropped: OpenAI's message tool calls have none; `type` is always
//!   `function`, the only kind DashScope returns); a call without an id gets
//!   `call_<16 hex digits of ctx.random>_<n>`, `n` counting such calls in the response from 0;
//! - `finish_reason` as-is (`stop`, `length`, `tool_calls`); `"null"`, `""` or absent → `null`
//!   (DashScope writes the string `"null"` while a stream is running);
//! - `logprobs`: DashScope's (already OpenAI-shaped, `{"content":[{token, logprob, bytes,
//!   top_logprobs}]}`) copied as-is when present, else `null`;
//! - an `output.text` (a `result_format: "text"` answer) → one choice with that content and
//!   `output.finish_reason`;
//! - `usage` (`openai_usage`): prompt_tokens = input_tokens, completion_tokens = output_tokens
//!   (DashScope already counts reasoning inside), total_tokens = total_tokens, else the sum (the
//!   multimodal endpoint often omits it); `prompt_tokens_details.cached_tokens` and
//!   `completion_tokens_details.reasoning_tokens` from DashScope's fields of the same names, each
//!   only when reported. No usage in, no usage out;
//! - `id` = `request_id` as-is, else `chatcmpl-<16 hex digits of ctx.random>`; `model` =
//!   `ctx.model` (DashScope responses carry no model); `created` = `ctx.created`;
//! - a 2xx body with a DashScope error `code` and no output → `Err` 502 carrying DashScope's code
//!   and message; no choices and no text → `Err` 502 (bad upstream).
//!
//! Errors: `{"code", "message", "request_id"}` → `{"error": {"message", "type", "param": null,
//! "code"}}` with the upstream status kept; `message` is DashScope's, `code` is DashScope's code
//! as-is (`InvalidApiKey`, `InvalidParameter`, `Throttling.RateQuota`, `DataInspectionFailed`,
//! ...: the most precise thing a client can act on), `type` follows the status: 400
//! `invalid_request_error`, 401 `authentication_error`, 403 `permission_error`, 404
//! `not_found_error`, 429 `rate_limit_error`, other 4xx `invalid_request_error`, 5xx and others
//! `api_error`. A body that is not a DashScope error gets a generic message naming the status and
//! a `null` code. The `request_id` is not copied (it is not part of OpenAI's error object).

use crate::dialect::openai::UsageOut;
use crate::dialect::TranslateCtx;
use crate::error::ProxyError;
pub use crate::json::write_str as jstr;
use crate::json::write_u64;
use crate::json::{as_array, as_u64, WrongType};
use crate::json::{opt_str, read_members};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The id of the `n`-th (from 0) tool call that came without one: `call_<16 hex>_<n>`.
pub use crate::dialect::openai::tool_call_id;

/// A non-streamed generation response (`result_format: message`) → `chat.completion`.
pub fn translate_response(body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    let resp = std::str::from_utf8(body)
        .ok()
        .and_then(|text| response_in(text).ok())
        .ok_or_else(|| ProxyError::bad_upstream("the upstream response is not a valid DashScope response"))?;
    let Some(output) = &resp.output else {
        return Err(match non_empty(&resp.code) {
            Some(code) => {
                let message = non_empty(&resp.message).unwrap_or("no message");
                ProxyError::new(502, "api_error", format!("upstream error {code}: {message}"))
            }
            None => ProxyError::bad_upstream("the upstream response has no output"),
        });
    };

    let mut out = Vec::with_capacity(body.len() + 256);
    out.extend_from_slice(b"{\"id\":");
    jstr(&mut out, &completion_id(non_empty(&resp.request_id), ctx.random));
    out.extend_from_slice(b",\"object\":\"chat.completion\",\"created\":");
    write_u64(&mut out, ctx.created);
    out.extend_from_slice(b",\"model\":");
    jstr(&mut out, &ctx.model);
    out.extend_from_slice(b",\"choices\":[");
    let choices = output.choices.as_deref().unwrap_or_default();
    if !choices.is_empty() {
        let mut calls = 0u64;
        for (position, choice) in choices.iter().enumerate() {
            if position > 0 {
                out.push(b',');
            }
            let text = choice.message.as_ref().and_then(|m| message_text(m.content));
            let mut m = message_out(choice.message.as_ref(), text.as_deref());
            for call in &mut m.tool_calls {
                call.index = None;
                if call.id.is_none() {
                    call.id = Some(Cow::Owned(tool_call_id(ctx.random, calls)));
                    calls = calls.saturating_add(1);
                }
            }
            if m.content == Some("") && !m.tool_calls.is_empty() {
                m.content = None;
            } else if m.content.is_none() && m.tool_calls.is_empty() {
                m.content = Some("");
            }
            write_choice(
                &mut out,
                choice_index(choice, position),
                &m,
                choice.logprobs,
                finish_reason(&choice.finish_reason),
            );
        }
    } else if let Some(text) = &output.text {
        let m = MessageOut { role: None, content: Some(text), reasoning: None, tool_calls: Vec::new() };
        write_choice(&mut out, 0, &m, None, finish_reason(&output.finish_reason));
    } else {
        return Err(ProxyError::bad_upstream("the upstream response has no choices"));
    }
    out.push(b']');
    if let Some(usage) = &resp.usage {
        out.extend_from_slice(b",\"usage\":");
        if serde_json::to_writer(&mut out, &openai_usage(usage)).is_err() {
            return Err(ProxyError::bad_upstream("could not build the response"));
        }
    }
    out.push(b'}');
    Ok(out)
}

/// A DashScope error body (`{"code","message","request_id"}`, any status) → status and OpenAI
/// error body.
pub fn translate_error(status: u16, body: &[u8]) -> (u16, Vec<u8>) {
    let parsed = std::str::from_utf8(body).ok().and_then(|text| response_in(text).ok());
    let (code, message) = match &parsed {
        Some(r) => (non_empty(&r.code), non_empty(&r.message)),
        None => (None, None),
    };
    // DashScope's compatible mode, and Envoy's own replies (local_reply_config), are OpenAI
    // errors: `{"error":{"message","code"}}`.
    let openai_message = match message {
        Some(_) => None,
        None => openai_error_message(body),
    };
    let message = match (code, message.or(openai_message.as_deref())) {
        (_, Some(m)) => Cow::Borrowed(m),
        (Some(c), None) => Cow::Owned(format!("upstream error {c} (HTTP {status})")),
        (None, None) => Cow::Owned(format!("upstream error (HTTP {status})")),
    };
    (status, error_body(error_kind(status), &message, code))
}

/// `error.message` of an OpenAI-shaped error body.
fn openai_error_message(body: &[u8]) -> Option<Cow<'_, str>> {
    let mut m = [None];
    read_members(std::str::from_utf8(body).ok()?, &["error"], &mut m).ok()?;
    let [error] = m;
    read_members(error?.get(), &["message"], &mut m).ok()?;
    let [message] = m;
    opt_str(message).ok().flatten().filter(|message| !message.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with the stream translator (one choice at a time).

/// The OpenAI message (or stream delta) of one choice. Built by `message_out`, written by
/// `write_message`; the stream translator may replace `content` / `reasoning` with true deltas.
#[derive(Debug, Default)]
pub struct MessageOut<'a> {
    /// DashScope's role (`None`: `write_message` writes `assistant` for a full message and
    /// nothing for a delta).
    pub role: Option<&'a str>,
    /// The text (`None`: the choice had no content).
    pub content: Option<&'a str>,
    /// `reasoning_content`, when non-empty.
    pub reasoning: Option<&'a str>,
    pub tool_calls: Vec<ToolCallOut<'a>>,
}

/// One tool call (or a stream fragment of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCallOut<'a> {
    /// DashScope's `index`, else the call's position in the message.
    pub index: Option<u32>,
    /// DashScope's id; `None` when absent or empty (stream continuations carry `"id":""`).
    pub id: Option<Cow<'a, str>>,
    /// `None` when absent or empty (stream continuations carry none).
    pub name: Option<&'a str>,
    /// The arguments text (a fragment in streams); `""` when absent.
    pub arguments: &'a str,
}

/// One choice's message → its OpenAI pieces. `text` is `message_text(message.content)`, kept by
/// the caller (the result borrows it).
pub fn message_out<'a>(message: Option<&'a MessageIn<'a>>, text: Option<&'a str>) -> MessageOut<'a> {
    let Some(m) = message else { return MessageOut::default() };
    let tool_calls = m
        .tool_calls
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(position, call)| ToolCallOut {
            index: Some(call.index.unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX))),
            id: non_empty(&call.id).map(Cow::Borrowed),
            name: non_empty(&call.name),
            arguments: call.arguments.as_deref().unwrap_or_default(),
        })
        .collect();
    MessageOut { role: non_empty(&m.role), content: text, reasoning: non_empty(&m.reasoning_content), tool_calls }
}

/// A message `content`: a string as-is; a multimodal content list → its `text` items joined
/// (`""` for a list without text; items that are not objects with a `text` string are skipped);
/// `None` when absent, `null` or of another type.
pub fn message_text(content: Option<&RawValue>) -> Option<Cow<'_, str>> {
    let raw = content?;
    if raw.get().starts_with('"') {
        return opt_str(Some(raw)).ok().flatten();
    }
    let mut text = Cow::Borrowed("");
    for item in as_array(raw).ok()? {
        let mut m = [None];
        if read_members(item.get(), &["text"], &mut m).is_err() {
            continue;
        }
        let [t] = m;
        if let Ok(Some(t)) = opt_str(t) {
            if text.is_empty() {
                text = t;
            } else {
                text.to_mut().push_str(&t);
            }
        }
    }
    Some(text)
}

/// The choice's `index`, else its position.
pub fn choice_index(choice: &ChoiceIn<'_>, position: usize) -> u32 {
    choice.index.unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX))
}

/// DashScope `finish_reason` → OpenAI's: as-is, except `"null"` / `""` / absent → `None`.
pub fn finish_reason<'s>(reason: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    non_empty(reason).filter(|r| *r != "null")
}

/// DashScope `usage` → OpenAI `usage` (see the module documentation).
pub fn openai_usage(u: &UsageIn) -> UsageOut {
    let prompt = u.input_tokens.unwrap_or(0);
    let completion = u.output_tokens.unwrap_or(0);
    UsageOut::from_counts(prompt, completion, u.total_tokens, u.cached_tokens, u.reasoning_tokens)
}

/// DashScope's `request_id` as-is, else `chatcmpl-<16 hex digits of random>`.
pub fn completion_id(request_id: Option<&str>, random: u64) -> String {
    match request_id {
        Some(id) => id.to_string(),
        None => format!("chatcmpl-{random:016x}"),
    }
}

/// Writes a message object (`delta == false`: `role` always, `content` as a string or `null`,
/// full tool calls with `type` and `name`) or a stream delta (`delta == true`: only the members
/// that are set; a tool call carries `index`, and `id` + `type` only when it has an id).
pub fn write_message(out: &mut Vec<u8>, m: &MessageOut<'_>, delta: bool) {
    let first = &mut true;
    out.push(b'{');
    if let Some(role) = m.role.or((!delta).then_some("assistant")) {
        key(out, first, "role");
        jstr(out, role);
    }
    match m.content {
        Some(c) => {
            key(out, first, "content");
            jstr(out, c);
        }
        None if !delta => {
            key(out, first, "content");
            out.extend_from_slice(b"null");
        }
        None => {}
    }
    if let Some(r) = m.reasoning {
        key(out, first, "reasoning_content");
        jstr(out, r);
    }
    if !m.tool_calls.is_empty() {
        key(out, first, "tool_calls");
        out.push(b'[');
        for (j, call) in m.tool_calls.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            write_tool_call(out, call, delta);
        }
        out.push(b']');
    }
    out.push(b'}');
}

fn write_tool_call(out: &mut Vec<u8>, call: &ToolCallOut<'_>, delta: bool) {
    let first = &mut true;
    out.push(b'{');
    if let Some(index) = call.index {
        key(out, first, "index");
        write_u64(out, u64::from(index));
    }
    if let Some(id) = &call.id {
        key(out, first, "id");
        jstr(out, id);
    }
    if call.id.is_some() || !delta {
        key(out, first, "type");
        out.extend_from_slice(b"\"function\"");
    }
    key(out, first, "function");
    out.push(b'{');
    if let Some(name) = call.name.or((!delta).then_some("")) {
        out.extend_from_slice(b"\"name\":");
        jstr(out, name);
        out.push(b',');
    }
    out.extend_from_slice(b"\"arguments\":");
    jstr(out, call.arguments);
    out.extend_from_slice(b"}}");
}

/// Writes `{"index":i,"message":{...},"logprobs":...,"finish_reason":...}`.
fn write_choice(
    out: &mut Vec<u8>,
    index: u32,
    m: &MessageOut<'_>,
    logprobs: Option<&RawValue>,
    finish_reason: Option<&str>,
) {
    out.extend_from_slice(b"{\"index\":");
    write_u64(out, u64::from(index));
    out.extend_from_slice(b",\"message\":");
    write_message(out, m, false);
    out.extend_from_slice(b",\"logprobs\":");
    match logprobs.filter(|l| l.get() != "null") {
        Some(l) => out.extend_from_slice(crate::json::compact(l.get()).as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"finish_reason\":");
    match finish_reason {
        Some(r) => jstr(out, r),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

/// The OpenAI error `type` for an HTTP status.
pub fn error_kind(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

/// `{"error":{"message","type","param":null,"code"}}` with a code that may be any string.
pub fn error_body(kind: &str, message: &str, code: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 96);
    out.extend_from_slice(b"{\"error\":{\"message\":");
    jstr(&mut out, message);
    out.extend_from_slice(b",\"type\":");
    jstr(&mut out, kind);
    out.extend_from_slice(b",\"param\":null,\"code\":");
    match code {
        Some(c) => jstr(&mut out, c),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b"}}");
    out
}

fn key(out: &mut Vec<u8>, first: &mut bool, k: &str) {
    if !std::mem::replace(first, false) {
        out.push(b',');
    }
    jstr(out, k);
    out.push(b':');
}

/// A string that is present and not empty.
pub fn non_empty<'s>(s: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    s.as_deref().filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Input views, shared with the stream translator (each SSE `data:` is a whole response object, or
// an error object). Read by hand in one pass, not derived: a derived `Deserialize` costs
// kilobytes of Wasm per struct. As with serde, an absent or `null` member is `None`, unknown
// members are ignored and a member of the wrong type makes the whole body unreadable (a
// duplicated member: the last one wins). Strings borrow from the input unless they have escapes.

/// A generation response, a stream event, or an error body (`code`, `message`).
#[derive(Default)]
pub struct ResponseIn<'a> {
    pub request_id: Option<Cow<'a, str>>,
    pub output: Option<OutputIn<'a>>,
    pub usage: Option<UsageIn>,
    /// Error bodies (and stream error events): DashScope's error code.
    pub code: Option<Cow<'a, str>>,
    /// Error bodies: the error message.
    pub message: Option<Cow<'a, str>>,
}

#[derive(Default)]
pub struct OutputIn<'a> {
    pub choices: Option<Vec<ChoiceIn<'a>>>,
    /// `result_format: "text"` answers.
    pub text: Option<Cow<'a, str>>,
    pub finish_reason: Option<Cow<'a, str>>,
}

#[derive(Default)]
pub struct ChoiceIn<'a> {
    pub index: Option<u32>,
    pub finish_reason: Option<Cow<'a, str>>,
    pub message: Option<MessageIn<'a>>,
    pub logprobs: Option<&'a RawValue>,
}

#[derive(Default)]
pub struct MessageIn<'a> {
    pub role: Option<Cow<'a, str>>,
    /// A string (text-generation) or a list of `{"text"}` / `{"image"}` items (multimodal).
    pub content: Option<&'a RawValue>,
    pub reasoning_content: Option<Cow<'a, str>>,
    pub tool_calls: Option<Vec<ToolCallIn<'a>>>,
}

/// A tool call (`type` is not read: DashScope only has functions).
#[derive(Default)]
pub struct ToolCallIn<'a> {
    pub index: Option<u32>,
    pub id: Option<Cow<'a, str>>,
    /// `function.name`.
    pub name: Option<Cow<'a, str>>,
    /// `function.arguments`.
    pub arguments: Option<Cow<'a, str>>,
}

/// DashScope `usage` (cumulative in streams: the last one wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageIn {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub total_tokens: Option<u64>,
    /// `prompt_tokens_details.cached_tokens`.
    pub cached_tokens: Option<u64>,
    /// `output_tokens_details.reasoning_tokens`.
    pub reasoning_tokens: Option<u64>,
}

/// A whole response (or stream event, or error body); `Err` when it is not a JSON object of
/// that shape.
pub fn response_in(text: &str) -> Result<ResponseIn<'_>, WrongType> {
    let mut resp = ResponseIn::default();
    let mut de = serde_json::Deserializer::from_str(text);
    Walk { part: Part::Top, how: How::Element, resp: &mut resp }.deserialize(&mut de).map_err(|_| WrongType)?;
    de.end().map_err(|_| WrongType)?;
    Ok(resp)
}

/// The objects of a response the reader walks into.
#[derive(Clone, Copy)]
enum Part {
    Top,
    Output,
    Choice,
    Message,
    ToolCall,
    Function,
    Usage,
    PromptDetails,
    OutputDetails,
}

/// The members read in each part.
fn keys(part: Part) -> &'static [&'static str] {
    match part {
        Part::Top => &["request_id", "output", "usage", "code", "message"],
        Part::Output => &["choices", "text", "finish_reason"],
        Part::Choice => &["index", "finish_reason", "message", "logprobs"],
        Part::Message => &["role", "content", "reasoning_content", "tool_calls"],
        Part::ToolCall => &["index", "id", "function"],
        Part::Function => &["name", "arguments"],
        Part::Usage => {
            &["input_tokens", "output_tokens", "total_tokens", "prompt_tokens_details", "output_tokens_details"]
        }
        Part::PromptDetails | Part::OutputDetails => &["cached_tokens", "reasoning_tokens"],
    }
}

/// The part that member `i` of `part` is (`true`: an array of them), when it is one.
fn child(part: Part, i: usize) -> Option<(Part, bool)> {
    match (part, i) {
        (Part::Top, 1) => Some((Part::Output, false)),
        (Part::Top, 2) => Some((Part::Usage, false)),
        (Part::Output, 0) => Some((Part::Choice, true)),
        (Part::Choice, 2) => Some((Part::Message, false)),
        (Part::Message, 3) => Some((Part::ToolCall, true)),
        (Part::ToolCall, 2) => Some((Part::Function, false)),
        (Part::Usage, 3) => Some((Part::PromptDetails, false)),
        (Part::Usage, 4) => Some((Part::OutputDetails, false)),
        _ => None,
    }
}

impl<'a> ResponseIn<'a> {
    fn choices(&mut self) -> Option<&mut Vec<ChoiceIn<'a>>> {
        self.output.as_mut()?.choices.as_mut()
    }

    fn message_mut(&mut self) -> Option<&mut MessageIn<'a>> {
        self.choices()?.last_mut()?.message.as_mut()
    }

    fn call(&mut self) -> Option<&mut ToolCallIn<'a>> {
        self.message_mut()?.tool_calls.as_mut()?.last_mut()
    }

    /// A member that is `part` begins (`present`) or is `null`: it replaces an earlier one.
    fn open(&mut self, part: Part, present: bool) {
        match part {
            Part::Top => {}
            Part::Output => self.output = present.then(OutputIn::default),
            Part::Usage => self.usage = present.then(UsageIn::default),
            Part::Choice => {
                if let Some(o) = self.output.as_mut() {
                    o.choices = present.then(Vec::new);
                }
            }
            Part::Message => {
                if let Some(c) = self.choices().and_then(|c| c.last_mut()) {
                    c.message = present.then(MessageIn::default);
                }
            }
            Part::ToolCall => {
                if let Some(m) = self.message_mut() {
                    m.tool_calls = present.then(Vec::new);
                }
            }
            Part::Function => {
                if let Some(c) = self.call() {
                    (c.name, c.arguments) = (None, None);
                }
            }
            Part::PromptDetails => {
                if let Some(u) = self.usage.as_mut() {
                    u.cached_tokens = None;
                }
            }
            Part::OutputDetails => {
                if let Some(u) = self.usage.as_mut() {
                    u.reasoning_tokens = None;
                }
            }
        }
    }

    /// The next element of an array of `part`s begins.
    fn push(&mut self, part: Part) {
        match part {
            Part::Choice => {
                if let Some(list) = self.choices() {
                    list.push(ChoiceIn::default());
                }
            }
            Part::ToolCall => {
                if let Some(list) = self.message_mut().and_then(|m| m.tool_calls.as_mut()) {
                    list.push(ToolCallIn::default());
                }
            }
            _ => {}
        }
    }

    /// Member `i` of `part`, which is not a part itself.
    fn set(&mut self, part: Part, i: usize, raw: &'a RawValue) -> Result<(), WrongType> {
        let raw = Some(raw).filter(|r| r.get() != "null");
        match part {
            Part::Top => {
                let s = opt_str(raw)?;
                match i {
                    0 => self.request_id = s,
                    3 => self.code = s,
                    _ => self.message = s,
                }
            }
            Part::Output => {
                let s = opt_str(raw)?;
                if let Some(o) = self.output.as_mut() {
                    if i == 1 {
                        o.text = s;
                    } else {
                        o.finish_reason = s;
                    }
                }
            }
            Part::Choice => {
                let c = self.choices().and_then(|c| c.last_mut());
                match i {
                    0 => {
                        let index = opt_u32(raw)?;
                        if let Some(c) = c {
                            c.index = index;
                        }
                    }
                    1 => {
                        let s = opt_str(raw)?;
                        if let Some(c) = c {
                            c.finish_reason = s;
                        }
                    }
                    _ => {
                        if let Some(c) = c {
                            c.logprobs = raw;
                        }
                    }
                }
            }
            Part::Message => {
                let s = if i == 1 { None } else { opt_str(raw)? };
                if let Some(m) = self.message_mut() {
                    match i {
                        0 => m.role = s,
                        1 => m.content = raw,
                        _ => m.reasoning_content = s,
                    }
                }
            }
            Part::ToolCall => {
                let (index, id) = if i == 0 { (opt_u32(raw)?, None) } else { (None, opt_str(raw)?) };
                if let Some(c) = self.call() {
                    if i == 0 {
                        c.index = index;
                    } else {
                        c.id = id;
                    }
                }
            }
            Part::Function => {
                let s = opt_str(raw)?;
                if let Some(c) = self.call() {
                    if i == 0 {
                        c.name = s;
                    } else {
                        c.arguments = s;
                    }
                }
            }
            Part::Usage | Part::PromptDetails | Part::OutputDetails => {
                let n = opt_u64(raw)?;
                if let Some(u) = self.usage.as_mut() {
                    match (part, i) {
                        (Part::Usage, 0) => u.input_tokens = n,
                        (Part::Usage, 1) => u.output_tokens = n,
                        (Part::Usage, _) => u.total_tokens = n,
                        (Part::PromptDetails, 0) => u.cached_tokens = n,
                        (Part::OutputDetails, 1) => u.reasoning_tokens = n,
                        // Either details object may carry either count: checked, not used.
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }
}

fn opt_u64(raw: Option<&RawValue>) -> Result<Option<u64>, WrongType> {
    let Some(raw) = raw else { return Ok(None) };
    // JSON text has no `+`: what `parse` takes (digits) serde takes too; the rest (`-0`, wrong
    // types) is serde's to judge.
    match raw.get().parse::<u64>() {
        Ok(n) => Ok(Some(n)),
        Err(_) => as_u64(raw).map(Some),
    }
}

fn opt_u32(raw: Option<&RawValue>) -> Result<Option<u32>, WrongType> {
    opt_u64(raw)?.map(|n| u32::try_from(n).map_err(|_| WrongType)).transpose()
}

/// How a part's value is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    /// A member that is an object, or `null`.
    Object,
    /// A member that is an array of objects, or `null`.
    Array,
    /// An object: an array element, or the whole response.
    Element,
}

/// Reads one part into `resp`: a single visitor (one set of serde instantiations) for the
/// whole response.
struct Walk<'r, 'a> {
    part: Part,
    how: How,
    resp: &'r mut ResponseIn<'a>,
}

impl<'a> DeserializeSeed<'a> for Walk<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'a>>(self, de: D) -> Result<(), D::Error> {
        if self.how == How::Element {
            self.resp.push(self.part);
            de.deserialize_map(self)
        } else {
            de.deserialize_option(self)
        }
    }
}

impl<'a> Visitor<'a> for Walk<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a DashScope response object")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.resp.open(self.part, false);
        Ok(())
    }

    fn visit_some<D: Deserializer<'a>>(self, de: D) -> Result<(), D::Error> {
        self.resp.open(self.part, true);
        if self.how == How::Array {
            de.deserialize_seq(self)
        } else {
            de.deserialize_map(self)
        }
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Walk { part: self.part, how: How::Element, resp: &mut *self.resp })?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeyIndex(keys(self.part)))? {
            match key.map(|i| (i, child(self.part, i))) {
                Some((_, Some((part, array)))) => {
                    let how = if array { How::Array } else { How::Object };
                    map.next_value_seed(Walk { part, how, resp: &mut *self.resp })?;
                }
                Some((i, None)) => {
                    let raw: &'a RawValue = map.next_value()?;
                    self.resp.set(self.part, i, raw).map_err(|_| serde::de::Error::custom("wrong type"))?;
                }
                None => {
                    map.next_value::<&'a RawValue>()?;
                }
            }
        }
        Ok(())
    }
}

/// A member name, as its position in the names read (compared unescaped, never copied).
struct KeyIndex(&'static [&'static str]);

impl<'a> DeserializeSeed<'a> for KeyIndex {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'a>>(self, de: D) -> Result<Option<usize>, D::Error> {
        de.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyIndex {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| *k == v))
    }
}

#[cfg(test)]
#[path = "response_tests.rs"]
pub(crate) mod tests;
