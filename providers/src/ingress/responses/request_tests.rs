use super::*;
use serde_json::{json, Value};

const CODEX_TURN2: &str = include_str!("../../../../tests/fixtures/_captures/codex-0.171-turn2.json");

fn target(stream_usage: bool, reasoning_content: bool) -> ChatTarget {
    ChatTarget { stream_usage, cache_control: false, reasoning_content }
}

fn translate(body: &str, t: ChatTarget) -> Result<(Value, ToolNames), ProxyError> {
    let view = ObjectView::parse(body.as_bytes()).unwrap();
    let out = translate_request(&view, "m", t)?;
    Ok((serde_json::from_slice(&out.body).unwrap(), out.tool_names))
}

#[test]
fn codex_turn_with_reasoning_call_and_output() {
    let (chat, names) = translate(CODEX_TURN2, target(true, true)).unwrap();
    let messages = chat["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().unwrap()).collect();
    // developer → system (twice), the environment and the prompt, the call turn, its output.
    assert_eq!(roles, ["system", "system", "user", "user", "assistant", "tool"]);
    assert_eq!(messages[3]["content"], json!([{"type": "text", "text": "Run echo hi"}]));
    assert_eq!(
        messages[4],
        json!({"role": "assistant", "content": null, "reasoning_content": "**Running echo**",
               "tool_calls": [{"id": "call_abc", "type": "function",
                               "function": {"name": "exec_command", "arguments": "{\"cmd\":\"echo hi\"}"}}]})
    );
    assert_eq!(messages[5]["tool_call_id"], "call_abc");
    assert!(messages[5]["content"].as_str().unwrap().ends_with("hi\n"));
    // Functions as they are, the namespace's flattened, web_search dropped.
    let tool_names: Vec<&str> =
        chat["tools"].as_array().unwrap().iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
    assert!(
        tool_names.contains(&"exec_command") && tool_names.contains(&"multi_agent_v1__close_agent"),
        "{tool_names:?}"
    );
    assert!(!tool_names.iter().any(|n| n.contains("web_search")));
    assert_eq!(names.namespaces, ["multi_agent_v1"]);
    assert_eq!(chat["tool_choice"], "auto");
    assert_eq!(chat["parallel_tool_calls"], true);
    assert_eq!(chat["stream"], true);
    assert_eq!(chat["stream_options"], json!({"include_usage": true}));
    assert!(chat["prompt_cache_key"].is_string());
    for gone in ["store", "include", "client_metadata", "reasoning", "input", "instructions"] {
        assert!(chat.get(gone).is_none(), "{gone} must not reach a chat provider");
    }
    // Without reasoning echo, the reasoning stays out; without stream usage, no stream_options.
    let (chat, _) = translate(CODEX_TURN2, target(false, false)).unwrap();
    assert!(chat["messages"][4].get("reasoning_content").is_none());
    assert!(chat.get("stream_options").is_none());
}

#[test]
fn request_mappings() {
    let cases: &[(&str, Value, Value)] = &[
        (
            "string input, instructions, scalars, JSON schema output",
            json!({"model": "x", "instructions": "Be brief.", "input": "Hi", "max_output_tokens": 100,
                   "temperature": 0.2, "top_p": 0.9, "user": "u1", "store": true, "metadata": {"a": "b"},
                   "reasoning": {"effort": "low", "summary": "auto"}, "truncation": "auto",
                   "text": {"format": {"type": "json_schema", "name": "answer", "strict": true,
                                       "schema": {"type": "object", "properties": {"a": {"type": "string"}}}},
                            "verbosity": "low"}}),
            json!({"model": "m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
                   "max_tokens": 100, "temperature": 0.2, "top_p": 0.9, "user": "u1", "reasoning_effort": "low",
                   "verbosity": "low",
                   "response_format": {"type": "json_schema", "json_schema": {"name": "answer",
                       "schema": {"type": "object", "properties": {"a": {"type": "string"}}}, "strict": true}}}),
        ),
        (
            "easy input messages, an image with detail, an audio part, a file, json_object",
            json!({"model": "x", "text": {"format": {"type": "json_object"}}, "input": [
                {"role": "user", "content": [{"type": "input_text", "text": "What is this?"},
                    {"type": "input_image", "image_url": "https://e.com/a.png", "detail": "low"},
                    {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                    {"type": "input_file", "file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"}]},
                {"role": "assistant", "content": [{"type": "output_text", "text": "A cat."}]},
                {"role": "user", "content": "Sure?"}]}),
            json!({"model": "m", "response_format": {"type": "json_object"}, "messages": [
                {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "https://e.com/a.png", "detail": "low"}},
                    {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                    {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"}}]},
                {"role": "assistant", "content": "A cat."},
                {"role": "user", "content": "Sure?"}]}),
        ),
        (
            "parallel calls on one assistant turn; a tool output with an image opens the next user message",
            json!({"model": "x", "tools": [{"type": "function", "name": "shot", "parameters": {"type": "object"}}],
                   "tool_choice": {"type": "function", "name": "shot"}, "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Two shots"}]},
                {"type": "function_call", "call_id": "c1", "name": "shot", "arguments": "{}"},
                {"type": "function_call", "call_id": "c2", "name": "shot", "arguments": "{\"n\":2}"},
                {"type": "function_call_output", "call_id": "c1", "output": "done"},
                {"type": "function_call_output", "call_id": "c2", "output": [
                    {"type": "input_text", "text": "here"}, {"type": "input_image", "image_url": "data:image/png;base64,iVBO"}]},
                {"role": "user", "content": "Compare them."}]}),
            json!({"model": "m", "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Two shots"}]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "shot", "arguments": "{}"}},
                    {"id": "c2", "type": "function", "function": {"name": "shot", "arguments": "{\"n\":2}"}}]},
                {"role": "tool", "content": "done", "tool_call_id": "c1"},
                {"role": "tool", "content": "here", "tool_call_id": "c2"},
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                                             {"type": "text", "text": "Compare them."}]}],
                "tools": [{"type": "function", "function": {"name": "shot", "parameters": {"type": "object"}}}],
                "tool_choice": {"type": "function", "function": {"name": "shot"}}}),
        ),
        (
            "a custom tool: a function with one `input`; its call and output round trip",
            json!({"model": "x", "tools": [{"type": "custom", "name": "apply_patch", "description": "Patch files.",
                                            "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}}],
                   "input": [{"role": "user", "content": "Fix it"},
                             {"type": "custom_tool_call", "call_id": "p1", "name": "apply_patch", "input": "*** Begin Patch"},
                             {"type": "custom_tool_call_output", "call_id": "p1", "output": "ok"}]}),
            json!({"model": "m", "messages": [
                {"role": "user", "content": "Fix it"},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "p1", "type": "function",
                    "function": {"name": "apply_patch", "arguments": "{\"input\":\"*** Begin Patch\"}"}}]},
                {"role": "tool", "content": "ok", "tool_call_id": "p1"}],
                "tools": [{"type": "function", "function": {"name": "apply_patch",
                    "description": "Patch files.\n\nThe `input` must follow this lark grammar:\nstart: /.+/",
                    "parameters": {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}}}]}),
        ),
    ];
    for (name, input, want) in cases {
        let (got, _) = translate(&input.to_string(), target(false, false)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&got, want, "{name}");
    }
}

#[test]
fn what_needs_openai_state_or_tools_is_refused() {
    let cases: &[(&str, Value, &str)] = &[
        (
            "previous response",
            json!({"input": "x", "previous_response_id": "resp_1"}),
            "`previous_response_id` is not supported",
        ),
        ("conversation", json!({"input": "x", "conversation": "conv_1"}), "`conversation` is not supported"),
        ("background", json!({"input": "x", "background": true}), "`background` is not supported"),
        ("item reference", json!({"input": [{"type": "item_reference", "id": "msg_1"}]}), "`item_reference`"),
        (
            "hosted tool",
            json!({"input": "x", "tools": [{"type": "file_search", "vector_store_ids": ["v"]}]}),
            "`file_search` tool",
        ),
        (
            "file id",
            json!({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "file-1"}]}]}),
            "`file_id`",
        ),
        (
            "unknown item",
            json!({"input": [{"type": "computer_call", "call_id": "c"}]}),
            "`computer_call` are not supported",
        ),
        ("no input", json!({"model": "x"}), "`input` is required"),
        ("empty input", json!({"input": []}), "at least one message"),
        (
            "image in system",
            json!({"input": [{"role": "developer", "content": [{"type": "input_image", "image_url": "https://e/x.png"}]}]}),
            "only text",
        ),
    ];
    for (name, input, want) in cases {
        let e = translate(&input.to_string(), target(false, false)).err().unwrap_or_else(|| panic!("{name}: accepted"));
        assert_eq!(e.status, 400, "{name}");
        assert!(e.message.contains(want), "{name}: {}", e.message);
    }
    // `web_search` is dropped, not refused: Codex sends it on every request.
    let (chat, _) =
        translate(&json!({"input": "x", "tools": [{"type": "web_search"}]}).to_string(), target(false, false)).unwrap();
    assert!(chat.get("tools").is_none());
}
