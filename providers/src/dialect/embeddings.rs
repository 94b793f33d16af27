//! What every embeddings translator shares: the client's `encoding_format`, and OpenAI's
//! base64 form (little-endian float32, standard base64).

use crate::error::ProxyError;
use crate::json::ObjectView;
use base64::Engine;

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
