//! Shared pieces of the fuzz targets: reading selector bytes off the front of an input,
//! cutting a body into chunks, the fixed provider set, and checkers for what a client may
//! receive (an OpenAI SSE stream, an Anthropic Messages SSE stream, header values).
//!
//! Input layout, common to the targets that chunk: one "chunking" byte whose low 4 bits are
//! a count `c`, then `c` chunk lengths (one byte each, 0 = an empty chunk), then the body. The
//! lengths are applied cyclically until the body is used up, so a handful of bytes cut a long
//! stream everywhere; with `c = 0` the body is one chunk. The seed script writes the same layout.

use providers::config::rules::RouteInfo;
use providers::{Engine, ProviderConfig};
use serde_json::Value;
use std::sync::Arc;

/// Bytes read off the front of a fuzz input; reads past the end give zeros.
pub struct Input<'a> {
    rest: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { rest: data }
    }

    pub fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }

    /// Reads the chunk lengths announced by the low 4 bits of `header`.
    pub fn chunking(&mut self, header: u8) -> Chunking {
        let count = usize::from(header & 0x0f);
        Chunking { lens: (0..count).map(|_| self.byte()).collect() }
    }

    pub fn rest(self) -> &'a [u8] {
        self.rest
    }
}

/// How to cut a body into chunks (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Chunking {
    pub lens: Vec<u8>,
}

impl Chunking {
    pub fn split<'b>(&self, body: &'b [u8]) -> Vec<&'b [u8]> {
        let total: usize = self.lens.iter().map(|&l| usize::from(l)).sum();
        if total == 0 {
            // Only empty chunks announced (or none): the empties, then the body whole.
            let mut out: Vec<&[u8]> = self.lens.iter().map(|_| &body[..0]).collect();
            out.push(body);
            return out;
        }
        let mut out = Vec::new();
        let mut rest = body;
        'outer: loop {
            for &l in &self.lens {
                if rest.is_empty() {
                    break 'outer;
                }
                let n = usize::from(l).min(rest.len());
                let (head, tail) = rest.split_at(n);
                out.push(head);
                rest = tail;
            }
        }
        out
    }
}

/// Compiles a configuration that must be valid and returns its global provider.
pub fn provider(config: &str) -> Arc<ProviderConfig> {
    let engine = Engine::compile(config.as_bytes()).unwrap_or_else(|e| panic!("fuzz config rejected: {e:?}"));
    engine
        .select(&RouteInfo { authority: "gateway.local", ..Default::default() })
        .cloned()
        .expect("fuzz config selects a provider")
}

/// Whether the bytes are one JSON document.
pub fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

/// A header value a proxy may send: no CR, LF or NUL.
pub fn check_header_value(name: &str, value: &str) {
    assert!(!value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0), "header {name} carries CR/LF/NUL: {value:?}");
    if name == ":path" {
        assert!(value.starts_with('/'), ":path must start with '/': {value:?}");
        assert!(
            value.bytes().all(|b| (0x21..0x7f).contains(&b)),
            ":path must be visible ASCII (RFC 3986 request-target): {value:?}"
        );
    }
}

/// An error body in the OpenAI shape: `{"error":{"message":"…","type":"…",…}}`.
pub fn check_openai_error(body: &[u8]) {
    let v: Value = serde_json::from_slice(body).unwrap_or_else(|e| panic!("error body not JSON ({e}): {body:?}"));
    let err = &v["error"];
    assert!(err["message"].is_string(), "error.message missing: {v}");
    assert!(err["type"].is_string(), "error.type missing: {v}");
}

/// An error body in the Anthropic shape: `{"type":"error","error":{"type":"…","message":"…"}}`.
pub fn check_anthropic_error(body: &[u8]) {
    let v: Value = serde_json::from_slice(body).unwrap_or_else(|e| panic!("error body not JSON ({e}): {body:?}"));
    assert_eq!(v["type"], "error", "Anthropic error type: {v}");
    assert!(v["error"]["type"].is_string() && v["error"]["message"].is_string(), "Anthropic error: {v}");
}

/// A translated OpenAI stream: `data: <JSON object>\n\n` events, an error event only right
/// before the end, and exactly one `data: [DONE]\n\n`, last.
pub fn check_openai_stream(out: &[u8]) {
    let text = std::str::from_utf8(out).unwrap_or_else(|_| panic!("stream not UTF-8: {out:?}"));
    assert!(text.ends_with("data: [DONE]\n\n"), "stream must end with [DONE]: {text:?}");
    let mut rest = text;
    let mut after_error = false;
    while !rest.is_empty() {
        let Some(end) = rest.find("\n\n") else { panic!("unterminated event in {text:?}") };
        let event = &rest[..end];
        rest = &rest[end + 2..];
        let Some(payload) = event.strip_prefix("data: ") else { panic!("not a data event: {event:?} in {text:?}") };
        assert!(!payload.contains('\n'), "multi-line event {event:?}");
        if payload == "[DONE]" {
            assert!(rest.is_empty(), "[DONE] before the end: {text:?}");
            continue;
        }
        assert!(!after_error, "an event after the error event: {text:?}");
        let v: Value = serde_json::from_str(payload).unwrap_or_else(|e| panic!("event not JSON ({e}): {payload:?}"));
        assert!(v.is_object(), "event not an object: {payload}");
        if v.get("error").is_some() {
            check_openai_error(payload.as_bytes());
            after_error = true;
        } else {
            assert_eq!(v["object"], "chat.completion.chunk", "not a chunk: {payload}");
            assert!(v["choices"].is_array(), "chunk without choices: {payload}");
        }
    }
}

/// A translated Anthropic Messages stream: `event: <name>\ndata: <JSON with type = name>\n\n`,
/// in the order the Messages API uses: `message_start`, content blocks one at a time with
/// increasing indexes (start, deltas of the block's kind, stop), `message_delta`,
/// `message_stop`; or an `error` event anywhere, which ends it.
pub fn check_anthropic_stream(out: &[u8]) {
    #[derive(Debug, PartialEq)]
    enum State {
        Start,
        Message,
        Block(u64, String),
        Delta,
        End,
    }
    let text = std::str::from_utf8(out).unwrap_or_else(|_| panic!("stream not UTF-8: {out:?}"));
    let mut state = State::Start;
    let mut next_index = 0u64;
    let mut rest = text;
    while !rest.is_empty() {
        let Some(end) = rest.find("\n\n") else { panic!("unterminated event in {text:?}") };
        let event = &rest[..end];
        rest = &rest[end + 2..];
        let Some((name_line, data_line)) = event.split_once('\n') else { panic!("bad event {event:?}") };
        let name = name_line.strip_prefix("event: ").unwrap_or_else(|| panic!("no event name: {event:?}"));
        let data = data_line.strip_prefix("data: ").unwrap_or_else(|| panic!("no data: {event:?}"));
        let v: Value = serde_json::from_str(data).unwrap_or_else(|e| panic!("event data not JSON ({e}): {data:?}"));
        assert_eq!(v["type"], name, "event name and data type differ: {event:?}");
        let index = v["index"].as_u64();
        state = match (state, name) {
            (State::End, _) => panic!("event after the end: {event:?} in {text:?}"),
            (_, "error") => {
                check_anthropic_error(data.as_bytes());
                State::End
            }
            (State::Start, "message_start") => {
                assert_eq!(v["message"]["type"], "message", "{data}");
                State::Message
            }
            (s @ (State::Message | State::Block(..)), "ping") => s,
            (State::Message, "content_block_start") => {
                assert_eq!(index, Some(next_index), "block index: {text:?}");
                let kind = v["content_block"]["type"].as_str().unwrap_or_else(|| panic!("block type: {data}"));
                assert!(matches!(kind, "text" | "thinking" | "redacted_thinking" | "tool_use"), "block type {kind}");
                next_index += 1;
                State::Block(next_index - 1, kind.to_string())
            }
            (State::Block(i, kind), "content_block_delta") => {
                assert_eq!(index, Some(i), "delta index: {text:?}");
                let delta = v["delta"]["type"].as_str().unwrap_or_default();
                let fits = match kind.as_str() {
                    "text" => delta == "text_delta",
                    "thinking" => delta == "thinking_delta" || delta == "signature_delta",
                    "tool_use" => delta == "input_json_delta",
                    _ => false,
                };
                assert!(fits, "{delta} in a {kind} block: {text:?}");
                State::Block(i, kind)
            }
            (State::Block(i, _), "content_block_stop") => {
                assert_eq!(index, Some(i), "stop index: {text:?}");
                State::Message
            }
            (State::Message, "message_delta") => {
                assert!(v["delta"]["stop_reason"].is_string(), "stop_reason: {data}");
                State::Delta
            }
            (State::Delta, "message_stop") => State::End,
            (s, n) => panic!("event {n} in state {s:?}: {text:?}"),
        };
    }
    assert_eq!(state, State::End, "the stream must end with message_stop or error: {text:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking_cycles_and_keeps_every_byte() {
        let c = Chunking { lens: vec![2, 0, 3] };
        assert_eq!(c.split(b"abcdefgh"), vec![&b"ab"[..], b"", b"cde", b"fg", b"", b"h"]);
        let c = Chunking { lens: vec![0, 0] };
        assert_eq!(c.split(b"ab"), vec![&b""[..], b"", b"ab"]);
        assert_eq!(Chunking::default().split(b"ab"), vec![&b"ab"[..]]);
    }

    #[test]
    fn stream_checkers_accept_good_streams() {
        check_openai_stream(b"data: {\"object\":\"chat.completion.chunk\",\"choices\":[]}\n\ndata: [DONE]\n\n");
        check_openai_stream(b"data: {\"error\":{\"message\":\"m\",\"type\":\"t\"}}\n\ndata: [DONE]\n\n");
        check_anthropic_stream(
            b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"type\":\"message\"}}\n\n\
event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\"}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\"}}\n\n\
event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        );
        check_anthropic_stream(
            b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"m\"}}\n\n",
        );
    }

    #[test]
    #[should_panic(expected = "must end with")]
    fn openai_checker_wants_done() {
        check_openai_stream(b"data: {\"object\":\"chat.completion.chunk\",\"choices\":[]}\n\n");
    }

    #[test]
    #[should_panic(expected = "must end with message_stop")]
    fn anthropic_checker_wants_an_end() {
        check_anthropic_stream(
            b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"type\":\"message\"}}\n\n",
        );
    }
}

/// The provider configurations the translation targets drive (index = selector value).
pub const PROVIDERS: [(&str, &str); 6] = [
    (
        "openai",
        r#"{"provider":{"type":"openai","apiTokens":["sk-a","sk-b"],
            "modelMapping":{"gpt-4o":"gpt-4o-2024-08-06","*":"gpt-4o-mini"},
            "customSettings":[{"name":"max_tokens","value":512},
                {"name":"temperature","value":0.7,"overwrite":false},
                {"name":"metadata.team","value":"search","mode":"raw"}]}}"#,
    ),
    (
        "azure",
        r#"{"provider":{"type":"azure","apiTokens":["sk-azure"],
            "azureServiceUrl":"https://r.openai.azure.com?api-version=2024-10-21",
            "modelMapping":{"gpt-4o":"prod-gpt4o"}}}"#,
    ),
    (
        "claude",
        r#"{"provider":{"type":"claude","apiTokens":["sk-ant"],
            "modelMapping":{"gpt-4o":"claude-sonnet-4-5"},
            "customSettings":[{"name":"top_k","value":5,"overwrite":false}]}}"#,
    ),
    (
        "gemini",
        r#"{"provider":{"type":"gemini","apiTokens":["AIza-token"],
            "geminiSafetySetting":{"HARM_CATEGORY_HARASSMENT":"BLOCK_ONLY_HIGH"},
            "modelMapping":{"gpt-4o":"gemini-2.5-flash"},
            "customSettings":[{"name":"max_tokens","value":256,"overwrite":false}]}}"#,
    ),
    (
        "qwen",
        r#"{"provider":{"type":"qwen","apiTokens":["sk-dashscope"],"qwenEnableSearch":true,
            "modelMapping":{"gpt-4o":"qwen-plus"}}}"#,
    ),
    (
        "qwen-compatible",
        r#"{"provider":{"type":"qwen","apiTokens":["sk-dashscope"],"qwenEnableCompatible":true,
            "modelMapping":{"gpt-4o":"qwen-plus"}}}"#,
    ),
];

/// The client API paths the request target chooses among.
pub const PATHS: [&str; 4] = ["/v1/chat/completions", "/v1/embeddings", "/v1/messages", "/v1/rerank"];
