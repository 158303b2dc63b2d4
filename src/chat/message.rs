//! [`Message`]: one chat message, and its [`Role`].

use serde::{Deserialize, Serialize};

/// One chat message sent to a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Message {
    /// Who speaks.
    pub(crate) role: Role,
    /// What they say.
    pub(crate) content: String,
}

impl Message {
    /// Creates a message.
    pub(crate) fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// The speaker of a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Role {
    /// The system prompt.
    System,
    /// The end user.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// Returns the role as the chat APIs spell it.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}
