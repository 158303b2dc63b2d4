//! What a target lets through at once: [`RateLimits`] (requests and tokens per minute, GCRA
//! through `governor`) and [`AdaptiveLimit`] (requests in flight, halved on 429 and regained
//! one at a time as requests succeed).

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::chat::ProviderErrorKind;
use crate::config::RateConfig;
use crate::provider::{ChatRequest, ProviderError};

/// The per-minute rate limits of one target.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    requests: Option<DefaultDirectRateLimiter>,
    tokens: Option<(DefaultDirectRateLimiter, NonZeroU32)>,
}

impl RateLimits {
    /// Creates the limits of a target. Requests may burst one second's share, so a run starts
    /// at once but never sends a minute's quota in its first instant (which providers punish
    /// with 429s); tokens may burst ten seconds' share, so large prompts still fit.
    pub(crate) fn new(config: RateConfig) -> Self {
        let limiter = |per_minute: NonZeroU32, seconds: u32| {
            let burst = NonZeroU32::new((per_minute.get() * seconds).div_ceil(60))
                .expect("a positive rate has a positive burst");
            (
                RateLimiter::direct(Quota::per_minute(per_minute).allow_burst(burst)),
                burst,
            )
        };
        Self {
            requests: config.requests_per_minute.map(|rate| limiter(rate, 1).0),
            tokens: config.tokens_per_minute.map(|rate| limiter(rate, 10)),
        }
    }

    /// Waits until one request of about `tokens` tokens may be sent.
    pub(crate) async fn until_ready(&self, tokens: u32) {
        if let Some(requests) = &self.requests {
            requests.until_ready().await;
        }
        if let Some((limiter, burst)) = &self.tokens {
            // A request larger than the burst waits for a full burst rather than forever.
            let tokens = NonZeroU32::new(tokens.min(burst.get())).unwrap_or(NonZeroU32::MIN);
            limiter
                .until_n_ready(tokens)
                .await
                .expect("the count is clamped to the burst");
        }
    }
}

/// Estimates the tokens a request costs against a tokens-per-minute limit: about four bytes
/// per token of the messages plus their framing, plus the completion tokens it may use.
pub(crate) fn estimate_tokens(request: &ChatRequest<'_>, max_tokens: Option<u32>) -> u32 {
    let text: usize = request
        .messages
        .iter()
        .map(|message| message.content.len().div_ceil(4) + 4)
        .sum();
    u32::try_from(text)
        .unwrap_or(u32::MAX)
        .saturating_add(max_tokens.unwrap_or(0))
}

/// An in-flight limit that adapts to the endpoint: a 429 halves it (down to 1), and each
/// `limit` successes in a row raise it by one, back up to the target's `concurrency`.
///
/// A burst of 429s answering requests that were all sent before the last halving is one sign
/// of overload, not one per request: only a 429 to a request sent since then halves again.
/// Otherwise a window of four throttled requests cut four places to one, and a single slow
/// request then held the only place while every other case waited.
#[derive(Debug, Clone)]
pub(crate) struct AdaptiveLimit {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    semaphore: Arc<Semaphore>,
    max: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The current limit.
    limit: usize,
    /// Permits to withdraw as they come back (they were in flight when the limit shrank).
    debt: usize,
    /// Successes since the limit last changed.
    successes: usize,
    /// How many times the limit was halved: a place taken before the latest halving carries
    /// an older number, and its 429 is part of the overload already answered.
    halvings: u64,
}

/// One request's place in flight; returned on drop.
#[derive(Debug)]
pub(crate) struct InFlight {
    permit: Option<OwnedSemaphorePermit>,
    inner: Arc<Inner>,
    /// The limit's `halvings` when this place was taken.
    halvings: u64,
}

impl AdaptiveLimit {
    /// Creates a limit of `max` requests in flight.
    pub(crate) fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            inner: Arc::new(Inner {
                semaphore: Arc::new(Semaphore::new(max)),
                max,
                state: Mutex::new(State {
                    limit: max,
                    debt: 0,
                    successes: 0,
                    halvings: 0,
                }),
            }),
        }
    }

    /// Waits for a place in flight.
    pub(crate) async fn acquire(&self) -> InFlight {
        let permit = Arc::clone(&self.inner.semaphore)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        InFlight {
            permit: Some(permit),
            inner: Arc::clone(&self.inner),
            halvings: self.inner.lock().halvings,
        }
    }

    /// Returns the current limit.
    #[cfg(test)]
    pub(crate) fn current(&self) -> usize {
        self.inner.lock().limit
    }

    /// Adapts the limit to the outcome of the request sent in `place`.
    pub(crate) fn record<T>(&self, place: &InFlight, result: &Result<T, ProviderError>) {
        match result {
            Ok(_) => self.succeeded(),
            Err(error) if error.kind == ProviderErrorKind::Http && error.status == Some(429) => {
                self.throttled(place.halvings);
            }
            Err(_) => {}
        }
    }

    fn throttled(&self, sent_after: u64) {
        let mut state = self.inner.lock();
        if sent_after < state.halvings {
            return;
        }
        state.halvings += 1;
        let shrink = state.limit - (state.limit / 2).max(1);
        state.limit -= shrink;
        state.successes = 0;
        let withdrawn = self.inner.semaphore.forget_permits(shrink);
        state.debt += shrink - withdrawn;
    }

    fn succeeded(&self) {
        let mut state = self.inner.lock();
        if state.limit >= self.inner.max {
            return;
        }
        state.successes += 1;
        if state.successes >= state.limit {
            state.successes = 0;
            state.limit += 1;
            if state.debt > 0 {
                state.debt -= 1;
            } else {
                self.inner.semaphore.add_permits(1);
            }
        }
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("no code panics holding the lock")
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.inner.lock();
        if state.debt > 0 {
            state.debt -= 1;
            if let Some(permit) = self.permit.take() {
                permit.forget();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::chat::ModelOutput;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::chat::{Message, Role};

    fn throttle() -> Result<ModelOutput, ProviderError> {
        Err(ProviderError {
            status: Some(429),
            ..ProviderError::new(ProviderErrorKind::Http, "slow down")
        })
    }

    fn success() -> Result<ModelOutput, ProviderError> {
        "ok".parse::<String>()
            .map(ModelOutput::from_text)
            .map_err(|never| match never {})
    }

    #[tokio::test]
    async fn throttling_halves_in_flight_and_successes_recover_it() {
        let limit = AdaptiveLimit::new(8);
        let held: Vec<InFlight> = futures::future::join_all((0..8).map(|_| limit.acquire())).await;
        limit.record(&held[0], &throttle());
        assert_eq!(limit.current(), 4);
        // The rest of the window was sent before the halving: the same overload.
        for place in &held[1..] {
            limit.record(place, &throttle());
        }
        assert_eq!(limit.current(), 4);
        drop(held);
        // Only four places are left after the in-flight requests came back.
        assert_eq!(limit.inner.semaphore.available_permits(), 4);
        let place = limit.acquire().await;
        limit.record(&place, &throttle());
        assert_eq!(limit.current(), 2);
        drop(place);
        assert_eq!(limit.inner.semaphore.available_permits(), 2);
        for _ in 0..5 {
            let place = limit.acquire().await;
            limit.record(&place, &throttle());
        }
        assert_eq!(limit.current(), 1, "never below one");
        let place = limit.acquire().await;
        for _ in 0..1 + 2 + 3 {
            limit.record(&place, &success());
        }
        drop(place);
        assert_eq!(limit.current(), 4);
        assert_eq!(limit.inner.semaphore.available_permits(), 4);
        let place = limit.acquire().await;
        for _ in 0..100 {
            limit.record(&place, &success());
        }
        drop(place);
        assert_eq!(
            limit.current(),
            8,
            "recovers up to the target's concurrency"
        );
        assert_eq!(limit.inner.semaphore.available_permits(), 8);
    }

    #[tokio::test]
    async fn requests_per_minute_spread_after_a_one_second_burst() {
        let limits = RateLimits::new(RateConfig {
            requests_per_minute: NonZeroU32::new(1200),
            tokens_per_minute: None,
        });
        let started = Instant::now();
        for _ in 0..20 {
            limits.until_ready(1).await;
        }
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "the burst is immediate"
        );
        for _ in 0..4 {
            limits.until_ready(1).await;
        }
        // 1200/min is one request per 50 ms once the burst is spent.
        assert!(
            started.elapsed() >= Duration::from_millis(150),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn oversized_requests_wait_for_a_full_token_burst_instead_of_failing() {
        let limits = RateLimits::new(RateConfig {
            requests_per_minute: None,
            tokens_per_minute: NonZeroU32::new(600_000),
        });
        limits.until_ready(u32::MAX).await;
    }

    #[test]
    fn token_estimate_counts_bytes_framing_and_max_tokens() {
        let messages = [
            Message::new(Role::System, "a".repeat(400)),
            Message::new(Role::User, "hi"),
        ];
        let request = ChatRequest {
            case_id: "s.yaml::c",
            attempt: 1,
            messages: &messages,
            mock_answer: None,
            chat_prompt: false,
            judge: None,
        };
        assert_eq!(estimate_tokens(&request, None), 100 + 4 + 1 + 4);
        assert_eq!(estimate_tokens(&request, Some(50)), 159);
    }
}
