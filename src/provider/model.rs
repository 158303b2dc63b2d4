//! What the runner hands a provider ([`ChatRequest`]) and how a provider fails
//! ([`ProviderError`]). The answer itself (`ModelOutput`) is a shared value in
//! [`chat`](crate::chat).

use std::fmt;
use std::time::Duration;

use crate::chat::{Message, ProviderErrorKind};

/// What the runner asks a provider for one case.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChatRequest<'a> {
    /// The stable id of the case (`suite-path::case-name`); replay looks answers up by it.
    pub(crate) case_id: &'a str,
    /// Which answer to this case this is, from 1; repeats of a case are independent calls, so
    /// attempts after the first are cached and recorded under their own keys.
    pub(crate) attempt: u32,
    /// The conversation, system message first.
    pub(crate) messages: &'a [Message],
    /// The case's scripted answer for the built-in mock target.
    pub(crate) mock_answer: Option<&'a str>,
    /// Whether the prompt is a chat template (the echo target answers such prompts as JSON).
    pub(crate) chat_prompt: bool,
    /// Set when a grader is asked to judge the case's answer.
    pub(crate) judge: Option<JudgeCall<'a>>,
}

/// What makes a request a judge call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JudgeCall<'a> {
    /// The call's key within its case and attempt (`rubric-1`, `rubric-1#2` for a second
    /// vote): recordings keep judge answers under it.
    pub(crate) slot: &'a str,
    /// The vote's seed: the grader's (else the target's) `seed` plus the vote's number − 1, so
    /// votes are distinct requests where the API honours seeds.
    pub(crate) seed: Option<i64>,
}

/// Texts to embed for a `similar` assertion.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EmbedRequest<'a> {
    /// The case's id.
    pub(crate) case_id: &'a str,
    /// The attempt whose answer is embedded, from 1.
    pub(crate) attempt: u32,
    /// The call's key within the case and attempt (`similar-2`).
    pub(crate) slot: &'a str,
    /// The answer first, then the references.
    pub(crate) inputs: &'a [String],
}

/// The vectors an embedder returned, one per input, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Embeddings {
    /// One vector per input.
    pub(crate) vectors: Vec<Vec<f32>>,
    /// Token usage the provider reported.
    pub(crate) usage: Option<crate::chat::Usage>,
    /// The model that answered.
    pub(crate) model: Option<String>,
    /// Whether the vectors came from the cache or a recording.
    pub(crate) cached: bool,
}

/// A provider failure: the case ends as `error`, never as `failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProviderError {
    /// What went wrong.
    pub(crate) kind: ProviderErrorKind,
    /// The HTTP status, when there was a response.
    pub(crate) status: Option<u16>,
    /// A human-readable description with a body excerpt (secrets redacted).
    pub(crate) message: String,
    /// How long the server asked us to wait (`Retry-After`).
    pub(crate) retry_after: Option<Duration>,
}

impl ProviderError {
    /// Creates an error of `kind` with a message.
    pub(crate) fn new(kind: ProviderErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Returns true for failures a retry may fix: 408, 409, 429, 5xx, timeouts, failed or
    /// dropped connections and truncated or malformed bodies. An answer over the size limit is
    /// not retried: the same request would bring the same body.
    #[must_use]
    pub(crate) fn is_retryable(&self) -> bool {
        match self.kind {
            ProviderErrorKind::Connect
            | ProviderErrorKind::Dropped
            | ProviderErrorKind::Timeout
            | ProviderErrorKind::Malformed => true,
            ProviderErrorKind::Http => matches!(self.status, Some(408 | 409 | 429 | 500..=599)),
            ProviderErrorKind::Empty
            | ProviderErrorKind::Refusal
            | ProviderErrorKind::Unreachable
            | ProviderErrorKind::Recording
            | ProviderErrorKind::TooLarge => false,
        }
    }
}

impl ProviderError {
    /// Returns a short label of the failure for reports: `http-429`, `connect`, `timeout`, ….
    #[must_use]
    pub(crate) fn label(&self) -> String {
        match (self.kind, self.status) {
            (ProviderErrorKind::Http, Some(status)) => format!("http-{status}"),
            (kind, _) => kind.as_str().to_owned(),
        }
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProviderError {}

/// Replaces every occurrence of `secret` in `text`, so keys echoed by a server never reach
/// output, reports or errors.
#[must_use]
pub(crate) fn redact(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(secret) if secret.len() >= 4 => text.replace(secret, "[REDACTED]"),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        let http = |status| ProviderError {
            status: Some(status),
            ..ProviderError::new(ProviderErrorKind::Http, "x")
        };
        for status in [408, 409, 429, 500, 503] {
            assert!(http(status).is_retryable(), "{status}");
        }
        for status in [400, 401, 403, 404, 422] {
            assert!(!http(status).is_retryable(), "{status}");
        }
    }

    #[test]
    fn redact_hides_the_secret() {
        assert_eq!(
            redact("bad key sk-abc123", Some("sk-abc123")),
            "bad key [REDACTED]"
        );
    }
}
