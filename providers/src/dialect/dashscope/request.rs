//! OpenAI chat completions request → DashScope native generation request
//! (Model Studio "Qwen API reference", DashScope protocol:
//! <https://www.alibabacloud.com/help/en/model-studio/qwen-api-reference>).
//!
//! The body is `{"model", "input": {"messages"}, "parameters"}`. The translation reads borrowed
//! views of the client body (`ObjectView`, no per-shape Deserialize types) and writes the
//! DashScope body by hand: numbers, tools, tool calls, schemas and pass-through members are
//! copied as the client wrote them; strings we move are re-escaped by serde_json.
//!
//! Decisions where the OpenAI and DashScope APIs differ or the issue is silent:
//! - **Endpoint** (`NativeRequest::multimodal`): the multimodal-generation endpoint is used when
//!   the model name (case-insensitive) contains `-vl` (qwen-vl-max, qwen3-vl-plus,
//!   qwen2.5-vl-72b-instruct, qwen-vl-ocr), `qvq` (qvq-max), `omni` (qwen-omni-turbo,
//!   qwen3-omni-flash) or `-audio` (qwen-audio-turbo, qwen2-audio-instruct), or starts with
//!   `qwen3.5` / `qwen3.6` and later `qwen3.N` (Model Studio's "Deep thinking" page: "The
//!   DashScope API for the Qwen3.5 series uses a multimodal interface", the text endpoint
//!   answers "url error"), or when any message has a non-text part. Multimodal bodies carry every
//!   `content` as a list of `{"text"}` / `{"image"}` / `{"audio"}` / `{"video"}` items (a string
//!   becomes `[{"text": s}]`, an empty or absent content `[]`, as DashScope's own SDK sends it).
//! - **Messages**: roles `system` / `user` / `assistant` / `tool` as-is, `developer` → `system`;
//!   other roles are a 400. For text models a string content stays a string and an array of text
//!   parts is joined with `"\n"` (vLLM's convention for OpenAI text parts) — except when a part
//!   carries `cache_control` (Model Studio explicit context cache): the array is then sent as the
//!   client wrote it. An absent/null content is `""`. Parts: `text` / `refusal` → `{"text"}`;
//!   `image_url` (an http(s), `oss://` or base64 `data:` URL: DashScope accepts all three for
//!   images) → `{"image": url}` (`detail` has no per-image counterpart; DashScope's
//!   `vl_high_resolution_images` parameter passes through when the client sends it);
//!   `input_audio` → `{"audio": "data:audio/<format>;base64,<data>"}` (a `data` that already is a
//!   URL is kept); `video_url` (DashScope's OpenAI-compatible extension) → `{"video": url}` and
//!   `video` (a list of frame URLs) → `{"video": [...]}`; a part object without `type` is a
//!   DashScope-native item and passes through as-is; `file` and other types are a 400 (OpenAI
//!   file ids cannot be resolved; qwen-long documents go through `qwenFileIds`). Assistant
//!   `tool_calls` are copied verbatim; every other message member (`tool_call_id`, `name`,
//!   `reasoning_content`, DashScope's `partial`, ...) is copied as-is, except OpenAI-only
//!   `refusal`, `audio`, `annotations` and `function_call`, and `null` members.
//! - **qwenFileIds** (`QwenOptions::file_ids`): a system message `fileid://id1,fileid://id2` is
//!   inserted right after the client's leading system/developer messages (qwen-long document
//!   chat, as in Model Studio's "Qwen-Long" guide).
//! - **parameters**: `result_format: "message"` always, `incremental_output: true` for streams
//!   (`stream` itself is not a body field: the exchange sets `X-DashScope-SSE: enable`), then only
//!   what the client sent, copied as written: `temperature`, `top_p`, `top_k`, `seed`, `n`,
//!   `presence_penalty`, `stop` (string or list), `response_format` (`text` / `json_object` /
//!   `json_schema`: Model Studio's "Structured output" page documents `json_schema` for recent
//!   qwen-plus / qwen3-max models; `json_object` needs the word "JSON" in the prompt — DashScope's
//!   own error says so), `tools`, `tool_choice` (DashScope accepts the OpenAI forms),
//!   `parallel_tool_calls`, `logprobs`, `top_logprobs`, `logit_bias`; `max_completion_tokens`
//!   (else `max_tokens`) → `max_tokens`. Legacy `functions` / `function_call` become `tools` /
//!   `tool_choice` when those are absent. `frequency_penalty` is dropped: DashScope has only
//!   `presence_penalty` and `repetition_penalty` (a different scale, so no conversion).
//! - **Thinking**: `reasoning_effort` `none` / `minimal` → `enable_thinking: false`; `low` /
//!   `medium` / `high` / `xhigh` → `enable_thinking: true` with `thinking_budget` 1024 / 8192 /
//!   16384 / 16384 (well under the maximum chain-of-thought length of every Qwen3 hybrid model);
//!   other values are a 400. Model Studio notes that Qwen3 open-source models think only in
//!   streaming calls: a non-streamed request with thinking gets DashScope's own error.
//! - **Search**: `qwenEnableSearch` → `enable_search: true`.
//! - **Other fields**: DashScope parameters sent at the top level (`enable_thinking`,
//!   `thinking_budget`, `repetition_penalty`, `vl_high_resolution_images`, `search_options`,
//!   ... through OpenAI SDKs' `extra_body`; the list is `NATIVE_PARAMETERS`) go into
//!   `parameters` unchanged, and so do the members of a DashScope-native `parameters` object;
//!   any other top-level member is dropped (`chat_template_kwargs`, an `extra_headers`
//!   credential); a value the client sent natively wins over one we
//!   derived (so `enable_thinking` / `thinking_budget` / `enable_search` sent explicitly override
//!   `reasoning_effort` and `qwenEnableSearch`), except `result_format` and
//!   `incremental_output`, which the response and stream translators depend on. A client `input`
//!   is ignored (`messages` is the conversation). OpenAI fields DashScope has no use for are
//!   dropped: `user`, `safety_identifier`, `stream_options` (mapped to the usage chunk), `store`,
//!   `metadata`, `service_tier`, `modalities`, `audio`, `prediction`, `web_search_options`,
//!   `verbosity`, `prompt_cache_key`, `prompt_cache_retention`, `frequency_penalty`.

use crate::dialect::dashscope::QwenOptions;
use crate::error::ProxyError;
use crate::json::write_str as jstr;
use crate::json::ObjectView;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A translated request and what the exchange needs to route it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeRequest {
    pub body: Vec<u8>,
    pub stream: bool,
    /// The client asked for `stream_options.include_usage`.
    pub include_usage: bool,
    /// Use the multimodal-generation endpoint (VL/omni models, or image parts).
    pub multimodal: bool,
}

/// `reasoning_effort` → `thinking_budget` (with `enable_thinking: true`).
const EFFORT_BUDGETS: &[(&str, u32)] = &[("low", 1024), ("medium", 8192), ("high", 16384), ("xhigh", 16384)];

/// OpenAI members copied into `parameters` as the client wrote them, after a type check.
const COPIED: &[(&str, Kind)] = &[
    ("temperature", Kind::Number),
    ("top_p", Kind::Number),
    ("top_k", Kind::Integer),
    ("seed", Kind::Integer),
    ("n", Kind::Integer),
    ("presence_penalty", Kind::Number),
    ("stop", Kind::Stop),
    ("response_format", Kind::Object),
    ("tools", Kind::Array),
    ("tool_choice", Kind::Choice),
    ("parallel_tool_calls", Kind::Bool),
    ("logprobs", Kind::Bool),
    ("top_logprobs", Kind::Integer),
    ("logit_bias", Kind::Object),
];

/// DashScope generation parameters (Model Studio's reference) that OpenAI has no member for,
/// sent at the top level: they go into `parameters`. Every other top-level member that is not
/// translated is dropped (an OpenAI-wire extension like `chat_template_kwargs`, or an
/// `extra_headers` credential, means nothing to DashScope).
const NATIVE_PARAMETERS: &[&str] = &[
    "enable_thinking",
    "thinking_budget",
    "enable_search",
    "search_options",
    "repetition_penalty",
    "translation_options",
    "vl_high_resolution_images",
    "vl_enable_image_hw_output",
    "enable_code_interpreter",
    "max_input_tokens",
];

/// Parameters only we set (the translators downstream depend on them).
const OURS_ONLY: &[&str] = &["result_format", "incremental_output"];

/// Message members DashScope defines besides those the translation writes: copied (an
/// assistant turn's `reasoning_content`: the thinking models DashScope serves, DeepSeek's among
/// them, read it back). Others (`refusal`, `audio`, `annotations`, ...) are dropped.
const MESSAGE_NATIVE: &[&str] = &["name", "tool_call_id", "partial", "reasoning_content"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Integer,
    Bool,
    Object,
    Array,
    Stop,
    Choice,
}

/// Translates an OpenAI chat body (a JSON object) for the mapped `model`.
#[cfg(test)]
pub fn build_request(body: &[u8], model: &str, opts: &QwenOptions) -> Result<NativeRequest, ProxyError> {
    translate_request(&crate::dialect::openai::parse_body(body)?, model, opts)
}

/// The same over a body already parsed (the exchange parses it once for all steps).
pub fn translate_request(view: &ObjectView<'_>, model: &str, opts: &QwenOptions) -> Result<NativeRequest, ProxyError> {
    let stream = view
        .get_bool("stream")
        .map_err(|_| ProxyError::invalid_request("`stream` must be a boolean").with_param("stream"))?
        .unwrap_or(false);
    let include_usage = member(view, "stream_options")
        .and_then(object)
        .and_then(|o| o.get_bool("include_usage").ok().flatten())
        .unwrap_or(false);

    // The conversation.
    let raw = member(view, "messages")
        .ok_or_else(|| ProxyError::invalid_request("`messages` is required").with_param("messages"))?;
    let list: Vec<&RawValue> = serde_json::from_str(raw.get())
        .map_err(|_| ProxyError::invalid_request("`messages` must be an array").with_param("messages"))?;
    if list.is_empty() {
        return Err(bad_message("`messages` must contain at least one message"));
    }
    let mut messages = Vec::with_capacity(list.len() + 1);
    for (i, raw) in list.into_iter().enumerate() {
        messages.push(message(i, raw)?);
    }
    let multimodal = multimodal_model(model) || messages.iter().any(|m| m.media);

    let params = parameters(view, opts, stream)?;

    // Write the body.
    let mut out = Vec::with_capacity(view.input().len() + 256);
    out.extend_from_slice(b"{\"model\":");
    jstr(&mut out, model);
    out.extend_from_slice(b",\"input\":{\"messages\":[");
    let leading_system = messages.iter().take_while(|m| m.role == "system").count();
    let mut first = true;
    for (j, m) in messages.iter().enumerate() {
        if j == leading_system && !opts.file_ids.is_empty() {
            sep(&mut out, &mut first);
            write_file_ids(&mut out, &opts.file_ids, multimodal);
        }
        sep(&mut out, &mut first);
        write_message(&mut out, m, multimodal);
    }
    if leading_system == messages.len() && !opts.file_ids.is_empty() {
        sep(&mut out, &mut first);
        write_file_ids(&mut out, &opts.file_ids, multimodal);
    }
    out.extend_from_slice(b"]},\"parameters\":{");
    let first = &mut true;
    for (k, v) in &params {
        key(&mut out, first, k);
        out.extend_from_slice(v);
    }
    out.extend_from_slice(b"}}");
    Ok(NativeRequest { body: out, stream, include_usage, multimodal })
}

/// Whether `model` is served by the multimodal-generation endpoint (see the module documentation).
pub fn multimodal_model(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    if ["-vl", "qvq", "omni", "-audio"].iter().any(|s| m.contains(s)) {
        return true;
    }
    // qwen3.5, qwen3.6, ... (not qwen3-..., qwen3.0).
    m.strip_prefix("qwen3.")
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|minor| minor.parse::<u32>().ok())
        .is_some_and(|minor| minor >= 5)
}

// ---------------------------------------------------------------------------------------------
// Messages.

/// One content item.
#[derive(Debug)]
enum Part<'a> {
    Text(Cow<'a, str>),
    /// `{"image"|"audio"|"video": url}`.
    Media(&'static str, Cow<'a, str>),
    /// A DashScope-native item, or a `video` frame list (`{"video": [...]}`), verbatim value.
    Raw(&'static str, &'a RawValue),
}

#[derive(Debug)]
enum Content<'a> {
    Absent,
    Text(Cow<'a, str>),
    /// The parts, and the client's array when a text part carries `cache_control`.
    Parts(Vec<Part<'a>>, Option<&'a RawValue>),
}

#[derive(Debug)]
struct Message<'a> {
    role: &'static str,
    content: Content<'a>,
    tool_calls: Option<&'a RawValue>,
    /// Other members, copied verbatim, in the client's order.
    extra: Vec<(Cow<'a, str>, &'a RawValue)>,
    /// The content has a non-text item.
    media: bool,
}

fn message<'a>(i: usize, raw: &'a RawValue) -> Result<Message<'a>, ProxyError> {
    let m = object(raw).ok_or_else(|| bad_message(format!("messages[{i}] must be an object")))?;
    let role = m
        .get_str("role")
        .ok()
        .flatten()
        .ok_or_else(|| bad_message(format!("messages[{i}].role is required and must be a string")))?;
    let role = match role.as_ref() {
        "system" | "developer" => "system",
        "user" => "user",
        "assistant" => "assistant",
        "tool" => "tool",
        other => return Err(bad_message(format!("messages[{i}]: unknown role {other:?}"))),
    };
    let content = content(member(&m, "content"), i)?;
    let media = matches!(&content, Content::Parts(parts, _) if parts.iter().any(|p| !matches!(p, Part::Text(_))));
    if media && role == "system" {
        return Err(bad_content(i, "only text parts are supported in system messages"));
    }
    let tool_calls = match member(&m, "tool_calls") {
        Some(raw) if role == "assistant" => {
            if !raw.get().starts_with('[') {
                return Err(bad_message(format!("messages[{i}].tool_calls must be an array")));
            }
            Some(raw)
        }
        _ => None,
    };
    let extra = m.members_in(MESSAGE_NATIVE).map(|mem| (mem.key.clone(), mem.value)).collect();
    Ok(Message { role, content, tool_calls, extra, media })
}

fn content<'a>(raw: Option<&'a RawValue>, i: usize) -> Result<Content<'a>, ProxyError> {
    let Some(raw) = raw else { return Ok(Content::Absent) };
    let text = raw.get();
    if text.starts_with('"') {
        let s: Cow<'a, str> = serde_json::from_str(text).map_err(|_| bad_content(i, "invalid string"))?;
        return Ok(Content::Text(s));
    }
    let items: Vec<&'a RawValue> =
        serde_json::from_str(text).map_err(|_| bad_content(i, "must be a string or an array of content parts"))?;
    let mut parts = Vec::with_capacity(items.len());
    let mut cached = false;
    for raw in items {
        let p = object(raw).ok_or_else(|| bad_content(i, "a content part must be an object"))?;
        let kind = p.get_str("type").map_err(|_| bad_content(i, "a part's `type` must be a string"))?;
        let Some(kind) = kind else {
            // A DashScope-native item: `{"text"}`, `{"image"}`, `{"video"}`, `{"audio"}`, ...
            let media = ["image", "audio", "video"].iter().any(|k| p.contains(k));
            match p.get_str("text").ok().flatten() {
                Some(t) if !media => {
                    parts.push(Part::Text(t));
                    cached |= member(&p, "cache_control").is_some();
                }
                _ => parts.push(Part::Raw("", raw)),
            }
            continue;
        };
        let string = |field: &'static str| -> Result<Cow<'a, str>, ProxyError> {
            p.get_str(field)
                .ok()
                .flatten()
                .ok_or_else(|| bad_content(i, &format!("a `{kind}` part needs a string `{field}`")))
        };
        match kind.as_ref() {
            "text" | "refusal" => {
                parts.push(Part::Text(string(if kind == "text" { "text" } else { "refusal" })?));
                cached |= member(&p, "cache_control").is_some();
            }
            "image_url" | "video_url" => {
                let field = if kind == "image_url" { "image_url" } else { "video_url" };
                let url = url_field(&p, field).ok_or_else(|| bad_content(i, &format!("`{field}` needs a `url`")))?;
                parts.push(Part::Media(if kind == "image_url" { "image" } else { "video" }, url));
            }
            "input_audio" => {
                let bad = || bad_content(i, "input_audio needs base64 `data` and a `format` such as wav or mp3");
                let a = member(&p, "input_audio").and_then(object).ok_or_else(bad)?;
                let data = a.get_str("data").ok().flatten().filter(|d| !d.is_empty()).ok_or_else(bad)?;
                let lower = data.get(..8).unwrap_or(&data).to_ascii_lowercase();
                let url = if lower.starts_with("data:") || lower.starts_with("http://") || lower.starts_with("https://")
                {
                    data
                } else {
                    let format = a.get_str("format").ok().flatten().filter(|f| !f.is_empty()).ok_or_else(bad)?;
                    Cow::Owned(format!("data:audio/{};base64,{data}", format.to_ascii_lowercase()))
                };
                parts.push(Part::Media("audio", url));
            }
            "video" => {
                let frames = member(&p, "video").ok_or_else(|| bad_content(i, "a `video` part needs `video`"))?;
                parts.push(Part::Raw("video", frames));
            }
            "file" => {
                return Err(bad_content(
                    i,
                    "`file` parts are not supported for DashScope models (qwen-long documents are configured with qwenFileIds)",
                ))
            }
            other => return Err(bad_content(i, &format!("`{other}` content parts are not supported for DashScope models"))),
        }
    }
    Ok(Content::Parts(parts, cached.then_some(raw)))
}

/// `image_url` / `video_url`: an object with `url`, or a bare string.
fn url_field<'a>(p: &ObjectView<'a>, field: &str) -> Option<Cow<'a, str>> {
    let raw = member(p, field)?;
    let url: Cow<'a, str> = if raw.get().starts_with('"') {
        serde_json::from_str(raw.get()).ok()?
    } else {
        object(raw)?.get_str("url").ok().flatten()?
    };
    (!url.is_empty()).then_some(url)
}

fn write_message(out: &mut Vec<u8>, m: &Message<'_>, multimodal: bool) {
    out.extend_from_slice(b"{\"role\":\"");
    out.extend_from_slice(m.role.as_bytes());
    out.extend_from_slice(b"\",\"content\":");
    match (&m.content, multimodal) {
        (Content::Absent, false) => out.extend_from_slice(b"\"\""),
        (Content::Absent, true) => out.extend_from_slice(b"[]"),
        (Content::Text(s), false) => jstr(out, s),
        (Content::Text(s), true) if s.is_empty() => out.extend_from_slice(b"[]"),
        (Content::Text(s), true) => {
            out.extend_from_slice(b"[{\"text\":");
            jstr(out, s);
            out.extend_from_slice(b"}]");
        }
        (Content::Parts(_, Some(raw)), false) => out.extend_from_slice(raw.get().as_bytes()),
        (Content::Parts(parts, _), false) => {
            // Text only (any other part makes the request multimodal).
            let mut joined = String::new();
            for (j, p) in parts.iter().enumerate() {
                if let Part::Text(t) = p {
                    if j > 0 {
                        joined.push('\n');
                    }
                    joined.push_str(t);
                }
            }
            jstr(out, &joined);
        }
        (Content::Parts(parts, _), true) => {
            out.push(b'[');
            for (j, p) in parts.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                match p {
                    Part::Text(t) => {
                        out.extend_from_slice(b"{\"text\":");
                        jstr(out, t);
                        out.push(b'}');
                    }
                    Part::Media(k, url) => {
                        out.extend_from_slice(b"{\"");
                        out.extend_from_slice(k.as_bytes());
                        out.extend_from_slice(b"\":");
                        jstr(out, url);
                        out.push(b'}');
                    }
                    Part::Raw("", raw) => out.extend_from_slice(raw.get().as_bytes()),
                    Part::Raw(k, raw) => {
                        out.extend_from_slice(b"{\"");
                        out.extend_from_slice(k.as_bytes());
                        out.extend_from_slice(b"\":");
                        out.extend_from_slice(raw.get().as_bytes());
                        out.push(b'}');
                    }
                }
            }
            out.push(b']');
        }
    }
    if let Some(calls) = m.tool_calls {
        out.extend_from_slice(b",\"tool_calls\":");
        out.extend_from_slice(calls.get().as_bytes());
    }
    for (k, v) in &m.extra {
        out.push(b',');
        jstr(out, k);
        out.push(b':');
        out.extend_from_slice(v.get().as_bytes());
    }
    out.push(b'}');
}

/// The qwen-long system message `fileid://id1,fileid://id2`.
fn write_file_ids(out: &mut Vec<u8>, ids: &[String], multimodal: bool) {
    let text = ids.iter().map(|id| format!("fileid://{id}")).collect::<Vec<_>>().join(",");
    out.extend_from_slice(b"{\"role\":\"system\",\"content\":");
    if multimodal {
        out.extend_from_slice(b"[{\"text\":");
        jstr(out, &text);
        out.extend_from_slice(b"}]");
    } else {
        jstr(out, &text);
    }
    out.push(b'}');
}

// ---------------------------------------------------------------------------------------------
// parameters.

/// Object members as (key, JSON text), in order.
type Entries<'a> = Vec<(Cow<'a, str>, Cow<'a, [u8]>)>;

fn parameters<'a>(view: &ObjectView<'a>, opts: &QwenOptions, stream: bool) -> Result<Entries<'a>, ProxyError> {
    let mut p = Entries::new();
    let mut put = |k: &'static str, v: Cow<'a, [u8]>| p.push((Cow::Borrowed(k), v));
    put("result_format", Cow::Borrowed(&b"\"message\""[..]));
    if stream {
        put("incremental_output", Cow::Borrowed(&b"true"[..]));
    }
    let max = match checked(view, "max_completion_tokens", Kind::Integer)? {
        Some(v) => Some(v),
        None => checked(view, "max_tokens", Kind::Integer)?,
    };
    if let Some(max) = max {
        put("max_tokens", Cow::Borrowed(max.get().as_bytes()));
    }
    for (k, kind) in COPIED {
        if let Some(v) = checked(view, k, *kind)? {
            put(k, Cow::Borrowed(v.get().as_bytes()));
        }
    }
    if member(view, "tools").is_none() {
        if let Some(tools) = legacy_functions(view)? {
            put("tools", Cow::Owned(tools));
        }
    }
    if member(view, "tool_choice").is_none() {
        if let Some(choice) = legacy_function_call(view)? {
            put("tool_choice", Cow::Owned(choice));
        }
    }
    if opts.enable_search {
        put("enable_search", Cow::Borrowed(&b"true"[..]));
    }
    let effort = view.get_str("reasoning_effort").map_err(|_| {
        ProxyError::invalid_request("`reasoning_effort` must be a string").with_param("reasoning_effort")
    })?;
    match effort.as_deref() {
        None => {}
        Some("none") | Some("minimal") => put("enable_thinking", Cow::Borrowed(&b"false"[..])),
        Some(e) => {
            let budget = EFFORT_BUDGETS.iter().find(|(name, _)| *name == e).map(|(_, b)| *b).ok_or_else(|| {
                ProxyError::invalid_request(format!(
                    "unsupported `reasoning_effort` value {e:?}: use none, minimal, low, medium, high or xhigh"
                ))
                .with_param("reasoning_effort")
            })?;
            put("enable_thinking", Cow::Borrowed(&b"true"[..]));
            put("thinking_budget", Cow::Owned(budget.to_string().into_bytes()));
        }
    }

    // DashScope parameters the client sent at the top level (OpenAI SDKs' `extra_body`), then
    // a DashScope-native `parameters` object.
    let mut native: Vec<(Cow<'a, str>, &'a RawValue)> =
        view.members_in(NATIVE_PARAMETERS).map(|m| (m.key.clone(), m.value)).collect();
    if let Some(raw) = member(view, "parameters") {
        let obj = object(raw)
            .ok_or_else(|| ProxyError::invalid_request("`parameters` must be an object").with_param("parameters"))?;
        for m in obj.members() {
            if m.value.get() != "null" {
                native.push((m.key.clone(), m.value));
            }
        }
    }
    for (k, v) in native {
        if OURS_ONLY.contains(&k.as_ref()) {
            continue;
        }
        let value = Cow::Borrowed(v.get().as_bytes());
        match p.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = value,
            None => p.push((k, value)),
        }
    }
    Ok(p)
}

/// A member of the expected JSON type, as the client wrote it (`null` is absent).
fn checked<'a>(view: &ObjectView<'a>, key: &'static str, kind: Kind) -> Result<Option<&'a RawValue>, ProxyError> {
    let Some(raw) = member(view, key) else { return Ok(None) };
    let text = raw.get();
    let (ok, what) = match kind {
        Kind::Number => (serde_json::from_str::<f64>(text).is_ok(), "a number"),
        Kind::Integer => (serde_json::from_str::<i64>(text).is_ok(), "an integer"),
        Kind::Bool => (text == "true" || text == "false", "a boolean"),
        Kind::Object => (text.starts_with('{'), "an object"),
        Kind::Array => (text.starts_with('['), "an array"),
        Kind::Stop => (text.starts_with('"') || text.starts_with('['), "a string or an array of strings"),
        Kind::Choice => (text.starts_with('"') || text.starts_with('{'), "a string or an object"),
    };
    if ok {
        Ok(Some(raw))
    } else {
        Err(ProxyError::invalid_request(format!("`{key}` must be {what}")).with_param(key))
    }
}

/// Legacy `functions` → `[{"type":"function","function":f}, ...]`.
fn legacy_functions(view: &ObjectView<'_>) -> Result<Option<Vec<u8>>, ProxyError> {
    let Some(raw) = member(view, "functions") else { return Ok(None) };
    let list: Vec<&RawValue> = serde_json::from_str(raw.get())
        .map_err(|_| ProxyError::invalid_request("`functions` must be an array").with_param("functions"))?;
    let mut out = b"[".to_vec();
    for (j, f) in list.into_iter().enumerate() {
        if j > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"type\":\"function\",\"function\":");
        out.extend_from_slice(f.get().as_bytes());
        out.push(b'}');
    }
    out.push(b']');
    Ok(Some(out))
}

/// Legacy `function_call` (`"auto"`, `"none"`, `{"name"}`) → `tool_choice`.
fn legacy_function_call(view: &ObjectView<'_>) -> Result<Option<Vec<u8>>, ProxyError> {
    let Some(raw) = member(view, "function_call") else { return Ok(None) };
    if raw.get().starts_with('"') {
        return Ok(Some(raw.get().as_bytes().to_vec()));
    }
    let name = object(raw).and_then(|o| o.get_str("name").ok().flatten()).ok_or_else(|| {
        ProxyError::invalid_request("`function_call` must be \"auto\", \"none\" or {\"name\": ...}")
            .with_param("function_call")
    })?;
    let mut out = b"{\"type\":\"function\",\"function\":{\"name\":".to_vec();
    jstr(&mut out, &name);
    out.extend_from_slice(b"}}");
    Ok(Some(out))
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// A member that is present and not `null`.
fn member<'a>(view: &ObjectView<'a>, key: &str) -> Option<&'a RawValue> {
    view.get(key).filter(|raw| raw.get() != "null")
}

/// A JSON object value, viewed.
fn object(raw: &RawValue) -> Option<ObjectView<'_>> {
    ObjectView::parse(raw.get().as_bytes()).ok()
}

fn bad_message(message: impl Into<String>) -> ProxyError {
    ProxyError::invalid_request(message).with_param("messages")
}

fn bad_content(i: usize, message: &str) -> ProxyError {
    bad_message(format!("messages[{i}].content: {message}"))
}

fn sep(out: &mut Vec<u8>, first: &mut bool) {
    if !std::mem::replace(first, false) {
        out.push(b',');
    }
}

/// Writes `"key":`, preceded by a comma unless it is the object's first member.
fn key(out: &mut Vec<u8>, first: &mut bool, k: &str) {
    sep(out, first);
    jstr(out, k);
    out.push(b':');
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
