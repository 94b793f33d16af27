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

use crate::dialect::gemini::response::{CompletionTokensDetails, PromptTokensDetails, UsageOut};
use crate::dialect::TranslateCtx;
use crate::error::ProxyError;
use crate::json::ObjectView;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The id of the `n`-th (from 0) tool call that came without one: `call_<16 hex>_<n>`.
pub use crate::dialect::gemini::response::tool_call_id;

/// A non-streamed generation response (`result_format: message`) → `chat.completion`.
pub fn translate_response(body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    let resp: ResponseIn<'_> = crate::json::from_bytes(body)
        .map_err(|_| ProxyError::bad_upstream("the upstream response is not a valid DashScope response"))?;
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
    out.extend_from_slice(ctx.created.to_string().as_bytes());
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
    let parsed = crate::json::from_bytes::<ResponseIn<'_>>(body).ok();
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
fn openai_error_message(body: &[u8]) -> Option<String> {
    let view = crate::json::ObjectView::parse(body).ok()?;
    let error = crate::json::ObjectView::parse(view.get("error")?.get().as_bytes()).ok()?;
    let message = error.get_str("message").ok().flatten()?;
    (!message.is_empty()).then(|| message.into_owned())
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
        .map(|(position, call)| {
            let function = call.function.as_ref();
            ToolCallOut {
                index: Some(call.index.unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX))),
                id: non_empty(&call.id).map(Cow::Borrowed),
                name: function.and_then(|f| non_empty(&f.name)),
                arguments: function.and_then(|f| f.arguments.as_deref()).unwrap_or_default(),
            }
        })
        .collect();
    MessageOut { role: non_empty(&m.role), content: text, reasoning: non_empty(&m.reasoning_content), tool_calls }
}

/// A message `content`: a string as-is; a multimodal content list → its `text` items joined
/// (`""` for a list without text); `None` when absent, `null` or of another type.
pub fn message_text(content: Option<&RawValue>) -> Option<String> {
    let raw = content?.get();
    if raw.starts_with('"') {
        return serde_json::from_str::<String>(raw).ok();
    }
    let items: Vec<&RawValue> = serde_json::from_str(raw).ok()?;
    let mut text = String::new();
    for item in items {
        if let Some(t) = ObjectView::parse(item.get().as_bytes()).ok().and_then(|o| o.get_str("text").ok().flatten()) {
            text.push_str(&t);
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
    UsageOut {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: u.total_tokens.unwrap_or_else(|| prompt.saturating_add(completion)),
        prompt_tokens_details: u
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .map(|cached_tokens| PromptTokensDetails { cached_tokens }),
        completion_tokens_details: u
            .output_tokens_details
            .as_ref()
            .and_then(|d| d.reasoning_tokens)
            .map(|reasoning_tokens| CompletionTokensDetails { reasoning_tokens }),
    }
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
        out.extend_from_slice(index.to_string().as_bytes());
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
    out.extend_from_slice(index.to_string().as_bytes());
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

/// Writes a JSON string.
pub fn jstr(out: &mut Vec<u8>, s: &str) {
    if serde_json::to_writer(&mut *out, s).is_err() {
        out.extend_from_slice(b"\"\"");
    }
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
// Input views: one per DashScope object kind, shared with the stream translator (each SSE
// `data:` is a whole response object, or an error object). Unknown fields are ignored.

/// A generation response, a stream event, or an error body (`code`, `message`).
#[derive(Deserialize)]
pub struct ResponseIn<'a> {
    #[serde(default, borrow)]
    pub request_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub output: Option<OutputIn<'a>>,
    #[serde(default)]
    pub usage: Option<UsageIn>,
    /// Error bodies (and stream error events): DashScope's error code.
    #[serde(default, borrow)]
    pub code: Option<Cow<'a, str>>,
    /// Error bodies: the error message.
    #[serde(default, borrow)]
    pub message: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub struct OutputIn<'a> {
    #[serde(default, borrow)]
    pub choices: Option<Vec<ChoiceIn<'a>>>,
    /// `result_format: "text"` answers.
    #[serde(default, borrow)]
    pub text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub struct ChoiceIn<'a> {
    #[serde(default)]
    pub index: Option<u32>,
    #[serde(default, borrow)]
    pub finish_reason: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub message: Option<MessageIn<'a>>,
    #[serde(default, borrow)]
    pub logprobs: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub struct MessageIn<'a> {
    #[serde(default, borrow)]
    pub role: Option<Cow<'a, str>>,
    /// A string (text-generation) or a list of `{"text"}` / `{"image"}` items (multimodal).
    #[serde(default, borrow)]
    pub content: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub reasoning_content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub tool_calls: Option<Vec<ToolCallIn<'a>>>,
}

#[derive(Deserialize)]
pub struct ToolCallIn<'a> {
    #[serde(default)]
    pub index: Option<u32>,
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub function: Option<FunctionIn<'a>>,
}

#[derive(Deserialize)]
pub struct FunctionIn<'a> {
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub arguments: Option<Cow<'a, str>>,
}

/// DashScope `usage` (cumulative in streams: the last one wins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UsageIn {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub total_tokens: Option<u64>,
    #[serde(default)]
    pub prompt_tokens_details: Option<TokenDetailsIn>,
    #[serde(default)]
    pub output_tokens_details: Option<TokenDetailsIn>,
}

/// `prompt_tokens_details` / `output_tokens_details` (one type for both).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TokenDetailsIn {
    #[serde(default)]
    pub cached_tokens: Option<u64>,
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn ctx() -> TranslateCtx {
        TranslateCtx { model: "qwen-plus".into(), created: 1_700_000_000, random: 0xabc, include_usage: false }
    }

    fn translate(body: &Value) -> Value {
        let out = translate_response(body.to_string().as_bytes(), &ctx()).unwrap();
        crate::json::from_bytes(&out).unwrap()
    }

    fn completion(id: &str, choices: Value, usage: Option<Value>) -> Value {
        let mut v = json!({"id":id,"object":"chat.completion","created":1_700_000_000u64,"model":"qwen-plus","choices":choices});
        if let Some(u) = usage {
            v["usage"] = u;
        }
        v
    }

    #[test]
    fn translates_responses() {
        let cases: Vec<(&str, Value, Value)> = vec![
            (
                "plain text",
                json!({"output":{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"1+1 等于 2。"}}]},
                    "usage":{"total_tokens":47,"output_tokens":39,"input_tokens":8},"request_id":"e764bfe3-c0b7-97a0-ae57-cd99e1580960"}),
                completion(
                    "e764bfe3-c0b7-97a0-ae57-cd99e1580960",
                    json!([{"index":0,"message":{"role":"assistant","content":"1+1 等于 2。"},"logprobs":null,"finish_reason":"stop"}]),
                    Some(json!({"prompt_tokens":8,"completion_tokens":39,"total_tokens":47})),
                ),
            ),
            (
                "tool call: empty content is null, DashScope's id kept, index dropped",
                json!({"output":{"choices":[{"finish_reason":"tool_calls","message":{"role":"assistant","tool_calls":[
                    {"function":{"name":"get_current_weather","arguments":"{\"location\": \"浙江省杭州市\"}"},"index":0,
                    "id":"call_cec4c19d27624537b583af","type":"function"}],"content":""}}]},
                    "usage":{"total_tokens":219,"output_tokens":8,"input_tokens":211},"request_id":"67300049-c108-9987-b1c1-8e0ee2de6b5d"}),
                completion(
                    "67300049-c108-9987-b1c1-8e0ee2de6b5d",
                    json!([{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_cec4c19d27624537b583af",
                        "type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"浙江省杭州市\"}"}}]},
                        "logprobs":null,"finish_reason":"tool_calls"}]),
                    Some(json!({"prompt_tokens":211,"completion_tokens":8,"total_tokens":219})),
                ),
            ),
            (
                "reasoning with cached and reasoning token details",
                json!({"output":{"choices":[{"finish_reason":"length","message":{"content":"","reasoning_content":"我们被问到：1+1","role":"assistant"}}]},
                    "usage":{"input_tokens":12,"output_tokens":21,"output_tokens_details":{"reasoning_tokens":20},
                        "prompt_tokens_details":{"cached_tokens":0},"total_tokens":33},"request_id":"7c8beccf-3e76-9034-95c1-db1f1ab9d6e0"}),
                completion(
                    "7c8beccf-3e76-9034-95c1-db1f1ab9d6e0",
                    json!([{"index":0,"message":{"role":"assistant","content":"","reasoning_content":"我们被问到：1+1"},
                        "logprobs":null,"finish_reason":"length"}]),
                    Some(json!({"prompt_tokens":12,"completion_tokens":21,"total_tokens":33,
                        "prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":20}})),
                ),
            ),
            (
                "logprobs copied",
                json!({"output":{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"2"},
                    "logprobs":{"content":[{"top_logprobs":[{"logprob":0.0,"bytes":[50],"token":"2"}],"logprob":0.0,"bytes":[50],"token":"2"}]}}]},
                    "usage":{"total_tokens":21,"output_tokens":1,"input_tokens":20,"prompt_tokens_details":{"cached_tokens":0}},
                    "request_id":"1d881da5-0028-9f20-8e7f-6bc7ae891c54"}),
                completion(
                    "1d881da5-0028-9f20-8e7f-6bc7ae891c54",
                    json!([{"index":0,"message":{"role":"assistant","content":"2"},"finish_reason":"stop",
                        "logprobs":{"content":[{"top_logprobs":[{"logprob":0.0,"bytes":[50],"token":"2"}],"logprob":0.0,"bytes":[50],"token":"2"}]}}]),
                    Some(
                        json!({"prompt_tokens":20,"completion_tokens":1,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0}}),
                    ),
                ),
            ),
            (
                "multimodal content list joined; no total_tokens; empty details ignored",
                json!({"output":{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":[{"text":"海滩"},{"image":"https://x/y.png"},{"text":"。"}]}}]},
                    "usage":{"output_tokens":3,"input_tokens":3613,"image_tokens":3577,"prompt_tokens_details":{}},
                    "request_id":"e81aa922-be6c-9f9d-bd4f-0f43e21fd913"}),
                completion(
                    "e81aa922-be6c-9f9d-bd4f-0f43e21fd913",
                    json!([{"index":0,"message":{"role":"assistant","content":"海滩。"},"logprobs":null,"finish_reason":"stop"}]),
                    Some(json!({"prompt_tokens":3613,"completion_tokens":3,"total_tokens":3616})),
                ),
            ),
            (
                "result_format text answer",
                json!({"output":{"finish_reason":"stop","text":"1+1等于2。"},
                    "usage":{"prompt_tokens_details":{"cached_tokens":0},"total_tokens":30,"output_tokens":14,"input_tokens":16},
                    "request_id":"7e3d5586-cb70-98ce-97bf-8a2ac0091c3f"}),
                completion(
                    "7e3d5586-cb70-98ce-97bf-8a2ac0091c3f",
                    json!([{"index":0,"message":{"role":"assistant","content":"1+1等于2。"},"logprobs":null,"finish_reason":"stop"}]),
                    Some(
                        json!({"prompt_tokens":16,"completion_tokens":14,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":0}}),
                    ),
                ),
            ),
            (
                "n choices with indices; generated ids count across choices; \"null\" finish; no usage; no request_id",
                json!({"output":{"choices":[
                    {"index":1,"finish_reason":"null","message":{"role":"assistant","content":"b"}},
                    {"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Let me check.","tool_calls":[
                        {"function":{"name":"f","arguments":"{}"}},{"id":"","type":"function","function":{"name":"g"}}]}},
                    {"finish_reason":"","message":{"role":"assistant","tool_calls":[{"function":{"name":"h","arguments":"{\"a\":1}"}}]}},
                    {"finish_reason":"stop"}]}}),
                completion(
                    "chatcmpl-0000000000000abc",
                    json!([
                        {"index":1,"message":{"role":"assistant","content":"b"},"logprobs":null,"finish_reason":null},
                        {"index":0,"message":{"role":"assistant","content":"Let me check.","tool_calls":[
                            {"id":"call_0000000000000abc_0","type":"function","function":{"name":"f","arguments":"{}"}},
                            {"id":"call_0000000000000abc_1","type":"function","function":{"name":"g","arguments":""}}]},
                            "logprobs":null,"finish_reason":"tool_calls"},
                        {"index":2,"message":{"role":"assistant","content":null,"tool_calls":[
                            {"id":"call_0000000000000abc_2","type":"function","function":{"name":"h","arguments":"{\"a\":1}"}}]},
                            "logprobs":null,"finish_reason":null},
                        {"index":3,"message":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"stop"}]),
                    None,
                ),
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(translate(&input), want, "{name}");
        }
    }

    #[test]
    fn unreadable_responses() {
        for body in [
            &b"not json"[..],
            b"[]",
            b"",
            b"{}",
            br#"{"output":{}}"#,
            br#"{"output":{"choices":[]}}"#,
            br#"{"output":{"choices":[{"message":{"content":"x","tool_calls":{}}}]}}"#,
            br#"{"output":{"choices":{"a":1}}}"#,
            br#"{"output":{"text":5}}"#,
        ] {
            let e = translate_response(body, &ctx()).unwrap_err();
            assert_eq!((e.status, e.kind), (502, "api_error"), "{}", String::from_utf8_lossy(body));
        }
        let e = translate_response(
            br#"{"code":"InternalError.Algo","message":"An internal error has occured.","request_id":"r1"}"#,
            &ctx(),
        )
        .unwrap_err();
        assert_eq!(
            (e.status, e.kind, e.message.as_str()),
            (502, "api_error", "upstream error InternalError.Algo: An internal error has occured.")
        );
    }

    #[test]
    fn translates_errors() {
        let cases: Vec<(u16, &str, Value)> = vec![
            (
                401,
                r#"{"code":"InvalidApiKey","message":"Invalid API-key provided.","request_id":"a1c0561c-1dfe-98a6-a62f-983577b8bc5e"}"#,
                json!({"message":"Invalid API-key provided.","type":"authentication_error","param":null,"code":"InvalidApiKey"}),
            ),
            (
                400,
                r#"{"code":"InvalidParameter","message":"Role must be user or assistant and Content length must be greater than 0","request_id":"a5898c04"}"#,
                json!({"message":"Role must be user or assistant and Content length must be greater than 0",
                    "type":"invalid_request_error","param":null,"code":"InvalidParameter"}),
            ),
            (
                400,
                r#"{"code":"DataInspectionFailed","message":"Input data may contain inappropriate content.","request_id":"r"}"#,
                json!({"message":"Input data may contain inappropriate content.","type":"invalid_request_error","param":null,
                    "code":"DataInspectionFailed"}),
            ),
            (
                403,
                r#"{"code":"AccessDenied","message":"Access denied.","request_id":"r"}"#,
                json!({"message":"Access denied.","type":"permission_error","param":null,"code":"AccessDenied"}),
            ),
            (
                404,
                r#"{"code":"ModelNotFound","message":"Model not exist.","request_id":"r"}"#,
                json!({"message":"Model not exist.","type":"not_found_error","param":null,"code":"ModelNotFound"}),
            ),
            (
                429,
                r#"{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded, please try again later.","request_id":"r"}"#,
                json!({"message":"Requests rate limit exceeded, please try again later.","type":"rate_limit_error","param":null,
                    "code":"Throttling.RateQuota"}),
            ),
            (
                500,
                r#"{"code":"InternalError","message":"An internal error has occured, please try again later or contact service support.","request_id":"r"}"#,
                json!({"message":"An internal error has occured, please try again later or contact service support.",
                    "type":"api_error","param":null,"code":"InternalError"}),
            ),
            (
                503,
                r#"{"code":"ServiceUnavailable","request_id":"r"}"#,
                json!({"message":"upstream error ServiceUnavailable (HTTP 503)","type":"api_error","param":null,"code":"ServiceUnavailable"}),
            ),
            (
                502,
                "<html><title>502 Bad Gateway</title></html>",
                json!({"message":"upstream error (HTTP 502)","type":"api_error","param":null,"code":null}),
            ),
            (404, "", json!({"message":"upstream error (HTTP 404)","type":"not_found_error","param":null,"code":null})),
            (
                418,
                r#"{"message":"short and stout"}"#,
                json!({"message":"short and stout","type":"invalid_request_error","param":null,"code":null}),
            ),
            (
                504,
                r#"{"error":{"code":"response_timeout","message":"upstream request timeout","type":"api_error"}}"#,
                json!({"message":"upstream request timeout","type":"api_error","param":null,"code":null}),
            ),
            (
                503,
                r#"{"error":{"message":""}}"#,
                json!({"message":"upstream error (HTTP 503)","type":"api_error","param":null,"code":null}),
            ),
        ];
        for (status, body, want) in cases {
            let (s, out) = translate_error(status, body.as_bytes());
            let v: Value = crate::json::from_bytes(&out).unwrap();
            assert_eq!((s, &v["error"]), (status, &want), "{status} {body}");
            assert_eq!(v.as_object().unwrap().len(), 1);
        }
    }

    #[test]
    fn choice_helpers_for_streams() {
        // A stream event of a parallel tool call: the continuation has `"id":""` and no name.
        let event: ResponseIn<'_> = serde_json::from_str(
            r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":1,"id":"","type":"function",
            "function":{"arguments":" \"上海市\"}"}}],"role":"assistant"},"index":0,"finish_reason":"tool_calls"}]},
            "usage":{"total_tokens":287,"output_tokens":37,"input_tokens":250,"prompt_tokens_details":{"cached_tokens":0}},
            "request_id":"98b76af4-4c9f-9397-af42-500425556f95"}"#,
        )
        .unwrap();
        let choice = &event.output.as_ref().unwrap().choices.as_ref().unwrap()[0];
        assert_eq!(choice_index(choice, 5), 0);
        assert_eq!(finish_reason(&choice.finish_reason), Some("tool_calls"));
        let text = message_text(choice.message.as_ref().unwrap().content);
        assert_eq!(text.as_deref(), Some(""));
        let mut m = message_out(choice.message.as_ref(), text.as_deref());
        assert_eq!(m.tool_calls, vec![ToolCallOut { index: Some(1), id: None, name: None, arguments: " \"上海市\"}" }]);
        m.content = None;
        m.role = None;
        let mut out = Vec::new();
        write_message(&mut out, &m, true);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"tool_calls":[{"index":1,"function":{"arguments":" \"上海市\"}"}}]}"#
        );
        // The first fragment of a call carries id, type and name.
        let first = ToolCallOut { index: Some(0), id: Some("call_1".into()), name: Some("f"), arguments: "{\"a\"" };
        let m =
            MessageOut { role: Some("assistant"), content: Some("x"), reasoning: Some("r"), tool_calls: vec![first] };
        let mut out = Vec::new();
        write_message(&mut out, &m, true);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"role":"assistant","content":"x","reasoning_content":"r","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\""}}]}"#
        );
        let mut out = Vec::new();
        write_message(&mut out, &MessageOut::default(), true);
        assert_eq!(out, b"{}");
        let mut out = Vec::new();
        write_message(&mut out, &MessageOut::default(), false);
        assert_eq!(out, br#"{"role":"assistant","content":null}"#);

        let usage = openai_usage(event.usage.as_ref().unwrap());
        assert_eq!(
            serde_json::to_string(&usage).unwrap(),
            r#"{"prompt_tokens":250,"completion_tokens":37,"total_tokens":287,"prompt_tokens_details":{"cached_tokens":0}}"#
        );
        assert_eq!(openai_usage(&UsageIn::default()).total_tokens, 0);
        assert_eq!(completion_id(Some("r-1"), 1), "r-1");
        assert_eq!(completion_id(None, 1), "chatcmpl-0000000000000001");
        assert_eq!(tool_call_id(0, 3), "call_0000000000000000_3");
        for (raw, want) in [
            (r#""a""#, Some("a")),
            (r#"[{"text":"a"},{"text":"b"}]"#, Some("ab")),
            (r#"[]"#, Some("")),
            (r#"null"#, None),
            (r#"5"#, None),
        ] {
            let raw = RawValue::from_string(raw.to_string()).unwrap();
            assert_eq!(message_text(Some(&raw)).as_deref(), want);
        }
        for (reason, want) in [(Some("null"), None), (Some(""), None), (None, None), (Some("length"), Some("length"))] {
            assert_eq!(finish_reason(&reason.map(Cow::Borrowed)), want);
        }
        assert_eq!(
            error_body("api_error", "m", None),
            br#"{"error":{"message":"m","type":"api_error","param":null,"code":null}}"#
        );
    }
}
