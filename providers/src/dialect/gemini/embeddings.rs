//! OpenAI embeddings ⇄ Gemini `batchEmbedContents`
//! (<https://ai.google.dev/api/embeddings#method:-models.batchembedcontents>).
//!
//! Request: each input becomes one `EmbedContentRequest`
//! `{"model":"models/<model>","content":{"parts":[{"text":…}]}}` in `requests`, in order (the
//! input strings are copied as JSON text, escapes and all).
//! - `input`: a string or an array of strings; token-id arrays (OpenAI lets clients send
//!   pre-tokenised input) → 400: Gemini embeds text only. An empty array → 400.
//! - `dimensions` (a positive integer) → `outputDimensionality` on every request.
//! - `encoding_format`: `float` or `base64` (else 400); it shapes the response, not the request:
//!   `build` reports it, `translate_response_encoded` applies it.
//! - `user` is dropped (Gemini has no such field).
//! - `task_type` (LiteLLM's name for Gemini's task type) → `taskType`, unless the client sent
//!   `taskType` itself.
//! - Any other member (`taskType`, `title`, …: fields of Gemini's `EmbedContentRequest` that
//!   OpenAI lacks) is copied verbatim into every request; `null` members are not sent.
//!
//! Response: `{"embeddings":[{"values":[…]}]}` → `{"object":"list","data":[{"object":"embedding",
//! "index":i,"embedding":[…]}],"model":ctx.model,"usage":{…}}`, one entry per embedding in
//! Gemini's order (the order of the inputs). The numbers are copied as Gemini wrote them (no
//! float round trip), or, for `encoding_format: base64`, encoded like OpenAI does: the
//! little-endian float32 bytes, in standard base64. `batchEmbedContents` reports no token usage,
//! so `usage` is `{"prompt_tokens":0,"total_tokens":0}` (OpenAI's shape; clients read it), unless
//! a `usageMetadata.promptTokenCount` is present, which is then used.

use crate::dialect::gemini::response::{error_in, google_error, usage_in};
use crate::dialect::{TranslateCtx, Translated};
use crate::error::ProxyError;
use crate::json::ObjectView;
use serde_json::value::RawValue;
use std::io::Write;

/// Members translated or dropped here: never copied into the requests.
const HANDLED: &[&str] = &["model", "input", "dimensions", "encoding_format", "user", "task_type", "content"];

/// An OpenAI embeddings body (a JSON object) → a `batchEmbedContents` body for `model`.
#[cfg(test)]
pub fn build_request(body: &[u8], model: &str) -> Result<Vec<u8>, ProxyError> {
    let view = ObjectView::parse(body).map_err(|e| match e {
        crate::json::ViewError::Malformed(m) => {
            ProxyError::invalid_request(format!("the request body is not valid JSON: {m}"))
        }
        crate::json::ViewError::NotAnObject => ProxyError::invalid_request("the request body must be a JSON object"),
    })?;
    build(&view, model).map(|t| t.body)
}

/// The same over the parsed body, with whether the client wants base64 vectors.
pub fn build(view: &ObjectView<'_>, model: &str) -> Result<Translated, ProxyError> {
    let body = view.input();
    let base64 = crate::dialect::embeddings::encoding(view)?;

    // The inputs, as JSON string texts.
    let texts = crate::dialect::embeddings::input_texts(view, "Gemini")?;

    // What every request carries after its content.
    let mut tail = Vec::new();
    let dimensions = crate::dialect::embeddings::dimensions(view)?;
    if let Some(d) = dimensions {
        let _ = write!(tail, ",\"outputDimensionality\":{d}");
    }
    if !view.contains("taskType") {
        if let Some(task) = view.get("task_type").filter(|raw| raw.get() != "null") {
            tail.extend_from_slice(b",\"taskType\":");
            tail.extend_from_slice(task.get().as_bytes());
        }
    }
    for m in view.members() {
        let last = view.get(&m.key).is_some_and(|v| std::ptr::eq(v, m.value));
        let replaced = m.key == "outputDimensionality" && dimensions.is_some();
        if last && !replaced && m.value.get() != "null" && !HANDLED.contains(&m.key.as_ref()) {
            tail.push(b',');
            tail.extend_from_slice(&crate::json::string_value(&m.key));
            tail.push(b':');
            tail.extend_from_slice(m.value.get().as_bytes());
        }
    }

    let name = if model.starts_with("models/") { model.to_string() } else { format!("models/{model}") };
    let name = crate::json::string_value(&name);
    // Every input repeats the model and the extra members: bounded, so that a small body cannot
    // become a huge one (an allocation failure traps the VM).
    let size =
        texts.iter().map(|t| t.get().len()).sum::<usize>() + texts.len().saturating_mul(name.len() + tail.len() + 48);
    if size > body.len().saturating_mul(8).max(1 << 20) {
        return Err(ProxyError::invalid_request(format!(
            "{} inputs, each repeating {} bytes of other members, make a {size}-byte request for Gemini: \
             send fewer inputs or fewer members",
            texts.len(),
            tail.len()
        ))
        .with_param("input"));
    }
    let mut out = Vec::with_capacity(body.len() + texts.len() * (name.len() + tail.len() + 48) + 16);
    out.extend_from_slice(b"{\"requests\":[");
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"model\":");
        out.extend_from_slice(&name);
        out.extend_from_slice(b",\"content\":{\"parts\":[{\"text\":");
        out.extend_from_slice(text.get().as_bytes());
        out.extend_from_slice(b"}]}");
        out.extend_from_slice(&tail);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    Ok(Translated { body: out, base64, ..Translated::default() })
}

/// A `batchEmbedContents` response → an OpenAI embeddings list, embeddings as float arrays.
pub fn translate_response(body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    translate_response_encoded(body, ctx, false)
}

/// A `batchEmbedContents` response → an OpenAI embeddings list, embeddings as float arrays or,
/// with `base64`, as base64 strings of their little-endian float32 bytes.
pub fn translate_response_encoded(body: &[u8], ctx: &TranslateCtx, base64: bool) -> Result<Vec<u8>, ProxyError> {
    // Read through `ObjectView` and `&RawValue` lists (instantiated anyway) rather than with
    // structs of our own: every derived `Deserialize` costs Wasm code.
    let bad = || ProxyError::bad_upstream("the upstream response is not a valid Gemini embeddings response");
    let view = ObjectView::parse(body).map_err(|_| bad())?;
    if let Some(err) = view.get("error").and_then(|raw| error_in(raw).ok()) {
        return Err(google_error(&err, 502));
    }
    let embeddings: Vec<&RawValue> = view
        .get("embeddings")
        .ok_or_else(|| ProxyError::bad_upstream("the upstream response has no embeddings"))
        .and_then(|raw| serde_json::from_str(raw.get()).map_err(|_| bad()))?;
    let not_numbers = || ProxyError::bad_upstream("the upstream embedding values are not numbers");

    let mut out = Vec::with_capacity(body.len() / 2 + 128 + ctx.model.len());
    out.extend_from_slice(b"{\"object\":\"list\",\"data\":[");
    let mut floats = Vec::new();
    for (i, embedding) in embeddings.iter().enumerate() {
        let values: Vec<&RawValue> =
            match ObjectView::parse(embedding.get().as_bytes()).map_err(|_| bad())?.get("values") {
                Some(raw) => serde_json::from_str(raw.get()).map_err(|_| not_numbers())?,
                None => Vec::new(),
            };
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{{\"object\":\"embedding\",\"index\":{i},\"embedding\":");
        crate::dialect::embeddings::write_vector(&values, base64, &mut floats, &mut out)?;
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"model\":");
    out.extend_from_slice(&crate::json::string_value(&ctx.model));
    let tokens =
        view.get("usageMetadata").and_then(|raw| usage_in(raw).ok()).and_then(|u| u.prompt_token_count).unwrap_or(0);
    let _ = write!(out, ",\"usage\":{{\"prompt_tokens\":{tokens},\"total_tokens\":{tokens}}}}}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn ctx() -> TranslateCtx {
        TranslateCtx {
            model: "gemini-embedding-001".into(),
            created: 1_700_000_000,
            random: 0,
            include_usage: false,
            ..TranslateCtx::default()
        }
    }

    fn build(body: &str) -> Result<String, ProxyError> {
        build_request(body.as_bytes(), "gemini-embedding-001").map(|b| String::from_utf8(b).unwrap())
    }

    /// Members repeated into every input cannot make a small body huge (the helpers' review
    /// measured a 106 KB body becoming 200 MB); ordinary batches pass.
    #[test]
    fn repeated_members_are_bounded() {
        let inputs = vec!["a"; 2000];
        let big = json!({"model": "m", "input": inputs, "extra": "x".repeat(50_000)});
        let err = build(&big.to_string()).expect_err("amplified");
        assert_eq!(err.status, 400);
        assert!(err.message.contains("fewer inputs"), "{}", err.message);
        let ok = json!({"model": "m", "input": vec!["some text"; 2048], "taskType": "RETRIEVAL_QUERY"});
        assert!(build(&ok.to_string()).is_ok());
    }

    #[test]
    fn builds_requests() {
        let cases: Vec<(&str, &str, &str)> = vec![
            (
                "one string",
                r#"{"model":"text-embedding-3-small","input":"What is the meaning of life?"}"#,
                r#"{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"What is the meaning of life?"}]}}]}"#,
            ),
            (
                "array, dimensions, float format, user dropped, escapes kept verbatim",
                r#"{"input":["a\nb", "caf\u00e9 \"x\""],"model":"m","dimensions":768,"encoding_format":"float","user":"u-1"}"#,
                r#"{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a\nb"}]},"outputDimensionality":768},{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"caf\u00e9 \"x\""}]},"outputDimensionality":768}]}"#,
            ),
            (
                "task_type → taskType; Gemini fields pass into every request; dimensions replace outputDimensionality",
                r#"{"input":["q1","q2"],"model":"m","task_type":"RETRIEVAL_QUERY","title":"Doc","outputDimensionality":3,"dimensions":256,"encoding_format":"base64","extra":null}"#,
                r#"{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"q1"}]},"outputDimensionality":256,"taskType":"RETRIEVAL_QUERY","title":"Doc"},{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"q2"}]},"outputDimensionality":256,"taskType":"RETRIEVAL_QUERY","title":"Doc"}]}"#,
            ),
            (
                "client taskType wins over task_type; outputDimensionality passes without dimensions",
                r#"{"input":"d","taskType":"RETRIEVAL_DOCUMENT","task_type":"CLUSTERING","outputDimensionality":3,"dimensions":null}"#,
                r#"{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"d"}]},"taskType":"RETRIEVAL_DOCUMENT","outputDimensionality":3}]}"#,
            ),
        ];
        for (name, req, want) in cases {
            let got = build(req).unwrap();
            assert_eq!(got, want, "{name}");
            serde_json::from_str::<Value>(&got).unwrap();
        }
        // An already-qualified model name is not prefixed twice.
        let got = String::from_utf8(build_request(br#"{"input":"x"}"#, "models/text-embedding-004").unwrap()).unwrap();
        assert!(got.starts_with(r#"{"requests":[{"model":"models/text-embedding-004","#), "{got}");
    }

    #[test]
    fn rejects_what_gemini_cannot_take() {
        let cases: Vec<(&str, Option<&str>, &str)> = vec![
            (r#"{"model":"m"}"#, Some("input"), "required"),
            (r#"{"input":null}"#, Some("input"), "required"),
            (r#"{"input":[]}"#, Some("input"), "empty"),
            (r#"{"input":[1212, 318]}"#, Some("input"), "token ids"),
            (r#"{"input":[[1212, 318],[257]]}"#, Some("input"), "token ids"),
            (r#"{"input":["ok", 3]}"#, Some("input"), "token ids"),
            (r#"{"input":{"text":"x"}}"#, Some("input"), "token ids"),
            (r#"{"input":"x","dimensions":0}"#, Some("dimensions"), "positive integer"),
            (r#"{"input":"x","dimensions":"256"}"#, Some("dimensions"), "positive integer"),
            (r#"{"input":"x","dimensions":2.5}"#, Some("dimensions"), "positive integer"),
            (r#"{"input":"x","encoding_format":"int8"}"#, Some("encoding_format"), "`float` or `base64`"),
            (r#"{"input":"x","encoding_format":1}"#, Some("encoding_format"), "`float` or `base64`"),
            ("[1]", None, "JSON object"),
            ("{", None, "not valid JSON"),
        ];
        for (req, param, needle) in cases {
            let e = build(req).unwrap_err();
            assert_eq!((e.status, e.param), (400, param), "{req}");
            assert!(e.message.contains(needle), "{req}: {}", e.message);
        }
    }

    #[test]
    fn detects_base64() {
        let base64 = |body: &str| super::build(&ObjectView::parse(body.as_bytes()).unwrap(), "m").map(|t| t.base64);
        assert_eq!(base64(r#"{"input":"x","encoding_format":"base64"}"#), Ok(true));
        assert_eq!(base64(r#"{"input":"x","encoding_format":"float"}"#), Ok(false));
        assert_eq!(base64(r#"{"input":"x"}"#), Ok(false));
        assert!(base64(r#"{"input":"x","encoding_format":"int8"}"#).is_err());
    }

    #[test]
    fn translates_responses_keeping_number_text() {
        // Google pretty-prints; numbers keep their spelling.
        let body = b"{\n  \"embeddings\": [\n    {\n      \"values\": [\n        0.0123,\n        -0.00051789,\n        1e-05\n      ]\n    },\n    {\n      \"values\": [\n        -0.2, 0\n      ]\n    }\n  ]\n}\n";
        let out = translate_response(body, &ctx()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0123,-0.00051789,1e-05]},{"object":"embedding","index":1,"embedding":[-0.2,0]}],"model":"gemini-embedding-001","usage":{"prompt_tokens":0,"total_tokens":0}}"#
        );
        // Usage when Gemini reports it.
        let out =
            translate_response(br#"{"embeddings":[{"values":[1]}],"usageMetadata":{"promptTokenCount":9}}"#, &ctx())
                .unwrap();
        let v: Value = crate::json::from_bytes(&out).unwrap();
        assert_eq!(v["usage"], json!({"prompt_tokens":9,"total_tokens":9}));
        // An empty list stays an empty list.
        let v: Value = crate::json::from_bytes(&translate_response(br#"{"embeddings":[]}"#, &ctx()).unwrap()).unwrap();
        assert_eq!(v["data"], json!([]));
    }

    #[test]
    fn base64_is_little_endian_float32() {
        let body = br#"{"embeddings":[{"values":[1.0,-2.5,0.1]},{"values":[]}]}"#;
        let v: Value = crate::json::from_bytes(&translate_response_encoded(body, &ctx(), true).unwrap()).unwrap();
        let mut bytes = Vec::new();
        for f in [1.0f32, -2.5, 0.1] {
            bytes.extend_from_slice(&f.to_le_bytes());
        }
        let mut want = Vec::new();
        crate::dialect::embeddings::encode_base64(&bytes, &mut want);
        assert_eq!(v["data"][0]["embedding"], String::from_utf8(want).unwrap());
        assert_eq!(v["data"][0]["embedding"], "AACAPwAAIMDNzMw9");
        assert_eq!(v["data"][1]["embedding"], "");
        // RFC 4648 test vectors.
        for (input, want) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")]
        {
            let mut out = Vec::new();
            crate::dialect::embeddings::encode_base64(input.as_bytes(), &mut out);
            assert_eq!(out, want.as_bytes(), "{input}");
        }
    }

    #[test]
    fn unreadable_responses_are_bad_upstream() {
        for body in [
            &b"nope"[..],
            b"[]",
            b"{}",
            br#"{"embeddings":[{"values":["a"]}]}"#,
            br#"{"embeddings":[{"values":[null]}]}"#,
            br#"{"embeddings":{"values":[1]}}"#,
        ] {
            let e = translate_response(body, &ctx()).unwrap_err();
            assert_eq!((e.status, e.kind), (502, "api_error"), "{}", String::from_utf8_lossy(body));
        }
        let e = translate_response_encoded(br#"{"embeddings":[{"values":["a"]}]}"#, &ctx(), true).unwrap_err();
        assert_eq!(e.status, 502);
        let e =
            translate_response(br#"{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}"#, &ctx())
                .unwrap_err();
        assert_eq!((e.status, e.kind, e.message.as_str()), (429, "rate_limit_error", "quota"));
        // An `error` or `usageMetadata` of the wrong shape is ignored.
        let out = translate_response(
            br#"{"embeddings":[{"values":[1]}],"error":{"message":5},"usageMetadata":{"promptTokenCount":-1}}"#,
            &ctx(),
        )
        .unwrap();
        let v: Value = crate::json::from_bytes(&out).unwrap();
        assert_eq!(v["usage"], json!({"prompt_tokens":0,"total_tokens":0}));
        let e = translate_response(br#"{"error":"x"}"#, &ctx()).unwrap_err();
        assert_eq!(e.message, "the upstream response has no embeddings");
    }
}
