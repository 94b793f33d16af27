//! The common rerank API (`/v1/rerank`: Cohere v1/v2 and Jina style) ⇄ DashScope text-rerank
//! (`POST /api/v1/services/rerank/text-rerank/text-rerank`;
//! <https://www.alibabacloud.com/help/en/model-studio/text-rerank-api>).
//!
//! Request: `{"model","query","documents":[…],"top_n"?,"return_documents"?}` →
//! `{"model":…,"input":{"query":…,"documents":[…]},"parameters":{…}}`.
//! - `query` and each document: a string is copied as JSON text (escapes and all); an object
//!   (Cohere v1 `{"text":…}` documents, possibly with other fields such as `title`; Jina
//!   `{"text":…}`) becomes its `text` string, which every DashScope rerank model accepts. An
//!   object with an `image` or `video` member (Jina's multimodal shape, which is also the
//!   document shape of DashScope's `qwen3-vl-rerank`) passes verbatim: only multimodal rerank
//!   models take it, and DashScope's own error explains a mismatch best. Anything else → 400.
//!   `documents` must be a non-empty array.
//! - `top_n` (a positive integer) and `return_documents` (a boolean) → `parameters`, only when
//!   the client sent them (DashScope's defaults: all results, no documents).
//! - Cohere/Jina fields DashScope lacks are dropped: `max_chunks_per_doc`, `max_tokens_per_doc`,
//!   `rank_fields` (v1: we send each document's `text` only), `user`.
//! - Any other member is a DashScope parameter (`instruct` for `qwen3-rerank`, `fps` for
//!   `qwen3-vl-rerank`, …) and is copied verbatim into `parameters`; `null` members are not sent.
//!   `parameters` is left out when there is nothing to put in it.
//!
//! Response: `{"output":{"results":[{"index","relevance_score","document"?}]},"usage":{"total_tokens"},
//! "request_id"}` → `{"id":request_id,"results":[{"index","relevance_score","document"?}],
//! "model":ctx.model,"usage":{"total_tokens":N}}`. This is the union of the two common shapes:
//! Cohere (v1 and v2: `id`, `results`, optional `meta`) and Jina (`model`, `usage.total_tokens`,
//! `results`), so the SDKs of both (and LangChain/LlamaIndex rerankers built on them) read it;
//! Cohere's `meta` is left out (it is optional and DashScope bills tokens, not search units).
//! Results keep DashScope's order (by relevance, highest first); `index`, `relevance_score` and
//! `document` (`{"text":…}`, only when DashScope returned it) are copied as DashScope wrote
//! them. `id` is absent when DashScope sent no `request_id`, `model` when `ctx.model` is empty;
//! `usage.total_tokens` is 0 when DashScope reported none.

use crate::dialect::dashscope::embeddings::{total_tokens, upstream_error, write_other_members, write_parameters};
use crate::dialect::TranslateCtx;
use crate::error::ProxyError;
use crate::json::ObjectView;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::Write;

/// Members translated or dropped here: never copied into `parameters`.
const HANDLED: &[&str] = &[
    "model",
    "query",
    "documents",
    "top_n",
    "return_documents",
    "max_chunks_per_doc",
    "max_tokens_per_doc",
    "rank_fields",
    "user",
];

/// A rerank body (`model`, `query`, `documents`, `top_n`, `return_documents`) → a DashScope
/// text-rerank body for `model`.
#[cfg(test)]
pub fn build_request(body: &[u8], model: &str) -> Result<Vec<u8>, ProxyError> {
    build(&super::embeddings::parse_client_body(body)?, model)
}

/// The same over the parsed body.
pub fn build(view: &ObjectView<'_>, model: &str) -> Result<Vec<u8>, ProxyError> {
    let query = view
        .get("query")
        .filter(|raw| raw.get() != "null")
        .ok_or_else(|| ProxyError::invalid_request("`query` is required").with_param("query"))?;
    let query = item(query).ok_or_else(|| {
        ProxyError::invalid_request("`query` must be a string or an object with a `text` string").with_param("query")
    })?;

    let bad_documents = || {
        ProxyError::invalid_request(
            "`documents` must be an array of strings or of objects with a `text` string (or an `image` or `video`)",
        )
        .with_param("documents")
    };
    let documents: Vec<&RawValue> = match view.get("documents").filter(|raw| raw.get() != "null") {
        Some(raw) => serde_json::from_str(raw.get()).map_err(|_| bad_documents())?,
        None => return Err(ProxyError::invalid_request("`documents` is required").with_param("documents")),
    };
    if documents.is_empty() {
        return Err(ProxyError::invalid_request("`documents` must not be empty").with_param("documents"));
    }
    let documents = documents.into_iter().map(item).collect::<Option<Vec<_>>>().ok_or_else(bad_documents)?;

    let mut params = Vec::new();
    if let Some(raw) = view.get("top_n").filter(|raw| raw.get() != "null") {
        match raw.get().parse::<u64>() {
            Ok(n) if n > 0 => {
                let _ = write!(params, ",\"top_n\":{n}");
            }
            _ => return Err(ProxyError::invalid_request("`top_n` must be a positive integer").with_param("top_n")),
        }
    }
    let return_documents = view.get_bool("return_documents").map_err(|_| {
        ProxyError::invalid_request("`return_documents` must be a boolean").with_param("return_documents")
    })?;
    if let Some(b) = return_documents {
        let _ = write!(params, ",\"return_documents\":{b}");
    }
    write_other_members(view, HANDLED, &[], &mut params);

    let model = crate::json::string_value(model);
    let docs_len: usize = documents.iter().map(|d| d.len() + 1).sum();
    let mut out = Vec::with_capacity(model.len() + query.len() + docs_len + params.len() + 64);
    out.extend_from_slice(b"{\"model\":");
    out.extend_from_slice(&model);
    out.extend_from_slice(b",\"input\":{\"query\":");
    out.extend_from_slice(query.as_bytes());
    out.extend_from_slice(b",\"documents\":[");
    for (i, doc) in documents.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(doc.as_bytes());
    }
    out.extend_from_slice(b"]}");
    write_parameters(&params, &mut out);
    out.push(b'}');
    Ok(out)
}

/// The JSON text DashScope gets for a query or document: a string as is, an object's `text`
/// string, or a multimodal object (`image` / `video`) compacted; `None` for anything else.
fn item(raw: &RawValue) -> Option<Cow<'_, str>> {
    let text = raw.get();
    if text.starts_with('"') {
        return Some(Cow::Borrowed(text));
    }
    let object = ObjectView::parse(text.as_bytes()).ok()?;
    if object.contains("image") || object.contains("video") {
        return Some(Cow::Owned(crate::json::compact(text)));
    }
    object.get("text").map(RawValue::get).filter(|t| t.starts_with('"')).map(Cow::Borrowed)
}

/// A text-rerank response → `{"id","results":[{"index","relevance_score","document"}],"model",
/// "usage"}`.
pub fn translate_response(body: &[u8], ctx: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
    let bad = || ProxyError::bad_upstream("the upstream response is not a valid DashScope text-rerank response");
    let view = ObjectView::parse(body).map_err(|_| bad())?;
    let output = match view.get("output") {
        Some(raw) if raw.get().starts_with('{') => ObjectView::parse(raw.get().as_bytes()).map_err(|_| bad())?,
        _ => return Err(upstream_error(&view, "the upstream response has no rerank results")),
    };
    let results: Vec<&RawValue> = output
        .get("results")
        .ok_or_else(|| ProxyError::bad_upstream("the upstream response has no rerank results"))
        .and_then(|raw| serde_json::from_str(raw.get()).map_err(|_| bad()))?;

    let mut out = Vec::with_capacity(body.len() + 64 + ctx.model.len());
    out.push(b'{');
    if let Some(id) = view.get_str("request_id").ok().flatten() {
        out.extend_from_slice(b"\"id\":");
        out.extend_from_slice(&crate::json::string_value(&id));
        out.push(b',');
    }
    out.extend_from_slice(b"\"results\":[");
    for (i, raw) in results.iter().enumerate() {
        let result = ObjectView::parse(raw.get().as_bytes()).map_err(|_| bad())?;
        let index = result.get("index").map(RawValue::get).filter(|t| t.parse::<u64>().is_ok()).ok_or_else(bad)?;
        let score = result
            .get("relevance_score")
            .map(RawValue::get)
            .filter(|t| t.starts_with(|c: char| c == '-' || c.is_ascii_digit()))
            .ok_or_else(bad)?;
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{{\"index\":{index},\"relevance_score\":{score}");
        if let Some(document) = result.get("document").filter(|d| d.get() != "null") {
            out.extend_from_slice(b",\"document\":");
            out.extend_from_slice(crate::json::compact(document.get()).as_bytes());
        }
        out.push(b'}');
    }
    out.push(b']');
    if !ctx.model.is_empty() {
        out.extend_from_slice(b",\"model\":");
        out.extend_from_slice(&crate::json::string_value(&ctx.model));
    }
    let _ = write!(out, ",\"usage\":{{\"total_tokens\":{}}}}}", total_tokens(&view));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn ctx() -> TranslateCtx {
        TranslateCtx {
            model: "gte-rerank-v2".into(),
            created: 1_700_000_000,
            random: 0,
            include_usage: false,
            ..TranslateCtx::default()
        }
    }

    fn build(body: &str) -> Result<String, ProxyError> {
        build_request(body.as_bytes(), "gte-rerank-v2").map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn builds_requests() {
        let cases: Vec<(&str, &str, &str)> = vec![
            (
                "Cohere v2: strings, top_n",
                r#"{"model":"rerank-v3.5","query":"What is the capital of the United States?","documents":["Carson City is the capital city of the American state of Nevada.","Washington, D.C. is the capital of the United States."],"top_n":1}"#,
                r#"{"model":"gte-rerank-v2","input":{"query":"What is the capital of the United States?","documents":["Carson City is the capital city of the American state of Nevada.","Washington, D.C. is the capital of the United States."]},"parameters":{"top_n":1}}"#,
            ),
            (
                "Cohere v1: text objects, return_documents, v1-only fields dropped",
                r#"{"model":"rerank-english-v3.0","query":"什么是文本排序模型","documents":[{"text":"文本排序模型广泛用于搜索引擎","title":"t"},"量子计算是计算科学的一个前沿领域"],"return_documents":true,"max_chunks_per_doc":10,"rank_fields":["text"],"user":null}"#,
                r#"{"model":"gte-rerank-v2","input":{"query":"什么是文本排序模型","documents":["文本排序模型广泛用于搜索引擎","量子计算是计算科学的一个前沿领域"]},"parameters":{"return_documents":true}}"#,
            ),
            (
                "Jina: top_n, return_documents false; DashScope instruct passes; escapes verbatim",
                r#"{"model":"jina-reranker-v2-base-multilingual","query":"Organic \"skincare\"","documents":["a\u00e9\n"],"top_n":3,"return_documents":false,"instruct":"Retrieve semantically similar text."}"#,
                r#"{"model":"gte-rerank-v2","input":{"query":"Organic \"skincare\"","documents":["a\u00e9\n"]},"parameters":{"top_n":3,"return_documents":false,"instruct":"Retrieve semantically similar text."}}"#,
            ),
            (
                "multimodal documents pass compacted; a text-object query becomes its text; max_tokens_per_doc dropped",
                r#"{"query":{"text":"a cat"},"documents":[{"text":"x"},{ "image": "https://example.com/cat.jpg" },{"video":"https://example.com/v.mp4"}],"fps":1.0,"max_tokens_per_doc":512,"top_n":null}"#,
                r#"{"model":"gte-rerank-v2","input":{"query":"a cat","documents":["x",{"image":"https://example.com/cat.jpg"},{"video":"https://example.com/v.mp4"}]},"parameters":{"fps":1.0}}"#,
            ),
        ];
        for (name, req, want) in cases {
            let got = build(req).unwrap();
            assert_eq!(got, want, "{name}");
            serde_json::from_str::<Value>(&got).unwrap();
        }
    }

    #[test]
    fn rejects_what_dashscope_cannot_take() {
        let cases: Vec<(&str, Option<&str>, &str)> = vec![
            (r#"{"documents":["a"]}"#, Some("query"), "required"),
            (r#"{"query":null,"documents":["a"]}"#, Some("query"), "required"),
            (r#"{"query":3,"documents":["a"]}"#, Some("query"), "string"),
            (r#"{"query":{"title":"x"},"documents":["a"]}"#, Some("query"), "string"),
            (r#"{"query":"q"}"#, Some("documents"), "required"),
            (r#"{"query":"q","documents":[]}"#, Some("documents"), "empty"),
            (r#"{"query":"q","documents":"a"}"#, Some("documents"), "array"),
            (r#"{"query":"q","documents":["a",1]}"#, Some("documents"), "array"),
            (r#"{"query":"q","documents":[{"title":"no text"}]}"#, Some("documents"), "array"),
            (r#"{"query":"q","documents":[{"text":5}]}"#, Some("documents"), "array"),
            (r#"{"query":"q","documents":[["a"]]}"#, Some("documents"), "array"),
            (r#"{"query":"q","documents":["a"],"top_n":0}"#, Some("top_n"), "positive integer"),
            (r#"{"query":"q","documents":["a"],"top_n":"2"}"#, Some("top_n"), "positive integer"),
            (r#"{"query":"q","documents":["a"],"top_n":1.5}"#, Some("top_n"), "positive integer"),
            (r#"{"query":"q","documents":["a"],"return_documents":"yes"}"#, Some("return_documents"), "boolean"),
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
    fn translates_responses() {
        let cases: Vec<(&str, &str, &str)> = vec![
            (
                "DashScope's reference answer with documents (pretty-printed)",
                "{\n    \"output\": {\n        \"results\": [\n            {\n                \"document\": {\n                    \"text\": \"文本排序模型广泛用于搜索引擎和推荐系统中，它们根据文本相关性对候选文本进行排序\"\n                },\n                \"index\": 0,\n                \"relevance_score\": 0.7314485774089865\n            },\n            {\n                \"document\": {\n                    \"text\": \"预训练语言模型的发展给文本排序模型带来了新的进展\"\n                },\n                \"index\": 2,\n                \"relevance_score\": 0.5831720487049298\n            }\n        ]\n    },\n    \"usage\": {\n        \"total_tokens\": 79\n    },\n    \"request_id\": \"85ba5752-1900-4a2c-9896-1ff1ef9b5f1b\"\n}",
                r#"{"id":"85ba5752-1900-4a2c-9896-1ff1ef9b5f1b","results":[{"index":0,"relevance_score":0.7314485774089865,"document":{"text":"文本排序模型广泛用于搜索引擎和推荐系统中，它们根据文本相关性对候选文本进行排序"}},{"index":2,"relevance_score":0.5831720487049298,"document":{"text":"预训练语言模型的发展给文本排序模型带来了新的进展"}}],"model":"gte-rerank-v2","usage":{"total_tokens":79}}"#,
            ),
            (
                "without documents; order kept; null document dropped",
                r#"{"output":{"results":[{"index":1,"relevance_score":0.9},{"index":0,"relevance_score":1.2e-05,"document":null}]},"usage":{"total_tokens":12},"request_id":"r-1"}"#,
                r#"{"id":"r-1","results":[{"index":1,"relevance_score":0.9},{"index":0,"relevance_score":1.2e-05}],"model":"gte-rerank-v2","usage":{"total_tokens":12}}"#,
            ),
            (
                "no request_id, no usage, no results",
                r#"{"output":{"results":[]}}"#,
                r#"{"results":[],"model":"gte-rerank-v2","usage":{"total_tokens":0}}"#,
            ),
        ];
        for (name, body, want) in cases {
            let got = String::from_utf8(translate_response(body.as_bytes(), &ctx()).unwrap()).unwrap();
            assert_eq!(got, want, "{name}");
            serde_json::from_str::<Value>(&got).unwrap();
        }
        // No model name known: no `model`.
        let bare = TranslateCtx::default();
        let got = translate_response(br#"{"output":{"results":[]},"usage":{"total_tokens":3}}"#, &bare).unwrap();
        assert_eq!(got, br#"{"results":[],"usage":{"total_tokens":3}}"#);
    }

    #[test]
    fn unreadable_responses_are_bad_upstream() {
        for body in [
            "nope",
            "[]",
            "{}",
            r#"{"output":{}}"#,
            r#"{"output":{"results":{}}}"#,
            r#"{"output":{"results":[1]}}"#,
            r#"{"output":{"results":[{"relevance_score":0.5}]}}"#,
            r#"{"output":{"results":[{"index":"0","relevance_score":0.5}]}}"#,
            r#"{"output":{"results":[{"index":0}]}}"#,
            r#"{"output":{"results":[{"index":0,"relevance_score":"high"}]}}"#,
        ] {
            let e = translate_response(body.as_bytes(), &ctx()).unwrap_err();
            assert_eq!((e.status, e.kind), (502, "api_error"), "{body}");
        }
        let e = translate_response(
            br#"{"code":"InvalidParameter","message":"Input documents should not be empty.","request_id":"x"}"#,
            &ctx(),
        )
        .unwrap_err();
        assert_eq!(e.status, 502);
        assert!(e.message.contains("InvalidParameter"), "{}", e.message);
    }
}
