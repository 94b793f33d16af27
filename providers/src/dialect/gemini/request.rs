//! OpenAI chat completions request → Gemini `generateContent` request
//! (<https://ai.google.dev/api/generate-content#request-body>).
//!
//! The translation reads borrowed views of the client body (`ObjectView`, no per-shape
//! Deserialize types) and writes the Gemini body directly: pass-through members, numbers,
//! tool-call arguments and JSON tool results are copied as the client wrote them; strings we
//! move are re-escaped by serde_json. The model is not part of the body (it is in the path), and
//! neither is `stream` (streaming is a different method, `streamGenerateContent?alt=sse`).
//!
//! Decisions where the OpenAI and Gemini APIs differ:
//! - **Turns**: `user` → role `user`; `assistant` → role `model`; `tool` → a `user` turn of
//!   `functionResponse {name, response}` parts, the name being that of the earlier assistant tool
//!   call with the same id (an unknown id is a 400). Legacy `function` messages carry their name.
//!   A tool result that parses as a JSON object is sent as that object, anything else as
//!   `{"result": <text>}` (Gemini's `response` must be an object). Consecutive turns of the same
//!   role are merged into one `Content` with the parts in order (so consecutive tool results
//!   become one user turn, as Gemini wants for parallel calls). Empty texts are skipped and turns
//!   left without parts are dropped; a conversation with no turn at all is a 400.
//! - **System**: every `system` / `developer` message, wherever it sits, becomes one text part of
//!   `systemInstruction` in order (after the parts of a Gemini-native `systemInstruction`, if the
//!   client sent one). System content must be text.
//! - **Parts**: `text` / `refusal` → `{"text"}`; `image_url` with a base64 `data:` URL →
//!   `inlineData`, with an http(s) URL → `fileData` (Gemini fetches it; see "file input
//!   methods" in Google's docs); `input_audio` → `inlineData` `audio/<format>`; `file` with
//!   `file_data` (a data URL, or bare base64 typed by the `filename` extension) → `inlineData`,
//!   with an http(s) `file_id` → `fileData`; other OpenAI file ids are a 400 (they cannot be
//!   resolved here). `fileData.mimeType` is required by Gemini and we never fetch, so it is
//!   guessed from the URL's extension (images, pdf, common audio / video / text types); when
//!   the extension says nothing, an image part is sent as `image/jpeg` and a file as
//!   `application/pdf` (the only file type OpenAI's `file` part accepts). A part object without
//!   `type` is a Gemini-native part (`fileData`, `inlineData` with `videoMetadata`, ...) and
//!   passes through as-is; unknown part types are a 400.
//! - **Tool calls**: `arguments` must be a JSON object (empty means `{}`), else 400; they are sent
//!   as `functionCall.args` verbatim. Tool-call ids are not sent (ours may be generated, and
//!   Gemini matches results to calls by order and name). The Gemini signature an earlier response
//!   carried in `extra_content.google.thought_signature` goes back as the part's
//!   `thoughtSignature` (on the `functionCall` part for a tool call; on the message's last text
//!   part for a message-level one). Gemini 3 rejects a step whose first `functionCall` has no
//!   signature (`Function call is missing a thought_signature`), and most OpenAI clients drop
//!   unknown fields: when the first tool call of an assistant message has none we send Google's
//!   documented placeholder `skip_thought_signature_validator` (thought-signatures guide, "FAQs":
//!   for history the model did not produce), so multi-turn tool use keeps working. The
//!   assistant's `reasoning_content` is not sent (Gemini has no input for thought text; the
//!   signatures carry the reasoning state).
//! - **Tools**: all `function` tools (and legacy `functions`) go in one
//!   `{"functionDeclarations": [...]}` entry; `strict` is dropped; parameters without any
//!   property are omitted (Gemini wants none rather than an empty object). A tool object without
//!   `type` is Gemini-native (`{"googleSearch":{}}`, `{"codeExecution":{}}`, ...) and is passed
//!   as its own entry; other OpenAI tool types are a 400. `tool_choice` (or `function_call`)
//!   `auto` / `none` / `required` / named → `toolConfig.functionCallingConfig` `AUTO` / `NONE` /
//!   `ANY` / `ANY` + `allowedFunctionNames`; without tools it is not sent. A Gemini-native
//!   top-level `toolConfig` wins over `tool_choice`.
//! - **Schemas** (function parameters and `response_format.json_schema.schema`) are reduced to
//!   the OpenAPI subset of Gemini's v1beta `Schema` object: `$ref` (`#/$defs/..`,
//!   `#/definitions/..`, any local JSON pointer) and `allOf` are inlined (recursive references are
//!   cut after a fixed depth, keeping the target's `type`); `type` arrays and `anyOf`/`oneOf`
//!   branches of `null` become `nullable: true`; a single remaining `anyOf` branch is inlined;
//!   several types become `anyOf` branches, each with the keywords of its type. `type` is sent
//!   upper-case (`STRING`, ...) as the `Type` enum is documented; a missing type is inferred from
//!   `properties` / `items` / `enum`. Kept per type: string → `format` (`enum` / `date-time`
//!   only: Gemini rejects others with "only 'enum' and 'date-time' are supported for STRING
//!   type"), `enum` (values as strings; `const` becomes a one-value enum), `minLength`,
//!   `maxLength`, `pattern`; number / integer → `format` (`float`/`double`, `int32`/`int64`),
//!   `minimum`, `maximum` (an `enum` of numbers is not allowed by Gemini and goes into the
//!   description as "Allowed values: ..."); array → `items`, `minItems`, `maxItems`; object →
//!   `properties` (order kept), `required` (only names that are properties), `propertyOrdering`,
//!   `minProperties`, `maxProperties`; every type → `title`, `description`, `nullable`, `anyOf`.
//!   Everything else is dropped rather than rejected: `additionalProperties`, `$schema`, `$id`,
//!   `strict`, `examples`, `exclusiveMinimum`, `not`, `if`, `patternProperties`, ... and also
//!   `default` / `example`, which Gemini documents as ignored. For `responseSchema`, objects get
//!   a `propertyOrdering` in the client's declared order (unless they have one), so JSON output
//!   keys come in the order an OpenAI client expects.
//! - **generationConfig**: `temperature`, `top_p` → `topP`, `top_k` → `topK`,
//!   `max_completion_tokens` (else `max_tokens`) → `maxOutputTokens`, `stop` (string or list) →
//!   `stopSequences`, `n` → `candidateCount`, `presence_penalty` / `frequency_penalty` →
//!   `presencePenalty` / `frequencyPenalty` and `seed` → `seed`, all copied as the client wrote
//!   the numbers (penalties stay floats); `logprobs: true` → `responseLogprobs: true` and then
//!   `top_logprobs` → `logprobs`; `response_format` `json_object` → `responseMimeType:
//!   application/json`, `json_schema` → plus `responseSchema`, `text` → nothing. Members of a
//!   Gemini-native `generationConfig` sent by the client are merged in and win over ours.
//! - **Thinking**: `reasoning_effort` `none` → `thinkingConfig: {thinkingBudget: 0}`;
//!   `minimal` / `low` / `medium` / `high` (`xhigh`) → a budget of 512 / 1024 / 8192 / 24576
//!   (24576) with `includeThoughts: true` (512 is the smallest budget every Gemini 2.5 model
//!   accepts; 24576 the largest 2.5 Flash accepts; Gemini 3 still accepts budgets); other values
//!   are a 400. Without `reasoning_effort`, `geminiThinkingBudget` (when configured) is sent with
//!   `includeThoughts: true`. A client `generationConfig.thinkingConfig` wins over both.
//! - **Safety**: `geminiSafetySetting` → `safetySettings: [{category, threshold}]` in
//!   configuration order, unless the client sent its own `safetySettings`.
//! - **Other fields**: members outside the OpenAI chat API pass through unchanged at the top
//!   level (`cachedContent`, `labels`, ...); `null` members are not sent. OpenAI fields Gemini
//!   has no use for are dropped: `user`, `safety_identifier`, `stream_options`,
//!   `parallel_tool_calls`, `store`, `metadata`, `service_tier`, `logit_bias`, `modalities`,
//!   `audio`, `prediction`, `web_search_options`, `verbosity`, `prompt_cache_key`,
//!   `prompt_cache_retention`; a client `contents` is ignored (`messages` is the conversation).

use crate::dialect::gemini::GeminiOptions;
use crate::dialect::Translated;
use crate::error::ProxyError;
use crate::json::write_str as jstr;
use crate::json::ObjectView;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The `thoughtSignature` Google documents for function calls the model did not produce itself.
pub const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// `reasoning_effort` → `thinkingBudget` (with `includeThoughts`); `none` is budget 0.
const EFFORT_BUDGETS: &[(&str, i64)] =
    &[("minimal", 512), ("low", 1024), ("medium", 8192), ("high", 24576), ("xhigh", 24576)];

/// Members handled here (translated, merged or deliberately dropped): never passed through.
const HANDLED: &[&str] = &[
    "model",
    "messages",
    "contents",
    "systemInstruction",
    "generationConfig",
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "n",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "response_format",
    "logprobs",
    "top_logprobs",
    "reasoning_effort",
    "tools",
    "tool_choice",
    "functions",
    "function_call",
    // OpenAI fields Gemini has no equivalent for.
    "parallel_tool_calls",
    "user",
    "safety_identifier",
    "store",
    "metadata",
    "service_tier",
    "logit_bias",
    "modalities",
    "audio",
    "prediction",
    "web_search_options",
    "verbosity",
    "prompt_cache_key",
    "prompt_cache_retention",
];

/// Translates an OpenAI chat body (a JSON object). The model is not part of a Gemini body;
/// it goes in the path.
pub fn build_request(body: &[u8], opts: &GeminiOptions) -> Result<Translated, ProxyError> {
    translate_request(&crate::dialect::openai::parse_body(body)?, opts)
}

/// The same over a body already parsed (the exchange parses it once for all steps).
pub fn translate_request(view: &ObjectView<'_>, opts: &GeminiOptions) -> Result<Translated, ProxyError> {
    let stream = view
        .get_bool("stream")
        .map_err(|_| ProxyError::invalid_request("`stream` must be a boolean").with_param("stream"))?
        .unwrap_or(false);
    let include_usage = member(view, "stream_options")
        .and_then(object)
        .and_then(|o| o.get_bool("include_usage").ok().flatten())
        .unwrap_or(false);

    // The conversation.
    let mut conv = Conversation::default();
    if let Some(raw) = member(view, "systemInstruction") {
        let bad = || {
            ProxyError::invalid_request("`systemInstruction` must be a Gemini Content object with `parts`")
                .with_param("systemInstruction")
        };
        let parts = object(raw).and_then(|o| o.get("parts")).ok_or_else(bad)?;
        let parts: Vec<&RawValue> = serde_json::from_str(parts.get()).map_err(|_| bad())?;
        conv.system.extend(parts.into_iter().map(Part::Raw));
    }
    let messages = member(view, "messages")
        .ok_or_else(|| ProxyError::invalid_request("`messages` is required").with_param("messages"))?;
    let messages: Vec<&RawValue> = serde_json::from_str(messages.get())
        .map_err(|_| ProxyError::invalid_request("`messages` must be an array").with_param("messages"))?;
    for (i, raw) in messages.into_iter().enumerate() {
        conv.message(i, raw)?;
    }
    if conv.contents.is_empty() {
        return Err(bad_message("`messages` must contain at least one non-empty user or assistant message"));
    }

    let (declarations, native_tools) = tools(view)?;
    let has_tools = !declarations.is_empty() || !native_tools.is_empty();
    let tool_config = if has_tools && !view.contains("toolConfig") { tool_config(view)? } else { None };
    let generation = generation_config(view, opts)?;

    // Write the body: ours first, then the pass-through members in the client's order.
    let mut out = Vec::with_capacity(view.input().len() + 256);
    let first = &mut true;
    out.push(b'{');
    key(&mut out, first, "contents");
    out.push(b'[');
    for (j, c) in conv.contents.iter().enumerate() {
        if j > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"role\":\"");
        out.extend_from_slice(c.role.as_bytes());
        out.extend_from_slice(b"\",\"parts\":");
        write_parts(&mut out, &c.parts);
        out.push(b'}');
    }
    out.push(b']');
    if has_tools {
        key(&mut out, first, "tools");
        out.push(b'[');
        let mut sep = false;
        if !declarations.is_empty() {
            out.extend_from_slice(b"{\"functionDeclarations\":[");
            out.extend_from_slice(&declarations);
            out.extend_from_slice(b"]}");
            sep = true;
        }
        for raw in native_tools {
            if std::mem::replace(&mut sep, true) {
                out.push(b',');
            }
            out.extend_from_slice(raw.get().as_bytes());
        }
        out.push(b']');
    }
    if let Some(tc) = tool_config {
        key(&mut out, first, "toolConfig");
        out.extend_from_slice(&tc);
    }
    if !opts.safety.is_empty() && !view.contains("safetySettings") {
        key(&mut out, first, "safetySettings");
        out.push(b'[');
        for (j, (category, threshold)) in opts.safety.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"category\":");
            jstr(&mut out, category);
            out.extend_from_slice(b",\"threshold\":");
            jstr(&mut out, threshold);
            out.push(b'}');
        }
        out.push(b']');
    }
    if !conv.system.is_empty() {
        key(&mut out, first, "systemInstruction");
        out.extend_from_slice(b"{\"parts\":");
        write_parts(&mut out, &conv.system);
        out.push(b'}');
    }
    if !generation.is_empty() {
        key(&mut out, first, "generationConfig");
        let inner = &mut true;
        out.push(b'{');
        for (k, v) in &generation {
            key(&mut out, inner, k);
            out.extend_from_slice(v);
        }
        out.push(b'}');
    }
    for m in view.members() {
        let last = view.get(&m.key).is_some_and(|v| std::ptr::eq(v, m.value));
        if last && m.value.get() != "null" && !HANDLED.contains(&m.key.as_ref()) {
            key(&mut out, first, &m.key);
            out.extend_from_slice(m.value.get().as_bytes());
        }
    }
    out.push(b'}');
    Ok(Translated { body: out, stream, include_usage, ..Translated::default() })
}

// ---------------------------------------------------------------------------------------------
// Conversation.

/// One Gemini `Part`.
#[derive(Debug)]
enum Part<'a> {
    /// `text`, `thoughtSignature`.
    Text(Cow<'a, str>, Option<Cow<'a, str>>),
    /// `inlineData`: `mimeType`, `data` (base64).
    Inline(Cow<'a, str>, Cow<'a, str>),
    /// `fileData`: `mimeType`, `fileUri`.
    File(Cow<'a, str>, Cow<'a, str>),
    /// `functionCall`: `name`, `args` (JSON object text), `thoughtSignature`.
    Call(Cow<'a, str>, Cow<'a, str>, Option<Cow<'a, str>>),
    /// `functionResponse`: `name`, the result text, whether that text is a JSON object.
    Response(Cow<'a, str>, Cow<'a, str>, bool),
    /// A Gemini-native part, verbatim.
    Raw(&'a RawValue),
}

#[derive(Debug)]
struct Content<'a> {
    role: &'static str,
    parts: Vec<Part<'a>>,
}

#[derive(Debug, Default)]
struct Conversation<'a> {
    system: Vec<Part<'a>>,
    contents: Vec<Content<'a>>,
    /// Tool calls seen so far: (id, function name).
    calls: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// What a message's content may hold.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Allow {
    Any,
    TextOnly,
}

impl<'a> Conversation<'a> {
    /// Appends parts to the last turn when it has the same role, else starts a new turn.
    fn push(&mut self, role: &'static str, parts: Vec<Part<'a>>) {
        if parts.is_empty() {
            return;
        }
        match self.contents.last_mut() {
            Some(last) if last.role == role => last.parts.extend(parts),
            _ => self.contents.push(Content { role, parts }),
        }
    }

    fn message(&mut self, i: usize, raw: &'a RawValue) -> Result<(), ProxyError> {
        let m = object(raw).ok_or_else(|| bad_message(format!("messages[{i}] must be an object")))?;
        let role = m
            .get_str("role")
            .ok()
            .flatten()
            .ok_or_else(|| bad_message(format!("messages[{i}].role is required and must be a string")))?;
        let mut parts = Vec::new();
        match role.as_ref() {
            "system" | "developer" => {
                content_parts(m.get("content"), i, Allow::TextOnly, &mut self.system)?;
            }
            "user" => {
                content_parts(m.get("content"), i, Allow::Any, &mut parts)?;
                self.push("user", parts);
            }
            "assistant" => {
                content_parts(m.get("content"), i, Allow::Any, &mut parts)?;
                if let Some(sig) = signature(m.get("extra_content")) {
                    let last_text = parts.iter_mut().rev().find_map(|p| match p {
                        Part::Text(_, s @ None) => Some(s),
                        _ => None,
                    });
                    if let Some(slot) = last_text {
                        *slot = Some(sig);
                    }
                }
                let calls: Vec<&'a RawValue> = match member(&m, "tool_calls") {
                    Some(raw) => serde_json::from_str(raw.get())
                        .map_err(|_| bad_message(format!("messages[{i}].tool_calls must be an array")))?,
                    None => Vec::new(),
                };
                for (j, raw) in calls.into_iter().enumerate() {
                    let at = || format!("messages[{i}].tool_calls[{j}]");
                    let call = object(raw).ok_or_else(|| bad_message(format!("{} must be an object", at())))?;
                    if call.get_str("type").ok().flatten().is_some_and(|k| k != "function") {
                        return Err(bad_message(format!("{}: only function tool calls are supported", at())));
                    }
                    let f = member(&call, "function")
                        .and_then(object)
                        .ok_or_else(|| bad_message(format!("{}.function is required", at())))?;
                    let sig = signature(call.get("extra_content"));
                    let part = function_call(&f, sig, parts_has_call(&parts), &at())?;
                    if let (Some(id), Part::Call(name, ..)) = (call.get_str("id").ok().flatten(), &part) {
                        self.calls.push((id, name.clone()));
                    }
                    parts.push(part);
                }
                if let Some(f) = member(&m, "function_call").and_then(object) {
                    let part =
                        function_call(&f, None, parts_has_call(&parts), &format!("messages[{i}].function_call"))?;
                    parts.push(part);
                }
                self.push("model", parts);
            }
            "tool" | "function" => {
                let name = if role == "tool" {
                    let id = m
                        .get_str("tool_call_id")
                        .ok()
                        .flatten()
                        .ok_or_else(|| bad_message(format!("messages[{i}].tool_call_id is required")))?;
                    self.calls.iter().rev().find(|(c, _)| *c == id).map(|(_, n)| n.clone()).ok_or_else(|| {
                        bad_message(format!(
                            "messages[{i}].tool_call_id {id:?} does not match a tool call of an earlier assistant message"
                        ))
                    })?
                } else {
                    m.get_str("name")
                        .ok()
                        .flatten()
                        .ok_or_else(|| bad_message(format!("messages[{i}].name is required for a function message")))?
                };
                let mut texts = Vec::new();
                content_parts(m.get("content"), i, Allow::TextOnly, &mut texts)?;
                let mut texts = texts.into_iter().filter_map(|p| match p {
                    Part::Text(t, _) => Some(t),
                    _ => None,
                });
                let text = match (texts.next(), texts.next()) {
                    (None, _) => Cow::Borrowed(""),
                    (Some(t), None) => t,
                    (Some(a), Some(b)) => Cow::Owned([a, b].into_iter().chain(texts).collect::<String>()),
                };
                let is_object = ObjectView::parse(text.as_bytes()).is_ok();
                self.push("user", vec![Part::Response(name, text, is_object)]);
            }
            other => return Err(bad_message(format!("messages[{i}]: unknown role {other:?}"))),
        }
        Ok(())
    }
}

fn parts_has_call(parts: &[Part<'_>]) -> bool {
    parts.iter().any(|p| matches!(p, Part::Call(..)))
}

/// An OpenAI `function` object (`{name, arguments}`) → a `functionCall` part. The first call of
/// a turn without a signature gets Google's placeholder signature.
fn function_call<'a>(
    f: &ObjectView<'a>,
    sig: Option<Cow<'a, str>>,
    not_first: bool,
    at: &str,
) -> Result<Part<'a>, ProxyError> {
    let name = f
        .get_str("name")
        .ok()
        .flatten()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad_message(format!("{at}: the function name is required")))?;
    let args = f
        .get_str("arguments")
        .map_err(|_| bad_message(format!("{at}: function.arguments must be a string")))?
        .unwrap_or(Cow::Borrowed(""));
    let args = if args.trim().is_empty() { Cow::Borrowed("{}") } else { args };
    if ObjectView::parse(args.as_bytes()).is_err() {
        return Err(bad_message(format!("{at}: function.arguments must be a JSON object (got invalid JSON)")));
    }
    let sig = sig.or_else(|| (!not_first).then_some(Cow::Borrowed(SKIP_SIGNATURE)));
    Ok(Part::Call(name, args, sig))
}

/// `extra_content.google.thought_signature`, when present and non-empty.
fn signature<'a>(extra: Option<&'a RawValue>) -> Option<Cow<'a, str>> {
    let google = object(extra?)?.get("google")?;
    object(google)?.get_str("thought_signature").ok().flatten().filter(|s| !s.is_empty())
}

/// A message's `content` (string or array of parts) → parts.
fn content_parts<'a>(
    raw: Option<&'a RawValue>,
    i: usize,
    allow: Allow,
    out: &mut Vec<Part<'a>>,
) -> Result<(), ProxyError> {
    let Some(raw) = raw.filter(|r| r.get() != "null") else { return Ok(()) };
    let text = raw.get();
    if text.starts_with('"') {
        let s: Cow<'a, str> = serde_json::from_str(text).map_err(|_| bad_content(i, "invalid string"))?;
        if !s.is_empty() {
            out.push(Part::Text(s, None));
        }
        return Ok(());
    }
    let parts: Vec<&'a RawValue> =
        serde_json::from_str(text).map_err(|_| bad_content(i, "must be a string or an array of content parts"))?;
    for raw in parts {
        let p = object(raw).ok_or_else(|| bad_content(i, "a content part must be an object"))?;
        let kind = p.get_str("type").ok().flatten();
        let text_only = || bad_content(i, "only text parts are supported in this message's role");
        match kind.as_deref() {
            Some("text") | Some("refusal") => {
                let field = if kind.as_deref() == Some("text") { "text" } else { "refusal" };
                let t = p.get_str(field).ok().flatten().ok_or_else(|| bad_content(i, "a text part needs a string"))?;
                if !t.is_empty() {
                    out.push(Part::Text(t, None));
                }
            }
            _ if allow == Allow::TextOnly => return Err(text_only()),
            None => out.push(Part::Raw(raw)),
            Some("image_url") => out.push(image_part(&p, i)?),
            Some("input_audio") => {
                let bad = || {
                    bad_message(format!(
                        "messages[{i}].content: input_audio needs base64 `data` and a `format` such as wav or mp3"
                    ))
                };
                let a = member(&p, "input_audio").and_then(object).ok_or_else(bad)?;
                let data = a.get_str("data").ok().flatten().filter(|d| !d.is_empty()).ok_or_else(bad)?;
                let format = a.get_str("format").ok().flatten().filter(|f| !f.is_empty()).ok_or_else(bad)?;
                out.push(Part::Inline(Cow::Owned(format!("audio/{}", format.to_ascii_lowercase())), data));
            }
            Some("file") => out.push(file_part(&p, i)?),
            Some(other) => {
                return Err(bad_message(format!(
                    "messages[{i}].content: `{other}` content parts are not supported for Gemini models"
                )))
            }
        }
    }
    Ok(())
}

fn image_part<'a>(p: &ObjectView<'a>, i: usize) -> Result<Part<'a>, ProxyError> {
    let bad = || bad_content(i, "image_url must be an http(s) URL or a base64 data: URL");
    let raw = member(p, "image_url").ok_or_else(bad)?;
    let url: Cow<'a, str> = if raw.get().starts_with('"') {
        serde_json::from_str(raw.get()).map_err(|_| bad())?
    } else {
        object(raw).and_then(|o| o.get_str("url").ok().flatten()).ok_or_else(bad)?
    };
    if let Some((mime, data)) = data_url(&url) {
        return Ok(Part::Inline(mime, data));
    }
    if is_http(&url) {
        let mime = guess_mime(&url).unwrap_or("image/jpeg");
        return Ok(Part::File(Cow::Borrowed(mime), url));
    }
    Err(bad())
}

fn file_part<'a>(p: &ObjectView<'a>, i: usize) -> Result<Part<'a>, ProxyError> {
    let bad = |m: &str| bad_content(i, m);
    let f = member(p, "file").and_then(object).ok_or_else(|| bad("a file part needs a `file` object"))?;
    let filename = f.get_str("filename").ok().flatten();
    let typed = |name: Option<&str>| name.and_then(guess_mime).unwrap_or("application/pdf");
    if let Some(data) = f.get_str("file_data").ok().flatten().filter(|d| !d.is_empty()) {
        if data.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("data:")) {
            let (mime, data) = data_url(&data).ok_or_else(|| bad("file.file_data must be a base64 data: URL"))?;
            return Ok(Part::Inline(mime, data));
        }
        return Ok(Part::Inline(Cow::Borrowed(typed(filename.as_deref())), data));
    }
    match f.get_str("file_id").ok().flatten() {
        Some(id) if is_http(&id) => {
            let mime = guess_mime(&id).unwrap_or_else(|| typed(filename.as_deref()));
            Ok(Part::File(Cow::Borrowed(mime), id))
        }
        Some(_) => Err(bad("OpenAI file ids cannot be used with Gemini models: send file_data or an http(s) URL")),
        None => Err(bad("a file part needs `file_data` or `file_id`")),
    }
}

fn is_http(url: &str) -> bool {
    let head = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    head.starts_with("http://") || head.starts_with("https://")
}

/// `data:<media type>[;params];base64,<data>` → (media type, data).
fn data_url<'a>(url: &Cow<'a, str>) -> Option<(Cow<'a, str>, Cow<'a, str>)> {
    if !url.get(..5)?.eq_ignore_ascii_case("data:") {
        return None;
    }
    let comma = url.find(',')?;
    let meta = url.get(5..comma)?;
    let mut params = meta.split(';');
    let media_len = params.next()?.len();
    if media_len == 0 || !params.any(|p| p.eq_ignore_ascii_case("base64")) {
        return None;
    }
    let slice = |range: std::ops::Range<usize>| -> Cow<'a, str> {
        match url {
            Cow::Borrowed(s) => Cow::Borrowed(s.get(range).unwrap_or_default()),
            Cow::Owned(s) => Cow::Owned(s.get(range).unwrap_or_default().to_string()),
        }
    };
    Some((slice(5..5 + media_len), slice(comma + 1..url.len())))
}

/// File extensions Gemini understands → MIME types.
const MIME_TYPES: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("webp", "image/webp"),
    ("gif", "image/gif"),
    ("heic", "image/heic"),
    ("heif", "image/heif"),
    ("pdf", "application/pdf"),
    ("txt", "text/plain"),
    ("md", "text/markdown"),
    ("csv", "text/csv"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("wav", "audio/wav"),
    ("mp3", "audio/mp3"),
    ("aac", "audio/aac"),
    ("ogg", "audio/ogg"),
    ("flac", "audio/flac"),
    ("aiff", "audio/aiff"),
    ("mp4", "video/mp4"),
    ("mpeg", "video/mpeg"),
    ("mpg", "video/mpeg"),
    ("mov", "video/mov"),
    ("webm", "video/webm"),
];

/// A MIME type from a URL's or file name's extension.
fn guess_mime(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = name.rsplit_once('.')?;
    MIME_TYPES.iter().find(|(e, _)| e.eq_ignore_ascii_case(ext)).map(|(_, m)| *m)
}

fn write_parts(out: &mut Vec<u8>, parts: &[Part<'_>]) {
    out.push(b'[');
    for (j, p) in parts.iter().enumerate() {
        if j > 0 {
            out.push(b',');
        }
        match p {
            Part::Text(text, sig) => {
                out.extend_from_slice(b"{\"text\":");
                jstr(out, text);
                write_signature(out, sig.as_deref());
            }
            Part::Inline(mime, data) => {
                out.extend_from_slice(b"{\"inlineData\":{\"mimeType\":");
                jstr(out, mime);
                out.extend_from_slice(b",\"data\":");
                jstr(out, data);
                out.extend_from_slice(b"}}");
            }
            Part::File(mime, uri) => {
                out.extend_from_slice(b"{\"fileData\":{\"mimeType\":");
                jstr(out, mime);
                out.extend_from_slice(b",\"fileUri\":");
                jstr(out, uri);
                out.extend_from_slice(b"}}");
            }
            Part::Call(name, args, sig) => {
                out.extend_from_slice(b"{\"functionCall\":{\"name\":");
                jstr(out, name);
                out.extend_from_slice(b",\"args\":");
                out.extend_from_slice(args.as_bytes());
                out.push(b'}');
                write_signature(out, sig.as_deref());
            }
            Part::Response(name, text, is_object) => {
                out.extend_from_slice(b"{\"functionResponse\":{\"name\":");
                jstr(out, name);
                out.extend_from_slice(b",\"response\":");
                if *is_object {
                    out.extend_from_slice(text.as_bytes());
                } else {
                    out.extend_from_slice(b"{\"result\":");
                    jstr(out, text);
                    out.push(b'}');
                }
                out.extend_from_slice(b"}}");
            }
            Part::Raw(raw) => out.extend_from_slice(raw.get().as_bytes()),
        }
    }
    out.push(b']');
}

/// Closes a part object, with its `thoughtSignature` when there is one.
fn write_signature(out: &mut Vec<u8>, sig: Option<&str>) {
    if let Some(sig) = sig {
        out.extend_from_slice(b",\"thoughtSignature\":");
        jstr(out, sig);
    }
    out.push(b'}');
}

// ---------------------------------------------------------------------------------------------
// Tools.

/// The function declarations (comma-separated JSON objects) and the Gemini-native tool entries.
fn tools<'a>(view: &ObjectView<'a>) -> Result<(Vec<u8>, Vec<&'a RawValue>), ProxyError> {
    let mut decls = Vec::new();
    let mut native = Vec::new();
    for param in ["tools", "functions"] {
        let Some(raw) = member(view, param) else { continue };
        let bad = |m: String| ProxyError::invalid_request(m).with_param(param);
        let list: Vec<&'a RawValue> =
            serde_json::from_str(raw.get()).map_err(|_| bad(format!("`{param}` must be an array")))?;
        for (j, raw) in list.into_iter().enumerate() {
            let tool = object(raw).ok_or_else(|| bad(format!("{param}[{j}] must be an object")))?;
            let function = if param == "functions" {
                tool
            } else {
                match tool.get_str("type").ok().flatten().as_deref() {
                    Some("function") => member(&tool, "function")
                        .and_then(object)
                        .ok_or_else(|| bad(format!("{param}[{j}]: a function tool needs a `function` object")))?,
                    None => {
                        native.push(raw);
                        continue;
                    }
                    Some(other) => {
                        return Err(bad(format!("{param}[{j}]: `{other}` tools are not supported for Gemini models")))
                    }
                }
            };
            let name = function
                .get_str("name")
                .ok()
                .flatten()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad(format!("{param}[{j}]: the function name is required")))?;
            if !decls.is_empty() {
                decls.push(b',');
            }
            decls.extend_from_slice(b"{\"name\":");
            jstr(&mut decls, &name);
            if let Some(d) = function.get_str("description").ok().flatten().filter(|d| !d.is_empty()) {
                decls.extend_from_slice(b",\"description\":");
                jstr(&mut decls, &d);
            }
            if let Some(schema) = member(&function, "parameters").and_then(|p| reduce_schema(p, false)) {
                let has_fields =
                    ObjectView::parse(&schema).is_ok_and(|s| s.contains("properties") || s.contains("anyOf"));
                if has_fields {
                    decls.extend_from_slice(b",\"parameters\":");
                    decls.extend_from_slice(&schema);
                }
            }
            decls.push(b'}');
        }
    }
    Ok((decls, native))
}

/// `tool_choice` (or legacy `function_call`) → `{"functionCallingConfig": ...}`.
fn tool_config(view: &ObjectView<'_>) -> Result<Option<Vec<u8>>, ProxyError> {
    let (raw, param) = match member(view, "tool_choice") {
        Some(raw) => (raw, "tool_choice"),
        None => match member(view, "function_call") {
            Some(raw) => (raw, "function_call"),
            None => return Ok(None),
        },
    };
    let bad = || ProxyError::invalid_request(format!("unsupported `{param}` value")).with_param(param);
    let (mode, name) = if raw.get().starts_with('"') {
        let s: Cow<'_, str> = serde_json::from_str(raw.get()).map_err(|_| bad())?;
        match s.as_ref() {
            "auto" => ("AUTO", None),
            "none" => ("NONE", None),
            "required" => ("ANY", None),
            _ => return Err(bad()),
        }
    } else {
        let choice = object(raw).ok_or_else(bad)?;
        // {"type":"function","function":{"name"}}; legacy function_call is {"name"}.
        let f = if param == "function_call" { Some(choice) } else { member(&choice, "function").and_then(object) };
        let name = f.and_then(|f| f.get_str("name").ok().flatten()).filter(|n| !n.is_empty()).ok_or_else(bad)?;
        ("ANY", Some(name))
    };
    let mut out = b"{\"functionCallingConfig\":{\"mode\":\"".to_vec();
    out.extend_from_slice(mode.as_bytes());
    out.push(b'"');
    if let Some(name) = name {
        out.extend_from_slice(b",\"allowedFunctionNames\":[");
        jstr(&mut out, &name);
        out.push(b']');
    }
    out.extend_from_slice(b"}}");
    Ok(Some(out))
}

// ---------------------------------------------------------------------------------------------
// generationConfig.

/// Object members as (key, JSON text), in order.
type Entries<'a> = Vec<(Cow<'a, str>, Cow<'a, [u8]>)>;

/// The `generationConfig` members, in order.
fn generation_config<'a>(view: &ObjectView<'a>, opts: &GeminiOptions) -> Result<Entries<'a>, ProxyError> {
    let mut g = Entries::new();
    let mut put = |k: &'static str, v: Cow<'a, [u8]>| g.push((Cow::Borrowed(k), v));
    if let Some(stop) = stop_sequences(view)? {
        put("stopSequences", Cow::Owned(stop));
    }
    if let Some(n) = integer(view, "n", 1)? {
        put("candidateCount", n);
    }
    let max = match integer(view, "max_completion_tokens", 0)? {
        Some(v) => Some(v),
        None => integer(view, "max_tokens", 0)?,
    };
    if let Some(max) = max {
        put("maxOutputTokens", max);
    }
    for (from, to) in [("temperature", "temperature"), ("top_p", "topP"), ("top_k", "topK")] {
        if let Some(v) = number(view, from)? {
            put(to, v);
        }
    }
    if let Some(seed) = integer(view, "seed", i64::MIN)? {
        put("seed", seed);
    }
    for (from, to) in [("presence_penalty", "presencePenalty"), ("frequency_penalty", "frequencyPenalty")] {
        if let Some(v) = number(view, from)? {
            put(to, v);
        }
    }
    if let Some(raw) = member(view, "response_format") {
        let bad = || {
            ProxyError::invalid_request(
                "`response_format` must be an object with a `type` of text, json_object or json_schema",
            )
            .with_param("response_format")
        };
        let rf = object(raw).ok_or_else(bad)?;
        match rf.get_str("type").ok().flatten().as_deref() {
            Some("text") => {}
            Some("json_object") => put("responseMimeType", Cow::Borrowed(&b"\"application/json\""[..])),
            Some("json_schema") => {
                put("responseMimeType", Cow::Borrowed(&b"\"application/json\""[..]));
                let schema = member(&rf, "json_schema").and_then(object).and_then(|s| member(&s, "schema"));
                if let Some(schema) = schema.and_then(|s| reduce_schema(s, true)).filter(|s| s != b"{}") {
                    put("responseSchema", Cow::Owned(schema));
                }
            }
            _ => return Err(bad()),
        }
    }
    let logprobs = view
        .get_bool("logprobs")
        .map_err(|_| ProxyError::invalid_request("`logprobs` must be a boolean").with_param("logprobs"))?;
    if logprobs == Some(true) {
        put("responseLogprobs", Cow::Borrowed(&b"true"[..]));
        if let Some(top) = integer(view, "top_logprobs", 0)? {
            put("logprobs", top);
        }
    }
    if let Some(thinking) = thinking_config(view, opts)? {
        put("thinkingConfig", Cow::Owned(thinking.into_bytes()));
    }
    // A Gemini-native generationConfig: its members win.
    if let Some(raw) = member(view, "generationConfig") {
        let native = object(raw).ok_or_else(|| {
            ProxyError::invalid_request("`generationConfig` must be an object").with_param("generationConfig")
        })?;
        for m in native.members() {
            let value = Cow::Borrowed(m.value.get().as_bytes());
            match g.iter_mut().find(|(k, _)| *k == m.key) {
                Some(slot) => slot.1 = value,
                None => g.push((m.key.clone(), value)),
            }
        }
    }
    Ok(g)
}

fn thinking_config(view: &ObjectView<'_>, opts: &GeminiOptions) -> Result<Option<String>, ProxyError> {
    let effort = view.get_str("reasoning_effort").map_err(|_| {
        ProxyError::invalid_request("`reasoning_effort` must be a string").with_param("reasoning_effort")
    })?;
    let budget = match effort.as_deref() {
        Some("none") => return Ok(Some("{\"thinkingBudget\":0}".to_string())),
        Some(e) => match EFFORT_BUDGETS.iter().find(|(name, _)| *name == e) {
            Some((_, b)) => Some(*b),
            None => {
                return Err(ProxyError::invalid_request(format!(
                    "unsupported `reasoning_effort` value {e:?}: use none, minimal, low, medium or high"
                ))
                .with_param("reasoning_effort"))
            }
        },
        None => opts.thinking_budget,
    };
    Ok(budget.map(|b| format!("{{\"thinkingBudget\":{b},\"includeThoughts\":true}}")))
}

fn stop_sequences(view: &ObjectView<'_>) -> Result<Option<Vec<u8>>, ProxyError> {
    let Some(raw) = member(view, "stop") else { return Ok(None) };
    let bad = || ProxyError::invalid_request("`stop` must be a string or an array of strings").with_param("stop");
    let list: Vec<Cow<'_, str>> = if raw.get().starts_with('"') {
        vec![serde_json::from_str(raw.get()).map_err(|_| bad())?]
    } else {
        serde_json::from_str(raw.get()).map_err(|_| bad())?
    };
    if list.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    out.push(b'[');
    for (j, s) in list.iter().enumerate() {
        if j > 0 {
            out.push(b',');
        }
        jstr(&mut out, s);
    }
    out.push(b']');
    Ok(Some(out))
}

/// A number member, as the client wrote it.
fn number<'a>(view: &ObjectView<'a>, key: &'static str) -> Result<Option<Cow<'a, [u8]>>, ProxyError> {
    let Some(raw) = member(view, key) else { return Ok(None) };
    serde_json::from_str::<f64>(raw.get())
        .map(|_| Some(Cow::Borrowed(raw.get().as_bytes())))
        .map_err(|_| ProxyError::invalid_request(format!("`{key}` must be a number")).with_param(key))
}

/// An integer member of at least `min`, as the client wrote it.
fn integer<'a>(view: &ObjectView<'a>, key: &'static str, min: i64) -> Result<Option<Cow<'a, [u8]>>, ProxyError> {
    let Some(raw) = member(view, key) else { return Ok(None) };
    match serde_json::from_str::<i64>(raw.get()) {
        Ok(v) if v >= min => Ok(Some(Cow::Borrowed(raw.get().as_bytes()))),
        _ => {
            let what = match min {
                i64::MIN => "an integer".to_string(),
                0 => "a non-negative integer".to_string(),
                m => format!("an integer of at least {m}"),
            };
            Err(ProxyError::invalid_request(format!("`{key}` must be {what}")).with_param(key))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Schema reduction.

/// Nesting depth after which `$ref`s are no longer expanded and nested schemas are cut.
const MAX_SCHEMA_DEPTH: usize = 32;
/// `$ref` expansions per schema (guards against exponential reference graphs).
const MAX_REF_EXPANSIONS: usize = 256;

/// A JSON Schema → Gemini's `Schema` subset (see the module documentation). `None` when the
/// input is not an object schema.
pub fn reduce_schema(raw: &RawValue, response: bool) -> Option<Vec<u8>> {
    object(raw)?;
    let mut reducer = SchemaReducer { root: raw, expansions: 0, response };
    let mut out = Vec::with_capacity(raw.get().len());
    reducer.reduce(raw, 0, &mut out);
    Some(out)
}

/// Members of a schema after `$ref` / `allOf` inlining; later members win.
type Members<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

struct SchemaReducer<'a> {
    root: &'a RawValue,
    expansions: usize,
    /// Building a `responseSchema` (adds `propertyOrdering`).
    response: bool,
}

impl<'a> SchemaReducer<'a> {
    fn reduce(&mut self, raw: &'a RawValue, depth: usize, out: &mut Vec<u8>) {
        let mut m = Members::new();
        self.collect(raw, depth, &mut m);
        self.emit(&m, false, depth, out);
    }

    /// Flattens `$ref` targets and `allOf` entries (first) and the schema's own members (last).
    fn collect(&mut self, raw: &'a RawValue, depth: usize, m: &mut Members<'a>) {
        let Some(view) = object(raw) else { return };
        if let Some(target) = view.get_str("$ref").ok().flatten().and_then(|r| self.resolve(&r)) {
            if depth < MAX_SCHEMA_DEPTH && self.expansions < MAX_REF_EXPANSIONS {
                self.expansions += 1;
                self.collect(target, depth + 1, m);
            } else if let Some(t) = object(target).and_then(|t| t.get("type")) {
                m.push((Cow::Borrowed("type"), t));
            }
        }
        if let Some(all) = member(&view, "allOf") {
            let list: Vec<&'a RawValue> = serde_json::from_str(all.get()).unwrap_or_default();
            for sub in list {
                if depth < MAX_SCHEMA_DEPTH {
                    self.collect(sub, depth + 1, m);
                }
            }
        }
        for mem in view.members() {
            if !matches!(mem.key.as_ref(), "$ref" | "allOf" | "$defs" | "definitions") {
                m.push((mem.key.clone(), mem.value));
            }
        }
    }

    /// A local JSON pointer (`#/$defs/Name`) → the schema it names.
    fn resolve(&self, pointer: &str) -> Option<&'a RawValue> {
        let path = pointer.strip_prefix('#')?;
        let mut cur = self.root;
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            cur = object(cur)?.get(&seg)?;
        }
        Some(cur)
    }

    fn emit(&mut self, m: &Members<'a>, nullable_in: bool, depth: usize, out: &mut Vec<u8>) {
        let last = |k: &str| m.iter().rev().find(|(key, _)| key == k).map(|(_, v)| *v);
        let mut nullable = nullable_in || last("nullable").is_some_and(|v| v.get() == "true");
        let mut types: Vec<&'static str> = Vec::new();
        for t in last("type").map(type_names).unwrap_or_default() {
            match canonical_type(&t) {
                Some("null") => nullable = true,
                Some(c) if !types.contains(&c) => types.push(c),
                _ => {}
            }
        }
        let enum_values: Option<Vec<&'a RawValue>> = match last("enum") {
            Some(e) => serde_json::from_str(e.get()).ok(),
            None => last("const").map(|c| vec![c]),
        };
        if enum_values.as_ref().is_some_and(|v| v.iter().any(|x| x.get() == "null")) {
            nullable = true;
        }
        let mut branches: Vec<&'a RawValue> = last("anyOf")
            .or_else(|| last("oneOf"))
            .and_then(|b| serde_json::from_str(b.get()).ok())
            .unwrap_or_default();
        branches.retain(|b| {
            let null = is_null_schema(b);
            nullable |= null;
            !null
        });
        if let ([only], true) = (branches.as_slice(), types.is_empty()) {
            if depth < MAX_SCHEMA_DEPTH {
                // `anyOf: [X, {type: null}]` → X, nullable; the outer members win.
                let mut flat = Members::new();
                self.collect(only, depth + 1, &mut flat);
                flat.extend(m.iter().filter(|(k, _)| k != "anyOf" && k != "oneOf").cloned());
                return self.emit(&flat, nullable, depth + 1, out);
            }
        }
        if types.is_empty() && branches.is_empty() {
            if last("properties").is_some() {
                types.push("object");
            } else if last("items").is_some() {
                types.push("array");
            } else if enum_values.is_some() {
                types.push("string");
            }
        }
        let single = match types.as_slice() {
            [t] => Some(*t),
            _ => None,
        };

        let first = &mut true;
        out.push(b'{');
        if let Some(t) = single {
            key(out, first, "type");
            jstr(out, upper_type(t));
        }
        if let Some(title) = last("title").filter(|t| t.get().starts_with('"')) {
            key(out, first, "title");
            out.extend_from_slice(title.get().as_bytes());
        }
        let mut description: Option<Cow<'a, str>> =
            last("description").and_then(|d| serde_json::from_str::<Cow<'a, str>>(d.get()).ok());
        if let (Some(t), Some(values)) = (single, &enum_values) {
            if t != "string" {
                // Gemini allows `enum` on strings only: keep the constraint in words.
                let listed: Vec<&str> = values.iter().map(|v| v.get()).filter(|v| *v != "null").collect();
                if !listed.is_empty() {
                    let allowed = format!("Allowed values: {}.", listed.join(", "));
                    description = Some(match description {
                        Some(d) if !d.is_empty() => Cow::Owned(format!("{d}\n{allowed}")),
                        _ => Cow::Owned(allowed),
                    });
                }
            }
        }
        if let Some(d) = description {
            key(out, first, "description");
            jstr(out, &d);
        }
        if nullable {
            key(out, first, "nullable");
            out.extend_from_slice(b"true");
        }
        if let Some(t) = single {
            self.emit_typed(m, t, enum_values.as_deref(), depth, first, out);
        }
        if types.len() > 1 {
            key(out, first, "anyOf");
            out.push(b'[');
            for (j, t) in types.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                let inner = &mut true;
                out.push(b'{');
                key(out, inner, "type");
                jstr(out, upper_type(t));
                self.emit_typed(m, t, enum_values.as_deref(), depth, inner, out);
                out.push(b'}');
            }
            out.push(b']');
        } else if !branches.is_empty() && depth < MAX_SCHEMA_DEPTH {
            key(out, first, "anyOf");
            out.push(b'[');
            for (j, b) in branches.into_iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                self.reduce(b, depth + 1, out);
            }
            out.push(b']');
        }
        out.push(b'}');
    }

    /// The keywords that belong to type `t`.
    fn emit_typed(
        &mut self,
        m: &Members<'a>,
        t: &str,
        enum_values: Option<&[&'a RawValue]>,
        depth: usize,
        first: &mut bool,
        out: &mut Vec<u8>,
    ) {
        let last = |k: &str| m.iter().rev().find(|(key, _)| key == k).map(|(_, v)| *v);
        let copy = |out: &mut Vec<u8>, first: &mut bool, k: &str| {
            if let Some(v) = last(k) {
                key(out, first, k);
                out.extend_from_slice(v.get().as_bytes());
            }
        };
        let formats: &[&str] = match t {
            "string" => &["enum", "date-time"],
            "number" => &["float", "double"],
            "integer" => &["int32", "int64"],
            _ => &[],
        };
        if let Some(f) = last("format").and_then(|f| serde_json::from_str::<Cow<'_, str>>(f.get()).ok()) {
            if formats.contains(&f.as_ref()) {
                key(out, first, "format");
                jstr(out, &f);
            }
        }
        match t {
            "string" => {
                if let Some(values) = enum_values {
                    let mut listed = values.iter().filter(|v| v.get() != "null").peekable();
                    if listed.peek().is_some() {
                        key(out, first, "enum");
                        out.push(b'[');
                        for (j, v) in listed.enumerate() {
                            if j > 0 {
                                out.push(b',');
                            }
                            if v.get().starts_with('"') {
                                out.extend_from_slice(v.get().as_bytes());
                            } else {
                                jstr(out, v.get());
                            }
                        }
                        out.push(b']');
                    }
                }
                for k in ["minLength", "maxLength", "pattern"] {
                    copy(out, first, k);
                }
            }
            "number" | "integer" => {
                for k in ["minimum", "maximum"] {
                    copy(out, first, k);
                }
            }
            "array" => {
                let items = last("items").and_then(|i| {
                    // Draft-4 tuple form: the first item's schema.
                    if i.get().starts_with('[') {
                        serde_json::from_str::<Vec<&'a RawValue>>(i.get()).ok()?.into_iter().next()
                    } else {
                        Some(i)
                    }
                });
                if let Some(items) = items.filter(|_| depth < MAX_SCHEMA_DEPTH) {
                    key(out, first, "items");
                    self.reduce(items, depth + 1, out);
                }
                for k in ["minItems", "maxItems"] {
                    copy(out, first, k);
                }
            }
            "object" => {
                let mut props: Members<'a> = Vec::new();
                for &(_, raw) in m.iter().filter(|(k, _)| k == "properties") {
                    let Some(p) = object(raw) else { continue };
                    for mem in p.members() {
                        match props.iter_mut().find(|(n, _)| *n == mem.key) {
                            Some(slot) => slot.1 = mem.value,
                            None => props.push((mem.key.clone(), mem.value)),
                        }
                    }
                }
                if depth >= MAX_SCHEMA_DEPTH {
                    props.clear();
                }
                if !props.is_empty() {
                    key(out, first, "properties");
                    let inner = &mut true;
                    out.push(b'{');
                    for (name, schema) in &props {
                        key(out, inner, name);
                        self.reduce(schema, depth + 1, out);
                    }
                    out.push(b'}');
                    let mut required: Vec<Cow<'a, str>> = Vec::new();
                    for &(_, raw) in m.iter().filter(|(k, _)| k == "required") {
                        for r in serde_json::from_str::<Vec<Cow<'a, str>>>(raw.get()).unwrap_or_default() {
                            if props.iter().any(|(n, _)| *n == r) && !required.contains(&r) {
                                required.push(r);
                            }
                        }
                    }
                    if !required.is_empty() {
                        key(out, first, "required");
                        write_strings(out, &required.iter().map(|r| r.as_ref()).collect::<Vec<_>>());
                    }
                    if last("propertyOrdering").is_some() {
                        copy(out, first, "propertyOrdering");
                    } else if self.response && props.len() > 1 {
                        key(out, first, "propertyOrdering");
                        write_strings(out, &props.iter().map(|(n, _)| n.as_ref()).collect::<Vec<_>>());
                    }
                }
                for k in ["minProperties", "maxProperties"] {
                    copy(out, first, k);
                }
            }
            _ => {}
        }
    }
}

/// The names in a `type` member (a string or an array of strings).
fn type_names(raw: &RawValue) -> Vec<Cow<'_, str>> {
    if raw.get().starts_with('"') {
        serde_json::from_str::<Cow<'_, str>>(raw.get()).map(|t| vec![t]).unwrap_or_default()
    } else {
        serde_json::from_str(raw.get()).unwrap_or_default()
    }
}

/// JSON Schema type names and Gemini's `Type` enum names.
const TYPES: &[(&str, &str)] = &[
    ("string", "STRING"),
    ("number", "NUMBER"),
    ("integer", "INTEGER"),
    ("boolean", "BOOLEAN"),
    ("array", "ARRAY"),
    ("object", "OBJECT"),
    ("null", "NULL"),
];

fn canonical_type(name: &str) -> Option<&'static str> {
    TYPES.iter().find(|(t, _)| t.eq_ignore_ascii_case(name)).map(|(t, _)| *t)
}

fn upper_type(t: &str) -> &'static str {
    TYPES.iter().find(|(name, _)| *name == t).map_or("TYPE_UNSPECIFIED", |(_, upper)| *upper)
}

/// `{"type":"null"}` (an `anyOf` branch that only allows null).
fn is_null_schema(raw: &RawValue) -> bool {
    let names = object(raw).and_then(|o| o.get("type")).map(type_names).unwrap_or_default();
    !names.is_empty() && names.iter().all(|n| n.eq_ignore_ascii_case("null"))
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

/// Writes `"key":`, preceded by a comma unless it is the object's first member.
fn key(out: &mut Vec<u8>, first: &mut bool, k: &str) {
    if !std::mem::replace(first, false) {
        out.push(b',');
    }
    jstr(out, k);
    out.push(b':');
}

fn write_strings(out: &mut Vec<u8>, items: &[&str]) {
    out.push(b'[');
    for (j, s) in items.iter().enumerate() {
        if j > 0 {
            out.push(b',');
        }
        jstr(out, s);
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
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
                "Gemini-native members: tools entries, systemInstruction parts, toolConfig, safetySettings, generationConfig merge, pass-through",
                json!({"model":"m","tools":[{"googleSearch":{}},{"type":"function","function":{"name":"f"}}],
                    "tool_choice":"required","toolConfig":{"functionCallingConfig":{"mode":"VALIDATED"}},
                    "systemInstruction":{"parts":[{"text":"native"}]},
                    "safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}],
                    "temperature":0.2,"generationConfig":{"temperature":0.9,"responseModalities":["TEXT"]},
                    "cachedContent":"cachedContents/abc","labels":{"team":"x"},"contents":[{"parts":[]}],
                    "prompt_cache_key":"k","verbosity":"low","top_logprobs":3,"nothing":null,
                    "messages":[{"role":"system","content":"mine"},{"role":"user","content":"hi"}]}),
                json!({"contents":[{"role":"user","parts":[{"text":"hi"}]}],
                    "tools":[{"functionDeclarations":[{"name":"f"}]},{"googleSearch":{}}],
                    "systemInstruction":{"parts":[{"text":"native"},{"text":"mine"}]},
                    "generationConfig":{"temperature":0.9,"responseModalities":["TEXT"]},
                    "toolConfig":{"functionCallingConfig":{"mode":"VALIDATED"}},
                    "safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}],
                    "cachedContent":"cachedContents/abc","labels":{"team":"x"}}),
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
            let req =
                json!({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":tools,"tool_choice":choice});
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
        let wide = reduce_schema(
            &RawValue::from_string(json!({"$defs":defs,"$ref":"#/$defs/d0"}).to_string()).unwrap(),
            false,
        )
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
            (
                "unknown role",
                json!({"model":"m","messages":[{"role":"robot","content":"x"}]}),
                "messages",
                "unknown role",
            ),
            (
                "only system",
                json!({"model":"m","messages":[{"role":"system","content":"s"}]}),
                "messages",
                "at least one",
            ),
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
        let t =
            build(&json!({"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":q}), &opts())
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
}
