//! OpenAI chat completion → Responses `response` object, and the writers of its parts (the
//! stream writes the same items event by event).
//!
//! Decisions: only choice 0 is read. Its `reasoning_content` (or `reasoning`) becomes a
//! `reasoning` item whose summary is that text (Codex and the SDKs show summaries; chat
//! providers only have the raw text), its content an `output_text` part of a `message` item
//! (a refusal a `refusal` part), each tool call a `function_call` item (`call_id` = the chat
//! call id; a `{namespace}__{name}` function of a namespace the request declared gets its
//! `namespace` back; a custom tool's function becomes a `custom_tool_call` with the `input`
//! string). `finish_reason` `length` → `status: incomplete` with reason `max_output_tokens`,
//! `content_filter` → reason `content_filter`; anything else `completed`. Usage: `input_tokens`
//! (with `cached_tokens`), `output_tokens` (with `reasoning_tokens`), `total_tokens`. Nothing is
//! stored: `store` is `false`.

use crate::dialect::openai::tool_call_id;
use crate::dialect::{ToolNames, TranslateCtx};
use crate::error::ProxyError;
use crate::ingress::chat::{content_text, read_chat_doc, ChatUsage};
use crate::json::write_str as push_str;
use crate::json::write_u64;
use crate::json::{as_str, ObjectView};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Where a response stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    InProgress,
    Completed,
    /// With the reason (`max_output_tokens`, `content_filter`).
    Incomplete(&'static str),
    Failed,
}

impl Status {
    pub(super) fn of_finish(finish: Option<&str>) -> Status {
        match finish {
            Some("length") => Status::Incomplete("max_output_tokens"),
            Some("content_filter") => Status::Incomplete("content_filter"),
            _ => Status::Completed,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Incomplete(_) => "incomplete",
            Status::Failed => "failed",
        }
    }
}

/// The id of the response: the chat completion's, or one from the request's random value.
pub(super) fn response_id(chat_id: Option<&str>, random: u64) -> String {
    crate::ingress::chat::answer_id("resp", chat_id, random)
}

/// What a `response` object says about itself besides its output.
pub(super) struct Head<'a> {
    pub(super) id: &'a str,
    pub(super) model: &'a str,
    pub(super) status: Status,
    /// A failed response's `error`: (code, message).
    pub(super) error: Option<(&'a str, &'a str)>,
}

/// A `response` object. `output` is the JSON text of its items, comma-separated.
pub(super) fn write_response(
    out: &mut Vec<u8>,
    head: &Head<'_>,
    ctx: &TranslateCtx,
    output: &[u8],
    usage: Option<&ChatUsage>,
) {
    let Head { id, model, status, error } = *head;
    out.extend_from_slice(b"{\"id\":");
    push_str(out, id);
    out.extend_from_slice(b",\"object\":\"response\",\"created_at\":");
    write_u64(out, ctx.created);
    out.extend_from_slice(b",\"status\":");
    push_str(out, status.name());
    out.extend_from_slice(b",\"background\":false,\"error\":");
    match error {
        Some((code, message)) => {
            out.extend_from_slice(b"{\"code\":");
            push_str(out, code);
            out.extend_from_slice(b",\"message\":");
            push_str(out, message);
            out.push(b'}');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"incomplete_details\":");
    match status {
        Status::Incomplete(reason) => {
            out.extend_from_slice(b"{\"reason\":");
            push_str(out, reason);
            out.push(b'}');
        }
        _ => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"instructions\":null,\"max_output_tokens\":null,\"model\":");
    push_str(out, model);
    out.extend_from_slice(b",\"output\":[");
    out.extend_from_slice(output);
    out.extend_from_slice(
        b"],\"parallel_tool_calls\":true,\"previous_response_id\":null,\"reasoning\":{\"effort\":null,\"summary\":null},\
          \"store\":false,\"temperature\":null,\"text\":{\"format\":{\"type\":\"text\"}},\"tool_choice\":\"auto\",\
          \"tools\":[],\"top_p\":null,\"truncation\":\"disabled\",\"usage\":",
    );
    match usage {
        Some(u) => write_usage(out, u),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"user\":null,\"metadata\":{}}");
}

/// `{"input_tokens","input_tokens_details":{"cached_tokens"},"output_tokens",
/// "output_tokens_details":{"reasoning_tokens"},"total_tokens"}`
pub(super) fn write_usage(out: &mut Vec<u8>, u: &ChatUsage) {
    let input = u.prompt_tokens.unwrap_or(0);
    let output = u.completion_tokens.unwrap_or(0);
    out.extend_from_slice(b"{\"input_tokens\":");
    write_u64(out, input);
    out.extend_from_slice(b",\"input_tokens_details\":{\"cached_tokens\":");
    write_u64(out, u.cached().unwrap_or(0));
    out.extend_from_slice(b"},\"output_tokens\":");
    write_u64(out, output);
    out.extend_from_slice(b",\"output_tokens_details\":{\"reasoning_tokens\":");
    write_u64(out, u.reasoning_tokens.unwrap_or(0));
    out.extend_from_slice(b"},\"total_tokens\":");
    write_u64(out, input.saturating_add(output));
    out.push(b'}');
}

/// A `message` item with its text (an `output_text` part) and refusal (a `refusal` part).
pub(super) fn write_message_item(
    out: &mut Vec<u8>,
    id: &str,
    status: Status,
    text: Option<&str>,
    refusal: Option<&str>,
) {
    out.extend_from_slice(b"{\"id\":");
    push_str(out, id);
    out.extend_from_slice(b",\"type\":\"message\",\"status\":");
    push_str(out, status.name());
    out.extend_from_slice(b",\"role\":\"assistant\",\"content\":[");
    if let Some(text) = text {
        write_text_part(out, text);
    }
    if let Some(refusal) = refusal {
        if text.is_some() {
            out.push(b',');
        }
        write_refusal_part(out, refusal);
    }
    out.extend_from_slice(b"]}");
}

pub(super) fn write_text_part(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(b"{\"type\":\"output_text\",\"text\":");
    push_str(out, text);
    out.extend_from_slice(b",\"annotations\":[],\"logprobs\":[]}");
}

pub(super) fn write_refusal_part(out: &mut Vec<u8>, refusal: &str) {
    out.extend_from_slice(b"{\"type\":\"refusal\",\"refusal\":");
    push_str(out, refusal);
    out.push(b'}');
}

/// A `reasoning` item whose summary is `text` (empty: no summary part yet).
pub(super) fn write_reasoning_item(out: &mut Vec<u8>, id: &str, text: Option<&str>) {
    out.extend_from_slice(b"{\"id\":");
    push_str(out, id);
    out.extend_from_slice(b",\"type\":\"reasoning\",\"summary\":[");
    if let Some(text) = text {
        write_summary_part(out, text);
    }
    out.extend_from_slice(b"]}");
}

pub(super) fn write_summary_part(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(b"{\"type\":\"summary_text\",\"text\":");
    push_str(out, text);
    out.push(b'}');
}

/// How the client named the tool a chat function call is for.
pub(super) enum CallName<'a> {
    Function { namespace: Option<&'a str>, name: &'a str },
    Custom { namespace: Option<&'a str>, name: &'a str },
}

pub(super) fn call_name<'a>(chat_name: &'a str, names: &'a ToolNames) -> CallName<'a> {
    let split = names.namespaces.iter().find_map(|ns| {
        let rest = chat_name.strip_prefix(ns.as_str())?.strip_prefix("__")?;
        Some((ns.as_str(), rest))
    });
    let (namespace, name) = match split {
        Some((ns, rest)) => (Some(ns), rest),
        None => (None, chat_name),
    };
    if names.custom.iter().any(|c| c == chat_name) {
        CallName::Custom { namespace, name }
    } else {
        CallName::Function { namespace, name }
    }
}

/// A custom tool call's `input`: the `input` member of the chat arguments, else them as sent.
pub(super) fn custom_input(arguments: &str) -> Cow<'_, str> {
    ObjectView::parse(arguments.as_bytes())
        .ok()
        .and_then(|v| v.get("input").and_then(|raw| as_str(raw).ok()))
        .map(|s| Cow::Owned(s.into_owned()))
        .unwrap_or(Cow::Borrowed(arguments))
}

/// A `function_call` (or `custom_tool_call`) item for a chat tool call.
pub(super) fn write_call_item(
    out: &mut Vec<u8>,
    id: &str,
    status: Status,
    call_id: &str,
    chat_name: &str,
    arguments: &str,
    names: &ToolNames,
) {
    let (kind, namespace, name, custom) = match call_name(chat_name, names) {
        CallName::Function { namespace, name } => ("function_call", namespace, name, false),
        CallName::Custom { namespace, name } => ("custom_tool_call", namespace, name, true),
    };
    out.extend_from_slice(b"{\"id\":");
    push_str(out, id);
    out.extend_from_slice(b",\"type\":");
    push_str(out, kind);
    out.extend_from_slice(b",\"status\":");
    push_str(out, status.name());
    out.extend_from_slice(b",\"call_id\":");
    push_str(out, call_id);
    if let Some(ns) = namespace {
        out.extend_from_slice(b",\"namespace\":");
        push_str(out, ns);
    }
    out.extend_from_slice(b",\"name\":");
    push_str(out, name);
    if custom {
        out.extend_from_slice(b",\"input\":");
        push_str(out, &custom_input(arguments));
    } else {
        out.extend_from_slice(b",\"arguments\":");
        push_str(out, arguments);
    }
    out.push(b'}');
}

/// A chat completion's tool arguments as a string (some providers send the object itself).
fn arguments_text(raw: Option<&RawValue>) -> Cow<'_, str> {
    match raw {
        None => Cow::Borrowed("{}"),
        Some(raw) if raw.get().starts_with('"') => as_str(raw).unwrap_or(Cow::Borrowed("{}")),
        Some(raw) => Cow::Owned(crate::json::compact(raw.get())),
    }
}

/// An OpenAI `chat.completion` → a Responses `response`.
pub fn translate_response(body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    let not_completion =
        |e: &str| ProxyError::bad_upstream(format!("the upstream response is not a chat completion: {e}"));
    let text = std::str::from_utf8(body).map_err(|_| not_completion("body is not UTF-8"))?;
    let chat = read_chat_doc(text, false).map_err(|e| not_completion(&e))?;
    let choice = chat
        .choices
        .iter()
        .find(|c| c.index.unwrap_or(0) == 0)
        .ok_or_else(|| ProxyError::bad_upstream("the upstream response has no choices"))?;
    let status = Status::of_finish(choice.finish_reason.as_deref());
    let random = ctx.random;
    let mut output = Vec::with_capacity(body.len() + 256);
    let mut items = 0;
    let mut sep = |out: &mut Vec<u8>| {
        if items > 0 {
            out.push(b',');
        }
        items += 1;
    };
    if let Some(msg) = &choice.message {
        if let Some(reasoning) = msg.reasoning_text() {
            sep(&mut output);
            write_reasoning_item(&mut output, &format!("rs_{random:016x}"), Some(reasoning));
        }
        let text = content_text(msg.content).filter(|t| !t.is_empty());
        let refusal = msg.refusal.as_deref().filter(|r| !r.is_empty());
        if text.is_some() || refusal.is_some() {
            sep(&mut output);
            write_message_item(&mut output, &format!("msg_{random:016x}"), Status::Completed, text.as_deref(), refusal);
        }
        for (n, call) in msg.tool_calls.iter().enumerate() {
            sep(&mut output);
            let call_id = call.id.clone().unwrap_or_else(|| Cow::Owned(tool_call_id(random, n as u64)));
            write_call_item(
                &mut output,
                &format!("fc_{random:016x}_{n}"),
                Status::Completed,
                &call_id,
                call.name.as_deref().unwrap_or_default(),
                &arguments_text(call.arguments),
                &ctx.tool_names,
            );
        }
    }
    let model = chat.model.as_deref().filter(|m| !m.is_empty()).unwrap_or(&ctx.model);
    let mut out = Vec::with_capacity(output.len() + 640);
    let id = response_id(chat.id.as_deref(), random);
    write_response(&mut out, &Head { id: &id, model, status, error: None }, ctx, &output, chat.usage.as_ref());
    Ok(out)
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
