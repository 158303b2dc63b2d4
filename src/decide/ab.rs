//! A/B comparison of two variants over the same cases: [`AbComparison`].
//!
//! Each variant (a template, a registry version, or a target) answers every case several
//! times. Per case, a one-sided Fisher exact test says whether B's pass rate is lower than
//! A's. Overall, attempts are paired within each case (attempt i of A with attempt i of B) and
//! an exact one-sided McNemar test on the discordant pairs gives the p-value: under "B is no
//! worse", a pair where exactly one side passed is equally likely to favour either side, since
//! both sides answer the same case. Pairing within a case keeps easy and hard cases from
//! hiding a difference. The interval of the difference of the pooled pass rates is Newcombe's
//! hybrid score interval.
//!
//! Everything here is pure: outcomes in, comparison out; [`report`](crate::report) shows it.

use serde::Serialize;

use crate::results::{CaseResult, CaseStatus};
use crate::stats::{Interval, fisher_fell, mcnemar_worse, newcombe_difference};

/// The outcome of every attempt of one case: `Some(passed)`, or `None` when it errored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CaseOutcomes {
    /// The case id.
    pub(crate) id: String,
    /// One entry per attempt, in attempt order.
    pub(crate) attempts: Vec<Option<bool>>,
}

impl CaseOutcomes {
    /// Returns the outcomes of a finished case (its attempts, or its single result).
    #[must_use]
    pub(crate) fn from_result(id: &str, result: &CaseResult) -> Self {
        let outcome = |result: &CaseResult| match result.status {
            CaseStatus::Passed => Some(true),
            CaseStatus::Failed => Some(false),
            CaseStatus::Error | CaseStatus::Skipped => None,
        };
        let attempts = match result.repeat.as_deref() {
            Some(record) => record.attempts.iter().map(outcome).collect(),
            None if result.status == CaseStatus::Skipped => Vec::new(),
            None => vec![outcome(result)],
        };
        Self {
            id: id.to_owned(),
            attempts,
        }
    }

    fn passed(&self) -> u64 {
        self.attempts.iter().filter(|a| **a == Some(true)).count() as u64
    }

    fn judged(&self) -> u64 {
        self.attempts.iter().filter(|a| a.is_some()).count() as u64
    }
}

/// Passed and judged attempts of one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub(crate) struct Tally {
    /// Attempts that passed.
    pub(crate) passed: u64,
    /// Attempts judged (passed or failed; errors are left out).
    pub(crate) judged: u64,
    /// `passed / judged` (0 when nothing was judged).
    pub(crate) rate: f64,
}

impl Tally {
    fn new(passed: u64, judged: u64) -> Self {
        Self {
            passed,
            judged,
            rate: if judged == 0 {
                0.0
            } else {
                passed as f64 / judged as f64
            },
        }
    }
}

/// One case in both variants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CaseComparison {
    /// The case id.
    pub(crate) id: String,
    /// Variant A's attempts.
    pub(crate) a: Tally,
    /// Variant B's attempts.
    pub(crate) b: Tally,
    /// One-sided Fisher p-value that B's rate is lower than A's.
    pub(crate) p_value: f64,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct AbComparison {
    /// Per case, in plan order (cases both variants ran).
    pub(crate) cases: Vec<CaseComparison>,
    /// A's attempts over every case.
    pub(crate) a: Tally,
    /// B's attempts over every case.
    pub(crate) b: Tally,
    /// B's pooled pass rate minus A's.
    pub(crate) difference: f64,
    /// Newcombe's interval of the difference at `confidence`.
    pub(crate) interval: Interval,
    /// Paired attempts where A passed and B failed.
    pub(crate) worse_pairs: u64,
    /// Paired attempts where A failed and B passed.
    pub(crate) better_pairs: u64,
    /// Exact one-sided McNemar p-value that B is worse.
    pub(crate) p_value: f64,
    /// The confidence; the test's significance level is `1 − confidence`.
    pub(crate) confidence: f64,
    /// Whether B is significantly worse: `p_value < 1 − confidence`.
    pub(crate) significantly_worse: bool,
}

/// Compares B's outcomes with A's, case by case (matched by id; cases only one side ran are
/// left out).
#[must_use]
pub(crate) fn compare_ab(a: &[CaseOutcomes], b: &[CaseOutcomes], confidence: f64) -> AbComparison {
    let mut cases = Vec::new();
    let (mut worse_pairs, mut better_pairs) = (0, 0);
    let (mut a_total, mut b_total) = ((0, 0), (0, 0));
    for a_case in a {
        let Some(b_case) = b.iter().find(|b_case| b_case.id == a_case.id) else {
            continue;
        };
        for pair in a_case.attempts.iter().zip(&b_case.attempts) {
            match pair {
                (Some(true), Some(false)) => worse_pairs += 1,
                (Some(false), Some(true)) => better_pairs += 1,
                _ => {}
            }
        }
        let (a_tally, b_tally) = (
            Tally::new(a_case.passed(), a_case.judged()),
            Tally::new(b_case.passed(), b_case.judged()),
        );
        a_total = (a_total.0 + a_tally.passed, a_total.1 + a_tally.judged);
        b_total = (b_total.0 + b_tally.passed, b_total.1 + b_tally.judged);
        cases.push(CaseComparison {
            id: a_case.id.clone(),
            p_value: fisher_fell(
                a_tally.passed,
                a_tally.judged,
                b_tally.passed,
                b_tally.judged,
            ),
            a: a_tally,
            b: b_tally,
        });
    }
    let (a, b) = (
        Tally::new(a_total.0, a_total.1),
        Tally::new(b_total.0, b_total.1),
    );
    let p_value = mcnemar_worse(worse_pairs, better_pairs);
    AbComparison {
        cases,
        a,
        b,
        difference: b.rate - a.rate,
        interval: newcombe_difference(a.passed, a.judged, b.passed, b.judged, confidence),
        worse_pairs,
        better_pairs,
        p_value,
        confidence,
        significantly_worse: p_value < 1.0 - confidence,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn outcomes(id: &str, pattern: &str) -> CaseOutcomes {
        CaseOutcomes {
            id: id.to_owned(),
            attempts: pattern
                .chars()
                .map(|c| match c {
                    'P' => Some(true),
                    'F' => Some(false),
                    _ => None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_clearly_worse_candidate_is_significant() {
        let a = [
            outcomes("s::x", "PPPPPPPPPP"),
            outcomes("s::y", "PPPPPPPPPP"),
        ];
        let b = [
            outcomes("s::x", "PFFFFPFFFF"),
            outcomes("s::y", "PPPPPPPPPP"),
        ];
        let comparison = compare_ab(&a, &b, 0.95);
        assert_eq!((comparison.worse_pairs, comparison.better_pairs), (8, 0));
        // 8 of 8 discordant pairs against B: 1 / 2^8.
        assert!((comparison.p_value - 1.0 / 256.0).abs() < 1e-12);
        assert!(comparison.significantly_worse);
        assert!((comparison.difference + 0.4).abs() < 1e-12);
        assert!(comparison.interval.high < 0.0, "{:?}", comparison.interval);
        assert!(comparison.cases[0].p_value < 0.001);
        assert!((comparison.cases[1].p_value - 1.0).abs() < 1e-12);
    }

    #[test]
    fn noise_is_not_significant_and_errors_are_left_out() {
        let a = [outcomes("s::x", "PFPFPFPFPF")];
        let b = [outcomes("s::x", "FPFPFPFPPE")];
        let comparison = compare_ab(&a, &b, 0.95);
        assert!(!comparison.significantly_worse);
        assert_eq!(comparison.b.judged, 9);
        let only_a = compare_ab(&[outcomes("s::z", "P")], &b, 0.95);
        assert!(only_a.cases.is_empty());
        assert!((only_a.p_value - 1.0).abs() < 1e-12);
    }
}
