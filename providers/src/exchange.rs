//! One request's journey, as plain data: the glue calls these methods from its callbacks and
//! applies the plans they return. Nothing here touches the host.
//!
//! Order of calls: `start` (request headers) → `request_body` (only when `read_body`) →
//! `response_headers` → `response_chunk`… (only in `ResponseMode::Stream`).

use crate::api::{self, ApiKind};
use crate::config::{BasePathHandling, Protocol, ProviderConfig};
use crate::dialect::{self, openai, Dialect, StreamTranslator, ToolNames, TranslateCtx, Translated, Translator};
use crate::error::ProxyError;
use crate::headers::{HeaderMap, NotText};
use crate::ingress::{self, ChatTarget, Ingress};
use crate::json::ObjectView;
use crate::providers::{Auth, PathCtx};
use crate::stream::Chain;
use crate::{call, sign};
use std::borrow::Cow;
use std::sync::Arc;

/// The request line and the few headers the core needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestHead<'a> {
    pub method: &'a str,
    /// `:path`, with query.
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    pub content_length: Option<u64>,
    /// False when the request ended with its headers.
    pub has_body: bool,
}

/// Set (`Some`) or remove (`None`) a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderEdit {
    pub name: &'static str,
    pub value: Option<String>,
}

impl HeaderEdit {
    pub fn set(name: &'static str, value: impl Into<String>) -> Self {
        HeaderEdit { name, value: Some(value.into()) }
    }
    pub fn remove(name: &'static str) -> Self {
        HeaderEdit { name, value: None }
    }
}

/// A response the filter sends itself; nothing goes upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalReply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl From<ProxyError> for LocalReply {
    fn from(e: ProxyError) -> Self {
        LocalReply { status: e.status, content_type: "application/json", body: e.to_openai_json() }
    }
}

/// What to do once the request headers are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadersPlan {
    pub edits: Vec<HeaderEdit>,
    /// Buffer the body and call `request_body`; the headers are held until then.
    pub read_body: bool,
}

/// What to do with a complete request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BodyPlan {
    pub edits: Vec<HeaderEdit>,
    /// The new body; `None` keeps the client's bytes.
    pub body: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// Forward the response untouched without reading it.
    Passthrough,
    /// Feed each chunk to `response_chunk` and send what it writes.
    Stream,
    /// Hold the headers, buffer the whole body, then apply `response_body`'s plan.
    Buffer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsePlan {
    pub edits: Vec<HeaderEdit>,
    pub mode: ResponseMode,
}

/// Request headers that carry client credentials; none of them may reach a provider.
const CLIENT_CREDENTIAL_HEADERS: &[&str] = &["authorization", "x-api-key", "api-key", "x-goog-api-key"];

/// How a request is carried between the client's protocol and the provider's wire: the hub.
/// OpenAI's form of each API is the middle; neither half set is a native passthrough.
#[derive(Debug, Clone, Copy, Default)]
struct Route {
    /// The client's protocol → OpenAI chat, and back (`/v1/messages` to any provider but
    /// `claude`).
    ingress: Option<&'static dyn Ingress>,
    /// OpenAI → the provider's wire, and back; `None`: the OpenAI wire (byte-level edits).
    translator: Option<&'static dyn Translator>,
}

impl Route {
    fn translates(&self) -> bool {
        self.ingress.is_some() || self.translator.is_some()
    }

    /// How `kind` reaches `p`, with the upstream API and its resource path: natively (the
    /// provider serves it and has no translator for it); through the client protocol's ingress
    /// into the OpenAI form, then the provider's translator or the OpenAI wire; or, for an
    /// OpenAI API, through the provider's translator.
    fn find(p: &ProviderConfig, kind: ApiKind, resource: &str) -> Result<(Route, ApiKind, String), ProxyError> {
        let via = |ingress, translator: Option<&'static dyn Translator>, api: ApiKind, resource: &str| {
            let (upstream, resource) = match translator {
                Some(t) => {
                    let (u, r) = t.upstream(api);
                    (u, r.to_string())
                }
                None => (api, resource.to_string()),
            };
            if p.apis.contains(&upstream) {
                Ok((Route { ingress, translator }, upstream, resource))
            } else {
                Err(ProxyError::not_found(format!("provider `{}` does not serve the {} API", p.spec.name, kind.name())))
            }
        };
        let translator = dialect::translator(p.dialect, kind);
        if translator.is_none() && p.apis.contains(&kind) {
            return via(None, None, kind, resource);
        }
        // A client protocol other than OpenAI's goes through its ingress (even where the
        // provider has a translator for the API in the middle: a token count).
        if let Some(ingress) = ingress::for_api(kind) {
            let middle = ingress.middle();
            if let Some(t) = dialect::translator(p.dialect, middle) {
                return via(Some(ingress), Some(t), middle, "");
            }
            if p.dialect == Dialect::OpenAi && middle == ApiKind::ChatCompletions {
                return via(Some(ingress), None, middle, "/chat/completions");
            }
        } else if let Some(why) = ingress::missing(kind) {
            // The configuration check cannot see this one: it depends on the path.
            return Err(ProxyError::not_found(why));
        } else if let Some(t) = translator {
            return via(None, Some(t), kind, "");
        }
        Err(ProxyError::not_found(format!("provider `{}` does not serve the {} API", p.spec.name, kind.name())))
    }
}

/// A request in flight.
#[derive(Debug)]
pub struct Exchange {
    provider: Arc<ProviderConfig>,
    /// The client's API; `None` under `protocol: original` (the client speaks the provider's own API).
    api: Option<ApiKind>,
    /// The API called upstream (differs from `api` when translating).
    upstream_api: Option<ApiKind>,
    route: Route,
    random: u64,
    include_usage: bool,
    /// The embeddings client asked for `encoding_format: base64`.
    embeddings_base64: bool,
    /// DashScope: the request goes to the multimodal-generation endpoint.
    multimodal: bool,
    /// Chat function names that stand for other tools of the client's protocol.
    tool_names: ToolNames,
    stream_translator: Option<Box<dyn StreamTranslator>>,
    /// The upstream's response status, once its headers arrived.
    upstream_status: Option<u16>,
    /// Nanosecond clock readings of each `Moment`, as the glue recorded them.
    times: [Option<u64>; 3],
    /// A call the filter makes before the request goes on, and what to do with its answer.
    call: Option<call::HttpCall>,
    continuation: Option<Box<dyn call::Continuation>>,
    /// Upstream resource path (after the `/v1` base).
    resource: String,
    client_path: String,
    client_query: String,
    /// The client's method and content type, as the upstream gets them (for a signature).
    method: String,
    content_type: Option<String>,
    token: usize,
    /// The upstream model, once the body is read.
    model: String,
    stream: bool,
    /// Set when the gateway (not the client) asked for stream usage.
    usage_filter: Option<openai::UsageChunkFilter>,
    /// Context for a buffered translated response.
    translate_ctx: Option<TranslateCtx>,
}

/// A moment of an exchange the glue times (`Exchange::record`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// The request headers arrived.
    Start,
    /// The upstream's response headers arrived.
    FirstByte,
    /// The response ended.
    End,
}

/// What an exchange did: see `Exchange::outcome`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<'a> {
    /// The upstream's status, `None` until its response headers arrived (or if none came).
    pub upstream_status: Option<u16>,
    /// Index of the API token used, into the provider's `apiTokens`.
    pub token: usize,
    /// The client's API (`None` under `protocol: original`).
    pub api: Option<ApiKind>,
    /// The API called upstream (differs from `api` when translating).
    pub upstream_api: Option<ApiKind>,
    /// The upstream model after mapping, empty until the body is read.
    pub model: &'a str,
    pub stream: bool,
    /// The request went through the hub (ingress or translator), not byte-level edits.
    pub translated: bool,
    /// The upstream's token counts, in OpenAI form, as far as a translated stream reported
    /// them (buffered answers and passthrough report none yet).
    pub usage: Option<openai::UsageOut>,
    /// Milliseconds from `Moment::Start` to the upstream's response headers, and to the end.
    pub first_byte_ms: Option<u64>,
    pub total_ms: Option<u64>,
}

impl Exchange {
    /// Starts a request for `provider`. `random` picks the API token (uniformly).
    pub fn start(
        provider: &Arc<ProviderConfig>,
        head: &RequestHead<'_>,
        random: u64,
    ) -> Result<(Exchange, HeadersPlan), LocalReply> {
        let p = provider.as_ref();
        let (raw_path, raw_query) = api::split_query(head.path);
        let client_path = match &p.base_path {
            Some((base, BasePathHandling::RemovePrefix)) => strip_base(raw_path, base),
            _ => raw_path,
        };
        let is_post = head.method.eq_ignore_ascii_case("POST");
        let (api, upstream_api, route, resource) = match p.protocol {
            Protocol::Original => (None, None, Route::default(), String::new()),
            Protocol::OpenAi => {
                let Some(found) = api::detect(head.path) else {
                    return Err(ProxyError::not_found(format!("no AI API at path {}", safe_path(raw_path))).into());
                };
                let (route, upstream, resource) =
                    Route::find(p, found.kind, found.resource).map_err(|e| ingress::reply(Some(found.kind), e))?;
                // A client protocol is translated for its create call only (`POST /v1/responses`);
                // its other resources (a stored response, its input items) exist only where the
                // provider speaks that protocol itself.
                let create = found.resource.strip_prefix('/') == Some(found.kind.name());
                if route.ingress.is_some() && !(create && is_post) {
                    let e = ProxyError::not_found(format!(
                        "{} {} is not available from provider `{}`: it stores nothing; only POST /v1/{} is translated",
                        head.method,
                        safe_path(raw_path),
                        p.spec.name,
                        found.kind.name()
                    ));
                    return Err(ingress::reply(Some(found.kind), e));
                }
                (Some(found.kind), Some(upstream), route, resource)
            }
        };
        let err = |e: ProxyError| ingress::reply(api, e);
        let json_body = is_post && head.has_body && is_json(head.content_type);
        let read_body = match api {
            Some(kind) => {
                if kind.has_model_body() && is_post && !head.has_body {
                    return Err(err(ProxyError::invalid_request("the request has no body")));
                }
                // These APIs only take JSON, whatever content-type the client sent (curl -d sends
                // a form type): read and validate the body anyway.
                (kind.has_model_body() && is_post && head.has_body)
                    || (upstream_api.is_some_and(|u| p.endpoint.path.needs_model(u)) && head.has_body)
            }
            None => json_body && (!p.model_map.is_empty() || !p.settings.is_empty()),
        };
        if read_body {
            if let Some(len) = head.content_length {
                if len > p.max_body_bytes as u64 {
                    return Err(err(ProxyError::too_large(p.max_body_bytes)));
                }
            }
        }
        let token = if p.tokens.is_empty() { 0 } else { (random % p.tokens.len() as u64) as usize };
        let signed = p.endpoint.signer.is_some();
        let ex = Exchange {
            provider: provider.clone(),
            api,
            upstream_api,
            route,
            random,
            include_usage: false,
            embeddings_base64: false,
            multimodal: false,
            tool_names: ToolNames::default(),
            stream_translator: None,
            upstream_status: None,
            times: [None; 3],
            call: None,
            continuation: None,
            resource,
            client_path: client_path.to_string(),
            client_query: raw_query.to_string(),
            // Only a signature reads them: no copies for the other providers.
            method: if signed { head.method.to_string() } else { String::new() },
            content_type: head.content_type.filter(|_| signed).map(str::to_string),
            token,
            model: String::new(),
            stream: false,
            usage_filter: None,
            translate_ctx: None,
        };
        let mut edits = Vec::with_capacity(8);
        for h in CLIENT_CREDENTIAL_HEADERS {
            edits.push(HeaderEdit::remove(h));
        }
        if let Some(auth) = ex.auth_header() {
            edits.push(auth);
        }
        if let Some(host) = &p.endpoint.host {
            edits.push(HeaderEdit::set(":authority", host.clone()));
        }
        for (name, value) in &p.endpoint.headers {
            edits.push(HeaderEdit::set(name, value.clone()));
        }
        if let Some(ingress) = route.ingress {
            // The client protocol's headers mean nothing to a provider that does not speak it.
            for name in ingress.protocol_headers() {
                edits.push(HeaderEdit::remove(name));
            }
        }
        edits.push(HeaderEdit::remove("accept-encoding"));
        let path_needs_model = upstream_api.is_some_and(|k| p.endpoint.path.needs_model(k));
        if path_needs_model && !read_body {
            return Err(err(ProxyError::invalid_request(
                "the Azure deployment comes from the model, but this request has no JSON body with a model",
            )));
        }
        if !path_needs_model {
            edits.push(HeaderEdit::set(":path", ex.upstream_path()));
        }
        // With a body, the headers are held until `request_body` sets the final length.
        Ok((ex, HeadersPlan { edits, read_body }))
    }

    /// `start` from the host's header map. A header the core reads that is not text is a 400,
    /// in the client's protocol as far as the path tells it.
    pub fn start_with_headers(
        provider: &Arc<ProviderConfig>,
        headers: &HeaderMap,
        has_body: bool,
        random: u64,
    ) -> Result<(Exchange, HeadersPlan), LocalReply> {
        match RequestHead::from_headers(headers, has_body) {
            Ok(head) => Self::start(provider, &head, random),
            Err(NotText(name)) => {
                let path = String::from_utf8_lossy(headers.raw(":path").unwrap_or_default());
                let api = match provider.protocol {
                    Protocol::OpenAi => api::detect(&path).map(|found| found.kind),
                    Protocol::Original => None,
                };
                let e = ProxyError::invalid_request(format!("the {name} header is not valid UTF-8"))
                    .with_code("invalid_header");
                Err(ingress::reply(api, e))
            }
        }
    }

    /// The complete request body (only called when `HeadersPlan::read_body`).
    pub fn request_body(&mut self, body: &[u8]) -> Result<BodyPlan, LocalReply> {
        let p = self.provider.clone();
        let api = self.api;
        let err = |e: ProxyError| ingress::reply(api, e);
        if body.len() > p.max_body_bytes {
            return Err(err(ProxyError::too_large(p.max_body_bytes)));
        }
        let prepared = match self.api {
            None => openai::prepare_original(body, &p),
            Some(kind) if !self.route.translates() => openai::prepare_request(kind, body, &p).map_err(err)?,
            Some(kind) => {
                // Parsed once: the model mapping and the translation read the same view.
                let view = openai::parse_body(body).map_err(err)?;
                let model = openai::mapped_model(kind, &view, &p).map_err(err)?;
                self.translate_request(&view, model).map_err(err)?
            }
        };
        self.model = prepared.model;
        self.stream = prepared.stream;
        self.include_usage = prepared.include_usage;
        let mut edits = Vec::with_capacity(3);
        if let Some((name, value)) = self.route.translator.and_then(|t| t.stream_header()).filter(|_| self.stream) {
            edits.push(HeaderEdit::set(name, value));
        }
        if prepared.usage_injected && p.hide_injected_usage {
            self.usage_filter = Some(openai::UsageChunkFilter::default());
        }
        if self.upstream_api.is_some_and(|k| p.endpoint.path.needs_model(k)) {
            let name = self.model.strip_prefix("models/").or_else(|| self.model.strip_prefix("tunedModels/"));
            // Only visible ASCII may go into a request-target: a space, a control character
            // (CR/LF) or a non-ASCII byte would make the upstream request line invalid.
            let unfit = |c: char| !c.is_ascii_graphic() || matches!(c, '/' | '?' | '#' | ':' | '%');
            if self.model.is_empty() || name.unwrap_or(&self.model).contains(unfit) {
                return Err(err(ProxyError::invalid_request(format!(
                    "the model `{}` cannot be used in the provider's URL",
                    safe_path(&self.model)
                ))
                .with_param("model")));
            }
            edits.push(HeaderEdit::set(":path", self.upstream_path()));
        }
        let len = prepared.body.as_ref().map_or(body.len(), Vec::len);
        edits.push(HeaderEdit::set("content-length", len.to_string()));
        Ok(BodyPlan { edits, body: prepared.body })
    }

    /// A request through the hub: the client's protocol to chat (ingress), chat to the
    /// provider's wire (translator), then `customSettings` where they apply.
    fn translate_request(&mut self, view: &ObjectView<'_>, model: String) -> Result<openai::Prepared, ProxyError> {
        let p = self.provider.clone();
        let mut t = match (self.route.ingress, self.route.translator) {
            (Some(ingress), None) => {
                let target = ChatTarget {
                    stream_usage: p.stream_usage,
                    cache_control: p.spec.cache_control,
                    reasoning_content: p.spec.reasoning_echo,
                };
                ingress.request(view, &model, target)?
            }
            (Some(ingress), Some(translator)) => {
                // Chat is only the middle here: the translator reads the usage request and the
                // cache marks itself, and keeps what its wire has.
                let target = ChatTarget { stream_usage: true, cache_control: true, reasoning_content: false };
                let chat = ingress.request(view, &model, target)?;
                let chat_view = openai::parse_body(&chat.body)?;
                let upstream = translator.request(&chat_view, &model, &p)?;
                Translated { tool_names: chat.tool_names, ..upstream }
            }
            (None, Some(translator)) => translator.request(view, &model, &p)?,
            (None, None) => return openai::prepare_request(ApiKind::ChatCompletions, view.input(), &p),
        };
        self.multimodal = t.multimodal;
        self.embeddings_base64 = t.base64;
        self.tool_names = std::mem::take(&mut t.tool_names);
        if self.route.translator.is_none_or(|t| t.takes_settings()) {
            Ok(openai::Prepared::translated(t, model, &p))
        } else {
            Ok(openai::Prepared { body: Some(t.body), model, ..openai::Prepared::default() })
        }
    }

    /// Whether the response needs the core at all; when false the glue skips the response
    /// callbacks' host calls and the response passes through untouched.
    pub fn needs_response(&self) -> bool {
        self.usage_filter.is_some() || self.route.translates()
    }

    /// The upstream's response headers. `now` (Unix seconds) stamps translated responses; it
    /// is only asked for when the response is translated (a clock read is a host call).
    pub fn response_headers(
        &mut self,
        status: u16,
        content_type: Option<&str>,
        now: impl FnOnce() -> u64,
    ) -> ResponsePlan {
        self.upstream_status = Some(status);
        // The egress translator knows its wire's stream framing; every other answer is SSE.
        let is_sse = content_type.is_some_and(|ct| match self.route.translator {
            Some(t) => t.streams(ct),
            None => crate::dialect::is_event_stream(ct),
        });
        let ok = (200..300).contains(&status);
        if self.route.translates() {
            let ctx = TranslateCtx {
                model: self.model.clone(),
                created: now(),
                random: self.random,
                include_usage: self.include_usage,
                base64: self.embeddings_base64,
                tool_names: self.tool_names.clone(),
            };
            if ok && is_sse {
                if let Some(stream) = self.stream_translator(&ctx) {
                    self.stream_translator = Some(stream);
                    return ResponsePlan {
                        edits: vec![HeaderEdit::remove("content-length")],
                        mode: ResponseMode::Stream,
                    };
                }
            }
            // Also an embeddings or rerank answer labelled as a stream: buffered and translated
            // (or refused) like any other body.
            self.translate_ctx = Some(ctx);
            return ResponsePlan { edits: Vec::new(), mode: ResponseMode::Buffer };
        }
        if self.usage_filter.is_some() && status == 200 && is_sse {
            // Only the usage chunk the client did not ask for is removed; the length changes.
            return ResponsePlan { edits: vec![HeaderEdit::remove("content-length")], mode: ResponseMode::Stream };
        }
        self.usage_filter = None;
        // OpenAI-wire providers answer in the client's format already: forward untouched.
        ResponsePlan { edits: Vec::new(), mode: ResponseMode::Passthrough }
    }

    /// One chunk of a streamed response (`ResponseMode::Stream`); `end` on the last one.
    pub fn response_chunk(&mut self, chunk: &[u8], end: bool, out: &mut Vec<u8>) {
        if let Some(t) = &mut self.stream_translator {
            t.feed(chunk, out);
            if end {
                t.finish(out);
            }
            return;
        }
        match &mut self.usage_filter {
            Some(filter) => {
                filter.feed(chunk, out);
                if end {
                    filter.finish(out);
                }
            }
            None => out.extend_from_slice(chunk),
        }
    }

    /// The whole body of a buffered response (`ResponseMode::Buffer`): the new body and the
    /// response header edits (`:status`, `content-type`, `content-length`).
    pub fn response_body(&mut self, body: &[u8]) -> BodyPlan {
        let status = self.upstream_status.unwrap_or(0);
        let ctx = self.translate_ctx.take().unwrap_or_default();
        let (status, out) = self.translate_response(status, body, &ctx);
        let edits = vec![
            HeaderEdit::set(":status", status.to_string()),
            HeaderEdit::set("content-type", "application/json"),
            HeaderEdit::set("content-length", out.len().to_string()),
        ];
        BodyPlan { edits, body: Some(out) }
    }

    /// A stream through the hub: the provider's events to chat chunks, chat chunks to the
    /// client's events. `None` when the API does not stream (embeddings, rerank).
    fn stream_translator(&self, ctx: &TranslateCtx) -> Option<Box<dyn StreamTranslator>> {
        let upstream = match self.route.translator {
            Some(t) => Some(t.stream(ctx.clone())?),
            None => None,
        };
        match (upstream, self.route.ingress) {
            (Some(upstream), Some(ingress)) => Some(Box::new(Chain::new(upstream, ingress.stream(ctx.clone())))),
            (Some(upstream), None) => Some(upstream),
            (None, Some(ingress)) => Some(ingress.stream(ctx.clone())),
            (None, None) => None,
        }
    }

    /// A buffered answer through the hub: the provider's to OpenAI's (translator), OpenAI's to
    /// the client's (ingress). Errors keep their status; the filter's own are in the client's
    /// shape. Returns (status, body).
    fn translate_response(&self, status: u16, body: &[u8], ctx: &TranslateCtx) -> (u16, Vec<u8>) {
        let ok = |s: u16| (200..300).contains(&s);
        let openai: Result<(u16, Cow<'_, [u8]>), ProxyError> = match self.route.translator {
            Some(t) if ok(status) => t.response(body, ctx).map(|b| (status, Cow::Owned(b))),
            Some(t) => {
                let (s, b) = t.error(status, body);
                Ok((s, Cow::Owned(b)))
            }
            None => Ok((status, Cow::Borrowed(body))),
        };
        match (self.route.ingress, openai) {
            (None, Ok((s, b))) => (s, b.into_owned()),
            (None, Err(e)) => (e.status, e.to_openai_json()),
            (Some(ingress), Err(e)) => (e.status, ingress.error(&e)),
            (Some(ingress), Ok((s, b))) if ok(s) => match ingress.response(&b, ctx) {
                Ok(out) => (s, out),
                Err(e) => (e.status, ingress.error(&e)),
            },
            (Some(ingress), Ok((s, b))) => ingress.error_from_openai(s, &b),
        }
    }

    /// The headers that sign the request for a signed upstream (none for the others), over
    /// its final `body`: after `request_body` (its new body, or the client's), or after
    /// `start` when it reads no body. `now` gives Unix seconds; it is only asked for when the
    /// provider signs (a clock read is a host call, which unsigned requests do not pay).
    pub fn sign(&self, body: &[u8], now: impl FnOnce() -> u64) -> Result<Vec<HeaderEdit>, LocalReply> {
        let (Some(signer), Some(authority)) = (&self.provider.endpoint.signer, &self.provider.endpoint.host) else {
            return Ok(Vec::new());
        };
        let path = self.upstream_path();
        let req = sign::Outgoing {
            method: &self.method,
            authority,
            path: &path,
            content_type: self.content_type.as_deref(),
            body,
            now: now(),
        };
        signer.0.sign(&req).map_err(|e| ingress::reply(self.api, e))
    }

    /// A call to make while the request is held (after `start` or `request_body`): the glue
    /// dispatches it, keeps the request paused and hands the answer to `call_answered`.
    pub fn take_call(&mut self) -> Option<call::HttpCall> {
        self.call.take()
    }

    /// The answer to the taken call: the header edits the held request goes on with, or the
    /// reply that ends it (in the client's protocol; a failed call is a 502).
    pub fn call_answered(&mut self, answer: call::CallAnswer<'_>) -> call::Resumed {
        let Some(then) = self.continuation.take() else {
            return Err(ingress::reply(self.api, ProxyError::bad_upstream("an answer to a call nobody made")));
        };
        then.resume(answer).map_err(|e| ingress::reply(self.api, e))
    }

    /// Holds the request for `plan`'s call (a provider's token exchange, a file upload).
    pub fn plan_call(&mut self, plan: call::CallPlan) {
        self.call = Some(plan.call);
        self.continuation = Some(plan.then);
    }

    /// What this exchange did so far, for metrics, access-log fields and failover decisions
    /// (which token answered what): read by the glue at any callback, never changes behaviour.
    pub fn outcome(&self) -> Outcome<'_> {
        Outcome {
            upstream_status: self.upstream_status,
            token: self.token,
            api: self.api,
            upstream_api: self.upstream_api,
            model: &self.model,
            stream: self.stream,
            translated: self.route.translates(),
            usage: self.stream_translator.as_ref().and_then(|t| t.usage()),
            first_byte_ms: self.elapsed_ms(Moment::FirstByte),
            total_ms: self.elapsed_ms(Moment::End),
        }
    }

    /// Records when `moment` happened (`now_ns`: the host clock, nanoseconds) for `outcome`.
    /// The glue records only where it has a callback anyway: timing costs no extra host call
    /// on the passthrough path.
    pub fn record(&mut self, moment: Moment, now_ns: u64) {
        if let Some(slot) = self.times.get_mut(moment as usize) {
            *slot = Some(now_ns);
        }
    }

    fn elapsed_ms(&self, moment: Moment) -> Option<u64> {
        let start = self.times.first().copied().flatten()?;
        let at = self.times.get(moment as usize).copied().flatten()?;
        Some(at.saturating_sub(start) / 1_000_000)
    }

    fn auth_header(&self) -> Option<HeaderEdit> {
        let token = self.provider.tokens.get(self.token)?;
        match self.provider.spec.auth {
            Auth::Bearer => {
                // Not `format!`: its machinery costs more than the copy, on every request.
                let mut value = String::with_capacity(7 + token.len());
                value.push_str("Bearer ");
                value.push_str(token);
                Some(HeaderEdit::set("authorization", value))
            }
            Auth::RawAuthorization => Some(HeaderEdit::set("authorization", token.clone())),
            Auth::Header(name) => Some(HeaderEdit::set(name, token.clone())),
            Auth::None => None,
        }
    }

    /// Path and query for the upstream.
    fn upstream_path(&self) -> String {
        let p = &self.provider;
        let path = match self.upstream_api {
            Some(kind) => p.endpoint.path.build(
                kind,
                &self.resource,
                &self.client_path,
                PathCtx { model: &self.model, stream: self.stream, multimodal: self.multimodal },
            ),
            None => self.client_path.clone(),
        };
        let mut prefix = String::new();
        if let Some((base, BasePathHandling::Prepend)) = &p.base_path {
            if !path.starts_with(base.as_str()) {
                prefix.push_str(base);
            }
        }
        if !p.provider_base_path.is_empty() && !path.starts_with(p.provider_base_path.as_str()) {
            prefix.push_str(&p.provider_base_path);
        }
        // Usually there is no prefix: the built path becomes the target without a copy.
        let mut full = if prefix.is_empty() { path } else { prefix + &path };
        if full.is_empty() {
            full.push('/');
        }
        // Gemini streams SSE only when asked for it.
        let configured = match self.route.translator.and_then(|t| t.stream_query()).filter(|_| self.stream) {
            Some(q) => merge_query(&p.endpoint.query, q),
            None => p.endpoint.query.clone(),
        };
        // A client query belongs to the client's protocol (Claude Code's `?beta=true`): it goes
        // upstream only where the provider speaks that protocol.
        let client_query = if self.route.ingress.is_some() { "" } else { self.client_query.as_str() };
        let query = merge_query(&configured, client_query);
        if !query.is_empty() {
            full.push('?');
            full.push_str(&query);
        }
        full
    }
}

fn strip_base<'a>(path: &'a str, base: &str) -> &'a str {
    match path.strip_prefix(base) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

/// JSON or unspecified content types (clients often omit it).
fn is_json(content_type: Option<&str>) -> bool {
    match content_type {
        None => true,
        Some(ct) => {
            let ct = ct.trim_start().to_ascii_lowercase();
            ct.starts_with("application/json")
                || ct.is_empty()
                || (ct.starts_with("application/") && ct.contains("+json"))
        }
    }
}

/// Configured parameters first; client parameters with the same name are dropped.
fn merge_query(configured: &str, client: &str) -> String {
    if client.is_empty() {
        return configured.to_string();
    }
    if configured.is_empty() {
        return client.to_string();
    }
    let names: Vec<&str> = configured.split('&').map(|kv| kv.split('=').next().unwrap_or("")).collect();
    let mut out = configured.to_string();
    for kv in client.split('&').filter(|kv| !kv.is_empty()) {
        let name = kv.split('=').next().unwrap_or("");
        if !names.contains(&name) {
            out.push('&');
            out.push_str(kv);
        }
    }
    out
}

/// A client path for an error message: bounded, printable.
fn safe_path(path: &str) -> String {
    path.chars().take(200).filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without the Anthropic translator an Anthropic client in front of an OpenAI-wire
    /// provider gets a 404 saying so (the configuration cannot reject it: it depends on the path).
    #[test]
    fn messages_path_needs_the_anthropic_translator() {
        let engine = crate::Engine::compile(br#"{"provider":{"type":"openai","apiTokens":["sk-1"]}}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        let provider = engine.select(&crate::config::rules::RouteInfo::default()).expect("provider");
        let head = RequestHead {
            method: "POST",
            path: "/v1/messages",
            content_type: Some("application/json"),
            content_length: Some(2),
            has_body: true,
        };
        match (Exchange::start(provider, &head, 0), cfg!(feature = "anthropic")) {
            (Ok((ex, _)), true) => assert!(ex.route.ingress.is_some() && ex.route.translator.is_none()),
            (Err(reply), false) => {
                assert_eq!(reply.status, 404);
                assert!(String::from_utf8_lossy(&reply.body).contains("cargo feature `anthropic`"));
            }
            (other, built) => panic!("anthropic translator built: {built}; start gave {other:?}"),
        }
    }

    /// `/v1/responses`: native where the provider serves it, through the Responses ingress
    /// elsewhere (its create call only), and a 404 that says why in a build without it.
    #[test]
    fn responses_path_needs_the_responses_translator() {
        let start = |config: &[u8], method: &'static str, path: &'static str| {
            let engine = crate::Engine::compile(config).unwrap_or_else(|e| panic!("{e}"));
            let provider = engine.global.clone().expect("provider");
            let head = RequestHead {
                method,
                path,
                content_type: Some("application/json"),
                content_length: Some(2),
                has_body: true,
            };
            Exchange::start(&provider, &head, 0)
        };
        let deepseek = br#"{"provider":{"type":"deepseek","apiTokens":["sk-1"]}}"#;
        match (start(deepseek, "POST", "/v1/responses"), cfg!(feature = "responses")) {
            (Ok((ex, _)), true) => assert!(ex.route.ingress.is_some() && ex.route.translator.is_none()),
            (Err(reply), false) => {
                assert_eq!(reply.status, 404);
                assert!(String::from_utf8_lossy(&reply.body).contains("cargo feature `responses`"));
            }
            (other, built) => panic!("responses translator built: {built}; start gave {other:?}"),
        }
        if cfg!(feature = "responses") {
            let reply = start(deepseek, "GET", "/v1/responses/resp_1").expect_err("a stored response cannot be read");
            assert_eq!(reply.status, 404);
            assert!(String::from_utf8_lossy(&reply.body).contains("only POST /v1/responses is translated"));
        }
        let (ex, _) = start(br#"{"provider":{"type":"openai","apiTokens":["sk-1"]}}"#, "GET", "/v1/responses/resp_1")
            .unwrap_or_else(|r| panic!("{r:?}"));
        assert!(!ex.route.translates(), "openai serves the Responses API itself");
    }

    /// A header the core reads that is not UTF-8 is a 400 in the client's protocol; one it
    /// does not read passes.
    #[test]
    fn headers_that_are_not_text() {
        let engine = crate::Engine::compile(br#"{"provider":{"type":"openai","apiTokens":["sk-1"]}}"#).unwrap();
        let provider = engine.global.as_ref().unwrap();
        let headers = |path: &[u8], ct: &[u8]| {
            let mut h = HeaderMap::default();
            h.push(b":method", b"POST");
            h.push(b":path", path);
            h.push(b"content-type", ct);
            h.push(b"x-note", b"caf\xE9");
            h
        };
        let ok =
            Exchange::start_with_headers(provider, &headers(b"/v1/chat/completions", b"application/json"), true, 0);
        assert!(ok.is_ok());
        let bad_ct = Exchange::start_with_headers(provider, &headers(b"/v1/chat/completions", b"text/\xFF"), true, 0);
        let reply = bad_ct.err().unwrap();
        assert_eq!(reply.status, 400);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["error"]["message"], "the content-type header is not valid UTF-8");
        assert_eq!(body["error"]["code"], "invalid_header");
        let bad_path =
            Exchange::start_with_headers(provider, &headers(b"/v1/messages?q=\xE9", b"application/json"), true, 0);
        let reply = bad_path.err().unwrap();
        assert_eq!(reply.status, 400);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        if cfg!(feature = "anthropic") {
            assert_eq!(body["type"], "error", "an Anthropic error for /v1/messages: {body}");
        } else {
            assert!(body["error"]["message"].is_string());
        }
    }

    /// Fuzz find (response_translation): an embeddings answer labelled `text/event-stream`
    /// went through the Anthropic Messages stream translator, and the OpenAI client got
    /// Anthropic events. Non-chat translations buffer it and answer with an OpenAI error.
    #[test]
    fn non_chat_sse_answers_are_buffered() {
        for (config, path, body) in [
            (r#"{"provider":{"type":"qwen","apiTokens":["k"]}}"#, "/v1/embeddings", r#"{"model":"m","input":"a"}"#),
            (r#"{"provider":{"type":"gemini","apiTokens":["k"]}}"#, "/v1/embeddings", r#"{"model":"m","input":"a"}"#),
            (
                r#"{"provider":{"type":"qwen","apiTokens":["k"]}}"#,
                "/v1/rerank",
                r#"{"model":"m","query":"q","documents":["a"]}"#,
            ),
        ] {
            let engine = crate::Engine::compile(config.as_bytes()).unwrap();
            let provider = engine.global.as_ref().unwrap();
            let head = RequestHead {
                method: "POST",
                path,
                content_type: Some("application/json"),
                content_length: Some(body.len() as u64),
                has_body: true,
            };
            let (mut ex, _) = Exchange::start(provider, &head, 0).unwrap();
            ex.request_body(body.as_bytes()).unwrap();
            let plan = ex.response_headers(200, Some("text/event-stream"), || 0);
            assert_eq!(plan.mode, ResponseMode::Buffer, "{config} {path}");
            let out = ex.response_body(b"data: {}\n\n");
            assert!(out.edits.contains(&HeaderEdit::set(":status", "502")), "{path}: {:?}", out.edits);
            let body: serde_json::Value = serde_json::from_slice(&out.body.unwrap()).unwrap();
            assert!(body["error"]["message"].is_string(), "{path}: {body}");
        }
    }

    /// The stream framing is the egress translator's to decide: a wire whose stream is not SSE
    /// (Bedrock's event stream) is streamed on its own content type, and SSE there is not.
    #[test]
    fn stream_framing_is_the_translators() {
        #[derive(Debug)]
        struct Framed;
        #[derive(Debug)]
        struct Frames;
        impl StreamTranslator for Frames {
            fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\n\n");
            }
            fn finish(&mut self, out: &mut Vec<u8>) {
                out.extend_from_slice(b"data: [DONE]\n\n");
            }
        }
        impl Translator for Framed {
            fn request(&self, _: &ObjectView<'_>, _: &str, _: &ProviderConfig) -> Result<Translated, ProxyError> {
                Ok(Translated { body: b"{}".to_vec(), stream: true, ..Translated::default() })
            }
            fn response(&self, body: &[u8], _: &TranslateCtx) -> Result<Vec<u8>, ProxyError> {
                Ok(body.to_vec())
            }
            fn error(&self, status: u16, body: &[u8]) -> (u16, Vec<u8>) {
                (status, body.to_vec())
            }
            fn stream(&self, _: TranslateCtx) -> Option<Box<dyn StreamTranslator>> {
                Some(Box::new(Frames))
            }
            fn streams(&self, content_type: &str) -> bool {
                content_type.starts_with("application/vnd.amazon.eventstream")
            }
        }
        static FRAMED: Framed = Framed;
        let engine = crate::Engine::compile(br#"{"provider":{"type":"openai","apiTokens":["k"]}}"#).unwrap();
        let provider = engine.global.as_ref().unwrap();
        let head = RequestHead {
            method: "POST",
            path: "/v1/chat/completions",
            content_type: Some("application/json"),
            content_length: Some(2),
            has_body: true,
        };
        let start = || {
            let (mut ex, _) = Exchange::start(provider, &head, 0).unwrap();
            ex.route.translator = Some(&FRAMED);
            ex
        };
        let mut ex = start();
        let plan = ex.response_headers(200, Some("application/vnd.amazon.eventstream"), || 0);
        assert_eq!(plan.mode, ResponseMode::Stream);
        let mut out = Vec::new();
        ex.response_chunk(b"{}", true, &mut out);
        assert_eq!(out, b"data: {}\n\ndata: [DONE]\n\n");
        let plan = start().response_headers(200, Some("text/event-stream"), || 0);
        assert_eq!(plan.mode, ResponseMode::Buffer, "SSE is not this wire's stream");
        for (ct, sse) in
            [("text/event-stream", true), (" Text/Event-Stream; charset=utf-8", true), ("text/event", false)]
        {
            assert_eq!(crate::dialect::is_event_stream(ct), sse, "{ct:?}");
        }
    }

    /// The outcome names the token, the APIs on both sides, the mapped model and the
    /// upstream status as they become known.
    #[test]
    fn outcome_follows_the_exchange() {
        let engine = crate::Engine::compile(
            br#"{"provider":{"type":"gemini","apiTokens":["k0","k1"],"modelMapping":{"*":"gemini-2.5-flash"}}}"#,
        )
        .unwrap();
        let provider = engine.global.as_ref().unwrap();
        let head = RequestHead {
            method: "POST",
            path: "/v1/chat/completions",
            content_type: Some("application/json"),
            content_length: Some(40),
            has_body: true,
        };
        let (mut ex, _) = Exchange::start(provider, &head, 1).unwrap();
        let before = ex.outcome();
        assert_eq!(
            (before.upstream_status, before.token, before.api, before.model, before.stream),
            (None, 1, Some(ApiKind::ChatCompletions), "", false)
        );
        assert!(before.translated);
        ex.request_body(br#"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"#).unwrap();
        ex.response_headers(429, Some("application/json"), || 0);
        let after = ex.outcome();
        assert_eq!((after.upstream_status, after.model, after.stream), (Some(429), "gemini-2.5-flash", true));
        assert_eq!(after.upstream_api, Some(ApiKind::ChatCompletions));
        assert_eq!((after.first_byte_ms, after.total_ms, after.usage), (None, None, None));

        // A streamed answer: the usage the translator read, and the glue's timings.
        let (mut ex, _) = Exchange::start(provider, &head, 0).unwrap();
        ex.record(Moment::Start, 5_000_000_000);
        ex.request_body(br#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#).unwrap();
        ex.record(Moment::FirstByte, 5_250_000_000);
        assert_eq!(ex.response_headers(200, Some("text/event-stream"), || 0).mode, ResponseMode::Stream);
        let mut out = Vec::new();
        ex.response_chunk(
            br#"data: {"candidates":[{"content":{"parts":[{"text":"hey"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1}}"#,
            false,
            &mut out,
        );
        ex.response_chunk(b"\n\n", true, &mut out);
        ex.record(Moment::End, 6_000_000_000);
        let done = ex.outcome();
        assert_eq!((done.first_byte_ms, done.total_ms), (Some(250), Some(1000)));
        let usage = done.usage.expect("usage from the stream");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens, usage.total_tokens), (3, 1, 4));
        // A stream that breaks after reporting usage keeps it: those tokens were used.
        let (mut ex, _) = Exchange::start(provider, &head, 0).unwrap();
        ex.request_body(br#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#).unwrap();
        ex.response_headers(200, Some("text/event-stream"), || 0);
        let mut out = Vec::new();
        ex.response_chunk(
            b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"usageMetadata\":{\"promptTokenCount\":5}}\n\ndata: {broken\n\n",
            true,
            &mut out,
        );
        assert!(String::from_utf8_lossy(&out).contains("error"), "the client is told");
        assert_eq!(ex.outcome().usage.map(|u| u.prompt_tokens), Some(5));
        if cfg!(feature = "anthropic") {
            // Through an ingress only (Anthropic client, OpenAI-wire provider): the chat usage.
            let engine = crate::Engine::compile(br#"{"provider":{"type":"openai","apiTokens":["k"]}}"#).unwrap();
            let provider = engine.global.as_ref().unwrap();
            let head = RequestHead { path: "/v1/messages", ..head };
            let (mut ex, _) = Exchange::start(provider, &head, 0).unwrap();
            ex.request_body(
                br#"{"model":"m","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
            )
            .unwrap();
            ex.response_headers(200, Some("text/event-stream"), || 0);
            let mut out = Vec::new();
            ex.response_chunk(
                br#"data: {"id":"c","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":4}}}

"#,
                false,
                &mut out,
            );
            let usage = ex.outcome().usage.expect("usage from the chat stream");
            assert_eq!((usage.prompt_tokens, usage.completion_tokens), (7, 2));
            assert_eq!(usage.prompt_tokens_details.map(|d| d.cached_tokens), Some(4));
        }
    }

    /// A signed upstream signs what it will receive: method, host, upstream path and the
    /// final body, at the glue's clock. Unsigned providers add nothing.
    #[test]
    fn signer_sees_the_outgoing_request() {
        #[derive(Debug)]
        struct Echo;
        impl sign::Signer for Echo {
            fn scheme(&self) -> &'static str {
                "ECHO"
            }
            fn sign(&self, r: &sign::Outgoing<'_>) -> Result<Vec<HeaderEdit>, ProxyError> {
                if r.body.is_empty() {
                    return Err(ProxyError::invalid_request("nothing to sign"));
                }
                let seen =
                    format!("{} {} {} {:?} {} {}", r.method, r.authority, r.path, r.content_type, r.body.len(), r.now);
                Ok(vec![HeaderEdit::set("authorization", seen)])
            }
        }
        let config = br#"{"provider":{"type":"openai","apiTokens":["k"]}}"#;
        let plain = crate::Engine::compile(config).unwrap().global.unwrap();
        let mut signed = crate::Engine::compile(config).unwrap().global.unwrap();
        Arc::get_mut(&mut signed).expect("one owner").endpoint.signer = Some(sign::SignerRef(Arc::new(Echo)));
        let head = RequestHead {
            method: "POST",
            path: "/v1/chat/completions?x=1",
            content_type: Some("application/json"),
            content_length: Some(2),
            has_body: true,
        };
        let body = br#"{"model":"m","messages":[]}"#;
        let (mut ex, _) = Exchange::start(&signed, &head, 0).unwrap();
        let plan = ex.request_body(body).unwrap();
        let sent = plan.body.as_deref().unwrap_or(body);
        let edits = ex.sign(sent, || 1_700_000_000).unwrap();
        let expected = format!(
            "POST api.openai.com /v1/chat/completions?x=1 Some(\"application/json\") {} 1700000000",
            sent.len()
        );
        assert_eq!(edits, vec![HeaderEdit::set("authorization", expected)]);
        let reply = ex.sign(b"", || 0).expect_err("a signer's error is the client's");
        assert_eq!(reply.status, 400);
        let (plain_ex, _) = Exchange::start(&plain, &head, 0).unwrap();
        assert_eq!(plain_ex.sign(body, || panic!("no clock without a signer")).unwrap(), Vec::new());
    }

    /// A planned call holds the request; its answer resumes it with the continuation's edits
    /// or ends it with an error in the client's protocol.
    #[test]
    fn planned_call_resumes_the_request() {
        #[derive(Debug)]
        struct TokenExchange;
        impl call::Continuation for TokenExchange {
            fn resume(self: Box<Self>, answer: call::CallAnswer<'_>) -> Result<Vec<HeaderEdit>, ProxyError> {
                match (answer.status, std::str::from_utf8(answer.body)) {
                    (200, Ok(token)) => Ok(vec![HeaderEdit::set("authorization", format!("Bearer {token}"))]),
                    (status, _) => Err(ProxyError::bad_upstream(format!("token exchange answered {status}"))),
                }
            }
        }
        let plan = || call::CallPlan {
            call: call::HttpCall {
                cluster: "oauth2".into(),
                headers: vec![(":method".into(), "POST".into()), (":path".into(), "/token".into())],
                body: b"grant_type=jwt".to_vec(),
                timeout_ms: 5000,
            },
            then: Box::new(TokenExchange),
        };
        let engine = crate::Engine::compile(br#"{"provider":{"type":"openai","apiTokens":["k"]}}"#).unwrap();
        let provider = engine.global.as_ref().unwrap();
        for path in ["/v1/chat/completions", "/v1/messages"] {
            let head = RequestHead {
                method: "POST",
                path,
                content_type: Some("application/json"),
                content_length: Some(2),
                has_body: true,
            };
            let (mut ex, _) = Exchange::start(provider, &head, 0).unwrap();
            assert_eq!(ex.take_call(), None);
            ex.plan_call(plan());
            assert_eq!(ex.take_call().map(|c| c.cluster), Some("oauth2".into()));
            assert_eq!(ex.take_call(), None, "dispatched once");
            let edits = ex.call_answered(call::CallAnswer { status: 200, body: b"ya29" }).unwrap();
            assert_eq!(edits, vec![HeaderEdit::set("authorization", "Bearer ya29")]);
            assert!(ex.call_answered(call::CallAnswer { status: 200, body: b"" }).is_err(), "answered once");

            ex.plan_call(plan());
            let reply = ex.call_answered(call::CallAnswer { status: 0, body: b"" }).unwrap_err();
            assert_eq!(reply.status, 502);
            let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
            let anthropic = path == "/v1/messages" && cfg!(feature = "anthropic");
            assert_eq!(body["type"] == "error", anthropic, "{path}: {body}");
        }
    }

    /// Fuzz find (request_translation): a model with a space went into Gemini's `:path`.
    #[test]
    fn model_in_url_must_be_visible_ascii() {
        for (config, ok) in [
            (r#"{"provider":{"type":"gemini","apiTokens":["k"]}}"#, "gemini-2.5-flash"),
            (
                r#"{"provider":{"type":"azure","apiTokens":["k"],"azureServiceUrl":"https://r.openai.azure.com?api-version=2024-10-21"}}"#,
                "dep-1",
            ),
        ] {
            let engine = crate::Engine::compile(config.as_bytes()).unwrap();
            let provider = engine.global.as_ref().unwrap();
            let run = |model: &str| {
                let body = format!(
                    r#"{{"model":{},"messages":[{{"role":"user","content":"hi"}}]}}"#,
                    serde_json::to_string(model).unwrap()
                );
                let head = RequestHead {
                    method: "POST",
                    path: "/v1/chat/completions",
                    content_type: Some("application/json"),
                    content_length: Some(body.len() as u64),
                    has_body: true,
                };
                let (mut ex, plan) = Exchange::start(provider, &head, 0).unwrap();
                assert!(plan.read_body);
                ex.request_body(body.as_bytes())
            };
            let path = run(ok).unwrap().edits.into_iter().find(|e| e.name == ":path").and_then(|e| e.value).unwrap();
            assert!(path.contains(ok), "{path}");
            for bad in ["gemini 2.5", "m\r\nx-evil: 1", "m\t", "m\u{7f}", "模型", "a/b", "a%2F"] {
                let reply = run(bad).unwrap_err();
                assert_eq!(reply.status, 400, "{bad:?}");
                assert!(
                    String::from_utf8_lossy(&reply.body).contains("cannot be used in the provider's URL"),
                    "{bad:?}"
                );
            }
        }
    }

    #[test]
    fn query_merging() {
        assert_eq!(merge_query("api-version=1", "api-version=2&x=1"), "api-version=1&x=1");
        assert_eq!(merge_query("", "x=1"), "x=1");
        assert_eq!(merge_query("a=1", ""), "a=1");
    }

    #[test]
    fn base_path_stripping() {
        assert_eq!(strip_base("/ai/v1/chat", "/ai"), "/v1/chat");
        assert_eq!(strip_base("/aiv1/chat", "/ai"), "/aiv1/chat");
        assert_eq!(strip_base("/ai", "/ai"), "/");
    }

    #[test]
    fn json_content_types() {
        assert!(is_json(None));
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("Application/JSON")));
        assert!(!is_json(Some("multipart/form-data; boundary=x")));
        assert!(!is_json(Some("text/plain")));
    }
}
