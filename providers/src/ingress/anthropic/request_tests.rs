use super::*;

/// A target that keeps cache marks (most cases check them), with or without stream usage.
fn target(stream_usage: bool) -> ChatTarget {
    ChatTarget { stream_usage, cache_control: true, reasoning_content: false }
}

fn body(t: &Translated) -> &str {
    std::str::from_utf8(&t.body).unwrap()
}

/// Claude Code's shape: system blocks with the billing header and cache_control, images,
/// thinking + text + parallel tool_use in the assistant turn, a tool_result turn (one an
/// error with an image), tools with cache_control, `disable_parallel_tool_use`, thinking.
const CLAUDE_CODE_REQUEST: &str = r#"{
  "model": "claude-sonnet-4-5-20250929",
  "max_tokens": 32000,
  "system": [
{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.80.a1b; cc_entrypoint=cli; cch=5f3e1;"},
{"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.", "cache_control": {"type": "ephemeral"}},
{"type": "text", "text": "You are an interactive CLI tool that helps users with software engineering tasks.", "cache_control": {"type": "ephemeral"}}
  ],
  "messages": [
{"role": "user", "content": [
  {"type": "text", "text": "<system-reminder>Context.</system-reminder>"},
  {"type": "text", "text": "What is in this screenshot, and what does main.rs print?"},
  {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUg=="}},
  {"type": "image", "source": {"type": "url", "url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}, "cache_control": {"type": "ephemeral"}}
]},
{"role": "assistant", "content": [
  {"type": "thinking", "thinking": "The user wants two things.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
  {"type": "text", "text": "The screenshot shows an ant. Let me read main.rs."},
  {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "Read", "input": {"file_path": "/repo/src/main.rs"}},
  {"type": "tool_use", "id": "toolu_01B1", "name": "Bash", "input": {"command": "cargo run", "description": "Run it"}}
]},
{"role": "user", "content": [
  {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "     1\tfn main() {\n     2\t    println!(\"hi\");\n     3\t}"},
  {"type": "tool_result", "tool_use_id": "toolu_01B1", "is_error": true, "content": [{"type": "text", "text": "error: could not find `Cargo.toml`"}, {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}}]},
  {"type": "text", "text": "Continue.", "cache_control": {"type":"ephemeral"}}
]}
  ],
  "tools": [
{"name": "Read", "description": "Reads a file from the local filesystem.", "input_schema": {"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"],"additionalProperties":false}},
{"name": "Bash", "description": "Executes a bash command.", "input_schema": {"type":"object","properties":{"command":{"type":"string"},"description":{"type":"string"}},"required":["command"]}, "cache_control": {"type": "ephemeral"}}
  ],
  "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
  "metadata": {"user_id": "user_2f1e_account__session_8c1d"},
  "thinking": {"type": "enabled", "budget_tokens": 10000},
  "temperature": 1,
  "top_k": 40,
  "stream": true,
  "seed": 7
}"#;

const CLAUDE_CODE_UPSTREAM: &str = concat!(
    r#"{"model":"deepseek-chat","messages":["#,
    r#"{"role":"system","content":"You are Claude Code, Anthropic's official CLI for Claude.\n\nYou are an interactive CLI tool that helps users with software engineering tasks."},"#,
    r#"{"role":"user","content":[{"type":"text","text":"<system-reminder>Context.</system-reminder>"},"#,
    r#"{"type":"text","text":"What is in this screenshot, and what does main.rs print?"},"#,
    r#"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}},"#,
    r#"{"type":"image_url","image_url":{"url":"https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}}]},"#,
    r#"{"role":"assistant","content":"The screenshot shows an ant. Let me read main.rs.","tool_calls":["#,
    r#"{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"Read","arguments":"{\"file_path\":\"/repo/src/main.rs\"}"}},"#,
    r#"{"id":"toolu_01B1","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"cargo run\",\"description\":\"Run it\"}"}}]},"#,
    r#"{"role":"tool","content":"     1\tfn main() {\n     2\t    println!(\"hi\");\n     3\t}","tool_call_id":"toolu_01A09q90qw90lq917835lq9"},"#,
    r#"{"role":"tool","content":"Error: error: could not find `Cargo.toml`","tool_call_id":"toolu_01B1"},"#,
    r#"{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}},"#,
    r#"{"type":"text","text":"Continue.","cache_control":{"type":"ephemeral"}}]}],"#,
    r#""max_tokens":32000,"temperature":1,"stream":true,"stream_options":{"include_usage":true},"#,
    r#""tools":[{"type":"function","function":{"name":"Read","description":"Reads a file from the local filesystem.","#,
    r#""parameters":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"],"additionalProperties":false}}},"#,
    r#"{"type":"function","function":{"name":"Bash","description":"Executes a bash command.","#,
    r#""parameters":{"type":"object","properties":{"command":{"type":"string"},"description":{"type":"string"}},"required":["command"]}}}],"#,
    r#""tool_choice":"auto","parallel_tool_calls":false,"reasoning_effort":"medium","#,
    r#""user":"user_2f1e_account__session_8c1d","seed":7}"#,
);

#[test]
fn claude_code_request_becomes_a_chat_request() {
    let t = build_chat_request(CLAUDE_CODE_REQUEST.as_bytes(), "deepseek-chat", target(true)).unwrap();
    assert_eq!(body(&t), CLAUDE_CODE_UPSTREAM);
    assert!(t.stream);
    assert!(t.include_usage);
    let t = build_chat_request(CLAUDE_CODE_REQUEST.as_bytes(), "deepseek-chat", target(false)).unwrap();
    assert!(!t.include_usage);
    assert!(!body(&t).contains("stream_options"));
}

#[test]
fn request_mappings() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "string system and content, stop sequences, top_p, no stream",
            r#"{"model":"claude-3-5-haiku-latest","system":"Be brief.","max_tokens":1024,"messages":[{"role":"user","content":"Hello, Claude"}],"stop_sequences":["\n\nHuman:"],"top_p":0.9,"top_k":5}"#,
            r#"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello, Claude"}],"max_tokens":1024,"top_p":0.9,"stop":["\n\nHuman:"]}"#,
        ),
        (
            "system turns inside the conversation keep their place (blocks joined, empty ones dropped), also last",
            r#"{"model":"x","system":"Top.","max_tokens":10,"messages":[{"role":"user","content":"Hi"},{"role":"system","content":[{"type":"text","text":"Mid 1."},{"type":"text","text":"Mid 2.","cache_control":{"type":"ephemeral"}}]},{"role":"assistant","content":"Hello"},{"role":"system","content":""},{"role":"user","content":"Bye"},{"role":"system","content":"Last."}]}"#,
            r#"{"model":"m","messages":[{"role":"system","content":"Top."},{"role":"user","content":"Hi"},{"role":"system","content":"Mid 1.\n\nMid 2."},{"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"},{"role":"system","content":"Last."}],"max_tokens":10}"#,
        ),
        (
            "empty system, empty stop list and stream false",
            r#"{"model":"x","system":[],"max_tokens":10,"messages":[{"role":"user","content":"Hi"}],"stop_sequences":[],"stream":false}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":10,"stream":false}"#,
        ),
        (
            "tool_choice any, thinking low, multi-turn with prefill-free assistant string",
            r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":"Let me check."},{"role":"user","content":"Go on"}],"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},"thinking":{"type":"enabled","budget_tokens":1024}}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":"Let me check."},{"role":"user","content":"Go on"}],"max_tokens":10,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],"tool_choice":"required","reasoning_effort":"low"}"#,
        ),
        (
            "named tool choice, custom tool type, strict, thinking high",
            r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","name":"t","description":"d","input_schema":{"type":"object"},"strict":true}],"tool_choice":{"type":"tool","name":"t","disable_parallel_tool_use":true},"thinking":{"type":"enabled","budget_tokens":16384}}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"tools":[{"type":"function","function":{"name":"t","description":"d","parameters":{"type":"object"},"strict":true}}],"tool_choice":{"type":"function","function":{"name":"t"}},"parallel_tool_calls":false,"reasoning_effort":"high"}"#,
        ),
        (
            "tool_choice none; tool_choice without tools is not sent; thinking disabled",
            r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"none"},"thinking":{"type":"disabled"}}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"tools":[{"type":"function","function":{"name":"t","parameters":{"type":"object"}}}],"tool_choice":"none"}"#,
        ),
        (
            "no tools: tool_choice and parallel flag dropped",
            r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[],"tool_choice":{"type":"auto","disable_parallel_tool_use":true}}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10}"#,
        ),
        (
            "output_config effort and json_schema format; effort wins over thinking",
            r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":2000},"output_config":{"effort":"max","format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"reasoning_effort":"high","response_format":{"type":"json_schema","json_schema":{"name":"response","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}}"#,
        ),
        (
            "assistant turn with only thinking is dropped; several texts joined; tool_use without input",
            r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}]},{"role":"user","content":"b"},{"role":"assistant","content":[{"type":"text","text":"one"},{"type":"text","text":"two"},{"type":"tool_use","id":"toolu_1","name":"now"}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1"}]}]}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"one\n\ntwo","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"now","arguments":"{}"}}]},{"role":"tool","content":"","tool_call_id":"toolu_1"}],"max_tokens":10}"#,
        ),
        (
            "assistant tool_use only → content null; text document; error result without text",
            r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"The grass is green."}},{"type":"text","text":"Colour?"}]},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"b":2,"a":[1, 2]}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[]}]}]}"#,
            r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"The grass is green."},{"type":"text","text":"Colour?"}]},{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{\"b\":2,\"a\":[1,2]}"}}]},{"role":"tool","content":"Error","tool_call_id":"t1"}],"max_tokens":10}"#,
        ),
        (
            "OpenAI chat members are copied (last duplicate wins, ours win); Anthropic-only and unknown ones are not",
            r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"service_tier":"auto","container":null,"frequency_penalty":0.5,"n":1,"n":2,"model_extra":{"k":[1, 2]},"user":"spoofed","mcp_servers":[],"chat_template_kwargs":{"enable_thinking":false},"extra_headers":{"Authorization":"Bearer jwt"}}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"frequency_penalty":0.5,"n":2,"user":"spoofed"}"#,
        ),
        (
            "metadata user_id beats a pass-through user",
            r#"{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"x"}],"metadata":{"user_id":"u-1"},"user":"other"}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"user":"u-1"}"#,
        ),
    ];
    for (name, input, expected) in cases {
        let t = build_chat_request(input.as_bytes(), "m", target(true)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(body(&t), *expected, "{name}");
        crate::json::from_bytes::<serde_json::Value>(&t.body).unwrap();
    }
}

#[test]
fn request_errors() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("not json", "{", "not valid JSON", ""),
        ("no messages", r#"{"model":"x","max_tokens":1}"#, "`messages` is required", "messages"),
        ("bad role", r#"{"messages":[{"role":"tool","content":"x"}]}"#, "messages[0]: role", "messages"),
        (
            "bad system turn",
            r#"{"messages":[{"role":"system","content":[{"type":"image"}]}]}"#,
            "`messages[0]`: system blocks",
            "messages",
        ),
        ("bad content", r#"{"messages":[{"role":"user","content":3}]}"#, "content must be", "messages"),
        (
            "server tool",
            r#"{"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":5}]}"#,
            "tool type `web_search_20250305`",
            "tools",
        ),
        (
            "pdf document",
            r#"{"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"}}]}]}"#,
            "plain-text `document`",
            "messages",
        ),
        (
            "file image",
            r#"{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_011"}}]}]}"#,
            "image source `file`",
            "messages",
        ),
        (
            "tool_use in a user turn",
            r#"{"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{}}]}]}"#,
            "`tool_use` in a user turn",
            "messages",
        ),
        (
            "server_tool_use in history",
            r#"{"messages":[{"role":"assistant","content":[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}]}]}"#,
            "`server_tool_use` in a assistant turn",
            "messages",
        ),
        ("system block type", r#"{"messages":[],"system":[{"type":"image"}]}"#, "text blocks", "system"),
        ("stream type", r#"{"messages":[],"stream":"yes"}"#, "`stream` must be a boolean", "stream"),
        (
            "tool_choice tool without name",
            r#"{"messages":[],"tools":[{"name":"a"}],"tool_choice":{"type":"tool"}}"#,
            "needs a `name`",
            "tool_choice",
        ),
        (
            "mcp servers",
            r#"{"messages":[],"mcp_servers":[{"type":"url","url":"https://x","name":"x"}]}"#,
            "`mcp_servers`",
            "mcp_servers",
        ),
        (
            "tool_result without id",
            r#"{"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}"#,
            "without `tool_use_id`",
            "messages",
        ),
    ];
    for (name, input, message, param) in cases {
        let e = match build_chat_request(input.as_bytes(), "m", target(true)) {
            Ok(t) => panic!("{name}: expected an error, got {}", body(&t)),
            Err(e) => e,
        };
        assert_eq!(e.status, 400, "{name}");
        assert!(e.message.contains(message), "{name}: {}", e.message);
        assert_eq!(e.param.unwrap_or_default(), *param, "{name}");
    }
}

#[test]
fn thinking_budget_thresholds() {
    for (budget, effort) in [(1024, "low"), (4095, "low"), (4096, "medium"), (16383, "medium"), (16384, "high")] {
        assert_eq!(budget_effort(budget), effort);
    }
}

/// Anthropic's `cache_control` marks reach an OpenAI-wire provider only where it documents
/// them (OpenRouter, DashScope); elsewhere they are dropped.
#[test]
fn cache_control_only_where_the_target_keeps_it() {
    let input = r#"{"model":"x","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"Long.","cache_control":{"type":"ephemeral"}}]}]}"#;
    let kept = build_chat_request(input.as_bytes(), "m", target(false)).unwrap();
    assert!(body(&kept).contains(r#""cache_control":{"type":"ephemeral"}"#), "{}", body(&kept));
    let dropped = build_chat_request(input.as_bytes(), "m", ChatTarget::default()).unwrap();
    assert_eq!(
        body(&dropped),
        r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"Long."}]}],"max_tokens":5}"#
    );
}
