//! [`RetryPolicy`]: whether a failed request is tried again and how long to wait first —
//! `backon`'s exponential backoff with jitter, stretched to a server's `Retry-After`, capped,
//! and never past the case's deadline — and [`RetryLog`], what retrying cost a case.

use std::time::Duration;

use backon::ExponentialBuilder;

use crate::config::RetryConfig;
use crate::provider::ProviderError;

/// The retry policy of one target.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    config: RetryConfig,
}

impl RetryPolicy {
    /// Creates the policy of a target.
    pub(crate) fn new(config: RetryConfig) -> Self {
        Self { config }
    }

    /// Returns how long a case may take from its first request.
    pub(crate) fn deadline(&self) -> Duration {
        self.config.deadline
    }

    /// Returns the backoff schedule: `retries` waits from `retry-delay`, doubling, each with
    /// up to as much again of random jitter so parallel cases do not retry in lockstep.
    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.config.delay)
            .with_max_delay(self.config.max_delay)
            .with_factor(2.0)
            .with_max_times(usize::try_from(self.config.retries).unwrap_or(usize::MAX))
            .with_jitter()
    }

    /// Returns the wait before retrying after `error`, or `None` to give up: when the backoff
    /// schedule is spent (`backoff` is `None`), or when the wait would pass the deadline
    /// (`remaining` is what is left of it). A server's `Retry-After` is honoured even above
    /// `retry-max-delay`; the jittered backoff is capped by it.
    pub(crate) fn next_wait(
        &self,
        error: &ProviderError,
        backoff: Option<Duration>,
        remaining: Duration,
    ) -> Option<Duration> {
        let backoff = backoff?.min(self.config.max_delay);
        let wait = error
            .retry_after
            .map_or(backoff, |asked| asked.max(backoff));
        (wait < remaining).then_some(wait)
    }
}

/// What retrying cost one case, for reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RetryLog {
    /// Retries sent after the first request.
    pub(crate) retries: u32,
    /// Why each retry happened (`http-429`, `connect`, `timeout`, …), in order.
    pub(crate) causes: Vec<String>,
    /// Time spent waiting between requests.
    pub(crate) waited: Duration,
}

impl RetryLog {
    /// Records a retry after `error`, following a wait of `wait`.
    pub(crate) fn record(&mut self, error: &ProviderError, wait: Duration) {
        self.retries += 1;
        self.causes.push(error.label());
        self.waited += wait;
    }
}

#[cfg(test)]
mod tests {
    use backon::BackoffBuilder;

    use super::*;
    use crate::chat::ProviderErrorKind;

    fn policy(retries: u32) -> RetryPolicy {
        RetryPolicy::new(RetryConfig {
            retries,
            delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            deadline: Duration::from_mins(1),
        })
    }

    fn server_error(retry_after: Option<Duration>) -> ProviderError {
        ProviderError {
            status: Some(503),
            retry_after,
            ..ProviderError::new(ProviderErrorKind::Http, "busy")
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stops_after_the_retries() {
        let waits: Vec<Duration> = policy(5).backoff().build().collect();
        assert_eq!(waits.len(), 5);
        for (wait, base) in waits.iter().zip([100, 200, 400, 800, 1000]) {
            let base = Duration::from_millis(base);
            assert!(*wait >= base && *wait <= base * 2, "{wait:?} vs {base:?}");
        }
        assert_eq!(policy(0).backoff().build().count(), 0);
    }

    #[test]
    fn waits_are_capped_and_stretched_to_retry_after() {
        let policy = policy(3);
        let minute = Duration::from_mins(1);
        let jittered = Some(Duration::from_millis(1900));
        assert_eq!(
            policy.next_wait(&server_error(None), jittered, minute),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            policy.next_wait(
                &server_error(Some(Duration::from_secs(7))),
                jittered,
                minute
            ),
            Some(Duration::from_secs(7))
        );
        assert_eq!(policy.next_wait(&server_error(None), None, minute), None);
    }

    #[test]
    fn never_waits_past_the_deadline() {
        let error = server_error(Some(Duration::from_secs(30)));
        assert_eq!(
            policy(3).next_wait(
                &error,
                Some(Duration::from_millis(100)),
                Duration::from_secs(10)
            ),
            None
        );
    }

    #[test]
    fn log_records_causes_and_waits() {
        let mut log = RetryLog::default();
        log.record(&server_error(None), Duration::from_millis(150));
        log.record(
            &ProviderError::new(ProviderErrorKind::Connect, "x"),
            Duration::from_millis(300),
        );
        assert_eq!(log.retries, 2);
        assert_eq!(log.causes, ["http-503", "connect"]);
        assert_eq!(log.waited, Duration::from_millis(450));
    }
}
