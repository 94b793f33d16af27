//! One error type for everything a client can see: an HTTP status plus the OpenAI error body
//! `{"error":{"message","type","param","code"}}`.

use serde::Serialize;

/// An error that ends the request with a local reply (or, for upstream errors, a translated body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyError {
    pub status: u16,
    /// OpenAI `type`: `invalid_request_error`, `not_found_error`, `api_error`, ...
    pub kind: &'static str,
    pub message: String,
    pub param: Option<&'static str>,
    pub code: Option<&'static str>,
}

impl ProxyError {
    pub fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Self {
        ProxyError { status, kind, message: message.into(), param: None, code: None }
    }

    /// 400: the client sent something we cannot forward.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request_error", message)
    }

    /// 404: not an API this gateway (or this provider) serves.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "invalid_request_error", message).with_code("unknown_url")
    }

    /// 413: the request body is over the configured limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(413, "invalid_request_error", format!("request body is larger than {limit} bytes"))
            .with_code("request_too_large")
    }

    /// 502: the upstream answered something we could not translate.
    pub fn bad_upstream(message: impl Into<String>) -> Self {
        Self::new(502, "api_error", message).with_code("bad_upstream_response")
    }

    pub fn with_param(mut self, param: &'static str) -> Self {
        self.param = Some(param);
        self
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// The OpenAI error body. Never contains secrets: messages are built from our own text
    /// and from client-supplied field names only.
    pub fn to_openai_json(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Body<'a> {
            error: Inner<'a>,
        }
        #[derive(Serialize)]
        struct Inner<'a> {
            message: &'a str,
            #[serde(rename = "type")]
            kind: &'a str,
            param: Option<&'a str>,
            code: Option<&'a str>,
        }
        let body =
            Body { error: Inner { message: &self.message, kind: self.kind, param: self.param, code: self.code } };
        // Serialising plain strings cannot fail; fall back to a fixed body just in case.
        serde_json::to_vec(&body).unwrap_or_else(|_| {
            br#"{"error":{"message":"internal error","type":"api_error","param":null,"code":null}}"#.to_vec()
        })
    }
}

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.kind, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_openai_shape() {
        let e = ProxyError::invalid_request("bad \"json\"").with_param("messages");
        let v: serde_json::Value = serde_json::from_slice(&e.to_openai_json()).unwrap();
        assert_eq!(v["error"]["message"], "bad \"json\"");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["param"], "messages");
        assert!(v["error"]["code"].is_null());
    }
}
