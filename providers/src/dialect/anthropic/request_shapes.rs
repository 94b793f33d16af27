//! The shapes `request` reads (OpenAI chat members) and writes (Messages members), by hand:
//! a derived `Deserialize` or `Serialize` costs kilobytes of Wasm per struct.

use crate::json::{as_object, as_str, literal, ObjectView, Text};
use serde_json::value::RawValue;
use std::borrow::Cow;

use super::request::SystemPart;

// ---------------------------------------------------------------------------------------------
// Input views, read by hand: a derived `Deserialize` costs kilobytes of Wasm per struct.
// Serde's rules are kept: an absent or `null` optional member is `None`, a present one of
// another type is an error, unknown members are ignored.

/// Why an input object does not have the expected shape (serde's wording, without a position).
pub(super) enum Shape {
    Missing(&'static str),
    Type(&'static str),
    NotObject,
}

impl Shape {
    pub(super) fn describe(&self) -> String {
        match self {
            Shape::Missing(field) => format!("missing field `{field}`"),
            Shape::Type(field) => format!("invalid type for field `{field}`"),
            Shape::NotObject => "invalid type: expected an object".to_string(),
        }
    }
}

pub(super) fn object(raw: &RawValue) -> Result<ObjectView<'_>, Shape> {
    as_object(raw).map_err(|_| Shape::NotObject)
}

/// An optional string member.
pub(super) fn opt_str<'a>(o: &ObjectView<'a>, key: &'static str) -> Result<Option<Cow<'a, str>>, Shape> {
    o.get_str(key).map_err(|_| Shape::Type(key))
}

/// A required string member (`null` is the wrong type, as for serde).
pub(super) fn req_str<'a>(o: &ObjectView<'a>, key: &'static str) -> Result<Cow<'a, str>, Shape> {
    as_str(o.get(key).ok_or(Shape::Missing(key))?).map_err(|_| Shape::Type(key))
}

/// An optional object member.
pub(super) fn opt_object<'a>(o: &ObjectView<'a>, key: &'static str) -> Result<Option<ObjectView<'a>>, Shape> {
    o.get_object(key).map_err(|_| Shape::Type(key))
}

/// An optional array member.
pub(super) fn opt_array<'a>(o: &ObjectView<'a>, key: &'static str) -> Result<Option<Vec<&'a RawValue>>, Shape> {
    o.get_array(key).map_err(|_| Shape::Type(key))
}

pub(super) struct MessageIn<'a> {
    pub(super) role: Cow<'a, str>,
    pub(super) content: Option<&'a RawValue>,
    pub(super) tool_calls: Vec<ToolCallIn<'a>>,
    pub(super) tool_call_id: Option<Cow<'a, str>>,
    pub(super) thinking_blocks: Vec<&'a RawValue>,
    pub(super) function_call: Option<FunctionCallIn<'a>>,
}

pub(super) fn message_in<'a>(o: &ObjectView<'a>) -> Result<MessageIn<'a>, Shape> {
    let mut tool_calls = Vec::new();
    for call in opt_array(o, "tool_calls")?.unwrap_or_default() {
        let c = object(call)?;
        let id = opt_str(&c, "id")?;
        let kind = opt_str(&c, "type")?;
        let function = function_call_in(&object(c.get("function").ok_or(Shape::Missing("function"))?)?)?;
        tool_calls.push(ToolCallIn { id, kind, function });
    }
    Ok(MessageIn {
        role: req_str(o, "role")?,
        content: o.value("content"),
        tool_calls,
        tool_call_id: opt_str(o, "tool_call_id")?,
        thinking_blocks: opt_array(o, "thinking_blocks")?.unwrap_or_default(),
        function_call: match opt_object(o, "function_call")? {
            Some(f) => Some(function_call_in(&f)?),
            None => None,
        },
    })
}

pub(super) struct ToolCallIn<'a> {
    pub(super) id: Option<Cow<'a, str>>,
    pub(super) kind: Option<Cow<'a, str>>,
    pub(super) function: FunctionCallIn<'a>,
}

pub(super) struct FunctionCallIn<'a> {
    pub(super) name: Cow<'a, str>,
    pub(super) arguments: Option<Cow<'a, str>>,
}

pub(super) fn function_call_in<'a>(o: &ObjectView<'a>) -> Result<FunctionCallIn<'a>, Shape> {
    Ok(FunctionCallIn { name: req_str(o, "name")?, arguments: opt_str(o, "arguments")? })
}

pub(super) struct PartIn<'a> {
    pub(super) kind: Cow<'a, str>,
    pub(super) text: Option<Text<'a>>,
    pub(super) refusal: Option<Text<'a>>,
    pub(super) image_url: Option<&'a RawValue>,
    pub(super) cache_control: Option<&'a RawValue>,
}

pub(super) fn part_in(raw: &RawValue) -> Result<PartIn<'_>, Shape> {
    let o = object(raw)?;
    Ok(PartIn {
        kind: req_str(&o, "type")?,
        text: literal(&o, "text").map_err(|_| Shape::Type("text"))?,
        refusal: literal(&o, "refusal").map_err(|_| Shape::Type("refusal"))?,
        image_url: o.value("image_url"),
        cache_control: o.value("cache_control"),
    })
}

pub(super) struct FunctionDefIn<'a> {
    pub(super) name: Cow<'a, str>,
    pub(super) description: Option<Cow<'a, str>>,
    pub(super) parameters: Option<&'a RawValue>,
}

pub(super) fn function_def_in<'a>(o: &ObjectView<'a>) -> Result<FunctionDefIn<'a>, Shape> {
    Ok(FunctionDefIn {
        name: req_str(o, "name")?,
        description: opt_str(o, "description")?,
        parameters: o.value("parameters"),
    })
}

// ---------------------------------------------------------------------------------------------
// Output shapes, written by hand (byte for byte what serde_json wrote for the former structs).

pub(super) enum Block<'a> {
    Text(Text<'a>, Option<&'a RawValue>),
    Image(ImageSource<'a>, Option<&'a RawValue>),
    /// `tool_use`: id, name, the `input` object's JSON text.
    ToolUse(String, Cow<'a, str>, Cow<'a, str>),
    /// `tool_result`: tool_use_id, content.
    ToolResult(String, Option<ToolResultContent<'a>>),
    /// An Anthropic-native block (thinking blocks sent back, `document`, ...), verbatim.
    Raw(&'a RawValue),
}

pub(super) enum ImageSource<'a> {
    Base64 { media_type: Cow<'a, str>, data: Cow<'a, str> },
    Url(Cow<'a, str>),
}

pub(super) enum ToolResultContent<'a> {
    Text(Text<'a>),
    Blocks(Vec<Block<'a>>),
}

pub(super) struct Turn<'a> {
    pub(super) role: &'static str,
    pub(super) blocks: Vec<Block<'a>>,
    /// The turn is one message with plain string content: sent as a string.
    pub(super) plain: bool,
}

pub(super) enum ToolOut<'a> {
    Function(FunctionDefIn<'a>, Option<&'a RawValue>),
    Raw(&'a RawValue),
}

pub(super) struct ToolChoiceOut<'a> {
    pub(super) kind: &'static str,
    pub(super) name: Option<Cow<'a, str>>,
    pub(super) disable_parallel_tool_use: Option<bool>,
}

pub(super) enum ThinkingOut<'a> {
    None,
    Raw(&'a RawValue),
    Budget(u64),
}

use crate::json::escape;
pub(super) use crate::json::write_str as string;

/// Appends `,"key":` (never the first member of an object).
pub(super) fn key(out: &mut Vec<u8>, key: &str) {
    out.push(b',');
    string(out, key);
    out.push(b':');
}

pub(super) fn raw_member(out: &mut Vec<u8>, k: &str, raw: &RawValue) {
    key(out, k);
    out.extend_from_slice(raw.get().as_bytes());
}

/// The separator before element `n` of an array.
pub(super) fn comma(out: &mut Vec<u8>, n: usize) {
    if n > 0 {
        out.push(b',');
    }
}

pub(super) fn write_text_block(out: &mut Vec<u8>, text: &Text<'_>, cache_control: Option<&RawValue>) {
    out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
    text.write(out);
    if let Some(cc) = cache_control {
        raw_member(out, "cache_control", cc);
    }
    out.push(b'}');
}

pub(super) fn write_block(out: &mut Vec<u8>, block: &Block<'_>) {
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
                    text.write(out);
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
pub(super) fn write_blocks(out: &mut Vec<u8>, blocks: &[Block<'_>], results_first: bool) {
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

pub(super) fn write_turn(out: &mut Vec<u8>, turn: &Turn<'_>) {
    out.extend_from_slice(b"{\"role\":");
    string(out, turn.role);
    key(out, "content");
    match turn.blocks.as_slice() {
        [Block::Text(text, None)] if turn.plain => text.write(out),
        blocks => write_blocks(out, blocks, turn.role == "user"),
    }
    out.push(b'}');
}

/// The top-level `system` member, when there is anything to send: an array of text blocks when
/// any part carries `cache_control`, else one string with the texts joined by a blank line.
pub(super) fn write_system(out: &mut Vec<u8>, parts: &[SystemPart<'_>], instruction: Option<&str>) {
    if parts.iter().any(|p| p.cache_control.is_some()) {
        key(out, "system");
        out.push(b'[');
        for (n, p) in parts.iter().enumerate() {
            comma(out, n);
            write_text_block(out, &p.text, p.cache_control);
        }
        if let Some(instruction) = instruction {
            out.push(b',');
            write_text_block(out, &Text::Str(Cow::Borrowed(instruction)), None);
        }
        out.push(b']');
    } else if !parts.is_empty() || instruction.is_some() {
        key(out, "system");
        out.push(b'"');
        for (n, p) in parts.iter().enumerate() {
            if n > 0 {
                out.extend_from_slice(b"\\n\\n");
            }
            p.text.write_content(out);
        }
        if let Some(instruction) = instruction {
            if !parts.is_empty() {
                out.extend_from_slice(b"\\n\\n");
            }
            escape(out, instruction);
        }
        out.push(b'"');
    }
}

pub(super) fn write_tool(out: &mut Vec<u8>, tool: &ToolOut<'_>) {
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

pub(super) fn write_tool_choice(out: &mut Vec<u8>, choice: &ToolChoiceOut<'_>) {
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
