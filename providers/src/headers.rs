//! Headers as bytes. HTTP/1.1 allows obs-text (bytes 0x80–0xFF) in header values and Envoy
//! forwards them, so a value is not text until it has been checked: values the filter does
//! not read pass through untouched whatever their bytes, and the few it reads are UTF-8 or
//! a client error (request line, `content-type`) or absent (`:authority`, `content-length`).

use crate::exchange::{HeaderEdit, RequestHead};

/// Headers as the host holds them (lower-case names, in order), kept by the glue so that it
/// only makes the host calls that change something. Names and values stay in one buffer, the
/// host's serialised map itself: reading the headers allocates nothing per header.
#[derive(Debug, Clone, Default)]
pub struct HeaderMap {
    bytes: Vec<u8>,
    /// Per header: name start, name end, value start, value end, in `bytes`.
    spans: Vec<[usize; 4]>,
}

/// Equal when they hold the same headers in the same order (however the bytes are laid out).
impl PartialEq for HeaderMap {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for HeaderMap {}

/// A header the core must read as text is present but is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotText(pub &'static str);

impl HeaderMap {
    /// A map over `bytes` (the host's serialised map): `spans` are each header's name and
    /// value ranges in it. `None` when a range is not inside `bytes`.
    pub fn from_spans(bytes: Vec<u8>, spans: Vec<[usize; 4]>) -> Option<Self> {
        let fits = |start: usize, end: usize| start <= end && end <= bytes.len();
        spans.iter().all(|[a, b, c, d]| fits(*a, *b) && fits(*c, *d)).then_some(HeaderMap { bytes, spans })
    }

    /// Text pairs, for tests and callers that build a map by hand.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut map = HeaderMap::default();
        for (k, v) in pairs {
            map.push(k.as_bytes(), v.as_bytes());
        }
        map
    }

    /// Adds a header at the end (another value of a name already present is kept too).
    pub fn push(&mut self, name: &[u8], value: &[u8]) {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(name);
        self.bytes.extend_from_slice(value);
        self.spans.push([at, at + name.len(), at + name.len(), at + name.len() + value.len()]);
    }

    /// Removes every value of `name`.
    pub fn remove_all(&mut self, name: &[u8]) {
        let bytes = &self.bytes;
        self.spans.retain(|[a, b, _, _]| bytes.get(*a..*b) != Some(name));
    }

    /// The headers in order, as (name, value) bytes.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.spans.iter().map(|[a, b, c, d]| {
            (self.bytes.get(*a..*b).unwrap_or_default(), self.bytes.get(*c..*d).unwrap_or_default())
        })
    }

    /// The first value of `name`, as the host gave it.
    pub fn raw(&self, name: &str) -> Option<&[u8]> {
        self.iter().find(|(k, _)| *k == name.as_bytes()).map(|(_, v)| v)
    }

    /// The first value of `name` when it is UTF-8; a value that is not counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first value of `name`: absent, text, or `NotText`.
    pub fn text(&self, name: &'static str) -> Result<Option<&str>, NotText> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) => std::str::from_utf8(v).map(Some).map_err(|_| NotText(name)),
        }
    }

    /// Applies `edits` and hands `emit` those that change something. Each edit is a host call
    /// (a crossing of the VM boundary), so a remove of an absent header, a set to the value
    /// already there, and an edit that a later one of the same name overrides are skipped.
    pub fn apply(&mut self, edits: &[HeaderEdit], mut emit: impl FnMut(&HeaderEdit)) {
        for (i, e) in edits.iter().enumerate() {
            let overridden = edits.get(i + 1..).is_some_and(|rest| rest.iter().any(|later| later.name == e.name));
            if overridden {
                continue;
            }
            let name = e.name.as_bytes();
            let unchanged = {
                let mut present = self.iter().filter(|(k, _)| *k == name);
                match (&e.value, present.next(), present.next()) {
                    (None, None, _) => true,
                    (Some(new), Some((_, old)), None) => new.as_bytes() == old,
                    _ => false,
                }
            };
            if unchanged {
                continue;
            }
            self.remove_all(name);
            if let Some(v) = &e.value {
                self.push(name, v.as_bytes());
            }
            emit(e);
        }
    }
}

impl<'a> RequestHead<'a> {
    /// The request line and the headers the core reads. The request line and `content-type`
    /// decide what the filter does with the request, so they must be text (`NotText` is a
    /// 400); an `:authority` or `content-length` that is not text counts as absent (Envoy
    /// validates both before any filter runs).
    pub fn from_headers(headers: &'a HeaderMap, has_body: bool) -> Result<RequestHead<'a>, NotText> {
        Ok(RequestHead {
            method: headers.text(":method")?.unwrap_or_default(),
            path: headers.text(":path")?.unwrap_or_default(),
            content_type: headers.text("content-type")?,
            content_length: headers.get("content-length").and_then(|v| v.trim().parse().ok()),
            has_body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&[u8], &[u8])]) -> HeaderMap {
        let mut h = HeaderMap::default();
        for (k, v) in pairs {
            h.push(k, v);
        }
        h
    }

    #[test]
    fn values_that_are_not_utf8_are_absent_to_get_and_errors_to_text() {
        let h = map(&[(b"x-note", b"caf\xE9"), (b"content-type", b"application/json"), (b"x-bad", b"\xC3\x28")]);
        assert_eq!(h.raw("x-note"), Some(&b"caf\xE9"[..]));
        assert_eq!(h.get("x-note"), None);
        assert_eq!(h.text("x-bad"), Err(NotText("x-bad")));
        assert_eq!(h.text("content-type"), Ok(Some("application/json")));
        assert_eq!(h.text("absent"), Ok(None));
    }

    #[test]
    fn request_head_needs_text_request_line_and_content_type() {
        let ok = map(&[(b":method", b"POST"), (b":path", b"/v1/chat/completions"), (b"x-note", b"\xFF\xFE")]);
        let head = RequestHead::from_headers(&ok, true).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((head.method, head.path, head.content_type), ("POST", "/v1/chat/completions", None));
        for name in [":method", ":path", "content-type"] {
            let mut h = ok.clone();
            h.remove_all(name.as_bytes());
            h.push(name.as_bytes(), b"caf\xE9");
            assert_eq!(RequestHead::from_headers(&h, true).err(), Some(NotText(name)), "{name}");
        }
        let mut h = ok.clone();
        h.push(b"content-length", b"1\xE9");
        h.push(b":authority", b"h\xE9st");
        let head = RequestHead::from_headers(&h, true).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(head.content_length, None);
    }

    #[test]
    fn apply_keeps_bytes_it_does_not_touch() {
        let mut h = map(&[(b"x-note", b"caf\xE9"), (b"authorization", b"Bearer \xE9")]);
        let edits = [
            HeaderEdit { name: "authorization", value: None },
            HeaderEdit { name: "x-api-key", value: None },
            HeaderEdit { name: "x-note", value: None },
            HeaderEdit { name: "x-note", value: Some("caf\u{e9}".into()) },
        ];
        let mut calls = Vec::new();
        h.apply(&edits, |e| calls.push(e.name));
        // The Latin-1 byte and its UTF-8 spelling differ: the set is a real change.
        assert_eq!(calls, ["authorization", "x-note"]);
        assert_eq!(h.raw("x-note"), Some("caf\u{e9}".as_bytes()));
        assert_eq!(h.raw("authorization"), None);
    }

    fn set(name: &'static str, value: &str) -> HeaderEdit {
        HeaderEdit { name, value: Some(value.to_string()) }
    }
    fn remove(name: &'static str) -> HeaderEdit {
        HeaderEdit { name, value: None }
    }

    fn text_map(pairs: &[(&str, &str)]) -> HeaderMap {
        HeaderMap::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn header_edits_that_change_nothing_make_no_host_call() {
        let mut headers =
            text_map(&[(":path", "/v1/chat/completions"), ("authorization", "Bearer client"), ("x", "1")]);
        let edits = [
            remove("authorization"),
            remove("x-api-key"),
            set("authorization", "Bearer sk"),
            set(":path", "/v1/chat/completions"),
            remove("x"),
        ];
        let mut calls = Vec::new();
        headers.apply(&edits, |e| calls.push(e.clone()));
        assert_eq!(calls, vec![set("authorization", "Bearer sk"), remove("x")]);
        assert_eq!(headers, text_map(&[(":path", "/v1/chat/completions"), ("authorization", "Bearer sk")]));
    }

    #[test]
    fn a_header_with_several_values_is_always_replaced() {
        let mut headers = text_map(&[("a", "1"), ("a", "1")]);
        let mut calls = 0;
        headers.apply(&[set("a", "1")], |_| calls += 1);
        assert_eq!((calls, headers), (1, text_map(&[("a", "1")])));
    }
}
