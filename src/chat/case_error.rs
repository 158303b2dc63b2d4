//! [`CaseError`]: why an answer or a judge verdict could not be had, as reports show it.

use serde::{Deserialize, Serialize};

use super::ProviderErrorKind;

/// Why a case (or one of its judge calls) could not be answered: an infrastructure problem,
/// never a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct CaseError {
    /// The kind of failure.
    pub(crate) kind: ProviderErrorKind,
    /// The HTTP status, when there was a response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<u16>,
    /// What happened, with a body excerpt (secrets redacted).
    pub(crate) message: String,
}
