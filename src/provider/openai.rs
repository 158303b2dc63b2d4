//! [`OpenAiProvider`]: chat completions at any OpenAI-compatible base URL (OpenAI, vLLM,
//! llama.cpp, Ollama, …).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::model::{
    ChatRequest, ModelOutput, ProviderError, ProviderErrorKind, Usage, excerpt, redact,
};
use crate::config::{GenerationParams, Target};

/// How much of an error body is kept in messages and reports.
const BODY_EXCERPT: usize = 300;

/// A client for one OpenAI-compatible target.
#[derive(Debug, Clone)]
pub struct OpenAiProvider {
    client: reqwest::Client,
    url: String,
    api_key: Option<String>,
    model: String,
    params: GenerationParams,
    timeout: Duration,
    stream: bool,
}

impl OpenAiProvider {
    /// Creates the provider for `target`, sharing `client`'s connection pool.
    #[must_use]
    pub fn new(target: &Target, client: reqwest::Client, api_key: Option<String>) -> Self {
        let base = target
            .base_url
            .as_deref()
            .unwrap_or("https://api.openai.com/v1");
        Self {
            client,
            url: format!("{}/chat/completions", base.trim_end_matches('/')),
            api_key,
            model: target.model.clone(),
            params: target.params.clone(),
            timeout: target.timeout,
            stream: target.stream,
        }
    }

    /// Returns the JSON body sent for a request.
    #[must_use]
    pub fn body(&self, request: &ChatRequest<'_>) -> Value {
        let mut body = json!({
            "model": self.model,
            "messages": request.messages,
        });
        let object = body.as_object_mut().expect("the body literal is an object");
        if let Some(temperature) = self.params.temperature {
            object.insert("temperature".to_owned(), json!(temperature));
        }
        if let Some(max_tokens) = self.params.max_tokens {
            object.insert("max_tokens".to_owned(), json!(max_tokens));
        }
        if let Some(seed) = self.params.seed {
            object.insert("seed".to_owned(), json!(seed));
        }
        if self.stream {
            // Without `include_usage` a stream reports no token counts.
            object.insert("stream".to_owned(), json!(true));
            object.insert("stream_options".to_owned(), json!({"include_usage": true}));
        }
        for (key, value) in &self.params.extra {
            object.insert(key.clone(), value.clone());
        }
        body
    }

    /// Returns what decides the answer, for the response cache: the endpoint and the exact
    /// body (model, parameters, messages). The key is a header and never part of it.
    #[must_use]
    pub fn canonical_request(&self, request: &ChatRequest<'_>) -> Value {
        json!({
            "provider": "openai",
            "url": self.url,
            "body": self.body(request),
        })
    }

    /// Sends one request and parses the answer.
    pub async fn complete(&self, request: &ChatRequest<'_>) -> Result<ModelOutput, ProviderError> {
        let started = Instant::now();
        let mut builder = self
            .client
            .post(&self.url)
            .timeout(self.timeout)
            .json(&self.body(request));
        if let Some(key) = &self.api_key {
            builder = builder.bearer_auth(key);
        }
        let response = builder
            .send()
            .await
            .map_err(|error| self.transport_error(&error, Phase::Send))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_retry_after);
        if self.stream && status.is_success() {
            let mut output = super::stream::read_chat_stream(response, started)
                .await
                .map_err(|mut error| {
                    error.message = self.redacted(&format!("{} ({})", error.message, self.url));
                    error
                })?;
            output.text = self.redacted(&output.text);
            return Ok(output);
        }
        let text = response
            .text()
            .await
            .map_err(|error| self.transport_error(&error, Phase::Body))?;
        let latency_ms = elapsed_ms(started);
        if !status.is_success() {
            return Err(ProviderError {
                kind: ProviderErrorKind::Http,
                status: Some(status.as_u16()),
                message: format!(
                    "HTTP {} from {}: {}",
                    status.as_u16(),
                    self.url,
                    self.redacted(&excerpt(text.trim(), BODY_EXCERPT))
                ),
                retry_after,
            });
        }
        let mut output = parse_completion(&text).map_err(|mut error| {
            error.message = self.redacted(&error.message);
            error
        })?;
        output.latency_ms = latency_ms;
        // A server that echoes the request must not leak the key into reports or recordings.
        output.text = self.redacted(&output.text);
        Ok(output)
    }

    fn redacted(&self, text: &str) -> String {
        redact(text, self.api_key.as_deref())
    }

    fn transport_error(&self, error: &reqwest::Error, phase: Phase) -> ProviderError {
        let (kind, what) = transport_failure(error, phase, self.timeout);
        ProviderError::new(
            kind,
            self.redacted(&format!("request to {} failed: {what}", self.url)),
        )
    }
}

/// Classifies a transport failure of any HTTP provider: a connection that could not be made
/// (which the circuit breaker counts) differs from one that dropped mid-answer (retried, not
/// counted: the endpoint is up).
pub(crate) fn transport_failure(
    error: &reqwest::Error,
    phase: Phase,
    timeout: Duration,
) -> (ProviderErrorKind, String) {
    if error.is_connect() {
        (
            ProviderErrorKind::Connect,
            format!("cannot connect: {}", causes(error)),
        )
    } else if error.is_timeout() {
        (
            ProviderErrorKind::Timeout,
            format!("timed out after {} s", timeout.as_secs_f64()),
        )
    } else if phase == Phase::Body {
        (
            ProviderErrorKind::Dropped,
            format!("the answer was cut off: {}", causes(error)),
        )
    } else {
        (
            ProviderErrorKind::Dropped,
            format!("the connection dropped: {}", causes(error)),
        )
    }
}

/// Where in a request a transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Connecting, sending, or waiting for the status line.
    Send,
    /// Reading the body.
    Body,
}

/// Returns an error with its chain of causes, which name the real reason (refused, reset…).
pub(crate) fn causes(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

pub(crate) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Parses a `Retry-After` value: delay seconds or an HTTP date (all three formats RFC 9110
/// allows); a date in the past means "now".
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && (0.0..1e9).contains(&seconds))
            .then(|| Duration::from_secs_f64(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Parses a chat-completions body into an answer.
pub(crate) fn parse_completion(text: &str) -> Result<ModelOutput, ProviderError> {
    let malformed = |why: &str| {
        ProviderError::new(
            ProviderErrorKind::Malformed,
            format!(
                "malformed response ({why}): {}",
                excerpt(text.trim(), BODY_EXCERPT)
            ),
        )
    };
    let body: Value = serde_json::from_str(text).map_err(|_| malformed("not JSON"))?;
    let choices = body
        .get("choices")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("no `choices` array"))?;
    let Some(choice) = choices.first() else {
        return Err(ProviderError::new(
            ProviderErrorKind::Empty,
            "the API returned no choices",
        ));
    };
    let message = choice
        .get("message")
        .ok_or_else(|| malformed("no `message` in the first choice"))?;
    if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
        return Err(ProviderError::new(
            ProviderErrorKind::Refusal,
            format!(
                "the API refused to answer: {}",
                excerpt(refusal, BODY_EXCERPT)
            ),
        ));
    }
    let finish_reason = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let content = match message.get("content") {
        Some(Value::String(content)) => content.clone(),
        Some(Value::Null) | None if finish_reason.as_deref() == Some("content_filter") => {
            return Err(ProviderError::new(
                ProviderErrorKind::Refusal,
                "the API's content filter blocked the answer",
            ));
        }
        Some(Value::Null) | None => {
            return Err(ProviderError::new(
                ProviderErrorKind::Empty,
                "the API returned no content",
            ));
        }
        Some(_) => return Err(malformed("`content` is not a string")),
    };
    let usage = body.get("usage").and_then(|usage| {
        Some(Usage {
            prompt_tokens: usage.get("prompt_tokens")?.as_u64()?,
            completion_tokens: usage.get("completion_tokens")?.as_u64()?,
        })
    });
    Ok(ModelOutput {
        text: content,
        usage,
        model: body.get("model").and_then(Value::as_str).map(str::to_owned),
        finish_reason,
        ..ModelOutput::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_completion_with_usage() {
        let output = parse_completion(
            r#"{"model":"m","choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#,
        )
        .unwrap();
        assert_eq!(output.text, "hi");
        assert_eq!(
            output.usage,
            Some(Usage {
                prompt_tokens: 5,
                completion_tokens: 1
            })
        );
        assert_eq!(output.finish_reason.as_deref(), Some("stop"));
    }

    #[test]
    fn malformed_empty_and_refusal_are_distinct_errors() {
        assert_eq!(
            parse_completion("{\"choices\": [").unwrap_err().kind,
            ProviderErrorKind::Malformed
        );
        assert_eq!(
            parse_completion(r#"{"choices": []}"#).unwrap_err().kind,
            ProviderErrorKind::Empty
        );
        let refusal =
            parse_completion(r#"{"choices":[{"message":{"content":null,"refusal":"no"}}]}"#)
                .unwrap_err();
        assert_eq!(refusal.kind, ProviderErrorKind::Refusal);
        assert_eq!(refusal.message, "the API refused to answer: no");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(30));
        let wait = parse_retry_after(&later).unwrap();
        assert!(
            wait > Duration::from_secs(28) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
