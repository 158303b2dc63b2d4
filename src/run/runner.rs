//! [`execute`]: sends the plan's cases to their providers concurrently and judges the answers.
//!
//! Requests start in plan order and finish in any order; each result is handed to the caller
//! once, by value, with its plan index, and the runner keeps none of them, so a run's memory
//! does not grow with its results (reports put them back in plan order). A global limit bounds cases in flight; each target's
//! [`Dispatcher`] lane adds its own limits, retries and circuit breaker.
//! The runner owns its tokio runtime and is synchronous to its callers.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;

use super::dispatch::Dispatcher;
use super::judge::{JudgeCost, JudgeLanes, judge_answer};
use super::stop::{StopSignal, StopWatcher};
use crate::assert::judge::Judgements;
use crate::assert::{Assertion, AssertionResult};
use crate::chat::ModelOutput;
use crate::config::Target;
use crate::plan::{TestInstance, TestPlan};
use crate::provider::{CacheKey, ChatRequest, Provider, Recorder, ResponseCache};
use crate::results::{CaseError, CaseResult, CaseStatus};

/// How a run is carried out.
#[derive(Debug, Clone)]
pub(crate) struct RunOptions {
    /// The most requests in flight across all targets.
    pub(crate) concurrency: usize,
    /// Stop starting new cases after the first failure or error.
    pub(crate) fail_fast: bool,
    /// Handle Ctrl-C, `TERM` and `HUP`: stop, cancel in-flight requests, and return what
    /// finished.
    pub(crate) handle_interrupts: bool,
    /// The response cache, when the run uses one.
    pub(crate) cache: Option<Arc<ResponseCache>>,
    /// Collects live answers for `--record`.
    pub(crate) recorder: Option<Arc<Recorder>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            fail_fast: false,
            handle_interrupts: true,
            cache: None,
            recorder: None,
        }
    }
}

/// How a run ended (its results went to the caller's callback).
#[derive(Debug)]
pub(crate) struct RunOutcome {
    /// Whether a signal stopped the run before every case finished.
    pub(crate) interrupted: bool,
    /// Wall time of the run.
    pub(crate) duration: Duration,
    /// Watches for signals until reports are written (none when interrupts are not handled).
    watcher: Option<StopWatcher>,
    /// Keeps the runtime (and the signal watcher's task) alive until reports are written.
    _runtime: Option<tokio::runtime::Runtime>,
}

impl RunOutcome {
    /// Returns the signal that stopped the run, or that arrived after it while its reports
    /// were written: the process should exit with its code.
    #[must_use]
    pub(crate) fn stopped_by(&self) -> Option<StopSignal> {
        self.watcher.as_ref().and_then(StopWatcher::received)
    }

    /// Returns the exit code the command should end with: the stop signal's when one
    /// arrived, else `code`.
    #[must_use]
    pub(crate) fn exit_code_or(&self, code: i32) -> i32 {
        self.stopped_by().map_or(code, StopSignal::exit_code)
    }
}

/// The reason a case that never started is skipped after an interrupt.
pub(crate) const INTERRUPTED_REASON: &str = "not run: the run was interrupted";

/// The reason a case is skipped after an earlier failure under `--fail-fast`.
pub(crate) const FAIL_FAST_REASON: &str = "not run: --fail-fast stopped the run after a failure";

/// Runs `cases` (in plan order) on `targets` with `providers` (one per target), handing each
/// case's result to `on_result` exactly once, with the case's plan index, as it finishes (in
/// any order); after an interrupt, the cases in flight and those never started are handed over
/// as skipped. Cases are taken from `cases` only as places to send them free up, so a plan
/// that produces its cases as they are needed is never held whole.
pub(crate) fn execute(
    targets: &[Target],
    cases: impl Iterator<Item = TestInstance>,
    providers: &[Provider],
    options: &RunOptions,
    mut on_result: impl FnMut(usize, &TestInstance, CaseResult),
) -> Result<RunOutcome, crate::error::Error> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| crate::error::Error::Infrastructure {
            message: format!("cannot start the async runtime: {error}"),
        })?;
    let watcher = if options.handle_interrupts {
        let _entered = runtime.enter();
        Some(
            StopWatcher::start().map_err(|error| crate::error::Error::Infrastructure {
                message: format!("cannot watch for stop signals: {error}"),
            })?,
        )
    } else {
        None
    };
    let mut cases = cases.enumerate();
    // The cases started and not yet handed over, so an interrupt can still hand each over.
    let in_flight: RefCell<BTreeMap<usize, Arc<TestInstance>>> = RefCell::default();
    let interrupted = runtime.block_on(async {
        let dispatcher = Dispatcher::new(targets);
        let seeds: Vec<Option<i64>> = targets.iter().map(|target| target.params.seed).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let pending = cases.by_ref().map(|(index, case)| {
            let case = Arc::new(case);
            in_flight.borrow_mut().insert(index, Arc::clone(&case));
            let provider = &providers[case.target];
            let stop = Arc::clone(&stop);
            let lanes = JudgeLanes {
                providers,
                dispatcher: &dispatcher,
                options,
                seeds: &seeds,
            };
            async move {
                let result = if let Some(reason) = &case.skip {
                    CaseResult::skipped(reason.clone())
                } else if stop.load(Ordering::Relaxed) {
                    CaseResult::skipped(FAIL_FAST_REASON)
                } else if case.repeat.is_repeated() {
                    // Each attempt goes through the target's lane on its own.
                    super::repeat::run_repeated(&case.repeat, |attempt| {
                        run_case(&case, provider, lanes, attempt)
                    })
                    .await
                } else {
                    run_case(&case, provider, lanes, 1).await
                };
                (index, result)
            }
        });
        let mut stream = futures::stream::iter(pending).buffer_unordered(options.concurrency.max(1));
        let mut waiting = watcher.clone();
        let interrupt = stop_signal(waiting.as_mut());
        tokio::pin!(interrupt);
        let is_stopped = || watcher.as_ref().is_some_and(|watcher| watcher.received().is_some());
        loop {
            tokio::select! {
                next = stream.next() => {
                    let Some((index, mut result)) = next else { break is_stopped() };
                    let case = in_flight.borrow_mut().remove(&index).expect("a finished case was started");
                    if is_stopped() && !matches!(result.status, CaseStatus::Passed | CaseStatus::Skipped) {
                        // A judge the stop killed, or a request it cut, says nothing about
                        // the prompt.
                        result = CaseResult::skipped(INTERRUPTED_REASON);
                    }
                    if options.fail_fast && matches!(result.status, CaseStatus::Failed | CaseStatus::Error) {
                        stop.store(true, Ordering::Relaxed);
                    }
                    on_result(index, &case, result);
                }
                _ = &mut interrupt => break true,
            }
        }
    });
    let cut_short = std::mem::take(&mut *in_flight.borrow_mut());
    for (index, case) in cut_short {
        on_result(index, &case, CaseResult::skipped(INTERRUPTED_REASON));
    }
    for (index, case) in cases {
        on_result(index, &case, CaseResult::skipped(INTERRUPTED_REASON));
    }
    Ok(RunOutcome {
        interrupted,
        duration: started.elapsed(),
        watcher,
        _runtime: Some(runtime),
    })
}

/// Runs `plan` like [`execute`] and collects the results in plan order, for callers whose
/// workloads are small enough to hold them (A/B runs, judge calibration, optimisation).
pub(crate) fn execute_collected(
    plan: &TestPlan,
    providers: &[Provider],
    options: &RunOptions,
) -> Result<(RunOutcome, Vec<CaseResult>), crate::error::Error> {
    let mut results: Vec<Option<CaseResult>> = vec![None; plan.cases.len()];
    let cases = plan.cases.iter().cloned();
    let outcome = execute(
        &plan.targets,
        cases,
        providers,
        options,
        |index, _, result| {
            results[index] = Some(result);
        },
    )?;
    let results = results
        .into_iter()
        .map(|result| result.expect("execute hands over every case's result"))
        .collect();
    Ok((outcome, results))
}

/// Resolves on the first stop signal, or never when interrupts are not handled.
async fn stop_signal(watcher: Option<&mut StopWatcher>) -> StopSignal {
    match watcher {
        Some(watcher) => watcher.stopped().await,
        None => std::future::pending().await,
    }
}

/// Answers one attempt of a case (numbered from 1) — from the cache when it holds the answer,
/// else from the provider through its target's dispatch lane (limits, retries, breaker) —
/// asks the graders of its model-graded assertions, and judges the answer.
async fn run_case(
    case: &TestInstance,
    provider: &Provider,
    lanes: JudgeLanes<'_>,
    attempt: u32,
) -> CaseResult {
    let (dispatcher, options) = (lanes.dispatcher, lanes.options);
    let request = ChatRequest {
        case_id: &case.id,
        attempt,
        messages: &case.messages,
        mock_answer: case.mock_answer.as_deref(),
        chat_prompt: case.chat_prompt,
        judge: None,
    };
    let cache = options.cache.as_deref().and_then(|cache| {
        let key = CacheKey::new(&provider.canonical_request(&request)?, request.attempt);
        Some((cache, key))
    });
    let cached = cache.as_ref().and_then(|(cache, key)| cache.lookup(key));
    let (answer, sent) = if let Some(cached) = cached {
        (Ok(cached), None)
    } else {
        let sent = dispatcher.send(case.target, provider, &request).await;
        (sent.result, Some((sent.requests, sent.log)))
    };
    if let Ok(output) = &answer {
        if let Some((cache, key)) = &cache {
            cache.store(key, output);
        }
        if let Some(recorder) = options.recorder.as_deref()
            && provider.is_live()
        {
            recorder.add(request.case_id, request.attempt, request.messages, output);
        }
    }
    let mut result = match answer {
        Ok(output) => {
            let (judgements, cost) = if case.judges.is_empty() {
                (Judgements::default(), JudgeCost::default())
            } else {
                judge_answer(case, &output, attempt, lanes).await
            };
            let mut result = judge(case, output, judgements).await;
            result.judge_usage = cost.usage;
            result.judge_requests = cost.requests;
            result
        }
        Err(error) => CaseResult::errored(
            CaseError {
                kind: error.kind,
                status: error.status,
                message: error.message,
            },
            0,
        ),
    };
    if let Some((requests, log)) = sent {
        // A replayed answer was recorded, not requested.
        result.requests = if result.cached { 0 } else { requests };
        result.retries = log.retries;
        result.retry_causes = log.causes;
        result.waited_ms = u64::try_from(log.waited.as_millis()).unwrap_or(u64::MAX);
    }
    result
}

/// Evaluates the case's assertions (the model-graded ones from `judgements`); programs run
/// off the async threads.
async fn judge(case: &TestInstance, output: ModelOutput, judgements: Judgements) -> CaseResult {
    let assertions = Arc::clone(&case.assertions);
    let evaluate = move |output: ModelOutput| {
        let verdicts = Assertion::evaluate_all(&assertions, &output, &judgements);
        let mut result = CaseResult::judged(&output.text, verdicts);
        result.usage = output.usage;
        result.latency_ms = Some(output.latency_ms);
        result.ttft_ms = output.ttft_ms;
        result.cached = output.cached;
        result.requests = u32::from(!output.cached);
        result
    };
    if case.assertions.iter().any(Assertion::runs_command) {
        let fallback = output.clone();
        match tokio::task::spawn_blocking(move || evaluate(output)).await {
            Ok(result) => result,
            Err(join) => CaseResult::judged(
                &fallback.text,
                vec![AssertionResult::new(
                    "command",
                    false,
                    format!("the judge crashed: {join}"),
                )],
            ),
        }
    } else {
        evaluate(output)
    }
}
