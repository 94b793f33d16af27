//! Byte-level edits of a JSON object: "don't re-serialise what you didn't touch".
//!
//! `ObjectView::parse` validates the whole document with serde_json and records, for each
//! top-level member, where its value sits in the input. Edits then copy the input verbatim
//! around the few values that change, so unknown fields, key order, whitespace and number
//! formats (`1e2`, `0.10`) reach the upstream exactly as the client sent them.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::ops::Range;

/// Why a body is not an editable JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewError {
    /// Not valid JSON (serde_json's message, which quotes no input).
    Malformed(String),
    /// Valid JSON, but not an object.
    NotAnObject,
}

/// A member of the top-level object: its (unescaped) key and the byte range of its value.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub key: Cow<'a, str>,
    pub value: &'a RawValue,
    pub span: Range<usize>,
}

/// The top-level members of a JSON object, borrowed from the input.
#[derive(Debug)]
pub struct ObjectView<'a> {
    input: &'a [u8],
    members: Vec<Member<'a>>,
}

/// A string that borrows from the input when it has no escapes. serde's own `Cow<str>` always
/// copies, which cost an allocation per member key and per string read.
struct BorrowedStr<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for BorrowedStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
        }
        d.deserialize_str(V).map(BorrowedStr)
    }
}

/// Collects the members straight into their final form: one vector, sized for a typical body.
struct MembersVisitor<'a> {
    input: &'a [u8],
}

impl<'de> Visitor<'de> for MembersVisitor<'de> {
    type Value = Vec<Member<'de>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(16);
        while let Some(key) = map.next_key::<BorrowedStr<'de>>()?.map(|k| k.0) {
            let value: &'de RawValue = map.next_value()?;
            let start =
                offset_in(self.input, value.get()).ok_or_else(|| serde::de::Error::custom("value outside input"))?;
            out.push(Member { key, value, span: start..start + value.get().len() });
        }
        Ok(out)
    }
}

/// Byte offset of `inner` inside `outer` (both from the same allocation).
fn offset_in(outer: &[u8], inner: &str) -> Option<usize> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (start + inner.len() <= outer.len()).then_some(start)
}

impl<'a> ObjectView<'a> {
    pub fn parse(input: &'a [u8]) -> Result<Self, ViewError> {
        let text = std::str::from_utf8(input).map_err(|_| ViewError::Malformed("body is not UTF-8".into()))?;
        Self::parse_text(text)
    }

    /// `parse` of text already known to be UTF-8 (a nested value): not validated again.
    fn parse_text(text: &'a str) -> Result<Self, ViewError> {
        let input = text.as_bytes();
        let trimmed = text.trim_start();
        if !trimmed.starts_with('{') {
            // Distinguish "valid JSON of another type" from garbage, for a precise message.
            return match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => Err(ViewError::NotAnObject),
                Err(e) => Err(ViewError::Malformed(e.to_string())),
            };
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let members = de.deserialize_map(MembersVisitor { input }).map_err(|e| ViewError::Malformed(e.to_string()))?;
        de.end().map_err(|e| ViewError::Malformed(e.to_string()))?;
        Ok(ObjectView { input, members })
    }

    /// The document the view was parsed from.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    pub fn members(&self) -> &[Member<'a>] {
        &self.members
    }

    /// The last member with this key (JSON parsers conventionally let the last one win).
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.members.iter().rev().find(|m| m.key == key).map(|m| m.value)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.members.iter().any(|m| m.key == key)
    }

    /// The members whose key is in `keys`, in the client's order: the last of duplicates
    /// (the one `get` sees) and not `null`. A translation copies a client's members of the
    /// *target* API this way, and only those: strict APIs reject the rest.
    pub fn members_in<'s>(&'s self, keys: &'s [&str]) -> impl Iterator<Item = &'s Member<'a>> + 's {
        self.members
            .iter()
            .enumerate()
            .filter(move |(i, m)| {
                keys.contains(&m.key.as_ref())
                    && m.value.get() != "null"
                    && !self.members.get(i + 1..).is_some_and(|rest| rest.iter().any(|later| later.key == m.key))
            })
            .map(|(_, m)| m)
    }

    /// A string member; `Err` when present with another type.
    pub fn get_str(&self, key: &str) -> Result<Option<Cow<'a, str>>, WrongType> {
        match self.get(key) {
            None => Ok(None),
            Some(raw) if raw.get() == "null" => Ok(None),
            Some(raw) => as_str(raw).map(Some),
        }
    }

    /// A boolean member; `Err` when present with another type.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, WrongType> {
        match self.get(key).map(RawValue::get) {
            None | Some("null") => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(WrongType),
        }
    }

    /// A member that is present and not `null`.
    pub fn value(&self, key: &str) -> Option<&'a RawValue> {
        self.get(key).filter(|raw| raw.get() != "null")
    }

    /// An unsigned integer member; `Err` when present with another type (or out of range).
    pub fn get_u64(&self, key: &str) -> Result<Option<u64>, WrongType> {
        self.value(key).map(as_u64).transpose()
    }

    /// An object member, as a view; `Err` when present with another type.
    pub fn get_object(&self, key: &str) -> Result<Option<ObjectView<'a>>, WrongType> {
        self.value(key).map(as_object).transpose()
    }

    /// An array member's elements; `Err` when present with another type.
    pub fn get_array(&self, key: &str) -> Result<Option<Vec<&'a RawValue>>, WrongType> {
        self.value(key).map(as_array).transpose()
    }

    /// Applies the edits in one pass and returns the new document.
    ///
    /// `Set` replaces the value of every member with that key (duplicates included) or, when
    /// absent, appends the member before the closing brace. `Remove` drops the member.
    pub fn apply(&self, edits: &[Edit]) -> Vec<u8> {
        let extra: usize = edits.iter().map(|e| e.len_hint()).sum();
        let mut out = Vec::with_capacity(self.input.len() + extra);
        let mut cursor = 0;
        let mut kept = 0usize;
        for (i, m) in self.members.iter().enumerate() {
            let Some(edit) = edits.iter().rev().find(|e| e.key() == m.key) else {
                kept += 1;
                continue;
            };
            match edit {
                Edit::Set(_, value) => {
                    out.extend_from_slice(self.input.get(cursor..m.span.start).unwrap_or_default());
                    out.extend_from_slice(value);
                    cursor = m.span.end;
                    kept += 1;
                }
                Edit::Remove(_) => {
                    // Drop from the separator before this member (or after it, for the first).
                    let (from, to) = member_extent(self.input, &self.members, i);
                    out.extend_from_slice(self.input.get(cursor..from).unwrap_or_default());
                    cursor = to;
                }
            }
        }
        let close = self.input.iter().rposition(|&b| b == b'}').unwrap_or(self.input.len());
        out.extend_from_slice(self.input.get(cursor..close).unwrap_or_default());
        for edit in edits {
            if let Edit::Set(key, value) = edit {
                if !self.contains(key) && !edits_earlier_set(edits, edit, key) {
                    if kept > 0 {
                        out.push(b',');
                    }
                    write_key(&mut out, key);
                    out.extend_from_slice(value);
                    kept += 1;
                }
            }
        }
        out.extend_from_slice(self.input.get(close..).unwrap_or_default());
        out
    }
}

/// True when a later `Set` for the same key exists (only the last one is appended).
fn edits_earlier_set(edits: &[Edit], this: &Edit, key: &str) -> bool {
    let pos = edits.iter().position(|e| std::ptr::eq(e, this)).unwrap_or(0);
    edits.iter().skip(pos + 1).any(|e| e.key() == key)
}

/// The byte range to delete for member `i`, including one adjacent comma.
fn member_extent(input: &[u8], members: &[Member<'_>], i: usize) -> (usize, usize) {
    let Some(m) = members.get(i) else { return (0, 0) };
    // The key starts after the previous member's value (or the opening brace).
    let prev_end = if i == 0 {
        input.iter().position(|&b| b == b'{').map_or(0, |p| p + 1)
    } else {
        members.get(i - 1).map_or(0, |p| p.span.end)
    };
    if i == 0 {
        // Remove through the comma that follows, if another member follows.
        let end = match members.get(1) {
            Some(next) => key_start(input, m.span.end, next.span.start),
            None => m.span.end,
        };
        (prev_end, end)
    } else {
        (prev_end, m.span.end)
    }
}

/// Where the key of the member whose value starts at `value_start` begins, searching after `from`.
fn key_start(input: &[u8], from: usize, value_start: usize) -> usize {
    // Between the previous value and this value: `<ws> , <ws> "key" <ws> : <ws>`.
    let region = input.get(from..value_start).unwrap_or_default();
    match region.iter().position(|&b| b == b',') {
        Some(c) => {
            let after = from + c + 1;
            let rest = input.get(after..value_start).unwrap_or_default();
            after + rest.iter().position(|&b| !b.is_ascii_whitespace()).unwrap_or(0)
        }
        None => from,
    }
}

fn write_key(out: &mut Vec<u8>, key: &str) {
    // Serialising a &str cannot fail.
    if let Ok(k) = serde_json::to_vec(key) {
        out.extend_from_slice(&k);
    }
    out.push(b':');
}

/// A member is present with another JSON type than asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

/// One change to a top-level member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Set the member to this JSON text (already serialised).
    Set(String, Vec<u8>),
    Remove(String),
}

impl Edit {
    pub fn key(&self) -> &str {
        match self {
            Edit::Set(k, _) | Edit::Remove(k) => k,
        }
    }
    fn len_hint(&self) -> usize {
        match self {
            Edit::Set(k, v) => k.len() + v.len() + 4,
            Edit::Remove(_) => 0,
        }
    }
}

// Typed reads of one value. Translators read JSON through these and `ObjectView` rather than
// through derived structs: each derived struct costs kilobytes of Wasm, and V8 turns every byte
// of the module into about 20 bytes of Envoy memory.

/// A JSON string (escapes decoded; borrowed when there are none).
pub fn as_str(raw: &RawValue) -> Result<Cow<'_, str>, WrongType> {
    serde_json::from_str::<BorrowedStr<'_>>(raw.get()).map(|s| s.0).map_err(|_| WrongType)
}

/// A JSON unsigned integer.
pub fn as_u64(raw: &RawValue) -> Result<u64, WrongType> {
    serde_json::from_str::<u64>(raw.get()).map_err(|_| WrongType)
}

/// A JSON object, as a view.
pub fn as_object(raw: &RawValue) -> Result<ObjectView<'_>, WrongType> {
    if !raw.get().starts_with('{') {
        return Err(WrongType);
    }
    ObjectView::parse_text(raw.get()).map_err(|_| WrongType)
}

/// A JSON array of objects, each as a view, in one pass over the array: reading each element
/// as a `RawValue` first, then its members, scanned every byte twice (a Claude Code history
/// of tool results is mostly such bytes). `Err` when it is not an array of objects.
pub fn as_objects(raw: &RawValue) -> Result<Vec<ObjectView<'_>>, WrongType> {
    struct Element<'a> {
        input: &'a [u8],
    }
    impl<'de> DeserializeSeed<'de> for Element<'de> {
        type Value = Vec<Member<'de>>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(MembersVisitor { input: self.input })
        }
    }
    struct Elements<'a> {
        input: &'a [u8],
    }
    impl<'de> Visitor<'de> for Elements<'de> {
        type Value = Vec<ObjectView<'de>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let input = self.input;
            let mut out = Vec::new();
            // Between elements there are only whitespace and commas, so an element starts at
            // the first `{` after the previous one and ends at the first `}` after its last value.
            let mut cursor = 0;
            while let Some(mut members) = seq.next_element_seed(Element { input })? {
                let bounds = (|| {
                    let start = cursor + input.get(cursor..)?.iter().position(|&b| b == b'{')?;
                    let after = members.last().map_or(start + 1, |m| m.span.end);
                    let end = after + input.get(after..)?.iter().position(|&b| b == b'}')? + 1;
                    Some((start, end))
                })();
                let (start, end) = bounds.ok_or_else(|| serde::de::Error::custom("element outside input"))?;
                for m in &mut members {
                    m.span = m.span.start.saturating_sub(start)..m.span.end.saturating_sub(start);
                }
                out.push(ObjectView { input: input.get(start..end).unwrap_or_default(), members });
                cursor = end;
            }
            Ok(out)
        }
    }
    let text = raw.get();
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_seq(Elements { input: text.as_bytes() }).map_err(|_| WrongType)
}

/// A JSON array's elements.
pub fn as_array(raw: &RawValue) -> Result<Vec<&RawValue>, WrongType> {
    serde_json::from_str::<Vec<&RawValue>>(raw.get()).map_err(|_| WrongType)
}

/// Reads the members named `keys` of the JSON object `text` into `slots` (same order; absent
/// or `null` stays `None`). Nothing is allocated: the stream translator reads every event so.
/// `Err` when `text` is not a JSON object.
pub fn read_members<'a>(
    text: &'a str,
    keys: &[&'static str],
    slots: &mut [Option<&'a RawValue>],
) -> Result<(), WrongType> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(Slots { keys, slots }).map_err(|_| WrongType)?;
    de.end().map_err(|_| WrongType)
}

struct Slots<'s, 'a> {
    keys: &'s [&'static str],
    slots: &'s mut [Option<&'a RawValue>],
}

impl<'a> Visitor<'a> for Slots<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(i) = map.next_key_seed(Key(self.keys))? {
            let value: &'a RawValue = map.next_value()?;
            if let Some(slot) = i.and_then(|i| self.slots.get_mut(i)) {
                *slot = (value.get() != "null").then_some(value);
            }
        }
        Ok(())
    }
}

/// A member name, as its position in the keys wanted (compared unescaped, never copied): the
/// key seed of a visitor that reads only some members (`read_members`, the Gemini reader).
pub struct Key<'s>(pub &'s [&'static str]);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Option<usize>, D::Error> {
        de.deserialize_str(self)
    }
}

impl Visitor<'_> for Key<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| *k == v))
    }
}

/// A string member read by [`read_members`] (`Err` for another type); borrowed unless it has
/// escapes.
pub fn opt_str(raw: Option<&RawValue>) -> Result<Option<Cow<'_, str>>, WrongType> {
    let Some(raw) = raw else { return Ok(None) };
    // A valid JSON value that starts and ends with a quote is one string.
    match raw.get().strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Ok(Some(Cow::Borrowed(inner))),
        _ => as_str(raw).map(Some),
    }
}

/// `serde_json::from_slice` through the `&str` reader: every type is then deserialized by one
/// instantiation of serde_json's reader instead of two, which keeps the Wasm module smaller.
pub fn from_bytes<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, serde_json::Error> {
    let text = std::str::from_utf8(bytes).map_err(<serde_json::Error as serde::de::Error>::custom)?;
    serde_json::from_str(text)
}

/// Valid JSON text without insignificant whitespace; key order, escapes and number
/// spellings are kept (unlike a re-serialisation).
pub fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// JSON text of a string.
pub fn string_value(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    write_str(&mut out, s);
    out
}

/// A JSON number, written without allocating or the formatting machinery.
pub fn write_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `s` as a JSON string (quoted, escaped as serde_json does).
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    escape(out, s);
    out.push(b'"');
}

/// Whether any of the 8 bytes of `w` must be escaped in a JSON string: a control character,
/// `"` or `\` (the exact "has a byte less than n / equal to c" word tests).
fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    (control | has_zero(w ^ (ONES * u64::from(b'"'))) | has_zero(w ^ (ONES * u64::from(b'\\')))) != 0
}

/// Appends `s` as JSON string content, escaped exactly as serde_json does. Text runs that need
/// no escape (nearly all of any prompt) are found 8 bytes at a time and copied whole: byte by
/// byte, this loop was the largest cost of translating a request.
pub fn escape(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if let Some(word) = bytes.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
            if !word_needs_escape(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0..=0x1f => b'u',
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        out.push(b'\\');
        out.push(short);
        if short == b'u' {
            let low = b & 0x0f;
            out.extend_from_slice(&[b'0', b'0', b'0' + (b >> 4), if low < 10 { b'0' + low } else { b'a' + low - 10 }]);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// The length of the JSON string literal at the start of `s` (quotes included) when it uses
/// only the short escapes (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`): valid in any JSON
/// parser as it is. `None` for anything else (not a string, unterminated, a raw control
/// character, a `\u` escape), which callers hand to the full parser.
pub fn plain_string_literal(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    loop {
        match *bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match bytes.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                _ => return None,
            },
            0..=0x1f => return None,
            _ => i += 1,
        }
    }
}

/// A string to write: text, or a JSON string from the client's request copied as it is (no
/// unescaping and escaping again: prompts, tool descriptions and tool results are most of a
/// request's bytes).
pub enum Text<'a> {
    Str(Cow<'a, str>),
    Literal(&'a RawValue),
}

impl<'a> Text<'a> {
    /// The text itself, where it must be read or joined (`Err`: an invalid escape).
    pub fn into_decoded(self) -> Result<Cow<'a, str>, WrongType> {
        match self {
            Text::Str(s) => Ok(s),
            Text::Literal(raw) => as_str(raw),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Text::Str(s) => s.is_empty(),
            Text::Literal(raw) => raw.get() == "\"\"",
        }
    }

    /// Appends the JSON string (quoted).
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Text::Str(s) => write_str(out, s),
            Text::Literal(raw) => out.extend_from_slice(raw.get().as_bytes()),
        }
    }

    /// Appends the string's content, escaped, without quotes (to join texts into one string).
    pub fn write_content(&self, out: &mut Vec<u8>) {
        match self {
            Text::Str(s) => escape(out, s),
            Text::Literal(raw) => {
                let quoted = raw.get();
                out.extend_from_slice(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default().as_bytes());
            }
        }
    }
}

/// The member `key` of `o` as a `Text::Literal` when it is a string; `Err` for another type
/// (`null` counts as absent, as for an optional string).
pub fn literal<'a>(o: &ObjectView<'a>, key: &str) -> Result<Option<Text<'a>>, WrongType> {
    match o.value(key) {
        Some(raw) if raw.get().starts_with('"') => Ok(Some(Text::Literal(raw))),
        Some(_) => Err(WrongType),
        None => Ok(None),
    }
}

/// Sets `path` (a list of object keys) inside the JSON object `doc` to `value`, creating
/// intermediate objects. Members that are not objects on the way are replaced. With
/// `overwrite == false` an existing leaf is kept. Returns `None` when `doc` is not an object.
pub fn set_path(doc: &[u8], path: &[&str], value: &[u8], overwrite: bool) -> Option<Vec<u8>> {
    let view = ObjectView::parse(doc).ok()?;
    let (first, rest) = path.split_first()?;
    let existing = view.get(first);
    if rest.is_empty() {
        if existing.is_some() && !overwrite {
            return Some(doc.to_vec());
        }
        return Some(view.apply(&[Edit::Set((*first).to_string(), value.to_vec())]));
    }
    let child = match existing {
        Some(raw) if raw.get().trim_start().starts_with('{') => set_path(raw.get().as_bytes(), rest, value, overwrite)?,
        _ => set_path(b"{}", rest, value, overwrite)?,
    };
    Some(view.apply(&[Edit::Set((*first).to_string(), child)]))
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
