use super::*;
use serde_json::{json, Value};

pub(super) fn ctx(names: ToolNames) -> TranslateCtx {
    TranslateCtx {
        model: "deepseek-chat".into(),
        created: 1_700_000_000,
        random: 0xabc,
        tool_names: names,
        ..TranslateCtx::default()
    }
}

fn translate(body: Value, names: ToolNames) -> Value {
    serde_json::from_slice(&translate_response(body.to_string().as_bytes(), &ctx(names)).unwrap()).unwrap()
}

#[test]
fn completion_with_reasoning_text_and_calls() {
    let chat = json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "deepseek-reasoner",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant",
            "reasoning_content": "Think first.", "content": "Calling both.",
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "exec_command", "arguments": "{\"cmd\":\"ls\"}"}},
                           {"id": "call_2", "type": "function", "function": {"name": "multi_agent_v1__close_agent", "arguments": "{}"}},
                           {"id": "call_3", "type": "function", "function": {"name": "apply_patch", "arguments": "{\"input\":\"*** Begin\"}"}}]}}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120,
                  "prompt_tokens_details": {"cached_tokens": 64}, "completion_tokens_details": {"reasoning_tokens": 7}}});
    let names = ToolNames { namespaces: vec!["multi_agent_v1".into()], custom: vec!["apply_patch".into()] };
    let got = translate(chat, names);
    assert_eq!(got["id"], "resp_chatcmpl-1");
    assert_eq!(got["object"], "response");
    assert_eq!(got["status"], "completed");
    assert_eq!(got["created_at"], 1_700_000_000);
    assert_eq!(got["model"], "deepseek-reasoner");
    assert_eq!(got["store"], false);
    assert_eq!(
        got["output"],
        json!([
            {"id": "rs_0000000000000abc", "type": "reasoning", "summary": [{"type": "summary_text", "text": "Think first."}]},
            {"id": "msg_0000000000000abc", "type": "message", "status": "completed", "role": "assistant",
             "content": [{"type": "output_text", "text": "Calling both.", "annotations": [], "logprobs": []}]},
            {"id": "fc_0000000000000abc_0", "type": "function_call", "status": "completed", "call_id": "call_1",
             "name": "exec_command", "arguments": "{\"cmd\":\"ls\"}"},
            {"id": "fc_0000000000000abc_1", "type": "function_call", "status": "completed", "call_id": "call_2",
             "namespace": "multi_agent_v1", "name": "close_agent", "arguments": "{}"},
            {"id": "fc_0000000000000abc_2", "type": "custom_tool_call", "status": "completed", "call_id": "call_3",
             "name": "apply_patch", "input": "*** Begin"}
        ])
    );
    assert_eq!(
        got["usage"],
        json!({"input_tokens": 100, "input_tokens_details": {"cached_tokens": 64}, "output_tokens": 20,
               "output_tokens_details": {"reasoning_tokens": 7}, "total_tokens": 120})
    );
}

#[test]
fn statuses_refusals_and_missing_parts() {
    let chat = json!({"choices": [{"index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": "Cut"}}]});
    let got = translate(chat, ToolNames::default());
    assert_eq!(got["status"], "incomplete");
    assert_eq!(got["incomplete_details"], json!({"reason": "max_output_tokens"}));
    assert_eq!(got["id"], "resp_0000000000000abc");
    assert_eq!(got["model"], "deepseek-chat");
    assert_eq!(got["usage"], Value::Null);
    let chat = json!({"choices": [{"index": 0, "finish_reason": "content_filter",
        "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}}]});
    let got = translate(chat, ToolNames::default());
    assert_eq!(got["incomplete_details"]["reason"], "content_filter");
    assert_eq!(got["output"][0]["content"], json!([{"type": "refusal", "refusal": "I can't help with that."}]));
    // Arguments sent as an object (not OpenAI's shape) still come back as a string.
    let chat = json!({"choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
        "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}}]});
    let got = translate(chat, ToolNames::default());
    assert_eq!(got["output"][0]["arguments"], "{\"a\":1}");
    assert_eq!(got["output"][0]["call_id"], "call_0000000000000abc_0");
}

#[test]
fn unreadable_completions_are_bad_upstream() {
    for body in [&b"not json"[..], br#"{"choices":[]}"#, br#"{"choices":"x"}"#, b"\xff"] {
        let e = translate_response(body, &ctx(ToolNames::default())).unwrap_err();
        assert_eq!(e.status, 502, "{}", String::from_utf8_lossy(body));
    }
}

/// Reasoning is read where the provider put it, an empty `reasoning_content` not hiding a
/// `reasoning` (as in the stream and in the Anthropic ingress: one reader, `reasoning_text`).
#[test]
fn reasoning_from_either_member() {
    for (message, want) in [
        (
            json!({"role": "assistant", "reasoning_content": "", "reasoning": "thought", "content": "a"}),
            Some("thought"),
        ),
        (json!({"role": "assistant", "reasoning_content": "rc", "reasoning": "r", "content": "a"}), Some("rc")),
        (json!({"role": "assistant", "reasoning": "", "content": "a"}), None),
    ] {
        let chat = json!({"id": "c", "choices": [{"index": 0, "finish_reason": "stop", "message": message}]});
        let got = translate(chat, ToolNames::default());
        let reasoning = got["output"].as_array().unwrap().iter().find(|i| i["type"] == "reasoning").cloned();
        assert_eq!(reasoning.map(|r| r["summary"][0]["text"].as_str().unwrap().to_string()).as_deref(), want, "{got}");
    }
}
