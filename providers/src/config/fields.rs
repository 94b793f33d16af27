//! Reading configuration objects field by field, collecting every problem with its path.
//!
//! Each reader remembers which keys were read; `finish` reports the rest as unknown, so a
//! typo or a field of another provider type is an error rather than silently ignored.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// All problems found in one configuration, each naming its field path.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<String>);

impl ConfigErrors {
    pub fn push(&mut self, path: &str, message: impl std::fmt::Display) {
        self.0.push(format!("{path}: {message}"));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

/// A JSON object being read at `path`.
pub struct Fields<'a> {
    pub path: String,
    map: &'a Map<String, Value>,
    seen: BTreeSet<&'a str>,
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl<'a> Fields<'a> {
    pub fn new(path: impl Into<String>, map: &'a Map<String, Value>) -> Self {
        Fields { path: path.into(), map, seen: BTreeSet::new() }
    }

    /// Path of a child field, e.g. `provider.apiTokens`.
    pub fn child(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The raw value, marking the key as known. `null` counts as absent.
    pub fn raw(&mut self, key: &str) -> Option<&'a Value> {
        let (k, v) = self.map.get_key_value(key)?;
        self.seen.insert(k.as_str());
        (!v.is_null()).then_some(v)
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    pub fn string(&mut self, key: &str, errs: &mut ConfigErrors) -> Option<String> {
        match self.raw(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                errs.push(&self.child(key), format!("must be a string, got {}", type_name(other)));
                None
            }
        }
    }

    /// A string that must be present and non-empty.
    pub fn required_string(&mut self, key: &str, errs: &mut ConfigErrors) -> Option<String> {
        match self.string(key, errs) {
            Some(s) if !s.trim().is_empty() => Some(s),
            Some(_) => {
                errs.push(&self.child(key), "must not be empty");
                None
            }
            None if !self.has(key) => {
                errs.push(&self.child(key), "is required");
                None
            }
            None => None,
        }
    }

    pub fn bool(&mut self, key: &str, errs: &mut ConfigErrors) -> Option<bool> {
        match self.raw(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                errs.push(&self.child(key), format!("must be true or false, got {}", type_name(other)));
                None
            }
        }
    }

    /// A non-negative integer (YAML often gives `8080` as a number, sometimes as a string).
    pub fn u64(&mut self, key: &str, errs: &mut ConfigErrors) -> Option<u64> {
        match self.raw(key)? {
            Value::Number(n) if n.as_u64().is_some() => n.as_u64(),
            Value::String(s) if s.trim().parse::<u64>().is_ok() => s.trim().parse().ok(),
            other => {
                errs.push(&self.child(key), format!("must be a non-negative integer, got {}", describe(other)));
                None
            }
        }
    }

    pub fn string_list(&mut self, key: &str, errs: &mut ConfigErrors) -> Option<Vec<String>> {
        let path = self.child(key);
        match self.raw(key)? {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            errs.push(&format!("{path}[{i}]"), format!("must be a string, got {}", type_name(other)))
                        }
                    }
                }
                Some(out)
            }
            // A single string is accepted as a one-element list (a common YAML slip).
            Value::String(s) => Some(vec![s.clone()]),
            other => {
                errs.push(&path, format!("must be a list of strings, got {}", type_name(other)));
                None
            }
        }
    }

    pub fn object(&mut self, key: &str, errs: &mut ConfigErrors) -> Option<&'a Map<String, Value>> {
        match self.raw(key)? {
            Value::Object(m) => Some(m),
            other => {
                errs.push(&self.child(key), format!("must be an object, got {}", type_name(other)));
                None
            }
        }
    }

    pub fn array(&mut self, key: &str, errs: &mut ConfigErrors) -> Option<&'a Vec<Value>> {
        match self.raw(key)? {
            Value::Array(a) => Some(a),
            other => {
                errs.push(&self.child(key), format!("must be a list, got {}", type_name(other)));
                None
            }
        }
    }

    /// Marks a key as known without reading it (it is read elsewhere).
    pub fn skip(&mut self, key: &str) {
        let _ = self.raw(key);
    }

    /// Reports every key that was never read.
    pub fn finish(self, errs: &mut ConfigErrors, hint: impl Fn(&str) -> Option<String>) {
        for key in self.map.keys() {
            if !self.seen.contains(key.as_str()) {
                let path = self.child(key);
                match hint(key) {
                    Some(h) => errs.push(&path, h),
                    None => errs.push(&path, "unknown field"),
                }
            }
        }
    }
}

/// A short description of a value for error messages (never echoes strings: they may be secrets).
fn describe(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("{n}"),
        other => type_name(other).to_string(),
    }
}
