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

/// Writes one embedding vector: the upstream's numbers copied as written, or OpenAI's base64
/// form (little-endian float32). `scratch` is reused between vectors. A value that is not a
/// number is a bad upstream answer.
pub fn write_vector(
    values: &[&RawValue],
    base64: bool,
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<(), ProxyError> {
    let not_numbers = || ProxyError::bad_upstream("the upstream embedding values are not numbers");
    if base64 {
        scratch.clear();
        for v in values {
            // Through f64 (whose parser the module has anyway): a decimal exactly between two
            // float32 values may round 1 ulp differently than a direct parse would.
            let f: f64 = v.get().parse().map_err(|_| not_numbers())?;
            scratch.extend_from_slice(&(f as f32).to_le_bytes());
        }
        out.push(b'"');
        encode_base64(scratch, out);
        out.push(b'"');
    } else {
        out.push(b'[');
        for (j, v) in values.iter().enumerate() {
            let text = v.get();
            if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                return Err(not_numbers());
            }
            if j > 0 {
                out.push(b',');
            }
            out.extend_from_slice(text.as_bytes());
        }
        out.push(b']');
    }
    Ok(())
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
