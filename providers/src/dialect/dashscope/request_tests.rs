use super::*;
use serde_json::{json, Value};

fn opts() -> QwenOptions {
    QwenOptions::default()
}

fn build(req: &Value, model: &str, opts: &QwenOptions) -> Result<NativeRequest, ProxyError> {
    build_request(req.to_string().as_bytes(), model, opts)
}

fn body(r: &NativeRequest) -> Value {
    crate::json::from_bytes(&r.body).unwrap()
}

fn err(req: Value) -> ProxyError {
    build(&req, "qwen-plus", &opts()).unwrap_err()
}

#[test]
fn translates_requests() {
    let weather = json!({"type":"function","function":{"name":"get_current_weather","description":"获取现在的天气",
        "parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}});
    let files = QwenOptions { enable_search: false, file_ids: vec!["file-fe-a".into(), "file-fe-b".into()] };
    let search = QwenOptions { enable_search: true, file_ids: vec![] };
    // (name, model, options, client, expected body, multimodal)
    let cases: Vec<(&str, &str, QwenOptions, Value, Value, bool)> = vec![
        (
            "plain text: only what the client sent, max_completion_tokens wins, developer is system",
            "qwen-plus",
            opts(),
            json!({"model":"gpt-4o","messages":[{"role":"developer","content":"You are a helpful assistant."},
                {"role":"user","content":"请问 1+1 是多少？"}],
                "temperature":0.85,"top_p":0.8,"top_k":100,"seed":1234,"max_tokens":10,"max_completion_tokens":1500,
                "stop":["你好"],"n":2,"presence_penalty":1.2,"frequency_penalty":0.5,"user":"u-1","store":true,
                "logprobs":true,"top_logprobs":2,"response_format":{"type":"json_object"},"metadata":{"a":"b"}}),
            json!({"model":"qwen-plus","input":{"messages":[{"role":"system","content":"You are a helpful assistant."},
                {"role":"user","content":"请问 1+1 是多少？"}]},
                "parameters":{"result_format":"message","max_tokens":1500,"temperature":0.85,"top_p":0.8,"top_k":100,
                    "seed":1234,"n":2,"presence_penalty":1.2,"stop":["你好"],"response_format":{"type":"json_object"},
                    "logprobs":true,"top_logprobs":2}}),
            false,
        ),
        (
            "nothing sent, nothing invented",
            "qwen-turbo",
            opts(),
            json!({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":null}),
            json!({"model":"qwen-turbo","input":{"messages":[{"role":"user","content":"hi"}]},
                "parameters":{"result_format":"message"}}),
            false,
        ),
        (
            "tool round trip: calls kept, null content is \"\", tool_call_id and name carried",
            "qwen-max",
            opts(),
            json!({"model":"m","messages":[
                {"role":"user","content":"杭州和上海现在的天气如何？"},
                {"role":"assistant","content":null,"tool_calls":[
                    {"id":"call_29a870e7106f45deb8add3","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"杭州市\"}"}},
                    {"id":"call_026e44bb31a74266949a20","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"上海市\"}"}}]},
                {"role":"tool","tool_call_id":"call_29a870e7106f45deb8add3","name":"get_current_weather","content":"杭州-大部多云"},
                {"role":"tool","tool_call_id":"call_026e44bb31a74266949a20","content":[{"type":"text","text":"上海-晴"}]}],
                "tools":[weather],"tool_choice":{"type":"function","function":{"name":"get_current_weather"}},
                "parallel_tool_calls":true}),
            json!({"model":"qwen-max","input":{"messages":[
                {"role":"user","content":"杭州和上海现在的天气如何？"},
                {"role":"assistant","content":"","tool_calls":[
                    {"id":"call_29a870e7106f45deb8add3","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"杭州市\"}"}},
                    {"id":"call_026e44bb31a74266949a20","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"上海市\"}"}}]},
                {"role":"tool","content":"杭州-大部多云","tool_call_id":"call_29a870e7106f45deb8add3","name":"get_current_weather"},
                {"role":"tool","content":"上海-晴","tool_call_id":"call_026e44bb31a74266949a20"}]},
                "parameters":{"result_format":"message","tools":[weather],
                    "tool_choice":{"type":"function","function":{"name":"get_current_weather"}},"parallel_tool_calls":true}}),
            false,
        ),
        (
            "an image part makes the request multimodal: every content is a list",
            "qwen-plus",
            opts(),
            json!({"model":"m","messages":[{"role":"system","content":"You are a helpful assistant."},
                {"role":"user","content":[{"type":"image_url","image_url":{"url":"https://dashscope.oss-cn-beijing.aliyuncs.com/images/dog_and_girl.jpeg","detail":"high"}},
                    {"type":"text","text":"这个图片是哪里？"}]},
                {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                {"role":"tool","tool_call_id":"c1","content":"晴"},
                {"role":"assistant","content":""}]}),
            json!({"model":"qwen-plus","input":{"messages":[{"role":"system","content":[{"text":"You are a helpful assistant."}]},
                {"role":"user","content":[{"image":"https://dashscope.oss-cn-beijing.aliyuncs.com/images/dog_and_girl.jpeg"},
                    {"text":"这个图片是哪里？"}]},
                {"role":"assistant","content":[],"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                {"role":"tool","content":[{"text":"晴"}],"tool_call_id":"c1"},
                {"role":"assistant","content":[]}]},
                "parameters":{"result_format":"message"}}),
            true,
        ),
        (
            "a VL model is multimodal even with text only; native parts, data URLs, audio and video",
            "qwen-vl-max",
            opts(),
            json!({"model":"m","messages":[{"role":"user","content":[
                {"type":"image_url","image_url":"data:image/png;base64,iVBORw0KGgo="},
                {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"WAV"}},
                {"type":"input_audio","input_audio":{"data":"https://a.test/x.mp3","format":"mp3"}},
                {"type":"video_url","video_url":{"url":"https://a.test/v.mp4"}},
                {"type":"video","video":["https://a.test/1.jpg","https://a.test/2.jpg"]},
                {"video":"https://a.test/w.mp4","fps":2},
                {"text":"描述"}]},
                {"role":"user","content":"再说一遍"}],"vl_high_resolution_images":true}),
            json!({"model":"qwen-vl-max","input":{"messages":[{"role":"user","content":[
                {"image":"data:image/png;base64,iVBORw0KGgo="},
                {"audio":"data:audio/wav;base64,UklGRg=="},
                {"audio":"https://a.test/x.mp3"},
                {"video":"https://a.test/v.mp4"},
                {"video":["https://a.test/1.jpg","https://a.test/2.jpg"]},
                {"video":"https://a.test/w.mp4","fps":2},
                {"text":"描述"}]},
                {"role":"user","content":[{"text":"再说一遍"}]}]},
                "parameters":{"result_format":"message","vl_high_resolution_images":true}}),
            true,
        ),
        (
            "text parts of a text model are joined; cache_control keeps the client's array",
            "qwen-plus",
            opts(),
            json!({"model":"m","messages":[
                {"role":"system","content":[{"type":"text","text":"Long document...","cache_control":{"type":"ephemeral"}}]},
                {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"},{"text":"c"}]},
                {"role":"user","content":[{"text":"d","cache_control":{"type":"ephemeral"}}]},
                {"role":"assistant","content":[{"type":"refusal","refusal":"no"}],"reasoning_content":"think","partial":true}]}),
            json!({"model":"qwen-plus","input":{"messages":[
                {"role":"system","content":[{"type":"text","text":"Long document...","cache_control":{"type":"ephemeral"}}]},
                {"role":"user","content":"a\nb\nc"},
                {"role":"user","content":[{"text":"d","cache_control":{"type":"ephemeral"}}]},
                {"role":"assistant","content":"no","reasoning_content":"think","partial":true}]},
                "parameters":{"result_format":"message"}}),
            false,
        ),
        (
            "qwenFileIds after the leading system messages; enable_search from configuration",
            "qwen-long",
            QwenOptions { enable_search: true, ..files.clone() },
            json!({"model":"m","messages":[{"role":"system","content":"s1"},{"role":"developer","content":"s2"},
                {"role":"user","content":"这两个文件是相同的吗？"},{"role":"system","content":"late"}]}),
            json!({"model":"qwen-long","input":{"messages":[{"role":"system","content":"s1"},{"role":"system","content":"s2"},
                {"role":"system","content":"fileid://file-fe-a,fileid://file-fe-b"},
                {"role":"user","content":"这两个文件是相同的吗？"},{"role":"system","content":"late"}]},
                "parameters":{"result_format":"message","enable_search":true}}),
            false,
        ),
        (
            "qwenFileIds first when there is no system message",
            "qwen-long",
            files.clone(),
            json!({"model":"m","messages":[{"role":"user","content":"总结"}]}),
            json!({"model":"qwen-long","input":{"messages":[
                {"role":"system","content":"fileid://file-fe-a,fileid://file-fe-b"},{"role":"user","content":"总结"}]},
                "parameters":{"result_format":"message"}}),
            false,
        ),
        (
            "stream: incremental_output; reasoning_effort → thinking budget",
            "qwen-plus",
            opts(),
            json!({"model":"m","stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"medium",
                "messages":[{"role":"user","content":"q"}]}),
            json!({"model":"qwen-plus","input":{"messages":[{"role":"user","content":"q"}]},
                "parameters":{"result_format":"message","incremental_output":true,"enable_thinking":true,"thinking_budget":8192}}),
            false,
        ),
        (
            "reasoning_effort none → thinking off; Qwen3.5+ uses the multimodal endpoint",
            "qwen3.6-plus",
            opts(),
            json!({"model":"m","reasoning_effort":"none","messages":[{"role":"user","content":"q"}]}),
            json!({"model":"qwen3.6-plus","input":{"messages":[{"role":"user","content":[{"text":"q"}]}]},
                "parameters":{"result_format":"message","enable_thinking":false}}),
            true,
        ),
        (
            "unknown fields and native parameters pass through; native values win, ours-only are kept",
            "qwen-plus",
            search.clone(),
            json!({"model":"m","reasoning_effort":"high","repetition_penalty":1.1,"enable_thinking":false,
                "search_options":{"forced_search":true},"result_format":"text","incremental_output":false,
                "input":{"prompt":"ignored"},
                "parameters":{"enable_search":false,"temperature":0.1,"thinking_budget":500},"temperature":0.9,
                "messages":[{"role":"user","content":"q"}]}),
            json!({"model":"qwen-plus","input":{"messages":[{"role":"user","content":"q"}]},
                "parameters":{"result_format":"message","temperature":0.1,"enable_search":false,"enable_thinking":false,
                    "thinking_budget":500,"repetition_penalty":1.1,"search_options":{"forced_search":true}}}),
            false,
        ),
        (
            "legacy functions and function_call",
            "qwen-plus",
            opts(),
            json!({"model":"m","functions":[weather["function"]],"function_call":{"name":"get_current_weather"},
                "messages":[{"role":"user","content":"q"}]}),
            json!({"model":"qwen-plus","input":{"messages":[{"role":"user","content":"q"}]},
                "parameters":{"result_format":"message","tools":[weather],
                    "tool_choice":{"type":"function","function":{"name":"get_current_weather"}}}}),
            false,
        ),
    ];
    for (name, model, o, req, want, multimodal) in cases {
        let r = build(&req, model, &o).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(body(&r), want, "{name}");
        assert_eq!(r.multimodal, multimodal, "{name}");
    }
}

#[test]
fn efforts() {
    for (effort, want) in [
        ("none", json!({"result_format":"message","enable_thinking":false})),
        ("minimal", json!({"result_format":"message","enable_thinking":false})),
        ("low", json!({"result_format":"message","enable_thinking":true,"thinking_budget":1024})),
        ("medium", json!({"result_format":"message","enable_thinking":true,"thinking_budget":8192})),
        ("high", json!({"result_format":"message","enable_thinking":true,"thinking_budget":16384})),
        ("xhigh", json!({"result_format":"message","enable_thinking":true,"thinking_budget":16384})),
    ] {
        let r =
            build(&json!({"reasoning_effort":effort,"messages":[{"role":"user","content":"q"}]}), "qwen3-8b", &opts())
                .unwrap();
        assert_eq!(body(&r)["parameters"], want, "{effort}");
    }
}

#[test]
fn multimodal_models() {
    for (model, want) in [
        ("qwen-vl-max", true),
        ("qwen3-vl-plus", true),
        ("Qwen2.5-VL-72B-Instruct", true),
        ("qwen-vl-ocr-latest", true),
        ("qvq-max", true),
        ("qwen-omni-turbo", true),
        ("qwen3-omni-flash", true),
        ("qwen-audio-turbo", true),
        ("qwen2-audio-instruct", true),
        ("qwen3.5-plus", true),
        ("qwen3.6-plus", true),
        ("qwen3.10-max", true),
        ("qwen-plus", false),
        ("qwen-max", false),
        ("qwen3-max", false),
        ("qwen3-235b-a22b", false),
        ("qwen3.0-x", false),
        ("qwen-long", false),
        ("qwen3-coder-plus", false),
        ("deepseek-v3", false),
    ] {
        assert_eq!(multimodal_model(model), want, "{model}");
    }
}

#[test]
fn flags_and_raw_bytes() {
    let q = json!([{"role":"user","content":"q"}]);
    let r = build(&json!({"stream":true,"messages":q}), "qwen-plus", &opts()).unwrap();
    assert!(r.stream && !r.include_usage && !r.multimodal);
    let r = build(&json!({"stream":true,"stream_options":{"include_usage":true},"messages":q}), "qwen-plus", &opts())
        .unwrap();
    assert!(r.stream && r.include_usage);
    let r = build(&json!({"stream":false,"stream_options":{"include_usage":false},"messages":q}), "qwen-plus", &opts())
        .unwrap();
    assert!(!r.stream && !r.include_usage);
    assert!(!String::from_utf8(r.body).unwrap().contains("incremental_output"));

    // Numbers keep their spelling, members their order; strings are re-escaped correctly; a
    // DashScope parameter at the top level goes into `parameters`, anything else is dropped.
    let raw = br#"{"model":"gpt-4o","temperature":0.70,"top_p":1e-1,"seed":42,"messages":[
        {"role":"user","content":"caf\u00e9 \"q\"\n\ud83d\ude00"},
        {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"z\":1,\"a\":2}"}}]}],
        "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"number"}}}}}],
        "search_options":{"b":1,"a":2.50},"x_custom":1,"chat_template_kwargs":{"enable_thinking":false},
        "extra_headers":{"Authorization":"Bearer jwt"}}"#;
    let s = String::from_utf8(build_request(raw, "qwen-plus", &opts()).unwrap().body).unwrap();
    assert_eq!(
        s,
        concat!(
            r#"{"model":"qwen-plus","input":{"messages":[{"role":"user","content":"café \"q\"\n😀"},"#,
            r#"{"role":"assistant","content":"","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"z\":1,\"a\":2}"}}]}]},"#,
            r#""parameters":{"result_format":"message","temperature":0.70,"top_p":1e-1,"seed":42,"#,
            r#""tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"number"}}}}}],"#,
            r#""search_options":{"b":1,"a":2.50}}}"#
        )
    );
}

#[test]
fn rejects_what_dashscope_cannot_take() {
    let q = json!([{"role":"user","content":"q"}]);
    let user = |content: Value| json!({"messages":[{"role":"user","content":content}]});
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("no messages", json!({"model":"m"}), "messages", "required"),
        ("messages not an array", json!({"messages":{}}), "messages", "array"),
        ("empty messages", json!({"messages":[]}), "messages", "at least one"),
        ("message not an object", json!({"messages":["hi"]}), "messages", "must be an object"),
        ("no role", json!({"messages":[{"content":"hi"}]}), "messages", "role is required"),
        ("unknown role", json!({"messages":[{"role":"robot","content":"x"}]}), "messages", "unknown role"),
        ("content number", user(json!(3)), "messages", "string or an array"),
        ("part not an object", user(json!(["x"])), "messages", "must be an object"),
        ("text part without text", user(json!([{"type":"text"}])), "messages", "`text`"),
        ("image without url", user(json!([{"type":"image_url","image_url":{}}])), "messages", "`url`"),
        (
            "audio without format",
            user(json!([{"type":"input_audio","input_audio":{"data":"AAA"}}])),
            "messages",
            "format",
        ),
        ("file part", user(json!([{"type":"file","file":{"file_id":"file-abc"}}])), "messages", "qwenFileIds"),
        ("unknown part type", user(json!([{"type":"hologram"}])), "messages", "`hologram`"),
        (
            "image in a system message",
            json!({"messages":[{"role":"system","content":[{"type":"image_url","image_url":"https://a/b.png"}]},{"role":"user","content":"q"}]}),
            "messages",
            "system",
        ),
        (
            "tool_calls not an array",
            json!({"messages":[{"role":"assistant","tool_calls":{}}]}),
            "messages",
            "tool_calls must be an array",
        ),
        ("stream not bool", json!({"stream":"yes","messages":q}), "stream", "boolean"),
        ("temperature string", json!({"temperature":"hot","messages":q}), "temperature", "number"),
        ("seed float", json!({"seed":1.5,"messages":q}), "seed", "integer"),
        ("max_tokens string", json!({"max_tokens":"10","messages":q}), "max_tokens", "integer"),
        ("stop number", json!({"stop":5,"messages":q}), "stop", "string"),
        ("tools object", json!({"tools":{},"messages":q}), "tools", "array"),
        ("tool_choice number", json!({"tool_choice":1,"messages":q}), "tool_choice", "string or an object"),
        ("response_format string", json!({"response_format":"json","messages":q}), "response_format", "object"),
        (
            "parallel_tool_calls string",
            json!({"parallel_tool_calls":"yes","messages":q}),
            "parallel_tool_calls",
            "boolean",
        ),
        ("bad effort", json!({"reasoning_effort":"max","messages":q}), "reasoning_effort", "reasoning_effort"),
        ("effort number", json!({"reasoning_effort":1,"messages":q}), "reasoning_effort", "string"),
        ("functions object", json!({"functions":{},"messages":q}), "functions", "array"),
        ("function_call number", json!({"function_call":3,"messages":q}), "function_call", "function_call"),
        ("parameters array", json!({"parameters":[1],"messages":q}), "parameters", "object"),
    ];
    for (name, req, param, needle) in cases {
        let e = err(req);
        assert_eq!(e.status, 400, "{name}");
        assert_eq!(e.param, Some(param), "{name}");
        assert!(e.message.contains(needle), "{name}: {}", e.message);
    }
    for bad in [&b"[1]"[..], b"{", b"", b"\xff"] {
        assert_eq!(build_request(bad, "qwen-plus", &opts()).unwrap_err().status, 400);
    }
}
