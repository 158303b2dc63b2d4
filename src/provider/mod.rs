//! Model back-ends: the [`Provider`] enum and the values that cross its boundary.
//!
//! Async lives here and in [`run`](crate::run) only.

mod client;
mod mock;
mod model;
mod openai;

pub use client::{HttpClient, Provider};
pub use mock::MockProvider;
pub use model::{
    ChatRequest, Message, ModelOutput, ProviderError, ProviderErrorKind, Role, Usage, excerpt,
    redact,
};
pub use openai::OpenAiProvider;
