//! What every embeddings translator shares: the client's `encoding_format`, and OpenAI's
//! base64 form (little-endian float32, standard base64).

use crate::error::ProxyError;
use crate::json::ObjectView;
use base64::Engine;
use serde_json::value::RawValue;

/// `encoding_format`: `Ok(true)` for `base64`, `Ok(false)` for `float` or none, else a 400.
pub fn encoding(view: &ObjectView<'_>) -> Result<bool, ProxyError> {
    let bad =
        || ProxyError::invalid_request("`encoding_format` must be `float` or `base64`").with_param("encoding_format");
    match view.get_str("encoding_format").map_err(|_| bad())?.as_deref() {
        None | Some("float") => Ok(false),
        Some("base64") => Ok(true),
        Some(_) => Err(bad()),
    }
}

/// `input` as JSON string texts: a string or an array of strings. Token ids (which `provider`
/// cannot embed), a missing or an empty input are 400s.
pub fn input_texts<'a>(view: &ObjectView<'a>, provider: &str) -> Result<Vec<&'a RawValue>, ProxyError> {
    let input = view
        .get("input")
        .filter(|raw| raw.get() != "null")
        .ok_or_else(|| ProxyError::invalid_request("`input` is required").with_param("input"))?;
    let token_ids = || {
        ProxyError::invalid_request(format!(
            "`input` must be a string or an array of strings: {provider} embeds text, not token ids"
        ))
        .with_param("input")
    };
    let texts: Vec<&RawValue> = if input.get().starts_with('"') {
        vec![input]
    } else {
        let items: Vec<&RawValue> = serde_json::from_str(input.get()).map_err(|_| token_ids())?;
        if items.iter().any(|t| !t.get().starts_with('"')) {
            return Err(token_ids());
        }
        items
    };
    if texts.is_empty() {
        return Err(ProxyError::invalid_request("`input` must not be empty").with_param("input"));
    }
    Ok(texts)
}

/// `dimensions`: a positive integer, or absent.
pub fn dimensions(view: &ObjectView<'_>) -> Result<Option<u64>, ProxyError> {
    match view.get("dimensions").filter(|raw| raw.get() != "null") {
        Some(raw) => match raw.get().parse::<u64>() {
            Ok(d) if d > 0 => Ok(Some(d)),
            _ => Err(ProxyError::invalid_request("`dimensions` must be a positive integer").with_param("dimensions")),
        },
        None => Ok(None),
    }
}

/// Whether an embeddings request asks for `encoding_format: base64` (the OpenAI SDKs' default).
pub fn wants_base64(body: &[u8]) -> bool {
    ObjectView::parse(body).ok().is_some_and(|view| encoding(&view).unwrap_or(false))
}

/// Appends `bytes` in standard, padded base64.
pub fn encode_base64(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(bytes).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        for (input, want) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            let mut out = Vec::new();
            encode_base64(input.as_bytes(), &mut out);
            assert_eq!(out, want.as_bytes());
        }
    }
}
