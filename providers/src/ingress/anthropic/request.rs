//! Anthropic Messages request → OpenAI chat request.
//!
//! Request decisions (Anthropic Messages reference, <https://docs.anthropic.com/en/api/messages>):
//! - `system` (string or text blocks) → one leading `system` message, blocks joined with "\n\n";
//!   a `system` turn inside `messages` (Claude Code sends them mid-conversation, and may end
//!   with one) → a `system` message in the same place.
//!   Claude Code's `x-anthropic-billing-header: …` attribution block is dropped: it is meant for
//!   Anthropic's servers, changes on every request (its `cch=` hash) and so defeats the prefix
//!   caches of OpenAI-wire providers.
//! - `tool_result` blocks → one `tool` message each, before the rest of the user turn. OpenAI has
//!   no error flag: `is_error: true` prefixes the content with "Error: ". Images inside a tool
//!   result (Claude Code's Read tool returns screenshots that way) cannot go in a `tool` message,
//!   so they open the user message that follows the tool messages.
//! - `thinking` / `redacted_thinking` blocks of earlier assistant turns are dropped: their
//!   signatures only mean something to Anthropic, and most OpenAI-wire providers either reject
//!   `reasoning_content` in input or ignore it. For a provider that wants it back (DeepSeek: in
//!   thinking mode it rejects an assistant tool-call turn without it) the thinking text goes
//!   into the turn's `reasoning_content`.
//! - `document` blocks: plain-text sources become text parts; other sources (PDF, files) → 400.
//! - Server tools (`type` other than `custom`, e.g. `web_search_20250305`) and `mcp_servers` →
//!   400: silently dropping a tool changes what the model can do.
//! - `top_k`, `service_tier` (Anthropic's values differ from OpenAI's), `container`,
//!   `context_management` and the Bedrock/Vertex `anthropic_version` / `anthropic_beta` are
//!   Anthropic-only and not sent. `cache_control` is kept on text parts
//!   (providers with prompt caching read it there) and dropped elsewhere.
//! - `thinking: {type: enabled, budget_tokens}` → `reasoning_effort` (< 4096 low, < 16384
//!   medium, else high); `output_config.effort` wins when present (`xhigh`/`max` → `high`).
//!   `output_config.format` (or the beta `output_format`) `json_schema` → `response_format`
//!   `json_schema` (not `strict`: OpenAI's strict mode rejects schemas Anthropic accepts).
//! - Several text blocks of an assistant turn are joined with "\n\n" into one string (like the
//!   system blocks); an assistant turn left empty (only thinking) is not sent. A final assistant
//!   turn (Anthropic's prefill) is sent as an ordinary earlier turn: OpenAI has no prefill.
//! - OpenAI chat members with no Messages counterpart (`seed`, penalties, `logit_bias`, ...)
//!   are copied when the client sends them, unless this translation writes the member itself
//!   (ours wins); any other member is dropped.

use crate::dialect::Translated;
use crate::error::ProxyError;
use crate::ingress::chat::{array_of, wrong_type};
use crate::ingress::chat_request::{
    literal, write_chat_messages, write_tools, ChatMessage, ObjWriter, OutContent, Part, Text, ToolCallOut, ToolOut,
};
use crate::ingress::ChatTarget;
use crate::json::write_str as push_str;
use crate::json::{as_object, as_objects, as_str, ObjectView};
use serde_json::value::RawValue;
use std::borrow::Cow;

// JSON is read through `ObjectView` and written by hand rather than through derived serde
// structs: each derived struct costs kilobytes of Wasm, and V8 turns every byte of the module
// into about 20 bytes of Envoy memory. The readers keep serde's rules: an absent or `null`
// optional member is `None`, a member of the wrong type is an error, unknown members are
// ignored.

/// OpenAI chat members with no Messages API counterpart that a client may send as they are
/// (`seed`, penalties, ...): copied into the chat request. Every other member that is not
/// translated is dropped: the upstream speaks OpenAI chat, and what is neither Anthropic's nor
/// OpenAI's means nothing there (and may be a credential: `extra_headers`).
const OPENAI_NATIVE: &[&str] = &[
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "n",
    "response_format",
    "parallel_tool_calls",
    "reasoning_effort",
    "user",
    "safety_identifier",
    "store",
    "prediction",
    "modalities",
    "audio",
    "web_search_options",
    "verbosity",
    "prompt_cache_key",
];

const BILLING_HEADER: &str = "x-anthropic-billing-header:";

/// A Messages request body (already validated as a JSON object) → an OpenAI chat body for
/// `model`, for `target`: `stream_usage`, the upstream accepts `stream_options.include_usage` (needed to
/// report usage in `message_delta`).
#[cfg(test)]
pub fn build_chat_request(body: &[u8], model: &str, target: ChatTarget) -> Result<Translated, ProxyError> {
    translate_chat_request(&crate::dialect::openai::parse_body(body)?, model, target)
}

/// The same over a body already parsed (the exchange parses it once for all steps).
pub fn translate_chat_request(
    view: &ObjectView<'_>,
    model: &str,
    target: ChatTarget,
) -> Result<Translated, ProxyError> {
    let mut out = ObjWriter::new(view.input().len() + 256);
    push_str(out.member("model"), model);

    let mut messages: Vec<ChatMessage<'_>> = Vec::new();
    if let Some(raw) = view.get("system") {
        if let Some(system) = system_text(raw, "system", "system")? {
            messages.push(ChatMessage::plain("system", OutContent::Text(Cow::Owned(system))));
        }
    }
    let raw_messages = view
        .get("messages")
        .ok_or_else(|| ProxyError::invalid_request("`messages` is required").with_param("messages"))?;
    let input = read_messages(raw_messages).map_err(|e| invalid("messages", &e))?;
    for (i, m) in input.iter().enumerate() {
        convert_message(i, m, target.reasoning_content, &mut messages)?;
    }
    write_chat_messages(out.member("messages"), &messages, target);

    for key in ["max_tokens", "temperature", "top_p"] {
        if let Some(raw) = view.value(key) {
            out.raw(key, raw.get());
        }
    }
    if let Some(raw) = view.value("stop_sequences") {
        let stop = read_strings(raw).map_err(|e| invalid("stop_sequences", &e))?;
        if !stop.is_empty() {
            let buf = out.member("stop");
            buf.push(b'[');
            for (n, s) in stop.iter().enumerate() {
                if n > 0 {
                    buf.push(b',');
                }
                push_str(buf, s);
            }
            buf.push(b']');
        }
    }
    let stream = view
        .get_bool("stream")
        .map_err(|_| ProxyError::invalid_request("`stream` must be a boolean").with_param("stream"))?;
    if let Some(stream) = stream {
        out.raw("stream", if stream { "true" } else { "false" });
    }
    let stream = stream.unwrap_or(false);
    let include_usage = stream && target.stream_usage;
    if include_usage {
        out.raw("stream_options", r#"{"include_usage":true}"#);
    }

    let tools = match view.value("tools") {
        Some(raw) => convert_tools(read_tools(raw).map_err(|e| invalid("tools", &e))?)?,
        None => Vec::new(),
    };
    if !tools.is_empty() {
        write_tools(out.member("tools"), &tools);
        if let Some(raw) = view.value("tool_choice") {
            let choice = read_tool_choice(raw).map_err(|e| invalid("tool_choice", &e))?;
            write_tool_choice(out.member("tool_choice"), &choice)?;
            if choice.disable_parallel_tool_use == Some(true) {
                out.raw("parallel_tool_calls", "false");
            }
        }
    }

    let output_config = match view.value("output_config") {
        Some(raw) => Some(read_output_config(raw).map_err(|e| invalid("output_config", &e))?),
        None => None,
    };
    let mut effort = output_config.as_ref().and_then(|c| c.effort.as_deref()).map(effort_level);
    if effort.is_none() {
        if let Some(raw) = view.value("thinking") {
            let thinking = read_thinking(raw).map_err(|e| invalid("thinking", &e))?;
            if thinking.kind == "enabled" {
                effort = Some(budget_effort(thinking.budget_tokens.unwrap_or(0)));
            }
        }
    }
    if let Some(effort) = effort {
        push_str(out.member("reasoning_effort"), effort);
    }
    let format = match output_config.and_then(|c| c.format) {
        Some(f) => Some(f),
        None => match view.value("output_format") {
            Some(raw) => Some(read_format(raw).map_err(|e| invalid("output_format", &e))?),
            None => None,
        },
    };
    if let Some(format) = format {
        let schema = response_format_schema(&format)?;
        let buf = out.member("response_format");
        buf.extend_from_slice(br#"{"type":"json_schema","json_schema":{"name":"response","schema":"#);
        buf.extend_from_slice(schema.get().as_bytes());
        buf.extend_from_slice(b"}}");
    }

    if let Some(raw) = view.value("metadata") {
        let metadata = object_of(raw).map_err(|e| invalid("metadata", &e))?;
        if let Some(user) = opt_str(&metadata, "user_id").map_err(|e| invalid("metadata", &e))? {
            push_str(out.member("user"), &user);
        }
    }
    if let Some(raw) = view.value("mcp_servers") {
        let servers = array_of(raw).map_err(|e| invalid("mcp_servers", &e))?;
        if !servers.is_empty() {
            return Err(ProxyError::invalid_request("`mcp_servers` is not supported by this provider")
                .with_param("mcp_servers"));
        }
    }

    // OpenAI chat members the client sent as they are (an Anthropic client's extension fields
    // for an OpenAI-wire upstream): copied unless this translation wrote the member itself.
    for m in view.members_in(OPENAI_NATIVE) {
        if !out.has(&m.key) {
            out.raw(&m.key, m.value.get());
        }
    }

    Ok(Translated { body: out.finish(), stream, include_usage, ..Translated::default() })
}

/// A member of the request that does not have the shape the Messages API gives it.
fn invalid(param: &'static str, what: &str) -> ProxyError {
    ProxyError::invalid_request(format!("invalid `{param}`: {what}")).with_param(param)
}

// Typed reads with serde's error wording: the detail goes into error messages.

fn object_of(raw: &RawValue) -> Result<ObjectView<'_>, String> {
    as_object(raw).map_err(|_| "invalid type, expected an object".to_string())
}

/// An array of objects, read in one pass (the messages, their blocks, the tools: most of a
/// request's bytes); the slow path only names what is wrong.
fn objects_of(raw: &RawValue) -> Result<Vec<ObjectView<'_>>, String> {
    as_objects(raw).or_else(|_| {
        array_of(raw)?;
        Err("invalid type, expected an object".to_string())
    })
}

fn opt_str<'a>(o: &ObjectView<'a>, key: &str) -> Result<Option<Cow<'a, str>>, String> {
    o.get_str(key).map_err(|_| wrong_type(key))
}

/// A required string member (`null` counts as missing).
fn req_str<'a>(o: &ObjectView<'a>, key: &str) -> Result<Cow<'a, str>, String> {
    opt_str(o, key)?.ok_or_else(|| format!("missing field `{key}`"))
}

fn opt_bool(o: &ObjectView<'_>, key: &str) -> Result<Option<bool>, String> {
    o.get_bool(key).map_err(|_| wrong_type(key))
}

fn opt_u64(o: &ObjectView<'_>, key: &str) -> Result<Option<u64>, String> {
    o.get_u64(key).map_err(|_| wrong_type(key))
}

/// An array of strings.
fn read_strings(raw: &RawValue) -> Result<Vec<Cow<'_, str>>, String> {
    let mut out = Vec::new();
    for item in array_of(raw)? {
        out.push(as_str(item).map_err(|_| "invalid type, expected a string".to_string())?);
    }
    Ok(out)
}

struct InMessage<'a> {
    role: Cow<'a, str>,
    content: &'a RawValue,
}

fn read_messages(raw: &RawValue) -> Result<Vec<InMessage<'_>>, String> {
    let mut out = Vec::new();
    for m in objects_of(raw)? {
        let role = req_str(&m, "role")?;
        let content = m.get("content").ok_or_else(|| "missing field `content`".to_string())?;
        out.push(InMessage { role, content });
    }
    Ok(out)
}

/// One content block of any type; the fields a type does not use stay `None`.
struct InBlock<'a> {
    kind: Cow<'a, str>,
    /// Kept as the client's JSON strings: most go out unchanged, decoded only to be joined.
    text: Option<Text<'a>>,
    thinking: Option<Text<'a>>,
    cache_control: Option<&'a RawValue>,
    source: Option<SourceIn<'a>>,
    id: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
    input: Option<&'a RawValue>,
    tool_use_id: Option<Cow<'a, str>>,
    content: Option<&'a RawValue>,
    is_error: Option<bool>,
}

fn read_block(b: ObjectView<'_>) -> Result<InBlock<'_>, String> {
    let source = match b.value("source") {
        Some(raw) => Some(read_source(raw)?),
        None => None,
    };
    Ok(InBlock {
        kind: req_str(&b, "type")?,
        text: literal(&b, "text").map_err(|_| wrong_type("text"))?,
        thinking: literal(&b, "thinking").map_err(|_| wrong_type("thinking"))?,
        cache_control: b.value("cache_control"),
        source,
        id: opt_str(&b, "id")?,
        name: opt_str(&b, "name")?,
        input: b.value("input"),
        tool_use_id: opt_str(&b, "tool_use_id")?,
        content: b.value("content"),
        is_error: opt_bool(&b, "is_error")?,
    })
}

/// An array of content blocks.
fn read_blocks(raw: &RawValue) -> Result<Vec<InBlock<'_>>, String> {
    let mut out = Vec::new();
    for b in objects_of(raw)? {
        out.push(read_block(b)?);
    }
    Ok(out)
}

struct SourceIn<'a> {
    kind: Cow<'a, str>,
    media_type: Option<Cow<'a, str>>,
    data: Option<Cow<'a, str>>,
    url: Option<Cow<'a, str>>,
}

fn read_source(raw: &RawValue) -> Result<SourceIn<'_>, String> {
    let s = object_of(raw)?;
    Ok(SourceIn {
        kind: req_str(&s, "type")?,
        media_type: opt_str(&s, "media_type")?,
        data: opt_str(&s, "data")?,
        url: opt_str(&s, "url")?,
    })
}

struct ToolIn<'a> {
    kind: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
    description: Option<Text<'a>>,
    input_schema: Option<&'a RawValue>,
    strict: Option<bool>,
}

fn read_tools(raw: &RawValue) -> Result<Vec<ToolIn<'_>>, String> {
    let mut out = Vec::new();
    for t in objects_of(raw)? {
        out.push(ToolIn {
            kind: opt_str(&t, "type")?,
            name: opt_str(&t, "name")?,
            description: literal(&t, "description").map_err(|_| wrong_type("description"))?,
            input_schema: t.value("input_schema"),
            strict: opt_bool(&t, "strict")?,
        });
    }
    Ok(out)
}

struct ToolChoiceIn<'a> {
    kind: Cow<'a, str>,
    name: Option<Cow<'a, str>>,
    disable_parallel_tool_use: Option<bool>,
}

fn read_tool_choice(raw: &RawValue) -> Result<ToolChoiceIn<'_>, String> {
    let c = object_of(raw)?;
    Ok(ToolChoiceIn {
        kind: req_str(&c, "type")?,
        name: opt_str(&c, "name")?,
        disable_parallel_tool_use: opt_bool(&c, "disable_parallel_tool_use")?,
    })
}

struct ThinkingIn<'a> {
    kind: Cow<'a, str>,
    budget_tokens: Option<u64>,
}

fn read_thinking(raw: &RawValue) -> Result<ThinkingIn<'_>, String> {
    let t = object_of(raw)?;
    Ok(ThinkingIn { kind: req_str(&t, "type")?, budget_tokens: opt_u64(&t, "budget_tokens")? })
}

struct OutputConfigIn<'a> {
    effort: Option<Cow<'a, str>>,
    format: Option<FormatIn<'a>>,
}

fn read_output_config(raw: &RawValue) -> Result<OutputConfigIn<'_>, String> {
    let c = object_of(raw)?;
    let format = match c.value("format") {
        Some(raw) => Some(read_format(raw)?),
        None => None,
    };
    Ok(OutputConfigIn { effort: opt_str(&c, "effort")?, format })
}

struct FormatIn<'a> {
    kind: Cow<'a, str>,
    schema: Option<&'a RawValue>,
}

fn read_format(raw: &RawValue) -> Result<FormatIn<'_>, String> {
    let f = object_of(raw)?;
    Ok(FormatIn { kind: req_str(&f, "type")?, schema: f.value("schema") })
}

/// `system`: a string or an array of text blocks → one string (`None` when empty).
/// The text of a `system` prompt (the top-level member, or a `system` turn inside `messages`,
/// `at` naming which): a string, or text blocks joined with "\n\n".
fn system_text(raw: &RawValue, at: &str, param: &'static str) -> Result<Option<String>, ProxyError> {
    let invalid = |what: String| ProxyError::invalid_request(format!("`{at}`: {what}")).with_param(param);
    let text = match raw.get().trim_start().as_bytes().first() {
        Some(b'n') => return Ok(None),
        Some(b'"') => as_str(raw).map_err(|_| invalid("invalid string".into()))?.into_owned(),
        Some(b'[') => {
            let blocks = read_blocks(raw).map_err(invalid)?;
            let mut texts = Vec::with_capacity(blocks.len());
            for b in blocks {
                if b.kind != "text" {
                    return Err(invalid(format!("system blocks must be text blocks, got `{}`", b.kind)));
                }
                let text = decoded(b.text).map_err(|_| invalid("invalid string".into()))?;
                if !text.starts_with(BILLING_HEADER) {
                    texts.push(text);
                }
            }
            texts.join("\n\n")
        }
        _ => return Err(invalid("a system prompt must be a string or an array of text blocks".into())),
    };
    Ok((!text.is_empty()).then_some(text))
}

/// An optional text, decoded (absent: empty).
fn decoded(text: Option<Text<'_>>) -> Result<Cow<'_, str>, crate::json::WrongType> {
    text.map_or(Ok(Cow::Borrowed("")), Text::into_decoded)
}

fn bad_message(i: usize, what: &str) -> ProxyError {
    ProxyError::invalid_request(format!("messages[{i}]: {what}")).with_param("messages")
}

fn convert_message<'a>(
    i: usize,
    m: &'a InMessage<'a>,
    echo_reasoning: bool,
    out: &mut Vec<ChatMessage<'a>>,
) -> Result<(), ProxyError> {
    let role = match &*m.role {
        "user" => "user",
        "assistant" => "assistant",
        // A system turn inside the conversation (Claude Code sends them; Anthropic accepts
        // them): OpenAI chat allows system messages anywhere, so it keeps its place.
        "system" => {
            if let Some(text) = system_text(m.content, &format!("messages[{i}]"), "messages")? {
                out.push(ChatMessage::plain("system", OutContent::Text(Cow::Owned(text))));
            }
            return Ok(());
        }
        other => return Err(bad_message(i, &format!("role must be `user`, `assistant` or `system`, got `{other}`"))),
    };
    let blocks: Vec<InBlock<'a>> = match m.content.get().trim_start().as_bytes().first() {
        Some(b'"') => {
            out.push(ChatMessage::plain(role, OutContent::Literal(m.content)));
            return Ok(());
        }
        Some(b'[') => read_blocks(m.content).map_err(|e| bad_message(i, &e))?,
        _ => return Err(bad_message(i, "content must be a string or an array of content blocks")),
    };
    if role == "user" {
        convert_user(i, blocks, out)
    } else {
        convert_assistant(i, blocks, echo_reasoning, out)
    }
}

fn convert_user<'a>(i: usize, blocks: Vec<InBlock<'a>>, out: &mut Vec<ChatMessage<'a>>) -> Result<(), ProxyError> {
    let mut parts = Vec::new();
    let mut result_images = Vec::new();
    let mut tool_messages = 0;
    for b in blocks {
        match &*b.kind {
            "text" => parts.push(Part::Text {
                text: b.text.unwrap_or(Text::Str(Cow::Borrowed(""))),
                cache_control: b.cache_control,
            }),
            "image" => parts.push(image_part(i, b.source)?),
            "document" => parts.push(document_part(i, b)?),
            "tool_result" => {
                let id = b.tool_use_id.ok_or_else(|| bad_message(i, "`tool_result` without `tool_use_id`"))?;
                let is_error = b.is_error == Some(true);
                let content = match b.content {
                    Some(raw) if raw.get().starts_with('"') && !is_error => OutContent::Literal(raw),
                    Some(raw) => OutContent::Text(Cow::Owned(tool_result_content(i, raw, &mut result_images)?)),
                    None => OutContent::Text(Cow::Borrowed("")),
                };
                let content = match content {
                    OutContent::Text(text) if is_error => OutContent::Text(Cow::Owned(if text.is_empty() {
                        "Error".into()
                    } else {
                        format!("Error: {text}")
                    })),
                    other => other,
                };
                out.push(ChatMessage { tool_call_id: Some(id), ..ChatMessage::plain("tool", content) });
                tool_messages += 1;
            }
            other => return Err(unsupported_block(i, other, "user")),
        }
    }
    if !result_images.is_empty() {
        result_images.append(&mut parts);
        parts = result_images;
    }
    if !parts.is_empty() {
        out.push(ChatMessage::plain("user", OutContent::Parts(parts)));
    } else if tool_messages == 0 {
        out.push(ChatMessage::plain("user", OutContent::Text(Cow::Borrowed(""))));
    }
    Ok(())
}

/// `echo_reasoning`: the provider wants thinking back as `reasoning_content`; otherwise it is
/// not even decoded.
fn convert_assistant<'a>(
    i: usize,
    blocks: Vec<InBlock<'a>>,
    echo_reasoning: bool,
    out: &mut Vec<ChatMessage<'a>>,
) -> Result<(), ProxyError> {
    let mut texts: Vec<Text<'a>> = Vec::new();
    let mut thoughts: Vec<Cow<'a, str>> = Vec::new();
    let mut calls = Vec::new();
    for b in blocks {
        match &*b.kind {
            "text" => texts.extend(b.text),
            "tool_use" => {
                let id = b.id.ok_or_else(|| bad_message(i, "`tool_use` without `id`"))?;
                let name = b.name.ok_or_else(|| bad_message(i, "`tool_use` without `name`"))?;
                // `input` was read as valid JSON: only its whitespace goes.
                let arguments = match b.input {
                    Some(raw) => crate::json::compact(raw.get()),
                    None => "{}".to_string(),
                };
                calls.push(ToolCallOut { id, name, arguments });
            }
            // The signature means nothing to another provider; the text may go back as
            // `reasoning_content` (DeepSeek requires it on tool-call turns when thinking).
            "thinking" if echo_reasoning => {
                let thinking = decoded(b.thinking).map_err(|_| bad_message(i, "invalid string"))?;
                if !thinking.is_empty() {
                    thoughts.push(thinking);
                }
            }
            "thinking" => {}
            "redacted_thinking" => {}
            other => return Err(unsupported_block(i, other, "assistant")),
        }
    }
    let content = match texts.len() {
        0 => OutContent::Null,
        1 => texts.pop().map_or(OutContent::Null, Text::into_content),
        _ => {
            let mut joined = Vec::with_capacity(texts.len());
            for text in texts {
                joined.push(text.into_decoded().map_err(|_| bad_message(i, "invalid string"))?);
            }
            OutContent::Text(Cow::Owned(joined.join("\n\n")))
        }
    };
    if matches!(content, OutContent::Null) && calls.is_empty() {
        // Only thinking blocks: nothing an OpenAI-wire provider can use.
        return Ok(());
    }
    let reasoning = (!thoughts.is_empty()).then(|| thoughts.join("\n\n"));
    out.push(ChatMessage { role: "assistant", content, tool_calls: calls, tool_call_id: None, reasoning });
    Ok(())
}

fn unsupported_block(i: usize, kind: &str, role: &str) -> ProxyError {
    bad_message(i, &format!("content blocks of type `{kind}` in a {role} turn are not supported by this provider"))
}

fn image_part<'a>(i: usize, source: Option<SourceIn<'a>>) -> Result<Part<'a>, ProxyError> {
    let source = source.ok_or_else(|| bad_message(i, "`image` without `source`"))?;
    let url = match (&*source.kind, source.url, source.data) {
        ("url", Some(url), _) => url,
        ("base64", _, Some(data)) => {
            let media = source.media_type.as_deref().unwrap_or("image/png");
            Cow::Owned(format!("data:{media};base64,{data}"))
        }
        (kind, _, _) => return Err(bad_message(i, &format!("image source `{kind}` is not supported"))),
    };
    Ok(Part::ImageUrl { url, detail: None })
}

fn document_part<'a>(i: usize, b: InBlock<'a>) -> Result<Part<'a>, ProxyError> {
    match b.source {
        Some(SourceIn { kind, data: Some(data), .. }) if kind == "text" => {
            Ok(Part::Text { text: Text::Str(data), cache_control: b.cache_control })
        }
        _ => Err(bad_message(i, "only plain-text `document` blocks are supported by this provider")),
    }
}

/// A `tool_result`'s content: a string, or blocks whose texts are joined with "\n"; images are
/// moved to `images` (a `tool` message carries text only).
fn tool_result_content<'a>(i: usize, raw: &'a RawValue, images: &mut Vec<Part<'a>>) -> Result<String, ProxyError> {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'"') => as_str(raw).map(Cow::into_owned).map_err(|_| bad_message(i, "invalid string")),
        Some(b'[') => {
            let blocks = read_blocks(raw).map_err(|e| bad_message(i, &e))?;
            let mut texts = Vec::new();
            for b in blocks {
                match &*b.kind {
                    "text" => texts.push(decoded(b.text).map_err(|_| bad_message(i, "invalid string"))?),
                    "image" => images.push(image_part(i, b.source)?),
                    "document" => {
                        if let Part::Text { text: Text::Str(text), .. } = document_part(i, b)? {
                            texts.push(text);
                        }
                    }
                    other => return Err(unsupported_block(i, other, "tool_result")),
                }
            }
            Ok(texts.join("\n"))
        }
        Some(b'n') => Ok(String::new()),
        _ => Err(bad_message(i, "`tool_result` content must be a string or an array of content blocks")),
    }
}

fn convert_tools(tools: Vec<ToolIn<'_>>) -> Result<Vec<ToolOut<'_>>, ProxyError> {
    let mut out = Vec::with_capacity(tools.len());
    for t in tools {
        if let Some(kind) = t.kind.as_deref().filter(|k| *k != "custom") {
            return Err(ProxyError::invalid_request(format!(
                "tool type `{kind}` (an Anthropic server tool) is not supported by this provider"
            ))
            .with_param("tools"));
        }
        let name = t.name.ok_or_else(|| ProxyError::invalid_request("a tool has no `name`").with_param("tools"))?;
        out.push(ToolOut {
            name,
            description: t.description,
            parameters: t.input_schema.map(RawValue::get),
            strict: t.strict,
        });
    }
    Ok(out)
}

/// Anthropic `tool_choice` → OpenAI's: a mode string or `{"type":"function",…}`.
fn write_tool_choice(out: &mut Vec<u8>, choice: &ToolChoiceIn<'_>) -> Result<(), ProxyError> {
    let mode = match &*choice.kind {
        "auto" => "auto",
        "any" => "required",
        "none" => "none",
        "tool" => {
            let name = choice.name.as_deref().ok_or_else(|| {
                ProxyError::invalid_request("`tool_choice` of type `tool` needs a `name`").with_param("tool_choice")
            })?;
            out.extend_from_slice(b"{\"type\":\"function\",\"function\":{\"name\":");
            push_str(out, name);
            out.extend_from_slice(b"}}");
            return Ok(());
        }
        other => {
            return Err(
                ProxyError::invalid_request(format!("unknown `tool_choice` type `{other}`")).with_param("tool_choice")
            )
        }
    };
    push_str(out, mode);
    Ok(())
}

fn budget_effort(budget: u64) -> &'static str {
    if budget < 4096 {
        "low"
    } else if budget < 16384 {
        "medium"
    } else {
        "high"
    }
}

fn effort_level(effort: &str) -> &'static str {
    match effort {
        "low" => "low",
        "medium" => "medium",
        _ => "high",
    }
}

/// The schema of a `json_schema` output format (sent as OpenAI's `response_format`).
fn response_format_schema<'a>(format: &FormatIn<'a>) -> Result<&'a RawValue, ProxyError> {
    match (&*format.kind, format.schema) {
        ("json_schema", Some(schema)) => Ok(schema),
        (kind, _) => {
            Err(ProxyError::invalid_request(format!("output format `{kind}` is not supported"))
                .with_param("output_config"))
        }
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
