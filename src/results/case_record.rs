//! [`CaseRecord`]: what a finished case leaves in memory once its report entry is written —
//! its verdict, indices and numbers, never its text — and [`RunTally`], the few things a run
//! gathers across its cases (retries, flaky cases, split votes) for the summaries.

use super::case_result::CaseStatus;
use super::json_report::{JsonCase, JsonFlaky, JsonSplitVote};
use crate::chat::Usage;

/// A finished case, compact: what the gate, the budgets, the targets' summary and the console's
/// totals read. A 100,000-case run keeps 100,000 of these, so it holds no text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CaseRecord {
    /// The verdict.
    pub(crate) status: CaseStatus,
    /// The index of the case's suite in the plan.
    pub(crate) suite: u32,
    /// The index of the case's target in the plan.
    pub(crate) target: u32,
    /// Whether the case is a generated probe (budgets leave probes out).
    pub(crate) probe: bool,
    /// Whether the answer came from the cache or a recording.
    pub(crate) cached: bool,
    /// Whether a request was answered, so its tokens were spent.
    pub(crate) answered: bool,
    /// Request latency in milliseconds.
    pub(crate) latency_ms: Option<u64>,
    /// Prompt tokens as the gate counts them (the provider's, else offline).
    pub(crate) prompt_tokens: u64,
    /// Completion tokens as the gate counts them.
    pub(crate) completion_tokens: u64,
    /// Prompt tokens counted offline, when they were.
    pub(crate) offline_prompt: Option<u64>,
    /// The cost in US dollars, when priced.
    pub(crate) cost_usd: Option<f64>,
    /// Tokens of the case's grader and embedder calls.
    pub(crate) judge: Option<Usage>,
    /// Their cost, when priced.
    pub(crate) judge_cost_usd: Option<f64>,
}

/// A flaky case, as the summaries show it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlakyCase {
    /// The case's plan index.
    pub(crate) index: usize,
    /// Its entry in the report's summary.
    pub(crate) flaky: JsonFlaky,
    /// The confidence of its interval.
    pub(crate) confidence: f64,
}

/// What a run gathers across its cases as they finish, in any order: retries, flaky cases,
/// split votes and the highest repeat confidence. Lists are put in plan order by
/// [`RunTally::finish`].
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RunTally {
    /// Retries after first requests, over every case.
    pub(crate) retries: u32,
    /// Each retry cause and how often it happened, in first-seen order.
    pub(crate) retry_causes: Vec<(String, usize)>,
    /// Milliseconds spent waiting between retries.
    pub(crate) waited_ms: u64,
    /// Repeated cases whose attempts disagreed.
    pub(crate) flaky: Vec<FlakyCase>,
    /// Model-graded assertions whose votes disagreed, with their case's plan index.
    pub(crate) split_votes: Vec<(usize, JsonSplitVote)>,
    /// The highest confidence a repeated case ran at.
    pub(crate) repeat_confidence: Option<f64>,
}

impl RunTally {
    /// Adds a finished case (at plan `index`) from its report entry.
    pub(crate) fn add(&mut self, index: usize, case: &JsonCase) {
        self.retries += case.retries;
        for cause in &case.retry_causes {
            match self.retry_causes.iter_mut().find(|(name, _)| name == cause) {
                Some((_, count)) => *count += 1,
                None => self.retry_causes.push((cause.clone(), 1)),
            }
        }
        self.waited_ms += case.waited_ms;
        if let Some(repeat) = &case.repeat {
            self.repeat_confidence = Some(
                self.repeat_confidence
                    .map_or(repeat.confidence, |highest| highest.max(repeat.confidence)),
            );
        }
        if let Some(flaky) = super::json_report::flaky_cases(std::slice::from_ref(case)).pop() {
            let confidence = case
                .repeat
                .as_ref()
                .map_or(crate::plan::DEFAULT_CONFIDENCE, |repeat| repeat.confidence);
            self.flaky.push(FlakyCase {
                index,
                flaky,
                confidence,
            });
        }
        self.split_votes.extend(
            super::json_report::split_votes(std::slice::from_ref(case))
                .into_iter()
                .map(|vote| (index, vote)),
        );
    }

    /// Puts the lists in plan order.
    pub(crate) fn finish(&mut self) {
        self.flaky.sort_by_key(|flaky| flaky.index);
        self.split_votes.sort_by_key(|(index, _)| *index);
    }
}
