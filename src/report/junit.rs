//! The JUnit XML report, through `quick-junit`: one `testsuite` per suite file and target
//! (named `path@target` when the suite ran on several), one `testcase` per case. A failed assertion is `<failure>`; a provider error is `<error>`.

use std::collections::HashMap;
use std::time::Duration;

use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};

use crate::results::BudgetCheck;
use crate::results::CaseStatus;
use crate::results::{JsonAttempt, JsonCase, JsonReport, suite_labels};

/// Adds each model-graded verdict's evidence as `judge.K.*` properties (K counts the case's
/// model-graded assertions from 1), and `judge-split="true"` when a vote was split.
fn add_judge_evidence(test_case: &mut TestCase, case: &JsonCase) {
    let judged = case
        .assertions
        .iter()
        .filter_map(|assertion| Some((assertion, assertion.judge.as_deref()?)));
    let mut split = false;
    for (index, (assertion, judge)) in judged.enumerate() {
        let number = index + 1;
        let mut add = |name: &str, value: String| {
            test_case.add_property(Property::new(format!("judge.{number}.{name}"), value));
        };
        add("kind", assertion.kind.clone());
        add(
            "verdict",
            if assertion.passed {
                "pass"
            } else if assertion.error.is_some() {
                "error"
            } else {
                "fail"
            }
            .to_owned(),
        );
        add("grader", judge.grader.clone());
        if let Some(model) = &judge.model {
            add("grader-model", model.clone());
        }
        if let Some(hash) = &judge.prompt_hash {
            add("prompt-hash", hash.clone());
        }
        if let Some(score) = judge.score {
            add("score", format!("{score:.4}"));
        }
        if !judge.votes.is_empty() {
            add("votes", format!("{}/{}", judge.passes, judge.votes.len()));
            add("split", judge.split.to_string());
        }
        add("reason", assertion.reason.clone());
        split |= judge.split;
    }
    if split {
        test_case.extra.insert("judge-split".into(), "true".into());
    }
}

/// The name of the testcase that reports a suite's budgets: `<suite>::budget`.
pub(crate) const BUDGET_TESTCASE: &str = "budget";

/// Writes a JSON report as JUnit XML (ending in a newline), streamed to `out`. The JSON report
/// is the single source, so a merged report's JUnit equals a single run's. `path_prefix` (`app/`
/// or empty) goes before every file path, because JUnit readers resolve them from the
/// repository root while the report's paths start at the project root.
pub(crate) fn write(
    json: &JsonReport,
    path_prefix: &str,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut report = Report::new("promptci");
    report.set_time(Duration::from_millis(json.run.duration_ms));
    let entries: Vec<(&str, &str)> = json
        .suites
        .iter()
        .map(|suite| (suite.path.as_str(), suite.target.as_str()))
        .collect();
    let labels = suite_labels(&entries);
    let mut suites: Vec<TestSuite> = labels.iter().map(TestSuite::new).collect();
    let mut suite_index: HashMap<(&str, &str), usize> = json
        .suites
        .iter()
        .enumerate()
        .map(|(index, suite)| ((suite.path.as_str(), suite.target.as_str()), index))
        .collect();
    for case in &json.cases {
        let status = match case.status {
            CaseStatus::Passed => TestCaseStatus::success(),
            CaseStatus::Failed => {
                let reasons = case.failed_assertions();
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(reasons.join("; "));
                status.set_type("assertion");
                status.set_description(format!(
                    "{path_prefix}{}:{}\n{}\n\nanswer:\n{}",
                    case.file(),
                    case.line,
                    reasons
                        .iter()
                        .map(|reason| format!("✗ {reason}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    case.answer.as_deref().unwrap_or("")
                ));
                status
            }
            CaseStatus::Error => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                if let Some(error) = &case.error {
                    status.set_message(error.message.as_str());
                    status.set_type(error_type(error));
                    status.set_description(error_description(case, error, path_prefix));
                }
                status
            }
            CaseStatus::Skipped => {
                let mut status = TestCaseStatus::skipped();
                if let Some(reason) = &case.skip_reason {
                    status.set_message(reason.as_str());
                }
                status
            }
        };
        let mut status = status;
        add_attempts(&mut status, &case.attempts);
        let key = (case.suite.as_str(), case.target.as_str());
        let index = *suite_index.entry(key).or_insert_with(|| {
            suites.push(TestSuite::new(case.suite.as_str()));
            suites.len() - 1
        });
        let mut test_case = TestCase::new(case.name.as_str(), status);
        test_case.set_classname(suites[index].name.as_str());
        test_case.set_assertions(case.assertions.len());
        if let Some(latency) = case.latency_ms {
            test_case.set_time(Duration::from_millis(latency));
        }
        add_judge_evidence(&mut test_case, case);
        test_case.extra.insert(
            "file".into(),
            format!("{path_prefix}{}", case.file()).into(),
        );
        test_case
            .extra
            .insert("line".into(), case.line.to_string().into());
        if let Some(repeat) = &case.repeat {
            test_case
                .extra
                .insert("attempts".into(), repeat.sent.to_string().into());
            test_case
                .extra
                .insert("passed".into(), repeat.passed.to_string().into());
            if let Some(classification) = repeat.classification {
                test_case
                    .extra
                    .insert("classification".into(), classification.as_str().into());
            }
        }
        suites[index].add_test_case(test_case);
    }
    add_budget_cases(&mut suites, json, path_prefix);
    report.add_test_suites(suites);
    // quick-junit ends the document with a newline itself.
    report.serialize(&mut *out).map_err(std::io::Error::other)
}

/// Says where the case is, what failed, and what retrying cost.
fn error_description(
    case: &JsonCase,
    error: &crate::results::CaseError,
    path_prefix: &str,
) -> String {
    let mut text = format!(
        "{path_prefix}{}:{}\n{}",
        case.file(),
        case.line,
        error.message
    );
    if case.retries > 0 {
        text.push_str(&format!(
            "\ngave up after {} ({}), waited {:.1} s",
            crate::util::format::plural(case.retries as usize, "retry", "retries"),
            case.retry_causes.join(", "),
            case.waited_ms as f64 / 1000.0
        ));
    }
    text
}

/// Adds the failed and errored attempts of a repeated case: `<flakyFailure>` under a case
/// that passed, `<rerunFailure>` under one that failed (its first failure is the main one).
fn add_attempts(status: &mut TestCaseStatus, attempts: &[JsonAttempt]) {
    let mut main_failure_seen = matches!(status, TestCaseStatus::Success { .. });
    for attempt in attempts {
        let kind = match attempt.status {
            CaseStatus::Failed => NonSuccessKind::Failure,
            CaseStatus::Error => NonSuccessKind::Error,
            CaseStatus::Passed | CaseStatus::Skipped => continue,
        };
        if !main_failure_seen {
            main_failure_seen = true;
            continue;
        }
        let mut rerun = TestRerun::new(kind);
        rerun.set_message(attempt.reasons.join("; "));
        if let Some(latency) = attempt.latency_ms {
            rerun.set_time(Duration::from_millis(latency));
        }
        if let Some(answer) = &attempt.answer {
            rerun.set_description(answer.as_str());
        }
        status.add_rerun(rerun);
    }
}

/// Adds a `budget` testcase to each suite that sets budgets (suites come first, in report
/// order).
fn add_budget_cases(suites: &mut [TestSuite], json: &JsonReport, path_prefix: &str) {
    for (suite, entry) in suites.iter_mut().zip(&json.suites) {
        if !entry.budgets.is_empty() {
            let classname = suite.name.to_string();
            let file = format!("{path_prefix}{}", entry.path);
            suite.add_test_case(budget_case(&file, &classname, &entry.budgets));
        }
    }
}

/// Returns the testcase that reports a suite's budgets: a `<failure>` naming every limit over
/// budget, with the numbers. `file` is the suite's path from the repository root.
fn budget_case(file: &str, classname: &str, checks: &[BudgetCheck]) -> TestCase {
    let overruns: Vec<String> = checks
        .iter()
        .filter(|check| !check.passed)
        .map(BudgetCheck::describe)
        .collect();
    let status = if overruns.is_empty() {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(format!("over budget: {}", overruns.join("; ")));
        status.set_type("budget");
        let mut description: Vec<String> = checks
            .iter()
            .map(|check| {
                let mark = if check.passed { "✓" } else { "✗" };
                format!("{mark} {}", check.describe())
            })
            .collect();
        for check in checks.iter().filter(|check| !check.passed) {
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
    test_case.set_classname(classname);
    test_case.set_assertions(checks.len());
    test_case.extra.insert("file".into(), file.into());
    test_case
}

fn error_type(error: &crate::results::CaseError) -> String {
    match error.status {
        Some(status) => format!("http-{status}"),
        None => serde_json::to_value(error.kind)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_else(|| "error".to_owned()),
    }
}
