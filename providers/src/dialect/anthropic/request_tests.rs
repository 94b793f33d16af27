use super::*;
use serde_json::{json, Value};

const OPTS: RequestOptions = RequestOptions { default_max_tokens: 4096 };

fn build(req: &Value) -> Result<Translated, ProxyError> {
    build_request(req.to_string().as_bytes(), "claude-sonnet-4-5", &OPTS)
}

fn body(req: Value) -> Value {
    let t = build(&req).unwrap_or_else(|e| panic!("{e}"));
    crate::json::from_bytes(&t.body).unwrap()
}

fn err(req: Value) -> ProxyError {
    build(&req).unwrap_err()
}

#[test]
fn translates_requests() {
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "system and developer hoisted in order, default max_tokens, stream",
            json!({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[
                {"role":"system","content":"You are terse."},
                {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
                {"role":"user","content":"Hello"},
                {"role":"assistant","content":"Bonjour."},
                {"role":"system","content":"Late rule."},
                {"role":"user","content":"How are you?"}]}),
            json!({"model":"claude-sonnet-4-5",
                "system":"You are terse.\n\nAnswer in French.\n\nLate rule.",
                "messages":[{"role":"user","content":"Hello"},{"role":"assistant","content":"Bonjour."},
                    {"role":"user","content":"How are you?"}],
                "max_tokens":4096,"stream":true}),
        ),
        (
            "consecutive user turns merged into blocks; names dropped",
            json!({"model":"m","messages":[
                {"role":"user","name":"alice","content":"first"},
                {"role":"user","content":[{"type":"text","text":"second"},{"type":"text","text":""}]}]}),
            json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[
                {"type":"text","text":"first"},{"type":"text","text":"second"}]}],"max_tokens":4096}),
        ),
        (
            "images: data URL and https URL; cache_control kept on parts",
            json!({"model":"m","max_completion_tokens":300,"max_tokens":99,"messages":[{"role":"user","content":[
                {"type":"text","text":"What is in these images?","cache_control":{"type":"ephemeral"}},
                {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
                {"type":"image_url","image_url":{"url":"https://upload.wikimedia.org/a.jpg"}}]}]}),
            json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[
                {"type":"text","text":"What is in these images?","cache_control":{"type":"ephemeral"}},
                {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                {"type":"image","source":{"type":"url","url":"https://upload.wikimedia.org/a.jpg"}}]}],
                "max_tokens":300}),
        ),
        (
            "parallel tool calls, tool results merged with the following user text",
            json!({"model":"m","max_tokens":1024,"tool_choice":"required","parallel_tool_calls":false,
                "tools":[{"type":"function","function":{"name":"get_weather","description":"Get the weather",
                    "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},
                    "strict":true}},
                    {"type":"function","function":{"name":"now"}}],
                "messages":[
                {"role":"user","content":"Weather in Paris and Tokyo?"},
                {"role":"assistant","content":null,"tool_calls":[
                    {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                    {"id":"call_2","type":"function","function":{"name":"now","arguments":""}}]},
                {"role":"tool","tool_call_id":"call_1","content":"18C"},
                {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"12:00"}]},
                {"role":"user","content":"Thanks, and?"}]}),
            json!({"model":"claude-sonnet-4-5","messages":[
                {"role":"user","content":"Weather in Paris and Tokyo?"},
                {"role":"assistant","content":[
                    {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
                    {"type":"tool_use","id":"call_2","name":"now","input":{}}]},
                {"role":"user","content":[
                    {"type":"tool_result","tool_use_id":"call_1","content":"18C"},
                    {"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"12:00"}]},
                    {"type":"text","text":"Thanks, and?"}]}],
                "max_tokens":1024,
                "tools":[{"name":"get_weather","description":"Get the weather","input_schema":
                    {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
                    {"name":"now","input_schema":{"type":"object","properties":{}}}],
                "tool_choice":{"type":"any","disable_parallel_tool_use":true}}),
        ),
        (
            "thinking from reasoning_effort, thinking blocks sent back first, tool id sanitised",
            json!({"model":"m","reasoning_effort":"medium","messages":[
                {"role":"user","content":"Think."},
                {"role":"assistant","content":"Let me check.","reasoning_content":"hmm",
                 "thinking_blocks":[{"type":"thinking","thinking":"hmm","signature":"EqQB"},
                    {"type":"redacted_thinking","data":"EmwK"}],
                 "tool_calls":[{"id":"functions.lookup:0","type":"function","function":{"name":"lookup","arguments":"{}"}}]},
                {"role":"tool","tool_call_id":"functions.lookup:0","content":"ok"}],
                "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]}),
            json!({"model":"claude-sonnet-4-5","messages":[
                {"role":"user","content":"Think."},
                {"role":"assistant","content":[
                    {"type":"thinking","thinking":"hmm","signature":"EqQB"},
                    {"type":"redacted_thinking","data":"EmwK"},
                    {"type":"text","text":"Let me check."},
                    {"type":"tool_use","id":"functions_lookup_0","name":"lookup","input":{}}]},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"functions_lookup_0","content":"ok"}]}],
                "max_tokens":8192 + 4096,"thinking":{"type":"enabled","budget_tokens":8192},
                "tools":[{"name":"lookup","input_schema":{"type":"object"}}]}),
        ),
        (
            // (json! sorts keys, so the schema reaches the translator as properties, type.)
            "cache_control in a system part → system blocks; json_schema instruction appended",
            json!({"model":"m","messages":[
                {"role":"system","content":[{"type":"text","text":"Long context","cache_control":{"type":"ephemeral"}}]},
                {"role":"system","content":"Be brief."},
                {"role":"user","content":"Extract."}],
                "response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,
                    "schema":{"type":"object", "properties":{"name":{"type":"string"}}}}}}),
            json!({"model":"claude-sonnet-4-5","system":[
                {"type":"text","text":"Long context","cache_control":{"type":"ephemeral"}},
                {"type":"text","text":"Be brief."},
                {"type":"text","text":"Respond only with a JSON object that conforms to this JSON schema:\n{\"properties\":{\"name\":{\"type\":\"string\"}},\"type\":\"object\"}"}],
                "messages":[{"role":"user","content":"Extract."}],"max_tokens":4096}),
        ),
        (
            "json_object without system; stop, user, service tier; drops, also of members the Messages API does not define",
            json!({"model":"m","messages":[{"role":"user","content":"Hi"}],
                "response_format":{"type":"json_object"},"stop":"END","user":"user-123",
                "service_tier":"auto","n":1,"logprobs":true,"top_logprobs":2,"frequency_penalty":0.5,
                "presence_penalty":0.1,"logit_bias":{"50256":-100},"seed":7,"store":true,
                "modalities":["text"],"prediction":{"type":"content","content":"x"},"temperature":0.2,
                "top_p":0.9,"top_k":40,"custom_field":{"a":1},"nothing":null,"stream":false,
                "stream_options":{"include_usage":true},"metadata":{"session":"s1"},
                "chat_template_kwargs":{"enable_thinking":false},"enable_thinking":true,
                "extra_headers":{"Authorization":"Bearer consumer-jwt"}}),
            json!({"model":"claude-sonnet-4-5","system":"Respond only with a valid JSON object.",
                "messages":[{"role":"user","content":"Hi"}],"max_tokens":4096,"stop_sequences":["END"],
                "metadata":{"user_id":"user-123"},"service_tier":"auto","temperature":0.2,"top_p":0.9,
                "top_k":40}),
        ),
        (
            "Anthropic-native thinking passes through; OpenAI service tier dropped; metadata.user_id wins",
            json!({"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":20000,
                "thinking":{"type":"enabled","budget_tokens":10000},"reasoning_effort":"low",
                "service_tier":"flex","stop":["a","b"],"user":"u","metadata":{"user_id":"m-1"}}),
            json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}],"max_tokens":20000,
                "thinking":{"type":"enabled","budget_tokens":10000},"stop_sequences":["a","b"],
                "metadata":{"user_id":"m-1"}}),
        ),
        (
            "reasoning_max_tokens raised to the minimum; minimal effort means no thinking",
            json!({"model":"m","messages":[{"role":"user","content":"Hi"}],"reasoning_max_tokens":500,
                "max_tokens":2000}),
            json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}],"max_tokens":2000,
                "thinking":{"type":"enabled","budget_tokens":1024}}),
        ),
        (
            "empty assistant turn skipped, merged user turns around it; Anthropic-native parts pass",
            json!({"model":"m","reasoning_effort":"minimal","messages":[
                {"role":"user","content":"a"},
                {"role":"assistant","content":""},
                {"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}}]}]}),
            json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[
                {"type":"text","text":"a"},
                {"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}}]}],
                "max_tokens":4096}),
        ),
        (
            "legacy functions and function_call",
            json!({"model":"m","functions":[{"name":"f","parameters":{"type":"object","properties":{}}}],
                "function_call":{"name":"f"},"messages":[
                {"role":"user","content":"go"},
                {"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{\"x\":1}"}},
                {"role":"function","name":"f","content":"done"}]}),
            json!({"model":"claude-sonnet-4-5","messages":[
                {"role":"user","content":"go"},
                {"role":"assistant","content":[{"type":"tool_use","id":"call_legacy_1","name":"f","input":{"x":1}}]},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_legacy_1","content":"done"}]}],
                "max_tokens":4096,"tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}],
                "tool_choice":{"type":"tool","name":"f"}}),
        ),
        (
            "tool result placed first in a merged user turn; final assistant prefill kept",
            json!({"model":"m","tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}],
                "tool_choice":"none","parallel_tool_calls":false,"messages":[
                {"role":"user","content":"q"},
                {"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"x","arguments":"{}"}}]},
                {"role":"user","content":"interjection"},
                {"role":"tool","tool_call_id":"t1","content":""},
                {"role":"assistant","content":"{\"answer\":"}]}),
            json!({"model":"claude-sonnet-4-5","messages":[
                {"role":"user","content":"q"},
                {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"x","input":{}}]},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1"},{"type":"text","text":"interjection"}]},
                {"role":"assistant","content":"{\"answer\":"}],
                "max_tokens":4096,"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}],
                "tool_choice":{"type":"none"}}),
        ),
    ];
    for (name, req, want) in cases {
        assert_eq!(body(req), want, "{name}");
    }
}

#[test]
fn tool_choice_shapes() {
    let tools = json!([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]);
    let cases: Vec<(Value, Option<bool>, Value)> = vec![
        (json!("auto"), None, json!({"type":"auto"})),
        (json!("none"), None, json!({"type":"none"})),
        (json!("required"), None, json!({"type":"any"})),
        (
            json!({"type":"function","function":{"name":"get_weather"}}),
            None,
            json!({"type":"tool","name":"get_weather"}),
        ),
        (
            json!({"type":"function","function":{"name":"get_weather"}}),
            Some(false),
            json!({"type":"tool","name":"get_weather","disable_parallel_tool_use":true}),
        ),
        (json!("auto"), Some(false), json!({"type":"auto","disable_parallel_tool_use":true})),
        (json!("auto"), Some(true), json!({"type":"auto"})),
        (json!("none"), Some(false), json!({"type":"none"})),
        (Value::Null, Some(false), json!({"type":"auto","disable_parallel_tool_use":true})),
        (
            json!({"type":"any","disable_parallel_tool_use":true}),
            None,
            json!({"type":"any","disable_parallel_tool_use":true}),
        ),
    ];
    for (choice, parallel, want) in cases {
        let mut req = json!({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":tools});
        if !choice.is_null() {
            req["tool_choice"] = choice.clone();
        }
        if let Some(p) = parallel {
            req["parallel_tool_calls"] = json!(p);
        }
        assert_eq!(body(req)["tool_choice"], want, "{choice} {parallel:?}");
    }
    // No tools: no tool_choice, no disable flag.
    let b = body(
        json!({"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"auto","parallel_tool_calls":false}),
    );
    assert!(b.get("tool_choice").is_none() && b.get("tools").is_none());
}

#[test]
fn rejects_what_anthropic_cannot_take() {
    let user = |content: Value| json!({"model":"m","messages":[{"role":"user","content":content}]});
    let cases: Vec<(&str, Value, Option<&str>, &str)> = vec![
        (
            "assistant first",
            json!({"model":"m","messages":[{"role":"system","content":"s"},{"role":"assistant","content":"hi"},{"role":"user","content":"q"}]}),
            Some("messages"),
            "first non-system message",
        ),
        (
            "invalid arguments",
            json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{bad"}}]}]}),
            Some("messages"),
            "JSON object",
        ),
        (
            "array arguments",
            json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}),
            Some("messages"),
            "JSON object",
        ),
        (
            "tool call without id",
            json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]}),
            Some("messages"),
            "id is required",
        ),
        (
            "tool without tool_call_id",
            json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"tool","content":"x"}]}),
            Some("messages"),
            "tool_call_id",
        ),
        (
            "file part",
            user(json!([{"type":"file","file":{"file_id":"file-abc"}}])),
            Some("messages"),
            "`file` content parts are not supported",
        ),
        (
            "audio part",
            user(json!([{"type":"input_audio","input_audio":{"data":"AAA","format":"wav"}}])),
            Some("messages"),
            "`input_audio`",
        ),
        (
            "ftp image",
            user(json!([{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}])),
            Some("messages"),
            "http(s) URL",
        ),
        (
            "non-base64 data URL",
            user(json!([{"type":"image_url","image_url":{"url":"data:image/png,abc"}}])),
            Some("messages"),
            "base64",
        ),
        (
            "unknown role",
            json!({"model":"m","messages":[{"role":"robot","content":"x"}]}),
            Some("messages"),
            "unknown role",
        ),
        ("content number", user(json!(3)), Some("messages"), "string or an array"),
        ("no messages", json!({"model":"m"}), Some("messages"), "required"),
        ("n > 1", json!({"model":"m","n":2,"messages":[{"role":"user","content":"q"}]}), Some("n"), "`n`"),
        (
            "bad effort",
            json!({"model":"m","reasoning_effort":"max","messages":[{"role":"user","content":"q"}]}),
            Some("reasoning_effort"),
            "reasoning_effort",
        ),
        (
            "max_tokens below budget",
            json!({"model":"m","reasoning_effort":"high","max_tokens":16000,"messages":[{"role":"user","content":"q"}]}),
            Some("max_tokens"),
            "thinking budget",
        ),
        (
            "max_completion_tokens equal to native budget",
            json!({"model":"m","thinking":{"type":"enabled","budget_tokens":2048},"max_completion_tokens":2048,"messages":[{"role":"user","content":"q"}]}),
            Some("max_completion_tokens"),
            "thinking budget",
        ),
        (
            "negative max_tokens",
            json!({"model":"m","max_tokens":-1,"messages":[{"role":"user","content":"q"}]}),
            Some("max_tokens"),
            "non-negative",
        ),
        (
            "custom tool",
            json!({"model":"m","tools":[{"type":"custom","custom":{"name":"x"}}],"messages":[{"role":"user","content":"q"}]}),
            Some("tools"),
            "custom tools",
        ),
        (
            "bad tool_choice",
            json!({"model":"m","tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes","messages":[{"role":"user","content":"q"}]}),
            Some("tool_choice"),
            "tool_choice",
        ),
        (
            "non-text system part",
            json!({"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://a/b.png"}}]},{"role":"user","content":"q"}]}),
            Some("messages"),
            "system content must be text",
        ),
        (
            "stream not bool",
            json!({"model":"m","stream":"yes","messages":[{"role":"user","content":"q"}]}),
            Some("stream"),
            "boolean",
        ),
    ];
    for (name, req, param, needle) in cases {
        let e = err(req);
        assert_eq!(e.status, 400, "{name}");
        assert_eq!(e.param, param, "{name}");
        assert!(e.message.contains(needle), "{name}: {}", e.message);
    }
    assert_eq!(build_request(b"[1]", "m", &OPTS).unwrap_err().status, 400);
    assert_eq!(build_request(b"{", "m", &OPTS).unwrap_err().status, 400);
}

#[test]
fn flags_and_raw_bytes() {
    let t = build(&json!({"model":"m","stream":true,"messages":[{"role":"user","content":"q"}]})).unwrap();
    assert!(t.stream && !t.include_usage);
    let t = build(&json!({"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"q"}]})).unwrap();
    assert!(t.stream && t.include_usage);
    let t = build(&json!({"model":"m","messages":[{"role":"user","content":"q"}]})).unwrap();
    assert!(!t.stream && !t.include_usage);

    // Pass-through numbers, schemas and arguments keep their bytes and key order.
    let raw = br#"{"model":"gpt-4o","temperature":0.70,"top_k":1e1,"messages":[{"role":"user","content":"q"},
        {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"z\":1,\"a\":2}"}}]},
        {"role":"tool","tool_call_id":"c1","content":"r"}],
        "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"number"}}}}}]}"#;
    let t = build_request(raw, "claude-opus-4-1", &OPTS).unwrap();
    let s = String::from_utf8(t.body).unwrap();
    assert!(s.starts_with(r#"{"model":"claude-opus-4-1","messages":"#), "{s}");
    assert!(s.contains(r#""temperature":0.70"#) && s.contains(r#""top_k":1e1"#), "{s}");
    assert!(s.contains(r#""input":{"z":1,"a":2}"#), "{s}");
    assert!(s.contains(r#""properties":{"zeta":{"type":"string"},"alpha":{"type":"number"}}"#), "{s}");
    assert!(!s.contains("gpt-4o"));

    // Escaped URLs and system text with escapes.
    let raw = br#"{"messages":[{"role":"system","content":"a\nb"},{"role":"user","content":[{"type":"image_url","image_url":"https:\/\/x.test\/i.png"},{"type":"image_url","image_url":{"url":"data:image\/jpeg;base64,\/9j\/4A=="}}]}]}"#;
    let v: Value = crate::json::from_bytes(&build_request(raw, "m", &OPTS).unwrap().body).unwrap();
    assert_eq!(v["system"], "a\nb");
    assert_eq!(v["messages"][0]["content"][0]["source"], json!({"type":"url","url":"https://x.test/i.png"}));
    assert_eq!(
        v["messages"][0]["content"][1]["source"],
        json!({"type":"base64","media_type":"image/jpeg","data":"/9j/4A=="})
    );
}

#[test]
fn escapes_strings_like_serde_json() {
    let mut all: String = (0u8..0x80).map(char::from).collect();
    all.push_str("é€😀\u{2028}\u{7f}\\\"/");
    let mut out = Vec::new();
    string(&mut out, &all);
    assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&all).unwrap());
    for s in ["", "plain", "\"", "a\u{1f}b\u{0}"] {
        let mut out = Vec::new();
        string(&mut out, s);
        assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
    }
}

#[test]
fn compacts_json_text() {
    assert_eq!(
        crate::json::compact("{ \"a b\" : [1, 2 ,\n\"x \\\" y\" ],\t\"c\":{} }"),
        r#"{"a b":[1,2,"x \" y"],"c":{}}"#
    );
}
