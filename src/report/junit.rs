//! The JUnit XML report, through `quick-junit`: one `testsuite` per suite file, one `testcase`
//! per case. A failed assertion is `<failure>`; a provider error is `<error>`.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::summary::RunSummary;
use crate::gate::{BudgetCheck, SuiteBudget};

/// The name of the testcase that reports a suite's budgets: `<suite>::budget`.
pub const BUDGET_TESTCASE: &str = "budget";
use crate::run::Status;

/// Serialises a run as JUnit XML.
#[must_use]
pub fn serialize(summary: &RunSummary<'_>) -> Vec<u8> {
    serialize_with_budgets(summary, &[])
}

/// Serialises a run as JUnit XML, with a `budget` testcase in each suite that sets budgets: a
/// `<failure>` naming every limit over budget, with the numbers.
#[must_use]
pub fn serialize_with_budgets(summary: &RunSummary<'_>, budgets: &[SuiteBudget]) -> Vec<u8> {
    let plan = summary.plan;
    let mut report = Report::new("promptci");
    report.set_time(summary.meta.duration);
    let mut suites: Vec<TestSuite> = plan
        .suites
        .iter()
        .map(|suite| TestSuite::new(suite.name.as_str()))
        .collect();
    for (case, result) in plan.cases.iter().zip(summary.results) {
        let suite = &plan.suites[case.suite];
        let status = match result.status {
            Status::Passed => TestCaseStatus::success(),
            Status::Failed => {
                let reasons: Vec<String> = result.failure_reasons().collect();
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(reasons.join("; "));
                status.set_type("assertion");
                status.set_description(format!(
                    "{}:{}\n{}\n\nanswer:\n{}",
                    suite.name,
                    case.line,
                    reasons
                        .iter()
                        .map(|reason| format!("✗ {reason}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    result.answer.as_deref().unwrap_or("")
                ));
                status
            }
            Status::Error => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                if let Some(error) = &result.error {
                    status.set_message(error.message.as_str());
                    status.set_type(error_type(error));
                }
                status
            }
            Status::Skipped => {
                let mut status = TestCaseStatus::skipped();
                if let Some(reason) = &result.skip_reason {
                    status.set_message(reason.as_str());
                }
                status
            }
        };
        let mut test_case = TestCase::new(case.name.as_str(), status);
        test_case.set_classname(suite.name.as_str());
        test_case.set_assertions(result.assertions.len());
        if let Some(latency) = result.latency_ms {
            test_case.set_time(Duration::from_millis(latency));
        }
        test_case
            .extra
            .insert("file".into(), suite.name.as_str().into());
        test_case
            .extra
            .insert("line".into(), case.line.to_string().into());
        suites[case.suite].add_test_case(test_case);
    }
    for budget in budgets.iter().filter(|budget| !budget.checks.is_empty()) {
        if let Some(suite) = suites.get_mut(budget.suite) {
            suite.add_test_case(budget_case(budget, summary.plan));
        }
    }
    report.add_test_suites(suites);
    let mut bytes = report
        .to_string()
        .expect("JUnit serialisation of owned strings cannot fail")
        .into_bytes();
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes
}

/// Returns the testcase that reports a suite's budgets.
fn budget_case(budget: &SuiteBudget, plan: &crate::plan::TestPlan) -> TestCase {
    let overruns: Vec<String> = budget.overruns().map(BudgetCheck::describe).collect();
    let status = if overruns.is_empty() {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(format!("over budget: {}", overruns.join("; ")));
        status.set_type("budget");
        let mut description: Vec<String> = budget
            .checks
            .iter()
            .map(|check| {
                let mark = if check.passed { "✓" } else { "✗" };
                format!("{mark} {}", check.describe())
            })
            .collect();
        for check in budget.overruns() {
            for offender in &check.offenders {
                description.push(format!(
                    "  {} {}: {}",
                    check.kind.as_str(),
                    check.kind.format(offender.actual),
                    offender.case
                ));
            }
        }
        status.set_description(description.join("\n"));
        status
    };
    let mut test_case = TestCase::new(BUDGET_TESTCASE, status);
    test_case.set_classname(budget.name.as_str());
    test_case.set_assertions(budget.checks.len());
    test_case
        .extra
        .insert("file".into(), budget.name.as_str().into());
    if let Some(line) = plan
        .suites
        .get(budget.suite)
        .and_then(|suite| suite.budget_line)
    {
        test_case
            .extra
            .insert("line".into(), line.to_string().into());
    }
    test_case
}

fn error_type(error: &crate::run::CaseError) -> String {
    match error.status {
        Some(status) => format!("http-{status}"),
        None => serde_json::to_value(error.kind)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_else(|| "error".to_owned()),
    }
}
