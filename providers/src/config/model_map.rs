//! `modelMapping`: exact names first, then `prefix*` keys (longest prefix wins, so the result
//! never depends on map order), then `*`. An empty target keeps the requested name.

use super::fields::ConfigErrors;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelMap {
    exact: Vec<(String, String)>,
    /// Sorted by prefix length, longest first.
    prefixes: Vec<(String, String)>,
    fallback: Option<String>,
}

impl ModelMap {
    pub fn parse(path: &str, map: &Map<String, Value>, errs: &mut ConfigErrors) -> ModelMap {
        let mut out = ModelMap::default();
        for (key, value) in map {
            let at = format!("{path}.{key}");
            let Value::String(target) = value else {
                errs.push(&at, "must be a string (the upstream model name, or \"\" to keep the requested one)");
                continue;
            };
            if key.starts_with('~') {
                errs.push(&at, "regular-expression keys are not supported; use an exact name, `prefix*` or `*`");
            } else if key == "*" {
                out.fallback = Some(target.clone());
            } else if let Some(prefix) = key.strip_suffix('*') {
                if prefix.contains('*') {
                    errs.push(&at, "only one trailing `*` is supported");
                } else {
                    out.prefixes.push((prefix.to_string(), target.clone()));
                }
            } else if key.contains('*') {
                errs.push(&at, "`*` is only supported at the end of a key");
            } else if key.is_empty() {
                errs.push(&at, "empty model name");
            } else {
                out.exact.push((key.clone(), target.clone()));
            }
        }
        out.prefixes.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        out
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty() && self.fallback.is_none()
    }

    /// The upstream model for a requested one (`""` when the client sent none).
    pub fn map<'a>(&'a self, model: &'a str) -> &'a str {
        let target = self
            .exact
            .iter()
            .find(|(k, _)| k == model)
            .map(|(_, v)| v)
            .or_else(|| self.prefixes.iter().find(|(p, _)| model.starts_with(p.as_str())).map(|(_, v)| v))
            .or(self.fallback.as_ref());
        match target {
            Some(t) if !t.is_empty() => t,
            _ => model,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mm(json: &str) -> ModelMap {
        let v: Value = serde_json::from_str(json).unwrap();
        let mut errs = ConfigErrors::default();
        let m = ModelMap::parse("modelMapping", v.as_object().unwrap(), &mut errs);
        assert!(errs.is_empty(), "{errs}");
        m
    }

    #[test]
    fn exact_then_longest_prefix_then_star() {
        let m = mm(r#"{"gpt-4":"a","gpt-*":"b","gpt-4-*":"c","*":"d","keep":""}"#);
        assert_eq!(m.map("gpt-4"), "a");
        assert_eq!(m.map("gpt-4-turbo"), "c");
        assert_eq!(m.map("gpt-3.5"), "b");
        assert_eq!(m.map("claude"), "d");
        assert_eq!(m.map("keep"), "keep");
        assert_eq!(m.map(""), "d");
    }

    #[test]
    fn empty_targets_keep_the_name() {
        let m = mm(r#"{"*":""}"#);
        assert_eq!(m.map("x"), "x");
        assert_eq!(mm("{}").map("x"), "x");
    }

    #[test]
    fn bad_keys_are_reported() {
        let v: Value = serde_json::from_str(r#"{"~gpt(.*)":"x","a*b":"y","ok":1,"*a*":"z"}"#).unwrap();
        let mut errs = ConfigErrors::default();
        ModelMap::parse("p.modelMapping", v.as_object().unwrap(), &mut errs);
        assert_eq!(errs.0.len(), 4, "{errs}");
        assert!(errs.0.iter().all(|e| e.starts_with("p.modelMapping.")));
    }
}
