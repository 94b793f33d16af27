//! Calls the filter makes itself while it holds a client's request: an OAuth token exchange
//! before a signed upstream, a file upload, a context fetch. The core plans the call and what
//! to do with its answer (the continuation); the glue dispatches it (`dispatch_http_call`),
//! keeps the request paused, and hands the answer back through `Exchange::call_answered`.

use crate::exchange::{HeaderEdit, LocalReply};

/// One outbound HTTP call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// The Envoy cluster that reaches the service.
    pub cluster: String,
    /// Request headers, pseudo-headers (`:method`, `:path`, `:authority`) first.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: u64,
}

/// The answer, as the glue read it; `status` 0 when the call failed (reset, timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallAnswer<'a> {
    pub status: u16,
    pub body: &'a [u8],
}

/// What the held request does with the answer: go on with these header edits, or end with a
/// reply to the client (in its protocol: the exchange shapes the error).
pub trait Continuation: std::fmt::Debug + Send {
    fn resume(self: Box<Self>, answer: CallAnswer<'_>) -> Result<Vec<HeaderEdit>, crate::ProxyError>;
}

/// A call and its continuation, held by the exchange until the answer comes.
#[derive(Debug)]
pub struct CallPlan {
    pub call: HttpCall,
    pub then: Box<dyn Continuation>,
}

/// The outcome of `Exchange::call_answered`.
pub type Resumed = Result<Vec<HeaderEdit>, LocalReply>;
