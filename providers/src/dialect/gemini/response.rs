//! Gemini `GenerateContentResponse` and Google errors → OpenAI chat completion and errors.
//!
//! Response (<https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse>):
//! - one choice per candidate, `index` = the candidate's `index` (proto3 JSON omits a zero, so an
//!   absent index is the candidate's position), in the order Gemini sends them;
//! - per candidate (`candidate_message`, shared with the stream translator): text parts are
//!   concatenated into `content` (`null` when there is no text and there are tool calls, else
//!   `""` at least); `thought: true` parts into `reasoning_content`; each `functionCall` part → a
//!   tool call `{id, type: "function", function: {name, arguments}}` where `arguments` is the
//!   compact JSON text of `args` (key order and number spellings kept; `{}` when absent) and `id`
//!   is Gemini's `functionCall.id`, else `call_<16 hex digits of ctx.random>_<n>` with `n` counting
//!   the response's function calls from 0. A `thoughtSignature` on a function call part goes on
//!   that tool call, on any other part on the message, both as
//!   `"extra_content":{"google":{"thought_signature":…}}` (the convention of Google's own
//!   OpenAI-compatible endpoint, so clients that support it echo it back). Other parts
//!   (`inlineData`, `executableCode`, `codeExecutionResult`, …) have no chat-completions
//!   counterpart and are skipped;
//! - `finishReason` (`finish_reason`): `STOP` → `stop`; `MAX_TOKENS` → `length`; `SAFETY`,
//!   `RECITATION`, `LANGUAGE`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, `IMAGE_SAFETY`,
//!   `IMAGE_PROHIBITED_CONTENT`, `IMAGE_RECITATION` and Vertex's `MODEL_ARMOR` → `content_filter`
//!   (the candidate's content was withheld or cut by a filter); everything else
//!   (`FINISH_REASON_UNSPECIFIED`, `OTHER`, `MALFORMED_FUNCTION_CALL`, `UNEXPECTED_TOOL_CALL`,
//!   `TOO_MANY_TOOL_CALLS`, `NO_IMAGE`, newer values) → `stop`: OpenAI's enum has no "error" value,
//!   and a malformed call produced no tool call to report. A `stop` becomes `tool_calls` when the
//!   candidate has function calls; `length` and `content_filter` stay (they say the output was
//!   cut). No `finishReason` → `null`;
//! - `usageMetadata` (`openai_usage`): prompt_tokens = promptTokenCount + toolUsePromptTokenCount
//!   (the tool results the model read are input too, and OpenAI's total is prompt + completion);
//!   completion_tokens = candidatesTokenCount + thoughtsTokenCount (OpenAI counts reasoning inside
//!   completion); total_tokens = totalTokenCount, else the sum;
//!   `prompt_tokens_details.cached_tokens` = cachedContentTokenCount and
//!   `completion_tokens_details.reasoning_tokens` = thoughtsTokenCount, each only when reported.
//!   No usageMetadata in, no usage out;
//! - `id` = `chatcmpl-<responseId>`, else `chatcmpl-<16 hex digits of ctx.random>`; `model` =
//!   `modelVersion`, else `ctx.model`; `created` = `ctx.created`;
//! - no candidates: with `promptFeedback.blockReason` (the prompt was blocked) → `Err` 400
//!   `invalid_request_error`, code `content_filter`, param `messages`, the block reason (and
//!   Vertex's `blockReasonMessage`) in the message; without → `Err` 502 (bad upstream). A 2xx body
//!   that is a Google error → that error (`google_error`).
//!
//! Errors (<https://ai.google.dev/gemini-api/docs/troubleshooting>,
//! <https://cloud.google.com/apis/design/errors>): `{"error":{"code","message","status","details"}}`,
//! sometimes wrapped in a one-element array (the streaming endpoint does that). The HTTP status is
//! kept; the message is Google's (`details` are not copied: `DebugInfo` may echo the API key); the
//! type comes from `status`: `INVALID_ARGUMENT` / `FAILED_PRECONDITION` / `OUT_OF_RANGE` /
//! `ALREADY_EXISTS` → `invalid_request_error`, `UNAUTHENTICATED` → `authentication_error`,
//! `PERMISSION_DENIED` → `permission_error`, `NOT_FOUND` → `not_found_error`, `RESOURCE_EXHAUSTED`
//! → `rate_limit_error`, `UNAVAILABLE` / `INTERNAL` / `DEADLINE_EXCEEDED` / `UNKNOWN` / `ABORTED` /
//! `CANCELLED` / `DATA_LOSS` / `UNIMPLEMENTED` → `api_error`; the code is the status lower-cased
//! (`invalid_argument`, `resource_exhausted`, …: OpenAI's codes are lower-case identifiers and
//! Google's canonical code is the most precise thing we have). One exception: an `ErrorInfo`
//! detail with reason `API_KEY_INVALID` (Google answers a bad key with 400 `INVALID_ARGUMENT`) →
//! `authentication_error` with OpenAI's code `invalid_api_key`. Without a known status the type
//! follows the HTTP status; a body that is not a Google error gets a generic message naming the
//! status.

use crate::dialect::openai::{tool_call_id, UsageOut};
use crate::dialect::TranslateCtx;
use crate::error::ProxyError;
use crate::json::{as_u64, opt_str, read_members, Key, WrongType};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::Write;

/// A non-streamed `GenerateContentResponse` → an OpenAI `chat.completion`.
pub fn translate_response(body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    let resp = std::str::from_utf8(body)
        .map_err(|_| WrongType)
        .and_then(response_in)
        .map_err(|_| ProxyError::bad_upstream("the upstream response is not a valid Gemini response"))?;
    if let Some(err) = &resp.error {
        return Err(google_error(err, 502));
    }
    if resp.candidates.is_empty() {
        return Err(match &resp.prompt_feedback {
            Some(feedback) if non_empty(&feedback.block_reason).is_some() => prompt_blocked(feedback),
            _ => ProxyError::bad_upstream("the upstream response has no candidates"),
        });
    }

    let id = completion_id(non_empty(&resp.response_id), ctx.random);
    let model = non_empty(&resp.model_version).unwrap_or(&ctx.model);
    let mut out = Vec::with_capacity(body.len() + 256);
    out.extend_from_slice(b"{\"id\":");
    write_str(&mut out, &id);
    let _ = write!(out, ",\"object\":\"chat.completion\",\"created\":{},\"model\":", ctx.created);
    write_str(&mut out, model);
    out.extend_from_slice(b",\"choices\":[");
    let mut calls = 0u64;
    for (position, candidate) in resp.candidates.iter().enumerate() {
        let m = candidate_message(&candidate.parts, ctx.random, &mut calls);
        let has_calls = !m.tool_calls.is_empty();
        let index = candidate.index.unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
        if position > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{{\"index\":{index},\"message\":{{\"role\":\"assistant\",\"content\":");
        if m.content.is_empty() && has_calls {
            out.extend_from_slice(b"null");
        } else {
            write_str(&mut out, &m.content);
        }
        if let Some(reasoning) = &m.reasoning {
            out.extend_from_slice(b",\"reasoning_content\":");
            write_str(&mut out, reasoning);
        }
        if has_calls {
            out.extend_from_slice(b",\"tool_calls\":[");
            for (i, call) in m.tool_calls.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                call.write(&mut out);
            }
            out.push(b']');
        }
        if let Some(signature) = m.signature {
            out.push(b',');
            write_extra_content(&mut out, signature);
        }
        out.extend_from_slice(b"},\"logprobs\":null,\"finish_reason\":");
        match candidate.finish_reason.as_deref() {
            Some(reason) => {
                out.push(b'"');
                out.extend_from_slice(finish_reason(reason, has_calls).as_bytes());
                out.push(b'"');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
    out.push(b']');
    if let Some(usage) = &resp.usage_metadata {
        out.extend_from_slice(b",\"usage\":");
        write_usage(&mut out, &openai_usage(usage));
    }
    out.push(b'}');
    Ok(out)
}

/// A Google error body (`{"error":{"code","message","status"}}`, any status) → status and
/// OpenAI error body.
pub fn translate_error(status: u16, body: &[u8]) -> (u16, Vec<u8>) {
    let text = std::str::from_utf8(body).unwrap_or_default().trim_start();
    // The object, or a one-element array of it (what the streaming endpoint answers).
    let first;
    let json = if text.starts_with('[') {
        first = serde_json::from_str::<Vec<&RawValue>>(text).ok().and_then(|v| v.first().copied());
        first.map_or("", RawValue::get)
    } else {
        text
    };
    let parsed = response_in(json).ok();
    let err = match parsed.as_ref().and_then(|r| r.error.as_ref()) {
        Some(e) => ProxyError { status, ..google_error(e, status) },
        None => ProxyError::new(status, kind_for_status(status), format!("upstream error (HTTP {status})")),
    };
    (status, err.to_openai_json())
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with the stream translator.

/// The OpenAI message pieces of one candidate's parts (see the module documentation).
#[derive(Debug, Default)]
pub struct CandidateMessage<'p> {
    /// The text parts, concatenated (empty when there are none).
    pub content: String,
    /// The `thought: true` parts, concatenated; `None` when there are none or all are empty.
    pub reasoning: Option<String>,
    /// The function calls, in order (`index` unset: a stream sets it).
    pub tool_calls: Vec<ToolCallOut<'p>>,
    /// The last `thoughtSignature` on a part that is not a function call.
    pub signature: Option<&'p str>,
}

/// Translates one candidate's parts. `calls` counts function calls across the response (or
/// stream): it numbers the generated tool call ids and is advanced by each function call.
pub fn candidate_message<'p>(parts: &'p [PartIn<'_>], random: u64, calls: &mut u64) -> CandidateMessage<'p> {
    let mut m = CandidateMessage::default();
    for part in parts {
        let signature = non_empty(&part.thought_signature);
        if let Some(call) = &part.function_call {
            let id = match non_empty(&call.id) {
                Some(id) => id.to_string(),
                None => tool_call_id(random, *calls),
            };
            *calls = calls.saturating_add(1);
            let arguments = match call.args {
                Some(args) if args.get() != "null" => crate::json::compact(args.get()),
                _ => "{}".to_string(),
            };
            m.tool_calls.push(ToolCallOut {
                index: None,
                id,
                name: call.name.as_deref().unwrap_or_default(),
                arguments,
                signature,
            });
            continue;
        }
        if signature.is_some() {
            m.signature = signature;
        }
        let text = part.text.as_deref().unwrap_or_default();
        if part.thought == Some(true) {
            if !text.is_empty() {
                m.reasoning.get_or_insert_with(String::new).push_str(text);
            }
        } else {
            m.content.push_str(text);
        }
    }
    m
}

/// The OpenAI `finish_reason` for a Gemini `finishReason` (see the module documentation);
/// `has_tool_calls`: the candidate produced function calls (in a stream: at any point so far).
pub fn finish_reason(reason: &str, has_tool_calls: bool) -> &'static str {
    if reason == "MAX_TOKENS" {
        "length"
    } else if FILTERED.contains(&reason) {
        "content_filter"
    } else if has_tool_calls {
        "tool_calls"
    } else {
        "stop"
    }
}

/// The `finishReason`s that say a filter withheld or cut the candidate's content.
static FILTERED: [&str; 10] = [
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "MODEL_ARMOR",
];

/// Gemini `usageMetadata` → OpenAI `usage` (see the module documentation).
pub fn openai_usage(u: &UsageIn) -> UsageOut {
    let prompt = u.prompt_token_count.unwrap_or(0).saturating_add(u.tool_use_prompt_token_count.unwrap_or(0));
    let completion = u.candidates_token_count.unwrap_or(0).saturating_add(u.thoughts_token_count.unwrap_or(0));
    UsageOut::from_counts(prompt, completion, u.total_token_count, u.cached_content_token_count, u.thoughts_token_count)
}

/// `chatcmpl-<responseId>`, else `chatcmpl-<16 hex digits of random>`.
pub fn completion_id(response_id: Option<&str>, random: u64) -> String {
    match response_id {
        Some(id) => format!("chatcmpl-{id}"),
        None => format!("chatcmpl-{random:016x}"),
    }
}

/// The error for a prompt Gemini refused (`promptFeedback.blockReason`, no candidates).
pub fn prompt_blocked(feedback: &PromptFeedbackIn<'_>) -> ProxyError {
    let reason = non_empty(&feedback.block_reason).unwrap_or("BLOCK_REASON_UNSPECIFIED");
    let mut message = format!("the prompt was blocked by Gemini (blockReason: {reason})");
    if let Some(detail) = non_empty(&feedback.block_reason_message) {
        message.push_str(": ");
        message.push_str(detail);
    }
    ProxyError::invalid_request(message).with_param("messages").with_code("content_filter")
}

/// A Google error object → our error: Google's message, the type and code its `status` stands
/// for, and the status in its `code` (else `fallback_status`).
pub fn google_error(err: &ErrorIn<'_>, fallback_status: u16) -> ProxyError {
    let status = err
        .code
        .and_then(|c| c.get().parse::<u16>().ok())
        .filter(|s| (400..=599).contains(s))
        .unwrap_or(fallback_status);
    let status_name = err.status.as_deref().unwrap_or_default();
    let (kind, code) = match GOOGLE_STATUSES.iter().find(|(name, ..)| *name == status_name) {
        Some(&(_, kind, code)) => (kind, Some(code)),
        None => (kind_for_status(status), None),
    };
    // An `ErrorInfo` detail: `{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID",...}`.
    let bad_key = err.details.is_some_and(|d| d.get().contains("\"API_KEY_INVALID\""));
    let (kind, code) = if bad_key { ("authentication_error", Some("invalid_api_key")) } else { (kind, code) };
    let message = non_empty(&err.message).map_or_else(|| format!("upstream error (HTTP {status})"), str::to_string);
    ProxyError { status, kind, message, param: None, code }
}

/// Google's canonical status names → OpenAI error type and code (a table: smaller code than a
/// `match` on strings).
static GOOGLE_STATUSES: [(&str, &str, &str); 16] = [
    ("INVALID_ARGUMENT", "invalid_request_error", "invalid_argument"),
    ("FAILED_PRECONDITION", "invalid_request_error", "failed_precondition"),
    ("OUT_OF_RANGE", "invalid_request_error", "out_of_range"),
    ("ALREADY_EXISTS", "invalid_request_error", "already_exists"),
    ("UNAUTHENTICATED", "authentication_error", "unauthenticated"),
    ("PERMISSION_DENIED", "permission_error", "permission_denied"),
    ("NOT_FOUND", "not_found_error", "not_found"),
    ("RESOURCE_EXHAUSTED", "rate_limit_error", "resource_exhausted"),
    ("UNAVAILABLE", "api_error", "unavailable"),
    ("INTERNAL", "api_error", "internal"),
    ("DEADLINE_EXCEEDED", "api_error", "deadline_exceeded"),
    ("UNKNOWN", "api_error", "unknown"),
    ("ABORTED", "api_error", "aborted"),
    ("CANCELLED", "api_error", "cancelled"),
    ("DATA_LOSS", "api_error", "data_loss"),
    ("UNIMPLEMENTED", "api_error", "unimplemented"),
];

fn kind_for_status(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

fn non_empty<'s>(s: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    s.as_deref().filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Input views: one per Gemini object kind, shared with the stream translator (each SSE event is
// a whole `GenerateContentResponse`). Read by hand (a derived `Deserialize` costs kilobytes of
// Wasm per struct), with serde's semantics: an absent or `null` member is `None`, unknown members
// are ignored, and a member of the wrong type anywhere makes the whole response unreadable (a
// duplicated member: the last wins). Everything is read before anything is translated, so an
// unreadable response never yields part of a translation.

/// A `GenerateContentResponse`, or a Google error body (`error`).
pub struct ResponseIn<'a> {
    /// Empty when absent or `null`.
    pub candidates: Vec<CandidateIn<'a>>,
    pub prompt_feedback: Option<PromptFeedbackIn<'a>>,
    pub usage_metadata: Option<UsageIn>,
    pub model_version: Option<Cow<'a, str>>,
    pub response_id: Option<Cow<'a, str>>,
    pub error: Option<ErrorIn<'a>>,
}

/// The JSON text `text` as a `GenerateContentResponse`; `Err` when it is not a JSON object of
/// that shape (`is_json` then tells malformed JSON from a shape we cannot read). One pass over
/// the text down to the parts (a stream reads every event so); only small objects (a function
/// call, usage, feedback, error) are read again from their text.
pub fn response_in(text: &str) -> Result<ResponseIn<'_>, WrongType> {
    let mut m = [None; 6];
    let mut candidates = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(Reader(Target::Response(&mut m, &mut candidates))).map_err(|_| WrongType)?;
    de.end().map_err(|_| WrongType)?;
    let [_, feedback, usage, model_version, response_id, error] = m;
    Ok(ResponseIn {
        candidates,
        prompt_feedback: feedback.map(prompt_feedback_in).transpose()?,
        usage_metadata: usage.map(usage_in).transpose()?,
        model_version: opt_str(model_version)?,
        response_id: opt_str(response_id)?,
        error: error.map(error_in).transpose()?,
    })
}

/// Whether `text` is valid JSON (to say why `response_in` failed).
pub fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

#[derive(Default)]
pub struct CandidateIn<'a> {
    /// `content.parts`; empty when either is absent or `null`.
    pub parts: Vec<PartIn<'a>>,
    pub finish_reason: Option<Cow<'a, str>>,
    pub index: Option<u32>,
}

#[derive(Default)]
pub struct PartIn<'a> {
    pub text: Option<Cow<'a, str>>,
    pub thought: Option<bool>,
    pub thought_signature: Option<Cow<'a, str>>,
    pub function_call: Option<FunctionCallIn<'a>>,
}

const RESPONSE_KEYS: &[&str] =
    &["candidates", "promptFeedback", "usageMetadata", "modelVersion", "responseId", "error"];
const CANDIDATE_KEYS: &[&str] = &["content", "finishReason", "index"];
const CONTENT_KEYS: &[&str] = &["parts"];
const PART_KEYS: &[&str] = &["text", "thought", "thoughtSignature", "functionCall"];

/// What [`Reader`] reads, and where it puts it.
enum Target<'s, 'a> {
    /// The response object: `candidates` into the list, the other members (by `RESPONSE_KEYS`)
    /// as raw values.
    Response(&'s mut [Option<&'a RawValue>; 6], &'s mut Vec<CandidateIn<'a>>),
    /// `candidates` (`null` = none).
    Candidates(&'s mut Vec<CandidateIn<'a>>),
    Candidate(&'s mut CandidateIn<'a>),
    /// A candidate's `content` (`null` = no parts).
    Content(&'s mut Vec<PartIn<'a>>),
    /// `content.parts` (`null` = none).
    Parts(&'s mut Vec<PartIn<'a>>),
    Part(&'s mut PartIn<'a>),
}

/// Reads one level of a response straight from the deserializer (no re-scan of nested text):
/// one visitor type for every level, so serde_json's code is instantiated once.
struct Reader<'s, 'a>(Target<'s, 'a>);

fn shape<E: serde::de::Error>(_: WrongType) -> E {
    E::custom("unexpected shape")
}

impl<'a> DeserializeSeed<'a> for Reader<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'a>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_option(self)
    }
}

impl<'a> Visitor<'a> for Reader<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Gemini response")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        match self.0 {
            Target::Candidates(_) | Target::Content(_) | Target::Parts(_) => Ok(()),
            _ => Err(E::custom("unexpected null")),
        }
    }

    fn visit_some<D: Deserializer<'a>>(self, de: D) -> Result<(), D::Error> {
        match self.0 {
            Target::Candidates(_) | Target::Parts(_) => de.deserialize_seq(self),
            _ => de.deserialize_map(self),
        }
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.0 {
            Target::Candidates(list) => loop {
                let mut c = CandidateIn::default();
                if seq.next_element_seed(Reader(Target::Candidate(&mut c)))?.is_none() {
                    return Ok(());
                }
                list.push(c);
            },
            Target::Parts(list) => loop {
                let mut p = PartIn::default();
                if seq.next_element_seed(Reader(Target::Part(&mut p)))?.is_none() {
                    return Ok(());
                }
                list.push(p);
            },
            _ => Err(<A::Error as serde::de::Error>::custom("unexpected array")),
        }
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        let keys = match &self.0 {
            Target::Response(..) => RESPONSE_KEYS,
            Target::Candidate(_) => CANDIDATE_KEYS,
            Target::Content(_) => CONTENT_KEYS,
            Target::Part(_) => PART_KEYS,
            Target::Candidates(_) | Target::Parts(_) => &[],
        };
        let mut slots: [Option<&'a RawValue>; 6] = [None; 6];
        let mut target = self.0;
        while let Some(i) = map.next_key_seed(Key(keys))? {
            match (&mut target, i) {
                (Target::Response(_, list), Some(0)) => {
                    list.clear();
                    map.next_value_seed(Reader(Target::Candidates(list)))?;
                }
                (Target::Candidate(c), Some(0)) => {
                    c.parts.clear();
                    map.next_value_seed(Reader(Target::Content(&mut c.parts)))?;
                }
                (Target::Content(parts), Some(0)) => {
                    parts.clear();
                    map.next_value_seed(Reader(Target::Parts(parts)))?;
                }
                (_, i) => {
                    let value: &'a RawValue = map.next_value()?;
                    if let Some(slot) = i.and_then(|i| slots.get_mut(i)) {
                        *slot = (value.get() != "null").then_some(value);
                    }
                }
            }
        }
        match target {
            Target::Response(m, _) => *m = slots,
            Target::Candidate(c) => {
                let [_, finish_reason, index, ..] = slots;
                c.finish_reason = opt_str(finish_reason).map_err(shape)?;
                c.index = match index {
                    Some(raw) => {
                        Some(as_u64(raw).and_then(|i| u32::try_from(i).map_err(|_| WrongType)).map_err(shape)?)
                    }
                    None => None,
                };
            }
            Target::Part(p) => *p = part_from(slots).map_err(shape)?,
            _ => {}
        }
        Ok(())
    }
}

/// A part from its members (`PART_KEYS` order).
fn part_from<'a>(slots: [Option<&'a RawValue>; 6]) -> Result<PartIn<'a>, WrongType> {
    let [text, thought, signature, call, ..] = slots;
    let thought = match thought.map(RawValue::get) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(WrongType),
    };
    let function_call = match call {
        Some(call) => {
            let mut c = [None; 3];
            read_members(call.get(), &["id", "name", "args"], &mut c)?;
            let [id, name, args] = c;
            Some(FunctionCallIn { id: opt_str(id)?, name: opt_str(name)?, args })
        }
        None => None,
    };
    Ok(PartIn { text: opt_str(text)?, thought, thought_signature: opt_str(signature)?, function_call })
}

pub struct FunctionCallIn<'a> {
    pub id: Option<Cow<'a, str>>,
    pub name: Option<Cow<'a, str>>,
    /// Any JSON value but `null`.
    pub args: Option<&'a RawValue>,
}

pub struct PromptFeedbackIn<'a> {
    pub block_reason: Option<Cow<'a, str>>,
    /// Vertex AI only.
    pub block_reason_message: Option<Cow<'a, str>>,
}

fn prompt_feedback_in(raw: &RawValue) -> Result<PromptFeedbackIn<'_>, WrongType> {
    let mut m = [None; 2];
    read_members(raw.get(), &["blockReason", "blockReasonMessage"], &mut m)?;
    let [reason, message] = m;
    Ok(PromptFeedbackIn { block_reason: opt_str(reason)?, block_reason_message: opt_str(message)? })
}

/// Gemini `usageMetadata` (cumulative in streams: the last one wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageIn {
    pub prompt_token_count: Option<u64>,
    pub candidates_token_count: Option<u64>,
    pub thoughts_token_count: Option<u64>,
    pub tool_use_prompt_token_count: Option<u64>,
    pub cached_content_token_count: Option<u64>,
    pub total_token_count: Option<u64>,
}

/// A `usageMetadata` object; `Err` when it is not an object or a count is not a `u64`.
pub fn usage_in(raw: &RawValue) -> Result<UsageIn, WrongType> {
    let mut m = [None; 6];
    let keys = [
        "promptTokenCount",
        "candidatesTokenCount",
        "thoughtsTokenCount",
        "toolUsePromptTokenCount",
        "cachedContentTokenCount",
        "totalTokenCount",
    ];
    read_members(raw.get(), &keys, &mut m)?;
    let [prompt, candidates, thoughts, tool_use, cached, total] = m;
    Ok(UsageIn {
        prompt_token_count: prompt.map(as_u64).transpose()?,
        candidates_token_count: candidates.map(as_u64).transpose()?,
        thoughts_token_count: thoughts.map(as_u64).transpose()?,
        tool_use_prompt_token_count: tool_use.map(as_u64).transpose()?,
        cached_content_token_count: cached.map(as_u64).transpose()?,
        total_token_count: total.map(as_u64).transpose()?,
    })
}

/// A Google error object (`google.rpc.Status` as JSON).
pub struct ErrorIn<'a> {
    /// The HTTP status (a number; read leniently: any JSON value but `null`).
    pub code: Option<&'a RawValue>,
    pub message: Option<Cow<'a, str>>,
    pub status: Option<Cow<'a, str>>,
    /// Only scanned for an `ErrorInfo` reason (never copied: `DebugInfo` may echo the API key).
    pub details: Option<&'a RawValue>,
}

/// A Google error object; `Err` when it is not an object or `message` / `status` is not a string.
pub fn error_in(raw: &RawValue) -> Result<ErrorIn<'_>, WrongType> {
    let mut m = [None; 4];
    read_members(raw.get(), &["code", "message", "status", "details"], &mut m)?;
    let [code, message, status, details] = m;
    Ok(ErrorIn { code, message: opt_str(message)?, status: opt_str(status)?, details })
}

// ---------------------------------------------------------------------------------------------
// Output, written by hand (compact JSON, members in this order).

/// An OpenAI tool call (with `index` for a stream delta).
#[derive(Debug)]
pub struct ToolCallOut<'a> {
    pub index: Option<u32>,
    pub id: String,
    pub name: &'a str,
    pub arguments: String,
    /// The part's `thoughtSignature`: `"extra_content":{"google":{"thought_signature":…}}`.
    pub signature: Option<&'a str>,
}

impl ToolCallOut<'_> {
    /// `{"index"?,"id","type":"function","function":{"name","arguments"},"extra_content"?}`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        if let Some(index) = self.index {
            let _ = write!(out, "\"index\":{index},");
        }
        out.extend_from_slice(b"\"id\":");
        write_str(out, &self.id);
        out.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
        write_str(out, self.name);
        out.extend_from_slice(b",\"arguments\":");
        write_str(out, &self.arguments);
        out.push(b'}');
        if let Some(signature) = self.signature {
            out.push(b',');
            write_extra_content(out, signature);
        }
        out.push(b'}');
    }
}

/// `"extra_content":{"google":{"thought_signature":…}}`.
pub fn write_extra_content(out: &mut Vec<u8>, signature: &str) {
    out.extend_from_slice(b"\"extra_content\":{\"google\":{\"thought_signature\":");
    write_str(out, signature);
    out.extend_from_slice(b"}}");
}

pub use crate::json::write_str;

/// OpenAI `usage` at the end of `out`.
pub fn write_usage(out: &mut Vec<u8>, usage: &UsageOut) {
    usage.write(out);
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
