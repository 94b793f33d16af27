//! Configuration: the plugin's YAML/JSON text → a validated, compiled `Engine`.
//!
//! Keys follow Higress's ai-proxy (`provider` or `providers` + `activeProviderId`, per-route
//! `_rules_`), so a Higress configuration works unchanged. Every problem is reported with its
//! field path, and unknown or unsupported keys are errors, never silently ignored.

pub mod fields;
pub mod model_map;
pub mod rules;
pub mod settings;

use crate::api::ApiKind;
use crate::dialect::Dialect;
use crate::providers::{self, Endpoint, ProviderSpec};
use fields::{type_name, ConfigErrors, Fields};
use model_map::ModelMap;
use serde_json::{Map, Value};
use settings::Setting;
use std::sync::Arc;

/// Default `timeout` (ms) for calls the plugin makes itself (as in Higress). The proxied LLM
/// request is bounded by the Envoy route's timeout, which the plugin leaves alone.
pub const DEFAULT_TIMEOUT_MS: u64 = 120_000;
/// Default request body limit for bodies the filter reads.
pub const DEFAULT_MAX_BODY: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Clients speak the OpenAI API; requests are translated to the provider.
    OpenAi,
    /// Clients speak the provider's own API; only host, auth and model change.
    Original,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BasePathHandling {
    /// Strip `basePath` from the client path.
    RemovePrefix,
    /// Prepend `basePath` to the upstream path.
    Prepend,
}

/// One provider, compiled.
#[derive(Debug)]
pub struct ProviderConfig {
    pub id: String,
    pub spec: &'static ProviderSpec,
    /// The dialect spoken upstream (the type's, unless a mode such as Qwen's compatible
    /// mode changes it).
    pub dialect: Dialect,
    /// The APIs served (the type's, unless its mode changes them).
    pub apis: &'static [ApiKind],
    pub tokens: Vec<String>,
    pub model_map: ModelMap,
    pub settings: Vec<Setting>,
    pub protocol: Protocol,
    pub endpoint: Endpoint,
    pub timeout_ms: u64,
    /// Inject `stream_options.include_usage` on streamed requests.
    pub stream_usage: bool,
    /// Remove the usage-only chunk the client did not ask for (costs a read of every chunk).
    pub hide_injected_usage: bool,
    pub max_body_bytes: usize,
    pub base_path: Option<(String, BasePathHandling)>,
    /// Prefixed to every upstream path.
    pub provider_base_path: String,
}

/// Higress ai-proxy keys we do not implement yet: rejected with a clear message.
const NOT_SUPPORTED_YET: &[&str] = &[
    "context",
    "failover",
    "retryOnFailure",
    "capabilities",
    "reasoningContentMode",
    "firstByteTimeout",
    "contextCleanupCommands",
    "mergeConsecutiveMessages",
    "promoteThinkingOnEmpty",
    "hiclawMode",
    "authHeaderKey",
    "responseJsonSchema",
    "claudeCodeMode",
];

const COMMON_FIELDS: &[&str] = &[
    "id",
    "type",
    "apiTokens",
    "timeout",
    "modelMapping",
    "protocol",
    "customSettings",
    "providerDomain",
    "providerBasePath",
    "basePath",
    "basePathHandling",
    "disableStreamUsageStats",
    "hideInjectedStreamUsage",
    "maxRequestBodyBytes",
];

fn field_hint(key: &str) -> Option<String> {
    if NOT_SUPPORTED_YET.contains(&key) {
        return Some("is a Higress ai-proxy option that ai-proxy does not support yet".into());
    }
    if key == "subPath" {
        return Some("was renamed to basePath (with basePathHandling)".into());
    }
    if key == "apiToken" {
        return Some("unknown field; did you mean apiTokens (a list)?".into());
    }
    providers::REGISTRY
        .iter()
        .find(|s| s.fields.contains(&key))
        .map(|s| format!("belongs to provider type `{}`", s.name))
}

/// Parses the plugin configuration text: JSON, or YAML when built with the `yaml` feature.
pub fn parse_document(text: &[u8]) -> Result<Value, String> {
    let s = std::str::from_utf8(text).map_err(|_| "configuration is not UTF-8".to_string())?;
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed).map_err(|e| format!("configuration is not valid JSON: {e}"));
    }
    parse_yaml(trimmed)
}

#[cfg(feature = "yaml")]
fn parse_yaml(s: &str) -> Result<Value, String> {
    serde_yaml_ng::from_str::<Value>(s).map_err(|e| format!("configuration is not valid YAML: {e}"))
}

#[cfg(not(feature = "yaml"))]
fn parse_yaml(_: &str) -> Result<Value, String> {
    Err("configuration is not JSON and this build has no YAML support".into())
}

/// Compiles one provider block at `path`.
pub fn compile_provider(
    path: &str,
    map: &Map<String, Value>,
    errs: &mut ConfigErrors,
    warnings: &mut Vec<String>,
) -> Option<ProviderConfig> {
    let before = errs.0.len();
    let mut f = Fields::new(path, map);
    let type_name_ = f.required_string("type", errs)?;
    let Some(spec) = providers::find(&type_name_) else {
        let known: Vec<&str> = providers::REGISTRY.iter().map(|s| s.name).collect();
        errs.push(&f.child("type"), format!("unknown provider type `{type_name_}` (known: {})", known.join(", ")));
        return None;
    };
    let id = f.string("id", errs).unwrap_or_default();
    let tokens = f.string_list("apiTokens", errs).unwrap_or_default();
    if tokens.iter().any(|t| t.trim().is_empty()) {
        errs.push(&f.child("apiTokens"), "must not contain empty tokens");
    }
    if spec.token_required && tokens.is_empty() {
        errs.push(&f.child("apiTokens"), format!("is required for provider type `{}` (at least one token)", spec.name));
    }
    let timeout_ms = positive(&mut f, "timeout", errs).unwrap_or(DEFAULT_TIMEOUT_MS);
    let max_body_bytes = positive(&mut f, "maxRequestBodyBytes", errs).unwrap_or(DEFAULT_MAX_BODY);
    let model_map = match f.object("modelMapping", errs) {
        Some(m) => ModelMap::parse(&f.child("modelMapping"), m, errs),
        None => ModelMap::default(),
    };
    let protocol = match f.string("protocol", errs).as_deref() {
        None | Some("openai") => Protocol::OpenAi,
        Some("original") => Protocol::Original,
        Some(other) => {
            errs.push(&f.child("protocol"), format!("must be `openai` or `original`, got `{other}`"));
            Protocol::OpenAi
        }
    };
    let stream_usage = spec.stream_usage && f.bool("disableStreamUsageStats", errs) != Some(true);
    let hide_injected_usage = f.bool("hideInjectedStreamUsage", errs) == Some(true);

    let mut endpoint = spec.default_endpoint();
    if let Some(configure) = spec.configure {
        configure(&mut f, errs, &mut endpoint);
    }
    let dialect = endpoint.dialect.unwrap_or(spec.dialect);
    let apis = endpoint.apis.unwrap_or(spec.apis);
    if protocol == Protocol::OpenAi {
        if let Some(feature) = dialect.missing_feature() {
            errs.push(
                &f.child("type"),
                format!(
                    "provider type `{}` needs the `{feature}` translator, which this build of ai-proxy \
                     leaves out (build it with the cargo feature `{feature}`, or use `protocol: original`)",
                    spec.name
                ),
            );
        }
    }
    // Settings are written in the dialect spoken upstream, so they are read after the mode.
    let settings = match f.array("customSettings", errs) {
        Some(items) => settings::parse(&f.child("customSettings"), items, dialect, errs, warnings),
        None => Vec::new(),
    };
    if let Some(domain) = providers::host_field(&mut f, errs, "providerDomain") {
        endpoint.host = Some(domain);
    }
    if endpoint.signer.is_some() && endpoint.host.is_none() {
        // The signature covers the host; the client's would be signed, then rewritten by routing.
        errs.push(
            &f.child("providerDomain"),
            format!("provider type `{}` signs its requests and needs a host", spec.name),
        );
    }
    let provider_base_path = match f.string("providerBasePath", errs) {
        Some(p) if !p.starts_with('/') || p.contains(['?', ' ']) => {
            errs.push(&f.child("providerBasePath"), "must be a path starting with `/`");
            String::new()
        }
        Some(p) => p.trim_end_matches('/').to_string(),
        None => String::new(),
    };
    let base_path = compile_base_path(&mut f, errs);
    if endpoint.host.is_none() && spec.name != "generic" && errs.0.len() == before {
        errs.push(path, format!("provider type `{}` needs a host", spec.name));
    }
    f.finish(errs, field_hint);
    (errs.0.len() == before).then_some(ProviderConfig {
        id,
        spec,
        dialect,
        apis,
        tokens,
        model_map,
        settings,
        protocol,
        endpoint,
        timeout_ms,
        stream_usage,
        hide_injected_usage,
        max_body_bytes: usize::try_from(max_body_bytes).unwrap_or(usize::MAX),
        base_path,
        provider_base_path,
    })
}

/// An integer field that must be greater than zero.
fn positive(f: &mut Fields, key: &str, errs: &mut ConfigErrors) -> Option<u64> {
    match f.u64(key, errs)? {
        0 => {
            errs.push(&f.child(key), "must be greater than 0");
            None
        }
        n => Some(n),
    }
}

fn compile_base_path(f: &mut Fields, errs: &mut ConfigErrors) -> Option<(String, BasePathHandling)> {
    let base = f.string("basePath", errs);
    let handling = match f.string("basePathHandling", errs).as_deref() {
        None | Some("removePrefix") => BasePathHandling::RemovePrefix,
        Some("prepend") => BasePathHandling::Prepend,
        Some(other) => {
            errs.push(&f.child("basePathHandling"), format!("must be `removePrefix` or `prepend`, got `{other}`"));
            BasePathHandling::RemovePrefix
        }
    };
    let base = base?;
    if !base.starts_with('/') || base.contains(['?', ' ']) {
        errs.push(&f.child("basePath"), "must be a path starting with `/`");
        return None;
    }
    let base = base.trim_end_matches('/').to_string();
    (!base.is_empty()).then_some((base, handling))
}

/// The providers one scope (the global config, or a rule) can choose from.
#[derive(Debug, Default)]
struct Catalog {
    /// `provider: {...}`: the one active provider (wins over `providers`, as in Higress).
    legacy: Option<Arc<ProviderConfig>>,
    by_id: Vec<Arc<ProviderConfig>>,
}

impl Catalog {
    fn compile(scope: &mut Fields, errs: &mut ConfigErrors, warnings: &mut Vec<String>) -> Option<Catalog> {
        let has_any = scope.has("provider") || scope.has("providers");
        let mut cat = Catalog::default();
        if let Some(p) = scope.object("provider", errs) {
            let path = scope.child("provider");
            cat.legacy = compile_provider(&path, p, errs, warnings).map(Arc::new);
        }
        if let Some(items) = scope.array("providers", errs) {
            let path = scope.child("providers");
            for (i, item) in items.iter().enumerate() {
                let at = format!("{path}[{i}]");
                let Value::Object(m) = item else {
                    errs.push(&at, format!("must be an object, got {}", type_name(item)));
                    continue;
                };
                let Some(p) = compile_provider(&at, m, errs, warnings) else { continue };
                if p.id.is_empty() {
                    errs.push(&format!("{at}.id"), "is required in a `providers` list");
                } else if cat.by_id.iter().any(|q| q.id == p.id) {
                    errs.push(&format!("{at}.id"), format!("duplicate provider id `{}`", p.id));
                } else {
                    cat.by_id.push(Arc::new(p));
                }
            }
        }
        has_any.then_some(cat)
    }

    fn select(&self, active: Option<&str>, at: &str, errs: &mut ConfigErrors) -> Option<Arc<ProviderConfig>> {
        if let Some(p) = &self.legacy {
            return Some(p.clone());
        }
        let id = active?;
        let found = self.by_id.iter().find(|p| p.id == id).cloned();
        if found.is_none() {
            let ids: Vec<&str> = self.by_id.iter().map(|p| p.id.as_str()).collect();
            errs.push(at, format!("no provider with id `{id}` (ids: {})", ids.join(", ")));
        }
        found
    }
}

/// The compiled configuration: a provider for the global scope and per-route rules.
#[derive(Debug, Default)]
pub struct Engine {
    pub global: Option<Arc<ProviderConfig>>,
    pub rules: Vec<rules::Rule>,
    /// Non-fatal remarks (settings that have no effect), for the glue to log once.
    pub warnings: Vec<String>,
}

impl Engine {
    /// Parses and compiles the plugin configuration; every error names its field path.
    pub fn compile(text: &[u8]) -> Result<Engine, ConfigErrors> {
        let mut errs = ConfigErrors::default();
        let doc = parse_document(text).map_err(|e| ConfigErrors(vec![e]))?;
        let Value::Object(root) = &doc else {
            return Err(ConfigErrors(vec![format!("configuration must be an object, got {}", type_name(&doc))]));
        };
        let mut warnings = Vec::new();
        let mut top = Fields::new("", root);
        let catalog = Catalog::compile(&mut top, &mut errs, &mut warnings);
        let active = top.string("activeProviderId", &mut errs);
        let global = catalog.as_ref().and_then(|c| c.select(active.as_deref(), "activeProviderId", &mut errs));
        let mut rules = Vec::new();
        if let Some(items) = top.array("_rules_", &mut errs) {
            for (i, item) in items.iter().enumerate() {
                let at = format!("_rules_[{i}]");
                let Value::Object(m) = item else {
                    errs.push(&at, "must be an object");
                    continue;
                };
                let mut rf = Fields::new(at.clone(), m);
                let matcher = rules::Matcher::parse(&mut rf, &mut errs);
                let own = Catalog::compile(&mut rf, &mut errs, &mut warnings);
                let own_active = rf.string("activeProviderId", &mut errs);
                let cat = own.as_ref().or(catalog.as_ref());
                let provider = match (&own_active, cat) {
                    (Some(id), Some(c)) => c.select(Some(id), &rf.child("activeProviderId"), &mut errs),
                    // An inherited id that the rule's own catalogue lacks switches the rule off.
                    (None, Some(c)) => c.select(active.as_deref(), "", &mut ConfigErrors::default()),
                    (_, None) => None,
                };
                rf.finish(&mut errs, top_hint);
                if let Some(matcher) = matcher {
                    rules.push(rules::Rule { matcher, provider });
                }
            }
        }
        top.finish(&mut errs, top_hint);
        if errs.is_empty() {
            Ok(Engine { global, rules, warnings })
        } else {
            Err(errs)
        }
    }

    /// The provider for a request, from Higress rule matching; `None`: leave the request alone.
    pub fn select(&self, route: &rules::RouteInfo<'_>) -> Option<&Arc<ProviderConfig>> {
        match self.rules.iter().find(|r| r.matcher.matches(route)) {
            Some(rule) => rule.provider.as_ref(),
            None => self.global.as_ref(),
        }
    }

    /// Whether selection needs the `route_name` property (avoids a host call otherwise).
    pub fn needs_route_name(&self) -> bool {
        self.rules.iter().any(|r| r.matcher.uses_route())
    }

    /// Whether selection needs the `cluster_name` property.
    pub fn needs_cluster_name(&self) -> bool {
        self.rules.iter().any(|r| r.matcher.uses_service())
    }
}

fn top_hint(key: &str) -> Option<String> {
    if COMMON_FIELDS.contains(&key)
        || NOT_SUPPORTED_YET.contains(&key)
        || providers::REGISTRY.iter().any(|s| s.fields.contains(&key))
    {
        Some("is a provider field: put it inside `provider:` or a `providers:` entry".into())
    } else {
        None
    }
}

/// Validates a configuration without keeping it (for tooling and tests).
pub fn validate(text: &[u8]) -> Result<Vec<String>, ConfigErrors> {
    Engine::compile(text).map(|e| e.warnings)
}

#[cfg(test)]
mod tests;
