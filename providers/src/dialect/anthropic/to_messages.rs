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
//!   Members outside the OpenAI chat API (`top_k`, `thinking`, `output_config`, ...) and
//!   `temperature` / `top_p` pass through unchanged; `null` members are not sent.

use crate::dialect::Translated;
use crate::error::ProxyError;
use crate::json::{as_array, as_object, as_str, as_u64, ObjectView};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Configuration that shapes the translated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOptions {
    /// `max_tokens` when the client sends neither `max_tokens` nor `max_completion_tokens`.
    pub default_max_tokens: u64,
}

/// Anthropic's minimum `thinking.budget_tokens`.
const MIN_THINKING_BUDGET: u64 = 1024;

/// Members handled here (translated, merged or deliberately dropped): never passed through.
const HANDLED: &[&str] = &[
    "model",
    "messages",
    "system",
    "max_tokens",
    "max_completion_tokens",
    "thinking",
    "reasoning_effort",
    "reasoning_max_tokens",
    "stop",
    "stop_sequences",
    "user",
    "safety_identifier",
    "metadata",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "functions",
    "function_call",
    "stream",
    "stream_options",
    "response_format",
    "service_tier",
    "n",
    // OpenAI fields Anthropic rejects or has no equivalent for.
    "logprobs",
    "top_logprobs",
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
    "seed",
    "store",
    "modalities",
    "audio",
    "prediction",
    "web_search_options",
    "verbosity",
    "prompt_cache_key",
    "prompt_cache_retention",
];

/// Translates an OpenAI chat body (already validated as a JSON object) for `model`.
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
        collect_system(raw, "system", &mut system)?;
    }
    let messages_raw = view
        .get("messages")
        .ok_or_else(|| ProxyError::invalid_request("`messages` is required").with_param("messages"))?;
    let messages = as_array(messages_raw)
        .map_err(|_| ProxyError::invalid_request("`messages` must be an array").with_param("messages"))?;
    let mut turns: Vec<Turn<'_>> = Vec::new();
    let mut legacy_call: Option<String> = None;
    for (i, raw) in messages.iter().copied().enumerate() {
        translate_message(i, raw, &mut system, &mut turns, &mut legacy_call)?;
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
    out.extend_from_slice(max_tokens.to_string().as_bytes());
    match thinking {
        ThinkingOut::None => {}
        ThinkingOut::Raw(raw) => raw_member(&mut out, "thinking", raw),
        ThinkingOut::Budget(budget_tokens) => {
            key(&mut out, "thinking");
            out.extend_from_slice(b"{\"type\":\"enabled\",\"budget_tokens\":");
            out.extend_from_slice(budget_tokens.to_string().as_bytes());
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
    for m in view.members() {
        let last = view.get(&m.key).is_some_and(|v| std::ptr::eq(v, m.value));
        if last && m.value.get() != "null" && !HANDLED.contains(&m.key.as_ref()) {
            raw_member(&mut out, &m.key, m.value);
        }
    }
    out.push(b'}');
    Ok(Translated { body: out, stream, include_usage, ..Translated::default() })
}

// ---------------------------------------------------------------------------------------------
// Input views, read by hand: a derived `Deserialize` costs kilobytes of Wasm per struct.
// Serde's rules are kept: an absent or `null` optional member is `None`, a present one of
// another type is an error, unknown members are ignored.

/// Why an input object does not have the expected shape (serde's wording, without a position).
enum Shape {
    Missing(&'static str),
    Type(&'static str),
    NotObject,
}

impl Shape {
    fn describe(&self) -> String {
        match self {
            Shape::Missing(field) => format!("missing field `{field}`"),
            Shape::Type(field) => format!("invalid type for field `{field}`"),
            Shape::NotObject => "invalid type: expected an object".to_string(),
        }
    }
}

fn object(raw: &RawValue) -> Result<ObjectView<'_>, Shape> {
    as_object(raw).map_err(|_| Shape::NotObject)
}

/// An optional string member.
fn opt_str<'a>(o: &ObjectView<'a>, key: &'static str) -> Result<Option<Cow<'a, str>>, Shape> {
    o.get_str(key).map_err(|_| Shape::Type(key))
}

/// A required string member (`null` is the wrong type, as for serde).
fn req_str<'a>(o: &ObjectView<'a>, key: &'static str) -> Result<Cow<'a, str>, Shape> {
    as_str(o.get(key).ok_or(Shape::Missing(key))?).map_err(|_| Shape::Type(key))
}

/// An optional object member.
fn opt_object<'a>(o: &ObjectView<'a>, key: &'static str) -> Result<Option<ObjectView<'a>>, Shape> {
    o.get_object(key).map_err(|_| Shape::Type(key))
}

/// An optional array member.
fn opt_array<'a>(o: &ObjectView<'a>, key: &'static str) -> Result<Option<Vec<&'a RawValue>>, Shape> {
    o.get_array(key).map_err(|_| Shape::Type(key))
}

struct MessageIn<'a> {
    role: Cow<'a, str>,
    content: Option<&'a RawValue>,
    tool_calls: Vec<ToolCallIn<'a>>,
    tool_call_id: Option<Cow<'a, str>>,
    thinking_blocks: Vec<&'a RawValue>,
    function_call: Option<FunctionCallIn<'a>>,
}

fn message_in(raw: &RawValue) -> Result<MessageIn<'_>, Shape> {
    let o = object(raw)?;
    let mut tool_calls = Vec::new();
    for call in opt_array(&o, "tool_calls")?.unwrap_or_default() {
        let c = object(call)?;
        let id = opt_str(&c, "id")?;
        let kind = opt_str(&c, "type")?;
        let function = function_call_in(&object(c.get("function").ok_or(Shape::Missing("function"))?)?)?;
        tool_calls.push(ToolCallIn { id, kind, function });
    }
    Ok(MessageIn {
        role: req_str(&o, "role")?,
        content: o.value("content"),
        tool_calls,
        tool_call_id: opt_str(&o, "tool_call_id")?,
        thinking_blocks: opt_array(&o, "thinking_blocks")?.unwrap_or_default(),
        function_call: match opt_object(&o, "function_call")? {
            Some(f) => Some(function_call_in(&f)?),
            None => None,
        },
    })
}

struct ToolCallIn<'a> {
    id: Option<Cow<'a, str>>,
    kind: Option<Cow<'a, str>>,
    function: FunctionCallIn<'a>,
}

struct FunctionCallIn<'a> {
    name: Cow<'a, str>,
    arguments: Option<Cow<'a, str>>,
}

fn function_call_in<'a>(o: &ObjectView<'a>) -> Result<FunctionCallIn<'a>, Shape> {
    Ok(FunctionCallIn { name: req_str(o, "name")?, arguments: opt_str(o, "arguments")? })
}

struct PartIn<'a> {
    kind: Cow<'a, str>,
    text: Option<Cow<'a, str>>,
    refusal: Option<Cow<'a, str>>,
    image_url: Option<&'a RawValue>,
    cache_control: Option<&'a RawValue>,
}

fn part_in(raw: &RawValue) -> Result<PartIn<'_>, Shape> {
    let o = object(raw)?;
    Ok(PartIn {
        kind: req_str(&o, "type")?,
        text: opt_str(&o, "text")?,
        refusal: opt_str(&o, "refusal")?,
        image_url: o.value("image_url"),
        cache_control: o.value("cache_control"),
    })
}

struct FunctionDefIn<'a> {
    name: Cow<'a, str>,
    description: Option<Cow<'a, str>>,
    parameters: Option<&'a RawValue>,
}

fn function_def_in<'a>(o: &ObjectView<'a>) -> Result<FunctionDefIn<'a>, Shape> {
    Ok(FunctionDefIn {
        name: req_str(o, "name")?,
        description: opt_str(o, "description")?,
        parameters: o.value("parameters"),
    })
}

// ---------------------------------------------------------------------------------------------
// Output shapes, written by hand (byte for byte what serde_json wrote for the former structs).

enum Block<'a> {
    Text(Cow<'a, str>, Option<&'a RawValue>),
    Image(ImageSource<'a>, Option<&'a RawValue>),
    /// `tool_use`: id, name, the `input` object's JSON text.
    ToolUse(String, Cow<'a, str>, Cow<'a, str>),
    /// `tool_result`: tool_use_id, content.
    ToolResult(String, Option<ToolResultContent<'a>>),
    /// An Anthropic-native block (thinking blocks sent back, `document`, ...), verbatim.
    Raw(&'a RawValue),
}

enum ImageSource<'a> {
    Base64 { media_type: Cow<'a, str>, data: Cow<'a, str> },
    Url(Cow<'a, str>),
}

enum ToolResultContent<'a> {
    Text(Cow<'a, str>),
    Blocks(Vec<Block<'a>>),
}

struct Turn<'a> {
    role: &'static str,
    blocks: Vec<Block<'a>>,
    /// The turn is one message with plain string content: sent as a string.
    plain: bool,
}

enum ToolOut<'a> {
    Function(FunctionDefIn<'a>, Option<&'a RawValue>),
    Raw(&'a RawValue),
}

struct ToolChoiceOut<'a> {
    kind: &'static str,
    name: Option<Cow<'a, str>>,
    disable_parallel_tool_use: Option<bool>,
}

enum ThinkingOut<'a> {
    None,
    Raw(&'a RawValue),
    Budget(u64),
}

/// Appends `s` as JSON string content, escaped exactly as serde_json does.
fn escape(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0..=0x1f => b'u',
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        out.push(b'\\');
        out.push(short);
        if short == b'u' {
            let low = b & 0x0f;
            out.extend_from_slice(&[b'0', b'0', b'0' + (b >> 4), if low < 10 { b'0' + low } else { b'a' + low - 10 }]);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// Appends a JSON string.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape(out, s);
    out.push(b'"');
}

/// Appends `,"key":` (never the first member of an object).
fn key(out: &mut Vec<u8>, key: &str) {
    out.push(b',');
    string(out, key);
    out.push(b':');
}

fn raw_member(out: &mut Vec<u8>, k: &str, raw: &RawValue) {
    key(out, k);
    out.extend_from_slice(raw.get().as_bytes());
}

/// The separator before element `n` of an array.
fn comma(out: &mut Vec<u8>, n: usize) {
    if n > 0 {
        out.push(b',');
    }
}

fn write_text_block(out: &mut Vec<u8>, text: &str, cache_control: Option<&RawValue>) {
    out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
    string(out, text);
    if let Some(cc) = cache_control {
        raw_member(out, "cache_control", cc);
    }
    out.push(b'}');
}

fn write_block(out: &mut Vec<u8>, block: &Block<'_>) {
    match block {
        Block::Text(text, cache_control) => write_text_block(out, text, *cache_control),
        Block::Image(source, cache_control) => {
            out.extend_from_slice(b"{\"type\":\"image\",\"source\":");
            match source {
                ImageSource::Base64 { media_type, data } => {
                    out.extend_from_slice(b"{\"type\":\"base64\",\"media_type\":");
                    string(out, media_type);
                    key(out, "data");
                    string(out, data);
                }
                ImageSource::Url(url) => {
                    out.extend_from_slice(b"{\"type\":\"url\",\"url\":");
                    string(out, url);
                }
            }
            out.push(b'}');
            if let Some(cc) = cache_control {
                raw_member(out, "cache_control", cc);
            }
            out.push(b'}');
        }
        Block::ToolUse(id, name, input) => {
            out.extend_from_slice(b"{\"type\":\"tool_use\",\"id\":");
            string(out, id);
            key(out, "name");
            string(out, name);
            key(out, "input");
            out.extend_from_slice(input.as_bytes());
            out.push(b'}');
        }
        Block::ToolResult(tool_use_id, content) => {
            out.extend_from_slice(b"{\"type\":\"tool_result\",\"tool_use_id\":");
            string(out, tool_use_id);
            match content {
                None => {}
                Some(ToolResultContent::Text(text)) => {
                    key(out, "content");
                    string(out, text);
                }
                Some(ToolResultContent::Blocks(blocks)) => {
                    key(out, "content");
                    write_blocks(out, blocks, false);
                }
            }
            out.push(b'}');
        }
        Block::Raw(raw) => out.extend_from_slice(raw.get().as_bytes()),
    }
}

/// A JSON array of blocks; with `results_first` the `tool_result` blocks are written first
/// (Anthropic requires them at the start of a user turn), the rest keep their order.
fn write_blocks(out: &mut Vec<u8>, blocks: &[Block<'_>], results_first: bool) {
    let is_result = |b: &&Block<'_>| matches!(b, Block::ToolResult(..));
    out.push(b'[');
    let results = blocks.iter().filter(|b| results_first && is_result(b));
    let rest = blocks.iter().filter(|b| !results_first || !is_result(b));
    for (n, block) in results.chain(rest).enumerate() {
        comma(out, n);
        write_block(out, block);
    }
    out.push(b']');
}

fn write_turn(out: &mut Vec<u8>, turn: &Turn<'_>) {
    out.extend_from_slice(b"{\"role\":");
    string(out, turn.role);
    key(out, "content");
    match turn.blocks.as_slice() {
        [Block::Text(text, None)] if turn.plain => string(out, text),
        blocks => write_blocks(out, blocks, turn.role == "user"),
    }
    out.push(b'}');
}

/// The top-level `system` member, when there is anything to send: an array of text blocks when
/// any part carries `cache_control`, else one string with the texts joined by a blank line.
fn write_system(out: &mut Vec<u8>, parts: &[SystemPart<'_>], instruction: Option<&str>) {
    if parts.iter().any(|p| p.cache_control.is_some()) {
        key(out, "system");
        out.push(b'[');
        for (n, p) in parts.iter().enumerate() {
            comma(out, n);
            write_text_block(out, &p.text, p.cache_control);
        }
        if let Some(instruction) = instruction {
            out.push(b',');
            write_text_block(out, instruction, None);
        }
        out.push(b']');
    } else if !parts.is_empty() || instruction.is_some() {
        key(out, "system");
        out.push(b'"');
        for (n, text) in parts.iter().map(|p| p.text.as_ref()).chain(instruction).enumerate() {
            if n > 0 {
                out.extend_from_slice(b"\\n\\n");
            }
            escape(out, text);
        }
        out.push(b'"');
    }
}

fn write_tool(out: &mut Vec<u8>, tool: &ToolOut<'_>) {
    match tool {
        ToolOut::Function(f, cache_control) => {
            out.extend_from_slice(b"{\"name\":");
            string(out, &f.name);
            if let Some(description) = &f.description {
                key(out, "description");
                string(out, description);
            }
            match f.parameters {
                Some(schema) => raw_member(out, "input_schema", schema),
                None => out.extend_from_slice(b",\"input_schema\":{\"type\":\"object\",\"properties\":{}}"),
            }
            if let Some(cc) = cache_control {
                raw_member(out, "cache_control", cc);
            }
            out.push(b'}');
        }
        ToolOut::Raw(raw) => out.extend_from_slice(raw.get().as_bytes()),
    }
}

fn write_tool_choice(out: &mut Vec<u8>, choice: &ToolChoiceOut<'_>) {
    out.extend_from_slice(b"{\"type\":");
    string(out, choice.kind);
    if let Some(name) = &choice.name {
        key(out, "name");
        string(out, name);
    }
    if let Some(disable) = choice.disable_parallel_tool_use {
        key(out, "disable_parallel_tool_use");
        out.extend_from_slice(if disable { b"true" } else { b"false" });
    }
    out.push(b'}');
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn uint(raw: &RawValue, param: &'static str) -> Result<u64, ProxyError> {
    as_u64(raw)
        .map_err(|_| ProxyError::invalid_request(format!("`{param}` must be a non-negative integer")).with_param(param))
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
    Text(Cow<'a, str>),
    Parts(Vec<&'a RawValue>),
}

fn content<'a>(raw: Option<&'a RawValue>, i: usize) -> Result<Option<Content<'a>>, ProxyError> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get();
    if text.starts_with('"') {
        let s = as_str(raw).map_err(|_| bad_message(format!("messages[{i}].content")))?;
        Ok(Some(Content::Text(s)))
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
struct SystemPart<'a> {
    text: Cow<'a, str>,
    cache_control: Option<&'a RawValue>,
}

fn collect_system<'a>(raw: &'a RawValue, at: &str, out: &mut Vec<SystemPart<'a>>) -> Result<(), ProxyError> {
    let bad = || ProxyError::invalid_request(format!("{at}: system content must be text")).with_param("messages");
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
    raw: &'a RawValue,
    system: &mut Vec<SystemPart<'a>>,
    turns: &mut Vec<Turn<'a>>,
    legacy_call: &mut Option<String>,
) -> Result<(), ProxyError> {
    let msg = message_in(raw).map_err(|e| bad_message(format!("messages[{i}]: {}", e.describe())))?;
    match msg.role.as_ref() {
        "system" | "developer" => {
            if let Some(c) = msg.content {
                collect_system(c, &format!("messages[{i}]"), system)?;
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
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const OPTS: RequestOptions = RequestOptions { default_max_tokens: 4096 };

    fn build(req: &Value) -> Result<Translated, ProxyError> {
        build_request(req.to_string().as_bytes(), "claude-sonnet-4-5", &OPTS)
    }

    fn body(req: Value) -> Value {
        let t = build(&req).unwrap_or_else(|e| panic!("{e}"));
        crate::json::from_bytes(&t.body).unwrap()
    }

    fn err(req: Value) -> ProxyError {
        build(&req).unwrap_err()
    }

    #[test]
    fn translates_requests() {
        let cases: Vec<(&str, Value, Value)> = vec![
            (
                "system and developer hoisted in order, default max_tokens, stream",
                json!({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[
                    {"role":"system","content":"You are terse."},
                    {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
                    {"role":"user","content":"Hello"},
                    {"role":"assistant","content":"Bonjour."},
                    {"role":"system","content":"Late rule."},
                    {"role":"user","content":"How are you?"}]}),
                json!({"model":"claude-sonnet-4-5",
                    "system":"You are terse.\n\nAnswer in French.\n\nLate rule.",
                    "messages":[{"role":"user","content":"Hello"},{"role":"assistant","content":"Bonjour."},
                        {"role":"user","content":"How are you?"}],
                    "max_tokens":4096,"stream":true}),
            ),
            (
                "consecutive user turns merged into blocks; names dropped",
                json!({"model":"m","messages":[
                    {"role":"user","name":"alice","content":"first"},
                    {"role":"user","content":[{"type":"text","text":"second"},{"type":"text","text":""}]}]}),
                json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[
                    {"type":"text","text":"first"},{"type":"text","text":"second"}]}],"max_tokens":4096}),
            ),
            (
                "images: data URL and https URL; cache_control kept on parts",
                json!({"model":"m","max_completion_tokens":300,"max_tokens":99,"messages":[{"role":"user","content":[
                    {"type":"text","text":"What is in these images?","cache_control":{"type":"ephemeral"}},
                    {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
                    {"type":"image_url","image_url":{"url":"https://upload.wikimedia.org/a.jpg"}}]}]}),
                json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[
                    {"type":"text","text":"What is in these images?","cache_control":{"type":"ephemeral"}},
                    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                    {"type":"image","source":{"type":"url","url":"https://upload.wikimedia.org/a.jpg"}}]}],
                    "max_tokens":300}),
            ),
            (
                "parallel tool calls, tool results merged with the following user text",
                json!({"model":"m","max_tokens":1024,"tool_choice":"required","parallel_tool_calls":false,
                    "tools":[{"type":"function","function":{"name":"get_weather","description":"Get the weather",
                        "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},
                        "strict":true}},
                        {"type":"function","function":{"name":"now"}}],
                    "messages":[
                    {"role":"user","content":"Weather in Paris and Tokyo?"},
                    {"role":"assistant","content":null,"tool_calls":[
                        {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                        {"id":"call_2","type":"function","function":{"name":"now","arguments":""}}]},
                    {"role":"tool","tool_call_id":"call_1","content":"18C"},
                    {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"12:00"}]},
                    {"role":"user","content":"Thanks, and?"}]}),
                json!({"model":"claude-sonnet-4-5","messages":[
                    {"role":"user","content":"Weather in Paris and Tokyo?"},
                    {"role":"assistant","content":[
                        {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
                        {"type":"tool_use","id":"call_2","name":"now","input":{}}]},
                    {"role":"user","content":[
                        {"type":"tool_result","tool_use_id":"call_1","content":"18C"},
                        {"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"12:00"}]},
                        {"type":"text","text":"Thanks, and?"}]}],
                    "max_tokens":1024,
                    "tools":[{"name":"get_weather","description":"Get the weather","input_schema":
                        {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
                        {"name":"now","input_schema":{"type":"object","properties":{}}}],
                    "tool_choice":{"type":"any","disable_parallel_tool_use":true}}),
            ),
            (
                "thinking from reasoning_effort, thinking blocks sent back first, tool id sanitised",
                json!({"model":"m","reasoning_effort":"medium","messages":[
                    {"role":"user","content":"Think."},
                    {"role":"assistant","content":"Let me check.","reasoning_content":"hmm",
                     "thinking_blocks":[{"type":"thinking","thinking":"hmm","signature":"EqQB"},
                        {"type":"redacted_thinking","data":"EmwK"}],
                     "tool_calls":[{"id":"functions.lookup:0","type":"function","function":{"name":"lookup","arguments":"{}"}}]},
                    {"role":"tool","tool_call_id":"functions.lookup:0","content":"ok"}],
                    "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]}),
                json!({"model":"claude-sonnet-4-5","messages":[
                    {"role":"user","content":"Think."},
                    {"role":"assistant","content":[
                        {"type":"thinking","thinking":"hmm","signature":"EqQB"},
                        {"type":"redacted_thinking","data":"EmwK"},
                        {"type":"text","text":"Let me check."},
                        {"type":"tool_use","id":"functions_lookup_0","name":"lookup","input":{}}]},
                    {"role":"user","content":[{"type":"tool_result","tool_use_id":"functions_lookup_0","content":"ok"}]}],
                    "max_tokens":8192 + 4096,"thinking":{"type":"enabled","budget_tokens":8192},
                    "tools":[{"name":"lookup","input_schema":{"type":"object"}}]}),
            ),
            (
                // (json! sorts keys, so the schema reaches the translator as properties, type.)
                "cache_control in a system part → system blocks; json_schema instruction appended",
                json!({"model":"m","messages":[
                    {"role":"system","content":[{"type":"text","text":"Long context","cache_control":{"type":"ephemeral"}}]},
                    {"role":"system","content":"Be brief."},
                    {"role":"user","content":"Extract."}],
                    "response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,
                        "schema":{"type":"object", "properties":{"name":{"type":"string"}}}}}}),
                json!({"model":"claude-sonnet-4-5","system":[
                    {"type":"text","text":"Long context","cache_control":{"type":"ephemeral"}},
                    {"type":"text","text":"Be brief."},
                    {"type":"text","text":"Respond only with a JSON object that conforms to this JSON schema:\n{\"properties\":{\"name\":{\"type\":\"string\"}},\"type\":\"object\"}"}],
                    "messages":[{"role":"user","content":"Extract."}],"max_tokens":4096}),
            ),
            (
                "json_object without system; stop, user, service tier, drops and pass-through",
                json!({"model":"m","messages":[{"role":"user","content":"Hi"}],
                    "response_format":{"type":"json_object"},"stop":"END","user":"user-123",
                    "service_tier":"auto","n":1,"logprobs":true,"top_logprobs":2,"frequency_penalty":0.5,
                    "presence_penalty":0.1,"logit_bias":{"50256":-100},"seed":7,"store":true,
                    "modalities":["text"],"prediction":{"type":"content","content":"x"},"temperature":0.2,
                    "top_p":0.9,"top_k":40,"custom_field":{"a":1},"nothing":null,"stream":false,
                    "stream_options":{"include_usage":true},"metadata":{"session":"s1"}}),
                json!({"model":"claude-sonnet-4-5","system":"Respond only with a valid JSON object.",
                    "messages":[{"role":"user","content":"Hi"}],"max_tokens":4096,"stop_sequences":["END"],
                    "metadata":{"user_id":"user-123"},"service_tier":"auto","temperature":0.2,"top_p":0.9,
                    "top_k":40,"custom_field":{"a":1}}),
            ),
            (
                "Anthropic-native thinking passes through; OpenAI service tier dropped; metadata.user_id wins",
                json!({"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":20000,
                    "thinking":{"type":"enabled","budget_tokens":10000},"reasoning_effort":"low",
                    "service_tier":"flex","stop":["a","b"],"user":"u","metadata":{"user_id":"m-1"}}),
                json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}],"max_tokens":20000,
                    "thinking":{"type":"enabled","budget_tokens":10000},"stop_sequences":["a","b"],
                    "metadata":{"user_id":"m-1"}}),
            ),
            (
                "reasoning_max_tokens raised to the minimum; minimal effort means no thinking",
                json!({"model":"m","messages":[{"role":"user","content":"Hi"}],"reasoning_max_tokens":500,
                    "max_tokens":2000}),
                json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}],"max_tokens":2000,
                    "thinking":{"type":"enabled","budget_tokens":1024}}),
            ),
            (
                "empty assistant turn skipped, merged user turns around it; Anthropic-native parts pass",
                json!({"model":"m","reasoning_effort":"minimal","messages":[
                    {"role":"user","content":"a"},
                    {"role":"assistant","content":""},
                    {"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}}]}]}),
                json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[
                    {"type":"text","text":"a"},
                    {"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}}]}],
                    "max_tokens":4096}),
            ),
            (
                "legacy functions and function_call",
                json!({"model":"m","functions":[{"name":"f","parameters":{"type":"object","properties":{}}}],
                    "function_call":{"name":"f"},"messages":[
                    {"role":"user","content":"go"},
                    {"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{\"x\":1}"}},
                    {"role":"function","name":"f","content":"done"}]}),
                json!({"model":"claude-sonnet-4-5","messages":[
                    {"role":"user","content":"go"},
                    {"role":"assistant","content":[{"type":"tool_use","id":"call_legacy_1","name":"f","input":{"x":1}}]},
                    {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_legacy_1","content":"done"}]}],
                    "max_tokens":4096,"tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}],
                    "tool_choice":{"type":"tool","name":"f"}}),
            ),
            (
                "tool result placed first in a merged user turn; final assistant prefill kept",
                json!({"model":"m","tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}],
                    "tool_choice":"none","parallel_tool_calls":false,"messages":[
                    {"role":"user","content":"q"},
                    {"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"x","arguments":"{}"}}]},
                    {"role":"user","content":"interjection"},
                    {"role":"tool","tool_call_id":"t1","content":""},
                    {"role":"assistant","content":"{\"answer\":"}]}),
                json!({"model":"claude-sonnet-4-5","messages":[
                    {"role":"user","content":"q"},
                    {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"x","input":{}}]},
                    {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1"},{"type":"text","text":"interjection"}]},
                    {"role":"assistant","content":"{\"answer\":"}],
                    "max_tokens":4096,"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}],
                    "tool_choice":{"type":"none"}}),
            ),
        ];
        for (name, req, want) in cases {
            assert_eq!(body(req), want, "{name}");
        }
    }

    #[test]
    fn tool_choice_shapes() {
        let tools = json!([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]);
        let cases: Vec<(Value, Option<bool>, Value)> = vec![
            (json!("auto"), None, json!({"type":"auto"})),
            (json!("none"), None, json!({"type":"none"})),
            (json!("required"), None, json!({"type":"any"})),
            (
                json!({"type":"function","function":{"name":"get_weather"}}),
                None,
                json!({"type":"tool","name":"get_weather"}),
            ),
            (
                json!({"type":"function","function":{"name":"get_weather"}}),
                Some(false),
                json!({"type":"tool","name":"get_weather","disable_parallel_tool_use":true}),
            ),
            (json!("auto"), Some(false), json!({"type":"auto","disable_parallel_tool_use":true})),
            (json!("auto"), Some(true), json!({"type":"auto"})),
            (json!("none"), Some(false), json!({"type":"none"})),
            (Value::Null, Some(false), json!({"type":"auto","disable_parallel_tool_use":true})),
            (
                json!({"type":"any","disable_parallel_tool_use":true}),
                None,
                json!({"type":"any","disable_parallel_tool_use":true}),
            ),
        ];
        for (choice, parallel, want) in cases {
            let mut req = json!({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":tools});
            if !choice.is_null() {
                req["tool_choice"] = choice.clone();
            }
            if let Some(p) = parallel {
                req["parallel_tool_calls"] = json!(p);
            }
            assert_eq!(body(req)["tool_choice"], want, "{choice} {parallel:?}");
        }
        // No tools: no tool_choice, no disable flag.
        let b = body(
            json!({"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"auto","parallel_tool_calls":false}),
        );
        assert!(b.get("tool_choice").is_none() && b.get("tools").is_none());
    }

    #[test]
    fn rejects_what_anthropic_cannot_take() {
        let user = |content: Value| json!({"model":"m","messages":[{"role":"user","content":content}]});
        let cases: Vec<(&str, Value, Option<&str>, &str)> = vec![
            (
                "assistant first",
                json!({"model":"m","messages":[{"role":"system","content":"s"},{"role":"assistant","content":"hi"},{"role":"user","content":"q"}]}),
                Some("messages"),
                "first non-system message",
            ),
            (
                "invalid arguments",
                json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{bad"}}]}]}),
                Some("messages"),
                "JSON object",
            ),
            (
                "array arguments",
                json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}),
                Some("messages"),
                "JSON object",
            ),
            (
                "tool call without id",
                json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]}),
                Some("messages"),
                "id is required",
            ),
            (
                "tool without tool_call_id",
                json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"tool","content":"x"}]}),
                Some("messages"),
                "tool_call_id",
            ),
            (
                "file part",
                user(json!([{"type":"file","file":{"file_id":"file-abc"}}])),
                Some("messages"),
                "`file` content parts are not supported",
            ),
            (
                "audio part",
                user(json!([{"type":"input_audio","input_audio":{"data":"AAA","format":"wav"}}])),
                Some("messages"),
                "`input_audio`",
            ),
            (
                "ftp image",
                user(json!([{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}])),
                Some("messages"),
                "http(s) URL",
            ),
            (
                "non-base64 data URL",
                user(json!([{"type":"image_url","image_url":{"url":"data:image/png,abc"}}])),
                Some("messages"),
                "base64",
            ),
            (
                "unknown role",
                json!({"model":"m","messages":[{"role":"robot","content":"x"}]}),
                Some("messages"),
                "unknown role",
            ),
            ("content number", user(json!(3)), Some("messages"), "string or an array"),
            ("no messages", json!({"model":"m"}), Some("messages"), "required"),
            ("n > 1", json!({"model":"m","n":2,"messages":[{"role":"user","content":"q"}]}), Some("n"), "`n`"),
            (
                "bad effort",
                json!({"model":"m","reasoning_effort":"max","messages":[{"role":"user","content":"q"}]}),
                Some("reasoning_effort"),
                "reasoning_effort",
            ),
            (
                "max_tokens below budget",
                json!({"model":"m","reasoning_effort":"high","max_tokens":16000,"messages":[{"role":"user","content":"q"}]}),
                Some("max_tokens"),
                "thinking budget",
            ),
            (
                "max_completion_tokens equal to native budget",
                json!({"model":"m","thinking":{"type":"enabled","budget_tokens":2048},"max_completion_tokens":2048,"messages":[{"role":"user","content":"q"}]}),
                Some("max_completion_tokens"),
                "thinking budget",
            ),
            (
                "negative max_tokens",
                json!({"model":"m","max_tokens":-1,"messages":[{"role":"user","content":"q"}]}),
                Some("max_tokens"),
                "non-negative",
            ),
            (
                "custom tool",
                json!({"model":"m","tools":[{"type":"custom","custom":{"name":"x"}}],"messages":[{"role":"user","content":"q"}]}),
                Some("tools"),
                "custom tools",
            ),
            (
                "bad tool_choice",
                json!({"model":"m","tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes","messages":[{"role":"user","content":"q"}]}),
                Some("tool_choice"),
                "tool_choice",
            ),
            (
                "non-text system part",
                json!({"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://a/b.png"}}]},{"role":"user","content":"q"}]}),
                Some("messages"),
                "system content must be text",
            ),
            (
                "stream not bool",
                json!({"model":"m","stream":"yes","messages":[{"role":"user","content":"q"}]}),
                Some("stream"),
                "boolean",
            ),
        ];
        for (name, req, param, needle) in cases {
            let e = err(req);
            assert_eq!(e.status, 400, "{name}");
            assert_eq!(e.param, param, "{name}");
            assert!(e.message.contains(needle), "{name}: {}", e.message);
        }
        assert_eq!(build_request(b"[1]", "m", &OPTS).unwrap_err().status, 400);
        assert_eq!(build_request(b"{", "m", &OPTS).unwrap_err().status, 400);
    }

    #[test]
    fn flags_and_raw_bytes() {
        let t = build(&json!({"model":"m","stream":true,"messages":[{"role":"user","content":"q"}]})).unwrap();
        assert!(t.stream && !t.include_usage);
        let t = build(&json!({"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"q"}]})).unwrap();
        assert!(t.stream && t.include_usage);
        let t = build(&json!({"model":"m","messages":[{"role":"user","content":"q"}]})).unwrap();
        assert!(!t.stream && !t.include_usage);

        // Pass-through numbers, schemas and arguments keep their bytes and key order.
        let raw = br#"{"model":"gpt-4o","temperature":0.70,"top_k":1e1,"messages":[{"role":"user","content":"q"},
            {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"z\":1,\"a\":2}"}}]},
            {"role":"tool","tool_call_id":"c1","content":"r"}],
            "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"number"}}}}}]}"#;
        let t = build_request(raw, "claude-opus-4-1", &OPTS).unwrap();
        let s = String::from_utf8(t.body).unwrap();
        assert!(s.starts_with(r#"{"model":"claude-opus-4-1","messages":"#), "{s}");
        assert!(s.contains(r#""temperature":0.70"#) && s.contains(r#""top_k":1e1"#), "{s}");
        assert!(s.contains(r#""input":{"z":1,"a":2}"#), "{s}");
        assert!(s.contains(r#""properties":{"zeta":{"type":"string"},"alpha":{"type":"number"}}"#), "{s}");
        assert!(!s.contains("gpt-4o"));

        // Escaped URLs and system text with escapes.
        let raw = br#"{"messages":[{"role":"system","content":"a\nb"},{"role":"user","content":[{"type":"image_url","image_url":"https:\/\/x.test\/i.png"},{"type":"image_url","image_url":{"url":"data:image\/jpeg;base64,\/9j\/4A=="}}]}]}"#;
        let v: Value = crate::json::from_bytes(&build_request(raw, "m", &OPTS).unwrap().body).unwrap();
        assert_eq!(v["system"], "a\nb");
        assert_eq!(v["messages"][0]["content"][0]["source"], json!({"type":"url","url":"https://x.test/i.png"}));
        assert_eq!(
            v["messages"][0]["content"][1]["source"],
            json!({"type":"base64","media_type":"image/jpeg","data":"/9j/4A=="})
        );
    }

    #[test]
    fn escapes_strings_like_serde_json() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é€😀\u{2028}\u{7f}\\\"/");
        let mut out = Vec::new();
        string(&mut out, &all);
        assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&all).unwrap());
        for s in ["", "plain", "\"", "a\u{1f}b\u{0}"] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn compacts_json_text() {
        assert_eq!(
            crate::json::compact("{ \"a b\" : [1, 2 ,\n\"x \\\" y\" ],\t\"c\":{} }"),
            r#"{"a b":[1,2,"x \" y"],"c":{}}"#
        );
    }
}
