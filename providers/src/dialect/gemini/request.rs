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
//! - **Other fields**: `generateContent` members a client sends natively (`cachedContent`,
//!   `safetySettings`, `toolConfig`) are copied unchanged; any other member is dropped, Gemini
//!   rejects unknown ones: OpenAI fields it has no use for (`user`, `safety_identifier`,
//!   `stream_options`, `parallel_tool_calls`, `store`, `metadata`, `service_tier`,
//!   `logit_bias`, `modalities`, `audio`, `prediction`, `web_search_options`, `verbosity`,
//!   `prompt_cache_key`, `prompt_cache_retention`), OpenAI-wire extensions
//!   (`chat_template_kwargs`, `extra_headers`), Vertex AI's `labels`; `null` members are not
//!   sent. A client `contents` is ignored (`messages` is the conversation).

use crate::dialect::gemini::GeminiOptions;
use crate::dialect::Translated;
use crate::error::ProxyError;
use crate::json::write_str as jstr;
use crate::json::ObjectView;
use serde_json::value::RawValue;
use std::borrow::Cow;

use super::schema::reduce_schema;

#[path = "request_config.rs"]
mod config;
use config::generation_config;

/// The `thoughtSignature` Google documents for function calls the model did not produce itself.
pub const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// `generateContent` members a client may send as they are and the translation does not
/// write itself: copied (a client `safetySettings` or `toolConfig` then replaces the one the
/// translation would write). `systemInstruction`, `generationConfig` and `tools` are merged
/// above; every other member is dropped: Gemini rejects unknown members, and a client's
/// extension fields (`chat_template_kwargs`, an `extra_headers` credential) are for
/// OpenAI-wire servers only.
const NATIVE: &[&str] = &["cachedContent", "safetySettings", "toolConfig"];

/// Translates an OpenAI chat body (a JSON object). The model is not part of a Gemini body;
/// it goes in the path.
#[cfg(test)]
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
    for m in view.members_in(NATIVE) {
        key(&mut out, first, &m.key);
        out.extend_from_slice(m.value.get().as_bytes());
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
// Helpers.

/// A member that is present and not `null`.
pub(super) fn member<'a>(view: &ObjectView<'a>, key: &str) -> Option<&'a RawValue> {
    view.get(key).filter(|raw| raw.get() != "null")
}

/// A JSON object value, viewed.
pub(super) fn object(raw: &RawValue) -> Option<ObjectView<'_>> {
    ObjectView::parse(raw.get().as_bytes()).ok()
}

fn bad_message(message: impl Into<String>) -> ProxyError {
    ProxyError::invalid_request(message).with_param("messages")
}

fn bad_content(i: usize, message: &str) -> ProxyError {
    bad_message(format!("messages[{i}].content: {message}"))
}

/// Writes `"key":`, preceded by a comma unless it is the object's first member.
pub(super) fn key(out: &mut Vec<u8>, first: &mut bool, k: &str) {
    if !std::mem::replace(first, false) {
        out.push(b',');
    }
    jstr(out, k);
    out.push(b':');
}

pub(super) fn write_strings(out: &mut Vec<u8>, items: &[&str]) {
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
#[path = "request_tests.rs"]
mod tests;
