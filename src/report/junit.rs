//! The JUnit XML report, through `quick-junit`: one `testsuite` per suite file, one `testcase`
//! per case. A failed assertion is `<failure>`; a provider error is `<error>`.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use super::summary::RunSummary;
use crate::run::{RepeatRecord, Status};

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
        let mut status = status;
        if let Some(record) = result.repeat.as_deref() {
            add_attempts(&mut status, record);
        }
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
        if let Some(record) = result.repeat.as_deref() {
            test_case
                .extra
                .insert("attempts".into(), record.attempts.len().to_string().into());
            test_case
                .extra
                .insert("passed".into(), record.passed.to_string().into());
            if let Some(flakiness) = record.flakiness {
                test_case
                    .extra
                    .insert("classification".into(), flakiness.as_str().into());
            }
        }
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

/// Adds the failed and errored attempts of a repeated case: `<flakyFailure>` under a case
/// that passed, `<rerunFailure>` under one that failed (the first failure is the main one).
fn add_attempts(status: &mut TestCaseStatus, record: &RepeatRecord) {
    let passed = matches!(status, TestCaseStatus::Success { .. });
    let mut main_failure_seen = passed;
    for attempt in &record.attempts {
        let kind = match attempt.status {
            Status::Failed => NonSuccessKind::Failure,
            Status::Error => NonSuccessKind::Error,
            Status::Passed | Status::Skipped => continue,
        };
        if !main_failure_seen {
            main_failure_seen = true;
            continue;
        }
        let mut rerun = TestRerun::new(kind);
        let reasons: Vec<String> = attempt
            .failure_reasons()
            .chain(attempt.error.iter().map(|error| error.message.clone()))
            .collect();
        rerun.set_message(reasons.join("; "));
        if let Some(latency) = attempt.latency_ms {
            rerun.set_time(Duration::from_millis(latency));
        }
        if let Some(answer) = &attempt.answer {
            rerun.set_description(crate::provider::excerpt(answer, 500));
        }
        status.add_rerun(rerun);
    }
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
