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

const BOM: &[u8] = b"\xEF\xBB\xBF";

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
    /// With raw capture: a blank line ended in a CR that ended the chunk. The block is sent
    /// once the next byte is known, so that an LF completing the CRLF stays in its raw bytes.
    pending_dispatch: bool,
    started: bool,
    /// Leading bytes matched against the BOM so far (a BOM may be split across chunks).
    bom_matched: usize,
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
            pending_dispatch: false,
            started: false,
            bom_matched: 0,
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
            let want = BOM.get(self.bom_matched..).unwrap_or_default();
            let n = want.len().min(rest.len());
            if rest.get(..n) == want.get(..n) {
                // (More of) the BOM: skipped for fields, kept raw.
                let (bom, after) = rest.split_at(n);
                self.keep_raw(bom);
                rest = after;
                self.bom_matched += n;
                self.started = self.bom_matched == BOM.len();
            } else {
                // No BOM: the bytes that looked like its start are text of the first line.
                self.started = true;
                let matched = BOM.get(..self.bom_matched).unwrap_or_default();
                self.push_partial(matched)?;
            }
        }
        if self.pending_cr {
            if let Some(after) = rest.strip_prefix(b"\n".as_slice()) {
                self.keep_raw(b"\n");
                rest = after;
                if self.capture_raw {
                    // The LF ends the previous line's CRLF: the raw size is checked as if
                    // both had come in one chunk.
                    self.check_size(0)?;
                }
            }
            if !chunk.is_empty() {
                self.pending_cr = false;
            }
        }
        if self.pending_dispatch && !chunk.is_empty() {
            self.pending_dispatch = false;
            self.dispatch(emit)?;
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
                if line_part.is_empty() && cr_at_end && self.capture_raw {
                    self.pending_dispatch = true;
                } else {
                    self.process_line(line_part, emit)?;
                }
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
        if std::mem::take(&mut self.pending_dispatch) {
            self.dispatch(emit)?;
        }
        if !self.started && self.bom_matched > 0 {
            // The stream was only the start of a BOM: those bytes are a line.
            self.started = true;
            self.push_partial(BOM.get(..self.bom_matched).unwrap_or_default())?;
        }
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

    /// Fuzz find (sse_decoder): a blank line's CRLF split between two chunks put the LF in
    /// the next block's raw bytes, so raw blocks depended on the chunking.
    #[test]
    fn crlf_of_a_blank_line_split_across_chunks_stays_in_its_block() {
        let input: &[u8] = b": c\r\n\r\ndata: 1\r\n\r\n";
        let blocks = |chunks: &[&[u8]]| {
            let mut d = SseDecoder::new(1024).with_raw();
            let mut out: Vec<(Vec<u8>, Option<String>)> = Vec::new();
            let mut emit = |b: Block<'_>| out.push((b.raw.to_vec(), b.event.map(|e| e.data.to_string())));
            for c in chunks {
                d.feed(c, &mut emit).unwrap();
            }
            d.finish(&mut emit).unwrap();
            out
        };
        let whole = blocks(&[input]);
        assert_eq!(whole, vec![(b": c\r\n\r\n".to_vec(), None), (b"data: 1\r\n\r\n".to_vec(), Some("1".into()))]);
        for p in 0..=input.len() {
            assert_eq!(blocks(&[&input[..p], b"", &input[p..]]), whole, "split at {p}");
        }
        let singles: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(blocks(&singles), whole);
        // A CR-only stream still gets its last event at the end.
        assert_eq!(blocks(&[b"data: 2\r\r"]), vec![(b"data: 2\r\r".to_vec(), Some("2".into()))]);
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

    /// Fuzz find (sse_decoder): a BOM split across chunks was not recognised, so the first
    /// line's field name began with its bytes and the first event lost its type.
    #[test]
    fn bom_split_across_chunks() {
        let input: &[u8] = b"\xEF\xBB\xBFevent: e\ndata: a\n\n";
        let expected = (vec![("e".to_string(), "a".to_string())], input.to_vec());
        for p in 0..=input.len() {
            assert_eq!(decode(&[&input[..p], b"", &input[p..]]), expected, "split at {p}");
        }
        let singles: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(decode(&singles), expected);
        // Bytes that only start like a BOM are text, however they are split.
        let input: &[u8] = b"\xEF\xBBx: 1\ndata: b\n\n";
        let expected = (vec![("".to_string(), "b".to_string())], input.to_vec());
        for p in 0..=input.len() {
            assert_eq!(decode(&[&input[..p], &input[p..]]), expected, "split at {p}");
        }
        assert_eq!(decode(&[b"\xEF", b"\xBB"]), (vec![], b"\xEF\xBB".to_vec()));
    }

    /// Fuzz find (sse_decoder): the raw-size limit did not count the LF of a CRLF that
    /// started the next chunk, so the same stream failed whole and passed split.
    #[test]
    fn raw_limit_counts_a_split_crlf() {
        let mut emit = |_: Block<'_>| {};
        let mut d = SseDecoder::new(4).with_raw();
        assert_eq!(d.feed(b":ab\r\n:c\r\n", &mut emit), Err(SseError::EventTooLarge));
        let mut d = SseDecoder::new(4).with_raw();
        assert_eq!(d.feed(b":ab\r\n:c\r", &mut emit), Ok(()));
        assert_eq!(d.feed(b"\n", &mut emit), Err(SseError::EventTooLarge));
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
