use super::*;
use crate::dialect::ToolNames;
use crate::stream::testing;
use serde_json::{json, Value};

fn ctx(names: ToolNames) -> TranslateCtx {
    TranslateCtx {
        model: "deepseek-chat".into(),
        created: 1_700_000_000,
        random: 0xabc,
        tool_names: names,
        ..TranslateCtx::default()
    }
}

/// A chat chunk after the end (ignored).
const LATE: &[u8] = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"late\"}}]}\n\n";

/// The events of a stream, checked to be the same for every split point and byte by byte,
/// each a `event:`/`data:` pair whose data is JSON of that type, with rising sequence numbers.
fn events(input: &str, names: &ToolNames) -> Vec<Value> {
    let whole =
        testing::assert_split_invariant(|| Box::new(ChatToResponsesStream::new(ctx(names.clone()))), LATE, input);
    let mut out = Vec::new();
    for block in whole.split_terminator("\n\n") {
        let (event, data) = block.split_once('\n').unwrap();
        let name = event.strip_prefix("event: ").unwrap();
        let v: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(v["type"], name);
        assert_eq!(v["sequence_number"], out.len());
        out.push(v);
    }
    out
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let c = json!({"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1, "model": "deepseek-chat",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {c}\n\n")
}

const USAGE: &str = "data: {\"id\":\"chatcmpl-9\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}}\n\n";

#[test]
fn reasoning_then_text() {
    let input = [
        chunk(json!({"role": "assistant", "content": null, "reasoning_content": ""}), None),
        chunk(json!({"reasoning_content": "Thinking"}), None),
        chunk(json!({"reasoning_content": " hard."}), None),
        chunk(json!({"content": "Hello"}), None),
        ": keep-alive\n\n".to_string(),
        chunk(json!({"content": ", world!"}), None),
        chunk(json!({}), Some("stop")),
        USAGE.to_string(),
        "data: [DONE]\n\n".to_string(),
    ]
    .concat();
    let ev = events(&input, &ToolNames::default());
    assert_eq!(
        types(&ev),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(ev[0]["response"]["status"], "in_progress");
    assert_eq!(ev[0]["response"]["id"], "resp_chatcmpl-9");
    assert_eq!(ev[2]["item"], json!({"id": "rs_0000000000000abc_0", "type": "reasoning", "summary": []}));
    assert_eq!(ev[4]["delta"], "Thinking");
    assert_eq!(ev[6]["text"], "Thinking hard.");
    assert_eq!(ev[11]["item_id"], "msg_0000000000000abc_1");
    assert_eq!(ev[11]["output_index"], 1);
    assert_eq!(ev[13]["text"], "Hello, world!");
    let done = &ev[16]["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["output"][1]["content"][0]["text"], "Hello, world!");
    assert_eq!(done["output"][0]["summary"][0]["text"], "Thinking hard.");
    assert_eq!(done["usage"]["input_tokens"], 12);
    assert_eq!(done["usage"]["total_tokens"], 17);
}

#[test]
fn parallel_interleaved_calls_come_out_one_item_each() {
    let call = |index: u32, id: Option<&str>, name: Option<&str>, args: &str| {
        let mut c = json!({"index": index, "function": {"arguments": args}});
        if let Some(id) = id {
            c["id"] = json!(id);
            c["type"] = json!("function");
        }
        if let Some(name) = name {
            c["function"]["name"] = json!(name);
        }
        chunk(json!({"tool_calls": [c]}), None)
    };
    let input = [
        chunk(json!({"role": "assistant", "content": "Checking."}), None),
        call(0, Some("call_A"), Some("get_weather"), ""),
        call(1, Some("call_B"), Some("multi_agent_v1__close_agent"), ""),
        call(0, None, None, "{\"city\":"),
        call(1, None, None, "{\"id\":"),
        call(0, None, None, "\"Paris\"}"),
        call(1, None, None, "\"a1\"}"),
        call(2, Some("call_C"), Some("apply_patch"), "{\"input\":\"*** Begin\"}"),
        chunk(json!({}), Some("tool_calls")),
        "data: [DONE]\n\n".to_string(),
    ]
    .concat();
    let names = ToolNames { namespaces: vec!["multi_agent_v1".into()], custom: vec!["apply_patch".into()] };
    let ev = events(&input, &names);
    let done = ev.last().unwrap();
    assert_eq!(done["type"], "response.completed");
    let output = done["response"]["output"].as_array().unwrap();
    assert_eq!(output.len(), 4);
    assert_eq!(
        output[1],
        json!({"id": "fc_0000000000000abc_1", "type": "function_call", "status": "completed",
        "call_id": "call_A", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"})
    );
    assert_eq!(output[2]["namespace"], "multi_agent_v1");
    assert_eq!(output[2]["name"], "close_agent");
    assert_eq!(output[2]["arguments"], "{\"id\":\"a1\"}");
    assert_eq!(
        output[3],
        json!({"id": "fc_0000000000000abc_3", "type": "custom_tool_call", "status": "completed",
        "call_id": "call_C", "name": "apply_patch", "input": "*** Begin"})
    );
    // The first call streamed live; the buffered one came whole, after it closed.
    let args: Vec<(&Value, &Value)> = ev
        .iter()
        .filter(|e| e["type"] == "response.function_call_arguments.delta")
        .map(|e| (&e["output_index"], &e["delta"]))
        .collect();
    assert_eq!(
        args,
        [(&json!(1), &json!("{\"city\":")), (&json!(1), &json!("\"Paris\"}")), (&json!(2), &json!("{\"id\":\"a1\"}"))]
    );
    let custom: Vec<&Value> =
        ev.iter().filter(|e| e["type"] == "response.custom_tool_call_input.done").map(|e| &e["input"]).collect();
    assert_eq!(custom, [&json!("*** Begin")]);
    // Items are sequential: every `added` is followed by its `done` before the next `added`.
    let mut open = None;
    for e in &ev {
        match e["type"].as_str().unwrap() {
            "response.output_item.added" => {
                assert!(open.is_none(), "{e}");
                open = Some(e["output_index"].clone());
            }
            "response.output_item.done" => assert_eq!(open.take(), Some(e["output_index"].clone())),
            _ => {}
        }
    }
}

/// A custom tool's call whose input arrives over several deltas, its name only in the first:
/// no function-call event leaks for it (custom-ness is the call's, not the delta's).
#[test]
fn custom_call_split_over_deltas() {
    let delta = |c: Value| chunk(json!({"tool_calls": [c]}), None);
    let input = [
        delta(json!({"index": 0, "id": "call_C", "function": {"name": "apply_patch", "arguments": "{\"input\":"}})),
        delta(json!({"index": 0, "function": {"arguments": "\"*** Begin\"}"}})),
        chunk(json!({}), Some("tool_calls")),
        "data: [DONE]\n\n".to_string(),
    ]
    .concat();
    let names = ToolNames { custom: vec!["apply_patch".into()], ..ToolNames::default() };
    let ev = events(&input, &names);
    let kinds = types(&ev);
    assert!(!kinds.iter().any(|k| k.starts_with("response.function_call_arguments")), "{kinds:?}");
    let inputs: Vec<&Value> =
        ev.iter().filter(|e| e["type"] == "response.custom_tool_call_input.done").map(|e| &e["input"]).collect();
    assert_eq!(inputs, [&json!("*** Begin")]);
}

#[test]
fn endings() {
    // `length` → response.incomplete.
    let input = [chunk(json!({"content": "Cut"}), Some("length")), "data: [DONE]\n\n".to_string()].concat();
    let ev = events(&input, &ToolNames::default());
    let last = ev.last().unwrap();
    assert_eq!(last["type"], "response.incomplete");
    assert_eq!(last["response"]["incomplete_details"]["reason"], "max_output_tokens");
    // A finish_reason without [DONE] ends normally.
    let ev = events(&chunk(json!({"content": "Hi"}), Some("stop")), &ToolNames::default());
    assert_eq!(ev.last().unwrap()["type"], "response.completed");
    // Cut off: response.failed, with what came so far.
    let ev = events(&chunk(json!({"content": "Hi"}), None), &ToolNames::default());
    let last = ev.last().unwrap();
    assert_eq!(last["type"], "response.failed");
    assert_eq!(last["response"]["status"], "failed");
    assert_eq!(last["response"]["error"]["message"], "upstream stream ended early");
    // An upstream error event.
    let input = [chunk(json!({"content": "Hi"}), None),
                 "data: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit_error\",\"code\":\"rate_limit_exceeded\"}}\n\n".to_string()]
    .concat();
    let ev = events(&input, &ToolNames::default());
    let last = ev.last().unwrap();
    assert_eq!(last["response"]["error"], json!({"code": "rate_limit_exceeded", "message": "Rate limit reached"}));
    // Nothing at all, and a chunk that is not JSON.
    let ev = events("", &ToolNames::default());
    assert_eq!(types(&ev), ["response.created", "response.in_progress", "response.failed"]);
    let ev = events("data: {nope\n\ndata: [DONE]\n\n", &ToolNames::default());
    assert_eq!(
        ev.last().unwrap()["response"]["error"]["message"],
        "the upstream sent a stream chunk that is not valid JSON"
    );
    assert_eq!(ev.iter().filter(|e| e["type"] == "response.failed").count(), 1);
}

#[test]
fn refusal_after_text_is_its_own_part() {
    let input = [
        chunk(json!({"content": "Well"}), None),
        chunk(json!({"refusal": "No."}), None),
        chunk(json!({}), Some("stop")),
    ]
    .concat();
    let ev = events(&input, &ToolNames::default());
    let done = &ev.last().unwrap()["response"]["output"][0]["content"];
    assert_eq!(
        done,
        &json!([{"type": "output_text", "text": "Well", "annotations": [], "logprobs": []}, {"type": "refusal", "refusal": "No."}])
    );
    let refusal: Vec<&Value> =
        ev.iter().filter(|e| e["type"] == "response.refusal.delta").map(|e| &e["content_index"]).collect();
    assert_eq!(refusal, [&json!(1)]);
}
