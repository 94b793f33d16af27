//! OpenAI chat completion → Anthropic Messages response, and errors in Anthropic's shape.
//!
//! Decisions: only choice 0 is read. Tool arguments that are not a JSON object cannot
//! be an Anthropic `input`; rather than `{}` (which hides the failure and runs the tool with no
//! arguments) they become `{"_raw": "<the arguments>"}`, so the tool reports a schema error that
//! the model can see and correct. Empty arguments are `{}` (a tool without parameters).

use crate::dialect::openai::tool_call_id;
use crate::dialect::TranslateCtx;
use crate::error::ProxyError;
use crate::json::write_str as push_str;
use crate::json::write_u64;
use crate::json::{as_str, ObjectView, ViewError};
use serde_json::value::RawValue;
use std::borrow::Cow;

use crate::ingress::chat::{content_text, error_message_of, read_chat_doc, ChatUsage};

impl ChatUsage {
    pub(super) fn to_anthropic(self) -> UsageOut {
        let cached = self.cached();
        UsageOut {
            input_tokens: Some(self.prompt_tokens.unwrap_or(0).saturating_sub(cached.unwrap_or(0))),
            output_tokens: self.completion_tokens.unwrap_or(0),
            cache_read_input_tokens: cached,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct UsageOut {
    pub(super) input_tokens: Option<u64>,
    pub(super) output_tokens: u64,
    pub(super) cache_read_input_tokens: Option<u64>,
}

/// `{"input_tokens"?,"output_tokens","cache_read_input_tokens"?}`
pub(super) fn write_usage(out: &mut Vec<u8>, usage: UsageOut) {
    out.push(b'{');
    if let Some(n) = usage.input_tokens {
        out.extend_from_slice(b"\"input_tokens\":");
        write_u64(out, n);
        out.push(b',');
    }
    out.extend_from_slice(b"\"output_tokens\":");
    write_u64(out, usage.output_tokens);
    if let Some(n) = usage.cache_read_input_tokens {
        out.extend_from_slice(b",\"cache_read_input_tokens\":");
        write_u64(out, n);
    }
    out.push(b'}');
}

pub(super) enum OutBlock<'a> {
    Thinking {
        thinking: Cow<'a, str>,
    },
    Text {
        text: Cow<'a, str>,
    },
    /// `input` is JSON text.
    ToolUse {
        id: Cow<'a, str>,
        name: Cow<'a, str>,
        input: String,
    },
}

/// A Messages `message` object (the response, or `message_start`'s).
pub(super) fn write_message(
    out: &mut Vec<u8>,
    id: &str,
    model: &str,
    content: &[OutBlock<'_>],
    stop_reason: Option<&str>,
    usage: UsageOut,
) {
    out.extend_from_slice(b"{\"id\":");
    push_str(out, id);
    out.extend_from_slice(b",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
    push_str(out, model);
    out.extend_from_slice(b",\"content\":[");
    for (n, block) in content.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match block {
            OutBlock::Thinking { thinking } => {
                out.extend_from_slice(b"{\"type\":\"thinking\",\"thinking\":");
                push_str(out, thinking);
                out.extend_from_slice(b",\"signature\":\"\"}");
            }
            OutBlock::Text { text } => {
                out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
                push_str(out, text);
                out.push(b'}');
            }
            OutBlock::ToolUse { id, name, input } => {
                out.extend_from_slice(b"{\"type\":\"tool_use\",\"id\":");
                push_str(out, id);
                out.extend_from_slice(b",\"name\":");
                push_str(out, name);
                out.extend_from_slice(b",\"input\":");
                out.extend_from_slice(input.as_bytes());
                out.push(b'}');
            }
        }
    }
    out.extend_from_slice(b"],\"stop_reason\":");
    match stop_reason {
        Some(stop) => push_str(out, stop),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"stop_sequence\":null,\"usage\":");
    write_usage(out, usage);
    out.push(b'}');
}

/// OpenAI `finish_reason` → Anthropic `stop_reason`.
pub(super) fn stop_reason(finish: Option<&str>) -> &'static str {
    match finish {
        Some("length") => "max_tokens",
        Some("tool_calls" | "function_call") => "tool_use",
        Some("content_filter") => "refusal",
        _ => "end_turn",
    }
}

/// Adjusts a stop reason for what the message actually holds: some providers say `stop` with
/// tool calls (clients run tools on `tool_use`), and a refusal is a `refusal`.
pub(super) fn final_stop_reason(mapped: &'static str, has_tools: bool, refused: bool) -> &'static str {
    match mapped {
        "end_turn" if has_tools => "tool_use",
        "end_turn" if refused => "refusal",
        other => other,
    }
}

pub(super) fn message_id(chat_id: Option<&str>, random: u64) -> String {
    crate::ingress::chat::answer_id("msg", chat_id, random)
}

/// Tool arguments → an Anthropic `input` object as JSON text (see the module notes).
fn tool_input(arguments: Option<&RawValue>) -> String {
    let empty = || "{}".to_string();
    let Some(raw) = arguments else { return empty() };
    let text: Cow<'_, str> = match raw.get().trim_start().as_bytes().first() {
        // Not the OpenAI shape, but some providers send the arguments object itself.
        Some(b'{') => return crate::json::compact(raw.get()),
        Some(b'"') => match as_str(raw) {
            Ok(s) => s,
            Err(_) => return empty(),
        },
        _ => return empty(),
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return empty();
    }
    // A JSON object (and nothing after it) is sent compact; anything else goes as `_raw`.
    if trimmed.starts_with('{') && ObjectView::parse(trimmed.as_bytes()).is_ok() {
        return crate::json::compact(trimmed);
    }
    let mut out = b"{\"_raw\":".to_vec();
    push_str(&mut out, &text);
    out.push(b'}');
    String::from_utf8(out).unwrap_or_else(|_| empty())
}

/// An OpenAI `chat.completion` → a Messages response.
pub fn translate_chat_response(body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    let not_completion =
        |e: &str| ProxyError::bad_upstream(format!("the upstream response is not a chat completion: {e}"));
    let text = std::str::from_utf8(body).map_err(|_| not_completion("body is not UTF-8"))?;
    let chat = match read_chat_doc(text, false) {
        Ok(chat) => chat,
        // One pass when the body is good; on failure, a second one finds the precise reason.
        Err(e) => {
            return Err(match ObjectView::parse(body) {
                Err(ViewError::Malformed(m)) => not_completion(&m),
                Err(ViewError::NotAnObject) => not_completion("invalid type, expected an object"),
                Ok(_) => not_completion(&e),
            })
        }
    };
    if let Some(err) = chat.error {
        let message = error_message_of(err.get()).unwrap_or_else(|| "the upstream returned an error".to_string());
        return Err(ProxyError::bad_upstream(message));
    }
    let choices = &chat.choices;
    let choice = choices
        .iter()
        .find(|c| c.index.unwrap_or(0) == 0)
        .or_else(|| choices.first())
        .ok_or_else(|| ProxyError::bad_upstream("the upstream response has no choices"))?;

    let mut content = Vec::new();
    let mut refused = false;
    if let Some(msg) = &choice.message {
        if let Some(thinking) = msg.reasoning_text() {
            content.push(OutBlock::Thinking { thinking: Cow::Borrowed(thinking) });
        }
        if let Some(text) = content_text(msg.content).filter(|t| !t.is_empty()) {
            content.push(OutBlock::Text { text });
        } else if let Some(refusal) = msg.refusal.as_ref().filter(|r| !r.is_empty()) {
            content.push(OutBlock::Text { text: Cow::Borrowed(refusal) });
            refused = true;
        }
        for (n, call) in msg.tool_calls.iter().enumerate() {
            let id = match call.id.as_ref().filter(|id| !id.is_empty()) {
                Some(id) => Cow::Borrowed(&**id),
                None => Cow::Owned(tool_call_id(ctx.random, n as u64)),
            };
            let name = call.name.as_deref().unwrap_or_default();
            let input = tool_input(call.arguments);
            content.push(OutBlock::ToolUse { id, name: Cow::Borrowed(name), input });
        }
    }
    let has_tools = content.iter().any(|b| matches!(b, OutBlock::ToolUse { .. }));
    let stop = final_stop_reason(stop_reason(choice.finish_reason.as_deref()), has_tools, refused);
    let usage = chat.usage.unwrap_or_default().to_anthropic();
    let model = chat.model.as_deref().filter(|m| !m.is_empty()).unwrap_or(&ctx.model);
    let mut out = Vec::with_capacity(256);
    write_message(&mut out, &message_id(chat.id.as_deref(), ctx.random), model, &content, Some(stop), usage);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Anthropic's error `type` for an HTTP status (<https://docs.anthropic.com/en/api/errors>).
fn error_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        504 => "timeout_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

/// `{"type":"error","error":{"type","message"}}`
pub(super) fn anthropic_error_body(kind: &str, message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + message.len());
    out.extend_from_slice(b"{\"type\":\"error\",\"error\":{\"type\":");
    push_str(&mut out, kind);
    out.extend_from_slice(b",\"message\":");
    push_str(&mut out, message);
    out.extend_from_slice(b"}}");
    out
}

/// A token count in the OpenAI form (a chat completion with only `usage`) → Anthropic's
/// `{"input_tokens": N}`.
pub fn translate_count(chat: &[u8]) -> Result<Vec<u8>, ProxyError> {
    let bad = || ProxyError::bad_upstream("the upstream token count is not readable");
    let text = std::str::from_utf8(chat).map_err(|_| bad())?;
    let doc = read_chat_doc(text, false).map_err(|_| bad())?;
    let tokens = doc.usage.and_then(|u| u.prompt_tokens).ok_or_else(bad)?;
    let mut out = b"{\"input_tokens\":".to_vec();
    write_u64(&mut out, tokens);
    out.push(b'}');
    Ok(out)
}

/// An upstream error in OpenAI shape (or any body) → status and Anthropic error body.
pub fn translate_chat_error(status: u16, body: &[u8]) -> (u16, Vec<u8>) {
    let message = std::str::from_utf8(body)
        .ok()
        .and_then(error_message_of)
        .unwrap_or_else(|| format!("the upstream provider returned HTTP {status}"));
    (status, anthropic_error_body(error_type(status), &message))
}

/// One of our own errors in Anthropic's shape: `{"type":"error","error":{"type","message"}}`.
pub fn anthropic_error(err: &ProxyError) -> Vec<u8> {
    anthropic_error_body(error_type(err.status), &err.message)
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
