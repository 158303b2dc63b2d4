//! [`ModelOutput`]: a model's answer with its measurements, and its token [`Usage`].

use serde::{Deserialize, Serialize};

/// Token usage as the provider reported it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub(crate) struct Usage {
    /// Tokens of the prompt.
    pub(crate) prompt_tokens: u64,
    /// Tokens of the answer.
    pub(crate) completion_tokens: u64,
}

/// A model's answer with its measurements.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ModelOutput {
    /// The answer text.
    pub(crate) text: String,
    /// Token usage reported by the provider, when it reports any.
    pub(crate) usage: Option<Usage>,
    /// Wall time of the request in milliseconds.
    pub(crate) latency_ms: u64,
    /// Time to the first streamed token in milliseconds (streaming targets only).
    pub(crate) ttft_ms: Option<u64>,
    /// The model that answered, as the provider named it.
    pub(crate) model: Option<String>,
    /// Why generation stopped (`stop`, `length`, …).
    pub(crate) finish_reason: Option<String>,
    /// Whether the answer came from the response cache or a recording.
    pub(crate) cached: bool,
}

impl ModelOutput {
    /// Creates an output with only its text (for tests).
    #[cfg(test)]
    pub(crate) fn from_text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}
