//! Streaming: incremental SSE decoding (and, in later dialects, encoding).

pub mod sse;
#[cfg(test)]
pub mod testing;

use crate::dialect::StreamTranslator;

/// Two stream translations in a row (the hub: the provider's events → chat chunks → the
/// client's events). What the first writes for a chunk is fed to the second at once, so the
/// stream stays a stream and memory stays per chunk.
#[derive(Debug)]
pub struct Chain {
    first: Box<dyn StreamTranslator>,
    second: Box<dyn StreamTranslator>,
    middle: Vec<u8>,
}

impl Chain {
    pub fn new(first: Box<dyn StreamTranslator>, second: Box<dyn StreamTranslator>) -> Self {
        Chain { first, second, middle: Vec::new() }
    }
}

impl StreamTranslator for Chain {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        self.middle.clear();
        self.first.feed(chunk, &mut self.middle);
        if !self.middle.is_empty() {
            self.second.feed(&self.middle, out);
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        self.middle.clear();
        self.first.finish(&mut self.middle);
        self.second.feed(&self.middle, out);
        self.second.finish(out);
    }

    /// The provider's counts, as the first stage read them.
    fn usage(&self) -> Option<crate::dialect::openai::UsageOut> {
        self.first.usage()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Upper-cases, and marks its end.
    #[derive(Debug)]
    struct Upper;
    impl StreamTranslator for Upper {
        fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
            out.extend(chunk.iter().map(u8::to_ascii_uppercase));
        }
        fn finish(&mut self, out: &mut Vec<u8>) {
            out.extend_from_slice(b"|end1");
        }
    }
    /// Doubles every byte, and marks its end.
    #[derive(Debug)]
    struct Double;
    impl StreamTranslator for Double {
        fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
            for b in chunk {
                out.extend_from_slice(&[*b, *b]);
            }
        }
        fn finish(&mut self, out: &mut Vec<u8>) {
            out.extend_from_slice(b"|end2");
        }
    }

    #[test]
    fn chains_feed_and_finish_in_order() {
        let mut c = Chain::new(Box::new(Upper), Box::new(Double));
        let mut out = Vec::new();
        c.feed(b"ab", &mut out);
        c.feed(b"", &mut out);
        c.finish(&mut out);
        assert_eq!(out, b"AABB||eenndd11|end2");
    }
}
