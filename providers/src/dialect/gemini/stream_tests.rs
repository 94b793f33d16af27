use super::*;
use crate::stream::testing;

fn ctx(include_usage: bool) -> TranslateCtx {
    TranslateCtx {
        model: "gemini-mapped".into(),
        created: 1_700_000_000,
        random: 0xabc,
        include_usage,
        ..TranslateCtx::default()
    }
}

/// What arrives after the end (ignored).
const LATE: &[u8] = b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"late\"}]}}]}\n\n";

fn translator(include_usage: bool) -> Box<dyn StreamTranslator> {
    Box::new(GeminiToChatStream::new(ctx(include_usage)))
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

/// Gemini frames its events with CRLF (`data: {...}\r\n\r\n`).
fn sse(events: &[&str]) -> String {
    events.iter().map(|d| format!("data: {d}\r\n\r\n")).collect()
}

fn head(id: &str, model: &str) -> String {
    format!(
        r#"data: {{"id":"{id}","object":"chat.completion.chunk","created":1700000000,"model":"{model}","choices":["#
    )
}

/// Chunk builders for one stream head.
struct H(String);

impl H {
    fn new(id: &str, model: &str) -> Self {
        H(head(id, model))
    }
    fn chunk(&self, index: u32, delta: &str) -> String {
        format!("{}{{\"index\":{index},\"delta\":{delta},\"finish_reason\":null}}]}}\n\n", self.0)
    }
    fn role(&self, index: u32) -> String {
        self.chunk(index, r#"{"role":"assistant","content":""}"#)
    }
    fn finish(&self, index: u32, reason: &str) -> String {
        format!("{}{{\"index\":{index},\"delta\":{{}},\"finish_reason\":\"{reason}\"}}]}}\n\n", self.0)
    }
    fn usage(&self, u: &str) -> String {
        format!("{}],\"usage\":{u}}}\n\n", self.0)
    }
}

const DONE: &str = "data: [DONE]\n\n";

fn error(kind: &str, message: &str) -> String {
    error_with(kind, message, "null")
}

/// An error event with a code (`null` or a JSON string), then `[DONE]`.
fn error_with(kind: &str, message: &str, code: &str) -> String {
    format!("data: {{\"error\":{{\"message\":\"{message}\",\"type\":\"{kind}\",\"param\":null,\"code\":{code}}}}}\n\n{DONE}")
}

/// Text streamed in several events, the usage complete in the last one (shape of the
/// `streamGenerateContent` REST example of Google's text generation guide, gemini-2.5-flash:
/// the early events carry only the prompt count, the last one thoughts and candidates too).
const DOC_TEXT: &str = concat!(
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 11,\"totalTokenCount\": 11,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 11}]},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mAitaJ-9GP3VkdUP6MaB6Ak\"}\r\n\r\n",
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" old backpack sighed, its zipper a grumpy line.\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 11,\"totalTokenCount\": 11,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 11}]},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mAitaJ-9GP3VkdUP6MaB6Ak\"}\r\n\r\n",
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" Then it hummed.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 11,\"candidatesTokenCount\": 15,\"totalTokenCount\": 1014,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 11}],\"thoughtsTokenCount\": 988},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mAitaJ-9GP3VkdUP6MaB6Ak\"}\r\n\r\n",
);

#[test]
fn plain_text_stream_exact_bytes() {
    let h = H::new("chatcmpl-mAitaJ-9GP3VkdUP6MaB6Ak", "gemini-2.5-flash");
    let body = [
        h.role(0),
        h.chunk(0, r#"{"content":"The"}"#),
        h.chunk(0, r#"{"content":" old backpack sighed, its zipper a grumpy line."}"#),
        h.chunk(0, r#"{"content":" Then it hummed."}"#),
        h.finish(0, "stop"),
    ]
    .concat();
    assert_eq!(assert_split_invariant(false, DOC_TEXT), format!("{body}{DONE}"));
    let usage = h.usage(
        r#"{"prompt_tokens":11,"completion_tokens":1003,"total_tokens":1014,"completion_tokens_details":{"reasoning_tokens":988}}"#,
    );
    assert_eq!(assert_split_invariant(true, DOC_TEXT), format!("{body}{usage}{DONE}"));
    // The same stream with LF or CR line ends gives the same output.
    assert_eq!(run(true, &DOC_TEXT.replace("\r\n", "\n")), format!("{body}{usage}{DONE}"));
    assert_eq!(run(true, &DOC_TEXT.replace("\r\n", "\r")), format!("{body}{usage}{DONE}"));
}

/// The function calling example of Google's guide (parallel calls in one part list, a
/// thoughtSignature on the first call as Gemini 3 sends it), with a text part before the calls.
#[test]
fn function_calls_with_signature() {
    let input = sse(&[
        r#"{"candidates": [{"content": {"parts": [{"text": "Let me check both."}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 112,"totalTokenCount": 112},"modelVersion": "gemini-3-pro-preview","responseId": "resp_fc"}"#,
        r#"{"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_current_temperature","args": {"location": "London" , "unit": "celsius"}},"thoughtSignature": "CiQBcsjafE6uVj/Kqqdd0Q0Hq3ZcNpxz3E3cTkCULQqkEnCA0pYKXwGPPWtPbyEv=="},{"functionCall": {"name": "get_current_temperature","args": {"location": "Paris"}}},{"functionCall": {"id": "fc_given","name": "now"}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 112,"candidatesTokenCount": 40,"totalTokenCount": 250,"thoughtsTokenCount": 98},"modelVersion": "gemini-3-pro-preview","responseId": "resp_fc"}"#,
    ]);
    let h = H::new("chatcmpl-resp_fc", "gemini-3-pro-preview");
    let expected = [
        h.role(0),
        h.chunk(0, r#"{"content":"Let me check both."}"#),
        h.chunk(
            0,
            r#"{"tool_calls":[{"index":0,"id":"call_0000000000000abc_0","type":"function","function":{"name":"get_current_temperature","arguments":"{\"location\":\"London\",\"unit\":\"celsius\"}"},"extra_content":{"google":{"thought_signature":"CiQBcsjafE6uVj/Kqqdd0Q0Hq3ZcNpxz3E3cTkCULQqkEnCA0pYKXwGPPWtPbyEv=="}}}]}"#,
        ),
        h.chunk(
            0,
            r#"{"tool_calls":[{"index":1,"id":"call_0000000000000abc_1","type":"function","function":{"name":"get_current_temperature","arguments":"{\"location\":\"Paris\"}"}}]}"#,
        ),
        h.chunk(
            0,
            r#"{"tool_calls":[{"index":2,"id":"fc_given","type":"function","function":{"name":"now","arguments":"{}"}}]}"#,
        ),
        h.finish(0, "tool_calls"),
        h.usage(
            r#"{"prompt_tokens":112,"completion_tokens":138,"total_tokens":250,"completion_tokens_details":{"reasoning_tokens":98}}"#,
        ),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
}

/// Thinking with `includeThoughts`: thought summaries (`thought: true`), then the answer; the
/// signature on the first answer part (2.5) and on a final empty text part (3).
#[test]
fn thoughts_and_signatures() {
    let input = sse(&[
        r#"{"candidates": [{"content": {"parts": [{"text": "**Calculating the product**\n\nI'm multiplying 27 by 453.\n","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 14,"totalTokenCount": 14},"modelVersion": "gemini-2.5-pro","responseId": "th_1"}"#,
        r#"{"candidates": [{"content": {"parts": [{"text": "**Checking**\n\n27 × 453 = 12 231.","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 14,"totalTokenCount": 14},"modelVersion": "gemini-2.5-pro","responseId": "th_1"}"#,
        r#"{"candidates": [{"content": {"parts": [{"text": "27 × 453 = ","thoughtSignature": "EpYDCpMDAdHtim9sig1"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 14,"totalTokenCount": 14},"modelVersion": "gemini-2.5-pro","responseId": "th_1"}"#,
        r#"{"candidates": [{"content": {"parts": [{"text": "12,231"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 14,"totalTokenCount": 14},"modelVersion": "gemini-2.5-pro","responseId": "th_1"}"#,
        r#"{"candidates": [{"content": {"parts": [{"text": "","thoughtSignature": "AY89a18iOcFus5wr5bW5xN6zZ4aUiCyhgmg6HE2YjtYDV/dwZ5oZlZHeTmiUKv34qq0="}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 14,"candidatesTokenCount": 9,"totalTokenCount": 230,"cachedContentTokenCount": 0,"thoughtsTokenCount": 207},"modelVersion": "gemini-2.5-pro","responseId": "th_1"}"#,
    ]);
    let h = H::new("chatcmpl-th_1", "gemini-2.5-pro");
    let expected = [
        h.role(0),
        h.chunk(0, r#"{"reasoning_content":"**Calculating the product**\n\nI'm multiplying 27 by 453.\n"}"#),
        h.chunk(0, r#"{"reasoning_content":"**Checking**\n\n27 × 453 = 12 231."}"#),
        h.chunk(0, r#"{"content":"27 × 453 = ","extra_content":{"google":{"thought_signature":"EpYDCpMDAdHtim9sig1"}}}"#),
        h.chunk(0, r#"{"content":"12,231"}"#),
        h.chunk(
            0,
            r#"{"extra_content":{"google":{"thought_signature":"AY89a18iOcFus5wr5bW5xN6zZ4aUiCyhgmg6HE2YjtYDV/dwZ5oZlZHeTmiUKv34qq0="}}}"#,
        ),
        h.finish(0, "stop"),
        h.usage(
            r#"{"prompt_tokens":14,"completion_tokens":216,"total_tokens":230,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":207}}"#,
        ),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
}

/// `candidateCount: 2`: both candidates in the same events, finishing at different times; the
/// second one has a function call (its own tool index 0, a stream-wide generated id).
#[test]
fn two_candidates() {
    let input = sse(&[
        r#"{"candidates": [{"content": {"parts": [{"text": "Red"}],"role": "model"},"index": 0},{"content": {"parts": [{"text": "Blue"}],"role": "model"},"index": 1}],"usageMetadata": {"promptTokenCount": 6,"totalTokenCount": 6},"modelVersion": "gemini-2.5-flash","responseId": "two"}"#,
        r#"{"candidates": [{"content": {"parts": [{"functionCall": {"name": "paint","args": {}}}],"role": "model"},"index": 1},{"content": {"parts": [{"text": "!"}],"role": "model"},"finishReason": "MAX_TOKENS","index": 0}],"usageMetadata": {"promptTokenCount": 6,"totalTokenCount": 6},"modelVersion": "gemini-2.5-flash","responseId": "two"}"#,
        r#"{"candidates": [{"content": {"parts": [{"functionCall": {"name": "dry","args": {"minutes": 5}}}],"role": "model"},"finishReason": "STOP","index": 1}],"usageMetadata": {"promptTokenCount": 6,"candidatesTokenCount": 12,"totalTokenCount": 18},"modelVersion": "gemini-2.5-flash","responseId": "two"}"#,
    ]);
    let h = H::new("chatcmpl-two", "gemini-2.5-flash");
    let expected = [
        h.role(0),
        h.chunk(0, r#"{"content":"Red"}"#),
        h.role(1),
        h.chunk(1, r#"{"content":"Blue"}"#),
        h.chunk(
            1,
            r#"{"tool_calls":[{"index":0,"id":"call_0000000000000abc_0","type":"function","function":{"name":"paint","arguments":"{}"}}]}"#,
        ),
        h.chunk(0, r#"{"content":"!"}"#),
        h.finish(0, "length"),
        h.chunk(
            1,
            r#"{"tool_calls":[{"index":1,"id":"call_0000000000000abc_1","type":"function","function":{"name":"dry","arguments":"{\"minutes\":5}"}}]}"#,
        ),
        h.finish(1, "tool_calls"),
        h.usage(r#"{"prompt_tokens":6,"completion_tokens":12,"total_tokens":18}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    // Only candidate 0 finished: the stream ended early.
    let cut: String = input.split_inclusive("\r\n\r\n").take(2).collect();
    let partial = run(false, &cut);
    assert!(partial.ends_with(&error("api_error", "upstream stream ended early")), "{partial}");
    assert!(partial.contains(&h.finish(0, "length")));
}

/// A candidate stopped by the safety filters mid-answer: no content in the last event, its
/// safety ratings, `finishReason: SAFETY`.
#[test]
fn safety_stop() {
    let input = sse(&[
        r#"{"candidates": [{"content": {"parts": [{"text": "Here is how"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9},"modelVersion": "gemini-2.0-flash","responseId": "safe"}"#,
        r#"{"candidates": [{"finishReason": "SAFETY","index": 0,"safetyRatings": [{"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT","probability": "NEGLIGIBLE"},{"category": "HARM_CATEGORY_HATE_SPEECH","probability": "NEGLIGIBLE"},{"category": "HARM_CATEGORY_HARASSMENT","probability": "NEGLIGIBLE"},{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "HIGH","blocked": true}]}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 3,"totalTokenCount": 12},"modelVersion": "gemini-2.0-flash","responseId": "safe"}"#,
    ]);
    let h = H::new("chatcmpl-safe", "gemini-2.0-flash");
    let expected = [
        h.role(0),
        h.chunk(0, r#"{"content":"Here is how"}"#),
        h.finish(0, "content_filter"),
        h.usage(r#"{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
}

/// A blocked prompt: one event with `promptFeedback.blockReason` and no candidates.
#[test]
fn blocked_prompt() {
    let input = sse(&[
        r#"{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},"usageMetadata": {"promptTokenCount": 12559,"totalTokenCount": 12559},"modelVersion": "gemini-1.5-flash-002","responseId": "blk"}"#,
    ]);
    let expected = format!(
        "data: {{\"error\":{{\"message\":\"the prompt was blocked by Gemini (blockReason: PROHIBITED_CONTENT)\",\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"content_filter\"}}}}\n\n{DONE}"
    );
    assert_eq!(assert_split_invariant(true, &input), expected);
    // The same with the safety ratings and an empty candidate list.
    let input = sse(&[
        r#"{"candidates": [],"promptFeedback": {"blockReason": "SAFETY","safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "HIGH"}]}}"#,
    ]);
    assert!(run(false, &input).contains("(blockReason: SAFETY)\",\"type\":\"invalid_request_error\""));
    // Vertex adds a message; an event without a block reason is not an error by itself.
    let input = sse(&[r#"{"promptFeedback": {"blockReason": "OTHER","blockReasonMessage": "Unsupported language."}}"#]);
    assert!(run(false, &input).contains("(blockReason: OTHER): Unsupported language.\""));
    let input = sse(&[r#"{"promptFeedback": {"safetyRatings": []}}"#]);
    assert_eq!(run(false, &input), error("api_error", "upstream stream ended early"));
}

/// Google's error object sent as an event, mid-stream and first.
#[test]
fn error_events() {
    let input = sse(&[
        r#"{"candidates": [{"content": {"parts": [{"text": "Hel"}],"role": "model"},"index": 0}],"modelVersion": "gemini-2.5-flash","responseId": "err"}"#,
        r#"{"error": {"code": 503,"message": "The model is overloaded. Please try again later.","status": "UNAVAILABLE"}}"#,
        r#"{"candidates": [{"content": {"parts": [{"text": "lo"}],"role": "model"},"finishReason": "STOP","index": 0}],"modelVersion": "gemini-2.5-flash","responseId": "err"}"#,
    ]);
    let h = H::new("chatcmpl-err", "gemini-2.5-flash");
    let expected = [
        h.role(0),
        h.chunk(0, r#"{"content":"Hel"}"#),
        error_with("api_error", "The model is overloaded. Please try again later.", r#""unavailable""#),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    // The error translation is response.rs's (`google_error`); a few cases to show it is used.
    for (error_json, kind, message, code) in [
        (
            r#"{"error": {"code": 429,"message": "Resource has been exhausted (e.g. check quota).","status": "RESOURCE_EXHAUSTED"}}"#,
            "rate_limit_error",
            "Resource has been exhausted (e.g. check quota).",
            r#""resource_exhausted""#,
        ),
        (
            r#"{"error": {"code": 400,"message": "Request contains an invalid argument.","status": "INVALID_ARGUMENT"}}"#,
            "invalid_request_error",
            "Request contains an invalid argument.",
            r#""invalid_argument""#,
        ),
        (r#"{"error": {"code": 403,"message": "denied"}}"#, "permission_error", "denied", "null"),
        (
            r#"{"error": {"code": 500,"message": "An internal error has occurred.","status": "INTERNAL"}}"#,
            "api_error",
            "An internal error has occurred.",
            r#""internal""#,
        ),
        (
            r#"{"error": {"code": "weird","status": "NOT_FOUND"}}"#,
            "not_found_error",
            "upstream error (HTTP 502)",
            r#""not_found""#,
        ),
        (r#"{"error": {}}"#, "api_error", "upstream error (HTTP 502)", "null"),
    ] {
        assert_eq!(assert_split_invariant(false, &sse(&[error_json])), error_with(kind, message, code), "{error_json}");
    }
}

#[test]
fn truncated_streams_end_with_an_error() {
    let cut: String = DOC_TEXT.split_inclusive("\r\n\r\n").take(2).collect();
    let h = H::new("chatcmpl-mAitaJ-9GP3VkdUP6MaB6Ak", "gemini-2.5-flash");
    let expected = [
        h.role(0),
        h.chunk(0, r#"{"content":"The"}"#),
        h.chunk(0, r#"{"content":" old backpack sighed, its zipper a grumpy line."}"#),
        error("api_error", "upstream stream ended early"),
    ];
    assert_eq!(assert_split_invariant(true, &cut), expected.concat());
    // Cut inside the last event: its JSON is incomplete.
    let cut = &DOC_TEXT[..DOC_TEXT.len() - 40];
    let out = run(true, cut);
    assert!(out.ends_with(&error("api_error", "upstream stream event is not valid JSON")), "{out}");
    // Nothing at all, or only usage.
    assert_eq!(run(true, ""), error("api_error", "upstream stream ended early"));
    assert_eq!(
        run(true, "data: {\"usageMetadata\":{\"promptTokenCount\":3}}\n\n"),
        error("api_error", "upstream stream ended early")
    );
}

#[test]
fn last_event_without_blank_line_still_counts() {
    let input = DOC_TEXT.trim_end();
    let out = assert_split_invariant(false, input);
    assert!(out.ends_with(&format!("\"finish_reason\":\"stop\"}}]}}\n\n{DONE}")), "{out}");
}

#[test]
fn malformed_json_and_sse_errors() {
    let first = sse(&[r#"{"candidates":[{"content":{"parts":[{"text":"a"}]},"index":0}],"responseId":"m"}"#]);
    let h = H::new("chatcmpl-m", "gemini-mapped");
    let prefix = [h.role(0), h.chunk(0, r#"{"content":"a"}"#)].concat();
    for (event, message) in [
        ("{\"candidates\":[", "upstream stream event is not valid JSON"),
        ("not json", "upstream stream event is not valid JSON"),
        (r#"{"candidates":[{"content":{"parts":[{"text":5}]}}]}"#, "upstream stream event has an unexpected shape"),
        (r#"{"candidates":{"index":0}}"#, "upstream stream event has an unexpected shape"),
        (r#"[{"candidates":[]}]"#, "upstream stream event has an unexpected shape"),
        (r#"{"candidates":[{"content":{"parts":[{"text":"b"}]}}]} x"#, "upstream stream event is not valid JSON"),
        (r#"{"candidates":[{"content":{"parts":[{"text":"b"}]}}],}"#, "upstream stream event is not valid JSON"),
        (r#"{"candidates":[{"index":-1}]}"#, "upstream stream event has an unexpected shape"),
        (
            r#"{"candidates":[{"content":{"parts":[{"text":"b"}]}}],"usageMetadata":7}"#,
            "upstream stream event has an unexpected shape",
        ),
        (
            r#"{"candidates":[{"content":{"parts":[{"text":"b"}]}}],"modelVersion":1}"#,
            "upstream stream event has an unexpected shape",
        ),
        (
            r#"{"candidates":[{"content":{"parts":[{"thought":"yes"}]}}]}"#,
            "upstream stream event has an unexpected shape",
        ),
        (
            r#"{"error":{"code":503,"message":"m","status":"UNAVAILABLE"},"candidates":7}"#,
            "upstream stream event has an unexpected shape",
        ),
        (r#"{"error":{"message":5}}"#, "upstream stream event has an unexpected shape"),
        ("7", "upstream stream event has an unexpected shape"),
        ("null", "upstream stream event has an unexpected shape"),
    ] {
        let input = format!("{first}data: {event}\r\n\r\n");
        assert_eq!(
            assert_split_invariant(false, &input),
            format!("{prefix}{}", error("api_error", message)),
            "{event}"
        );
    }
    // Not UTF-8: the SSE decoder's error.
    let mut bytes = first.clone().into_bytes();
    bytes.extend_from_slice(b"data: \xff\r\n\r\n");
    assert_eq!(
        run_chunks(false, &[&bytes]),
        format!("{prefix}{}", error("api_error", "invalid upstream stream: stream event is not UTF-8"))
    );
    // An event over the decoder's limit.
    let mut t = GeminiToChatStream::new(ctx(false));
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
fn multibyte_utf8_and_line_ends_are_split_invariant() {
    let input = sse(&[
        r#"{"candidates": [{"content": {"parts": [{"text": "你好"}],"role": "model"},"index": 0}],"modelVersion": "gemini-2.5-flash","responseId": "u8"}"#,
        r#"{"candidates": [{"content": {"parts": [{"text": "，世界 🌏\n\"ok\"","thought": true}],"role": "model"},"index": 0}]}"#,
        r#"{"candidates": [{"content": {"parts": [{"text": "\u00e9\ud83d\ude00"},{"functionCall": {"name": "ünï","args": {"q": "日本語", "n": [1, 2.50, 1e3]}}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 5,"candidatesTokenCount": 7,"totalTokenCount": 12}}"#,
    ]);
    let h = H::new("chatcmpl-u8", "gemini-2.5-flash");
    let expected = [
        h.role(0),
        h.chunk(0, r#"{"content":"你好"}"#),
        h.chunk(0, r#"{"reasoning_content":"，世界 🌏\n\"ok\""}"#),
        h.chunk(0, r#"{"content":"é😀"}"#),
        h.chunk(
            0,
            r#"{"tool_calls":[{"index":0,"id":"call_0000000000000abc_0","type":"function","function":{"name":"ünï","arguments":"{\"q\":\"日本語\",\"n\":[1,2.50,1e3]}"}}]}"#,
        ),
        h.finish(0, "tool_calls"),
        h.usage(r#"{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    assert_eq!(run(true, &input.replace("\r\n", "\n")), expected.concat());
    assert_eq!(run(true, &input.replace("\r\n", "\r")), expected.concat());
}

#[test]
fn finish_reasons_map() {
    for (reason, calls, expected) in [
        ("STOP", false, "stop"),
        ("MAX_TOKENS", false, "length"),
        ("SAFETY", false, "content_filter"),
        ("RECITATION", false, "content_filter"),
        ("BLOCKLIST", false, "content_filter"),
        ("PROHIBITED_CONTENT", false, "content_filter"),
        ("SPII", false, "content_filter"),
        ("IMAGE_SAFETY", false, "content_filter"),
        ("OTHER", false, "stop"),
        ("LANGUAGE", false, "content_filter"),
        ("MALFORMED_FUNCTION_CALL", false, "stop"),
        ("FINISH_REASON_UNSPECIFIED", false, "stop"),
        ("SOMETHING_NEW", false, "stop"),
        ("STOP", true, "tool_calls"),
        // The calls are whole, but the output was cut: `length` says so.
        ("MAX_TOKENS", true, "length"),
        ("SAFETY", true, "content_filter"),
    ] {
        let call = if calls { r#"{"functionCall":{"name":"f"}}"# } else { r#"{"text":"x"}"# };
        let input = sse(&[&format!(
            r#"{{"candidates":[{{"content":{{"parts":[{call}]}},"finishReason":"{reason}","index":0}}]}}"#
        )]);
        let h = H::new("chatcmpl-0000000000000abc", "gemini-mapped");
        assert!(run(false, &input).ends_with(&format!("{}{DONE}", h.finish(0, expected))), "{reason} {calls}");
    }
}

#[test]
fn usage_mapping() {
    for (usage, expected) in [
        (
            r#"{"promptTokenCount":100,"candidatesTokenCount":20,"totalTokenCount":150,"cachedContentTokenCount":64,"thoughtsTokenCount":30,"toolUsePromptTokenCount":0}"#,
            r#"{"prompt_tokens":100,"completion_tokens":50,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":30}}"#,
        ),
        // Tool results the model read count as prompt.
        (
            r#"{"promptTokenCount":10,"toolUsePromptTokenCount":5,"candidatesTokenCount":2,"totalTokenCount":17}"#,
            r#"{"prompt_tokens":15,"completion_tokens":2,"total_tokens":17}"#,
        ),
        // No total: the sum.
        (
            r#"{"promptTokenCount":4,"candidatesTokenCount":2}"#,
            r#"{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}"#,
        ),
        (r#"{}"#, r#"{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}"#),
    ] {
        let input = sse(&[&format!(
            r#"{{"candidates":[{{"content":{{"parts":[{{"text":"x"}}]}},"finishReason":"STOP"}}],"usageMetadata":{usage}}}"#
        )]);
        let h = H::new("chatcmpl-0000000000000abc", "gemini-mapped");
        assert!(run(true, &input).ends_with(&format!("{}{DONE}", h.usage(expected))), "{usage}");
    }
    // No usage at all: zeros; without include_usage: no usage chunk.
    let input = sse(&[r#"{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}]}"#]);
    assert!(run(true, &input).contains(r#"],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}"#));
    assert!(!run(false, &input).contains("usage"));
}

/// Vertex-style streams omit `index` on candidate 0 and send no id; odd parts are skipped;
/// `[DONE]` and comments are ignored; only the first event's id and model are used.
#[test]
fn fallbacks_and_skipped_parts() {
    let input = concat!(
        ": keep-alive\n\n",
        "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hi\"}]}}],\"usageMetadata\":{\"trafficType\":\"ON_DEMAND\"}}\n\n",
        "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}},{\"executableCode\":{\"language\":\"PYTHON\",\"code\":\"print(1)\"}},{\"text\":\"\"},{\"thought\":true}]}}],\"modelVersion\":\"later-model\",\"responseId\":\"later\"}\n\n",
        "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[]},\"finishReason\":\"STOP\"}]}\n\n",
        "data: [DONE]\n\n",
    );
    let h = H::new("chatcmpl-0000000000000abc", "gemini-mapped");
    let expected = [h.role(0), h.chunk(0, r#"{"content":"Hi"}"#), h.finish(0, "stop"), DONE.into()];
    assert_eq!(assert_split_invariant(false, input), expected.concat());
    // A second finishReason for the same candidate is not a second finish chunk.
    let twice = sse(&[
        r#"{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP","index":0}]}"#,
        r#"{"candidates":[{"finishReason":"STOP","index":0}]}"#,
    ]);
    assert_eq!(
        run(false, &twice),
        [h.role(0), h.chunk(0, r#"{"content":"a"}"#), h.finish(0, "stop"), DONE.into()].concat()
    );
}

/// Several part kinds in one event: one reasoning delta, one content delta (texts joined, the
/// text signature on it), then the tool calls in order, each with its own signature.
#[test]
fn mixed_parts_in_one_event() {
    let input = sse(&[
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Plan: ","thought":true},{"text":"look it up.","thought":true},{"text":"Checking","thoughtSignature":"sigText"},{"functionCall":{"name":"search","args":{"q":"x"}},"thoughtSignature":"sigCall"},{"text":" now."},{"functionCall":{"name":"search","args":null}}]},"finishReason":"STOP","index":0}],"responseId":"mix","modelVersion":"gemini-3-flash-preview"}"#,
    ]);
    let h = H::new("chatcmpl-mix", "gemini-3-flash-preview");
    let expected = [
        h.role(0),
        h.chunk(0, r#"{"reasoning_content":"Plan: look it up."}"#),
        h.chunk(0, r#"{"content":"Checking now.","extra_content":{"google":{"thought_signature":"sigText"}}}"#),
        h.chunk(
            0,
            r#"{"tool_calls":[{"index":0,"id":"call_0000000000000abc_0","type":"function","function":{"name":"search","arguments":"{\"q\":\"x\"}"},"extra_content":{"google":{"thought_signature":"sigCall"}}}]}"#,
        ),
        h.chunk(
            0,
            r#"{"tool_calls":[{"index":1,"id":"call_0000000000000abc_1","type":"function","function":{"name":"search","arguments":"{}"}}]}"#,
        ),
        h.finish(0, "tool_calls"),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(false, &input), expected.concat());
}

#[test]
fn output_is_valid_openai_chunks() {
    let out = run(true, DOC_TEXT);
    for event in out.split("\n\n").filter(|e| !e.is_empty()) {
        let data = event.strip_prefix("data: ").unwrap();
        if data == "[DONE]" {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["object"], "chat.completion.chunk");
        assert_eq!(v["id"], "chatcmpl-mAitaJ-9GP3VkdUP6MaB6Ak");
        assert_eq!(v["created"], 1_700_000_000);
        assert!(v["choices"].is_array());
    }
}
