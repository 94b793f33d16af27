//! `SseDecoder` on arbitrary bytes in arbitrary chunkings.
//!
//! Input: a header byte (bits 0-3: chunk-length count, bit 4: capture raw blocks, bits 5-7: the
//! event size limit), the chunk lengths, then the stream. Properties:
//! - no panic;
//! - every event's data (and type) fits the limit;
//! - the whole stream, the fuzzer's chunking and one byte at a time give the same events and
//!   the same error;
//! - with raw capture and no error, the raw blocks put together are the input, byte for byte.
#![no_main]

use ai_proxy_fuzz::Input;
use libfuzzer_sys::fuzz_target;
use providers::stream::sse::{Block, SseDecoder, SseError, DEFAULT_MAX_EVENT};

const LIMITS: [usize; 8] = [1, 16, 32, 64, 128, 1024, 65536, DEFAULT_MAX_EVENT];

#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    events: Vec<(String, String, Option<String>)>,
    raw: Vec<u8>,
    error: Option<SseError>,
}

fn decode(chunks: &[&[u8]], limit: usize, raw: bool) -> Decoded {
    let mut d = SseDecoder::new(limit);
    if raw {
        d = d.with_raw();
    }
    let mut out = Decoded { events: Vec::new(), raw: Vec::new(), error: None };
    let mut emit = |b: Block<'_>| {
        out.raw.extend_from_slice(b.raw);
        if let Some(e) = b.event {
            assert!(
                e.data.len() + e.event.len() <= limit,
                "event over the {limit}-byte limit: {} + {}",
                e.event.len(),
                e.data.len()
            );
            out.events.push((e.event.to_string(), e.data.to_string(), e.id.map(str::to_string)));
        }
    };
    let mut result = Ok(());
    for c in chunks {
        result = d.feed(c, &mut emit);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = d.finish(&mut emit);
    }
    out.error = result.err();
    out
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let header = input.byte();
    let chunking = input.chunking(header);
    let raw = header & 0x10 != 0;
    let limit = LIMITS[usize::from(header >> 5)];
    let body = input.rest();

    let whole = decode(&[body], limit, raw);
    let split = decode(&chunking.split(body), limit, raw);
    assert_eq!(whole, split, "whole vs split ({:?})", chunking.lens);
    let bytes: Vec<&[u8]> = body.chunks(1).collect();
    let by_byte = decode(&bytes, limit, raw);
    assert_eq!(whole, by_byte, "whole vs byte by byte");
    if raw && whole.error.is_none() {
        assert_eq!(whole.raw, body, "raw blocks must reproduce the input");
    }
});
