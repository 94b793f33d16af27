//! `customSettings`: parameters the gateway forces (or defaults) in every request, written in
//! the upstream dialect's own names and place.

use super::fields::{ConfigErrors, Fields};
use crate::dialect::{Dialect, PORTABLE_SETTINGS};
use crate::json;
use serde_json::Value;

/// A setting resolved for one dialect at load time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Object keys from the body root to the parameter.
    pub path: Vec<String>,
    /// The value as JSON text.
    pub value: Vec<u8>,
    /// `false`: only set when the client did not send the parameter.
    pub overwrite: bool,
}

pub fn parse(
    path: &str,
    items: &[Value],
    dialect: Dialect,
    errs: &mut ConfigErrors,
    warnings: &mut Vec<String>,
) -> Vec<Setting> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Value::Object(map) = item else {
            errs.push(&at, "must be an object with name and value");
            continue;
        };
        let mut f = Fields::new(at.clone(), map);
        let name = f.required_string("name", errs);
        let value = f.raw("value");
        if value.is_none() && !f.has("value") {
            errs.push(&f.child("value"), "is required");
        }
        let mode = f.string("mode", errs).unwrap_or_else(|| "auto".into());
        let overwrite = f.bool("overwrite", errs).unwrap_or(true);
        f.finish(errs, |_| None);
        let (Some(name), Some(value)) = (name, value) else { continue };
        let value = match serde_json::to_vec(value) {
            Ok(v) => v,
            Err(e) => {
                errs.push(&format!("{at}.value"), e);
                continue;
            }
        };
        let mut key_path: Vec<String> = dialect.settings_root().iter().map(|s| s.to_string()).collect();
        match mode.as_str() {
            "auto" => {
                if !PORTABLE_SETTINGS.contains(&name.as_str()) {
                    warnings.push(format!(
                        "{at}.name: `{name}` is not a portable setting ({}); it has no effect in auto mode (use mode: raw)",
                        PORTABLE_SETTINGS.join(", ")
                    ));
                    continue;
                }
                let Some(native) = dialect.setting_name(&name) else {
                    warnings.push(format!("{at}.name: `{name}` has no equivalent for this provider; not applied"));
                    continue;
                };
                key_path.push(native.to_string());
            }
            "raw" => key_path.extend(name.split('.').map(str::to_string)),
            other => {
                errs.push(&format!("{at}.mode"), format!("must be `auto` or `raw`, got `{other}`"));
                continue;
            }
        }
        if key_path.iter().any(String::is_empty) {
            errs.push(&format!("{at}.name"), "empty path segment");
            continue;
        }
        out.push(Setting { path: key_path, value, overwrite });
    }
    out
}

/// Applies the settings to a JSON object body. Returns `None` when nothing changed.
pub fn apply(settings: &[Setting], body: &[u8]) -> Option<Vec<u8>> {
    if settings.is_empty() {
        return None;
    }
    let mut current = body.to_vec();
    for s in settings {
        let path: Vec<&str> = s.path.iter().map(String::as_str).collect();
        if let Some(next) = json::set_path(&current, &path, &s.value, s.overwrite) {
            current = next;
        }
    }
    (current != body).then_some(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(json: &str) -> (Vec<Setting>, Vec<String>) {
        let v: Value = serde_json::from_str(json).unwrap();
        let mut errs = ConfigErrors::default();
        let mut warns = Vec::new();
        let s = parse("customSettings", v.as_array().unwrap(), Dialect::OpenAi, &mut errs, &mut warns);
        assert!(errs.is_empty(), "{errs}");
        (s, warns)
    }

    #[test]
    fn auto_mode_uses_dialect_names_and_skips_missing_ones() {
        let (s, warns) =
            parse_ok(r#"[{"name":"max_tokens","value":100},{"name":"top_k","value":3},{"name":"bogus","value":1}]"#);
        assert_eq!(s, vec![Setting { path: vec!["max_tokens".into()], value: b"100".to_vec(), overwrite: true }]);
        assert_eq!(warns.len(), 2);
    }

    #[test]
    fn raw_mode_nests_dotted_names() {
        let (s, _) = parse_ok(r#"[{"name":"a.b","value":{"c":1},"mode":"raw","overwrite":false}]"#);
        assert_eq!(s[0].path, vec!["a", "b"]);
        assert!(!s[0].overwrite);
        let out = apply(&s, br#"{"x":1}"#).unwrap();
        assert_eq!(out, br#"{"x":1,"a":{"b":{"c":1}}}"#);
    }

    #[test]
    fn overwrite_false_keeps_client_value() {
        let (s, _) = parse_ok(r#"[{"name":"temperature","value":0.2,"overwrite":false}]"#);
        assert_eq!(apply(&s, br#"{"temperature":0}"#), None);
        assert_eq!(apply(&s, br#"{}"#).unwrap(), br#"{"temperature":0.2}"#);
    }

    #[test]
    fn bad_entries_are_errors() {
        let v: Value = serde_json::from_str(
            r#"[{"value":1},{"name":"t","value":1,"mode":"x"},3,{"name":"t","value":1,"extra":2}]"#,
        )
        .unwrap();
        let mut errs = ConfigErrors::default();
        parse("cs", v.as_array().unwrap(), Dialect::OpenAi, &mut errs, &mut Vec::new());
        assert_eq!(errs.0.len(), 4, "{errs}");
    }
}
