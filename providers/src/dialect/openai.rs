//! The OpenAI wire format, spoken by most providers. Requests get byte-level edits of the few
//! members that change (model, settings, `stream_options`); responses and streams pass
//! through untouched.

use crate::api::ApiKind;
use crate::config::{settings, ProviderConfig};
use crate::dialect::Translated;
use crate::error::ProxyError;
use crate::json::{self, write_u64, Edit, ObjectView, ViewError};
use crate::stream::sse::{Block, SseDecoder, SseError};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A request body ready for the upstream.
#[derive(Debug, Default)]
pub struct Prepared {
    /// `None`: forward the client's bytes.
    pub body: Option<Vec<u8>>,
    pub model: String,
    pub stream: bool,
    /// The client did not ask for stream usage; the gateway did.
    pub usage_injected: bool,
    /// The client asked for stream usage (translated streams then end with a usage chunk).
    pub include_usage: bool,
}

impl Prepared {
    /// A body built by a cross-dialect translator, with the provider's settings applied.
    pub fn translated(t: Translated, model: String, cfg: &ProviderConfig) -> Prepared {
        let body = settings::apply(&cfg.settings, &t.body).unwrap_or(t.body);
        Prepared { body: Some(body), model, stream: t.stream, usage_injected: false, include_usage: t.include_usage }
    }
}

/// Validates the body as a JSON object and returns the upstream model for it (mapped; the
/// `*` target fills a missing model; an empty result is an error where the API needs one).
pub fn mapped_model(api: ApiKind, view: &ObjectView<'_>, cfg: &ProviderConfig) -> Result<String, ProxyError> {
    let requested = view
        .get_str("model")
        .map_err(|_| ProxyError::invalid_request("`model` must be a string").with_param("model"))?
        .unwrap_or(Cow::Borrowed(""));
    let model = cfg.model_map.map(&requested).to_string();
    if model.is_empty() && api.requires_model() {
        return Err(ProxyError::invalid_request("you must provide a model parameter").with_param("model"));
    }
    Ok(model)
}

/// Validates and rewrites an OpenAI request body for an OpenAI-wire upstream.
pub fn prepare_request(api: ApiKind, body: &[u8], cfg: &ProviderConfig) -> Result<Prepared, ProxyError> {
    let with_settings = settings::apply(&cfg.settings, body);
    let current: &[u8] = with_settings.as_deref().unwrap_or(body);
    let view = ObjectView::parse(current).map_err(view_error)?;

    let requested = view
        .get_str("model")
        .map_err(|_| ProxyError::invalid_request("`model` must be a string").with_param("model"))?;
    let requested = requested.unwrap_or(Cow::Borrowed(""));
    let model = cfg.model_map.map(&requested).to_string();
    if model.is_empty() && api.requires_model() {
        return Err(ProxyError::invalid_request("you must provide a model parameter").with_param("model"));
    }
    let stream = view
        .get_bool("stream")
        .map_err(|_| ProxyError::invalid_request("`stream` must be a boolean").with_param("stream"))?
        .unwrap_or(false);

    let mut edits = Vec::new();
    if model != requested {
        edits.push(Edit::Set("model".into(), json::string_value(&model)));
    }
    let mut usage_injected = false;
    if stream && cfg.stream_usage && matches!(api, ApiKind::ChatCompletions | ApiKind::Completions) {
        match view.get("stream_options") {
            None => {
                edits.push(Edit::Set("stream_options".into(), br#"{"include_usage":true}"#.to_vec()));
                usage_injected = true;
            }
            Some(raw) => {
                let opts = ObjectView::parse(raw.get().as_bytes()).map_err(|_| {
                    ProxyError::invalid_request("`stream_options` must be an object").with_param("stream_options")
                })?;
                if !opts.contains("include_usage") {
                    let updated = json::set_path(raw.get().as_bytes(), &["include_usage"], b"true", false)
                        .unwrap_or_else(|| raw.get().as_bytes().to_vec());
                    edits.push(Edit::Set("stream_options".into(), updated));
                    usage_injected = true;
                }
            }
        }
    }
    if api == ApiKind::ChatCompletions && !cfg.spec.developer_role {
        if let Some(messages) = view.get("messages").and_then(developer_as_system) {
            edits.push(Edit::Set("messages".into(), messages));
        }
    }
    let include_usage = stream
        && view
            .get("stream_options")
            .and_then(|o| ObjectView::parse(o.get().as_bytes()).ok())
            .is_some_and(|o| o.get_bool("include_usage") == Ok(Some(true)));
    let body = if edits.is_empty() { with_settings } else { Some(view.apply(&edits)) };
    Ok(Prepared { body, model, stream, usage_injected, include_usage })
}

/// `messages` with every `developer` turn sent as `system`, for providers that reject the
/// `developer` role (OpenAI's newer name for system instructions, which Codex and the Responses
/// clients use); `None` when there is none. The other turns keep their bytes.
fn developer_as_system(messages: &RawValue) -> Option<Vec<u8>> {
    // Most requests have no such turn: a byte search spares them the parse.
    if !messages.get().contains("\"developer\"") {
        return None;
    }
    let items = json::as_objects(messages).ok()?;
    let is_developer = |m: &ObjectView<'_>| m.get_str("role").ok().flatten().as_deref() == Some("developer");
    if !items.iter().any(is_developer) {
        return None;
    }
    let mut out = Vec::with_capacity(messages.get().len());
    out.push(b'[');
    for (i, m) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match is_developer(m) {
            true => out.extend(m.apply(&[Edit::Set("role".into(), b"\"system\"".to_vec())])),
            false => out.extend_from_slice(m.input()),
        }
    }
    out.push(b']');
    Some(out)
}

/// `protocol: original`: the body is the provider's own format. Map `model` when the body
/// is a JSON object with a string model; otherwise forward it untouched.
pub fn prepare_original(body: &[u8], cfg: &ProviderConfig) -> Prepared {
    let with_settings = settings::apply(&cfg.settings, body);
    let current: &[u8] = with_settings.as_deref().unwrap_or(body);
    let Ok(view) = ObjectView::parse(current) else {
        return Prepared { body: with_settings, ..Prepared::default() };
    };
    let requested = view.get_str("model").ok().flatten().unwrap_or(Cow::Borrowed(""));
    let stream = view.get_bool("stream").ok().flatten().unwrap_or(false);
    let model = cfg.model_map.map(&requested).to_string();
    let body = if !requested.is_empty() && model != requested {
        Some(view.apply(&[Edit::Set("model".into(), json::string_value(&model))]))
    } else {
        with_settings
    };
    Prepared { body, model, stream, usage_injected: false, include_usage: false }
}

/// The client's body as a JSON object view; malformed JSON or another JSON type → 400. Parsed
/// once per request: the model mapping and the translators all read this view.
pub fn parse_body(body: &[u8]) -> Result<ObjectView<'_>, ProxyError> {
    ObjectView::parse(body).map_err(view_error)
}

fn view_error(e: ViewError) -> ProxyError {
    match e {
        ViewError::Malformed(msg) => {
            ProxyError::invalid_request(format!("the request body is not valid JSON: {msg}")).with_code("invalid_json")
        }
        ViewError::NotAnObject => ProxyError::invalid_request("the request body must be a JSON object"),
    }
}

/// Drops the usage-only chunk (`"choices":[]` with `usage`) that the upstream sends because
/// the gateway asked for `include_usage` on the client's behalf. Every other block, comments
/// included, is forwarded byte for byte.
#[derive(Debug)]
pub struct UsageChunkFilter {
    decoder: SseDecoder,
    failed: bool,
}

impl Default for UsageChunkFilter {
    fn default() -> Self {
        UsageChunkFilter { decoder: SseDecoder::default().with_raw(), failed: false }
    }
}

impl UsageChunkFilter {
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        let res = self.decoder.feed(chunk, &mut |b| forward_unless_usage(b, out));
        self.fail_on(res, out);
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        let res = self.decoder.finish(&mut |b| forward_unless_usage(b, out));
        self.fail_on(res, out);
    }

    fn fail_on(&mut self, res: Result<(), SseError>, out: &mut Vec<u8>) {
        if let Err(e) = res {
            self.failed = true;
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(&ProxyError::bad_upstream(e.to_string()).to_openai_json());
            out.extend_from_slice(b"\n\ndata: [DONE]\n\n");
        }
    }
}

fn forward_unless_usage(block: Block<'_>, out: &mut Vec<u8>) {
    if let Some(ev) = block.event {
        if is_usage_only(ev.data) {
            return;
        }
    }
    out.extend_from_slice(block.raw);
}

/// `{"choices":[], "usage":{...}}`: cheap substring test first, then a typed look.
fn is_usage_only(data: &str) -> bool {
    if !data.contains("\"usage\"") {
        return false;
    }
    #[derive(serde::Deserialize)]
    struct Probe {
        choices: Option<Vec<serde::de::IgnoredAny>>,
        usage: Option<serde::de::IgnoredAny>,
    }
    matches!(serde_json::from_str::<Probe>(data), Ok(Probe { choices: Some(c), usage: Some(_) }) if c.is_empty())
}

/// The id of the `n`-th (from 0) tool call that came without one.
pub fn tool_call_id(random: u64, n: u64) -> String {
    format!("call_{random:016x}_{n}")
}

/// OpenAI `usage` as the Gemini and DashScope translators write it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UsageOut {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
}

impl UsageOut {
    /// From the counts every dialect reports; `total` defaults to prompt + completion.
    pub fn from_counts(
        prompt: u64,
        completion: u64,
        total: Option<u64>,
        cached: Option<u64>,
        reasoning: Option<u64>,
    ) -> UsageOut {
        UsageOut {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: total.unwrap_or_else(|| prompt.saturating_add(completion)),
            prompt_tokens_details: cached.map(|cached_tokens| PromptTokensDetails { cached_tokens }),
            completion_tokens_details: reasoning.map(|reasoning_tokens| CompletionTokensDetails { reasoning_tokens }),
        }
    }
}

impl UsageOut {
    /// Appends the `usage` object (what serde wrote for it, without serde's machinery: every
    /// translated answer and the last chunk of every stream carries one).
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"prompt_tokens\":");
        write_u64(out, self.prompt_tokens);
        out.extend_from_slice(b",\"completion_tokens\":");
        write_u64(out, self.completion_tokens);
        out.extend_from_slice(b",\"total_tokens\":");
        write_u64(out, self.total_tokens);
        if let Some(d) = &self.prompt_tokens_details {
            out.extend_from_slice(b",\"prompt_tokens_details\":{\"cached_tokens\":");
            write_u64(out, d.cached_tokens);
            out.push(b'}');
        }
        if let Some(d) = &self.completion_tokens_details {
            out.extend_from_slice(b",\"completion_tokens_details\":{\"reasoning_tokens\":");
            write_u64(out, d.reasoning_tokens);
            out.push(b'}');
        }
        out.push(b'}');
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PromptTokensDetails {
    pub cached_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CompletionTokensDetails {
    pub reasoning_tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_written_as_serde_wrote_it() {
        for (cached, reasoning) in [(None, None), (Some(7), None), (None, Some(3)), (Some(0), Some(u64::MAX))] {
            let usage = UsageOut::from_counts(12, 30, None, cached, reasoning);
            let mut out = Vec::new();
            usage.write(&mut out);
            assert_eq!(out, serde_json::to_vec(&usage).unwrap(), "{usage:?}");
        }
    }
}
