//! Token counting: an OpenAI chat request → `models/{model}:countTokens`
//! (<https://ai.google.dev/api/tokens>) with the whole `generateContentRequest` (so the system
//! instruction and tools are counted too), and `{"totalTokens": N}` → the OpenAI form of a
//! count: a chat completion carrying only `usage`.

use crate::dialect::gemini::{request, GeminiOptions};
use crate::dialect::{TranslateCtx, Translated};
use crate::error::ProxyError;
use crate::json::write_u64;
use crate::json::{read_members, write_str, ObjectView};

/// The `countTokens` body for a chat request, for the mapped `model`.
pub fn build_request(view: &ObjectView<'_>, model: &str, opts: &GeminiOptions) -> Result<Translated, ProxyError> {
    let generate = request::translate_request(view, opts)?.body;
    let members = generate.strip_prefix(b"{").unwrap_or(&generate);
    let mut body = Vec::with_capacity(generate.len() + model.len() + 48);
    body.extend_from_slice(b"{\"generateContentRequest\":{\"model\":");
    let name = if model.starts_with("models/") || model.starts_with("tunedModels/") {
        model.to_string()
    } else {
        format!("models/{model}")
    };
    write_str(&mut body, &name);
    if members != b"}" {
        body.push(b',');
    }
    body.extend_from_slice(members);
    body.push(b'}');
    Ok(Translated { body, ..Translated::default() })
}

/// `{"totalTokens": N, ...}` → `{"object":"chat.completion","choices":[],"usage":{...}}`.
pub fn translate_response(body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    let bad = || ProxyError::bad_upstream("the upstream response is not a Gemini token count");
    let text = std::str::from_utf8(body).map_err(|_| bad())?;
    let mut slots = [None];
    read_members(text, &["totalTokens"], &mut slots).map_err(|_| bad())?;
    let [total] = slots;
    let tokens = total.and_then(|raw| raw.get().parse::<u64>().ok()).ok_or_else(bad)?;
    let mut out = b"{\"object\":\"chat.completion\",\"model\":".to_vec();
    write_str(&mut out, &ctx.model);
    out.extend_from_slice(b",\"choices\":[],\"usage\":{\"prompt_tokens\":");
    write_u64(&mut out, tokens);
    out.extend_from_slice(b",\"completion_tokens\":0,\"total_tokens\":");
    write_u64(&mut out, tokens);
    out.extend_from_slice(b"}}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn counts_the_whole_request() {
        let chat =
            json!({"model":"x","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]})
                .to_string();
        let view = ObjectView::parse(chat.as_bytes()).unwrap();
        let t = build_request(&view, "gemini-2.5-flash", &GeminiOptions::default()).unwrap();
        let body: Value = serde_json::from_slice(&t.body).unwrap();
        assert_eq!(
            body,
            json!({"generateContentRequest": {"model": "models/gemini-2.5-flash",
                "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
                "systemInstruction": {"parts": [{"text": "Be brief."}]}}})
        );
        let ctx = TranslateCtx { model: "gemini-2.5-flash".into(), ..TranslateCtx::default() };
        let out = translate_response(br#"{"totalTokens": 31, "promptTokensDetails": []}"#, &ctx).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["usage"]["prompt_tokens"], 31);
        assert_eq!(translate_response(br#"{"tokens": 3}"#, &ctx).unwrap_err().status, 502);
    }
}
