//! Signed upstreams (Tencent's TC3, AWS SigV4, …): a signature over the request as the
//! upstream will receive it, computed once the body is final. A provider whose API is signed
//! sets `Endpoint::signer` from its configuration fields (the keys live in the signer); the
//! exchange asks it for the authenticating headers; the glue supplies the clock.

use crate::error::ProxyError;
use crate::exchange::HeaderEdit;
use std::sync::Arc;

/// The request as it leaves the gateway, for a signature over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing<'a> {
    pub method: &'a str,
    /// The upstream `:authority` (a signed provider always has a configured host).
    pub authority: &'a str,
    /// `:path` with its query.
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    /// The final body (empty without one).
    pub body: &'a [u8],
    /// Unix seconds, from the host clock.
    pub now: u64,
}

/// One signature scheme with its keys.
pub trait Signer: Sync + Send {
    /// Names the scheme in logs and `Debug`; never a key.
    fn scheme(&self) -> &'static str;
    /// The headers that authenticate `req` (`authorization`, the date header the scheme signs).
    fn sign(&self, req: &Outgoing<'_>) -> Result<Vec<HeaderEdit>, ProxyError>;
}

/// A provider's signer, shared by its exchanges. Equal when it is the same signer; its
/// `Debug` names the scheme only, so that configuration dumps carry no secret.
#[derive(Clone)]
pub struct SignerRef(pub Arc<dyn Signer>);

impl std::fmt::Debug for SignerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({})", self.0.scheme())
    }
}

impl PartialEq for SignerRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SignerRef {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Keyed(&'static str);

    impl Signer for Keyed {
        fn scheme(&self) -> &'static str {
            "TEST"
        }
        fn sign(&self, req: &Outgoing<'_>) -> Result<Vec<HeaderEdit>, ProxyError> {
            Ok(vec![HeaderEdit::set("authorization", format!("{} {}", self.0, req.now))])
        }
    }

    #[test]
    fn debug_names_the_scheme_only() {
        let signer = SignerRef(Arc::new(Keyed("secret-key")));
        let shown = format!("{signer:?}");
        assert_eq!(shown, "Signer(TEST)");
        assert!(!shown.contains("secret"));
        assert_eq!(signer, signer.clone());
        assert_ne!(signer, SignerRef(Arc::new(Keyed("secret-key"))), "another signer, even with the same keys");
    }
}
