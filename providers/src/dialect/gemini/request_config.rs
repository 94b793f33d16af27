//! `generationConfig` from an OpenAI chat request: sampling, limits, stop sequences, thinking
//! and structured output (a part of `request`, in its own file for length).

use super::*;

/// `reasoning_effort` → `thinkingBudget` (with `includeThoughts`); `none` is budget 0.
const EFFORT_BUDGETS: &[(&str, i64)] =
    &[("minimal", 512), ("low", 1024), ("medium", 8192), ("high", 24576), ("xhigh", 24576)];

/// Object members as (key, JSON text), in order.
type Entries<'a> = Vec<(Cow<'a, str>, Cow<'a, [u8]>)>;

/// The `generationConfig` members, in order.
pub(super) fn generation_config<'a>(view: &ObjectView<'a>, opts: &GeminiOptions) -> Result<Entries<'a>, ProxyError> {
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
