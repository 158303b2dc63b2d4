//! [`Endpoint`]: what every HTTP provider does the same way — post with a timeout, classify
//! transport failures, turn an error status into an [`ProviderError`] with an excerpt of the
//! body, time the answer, and keep the API key out of every message and answer.
//!
//! The providers keep only what is API-specific: the URL, the auth header, the JSON body, and
//! how an answer or an error body is read.

use std::time::{Duration, Instant};

use super::model::{ProviderError, redact};
use crate::chat::{ModelOutput, ProviderErrorKind};
use crate::util::format::excerpt;
use crate::util::url::shown_url;

/// How much of an error body is kept in messages and reports.
pub(crate) const BODY_EXCERPT: usize = 300;

/// One HTTP endpoint of a provider: where it posts, with which key, within which timeout.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    client: reqwest::Client,
    pub(crate) url: String,
    api_key: Option<String>,
    pub(crate) timeout: Duration,
}

impl Endpoint {
    pub(crate) fn new(
        client: reqwest::Client,
        url: String,
        api_key: Option<String>,
        timeout: Duration,
    ) -> Self {
        Self {
            client,
            url,
            api_key,
            timeout,
        }
    }

    /// Returns the key, for the provider's own auth header.
    pub(crate) fn api_key(&self) -> Option<&str> {
        self.api_key.as_deref()
    }

    /// Starts a POST to the endpoint with the request timeout; the provider adds its headers
    /// and body.
    pub(crate) fn post(&self) -> reqwest::RequestBuilder {
        self.client.post(&self.url).timeout(self.timeout)
    }

    /// Sends `request`. A success status returns the unread response; any other status is an
    /// HTTP error carrying `Retry-After` and the body as `describe_error` puts it.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        describe_error: fn(&str) -> String,
    ) -> Result<reqwest::Response, ProviderError> {
        let response = request
            .send()
            .await
            .map_err(|error| self.transport_error(&error, Phase::Send))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_retry_after);
        let text = self.read_body(response).await?;
        Err(ProviderError {
            kind: ProviderErrorKind::Http,
            status: Some(status.as_u16()),
            message: self.redacted(&format!(
                "HTTP {} from {}: {}",
                status.as_u16(),
                shown_url(&self.url),
                describe_error(&text)
            )),
            retry_after,
        })
    }

    /// Reads a whole (non-streamed) answer and parses it with `parse`, timing it from
    /// `started`.
    pub(crate) async fn read_answer(
        &self,
        response: reqwest::Response,
        started: Instant,
        parse: fn(&str) -> Result<ModelOutput, ProviderError>,
    ) -> Result<ModelOutput, ProviderError> {
        let text = self.read_body(response).await?;
        let latency_ms = elapsed_ms(started);
        let mut output = parse(&text).map_err(|mut error| {
            error.message = self.redacted(&error.message);
            error
        })?;
        output.latency_ms = latency_ms;
        // A server that echoes the request must not leak the key into reports or recordings.
        output.text = self.redacted(&output.text);
        Ok(output)
    }

    /// Returns `text` with the key, if any, replaced.
    pub(crate) fn redacted(&self, text: &str) -> String {
        redact(text, self.api_key.as_deref())
    }

    async fn read_body(&self, response: reqwest::Response) -> Result<String, ProviderError> {
        response
            .text()
            .await
            .map_err(|error| self.transport_error(&error, Phase::Body))
    }

    fn transport_error(&self, error: &reqwest::Error, phase: Phase) -> ProviderError {
        let (kind, what) = transport_failure(error, phase, self.timeout);
        ProviderError::new(
            kind,
            self.redacted(&format!(
                "request to {} failed: {what}",
                shown_url(&self.url)
            )),
        )
    }
}

/// The error for an answer body that is not what the API promises: why, and an excerpt.
pub(crate) fn malformed(body: &str, why: &str) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::Malformed,
        format!(
            "malformed response ({why}): {}",
            excerpt(body.trim(), BODY_EXCERPT)
        ),
    )
}

/// Classifies a transport failure of any HTTP provider: a connection that could not be made
/// (which the circuit breaker counts) differs from one that dropped mid-answer (retried, not
/// counted: the endpoint is up).
fn transport_failure(
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
enum Phase {
    /// Connecting, sending, or waiting for the status line.
    Send,
    /// Reading the body.
    Body,
}

/// Returns an error with its chain of causes, which name the real reason (refused, reset…).
pub(crate) fn causes(error: &reqwest::Error) -> String {
    // reqwest names the request URL in its message: show it without credentials.
    let mut text = match error.url() {
        Some(url) => error
            .to_string()
            .replace(url.as_str(), &shown_url(url.as_str())),
        None => error.to_string(),
    };
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
fn parse_retry_after(value: &str) -> Option<Duration> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn transport_errors_never_show_credentials_in_the_url() {
        let client = crate::provider::HttpClient::default().get().unwrap();
        // Port 9 (discard) on loopback: nothing listens, so the connection is refused.
        let error = client
            .post("http://user:sk-secret@127.0.0.1:9/v1/chat/completions?key=sk-other")
            .send()
            .await
            .unwrap_err();
        let text = causes(&error);
        assert!(!text.contains("sk-secret"), "{text}");
        assert!(!text.contains("sk-other"), "{text}");
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
