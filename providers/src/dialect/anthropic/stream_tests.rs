use super::*;
use crate::stream::testing;

fn ctx(include_usage: bool) -> TranslateCtx {
    TranslateCtx {
        model: "claude-mapped".into(),
        created: 1_700_000_000,
        random: 0xabc,
        include_usage,
        ..TranslateCtx::default()
    }
}

/// What arrives after the end (ignored).
const LATE: &[u8] = b"event: ping\ndata: {\"type\":\"ping\"}\n\n";

fn translator(include_usage: bool) -> Box<dyn StreamTranslator> {
    Box::new(MessagesToChatStream::new(ctx(include_usage)))
}

fn run_chunks(include_usage: bool, chunks: &[&[u8]]) -> String {
    testing::run_chunks(translator(include_usage), chunks, LATE)
}

fn run(include_usage: bool, input: &str) -> String {
    run_chunks(include_usage, &[input.as_bytes()])
}

fn assert_split_invariant(include_usage: bool, input: &str) -> String {
    testing::assert_split_invariant(|| translator(include_usage), LATE, input)
}

const HEAD: &str = r#"data: {"id":"msg_1","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4-5","choices":["#;

/// A content chunk of the `msg_1` / `claude-sonnet-4-5` streams.
fn chunk(delta: &str) -> String {
    format!("{HEAD}{{\"index\":0,\"delta\":{delta},\"finish_reason\":null}}]}}\n\n")
}

fn finish(reason: &str) -> String {
    format!("{HEAD}{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"{reason}\"}}]}}\n\n")
}

fn usage(u: &str) -> String {
    format!("{HEAD}],\"usage\":{u}}}\n\n")
}

const DONE: &str = "data: [DONE]\n\n";

fn error(kind: &str, message: &str) -> String {
    format!(
        "data: {{\"error\":{{\"message\":\"{message}\",\"type\":\"{kind}\",\"param\":null,\"code\":null}}}}\n\n{DONE}"
    )
}

/// Joins `(event, data)` pairs into an Anthropic SSE stream.
fn sse(events: &[(&str, &str)]) -> String {
    events.iter().map(|(e, d)| format!("event: {e}\ndata: {d}\n\n")).collect()
}

fn message_start(usage: &str) -> String {
    format!(
        r#"{{"type":"message_start","message":{{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{usage}}}}}"#
    )
}

/// The "basic streaming request" example of Anthropic's streaming guide, verbatim.
const DOC_BASIC: &str = r#"event: message_start
data: {"type": "message_start", "message": {"id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [], "model": "claude-3-5-sonnet-20241022", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}

event: content_block_start
data: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}}

event: content_block_stop
data: {"type": "content_block_stop", "index": 0}

event: message_delta
data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}}

event: message_stop
data: {"type": "message_stop"}

"#;

#[test]
fn basic_text_stream_exact_bytes() {
    let h = r#"data: {"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","object":"chat.completion.chunk","created":1700000000,"model":"claude-3-5-sonnet-20241022","choices":["#;
    let body = [
        format!(
            "{h}{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\"}},\"finish_reason\":null}}]}}\n\n"
        ),
        format!("{h}{{\"index\":0,\"delta\":{{\"content\":\"Hello\"}},\"finish_reason\":null}}]}}\n\n"),
        format!("{h}{{\"index\":0,\"delta\":{{\"content\":\"!\"}},\"finish_reason\":null}}]}}\n\n"),
        format!("{h}{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}\n\n"),
    ]
    .concat();
    assert_eq!(assert_split_invariant(false, DOC_BASIC), format!("{body}{DONE}"));
    let usage = format!("{h}],\"usage\":{{\"prompt_tokens\":25,\"completion_tokens\":15,\"total_tokens\":40}}}}\n\n");
    assert_eq!(assert_split_invariant(true, DOC_BASIC), format!("{body}{usage}{DONE}"));
}

/// The "streaming request with tool use" example of the guide (text block, then a tool_use
/// block with `input_json_delta`), plus a second, parallel tool call.
#[test]
fn tool_use_with_input_json_delta() {
    let d = |i: u32, kind: &str, field: &str, v: &str| {
        format!(
            r#"{{"type":"content_block_delta","index":{i},"delta":{{"type":"{kind}","{field}":{}}}}}"#,
            serde_json::to_string(v).unwrap()
        )
    };
    let json = |i, v| d(i, "input_json_delta", "partial_json", v);
    let start = message_start(r#"{"input_tokens":472,"output_tokens":2}"#);
    let mut events: Vec<(&str, String)> = vec![
        ("message_start", start),
        ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#.into()),
        ("ping", r#"{"type": "ping"}"#.into()),
        ("content_block_delta", d(0, "text_delta", "text", "Okay, let's check the weather for San Francisco, CA:")),
        ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#.into()),
        ("content_block_start", r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}"#.into()),
        ("content_block_delta", json(1, "")),
    ];
    for part in ["{\"location\":", " \"San", " Francisc", "o,", " CA\"", ", ", "\"unit\": \"fah", "renheit\"}"] {
        events.push(("content_block_delta", json(1, part)));
    }
    events.extend([
        ("content_block_stop", r#"{"type":"content_block_stop","index":1}"#.to_string()),
        ("content_block_start", r#"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}}"#.into()),
        ("content_block_delta", json(2, "{\"tz\": \"PST\"}")),
        ("content_block_stop", r#"{"type":"content_block_stop","index":2}"#.into()),
        ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#.into()),
        ("message_stop", r#"{"type":"message_stop"}"#.into()),
    ]);
    let pairs: Vec<(&str, &str)> = events.iter().map(|(e, d)| (*e, d.as_str())).collect();
    let input = sse(&pairs);
    let arg = |k: u32, a: &str| {
        chunk(&format!(
            r#"{{"tool_calls":[{{"index":{k},"function":{{"arguments":{}}}}}]}}"#,
            serde_json::to_string(a).unwrap()
        ))
    };
    let mut expected = vec![
        chunk(r#"{"role":"assistant","content":""}"#),
        chunk(r#"{"content":"Okay, let's check the weather for San Francisco, CA:"}"#),
        chunk(
            r#"{"tool_calls":[{"index":0,"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","type":"function","function":{"name":"get_weather","arguments":""}}]}"#,
        ),
    ];
    for part in ["{\"location\":", " \"San", " Francisc", "o,", " CA\"", ", ", "\"unit\": \"fah", "renheit\"}"] {
        expected.push(arg(0, part));
    }
    expected.extend([
        chunk(r#"{"tool_calls":[{"index":1,"id":"toolu_02","type":"function","function":{"name":"get_time","arguments":""}}]}"#),
        arg(1, "{\"tz\": \"PST\"}"),
        finish("tool_calls"),
        usage(r#"{"prompt_tokens":472,"completion_tokens":89,"total_tokens":561}"#),
        DONE.into(),
    ]);
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
}

/// The extended-thinking example of the guide: thinking_delta, signature_delta, then text.
/// Neither message_start nor message_delta carries usage there.
#[test]
fn extended_thinking_with_signature() {
    let input = r#"event: message_start
data: {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5", "stop_reason": null, "stop_sequence": null}}

event: content_block_start
data: {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me solve this step by step:\n\n1. First break down 27 * 453"}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "\n2. 453 = 400 + 50 + 3"}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."}}

event: content_block_stop
data: {"type": "content_block_stop", "index": 0}

event: content_block_start
data: {"type": "content_block_start", "index": 1, "content_block": {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"}}

event: content_block_stop
data: {"type": "content_block_stop", "index": 1}

event: content_block_start
data: {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "27 * 453 = 12,231"}}

event: content_block_stop
data: {"type": "content_block_stop", "index": 2}

event: message_delta
data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}}

event: message_stop
data: {"type": "message_stop"}

"#;
    let expected = [
        chunk(r#"{"role":"assistant","content":""}"#),
        chunk(r#"{"reasoning_content":"Let me solve this step by step:\n\n1. First break down 27 * 453"}"#),
        chunk(r#"{"reasoning_content":"\n2. 453 = 400 + 50 + 3"}"#),
        chunk(
            r#"{"thinking_blocks":[{"type":"thinking","thinking":"","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."}]}"#,
        ),
        chunk(
            r#"{"thinking_blocks":[{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"}]}"#,
        ),
        chunk(r#"{"content":"27 * 453 = 12,231"}"#),
        finish("stop"),
        usage(r#"{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, input), expected.concat());
}

/// The guide's error event, mid-stream: an OpenAI error event, [DONE], nothing after.
#[test]
fn error_event_mid_stream() {
    let input = sse(&[
        ("message_start", &message_start(r#"{"input_tokens":10,"output_tokens":1}"#)),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#,
        ),
        ("error", r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo"}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ]);
    let expected = [
        chunk(r#"{"role":"assistant","content":""}"#),
        chunk(r#"{"content":"Hel"}"#),
        error("overloaded_error", "Overloaded"),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
}

#[test]
fn member_types_are_checked_like_serde() {
    let start = sse(&[("message_start", &message_start("{}"))]);
    let role = chunk(r#"{"role":"assistant","content":""}"#);
    let not_json = error("api_error", "upstream stream event is not valid JSON");
    let shape = error("api_error", "upstream stream event has an unexpected shape");
    let end = [finish("stop"), DONE.into()].concat();
    let cases: Vec<(&str, String)> = vec![
        // The envelope: an object whose `type` is a string (or absent / null).
        (r#"{"type":5}"#, not_json.clone()),
        ("5", not_json.clone()),
        (r#""message_stop""#, not_json.clone()),
        (r#"{"type":null,"index":"x","delta":[1],"message":5}"#, end.clone()),
        // content_block_start: translated types must have string members.
        (r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":5}}"#, shape.clone()),
        (
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"a","name":5}}"#,
            shape.clone(),
        ),
        (r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":{}}}"#, shape.clone()),
        (r#"{"type":"content_block_start","index":0,"content_block":{"type":5}}"#, shape.clone()),
        (r#"{"type":"content_block_start","index":0,"content_block":"text"}"#, shape.clone()),
        (r#"{"type":"content_block_start","index":0,"content_block":{"type":null,"text":5}}"#, end.clone()),
        (r#"{"type":"content_block_start","index":0,"content_block":{"text":"a"}}"#, end.clone()),
        (r#"{"type":"content_block_start","index":0,"content_block":null}"#, end.clone()),
        (
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"hologram","id":5,"input":1}}"#,
            end.clone(),
        ),
        (
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"a","id":null,"input":[1],"citations":{}}}"#,
            [chunk(r#"{"content":"a"}"#), end.clone()].concat(),
        ),
        (
            r#"{"type":"content_block_start","index":null,"content_block":{"type":"tool_use","id":null,"name":null,"input":null}}"#,
            [
                chunk(
                    r#"{"tool_calls":[{"index":0,"id":"","type":"function","function":{"name":"","arguments":""}}]}"#,
                ),
                end.clone(),
            ]
            .concat(),
        ),
        // content_block_delta: every known member is checked, whatever the delta type.
        (r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","text":5}}"#, shape.clone()),
        (
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","signature":[]}}"#,
            shape.clone(),
        ),
        (r#"{"type":"content_block_delta","index":0,"delta":{"type":1}}"#, shape.clone()),
        (r#"{"type":"content_block_delta","index":0,"delta":"text_delta"}"#, shape.clone()),
        (r#"{"type":"content_block_delta","index":0,"delta":null}"#, end.clone()),
        (r#"{"type":"content_block_delta","index":0,"delta":{"type":null,"text":"a"}}"#, end.clone()),
        (
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"t","text":null,"citation":{}}}"#,
            [chunk(r#"{"reasoning_content":"t"}"#), end.clone()].concat(),
        ),
        // Member names are compared unescaped; text is copied as the same JSON string.
        (
            r#"{"ty\u0070e":"content_block_delta","index":0,"delta":{"\u0074ype":"text_delta","te\u0078t":"a\u00e9\"b\\"}}"#,
            [chunk(r#"{"content":"a\u00e9\"b\\"}"#), end.clone()].concat(),
        ),
        // message_delta: usage counts are u64, the stop reason a string.
        (r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":-1}}"#, shape.clone()),
        (r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1.0}}"#, shape.clone()),
        (r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":7}"#, shape.clone()),
        (r#"{"type":"message_delta","delta":{"stop_reason":5}}"#, shape.clone()),
        (r#"{"type":"message_delta","delta":5}"#, shape.clone()),
        (r#"{"type":"message_delta","delta":null,"usage":null}"#, end.clone()),
        (
            r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":null}}"#,
            [finish("length"), DONE.into()].concat(),
        ),
        // message_start (a second one only updates usage): members checked all the same.
        (r#"{"type":"message_start","message":{"id":5}}"#, shape.clone()),
        (r#"{"type":"message_start","message":{"usage":{"input_tokens":"1"}}}"#, shape.clone()),
        (r#"{"type":"message_start","message":"m"}"#, shape.clone()),
        (r#"{"type":"message_start","message":{"id":null,"usage":null}}"#, end.clone()),
        // An unreadable error object is no error object.
        (r#"{"type":"error","error":{"type":"overloaded_error","message":5}}"#, error("api_error", "upstream error")),
        (r#"{"type":"error","error":"overloaded_error"}"#, error("api_error", "upstream error")),
        (r#"{"type":"error","error":{"type":null,"message":"m"}}"#, error("api_error", "m")),
    ];
    for (data, tail) in cases {
        let input = format!("{start}data: {data}\n\nevent: message_stop\ndata: {{\"type\":\"message_stop\"}}\n\n");
        assert_eq!(run(false, &input), format!("{role}{tail}"), "{data}");
    }
    // message_start's fields, when it is the first event.
    let input = "data: {\"type\":\"message_start\",\"message\":{\"id\":null,\"model\":null}}\n\ndata: {\"type\":\"message_stop\"}\n\n";
    assert!(run(false, input).starts_with(r#"data: {"id":"chatcmpl-0000000000000abc","object":"chat.completion.chunk","created":1700000000,"model":"claude-mapped","#));
    let input = "data: {\"type\":\"message_start\",\"message\":{\"model\":[]}}\n\n";
    assert_eq!(run(false, input), error("api_error", "upstream stream event has an unexpected shape"));
}

#[test]
fn error_event_before_anything() {
    let input = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}\n\n";
    assert_eq!(assert_split_invariant(false, input), error("api_error", "Internal server error"));
    // Missing details still give a well-formed error.
    assert_eq!(run(false, "event: error\ndata: {\"type\":\"error\"}\n\n"), error("api_error", "upstream error"));
}

#[test]
fn truncated_stream_ends_with_an_error() {
    let input = sse(&[
        ("message_start", &message_start(r#"{"input_tokens":10,"output_tokens":1}"#)),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
        ),
    ]);
    let expected = [
        chunk(r#"{"role":"assistant","content":""}"#),
        chunk(r#"{"content":"Hi"}"#),
        error("api_error", "upstream stream ended early"),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    // Even after message_delta, the end event is required.
    let input = format!(
        "{input}event: message_delta\ndata: {}\n\n",
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}"#
    );
    assert_eq!(
        run(true, &input),
        [
            chunk(r#"{"role":"assistant","content":""}"#),
            chunk(r#"{"content":"Hi"}"#),
            finish("stop"),
            error("api_error", "upstream stream ended early")
        ]
        .concat()
    );
    // Nothing at all.
    assert_eq!(run(true, ""), error("api_error", "upstream stream ended early"));
}

#[test]
fn last_event_without_blank_line_still_counts() {
    let input = DOC_BASIC.trim_end();
    assert!(input.ends_with("{\"type\": \"message_stop\"}"));
    let out = assert_split_invariant(false, input);
    assert!(out.ends_with(&format!("\"finish_reason\":\"stop\"}}]}}\n\n{DONE}")), "{out}");
}

#[test]
fn malformed_json_and_sse_errors() {
    let start = format!("event: message_start\ndata: {}\n\n", message_start("{}"));
    let role = chunk(r#"{"role":"assistant","content":""}"#);
    let cases: Vec<(String, String)> = vec![
        (
            format!("{start}event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\n\n"),
            error("api_error", "upstream stream event is not valid JSON"),
        ),
        (
            format!("{start}event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":5}}}}\n\n"),
            error("api_error", "upstream stream event has an unexpected shape"),
        ),
    ];
    for (input, tail) in cases {
        assert_eq!(assert_split_invariant(false, &input), format!("{role}{tail}"));
    }
    // Not UTF-8: the SSE decoder's error.
    let mut bytes = start.clone().into_bytes();
    bytes.extend_from_slice(b"event: content_block_delta\ndata: \xff\n\n");
    assert_eq!(
        run_chunks(false, &[&bytes]),
        format!("{role}{}", error("api_error", "invalid upstream stream: stream event is not UTF-8"))
    );
    // An event over the decoder's limit.
    let mut t = MessagesToChatStream::new(ctx(false));
    let mut out = Vec::new();
    t.feed(b"data: ", &mut out);
    t.feed(&vec![b'x'; crate::stream::sse::DEFAULT_MAX_EVENT + 1], &mut out);
    t.finish(&mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        error("api_error", "invalid upstream stream: stream event larger than the limit")
    );
}

#[test]
fn multibyte_utf8_and_crlf_are_split_invariant() {
    let input = sse(&[
        ("message_start", &message_start(r#"{"input_tokens":5,"output_tokens":1}"#)),
        ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
        ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"你好"}}"#),
        ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"，世界 🌏\n\"ok\""}}"#),
        ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\u00e9\ud83d\ude00"}}"#),
        ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":7}}"#),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ])
    .replace('\n', "\r\n");
    let expected = [
        chunk(r#"{"role":"assistant","content":""}"#),
        chunk(r#"{"content":"你好"}"#),
        chunk(r#"{"content":"，世界 🌏\n\"ok\""}"#),
        // Escapes reach the client as the upstream wrote them: the same JSON string.
        chunk(r#"{"content":"\u00e9\ud83d\ude00"}"#),
        finish("length"),
        usage(r#"{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    // The same stream with LF and with CR line ends gives the same output.
    assert_eq!(run(true, &input.replace("\r\n", "\n")), expected.concat());
    assert_eq!(run(true, &input.replace("\r\n", "\r")), expected.concat());
}

#[test]
fn stop_reasons_map_to_finish_reasons() {
    for (stop, finish_reason) in [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("something_new", "stop"),
    ] {
        let input = sse(&[
            ("message_start", &message_start("{}")),
            ("message_delta", &format!(r#"{{"type":"message_delta","delta":{{"stop_reason":"{stop}"}}}}"#)),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ]);
        let expected = [chunk(r#"{"role":"assistant","content":""}"#), finish(finish_reason), DONE.into()].concat();
        assert_eq!(run(false, &input), expected, "{stop}");
    }
}

#[test]
fn cache_usage_counts_into_prompt_tokens() {
    // Real shape of a current message_start (cache fields, service tier), and a message_delta
    // repeating the input counts; output_tokens is cumulative (the last value wins).
    let input = sse(&[
        (
            "message_start",
            &message_start(
                r#"{"input_tokens":29,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":0},"output_tokens":2,"service_tier":"standard"}"#,
            ),
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello!"}}"#,
        ),
        ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
        ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":4}}"#),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":29,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":6,"server_tool_use":null}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ]);
    let expected = [
        chunk(r#"{"role":"assistant","content":""}"#),
        chunk(r#"{"content":"Hello!"}"#),
        finish("stop"),
        usage(
            r#"{"prompt_tokens":2129,"completion_tokens":6,"total_tokens":2135,"prompt_tokens_details":{"cached_tokens":2000}}"#,
        ),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    // Zero cache counts are still cache info.
    let input = sse(&[
        ("message_start", &message_start(r#"{"input_tokens":3,"cache_read_input_tokens":0,"output_tokens":1}"#)),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ]);
    assert!(run(true, &input).contains(r#""usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"prompt_tokens_details":{"cached_tokens":0}}"#));
}

#[test]
fn server_tools_citations_and_unknown_events_are_skipped() {
    let input = sse(&[
        ("message_start", &message_start(r#"{"input_tokens":10,"output_tokens":1}"#)),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_014hJH82Qum7Td6UV8gDXThB","name":"web_search","input":{}}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"query\": \"weather NYC\"}"}}"#,
        ),
        ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"web_search_tool_result","tool_use_id":"srvtoolu_014hJH82Qum7Td6UV8gDXThB","content":[{"type":"web_search_result","title":"NYC","url":"https://example.com","encrypted_content":"Eo8B","page_age":null}]}}"#,
        ),
        ("content_block_stop", r#"{"type":"content_block_stop","index":1}"#),
        // A future block type whose fields clash with ours in type: skipped, not fatal.
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":2,"content_block":{"type":"hologram","text":{"x":1},"data":[1]}}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":3,"content_block":{"type":"text","text":"","citations":[]}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":3,"delta":{"type":"citations_delta","citation":{"type":"web_search_result_location","cited_text":"Sunny","url":"https://example.com","title":"NYC","encrypted_index":"Eo8B"}}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"Sunny."}}"#,
        ),
        ("mystery", r#"{"type":"mystery","delta":[1,2,3],"index":"x"}"#),
        ("content_block_stop", r#"{"type":"content_block_stop","index":3}"#),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":4,"content_block":{"type":"tool_use","id":"toolu_1","name":"lookup","input":{}}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":4,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#,
        ),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":20}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ]);
    let expected = [
        chunk(r#"{"role":"assistant","content":""}"#),
        chunk(r#"{"content":"Sunny."}"#),
        // The first client tool is index 0 even after a server tool block.
        chunk(
            r#"{"tool_calls":[{"index":0,"id":"toolu_1","type":"function","function":{"name":"lookup","arguments":""}}]}"#,
        ),
        chunk(r#"{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}"#),
        finish("tool_calls"),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(false, &input), expected.concat());
}

#[test]
fn type_in_data_wins_and_event_name_is_a_fallback() {
    // The `event:` line says ping, the data says text delta: the data wins. Without `type`,
    // the event name decides.
    let input = format!(
        "event: message_start\ndata: {}\n\nevent: ping\ndata: {}\n\nevent: content_block_delta\ndata: {}\n\ndata: {}\n\n",
        message_start("{}"),
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}"#,
        r#"{"index":0,"delta":{"type":"text_delta","text":"b"}}"#,
        r#"{"type":"message_stop"}"#,
    );
    let expected = [
        chunk(r#"{"role":"assistant","content":""}"#),
        chunk(r#"{"content":"a"}"#),
        chunk(r#"{"content":"b"}"#),
        finish("stop"),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(false, &input), expected.concat());
}

#[test]
fn missing_message_start_uses_fallbacks_and_done_data_ends() {
    // Some Anthropic-compatible servers skip message_start or end with `data: [DONE]`.
    let input = "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\ndata: [DONE]\n\n";
    let h = r#"data: {"id":"chatcmpl-0000000000000abc","object":"chat.completion.chunk","created":1700000000,"model":"claude-mapped","choices":["#;
    let expected = format!(
        "{h}{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\"}},\"finish_reason\":null}}]}}\n\n\
         {h}{{\"index\":0,\"delta\":{{\"content\":\"x\"}},\"finish_reason\":null}}]}}\n\n\
         {h}{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}\n\n\
         {h}],\"usage\":{{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}}}}\n\n{DONE}"
    );
    assert_eq!(assert_split_invariant(true, input), expected);
}

#[test]
fn tool_input_sent_up_front_becomes_the_arguments() {
    let input = sse(&[
        ("message_start", &message_start("{}")),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_9","name":"f","input":{"a": [1, "é"]}}}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_10","name":"g","input":{ }}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ]);
    let expected = [
        chunk(r#"{"role":"assistant","content":""}"#),
        chunk(
            r#"{"tool_calls":[{"index":0,"id":"toolu_9","type":"function","function":{"name":"f","arguments":"{\"a\": [1, \"é\"]}"}}]}"#,
        ),
        chunk(
            r#"{"tool_calls":[{"index":1,"id":"toolu_10","type":"function","function":{"name":"g","arguments":""}}]}"#,
        ),
        finish("stop"),
        DONE.into(),
    ];
    assert_eq!(run(false, &input), expected.concat());
}

#[test]
fn output_is_valid_openai_chunks() {
    // Every event of a translated stream is JSON of the documented shape.
    let out = run(true, DOC_BASIC);
    for event in out.split("\n\n").filter(|e| !e.is_empty()) {
        let data = event.strip_prefix("data: ").unwrap();
        if data == "[DONE]" {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["object"], "chat.completion.chunk");
        assert_eq!(v["created"], 1_700_000_000);
        assert!(v["choices"].is_array());
    }
}

#[test]
fn text_deltas_read_without_the_parser_translate_as_the_parser_does() {
    // Each text in Anthropic's own layout (the fast path) and in a layout only the JSON parser
    // reads (spaces, members reordered): the same chunks, byte for byte.
    let texts =
        [r#""plain""#, r#""""#, r#""quote \" back \\ slash \/ \n\t\r\b\f""#, r#""\u00e9 \ud83d\ude00""#, "\"é 😀\""];
    for text in texts {
        let fast =
            format!(r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":{text}}}}}"#);
        let general = format!(
            r#"{{ "index": 0, "type": "content_block_delta", "delta": {{"text": {text}, "type": "text_delta"}} }}"#
        );
        let stream = |data: &str| {
            sse(&[
                ("message_start", &message_start(r#"{"input_tokens":5,"output_tokens":1}"#)),
                ("content_block_delta", data),
                ("message_stop", r#"{"type":"message_stop"}"#),
            ])
        };
        assert_eq!(assert_split_invariant(false, &stream(&fast)), run(false, &stream(&general)), "{text}");
    }
    // Thinking and tool-argument pieces the same way (arguments go to the call of their block).
    let tool = r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get","input":{}}}"#;
    for (kind, member, piece) in [
        ("thinking_delta", "thinking", r#""hm \"x\" ok""#),
        ("input_json_delta", "partial_json", r#""{\"city\": \"Par""#),
    ] {
        let fast =
            format!(r#"{{"type":"content_block_delta","index":1,"delta":{{"type":"{kind}","{member}":{piece}}}}}"#);
        let general =
            format!(r#"{{"type":"content_block_delta","delta":{{"{member}":{piece},"type":"{kind}"}},"index":1}}"#);
        let stream = |data: &str| {
            sse(&[
                ("message_start", &message_start(r#"{"input_tokens":5,"output_tokens":1}"#)),
                ("content_block_start", tool),
                ("content_block_delta", data),
                ("message_stop", r#"{"type":"message_stop"}"#),
            ])
        };
        let out = assert_split_invariant(false, &stream(&fast));
        assert_eq!(out, run(false, &stream(&general)), "{kind}");
        assert!(out.contains(&piece[1..piece.len() - 1]), "{kind}: {out}");
    }
    // Not a text delta, or not a JSON string: the general path decides (here: malformed).
    for data in [
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":5}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}x"#,
        r#"{"type":"content_block_delta","index":,"delta":{"type":"text_delta","text":"a"}}"#,
    ] {
        let out = run(false, &sse(&[("content_block_delta", data)]));
        assert!(out.contains("\"error\""), "{data}: {out}");
    }
}
