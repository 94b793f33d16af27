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
use crate::json::{as_array, as_u64, opt_str, read_members, WrongType};
use serde::Serialize;
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

    let mut text = String::new();
    let mut reasoning: Option<String> = None;
    let mut thinking_blocks = Vec::new();
    let mut tool_calls = Vec::new();
    for raw in content {
        let Some(block) = block_in(raw) else { continue };
        match block.kind.as_ref() {
            "text" => text.push_str(block.text.as_deref().unwrap_or_default()),
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
                    kind: "function",
                    function: FunctionOut { name: block.name.unwrap_or_default(), arguments },
                });
            }
            _ => {}
        }
    }
    let has_text = !text.is_empty();
    let content = if has_text || tool_calls.is_empty() { Some(text) } else { None };

    let id = match msg.id {
        Some(id) => id,
        None => Cow::Owned(format!("msg_{:016x}", ctx.random)),
    };
    let out = ResponseOut {
        id,
        object: "chat.completion",
        created: ctx.created,
        model: msg.model.unwrap_or(Cow::Borrowed(ctx.model.as_str())),
        choices: [ChoiceOut {
            index: 0,
            message: MessageOut {
                role: "assistant",
                content,
                reasoning_content: reasoning,
                thinking_blocks: (!thinking_blocks.is_empty()).then_some(thinking_blocks),
                tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
            },
            logprobs: None,
            finish_reason: msg.stop_reason.as_deref().map(finish_reason),
        }],
        usage: msg.usage.as_ref().map(openai_usage),
    };
    serde_json::to_vec(&out).map_err(|_| ProxyError::bad_upstream("could not build the response"))
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
    text: Option<Cow<'a, str>>,
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
            text: opt_str(text)?,
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
// Output shapes.

#[derive(Serialize)]
struct ResponseOut<'a> {
    id: Cow<'a, str>,
    object: &'static str,
    created: u64,
    model: Cow<'a, str>,
    choices: [ChoiceOut<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<UsageOut>,
}

#[derive(Serialize)]
struct ChoiceOut<'a> {
    index: u32,
    message: MessageOut<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

#[derive(Serialize)]
struct MessageOut<'a> {
    role: &'static str,
    content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_blocks: Option<Vec<ThinkingBlockOut<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<Vec<ToolCallOut<'a>>>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ThinkingBlockOut<'a> {
    Thinking {
        thinking: Cow<'a, str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        signature: Option<Cow<'a, str>>,
    },
    RedactedThinking {
        data: Option<Cow<'a, str>>,
    },
}

#[derive(Serialize)]
struct ToolCallOut<'a> {
    id: Cow<'a, str>,
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionOut<'a>,
}

#[derive(Serialize)]
struct FunctionOut<'a> {
    name: Cow<'a, str>,
    arguments: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn ctx() -> TranslateCtx {
        TranslateCtx {
            model: "claude-mapped".into(),
            created: 1_700_000_000,
            random: 0xabc,
            include_usage: false,
            ..TranslateCtx::default()
        }
    }

    fn translate(body: &Value) -> Value {
        let out = translate_response(body.to_string().as_bytes(), &ctx()).unwrap();
        crate::json::from_bytes(&out).unwrap()
    }

    #[test]
    fn translates_responses() {
        let cases: Vec<(&str, Value, Value)> = vec![
            (
                "text blocks concatenated, cache usage",
                json!({"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant",
                    "model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hi! My name is Claude."},
                    {"type":"text","text":" Nice to meet you.","citations":null}],
                    "stop_reason":"end_turn","stop_sequence":null,
                    "usage":{"input_tokens":2095,"output_tokens":503,"cache_creation_input_tokens":100,
                        "cache_read_input_tokens":1000,"service_tier":"standard"}}),
                json!({"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","object":"chat.completion","created":1_700_000_000u64,
                    "model":"claude-sonnet-4-5-20250929","choices":[{"index":0,"message":{"role":"assistant",
                    "content":"Hi! My name is Claude. Nice to meet you."},"logprobs":null,"finish_reason":"stop"}],
                    "usage":{"prompt_tokens":3195,"completion_tokens":503,"total_tokens":3698,
                        "prompt_tokens_details":{"cached_tokens":1000}}}),
            ),
            (
                "thinking with signature, redacted thinking, parallel tool use",
                json!({"id":"msg_01A","type":"message","role":"assistant","model":"claude-sonnet-4-5",
                    "content":[
                        {"type":"thinking","thinking":"The user wants two cities.","signature":"EqQBCgIYAhIM"},
                        {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"},
                        {"type":"text","text":"I'll check both."},
                        {"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"location":"Paris","unit":"c"}},
                        {"type":"tool_use","id":"toolu_02","name":"get_weather","input":{"location":"Tokyo"}}],
                    "stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":20}}),
                json!({"id":"msg_01A","object":"chat.completion","created":1_700_000_000u64,"model":"claude-sonnet-4-5",
                    "choices":[{"index":0,"message":{"role":"assistant","content":"I'll check both.",
                        "reasoning_content":"The user wants two cities.",
                        "thinking_blocks":[{"type":"thinking","thinking":"The user wants two cities.","signature":"EqQBCgIYAhIM"},
                            {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}],
                        "tool_calls":[
                            {"id":"toolu_01","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\",\"unit\":\"c\"}"}},
                            {"id":"toolu_02","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Tokyo\"}"}}]},
                        "logprobs":null,"finish_reason":"tool_calls"}],
                    "usage":{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30}}),
            ),
            (
                "tool use only → content null; server tool blocks skipped; no model/id/usage",
                json!({"type":"message","role":"assistant","content":[
                    {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"x"}},
                    {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"https://a","title":"t"}]},
                    {"type":"some_future_block","payload":{"text":1}},
                    {"type":"tool_use","id":"toolu_3","name":"noop","input":{}}],
                    "stop_reason":"tool_use"}),
                json!({"id":"msg_0000000000000abc","object":"chat.completion","created":1_700_000_000u64,
                    "model":"claude-mapped","choices":[{"index":0,"message":{"role":"assistant","content":null,
                    "tool_calls":[{"id":"toolu_3","type":"function","function":{"name":"noop","arguments":"{}"}}]},
                    "logprobs":null,"finish_reason":"tool_calls"}]}),
            ),
            (
                "empty content, null stop reason",
                json!({"id":"msg_x","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,
                    "usage":{"input_tokens":5,"output_tokens":0}}),
                json!({"id":"msg_x","object":"chat.completion","created":1_700_000_000u64,"model":"m",
                    "choices":[{"index":0,"message":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],
                    "usage":{"prompt_tokens":5,"completion_tokens":0,"total_tokens":5}}),
            ),
        ];
        for (name, upstream, want) in cases {
            assert_eq!(translate(&upstream), want, "{name}");
        }
    }

    #[test]
    fn arguments_keep_key_order_and_are_compact() {
        let body = br#"{"id":"msg_1","type":"message","content":[{"type":"tool_use","id":"t","name":"f","input":{ "z" : 1, "a" : [1, 2] }}],"stop_reason":"tool_use"}"#;
        let v: Value = crate::json::from_bytes(&translate_response(body, &ctx()).unwrap()).unwrap();
        assert_eq!(v["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"], r#"{"z":1,"a":[1,2]}"#);
    }

    #[test]
    fn stop_reasons() {
        for (reason, want) in [
            ("end_turn", "stop"),
            ("stop_sequence", "stop"),
            ("pause_turn", "stop"),
            ("max_tokens", "length"),
            ("model_context_window_exceeded", "length"),
            ("tool_use", "tool_calls"),
            ("refusal", "content_filter"),
            ("something_new", "stop"),
        ] {
            let v = translate(
                &json!({"id":"m","type":"message","content":[{"type":"text","text":"x"}],"stop_reason":reason}),
            );
            assert_eq!(v["choices"][0]["finish_reason"], want, "{reason}");
        }
    }

    #[test]
    fn unreadable_responses_are_bad_upstream() {
        for body in [&b"not json"[..], b"[]", b"{\"type\":\"message\"}", b""] {
            let e = translate_response(body, &ctx()).unwrap_err();
            assert_eq!((e.status, e.kind), (502, "api_error"), "{}", String::from_utf8_lossy(body));
        }
        // An error sent with a 200.
        let e = translate_response(
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            &ctx(),
        )
        .unwrap_err();
        assert_eq!(
            (e.status, e.kind, e.message.as_str(), e.code),
            (503, "api_error", "Overloaded", Some("overloaded"))
        );
        let e =
            translate_response(br#"{"type":"error","error":{"type":"new_kind","message":"m"}}"#, &ctx()).unwrap_err();
        assert_eq!(e.status, 502);
    }

    #[test]
    fn translates_errors() {
        let anthropic = |kind: &str, message: &str| {
            json!({"type":"error","error":{"type":kind,"message":message},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"})
                .to_string()
        };
        let cases: Vec<(u16, String, u16, Value)> = vec![
            (
                400,
                anthropic("invalid_request_error", "messages: text content blocks must be non-empty"),
                400,
                json!({"message":"messages: text content blocks must be non-empty","type":"invalid_request_error","param":null,"code":null}),
            ),
            (
                401,
                anthropic("authentication_error", "invalid x-api-key"),
                401,
                json!({"message":"invalid x-api-key","type":"authentication_error","param":null,"code":null}),
            ),
            (
                402,
                anthropic("billing_error", "credit balance too low"),
                402,
                json!({"message":"credit balance too low","type":"insufficient_quota","param":null,"code":null}),
            ),
            (
                403,
                anthropic("permission_error", "no access"),
                403,
                json!({"message":"no access","type":"permission_error","param":null,"code":null}),
            ),
            (
                404,
                anthropic("not_found_error", "model: claude-x"),
                404,
                json!({"message":"model: claude-x","type":"not_found_error","param":null,"code":null}),
            ),
            (
                413,
                anthropic("request_too_large", "Request exceeds the maximum allowed number of bytes."),
                413,
                json!({"message":"Request exceeds the maximum allowed number of bytes.","type":"invalid_request_error","param":null,"code":"request_too_large"}),
            ),
            (
                429,
                anthropic("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
                429,
                json!({"message":"Number of request tokens has exceeded your per-minute rate limit","type":"rate_limit_error","param":null,"code":null}),
            ),
            (
                500,
                anthropic("api_error", "Internal server error"),
                500,
                json!({"message":"Internal server error","type":"api_error","param":null,"code":null}),
            ),
            (
                529,
                anthropic("overloaded_error", "Overloaded"),
                503,
                json!({"message":"Overloaded","type":"api_error","param":null,"code":"overloaded"}),
            ),
            (
                504,
                anthropic("timeout_error", "Request timed out"),
                504,
                json!({"message":"Request timed out","type":"api_error","param":null,"code":"timeout"}),
            ),
            (
                502,
                "<html>Bad Gateway</html>".into(),
                502,
                json!({"message":"upstream error (HTTP 502)","type":"api_error","param":null,"code":null}),
            ),
            (
                529,
                String::new(),
                503,
                json!({"message":"upstream error (HTTP 529)","type":"api_error","param":null,"code":null}),
            ),
            (
                418,
                json!({"type":"error","error":{"type":"teapot_error","message":"short and stout"}}).to_string(),
                418,
                json!({"message":"short and stout","type":"invalid_request_error","param":null,"code":null}),
            ),
            (
                400,
                json!({"error":{"message":"OpenAI-shaped","type":"invalid_request_error"}}).to_string(),
                400,
                json!({"message":"OpenAI-shaped","type":"invalid_request_error","param":null,"code":null}),
            ),
            (
                401,
                json!({"type":"error","error":{"type":"authentication_error"}}).to_string(),
                401,
                json!({"message":"upstream error (HTTP 401)","type":"authentication_error","param":null,"code":null}),
            ),
        ];
        for (status, body, want_status, want) in cases {
            let (s, out) = translate_error(status, body.as_bytes());
            let v: Value = crate::json::from_bytes(&out).unwrap();
            assert_eq!((s, &v["error"]), (want_status, &want), "{status} {body}");
        }
    }

    #[test]
    fn member_types_are_checked_like_serde() {
        // A member of the wrong type anywhere in the message: the response is unreadable.
        for body in [
            r#"{"type":"message","id":5,"content":[]}"#,
            r#"{"type":"message","model":{},"content":[]}"#,
            r#"{"type":"message","content":{}}"#,
            r#"{"type":"message","content":[],"stop_reason":1}"#,
            r#"{"type":"message","content":[],"usage":{"input_tokens":-1}}"#,
            r#"{"type":"message","content":[],"usage":{"output_tokens":1.5}}"#,
            r#"{"type":"message","content":[],"usage":"x"}"#,
            r#"{"type":"message","content":[],"error":{"message":5}}"#,
            r#"{"type":7,"content":[]}"#,
        ] {
            let e = translate_response(body.as_bytes(), &ctx()).unwrap_err();
            assert_eq!(
                (e.status, e.kind, e.message.as_str()),
                (502, "api_error", "the upstream response is not a valid Anthropic message"),
                "{body}"
            );
        }
        // Null is absent; a block with a bad member or no string type is skipped.
        let v = translate(&json!({"type":"message","id":null,"model":null,"stop_reason":null,"usage":null,
            "error":null,"content":[
                {"type":"text","text":"a"},
                {"type":"text","text":"b","name":5},
                {"type":"text","text":{"x":1}},
                {"type":null,"text":"c"},
                {"text":"d"},
                "e",
                {"type":"text","text":null},
                {"type":"thinking","thinking":null,"signature":null},
                {"type":"tool_use","id":null,"name":"f","input":null},
                {"type":"text","text":"g","input":[1],"citations":{"k":1}}]}));
        assert_eq!(
            v,
            json!({"id":"msg_0000000000000abc","object":"chat.completion","created":1_700_000_000u64,
                "model":"claude-mapped","choices":[{"index":0,"message":{"role":"assistant","content":"ag",
                "reasoning_content":"","thinking_blocks":[{"type":"thinking","thinking":""}],
                "tool_calls":[{"id":"","type":"function","function":{"name":"f","arguments":"{}"}}]},
                "logprobs":null,"finish_reason":null}]})
        );
        // Member names and strings are compared and read unescaped.
        let body = br#"{"type":"message","content":[{"ty\u0070e":"text","t\u0065xt":"\u0041\n\"\\","id":"\u0000"}]}"#;
        let v: Value = crate::json::from_bytes(&translate_response(body, &ctx()).unwrap()).unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], "A\n\"\\");
        // An unreadable error object leaves the generic message.
        for body in [r#"{"error":{"type":"rate_limit_error","message":5}}"#, r#"{"error":"x"}"#, "[]"] {
            let (s, out) = translate_error(429, body.as_bytes());
            let v: Value = crate::json::from_bytes(&out).unwrap();
            assert_eq!(
                (s, &v["error"]),
                (
                    429,
                    &json!({"message":"upstream error (HTTP 429)","type":"rate_limit_error","param":null,"code":null})
                ),
                "{body}"
            );
        }
        let u =
            usage_in(serde_json::from_str(r#"{"input_tokens":1,"output_tokens":null,"cache_creation":{}}"#).unwrap());
        assert_eq!(u.map(|u| (u.input_tokens, u.output_tokens)), Ok((Some(1), None)));
    }

    #[test]
    fn usage_mapping() {
        let u = UsageIn { input_tokens: Some(3), output_tokens: Some(4), ..UsageIn::default() };
        assert_eq!(openai_usage(&u), UsageOut::from_counts(3, 4, None, None, None));
        let u = UsageIn { cache_read_input_tokens: Some(0), ..u };
        assert_eq!(
            openai_usage(&u).prompt_tokens_details,
            Some(crate::dialect::openai::PromptTokensDetails { cached_tokens: 0 })
        );
    }
}
