//! ai-proxy's pure core: configuration, API detection, model mapping, request rewriting and
//! (later) translation between the OpenAI API and each provider's own. It never calls the
//! proxy-wasm host: it returns plans that the glue in the root crate applies, so everything
//! here runs and is tested natively.

#![forbid(unsafe_code)]

pub mod api;
pub mod call;
pub mod config;
pub mod dialect;
pub mod error;
pub mod exchange;
pub mod headers;
pub mod ingress;
pub mod json;
pub mod providers;
pub mod sign;
pub mod stream;

pub use config::{Engine, ProviderConfig};
pub use error::ProxyError;
pub use exchange::{BodyPlan, Exchange, HeaderEdit, HeadersPlan, LocalReply, RequestHead, ResponseMode, ResponsePlan};
pub use headers::{HeaderMap, NotText};
