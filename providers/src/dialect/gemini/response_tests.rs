use super::*;
use crate::dialect::openai::{CompletionTokensDetails, PromptTokensDetails};
use serde_json::{json, Value};

fn ctx() -> TranslateCtx {
    TranslateCtx {
        model: "gemini-2.5-flash".into(),
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
            "plain text, two parts, usage with thoughts and cache",
            json!({"candidates":[{"content":{"parts":[{"text":"Hello! "},{"text":"How can I help?"}],"role":"model"},
                "finishReason":"STOP","avgLogprobs":-0.12}],
                "usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":8,"totalTokenCount":45,
                    "cachedContentTokenCount":4,"thoughtsTokenCount":25,
                    "promptTokensDetails":[{"modality":"TEXT","tokenCount":12}]},
                "modelVersion":"gemini-2.5-flash","responseId":"mfbGaPW9Ne2Uz7IPsL2X6Ak"}),
            json!({"id":"chatcmpl-mfbGaPW9Ne2Uz7IPsL2X6Ak","object":"chat.completion","created":1_700_000_000u64,
                "model":"gemini-2.5-flash","choices":[{"index":0,"message":{"role":"assistant",
                "content":"Hello! How can I help?"},"logprobs":null,"finish_reason":"stop"}],
                "usage":{"prompt_tokens":12,"completion_tokens":33,"total_tokens":45,
                    "prompt_tokens_details":{"cached_tokens":4},
                    "completion_tokens_details":{"reasoning_tokens":25}}}),
        ),
        (
            "thought summary, parallel function calls with a signature on the first",
            json!({"candidates":[{"content":{"role":"model","parts":[
                    {"text":"**Checking the weather**\nThe user wants two cities.","thought":true},
                    {"functionCall":{"name":"get_weather","args":{"location":"Paris","unit":"celsius"}},
                        "thoughtSignature":"CiQBVKhc7pdXhGUd"},
                    {"functionCall":{"name":"get_weather","args":{"location":"Tokyo"}}}]},
                "finishReason":"STOP","index":0}],
                "usageMetadata":{"promptTokenCount":70,"candidatesTokenCount":30,"totalTokenCount":150,
                    "thoughtsTokenCount":50},
                "modelVersion":"gemini-2.5-pro","responseId":"r1"}),
            json!({"id":"chatcmpl-r1","object":"chat.completion","created":1_700_000_000u64,"model":"gemini-2.5-pro",
                "choices":[{"index":0,"message":{"role":"assistant","content":null,
                    "reasoning_content":"**Checking the weather**\nThe user wants two cities.",
                    "tool_calls":[
                        {"id":"call_0000000000000abc_0","type":"function","function":{"name":"get_weather",
                            "arguments":"{\"location\":\"Paris\",\"unit\":\"celsius\"}"},
                            "extra_content":{"google":{"thought_signature":"CiQBVKhc7pdXhGUd"}}},
                        {"id":"call_0000000000000abc_1","type":"function","function":{"name":"get_weather",
                            "arguments":"{\"location\":\"Tokyo\"}"}}]},
                    "logprobs":null,"finish_reason":"tool_calls"}],
                "usage":{"prompt_tokens":70,"completion_tokens":80,"total_tokens":150,
                    "completion_tokens_details":{"reasoning_tokens":50}}}),
        ),
        (
            "text with a signature (Gemini 3), function call with Gemini's id and no args",
            json!({"candidates":[{"content":{"role":"model","parts":[
                    {"text":"Let me look that up.","thoughtSignature":"EtQDCtEDAdHtim"},
                    {"functionCall":{"id":"fc_7","name":"list_files"}}]},
                "finishReason":"STOP"}]}),
            json!({"id":"chatcmpl-0000000000000abc","object":"chat.completion","created":1_700_000_000u64,
                "model":"gemini-2.5-flash","choices":[{"index":0,"message":{"role":"assistant",
                "content":"Let me look that up.",
                "tool_calls":[{"id":"fc_7","type":"function","function":{"name":"list_files","arguments":"{}"}}],
                "extra_content":{"google":{"thought_signature":"EtQDCtEDAdHtim"}}},
                "logprobs":null,"finish_reason":"tool_calls"}]}),
        ),
        (
            "two candidates (index 0 omitted), call ids numbered across them; unknown parts skipped",
            json!({"candidates":[
                {"content":{"role":"model","parts":[{"text":"A"},{"executableCode":{"language":"PYTHON","code":"1+1"}}]},
                    "finishReason":"MAX_TOKENS"},
                {"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":{"x":[1,2.50]}}},
                    {"functionCall":{"name":"g","args":null}}]},"finishReason":"STOP","index":1}],
                "usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":7,"toolUsePromptTokenCount":3,
                    "totalTokenCount":15}}),
            json!({"id":"chatcmpl-0000000000000abc","object":"chat.completion","created":1_700_000_000u64,
                "model":"gemini-2.5-flash","choices":[
                {"index":0,"message":{"role":"assistant","content":"A"},"logprobs":null,"finish_reason":"length"},
                {"index":1,"message":{"role":"assistant","content":null,"tool_calls":[
                    {"id":"call_0000000000000abc_0","type":"function","function":{"name":"f","arguments":"{\"x\":[1,2.5]}"}},
                    {"id":"call_0000000000000abc_1","type":"function","function":{"name":"g","arguments":"{}"}}]},
                    "logprobs":null,"finish_reason":"tool_calls"}],
                "usage":{"prompt_tokens":8,"completion_tokens":7,"total_tokens":15}}),
        ),
        (
            "candidate stopped by safety with no content; no finishReason on an empty candidate",
            json!({"candidates":[{"finishReason":"SAFETY","index":0,
                "safetyRatings":[{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH","blocked":true}]},
                {"content":{"parts":[]},"index":1}],
                "usageMetadata":{"promptTokenCount":9,"totalTokenCount":9}}),
            json!({"id":"chatcmpl-0000000000000abc","object":"chat.completion","created":1_700_000_000u64,
                "model":"gemini-2.5-flash","choices":[
                {"index":0,"message":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"content_filter"},
                {"index":1,"message":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],
                "usage":{"prompt_tokens":9,"completion_tokens":0,"total_tokens":9}}),
        ),
        (
            "empty thought part with only a signature; escapes and multi-byte text survive",
            json!({"candidates":[{"content":{"parts":[{"text":"Grüße \"zusammen\" 👋\n"},
                {"text":"","thought":true,"thoughtSignature":"sig=="}]},"finishReason":"STOP"}]}),
            json!({"id":"chatcmpl-0000000000000abc","object":"chat.completion","created":1_700_000_000u64,
                "model":"gemini-2.5-flash","choices":[{"index":0,"message":{"role":"assistant",
                "content":"Grüße \"zusammen\" 👋\n","extra_content":{"google":{"thought_signature":"sig=="}}},
                "logprobs":null,"finish_reason":"stop"}]}),
        ),
    ];
    for (name, upstream, want) in cases {
        assert_eq!(translate(&upstream), want, "{name}");
    }
}

#[test]
fn arguments_keep_key_order_and_number_spellings() {
    let body = br#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{
        "z" : 1.0,
        "a" : [1e2, "x y"]
    }}}]},"finishReason":"STOP"}]}"#;
    let v: Value = crate::json::from_bytes(&translate_response(body, &ctx()).unwrap()).unwrap();
    assert_eq!(v["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"], r#"{"z":1.0,"a":[1e2,"x y"]}"#);
}

#[test]
fn finish_reasons() {
    for (reason, calls, want) in [
        ("STOP", false, "stop"),
        ("STOP", true, "tool_calls"),
        ("MAX_TOKENS", false, "length"),
        ("MAX_TOKENS", true, "length"),
        ("SAFETY", false, "content_filter"),
        ("SAFETY", true, "content_filter"),
        ("RECITATION", false, "content_filter"),
        ("LANGUAGE", false, "content_filter"),
        ("BLOCKLIST", false, "content_filter"),
        ("PROHIBITED_CONTENT", false, "content_filter"),
        ("SPII", false, "content_filter"),
        ("IMAGE_SAFETY", false, "content_filter"),
        ("IMAGE_PROHIBITED_CONTENT", false, "content_filter"),
        ("IMAGE_RECITATION", false, "content_filter"),
        ("MODEL_ARMOR", false, "content_filter"),
        ("MALFORMED_FUNCTION_CALL", false, "stop"),
        ("UNEXPECTED_TOOL_CALL", false, "stop"),
        ("TOO_MANY_TOOL_CALLS", true, "tool_calls"),
        ("OTHER", false, "stop"),
        ("FINISH_REASON_UNSPECIFIED", false, "stop"),
        ("SOMETHING_NEW", false, "stop"),
    ] {
        assert_eq!(finish_reason(reason, calls), want, "{reason} {calls}");
    }
    let v =
        translate(&json!({"candidates":[{"content":{"parts":[{"text":""}]},"finishReason":"MALFORMED_FUNCTION_CALL",
        "finishMessage":"Malformed function call: print(default_api.f())"}]}));
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["choices"][0]["message"]["content"], "");
}

#[test]
fn usage_mapping() {
    let u = UsageIn { prompt_token_count: Some(3), candidates_token_count: Some(4), ..UsageIn::default() };
    assert_eq!(
        openai_usage(&u),
        UsageOut {
            prompt_tokens: 3,
            completion_tokens: 4,
            total_tokens: 7,
            prompt_tokens_details: None,
            completion_tokens_details: None
        }
    );
    let u = UsageIn { cached_content_token_count: Some(0), thoughts_token_count: Some(0), ..u };
    let out = openai_usage(&u);
    assert_eq!(out.prompt_tokens_details, Some(PromptTokensDetails { cached_tokens: 0 }));
    assert_eq!(out.completion_tokens_details, Some(CompletionTokensDetails { reasoning_tokens: 0 }));
    assert_eq!(openai_usage(&UsageIn::default()).total_tokens, 0);
}

#[test]
fn blocked_prompts_and_unreadable_responses() {
    let e = translate_response(
        br#"{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH"}]},
            "usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"gemini-2.5-flash"}"#,
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(
        (e.status, e.kind, e.param, e.code, e.message.as_str()),
        (
            400,
            "invalid_request_error",
            Some("messages"),
            Some("content_filter"),
            "the prompt was blocked by Gemini (blockReason: SAFETY)"
        )
    );
    let e = translate_response(
        br#"{"candidates":[],"promptFeedback":{"blockReason":"PROHIBITED_CONTENT","blockReasonMessage":"Prohibited use."}}"#,
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(e.message, "the prompt was blocked by Gemini (blockReason: PROHIBITED_CONTENT): Prohibited use.");

    for body in [
        &b"not json"[..],
        b"[]",
        b"",
        b"{}",
        br#"{"candidates":[]}"#,
        br#"{"promptFeedback":{}}"#,
        br#"{"candidates":[{"content":{"parts":[{"text":7}]}}]}"#,
        br#"{"candidates":{"a":1}}"#,
    ] {
        let e = translate_response(body, &ctx()).unwrap_err();
        assert_eq!((e.status, e.kind), (502, "api_error"), "{}", String::from_utf8_lossy(body));
    }
    // A Google error with a 2xx status.
    let e = translate_response(
        br#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#,
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(
        (e.status, e.kind, e.code, e.message.as_str()),
        (503, "api_error", Some("unavailable"), "The model is overloaded.")
    );
}

#[test]
fn translates_errors() {
    let google = |code: u16, status: &str, message: &str| {
        json!({"error":{"code":code,"message":message,"status":status}}).to_string()
    };
    let cases: Vec<(u16, String, Value)> = vec![
        (
            400,
            google(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified\n"),
            json!({"message":"* GenerateContentRequest.contents: contents is not specified\n","type":"invalid_request_error","param":null,"code":"invalid_argument"}),
        ),
        (
            400,
            json!([{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
                "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com",
                    "metadata":{"service":"generativelanguage.googleapis.com"}},
                    {"@type":"type.googleapis.com/google.rpc.DebugInfo","detail":"Invalid API key: AIzaSyXXXX"}]}}]).to_string(),
            json!({"message":"API key not valid. Please pass a valid API key.","type":"authentication_error","param":null,"code":"invalid_api_key"}),
        ),
        (
            400,
            google(400, "FAILED_PRECONDITION", "User location is not supported for the API use."),
            json!({"message":"User location is not supported for the API use.","type":"invalid_request_error","param":null,"code":"failed_precondition"}),
        ),
        (
            401,
            google(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
            json!({"message":"Request had invalid authentication credentials.","type":"authentication_error","param":null,"code":"unauthenticated"}),
        ),
        (
            403,
            google(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."),
            json!({"message":"Method doesn't allow unregistered callers.","type":"permission_error","param":null,"code":"permission_denied"}),
        ),
        (
            404,
            google(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta."),
            json!({"message":"models/gemini-9 is not found for API version v1beta.","type":"not_found_error","param":null,"code":"not_found"}),
        ),
        (
            429,
            json!({"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED",
                "details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"m"}]},
                    {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"27s"}]}}).to_string(),
            json!({"message":"You exceeded your current quota.","type":"rate_limit_error","param":null,"code":"resource_exhausted"}),
        ),
        (
            500,
            google(500, "INTERNAL", "An internal error has occurred."),
            json!({"message":"An internal error has occurred.","type":"api_error","param":null,"code":"internal"}),
        ),
        (
            503,
            google(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
            json!({"message":"The model is overloaded. Please try again later.","type":"api_error","param":null,"code":"unavailable"}),
        ),
        (
            504,
            google(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
            json!({"message":"Deadline expired before operation could complete.","type":"api_error","param":null,"code":"deadline_exceeded"}),
        ),
        (
            502,
            "<html><title>502 Bad Gateway</title></html>".into(),
            json!({"message":"upstream error (HTTP 502)","type":"api_error","param":null,"code":null}),
        ),
        (
            404,
            String::new(),
            json!({"message":"upstream error (HTTP 404)","type":"not_found_error","param":null,"code":null}),
        ),
        (
            418,
            json!({"error":{"code":418,"message":"short and stout","status":"TEAPOT"}}).to_string(),
            json!({"message":"short and stout","type":"invalid_request_error","param":null,"code":null}),
        ),
        (
            429,
            json!({"error":{"code":"x","status":"RESOURCE_EXHAUSTED"}}).to_string(),
            json!({"message":"upstream error (HTTP 429)","type":"rate_limit_error","param":null,"code":"resource_exhausted"}),
        ),
        (
            400,
            json!({"error":{"message":"OpenAI-shaped","type":"invalid_request_error"}}).to_string(),
            json!({"message":"OpenAI-shaped","type":"invalid_request_error","param":null,"code":null}),
        ),
    ];
    for (status, body, want) in cases {
        let (s, out) = translate_error(status, body.as_bytes());
        let v: Value = crate::json::from_bytes(&out).unwrap();
        assert_eq!((s, &v["error"]), (status, &want), "{status} {body}");
        assert!(!String::from_utf8_lossy(&out).contains("AIza"), "details are not copied");
    }
    // The HTTP status wins over the body's code.
    let (s, _) = translate_error(500, google(503, "UNAVAILABLE", "x").as_bytes());
    assert_eq!(s, 500);
}

/// Serde's semantics, kept by the hand-written reader: `null` is absent, unknown members are
/// ignored, a member of the wrong type anywhere makes the response unreadable (502), even
/// next to a Google error.
#[test]
fn member_types_are_checked_like_serde() {
    let readable = [
        r#"{"candidates":[{"content":{"parts":[{"text":null,"thought":null,"thoughtSignature":null,"functionCall":null}]},
            "finishReason":null,"index":null}],"promptFeedback":null,"usageMetadata":null,"modelVersion":null,
            "responseId":null,"error":null,"extra":{"deep":[1,{"x":null}]}}"#,
        r#"{"candidates":[{"content":null}]}"#,
        r#"{"candidates":[{"content":{"parts":null,"role":7}}]}"#,
        r#"{"candidates":[{"content":{"parts":[{"functionCall":{"id":null,"name":null,"args":5}}]},"index":4294967295}]}"#,
        r#"{"candidates":[{"index":0}],"usageMetadata":{"promptTokenCount":null,"totalTokenCount":18446744073709551615,
            "promptTokensDetails":"ignored"},"promptFeedback":{"blockReason":null,"safetyRatings":7}}"#,
        r#"{"candidates":[{"content":{"parts":[{"text":"caf\u00e9","thoughtSignature":"s\/1"}]}}],"responseId":"a\"b"}"#,
    ];
    for body in readable {
        assert!(translate_response(body.as_bytes(), &ctx()).is_ok(), "{body}");
    }
    let v: Value = crate::json::from_bytes(&translate_response(readable[3].as_bytes(), &ctx()).unwrap()).unwrap();
    assert_eq!(v["choices"][0]["index"], 4_294_967_295u64);
    assert_eq!(v["choices"][0]["message"]["tool_calls"][0]["function"], json!({"name":"","arguments":"5"}));
    let v: Value = crate::json::from_bytes(&translate_response(readable[5].as_bytes(), &ctx()).unwrap()).unwrap();
    assert_eq!(v["id"], "chatcmpl-a\"b");
    assert_eq!(v["choices"][0]["message"]["content"], "café");
    assert_eq!(v["choices"][0]["message"]["extra_content"]["google"]["thought_signature"], "s/1");

    let unreadable = [
        r#"{"candidates":7}"#,
        r#"{"candidates":[null]}"#,
        r#"{"candidates":[7]}"#,
        r#"{"candidates":[{"content":"x"}]}"#,
        r#"{"candidates":[{"content":{"parts":{}}}]}"#,
        r#"{"candidates":[{"content":{"parts":[null]}}]}"#,
        r#"{"candidates":[{"content":{"parts":[{"thought":"true"}]}}]}"#,
        r#"{"candidates":[{"content":{"parts":[{"thought":1}]}}]}"#,
        r#"{"candidates":[{"content":{"parts":[{"thoughtSignature":1}]}}]}"#,
        r#"{"candidates":[{"content":{"parts":[{"functionCall":"f"}]}}]}"#,
        r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":1}}]}}]}"#,
        r#"{"candidates":[{"content":{"parts":[{"functionCall":{"id":{}}}]}}]}"#,
        r#"{"candidates":[{"finishReason":1}]}"#,
        r#"{"candidates":[{"index":-1}]}"#,
        r#"{"candidates":[{"index":1.5}]}"#,
        r#"{"candidates":[{"index":"0"}]}"#,
        r#"{"candidates":[{"index":4294967296}]}"#,
        r#"{"candidates":[{}],"usageMetadata":"x"}"#,
        r#"{"candidates":[{}],"usageMetadata":{"promptTokenCount":-1}}"#,
        r#"{"candidates":[{}],"usageMetadata":{"thoughtsTokenCount":1.0}}"#,
        r#"{"candidates":[{}],"usageMetadata":{"totalTokenCount":"3"}}"#,
        r#"{"candidates":[{}],"modelVersion":1}"#,
        r#"{"candidates":[{}],"responseId":true}"#,
        r#"{"promptFeedback":"SAFETY"}"#,
        r#"{"promptFeedback":{"blockReason":1}}"#,
        r#"{"promptFeedback":{"blockReason":"SAFETY","blockReasonMessage":2}}"#,
        r#"{"error":"boom"}"#,
        r#"{"error":{"code":503,"message":1,"status":"UNAVAILABLE"}}"#,
        r#"{"error":{"code":503,"message":"m","status":2}}"#,
        r#"{"error":{"code":503,"message":"m","status":"UNAVAILABLE"},"candidates":{}}"#,
        r#"{"candidates":[{}]} x"#,
        "null",
        "7",
    ];
    for body in unreadable {
        let e = translate_response(body.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            (e.status, e.kind, e.message.as_str()),
            (502, "api_error", "the upstream response is not a valid Gemini response"),
            "{body}"
        );
    }
    // An error body that does not read as a response gets the generic message.
    for body in [
        r#"{"error":{"code":503,"message":1,"status":"UNAVAILABLE"}}"#,
        r#"{"error":{"code":503,"message":"m","status":"UNAVAILABLE"},"usageMetadata":{"promptTokenCount":"1"}}"#,
        r#"[{"error":{"code":503,"message":"m","status":["UNAVAILABLE"]}}]"#,
    ] {
        let (_, out) = translate_error(503, body.as_bytes());
        let v: Value = crate::json::from_bytes(&out).unwrap();
        assert_eq!(v["error"]["message"], "upstream error (HTTP 503)", "{body}");
    }
    let (_, out) = translate_error(503, br#"{"error":{"code":null,"message":"m","status":null,"details":null}}"#);
    let v: Value = crate::json::from_bytes(&out).unwrap();
    assert_eq!(v["error"], json!({"message":"m","type":"api_error","param":null,"code":null}));
}

/// A duplicated member: the last one wins, `null` included (serde rejected duplicates).
#[test]
fn duplicated_members_last_wins() {
    let body = br#"{"candidates":[{"index":3}],"candidates":[{"content":{"parts":[{"text":"a"}]},
        "content":{"parts":[{"text":"b"}],"parts":[{"text":"c","text":"d"}]},"finishReason":"X","finishReason":null}],
        "responseId":"r1","responseId":"r2"}"#;
    let v: Value = crate::json::from_bytes(&translate_response(body, &ctx()).unwrap()).unwrap();
    assert_eq!(v["id"], "chatcmpl-r2");
    assert_eq!(
        v["choices"],
        json!([{"index":0,"message":{"role":"assistant","content":"d"},"logprobs":null,"finish_reason":null}])
    );
    let body = br#"{"candidates":[{"content":{"parts":[{"text":"a"}]},"content":null}],"candidates":null}"#;
    let e = translate_response(body, &ctx()).unwrap_err();
    assert_eq!(e.message, "the upstream response has no candidates");
    let body = br#"{"candidates":[{"content":{"parts":[{"text":"a"}],"parts":null}}]}"#;
    let v: Value = crate::json::from_bytes(&translate_response(body, &ctx()).unwrap()).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "");
}

#[test]
fn candidate_message_counts_calls_across_calls() {
    let resp = response_in(
        r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"a"}},{"text":"t"},
            {"functionCall":{"id":"","name":"b","args":{}}}]}}]}"#,
    )
    .unwrap();
    let parts = &resp.candidates[0].parts;
    let mut calls = 5;
    let m = candidate_message(parts, 1, &mut calls);
    assert_eq!(calls, 7);
    let ids: Vec<&str> = m.tool_calls.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["call_0000000000000001_5", "call_0000000000000001_6"]);
    assert_eq!((m.content.as_str(), m.reasoning, m.signature), ("t", None, None));
    // A stream sets the index on its deltas.
    let mut call = m.tool_calls.into_iter().next().unwrap();
    call.index = Some(0);
    let mut written = Vec::new();
    call.write(&mut written);
    assert_eq!(
        String::from_utf8(written).unwrap(),
        r#"{"index":0,"id":"call_0000000000000001_5","type":"function","function":{"name":"a","arguments":"{}"}}"#
    );
}
