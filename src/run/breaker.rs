//! [`CircuitBreaker`]: notices that a target's endpoint is down, so the remaining cases end at
//! once as `error: provider unreachable` instead of each spending minutes on retries.
//!
//! It opens (and stays open for the run) on:
//! - [`CONNECT_FAILURES`] connection failures in a row (refused, DNS, TLS, connect timeout);
//! - 401, 403 or 404 before any success: a wrong key, URL or model fails every case alike;
//! - [`FIRST_FAILURES`] server-side failures in a row before any success (a 503 endpoint);
//! - [`DEGRADED_FAILURES`] server-side failures in a row at any time.
//!
//! 429 and other 4xx answers prove the endpoint is alive; they never open it.

use std::sync::Mutex;

use tokio::sync::watch;

use crate::chat::ProviderErrorKind;
use crate::provider::ProviderError;

/// Connection failures in a row that open the breaker.
pub(crate) const CONNECT_FAILURES: u32 = 3;

/// Server-side failures in a row that open the breaker before any request succeeded.
pub(crate) const FIRST_FAILURES: u32 = 12;

/// Server-side failures in a row that open the breaker after successes.
pub(crate) const DEGRADED_FAILURES: u32 = 24;

/// The circuit breaker of one target.
#[derive(Debug)]
pub(crate) struct CircuitBreaker {
    counts: Mutex<Counts>,
    /// Why the breaker opened; `None` while it is closed.
    open: watch::Sender<Option<String>>,
}

#[derive(Debug, Default)]
struct Counts {
    connect_failures: u32,
    server_failures: u32,
    any_success: bool,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        Self {
            counts: Mutex::new(Counts::default()),
            open: watch::Sender::new(None),
        }
    }
}

impl CircuitBreaker {
    /// Returns why the breaker is open, or `None` while requests may be sent.
    pub(crate) fn open_reason(&self) -> Option<String> {
        self.open.borrow().clone()
    }

    /// Returns true once the breaker has opened.
    pub(crate) fn is_open(&self) -> bool {
        self.open.borrow().is_some()
    }

    /// Resolves when the breaker opens (at once if it is open).
    pub(crate) async fn opened(&self) {
        let mut receiver = self.open.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail while we are borrowed.
        let _ = receiver.wait_for(Option::is_some).await;
    }

    /// Counts the outcome of one request, opening the breaker when the endpoint looks down.
    pub(crate) fn record<T>(&self, result: &Result<T, ProviderError>) {
        let reason = {
            let mut counts = self.counts.lock().expect("no code panics holding the lock");
            counts.judge(result)
        };
        if let Some(reason) = reason {
            self.open.send_if_modified(|open| {
                if open.is_some() {
                    return false;
                }
                *open = Some(reason);
                true
            });
        }
    }
}

impl Counts {
    /// Updates the counts and returns a reason when the breaker should open.
    fn judge<T>(&mut self, result: &Result<T, ProviderError>) -> Option<String> {
        let Err(error) = result else {
            *self = Self {
                any_success: true,
                ..Self::default()
            };
            return None;
        };
        let last = || format!("last: {}", error.message);
        match (error.kind, error.status) {
            (ProviderErrorKind::Connect, _) => {
                self.connect_failures += 1;
                self.server_failures += 1;
                if self.connect_failures >= CONNECT_FAILURES {
                    return Some(format!(
                        "failed to connect {CONNECT_FAILURES} times in a row ({})",
                        last()
                    ));
                }
            }
            // A redirect that was not followed comes back for every request the same way.
            (ProviderErrorKind::Http, Some(status @ (300..=399 | 401 | 403 | 404)))
                if !self.any_success =>
            {
                return Some(format!(
                    "answered HTTP {status} before any request succeeded ({})",
                    last()
                ));
            }
            (ProviderErrorKind::Http, Some(500..=599))
            | (
                ProviderErrorKind::Dropped
                | ProviderErrorKind::Timeout
                | ProviderErrorKind::Malformed
                | ProviderErrorKind::TooLarge,
                _,
            ) => {
                self.connect_failures = 0;
                self.server_failures += 1;
            }
            (ProviderErrorKind::Http, _) => {
                // Any other 4xx is an answer from a working endpoint.
                self.connect_failures = 0;
                self.server_failures = 0;
            }
            (
                ProviderErrorKind::Empty
                | ProviderErrorKind::Refusal
                | ProviderErrorKind::Unreachable
                | ProviderErrorKind::Recording,
                _,
            ) => {}
        }
        let limit = if self.any_success {
            DEGRADED_FAILURES
        } else {
            FIRST_FAILURES
        };
        (self.server_failures >= limit).then(|| {
            format!(
                "failed {} requests in a row{} ({})",
                self.server_failures,
                if self.any_success {
                    ""
                } else {
                    " before any succeeded"
                },
                last()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ModelOutput;

    fn error(kind: ProviderErrorKind, status: Option<u16>) -> Result<ModelOutput, ProviderError> {
        Err(ProviderError {
            status,
            ..ProviderError::new(kind, "boom")
        })
    }

    fn ok() -> Result<ModelOutput, ProviderError> {
        "hi".parse::<String>()
            .map(ModelOutput::from_text)
            .map_err(|never| match never {})
    }

    #[test]
    fn opens_after_consecutive_connection_failures() {
        let breaker = CircuitBreaker::default();
        for _ in 1..CONNECT_FAILURES {
            breaker.record(&error(ProviderErrorKind::Connect, None));
        }
        assert!(!breaker.is_open());
        breaker.record(&error(ProviderErrorKind::Connect, None));
        let reason = breaker.open_reason().unwrap();
        assert!(reason.contains("failed to connect 3 times"), "{reason}");
        assert!(reason.contains("last: boom"), "{reason}");
    }

    #[test]
    fn an_answer_resets_connection_failures() {
        let breaker = CircuitBreaker::default();
        for _ in 0..10 {
            breaker.record(&error(ProviderErrorKind::Connect, None));
            breaker.record(&error(ProviderErrorKind::Http, Some(429)));
            breaker.record(&error(ProviderErrorKind::Http, Some(400)));
        }
        assert!(!breaker.is_open());
    }

    #[test]
    fn auth_and_not_found_open_only_before_a_success() {
        let breaker = CircuitBreaker::default();
        breaker.record(&error(ProviderErrorKind::Http, Some(401)));
        assert!(breaker.open_reason().unwrap().contains("HTTP 401"));

        let breaker = CircuitBreaker::default();
        breaker.record(&ok());
        breaker.record(&error(ProviderErrorKind::Http, Some(404)));
        assert!(!breaker.is_open());
    }

    #[test]
    fn server_errors_open_sooner_before_any_success() {
        let breaker = CircuitBreaker::default();
        for _ in 0..FIRST_FAILURES {
            assert!(!breaker.is_open());
            breaker.record(&error(ProviderErrorKind::Http, Some(503)));
        }
        assert!(
            breaker
                .open_reason()
                .unwrap()
                .contains("before any succeeded")
        );

        let breaker = CircuitBreaker::default();
        breaker.record(&ok());
        for _ in 0..FIRST_FAILURES {
            breaker.record(&error(ProviderErrorKind::Http, Some(500)));
        }
        assert!(!breaker.is_open());
        for _ in FIRST_FAILURES..DEGRADED_FAILURES {
            breaker.record(&error(ProviderErrorKind::Malformed, None));
        }
        assert!(breaker.is_open());
    }

    #[test]
    fn intermittent_faults_never_open_it() {
        // A server failing a third of its requests, with 429s among them.
        let breaker = CircuitBreaker::default();
        for index in 0..1000 {
            match index % 3 {
                0 => breaker.record(&error(ProviderErrorKind::Http, Some(500))),
                1 => breaker.record(&error(ProviderErrorKind::Http, Some(429))),
                _ => breaker.record(&ok()),
            }
        }
        assert!(!breaker.is_open());
    }

    #[tokio::test]
    async fn opened_resolves_when_it_opens() {
        let breaker = std::sync::Arc::new(CircuitBreaker::default());
        let waiter = tokio::spawn({
            let breaker = std::sync::Arc::clone(&breaker);
            async move { breaker.opened().await }
        });
        breaker.record(&error(ProviderErrorKind::Http, Some(403)));
        waiter.await.unwrap();
    }
}
