//! [`CaseRecord`]: what a finished case leaves in memory once its report entry is written —
//! its verdict, indices and numbers, never its text — and [`RunTally`], the few things a run
//! gathers across its cases (retries, flaky cases, split votes) for the summaries.

use super::case_result::CaseStatus;
use super::json_report::{JsonCase, JsonFlaky, JsonSplitVote};
use crate::chat::Usage;

/// A finished case's numbers, unpacked: what [`CaseRecord::new`] packs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CaseFacts {
    /// The verdict.
    pub(crate) status: CaseStatus,
    /// The index of the case's suite in the plan.
    pub(crate) suite: usize,
    /// The index of the case's target in the plan.
    pub(crate) target: usize,
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

/// A finished case, compact: what the gate, the budgets, the targets' summary and the console's
/// totals read. A 100,000-case run keeps 100,000 of these, so it holds no text and packs its
/// optional values behind flags (72 bytes a case).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CaseRecord {
    prompt_tokens: u64,
    completion_tokens: u64,
    offline_prompt: u64,
    cost_usd: f64,
    judge_cost_usd: f64,
    judge_prompt_tokens: u64,
    judge_completion_tokens: u64,
    /// Milliseconds; a request's timeout keeps it far below `u32::MAX` (49 days).
    latency_ms: u32,
    /// The index of the case's suite in the plan.
    pub(crate) suite: u32,
    /// The index of the case's target in the plan.
    pub(crate) target: u16,
    /// The verdict.
    pub(crate) status: CaseStatus,
    flags: u8,
}

const PROBE: u8 = 1;
const CACHED: u8 = 1 << 1;
const ANSWERED: u8 = 1 << 2;
const HAS_LATENCY: u8 = 1 << 3;
const HAS_OFFLINE_PROMPT: u8 = 1 << 4;
const HAS_COST: u8 = 1 << 5;
const HAS_JUDGE: u8 = 1 << 6;
const HAS_JUDGE_COST: u8 = 1 << 7;

impl CaseRecord {
    /// Packs a finished case's numbers.
    #[must_use]
    pub(crate) fn new(facts: &CaseFacts) -> Self {
        let flag = |set: bool, bit: u8| if set { bit } else { 0 };
        let judge = facts.judge.unwrap_or_default();
        Self {
            prompt_tokens: facts.prompt_tokens,
            completion_tokens: facts.completion_tokens,
            offline_prompt: facts.offline_prompt.unwrap_or_default(),
            cost_usd: facts.cost_usd.unwrap_or_default(),
            judge_cost_usd: facts.judge_cost_usd.unwrap_or_default(),
            judge_prompt_tokens: judge.prompt_tokens,
            judge_completion_tokens: judge.completion_tokens,
            latency_ms: facts
                .latency_ms
                .map_or(0, |ms| u32::try_from(ms).unwrap_or(u32::MAX)),
            suite: u32::try_from(facts.suite).expect("fewer than 2^32 suites"),
            target: u16::try_from(facts.target).expect("fewer than 65,536 targets"),
            status: facts.status,
            flags: flag(facts.probe, PROBE)
                | flag(facts.cached, CACHED)
                | flag(facts.answered, ANSWERED)
                | flag(facts.latency_ms.is_some(), HAS_LATENCY)
                | flag(facts.offline_prompt.is_some(), HAS_OFFLINE_PROMPT)
                | flag(facts.cost_usd.is_some(), HAS_COST)
                | flag(facts.judge.is_some(), HAS_JUDGE)
                | flag(facts.judge_cost_usd.is_some(), HAS_JUDGE_COST),
        }
    }

    fn has(self, bit: u8) -> bool {
        self.flags & bit != 0
    }

    /// Returns whether the case is a generated probe (budgets leave probes out).
    #[must_use]
    pub(crate) fn probe(self) -> bool {
        self.has(PROBE)
    }

    /// Returns whether the answer came from the cache or a recording.
    #[must_use]
    pub(crate) fn cached(self) -> bool {
        self.has(CACHED)
    }

    /// Returns whether a request was answered, so its tokens were spent.
    #[must_use]
    pub(crate) fn answered(self) -> bool {
        self.has(ANSWERED)
    }

    /// Returns the request latency in milliseconds.
    #[must_use]
    pub(crate) fn latency_ms(self) -> Option<u64> {
        self.has(HAS_LATENCY).then_some(u64::from(self.latency_ms))
    }

    /// Returns the prompt tokens as the gate counts them (the provider's, else offline).
    #[must_use]
    pub(crate) fn prompt_tokens(self) -> u64 {
        self.prompt_tokens
    }

    /// Returns the completion tokens as the gate counts them.
    #[must_use]
    pub(crate) fn completion_tokens(self) -> u64 {
        self.completion_tokens
    }

    /// Returns the prompt tokens counted offline, when they were.
    #[must_use]
    pub(crate) fn offline_prompt(self) -> Option<u64> {
        self.has(HAS_OFFLINE_PROMPT).then_some(self.offline_prompt)
    }

    /// Returns the cost in US dollars, when priced.
    #[must_use]
    pub(crate) fn cost_usd(self) -> Option<f64> {
        self.has(HAS_COST).then_some(self.cost_usd)
    }

    /// Returns the tokens of the case's grader and embedder calls.
    #[must_use]
    pub(crate) fn judge(self) -> Option<Usage> {
        self.has(HAS_JUDGE).then_some(Usage {
            prompt_tokens: self.judge_prompt_tokens,
            completion_tokens: self.judge_completion_tokens,
        })
    }

    /// Returns the cost of the grader and embedder calls, when priced.
    #[must_use]
    pub(crate) fn judge_cost_usd(self) -> Option<f64> {
        self.has(HAS_JUDGE_COST).then_some(self.judge_cost_usd)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_packs_every_value_and_absence_back() {
        let full = CaseFacts {
            status: CaseStatus::Failed,
            suite: 3,
            target: 2,
            probe: true,
            cached: true,
            answered: true,
            latency_ms: Some(1234),
            prompt_tokens: 10,
            completion_tokens: 20,
            offline_prompt: Some(11),
            cost_usd: Some(0.25),
            judge: Some(Usage {
                prompt_tokens: 5,
                completion_tokens: 6,
            }),
            judge_cost_usd: Some(0.5),
        };
        let empty = CaseFacts {
            probe: false,
            cached: false,
            answered: false,
            latency_ms: None,
            offline_prompt: None,
            cost_usd: None,
            judge: None,
            judge_cost_usd: None,
            ..full
        };
        for facts in [full, empty] {
            let record = CaseRecord::new(&facts);
            let unpacked = CaseFacts {
                status: record.status,
                suite: record.suite as usize,
                target: usize::from(record.target),
                probe: record.probe(),
                cached: record.cached(),
                answered: record.answered(),
                latency_ms: record.latency_ms(),
                prompt_tokens: record.prompt_tokens(),
                completion_tokens: record.completion_tokens(),
                offline_prompt: record.offline_prompt(),
                cost_usd: record.cost_usd(),
                judge: record.judge(),
                judge_cost_usd: record.judge_cost_usd(),
            };
            assert_eq!(unpacked, facts);
        }
        assert!(std::mem::size_of::<CaseRecord>() <= 72);
    }
}
