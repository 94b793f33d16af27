use super::*;

fn ctx() -> TranslateCtx {
    TranslateCtx {
        model: "deepseek-chat".into(),
        created: 1_700_000_000,
        random: 0xabc,
        include_usage: true,
        ..TranslateCtx::default()
    }
}

#[test]
fn response_translations() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "plain text",
            r#"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"service_tier":"default"}"#,
            r#"{"id":"msg_chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","type":"message","role":"assistant","model":"gpt-4.1-2025-04-14","content":[{"type":"text","text":"Hello! How can I assist you today?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":19,"output_tokens":10,"cache_read_input_tokens":0}}"#,
        ),
        (
            "parallel tool calls: pretty, empty and invalid arguments",
            r#"{"id":"chatcmpl-abc123","object":"chat.completion","created":1699896916,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_current_weather","arguments":"{\n\"location\": \"Boston, MA\"\n}"}},{"id":"call_def456","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"Paris\", \"unit\": \"celsius\"}"}},{"id":"call_ghi789","type":"function","function":{"name":"list_files","arguments":""}},{"id":"call_jkl","type":"function","function":{"name":"broken","arguments":"{\"a\": 1"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99}}"#,
            r#"{"id":"msg_chatcmpl-abc123","type":"message","role":"assistant","model":"gpt-4o-mini","content":[{"type":"tool_use","id":"call_abc123","name":"get_current_weather","input":{"location":"Boston, MA"}},{"type":"tool_use","id":"call_def456","name":"get_current_weather","input":{"location":"Paris","unit":"celsius"}},{"type":"tool_use","id":"call_ghi789","name":"list_files","input":{}},{"type":"tool_use","id":"call_jkl","name":"broken","input":{"_raw":"{\"a\": 1"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":82,"output_tokens":17}}"#,
        ),
        (
            "DeepSeek reasoning with cache hits",
            r#"{"id":"930c60df-bf64-41c9-a88e-3ec75f81e00e","object":"chat.completion","created":1705651092,"model":"deepseek-reasoner","choices":[{"index":0,"message":{"role":"assistant","content":"9.11 is smaller than 9.8.","reasoning_content":"Compare the decimals: 0.11 < 0.80."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1616,"completion_tokens":120,"total_tokens":1736,"completion_tokens_details":{"reasoning_tokens":100},"prompt_cache_hit_tokens":1600,"prompt_cache_miss_tokens":16,"system_fingerprint":"fp_7e73fd9a08"}}"#,
            r#"{"id":"msg_930c60df-bf64-41c9-a88e-3ec75f81e00e","type":"message","role":"assistant","model":"deepseek-reasoner","content":[{"type":"thinking","thinking":"Compare the decimals: 0.11 < 0.80.","signature":""},{"type":"text","text":"9.11 is smaller than 9.8."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":16,"output_tokens":120,"cache_read_input_tokens":1600}}"#,
        ),
        (
            "text with a tool call under finish_reason stop; no id, no model, no usage",
            r#"{"choices":[{"message":{"role":"assistant","content":"Checking.","tool_calls":[{"type":"function","function":{"name":"ls","arguments":{"path":"/"}}}]},"finish_reason":"stop"}]}"#,
            r#"{"id":"msg_0000000000000abc","type":"message","role":"assistant","model":"deepseek-chat","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"call_0000000000000abc_0","name":"ls","input":{"path":"/"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}"#,
        ),
        (
            "refusal, groq-style reasoning and length",
            r#"{"id":"c1","model":"openai/gpt-oss-20b","choices":[{"index":0,"message":{"role":"assistant","content":null,"reasoning":"Policy says no.","refusal":"I can't help with that."},"finish_reason":"stop"}]}"#,
            r#"{"id":"msg_c1","type":"message","role":"assistant","model":"openai/gpt-oss-20b","content":[{"type":"thinking","thinking":"Policy says no.","signature":""},{"type":"text","text":"I can't help with that."}],"stop_reason":"refusal","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}"#,
        ),
        (
            "length, content filter, array content, choice 0 picked",
            r#"{"id":"c2","model":"mistral-small","choices":[{"index":1,"message":{"content":"other"},"finish_reason":"stop"},{"index":0,"message":{"content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"}]},"finish_reason":"length"}]}"#,
            r#"{"id":"msg_c2","type":"message","role":"assistant","model":"mistral-small","content":[{"type":"text","text":"Hello"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}"#,
        ),
        (
            "content filter",
            r#"{"id":"c3","model":"gpt-4o","choices":[{"index":0,"message":{"content":""},"finish_reason":"content_filter"}]}"#,
            r#"{"id":"msg_c3","type":"message","role":"assistant","model":"gpt-4o","content":[],"stop_reason":"refusal","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}"#,
        ),
    ];
    for (name, input, expected) in cases {
        let out = translate_chat_response(input.as_bytes(), &ctx()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(std::str::from_utf8(&out).unwrap(), *expected, "{name}");
    }
}

#[test]
fn unreadable_responses_are_bad_upstream() {
    for (input, message) in [
        ("<html>502</html>", "not a chat completion"),
        (r#"{"choices":[]}"#, "no choices"),
        (r#"{"error":{"message":"quota exceeded","type":"insufficient_quota"}}"#, "quota exceeded"),
    ] {
        let e = translate_chat_response(input.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(e.status, 502, "{input}");
        assert!(e.message.contains(message), "{input}: {}", e.message);
    }
}

#[test]
fn errors_in_anthropic_shape() {
    let cases: &[(u16, &str, &str)] = &[
        (
            401,
            r#"{"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
            r#"{"type":"error","error":{"type":"authentication_error","message":"Incorrect API key provided: sk-abc***xyz."}}"#,
        ),
        (
            400,
            r#"{"error":{"message":"This model's maximum context length is 65536 tokens.","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}"#,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"This model's maximum context length is 65536 tokens."}}"#,
        ),
        (
            402,
            r#"{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}}"#,
            r#"{"type":"error","error":{"type":"billing_error","message":"Insufficient Balance"}}"#,
        ),
        (
            403,
            r#"{"error":"Forbidden"}"#,
            r#"{"type":"error","error":{"type":"permission_error","message":"Forbidden"}}"#,
        ),
        (
            404,
            r#"{"detail":"Not Found"}"#,
            r#"{"type":"error","error":{"type":"not_found_error","message":"Not Found"}}"#,
        ),
        (
            413,
            "",
            r#"{"type":"error","error":{"type":"request_too_large","message":"the upstream provider returned HTTP 413"}}"#,
        ),
        (
            429,
            r#"{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"Rate limit reached for gpt-4o"}}"#,
        ),
        (
            422,
            r#"{"message":"Unprocessable"}"#,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"Unprocessable"}}"#,
        ),
        (
            500,
            "<html>oops</html>",
            r#"{"type":"error","error":{"type":"api_error","message":"the upstream provider returned HTTP 500"}}"#,
        ),
        (
            503,
            r#"{"error":{"message":"Service Unavailable"}}"#,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Service Unavailable"}}"#,
        ),
        (
            504,
            "",
            r#"{"type":"error","error":{"type":"timeout_error","message":"the upstream provider returned HTTP 504"}}"#,
        ),
        (
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ),
    ];
    for (status, input, expected) in cases {
        let (s, out) = translate_chat_error(*status, input.as_bytes());
        assert_eq!(s, *status);
        assert_eq!(std::str::from_utf8(&out).unwrap(), *expected, "{status}");
    }
    let own = anthropic_error(&ProxyError::too_large(1024));
    assert_eq!(
        std::str::from_utf8(&own).unwrap(),
        r#"{"type":"error","error":{"type":"request_too_large","message":"request body is larger than 1024 bytes"}}"#
    );
    let own = anthropic_error(&ProxyError::invalid_request("`messages` is required").with_param("messages"));
    assert_eq!(
        std::str::from_utf8(&own).unwrap(),
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"`messages` is required"}}"#
    );
    let own = anthropic_error(&ProxyError::bad_upstream("no choices"));
    assert_eq!(
        std::str::from_utf8(&own).unwrap(),
        r#"{"type":"error","error":{"type":"api_error","message":"no choices"}}"#
    );
}
