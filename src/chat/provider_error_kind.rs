//! [`ProviderErrorKind`]: why a model could not answer, as results and reports record it.

use serde::{Deserialize, Serialize};

/// The kind of a provider failure, which decides whether it is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ProviderErrorKind {
    /// The connection could not be made (refused, DNS, TLS, connect timeout).
    Connect,
    /// The connection was made but dropped before the whole answer arrived.
    Dropped,
    /// The request took longer than the target's timeout.
    Timeout,
    /// The API answered with an HTTP error status.
    Http,
    /// The body was not the JSON the API promises.
    Malformed,
    /// The API returned no answer (no choices, no content).
    Empty,
    /// The API refused to answer (a refusal field or content filter).
    Refusal,
    /// The endpoint was judged unreachable and the request was not sent.
    Unreachable,
    /// The `replay` target has no recording of the case, or its recording is stale.
    Recording,
    /// The answer passed the target's `max-response-mb`.
    TooLarge,
}

impl ProviderErrorKind {
    /// Returns the kebab-case name used in reports.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Dropped => "dropped",
            Self::Timeout => "timeout",
            Self::Http => "http",
            Self::Malformed => "malformed",
            Self::Empty => "empty",
            Self::Refusal => "refusal",
            Self::Unreachable => "unreachable",
            Self::Recording => "recording",
            Self::TooLarge => "too-large",
        }
    }
}
