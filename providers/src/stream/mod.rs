//! Streaming: incremental SSE decoding (and, in later dialects, encoding).

pub mod sse;
