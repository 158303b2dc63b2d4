//! [`Endpoint`]: what every HTTP provider does the same way — post with a timeout, classify
//! transport failures, turn an error status into an [`ProviderError`] with an excerpt of the
//! body, time the answer, and keep the API key out of every message and answer.
//!
//! The providers keep only what is API-specific: the URL, the auth header, the JSON body, and
//! how an answer or an error body is read.

use std::time::{Duration, Instant};

use super::model::{ProviderError, redact};
use crate::chat::{ModelOutput, ProviderErrorKind};
use crate::config::Target;
use crate::util::format::excerpt;
use crate::util::url::shown_url;

/// How much of an error body is kept in messages and reports.
pub(crate) const BODY_EXCERPT: usize = 300;

/// How much of an error body is read: enough for any API's error JSON, while a server that
/// answers an error with gigabytes costs nothing.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// One HTTP endpoint of a provider: where it posts, with which key, within which timeout and
/// answer-size limit.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    client: reqwest::Client,
    pub(crate) url: String,
    api_key: Option<String>,
    /// The key and credential-like query values of the URL: never shown.
    secrets: Vec<String>,
    pub(crate) timeout: Duration,
    /// The largest answer body read, in bytes.
    max_response: usize,
    /// The target's name, for messages that name its settings.
    target: String,
}

impl Endpoint {
    /// Creates the endpoint at `url` of `target`, authenticating with `api_key`.
    pub(crate) fn new(
        client: reqwest::Client,
        target: &Target,
        url: String,
        api_key: Option<String>,
    ) -> Self {
        let mut secrets = crate::util::url::query_secrets(&url);
        secrets.extend(api_key.clone());
        Self {
            client,
            url,
            api_key,
            secrets,
            timeout: target.timeout,
            max_response: target.max_response_bytes,
            target: target.name.clone(),
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
    /// HTTP error carrying `Retry-After` and the body as `describe_error` puts it; a redirect
    /// the client did not follow says where it pointed.
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
        let detail = if status.is_redirection() {
            redirect_refused(&response)
        } else {
            let (body, _) = self.read_limited(response, ERROR_BODY_LIMIT).await?;
            describe_error(&String::from_utf8_lossy(&body))
        };
        Err(ProviderError {
            kind: ProviderErrorKind::Http,
            status: Some(status.as_u16()),
            message: self.redacted(&format!(
                "HTTP {} from {}: {detail}",
                status.as_u16(),
                shown_url(&self.url),
            )),
            retry_after,
        })
    }

    /// Reads a whole body as text, within the target's response limit.
    pub(crate) async fn read_text(
        &self,
        response: reqwest::Response,
    ) -> Result<String, ProviderError> {
        if response
            .content_length()
            .is_some_and(|length| length > self.max_response as u64)
        {
            return Err(self.too_large());
        }
        let (body, cut) = self.read_limited(response, self.max_response).await?;
        if cut {
            return Err(self.too_large());
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// Reads a whole (non-streamed) answer and parses it with `parse`, timing it from
    /// `started`.
    pub(crate) async fn read_answer(
        &self,
        response: reqwest::Response,
        started: Instant,
        parse: fn(&str) -> Result<ModelOutput, ProviderError>,
    ) -> Result<ModelOutput, ProviderError> {
        let text = self.read_text(response).await?;
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

    /// Returns the body of a streamed answer in pieces that end at a line break, ending in
    /// [`StreamRead::TooLarge`] once the target's limit is passed. Holding back a line until it
    /// is complete keeps the event parser linear: it re-scans its whole buffer on every piece,
    /// so feeding it one endless line in small pieces costs time quadratic in the line.
    pub(crate) fn capped_stream(
        &self,
        response: reqwest::Response,
    ) -> impl futures::Stream<Item = Result<Vec<u8>, StreamRead>> + use<> {
        use futures::StreamExt;
        let limit = self.max_response;
        let start = (Box::pin(response.bytes_stream()), Vec::new(), 0usize, false);
        futures::stream::unfold(
            start,
            move |(mut body, mut pending, mut total, done)| async move {
                if done {
                    return None;
                }
                loop {
                    match body.next().await {
                        Some(Ok(chunk)) => {
                            total = total.saturating_add(chunk.len());
                            if total > limit {
                                return Some((
                                    Err(StreamRead::TooLarge),
                                    (body, pending, total, true),
                                ));
                            }
                            let Some(end) = chunk.iter().rposition(|b| matches!(b, b'\n' | b'\r'))
                            else {
                                pending.extend_from_slice(&chunk);
                                continue;
                            };
                            pending.extend_from_slice(&chunk[..=end]);
                            let lines = std::mem::replace(&mut pending, chunk[end + 1..].to_vec());
                            return Some((Ok(lines), (body, pending, total, false)));
                        }
                        Some(Err(error)) => {
                            return Some((
                                Err(StreamRead::Transport(error)),
                                (body, pending, total, true),
                            ));
                        }
                        None if pending.is_empty() => return None,
                        None => {
                            let rest = std::mem::take(&mut pending);
                            return Some((Ok(rest), (body, pending, total, true)));
                        }
                    }
                }
            },
        )
    }

    /// The error for an answer over the target's limit.
    pub(crate) fn too_large(&self) -> ProviderError {
        ProviderError::new(
            ProviderErrorKind::TooLarge,
            format!(
                "the answer is larger than {} (`max-response-mb` of target `{}`)",
                crate::util::format::mebibytes(self.max_response),
                self.target
            ),
        )
    }

    /// Returns `text` with the key and any credential of the URL replaced.
    pub(crate) fn redacted(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_owned(), |text, secret| redact(&text, Some(secret)))
    }

    /// Reads at most `limit` bytes of a body; the flag says whether more was left unread
    /// (the connection is then dropped rather than drained).
    async fn read_limited(
        &self,
        mut response: reqwest::Response,
        limit: usize,
    ) -> Result<(Vec<u8>, bool), ProviderError> {
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport_error(&error, Phase::Body))?
        {
            let room = limit - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                return Ok((body, true));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, false))
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

/// Why a capped stream stopped.
#[derive(Debug)]
pub(crate) enum StreamRead {
    /// The connection failed.
    Transport(reqwest::Error),
    /// The stream passed the target's `max-response-mb`.
    TooLarge,
}

impl std::fmt::Display for StreamRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Transport(error) => write!(f, "{}", causes(error)),
            Self::TooLarge => f.write_str("the answer passed the size limit"),
        }
    }
}

/// The error text for a redirect the client refused to follow: where it pointed, shown without
/// credentials, and why promptci stays put.
fn redirect_refused(response: &reqwest::Response) -> String {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map_or_else(
            || "nowhere (no `Location`)".to_owned(),
            |location| {
                response
                    .url()
                    .join(location)
                    .map_or_else(|_| location.to_owned(), |url| shown_url(url.as_str()))
            },
        );
    format!(
        "the server redirects to {location}; promptci follows redirects only to the same host and port with the method kept (307, 308), so the key and the prompts stay with the endpoint you configured (hint: set `base-url` to the address it redirects to)"
    )
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
