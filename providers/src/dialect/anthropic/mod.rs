//! Anthropic Messages (https://docs.anthropic.com/en/api/messages), both directions:
//! - `to_messages` / `from_messages` / `messages_stream`: an OpenAI chat client in front of
//!   `type: claude` (OpenAI chat → Messages request; Messages response, stream and errors →
//!   OpenAI);
//! - `inbound`: an Anthropic client (`/v1/messages`) in front of an OpenAI-wire provider
//!   (Messages → chat request; chat response, stream and errors → Messages).

#[cfg(feature = "anthropic")]
pub mod from_messages;
#[cfg(feature = "anthropic")]
pub mod inbound;
#[cfg(feature = "anthropic")]
pub mod messages_stream;
#[cfg(feature = "anthropic")]
pub mod to_messages;

/// `anthropic-version` when `claudeVersion` is not configured.
pub const DEFAULT_VERSION: &str = "2023-06-01";
