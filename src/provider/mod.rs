//! Model back-ends: the [`Provider`] enum (OpenAI-compatible, Anthropic, the offline `mock` and
//! `replay` targets), the response cache and recordings. The values that cross the boundary
//! are in [`chat`](crate::chat).
//!
//! Async lives here and in [`run`](crate::run) only.

mod anthropic;
mod cache;
mod client;
mod echo;
mod http;
mod mock;
mod model;
mod openai;
mod recording;
mod replay;
mod stream;

pub(crate) use cache::{CacheKey, CacheMode, DEFAULT_CACHE_DIR, ResponseCache, STATE_DIR};
#[cfg(test)]
pub(crate) use client::HttpClient;
pub(crate) use client::{Provider, check_api_key};
pub(crate) use model::{ChatRequest, EmbedRequest, JudgeCall, ProviderError};
pub(crate) use recording::{RecordedAnswer, Recorder, inputs_hash, request_hash};
