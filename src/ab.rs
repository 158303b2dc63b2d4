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
//! Everything here is pure: outcomes in, comparison out.

use serde::Serialize;

use crate::run::{CaseResult, Status};
use crate::stats::{Interval, fisher_fell, mcnemar_worse, newcombe_difference};
use crate::util::format::percent;

/// The outcome of every attempt of one case: `Some(passed)`, or `None` when it errored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcomes {
    /// The case id.
    pub id: String,
    /// One entry per attempt, in attempt order.
    pub attempts: Vec<Option<bool>>,
}

impl CaseOutcomes {
    /// Returns the outcomes of a finished case (its attempts, or its single result).
    #[must_use]
    pub fn from_result(id: &str, result: &CaseResult) -> Self {
        let outcome = |result: &CaseResult| match result.status {
            Status::Passed => Some(true),
            Status::Failed => Some(false),
            Status::Error | Status::Skipped => None,
        };
        let attempts = match result.repeat.as_deref() {
            Some(record) => record.attempts.iter().map(outcome).collect(),
            None if result.status == Status::Skipped => Vec::new(),
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
pub struct Tally {
    /// Attempts that passed.
    pub passed: u64,
    /// Attempts judged (passed or failed; errors are left out).
    pub judged: u64,
    /// `passed / judged` (0 when nothing was judged).
    pub rate: f64,
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
pub struct CaseComparison {
    /// The case id.
    pub id: String,
    /// Variant A's attempts.
    pub a: Tally,
    /// Variant B's attempts.
    pub b: Tally,
    /// One-sided Fisher p-value that B's rate is lower than A's.
    pub p_value: f64,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbComparison {
    /// Per case, in plan order (cases both variants ran).
    pub cases: Vec<CaseComparison>,
    /// A's attempts over every case.
    pub a: Tally,
    /// B's attempts over every case.
    pub b: Tally,
    /// B's pooled pass rate minus A's.
    pub difference: f64,
    /// Newcombe's interval of the difference at `confidence`.
    pub interval: Interval,
    /// Paired attempts where A passed and B failed.
    pub worse_pairs: u64,
    /// Paired attempts where A failed and B passed.
    pub better_pairs: u64,
    /// Exact one-sided McNemar p-value that B is worse.
    pub p_value: f64,
    /// The confidence; the test's significance level is `1 − confidence`.
    pub confidence: f64,
    /// Whether B is significantly worse: `p_value < 1 − confidence`.
    pub significantly_worse: bool,
}

/// Compares B's outcomes with A's, case by case (matched by id; cases only one side ran are
/// left out).
#[must_use]
pub fn compare(a: &[CaseOutcomes], b: &[CaseOutcomes], confidence: f64) -> AbComparison {
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

/// Returns the comparison as console text: a table of cases, then the overall result.
#[must_use]
pub fn render(comparison: &AbComparison, a_label: &str, b_label: &str) -> String {
    let tally =
        |tally: &Tally| format!("{}/{} {}", tally.passed, tally.judged, percent(tally.rate));
    let width = comparison
        .cases
        .iter()
        .map(|case| case.id.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!("A: {a_label}\nB: {b_label}\n\n");
    out.push_str(&format!(
        "{:<width$}  {:>14}  {:>14}  {:>10}\n",
        "case", "A passed", "B passed", "p(B worse)"
    ));
    for case in &comparison.cases {
        out.push_str(&format!(
            "{:<width$}  {:>14}  {:>14}  {:>10}\n",
            case.id,
            tally(&case.a),
            tally(&case.b),
            p_text(case.p_value)
        ));
    }
    out.push_str(&format!(
        "\noverall: A {}, B {}; difference B − A {:+.1} points ({} interval {:+.1} to {:+.1})\n",
        tally(&comparison.a),
        tally(&comparison.b),
        comparison.difference * 100.0,
        percent(comparison.confidence),
        comparison.interval.low * 100.0,
        comparison.interval.high * 100.0,
    ));
    out.push_str(&format!(
        "paired test (exact one-sided McNemar over attempts paired within each case): {} worse, {} better, p = {}\n",
        comparison.worse_pairs,
        comparison.better_pairs,
        p_text(comparison.p_value)
    ));
    let alpha = 1.0 - comparison.confidence;
    if comparison.significantly_worse {
        out.push_str(&format!(
            "verdict: B is significantly worse than A (p < {alpha:.2})\n"
        ));
    } else {
        out.push_str(&format!(
            "verdict: B is not significantly worse than A (p ≥ {alpha:.2})\n"
        ));
    }
    out
}

/// Formats a p-value: four significant places, scientific below 0.0001.
fn p_text(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(id: &str, pattern: &str) -> CaseOutcomes {
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
        let comparison = compare(&a, &b, 0.95);
        assert_eq!((comparison.worse_pairs, comparison.better_pairs), (8, 0));
        // 8 of 8 discordant pairs against B: 1 / 2^8.
        assert!((comparison.p_value - 1.0 / 256.0).abs() < 1e-12);
        assert!(comparison.significantly_worse);
        assert!((comparison.difference + 0.4).abs() < 1e-12);
        assert!(comparison.interval.high < 0.0, "{:?}", comparison.interval);
        assert!(comparison.cases[0].p_value < 0.001);
        assert!((comparison.cases[1].p_value - 1.0).abs() < 1e-12);
        let text = render(&comparison, "old.j2", "new.j2");
        assert!(
            text.contains("s::x      10/10 100%        2/10 20%      0.0004"),
            "{text}"
        );
        assert!(text.contains("8 worse, 0 better, p = 0.0039"), "{text}");
        assert!(
            text.contains("verdict: B is significantly worse than A (p < 0.05)"),
            "{text}"
        );
    }

    #[test]
    fn noise_is_not_significant_and_errors_are_left_out() {
        let a = [outcomes("s::x", "PFPFPFPFPF")];
        let b = [outcomes("s::x", "FPFPFPFPPE")];
        let comparison = compare(&a, &b, 0.95);
        assert!(!comparison.significantly_worse);
        assert_eq!(comparison.b.judged, 9);
        let only_a = compare(&[outcomes("s::z", "P")], &b, 0.95);
        assert!(only_a.cases.is_empty());
        assert!((only_a.p_value - 1.0).abs() < 1e-12);
    }
}
