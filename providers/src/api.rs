//! Which API a request is for, from its path. Detection is by suffix so any prefix works
//! (`/proxy/v1/chat/completions`); the part after `/v1` is the *resource*, which providers
//! re-root under their own base path.

/// The APIs the gateway knows. Each provider lists the ones it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiKind {
    ChatCompletions,
    Completions,
    Embeddings,
    Models,
    ImageGenerations,
    ImageEdits,
    ImageVariations,
    AudioSpeech,
    AudioTranscriptions,
    AudioTranslations,
    Moderations,
    Responses,
    Files,
    Batches,
    FineTuning,
    /// Anthropic Messages (`/v1/messages`), for Anthropic-protocol clients.
    Messages,
    /// Anthropic's token counting (`/v1/messages/count_tokens`).
    CountTokens,
    /// The common rerank API (`/v1/rerank`: Cohere, Jina and compatible servers).
    Rerank,
}

impl ApiKind {
    /// Name used in logs, errors and the README table.
    pub fn name(self) -> &'static str {
        match self {
            ApiKind::ChatCompletions => "chat/completions",
            ApiKind::Completions => "completions",
            ApiKind::Embeddings => "embeddings",
            ApiKind::Models => "models",
            ApiKind::ImageGenerations => "images/generations",
            ApiKind::ImageEdits => "images/edits",
            ApiKind::ImageVariations => "images/variations",
            ApiKind::AudioSpeech => "audio/speech",
            ApiKind::AudioTranscriptions => "audio/transcriptions",
            ApiKind::AudioTranslations => "audio/translations",
            ApiKind::Moderations => "moderations",
            ApiKind::Responses => "responses",
            ApiKind::Files => "files",
            ApiKind::Batches => "batches",
            ApiKind::FineTuning => "fine_tuning",
            ApiKind::Messages => "messages",
            ApiKind::CountTokens => "messages/count_tokens",
            ApiKind::Rerank => "rerank",
        }
    }

    /// APIs whose JSON request body names a `model` that the gateway maps.
    pub fn has_model_body(self) -> bool {
        matches!(
            self,
            ApiKind::ChatCompletions
                | ApiKind::Completions
                | ApiKind::Embeddings
                | ApiKind::ImageGenerations
                | ApiKind::AudioSpeech
                | ApiKind::Moderations
                | ApiKind::Responses
                | ApiKind::Messages
                | ApiKind::CountTokens
                | ApiKind::Rerank
        )
    }

    /// APIs where a request without any model cannot be served.
    pub fn requires_model(self) -> bool {
        matches!(
            self,
            ApiKind::ChatCompletions
                | ApiKind::Completions
                | ApiKind::Embeddings
                | ApiKind::AudioSpeech
                | ApiKind::Messages
                | ApiKind::CountTokens
                | ApiKind::Rerank
        )
    }

    /// APIs that can answer with an SSE stream when the body says `"stream": true`.
    pub fn can_stream(self) -> bool {
        matches!(self, ApiKind::ChatCompletions | ApiKind::Completions | ApiKind::Responses | ApiKind::Messages)
    }
}

/// A recognised request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiPath<'a> {
    pub kind: ApiKind,
    /// The path after the `/v1` segment, starting with `/` (`/chat/completions`, `/files/f-1/content`).
    pub resource: &'a str,
    /// The query string without `?` (may be empty).
    pub query: &'a str,
}

/// Splits `path?query`.
pub fn split_query(path: &str) -> (&str, &str) {
    match path.split_once('?') {
        Some((p, q)) => (p, q),
        None => (path, ""),
    }
}

/// Recognises an OpenAI-style API path. `None` means "not an AI path" (the caller answers 404).
pub fn detect(path_and_query: &str) -> Option<ApiPath<'_>> {
    let (path, query) = split_query(path_and_query);
    // Try each `/v1/` from the right, so a prefix containing `/v1/` still works.
    // A byte search: `rfind` with a string pattern sets up a two-way searcher per call.
    let bytes = path.as_bytes();
    let mut end = bytes.len();
    while let Some(idx) = bytes.get(..end).and_then(|p| p.windows(4).rposition(|w| w == b"/v1/")) {
        let resource = path.get(idx + 3..).unwrap_or("");
        if let Some(kind) = classify(resource) {
            return Some(ApiPath { kind, resource, query });
        }
        end = idx;
    }
    None
}

/// Classifies the resource part (after `/v1`).
fn classify(resource: &str) -> Option<ApiKind> {
    let mut segs = resource.strip_prefix('/')?.split('/');
    let first = segs.next()?;
    // No resource has more than 4 segments after the first: a fifth is no match.
    let mut rest = [""; 5];
    let mut n = 0;
    for (slot, seg) in rest.iter_mut().zip(segs.by_ref()) {
        *slot = seg;
        n += 1;
    }
    if segs.next().is_some() {
        return None;
    }
    let rest = rest.get(..n).unwrap_or_default();
    // An empty segment (`//`, trailing `/`) is never a valid resource.
    if rest.iter().any(|s| s.is_empty()) {
        return None;
    }
    let kind = match (first, rest) {
        ("chat", ["completions"]) => ApiKind::ChatCompletions,
        ("completions", []) => ApiKind::Completions,
        ("embeddings", []) => ApiKind::Embeddings,
        ("models", []) | ("models", [_]) => ApiKind::Models,
        ("images", ["generations"]) => ApiKind::ImageGenerations,
        ("images", ["edits"]) => ApiKind::ImageEdits,
        ("images", ["variations"]) => ApiKind::ImageVariations,
        ("audio", ["speech"]) => ApiKind::AudioSpeech,
        ("audio", ["transcriptions"]) => ApiKind::AudioTranscriptions,
        ("audio", ["translations"]) => ApiKind::AudioTranslations,
        ("moderations", []) => ApiKind::Moderations,
        ("responses", []) | ("responses", [_]) | ("responses", [_, "cancel" | "input_items"]) => ApiKind::Responses,
        ("files", []) | ("files", [_]) | ("files", [_, "content"]) => ApiKind::Files,
        ("batches", []) | ("batches", [_]) | ("batches", [_, "cancel"]) => ApiKind::Batches,
        ("fine_tuning", ["jobs", ..]) | ("fine_tuning", ["checkpoints", ..]) if rest.len() <= 4 => ApiKind::FineTuning,
        ("messages", []) => ApiKind::Messages,
        ("messages", ["count_tokens"]) => ApiKind::CountTokens,
        ("rerank", []) => ApiKind::Rerank,
        _ => return None,
    };
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_suffix_with_any_prefix() {
        let cases = [
            ("/v1/chat/completions", Some(ApiKind::ChatCompletions), "/chat/completions", ""),
            ("/proxy/v1/chat/completions?x=1", Some(ApiKind::ChatCompletions), "/chat/completions", "x=1"),
            ("/v1/embeddings", Some(ApiKind::Embeddings), "/embeddings", ""),
            ("/v1/models", Some(ApiKind::Models), "/models", ""),
            ("/v1/models/gpt-4o", Some(ApiKind::Models), "/models/gpt-4o", ""),
            ("/v1/files/file-1/content", Some(ApiKind::Files), "/files/file-1/content", ""),
            ("/v1/batches/b1/cancel", Some(ApiKind::Batches), "/batches/b1/cancel", ""),
            ("/v1/fine_tuning/jobs/j1/events", Some(ApiKind::FineTuning), "/fine_tuning/jobs/j1/events", ""),
            ("/a/v1/b/v1/completions", Some(ApiKind::Completions), "/completions", ""),
            ("/v1/messages?beta=true", Some(ApiKind::Messages), "/messages", "beta=true"),
            ("/v1/rerank", Some(ApiKind::Rerank), "/rerank", ""),
        ];
        for (path, kind, resource, query) in cases {
            let got = detect(path);
            assert_eq!(got.map(|a| a.kind), kind, "{path}");
            if let Some(a) = got {
                assert_eq!(a.resource, resource, "{path}");
                assert_eq!(a.query, query, "{path}");
            }
        }
    }

    #[test]
    fn rejects_non_ai_paths() {
        for path in [
            "/",
            "",
            "/healthz",
            "/v1",
            "/v1/",
            "/v1/chat/completions/",
            "/v1/chat/completions/extra",
            "/v2/chat/completions",
            "/v1/chat//completions",
            "/v1/realtime",
            "/v1/unknown",
            "v1/chat/completions",
        ] {
            assert_eq!(detect(path), None, "{path}");
        }
    }
}
