use super::*;
use serde_json::{json, Value};

fn opts() -> GeminiOptions {
    GeminiOptions::default()
}

fn build(req: &Value, opts: &GeminiOptions) -> Result<Translated, ProxyError> {
    build_request(req.to_string().as_bytes(), opts)
}

fn body_with(req: Value, opts: &GeminiOptions) -> Value {
    let t = build(&req, opts).unwrap_or_else(|e| panic!("{e}"));
    crate::json::from_bytes(&t.body).unwrap()
}

fn body(req: Value) -> Value {
    body_with(req, &opts())
}

fn err(req: Value) -> ProxyError {
    build(&req, &opts()).unwrap_err()
}

fn schema(s: Value, response: bool) -> Value {
    let raw = RawValue::from_string(s.to_string()).unwrap();
    crate::json::from_bytes(&reduce_schema(&raw, response).unwrap()).unwrap()
}

#[test]
fn translates_requests() {
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "system and developer hoisted in order; roles; sampling settings; stream flags not in the body",
            json!({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},
                "temperature":0,"top_p":0.95,"top_k":40,"max_tokens":1024,"stop":"END","n":2,"seed":42,
                "presence_penalty":0.5,"frequency_penalty":-0.25,"user":"u-1","logit_bias":{"50256":-100},
                "parallel_tool_calls":true,"store":false,"metadata":{"a":"b"},"service_tier":"auto",
                "messages":[
                    {"role":"system","content":"You are terse."},
                    {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
                    {"role":"user","name":"alice","content":"Hello"},
                    {"role":"assistant","content":"Bonjour.","reasoning_content":"greeting"},
                    {"role":"system","content":"Late rule."},
                    {"role":"user","content":"How are you?"}]}),
            json!({"contents":[
                    {"role":"user","parts":[{"text":"Hello"}]},
                    {"role":"model","parts":[{"text":"Bonjour."}]},
                    {"role":"user","parts":[{"text":"How are you?"}]}],
                "systemInstruction":{"parts":[{"text":"You are terse."},{"text":"Answer in French."},{"text":"Late rule."}]},
                "generationConfig":{"stopSequences":["END"],"candidateCount":2,"maxOutputTokens":1024,
                    "temperature":0,"topP":0.95,"topK":40,"seed":42,"presencePenalty":0.5,"frequencyPenalty":-0.25}}),
        ),
        (
            "consecutive same-role turns merged; empty texts and empty turns dropped; max_completion_tokens wins",
            json!({"model":"m","max_tokens":10,"max_completion_tokens":20,"stop":["a","b"],"messages":[
                {"role":"user","content":"first"},
                {"role":"user","content":[{"type":"text","text":"second"},{"type":"text","text":""}]},
                {"role":"assistant","content":""},
                {"role":"user","content":"third"},
                {"role":"assistant","content":[{"type":"text","text":"a"},{"type":"refusal","refusal":"no"}]}]}),
            json!({"contents":[
                    {"role":"user","parts":[{"text":"first"},{"text":"second"},{"text":"third"}]},
                    {"role":"model","parts":[{"text":"a"},{"text":"no"}]}],
                "generationConfig":{"stopSequences":["a","b"],"maxOutputTokens":20}}),
        ),
        (
            "images, audio, files and Gemini-native parts",
            json!({"model":"m","messages":[{"role":"user","content":[
                {"type":"text","text":"Describe these."},
                {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
                {"type":"image_url","image_url":{"url":"https://example.com/cat.PNG?size=large"}},
                {"type":"image_url","image_url":"https://example.com/image"},
                {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
                {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"}},
                {"type":"file","file":{"file_data":"SGVsbG8=","filename":"notes.txt"}},
                {"type":"file","file":{"file_id":"https://example.com/report.pdf"}},
                {"fileData":{"mimeType":"video/mp4","fileUri":"https://www.youtube.com/watch?v=9hE5-98ZeCg"}}]}]}),
            json!({"contents":[{"role":"user","parts":[
                {"text":"Describe these."},
                {"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},
                {"fileData":{"mimeType":"image/png","fileUri":"https://example.com/cat.PNG?size=large"}},
                {"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/image"}},
                {"inlineData":{"mimeType":"audio/wav","data":"UklGRg=="}},
                {"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}},
                {"inlineData":{"mimeType":"text/plain","data":"SGVsbG8="}},
                {"fileData":{"mimeType":"application/pdf","fileUri":"https://example.com/report.pdf"}},
                {"fileData":{"mimeType":"video/mp4","fileUri":"https://www.youtube.com/watch?v=9hE5-98ZeCg"}}]}]}),
        ),
        (
            "tool round trip: signatures back, names from ids, results merged into one user turn",
            json!({"model":"m","tools":[{"type":"function","function":{"name":"get_weather",
                    "description":"Current weather","strict":true,"parameters":{"type":"object",
                    "properties":{"location":{"type":"string"}},"required":["location"],"additionalProperties":false}}}],
                "tool_choice":"auto","messages":[
                {"role":"user","content":"Weather in Paris and London?"},
                {"role":"assistant","content":"Checking.","extra_content":{"google":{"thought_signature":"c2lnLXRleHQ="}},
                    "tool_calls":[
                    {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"},
                        "extra_content":{"google":{"thought_signature":"c2lnLWZj"}}},
                    {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"London\"}"}}]},
                {"role":"tool","tool_call_id":"call_1","content":"{\"temp_c\":21}"},
                {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"18 degrees"},{"type":"text","text":", cloudy"}]},
                {"role":"user","content":"Thanks!"}]}),
            json!({"contents":[
                    {"role":"user","parts":[{"text":"Weather in Paris and London?"}]},
                    {"role":"model","parts":[
                        {"text":"Checking.","thoughtSignature":"c2lnLXRleHQ="},
                        {"functionCall":{"name":"get_weather","args":{"location":"Paris"}},"thoughtSignature":"c2lnLWZj"},
                        {"functionCall":{"name":"get_weather","args":{"location":"London"}}}]},
                    {"role":"user","parts":[
                        {"functionResponse":{"name":"get_weather","response":{"temp_c":21}}},
                        {"functionResponse":{"name":"get_weather","response":{"result":"18 degrees, cloudy"}}},
                        {"text":"Thanks!"}]}],
                "tools":[{"functionDeclarations":[{"name":"get_weather","description":"Current weather",
                    "parameters":{"type":"OBJECT","properties":{"location":{"type":"STRING"}},"required":["location"]}}]}],
                "toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}}),
        ),
        (
            "tool calls without a signature get Google's placeholder on the first call; empty arguments; legacy functions",
            json!({"model":"m","functions":[{"name":"now","parameters":{"type":"object","properties":{}}}],
                "function_call":{"name":"now"},"messages":[
                {"role":"user","content":"time?"},
                {"role":"assistant","content":null,"tool_calls":[
                    {"id":"a","type":"function","function":{"name":"now","arguments":""}},
                    {"id":"b","type":"function","function":{"name":"now","arguments":" {} "}}]},
                {"role":"tool","tool_call_id":"a","content":"12:00"},
                {"role":"tool","tool_call_id":"b","content":""},
                {"role":"assistant","function_call":{"name":"now","arguments":"{}"}},
                {"role":"function","name":"now","content":"[1,2]"}]}),
            json!({"contents":[
                    {"role":"user","parts":[{"text":"time?"}]},
                    {"role":"model","parts":[
                        {"functionCall":{"name":"now","args":{}},"thoughtSignature":SKIP_SIGNATURE},
                        {"functionCall":{"name":"now","args":{}}}]},
                    {"role":"user","parts":[
                        {"functionResponse":{"name":"now","response":{"result":"12:00"}}},
                        {"functionResponse":{"name":"now","response":{"result":""}}}]},
                    {"role":"model","parts":[{"functionCall":{"name":"now","args":{}},"thoughtSignature":SKIP_SIGNATURE}]},
                    {"role":"user","parts":[{"functionResponse":{"name":"now","response":{"result":"[1,2]"}}}]}],
                "tools":[{"functionDeclarations":[{"name":"now"}]}],
                "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["now"]}}}),
        ),
        (
            "Gemini-native members: tools entries, systemInstruction parts, toolConfig, safetySettings, generationConfig merge, cachedContent; members Gemini does not define (labels is Vertex AI's) dropped",
            json!({"model":"m","tools":[{"googleSearch":{}},{"type":"function","function":{"name":"f"}}],
                "tool_choice":"required","toolConfig":{"functionCallingConfig":{"mode":"VALIDATED"}},
                "systemInstruction":{"parts":[{"text":"native"}]},
                "safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}],
                "temperature":0.2,"generationConfig":{"temperature":0.9,"responseModalities":["TEXT"]},
                "cachedContent":"cachedContents/abc","labels":{"team":"x"},"contents":[{"parts":[]}],
                "chat_template_kwargs":{"enable_thinking":false},"extra_headers":{"Authorization":"Bearer jwt"},
                "prompt_cache_key":"k","verbosity":"low","top_logprobs":3,"nothing":null,
                "messages":[{"role":"system","content":"mine"},{"role":"user","content":"hi"}]}),
            json!({"contents":[{"role":"user","parts":[{"text":"hi"}]}],
                "tools":[{"functionDeclarations":[{"name":"f"}]},{"googleSearch":{}}],
                "systemInstruction":{"parts":[{"text":"native"},{"text":"mine"}]},
                "generationConfig":{"temperature":0.9,"responseModalities":["TEXT"]},
                "toolConfig":{"functionCallingConfig":{"mode":"VALIDATED"}},
                "safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}],
                "cachedContent":"cachedContents/abc"}),
        ),
        (
            "response_format json_schema with logprobs",
            json!({"model":"m","logprobs":true,"top_logprobs":5,"response_format":{"type":"json_schema",
                "json_schema":{"name":"person","strict":true,"schema":{"type":"object","additionalProperties":false,
                "properties":{"name":{"type":"string"},"age":{"type":["integer","null"]}},"required":["name","age"]}}},
                "messages":[{"role":"user","content":"Who?"}]}),
            json!({"contents":[{"role":"user","parts":[{"text":"Who?"}]}],
                "generationConfig":{"responseMimeType":"application/json",
                    "responseSchema":{"type":"OBJECT","properties":{"name":{"type":"STRING"},
                        "age":{"type":"INTEGER","nullable":true}},"required":["name","age"],"propertyOrdering":["age","name"]},
                    "responseLogprobs":true,"logprobs":5}}),
        ),
        (
            "json_object and text formats",
            json!({"model":"m","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"q"}]}),
            json!({"contents":[{"role":"user","parts":[{"text":"q"}]}],
                "generationConfig":{"responseMimeType":"application/json"}}),
        ),
    ];
    for (name, req, want) in cases {
        assert_eq!(body(req), want, "{name}");
    }
    let b = body(json!({"model":"m","response_format":{"type":"text"},"messages":[{"role":"user","content":"q"}]}));
    assert!(b.get("generationConfig").is_none(), "{b}");
}

#[test]
fn thinking_and_safety() {
    let msgs = json!([{"role":"user","content":"q"}]);
    let thinking = |effort: Option<&str>, budget: Option<i64>| {
        let mut req = json!({"model":"m","messages":msgs});
        if let Some(e) = effort {
            req["reasoning_effort"] = json!(e);
        }
        let o = GeminiOptions { thinking_budget: budget, ..GeminiOptions::default() };
        body_with(req, &o)["generationConfig"]["thinkingConfig"].clone()
    };
    assert_eq!(thinking(Some("none"), Some(2048)), json!({"thinkingBudget":0}));
    assert_eq!(thinking(Some("minimal"), None), json!({"thinkingBudget":512,"includeThoughts":true}));
    assert_eq!(thinking(Some("low"), None), json!({"thinkingBudget":1024,"includeThoughts":true}));
    assert_eq!(thinking(Some("medium"), None), json!({"thinkingBudget":8192,"includeThoughts":true}));
    assert_eq!(thinking(Some("high"), Some(100)), json!({"thinkingBudget":24576,"includeThoughts":true}));
    assert_eq!(thinking(None, Some(-1)), json!({"thinkingBudget":-1,"includeThoughts":true}));
    assert_eq!(thinking(None, Some(2048)), json!({"thinkingBudget":2048,"includeThoughts":true}));
    assert_eq!(thinking(None, None), Value::Null);

    // A Gemini-native thinkingConfig wins.
    let o = GeminiOptions { thinking_budget: Some(2048), ..GeminiOptions::default() };
    let b = body_with(
        json!({"model":"m","reasoning_effort":"high","generationConfig":{"thinkingConfig":{"thinkingLevel":"low"}},
            "messages":msgs}),
        &o,
    );
    assert_eq!(b["generationConfig"], json!({"thinkingConfig":{"thinkingLevel":"low"}}));

    let o = GeminiOptions {
        safety: vec![
            ("HARM_CATEGORY_HARASSMENT".into(), "BLOCK_NONE".into()),
            ("HARM_CATEGORY_DANGEROUS_CONTENT".into(), "BLOCK_ONLY_HIGH".into()),
        ],
        thinking_budget: None,
    };
    let b = body_with(json!({"model":"m","messages":msgs}), &o);
    assert_eq!(
        b["safetySettings"],
        json!([{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"},
            {"category":"HARM_CATEGORY_DANGEROUS_CONTENT","threshold":"BLOCK_ONLY_HIGH"}])
    );
    let mine = json!([{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_LOW_AND_ABOVE"}]);
    let b = body_with(json!({"model":"m","messages":msgs,"safetySettings":mine}), &o);
    assert_eq!(b["safetySettings"], mine);
}

#[test]
fn tool_choice_shapes() {
    let tools = json!([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]);
    let cases: Vec<(Value, Value)> = vec![
        (json!("auto"), json!({"mode":"AUTO"})),
        (json!("none"), json!({"mode":"NONE"})),
        (json!("required"), json!({"mode":"ANY"})),
        (
            json!({"type":"function","function":{"name":"get_weather"}}),
            json!({"mode":"ANY","allowedFunctionNames":["get_weather"]}),
        ),
    ];
    for (choice, want) in cases {
        let req = json!({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":tools,"tool_choice":choice});
        assert_eq!(body(req)["toolConfig"]["functionCallingConfig"], want, "{choice}");
    }
    // Without tools there is nothing to configure; without tool_choice Gemini's default applies.
    let b = body(json!({"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"required"}));
    assert!(b.get("toolConfig").is_none() && b.get("tools").is_none(), "{b}");
    let b = body(json!({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":tools}));
    assert!(b.get("toolConfig").is_none(), "{b}");
    assert_eq!(b["tools"], json!([{"functionDeclarations":[{"name":"get_weather"}]}]));
}

#[test]
fn reduces_schemas() {
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "unsupported keywords dropped, formats filtered, types upper-cased",
            json!({"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
                "title":"Args","properties":{
                    "url":{"type":"string","format":"uri","minLength":1,"maxLength":2048,"pattern":"^https?://"},
                    "when":{"type":"string","format":"date-time","default":"now","examples":["2024-01-01T00:00:00Z"]},
                    "ratio":{"type":"number","format":"float","minimum":0,"maximum":1,"exclusiveMinimum":0,"multipleOf":0.1},
                    "count":{"type":"integer","format":"uint32"},
                    "flag":{"type":"boolean","description":"A flag"},
                    "tags":{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":5,"uniqueItems":true},
                    "meta":{"type":"object","additionalProperties":{"type":"string"}}},
                "required":["url","missing"]}),
            json!({"type":"OBJECT","title":"Args","properties":{
                    "url":{"type":"STRING","minLength":1,"maxLength":2048,"pattern":"^https?://"},
                    "when":{"type":"STRING","format":"date-time"},
                    "ratio":{"type":"NUMBER","format":"float","minimum":0,"maximum":1},
                    "count":{"type":"INTEGER"},
                    "flag":{"type":"BOOLEAN","description":"A flag"},
                    "tags":{"type":"ARRAY","items":{"type":"STRING"},"minItems":1,"maxItems":5},
                    "meta":{"type":"OBJECT"}},
                "required":["url"]}),
        ),
        (
            "nullable forms: type arrays, anyOf with null (pydantic Optional), enum with null",
            json!({"type":"object","properties":{
                "a":{"type":["string","null"]},
                "b":{"anyOf":[{"type":"integer"},{"type":"null"}],"default":null,"title":"B"},
                "c":{"enum":["x","y",null]},
                "d":{"type":["object","null"],"properties":{"e":{"type":"string"}}}}}),
            json!({"type":"OBJECT","properties":{
                "a":{"type":"STRING","nullable":true},
                "b":{"type":"INTEGER","title":"B","nullable":true},
                "c":{"type":"STRING","nullable":true,"enum":["x","y"]},
                "d":{"type":"OBJECT","nullable":true,"properties":{"e":{"type":"STRING"}}}}}),
        ),
        (
            "several types become anyOf branches carrying their own keywords",
            json!({"type":["string","array","null"],"description":"One or many","items":{"type":"string"},
                "maxLength":10}),
            json!({"description":"One or many","nullable":true,"anyOf":[
                {"type":"STRING","maxLength":10},{"type":"ARRAY","items":{"type":"STRING"}}]}),
        ),
        (
            "$ref and $defs inlined; allOf merged; oneOf kept as anyOf; const and non-string enums",
            json!({"type":"object","$defs":{"Unit":{"type":"string","enum":["c","f"]},
                    "Point":{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}},
                "properties":{
                    "unit":{"$ref":"#/$defs/Unit","description":"Unit"},
                    "where":{"allOf":[{"$ref":"#/$defs/Point"},{"properties":{"y":{"type":"number"}},"required":["y"]}]},
                    "shape":{"oneOf":[{"$ref":"#/$defs/Point"},{"type":"string"}]},
                    "kind":{"const":"circle"},
                    "level":{"type":"integer","enum":[1,2,3],"description":"Level"}}}),
            json!({"type":"OBJECT","properties":{
                "unit":{"type":"STRING","description":"Unit","enum":["c","f"]},
                "where":{"type":"OBJECT","properties":{"x":{"type":"NUMBER"},"y":{"type":"NUMBER"}},"required":["x","y"]},
                "shape":{"anyOf":[{"type":"OBJECT","properties":{"x":{"type":"NUMBER"}},"required":["x"]},{"type":"STRING"}]},
                "kind":{"type":"STRING","enum":["circle"]},
                "level":{"type":"INTEGER","description":"Level\nAllowed values: 1, 2, 3."}}}),
        ),
        (
            "missing types inferred; properties dropped from non-objects; legacy definitions",
            json!({"properties":{"n":{"$ref":"#/definitions/N"},"list":{"items":{"enum":["a",1,true]}},
                "s":{"type":"string","properties":{"bad":{}},"items":{"type":"string"}}},
                "definitions":{"N":{"type":"integer"}}}),
            json!({"type":"OBJECT","properties":{"n":{"type":"INTEGER"},
                "list":{"type":"ARRAY","items":{"type":"STRING","enum":["a","1","true"]}},
                "s":{"type":"STRING"}}}),
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(schema(input, false), want, "{name}");
    }

    // Recursive references are cut, keeping the target's type; nothing panics or loops.
    let tree = json!({"$defs":{"Node":{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#/$defs/Node"}}}}},
        "$ref":"#/$defs/Node"});
    let out = schema(tree, false);
    assert_eq!(out["type"], "OBJECT");
    assert_eq!(out["properties"]["children"]["items"]["type"], "OBJECT");
    let self_ref = schema(json!({"type":"object","properties":{"me":{"$ref":"#"}}}), false);
    assert_eq!(self_ref["properties"]["me"]["type"], "OBJECT");
    // Exponential reference graphs are bounded.
    let mut defs = serde_json::Map::new();
    for k in 0..30 {
        let next = json!({"$ref": format!("#/$defs/d{}", k + 1)});
        defs.insert(format!("d{k}"), json!({"type":"object","properties":{"a":next.clone(),"b":next}}));
    }
    defs.insert("d30".into(), json!({"type":"string"}));
    let wide =
        reduce_schema(&RawValue::from_string(json!({"$defs":defs,"$ref":"#/$defs/d0"}).to_string()).unwrap(), false)
            .unwrap();
    assert!(wide.len() < 200_000, "{}", wide.len());
    crate::json::from_bytes::<Value>(&wide).unwrap();

    // Response schemas get the declared key order (raw text: `json!` sorts keys); an explicit
    // ordering is kept.
    let ordered = |text: &str| {
        let raw = RawValue::from_string(text.to_string()).unwrap();
        crate::json::from_bytes::<Value>(&reduce_schema(&raw, true).unwrap()).unwrap()["propertyOrdering"].clone()
    };
    assert_eq!(
        ordered(r#"{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"string"}}}"#),
        json!(["b", "a"])
    );
    assert_eq!(
        ordered(r#"{"type":"object","properties":{"b":{},"a":{}},"propertyOrdering":["a","b"]}"#),
        json!(["a", "b"])
    );
    assert_eq!(ordered(r#"{"type":"object","properties":{"b":{}}}"#), Value::Null);
    assert!(reduce_schema(&RawValue::from_string("true".into()).unwrap(), false).is_none());
}

#[test]
fn rejects_what_gemini_cannot_take() {
    let user = |content: Value| json!({"model":"m","messages":[{"role":"user","content":content}]});
    let q = json!([{"role":"user","content":"q"}]);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "unknown tool_call_id",
            json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"tool","tool_call_id":"nope","content":"x"}]}),
            "messages",
            "does not match",
        ),
        (
            "tool without tool_call_id",
            json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"tool","content":"x"}]}),
            "messages",
            "tool_call_id is required",
        ),
        (
            "invalid arguments",
            json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{bad"}}]}]}),
            "messages",
            "JSON object",
        ),
        (
            "array arguments",
            json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}),
            "messages",
            "JSON object",
        ),
        (
            "custom tool call",
            json!({"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"custom","custom":{"name":"f","input":"x"}}]}]}),
            "messages",
            "only function tool calls",
        ),
        ("unknown role", json!({"model":"m","messages":[{"role":"robot","content":"x"}]}), "messages", "unknown role"),
        ("only system", json!({"model":"m","messages":[{"role":"system","content":"s"}]}), "messages", "at least one"),
        ("no messages", json!({"model":"m"}), "messages", "required"),
        ("messages not an array", json!({"model":"m","messages":{}}), "messages", "array"),
        ("content number", user(json!(3)), "messages", "string or an array"),
        (
            "ftp image",
            user(json!([{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}])),
            "messages",
            "http(s) URL",
        ),
        (
            "non-base64 data URL",
            user(json!([{"type":"image_url","image_url":{"url":"data:image/png,abc"}}])),
            "messages",
            "base64",
        ),
        ("OpenAI file id", user(json!([{"type":"file","file":{"file_id":"file-abc"}}])), "messages", "file ids"),
        (
            "audio without format",
            user(json!([{"type":"input_audio","input_audio":{"data":"AAA"}}])),
            "messages",
            "format",
        ),
        ("unknown part type", user(json!([{"type":"video_url","video_url":"x"}])), "messages", "`video_url`"),
        (
            "non-text system part",
            json!({"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://a/b.png"}}]},{"role":"user","content":"q"}]}),
            "messages",
            "only text parts",
        ),
        (
            "bad effort",
            json!({"model":"m","reasoning_effort":"max","messages":q}),
            "reasoning_effort",
            "reasoning_effort",
        ),
        ("stream not bool", json!({"model":"m","stream":"yes","messages":q}), "stream", "boolean"),
        ("n zero", json!({"model":"m","n":0,"messages":q}), "n", "at least 1"),
        ("negative max_tokens", json!({"model":"m","max_tokens":-1,"messages":q}), "max_tokens", "non-negative"),
        ("temperature string", json!({"model":"m","temperature":"hot","messages":q}), "temperature", "number"),
        ("seed float", json!({"model":"m","seed":1.5,"messages":q}), "seed", "integer"),
        ("stop number", json!({"model":"m","stop":5,"messages":q}), "stop", "string"),
        (
            "bad response_format",
            json!({"model":"m","response_format":{"type":"yaml"},"messages":q}),
            "response_format",
            "json_schema",
        ),
        (
            "custom tool",
            json!({"model":"m","tools":[{"type":"custom","custom":{"name":"x"}}],"messages":q}),
            "tools",
            "`custom` tools",
        ),
        (
            "tool without name",
            json!({"model":"m","tools":[{"type":"function","function":{"description":"x"}}],"messages":q}),
            "tools",
            "name",
        ),
        (
            "bad tool_choice",
            json!({"model":"m","tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes","messages":q}),
            "tool_choice",
            "tool_choice",
        ),
        (
            "bad systemInstruction",
            json!({"model":"m","systemInstruction":"s","messages":q}),
            "systemInstruction",
            "parts",
        ),
        (
            "bad generationConfig",
            json!({"model":"m","generationConfig":[1],"messages":q}),
            "generationConfig",
            "object",
        ),
    ];
    for (name, req, param, needle) in cases {
        let e = err(req);
        assert_eq!(e.status, 400, "{name}");
        assert_eq!(e.param, Some(param), "{name}");
        assert!(e.message.contains(needle), "{name}: {}", e.message);
    }
    for bad in [&b"[1]"[..], b"{", b"", b"\xff"] {
        assert_eq!(build_request(bad, &opts()).unwrap_err().status, 400);
    }
}

#[test]
fn flags_and_raw_bytes() {
    let q = json!([{"role":"user","content":"q"}]);
    let t = build(&json!({"model":"m","stream":true,"messages":q}), &opts()).unwrap();
    assert!(t.stream && !t.include_usage);
    let t = build(&json!({"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":q}), &opts())
        .unwrap();
    assert!(t.stream && t.include_usage);
    let t = build(&json!({"model":"m","messages":q}), &opts()).unwrap();
    assert!(!t.stream && !t.include_usage);

    // Numbers keep their spelling (penalties stay floats); arguments and JSON results keep key order.
    let raw = br#"{"model":"gpt-4o","temperature":0.70,"presence_penalty":1e-1,"frequency_penalty":0.5,
        "messages":[{"role":"user","content":"q"},
        {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"z\":1,\"a\":2}"}}]},
        {"role":"tool","tool_call_id":"c1","content":"{\"zz\":true,\"aa\":[1.50]}"}],
        "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"number"}}}}}]}"#;
    let s = String::from_utf8(build_request(raw, &opts()).unwrap().body).unwrap();
    assert!(s.starts_with(r#"{"contents":[{"role":"user","parts":[{"text":"q"}]}"#), "{s}");
    assert!(s.contains(r#""temperature":0.70"#) && s.contains(r#""presencePenalty":1e-1"#), "{s}");
    assert!(s.contains(r#""frequencyPenalty":0.5"#), "{s}");
    assert!(s.contains(r#""args":{"z":1,"a":2}"#), "{s}");
    assert!(s.contains(r#""response":{"zz":true,"aa":[1.50]}"#), "{s}");
    assert!(s.contains(r#""properties":{"zeta":{"type":"STRING"},"alpha":{"type":"NUMBER"}}"#), "{s}");
    assert!(!s.contains("gpt-4o") && !s.contains("\"model\":") && !s.contains("\"stream\""), "{s}");

    // Escapes inside URLs, texts and names survive.
    let raw = br#"{"messages":[{"role":"system","content":"a\nb \"q\""},{"role":"user","content":[
        {"type":"image_url","image_url":"https:\/\/x.test\/i.webp"},
        {"type":"image_url","image_url":{"url":"data:image\/jpeg;base64,\/9j\/4A=="}},
        {"type":"text","text":"caf\u00e9 \ud83d\ude00"}]}]}"#;
    let v: Value = crate::json::from_bytes(&build_request(raw, &opts()).unwrap().body).unwrap();
    assert_eq!(v["systemInstruction"]["parts"][0]["text"], "a\nb \"q\"");
    let parts = &v["contents"][0]["parts"];
    assert_eq!(parts[0], json!({"fileData":{"mimeType":"image/webp","fileUri":"https://x.test/i.webp"}}));
    assert_eq!(parts[1], json!({"inlineData":{"mimeType":"image/jpeg","data":"/9j/4A=="}}));
    assert_eq!(parts[2], json!({"text":"café 😀"}));
}

#[test]
fn guesses_mime_types() {
    let cases = [
        ("https://a.test/x.JPG", Some("image/jpeg")),
        ("https://a.test/x.heic#frag", Some("image/heic")),
        ("https://a.test/doc.pdf?dl=1", Some("application/pdf")),
        ("https://a.test/v.mp4", Some("video/mp4")),
        ("https://a.test/song.mp3", Some("audio/mp3")),
        ("https://a.test/dir.d/file", None),
        ("https://a.test/", None),
        ("report.tar.gz", None),
    ];
    for (url, want) in cases {
        assert_eq!(guess_mime(url), want, "{url}");
    }
}

/// `$ref` expansion is bounded in bytes too: 256 references to one large definition would
/// otherwise copy it 256 times (a 100 KB schema became 20 MB).
#[test]
fn ref_expansion_is_bounded_in_bytes() {
    let big: serde_json::Map<String, Value> =
        (0..2000).map(|i| (format!("p{i}"), json!({"type": "string", "description": "d"}))).collect();
    let props: serde_json::Map<String, Value> =
        (0..256).map(|i| (format!("r{i}"), json!({"$ref": "#/$defs/Big"}))).collect();
    let schema =
        json!({"type": "object", "properties": props, "$defs": {"Big": {"type": "object", "properties": big}}});
    let raw: Box<RawValue> = serde_json::from_str(&schema.to_string()).unwrap();
    let out = reduce_schema(&raw, false).unwrap();
    assert!(out.len() <= raw.get().len() * 9 + 64 * 1024, "{} bytes from {}", out.len(), raw.get().len());
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["properties"]["r0"]["properties"]["p0"]["type"], "STRING", "the first references are inlined");
    assert_eq!(v["properties"]["r255"]["type"], "OBJECT", "later ones keep their type");
}
