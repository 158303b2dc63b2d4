//! [`OptimizeReport`]: what `promptci optimize` tried and found, the one shape the console
//! table and the JSON report both read, and [`compare_on_test`], the held-out comparison.

use serde::Serialize;

use super::demos::Demo;
use super::search::CandidateKind;
use super::split::{SplitFractions, SplitSource};
use crate::results::{CaseResult, CaseStatus};
use crate::stats::{Interval, PassRate};

/// The version of the JSON report's format; new fields are optional, so old readers keep
/// working.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// How much the rendered prompt may grow before the report warns, as in `registry new`.
pub(crate) const TOKEN_GROWTH_ALERT: f64 = 0.10;

/// Everything one optimisation did.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OptimizeReport {
    /// [`FORMAT_VERSION`].
    pub(crate) format_version: u32,
    /// The suite, relative to the project root.
    pub(crate) suite: String,
    /// The prompt's registry id.
    pub(crate) prompt_id: String,
    /// The variable holding the demonstrations.
    pub(crate) examples_var: String,
    /// The file that sets it, relative to the suite's directory.
    pub(crate) examples_file: String,
    /// The seed of the split and the random sets.
    pub(crate) seed: u64,
    /// The confidence of every interval and of the significance test.
    pub(crate) confidence: f64,
    /// How the cases were split.
    pub(crate) split: SplitReport,
    /// The demonstration pool.
    pub(crate) bootstrap: BootstrapReport,
    /// The current prompt on the dev split.
    pub(crate) current_dev: Score,
    /// Every candidate set, in evaluation order.
    pub(crate) candidates: Vec<CandidateReport>,
    /// The index in `candidates` of the best dev set.
    pub(crate) chosen: Option<usize>,
    /// The held-out comparison of the chosen set with the current prompt.
    pub(crate) test: Option<TestComparison>,
    /// Why the search stopped before trying every candidate, when it did.
    pub(crate) stopped: Option<String>,
    /// Requests sent and tokens spent over the whole optimisation.
    pub(crate) spent: Spent,
}

/// The split, as counts.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SplitReport {
    /// Tags or seeded random.
    pub(crate) source: SplitSource,
    /// The shares of a random split.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fractions: Option<SplitFractions>,
    /// Train cases.
    pub(crate) train: usize,
    /// Dev cases.
    pub(crate) dev: usize,
    /// Test cases.
    pub(crate) test: usize,
    /// Cases without a split tag when others have one (not used).
    pub(crate) untagged: usize,
}

/// The bootstrap: the current prompt on train, and the demonstrations it gave.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BootstrapReport {
    /// The current prompt on the train split.
    pub(crate) train: Score,
    /// The demonstration pool; candidates refer to it by index.
    pub(crate) demos: Vec<Demo>,
    /// Passing train cases that could not become demonstrations.
    pub(crate) unusable: usize,
}

/// One candidate set on the dev split.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CandidateReport {
    /// How it was chosen.
    pub(crate) kind: CandidateKind,
    /// Its demonstrations, as indices into the pool.
    pub(crate) demos: Vec<usize>,
    /// Its dev result.
    pub(crate) dev: Score,
}

/// A prompt's result on one split.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub(crate) struct Score {
    /// Cases that passed.
    pub(crate) passed: u64,
    /// Cases that failed an assertion.
    pub(crate) failed: u64,
    /// Cases that errored (no verdict).
    pub(crate) errors: u64,
    /// The pass rate over passed and failed cases, with its interval.
    pub(crate) pass_rate: Option<PassRate>,
    /// Requests sent (cached answers send none).
    pub(crate) requests: u64,
    /// Prompt tokens spent.
    pub(crate) prompt_tokens: u64,
    /// Completion tokens spent.
    pub(crate) completion_tokens: u64,
    /// The cost in US dollars, when the target has a price.
    pub(crate) cost_usd: Option<f64>,
    /// The mean rendered prompt, in tokens counted offline.
    pub(crate) mean_prompt_tokens: f64,
}

impl Score {
    /// Returns the cases with a verdict or an error.
    #[must_use]
    pub(crate) fn cases(&self) -> u64 {
        self.passed + self.failed + self.errors
    }
}

/// Requests and tokens over the whole optimisation.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct Spent {
    /// Requests planned (the budget counts these, cached or not).
    pub(crate) planned_requests: u64,
    /// Requests sent.
    pub(crate) requests: u64,
    /// Prompt tokens.
    pub(crate) prompt_tokens: u64,
    /// Completion tokens.
    pub(crate) completion_tokens: u64,
    /// The cost in US dollars, when the target has a price.
    pub(crate) cost_usd: Option<f64>,
}

impl Spent {
    /// Adds one run's spending.
    pub(crate) fn add(&mut self, planned: u64, score: &Score) {
        self.planned_requests += planned;
        self.requests += score.requests;
        self.prompt_tokens += score.prompt_tokens;
        self.completion_tokens += score.completion_tokens;
        if let Some(cost) = score.cost_usd {
            *self.cost_usd.get_or_insert(0.0) += cost;
        }
    }
}

/// The chosen set against the current prompt on the same held-out cases.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TestComparison {
    /// The current prompt.
    pub(crate) current: Score,
    /// The chosen set.
    pub(crate) chosen: Score,
    /// Cases the chosen set passes and the current prompt fails.
    pub(crate) better: u64,
    /// Cases the current prompt passes and the chosen set fails.
    pub(crate) worse: u64,
    /// Cases both judged (errors on either side are left out of the pairing).
    pub(crate) paired: u64,
    /// The chosen pass rate minus the current one (over paired cases), with Newcombe's
    /// interval (which ignores the pairing, so it is wider than it need be).
    pub(crate) gain: Option<f64>,
    /// The interval of the gain.
    pub(crate) gain_interval: Option<Interval>,
    /// The exact one-sided McNemar p-value that the chosen set is better.
    pub(crate) p_value: f64,
    /// The confidence the test was made at.
    pub(crate) confidence: f64,
    /// Whether the gain is significant: more better than worse cases and p < 1 − confidence.
    pub(crate) significant: bool,
    /// The growth of the mean rendered prompt, as a share of the current one.
    pub(crate) token_growth: Option<f64>,
}

/// Compares the chosen set with the current prompt on the same test cases, paired by position
/// (both runs plan the same cases in the same order).
#[must_use]
pub(crate) fn compare_on_test(
    (current, current_results): (Score, &[CaseResult]),
    (chosen, chosen_results): (Score, &[CaseResult]),
    confidence: f64,
) -> TestComparison {
    let judged = |status| matches!(status, CaseStatus::Passed | CaseStatus::Failed);
    let (mut better, mut worse, mut paired) = (0, 0, 0);
    let (mut current_passed, mut chosen_passed) = (0, 0);
    for (before, after) in current_results.iter().zip(chosen_results) {
        if !(judged(before.status) && judged(after.status)) {
            continue;
        }
        paired += 1;
        let (was, is) = (
            before.status == CaseStatus::Passed,
            after.status == CaseStatus::Passed,
        );
        current_passed += u64::from(was);
        chosen_passed += u64::from(is);
        match (was, is) {
            (false, true) => better += 1,
            (true, false) => worse += 1,
            _ => {}
        }
    }
    let p_value = crate::stats::mcnemar_worse(better, worse);
    let (gain, gain_interval) = if paired == 0 {
        (None, None)
    } else {
        (
            Some((chosen_passed as f64 - current_passed as f64) / paired as f64),
            Some(crate::stats::newcombe_difference(
                current_passed,
                paired,
                chosen_passed,
                paired,
                confidence,
            )),
        )
    };
    let token_growth = (current.mean_prompt_tokens > 0.0)
        .then(|| chosen.mean_prompt_tokens / current.mean_prompt_tokens - 1.0);
    TestComparison {
        current,
        chosen,
        better,
        worse,
        paired,
        gain,
        gain_interval,
        p_value,
        confidence,
        significant: better > worse && p_value < 1.0 - confidence,
        token_growth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert::AssertionResult;

    fn results(statuses: &str) -> Vec<CaseResult> {
        statuses
            .chars()
            .map(|status| match status {
                'p' => CaseResult::judged("a", vec![AssertionResult::new("x", true, "")]),
                'f' => CaseResult::judged("a", vec![AssertionResult::new("x", false, "")]),
                _ => CaseResult::skipped("not run"),
            })
            .collect()
    }

    fn compare(before: &str, after: &str) -> TestComparison {
        compare_on_test(
            (Score::default(), &results(before)),
            (Score::default(), &results(after)),
            0.95,
        )
    }

    #[test]
    fn eight_fixed_cases_and_none_broken_is_a_significant_gain() {
        let comparison = compare("ffffffffpp", "pppppppppp");
        assert_eq!(
            (comparison.better, comparison.worse, comparison.paired),
            (8, 0, 10)
        );
        assert!((comparison.p_value - 0.5_f64.powi(8)).abs() < 1e-12);
        assert!(comparison.significant);
        assert!((comparison.gain.unwrap() - 0.8).abs() < 1e-12);
        assert!(comparison.gain_interval.unwrap().low > 0.0);
    }

    #[test]
    fn a_few_flips_either_way_are_not_significant_and_errors_are_not_paired() {
        let comparison = compare("ffppps", "ppffpp");
        assert_eq!(
            (comparison.better, comparison.worse, comparison.paired),
            (2, 2, 5)
        );
        assert!(!comparison.significant);
        assert!(
            !compare("ff", "pp").significant,
            "two flips cannot reach 0.05"
        );
        assert_eq!(compare("s", "p").gain, None);
    }
}
