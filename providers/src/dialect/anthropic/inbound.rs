//! Anthropic clients (`/v1/messages`) in front of OpenAI-wire providers: Messages request →
//! chat request; chat response, stream and errors → Messages.
//!
//! Request decisions (Anthropic Messages reference, <https://docs.anthropic.com/en/api/messages>):
//! - `system` (string or text blocks) → one leading `system` message, blocks joined with "\n\n".
//!   Claude Code's `x-anthropic-billing-header: …` attribution block is dropped: it is meant for
//!   Anthropic's servers, changes on every request (its `cch=` hash) and so defeats the prefix
//!   caches of OpenAI-wire providers.
//! - `tool_result` blocks → one `tool` message each, before the rest of the user turn. OpenAI has
//!   no error flag: `is_error: true` prefixes the content with "Error: ". Images inside a tool
//!   result (Claude Code's Read tool returns screenshots that way) cannot go in a `tool` message,
//!   so they open the user message that follows the tool messages.
//! - `thinking` / `redacted_thinking` blocks of earlier assistant turns are dropped: their
//!   signatures only mean something to Anthropic, and OpenAI-wire providers either reject
//!   `reasoning_content` in input or ignore it.
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
//! - Members that are not part of the Messages API pass through unchanged, unless they collide
//!   with a member this translation writes (ours wins).
//!
//! Stream decisions: see [`ChatToMessagesStream`]. A stream that ends with `finish_reason` but
//! no `[DONE]` ends normally; one that ends with neither (cut off) ends with an `error` event.
//!
//! Response decisions: only choice 0 is read. Tool arguments that are not a JSON object cannot
//! be an Anthropic `input`; rather than `{}` (which hides the failure and runs the tool with no
//! arguments) they become `{"_raw": "<the arguments>"}`, so the tool reports a schema error that
//! the model can see and correct. Empty arguments are `{}` (a tool without parameters).

use crate::dialect::Translated;
use crate::dialect::{StreamTranslator, TranslateCtx};
use crate::error::ProxyError;
use crate::json::write_str as push_str;
use crate::json::{as_array, as_object, as_str, as_u64, opt_str as json_opt_str, read_members, ObjectView, ViewError};
use crate::stream::sse::{Block, SseDecoder};
use serde_json::value::RawValue;
use std::borrow::Cow;

// JSON is read through `ObjectView` and written by hand rather than through derived serde
// structs: each derived struct costs kilobytes of Wasm, and V8 turns every byte of the module
// into about 20 bytes of Envoy memory. The readers keep serde's rules: an absent or `null`
// optional member is `None`, a member of the wrong type is an error, unknown members are
// ignored.

// ---------------------------------------------------------------------------------------------
// Request: Messages → chat completions
// ---------------------------------------------------------------------------------------------

/// Messages API members that are translated (or deliberately dropped); everything else passes.
const MESSAGES_FIELDS: &[&str] = &[
    "model",
    "messages",
    "system",
    "max_tokens",
    "stop_sequences",
    "stream",
    "temperature",
    "top_p",
    "top_k",
    "metadata",
    "tools",
    "tool_choice",
    "thinking",
    "service_tier",
    "container",
    "context_management",
    "mcp_servers",
    "output_config",
    "output_format",
    // Anthropic body fields on Bedrock and Vertex AI.
    "anthropic_version",
    "anthropic_beta",
];

const BILLING_HEADER: &str = "x-anthropic-billing-header:";

/// A Messages request body (already validated as a JSON object) → an OpenAI chat body for
/// `model`. `stream_usage`: the upstream accepts `stream_options.include_usage` (needed to
/// report usage in `message_delta`).
pub fn build_chat_request(body: &[u8], model: &str, stream_usage: bool) -> Result<Translated, ProxyError> {
    translate_chat_request(&crate::dialect::openai::parse_body(body)?, model, stream_usage)
}

/// The same over a body already parsed (the exchange parses it once for all steps).
pub fn translate_chat_request(
    view: &ObjectView<'_>,
    model: &str,
    stream_usage: bool,
) -> Result<Translated, ProxyError> {
    let mut out = ObjWriter::new(view.input().len() + 256);
    push_str(out.member("model"), model);

    let mut messages: Vec<ChatMessage<'_>> = Vec::new();
    if let Some(raw) = view.get("system") {
        if let Some(system) = system_text(raw)? {
            messages.push(ChatMessage::plain("system", OutContent::Text(Cow::Owned(system))));
        }
    }
    let raw_messages = view
        .get("messages")
        .ok_or_else(|| ProxyError::invalid_request("`messages` is required").with_param("messages"))?;
    let input = read_messages(raw_messages).map_err(|e| invalid("messages", &e))?;
    for (i, m) in input.iter().enumerate() {
        convert_message(i, m, &mut messages)?;
    }
    write_chat_messages(out.member("messages"), &messages);

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
    let include_usage = stream && stream_usage;
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

    // Pass-through: members unknown to the Messages API, last duplicate wins, ours win.
    let members = view.members();
    for (i, m) in members.iter().enumerate() {
        let key: &str = &m.key;
        let later_duplicate = members.iter().skip(i + 1).any(|n| n.key == key);
        if MESSAGES_FIELDS.contains(&key) || later_duplicate || out.has(key) {
            continue;
        }
        out.raw(key, m.value.get());
    }

    Ok(Translated { body: out.finish(), stream, include_usage, ..Translated::default() })
}

/// A member of the request that does not have the shape the Messages API gives it.
fn invalid(param: &'static str, what: &str) -> ProxyError {
    ProxyError::invalid_request(format!("invalid `{param}`: {what}")).with_param(param)
}

// Typed reads with serde's error wording: the detail goes into error messages.

fn wrong_type(key: &str) -> String {
    format!("invalid type for `{key}`")
}

fn object_of(raw: &RawValue) -> Result<ObjectView<'_>, String> {
    as_object(raw).map_err(|_| "invalid type, expected an object".to_string())
}

fn array_of(raw: &RawValue) -> Result<Vec<&RawValue>, String> {
    as_array(raw).map_err(|_| "invalid type, expected an array".to_string())
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

/// A JSON object written member by member, remembering which keys it has.
struct ObjWriter {
    buf: Vec<u8>,
    keys: Vec<String>,
}

impl ObjWriter {
    fn new(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity);
        buf.push(b'{');
        ObjWriter { buf, keys: Vec::new() }
    }

    /// Writes the key of a new member; its value is to be written into the returned buffer.
    fn member(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.keys.is_empty() {
            self.buf.push(b',');
        }
        push_str(&mut self.buf, key);
        self.buf.push(b':');
        self.keys.push(key.to_string());
        &mut self.buf
    }

    fn raw(&mut self, key: &str, json: &str) {
        self.member(key).extend_from_slice(json.as_bytes());
    }

    fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    fn finish(mut self) -> Vec<u8> {
        self.buf.push(b'}');
        self.buf
    }
}

struct InMessage<'a> {
    role: Cow<'a, str>,
    content: &'a RawValue,
}

fn read_messages(raw: &RawValue) -> Result<Vec<InMessage<'_>>, String> {
    let mut out = Vec::new();
    for item in array_of(raw)? {
        let m = object_of(item)?;
        let role = req_str(&m, "role")?;
        let content = m.get("content").ok_or_else(|| "missing field `content`".to_string())?;
        out.push(InMessage { role, content });
    }
    Ok(out)
}

/// One content block of any type; the fields a type does not use stay `None`.
struct InBlock<'a> {
    kind: Cow<'a, str>,
    text: Option<Cow<'a, str>>,
    cache_control: Option<&'a RawValue>,
    source: Option<SourceIn<'a>>,
    id: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
    input: Option<&'a RawValue>,
    tool_use_id: Option<Cow<'a, str>>,
    content: Option<&'a RawValue>,
    is_error: Option<bool>,
}

fn read_block(raw: &RawValue) -> Result<InBlock<'_>, String> {
    let b = object_of(raw)?;
    let source = match b.value("source") {
        Some(raw) => Some(read_source(raw)?),
        None => None,
    };
    Ok(InBlock {
        kind: req_str(&b, "type")?,
        text: opt_str(&b, "text")?,
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
    for item in array_of(raw)? {
        out.push(read_block(item)?);
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
    description: Option<Cow<'a, str>>,
    input_schema: Option<&'a RawValue>,
    strict: Option<bool>,
}

fn read_tools(raw: &RawValue) -> Result<Vec<ToolIn<'_>>, String> {
    let mut out = Vec::new();
    for item in array_of(raw)? {
        let t = object_of(item)?;
        out.push(ToolIn {
            kind: opt_str(&t, "type")?,
            name: opt_str(&t, "name")?,
            description: opt_str(&t, "description")?,
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

struct ChatMessage<'a> {
    role: &'static str,
    content: OutContent<'a>,
    tool_calls: Vec<ToolCallOut<'a>>,
    tool_call_id: Option<Cow<'a, str>>,
}

impl<'a> ChatMessage<'a> {
    fn plain(role: &'static str, content: OutContent<'a>) -> Self {
        ChatMessage { role, content, tool_calls: Vec::new(), tool_call_id: None }
    }
}

enum OutContent<'a> {
    Null,
    Text(Cow<'a, str>),
    Parts(Vec<Part<'a>>),
}

enum Part<'a> {
    Text { text: Cow<'a, str>, cache_control: Option<&'a RawValue> },
    ImageUrl { url: Cow<'a, str> },
}

struct ToolCallOut<'a> {
    id: Cow<'a, str>,
    name: Cow<'a, str>,
    arguments: String,
}

struct ToolOut<'a> {
    name: Cow<'a, str>,
    description: Option<Cow<'a, str>>,
    parameters: Option<&'a RawValue>,
    strict: Option<bool>,
}

/// `[{"role", "content", "tool_calls"?, "tool_call_id"?}, …]`
fn write_chat_messages(out: &mut Vec<u8>, messages: &[ChatMessage<'_>]) {
    out.push(b'[');
    for (n, m) in messages.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"role\":");
        push_str(out, m.role);
        out.extend_from_slice(b",\"content\":");
        match &m.content {
            OutContent::Null => out.extend_from_slice(b"null"),
            OutContent::Text(text) => push_str(out, text),
            OutContent::Parts(parts) => write_parts(out, parts),
        }
        if !m.tool_calls.is_empty() {
            out.extend_from_slice(b",\"tool_calls\":[");
            for (k, call) in m.tool_calls.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"id\":");
                push_str(out, &call.id);
                out.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
                push_str(out, &call.name);
                out.extend_from_slice(b",\"arguments\":");
                push_str(out, &call.arguments);
                out.extend_from_slice(b"}}");
            }
            out.push(b']');
        }
        if let Some(id) = &m.tool_call_id {
            out.extend_from_slice(b",\"tool_call_id\":");
            push_str(out, id);
        }
        out.push(b'}');
    }
    out.push(b']');
}

fn write_parts(out: &mut Vec<u8>, parts: &[Part<'_>]) {
    out.push(b'[');
    for (n, part) in parts.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match part {
            Part::Text { text, cache_control } => {
                out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
                push_str(out, text);
                if let Some(cc) = cache_control {
                    out.extend_from_slice(b",\"cache_control\":");
                    out.extend_from_slice(cc.get().as_bytes());
                }
                out.push(b'}');
            }
            Part::ImageUrl { url } => {
                out.extend_from_slice(b"{\"type\":\"image_url\",\"image_url\":{\"url\":");
                push_str(out, url);
                out.extend_from_slice(b"}}");
            }
        }
    }
    out.push(b']');
}

/// `[{"type":"function","function":{"name","description"?,"parameters"?,"strict"?}}, …]`
fn write_tools(out: &mut Vec<u8>, tools: &[ToolOut<'_>]) {
    out.push(b'[');
    for (n, tool) in tools.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"type\":\"function\",\"function\":{\"name\":");
        push_str(out, &tool.name);
        if let Some(description) = &tool.description {
            out.extend_from_slice(b",\"description\":");
            push_str(out, description);
        }
        if let Some(parameters) = tool.parameters {
            out.extend_from_slice(b",\"parameters\":");
            out.extend_from_slice(parameters.get().as_bytes());
        }
        if let Some(strict) = tool.strict {
            out.extend_from_slice(if strict { b",\"strict\":true" } else { b",\"strict\":false" });
        }
        out.extend_from_slice(b"}}");
    }
    out.push(b']');
}

/// `system`: a string or an array of text blocks → one string (`None` when empty).
fn system_text(raw: &RawValue) -> Result<Option<String>, ProxyError> {
    let text = match raw.get().trim_start().as_bytes().first() {
        Some(b'n') => return Ok(None),
        Some(b'"') => as_str(raw).map_err(|_| invalid("system", "invalid string"))?.into_owned(),
        Some(b'[') => {
            let blocks = read_blocks(raw).map_err(|e| invalid("system", &e))?;
            let mut texts = Vec::with_capacity(blocks.len());
            for b in &blocks {
                if b.kind != "text" {
                    return Err(ProxyError::invalid_request(format!(
                        "`system` blocks must be text blocks, got `{}`",
                        b.kind
                    ))
                    .with_param("system"));
                }
                let text = b.text.as_deref().unwrap_or_default();
                if !text.starts_with(BILLING_HEADER) {
                    texts.push(text);
                }
            }
            texts.join("\n\n")
        }
        _ => {
            return Err(ProxyError::invalid_request("`system` must be a string or an array of text blocks")
                .with_param("system"))
        }
    };
    Ok((!text.is_empty()).then_some(text))
}

fn bad_message(i: usize, what: &str) -> ProxyError {
    ProxyError::invalid_request(format!("messages[{i}]: {what}")).with_param("messages")
}

fn convert_message<'a>(i: usize, m: &'a InMessage<'a>, out: &mut Vec<ChatMessage<'a>>) -> Result<(), ProxyError> {
    let role = match &*m.role {
        "user" => "user",
        "assistant" => "assistant",
        other => return Err(bad_message(i, &format!("role must be `user` or `assistant`, got `{other}`"))),
    };
    let blocks: Vec<InBlock<'a>> = match m.content.get().trim_start().as_bytes().first() {
        Some(b'"') => {
            let text = as_str(m.content).map_err(|_| bad_message(i, "invalid string"))?;
            out.push(ChatMessage::plain(role, OutContent::Text(text)));
            return Ok(());
        }
        Some(b'[') => read_blocks(m.content).map_err(|e| bad_message(i, &e))?,
        _ => return Err(bad_message(i, "content must be a string or an array of content blocks")),
    };
    if role == "user" {
        convert_user(i, blocks, out)
    } else {
        convert_assistant(i, blocks, out)
    }
}

fn convert_user<'a>(i: usize, blocks: Vec<InBlock<'a>>, out: &mut Vec<ChatMessage<'a>>) -> Result<(), ProxyError> {
    let mut parts = Vec::new();
    let mut result_images = Vec::new();
    let mut tool_messages = 0;
    for b in blocks {
        match &*b.kind {
            "text" => parts.push(Part::Text { text: b.text.unwrap_or_default(), cache_control: b.cache_control }),
            "image" => parts.push(image_part(i, b.source)?),
            "document" => parts.push(document_part(i, b)?),
            "tool_result" => {
                let id = b.tool_use_id.ok_or_else(|| bad_message(i, "`tool_result` without `tool_use_id`"))?;
                let mut text = match b.content {
                    Some(raw) => tool_result_content(i, raw, &mut result_images)?,
                    None => String::new(),
                };
                if b.is_error == Some(true) {
                    text = if text.is_empty() { "Error".to_string() } else { format!("Error: {text}") };
                }
                out.push(ChatMessage {
                    role: "tool",
                    content: OutContent::Text(Cow::Owned(text)),
                    tool_calls: Vec::new(),
                    tool_call_id: Some(id),
                });
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

fn convert_assistant<'a>(i: usize, blocks: Vec<InBlock<'a>>, out: &mut Vec<ChatMessage<'a>>) -> Result<(), ProxyError> {
    let mut texts: Vec<Cow<'a, str>> = Vec::new();
    let mut calls = Vec::new();
    for b in blocks {
        match &*b.kind {
            "text" => texts.push(b.text.unwrap_or_default()),
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
            // Signed reasoning from earlier turns means nothing to another provider.
            "thinking" | "redacted_thinking" => {}
            other => return Err(unsupported_block(i, other, "assistant")),
        }
    }
    let content = match texts.len() {
        0 => OutContent::Null,
        1 => OutContent::Text(texts.pop().unwrap_or_default()),
        _ => OutContent::Text(Cow::Owned(texts.join("\n\n"))),
    };
    if matches!(content, OutContent::Null) && calls.is_empty() {
        // Only thinking blocks: nothing an OpenAI-wire provider can use.
        return Ok(());
    }
    out.push(ChatMessage { role: "assistant", content, tool_calls: calls, tool_call_id: None });
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
    Ok(Part::ImageUrl { url })
}

fn document_part<'a>(i: usize, b: InBlock<'a>) -> Result<Part<'a>, ProxyError> {
    match b.source {
        Some(SourceIn { kind, data: Some(data), .. }) if kind == "text" => {
            Ok(Part::Text { text: data, cache_control: b.cache_control })
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
                    "text" => texts.push(b.text.unwrap_or_default()),
                    "image" => images.push(image_part(i, b.source)?),
                    "document" => {
                        if let Part::Text { text, .. } = document_part(i, b)? {
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
        out.push(ToolOut { name, description: t.description, parameters: t.input_schema, strict: t.strict });
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

// ---------------------------------------------------------------------------------------------
// Response: chat.completion → Messages
// ---------------------------------------------------------------------------------------------

/// A `chat.completion` or a `chat.completion.chunk`: the members the translations read.
struct ChatDoc<'a> {
    id: Option<Cow<'a, str>>,
    model: Option<Cow<'a, str>>,
    choices: Vec<ChoiceIn<'a>>,
    usage: Option<ChatUsage>,
    error: Option<&'a RawValue>,
}

struct ChoiceIn<'a> {
    index: Option<u64>,
    /// `message` in a completion, `delta` in a chunk.
    message: Option<MsgIn<'a>>,
    finish_reason: Option<Cow<'a, str>>,
}

struct MsgIn<'a> {
    content: Option<&'a RawValue>,
    reasoning_content: Option<Cow<'a, str>>,
    reasoning: Option<Cow<'a, str>>,
    refusal: Option<Cow<'a, str>>,
    tool_calls: Vec<CallIn<'a>>,
}

struct CallIn<'a> {
    /// Read in chunks only.
    index: Option<u64>,
    id: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
    /// A completion's `function.arguments` (any JSON).
    arguments: Option<&'a RawValue>,
    /// A chunk's `function.arguments` (a string).
    arguments_text: Option<Cow<'a, str>>,
}

/// Reads a completion (`chunk == false`) or a chunk, checking the types of every member read.
fn read_chat_doc(text: &str, chunk: bool) -> Result<ChatDoc<'_>, String> {
    let mut slots = [None; 5];
    read_members(text, &["id", "model", "choices", "usage", "error"], &mut slots)
        .map_err(|_| "invalid type, expected an object".to_string())?;
    let [id, model, choices_raw, usage, error] = slots;
    let mut choices = Vec::new();
    if let Some(raw) = choices_raw {
        for item in array_of(raw)? {
            choices.push(read_choice(item, chunk)?);
        }
    }
    let usage = match usage {
        Some(raw) => Some(read_usage(raw)?),
        None => None,
    };
    Ok(ChatDoc { id: slot_str(id, "id")?, model: slot_str(model, "model")?, choices, usage, error })
}

// The nested members are read with `json::read_members` (no allocation; one scan per level):
// a chunk arrives for every streamed token.

/// The members `keys` of the object `raw` (absent or `null`: `None`).
fn members_of<'a, const N: usize>(
    raw: &'a RawValue,
    keys: [&'static str; N],
) -> Result<[Option<&'a RawValue>; N], String> {
    let mut slots = [None; N];
    read_members(raw.get(), &keys, &mut slots).map_err(|_| "invalid type, expected an object".to_string())?;
    Ok(slots)
}

fn slot_str<'a>(slot: Option<&'a RawValue>, key: &str) -> Result<Option<Cow<'a, str>>, String> {
    json_opt_str(slot).map_err(|_| wrong_type(key))
}

fn slot_u64(slot: Option<&RawValue>, key: &str) -> Result<Option<u64>, String> {
    slot.map(as_u64).transpose().map_err(|_| wrong_type(key))
}

fn read_choice(raw: &RawValue, chunk: bool) -> Result<ChoiceIn<'_>, String> {
    let [index, message, finish_reason] =
        members_of(raw, ["index", if chunk { "delta" } else { "message" }, "finish_reason"])?;
    let message = match message {
        Some(raw) => Some(read_msg(raw, chunk)?),
        None => None,
    };
    Ok(ChoiceIn { index: slot_u64(index, "index")?, message, finish_reason: slot_str(finish_reason, "finish_reason")? })
}

fn read_msg(raw: &RawValue, chunk: bool) -> Result<MsgIn<'_>, String> {
    let [content, reasoning_content, reasoning, refusal, calls] =
        members_of(raw, ["content", "reasoning_content", "reasoning", "refusal", "tool_calls"])?;
    let mut tool_calls = Vec::new();
    if let Some(raw) = calls {
        for item in array_of(raw)? {
            tool_calls.push(read_call(item, chunk)?);
        }
    }
    Ok(MsgIn {
        content,
        reasoning_content: slot_str(reasoning_content, "reasoning_content")?,
        reasoning: slot_str(reasoning, "reasoning")?,
        refusal: slot_str(refusal, "refusal")?,
        tool_calls,
    })
}

fn read_call(raw: &RawValue, chunk: bool) -> Result<CallIn<'_>, String> {
    let [index, id, function] = members_of(raw, ["index", "id", "function"])?;
    let mut call = CallIn { index: None, id: slot_str(id, "id")?, name: None, arguments: None, arguments_text: None };
    if chunk {
        call.index = slot_u64(index, "index")?;
    }
    if let Some(raw) = function {
        let [name, arguments] = members_of(raw, ["name", "arguments"])?;
        call.name = slot_str(name, "name")?;
        if chunk {
            call.arguments_text = slot_str(arguments, "arguments")?;
        } else {
            call.arguments = arguments;
        }
    }
    Ok(call)
}

#[derive(Default, Clone, Copy, Debug)]
struct ChatUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    /// `prompt_tokens_details.cached_tokens`.
    cached_tokens: Option<u64>,
    /// DeepSeek's name for cached prompt tokens.
    prompt_cache_hit_tokens: Option<u64>,
}

fn read_usage(raw: &RawValue) -> Result<ChatUsage, String> {
    let [prompt, completion, details, cache_hit] =
        members_of(raw, ["prompt_tokens", "completion_tokens", "prompt_tokens_details", "prompt_cache_hit_tokens"])?;
    let cached_tokens = match details {
        Some(raw) => {
            let [cached] = members_of(raw, ["cached_tokens"])?;
            slot_u64(cached, "cached_tokens")?
        }
        None => None,
    };
    Ok(ChatUsage {
        prompt_tokens: slot_u64(prompt, "prompt_tokens")?,
        completion_tokens: slot_u64(completion, "completion_tokens")?,
        cached_tokens,
        prompt_cache_hit_tokens: slot_u64(cache_hit, "prompt_cache_hit_tokens")?,
    })
}

impl ChatUsage {
    fn cached(&self) -> Option<u64> {
        self.cached_tokens.or(self.prompt_cache_hit_tokens)
    }

    fn to_anthropic(self) -> UsageOut {
        let cached = self.cached();
        UsageOut {
            input_tokens: Some(self.prompt_tokens.unwrap_or(0).saturating_sub(cached.unwrap_or(0))),
            output_tokens: self.completion_tokens.unwrap_or(0),
            cache_read_input_tokens: cached,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UsageOut {
    input_tokens: Option<u64>,
    output_tokens: u64,
    cache_read_input_tokens: Option<u64>,
}

fn push_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(n.to_string().as_bytes());
}

/// `{"input_tokens"?,"output_tokens","cache_read_input_tokens"?}`
fn write_usage(out: &mut Vec<u8>, usage: UsageOut) {
    out.push(b'{');
    if let Some(n) = usage.input_tokens {
        out.extend_from_slice(b"\"input_tokens\":");
        push_u64(out, n);
        out.push(b',');
    }
    out.extend_from_slice(b"\"output_tokens\":");
    push_u64(out, usage.output_tokens);
    if let Some(n) = usage.cache_read_input_tokens {
        out.extend_from_slice(b",\"cache_read_input_tokens\":");
        push_u64(out, n);
    }
    out.push(b'}');
}

enum OutBlock<'a> {
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
fn write_message(
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
fn stop_reason(finish: Option<&str>) -> &'static str {
    match finish {
        Some("length") => "max_tokens",
        Some("tool_calls" | "function_call") => "tool_use",
        Some("content_filter") => "refusal",
        _ => "end_turn",
    }
}

/// Adjusts a stop reason for what the message actually holds: some providers say `stop` with
/// tool calls (clients run tools on `tool_use`), and a refusal is a `refusal`.
fn final_stop_reason(mapped: &'static str, has_tools: bool, refused: bool) -> &'static str {
    match mapped {
        "end_turn" if has_tools => "tool_use",
        "end_turn" if refused => "refusal",
        other => other,
    }
}

fn message_id(chat_id: Option<&str>, random: u64) -> String {
    match chat_id.filter(|id| !id.is_empty()) {
        Some(id) => format!("msg_{id}"),
        None => format!("msg_{random:016x}"),
    }
}

/// Text of an OpenAI `content`: a string, or the concatenated text parts of an array.
fn content_text(raw: Option<&RawValue>) -> Option<Cow<'_, str>> {
    let raw = raw?;
    match raw.get().trim_start().as_bytes().first()? {
        b'"' => as_str(raw).ok(),
        b'[' => {
            // Parts of type `text` (or without a type); any part of another shape reads as none.
            let mut text = String::new();
            for item in as_array(raw).ok()? {
                let part = as_object(item).ok()?;
                let kind = part.get_str("type").ok()?;
                let part_text = part.get_str("text").ok()?;
                if kind.as_deref().is_none_or(|k| k == "text") {
                    text.push_str(part_text.as_deref().unwrap_or_default());
                }
            }
            Some(Cow::Owned(text))
        }
        _ => None,
    }
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
        let reasoning = msg.reasoning_content.as_ref().filter(|r| !r.is_empty()).or(msg.reasoning.as_ref());
        if let Some(thinking) = reasoning.filter(|r| !r.is_empty()) {
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
                None => Cow::Owned(format!("call_{:016x}_{n}", ctx.random)),
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
fn anthropic_error_body(kind: &str, message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + message.len());
    out.extend_from_slice(b"{\"type\":\"error\",\"error\":{\"type\":");
    push_str(&mut out, kind);
    out.extend_from_slice(b",\"message\":");
    push_str(&mut out, message);
    out.extend_from_slice(b"}}");
    out
}

/// A non-empty string value.
fn non_empty_str(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(|r| as_str(r).ok()).filter(|s| !s.is_empty()).map(Cow::into_owned)
}

/// The message of an error body: `error.message`, `error` (a string), `message` or `detail`.
fn error_message_of(body: &str) -> Option<String> {
    let view = ObjectView::parse(body.as_bytes()).ok()?;
    let error = view.get("error");
    error
        .and_then(|e| as_object(e).ok())
        .and_then(|e| non_empty_str(e.get("message")))
        .or_else(|| non_empty_str(error))
        .or_else(|| non_empty_str(view.get("message")))
        .or_else(|| non_empty_str(view.get("detail")))
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

// ---------------------------------------------------------------------------------------------
// Stream: chat.completion.chunk SSE → Messages SSE
// ---------------------------------------------------------------------------------------------

/// The Anthropic block currently open (blocks are strictly sequential on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    None,
    Thinking(u32),
    Text(u32),
    /// A tool call: its position in `tools` and its block index.
    Tool(usize, u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ToolPhase {
    /// Not started: its deltas are buffered.
    Pending,
    /// Its block is open and its arguments stream live.
    Open,
    Closed,
}

/// One OpenAI tool call (by `index`) and its Anthropic `tool_use` block.
#[derive(Debug)]
struct ToolSlot {
    openai_index: u64,
    id: Option<String>,
    name: Option<String>,
    buffered: String,
    phase: ToolPhase,
}

#[derive(Debug)]
struct StreamState {
    ctx: TranslateCtx,
    started: bool,
    done: bool,
    next_index: u32,
    open: Open,
    tools: Vec<ToolSlot>,
    finish: Option<&'static str>,
    refused: bool,
    usage: Option<ChatUsage>,
}

/// OpenAI `chat.completion.chunk` SSE → Anthropic Messages SSE, one event at a time.
///
/// Blocks are sequential as on Anthropic's wire: one is open at a time. The first tool call
/// seen streams its arguments live; arguments of other tool calls (parallel calls, possibly
/// interleaved) are buffered and each is sent as one `tool_use` block, in OpenAI index order,
/// when the open tool block closes (at `finish_reason`, text or thinking, or the end).
#[derive(Debug)]
pub struct ChatToMessagesStream {
    decoder: SseDecoder,
    state: StreamState,
}

impl ChatToMessagesStream {
    pub fn new(ctx: TranslateCtx) -> Self {
        ChatToMessagesStream {
            decoder: SseDecoder::default(),
            state: StreamState {
                ctx,
                started: false,
                done: false,
                next_index: 0,
                open: Open::None,
                tools: Vec::new(),
                finish: None,
                refused: false,
                usage: None,
            },
        }
    }
}

impl StreamTranslator for ChatToMessagesStream {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.state.done {
            return;
        }
        let state = &mut self.state;
        let res = self.decoder.feed(chunk, &mut |b: Block<'_>| state.on_block(b, out));
        if let Err(e) = res {
            self.state.fail(&format!("unreadable upstream stream: {e}"), out);
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.state.done {
            let state = &mut self.state;
            let res = self.decoder.finish(&mut |b: Block<'_>| state.on_block(b, out));
            if let Err(e) = res {
                self.state.fail(&format!("unreadable upstream stream: {e}"), out);
            }
        }
        let s = &mut self.state;
        if s.done {
            return;
        }
        if !s.started {
            s.fail("the upstream stream ended without any data", out);
        } else if s.finish.is_some() {
            s.end(out);
        } else {
            s.fail("upstream stream ended early", out);
        }
    }
}

/// `event: <name>\ndata: {"type":"<name>"` — the caller writes the rest of the object and
/// then [`end_event`].
fn begin_event(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: {\"type\":\"");
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
}

fn end_event(out: &mut Vec<u8>) {
    out.extend_from_slice(b"}\n\n");
}

/// A block event's `,"index":N`.
fn push_index(out: &mut Vec<u8>, index: u32) {
    out.extend_from_slice(b",\"index\":");
    push_u64(out, u64::from(index));
}

impl StreamState {
    fn on_block(&mut self, block: Block<'_>, out: &mut Vec<u8>) {
        let Some(event) = block.event else { return };
        if self.done || event.event == "ping" {
            return;
        }
        let data = event.data.trim();
        if data.is_empty() {
            return;
        }
        if data == "[DONE]" {
            if self.started {
                self.end(out);
            } else {
                self.fail("the upstream stream ended without any data", out);
            }
            return;
        }
        let chunk = match read_chat_doc(data, true) {
            Ok(c) => c,
            Err(_) => return self.fail("the upstream sent a stream chunk that is not valid JSON", out),
        };
        if let Some(err) = chunk.error {
            return self.upstream_error(err, out);
        }
        if !self.started {
            self.start(chunk.id.as_deref(), chunk.model.as_deref(), out);
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage);
        }
        for choice in chunk.choices.iter().filter(|c| c.index.unwrap_or(0) == 0) {
            if let Some(delta) = &choice.message {
                let reasoning = delta.reasoning_content.as_deref().filter(|r| !r.is_empty());
                if let Some(thinking) = reasoning.or(delta.reasoning.as_deref()).filter(|r| !r.is_empty()) {
                    self.thinking(thinking, out);
                }
                if let Some(text) = content_text(delta.content).filter(|t| !t.is_empty()) {
                    self.text(&text, out);
                }
                if let Some(refusal) = delta.refusal.as_deref().filter(|r| !r.is_empty()) {
                    self.refused = true;
                    self.text(refusal, out);
                }
                for call in &delta.tool_calls {
                    self.tool_delta(call, out);
                }
            }
            if let Some(reason) = choice.finish_reason.as_deref().filter(|r| !r.is_empty()) {
                self.finish = Some(stop_reason(Some(reason)));
                self.close_all(out);
            }
        }
    }

    fn start(&mut self, id: Option<&str>, model: Option<&str>, out: &mut Vec<u8>) {
        self.started = true;
        let model = model.filter(|m| !m.is_empty()).unwrap_or(&self.ctx.model);
        let usage = UsageOut { input_tokens: Some(0), output_tokens: 0, cache_read_input_tokens: None };
        begin_event(out, "message_start");
        out.extend_from_slice(b",\"message\":");
        write_message(out, &message_id(id, self.ctx.random), model, &[], None, usage);
        end_event(out);
    }

    /// Opens a block: `content_block` is its JSON text without the closing brace.
    fn open_block(&mut self, content_block: &[u8], out: &mut Vec<u8>) -> u32 {
        let index = self.next_index;
        self.next_index += 1;
        begin_event(out, "content_block_start");
        push_index(out, index);
        out.extend_from_slice(b",\"content_block\":");
        out.extend_from_slice(content_block);
        out.push(b'}');
        end_event(out);
        index
    }

    fn stop_block(index: u32, out: &mut Vec<u8>) {
        begin_event(out, "content_block_stop");
        push_index(out, index);
        end_event(out);
    }

    /// A `content_block_delta` of type `kind` whose `field` is `text`.
    fn delta(index: u32, kind: &str, field: &str, text: &str, out: &mut Vec<u8>) {
        begin_event(out, "content_block_delta");
        push_index(out, index);
        out.extend_from_slice(b",\"delta\":{\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\",\"");
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"\":");
        push_str(out, text);
        out.push(b'}');
        end_event(out);
    }

    fn thinking(&mut self, text: &str, out: &mut Vec<u8>) {
        let index = match self.open {
            Open::Thinking(i) => i,
            _ => {
                self.close_all(out);
                let i = self.open_block(br#"{"type":"thinking","thinking":"","signature":"""#, out);
                self.open = Open::Thinking(i);
                i
            }
        };
        Self::delta(index, "thinking_delta", "thinking", text, out);
    }

    fn text(&mut self, text: &str, out: &mut Vec<u8>) {
        let index = match self.open {
            Open::Text(i) => i,
            _ => {
                self.close_all(out);
                let i = self.open_block(br#"{"type":"text","text":"""#, out);
                self.open = Open::Text(i);
                i
            }
        };
        Self::delta(index, "text_delta", "text", text, out);
    }

    fn tool_delta(&mut self, call: &CallIn<'_>, out: &mut Vec<u8>) {
        let id = call.id.as_deref().filter(|id| !id.is_empty());
        let openai_index = match call.index {
            Some(i) => i,
            // Providers that omit `index`: a new id is a new call, anything else continues the last.
            None => match (id, self.tools.last()) {
                (Some(id), Some(last)) if last.id.as_deref() != Some(id) => last.openai_index + 1,
                (_, Some(last)) => last.openai_index,
                (_, None) => 0,
            },
        };
        let slot = match self.tools.iter().position(|t| t.openai_index == openai_index) {
            Some(pos) => pos,
            None => {
                self.tools.push(ToolSlot {
                    openai_index,
                    id: None,
                    name: None,
                    buffered: String::new(),
                    phase: ToolPhase::Pending,
                });
                self.tools.len() - 1
            }
        };
        let name = call.name.as_deref().filter(|n| !n.is_empty());
        let args = call.arguments_text.as_deref().unwrap_or_default();
        let Some(tool) = self.tools.get_mut(slot) else { return };
        // Some providers repeat id and name in every delta: the first ones count.
        if tool.id.is_none() {
            tool.id = id.map(str::to_string);
        }
        if tool.name.is_none() {
            tool.name = name.map(str::to_string);
        }
        match tool.phase {
            ToolPhase::Closed => {}
            ToolPhase::Open => {
                if let (Open::Tool(_, index), false) = (self.open, args.is_empty()) {
                    Self::delta(index, "input_json_delta", "partial_json", args, out);
                }
            }
            ToolPhase::Pending => {
                tool.buffered.push_str(args);
                let ready = tool.name.is_some();
                if ready && !matches!(self.open, Open::Tool(..)) {
                    self.close_open(out);
                    self.start_tool(slot, out);
                }
            }
        }
    }

    /// Opens the `tool_use` block of `slot` and sends its buffered arguments.
    fn start_tool(&mut self, slot: usize, out: &mut Vec<u8>) {
        let random = self.ctx.random;
        let Some(tool) = self.tools.get_mut(slot) else { return };
        tool.phase = ToolPhase::Open;
        let id = tool.id.clone().unwrap_or_else(|| format!("call_{random:016x}_{}", tool.openai_index));
        let name = tool.name.clone().unwrap_or_default();
        let buffered = std::mem::take(&mut tool.buffered);
        let mut block = b"{\"type\":\"tool_use\",\"id\":".to_vec();
        push_str(&mut block, &id);
        block.extend_from_slice(b",\"name\":");
        push_str(&mut block, &name);
        block.extend_from_slice(b",\"input\":{}");
        let index = self.open_block(&block, out);
        self.open = Open::Tool(slot, index);
        if !buffered.is_empty() {
            Self::delta(index, "input_json_delta", "partial_json", &buffered, out);
        }
    }

    /// Closes the open block and sends every pending tool call, in OpenAI index order.
    fn close_all(&mut self, out: &mut Vec<u8>) {
        self.close_open(out);
        loop {
            let next = self
                .tools
                .iter()
                .enumerate()
                .filter(|(_, t)| t.phase == ToolPhase::Pending)
                .min_by_key(|(_, t)| t.openai_index)
                .map(|(pos, _)| pos);
            let Some(slot) = next else { break };
            self.start_tool(slot, out);
            self.close_open(out);
        }
    }

    /// Closes the open block, if any.
    fn close_open(&mut self, out: &mut Vec<u8>) {
        match std::mem::replace(&mut self.open, Open::None) {
            Open::None => {}
            Open::Thinking(i) | Open::Text(i) => Self::stop_block(i, out),
            Open::Tool(slot, index) => {
                if let Some(tool) = self.tools.get_mut(slot) {
                    tool.phase = ToolPhase::Closed;
                }
                Self::stop_block(index, out);
            }
        }
    }

    /// The normal end: close blocks, `message_delta` with the stop reason and usage, `message_stop`.
    fn end(&mut self, out: &mut Vec<u8>) {
        self.close_all(out);
        let has_tools = !self.tools.is_empty();
        let stop = final_stop_reason(self.finish.unwrap_or("end_turn"), has_tools, self.refused);
        let usage = match self.usage {
            Some(u) => u.to_anthropic(),
            None => UsageOut { input_tokens: None, output_tokens: 0, cache_read_input_tokens: None },
        };
        begin_event(out, "message_delta");
        out.extend_from_slice(b",\"delta\":{\"stop_reason\":");
        push_str(out, stop);
        out.extend_from_slice(b",\"stop_sequence\":null},\"usage\":");
        write_usage(out, usage);
        end_event(out);
        out.extend_from_slice(b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        self.done = true;
    }

    fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
        self.error_event("api_error", message, out);
    }

    /// An OpenAI error event (`{"error":{...}}`) → an Anthropic `error` event.
    fn upstream_error(&mut self, error: &RawValue, out: &mut Vec<u8>) {
        // `error` is a string (the message) or an object with `type`, `code` and `message`.
        let (kind, code, message) = match (as_str(error), as_object(error)) {
            (Ok(message), _) => (Cow::Borrowed(""), Cow::Borrowed(""), message),
            (_, Ok(view)) => {
                let field = |k: &str| view.get(k).and_then(|v| as_str(v).ok()).unwrap_or_default();
                (field("type"), field("code"), field("message"))
            }
            _ => (Cow::Borrowed(""), Cow::Borrowed(""), Cow::Borrowed("")),
        };
        let message = if message.is_empty() { "the upstream provider returned an error" } else { &message };
        let anthropic_kind = match &*kind {
            known @ ("invalid_request_error"
            | "authentication_error"
            | "permission_error"
            | "not_found_error"
            | "rate_limit_error"
            | "overloaded_error"
            | "api_error") => known,
            _ if kind.contains("rate_limit") || code.contains("rate_limit") => "rate_limit_error",
            _ if kind.contains("overloaded") || code.contains("overloaded") => "overloaded_error",
            _ => "api_error",
        };
        self.error_event(anthropic_kind, message, out);
    }

    fn error_event(&mut self, kind: &str, message: &str, out: &mut Vec<u8>) {
        // The stream is over once `message_stop` or an error went out (a framing error can
        // follow, later in the same chunk, an event that already failed the stream).
        if self.done {
            return;
        }
        out.extend_from_slice(b"event: error\ndata: ");
        out.extend_from_slice(&anthropic_error_body(kind, message));
        out.extend_from_slice(b"\n\n");
        self.done = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TranslateCtx {
        TranslateCtx {
            model: "deepseek-chat".into(),
            created: 1_700_000_000,
            random: 0xabc,
            include_usage: true,
            ..TranslateCtx::default()
        }
    }

    fn body(t: &Translated) -> &str {
        std::str::from_utf8(&t.body).unwrap()
    }

    /// Claude Code's shape: system blocks with the billing header and cache_control, images,
    /// thinking + text + parallel tool_use in the assistant turn, a tool_result turn (one an
    /// error with an image), tools with cache_control, `disable_parallel_tool_use`, thinking.
    const CLAUDE_CODE_REQUEST: &str = r#"{
  "model": "claude-sonnet-4-5-20250929",
  "max_tokens": 32000,
  "system": [
    {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.80.a1b; cc_entrypoint=cli; cch=5f3e1;"},
    {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.", "cache_control": {"type": "ephemeral"}},
    {"type": "text", "text": "You are an interactive CLI tool that helps users with software engineering tasks.", "cache_control": {"type": "ephemeral"}}
  ],
  "messages": [
    {"role": "user", "content": [
      {"type": "text", "text": "<system-reminder>Context.</system-reminder>"},
      {"type": "text", "text": "What is in this screenshot, and what does main.rs print?"},
      {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUg=="}},
      {"type": "image", "source": {"type": "url", "url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}, "cache_control": {"type": "ephemeral"}}
    ]},
    {"role": "assistant", "content": [
      {"type": "thinking", "thinking": "The user wants two things.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
      {"type": "text", "text": "The screenshot shows an ant. Let me read main.rs."},
      {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "Read", "input": {"file_path": "/repo/src/main.rs"}},
      {"type": "tool_use", "id": "toolu_01B1", "name": "Bash", "input": {"command": "cargo run", "description": "Run it"}}
    ]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "     1\tfn main() {\n     2\t    println!(\"hi\");\n     3\t}"},
      {"type": "tool_result", "tool_use_id": "toolu_01B1", "is_error": true, "content": [{"type": "text", "text": "error: could not find `Cargo.toml`"}, {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}}]},
      {"type": "text", "text": "Continue.", "cache_control": {"type":"ephemeral"}}
    ]}
  ],
  "tools": [
    {"name": "Read", "description": "Reads a file from the local filesystem.", "input_schema": {"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"],"additionalProperties":false}},
    {"name": "Bash", "description": "Executes a bash command.", "input_schema": {"type":"object","properties":{"command":{"type":"string"},"description":{"type":"string"}},"required":["command"]}, "cache_control": {"type": "ephemeral"}}
  ],
  "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
  "metadata": {"user_id": "user_2f1e_account__session_8c1d"},
  "thinking": {"type": "enabled", "budget_tokens": 10000},
  "temperature": 1,
  "top_k": 40,
  "stream": true,
  "seed": 7
}"#;

    const CLAUDE_CODE_UPSTREAM: &str = concat!(
        r#"{"model":"deepseek-chat","messages":["#,
        r#"{"role":"system","content":"You are Claude Code, Anthropic's official CLI for Claude.\n\nYou are an interactive CLI tool that helps users with software engineering tasks."},"#,
        r#"{"role":"user","content":[{"type":"text","text":"<system-reminder>Context.</system-reminder>"},"#,
        r#"{"type":"text","text":"What is in this screenshot, and what does main.rs print?"},"#,
        r#"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}},"#,
        r#"{"type":"image_url","image_url":{"url":"https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}}]},"#,
        r#"{"role":"assistant","content":"The screenshot shows an ant. Let me read main.rs.","tool_calls":["#,
        r#"{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"Read","arguments":"{\"file_path\":\"/repo/src/main.rs\"}"}},"#,
        r#"{"id":"toolu_01B1","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"cargo run\",\"description\":\"Run it\"}"}}]},"#,
        r#"{"role":"tool","content":"     1\tfn main() {\n     2\t    println!(\"hi\");\n     3\t}","tool_call_id":"toolu_01A09q90qw90lq917835lq9"},"#,
        r#"{"role":"tool","content":"Error: error: could not find `Cargo.toml`","tool_call_id":"toolu_01B1"},"#,
        r#"{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}},"#,
        r#"{"type":"text","text":"Continue.","cache_control":{"type":"ephemeral"}}]}],"#,
        r#""max_tokens":32000,"temperature":1,"stream":true,"stream_options":{"include_usage":true},"#,
        r#""tools":[{"type":"function","function":{"name":"Read","description":"Reads a file from the local filesystem.","#,
        r#""parameters":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"],"additionalProperties":false}}},"#,
        r#"{"type":"function","function":{"name":"Bash","description":"Executes a bash command.","#,
        r#""parameters":{"type":"object","properties":{"command":{"type":"string"},"description":{"type":"string"}},"required":["command"]}}}],"#,
        r#""tool_choice":"auto","parallel_tool_calls":false,"reasoning_effort":"medium","#,
        r#""user":"user_2f1e_account__session_8c1d","seed":7}"#,
    );

    #[test]
    fn claude_code_request_becomes_a_chat_request() {
        let t = build_chat_request(CLAUDE_CODE_REQUEST.as_bytes(), "deepseek-chat", true).unwrap();
        assert_eq!(body(&t), CLAUDE_CODE_UPSTREAM);
        assert!(t.stream);
        assert!(t.include_usage);
        let t = build_chat_request(CLAUDE_CODE_REQUEST.as_bytes(), "deepseek-chat", false).unwrap();
        assert!(!t.include_usage);
        assert!(!body(&t).contains("stream_options"));
    }

    #[test]
    fn request_mappings() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "string system and content, stop sequences, top_p, no stream",
                r#"{"model":"claude-3-5-haiku-latest","system":"Be brief.","max_tokens":1024,"messages":[{"role":"user","content":"Hello, Claude"}],"stop_sequences":["\n\nHuman:"],"top_p":0.9,"top_k":5}"#,
                r#"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello, Claude"}],"max_tokens":1024,"top_p":0.9,"stop":["\n\nHuman:"]}"#,
            ),
            (
                "empty system, empty stop list and stream false",
                r#"{"model":"x","system":[],"max_tokens":10,"messages":[{"role":"user","content":"Hi"}],"stop_sequences":[],"stream":false}"#,
                r#"{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":10,"stream":false}"#,
            ),
            (
                "tool_choice any, thinking low, multi-turn with prefill-free assistant string",
                r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":"Let me check."},{"role":"user","content":"Go on"}],"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},"thinking":{"type":"enabled","budget_tokens":1024}}"#,
                r#"{"model":"m","messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":"Let me check."},{"role":"user","content":"Go on"}],"max_tokens":10,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],"tool_choice":"required","reasoning_effort":"low"}"#,
            ),
            (
                "named tool choice, custom tool type, strict, thinking high",
                r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","name":"t","description":"d","input_schema":{"type":"object"},"strict":true}],"tool_choice":{"type":"tool","name":"t","disable_parallel_tool_use":true},"thinking":{"type":"enabled","budget_tokens":16384}}"#,
                r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"tools":[{"type":"function","function":{"name":"t","description":"d","parameters":{"type":"object"},"strict":true}}],"tool_choice":{"type":"function","function":{"name":"t"}},"parallel_tool_calls":false,"reasoning_effort":"high"}"#,
            ),
            (
                "tool_choice none; tool_choice without tools is not sent; thinking disabled",
                r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"none"},"thinking":{"type":"disabled"}}"#,
                r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"tools":[{"type":"function","function":{"name":"t","parameters":{"type":"object"}}}],"tool_choice":"none"}"#,
            ),
            (
                "no tools: tool_choice and parallel flag dropped",
                r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[],"tool_choice":{"type":"auto","disable_parallel_tool_use":true}}"#,
                r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10}"#,
            ),
            (
                "output_config effort and json_schema format; effort wins over thinking",
                r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":2000},"output_config":{"effort":"max","format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}}"#,
                r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"reasoning_effort":"high","response_format":{"type":"json_schema","json_schema":{"name":"response","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}}"#,
            ),
            (
                "assistant turn with only thinking is dropped; several texts joined; tool_use without input",
                r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}]},{"role":"user","content":"b"},{"role":"assistant","content":[{"type":"text","text":"one"},{"type":"text","text":"two"},{"type":"tool_use","id":"toolu_1","name":"now"}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1"}]}]}"#,
                r#"{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"one\n\ntwo","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"now","arguments":"{}"}}]},{"role":"tool","content":"","tool_call_id":"toolu_1"}],"max_tokens":10}"#,
            ),
            (
                "assistant tool_use only → content null; text document; error result without text",
                r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"The grass is green."}},{"type":"text","text":"Colour?"}]},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"b":2,"a":[1, 2]}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[]}]}]}"#,
                r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"The grass is green."},{"type":"text","text":"Colour?"}]},{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{\"b\":2,\"a\":[1,2]}"}}]},{"role":"tool","content":"Error","tool_call_id":"t1"}],"max_tokens":10}"#,
            ),
            (
                "unknown members pass through (last duplicate wins, ours win); Anthropic-only ones do not",
                r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"service_tier":"auto","container":null,"frequency_penalty":0.5,"n":1,"n":2,"model_extra":{"k":[1, 2]},"user":"spoofed","mcp_servers":[]}"#,
                r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"frequency_penalty":0.5,"n":2,"model_extra":{"k":[1, 2]},"user":"spoofed"}"#,
            ),
            (
                "metadata user_id beats a pass-through user",
                r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"metadata":{"user_id":"u-1"},"user":"other"}"#,
                r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"user":"u-1"}"#,
            ),
        ];
        for (name, input, expected) in cases {
            let t = build_chat_request(input.as_bytes(), "m", true).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(body(&t), *expected, "{name}");
            crate::json::from_bytes::<serde_json::Value>(&t.body).unwrap();
        }
    }

    #[test]
    fn request_errors() {
        let cases: &[(&str, &str, &str, &str)] = &[
            ("not json", "{", "not valid JSON", ""),
            ("no messages", r#"{"model":"x","max_tokens":1}"#, "`messages` is required", "messages"),
            ("bad role", r#"{"messages":[{"role":"system","content":"x"}]}"#, "messages[0]: role", "messages"),
            ("bad content", r#"{"messages":[{"role":"user","content":3}]}"#, "content must be", "messages"),
            (
                "server tool",
                r#"{"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":5}]}"#,
                "tool type `web_search_20250305`",
                "tools",
            ),
            (
                "pdf document",
                r#"{"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"}}]}]}"#,
                "plain-text `document`",
                "messages",
            ),
            (
                "file image",
                r#"{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_011"}}]}]}"#,
                "image source `file`",
                "messages",
            ),
            (
                "tool_use in a user turn",
                r#"{"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{}}]}]}"#,
                "`tool_use` in a user turn",
                "messages",
            ),
            (
                "server_tool_use in history",
                r#"{"messages":[{"role":"assistant","content":[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}]}]}"#,
                "`server_tool_use` in a assistant turn",
                "messages",
            ),
            ("system block type", r#"{"messages":[],"system":[{"type":"image"}]}"#, "text blocks", "system"),
            ("stream type", r#"{"messages":[],"stream":"yes"}"#, "`stream` must be a boolean", "stream"),
            (
                "tool_choice tool without name",
                r#"{"messages":[],"tools":[{"name":"a"}],"tool_choice":{"type":"tool"}}"#,
                "needs a `name`",
                "tool_choice",
            ),
            (
                "mcp servers",
                r#"{"messages":[],"mcp_servers":[{"type":"url","url":"https://x","name":"x"}]}"#,
                "`mcp_servers`",
                "mcp_servers",
            ),
            (
                "tool_result without id",
                r#"{"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}"#,
                "without `tool_use_id`",
                "messages",
            ),
        ];
        for (name, input, message, param) in cases {
            let e = match build_chat_request(input.as_bytes(), "m", true) {
                Ok(t) => panic!("{name}: expected an error, got {}", body(&t)),
                Err(e) => e,
            };
            assert_eq!(e.status, 400, "{name}");
            assert!(e.message.contains(message), "{name}: {}", e.message);
            assert_eq!(e.param.unwrap_or_default(), *param, "{name}");
        }
    }

    #[test]
    fn thinking_budget_thresholds() {
        for (budget, effort) in [(1024, "low"), (4095, "low"), (4096, "medium"), (16383, "medium"), (16384, "high")] {
            assert_eq!(budget_effort(budget), effort);
        }
    }

    #[test]
    fn response_translations() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "plain text",
                r#"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"service_tier":"default"}"#,
                r#"{"id":"msg_chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","type":"message","role":"assistant","model":"gpt-4.1-2025-04-14","content":[{"type":"text","text":"Hello! How can I assist you today?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":19,"output_tokens":10,"cache_read_input_tokens":0}}"#,
            ),
            (
                "parallel tool calls: pretty, empty and invalid arguments",
                r#"{"id":"chatcmpl-abc123","object":"chat.completion","created":1699896916,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_current_weather","arguments":"{\n\"location\": \"Boston, MA\"\n}"}},{"id":"call_def456","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"Paris\", \"unit\": \"celsius\"}"}},{"id":"call_ghi789","type":"function","function":{"name":"list_files","arguments":""}},{"id":"call_jkl","type":"function","function":{"name":"broken","arguments":"{\"a\": 1"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99}}"#,
                r#"{"id":"msg_chatcmpl-abc123","type":"message","role":"assistant","model":"gpt-4o-mini","content":[{"type":"tool_use","id":"call_abc123","name":"get_current_weather","input":{"location":"Boston, MA"}},{"type":"tool_use","id":"call_def456","name":"get_current_weather","input":{"location":"Paris","unit":"celsius"}},{"type":"tool_use","id":"call_ghi789","name":"list_files","input":{}},{"type":"tool_use","id":"call_jkl","name":"broken","input":{"_raw":"{\"a\": 1"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":82,"output_tokens":17}}"#,
            ),
            (
                "DeepSeek reasoning with cache hits",
                r#"{"id":"930c60df-bf64-41c9-a88e-3ec75f81e00e","object":"chat.completion","created":1705651092,"model":"deepseek-reasoner","choices":[{"index":0,"message":{"role":"assistant","content":"9.11 is smaller than 9.8.","reasoning_content":"Compare the decimals: 0.11 < 0.80."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1616,"completion_tokens":120,"total_tokens":1736,"completion_tokens_details":{"reasoning_tokens":100},"prompt_cache_hit_tokens":1600,"prompt_cache_miss_tokens":16,"system_fingerprint":"fp_7e73fd9a08"}}"#,
                r#"{"id":"msg_930c60df-bf64-41c9-a88e-3ec75f81e00e","type":"message","role":"assistant","model":"deepseek-reasoner","content":[{"type":"thinking","thinking":"Compare the decimals: 0.11 < 0.80.","signature":""},{"type":"text","text":"9.11 is smaller than 9.8."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":16,"output_tokens":120,"cache_read_input_tokens":1600}}"#,
            ),
            (
                "text with a tool call under finish_reason stop; no id, no model, no usage",
                r#"{"choices":[{"message":{"role":"assistant","content":"Checking.","tool_calls":[{"type":"function","function":{"name":"ls","arguments":{"path":"/"}}}]},"finish_reason":"stop"}]}"#,
                r#"{"id":"msg_0000000000000abc","type":"message","role":"assistant","model":"deepseek-chat","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"call_0000000000000abc_0","name":"ls","input":{"path":"/"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}"#,
            ),
            (
                "refusal, groq-style reasoning and length",
                r#"{"id":"c1","model":"openai/gpt-oss-20b","choices":[{"index":0,"message":{"role":"assistant","content":null,"reasoning":"Policy says no.","refusal":"I can't help with that."},"finish_reason":"stop"}]}"#,
                r#"{"id":"msg_c1","type":"message","role":"assistant","model":"openai/gpt-oss-20b","content":[{"type":"thinking","thinking":"Policy says no.","signature":""},{"type":"text","text":"I can't help with that."}],"stop_reason":"refusal","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}"#,
            ),
            (
                "length, content filter, array content, choice 0 picked",
                r#"{"id":"c2","model":"mistral-small","choices":[{"index":1,"message":{"content":"other"},"finish_reason":"stop"},{"index":0,"message":{"content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"}]},"finish_reason":"length"}]}"#,
                r#"{"id":"msg_c2","type":"message","role":"assistant","model":"mistral-small","content":[{"type":"text","text":"Hello"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}"#,
            ),
            (
                "content filter",
                r#"{"id":"c3","model":"gpt-4o","choices":[{"index":0,"message":{"content":""},"finish_reason":"content_filter"}]}"#,
                r#"{"id":"msg_c3","type":"message","role":"assistant","model":"gpt-4o","content":[],"stop_reason":"refusal","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}"#,
            ),
        ];
        for (name, input, expected) in cases {
            let out = translate_chat_response(input.as_bytes(), &ctx()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(std::str::from_utf8(&out).unwrap(), *expected, "{name}");
        }
    }

    #[test]
    fn unreadable_responses_are_bad_upstream() {
        for (input, message) in [
            ("<html>502</html>", "not a chat completion"),
            (r#"{"choices":[]}"#, "no choices"),
            (r#"{"error":{"message":"quota exceeded","type":"insufficient_quota"}}"#, "quota exceeded"),
        ] {
            let e = translate_chat_response(input.as_bytes(), &ctx()).unwrap_err();
            assert_eq!(e.status, 502, "{input}");
            assert!(e.message.contains(message), "{input}: {}", e.message);
        }
    }

    #[test]
    fn errors_in_anthropic_shape() {
        let cases: &[(u16, &str, &str)] = &[
            (
                401,
                r#"{"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
                r#"{"type":"error","error":{"type":"authentication_error","message":"Incorrect API key provided: sk-abc***xyz."}}"#,
            ),
            (
                400,
                r#"{"error":{"message":"This model's maximum context length is 65536 tokens.","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}"#,
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"This model's maximum context length is 65536 tokens."}}"#,
            ),
            (
                402,
                r#"{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}}"#,
                r#"{"type":"error","error":{"type":"billing_error","message":"Insufficient Balance"}}"#,
            ),
            (
                403,
                r#"{"error":"Forbidden"}"#,
                r#"{"type":"error","error":{"type":"permission_error","message":"Forbidden"}}"#,
            ),
            (
                404,
                r#"{"detail":"Not Found"}"#,
                r#"{"type":"error","error":{"type":"not_found_error","message":"Not Found"}}"#,
            ),
            (
                413,
                "",
                r#"{"type":"error","error":{"type":"request_too_large","message":"the upstream provider returned HTTP 413"}}"#,
            ),
            (
                429,
                r#"{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"Rate limit reached for gpt-4o"}}"#,
            ),
            (
                422,
                r#"{"message":"Unprocessable"}"#,
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"Unprocessable"}}"#,
            ),
            (
                500,
                "<html>oops</html>",
                r#"{"type":"error","error":{"type":"api_error","message":"the upstream provider returned HTTP 500"}}"#,
            ),
            (
                503,
                r#"{"error":{"message":"Service Unavailable"}}"#,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Service Unavailable"}}"#,
            ),
            (
                504,
                "",
                r#"{"type":"error","error":{"type":"timeout_error","message":"the upstream provider returned HTTP 504"}}"#,
            ),
            (
                529,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            ),
        ];
        for (status, input, expected) in cases {
            let (s, out) = translate_chat_error(*status, input.as_bytes());
            assert_eq!(s, *status);
            assert_eq!(std::str::from_utf8(&out).unwrap(), *expected, "{status}");
        }
        let own = anthropic_error(&ProxyError::too_large(1024));
        assert_eq!(
            std::str::from_utf8(&own).unwrap(),
            r#"{"type":"error","error":{"type":"request_too_large","message":"request body is larger than 1024 bytes"}}"#
        );
        let own = anthropic_error(&ProxyError::invalid_request("`messages` is required").with_param("messages"));
        assert_eq!(
            std::str::from_utf8(&own).unwrap(),
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"`messages` is required"}}"#
        );
        let own = anthropic_error(&ProxyError::bad_upstream("no choices"));
        assert_eq!(
            std::str::from_utf8(&own).unwrap(),
            r#"{"type":"error","error":{"type":"api_error","message":"no choices"}}"#
        );
    }

    // ---- streams ----

    fn run_stream(chunks: &[&[u8]]) -> String {
        let mut t = ChatToMessagesStream::new(ctx());
        let mut out = Vec::new();
        for c in chunks {
            t.feed(c, &mut out);
        }
        t.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    /// The whole output, checked to be the same for every split point and byte by byte.
    fn stream_output(input: &str) -> String {
        let bytes = input.as_bytes();
        let whole = run_stream(&[bytes]);
        for p in 0..=bytes.len() {
            assert_eq!(run_stream(&[&bytes[..p], &bytes[p..]]), whole, "split at {p}");
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(run_stream(&singles), whole, "byte by byte");
        whole
    }

    fn ev(name: &str, data: &str) -> String {
        format!("event: {name}\ndata: {data}\n\n")
    }

    fn message_start(id: &str, model: &str) -> String {
        ev(
            "message_start",
            &format!(
                r#"{{"type":"message_start","message":{{"id":"{id}","type":"message","role":"assistant","model":"{model}","content":[],"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":0,"output_tokens":0}}}}}}"#
            ),
        )
    }

    fn block_start(index: u32, block: &str) -> String {
        ev(
            "content_block_start",
            &format!(r#"{{"type":"content_block_start","index":{index},"content_block":{block}}}"#),
        )
    }

    fn delta(index: u32, delta: &str) -> String {
        ev("content_block_delta", &format!(r#"{{"type":"content_block_delta","index":{index},"delta":{delta}}}"#))
    }

    fn block_stop(index: u32) -> String {
        ev("content_block_stop", &format!(r#"{{"type":"content_block_stop","index":{index}}}"#))
    }

    fn message_end(stop: &str, usage: &str) -> String {
        ev(
            "message_delta",
            &format!(
                r#"{{"type":"message_delta","delta":{{"stop_reason":"{stop}","stop_sequence":null}},"usage":{usage}}}"#
            ),
        ) + &ev("message_stop", r#"{"type":"message_stop"}"#)
    }

    const TEXT_STREAM: &str = concat!(
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        ": OPENROUTER PROCESSING\n\n",
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\", 世界!\"},\"logprobs\":null,\"finish_reason\":null}]}\r\n\r\n",
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n",
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[],\"usage\":{\"prompt_tokens\":2006,\"completion_tokens\":300,\"total_tokens\":2306,\"prompt_tokens_details\":{\"cached_tokens\":1920}}}\n\n",
        "data: [DONE]\n\n",
    );

    const PARALLEL_TOOLS_STREAM: &str = concat!(
        "data: {\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Checking both.\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_B\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{\\\"tz\\\":\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"\\\"CET\\\"}\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":90,\"completion_tokens\":40,\"total_tokens\":130}}\n\n",
        "data: [DONE]\n\n",
    );

    const REASONING_STREAM: &str = concat!(
        "data: {\"id\":\"0f9b6c1e\",\"object\":\"chat.completion.chunk\",\"created\":1738000000,\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"0f9b6c1e\",\"object\":\"chat.completion.chunk\",\"created\":1738000000,\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":\"Think\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"0f9b6c1e\",\"object\":\"chat.completion.chunk\",\"created\":1738000000,\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":\"ing…\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"0f9b6c1e\",\"object\":\"chat.completion.chunk\",\"created\":1738000000,\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Answer\",\"reasoning_content\":null},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        ": keep-alive\n\n",
        "data: {\"id\":\"0f9b6c1e\",\"object\":\"chat.completion.chunk\",\"created\":1738000000,\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\",\"reasoning_content\":null},\"logprobs\":null,\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":50,\"total_tokens\":60,\"prompt_tokens_details\":{\"cached_tokens\":0},\"prompt_cache_hit_tokens\":0,\"prompt_cache_miss_tokens\":10}}\n\n",
        "data: [DONE]\n\n",
    );

    #[test]
    fn stream_translations() {
        let text_stream = message_start("msg_chatcmpl-123", "gpt-4o-mini")
            + &block_start(0, r#"{"type":"text","text":""}"#)
            + &delta(0, r#"{"type":"text_delta","text":"Hello"}"#)
            + &delta(0, r#"{"type":"text_delta","text":", 世界!"}"#)
            + &block_stop(0)
            + &message_end("end_turn", r#"{"input_tokens":86,"output_tokens":300,"cache_read_input_tokens":1920}"#);
        let tools_stream = message_start("msg_chatcmpl-9x", "gpt-4o")
            + &block_start(0, r#"{"type":"text","text":""}"#)
            + &delta(0, r#"{"type":"text_delta","text":"Checking both."}"#)
            + &block_stop(0)
            + &block_start(1, r#"{"type":"tool_use","id":"call_A","name":"get_weather","input":{}}"#)
            + &delta(1, r#"{"type":"input_json_delta","partial_json":"{\"city\":"}"#)
            + &delta(1, r#"{"type":"input_json_delta","partial_json":"\"Paris\"}"}"#)
            + &block_stop(1)
            + &block_start(2, r#"{"type":"tool_use","id":"call_B","name":"get_time","input":{}}"#)
            + &delta(2, r#"{"type":"input_json_delta","partial_json":"{\"tz\":\"CET\"}"}"#)
            + &block_stop(2)
            + &message_end("tool_use", r#"{"input_tokens":90,"output_tokens":40}"#);
        let reasoning_stream = message_start("msg_0f9b6c1e", "deepseek-reasoner")
            + &block_start(0, r#"{"type":"thinking","thinking":"","signature":""}"#)
            + &delta(0, r#"{"type":"thinking_delta","thinking":"Think"}"#)
            + &delta(0, r#"{"type":"thinking_delta","thinking":"ing…"}"#)
            + &block_stop(0)
            + &block_start(1, r#"{"type":"text","text":""}"#)
            + &delta(1, r#"{"type":"text_delta","text":"Answer"}"#)
            + &block_stop(1)
            + &message_end("max_tokens", r#"{"input_tokens":10,"output_tokens":50,"cache_read_input_tokens":0}"#);
        let cases: Vec<(&str, &str, String)> = vec![
            ("text with usage chunk after finish_reason", TEXT_STREAM, text_stream),
            ("text then two interleaved parallel tool calls", PARALLEL_TOOLS_STREAM, tools_stream),
            ("reasoning then content, length", REASONING_STREAM, reasoning_stream),
        ];
        for (name, input, expected) in cases {
            assert_eq!(stream_output(input), expected, "{name}");
        }
    }

    #[test]
    fn stream_edge_cases() {
        let chunk = |delta: &str, finish: &str| {
            format!(
                "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
            )
        };
        let text = |t: &str| chunk(&format!("{{\"content\":\"{t}\"}}"), "null");
        let start = message_start("msg_c", "m");
        let text_block = |i: u32, t: &str| {
            block_start(i, r#"{"type":"text","text":""}"#)
                + &delta(i, &format!(r#"{{"type":"text_delta","text":"{t}"}}"#))
        };
        let error = |kind: &str, message: &str| {
            ev("error", &format!(r#"{{"type":"error","error":{{"type":"{kind}","message":"{message}"}}}}"#))
        };
        let no_usage = r#"{"output_tokens":0}"#;
        let cases: Vec<(&str, String, String)> = vec![
            (
                "mid-stream OpenAI error event",
                text("Par") + "data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\ndata: [DONE]\n\n",
                start.clone() + &text_block(0, "Par") + &error("api_error", "The server had an error while processing your request."),
            ),
            (
                "rate limit error before any chunk",
                "data: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}\n\n".into(),
                error("rate_limit_error", "Rate limit reached"),
            ),
            ("no data at all", String::new(), error("api_error", "the upstream stream ended without any data")),
            ("only [DONE]", "data: [DONE]\n\n".into(), error("api_error", "the upstream stream ended without any data")),
            (
                "cut off without finish_reason or [DONE]",
                text("Hi"),
                start.clone() + &text_block(0, "Hi") + &error("api_error", "upstream stream ended early"),
            ),
            (
                "finish_reason without [DONE] ends normally",
                text("Hi") + &chunk("{}", "\"stop\""),
                start.clone() + &text_block(0, "Hi") + &block_stop(0) + &message_end("end_turn", no_usage),
            ),
            (
                "[DONE] without finish_reason: open blocks closed",
                text("Hi") + "data: [DONE]\n\n",
                start.clone() + &text_block(0, "Hi") + &block_stop(0) + &message_end("end_turn", no_usage),
            ),
            (
                "not JSON",
                text("Hi") + "data: {oops\n\n" + &text("more"),
                start.clone() + &text_block(0, "Hi") + &error("api_error", "the upstream sent a stream chunk that is not valid JSON"),
            ),
            (
                "tool call without index and with repeated id and name, finish_reason stop",
                chunk(r#"{"tool_calls":[{"id":"call_1","type":"function","function":{"name":"ls","arguments":"{\"p\":"}}]}"#, "null")
                    + &chunk(r#"{"tool_calls":[{"id":"call_1","type":"function","function":{"name":"ls","arguments":"1}"}}]}"#, "null")
                    + &chunk(r#"{"tool_calls":[{"id":"call_2","type":"function","function":{"name":"pwd","arguments":"{}"}}]}"#, "null")
                    + &chunk("{}", "\"stop\"")
                    + "data: [DONE]\n\n",
                start.clone()
                    + &block_start(0, r#"{"type":"tool_use","id":"call_1","name":"ls","input":{}}"#)
                    + &delta(0, r#"{"type":"input_json_delta","partial_json":"{\"p\":"}"#)
                    + &delta(0, r#"{"type":"input_json_delta","partial_json":"1}"}"#)
                    + &block_stop(0)
                    + &block_start(1, r#"{"type":"tool_use","id":"call_2","name":"pwd","input":{}}"#)
                    + &delta(1, r#"{"type":"input_json_delta","partial_json":"{}"}"#)
                    + &block_stop(1)
                    + &message_end("tool_use", no_usage),
            ),
            (
                "thinking after text opens a new block; refusal; choice 1 ignored; ping ignored",
                text("a")
                    + &chunk(r#"{"reasoning":"hmm"}"#, "null")
                    + "event: ping\ndata: {}\n\n"
                    + "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":1,\"delta\":{\"content\":\"other\"},\"finish_reason\":null}]}\n\n"
                    + &chunk(r#"{"refusal":"No."}"#, "\"stop\"")
                    + "data: [DONE]\n\n",
                start.clone()
                    + &text_block(0, "a")
                    + &block_stop(0)
                    + &block_start(1, r#"{"type":"thinking","thinking":"","signature":""}"#)
                    + &delta(1, r#"{"type":"thinking_delta","thinking":"hmm"}"#)
                    + &block_stop(1)
                    + &text_block(2, "No.")
                    + &block_stop(2)
                    + &message_end("refusal", no_usage),
            ),
            (
                "usage in every chunk: the last one counts",
                "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}\n\n".to_string()
                    + "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n"
                    + "data: [DONE]\n\n",
                start.clone() + &text_block(0, "x") + &block_stop(0) + &message_end("end_turn", r#"{"input_tokens":5,"output_tokens":2}"#),
            ),
        ];
        for (name, input, expected) in cases {
            assert_eq!(stream_output(&input), expected, "{name}");
        }
    }

    #[test]
    fn nothing_after_the_end() {
        let mut t = ChatToMessagesStream::new(ctx());
        let mut out = Vec::new();
        t.feed(TEXT_STREAM.as_bytes(), &mut out);
        let len = out.len();
        t.feed(TEXT_STREAM.as_bytes(), &mut out);
        t.finish(&mut out);
        assert_eq!(out.len(), len);
    }

    /// Fuzz find (response_translation): a chunk that is not JSON failed the stream, then
    /// invalid UTF-8 later in the same chunk sent a second `error` event after the first.
    #[test]
    fn one_error_event_when_a_framing_error_follows() {
        let input = b"data: {not json\n\ndata: \xff\n\n";
        let expected = ev(
            "error",
            r#"{"type":"error","error":{"type":"api_error","message":"the upstream sent a stream chunk that is not valid JSON"}}"#,
        );
        assert_eq!(run_stream(&[input]), expected);
        let singles: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(run_stream(&singles), expected);
    }
}
