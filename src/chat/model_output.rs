//! [`ModelOutput`]: a model's answer with its measurements, and its token [`Usage`].

use serde::{Deserialize, Serialize};

/// Token usage as the provider reported it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the prompt.
    pub prompt_tokens: u64,
    /// Tokens of the answer.
    pub completion_tokens: u64,
}

/// A model's answer with its measurements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelOutput {
    /// The answer text.
    pub text: String,
    /// Token usage reported by the provider, when it reports any.
    pub usage: Option<Usage>,
    /// Wall time of the request in milliseconds.
    pub latency_ms: u64,
    /// Time to the first streamed token in milliseconds (streaming targets only).
    pub ttft_ms: Option<u64>,
    /// The model that answered, as the provider named it.
    pub model: Option<String>,
    /// Why generation stopped (`stop`, `length`, …).
    pub finish_reason: Option<String>,
    /// Whether the answer came from the response cache or a recording.
    pub cached: bool,
}

impl ModelOutput {
    /// Creates an output with only its text (used by offline targets and tests).
    pub fn from_text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}
