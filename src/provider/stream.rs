//! Streamed chat completions: [`read_chat_stream`] turns a server-sent event stream into a
//! [`ModelOutput`] and measures the time to the first token.
//!
//! A stream is complete only when it ends with `data: [DONE]`; one that stops early (a dropped
//! connection, a proxy timeout) is an error, never a half answer judged as if it were whole.

use std::time::Instant;

use eventsource_stream::{EventStreamError, Eventsource};
use futures::StreamExt;
use serde_json::Value;

use super::http::{Endpoint, StreamRead, elapsed_ms};
use super::model::ProviderError;
use crate::chat::{ModelOutput, ProviderErrorKind, Usage};
use crate::util::format::excerpt;

/// How much of a bad event is kept in messages.
const EVENT_EXCERPT: usize = 300;

/// What the chunks of a stream add up to so far.
#[derive(Debug, Default)]
struct Assembled {
    text: String,
    refusal: String,
    model: Option<String>,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    ttft_ms: Option<u64>,
    events: usize,
}

/// Reads a chat-completions SSE body (`stream: true`) to its `[DONE]`, measuring the time from
/// `started` to the first content.
pub(crate) async fn read_chat_stream(
    endpoint: &Endpoint,
    response: reqwest::Response,
    started: Instant,
) -> Result<ModelOutput, ProviderError> {
    // Capped before parsing: one event that never ends must not grow without bound either.
    let mut events = std::pin::pin!(endpoint.capped_stream(response).eventsource());
    let mut assembled = Assembled::default();
    let mut done = false;
    while let Some(event) = events.next().await {
        let event = event.map_err(|error| match error {
            EventStreamError::Transport(StreamRead::TooLarge) => endpoint.too_large(),
            error => broken(&error, assembled.events),
        })?;
        if event.data.trim() == "[DONE]" {
            done = true;
            break;
        }
        assembled.events += 1;
        let chunk: Value = serde_json::from_str(&event.data).map_err(|_| {
            ProviderError::new(
                ProviderErrorKind::Malformed,
                format!(
                    "malformed stream event {} (not JSON): {}",
                    assembled.events,
                    excerpt(event.data.trim(), EVENT_EXCERPT)
                ),
            )
        })?;
        assembled.add(&chunk, started)?;
    }
    if !done {
        return Err(ProviderError::new(
            ProviderErrorKind::Malformed,
            format!(
                "the stream ended after {} without `data: [DONE]`: the answer is incomplete",
                crate::util::format::plural(assembled.events, "event", "events")
            ),
        ));
    }
    assembled.finish(elapsed_ms(started))
}

impl Assembled {
    /// Adds one chunk: content deltas, refusals, the finish reason, usage.
    fn add(&mut self, chunk: &Value, started: Instant) -> Result<(), ProviderError> {
        if let Some(error) = chunk.get("error") {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .map_or_else(|| error.to_string(), str::to_owned);
            return Err(ProviderError::new(
                ProviderErrorKind::Http,
                format!(
                    "the stream reported an error: {}",
                    excerpt(&message, EVENT_EXCERPT)
                ),
            ));
        }
        if let Some(model) = chunk.get("model").and_then(Value::as_str) {
            self.model.get_or_insert_with(|| model.to_owned());
        }
        if let Some(usage) = chunk.get("usage").filter(|usage| usage.is_object()) {
            let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
            self.usage = Some(Usage {
                prompt_tokens: count("prompt_tokens"),
                completion_tokens: count("completion_tokens"),
            });
        }
        let Some(choice) = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|choices| choices.first())
        else {
            return Ok(());
        };
        let delta = choice.get("delta");
        if let Some(content) = delta
            .and_then(|delta| delta.get("content"))
            .and_then(Value::as_str)
            .filter(|content| !content.is_empty())
        {
            self.ttft_ms.get_or_insert_with(|| elapsed_ms(started));
            self.text.push_str(content);
        }
        if let Some(refusal) = delta
            .and_then(|delta| delta.get("refusal"))
            .and_then(Value::as_str)
        {
            self.refusal.push_str(refusal);
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.to_owned());
        }
        Ok(())
    }

    /// Turns the whole stream into an answer, or the error it amounts to.
    fn finish(self, latency_ms: u64) -> Result<ModelOutput, ProviderError> {
        if !self.refusal.is_empty() {
            return Err(ProviderError::new(
                ProviderErrorKind::Refusal,
                format!(
                    "the API refused to answer: {}",
                    excerpt(&self.refusal, EVENT_EXCERPT)
                ),
            ));
        }
        if self.text.is_empty() {
            return Err(match self.finish_reason.as_deref() {
                Some("content_filter") => ProviderError::new(
                    ProviderErrorKind::Refusal,
                    "the API's content filter withheld the answer",
                ),
                reason => ProviderError::new(
                    ProviderErrorKind::Empty,
                    format!(
                        "the stream carried no content (finish_reason `{}`)",
                        reason.unwrap_or("none")
                    ),
                ),
            });
        }
        Ok(ModelOutput {
            text: self.text,
            usage: self.usage,
            latency_ms,
            ttft_ms: self.ttft_ms,
            model: self.model,
            finish_reason: self.finish_reason,
            cached: false,
        })
    }
}

/// Describes a stream that broke while being read.
fn broken(error: &EventStreamError<StreamRead>, events: usize) -> ProviderError {
    let after = crate::util::format::plural(events, "event", "events");
    match error {
        EventStreamError::Transport(StreamRead::Transport(error)) if error.is_timeout() => {
            ProviderError::new(
                ProviderErrorKind::Timeout,
                format!("the stream timed out after {after}"),
            )
        }
        // The endpoint answered, so a cut stream is a drop (retried), not a failure to
        // connect (which the circuit breaker counts).
        EventStreamError::Transport(error) => ProviderError::new(
            ProviderErrorKind::Dropped,
            format!("the stream was cut after {after}: {error}"),
        ),
        EventStreamError::Utf8(error) => ProviderError::new(
            ProviderErrorKind::Malformed,
            format!("the stream is not UTF-8 after {after}: {error}"),
        ),
        EventStreamError::Parser(error) => ProviderError::new(
            ProviderErrorKind::Malformed,
            format!("the stream is not valid server-sent events after {after}: {error}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chunk(content: &str, finish: Option<&str>) -> Value {
        json!({"model": "m", "choices": [{"delta": {"content": content}, "finish_reason": finish}]})
    }

    #[test]
    fn chunks_add_up_to_an_answer_with_usage() {
        let started = Instant::now();
        let mut assembled = Assembled::default();
        assembled.add(&chunk("", None), started).unwrap();
        assert_eq!(assembled.ttft_ms, None, "an empty delta is not a token");
        assembled.add(&chunk("Hel", None), started).unwrap();
        assembled.add(&chunk("lo", Some("stop")), started).unwrap();
        assembled
            .add(
                &json!({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}}),
                started,
            )
            .unwrap();
        let output = assembled.finish(42).unwrap();
        assert_eq!(output.text, "Hello");
        assert_eq!(output.finish_reason.as_deref(), Some("stop"));
        assert_eq!(output.model.as_deref(), Some("m"));
        assert!(output.ttft_ms.is_some());
        assert_eq!(output.latency_ms, 42);
        assert_eq!(
            output.usage,
            Some(Usage {
                prompt_tokens: 7,
                completion_tokens: 2
            })
        );
    }

    #[test]
    fn empty_refused_and_errored_streams_are_errors() {
        let started = Instant::now();
        let mut empty = Assembled::default();
        empty.add(&chunk("", Some("stop")), started).unwrap();
        assert_eq!(empty.finish(1).unwrap_err().kind, ProviderErrorKind::Empty);

        let mut refused = Assembled::default();
        refused
            .add(&json!({"choices": [{"delta": {"refusal": "no"}}]}), started)
            .unwrap();
        assert_eq!(
            refused.finish(1).unwrap_err().kind,
            ProviderErrorKind::Refusal
        );

        let error = Assembled::default()
            .add(&json!({"error": {"message": "overloaded"}}), started)
            .unwrap_err();
        assert_eq!(error.message, "the stream reported an error: overloaded");
    }
}
