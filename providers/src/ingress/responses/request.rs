//! OpenAI Responses request (<https://platform.openai.com/docs/api-reference/responses/create>)
//! → OpenAI chat request.
//!
//! Decisions:
//! - `instructions` → a leading `system` message; `input` as a string → one user message.
//! - `input` items: messages (`type: message`, or no type with a `role`) keep their role, but
//!   `developer` is sent as `system`, which every chat provider and translator takes (not all
//!   take `developer`; to OpenAI's models the two are the same);
//!   `input_text` / `output_text` → text, `input_image` (URL or data URL) → `image_url` with
//!   its `detail`, `input_file` with `file_data` → a `file` part, `input_audio` → `input_audio`.
//!   A `file_id` refers to OpenAI's file store: 400. An assistant message and the
//!   `function_call` items after it form one assistant turn with `tool_calls` (chat carries
//!   parallel calls on one message); `function_call_output` → a `tool` message (text parts
//!   joined; images in an output cannot go in a `tool` message, so they open the user message
//!   that follows); `reasoning` items → the next assistant turn's `reasoning_content` (their
//!   summary text, or their `reasoning_text` content), sent only where the provider wants it
//!   back; `custom_tool_call` / `custom_tool_call_output` → a function call whose arguments are
//!   `{"input": ...}` and its `tool` message. `item_reference` and every other item type refer
//!   to state this gateway does not have, or to OpenAI-hosted tools: 400.
//! - `tools`: `function` → chat functions; a `namespace` (Codex groups its sub-agent tools so)
//!   → its functions, each named `{namespace}__{name}`; `custom` → a function with one string
//!   member `input` (its grammar goes into the description); `web_search` /
//!   `web_search_preview` are dropped (the provider cannot search for OpenAI, and Codex sends
//!   it on every request); other OpenAI-hosted tools (`file_search`, `code_interpreter`,
//!   `computer_use_preview`, `image_generation`, `mcp`, `local_shell`, ...) → 400.
//! - `tool_choice`: `auto` / `none` / `required` as they are, a named function or custom tool
//!   → that function, `allowed_tools` → its mode; a hosted tool → 400.
//! - `max_output_tokens` → `max_tokens`; `temperature`, `top_p`, `parallel_tool_calls`, `user`,
//!   `safety_identifier`, `prompt_cache_key` as they are; `reasoning.effort` →
//!   `reasoning_effort` (`reasoning.summary` has no chat counterpart); `text.format`
//!   (`json_schema` / `json_object`) → `response_format`; `text.verbosity` → `verbosity`;
//!   `top_logprobs` → `logprobs` + `top_logprobs`.
//! - Stateful features: `previous_response_id`, `conversation`, `background: true` and
//!   `prompt` (stored prompt templates) → 400 saying so; `store` is ignored (nothing is stored:
//!   the answer says `store: false`), and so are `include`, `metadata`, `truncation`,
//!   `max_tool_calls`, `service_tier`, `stream_options` and Codex's `client_metadata`.

use crate::dialect::{ToolNames, Translated};
use crate::error::ProxyError;
use crate::ingress::chat_request::{
    literal, write_chat_messages, write_tools, ChatMessage, ObjWriter, OutContent, Part, Text, ToolCallOut, ToolOut,
};
use crate::ingress::ChatTarget;
use crate::json::write_str as push_str;
use crate::json::{as_array, as_object, as_objects, as_str, ObjectView};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// OpenAI-hosted tools: the provider cannot run them, so a request that needs one is refused.
/// (`web_search` is dropped instead: see the module notes.)
const DROPPED_TOOLS: &[&str] = &["web_search", "web_search_preview", "web_search_2025_08_26"];

/// The chat request for a Responses request, for the mapped `model`.
pub fn translate_request(view: &ObjectView<'_>, model: &str, target: ChatTarget) -> Result<Translated, ProxyError> {
    for (key, what) in [
        (
            "previous_response_id",
            "earlier responses are not stored by this gateway: send the whole conversation in `input`",
        ),
        ("conversation", "conversations are not stored by this gateway: send the whole conversation in `input`"),
        ("prompt", "stored prompt templates are OpenAI's: send `instructions` and `input`"),
    ] {
        if view.value(key).is_some() {
            return Err(unsupported(key, what));
        }
    }
    if view.get_bool("background").ok().flatten() == Some(true) {
        return Err(unsupported(
            "background",
            "background responses need stored responses, which this gateway does not have",
        ));
    }
    let stream = view.get_bool("stream").map_err(|_| invalid("stream", "must be a boolean"))?.unwrap_or(false);

    let mut names = ToolNames::default();
    let tools = tools(view, &mut names)?;
    let mut conv = Conversation::default();
    if let Some(raw) = view.value("instructions") {
        let text = as_str(raw).map_err(|_| invalid("instructions", "must be a string"))?;
        if !text.is_empty() {
            conv.messages.push(ChatMessage::plain("system", OutContent::Text(text)));
        }
    }
    match view.value("input") {
        None => return Err(invalid("input", "is required")),
        Some(raw) if raw.get().starts_with('"') => {
            let text = as_str(raw).map_err(|_| invalid("input", "invalid string"))?;
            conv.messages.push(ChatMessage::plain("user", OutContent::Text(text)));
        }
        Some(raw) => {
            // One pass over the items (a Codex history is mostly tool outputs); the slow path
            // only names what is wrong.
            let items = as_objects(raw).map_err(|_| match as_array(raw) {
                Err(_) => invalid("input", "must be a string or an array of items"),
                Ok(items) => {
                    let i = items.iter().position(|item| !item.get().starts_with('{')).unwrap_or(0);
                    bad_item(i, "must be an object")
                }
            })?;
            for (i, item) in items.into_iter().enumerate() {
                conv.item(i, item)?;
            }
        }
    }
    conv.flush();
    if conv.messages.is_empty() {
        return Err(invalid("input", "must contain at least one message"));
    }

    let mut out = ObjWriter::new(view.input().len() + 256);
    push_str(out.member("model"), model);
    write_chat_messages(out.member("messages"), &conv.messages, target);
    if let Some(raw) = view.value("max_output_tokens") {
        out.raw("max_tokens", raw.get());
    }
    for key in ["temperature", "top_p", "user", "safety_identifier", "prompt_cache_key"] {
        if let Some(raw) = view.value(key) {
            out.raw(key, raw.get());
        }
    }
    if let Some(raw) = view.value("top_logprobs") {
        out.raw("logprobs", "true");
        out.raw("top_logprobs", raw.get());
    }
    if stream {
        out.raw("stream", "true");
        if target.stream_usage {
            out.raw("stream_options", r#"{"include_usage":true}"#);
        }
    }
    if !tools.is_empty() {
        write_tools(out.member("tools"), &tools);
        if let Some(raw) = view.value("tool_choice") {
            tool_choice(raw, &names, &mut out)?;
        }
        if let Some(raw) = view.value("parallel_tool_calls") {
            out.raw("parallel_tool_calls", raw.get());
        }
    }
    if let Some(raw) = view.value("reasoning") {
        let reasoning = as_object(raw).map_err(|_| invalid("reasoning", "must be an object"))?;
        if let Some(effort) = reasoning.value("effort") {
            out.raw("reasoning_effort", effort.get());
        }
    }
    if let Some(raw) = view.value("text") {
        text_options(raw, &mut out)?;
    }
    let include_usage = stream && target.stream_usage;
    Ok(Translated { body: out.finish(), stream, include_usage, tool_names: names, ..Translated::default() })
}

fn invalid(param: &'static str, what: &str) -> ProxyError {
    ProxyError::invalid_request(format!("`{param}` {what}")).with_param(param)
}

/// A feature of the Responses API the provider cannot give (it lives in OpenAI's store).
fn unsupported(param: &'static str, why: &str) -> ProxyError {
    ProxyError::invalid_request(format!("`{param}` is not supported by this provider: {why}"))
        .with_param(param)
        .with_code("unsupported_parameter")
}

fn bad_item(i: usize, what: &str) -> ProxyError {
    ProxyError::invalid_request(format!("input[{i}]: {what}")).with_param("input")
}

/// A string member of an item (`None` when absent or `null`).
fn opt_str<'a>(o: &ObjectView<'a>, key: &str, i: usize) -> Result<Option<Cow<'a, str>>, ProxyError> {
    o.get_str(key).map_err(|_| bad_item(i, &format!("`{key}` must be a string")))
}

fn req_str<'a>(o: &ObjectView<'a>, key: &str, i: usize) -> Result<Cow<'a, str>, ProxyError> {
    opt_str(o, key, i)?.ok_or_else(|| bad_item(i, &format!("`{key}` is required")))
}

/// The chat turns being built, with the assistant turn still open (an assistant message and
/// the function calls after it are one chat message).
#[derive(Default)]
struct Conversation<'a> {
    messages: Vec<ChatMessage<'a>>,
    assistant: Option<ChatMessage<'a>>,
    /// Reasoning read before the assistant turn it belongs to.
    reasoning: Vec<Cow<'a, str>>,
    /// Images of tool outputs, for the user message that follows them.
    images: Vec<Part<'a>>,
}

impl<'a> Conversation<'a> {
    fn item(&mut self, i: usize, item: ObjectView<'a>) -> Result<(), ProxyError> {
        let kind = match opt_str(&item, "type", i)? {
            Some(kind) => kind,
            None if item.contains("role") => Cow::Borrowed("message"),
            None => return Err(bad_item(i, "`type` is required")),
        };
        match &*kind {
            "message" => self.message(i, &item),
            "function_call" => {
                let call_id = req_str(&item, "call_id", i)?;
                let name = req_str(&item, "name", i)?;
                let name = match opt_str(&item, "namespace", i)? {
                    Some(ns) => Cow::Owned(format!("{ns}__{name}")),
                    None => name,
                };
                let arguments = opt_str(&item, "arguments", i)?.unwrap_or(Cow::Borrowed("{}"));
                self.call(ToolCallOut { id: call_id, name, arguments: arguments.into_owned() });
                Ok(())
            }
            "custom_tool_call" => {
                let call_id = req_str(&item, "call_id", i)?;
                let name = req_str(&item, "name", i)?;
                let input = opt_str(&item, "input", i)?.unwrap_or_default();
                let mut arguments = b"{\"input\":".to_vec();
                push_str(&mut arguments, &input);
                arguments.push(b'}');
                let arguments = String::from_utf8(arguments).unwrap_or_default();
                self.call(ToolCallOut { id: call_id, name, arguments });
                Ok(())
            }
            "function_call_output" | "custom_tool_call_output" => {
                let call_id = req_str(&item, "call_id", i)?;
                let output = item.value("output").ok_or_else(|| bad_item(i, "`output` is required"))?;
                // A string output goes over as the client wrote it (no unescaping and escaping again).
                let content = match output.get().starts_with('"') {
                    true => OutContent::Literal(output),
                    false => OutContent::Text(Cow::Owned(self.output_text(i, output)?)),
                };
                self.close_assistant();
                self.messages.push(ChatMessage { tool_call_id: Some(call_id), ..ChatMessage::plain("tool", content) });
                Ok(())
            }
            "reasoning" => {
                self.close_assistant();
                self.reasoning.extend(reasoning_text(&item));
                Ok(())
            }
            "item_reference" => Err(unsupported(
                "input",
                "`item_reference` items refer to stored items, which this gateway does not have: send the items themselves",
            )),
            other => Err(bad_item(i, &format!("items of type `{other}` are not supported by this provider"))),
        }
    }

    fn message(&mut self, i: usize, item: &ObjectView<'a>) -> Result<(), ProxyError> {
        let role = match &*req_str(item, "role", i)? {
            "user" => "user",
            "assistant" => "assistant",
            // Chat providers other than OpenAI's reject `developer`; both mean instructions.
            "system" | "developer" => "system",
            other => return Err(bad_item(i, &format!("unknown role `{other}`"))),
        };
        let content = item.value("content").ok_or_else(|| bad_item(i, "`content` is required"))?;
        if role == "assistant" {
            let text = assistant_text(i, content)?;
            let turn = self.assistant_turn();
            if !text.is_empty() {
                turn.content = match std::mem::replace(&mut turn.content, OutContent::Null) {
                    OutContent::Text(before) => OutContent::Text(Cow::Owned(format!("{before}\n\n{text}"))),
                    _ => OutContent::Text(text),
                };
            }
            return Ok(());
        }
        self.close_assistant();
        let mut parts = std::mem::take(&mut self.images);
        let text_only = match content.get().as_bytes().first() {
            Some(b'"') => {
                let text = as_str(content).map_err(|_| bad_item(i, "invalid string"))?;
                if parts.is_empty() {
                    self.messages.push(ChatMessage::plain(role, OutContent::Text(text)));
                    return Ok(());
                }
                parts.push(Part::Text { text: Text::Str(text), cache_control: None });
                false
            }
            _ => {
                input_parts(i, content, &mut parts)?;
                parts.iter().all(|p| matches!(p, Part::Text { .. }))
            }
        };
        if role == "system" && !text_only {
            return Err(bad_item(i, "only text content is supported in system and developer messages"));
        }
        self.messages.push(ChatMessage::plain(role, OutContent::Parts(parts)));
        Ok(())
    }

    /// The open assistant turn, opened if needed (with the reasoning read before it).
    fn assistant_turn(&mut self) -> &mut ChatMessage<'a> {
        let reasoning = &mut self.reasoning;
        self.assistant.get_or_insert_with(|| {
            let reasoning = std::mem::take(reasoning);
            let mut turn = ChatMessage::plain("assistant", OutContent::Null);
            turn.reasoning = (!reasoning.is_empty()).then(|| reasoning.join("\n\n"));
            turn
        })
    }

    fn call(&mut self, call: ToolCallOut<'a>) {
        self.assistant_turn().tool_calls.push(call);
    }

    fn close_assistant(&mut self) {
        if let Some(turn) = self.assistant.take() {
            self.messages.push(turn);
        }
    }

    /// Ends the conversation: the open assistant turn, and tool-output images left without a
    /// user message after them.
    fn flush(&mut self) {
        self.close_assistant();
        if !self.images.is_empty() {
            let parts = std::mem::take(&mut self.images);
            self.messages.push(ChatMessage::plain("user", OutContent::Parts(parts)));
        }
    }

    /// A tool output's parts as `tool` message text; its images wait for the next user message.
    fn output_text(&mut self, i: usize, output: &'a RawValue) -> Result<String, ProxyError> {
        let mut parts = Vec::new();
        input_parts(i, output, &mut parts)?;
        let mut texts = Vec::new();
        for part in parts {
            match part {
                Part::Text { text, .. } => texts.push(text.into_decoded().map_err(|_| bad_item(i, "invalid string"))?),
                other => self.images.push(other),
            }
        }
        Ok(texts.join("\n\n"))
    }
}

/// The text of an assistant message's content (a string, or `output_text` / `input_text`
/// parts joined); refusals are not sent back.
fn assistant_text<'a>(i: usize, content: &'a RawValue) -> Result<Cow<'a, str>, ProxyError> {
    if content.get().starts_with('"') {
        return as_str(content).map_err(|_| bad_item(i, "invalid string"));
    }
    let items = as_array(content).map_err(|_| bad_item(i, "`content` must be a string or an array of parts"))?;
    let mut texts = Vec::new();
    for raw in items {
        let part = as_object(raw).map_err(|_| bad_item(i, "content parts must be objects"))?;
        match &*req_str(&part, "type", i)? {
            "output_text" | "input_text" | "text" => texts.push(opt_str(&part, "text", i)?.unwrap_or_default()),
            "refusal" => {}
            other => {
                return Err(bad_item(
                    i,
                    &format!("content parts of type `{other}` in an assistant message are not supported"),
                ))
            }
        }
    }
    Ok(match texts.len() {
        0 => Cow::Borrowed(""),
        1 => texts.pop().unwrap_or_default(),
        _ => Cow::Owned(texts.join("\n\n")),
    })
}

/// Input content parts → chat parts, appended to `out`.
fn input_parts<'a>(i: usize, content: &'a RawValue, out: &mut Vec<Part<'a>>) -> Result<(), ProxyError> {
    let items = as_array(content).map_err(|_| bad_item(i, "`content` must be a string or an array of parts"))?;
    for raw in items {
        let part = as_object(raw).map_err(|_| bad_item(i, "content parts must be objects"))?;
        match &*req_str(&part, "type", i)? {
            "input_text" | "output_text" | "text" => {
                let text = literal(&part, "text").map_err(|_| bad_item(i, "`text` must be a string"))?;
                out.push(Part::Text { text: text.unwrap_or(Text::Str(Cow::Borrowed(""))), cache_control: None })
            }
            "input_image" => {
                if part.value("file_id").is_some() {
                    return Err(file_id(i));
                }
                let url =
                    opt_str(&part, "image_url", i)?.ok_or_else(|| bad_item(i, "`input_image` needs an `image_url`"))?;
                out.push(Part::ImageUrl { url, detail: opt_str(&part, "detail", i)? });
            }
            "input_file" => {
                if part.value("file_id").is_some() {
                    return Err(file_id(i));
                }
                let data = opt_str(&part, "file_data", i)?.ok_or_else(|| {
                    bad_item(i, "`input_file` needs `file_data` (a `file_url` cannot reach this provider)")
                })?;
                out.push(Part::File { data, filename: opt_str(&part, "filename", i)? });
            }
            "input_audio" => {
                let audio = part.value("input_audio").and_then(|a| as_object(a).ok());
                let audio = audio.ok_or_else(|| bad_item(i, "`input_audio` needs an `input_audio` object"))?;
                out.push(Part::InputAudio { data: req_str(&audio, "data", i)?, format: req_str(&audio, "format", i)? });
            }
            "refusal" => {}
            other => {
                return Err(bad_item(i, &format!("content parts of type `{other}` are not supported by this provider")))
            }
        }
    }
    Ok(())
}

fn file_id(i: usize) -> ProxyError {
    unsupported("input", &format!("input[{i}] names a `file_id` of OpenAI's file store, which this provider cannot read: send the file's data"))
}

/// A reasoning item's text: its summaries, else its `reasoning_text` content.
fn reasoning_text<'a>(item: &ObjectView<'a>) -> Vec<Cow<'a, str>> {
    let texts = |key: &str, kind: &str| -> Vec<Cow<'a, str>> {
        item.get_array(key)
            .ok()
            .flatten()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|raw| as_object(raw).ok())
            .filter(|p| p.get_str("type").ok().flatten().as_deref() == Some(kind))
            .filter_map(|p| p.get_str("text").ok().flatten())
            .filter(|t| !t.is_empty())
            .collect()
    };
    let summary = texts("summary", "summary_text");
    if summary.is_empty() {
        texts("content", "reasoning_text")
    } else {
        summary
    }
}

/// `tools` → chat function tools; records namespaced and custom tools in `names`.
fn tools<'a>(view: &ObjectView<'a>, names: &mut ToolNames) -> Result<Vec<ToolOut<'a>>, ProxyError> {
    let Some(raw) = view.value("tools") else { return Ok(Vec::new()) };
    let items = as_array(raw).map_err(|_| invalid("tools", "must be an array"))?;
    let mut out = Vec::new();
    for raw in items {
        let tool = as_object(raw).map_err(|_| invalid("tools", "entries must be objects"))?;
        let kind = tool.get_str("type").ok().flatten().unwrap_or(Cow::Borrowed("function"));
        match &*kind {
            "function" => out.push(function_tool(&tool, None)?),
            "custom" => {
                let f = custom_tool(&tool)?;
                names.custom.push(f.name.to_string());
                out.push(f);
            }
            "namespace" => {
                let ns = tool
                    .get_str("name")
                    .ok()
                    .flatten()
                    .ok_or_else(|| invalid("tools", "a namespace needs a `name`"))?;
                let inner = tool.get_array("tools").ok().flatten().unwrap_or_default();
                for raw in inner {
                    let t = as_object(raw).map_err(|_| invalid("tools", "namespace tools must be objects"))?;
                    match t.get_str("type").ok().flatten().as_deref() {
                        Some("custom") => {
                            let mut f = custom_tool(&t)?;
                            f.name = Cow::Owned(format!("{ns}__{}", f.name));
                            names.custom.push(f.name.to_string());
                            out.push(f);
                        }
                        _ => out.push(function_tool(&t, Some(&ns))?),
                    }
                }
                names.namespaces.push(ns.into_owned());
            }
            hosted if DROPPED_TOOLS.contains(&hosted) => {}
            hosted => {
                return Err(unsupported(
                    "tools",
                    &format!("the `{hosted}` tool runs on OpenAI's servers; this provider cannot run it"),
                ))
            }
        }
    }
    Ok(out)
}

fn function_tool<'a>(tool: &ObjectView<'a>, namespace: Option<&str>) -> Result<ToolOut<'a>, ProxyError> {
    let name = tool.get_str("name").ok().flatten().ok_or_else(|| invalid("tools", "a function needs a `name`"))?;
    let name = match namespace {
        Some(ns) => Cow::Owned(format!("{ns}__{name}")),
        None => name,
    };
    Ok(ToolOut {
        name,
        description: literal(tool, "description").ok().flatten(),
        parameters: tool.value("parameters").map(RawValue::get),
        strict: tool.get_bool("strict").ok().flatten(),
    })
}

/// A custom tool takes free-form text: as a function, one string member `input`.
fn custom_tool<'a>(tool: &ObjectView<'a>) -> Result<ToolOut<'a>, ProxyError> {
    let name = tool.get_str("name").ok().flatten().ok_or_else(|| invalid("tools", "a custom tool needs a `name`"))?;
    let mut description = tool.get_str("description").ok().flatten().unwrap_or_default().into_owned();
    if let Some(format) = tool.value("format").and_then(|f| as_object(f).ok()) {
        if let (Some(syntax), Some(definition)) =
            (format.get_str("syntax").ok().flatten(), format.get_str("definition").ok().flatten())
        {
            description.push_str(&format!("\n\nThe `input` must follow this {syntax} grammar:\n{definition}"));
        }
    }
    Ok(ToolOut {
        name,
        description: (!description.is_empty()).then_some(Text::Str(Cow::Owned(description))),
        parameters: Some(CUSTOM_PARAMETERS),
        strict: None,
    })
}

/// The parameters of a custom tool's function.
const CUSTOM_PARAMETERS: &str = r#"{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}"#;

/// `tool_choice` → chat's (for tools that exist: `tools` was not empty).
fn tool_choice(raw: &RawValue, names: &ToolNames, out: &mut ObjWriter) -> Result<(), ProxyError> {
    if raw.get().starts_with('"') {
        let choice = as_str(raw).map_err(|_| invalid("tool_choice", "invalid string"))?;
        return match &*choice {
            "auto" | "none" | "required" => {
                out.raw("tool_choice", raw.get());
                Ok(())
            }
            other => Err(invalid("tool_choice", &format!("has an unknown value `{other}`"))),
        };
    }
    let choice = as_object(raw).map_err(|_| invalid("tool_choice", "must be a string or an object"))?;
    let kind = choice.get_str("type").ok().flatten().unwrap_or_default();
    match &*kind {
        "function" | "custom" => {
            let name = choice.get_str("name").ok().flatten().ok_or_else(|| invalid("tool_choice", "needs a `name`"))?;
            let name = match choice.get_str("namespace").ok().flatten() {
                Some(ns) if names.namespaces.iter().any(|n| *n == ns) => Cow::Owned(format!("{ns}__{name}")),
                _ => name,
            };
            let w = out.member("tool_choice");
            w.extend_from_slice(b"{\"type\":\"function\",\"function\":{\"name\":");
            push_str(w, &name);
            w.extend_from_slice(b"}}");
            Ok(())
        }
        "allowed_tools" => {
            let mode = choice.get_str("mode").ok().flatten().unwrap_or(Cow::Borrowed("auto"));
            match &*mode {
                "auto" | "required" => push_str(out.member("tool_choice"), &mode),
                other => return Err(invalid("tool_choice", &format!("has an unknown mode `{other}`"))),
            }
            Ok(())
        }
        hosted => Err(unsupported(
            "tool_choice",
            &format!("the `{hosted}` tool runs on OpenAI's servers; this provider cannot run it"),
        )),
    }
}

/// `text` options: `format` → `response_format`, `verbosity` as it is.
fn text_options(raw: &RawValue, out: &mut ObjWriter) -> Result<(), ProxyError> {
    let text = as_object(raw).map_err(|_| invalid("text", "must be an object"))?;
    if let Some(raw) = text.value("verbosity") {
        out.raw("verbosity", raw.get());
    }
    let Some(raw) = text.value("format") else { return Ok(()) };
    let format = as_object(raw).map_err(|_| invalid("text", "`format` must be an object"))?;
    match format.get_str("type").ok().flatten().as_deref() {
        None | Some("text") => {}
        Some("json_object") => out.raw("response_format", r#"{"type":"json_object"}"#),
        Some("json_schema") => {
            let name = format.get_str("name").ok().flatten().unwrap_or(Cow::Borrowed("response"));
            let schema = format.value("schema").ok_or_else(|| invalid("text", "`format.schema` is required"))?;
            let w = out.member("response_format");
            w.extend_from_slice(b"{\"type\":\"json_schema\",\"json_schema\":{\"name\":");
            push_str(w, &name);
            if let Some(d) = format.get_str("description").ok().flatten() {
                w.extend_from_slice(b",\"description\":");
                push_str(w, &d);
            }
            w.extend_from_slice(b",\"schema\":");
            w.extend_from_slice(schema.get().as_bytes());
            if let Some(strict) = format.value("strict") {
                w.extend_from_slice(b",\"strict\":");
                w.extend_from_slice(strict.get().as_bytes());
            }
            w.extend_from_slice(b"}}");
        }
        Some(other) => return Err(invalid("text", &format!("has an unknown `format.type` `{other}`"))),
    }
    Ok(())
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
