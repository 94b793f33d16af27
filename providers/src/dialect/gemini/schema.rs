//! JSON Schema → the subset Gemini's `Schema` accepts (for function parameters and
//! `responseSchema`; the decisions are in the module documentation of `request`).

use crate::json::write_str as jstr;
use serde_json::value::RawValue;
use std::borrow::Cow;

use super::request::{key, member, object, write_strings};

/// Nesting depth after which `$ref`s are no longer expanded and nested schemas are cut.
const MAX_SCHEMA_DEPTH: usize = 32;
/// `$ref` expansions per schema (guards against exponential reference graphs).
const MAX_REF_EXPANSIONS: usize = 256;
/// Bytes of `$ref` targets inlined per schema, beyond 8× the schema itself: 256 expansions of
/// a large definition would otherwise turn a 100 KB schema into 20 MB.
const EXPANSION_ALLOWANCE: usize = 64 * 1024;

/// A JSON Schema → Gemini's `Schema` subset (see the module documentation). `None` when the
/// input is not an object schema.
pub fn reduce_schema(raw: &RawValue, response: bool) -> Option<Vec<u8>> {
    object(raw)?;
    let budget = raw.get().len().saturating_mul(8).saturating_add(EXPANSION_ALLOWANCE);
    let mut reducer = SchemaReducer { root: raw, expansions: 0, expanded: 0, budget, response };
    let mut out = Vec::with_capacity(raw.get().len());
    reducer.reduce(raw, 0, &mut out);
    Some(out)
}

/// Members of a schema after `$ref` / `allOf` inlining; later members win.
type Members<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

struct SchemaReducer<'a> {
    root: &'a RawValue,
    expansions: usize,
    /// Bytes of `$ref` targets inlined so far, and how many may be.
    expanded: usize,
    budget: usize,
    /// Building a `responseSchema` (adds `propertyOrdering`).
    response: bool,
}

impl<'a> SchemaReducer<'a> {
    fn reduce(&mut self, raw: &'a RawValue, depth: usize, out: &mut Vec<u8>) {
        let mut m = Members::new();
        self.collect(raw, depth, &mut m);
        self.emit(&m, false, depth, out);
    }

    /// Flattens `$ref` targets and `allOf` entries (first) and the schema's own members (last).
    fn collect(&mut self, raw: &'a RawValue, depth: usize, m: &mut Members<'a>) {
        let Some(view) = object(raw) else { return };
        if let Some(target) = view.get_str("$ref").ok().flatten().and_then(|r| self.resolve(&r)) {
            let fits = self.expanded.saturating_add(target.get().len()) <= self.budget;
            if depth < MAX_SCHEMA_DEPTH && self.expansions < MAX_REF_EXPANSIONS && fits {
                self.expansions += 1;
                self.expanded += target.get().len();
                self.collect(target, depth + 1, m);
            } else if let Some(t) = object(target).and_then(|t| t.get("type")) {
                m.push((Cow::Borrowed("type"), t));
            }
        }
        if let Some(all) = member(&view, "allOf") {
            let list: Vec<&'a RawValue> = serde_json::from_str(all.get()).unwrap_or_default();
            for sub in list {
                if depth < MAX_SCHEMA_DEPTH {
                    self.collect(sub, depth + 1, m);
                }
            }
        }
        for mem in view.members() {
            if !matches!(mem.key.as_ref(), "$ref" | "allOf" | "$defs" | "definitions") {
                m.push((mem.key.clone(), mem.value));
            }
        }
    }

    /// A local JSON pointer (`#/$defs/Name`) → the schema it names.
    fn resolve(&self, pointer: &str) -> Option<&'a RawValue> {
        let path = pointer.strip_prefix('#')?;
        let mut cur = self.root;
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            cur = object(cur)?.get(&seg)?;
        }
        Some(cur)
    }

    fn emit(&mut self, m: &Members<'a>, nullable_in: bool, depth: usize, out: &mut Vec<u8>) {
        let last = |k: &str| m.iter().rev().find(|(key, _)| key == k).map(|(_, v)| *v);
        let mut nullable = nullable_in || last("nullable").is_some_and(|v| v.get() == "true");
        let mut types: Vec<&'static str> = Vec::new();
        for t in last("type").map(type_names).unwrap_or_default() {
            match canonical_type(&t) {
                Some("null") => nullable = true,
                Some(c) if !types.contains(&c) => types.push(c),
                _ => {}
            }
        }
        let enum_values: Option<Vec<&'a RawValue>> = match last("enum") {
            Some(e) => serde_json::from_str(e.get()).ok(),
            None => last("const").map(|c| vec![c]),
        };
        if enum_values.as_ref().is_some_and(|v| v.iter().any(|x| x.get() == "null")) {
            nullable = true;
        }
        let mut branches: Vec<&'a RawValue> = last("anyOf")
            .or_else(|| last("oneOf"))
            .and_then(|b| serde_json::from_str(b.get()).ok())
            .unwrap_or_default();
        branches.retain(|b| {
            let null = is_null_schema(b);
            nullable |= null;
            !null
        });
        if let ([only], true) = (branches.as_slice(), types.is_empty()) {
            if depth < MAX_SCHEMA_DEPTH {
                // `anyOf: [X, {type: null}]` → X, nullable; the outer members win.
                let mut flat = Members::new();
                self.collect(only, depth + 1, &mut flat);
                flat.extend(m.iter().filter(|(k, _)| k != "anyOf" && k != "oneOf").cloned());
                return self.emit(&flat, nullable, depth + 1, out);
            }
        }
        if types.is_empty() && branches.is_empty() {
            if last("properties").is_some() {
                types.push("object");
            } else if last("items").is_some() {
                types.push("array");
            } else if enum_values.is_some() {
                types.push("string");
            }
        }
        let single = match types.as_slice() {
            [t] => Some(*t),
            _ => None,
        };

        let first = &mut true;
        out.push(b'{');
        if let Some(t) = single {
            key(out, first, "type");
            jstr(out, upper_type(t));
        }
        if let Some(title) = last("title").filter(|t| t.get().starts_with('"')) {
            key(out, first, "title");
            out.extend_from_slice(title.get().as_bytes());
        }
        let mut description: Option<Cow<'a, str>> =
            last("description").and_then(|d| serde_json::from_str::<Cow<'a, str>>(d.get()).ok());
        if let (Some(t), Some(values)) = (single, &enum_values) {
            if t != "string" {
                // Gemini allows `enum` on strings only: keep the constraint in words.
                let listed: Vec<&str> = values.iter().map(|v| v.get()).filter(|v| *v != "null").collect();
                if !listed.is_empty() {
                    let allowed = format!("Allowed values: {}.", listed.join(", "));
                    description = Some(match description {
                        Some(d) if !d.is_empty() => Cow::Owned(format!("{d}\n{allowed}")),
                        _ => Cow::Owned(allowed),
                    });
                }
            }
        }
        if let Some(d) = description {
            key(out, first, "description");
            jstr(out, &d);
        }
        if nullable {
            key(out, first, "nullable");
            out.extend_from_slice(b"true");
        }
        if let Some(t) = single {
            self.emit_typed(m, t, enum_values.as_deref(), depth, first, out);
        }
        if types.len() > 1 {
            key(out, first, "anyOf");
            out.push(b'[');
            for (j, t) in types.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                let inner = &mut true;
                out.push(b'{');
                key(out, inner, "type");
                jstr(out, upper_type(t));
                self.emit_typed(m, t, enum_values.as_deref(), depth, inner, out);
                out.push(b'}');
            }
            out.push(b']');
        } else if !branches.is_empty() && depth < MAX_SCHEMA_DEPTH {
            key(out, first, "anyOf");
            out.push(b'[');
            for (j, b) in branches.into_iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                self.reduce(b, depth + 1, out);
            }
            out.push(b']');
        }
        out.push(b'}');
    }

    /// The keywords that belong to type `t`.
    fn emit_typed(
        &mut self,
        m: &Members<'a>,
        t: &str,
        enum_values: Option<&[&'a RawValue]>,
        depth: usize,
        first: &mut bool,
        out: &mut Vec<u8>,
    ) {
        let last = |k: &str| m.iter().rev().find(|(key, _)| key == k).map(|(_, v)| *v);
        let copy = |out: &mut Vec<u8>, first: &mut bool, k: &str| {
            if let Some(v) = last(k) {
                key(out, first, k);
                out.extend_from_slice(v.get().as_bytes());
            }
        };
        let formats: &[&str] = match t {
            "string" => &["enum", "date-time"],
            "number" => &["float", "double"],
            "integer" => &["int32", "int64"],
            _ => &[],
        };
        if let Some(f) = last("format").and_then(|f| serde_json::from_str::<Cow<'_, str>>(f.get()).ok()) {
            if formats.contains(&f.as_ref()) {
                key(out, first, "format");
                jstr(out, &f);
            }
        }
        match t {
            "string" => {
                if let Some(values) = enum_values {
                    let mut listed = values.iter().filter(|v| v.get() != "null").peekable();
                    if listed.peek().is_some() {
                        key(out, first, "enum");
                        out.push(b'[');
                        for (j, v) in listed.enumerate() {
                            if j > 0 {
                                out.push(b',');
                            }
                            if v.get().starts_with('"') {
                                out.extend_from_slice(v.get().as_bytes());
                            } else {
                                jstr(out, v.get());
                            }
                        }
                        out.push(b']');
                    }
                }
                for k in ["minLength", "maxLength", "pattern"] {
                    copy(out, first, k);
                }
            }
            "number" | "integer" => {
                for k in ["minimum", "maximum"] {
                    copy(out, first, k);
                }
            }
            "array" => {
                let items = last("items").and_then(|i| {
                    // Draft-4 tuple form: the first item's schema.
                    if i.get().starts_with('[') {
                        serde_json::from_str::<Vec<&'a RawValue>>(i.get()).ok()?.into_iter().next()
                    } else {
                        Some(i)
                    }
                });
                if let Some(items) = items.filter(|_| depth < MAX_SCHEMA_DEPTH) {
                    key(out, first, "items");
                    self.reduce(items, depth + 1, out);
                }
                for k in ["minItems", "maxItems"] {
                    copy(out, first, k);
                }
            }
            "object" => {
                let mut props: Members<'a> = Vec::new();
                for &(_, raw) in m.iter().filter(|(k, _)| k == "properties") {
                    let Some(p) = object(raw) else { continue };
                    for mem in p.members() {
                        match props.iter_mut().find(|(n, _)| *n == mem.key) {
                            Some(slot) => slot.1 = mem.value,
                            None => props.push((mem.key.clone(), mem.value)),
                        }
                    }
                }
                if depth >= MAX_SCHEMA_DEPTH {
                    props.clear();
                }
                if !props.is_empty() {
                    key(out, first, "properties");
                    let inner = &mut true;
                    out.push(b'{');
                    for (name, schema) in &props {
                        key(out, inner, name);
                        self.reduce(schema, depth + 1, out);
                    }
                    out.push(b'}');
                    let mut required: Vec<Cow<'a, str>> = Vec::new();
                    for &(_, raw) in m.iter().filter(|(k, _)| k == "required") {
                        for r in serde_json::from_str::<Vec<Cow<'a, str>>>(raw.get()).unwrap_or_default() {
                            if props.iter().any(|(n, _)| *n == r) && !required.contains(&r) {
                                required.push(r);
                            }
                        }
                    }
                    if !required.is_empty() {
                        key(out, first, "required");
                        write_strings(out, &required.iter().map(|r| r.as_ref()).collect::<Vec<_>>());
                    }
                    if last("propertyOrdering").is_some() {
                        copy(out, first, "propertyOrdering");
                    } else if self.response && props.len() > 1 {
                        key(out, first, "propertyOrdering");
                        write_strings(out, &props.iter().map(|(n, _)| n.as_ref()).collect::<Vec<_>>());
                    }
                }
                for k in ["minProperties", "maxProperties"] {
                    copy(out, first, k);
                }
            }
            _ => {}
        }
    }
}

/// The names in a `type` member (a string or an array of strings).
fn type_names(raw: &RawValue) -> Vec<Cow<'_, str>> {
    if raw.get().starts_with('"') {
        serde_json::from_str::<Cow<'_, str>>(raw.get()).map(|t| vec![t]).unwrap_or_default()
    } else {
        serde_json::from_str(raw.get()).unwrap_or_default()
    }
}

/// JSON Schema type names and Gemini's `Type` enum names.
const TYPES: &[(&str, &str)] = &[
    ("string", "STRING"),
    ("number", "NUMBER"),
    ("integer", "INTEGER"),
    ("boolean", "BOOLEAN"),
    ("array", "ARRAY"),
    ("object", "OBJECT"),
    ("null", "NULL"),
];

fn canonical_type(name: &str) -> Option<&'static str> {
    TYPES.iter().find(|(t, _)| t.eq_ignore_ascii_case(name)).map(|(t, _)| *t)
}

fn upper_type(t: &str) -> &'static str {
    TYPES.iter().find(|(name, _)| *name == t).map_or("TYPE_UNSPECIFIED", |(_, upper)| *upper)
}

/// `{"type":"null"}` (an `anyOf` branch that only allows null).
fn is_null_schema(raw: &RawValue) -> bool {
    let names = object(raw).and_then(|o| o.get("type")).map(type_names).unwrap_or_default();
    !names.is_empty() && names.iter().all(|n| n.eq_ignore_ascii_case("null"))
}
