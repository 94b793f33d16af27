use super::*;
use crate::stream::testing;

fn ctx() -> TranslateCtx {
    TranslateCtx {
        model: "deepseek-chat".into(),
        created: 1_700_000_000,
        random: 0xabc,
        include_usage: true,
        ..TranslateCtx::default()
    }
}

// ---- streams ----

/// A chat chunk after the end (ignored).
const LATE: &[u8] = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"late\"}}]}\n\n";

fn run_stream(chunks: &[&[u8]]) -> String {
    testing::run_chunks(Box::new(ChatToMessagesStream::new(ctx())), chunks, LATE)
}

/// The whole output, checked to be the same for every split point and byte by byte.
fn stream_output(input: &str) -> String {
    testing::assert_split_invariant(|| Box::new(ChatToMessagesStream::new(ctx())), LATE, input)
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
    ev("content_block_start", &format!(r#"{{"type":"content_block_start","index":{index},"content_block":{block}}}"#))
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
        block_start(i, r#"{"type":"text","text":""}"#) + &delta(i, &format!(r#"{{"type":"text_delta","text":"{t}"}}"#))
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
