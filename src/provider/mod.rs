//! Model back-ends: the [`Provider`] enum and the values that cross its boundary.
//!
//! Async lives here and in [`run`](crate::run) only.

mod anthropic;
mod cache;
mod client;
mod http;
mod mock;
mod model;
mod openai;
mod recording;
mod replay;
mod stream;

pub use anthropic::{AnthropicProvider, DEFAULT_MAX_TOKENS};
pub use cache::{CacheKey, CacheMode, DEFAULT_CACHE_DIR, ResponseCache};
pub use client::{HttpClient, Provider};
pub use mock::MockProvider;
pub use model::{ChatRequest, ProviderError, redact};
pub use openai::OpenAiProvider;
pub use recording::{RECORDING_FORMAT, RecordedAnswer, Recorder, RecordingFile, request_hash};
pub use replay::ReplayProvider;
