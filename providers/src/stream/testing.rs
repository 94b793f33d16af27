//! Test harness for stream translators: the same output whatever the chunk boundaries.

use crate::dialect::StreamTranslator;

/// Translates a stream fed as the given chunks; then checks that a second `finish` and bytes
/// after the end (`late`) add nothing.
pub fn run_chunks(mut t: Box<dyn StreamTranslator>, chunks: &[&[u8]], late: &[u8]) -> String {
    let mut out = Vec::new();
    for c in chunks {
        t.feed(c, &mut out);
    }
    t.finish(&mut out);
    let len = out.len();
    t.finish(&mut out);
    t.feed(late, &mut out);
    assert_eq!(out.len(), len, "output after the end");
    String::from_utf8(out).unwrap()
}

/// The whole stream, split at every byte position, byte by byte and with empty chunks between
/// 7-byte ones: identical output, which is returned.
pub fn assert_split_invariant(make: impl Fn() -> Box<dyn StreamTranslator>, late: &[u8], input: &str) -> String {
    let bytes = input.as_bytes();
    let whole = run_chunks(make(), &[bytes], late);
    for i in 0..=bytes.len() {
        assert_eq!(run_chunks(make(), &[&bytes[..i], &bytes[i..]], late), whole, "split at {i}");
    }
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(run_chunks(make(), &singles, late), whole, "byte by byte");
    let mut empties: Vec<&[u8]> = vec![b""];
    for c in bytes.chunks(7) {
        empties.push(c);
        empties.push(b"");
    }
    assert_eq!(run_chunks(make(), &empties, late), whole, "with empty chunks");
    whole
}
