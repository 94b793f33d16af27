//! Reading OpenAI chat answers, as every ingress must: completions, stream chunks and error
//! bodies, by hand (a derived `Deserialize` costs kilobytes of Wasm per struct). The members
//! read are type-checked as serde would; unknown ones are ignored.

use crate::json::{as_array, as_object, as_str, as_u64, opt_str as json_opt_str, read_members, ObjectView};
use serde_json::value::RawValue;
use std::borrow::Cow;

pub(crate) fn wrong_type(key: &str) -> String {
    format!("invalid type for `{key}`")
}

pub(crate) fn array_of(raw: &RawValue) -> Result<Vec<&RawValue>, String> {
    as_array(raw).map_err(|_| "invalid type, expected an array".to_string())
}

/// The id of a translated answer: `{prefix}_` + the chat completion's id, or the request's
/// random value when the upstream gave none (`msg_…` for Anthropic, `resp_…` for Responses).
pub fn answer_id(prefix: &str, chat_id: Option<&str>, random: u64) -> String {
    match chat_id.filter(|id| !id.is_empty()) {
        Some(id) => format!("{prefix}_{id}"),
        None => format!("{prefix}_{random:016x}"),
    }
}

/// A `chat.completion` or a `chat.completion.chunk`: the members the translations read.
pub struct ChatDoc<'a> {
    pub id: Option<Cow<'a, str>>,
    pub model: Option<Cow<'a, str>>,
    pub choices: Vec<ChoiceIn<'a>>,
    pub usage: Option<ChatUsage>,
    pub error: Option<&'a RawValue>,
}

pub struct ChoiceIn<'a> {
    pub index: Option<u64>,
    /// `message` in a completion, `delta` in a chunk.
    pub message: Option<MsgIn<'a>>,
    pub finish_reason: Option<Cow<'a, str>>,
}

pub struct MsgIn<'a> {
    pub content: Option<&'a RawValue>,
    pub reasoning_content: Option<Cow<'a, str>>,
    pub reasoning: Option<Cow<'a, str>>,
    pub refusal: Option<Cow<'a, str>>,
    pub tool_calls: Vec<CallIn<'a>>,
}

impl MsgIn<'_> {
    /// The reasoning text, wherever the provider put it (`reasoning_content`: DeepSeek, Qwen;
    /// `reasoning`: OpenRouter, vLLM); `None` when empty.
    pub fn reasoning_text(&self) -> Option<&str> {
        let first = self.reasoning_content.as_deref().filter(|r| !r.is_empty());
        first.or_else(|| self.reasoning.as_deref().filter(|r| !r.is_empty()))
    }
}

pub struct CallIn<'a> {
    /// Read in chunks only.
    pub index: Option<u64>,
    pub id: Option<Cow<'a, str>>,
    pub name: Option<Cow<'a, str>>,
    /// A completion's `function.arguments` (any JSON).
    pub arguments: Option<&'a RawValue>,
    /// A chunk's `function.arguments` (a string).
    pub arguments_text: Option<Cow<'a, str>>,
}

/// Reads a completion (`chunk == false`) or a chunk, checking the types of every member read.
pub fn read_chat_doc(text: &str, chunk: bool) -> Result<ChatDoc<'_>, String> {
    let mut slots = [None; 5];
    read_members(text, &["id", "model", "choices", "usage", "error"], &mut slots)
        .map_err(|_| "invalid type, expected an object".to_string())?;
    let [id, model, choices_raw, usage, error] = slots;
    let mut choices = Vec::new();
    if let Some(raw) = choices_raw {
        for item in array_of(raw)? {
            choices.push(read_choice(item, chunk)?);
        }
    }
    let usage = match usage {
        Some(raw) => Some(read_usage(raw)?),
        None => None,
    };
    Ok(ChatDoc { id: slot_str(id, "id")?, model: slot_str(model, "model")?, choices, usage, error })
}

// The nested members are read with `json::read_members` (no allocation; one scan per level):
// a chunk arrives for every streamed token.

/// The members `keys` of the object `raw` (absent or `null`: `None`).
fn members_of<'a, const N: usize>(
    raw: &'a RawValue,
    keys: [&'static str; N],
) -> Result<[Option<&'a RawValue>; N], String> {
    let mut slots = [None; N];
    read_members(raw.get(), &keys, &mut slots).map_err(|_| "invalid type, expected an object".to_string())?;
    Ok(slots)
}

fn slot_str<'a>(slot: Option<&'a RawValue>, key: &str) -> Result<Option<Cow<'a, str>>, String> {
    json_opt_str(slot).map_err(|_| wrong_type(key))
}

fn slot_u64(slot: Option<&RawValue>, key: &str) -> Result<Option<u64>, String> {
    slot.map(as_u64).transpose().map_err(|_| wrong_type(key))
}

fn read_choice(raw: &RawValue, chunk: bool) -> Result<ChoiceIn<'_>, String> {
    let [index, message, finish_reason] =
        members_of(raw, ["index", if chunk { "delta" } else { "message" }, "finish_reason"])?;
    let message = match message {
        Some(raw) => Some(read_msg(raw, chunk)?),
        None => None,
    };
    Ok(ChoiceIn { index: slot_u64(index, "index")?, message, finish_reason: slot_str(finish_reason, "finish_reason")? })
}

fn read_msg(raw: &RawValue, chunk: bool) -> Result<MsgIn<'_>, String> {
    let [content, reasoning_content, reasoning, refusal, calls] =
        members_of(raw, ["content", "reasoning_content", "reasoning", "refusal", "tool_calls"])?;
    let mut tool_calls = Vec::new();
    if let Some(raw) = calls {
        for item in array_of(raw)? {
            tool_calls.push(read_call(item, chunk)?);
        }
    }
    Ok(MsgIn {
        content,
        reasoning_content: slot_str(reasoning_content, "reasoning_content")?,
        reasoning: slot_str(reasoning, "reasoning")?,
        refusal: slot_str(refusal, "refusal")?,
        tool_calls,
    })
}

fn read_call(raw: &RawValue, chunk: bool) -> Result<CallIn<'_>, String> {
    let [index, id, function] = members_of(raw, ["index", "id", "function"])?;
    let mut call = CallIn { index: None, id: slot_str(id, "id")?, name: None, arguments: None, arguments_text: None };
    if chunk {
        call.index = slot_u64(index, "index")?;
    }
    if let Some(raw) = function {
        let [name, arguments] = members_of(raw, ["name", "arguments"])?;
        call.name = slot_str(name, "name")?;
        if chunk {
            call.arguments_text = slot_str(arguments, "arguments")?;
        } else {
            call.arguments = arguments;
        }
    }
    Ok(call)
}

#[derive(Default, Clone, Copy, Debug)]
pub struct ChatUsage {
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// `prompt_tokens_details.cached_tokens`.
    pub cached_tokens: Option<u64>,
    /// DeepSeek's name for cached prompt tokens.
    pub prompt_cache_hit_tokens: Option<u64>,
    /// `completion_tokens_details.reasoning_tokens`.
    pub reasoning_tokens: Option<u64>,
}

impl ChatUsage {
    /// The counts as the OpenAI answer states them (DeepSeek's cache hits as cached tokens).
    pub fn to_openai(&self) -> crate::dialect::openai::UsageOut {
        crate::dialect::openai::UsageOut::from_counts(
            self.prompt_tokens.unwrap_or(0),
            self.completion_tokens.unwrap_or(0),
            None,
            self.cached(),
            self.reasoning_tokens,
        )
    }
}

fn read_usage(raw: &RawValue) -> Result<ChatUsage, String> {
    let [prompt, completion, details, cache_hit, completion_details] = members_of(
        raw,
        [
            "prompt_tokens",
            "completion_tokens",
            "prompt_tokens_details",
            "prompt_cache_hit_tokens",
            "completion_tokens_details",
        ],
    )?;
    let cached_tokens = match details {
        Some(raw) => {
            let [cached] = members_of(raw, ["cached_tokens"])?;
            slot_u64(cached, "cached_tokens")?
        }
        None => None,
    };
    let reasoning_tokens = match completion_details {
        Some(raw) => {
            let [reasoning] = members_of(raw, ["reasoning_tokens"])?;
            slot_u64(reasoning, "reasoning_tokens")?
        }
        None => None,
    };
    Ok(ChatUsage {
        prompt_tokens: slot_u64(prompt, "prompt_tokens")?,
        completion_tokens: slot_u64(completion, "completion_tokens")?,
        cached_tokens,
        prompt_cache_hit_tokens: slot_u64(cache_hit, "prompt_cache_hit_tokens")?,
        reasoning_tokens,
    })
}

impl ChatUsage {
    /// Cached prompt tokens, under either name.
    pub fn cached(&self) -> Option<u64> {
        self.cached_tokens.or(self.prompt_cache_hit_tokens)
    }
}

/// Text of an OpenAI `content`: a string, or the concatenated text parts of an array.
pub fn content_text(raw: Option<&RawValue>) -> Option<Cow<'_, str>> {
    let raw = raw?;
    match raw.get().trim_start().as_bytes().first()? {
        b'"' => as_str(raw).ok(),
        b'[' => {
            // Parts of type `text` (or without a type); any part of another shape reads as none.
            let mut text = String::new();
            for item in as_array(raw).ok()? {
                let part = as_object(item).ok()?;
                let kind = part.get_str("type").ok()?;
                let part_text = part.get_str("text").ok()?;
                if kind.as_deref().is_none_or(|k| k == "text") {
                    text.push_str(part_text.as_deref().unwrap_or_default());
                }
            }
            Some(Cow::Owned(text))
        }
        _ => None,
    }
}

/// A non-empty string value.
fn non_empty_str(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(|r| as_str(r).ok()).filter(|s| !s.is_empty()).map(Cow::into_owned)
}

/// The message of an error body: `error.message`, `error` (a string), `message` or `detail`.
pub fn error_message_of(body: &str) -> Option<String> {
    let view = ObjectView::parse(body.as_bytes()).ok()?;
    let error = view.get("error");
    error
        .and_then(|e| as_object(e).ok())
        .and_then(|e| non_empty_str(e.get("message")))
        .or_else(|| non_empty_str(error))
        .or_else(|| non_empty_str(view.get("message")))
        .or_else(|| non_empty_str(view.get("detail")))
}
