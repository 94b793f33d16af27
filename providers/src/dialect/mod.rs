//! Wire protocols. A provider speaks one dialect; the dialect decides how a request body is
//! built, where `customSettings` land, and how responses and streams come back.

pub mod openai;

/// The wire protocol a provider speaks upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAI chat completions and friends: bodies pass through with byte-level edits.
    OpenAi,
}

impl Dialect {
    /// The dialect's name for a portable `customSettings` name (auto mode), or `None` when the
    /// dialect has no such parameter (the setting is then not applied).
    pub fn setting_name(self, portable: &str) -> Option<&'static str> {
        match (self, portable) {
            (Dialect::OpenAi, "max_tokens") => Some("max_tokens"),
            (Dialect::OpenAi, "temperature") => Some("temperature"),
            (Dialect::OpenAi, "top_p") => Some("top_p"),
            (Dialect::OpenAi, "seed") => Some("seed"),
            _ => None,
        }
    }

    /// Where settings are injected in the upstream body (a path of object keys; empty = root).
    pub fn settings_root(self) -> &'static [&'static str] {
        match self {
            Dialect::OpenAi => &[],
        }
    }
}

/// The portable names auto-mode `customSettings` understand.
pub const PORTABLE_SETTINGS: &[&str] = &["max_tokens", "temperature", "top_p", "top_k", "seed"];
