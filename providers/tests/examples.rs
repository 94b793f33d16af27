// The fixtures and examples cover every provider: they need every translator.
#![cfg(all(feature = "yaml", feature = "anthropic", feature = "gemini", feature = "dashscope"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Every shipped configuration example compiles: the provider YAMLs (with `${VAR}` filled in
//! as `make run` does) and the Higress WasmPlugin, turned into the JSON envelope Higress gives
//! the plugin (`defaultConfig` + `_rules_` from `matchRules`).

use providers::Engine;
use serde_json::{json, Map, Value};
use std::path::Path;

fn examples_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config-examples")
}

/// `${NAME}` → a placeholder, as `make run` does from the environment.
fn substitute(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('}').expect("unclosed ${");
        out.push_str("placeholder-key");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn provider_examples_compile() {
    let mut count = 0;
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = substitute(&std::fs::read_to_string(&path).unwrap());
            let engine = Engine::compile(text.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(engine.global.is_some(), "{}: no active provider", path.display());
            count += 1;
        }
    }
    assert!(count >= 22, "only {count} examples");
}

#[test]
fn higress_wasmplugin_example_compiles() {
    let text = std::fs::read_to_string(examples_dir().join("higress/wasmplugin.yaml")).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
    let spec = &doc["spec"];
    let mut envelope: Map<String, Value> = spec["defaultConfig"].as_object().unwrap().clone();
    let mut rules = Vec::new();
    for rule in spec["matchRules"].as_array().unwrap() {
        let mut r = rule["config"].as_object().unwrap().clone();
        for (from, to) in [("ingress", "_match_route_"), ("domain", "_match_domain_"), ("service", "_match_service_")] {
            if let Some(v) = rule.get(from) {
                r.insert(to.into(), v.clone());
            }
        }
        rules.push(Value::Object(r));
    }
    envelope.insert("_rules_".into(), json!(rules));
    let engine = Engine::compile(&serde_json::to_vec(&envelope).unwrap()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(engine.rules.len(), 2);
    assert_eq!(engine.global.as_ref().unwrap().spec.name, "openai");
}
