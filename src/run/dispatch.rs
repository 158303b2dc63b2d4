//! [`Dispatcher`]: sends a case's request through its target's lane — circuit breaker, rate
//! limits, adaptive in-flight limit, retries with backoff, and the case's deadline — and
//! returns the final answer or error with what retrying cost ([`Dispatched`]).

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::Retryable;

use super::breaker::CircuitBreaker;
use super::limits::{AdaptiveLimit, RateLimits, estimate_tokens};
use super::retry::{RetryLog, RetryPolicy};
use crate::chat::{ModelOutput, ProviderErrorKind};
use crate::config::Target;
use crate::provider::{ChatRequest, Provider, ProviderError};

/// The start of an unreachable case's error message; reports and hints look for it.
pub(crate) const UNREACHABLE: &str = "provider unreachable";

/// Sends requests for every target of a plan, one lane per target.
#[derive(Debug)]
pub(crate) struct Dispatcher {
    lanes: Vec<Lane>,
}

/// Everything that governs requests to one target.
#[derive(Debug)]
struct Lane {
    name: String,
    policy: RetryPolicy,
    breaker: Arc<CircuitBreaker>,
    rate: RateLimits,
    in_flight: AdaptiveLimit,
    max_tokens: Option<u32>,
}

/// The outcome of sending one request (an answer by default; judges also send embeddings).
#[derive(Debug)]
pub(crate) struct Dispatched<T = ModelOutput> {
    /// The answer, or the last error once retrying gave up.
    pub(crate) result: Result<T, ProviderError>,
    /// Requests actually sent (0 when the breaker was already open).
    pub(crate) requests: u32,
    /// Retries, their causes, and the time waited between them.
    pub(crate) log: RetryLog,
}

impl Dispatcher {
    /// Creates one lane per target, in the plan's target order.
    pub(crate) fn new(targets: &[Target]) -> Self {
        Self {
            lanes: targets
                .iter()
                .map(|target| Lane {
                    name: target.name.clone(),
                    policy: RetryPolicy::new(target.retry),
                    breaker: Arc::new(CircuitBreaker::default()),
                    rate: RateLimits::new(target.rate),
                    in_flight: AdaptiveLimit::new(target.concurrency),
                    max_tokens: target.params.max_tokens,
                })
                .collect(),
        }
    }

    /// Returns the name of target number `target`.
    pub(crate) fn target_name(&self, target: usize) -> &str {
        &self.lanes[target].name
    }

    /// Sends `request` to target number `target` with `provider`, retrying what a retry may
    /// fix until the backoff schedule or the deadline is spent or the breaker opens.
    pub(crate) async fn send(
        &self,
        target: usize,
        provider: &Provider,
        request: &ChatRequest<'_>,
    ) -> Dispatched {
        let tokens = estimate_tokens(request, self.lanes[target].max_tokens);
        self.send_with(target, tokens, || provider.complete(request))
            .await
    }

    /// Sends what `call` sends (about `tokens` tokens, for the rate limits) through target
    /// number `target`'s lane, with the same limits, retries, deadline and breaker as an
    /// answer: graders and embedders are targets like any other.
    pub(crate) async fn send_with<T, F, Fut>(
        &self,
        target: usize,
        tokens: u32,
        call: F,
    ) -> Dispatched<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let lane = &self.lanes[target];
        let requests = Cell::new(0);
        let first_sent: Cell<Option<Instant>> = Cell::new(None);
        let log = RefCell::new(RetryLog::default());
        let remaining = || {
            first_sent.get().map_or(lane.policy.deadline(), |at| {
                lane.policy.deadline().saturating_sub(at.elapsed())
            })
        };
        let attempt = || async { lane.attempt(&call, tokens, &requests, &first_sent).await };
        let breaker = Arc::clone(&lane.breaker);
        let result = attempt
            .retry(lane.policy.backoff())
            .sleep(move |wait| {
                // A wait ends early when the breaker opens: the retry then fails at once.
                let breaker = Arc::clone(&breaker);
                async move {
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = breaker.opened() => {}
                    }
                }
            })
            .when(|error| error.is_retryable() && !lane.breaker.is_open())
            .adjust(|error, backoff| lane.policy.next_wait(error, backoff, remaining()))
            .notify(|error, wait| log.borrow_mut().record(error, wait))
            .await;
        Dispatched {
            result,
            requests: requests.get(),
            log: log.into_inner(),
        }
    }
}

impl Lane {
    /// Sends one request once the breaker, the rate limits and the in-flight limit allow it.
    async fn attempt<T, F, Fut>(
        &self,
        call: &F,
        tokens: u32,
        requests: &Cell<u32>,
        first_sent: &Cell<Option<Instant>>,
    ) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        if let Some(reason) = self.breaker.open_reason() {
            return Err(self.unreachable(&reason));
        }
        let ready = async {
            self.rate.until_ready(tokens).await;
            Some(self.in_flight.acquire().await)
        };
        let place = tokio::select! {
            place = ready => place,
            () = self.breaker.opened() => None,
        };
        // Checked again after the wait: the request that freed our place may have opened it.
        let (Some(place), None) = (place, self.breaker.open_reason()) else {
            return Err(self.unreachable(&self.breaker.open_reason().unwrap_or_default()));
        };
        // The deadline runs from the first request sent, so queueing behind rate limits or
        // other cases never counts against it.
        let started = first_sent.get().unwrap_or_else(|| {
            let now = Instant::now();
            first_sent.set(Some(now));
            now
        });
        let deadline = self.policy.deadline();
        let remaining = deadline.saturating_sub(started.elapsed());
        requests.set(requests.get() + 1);
        let result = match tokio::time::timeout(remaining, call()).await {
            Ok(result) => result,
            Err(_) => Err(ProviderError::new(
                ProviderErrorKind::Timeout,
                format!(
                    "the case's deadline of {} passed (target `{}`, `deadline`)",
                    seconds(deadline),
                    self.name
                ),
            )),
        };
        // Judged before the place is freed, so no request starts on a breaker about to open.
        self.breaker.record(&result);
        self.in_flight.record(&place, &result);
        drop(place);
        result
    }

    fn unreachable(&self, reason: &str) -> ProviderError {
        ProviderError::new(
            ProviderErrorKind::Unreachable,
            format!("{UNREACHABLE}: target `{}` {reason}; not sent", self.name),
        )
    }
}

/// Formats a duration as seconds for messages.
fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}
