//! OpenAI chat completions request → Anthropic Messages request
//! (<https://docs.anthropic.com/en/api/messages>).
//!
//! The translation reads borrowed views of the client body and writes a new object: pass-through
//! members are copied verbatim (number formats and key order inside them survive), tool schemas
//! and tool-call arguments are copied as raw JSON (property order in a schema matters to the
//! model), and everything we build is written by small functions (no derived serde code: each
//! derived struct costs kilobytes of Wasm).
//!
//! Decisions where the OpenAI and Anthropic APIs differ:
//! - **max_tokens** (required by Anthropic): the client's `max_completion_tokens`, else
//!   `max_tokens`, else `RequestOptions::default_max_tokens`.
//! - **Thinking**: a client `thinking` object (Anthropic-native) passes through as-is and wins;
//!   else a non-standard `reasoning_max_tokens` number sets `budget_tokens` (raised to
//!   Anthropic's minimum of 1024; `0` means no thinking); else `reasoning_effort` `low` /
//!   `medium` / `high` / `xhigh` → a budget of 1024 / 8192 / 16384 / 32768 (`minimal` and
//!   `none` → no thinking; any other value is a 400). Anthropic requires
//!   `1024 <= budget_tokens < max_tokens`: when the client gave no max_tokens we send
//!   `budget + default_max_tokens` (the default stays the room for the answer); when the
//!   client's max_tokens is not above the budget we answer 400 naming the client's field rather
//!   than let the upstream reject it. `temperature` / `top_k` pass unchanged even with thinking:
//!   Anthropic's own error explains the conflict better than a silent change would.
//! - **System**: every `system` and `developer` message, wherever it sits, goes in order into
//!   the top-level `system` (after an Anthropic-native top-level `system`, if the client sent
//!   one). When any of their text parts carries `cache_control` the system is an array of text
//!   blocks (keeping `cache_control`); otherwise one string, parts joined with a blank line.
//!   Empty texts are skipped.
//! - **response_format**: Anthropic's Messages API has no model-independent JSON mode (the
//!   newer `output_config.format` structured outputs exist only on some models; a client may
//!   send `output_config` itself, it passes through). So `json_schema` appends the instruction
//!   "Respond only with a JSON object that conforms to this JSON schema:\n<compact schema>" to
//!   the system prompt and `json_object` appends "Respond only with a valid JSON object."; `text`
//!   and unknown types add nothing. The field itself is not sent.
//! - **Turns**: consecutive same-role turns are merged into one turn with the blocks in order
//!   (tool results and a following user text become one user turn; within a user turn the
//!   `tool_result` blocks are moved first, as Anthropic requires). A merged turn that is a
//!   single plain string stays a string. Empty texts are skipped and turns left without content
//!   are dropped (Anthropic rejects empty text blocks), so an assistant message with neither
//!   text nor tool calls disappears. The first turn must then be a user turn, else 400:
//!   Anthropic answers `messages: first message must use the "user" role`, and its current
//!   reference still only documents conversations that start with a user turn.
//! - **Content parts**: `text` (with `cache_control`), `refusal` (as text), `image_url` as a
//!   base64 `data:` URL → base64 image source, as an http(s) URL → url image source (anything
//!   else is a 400); `file` and `input_audio` → 400 (not supported by this translation). Parts of
//!   other types are Anthropic-native blocks (`image`, `document`, ...) and pass through as-is.
//! - **Tool calls**: `arguments` must be a JSON object (an empty string means `{}`), else 400.
//!   Tool-call ids are made to fit Anthropic's `^[a-zA-Z0-9_-]+$` by replacing other characters
//!   with `_`, identically in `tool_use.id` and `tool_result.tool_use_id`. An assistant's
//!   `thinking_blocks` go first in its turn, verbatim; `reasoning_content` without them is
//!   dropped (Anthropic needs the signature). Legacy `functions` / `function_call` map like
//!   `tools` / `tool_choice`; a legacy assistant `function_call` gets the id
//!   `call_legacy_<message index>` and the next `function` message answers it.
//! - **Tools**: `function` tools → `{name, description, input_schema}` (an absent schema becomes
//!   an empty object schema; `strict` is dropped; `cache_control` kept); `custom` tools → 400;
//!   tools of any other type are Anthropic-native (`web_search_20250305`, ...) and pass through.
//!   `tool_choice` `auto` / `none` / `required` / named → `auto` / `none` / `any` / `tool`
//!   (Anthropic-native tool_choice objects are accepted too); `parallel_tool_calls: false` →
//!   `disable_parallel_tool_use: true` (on a created `{"type":"auto"}` when there is no
//!   tool_choice; never on `none`, which has no such field). Without tools, `tool_choice` is
//!   not sent.
//! - **Other fields**: `stop` (string or list) → `stop_sequences`; `user` (or
//!   `safety_identifier`) → `metadata.user_id` unless the client's `metadata` has a `user_id`;
//!   other `metadata` keys are OpenAI stored-completion tags that Anthropic rejects, so they are
//!   dropped. `service_tier` passes only with Anthropic's values `auto` / `standard_only`. `n`
//!   above 1 is a 400 (one answer only); `n`, `logprobs`, `top_logprobs`, penalties,
//!   `logit_bias`, `seed`, `store`, `modalities`, `audio`, `prediction`, `web_search_options`,
//!   `verbosity`, `prompt_cache_key`, `prompt_cache_retention`, `stream_options` are not sent.
//!   Messages API members a client sends natively (`top_k`, `thinking`, `output_config`,
//!   `container`, `context_management`, `mcp_servers`) and `temperature` / `top_p` are copied
//!   unchanged; any other member is dropped, the Messages API rejects unknown ones (`null`
//!   members are not sent either).

use crate::dialect::Translated;
use crate::error::ProxyError;
use crate::json::write_u64;
use crate::json::{as_array, as_object, as_objects, as_str, as_u64, ObjectView, Text};
use serde_json::value::RawValue;
use std::borrow::Cow;

use super::request_shapes::{
    comma, function_def_in, key, message_in, object, opt_object, opt_str, part_in, raw_member, req_str, string,
    write_system, write_tool, write_tool_choice, write_turn, Block, ImageSource, Shape, ThinkingOut, ToolChoiceOut,
    ToolOut, ToolResultContent, Turn,
};

/// Configuration that shapes the translated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOptions {
    /// `max_tokens` when the client sends neither `max_tokens` nor `max_completion_tokens`.
    pub default_max_tokens: u64,
}

/// Anthropic's minimum `thinking.budget_tokens`.
const MIN_THINKING_BUDGET: u64 = 1024;

/// Messages API members a client may send as they are (Anthropic-native, or identical in both
/// APIs) and the translation does not write itself: copied. Every other member is either
/// translated above or dropped (the Messages API rejects unknown members, and a client's
/// extension fields, such as `chat_template_kwargs` or an `extra_headers` credential, are for
/// OpenAI-wire servers only).
const NATIVE: &[&str] =
    &["temperature", "top_p", "top_k", "container", "context_management", "mcp_servers", "output_config"];

/// Translates an OpenAI chat body (already validated as a JSON object) for `model`.
#[cfg(test)]
pub fn build_request(body: &[u8], model: &str, opts: &RequestOptions) -> Result<Translated, ProxyError> {
    translate_request(&crate::dialect::openai::parse_body(body)?, model, opts)
}

/// `build_request` over a body already parsed (the exchange parses it once for all steps).
pub fn translate_request(view: &ObjectView<'_>, model: &str, opts: &RequestOptions) -> Result<Translated, ProxyError> {
    let stream = view
        .get_bool("stream")
        .map_err(|_| ProxyError::invalid_request("`stream` must be a boolean").with_param("stream"))?
        .unwrap_or(false);
    let include_usage = view
        .value("stream_options")
        .and_then(|raw| as_object(raw).ok())
        .and_then(|o| o.get_bool("include_usage").ok().flatten())
        .unwrap_or(false);

    if let Some(raw) = view.value("n") {
        if uint(raw, "n")? > 1 {
            return Err(
                ProxyError::invalid_request("`n` greater than 1 is not supported by this model").with_param("n")
            );
        }
    }

    // max_tokens and thinking.
    let client_max = match view.value("max_completion_tokens") {
        Some(raw) => Some((uint(raw, "max_completion_tokens")?, "max_completion_tokens")),
        None => match view.value("max_tokens") {
            Some(raw) => Some((uint(raw, "max_tokens")?, "max_tokens")),
            None => None,
        },
    };
    let (thinking, budget) = thinking(view)?;
    let max_tokens = match (client_max, budget) {
        (Some((max, param)), Some(budget)) if max <= budget => {
            return Err(ProxyError::invalid_request(format!(
                "`{param}` ({max}) must be greater than the thinking budget ({budget} tokens): Anthropic counts \
                 thinking tokens within max_tokens"
            ))
            .with_param(param));
        }
        (Some((max, _)), _) => max,
        (None, Some(budget)) => budget.saturating_add(opts.default_max_tokens),
        (None, None) => opts.default_max_tokens,
    };

    // System prompt and turns.
    let mut system = Vec::new();
    if let Some(raw) = view.value("system") {
        collect_system(raw, None, &mut system)?;
    }
    let messages_raw = view
        .get("messages")
        .ok_or_else(|| ProxyError::invalid_request("`messages` is required").with_param("messages"))?;
    // Each message's members in the same pass over the array (its bytes are most of the body).
    let messages = match as_objects(messages_raw) {
        Ok(messages) => messages,
        Err(_) => return Err(messages_error(messages_raw)),
    };
    let mut turns: Vec<Turn<'_>> = Vec::new();
    let mut legacy_call: Option<String> = None;
    for (i, msg) in messages.iter().enumerate() {
        translate_message(i, msg, &mut system, &mut turns, &mut legacy_call)?;
    }
    if turns.first().is_some_and(|t| t.role == "assistant") {
        return Err(bad_message(
            "the first non-system message must be a user message: Anthropic requires conversations to start \
             with a user turn",
        ));
    }
    let instruction = response_format_instruction(view)?;

    // Tools.
    let tools = tools(view)?;
    let tool_choice = if tools.is_empty() { None } else { tool_choice(view)? };

    let stop = stop_sequences(view)?;
    let metadata = metadata(view)?;
    let service_tier = view.get_str("service_tier").ok().flatten().filter(|t| t == "auto" || t == "standard_only");

    // Write the body: our members first, then the pass-through ones in the client's order.
    let mut out = Vec::with_capacity(view.input().len() + 256);
    out.extend_from_slice(b"{\"model\":");
    string(&mut out, model);
    write_system(&mut out, &system, instruction.as_deref());
    key(&mut out, "messages");
    out.push(b'[');
    for (n, turn) in turns.iter().enumerate() {
        comma(&mut out, n);
        write_turn(&mut out, turn);
    }
    out.push(b']');
    key(&mut out, "max_tokens");
    write_u64(&mut out, max_tokens);
    match thinking {
        ThinkingOut::None => {}
        ThinkingOut::Raw(raw) => raw_member(&mut out, "thinking", raw),
        ThinkingOut::Budget(budget_tokens) => {
            key(&mut out, "thinking");
            out.extend_from_slice(b"{\"type\":\"enabled\",\"budget_tokens\":");
            write_u64(&mut out, budget_tokens);
            out.push(b'}');
        }
    }
    if let Some(stop) = &stop {
        key(&mut out, "stop_sequences");
        out.push(b'[');
        for (n, s) in stop.iter().enumerate() {
            comma(&mut out, n);
            string(&mut out, s);
        }
        out.push(b']');
    }
    if let Some(user_id) = &metadata {
        key(&mut out, "metadata");
        out.extend_from_slice(b"{\"user_id\":");
        string(&mut out, user_id);
        out.push(b'}');
    }
    if !tools.is_empty() {
        key(&mut out, "tools");
        out.push(b'[');
        for (n, tool) in tools.iter().enumerate() {
            comma(&mut out, n);
            write_tool(&mut out, tool);
        }
        out.push(b']');
    }
    if let Some(choice) = &tool_choice {
        key(&mut out, "tool_choice");
        write_tool_choice(&mut out, choice);
    }
    if stream {
        key(&mut out, "stream");
        out.extend_from_slice(b"true");
    }
    if let Some(tier) = &service_tier {
        key(&mut out, "service_tier");
        string(&mut out, tier);
    }
    for m in view.members_in(NATIVE) {
        raw_member(&mut out, &m.key, m.value);
    }
    out.push(b'}');
    Ok(Translated { body: out, stream, include_usage, ..Translated::default() })
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn uint(raw: &RawValue, param: &'static str) -> Result<u64, ProxyError> {
    as_u64(raw)
        .map_err(|_| ProxyError::invalid_request(format!("`{param}` must be a non-negative integer")).with_param(param))
}

/// Why `messages` is not an array of objects, naming the first element that is not one.
fn messages_error(raw: &RawValue) -> ProxyError {
    let Ok(items) = as_array(raw) else {
        return ProxyError::invalid_request("`messages` must be an array").with_param("messages");
    };
    let (i, e) =
        items.iter().enumerate().find_map(|(i, m)| object(m).err().map(|e| (i, e))).unwrap_or((0, Shape::NotObject));
    bad_message(format!("messages[{i}]: {}", e.describe()))
}

fn bad_message(message: impl Into<String>) -> ProxyError {
    ProxyError::invalid_request(message).with_param("messages")
}

/// The thinking configuration and its budget (when known).
fn thinking<'a>(view: &ObjectView<'a>) -> Result<(ThinkingOut<'a>, Option<u64>), ProxyError> {
    if let Some(raw) = view.value("thinking") {
        let budget = as_object(raw).ok().and_then(|t| t.get_u64("budget_tokens").ok().flatten());
        return Ok((ThinkingOut::Raw(raw), budget));
    }
    if let Some(raw) = view.value("reasoning_max_tokens") {
        let n = uint(raw, "reasoning_max_tokens")?;
        if n == 0 {
            return Ok((ThinkingOut::None, None));
        }
        let budget = n.max(MIN_THINKING_BUDGET);
        return Ok((ThinkingOut::Budget(budget), Some(budget)));
    }
    let effort = view.get_str("reasoning_effort").map_err(|_| {
        ProxyError::invalid_request("`reasoning_effort` must be a string").with_param("reasoning_effort")
    })?;
    let budget = match effort.as_deref() {
        None | Some("none") | Some("minimal") => None,
        Some("low") => Some(1024),
        Some("medium") => Some(8192),
        Some("high") => Some(16384),
        Some("xhigh") => Some(32768),
        Some(other) => {
            return Err(ProxyError::invalid_request(format!(
                "unsupported `reasoning_effort` value {other:?}: use none, minimal, low, medium or high"
            ))
            .with_param("reasoning_effort"))
        }
    };
    Ok(match budget {
        Some(b) => (ThinkingOut::Budget(b), Some(b)),
        None => (ThinkingOut::None, None),
    })
}

/// Parsed message content.
enum Content<'a> {
    Text(Text<'a>),
    Parts(Vec<&'a RawValue>),
}

fn content<'a>(raw: Option<&'a RawValue>, i: usize) -> Result<Option<Content<'a>>, ProxyError> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get();
    if text.starts_with('"') {
        Ok(Some(Content::Text(Text::Literal(raw))))
    } else if text.starts_with('[') {
        let parts =
            as_array(raw).map_err(|_| bad_message(format!("messages[{i}].content must be a string or an array")))?;
        Ok(Some(Content::Parts(parts)))
    } else {
        Err(bad_message(format!("messages[{i}].content must be a string or an array of content parts")))
    }
}

/// A content part → an Anthropic block (`None`: nothing to send, e.g. empty text).
fn part_block<'a>(raw: &'a RawValue, i: usize) -> Result<Option<Block<'a>>, ProxyError> {
    let p = part_in(raw)
        .map_err(|e| bad_message(format!("messages[{i}].content: invalid content part: {}", e.describe())))?;
    match p.kind.as_ref() {
        "text" | "refusal" => {
            let text = if p.kind == "text" { p.text } else { p.refusal };
            Ok(text.filter(|t| !t.is_empty()).map(|t| Block::Text(t, p.cache_control)))
        }
        "image_url" => {
            let raw_url = p
                .image_url
                .ok_or_else(|| bad_message(format!("messages[{i}].content: image_url part without image_url")))?;
            let url = if raw_url.get().starts_with('"') {
                as_str(raw_url).ok()
            } else {
                as_object(raw_url).ok().and_then(|u| req_str(&u, "url").ok())
            }
            .ok_or_else(|| bad_message(format!("messages[{i}].content: image_url.url must be a string")))?;
            Ok(Some(Block::Image(image_source(url, i)?, p.cache_control)))
        }
        "file" | "input_audio" => Err(bad_message(format!(
            "messages[{i}].content: `{}` content parts are not supported for Anthropic models",
            p.kind
        ))),
        _ => Ok(Some(Block::Raw(raw))),
    }
}

fn image_source(url: Cow<'_, str>, i: usize) -> Result<ImageSource<'_>, ProxyError> {
    let lower = url.get(..8).unwrap_or(&url).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(ImageSource::Url(url));
    }
    let unsupported =
        || bad_message(format!("messages[{i}].content: image_url must be an http(s) URL or a base64 data: URL"));
    if !lower.starts_with("data:") {
        return Err(unsupported());
    }
    // data:<media type>[;params];base64,<data>
    let split = |s: &str| -> Option<(usize, usize)> {
        let comma = s.find(',')?;
        let meta = s.get(5..comma)?;
        let mut params = meta.split(';');
        let media_len = params.next()?.len();
        params.any(|p| p.eq_ignore_ascii_case("base64")).then_some((media_len, comma))
    };
    let (media_len, comma) = split(&url).ok_or_else(unsupported)?;
    if media_len == 0 {
        return Err(unsupported());
    }
    let (media_type, data) = match url {
        Cow::Borrowed(s) => (
            Cow::Borrowed(s.get(5..5 + media_len).unwrap_or_default()),
            Cow::Borrowed(s.get(comma + 1..).unwrap_or_default()),
        ),
        Cow::Owned(s) => (
            Cow::Owned(s.get(5..5 + media_len).unwrap_or_default().to_string()),
            Cow::Owned(s.get(comma + 1..).unwrap_or_default().to_string()),
        ),
    };
    Ok(ImageSource::Base64 { media_type, data })
}

/// Makes a tool-call id fit Anthropic's `^[a-zA-Z0-9_-]+$`.
fn tool_id(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect()
}

/// Tool-call arguments (a JSON object in a string) → the `input` object's JSON text.
fn tool_input<'a>(args: Option<Cow<'a, str>>, i: usize) -> Result<Cow<'a, str>, ProxyError> {
    let args = match args {
        None => Cow::Borrowed(""),
        Some(Cow::Borrowed(s)) => Cow::Borrowed(s.trim()),
        Some(Cow::Owned(s)) if s.trim().len() == s.len() => Cow::Owned(s),
        Some(Cow::Owned(s)) => Cow::Owned(s.trim().to_string()),
    };
    let args = if args.is_empty() { Cow::Borrowed("{}") } else { args };
    if !args.starts_with('{') || serde_json::from_str::<serde::de::IgnoredAny>(&args).is_err() {
        return Err(bad_message(format!(
            "messages[{i}]: tool call arguments must be a JSON object (got invalid JSON)"
        )));
    }
    Ok(args)
}

/// Appends blocks to the last turn when it has the same role, else starts a new turn.
fn push_turn<'a>(turns: &mut Vec<Turn<'a>>, role: &'static str, blocks: Vec<Block<'a>>, plain: bool) {
    if blocks.is_empty() {
        return;
    }
    match turns.last_mut() {
        Some(last) if last.role == role => {
            last.blocks.extend(blocks);
            last.plain = false;
        }
        _ => turns.push(Turn { role, blocks, plain }),
    }
}

/// Text pieces of the system prompt, in order.
pub(super) struct SystemPart<'a> {
    pub(super) text: Text<'a>,
    pub(super) cache_control: Option<&'a RawValue>,
}

/// The system parts of the top-level `system` (`message: None`) or of `messages[i]`.
fn collect_system<'a>(
    raw: &'a RawValue,
    message: Option<usize>,
    out: &mut Vec<SystemPart<'a>>,
) -> Result<(), ProxyError> {
    let bad = || {
        let at = message.map_or_else(|| "system".to_string(), |i| format!("messages[{i}]"));
        ProxyError::invalid_request(format!("{at}: system content must be text")).with_param("messages")
    };
    match content(Some(raw), 0).map_err(|_| bad())? {
        None => {}
        Some(Content::Text(text)) if !text.is_empty() => out.push(SystemPart { text, cache_control: None }),
        Some(Content::Text(_)) => {}
        Some(Content::Parts(parts)) => {
            for raw in parts {
                let p = part_in(raw).map_err(|_| bad())?;
                if p.kind != "text" {
                    return Err(bad());
                }
                if let Some(text) = p.text.filter(|t| !t.is_empty()) {
                    out.push(SystemPart { text, cache_control: p.cache_control });
                }
            }
        }
    }
    Ok(())
}

fn response_format_instruction(view: &ObjectView<'_>) -> Result<Option<String>, ProxyError> {
    let Some(raw) = view.value("response_format") else { return Ok(None) };
    let read = || -> Result<_, Shape> {
        let rf = object(raw)?;
        let schema = opt_object(&rf, "json_schema")?.and_then(|s| s.value("schema"));
        Ok((req_str(&rf, "type")?, schema))
    };
    let (kind, schema) = read().map_err(|_| {
        ProxyError::invalid_request("`response_format` must be an object with a `type`").with_param("response_format")
    })?;
    Ok(match kind.as_ref() {
        "json_schema" => match schema {
            Some(schema) => Some(format!(
                "Respond only with a JSON object that conforms to this JSON schema:\n{}",
                crate::json::compact(schema.get())
            )),
            None => Some("Respond only with a valid JSON object.".to_string()),
        },
        "json_object" => Some("Respond only with a valid JSON object.".to_string()),
        _ => None,
    })
}

/// One OpenAI message → system parts or turn blocks.
fn translate_message<'a>(
    i: usize,
    msg: &ObjectView<'a>,
    system: &mut Vec<SystemPart<'a>>,
    turns: &mut Vec<Turn<'a>>,
    legacy_call: &mut Option<String>,
) -> Result<(), ProxyError> {
    let msg = message_in(msg).map_err(|e| bad_message(format!("messages[{i}]: {}", e.describe())))?;
    match msg.role.as_ref() {
        "system" | "developer" => {
            if let Some(c) = msg.content {
                collect_system(c, Some(i), system)?;
            }
        }
        "user" => {
            let (blocks, plain) = match content(msg.content, i)? {
                None => (Vec::new(), false),
                Some(Content::Text(t)) if t.is_empty() => (Vec::new(), false),
                Some(Content::Text(t)) => (vec![Block::Text(t, None)], true),
                Some(Content::Parts(parts)) => (parts_blocks(&parts, i)?, false),
            };
            push_turn(turns, "user", blocks, plain);
        }
        "assistant" => {
            let mut blocks: Vec<Block<'a>> = msg.thinking_blocks.into_iter().map(Block::Raw).collect();
            let mut plain = false;
            match content(msg.content, i)? {
                None => {}
                Some(Content::Text(t)) if t.is_empty() => {}
                Some(Content::Text(t)) => {
                    plain = blocks.is_empty();
                    blocks.push(Block::Text(t, None));
                }
                Some(Content::Parts(parts)) => blocks.extend(parts_blocks(&parts, i)?),
            }
            for (j, call) in msg.tool_calls.into_iter().enumerate() {
                if call.kind.as_deref().is_some_and(|k| k != "function") {
                    return Err(bad_message(format!(
                        "messages[{i}].tool_calls[{j}]: only function tool calls are supported"
                    )));
                }
                let id = call
                    .id
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| bad_message(format!("messages[{i}].tool_calls[{j}].id is required")))?;
                let input = tool_input(call.function.arguments, i)?;
                blocks.push(Block::ToolUse(tool_id(&id), call.function.name, input));
                plain = false;
            }
            if let Some(call) = msg.function_call {
                let id = format!("call_legacy_{i}");
                let input = tool_input(call.arguments, i)?;
                blocks.push(Block::ToolUse(id.clone(), call.name, input));
                *legacy_call = Some(id);
                plain = false;
            }
            push_turn(turns, "assistant", blocks, plain);
        }
        "tool" | "function" => {
            let id = if msg.role == "tool" {
                let id = msg
                    .tool_call_id
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| bad_message(format!("messages[{i}].tool_call_id is required")))?;
                tool_id(&id)
            } else {
                legacy_call.take().ok_or_else(|| {
                    bad_message(format!("messages[{i}]: a function message must follow an assistant function_call"))
                })?
            };
            let content = match content(msg.content, i)? {
                None => None,
                Some(Content::Text(t)) => (!t.is_empty()).then_some(ToolResultContent::Text(t)),
                Some(Content::Parts(parts)) => {
                    let blocks = parts_blocks(&parts, i)?;
                    (!blocks.is_empty()).then_some(ToolResultContent::Blocks(blocks))
                }
            };
            push_turn(turns, "user", vec![Block::ToolResult(id, content)], false);
        }
        other => return Err(bad_message(format!("messages[{i}]: unknown role {other:?}"))),
    }
    Ok(())
}

fn parts_blocks<'a>(parts: &[&'a RawValue], i: usize) -> Result<Vec<Block<'a>>, ProxyError> {
    let mut blocks = Vec::with_capacity(parts.len());
    for raw in parts {
        if let Some(b) = part_block(raw, i)? {
            blocks.push(b);
        }
    }
    Ok(blocks)
}

fn tools<'a>(view: &ObjectView<'a>) -> Result<Vec<ToolOut<'a>>, ProxyError> {
    let (raw, param) = match view.value("tools") {
        Some(raw) => (raw, "tools"),
        None => match view.value("functions") {
            Some(raw) => (raw, "functions"),
            None => return Ok(Vec::new()),
        },
    };
    let bad = |m: String| ProxyError::invalid_request(m).with_param(param);
    let list = as_array(raw).map_err(|_| bad(format!("`{param}` must be an array")))?;
    let mut out = Vec::with_capacity(list.len());
    for (j, raw) in list.into_iter().enumerate() {
        let read = || -> Result<_, Shape> {
            let o = object(raw)?;
            if param == "functions" {
                return Ok((Some("function".into()), Some(function_def_in(&o)?), None));
            }
            let function = match opt_object(&o, "function")? {
                Some(f) => Some(function_def_in(&f)?),
                None => None,
            };
            Ok((opt_str(&o, "type")?, function, o.value("cache_control")))
        };
        let (kind, function, cache_control) = read().map_err(|e| bad(format!("{param}[{j}]: {}", e.describe())))?;
        match (kind.as_deref(), function) {
            (Some("function"), Some(f)) => out.push(ToolOut::Function(f, cache_control)),
            (Some("function"), None) => return Err(bad(format!("tools[{j}]: a function tool needs `function`"))),
            (Some("custom"), _) => {
                return Err(bad(format!("tools[{j}]: custom tools are not supported for Anthropic models")))
            }
            _ => out.push(ToolOut::Raw(raw)),
        }
    }
    Ok(out)
}

fn tool_choice<'a>(view: &ObjectView<'a>) -> Result<Option<ToolChoiceOut<'a>>, ProxyError> {
    let (raw, param) = match view.value("tool_choice") {
        Some(raw) => (Some(raw), "tool_choice"),
        None => (view.value("function_call"), "function_call"),
    };
    let bad = || ProxyError::invalid_request(format!("unsupported `{param}` value")).with_param(param);
    let mut choice = match raw {
        None => None,
        Some(raw) if raw.get().starts_with('"') => {
            let kind = match as_str(raw).map_err(|_| bad())?.as_ref() {
                "auto" => "auto",
                "none" => "none",
                "required" | "any" => "any",
                _ => return Err(bad()),
            };
            Some(ToolChoiceOut { kind, name: None, disable_parallel_tool_use: None })
        }
        Some(raw) if param == "function_call" => {
            let name = object(raw).and_then(|o| req_str(&o, "name")).map_err(|_| bad())?;
            Some(ToolChoiceOut { kind: "tool", name: Some(name), disable_parallel_tool_use: None })
        }
        Some(raw) => {
            let read = || -> Result<_, Shape> {
                let c = object(raw)?;
                let function = match opt_object(&c, "function")? {
                    Some(f) => Some(req_str(&f, "name")?),
                    None => None,
                };
                let disable = c.get_bool("disable_parallel_tool_use").map_err(|_| Shape::NotObject)?;
                Ok((req_str(&c, "type")?, function, opt_str(&c, "name")?, disable))
            };
            let (kind, function, name, disable) = read().map_err(|_| bad())?;
            let (kind, name) = match kind.as_ref() {
                "function" => ("tool", Some(function.ok_or_else(bad)?)),
                "tool" => ("tool", Some(name.ok_or_else(bad)?)),
                "auto" => ("auto", None),
                "any" => ("any", None),
                "none" => ("none", None),
                _ => return Err(bad()),
            };
            Some(ToolChoiceOut { kind, name, disable_parallel_tool_use: disable })
        }
    };
    let parallel = view.get_bool("parallel_tool_calls").map_err(|_| {
        ProxyError::invalid_request("`parallel_tool_calls` must be a boolean").with_param("parallel_tool_calls")
    })?;
    if parallel == Some(false) {
        match &mut choice {
            Some(c) if c.kind == "none" => {}
            Some(c) => c.disable_parallel_tool_use = Some(true),
            None => choice = Some(ToolChoiceOut { kind: "auto", name: None, disable_parallel_tool_use: Some(true) }),
        }
    }
    Ok(choice)
}

fn stop_sequences<'a>(view: &ObjectView<'a>) -> Result<Option<Vec<Cow<'a, str>>>, ProxyError> {
    let (raw, param) = match view.value("stop") {
        Some(raw) => (raw, "stop"),
        None => match view.value("stop_sequences") {
            Some(raw) => (raw, "stop_sequences"),
            None => return Ok(None),
        },
    };
    let bad =
        || ProxyError::invalid_request(format!("`{param}` must be a string or an array of strings")).with_param(param);
    let list: Vec<Cow<'a, str>> = if raw.get().starts_with('"') {
        vec![as_str(raw).map_err(|_| bad())?]
    } else {
        let items = as_array(raw).map_err(|_| bad())?;
        let mut list = Vec::with_capacity(items.len());
        for item in items {
            list.push(as_str(item).map_err(|_| bad())?);
        }
        list
    };
    Ok((!list.is_empty()).then_some(list))
}

/// `metadata.user_id`: the client's own, else `user`, else `safety_identifier`.
fn metadata<'a>(view: &ObjectView<'a>) -> Result<Option<Cow<'a, str>>, ProxyError> {
    if let Some(raw) = view.value("metadata") {
        if let Some(Ok(Some(id))) = as_object(raw).ok().map(|m| m.get_str("user_id")) {
            return Ok(Some(id));
        }
    }
    for key in ["user", "safety_identifier"] {
        let v = view
            .get_str(key)
            .map_err(|_| ProxyError::invalid_request(format!("`{key}` must be a string")).with_param(key_param(key)))?;
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn key_param(key: &str) -> &'static str {
    if key == "user" {
        "user"
    } else {
        "safety_identifier"
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
