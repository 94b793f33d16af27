use super::*;
use serde_json::{json, Value};

/// Test bodies: a response with every member DashScope may send, then that response with one
/// member of a wrong type (each must make the whole body unreadable, as a derived `Deserialize`
/// did), then bodies with members of any type or unusual but valid values (readable).
pub(crate) fn member_type_cases() -> (String, Vec<String>, Vec<String>) {
    let base = json!({"request_id":"r","code":"C","message":"M","output":{"choices":[{"index":0,"finish_reason":"stop",
        "message":{"role":"assistant","content":"hi","reasoning_content":"think","tool_calls":[{"index":0,"id":"c",
        "type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":null}],"text":"t","finish_reason":"stop"},
        "usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0},
        "output_tokens_details":{"reasoning_tokens":1}}});
    let edit = |pointer: &str, value: Value| {
        let mut v = base.clone();
        if let Some(slot) = v.pointer_mut(pointer) {
            *slot = value;
        }
        v.to_string()
    };
    let choice = "/output/choices/0";
    let call = "/output/choices/0/message/tool_calls/0";
    let wrong = vec![
        edit("/request_id", json!(5)),
        edit("/code", json!(5)),
        edit("/message", json!({})),
        edit("/output", json!("x")),
        edit("/output", json!(true)),
        edit("/output/choices", json!({"a":1})),
        edit("/output/choices/0", json!(null)),
        edit("/output/choices/0", json!(5)),
        edit("/output/text", json!(5)),
        edit("/output/finish_reason", json!(1)),
        edit(&format!("{choice}/index"), json!(-1)),
        edit(&format!("{choice}/index"), json!(4_294_967_296u64)),
        edit(&format!("{choice}/index"), json!(1.0)),
        edit(&format!("{choice}/index"), json!("0")),
        edit(&format!("{choice}/finish_reason"), json!(true)),
        edit(&format!("{choice}/message"), json!("x")),
        edit(&format!("{choice}/message/role"), json!(1)),
        edit(&format!("{choice}/message/reasoning_content"), json!([])),
        edit(&format!("{choice}/message/tool_calls"), json!({})),
        edit(&format!("{choice}/message/tool_calls"), json!("x")),
        edit(call, json!("x")),
        edit(call, json!(null)),
        edit(&format!("{call}/index"), json!("1")),
        edit(&format!("{call}/index"), json!(-2)),
        edit(&format!("{call}/id"), json!(1)),
        edit(&format!("{call}/function"), json!("f")),
        edit(&format!("{call}/function/name"), json!(1)),
        edit(&format!("{call}/function/arguments"), json!({})),
        edit("/usage", json!("x")),
        edit("/usage/input_tokens", json!("1")),
        edit("/usage/output_tokens", json!(-1)),
        edit("/usage/total_tokens", json!(1.5)),
        edit("/usage/prompt_tokens_details", json!(3)),
        edit("/usage/prompt_tokens_details/cached_tokens", json!("0")),
        edit("/usage/output_tokens_details/reasoning_tokens", json!(true)),
    ];
    let readable = vec![
        edit(&format!("{choice}/message/content"), json!(5)),
        edit(&format!("{choice}/message/content"), json!({"text":"x"})),
        edit(&format!("{choice}/message/content"), json!([1, {"text":2}, {"text":"a"}])),
        edit(&format!("{choice}/logprobs"), json!([1, "x"])),
        edit(&format!("{choice}/index"), json!(4_294_967_295u64)),
        edit(&format!("{call}/index"), json!(null)),
        edit(&format!("{call}/type"), json!(5)),
        edit(&format!("{call}/function"), json!(null)),
        edit("/usage/total_tokens", json!(null)),
        edit("/usage/prompt_tokens_details", json!(null)),
        edit("/output/choices/0/message", json!(null)),
        edit("/request_id", json!(null)),
    ];
    (base.to_string(), wrong, readable)
}

fn ctx() -> TranslateCtx {
    TranslateCtx {
        model: "qwen-plus".into(),
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

fn completion(id: &str, choices: Value, usage: Option<Value>) -> Value {
    let mut v =
        json!({"id":id,"object":"chat.completion","created":1_700_000_000u64,"model":"qwen-plus","choices":choices});
    if let Some(u) = usage {
        v["usage"] = u;
    }
    v
}

#[test]
fn translates_responses() {
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "plain text",
            json!({"output":{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"1+1 等于 2。"}}]},
                "usage":{"total_tokens":47,"output_tokens":39,"input_tokens":8},"request_id":"e764bfe3-c0b7-97a0-ae57-cd99e1580960"}),
            completion(
                "e764bfe3-c0b7-97a0-ae57-cd99e1580960",
                json!([{"index":0,"message":{"role":"assistant","content":"1+1 等于 2。"},"logprobs":null,"finish_reason":"stop"}]),
                Some(json!({"prompt_tokens":8,"completion_tokens":39,"total_tokens":47})),
            ),
        ),
        (
            "tool call: empty content is null, DashScope's id kept, index dropped",
            json!({"output":{"choices":[{"finish_reason":"tool_calls","message":{"role":"assistant","tool_calls":[
                {"function":{"name":"get_current_weather","arguments":"{\"location\": \"浙江省杭州市\"}"},"index":0,
                "id":"call_cec4c19d27624537b583af","type":"function"}],"content":""}}]},
                "usage":{"total_tokens":219,"output_tokens":8,"input_tokens":211},"request_id":"67300049-c108-9987-b1c1-8e0ee2de6b5d"}),
            completion(
                "67300049-c108-9987-b1c1-8e0ee2de6b5d",
                json!([{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_cec4c19d27624537b583af",
                    "type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"浙江省杭州市\"}"}}]},
                    "logprobs":null,"finish_reason":"tool_calls"}]),
                Some(json!({"prompt_tokens":211,"completion_tokens":8,"total_tokens":219})),
            ),
        ),
        (
            "reasoning with cached and reasoning token details",
            json!({"output":{"choices":[{"finish_reason":"length","message":{"content":"","reasoning_content":"我们被问到：1+1","role":"assistant"}}]},
                "usage":{"input_tokens":12,"output_tokens":21,"output_tokens_details":{"reasoning_tokens":20},
                    "prompt_tokens_details":{"cached_tokens":0},"total_tokens":33},"request_id":"7c8beccf-3e76-9034-95c1-db1f1ab9d6e0"}),
            completion(
                "7c8beccf-3e76-9034-95c1-db1f1ab9d6e0",
                json!([{"index":0,"message":{"role":"assistant","content":"","reasoning_content":"我们被问到：1+1"},
                    "logprobs":null,"finish_reason":"length"}]),
                Some(json!({"prompt_tokens":12,"completion_tokens":21,"total_tokens":33,
                    "prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":20}})),
            ),
        ),
        (
            "logprobs copied",
            json!({"output":{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"2"},
                "logprobs":{"content":[{"top_logprobs":[{"logprob":0.0,"bytes":[50],"token":"2"}],"logprob":0.0,"bytes":[50],"token":"2"}]}}]},
                "usage":{"total_tokens":21,"output_tokens":1,"input_tokens":20,"prompt_tokens_details":{"cached_tokens":0}},
                "request_id":"1d881da5-0028-9f20-8e7f-6bc7ae891c54"}),
            completion(
                "1d881da5-0028-9f20-8e7f-6bc7ae891c54",
                json!([{"index":0,"message":{"role":"assistant","content":"2"},"finish_reason":"stop",
                    "logprobs":{"content":[{"top_logprobs":[{"logprob":0.0,"bytes":[50],"token":"2"}],"logprob":0.0,"bytes":[50],"token":"2"}]}}]),
                Some(
                    json!({"prompt_tokens":20,"completion_tokens":1,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0}}),
                ),
            ),
        ),
        (
            "multimodal content list joined; no total_tokens; empty details ignored",
            json!({"output":{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":[{"text":"海滩"},{"image":"https://x/y.png"},{"text":"。"}]}}]},
                "usage":{"output_tokens":3,"input_tokens":3613,"image_tokens":3577,"prompt_tokens_details":{}},
                "request_id":"e81aa922-be6c-9f9d-bd4f-0f43e21fd913"}),
            completion(
                "e81aa922-be6c-9f9d-bd4f-0f43e21fd913",
                json!([{"index":0,"message":{"role":"assistant","content":"海滩。"},"logprobs":null,"finish_reason":"stop"}]),
                Some(json!({"prompt_tokens":3613,"completion_tokens":3,"total_tokens":3616})),
            ),
        ),
        (
            "result_format text answer",
            json!({"output":{"finish_reason":"stop","text":"1+1等于2。"},
                "usage":{"prompt_tokens_details":{"cached_tokens":0},"total_tokens":30,"output_tokens":14,"input_tokens":16},
                "request_id":"7e3d5586-cb70-98ce-97bf-8a2ac0091c3f"}),
            completion(
                "7e3d5586-cb70-98ce-97bf-8a2ac0091c3f",
                json!([{"index":0,"message":{"role":"assistant","content":"1+1等于2。"},"logprobs":null,"finish_reason":"stop"}]),
                Some(
                    json!({"prompt_tokens":16,"completion_tokens":14,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":0}}),
                ),
            ),
        ),
        (
            "n choices with indices; generated ids count across choices; \"null\" finish; no usage; no request_id",
            json!({"output":{"choices":[
                {"index":1,"finish_reason":"null","message":{"role":"assistant","content":"b"}},
                {"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Let me check.","tool_calls":[
                    {"function":{"name":"f","arguments":"{}"}},{"id":"","type":"function","function":{"name":"g"}}]}},
                {"finish_reason":"","message":{"role":"assistant","tool_calls":[{"function":{"name":"h","arguments":"{\"a\":1}"}}]}},
                {"finish_reason":"stop"}]}}),
            completion(
                "chatcmpl-0000000000000abc",
                json!([
                    {"index":1,"message":{"role":"assistant","content":"b"},"logprobs":null,"finish_reason":null},
                    {"index":0,"message":{"role":"assistant","content":"Let me check.","tool_calls":[
                        {"id":"call_0000000000000abc_0","type":"function","function":{"name":"f","arguments":"{}"}},
                        {"id":"call_0000000000000abc_1","type":"function","function":{"name":"g","arguments":""}}]},
                        "logprobs":null,"finish_reason":"tool_calls"},
                    {"index":2,"message":{"role":"assistant","content":null,"tool_calls":[
                        {"id":"call_0000000000000abc_2","type":"function","function":{"name":"h","arguments":"{\"a\":1}"}}]},
                        "logprobs":null,"finish_reason":null},
                    {"index":3,"message":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"stop"}]),
                None,
            ),
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(translate(&input), want, "{name}");
    }
}

#[test]
fn unreadable_responses() {
    for body in [
        &b"not json"[..],
        b"[]",
        b"",
        b"{}",
        br#"{"output":{}}"#,
        br#"{"output":{"choices":[]}}"#,
        br#"{"output":{"choices":[{"message":{"content":"x","tool_calls":{}}}]}}"#,
        br#"{"output":{"choices":{"a":1}}}"#,
        br#"{"output":{"text":5}}"#,
    ] {
        let e = translate_response(body, &ctx()).unwrap_err();
        assert_eq!((e.status, e.kind), (502, "api_error"), "{}", String::from_utf8_lossy(body));
    }
    let e = translate_response(
        br#"{"code":"InternalError.Algo","message":"An internal error has occured.","request_id":"r1"}"#,
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(
        (e.status, e.kind, e.message.as_str()),
        (502, "api_error", "upstream error InternalError.Algo: An internal error has occured.")
    );
}

#[test]
fn translates_errors() {
    let cases: Vec<(u16, &str, Value)> = vec![
        (
            401,
            r#"{"code":"InvalidApiKey","message":"Invalid API-key provided.","request_id":"a1c0561c-1dfe-98a6-a62f-983577b8bc5e"}"#,
            json!({"message":"Invalid API-key provided.","type":"authentication_error","param":null,"code":"InvalidApiKey"}),
        ),
        (
            400,
            r#"{"code":"InvalidParameter","message":"Role must be user or assistant and Content length must be greater than 0","request_id":"a5898c04"}"#,
            json!({"message":"Role must be user or assistant and Content length must be greater than 0",
                "type":"invalid_request_error","param":null,"code":"InvalidParameter"}),
        ),
        (
            400,
            r#"{"code":"DataInspectionFailed","message":"Input data may contain inappropriate content.","request_id":"r"}"#,
            json!({"message":"Input data may contain inappropriate content.","type":"invalid_request_error","param":null,
                "code":"DataInspectionFailed"}),
        ),
        (
            403,
            r#"{"code":"AccessDenied","message":"Access denied.","request_id":"r"}"#,
            json!({"message":"Access denied.","type":"permission_error","param":null,"code":"AccessDenied"}),
        ),
        (
            404,
            r#"{"code":"ModelNotFound","message":"Model not exist.","request_id":"r"}"#,
            json!({"message":"Model not exist.","type":"not_found_error","param":null,"code":"ModelNotFound"}),
        ),
        (
            429,
            r#"{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded, please try again later.","request_id":"r"}"#,
            json!({"message":"Requests rate limit exceeded, please try again later.","type":"rate_limit_error","param":null,
                "code":"Throttling.RateQuota"}),
        ),
        (
            500,
            r#"{"code":"InternalError","message":"An internal error has occured, please try again later or contact service support.","request_id":"r"}"#,
            json!({"message":"An internal error has occured, please try again later or contact service support.",
                "type":"api_error","param":null,"code":"InternalError"}),
        ),
        (
            503,
            r#"{"code":"ServiceUnavailable","request_id":"r"}"#,
            json!({"message":"upstream error ServiceUnavailable (HTTP 503)","type":"api_error","param":null,"code":"ServiceUnavailable"}),
        ),
        (
            502,
            "<html><title>502 Bad Gateway</title></html>",
            json!({"message":"upstream error (HTTP 502)","type":"api_error","param":null,"code":null}),
        ),
        (404, "", json!({"message":"upstream error (HTTP 404)","type":"not_found_error","param":null,"code":null})),
        (
            418,
            r#"{"message":"short and stout"}"#,
            json!({"message":"short and stout","type":"invalid_request_error","param":null,"code":null}),
        ),
        (
            504,
            r#"{"error":{"code":"response_timeout","message":"upstream request timeout","type":"api_error"}}"#,
            json!({"message":"upstream request timeout","type":"api_error","param":null,"code":null}),
        ),
        (
            503,
            r#"{"error":{"message":""}}"#,
            json!({"message":"upstream error (HTTP 503)","type":"api_error","param":null,"code":null}),
        ),
    ];
    for (status, body, want) in cases {
        let (s, out) = translate_error(status, body.as_bytes());
        let v: Value = crate::json::from_bytes(&out).unwrap();
        assert_eq!((s, &v["error"]), (status, &want), "{status} {body}");
        assert_eq!(v.as_object().unwrap().len(), 1);
    }
}

#[test]
fn choice_helpers_for_streams() {
    // A stream event of a parallel tool call: the continuation has `"id":""` and no name.
    let event = response_in(
        r#"{"output":{"choices":[{"message":{"content":"","tool_calls":[{"index":1,"id":"","type":"function",
        "function":{"arguments":" \"上海市\"}"}}],"role":"assistant"},"index":0,"finish_reason":"tool_calls"}]},
        "usage":{"total_tokens":287,"output_tokens":37,"input_tokens":250,"prompt_tokens_details":{"cached_tokens":0}},
        "request_id":"98b76af4-4c9f-9397-af42-500425556f95"}"#,
    )
    .unwrap();
    let choice = &event.output.as_ref().unwrap().choices.as_ref().unwrap()[0];
    assert_eq!(choice_index(choice, 5), 0);
    assert_eq!(finish_reason(&choice.finish_reason), Some("tool_calls"));
    let text = message_text(choice.message.as_ref().unwrap().content);
    assert_eq!(text.as_deref(), Some(""));
    let mut m = message_out(choice.message.as_ref(), text.as_deref());
    assert_eq!(m.tool_calls, vec![ToolCallOut { index: Some(1), id: None, name: None, arguments: " \"上海市\"}" }]);
    m.content = None;
    m.role = None;
    let mut out = Vec::new();
    write_message(&mut out, &m, true);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"tool_calls":[{"index":1,"function":{"arguments":" \"上海市\"}"}}]}"#
    );
    // The first fragment of a call carries id, type and name.
    let first = ToolCallOut { index: Some(0), id: Some("call_1".into()), name: Some("f"), arguments: "{\"a\"" };
    let m = MessageOut { role: Some("assistant"), content: Some("x"), reasoning: Some("r"), tool_calls: vec![first] };
    let mut out = Vec::new();
    write_message(&mut out, &m, true);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"role":"assistant","content":"x","reasoning_content":"r","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\""}}]}"#
    );
    let mut out = Vec::new();
    write_message(&mut out, &MessageOut::default(), true);
    assert_eq!(out, b"{}");
    let mut out = Vec::new();
    write_message(&mut out, &MessageOut::default(), false);
    assert_eq!(out, br#"{"role":"assistant","content":null}"#);

    let usage = openai_usage(event.usage.as_ref().unwrap());
    assert_eq!(
        serde_json::to_string(&usage).unwrap(),
        r#"{"prompt_tokens":250,"completion_tokens":37,"total_tokens":287,"prompt_tokens_details":{"cached_tokens":0}}"#
    );
    assert_eq!(openai_usage(&UsageIn::default()).total_tokens, 0);
    assert_eq!(completion_id(Some("r-1"), 1), "r-1");
    assert_eq!(completion_id(None, 1), "chatcmpl-0000000000000001");
    assert_eq!(tool_call_id(0, 3), "call_0000000000000000_3");
    for (raw, want) in [
        (r#""a""#, Some("a")),
        (r#"[{"text":"a"},{"text":"b"}]"#, Some("ab")),
        (r#"[]"#, Some("")),
        (r#"null"#, None),
        (r#"5"#, None),
    ] {
        let raw = RawValue::from_string(raw.to_string()).unwrap();
        assert_eq!(message_text(Some(&raw)).as_deref(), want);
    }
    for (reason, want) in [(Some("null"), None), (Some(""), None), (None, None), (Some("length"), Some("length"))] {
        assert_eq!(finish_reason(&reason.map(Cow::Borrowed)), want);
    }
    assert_eq!(
        error_body("api_error", "m", None),
        br#"{"error":{"message":"m","type":"api_error","param":null,"code":null}}"#
    );
}

#[test]
fn member_types_are_checked_like_serde() {
    let (base, wrong, readable) = member_type_cases();
    assert!(translate_response(base.as_bytes(), &ctx()).is_ok());
    let (_, out) = translate_error(500, base.as_bytes());
    assert_eq!(out, error_body("api_error", "M", Some("C")));
    for body in &wrong {
        let e = translate_response(body.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            (e.status, e.kind, e.message.as_str()),
            (502, "api_error", "the upstream response is not a valid DashScope response"),
            "{body}"
        );
        let (status, out) = translate_error(500, body.as_bytes());
        assert_eq!((status, out), (500, error_body("api_error", "upstream error (HTTP 500)", None)), "{body}");
    }
    for body in &readable {
        assert!(translate_response(body.as_bytes(), &ctx()).is_ok(), "{body}");
        let (_, out) = translate_error(500, body.as_bytes());
        assert_eq!(out, error_body("api_error", "M", Some("C")), "{body}");
    }
}

#[test]
fn reader_duplicates_escapes_and_nulls() {
    // The last of duplicated members wins, parts included; member names are compared unescaped.
    let r = response_in(
        r#"{"out\u0070ut":{"choices":[{"index":1}],"choices":[{"index":2,"message":{"role":"a","role":null,
        "tool_calls":[{"id":"x","function":{"name":"n","arguments":"{}"},"function":{"name":"m"}}]}}]},
        "usage":{"input_tokens":1,"prompt_tokens_details":{"cached_tokens":5},"prompt_tokens_details":null,
        "output_tokens_details":{"reasoning_tokens":3,"cached_tokens":4}},"request_id":"a\"b"}"#,
    )
    .unwrap();
    let choices = r.output.as_ref().unwrap().choices.as_ref().unwrap();
    assert_eq!((choices.len(), choices[0].index), (1, Some(2)));
    let m = choices[0].message.as_ref().unwrap();
    assert!(m.role.is_none());
    let call = &m.tool_calls.as_ref().unwrap()[0];
    assert_eq!((call.id.as_deref(), call.name.as_deref(), call.arguments.as_deref()), (Some("x"), Some("m"), None));
    let want = UsageIn { input_tokens: Some(1), reasoning_tokens: Some(3), ..UsageIn::default() };
    assert_eq!(r.usage, Some(want));
    assert_eq!(r.request_id.as_deref(), Some("a\"b"));
    assert!(response_in(r#"{"output":{"choices":[]},"output":null}"#).unwrap().output.is_none());
    for bad in ["", "[]", "null", "5", r#"{"output":{}} x"#, r#"{"output":{"#] {
        assert!(response_in(bad).is_err(), "{bad}");
    }
}
