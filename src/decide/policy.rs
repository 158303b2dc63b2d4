//! Regression policies: how a case changed between the baseline and now, decided from its
//! pass counts on each side ([`CasePolicy`]: [`AnyFailure`] for single shots, [`PairedExact`]
//! for repeated cases).

use crate::results::{CaseStatus, JsonCase};

/// How often a case passed among the times it was judged (errors and skips are not judged),
/// and its verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CaseCounts {
    /// Judged runs (attempts, for repeated cases) that passed.
    pub(crate) passed: u32,
    /// Runs judged on their merits (passed or failed).
    pub(crate) judged: u32,
    /// Whether the case passed as a whole (for repeated cases: met its `pass-rate`).
    pub(crate) verdict_passed: bool,
}

impl CaseCounts {
    /// Returns the counts of one case of a report: its attempts when it was repeated, else 0
    /// or 1 judged.
    #[must_use]
    pub(crate) fn of(case: &JsonCase) -> Self {
        let (passed, judged) = case.pass_counts().unwrap_or((0, 0));
        Self {
            passed,
            judged,
            verdict_passed: case.status == CaseStatus::Passed,
        }
    }

    /// Returns true when judged at least once and passed every time.
    #[must_use]
    pub(crate) fn all_passed(self) -> bool {
        self.judged > 0 && self.passed == self.judged
    }

    /// Returns true when judged and failed at least once.
    #[must_use]
    pub(crate) fn any_failed(self) -> bool {
        self.passed < self.judged
    }
}

/// How a case changed between the baseline and now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaseChange {
    /// It passed in the baseline and does not now.
    Regressed,
    /// It failed in the baseline and passes now.
    Fixed,
    /// It failed in the baseline and still fails (a known failure).
    StillFailing,
    /// It passes on both sides, or one side was not judged.
    Unchanged,
}

/// Decides how a case changed from its pass counts on each side.
///
/// The default is [`AnyFailure`]; a statistical test over repeated runs implements this too.
pub(crate) trait CasePolicy {
    /// Returns the policy's name, as reports show it.
    fn name(&self) -> &'static str;

    /// Classifies one case present on both sides.
    fn classify(&self, base: CaseCounts, head: CaseCounts) -> CaseChange;
}

/// A case regressed when it passed every judged run of the baseline and failed one now.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AnyFailure;

impl CasePolicy for AnyFailure {
    fn name(&self) -> &'static str {
        "any-failure"
    }

    fn classify(&self, base: CaseCounts, head: CaseCounts) -> CaseChange {
        if head.judged == 0 || base.judged == 0 {
            CaseChange::Unchanged
        } else if base.all_passed() && head.any_failed() {
            CaseChange::Regressed
        } else if base.any_failed() && head.all_passed() {
            CaseChange::Fixed
        } else if base.any_failed() && head.any_failed() {
            CaseChange::StillFailing
        } else {
            CaseChange::Unchanged
        }
    }
}

/// The default policy: single-shot cases keep [`AnyFailure`]'s plain rule; a case repeated on
/// either side regressed only when its pass rate fell significantly (one-sided Fisher exact
/// test on the two pass counts at `alpha`), so noise in a flaky case is not a regression while
/// an always-pass case that now always fails is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PairedExact {
    /// The significance level: `1 − confidence`.
    pub(crate) alpha: f64,
}

impl PairedExact {
    /// Creates the policy for `confidence` (0.95 tests at alpha = 0.05).
    #[must_use]
    pub(crate) fn new(confidence: f64) -> Self {
        Self {
            alpha: 1.0 - confidence,
        }
    }
}

impl CasePolicy for PairedExact {
    fn name(&self) -> &'static str {
        "fisher-exact"
    }

    fn classify(&self, base: CaseCounts, head: CaseCounts) -> CaseChange {
        if base.judged <= 1 && head.judged <= 1 {
            return AnyFailure.classify(base, head);
        }
        if head.judged == 0 || base.judged == 0 {
            return CaseChange::Unchanged;
        }
        let fell = crate::stats::fisher_fell(
            u64::from(base.passed),
            u64::from(base.judged),
            u64::from(head.passed),
            u64::from(head.judged),
        );
        let rose = crate::stats::fisher_fell(
            u64::from(head.passed),
            u64::from(head.judged),
            u64::from(base.passed),
            u64::from(base.judged),
        );
        if fell < self.alpha {
            CaseChange::Regressed
        } else if rose < self.alpha {
            CaseChange::Fixed
        } else if !base.verdict_passed && !head.verdict_passed {
            CaseChange::StillFailing
        } else {
            CaseChange::Unchanged
        }
    }
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;
    fn counts(passed: u32, judged: u32) -> CaseCounts {
        CaseCounts {
            passed,
            judged,
            verdict_passed: judged > 0 && passed == judged,
        }
    }

    fn repeated(passed: u32, judged: u32, verdict_passed: bool) -> CaseCounts {
        CaseCounts {
            passed,
            judged,
            verdict_passed,
        }
    }

    #[test_case(counts(1, 1), counts(0, 1), CaseChange::Regressed; "single shot keeps the plain rule")]
    #[test_case(repeated(10, 10, true), repeated(0, 10, false), CaseChange::Regressed; "always pass to always fail")]
    #[test_case(repeated(9, 10, true), repeated(7, 10, false), CaseChange::Unchanged; "noise in a flaky case")]
    #[test_case(repeated(20, 20, true), repeated(15, 20, false), CaseChange::Regressed; "fisher p 0.024")]
    #[test_case(repeated(2, 10, false), repeated(10, 10, true), CaseChange::Fixed; "rose significantly")]
    #[test_case(repeated(5, 10, false), repeated(4, 10, false), CaseChange::StillFailing; "failing both times")]
    #[test_case(repeated(10, 10, true), repeated(0, 0, false), CaseChange::Unchanged; "errored now")]
    fn paired_exact_policy(base: CaseCounts, head: CaseCounts, expected: CaseChange) {
        assert_eq!(PairedExact::new(0.95).classify(base, head), expected);
    }

    #[test_case(counts(1, 1), counts(0, 1), CaseChange::Regressed)]
    #[test_case(counts(0, 1), counts(1, 1), CaseChange::Fixed)]
    #[test_case(counts(0, 1), counts(0, 1), CaseChange::StillFailing)]
    #[test_case(counts(1, 1), counts(1, 1), CaseChange::Unchanged)]
    #[test_case(counts(1, 1), counts(0, 0), CaseChange::Unchanged; "errored now is not judged")]
    #[test_case(counts(0, 0), counts(0, 1), CaseChange::Unchanged; "errored before is not judged")]
    fn any_failure_policy(base: CaseCounts, head: CaseCounts, expected: CaseChange) {
        assert_eq!(AnyFailure.classify(base, head), expected);
    }
}
