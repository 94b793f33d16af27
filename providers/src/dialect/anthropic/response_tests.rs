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
        let v =
            translate(&json!({"id":"m","type":"message","content":[{"type":"text","text":"x"}],"stop_reason":reason}));
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
    let e =
        translate_response(br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, &ctx())
            .unwrap_err();
    assert_eq!((e.status, e.kind, e.message.as_str(), e.code), (503, "api_error", "Overloaded", Some("overloaded")));
    let e = translate_response(br#"{"type":"error","error":{"type":"new_kind","message":"m"}}"#, &ctx()).unwrap_err();
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
            (429, &json!({"message":"upstream error (HTTP 429)","type":"rate_limit_error","param":null,"code":null})),
            "{body}"
        );
    }
    let u = usage_in(serde_json::from_str(r#"{"input_tokens":1,"output_tokens":null,"cache_creation":{}}"#).unwrap());
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

#[test]
fn one_text_block_is_copied_as_its_json_string() {
    let body = br#"{"type":"message","id":"m","model":"c","content":[{"type":"text","text":"caf\u00e9 \"q\"\n"}],"stop_reason":"end_turn"}"#;
    let out = String::from_utf8(translate_response(body, &ctx()).unwrap()).unwrap();
    assert!(out.contains(r#""content":"caf\u00e9 \"q\"\n""#), "{out}");
    // Several blocks are decoded and joined; a text that is not a string drops the block.
    let body = br#"{"type":"message","content":[{"type":"text","text":"a\u00e9"},{"type":"text","text":5},{"type":"text","text":"b"}]}"#;
    let out: Value = crate::json::from_bytes(&translate_response(body, &ctx()).unwrap()).unwrap();
    assert_eq!(out["choices"][0]["message"]["content"], "aéb");
}
