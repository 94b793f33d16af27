use super::*;
use crate::config::rules::RouteInfo;
use crate::providers::PathRule;

fn compile(text: &str) -> Result<Engine, ConfigErrors> {
    Engine::compile(text.as_bytes())
}

fn errors(text: &str) -> Vec<String> {
    match compile(text) {
        Ok(_) => panic!("config accepted: {text}"),
        Err(e) => e.0,
    }
}

fn global(text: &str) -> Arc<ProviderConfig> {
    compile(text).unwrap_or_else(|e| panic!("{e}")).global.expect("global provider")
}

#[test]
fn yaml_and_json_give_the_same_provider() {
    let y = global("provider:\n  type: deepseek\n  apiTokens: [sk-1]\n  modelMapping:\n    '*': deepseek-chat\n");
    let j = global(r#"{"provider":{"type":"deepseek","apiTokens":["sk-1"],"modelMapping":{"*":"deepseek-chat"}}}"#);
    assert_eq!(y.tokens, j.tokens);
    assert_eq!(y.model_map, j.model_map);
    assert_eq!(y.endpoint, j.endpoint);
    assert_eq!(y.endpoint.host.as_deref(), Some("api.deepseek.com"));
    assert_eq!(y.timeout_ms, DEFAULT_TIMEOUT_MS);
}

#[test]
fn empty_config_means_no_provider() {
    let e = compile("").unwrap();
    assert!(e.global.is_none());
    let e = compile("{}").unwrap();
    assert!(e.global.is_none());
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let errs = errors(
        r#"{"provider":{"type":"azure","apiTokens":"k","timeout":"soon","modelMapping":{"~x":"y"},
            "protocol":"grpc","customSettings":[{"name":"temperature"}],"bogus":1,"cloudflareAccountId":"a",
            "failover":{"enabled":true}}}"#,
    );
    let joined = errs.join("\n");
    for expected in [
        "provider.azureServiceUrl: is required",
        "provider.timeout: must be a non-negative integer",
        "provider.modelMapping.~x:",
        "provider.protocol: must be `openai` or `original`",
        "provider.customSettings[0].value: is required",
        "provider.bogus: unknown field",
        "provider.cloudflareAccountId: belongs to provider type `cloudflare`",
        "provider.failover: is a Higress ai-proxy option that ai-proxy does not support yet",
    ] {
        assert!(joined.contains(expected), "missing `{expected}` in:\n{joined}");
    }
}

#[test]
fn unknown_type_and_missing_fields() {
    assert!(errors(r#"{"provider":{"type":"nope","apiTokens":["k"]}}"#)[0]
        .starts_with("provider.type: unknown provider type `nope`"));
    assert_eq!(errors(r#"{"provider":{"apiTokens":["k"]}}"#), vec!["provider.type: is required"]);
    assert_eq!(
        errors(r#"{"provider":{"type":"groq"}}"#),
        vec!["provider.apiTokens: is required for provider type `groq` (at least one token)"]
    );
    assert_eq!(errors(r#"{"provider":{"type":"ollama"}}"#), vec!["provider.ollamaServerHost: is required"]);
    assert_eq!(
        errors(r#"{"provider":{"type":"cloudflare","apiTokens":["k"]}}"#),
        vec!["provider.cloudflareAccountId: is required"]
    );
    assert_eq!(
        errors(r#"{"provider":{"type":"groq","apiTokens":["k",""]}}"#),
        vec!["provider.apiTokens: must not contain empty tokens"]
    );
}

#[test]
fn secrets_never_appear_in_errors() {
    let errs = errors(
        r#"{"provider":{"type":"azure","apiTokens":["sk-secret-123"],"azureServiceUrl":"https://sk-secret-url x"}}"#,
    );
    assert!(!errs.join(" ").contains("secret"), "{errs:?}");
}

#[test]
fn malformed_documents() {
    assert!(errors("{not json")[0].starts_with("configuration is not valid JSON"));
    assert!(errors("provider: [unclosed")[0].starts_with("configuration is not valid YAML"));
    assert!(errors("[1,2]")[0].contains("must be an object") || errors("[1,2]")[0].contains("not valid"));
    assert_eq!(errors(r#"{"provider":3}"#), vec!["provider: must be an object, got a number"]);
}

#[test]
fn azure_service_url_forms() {
    let p = |url: &str| {
        global(&format!(r#"{{"provider":{{"type":"azure","apiTokens":["k"],"azureServiceUrl":"{url}"}}}}"#))
    };
    let full = p("https://r.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-10-21");
    assert_eq!(full.endpoint.path, PathRule::Fixed("/openai/deployments/d1/chat/completions".into()));
    assert_eq!(full.endpoint.query, "api-version=2024-10-21");
    assert_eq!(full.endpoint.host.as_deref(), Some("r.openai.azure.com"));
    let dep = p("https://r.openai.azure.com/openai/deployments/d1?api-version=2024-10-21");
    assert_eq!(dep.endpoint.path, PathRule::AzureDeployment(Some("d1".into())));
    let res = p("https://r.openai.azure.com?api-version=2024-10-21");
    assert_eq!(res.endpoint.path, PathRule::AzureDeployment(None));
    let v1 = p("https://r.openai.azure.com/openai/v1/");
    assert_eq!(v1.endpoint.path, PathRule::Base("/openai/v1".into()));
    let errs = errors(
        r#"{"provider":{"type":"azure","apiTokens":["k"],"azureServiceUrl":"https://r.openai.azure.com/openai/deployments/d1"}}"#,
    );
    assert_eq!(
        errs,
        vec!["provider.azureServiceUrl: needs an `api-version` query parameter (or use the /openai/v1 form)"]
    );
    let errs = errors(r#"{"provider":{"type":"azure","apiTokens":["k"],"azureServiceUrl":"ftp://x"}}"#);
    assert!(errs[0].starts_with("provider.azureServiceUrl: is not a valid URL"));
}

#[test]
fn openai_custom_url_forms() {
    let p = |url: &str| {
        global(&format!(r#"{{"provider":{{"type":"openai","apiTokens":["k"],"openaiCustomUrl":"{url}"}}}}"#))
    };
    let base = p("https://llm.example.com/myai/v1");
    assert_eq!(base.endpoint.host.as_deref(), Some("llm.example.com"));
    assert_eq!(base.endpoint.path, PathRule::Base("/myai/v1".into()));
    let direct = p("llm.example.com:8443/x/chat/completions");
    assert_eq!(direct.endpoint.host.as_deref(), Some("llm.example.com:8443"));
    assert_eq!(direct.endpoint.path, PathRule::Fixed("/x/chat/completions".into()));
    let root = p("http://llm.example.com");
    assert_eq!(root.endpoint.path, PathRule::Base(String::new()));
}

#[test]
fn providers_catalogue_and_active_id() {
    let text = r#"{"providers":[{"id":"a","type":"groq","apiTokens":["k"]},{"id":"b","type":"deepseek","apiTokens":["k"]}],"activeProviderId":"b"}"#;
    assert_eq!(global(text).spec.name, "deepseek");
    let inactive = compile(r#"{"providers":[{"id":"a","type":"groq","apiTokens":["k"]}]}"#).unwrap();
    assert!(inactive.global.is_none());
    let errs = errors(r#"{"providers":[{"id":"a","type":"groq","apiTokens":["k"]}],"activeProviderId":"z"}"#);
    assert_eq!(errs, vec!["activeProviderId: no provider with id `z` (ids: a)"]);
    let errs = errors(
        r#"{"providers":[{"id":"a","type":"groq","apiTokens":["k"]},{"id":"a","type":"groq","apiTokens":["k"]},{"type":"groq","apiTokens":["k"]}]}"#,
    );
    assert_eq!(
        errs,
        vec!["providers[1].id: duplicate provider id `a`", "providers[2].id: is required in a `providers` list"]
    );
    let errs = errors(r#"{"type":"groq","provider":{"type":"groq","apiTokens":["k"]}}"#);
    assert_eq!(errs, vec!["type: is a provider field: put it inside `provider:` or a `providers:` entry"]);
}

#[test]
fn higress_rules_select_per_route() {
    let text = r#"{
        "providers":[{"id":"g","type":"groq","apiTokens":["k"]},{"id":"d","type":"deepseek","apiTokens":["k"]}],
        "activeProviderId":"g",
        "_rules_":[
            {"_match_route_":["r-deepseek"],"activeProviderId":"d"},
            {"_match_domain_":["*.moon.example"],"provider":{"type":"moonshot","apiTokens":["m"]}},
            {"_match_service_":["svc.dns:443"],"activeProviderId":"d"},
            {"_match_route_prefix_":["off-"],"providers":[]}
        ]}"#;
    let e = compile(text).unwrap();
    assert!(e.needs_route_name() && e.needs_cluster_name());
    let pick = |route: Option<&str>, authority: &str, cluster: Option<&str>| {
        e.select(&RouteInfo { route_name: route, authority, cluster_name: cluster }).map(|p| p.spec.name)
    };
    assert_eq!(pick(Some("r-deepseek"), "x", None), Some("deepseek"));
    assert_eq!(pick(None, "a.moon.example:8080", None), Some("moonshot"));
    assert_eq!(pick(None, "h", Some("outbound|443||svc.dns")), Some("deepseek"));
    assert_eq!(pick(Some("off-1"), "h", None), None);
    assert_eq!(pick(Some("other"), "h", None), Some("groq"));
}

#[test]
fn rule_errors_name_the_rule() {
    let errs = errors(
        r#"{"_rules_":[{"activeProviderId":"x"},{"_match_route_":["a"],"_match_domain_":["b"]},{"_match_route_":[],"provider":{"type":"groq"}}]}"#,
    );
    let joined = errs.join("\n");
    assert!(joined.contains("_rules_[0]: needs one of"), "{joined}");
    assert!(joined.contains("_rules_[1]: has more than one match key"), "{joined}");
    assert!(joined.contains("_rules_[2]._match_route_: must list at least one entry"), "{joined}");
    assert!(joined.contains("_rules_[2].provider.apiTokens: is required"), "{joined}");
}

#[test]
fn stream_usage_opt_out_and_provider_defaults() {
    assert!(global(r#"{"provider":{"type":"openai","apiTokens":["k"]}}"#).stream_usage);
    assert!(!global(r#"{"provider":{"type":"openai","apiTokens":["k"],"disableStreamUsageStats":true}}"#).stream_usage);
    assert!(!global(r#"{"provider":{"type":"mistral","apiTokens":["k"]}}"#).stream_usage);
}

#[test]
fn common_path_and_host_overrides() {
    let p = global(
        r#"{"provider":{"type":"moonshot","apiTokens":["k"],"providerDomain":"api.moonshot.ai","providerBasePath":"/gw/","basePath":"/ai","timeout":30000}}"#,
    );
    assert_eq!(p.endpoint.host.as_deref(), Some("api.moonshot.ai"));
    assert_eq!(p.provider_base_path, "/gw");
    assert_eq!(p.base_path, Some(("/ai".into(), BasePathHandling::RemovePrefix)));
    assert_eq!(p.timeout_ms, 30000);
    let errs = errors(
        r#"{"provider":{"type":"moonshot","apiTokens":["k"],"providerDomain":"https://x/y","basePath":"ai","timeout":0}}"#,
    );
    assert_eq!(errs.len(), 3, "{errs:?}");
}

/// Run in every feature combination (CI builds the slim ones): a provider whose translator the
/// build leaves out is an error naming the `type` field and the cargo feature.
#[test]
fn translators_left_out_of_the_build_reject_their_providers() {
    let cases = [
        ("claude", cfg!(feature = "anthropic"), "anthropic"),
        ("gemini", cfg!(feature = "gemini"), "gemini"),
        ("qwen", cfg!(feature = "dashscope"), "dashscope"),
    ];
    for (kind, built, feature) in cases {
        let text = format!(r#"{{"provider":{{"type":"{kind}","apiTokens":["sk-1"]}}}}"#);
        match (compile(&text), built) {
            (Ok(_), true) => {}
            (Err(e), false) => {
                let msg = e.0.join("\n");
                assert!(msg.contains("provider.type") && msg.contains(&format!("cargo feature `{feature}`")), "{msg}");
            }
            (Ok(_), false) => panic!("{kind} accepted without the `{feature}` translator"),
            (Err(e), true) => panic!("{kind} rejected: {e}"),
        }
        // The client speaks the provider's own API: nothing to translate.
        let original = format!(r#"{{"provider":{{"type":"{kind}","apiTokens":["sk-1"],"protocol":"original"}}}}"#);
        assert!(compile(&original).is_ok(), "{kind} with protocol original");
    }
    // Qwen's OpenAI-compatible mode needs no DashScope translator.
    assert!(compile(r#"{"provider":{"type":"qwen","apiTokens":["sk-1"],"qwenEnableCompatible":true}}"#).is_ok());
}
