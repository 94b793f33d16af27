//! Writing OpenAI chat requests, as every ingress must: the messages, content parts and tools
//! of the canonical request, written by hand (a derived `Serialize` costs kilobytes of Wasm).

use crate::ingress::ChatTarget;
use crate::json::write_str as push_str;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A JSON object written member by member, which remembers its keys (a later member must not
/// repeat one the translation wrote).
pub struct ObjWriter {
    buf: Vec<u8>,
    keys: Vec<String>,
}

impl ObjWriter {
    pub fn new(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity);
        buf.push(b'{');
        ObjWriter { buf, keys: Vec::new() }
    }

    /// Writes the key of a new member; its value is to be written into the returned buffer.
    pub fn member(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.keys.is_empty() {
            self.buf.push(b',');
        }
        push_str(&mut self.buf, key);
        self.buf.push(b':');
        self.keys.push(key.to_string());
        &mut self.buf
    }

    pub fn raw(&mut self, key: &str, json: &str) {
        self.member(key).extend_from_slice(json.as_bytes());
    }

    pub fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(b'}');
        self.buf
    }
}

pub struct ChatMessage<'a> {
    pub role: &'static str,
    pub content: OutContent<'a>,
    pub tool_calls: Vec<ToolCallOut<'a>>,
    pub tool_call_id: Option<Cow<'a, str>>,
    /// An assistant turn's thinking, for `reasoning_content` where the provider wants it back.
    pub reasoning: Option<String>,
}

impl<'a> ChatMessage<'a> {
    pub fn plain(role: &'static str, content: OutContent<'a>) -> Self {
        ChatMessage { role, content, tool_calls: Vec::new(), tool_call_id: None, reasoning: None }
    }
}

pub enum OutContent<'a> {
    Null,
    Text(Cow<'a, str>),
    /// A JSON string from the client's request, copied as it is: unescaping it and escaping it
    /// again would cost most of a long history's time (tool results are most of its bytes).
    Literal(&'a RawValue),
    Parts(Vec<Part<'a>>),
}

pub enum Part<'a> {
    Text {
        text: Text<'a>,
        cache_control: Option<&'a RawValue>,
    },
    ImageUrl {
        url: Cow<'a, str>,
        detail: Option<Cow<'a, str>>,
    },
    /// A file as a data URL (`file_data`), with its name.
    File {
        data: Cow<'a, str>,
        filename: Option<Cow<'a, str>>,
    },
    /// Base64 audio and its format (`wav`, `mp3`).
    InputAudio {
        data: Cow<'a, str>,
        format: Cow<'a, str>,
    },
}

pub struct ToolCallOut<'a> {
    pub id: Cow<'a, str>,
    pub name: Cow<'a, str>,
    pub arguments: String,
}

pub use crate::json::{literal, Text};

impl<'a> Text<'a> {
    /// The message content of this text alone.
    pub fn into_content(self) -> OutContent<'a> {
        match self {
            Text::Str(s) => OutContent::Text(s),
            Text::Literal(raw) => OutContent::Literal(raw),
        }
    }
}

pub struct ToolOut<'a> {
    pub name: Cow<'a, str>,
    pub description: Option<Text<'a>>,
    /// JSON Schema text.
    pub parameters: Option<&'a str>,
    pub strict: Option<bool>,
}

/// `[{"role", "content", "reasoning_content"?, "tool_calls"?, "tool_call_id"?}, …]`
pub fn write_chat_messages(out: &mut Vec<u8>, messages: &[ChatMessage<'_>], target: ChatTarget) {
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
            OutContent::Literal(raw) => out.extend_from_slice(raw.get().as_bytes()),
            OutContent::Parts(parts) => write_parts(out, parts, target.cache_control),
        }
        if let Some(reasoning) = m.reasoning.as_deref().filter(|_| target.reasoning_content) {
            out.extend_from_slice(b",\"reasoning_content\":");
            push_str(out, reasoning);
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

pub fn write_parts(out: &mut Vec<u8>, parts: &[Part<'_>], keep_cache_control: bool) {
    out.push(b'[');
    for (n, part) in parts.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match part {
            Part::Text { text, cache_control } => {
                out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
                text.write(out);
                if let Some(cc) = cache_control.filter(|_| keep_cache_control) {
                    out.extend_from_slice(b",\"cache_control\":");
                    out.extend_from_slice(cc.get().as_bytes());
                }
                out.push(b'}');
            }
            Part::ImageUrl { url, detail } => {
                out.extend_from_slice(b"{\"type\":\"image_url\",\"image_url\":{\"url\":");
                push_str(out, url);
                if let Some(detail) = detail {
                    out.extend_from_slice(b",\"detail\":");
                    push_str(out, detail);
                }
                out.extend_from_slice(b"}}");
            }
            Part::File { data, filename } => {
                out.extend_from_slice(b"{\"type\":\"file\",\"file\":{\"file_data\":");
                push_str(out, data);
                if let Some(name) = filename {
                    out.extend_from_slice(b",\"filename\":");
                    push_str(out, name);
                }
                out.extend_from_slice(b"}}");
            }
            Part::InputAudio { data, format } => {
                out.extend_from_slice(b"{\"type\":\"input_audio\",\"input_audio\":{\"data\":");
                push_str(out, data);
                out.extend_from_slice(b",\"format\":");
                push_str(out, format);
                out.extend_from_slice(b"}}");
            }
        }
    }
    out.push(b']');
}

/// `[{"type":"function","function":{"name","description"?,"parameters"?,"strict"?}}, …]`
pub fn write_tools(out: &mut Vec<u8>, tools: &[ToolOut<'_>]) {
    out.push(b'[');
    for (n, tool) in tools.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"type\":\"function\",\"function\":{\"name\":");
        push_str(out, &tool.name);
        if let Some(description) = &tool.description {
            out.extend_from_slice(b",\"description\":");
            description.write(out);
        }
        if let Some(parameters) = tool.parameters {
            out.extend_from_slice(b",\"parameters\":");
            out.extend_from_slice(parameters.as_bytes());
        }
        if let Some(strict) = tool.strict {
            out.extend_from_slice(if strict { b",\"strict\":true" } else { b",\"strict\":false" });
        }
        out.extend_from_slice(b"}}");
    }
    out.push(b']');
}
