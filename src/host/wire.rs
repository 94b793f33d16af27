//! The byte formats of proxy-wasm host calls (ABI 0.2.1), read and written without trusting
//! the input: the SDK's own decoder indexes and unwraps (a short or malformed map, or a header
//! name or value that is not UTF-8, panics inside it).

/// A header map: `u32` pair count, then per pair `u32` name length and `u32` value length
/// (little-endian), then per pair the name, a NUL, the value, a NUL. `None` when the bytes do
/// not follow that format (a host bug: the caller treats it as a failed host call). Each
/// header comes back as its name's and value's ranges in `bytes`: nothing is copied.
pub fn decode_map(bytes: &[u8]) -> Option<Vec<[usize; 4]>> {
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let count = read_u32(bytes, 0)?;
    // Each pair takes at least 10 bytes (two lengths, two NULs): a count the buffer cannot
    // hold is malformed, and bounds the allocation below by the input's size.
    if count > bytes.len() / 10 {
        return None;
    }
    let mut pairs = Vec::with_capacity(count);
    let mut data = 4usize.checked_add(count.checked_mul(8)?)?;
    for i in 0..count {
        let at = 4 + i * 8;
        let (name_len, value_len) = (read_u32(bytes, at)?, read_u32(bytes, at + 4)?);
        let name_at = data;
        terminated(bytes, data, name_len)?;
        data = data.checked_add(name_len)?.checked_add(1)?;
        let value_at = data;
        terminated(bytes, data, value_len)?;
        data = data.checked_add(value_len)?.checked_add(1)?;
        pairs.push([name_at, name_at + name_len, value_at, value_at + value_len]);
    }
    Some(pairs)
}

/// The header map format of `decode_map`, for the headers of a local reply.
pub fn encode_map(pairs: &[(&str, &str)]) -> Vec<u8> {
    let size = 4 + pairs.iter().map(|(k, v)| k.len() + v.len() + 10).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&len_u32(pairs.len()).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&len_u32(k.len()).to_le_bytes());
        out.extend_from_slice(&len_u32(v.len()).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

/// A property path: its segments joined by NUL.
pub fn property_path(segments: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(segments.iter().map(|s| s.len() + 1).sum());
    for (i, s) in segments.iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        out.extend_from_slice(s.as_bytes());
    }
    out
}

/// `len` bytes at `at`, followed by the NUL the format puts after each name and value.
fn terminated(bytes: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    let end = at.checked_add(len)?;
    (bytes.get(end) == Some(&0)).then_some(())?;
    bytes.get(at..end)
}

fn read_u32(bytes: &[u8], at: usize) -> Option<usize> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(b)).ok()
}

/// Lengths in our own replies are far below 4 GiB; saturate rather than wrap.
fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The decoded map as (name, value) pairs, through the core's own map.
    fn decode_pairs(bytes: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
        let map = providers::HeaderMap::from_spans(bytes.to_vec(), decode_map(bytes)?)?;
        Some(map.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect())
    }

    fn encode_bytes(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut out = (pairs.len() as u32).to_le_bytes().to_vec();
        for (k, v) in pairs {
            out.extend_from_slice(&(k.len() as u32).to_le_bytes());
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        }
        for (k, v) in pairs {
            out.extend_from_slice(k);
            out.push(0);
            out.extend_from_slice(v);
            out.push(0);
        }
        out
    }

    #[test]
    fn decodes_values_that_are_not_utf8() {
        let raw =
            encode_bytes(&[(b":path", b"/v1/chat/completions"), (b"x-note", b"caf\xE9"), (b"x-bad", b"\xC3\x28")]);
        let pairs = decode_pairs(&raw).unwrap();
        assert_eq!(pairs[1], (b"x-note".to_vec(), b"caf\xE9".to_vec()));
        assert_eq!(pairs[2].1, b"\xC3\x28");
        assert_eq!(decode_pairs(&[]), Some(vec![]));
    }

    #[test]
    fn malformed_maps_are_refused() {
        let good = encode_bytes(&[(b"a", b"1"), (b"bb", b"22")]);
        for cut in 1..good.len() {
            assert_eq!(decode_pairs(&good[..cut]), None, "cut at {cut}");
        }
        let mut huge = good.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_pairs(&huge), None);
        let mut long = good.clone();
        long[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_pairs(&long), None);
    }

    #[test]
    fn encodes_what_decodes() {
        let raw = encode_map(&[("content-type", "application/json"), ("x", "")]);
        assert_eq!(
            decode_pairs(&raw).unwrap(),
            vec![(b"content-type".to_vec(), b"application/json".to_vec()), (b"x".to_vec(), vec![])]
        );
        assert_eq!(property_path(&["xds", "route_name"]), b"xds\0route_name");
        assert_eq!(property_path(&[]), b"");
    }

    proptest! {
        #[test]
        fn any_bytes_decode_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode_pairs(&bytes);
            let _ = decode_map(&bytes);
        }

        #[test]
        fn any_pairs_round_trip(pairs in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..16), proptest::collection::vec(any::<u8>(), 0..16)), 0..8)) {
            let refs: Vec<(&[u8], &[u8])> = pairs.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
            prop_assert_eq!(decode_pairs(&encode_bytes(&refs)), Some(pairs.clone()));
        }
    }
}
