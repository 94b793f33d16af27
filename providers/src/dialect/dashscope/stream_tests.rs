use super::*;
use crate::stream::testing;

fn ctx(include_usage: bool) -> TranslateCtx {
    TranslateCtx {
        model: "qwen-plus".into(),
        created: 1_700_000_000,
        random: 0xabc,
        include_usage,
        ..TranslateCtx::default()
    }
}

/// What arrives after the end (ignored).
const LATE: &[u8] = b"data:{\"output\":{\"choices\":[{\"message\":{\"content\":\"late\"}}]}}\n\n";

fn translator(include_usage: bool) -> Box<dyn StreamTranslator> {
    Box::new(DashScopeToChatStream::new(ctx(include_usage)))
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

/// DashScope's framing: `id:<n>`, `event:result`, the status comment, `data:` without a space.
fn sse(events: &[&str]) -> String {
    events
        .iter()
        .enumerate()
        .map(|(i, d)| format!("id:{}\nevent:result\n:HTTP_STATUS/200\ndata:{d}\n\n", i + 1))
        .collect()
}

/// Chunk builders for one stream head.
struct H(String);

impl H {
    fn new(id: &str) -> Self {
        H(format!(
            r#"data: {{"id":"{id}","object":"chat.completion.chunk","created":1700000000,"model":"qwen-plus","choices":["#
        ))
    }
    fn chunk(&self, index: u32, delta: &str) -> String {
        format!("{}{{\"index\":{index},\"delta\":{delta},\"finish_reason\":null}}]}}\n\n", self.0)
    }
    fn role(&self, index: u32) -> String {
        self.chunk(index, r#"{"role":"assistant","content":""}"#)
    }
    fn content(&self, index: u32, text: &str) -> String {
        self.chunk(index, &format!("{{\"content\":{}}}", serde_json::to_string(text).unwrap()))
    }
    fn reasoning(&self, index: u32, text: &str) -> String {
        self.chunk(index, &format!("{{\"reasoning_content\":{}}}", serde_json::to_string(text).unwrap()))
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

/// The shape of the streaming example of DashScope's web search guide (qwen-plus,
/// `incremental_output: true`): a first event with empty content, an empty `usage` and the
/// search results, text deltas with cumulative usage, a last event with empty content and
/// `finish_reason: stop`.
const DOC_TEXT: &str = concat!(
    "id:1\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}],\"search_info\":{\"search_results\":[{\"site_name\":\"百家号\",\"index\":1,\"title\":\"杭州天气\",\"url\":\"https://baijiahao.baidu.com/s?id=1\"}]}},\"usage\":{},\"request_id\":\"785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c\"}\n\n",
    "id:2\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"根据\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}],\"search_info\":{\"extra_tool_info\":[],\"search_results\":[]}},\"usage\":{\"total_tokens\":2941,\"output_tokens\":1,\"input_tokens\":2940,\"plugins\":{\"search\":{\"count\":1}},\"prompt_tokens_details\":{\"cached_tokens\":0}},\"request_id\":\"785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c\"}\n\n",
    "id:3\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"现有\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}],\"search_info\":{\"extra_tool_info\":[],\"search_results\":[]}},\"usage\":{\"total_tokens\":2942,\"output_tokens\":2,\"input_tokens\":2940,\"plugins\":{\"search\":{\"count\":1}},\"prompt_tokens_details\":{\"cached_tokens\":0}},\"request_id\":\"785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c\"}\n\n",
    "id:4\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"资料，建议根据天气变化调整出行安排。\",\"role\":\"assistant\"},\"finish_reason\":\"null\"}],\"search_info\":{\"extra_tool_info\":[],\"search_results\":[]}},\"usage\":{\"total_tokens\":2953,\"output_tokens\":13,\"input_tokens\":2940,\"plugins\":{\"search\":{\"count\":1}},\"prompt_tokens_details\":{\"cached_tokens\":0}},\"request_id\":\"785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c\"}\n\n",
    "id:5\nevent:result\n:HTTP_STATUS/200\ndata:{\"output\":{\"choices\":[{\"message\":{\"content\":\"\",\"role\":\"assistant\"},\"finish_reason\":\"stop\"}],\"search_info\":{\"extra_tool_info\":[],\"search_results\":[]}},\"usage\":{\"total_tokens\":2953,\"output_tokens\":13,\"input_tokens\":2940,\"plugins\":{\"search\":{\"count\":1}},\"prompt_tokens_details\":{\"cached_tokens\":0}},\"request_id\":\"785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c\"}\n\n",
);

#[test]
fn incremental_text_with_usage_exact_bytes() {
    let h = H::new("785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c");
    let body = [
        h.role(0),
        h.content(0, "根据"),
        h.content(0, "现有"),
        h.content(0, "资料，建议根据天气变化调整出行安排。"),
        h.finish(0, "stop"),
    ]
    .concat();
    assert_eq!(assert_split_invariant(false, DOC_TEXT), format!("{body}{DONE}"));
    let usage = h.usage(
        r#"{"prompt_tokens":2940,"completion_tokens":13,"total_tokens":2953,"prompt_tokens_details":{"cached_tokens":0}}"#,
    );
    let want = format!("{body}{usage}{DONE}");
    assert_eq!(assert_split_invariant(true, DOC_TEXT), want);
    // CRLF and CR line ends give the same output, split anywhere.
    assert_eq!(assert_split_invariant(true, &DOC_TEXT.replace('\n', "\r\n")), want);
    assert_eq!(run(true, &DOC_TEXT.replace('\n', "\r")), want);
}

/// qwen3 with `enable_thinking`: reasoning deltas (content ""), an empty event between the
/// stages, then the answer (reasoning ""), as in DashScope's deep thinking / code interpreter
/// guides; usage with `output_tokens_details.reasoning_tokens`.
#[test]
fn reasoning_then_content() {
    let input = sse(&[
        r#"{"output":{"choices":[{"message":{"content":"","reasoning_content":"The","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":290,"output_tokens":3,"input_tokens":287,"output_tokens_details":{"reasoning_tokens":1}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","reasoning_content":" user is asking for 123^21.","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":293,"output_tokens":6,"input_tokens":287,"output_tokens_details":{"reasoning_tokens":4}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","reasoning_content":"","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":293,"output_tokens":6,"input_tokens":287,"output_tokens_details":{"reasoning_tokens":4}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
        r#"{"output":{"choices":[{"message":{"content":"123 to the power of ","reasoning_content":"","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":947,"output_tokens":213,"input_tokens":734,"output_tokens_details":{"reasoning_tokens":171}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
        r#"{"output":{"choices":[{"message":{"content":"21 is 77269364466549865653073473388030061522211723","reasoning_content":"","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":997,"output_tokens":263,"input_tokens":734,"output_tokens_details":{"reasoning_tokens":171}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","reasoning_content":"","role":"assistant"},"finish_reason":"stop"}]},"usage":{"total_tokens":997,"output_tokens":263,"input_tokens":734,"output_tokens_details":{"reasoning_tokens":171}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}"#,
    ]);
    let h = H::new("a1959ad1-2637-4672-a21f-4d351371d254");
    let expected = [
        h.role(0),
        h.reasoning(0, "The"),
        h.reasoning(0, " user is asking for 123^21."),
        h.content(0, "123 to the power of "),
        h.content(0, "21 is 77269364466549865653073473388030061522211723"),
        h.finish(0, "stop"),
        h.usage(r#"{"prompt_tokens":734,"completion_tokens":263,"total_tokens":997,"completion_tokens_details":{"reasoning_tokens":171}}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
}

/// Parallel tool calls streamed incrementally (the shape of DashScope's function calling
/// stream with `incremental_output: true`): per call a first fragment with index, id, type,
/// name and the start of the arguments, then `"id":""` fragments with more arguments.
#[test]
fn tool_calls() {
    let input = sse(&[
        r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":0,"id":"call_30817ba5d0b349ed88ddcc","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\":"}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":280,"output_tokens":8,"input_tokens":272},"request_id":"tc-0f8e"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":0,"id":"","type":"function","function":{"arguments":" \"浙江省杭州市\", \""}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":286,"output_tokens":14,"input_tokens":272},"request_id":"tc-0f8e"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":0,"id":"","type":"function","function":{"arguments":"unit\": \"celsius\"}"}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":290,"output_tokens":18,"input_tokens":272},"request_id":"tc-0f8e"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":1,"id":"call_566994452aec418d930430","type":"function","function":{"name":"get_current_weather","arguments":"{\"location"}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":296,"output_tokens":24,"input_tokens":272},"request_id":"tc-0f8e"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":1,"id":"","type":"function","function":{"arguments":"\": \"上海市\", \"unit"}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":301,"output_tokens":29,"input_tokens":272},"request_id":"tc-0f8e"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":1,"id":"","type":"function","function":{"arguments":"\": \"celsius\"}"}}],"role":"assistant"},"index":0,"finish_reason":"null"}]},"usage":{"total_tokens":305,"output_tokens":33,"input_tokens":272},"request_id":"tc-0f8e"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","role":"assistant"},"index":0,"finish_reason":"tool_calls"}]},"usage":{"total_tokens":305,"output_tokens":33,"input_tokens":272},"request_id":"tc-0f8e"}"#,
    ]);
    let h = H::new("tc-0f8e");
    let expected = [
        h.role(0),
        h.chunk(0, r#"{"tool_calls":[{"index":0,"id":"call_30817ba5d0b349ed88ddcc","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\":"}}]}"#),
        h.chunk(0, r#"{"tool_calls":[{"index":0,"function":{"arguments":" \"浙江省杭州市\", \""}}]}"#),
        h.chunk(0, r#"{"tool_calls":[{"index":0,"function":{"arguments":"unit\": \"celsius\"}"}}]}"#),
        h.chunk(0, r#"{"tool_calls":[{"index":1,"id":"call_566994452aec418d930430","type":"function","function":{"name":"get_current_weather","arguments":"{\"location"}}]}"#),
        h.chunk(0, r#"{"tool_calls":[{"index":1,"function":{"arguments":"\": \"上海市\", \"unit"}}]}"#),
        h.chunk(0, r#"{"tool_calls":[{"index":1,"function":{"arguments":"\": \"celsius\"}"}}]}"#),
        h.finish(0, "tool_calls"),
        h.usage(r#"{"prompt_tokens":272,"completion_tokens":33,"total_tokens":305}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
}

/// Calls without `index` or `id` (older models: `"id":""`, the whole call in one fragment,
/// repeated ids and names), text before them; `finish_reason` as DashScope sent it.
#[test]
fn tool_calls_without_index_or_id() {
    let input = sse(&[
        r#"{"output":{"choices":[{"message":{"content":"Let me check.","role":"assistant"},"finish_reason":"null"}]},"request_id":"old-1"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","role":"assistant","tool_calls":[{"function":{"name":"echo","arguments":"{\"words\": \"HELLO!\"}"},"id":"","type":"function"}]},"finish_reason":"null"}]},"request_id":"old-1"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","role":"assistant","tool_calls":[{"function":{"name":"now","arguments":""},"id":"call_b","type":"function"}]},"finish_reason":"null"}]},"request_id":"old-1"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","role":"assistant","tool_calls":[{"function":{"name":"now","arguments":"{}"},"id":"call_b","type":"function"}]},"finish_reason":"null"}]},"request_id":"old-1"}"#,
        r#"{"output":{"choices":[{"message":{"content":"","role":"assistant","tool_calls":[{"function":{"name":"now","arguments":"{}"},"id":"call_c","type":"function"}]},"finish_reason":"stop"}]},"request_id":"old-1"}"#,
    ]);
    let h = H::new("old-1");
    let expected = [
        h.role(0),
        h.content(0, "Let me check."),
        h.chunk(0, r#"{"tool_calls":[{"index":0,"id":"call_0000000000000abc_0","type":"function","function":{"name":"echo","arguments":"{\"words\": \"HELLO!\"}"}}]}"#),
        h.chunk(0, r#"{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"now","arguments":""}}]}"#),
        h.chunk(0, r#"{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}"#),
        h.chunk(0, r#"{"tool_calls":[{"index":2,"id":"call_c","type":"function","function":{"name":"now","arguments":"{}"}}]}"#),
        h.finish(0, "stop"),
        h.usage(r#"{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
}

/// `incremental_output` ignored: every event holds the whole text so far (the qwen2-style
/// stream), and the last event repeats it with `finish_reason`.
#[test]
fn cumulative_text() {
    let input = sse(&[
        r#"{"output":{"choices":[{"message":{"content":"我是","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":11,"input_tokens":10,"output_tokens":1},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}"#,
        r#"{"output":{"choices":[{"message":{"content":"我是阿里","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":12,"input_tokens":10,"output_tokens":2},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}"#,
        r#"{"output":{"choices":[{"message":{"content":"我是阿里云开发的","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":14,"input_tokens":10,"output_tokens":4},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}"#,
        r#"{"output":{"choices":[{"message":{"content":"我是阿里云开发的通义千问。","role":"assistant"},"finish_reason":"null"}]},"usage":{"total_tokens":17,"input_tokens":10,"output_tokens":7},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}"#,
        r#"{"output":{"choices":[{"message":{"content":"我是阿里云开发的通义千问。","role":"assistant"},"finish_reason":"stop"}]},"usage":{"total_tokens":17,"input_tokens":10,"output_tokens":7},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}"#,
    ]);
    let h = H::new("755310ab-4b61-9f11-acad-d5921c3ba239");
    let expected = [
        h.role(0),
        h.content(0, "我是"),
        // The second value is held until the third confirms the mode.
        h.content(0, "阿里云开发的"),
        h.content(0, "通义千问。"),
        h.finish(0, "stop"),
        h.usage(r#"{"prompt_tokens":10,"completion_tokens":7,"total_tokens":17}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    // `result_format: text` (`output.text`), the same cumulative answer.
    let text: Vec<String> = [
        ("我是", "null"),
        ("我是阿里", "null"),
        ("我是阿里云开发的", "null"),
        ("我是阿里云开发的通义千问。", "null"),
        ("我是阿里云开发的通义千问。", "stop"),
    ]
    .iter()
    .map(|(t, f)| {
        format!(
            r#"{{"output":{{"finish_reason":"{f}","text":"{t}"}},"usage":{{"total_tokens":17,"input_tokens":10,"output_tokens":7}},"request_id":"755310ab-4b61-9f11-acad-d5921c3ba239"}}"#
        )
    })
    .collect();
    let text: Vec<&str> = text.iter().map(String::as_str).collect();
    assert_eq!(assert_split_invariant(true, &sse(&text)), expected.concat());
}

/// Tools without incremental output (what the anchor requested): content and arguments are
/// snapshots; reasoning too, and it stops growing while the arguments grow.
#[test]
fn cumulative_reasoning_and_tool_calls() {
    let ev = |reasoning: &str, args: Option<&str>, finish: &str| {
        let calls = args.map_or(String::new(), |a| {
            format!(
                r#","tool_calls":[{{"index":0,"id":"call_9f2","type":"function","function":{{"name":"get_current_weather","arguments":{}}}}}]"#,
                serde_json::to_string(a).unwrap()
            )
        });
        format!(
            r#"{{"output":{{"choices":[{{"message":{{"content":"","reasoning_content":{}{calls},"role":"assistant"}},"finish_reason":"{finish}"}}]}},"usage":{{"input_tokens":200,"output_tokens":30,"total_tokens":230}},"request_id":"cum-2"}}"#,
            serde_json::to_string(reasoning).unwrap()
        )
    };
    let events = [
        ev("用户", None, "null"),
        ev("用户想知道", None, "null"),
        ev("用户想知道杭州天气。", None, "null"),
        ev("用户想知道杭州天气。", Some(""), "null"),
        ev("用户想知道杭州天气。", Some("{\"location\":"), "null"),
        ev("用户想知道杭州天气。", Some("{\"location\": \"杭州\"}"), "null"),
        ev("用户想知道杭州天气。", Some("{\"location\": \"杭州\"}"), "tool_calls"),
    ];
    let events: Vec<&str> = events.iter().map(String::as_str).collect();
    let h = H::new("cum-2");
    let expected = [
        h.role(0),
        h.reasoning(0, "用户"),
        h.reasoning(0, "想知道杭州天气。"),
        h.chunk(0, r#"{"tool_calls":[{"index":0,"id":"call_9f2","type":"function","function":{"name":"get_current_weather","arguments":""}}]}"#),
        // The stream is known to be cumulative: the arguments need no third value.
        h.chunk(0, r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]}"#),
        h.chunk(0, r#"{"tool_calls":[{"index":0,"function":{"arguments":" \"杭州\"}"}}]}"#),
        h.finish(0, "tool_calls"),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(false, &sse(&events)), expected.concat());
}

/// Multimodal models (qwen-vl) send content as a list of `{"text"}` items.
#[test]
fn multimodal_list_content() {
    let input = sse(&[
        r#"{"output":{"choices":[{"message":{"content":[{"text":"图片"}],"role":"assistant"},"finish_reason":"null"}]},"usage":{"input_tokens":1264,"output_tokens":1,"image_tokens":1230},"request_id":"9713405c-31b3-97a5-8e99-ac2c685798a0"}"#,
        r#"{"output":{"choices":[{"message":{"content":[{"text":"中有"}],"role":"assistant"},"finish_reason":"null"}]},"usage":{"input_tokens":1264,"output_tokens":2,"image_tokens":1230},"request_id":"9713405c-31b3-97a5-8e99-ac2c685798a0"}"#,
        r#"{"output":{"choices":[{"message":{"content":[{"text":"两"},{"image":"https://example.com/x.png"},{"text":"辆"}],"role":"assistant"},"finish_reason":"null"}]},"usage":{"input_tokens":1264,"output_tokens":4,"image_tokens":1230},"request_id":"9713405c-31b3-97a5-8e99-ac2c685798a0"}"#,
        r#"{"output":{"choices":[{"message":{"content":[{"text":"自行车。"}],"role":"assistant"},"finish_reason":"stop"}]},"usage":{"input_tokens":1264,"output_tokens":7,"image_tokens":1230},"request_id":"9713405c-31b3-97a5-8e99-ac2c685798a0"}"#,
    ]);
    let h = H::new("9713405c-31b3-97a5-8e99-ac2c685798a0");
    let expected = [
        h.role(0),
        h.content(0, "图片"),
        h.content(0, "中有"),
        h.content(0, "两辆"),
        h.content(0, "自行车。"),
        h.finish(0, "stop"),
        h.usage(r#"{"prompt_tokens":1264,"completion_tokens":7,"total_tokens":1271}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    // Empty lists, null content, items without text and content of another type are nothing.
    let input = sse(&[
        r#"{"output":{"choices":[{"message":{"content":[],"role":"assistant"},"finish_reason":"null"}]},"request_id":"mm"}"#,
        r#"{"output":{"choices":[{"message":{"content":null,"role":"assistant"},"finish_reason":"null"}]},"request_id":"mm"}"#,
        r#"{"output":{"choices":[{"message":{"content":5,"role":"assistant"},"finish_reason":"null"}]},"request_id":"mm"}"#,
        r#"{"output":{"choices":[{"message":{"content":[{"text":1}],"role":"assistant"},"finish_reason":"null"}]},"request_id":"mm"}"#,
        r#"{"output":{"choices":[{"message":{"content":[{"audio":{"id":"a"}}]},"finish_reason":"stop"}]},"request_id":"mm"}"#,
    ]);
    let h = H::new("mm");
    assert_eq!(run(false, &input), [h.role(0), h.finish(0, "stop"), DONE.into()].concat());
}

#[test]
fn error_events() {
    // First and only event: the documented error frame (HTTP 200 stream, status in a comment).
    let input = "id:1\nevent:error\n:HTTP_STATUS/400\ndata:{\"code\":\"InvalidParameter\",\"message\":\"Required parameter(AppId) missing or invalid, please check the request parameters.\",\"request_id\":\"d18bb1bc-3e36-90c4-8ec5-9f8513302004\"}\n\n";
    assert_eq!(
        assert_split_invariant(true, input),
        error_with(
            "invalid_request_error",
            "Required parameter(AppId) missing or invalid, please check the request parameters.",
            r#""InvalidParameter""#
        )
    );
    // Mid-stream: content inspection stops the answer; nothing follows but [DONE].
    let input = format!(
        "{}id:3\nevent:error\n:HTTP_STATUS/400\ndata:{{\"code\":\"DataInspectionFailed\",\"message\":\"Output data may contain inappropriate content.\",\"request_id\":\"785ed962\"}}\n\n{}",
        DOC_TEXT.split_inclusive("\n\n").take(2).collect::<String>(),
        DOC_TEXT.split_inclusive("\n\n").skip(2).collect::<String>(),
    );
    let h = H::new("785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c");
    let expected = [
        h.role(0),
        h.content(0, "根据"),
        error_with(
            "invalid_request_error",
            "Output data may contain inappropriate content.",
            r#""DataInspectionFailed""#,
        ),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    for (event, kind, message, code) in [
        (
            "event:error\n:HTTP_STATUS/429\ndata:{\"code\":\"Throttling.RateQuota\",\"message\":\"Requests rate limit exceeded, please try again later.\",\"request_id\":\"r\"}",
            "rate_limit_error",
            "Requests rate limit exceeded, please try again later.",
            r#""Throttling.RateQuota""#,
        ),
        (
            "event:error\r\n:HTTP_STATUS/401\r\ndata:{\"code\":\"InvalidApiKey\",\"message\":\"Invalid API-key provided.\"}",
            "authentication_error",
            "Invalid API-key provided.",
            r#""InvalidApiKey""#,
        ),
        (
            "event:error\n:HTTP_STATUS/500\ndata:{\"code\":\"InternalError\",\"message\":\"An internal error has occured, please try again later or contact service support.\"}",
            "api_error",
            "An internal error has occured, please try again later or contact service support.",
            r#""InternalError""#,
        ),
        // No status comment: the type follows the code.
        (
            "event:error\ndata:{\"code\":\"Throttling\",\"message\":\"slow down\"}",
            "rate_limit_error",
            "slow down",
            r#""Throttling""#,
        ),
        // A code without output under another event name; an error event that is not JSON.
        (
            "event:result\n:HTTP_STATUS/403\ndata:{\"code\":\"AccessDenied\",\"message\":\"Access denied.\"}",
            "permission_error",
            "Access denied.",
            r#""AccessDenied""#,
        ),
        ("event:error\n:HTTP_STATUS/503\ndata:Service Unavailable", "api_error", "upstream error (HTTP 503)", "null"),
        ("event:error\ndata:{}", "api_error", "upstream error", "null"),
    ] {
        let input = format!("id:1\n{event}\n\n");
        assert_eq!(assert_split_invariant(false, &input), error_with(kind, message, code), "{event}");
    }
    assert_eq!(comment_status(b"id:1\r\n:HTTP_STATUS/404\r\n"), Some(404));
    assert_eq!(comment_status(b"data:{\"a\":\":HTTP_STATUS/404\"}\n"), None);
}

#[test]
fn truncated_streams_end_with_an_error() {
    let cut: String = DOC_TEXT.split_inclusive("\n\n").take(3).collect();
    let h = H::new("785ed962-fa29-4c7e-bed2-7fe0fdbfdc6c");
    let expected =
        [h.role(0), h.content(0, "根据"), h.content(0, "现有"), error("api_error", "upstream stream ended early")];
    assert_eq!(assert_split_invariant(true, &cut), expected.concat());
    // Cut inside the last event: its JSON is incomplete.
    let out = run(true, &DOC_TEXT[..DOC_TEXT.len() - 40]);
    assert!(out.ends_with(&error("api_error", "upstream stream event is not valid JSON")), "{out}");
    // Nothing at all, or an event without choices.
    assert_eq!(run(true, ""), error("api_error", "upstream stream ended early"));
    assert_eq!(
        run(true, "data:{\"output\":{},\"usage\":{\"input_tokens\":3},\"request_id\":\"x\"}\n\n"),
        error("api_error", "upstream stream ended early")
    );
    // A held value still reaches the client before the error.
    let input = sse(&[
        r#"{"output":{"choices":[{"message":{"content":"1"},"finish_reason":"null"}]},"request_id":"t"}"#,
        r#"{"output":{"choices":[{"message":{"content":"1月"},"finish_reason":"null"}]},"request_id":"t"}"#,
    ]);
    let h = H::new("t");
    let expected =
        [h.role(0), h.content(0, "1"), h.content(0, "1月"), error("api_error", "upstream stream ended early")];
    assert_eq!(assert_split_invariant(false, &input), expected.concat());
}

#[test]
fn last_event_without_blank_line_still_counts() {
    let out = assert_split_invariant(false, DOC_TEXT.trim_end());
    assert!(out.ends_with(&format!("\"finish_reason\":\"stop\"}}]}}\n\n{DONE}")), "{out}");
}

/// Incremental streams whose deltas happen to begin with the text so far.
#[test]
fn incremental_deltas_that_look_cumulative() {
    let content = |parts: &[(&str, &str)]| {
        let events: Vec<String> = parts
            .iter()
            .map(|(c, f)| {
                format!(
                    r#"{{"output":{{"choices":[{{"message":{{"content":{}}},"finish_reason":"{f}"}}]}},"request_id":"i"}}"#,
                    serde_json::to_string(c).unwrap()
                )
            })
            .collect();
        let events: Vec<&str> = events.iter().map(String::as_str).collect();
        run(false, &sse(&events))
    };
    let h = H::new("i");
    let text = |out: &str| -> String {
        out.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .filter_map(|v| v["choices"][0]["delta"]["content"].as_str().map(str::to_string))
            .collect()
    };
    // "11月11日": the second delta begins with the first; the third decides.
    let out = content(&[("1", "null"), ("1月", "null"), ("11日", "null"), ("", "stop")]);
    assert_eq!(out, [h.role(0), h.content(0, "1"), h.content(0, "1月11日"), h.finish(0, "stop"), DONE.into()].concat());
    assert_eq!(text(&out), "11月11日");
    // A repeated delta.
    assert_eq!(text(&content(&[("ha", "null"), ("ha", "null"), ("!", "null"), ("", "stop")])), "haha!");
    // Held when the choice finishes: incremental unless known otherwise.
    assert_eq!(text(&content(&[("ha", "null"), ("ha", "stop")])), "haha");
    // Once incremental, always incremental.
    assert_eq!(text(&content(&[("a", "null"), ("b", "null"), ("ab", "null"), ("abc", "stop")])), "abababc");
    // Cumulative: the finish event repeats the text.
    assert_eq!(text(&content(&[("Hel", "null"), ("Hello", "null"), ("Hello", "stop")])), "Hello");
    // Limit: three values each beginning with the previous one read as cumulative.
    assert_eq!(text(&content(&[("1", "null"), ("1", "null"), ("1", "stop")])), "1");
}

#[test]
fn field_modes() {
    let mut hint = None;
    let mut f = Field::default();
    assert_eq!(f.push("", &mut hint), None);
    assert_eq!(f.push("ab", &mut hint).as_deref(), Some("ab"));
    assert_eq!(f.push("abc", &mut hint), None);
    assert_eq!(f.mode, Mode::Pending);
    assert_eq!(f.push("abcd", &mut hint).as_deref(), Some("cd"));
    assert_eq!((f.mode, hint), (Mode::Cumulative, Some(true)));
    assert_eq!(f.push("abcd", &mut hint), None);
    assert_eq!(f.push("abcdé", &mut hint).as_deref(), Some("é"));
    // Not a continuation: sent as a delta.
    assert_eq!(f.push("xy", &mut hint).as_deref(), Some("xy"));
    assert_eq!(f.push("abcdéxyz", &mut hint).as_deref(), Some("z"));
    // A hint decides on the second value.
    let mut g = Field::default();
    assert_eq!(g.push("{", &mut hint).as_deref(), Some("{"));
    assert_eq!(g.push("{}", &mut hint).as_deref(), Some("}"));
    let mut hint = Some(false);
    let mut g = Field::default();
    assert_eq!(g.push("a", &mut hint).as_deref(), Some("a"));
    assert_eq!(g.push("ab", &mut hint).as_deref(), Some("ab"));
    assert_eq!(g.mode, Mode::Incremental);
    // Held arguments at the end: the reading that gives valid JSON wins.
    let mut hint = None;
    let mut a = Field::default();
    a.push("{\"a\":", &mut hint);
    a.push("{\"a\": 1}", &mut hint);
    assert_eq!(a.flush(None, true).as_deref(), Some(" 1}"));
    let mut a = Field::default();
    a.push("{", &mut hint);
    a.push("{", &mut hint);
    assert_eq!(a.flush(None, true).as_deref(), Some("{"));
    let mut t = Field::default();
    t.push("x", &mut hint);
    t.push("x", &mut hint);
    assert_eq!(t.flush(Some(true), false), None);
    assert_eq!(t.flush(Some(true), false), None);
}

/// `n: 2`: both choices in the same events (with their `index`), finishing at different times.
#[test]
fn two_choices() {
    let input = sse(&[
        r#"{"output":{"choices":[{"index":0,"message":{"content":"红","role":"assistant"},"finish_reason":"null"},{"index":1,"message":{"content":"蓝","role":"assistant"},"finish_reason":"null"}]},"request_id":"n2"}"#,
        r#"{"output":{"choices":[{"index":1,"message":{"content":"色","role":"assistant"},"finish_reason":"null"},{"index":0,"message":{"content":"色","role":"assistant"},"finish_reason":"length"}]},"request_id":"n2"}"#,
        r#"{"output":{"choices":[{"index":1,"message":{"content":"","role":"assistant"},"finish_reason":"stop"}]},"usage":{"input_tokens":6,"output_tokens":4,"total_tokens":10},"request_id":"n2"}"#,
    ]);
    let h = H::new("n2");
    let expected = [
        h.role(0),
        h.content(0, "红"),
        h.role(1),
        h.content(1, "蓝"),
        h.content(1, "色"),
        h.content(0, "色"),
        h.finish(0, "length"),
        h.finish(1, "stop"),
        h.usage(r#"{"prompt_tokens":6,"completion_tokens":4,"total_tokens":10}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    // Only choice 0 finished: the stream ended early.
    let cut: String = input.split_inclusive("\n\n").take(2).collect();
    assert!(run(false, &cut).ends_with(&error("api_error", "upstream stream ended early")));
}

#[test]
fn malformed_json_and_sse_errors() {
    let first =
        sse(&[r#"{"output":{"choices":[{"message":{"content":"a"},"finish_reason":"null"}]},"request_id":"m"}"#]);
    let h = H::new("m");
    let prefix = [h.role(0), h.content(0, "a")].concat();
    for (event, message) in [
        ("{\"output\":", "upstream stream event is not valid JSON"),
        ("not json", "upstream stream event is not valid JSON"),
        (
            r#"{"output":{"choices":[{"message":{"reasoning_content":5}}]}}"#,
            "upstream stream event has an unexpected shape",
        ),
        (r#"{"output":{"choices":[{"finish_reason":true}]}}"#, "upstream stream event has an unexpected shape"),
        (r#"{"output":{"choices":{"index":0}}}"#, "upstream stream event has an unexpected shape"),
        (r#"[{"output":{}}]"#, "upstream stream event has an unexpected shape"),
    ] {
        let input = format!("{first}data:{event}\n\n");
        assert_eq!(
            assert_split_invariant(false, &input),
            format!("{prefix}{}", error("api_error", message)),
            "{event}"
        );
    }
    // Not UTF-8: the SSE decoder's error.
    let mut bytes = first.clone().into_bytes();
    bytes.extend_from_slice(b"data:\xff\n\n");
    assert_eq!(
        run_chunks(false, &[&bytes]),
        format!("{prefix}{}", error("api_error", "invalid upstream stream: stream event is not UTF-8"))
    );
    // An event over the decoder's limit.
    let mut t = DashScopeToChatStream::new(ctx(false));
    let mut out = Vec::new();
    t.feed(b"data:", &mut out);
    t.feed(&vec![b'x'; crate::stream::sse::DEFAULT_MAX_EVENT + 1], &mut out);
    t.finish(&mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        error("api_error", "invalid upstream stream: stream event larger than the limit")
    );
}

#[test]
fn multibyte_utf8_escapes_and_line_ends_are_split_invariant() {
    let input = sse(&[
        r#"{"output":{"choices":[{"message":{"content":"","reasoning_content":"嗯，\"引号\"\n和 emoji 🌏","role":"assistant"},"finish_reason":"null"}]},"request_id":"u8"}"#,
        r#"{"output":{"choices":[{"message":{"content":"\u00e9\ud83d\ude00 你好","role":"assistant"},"finish_reason":"null"}]}}"#,
        r#"{"output":{"choices":[{"message":{"content":"，世界","role":"assistant","tool_calls":[{"index":0,"id":"call_ü","type":"function","function":{"name":"查询","arguments":"{\"q\":\"日本語\"}"}}]},"finish_reason":"null"}]}}"#,
        r#"{"output":{"choices":[{"message":{"content":"","role":"assistant"},"finish_reason":"tool_calls"}]},"usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}}"#,
    ]);
    let h = H::new("u8");
    let expected = [
        h.role(0),
        h.reasoning(0, "嗯，\"引号\"\n和 emoji 🌏"),
        h.content(0, "é😀 你好"),
        h.content(0, "，世界"),
        h.chunk(0, r#"{"tool_calls":[{"index":0,"id":"call_ü","type":"function","function":{"name":"查询","arguments":"{\"q\":\"日本語\"}"}}]}"#),
        h.finish(0, "tool_calls"),
        h.usage(r#"{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
    assert_eq!(assert_split_invariant(true, &input.replace('\n', "\r\n")), expected.concat());
    assert_eq!(run(true, &input.replace('\n', "\r")), expected.concat());
}

#[test]
fn usage_details_and_empty_usage() {
    // A later event without counts (`"usage":{}`) does not wipe the last usage.
    let input = sse(&[
        r#"{"output":{"choices":[{"message":{"content":"好"},"finish_reason":"null"}]},"usage":{"input_tokens":3019,"output_tokens":104,"total_tokens":3123,"prompt_tokens_details":{"cached_tokens":2048},"output_tokens_details":{"reasoning_tokens":80}},"request_id":"u"}"#,
        r#"{"output":{"choices":[{"message":{"content":""},"finish_reason":"stop"}]},"usage":{},"request_id":"u"}"#,
    ]);
    let h = H::new("u");
    let expected = [
        h.role(0),
        h.content(0, "好"),
        h.finish(0, "stop"),
        h.usage(r#"{"prompt_tokens":3019,"completion_tokens":104,"total_tokens":3123,"prompt_tokens_details":{"cached_tokens":2048},"completion_tokens_details":{"reasoning_tokens":80}}"#),
        DONE.into(),
    ];
    assert_eq!(assert_split_invariant(true, &input), expected.concat());
}

#[test]
fn member_types_are_checked_like_serde() {
    let (base, wrong, readable) = crate::dialect::dashscope::response::tests::member_type_cases();
    let shape = error("api_error", "upstream stream event has an unexpected shape");
    // Without `code` and `message`, or it would be an error event.
    let strip = |b: &str| b.replace(r#""code":"C","#, "").replace(r#""message":"M","#, "");
    assert!(!run(false, &sse(&[&strip(&base)])).contains("\"error\""));
    for body in &wrong {
        assert_eq!(run(false, &sse(&[&strip(body)])), shape, "{body}");
        // An error event that cannot be read: a generic error with the status of its comment.
        let input = format!("event:error\n:HTTP_STATUS/500\ndata:{body}\n\n");
        assert_eq!(run(false, &input), error("api_error", "upstream error (HTTP 500)"), "{body}");
    }
    for body in &readable {
        assert!(!run(false, &sse(&[&strip(body)])).contains("\"error\""), "{body}");
        let input = format!("event:error\n:HTTP_STATUS/500\ndata:{body}\n\n");
        assert_eq!(run(false, &input), error_with("api_error", "M", r#""C""#), "{body}");
    }
}
