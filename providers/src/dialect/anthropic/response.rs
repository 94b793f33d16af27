//! Anthropic Messages response and error → OpenAI chat completion and error.
//!
//! Response (<https://docs.anthropic.com/en/api/messages>, `Message` object):
//! - `text` blocks are concatenated into `message.content`; with no text the content is `null`
//!   when there are tool calls, else `""`.
//! - `tool_use` → `tool_calls` (`type: function`, `arguments` = the compact JSON text of
//!   `input`, key order kept), ids unchanged.
//! - `thinking` → `reasoning_content` (all thinking text concatenated) and, with
//!   `redacted_thinking`, `thinking_blocks` in order, signatures kept (LiteLLM's convention), so
//!   a client can send them back.
//! - Server-tool blocks (`server_tool_use`, `web_search_tool_result`, ...) and unknown blocks
//!   have no chat-completions equivalent and are skipped.
//! - `stop_reason`: `end_turn` / `stop_sequence` / `pause_turn` → `stop`, `max_tokens` /
//!   `model_context_window_exceeded` → `length`, `tool_use` → `tool_calls`, `refusal` →
//!   `content_filter`, `null` → `null`, anything newer → `stop`.
//! - `usage`: prompt_tokens = input + cache read + cache creation tokens (OpenAI counts cached
//!   tokens inside prompt_tokens), completion_tokens = output, total = sum;
//!   `prompt_tokens_details.cached_tokens` = cache read tokens, only when the upstream reported
//!   cache fields. No usage in, no usage out.
//! - `id` is the Anthropic message id unchanged (`msg_` + hex of `ctx.random` when absent);
//!   `model` is the upstream's, else `ctx.model`.
//! - A body `{"type":"error",...}` (an error sent with a 2xx status) is returned as `Err`, with
//!   the upstream message and the status its error type stands for (as listed below; unknown →
//!   502).
//!
//! Errors (<https://docs.anthropic.com/en/api/errors>): the status is kept, except 529
//! (`overloaded_error`) → 503, the status OpenAI clients retry on. Types map to OpenAI's:
//! `invalid_request_error`, `authentication_error`, `permission_error`, `not_found_error`,
//! `rate_limit_error` keep their name; `request_too_large` → `invalid_request_error` with code
//! `request_too_large`; `billing_error` → `insufficient_quota`; `api_error`, `overloaded_error`
//! and `timeout_error` → `api_error` (codes `overloaded`, `timeout` for the last two). An unknown
//! type or an unreadable body gets the type of its status class and, for the latter, a short
//! generic message naming the status.

use crate::dialect::openai::UsageOut;
use crate::dialect::TranslateCtx;
use crate::error::ProxyError;
use crate::json::{as_array, as_str, as_u64, opt_str, read_members, write_str, write_u64, WrongType};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A non-streamed Messages response → an OpenAI `chat.completion`.
pub fn translate_response(body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    let msg = message_in(body)
        .ok_or_else(|| ProxyError::bad_upstream("the upstream response is not a valid Anthropic message"))?;
    if msg.kind.as_deref() == Some("error") {
        let (status, err) = error_from(msg.error.as_ref(), 502);
        return Err(ProxyError { status, ..err });
    }
    let Some(content) = msg.content else {
        return Err(ProxyError::bad_upstream("the upstream response has no content"));
    };

    // Text blocks as the upstream's JSON strings: one (the usual answer) is copied as it is.
    let mut texts: Vec<&RawValue> = Vec::new();
    let mut reasoning: Option<String> = None;
    let mut thinking_blocks = Vec::new();
    let mut tool_calls = Vec::new();
    for raw in content {
        let Some(block) = block_in(raw) else { continue };
        match block.kind.as_ref() {
            "text" => texts.extend(block.text.filter(|t| t.get() != "\"\"")),
            "thinking" => {
                let thinking = block.thinking.unwrap_or_default();
                reasoning.get_or_insert_with(String::new).push_str(&thinking);
                thinking_blocks.push(ThinkingBlockOut::Thinking { thinking, signature: block.signature });
            }
            "redacted_thinking" => thinking_blocks.push(ThinkingBlockOut::RedactedThinking { data: block.data }),
            "tool_use" => {
                let arguments = block.input.map_or_else(|| "{}".to_string(), |i| crate::json::compact(i.get()));
                tool_calls.push(ToolCallOut {
                    id: block.id.unwrap_or_default(),
                    name: block.name.unwrap_or_default(),
                    arguments,
                });
            }
            _ => {}
        }
    }
    let content = match texts.as_slice() {
        [] if !tool_calls.is_empty() => None,
        [] => Some(ContentOut::Text(String::new())),
        [one] => Some(ContentOut::Literal(one)),
        many => {
            let mut joined = String::new();
            for t in many {
                joined.push_str(&as_str(t).unwrap_or_default());
            }
            Some(ContentOut::Text(joined))
        }
    };

    let mut out = Vec::with_capacity(body.len() + 256);
    out.extend_from_slice(b"{\"id\":");
    match &msg.id {
        Some(id) => write_str(&mut out, id),
        None => {
            out.extend_from_slice(b"\"msg_");
            out.extend_from_slice(format!("{:016x}", ctx.random).as_bytes());
            out.push(b'"');
        }
    }
    out.extend_from_slice(b",\"object\":\"chat.completion\",\"created\":");
    write_u64(&mut out, ctx.created);
    out.extend_from_slice(b",\"model\":");
    write_str(&mut out, msg.model.as_deref().unwrap_or(&ctx.model));
    out.extend_from_slice(b",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
    match content {
        None => out.extend_from_slice(b"null"),
        Some(ContentOut::Text(text)) => write_str(&mut out, &text),
        Some(ContentOut::Literal(raw)) => out.extend_from_slice(raw.get().as_bytes()),
    }
    if let Some(reasoning) = &reasoning {
        out.extend_from_slice(b",\"reasoning_content\":");
        write_str(&mut out, reasoning);
    }
    if !thinking_blocks.is_empty() {
        out.extend_from_slice(b",\"thinking_blocks\":[");
        for (n, block) in thinking_blocks.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            block.write(&mut out);
        }
        out.push(b']');
    }
    if !tool_calls.is_empty() {
        out.extend_from_slice(b",\"tool_calls\":[");
        for (n, call) in tool_calls.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"id\":");
            write_str(&mut out, &call.id);
            out.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
            write_str(&mut out, &call.name);
            out.extend_from_slice(b",\"arguments\":");
            write_str(&mut out, &call.arguments);
            out.extend_from_slice(b"}}");
        }
        out.push(b']');
    }
    out.extend_from_slice(b"},\"logprobs\":null,\"finish_reason\":");
    match msg.stop_reason.as_deref().map(finish_reason) {
        Some(reason) => write_str(&mut out, reason),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b"}]");
    if let Some(usage) = msg.usage.as_ref().map(openai_usage) {
        out.extend_from_slice(b",\"usage\":");
        usage.write(&mut out);
    }
    out.push(b'}');
    Ok(out)
}

/// An Anthropic error (`{"type":"error","error":{...}}`, any status) → status and OpenAI
/// error body.
pub fn translate_error(status: u16, body: &[u8]) -> (u16, Vec<u8>) {
    let status_out = if status == 529 { 503 } else { status };
    let parsed = error_envelope(body).ok().flatten();
    let (_, err) = error_from(parsed.as_ref(), status);
    (status_out, ProxyError { status: status_out, ..err }.to_openai_json())
}

/// The OpenAI `finish_reason` for an Anthropic `stop_reason`.
pub fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    }
}

/// Anthropic `usage` → OpenAI `usage`.
pub fn openai_usage(u: &UsageIn) -> UsageOut {
    let input = u.input_tokens.unwrap_or(0);
    let read = u.cache_read_input_tokens.unwrap_or(0);
    let creation = u.cache_creation_input_tokens.unwrap_or(0);
    let prompt = input.saturating_add(read).saturating_add(creation);
    let completion = u.output_tokens.unwrap_or(0);
    let has_cache_info = u.cache_read_input_tokens.is_some() || u.cache_creation_input_tokens.is_some();
    UsageOut::from_counts(prompt, completion, None, has_cache_info.then_some(read), None)
}

/// An Anthropic error object (or none) → the status its type stands for and our error. The
/// message is the upstream's (never ours to add secrets to); a generic one names `status`.
fn error_from(err: Option<&ErrorIn<'_>>, status: u16) -> (u16, ProxyError) {
    let kind = err.and_then(|e| e.kind.as_deref());
    let (type_status, openai_kind, code) = match kind {
        Some("invalid_request_error") => (400, "invalid_request_error", None),
        Some("authentication_error") => (401, "authentication_error", None),
        Some("billing_error") => (402, "insufficient_quota", None),
        Some("permission_error") => (403, "permission_error", None),
        Some("not_found_error") => (404, "not_found_error", None),
        Some("request_too_large") => (413, "invalid_request_error", Some("request_too_large")),
        Some("rate_limit_error") => (429, "rate_limit_error", None),
        Some("api_error") => (502, "api_error", None),
        Some("overloaded_error") => (503, "api_error", Some("overloaded")),
        Some("timeout_error") => (504, "api_error", Some("timeout")),
        _ => (502, kind_for_status(status), None),
    };
    let message = err
        .and_then(|e| e.message.as_deref())
        .filter(|m| !m.is_empty())
        .map_or_else(|| format!("upstream error (HTTP {status})"), str::to_string);
    let mut e = ProxyError::new(type_status, openai_kind, message);
    e.code = code;
    (type_status, e)
}

fn kind_for_status(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

// ---------------------------------------------------------------------------------------------
// Input views, read by hand: a derived `Deserialize` costs kilobytes of Wasm per struct. As
// with serde, an absent or `null` member is `None`, unknown members are ignored and a member
// of the wrong type makes the whole object unreadable (a duplicated member: the last wins).

struct MessageIn<'a> {
    kind: Option<Cow<'a, str>>,
    id: Option<Cow<'a, str>>,
    model: Option<Cow<'a, str>>,
    content: Option<Vec<&'a RawValue>>,
    stop_reason: Option<Cow<'a, str>>,
    usage: Option<UsageIn>,
    error: Option<ErrorIn<'a>>,
}

/// The response body as a message; `None` when it is not an object of that shape.
fn message_in(body: &[u8]) -> Option<MessageIn<'_>> {
    let text = std::str::from_utf8(body).ok()?;
    let mut m = [None; 7];
    read_members(text, &["type", "id", "model", "content", "stop_reason", "usage", "error"], &mut m).ok()?;
    let [kind, id, model, content, stop_reason, usage, error] = m;
    let read = || -> Result<MessageIn<'_>, WrongType> {
        Ok(MessageIn {
            kind: opt_str(kind)?,
            id: opt_str(id)?,
            model: opt_str(model)?,
            content: content.map(as_array).transpose()?,
            stop_reason: opt_str(stop_reason)?,
            usage: usage.map(usage_in).transpose()?,
            error: error.map(error_in).transpose()?,
        })
    };
    read().ok()
}

struct BlockIn<'a> {
    kind: Cow<'a, str>,
    /// A JSON string (checked), copied or decoded by the caller.
    text: Option<&'a RawValue>,
    thinking: Option<Cow<'a, str>>,
    signature: Option<Cow<'a, str>>,
    data: Option<Cow<'a, str>>,
    id: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
    input: Option<&'a RawValue>,
}

/// A content block; `None` when it is not an object with a string `type` and string fields.
fn block_in(raw: &RawValue) -> Option<BlockIn<'_>> {
    let mut m = [None; 8];
    read_members(raw.get(), &["type", "text", "thinking", "signature", "data", "id", "name", "input"], &mut m).ok()?;
    let [kind, text, thinking, signature, data, id, name, input] = m;
    let read = || -> Result<BlockIn<'_>, WrongType> {
        Ok(BlockIn {
            kind: opt_str(kind)?.ok_or(WrongType)?,
            text: match text {
                Some(t) if !t.get().starts_with('"') => return Err(WrongType),
                t => t,
            },
            thinking: opt_str(thinking)?,
            signature: opt_str(signature)?,
            data: opt_str(data)?,
            id: opt_str(id)?,
            name: opt_str(name)?,
            input,
        })
    };
    read().ok()
}

/// Anthropic `usage` (also in stream `message_start` / `message_delta` events).
#[derive(Debug, Clone, Default)]
pub struct UsageIn {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cache_read_input_tokens: Option<u64>,
    pub cache_creation_input_tokens: Option<u64>,
}

/// An Anthropic `usage` object; `Err` when it is not an object or a count is not a `u64`.
pub fn usage_in(raw: &RawValue) -> Result<UsageIn, WrongType> {
    let mut m = [None; 4];
    let keys = ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"];
    read_members(raw.get(), &keys, &mut m)?;
    let [input, output, read, creation] = m;
    Ok(UsageIn {
        input_tokens: input.map(as_u64).transpose()?,
        output_tokens: output.map(as_u64).transpose()?,
        cache_read_input_tokens: read.map(as_u64).transpose()?,
        cache_creation_input_tokens: creation.map(as_u64).transpose()?,
    })
}

/// An Anthropic error object.
pub(crate) struct ErrorIn<'a> {
    pub(crate) kind: Option<Cow<'a, str>>,
    pub(crate) message: Option<Cow<'a, str>>,
}

/// An Anthropic error object (`type`, `message`); `Err` when it is not one.
pub(crate) fn error_in(raw: &RawValue) -> Result<ErrorIn<'_>, WrongType> {
    let mut m = [None; 2];
    read_members(raw.get(), &["type", "message"], &mut m)?;
    let [kind, message] = m;
    Ok(ErrorIn { kind: opt_str(kind)?, message: opt_str(message)? })
}

/// The `error` member of an error body.
fn error_envelope(body: &[u8]) -> Result<Option<ErrorIn<'_>>, WrongType> {
    let text = std::str::from_utf8(body).map_err(|_| WrongType)?;
    let mut m = [None; 1];
    read_members(text, &["error"], &mut m)?;
    let [error] = m;
    error.map(error_in).transpose()
}

// ---------------------------------------------------------------------------------------------
// Output shapes, written by hand (byte for byte what serde_json wrote for the former structs).

/// The message text: joined from several blocks, or one block's JSON string as it came.
enum ContentOut<'a> {
    Text(String),
    Literal(&'a RawValue),
}

enum ThinkingBlockOut<'a> {
    Thinking { thinking: Cow<'a, str>, signature: Option<Cow<'a, str>> },
    RedactedThinking { data: Option<Cow<'a, str>> },
}

impl ThinkingBlockOut<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            ThinkingBlockOut::Thinking { thinking, signature } => {
                out.extend_from_slice(b"{\"type\":\"thinking\",\"thinking\":");
                write_str(out, thinking);
                if let Some(signature) = signature {
                    out.extend_from_slice(b",\"signature\":");
                    write_str(out, signature);
                }
            }
            ThinkingBlockOut::RedactedThinking { data } => {
                out.extend_from_slice(b"{\"type\":\"redacted_thinking\",\"data\":");
                match data {
                    Some(data) => write_str(out, data),
                    None => out.extend_from_slice(b"null"),
                }
            }
        }
        out.push(b'}');
    }
}

struct ToolCallOut<'a> {
    id: Cow<'a, str>,
    name: Cow<'a, str>,
    arguments: String,
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
