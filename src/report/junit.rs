//! The JUnit XML report, through `quick-junit`: one `testsuite` per suite file, one `testcase`
//! per case. A failed assertion is `<failure>`; a provider error is `<error>`.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::summary::RunSummary;
use crate::run::Status;

/// Serialises a run as JUnit XML.
#[must_use]
pub fn serialize(summary: &RunSummary<'_>) -> Vec<u8> {
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
                    status.set_description(error_description(
                        &format!("{}:{}", suite.name, case.line),
                        error,
                        result,
                    ));
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

/// Says where the case is, what failed, and what retrying cost.
fn error_description(
    place: &str,
    error: &crate::run::CaseError,
    result: &crate::run::CaseResult,
) -> String {
    let mut text = format!("{place}\n{}", error.message);
    if result.retries > 0 {
        text.push_str(&format!(
            "\ngave up after {} ({}), waited {:.1} s",
            crate::error::plural(result.retries as usize, "retry", "retries"),
            result.retry_causes.join(", "),
            result.waited_ms as f64 / 1000.0
        ));
    }
    text
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
