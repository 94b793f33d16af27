//! An incremental, byte-level Server-Sent Events decoder.
//!
//! Fed chunk by chunk, whatever the boundaries: LF, CR and CRLF line ends (a CR at the end of
//! one chunk and an LF at the start of the next are one line end), `field:value` with or
//! without the space, multi-line `data`, comments, a BOM at the start. UTF-8 is checked per
//! event, never per chunk, so a character split across chunks is fine. `finish` dispatches a
//! final event that lacks its blank line (a proxy must not swallow a last `[DONE]`). Memory is
//! bounded: an event larger than the limit is an error, not a growing buffer.

use memchr::memchr2;

/// Default limit for one event (data plus the partial line being read).
pub const DEFAULT_MAX_EVENT: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseError {
    /// One event is larger than the limit.
    EventTooLarge,
    /// An event's data is not UTF-8.
    InvalidUtf8,
}

impl std::fmt::Display for SseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SseError::EventTooLarge => f.write_str("stream event larger than the limit"),
            SseError::InvalidUtf8 => f.write_str("stream event is not UTF-8"),
        }
    }
}

/// A dispatched event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseEvent<'a> {
    /// The `event:` field; empty when absent (the SSE default type is "message").
    pub event: &'a str,
    pub data: &'a str,
    pub id: Option<&'a str>,
}

/// One block of the stream: everything up to and including a blank line (or the end).
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    /// The block's exact bytes, when the decoder captures them (`with_raw`).
    pub raw: &'a [u8],
    /// The event, when the block carried data (comment-only blocks have none).
    pub event: Option<SseEvent<'a>>,
}

#[derive(Debug)]
pub struct SseDecoder {
    max_event: usize,
    capture_raw: bool,
    line: Vec<u8>,
    pending_cr: bool,
    started: bool,
    data: Vec<u8>,
    has_data: bool,
    event: Vec<u8>,
    id: Option<Vec<u8>>,
    raw: Vec<u8>,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_EVENT)
    }
}

impl SseDecoder {
    pub fn new(max_event: usize) -> Self {
        SseDecoder {
            max_event,
            capture_raw: false,
            line: Vec::new(),
            pending_cr: false,
            started: false,
            data: Vec::new(),
            has_data: false,
            event: Vec::new(),
            id: None,
            raw: Vec::new(),
        }
    }

    /// Also keep each block's exact bytes (for filters that forward most blocks verbatim).
    pub fn with_raw(mut self) -> Self {
        self.capture_raw = true;
        self
    }

    /// Feeds a chunk; `emit` is called for each complete block.
    pub fn feed(&mut self, chunk: &[u8], emit: &mut dyn FnMut(Block<'_>)) -> Result<(), SseError> {
        let mut rest = chunk;
        if !self.started && !rest.is_empty() {
            self.started = true;
            if let Some(after) = rest.strip_prefix(b"\xEF\xBB\xBF".as_slice()) {
                self.keep_raw(b"\xEF\xBB\xBF");
                rest = after;
            }
        }
        if self.pending_cr {
            if let Some(after) = rest.strip_prefix(b"\n".as_slice()) {
                self.keep_raw(b"\n");
                rest = after;
            }
            if !chunk.is_empty() {
                self.pending_cr = false;
            }
        }
        while !rest.is_empty() {
            let Some(pos) = memchr2(b'\n', b'\r', rest) else {
                self.keep_raw(rest);
                self.push_partial(rest)?;
                break;
            };
            let (line_part, after) = rest.split_at(pos);
            let (term_len, cr_at_end) = match after {
                [b'\r', b'\n', ..] => (2, false),
                [b'\r'] => (1, true),
                _ => (1, false),
            };
            let term = after.get(..term_len).unwrap_or_default();
            self.keep_raw(line_part);
            self.keep_raw(term);
            if self.line.is_empty() {
                self.check_size(line_part.len())?;
                self.process_line(line_part, emit)?;
            } else {
                self.push_partial(line_part)?;
                let line = std::mem::take(&mut self.line);
                let res = self.process_line(&line, emit);
                self.line = line;
                self.line.clear();
                res?;
            }
            self.pending_cr = cr_at_end;
            rest = after.get(term_len..).unwrap_or_default();
        }
        Ok(())
    }

    /// Ends the stream: a last line without its end and a last event without its blank line
    /// are still delivered; stray raw bytes are passed on.
    pub fn finish(&mut self, emit: &mut dyn FnMut(Block<'_>)) -> Result<(), SseError> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            let res = self.process_line(&line, emit);
            res?;
        }
        if self.has_data || !self.raw.is_empty() {
            self.dispatch(emit)?;
        }
        Ok(())
    }

    fn keep_raw(&mut self, bytes: &[u8]) {
        if self.capture_raw {
            self.raw.extend_from_slice(bytes);
        }
    }

    fn check_size(&self, extra: usize) -> Result<(), SseError> {
        let size = self.line.len() + self.data.len() + self.event.len() + extra;
        if size > self.max_event || (self.capture_raw && self.raw.len() > self.max_event.saturating_mul(2)) {
            Err(SseError::EventTooLarge)
        } else {
            Ok(())
        }
    }

    fn push_partial(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        self.check_size(bytes.len())?;
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn process_line(&mut self, line: &[u8], emit: &mut dyn FnMut(Block<'_>)) -> Result<(), SseError> {
        if line.is_empty() {
            return self.dispatch(emit);
        }
        if line.first() == Some(&b':') {
            return Ok(());
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let v = line.get(i + 1..).unwrap_or_default();
                (line.get(..i).unwrap_or_default(), v.strip_prefix(b" ".as_slice()).unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                self.check_size(value.len() + 1)?;
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                self.event.extend_from_slice(value);
            }
            b"id" if !value.contains(&0) => self.id = Some(value.to_vec()),
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, emit: &mut dyn FnMut(Block<'_>)) -> Result<(), SseError> {
        let result = if self.has_data {
            match (
                std::str::from_utf8(&self.data),
                std::str::from_utf8(&self.event),
                self.id.as_deref().map(std::str::from_utf8).transpose(),
            ) {
                (Ok(data), Ok(event), Ok(id)) => {
                    emit(Block { raw: &self.raw, event: Some(SseEvent { event, data, id }) });
                    Ok(())
                }
                _ => Err(SseError::InvalidUtf8),
            }
        } else {
            if !self.raw.is_empty() {
                emit(Block { raw: &self.raw, event: None });
            }
            Ok(())
        };
        self.data.clear();
        self.event.clear();
        self.id = None;
        self.has_data = false;
        self.raw.clear();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a whole stream given as chunks; returns (event, data) pairs and the raw blocks.
    pub fn decode(chunks: &[&[u8]]) -> (Vec<(String, String)>, Vec<u8>) {
        let mut d = SseDecoder::new(1024).with_raw();
        let mut events = Vec::new();
        let mut raw = Vec::new();
        let mut emit = |b: Block<'_>| {
            raw.extend_from_slice(b.raw);
            if let Some(e) = b.event {
                events.push((e.event.to_string(), e.data.to_string()));
            }
        };
        for c in chunks {
            d.feed(c, &mut emit).unwrap();
        }
        d.finish(&mut emit).unwrap();
        (events, raw)
    }

    #[test]
    fn line_endings_and_fields() {
        let input = b"event: a\r\ndata:x\r\ndata: y\r\rdata: z\n\n: comment\n\nid: 7\ndata\n\n";
        let (events, raw) = decode(&[input]);
        assert_eq!(events, vec![("a".into(), "x\ny".into()), ("".into(), "z".into()), ("".into(), "".into())]);
        assert_eq!(raw, input);
    }

    #[test]
    fn cr_lf_split_across_chunks_is_one_line_end() {
        let (events, raw) = decode(&[b"data: 1\r", b"\n\r", b"\ndata: 2\n\n"]);
        assert_eq!(events, vec![("".into(), "1".into()), ("".into(), "2".into())]);
        assert_eq!(raw, b"data: 1\r\n\r\ndata: 2\n\n");
    }

    #[test]
    fn utf8_split_inside_a_character() {
        let s = "data: 你好\n\n".as_bytes();
        let (events, _) = decode(&[&s[..8], &s[8..]]);
        assert_eq!(events, vec![("".into(), "你好".into())]);
    }

    #[test]
    fn finish_delivers_an_unterminated_last_event() {
        let (events, raw) = decode(&[b"data: a\n\ndata: [DONE]"]);
        assert_eq!(events, vec![("".into(), "a".into()), ("".into(), "[DONE]".into())]);
        assert_eq!(raw, b"data: a\n\ndata: [DONE]");
    }

    #[test]
    fn bom_is_ignored_for_fields_but_kept_raw() {
        let (events, raw) = decode(&[b"\xEF\xBB\xBFdata: a\n\n"]);
        assert_eq!(events, vec![("".into(), "a".into())]);
        assert_eq!(raw, b"\xEF\xBB\xBFdata: a\n\n");
    }

    #[test]
    fn limits_and_bad_utf8_are_errors() {
        let mut d = SseDecoder::new(16);
        let mut emit = |_: Block<'_>| {};
        assert_eq!(d.feed(&[b'x'; 40], &mut emit), Err(SseError::EventTooLarge));
        let mut d = SseDecoder::new(16);
        assert_eq!(d.feed(b"data: \xff\n\n", &mut emit), Err(SseError::InvalidUtf8));
    }
}
