//! The gate's [`Verdict`]: case results, budgets and the baseline comparison turned into the
//! exit code.

use super::budget::SuiteBudget;
use crate::error::exit_code;
use crate::results::{BudgetCheck, CaseDelta, CaseStatus, Comparison, Counts, JsonReport};
use crate::util::format::plural;

/// What the gate blocks on: every failure, or only failures the baseline did not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum FailOn {
    /// Any failed case fails the build.
    #[default]
    Failures,
    /// Only cases that do not fail in the baseline fail the build (needs `--baseline`).
    Regressions,
}

/// The gate's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// The process exit code.
    pub(crate) exit_code: i32,
    /// Why the gate failed, one short phrase each (empty when it passed).
    pub(crate) reasons: Vec<String>,
}

impl Verdict {
    /// Returns true when the gate passed.
    #[must_use]
    pub(crate) fn passed(&self) -> bool {
        self.exit_code == exit_code::SUCCESS
    }
}

/// Decides the exit code: 130 when interrupted; 1 for blocking failures, budget overruns or a
/// failing baseline comparison; 3 when cases errored and nothing failed on its merits.
#[must_use]
pub(crate) fn verdict(
    counts: Counts,
    interrupted: bool,
    budgets: &[SuiteBudget],
    comparison: Option<&Comparison>,
    fail_on: FailOn,
) -> Verdict {
    let mut reasons = Vec::new();
    // Under `--fail-on regressions`, known failures pass and regressions are named as such
    // below, so only failures the baseline never saw (new cases) count here.
    let blocking_failures = match (fail_on, comparison) {
        (FailOn::Regressions, Some(comparison)) => {
            let failed_now = |case: &&CaseDelta| case.head == Some(CaseStatus::Failed);
            let known = comparison.known_failures.iter().filter(failed_now).count();
            let regressed = comparison.regressions.iter().filter(failed_now).count();
            // A flip the regression test calls noise is judged by that test, not as a failure.
            let flipped = comparison.flipped.iter().filter(failed_now).count();
            counts.failed.saturating_sub(known + regressed + flipped)
        }
        _ => counts.failed,
    };
    if blocking_failures > 0 {
        reasons.push(plural(blocking_failures, "failed case", "failed cases"));
    }
    let overruns = budgets
        .iter()
        .map(|budget| budget.overruns().count())
        .sum::<usize>();
    if overruns > 0 {
        reasons.push(plural(overruns, "budget overrun", "budget overruns"));
    }
    if let Some(comparison) = comparison {
        reasons.extend(comparison.gate_reasons());
    }
    let exit_code = if interrupted {
        exit_code::INTERRUPTED
    } else if !reasons.is_empty() {
        exit_code::GATE_FAILED
    } else if counts.errors > 0 {
        exit_code::INFRASTRUCTURE
    } else {
        exit_code::SUCCESS
    };
    Verdict { exit_code, reasons }
}

/// Decides the verdict a saved report records: its counts, the budgets checked in its suites
/// and its baseline comparison, with every failure blocking (a report does not say which
/// `--fail-on` the run used).
#[must_use]
pub(crate) fn report_verdict(report: &JsonReport) -> Verdict {
    let overruns: Vec<BudgetCheck> = report
        .suites
        .iter()
        .flat_map(|suite| suite.budgets.iter().filter(|check| !check.passed).cloned())
        .collect();
    let budgets = [SuiteBudget {
        suite: 0,
        name: String::new(),
        checks: overruns,
    }];
    verdict(
        report.summary.counts,
        report.run.interrupted,
        &budgets,
        report.baseline.as_ref(),
        FailOn::Failures,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{BudgetCheck, BudgetKind};

    fn counts(failed: usize, errors: usize) -> Counts {
        Counts {
            total: failed + errors + 1,
            passed: 1,
            failed,
            errors,
            skipped: 0,
        }
    }

    #[test]
    fn verdict_exit_codes() {
        let pass = verdict(counts(0, 0), false, &[], None, FailOn::Failures);
        assert_eq!(pass.exit_code, 0);
        let failed = verdict(counts(1, 1), false, &[], None, FailOn::Failures);
        assert_eq!(failed.exit_code, 1);
        assert_eq!(failed.reasons, ["1 failed case"]);
        let errored = verdict(counts(0, 2), false, &[], None, FailOn::Failures);
        assert_eq!(errored.exit_code, 3);
        let over = SuiteBudget {
            suite: 0,
            name: "s.yaml".to_owned(),
            checks: vec![BudgetCheck::new(
                BudgetKind::TotalTokens,
                1.0,
                2.0,
                Vec::new(),
            )],
        };
        let budget = verdict(counts(0, 0), false, &[over], None, FailOn::Failures);
        assert_eq!(budget.exit_code, 1);
        assert_eq!(budget.reasons, ["1 budget overrun"]);
    }
}
