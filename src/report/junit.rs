//! The JUnit XML report, through `quick-junit`: one `testsuite` per suite file and target
//! (named `path@target` when the suite ran on several), one `testcase` per case. A failed assertion is `<failure>`; a provider error is `<error>`.

use std::collections::HashMap;
use std::time::Duration;

use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};

use crate::results::BudgetCheck;
use crate::results::{CaseStatus, Counts};
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

/// A `testsuite` of the JUnit report: its name and the counts of its cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JunitSuite {
    /// The suite's name (`path`, or `path@target` when the path ran on several targets).
    pub(crate) label: String,
    /// The counts of its cases (its budget testcase apart).
    pub(crate) counts: Counts,
}

/// Returns the `testsuite` entries of a report's suites, in report order (cases are added
/// to them by [`write_streamed`]'s caller).
#[must_use]
pub(crate) fn suites_of(json: &JsonReport) -> Vec<JunitSuite> {
    let entries: Vec<(&str, &str)> = json
        .suites
        .iter()
        .map(|suite| (suite.path.as_str(), suite.target.as_str()))
        .collect();
    suite_labels(&entries)
        .into_iter()
        .zip(&json.suites)
        .map(|(label, suite)| JunitSuite {
            label,
            counts: suite.counts,
        })
        .collect()
}

/// Writes a JSON report as JUnit XML (ending in a newline), streamed to `out`. The JSON report
/// is the single source, so a merged report's JUnit equals a single run's. `path_prefix` (`app/`
/// or empty) goes before every file path, because JUnit readers resolve them from the
/// repository root while the report's paths start at the project root.
pub(crate) fn write(
    json: &JsonReport,
    path_prefix: &str,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut suites: Vec<JunitSuite> = suites_of(json)
        .into_iter()
        .map(|suite| JunitSuite {
            counts: Counts::default(),
            ..suite
        })
        .collect();
    let mut suite_index: HashMap<(&str, &str), usize> = json
        .suites
        .iter()
        .enumerate()
        .map(|(index, suite)| ((suite.path.as_str(), suite.target.as_str()), index))
        .collect();
    let mut members: Vec<Vec<&JsonCase>> = vec![Vec::new(); suites.len()];
    for case in &json.cases {
        let key = (case.suite.as_str(), case.target.as_str());
        let index = *suite_index.entry(key).or_insert_with(|| {
            suites.push(JunitSuite {
                label: case.suite.clone(),
                counts: Counts::default(),
            });
            members.push(Vec::new());
            suites.len() - 1
        });
        suites[index].counts.add(case.status);
        members[index].push(case);
    }
    write_streamed(
        json,
        &suites,
        path_prefix,
        &mut |index, emit| members[index].iter().try_for_each(|case| emit(case)),
        out,
    )
}

/// Writes one case of a suite into the JUnit report.
pub(crate) type EmitCase<'a> = dyn FnMut(&JsonCase) -> std::io::Result<()> + 'a;

/// The name of the stand-in testcase each suite's cases replace in the report's frame.
fn placeholder(index: usize) -> String {
    format!("promptci-cases-of-suite-{index}")
}

/// Writes a JUnit report with one `testsuite` per entry of `suites` (the report's suites,
/// then any other), asking `cases` for each suite's cases in report order; `json.cases` is
/// ignored and `json.suites` gives the budgets. One case at a time is in memory: the frame is
/// built with a stand-in testcase per suite, and each case is formatted on its own at the
/// same depth. The bytes are those quick-junit writes for the whole document. `path_prefix`
/// is [`write`]'s.
pub(crate) fn write_streamed(
    json: &JsonReport,
    suites: &[JunitSuite],
    path_prefix: &str,
    cases: &mut dyn FnMut(usize, &mut EmitCase<'_>) -> std::io::Result<()>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut report = Report::new("promptci");
    report.set_time(Duration::from_millis(json.run.duration_ms));
    let budgets = |index: usize| json.suites.get(index).map(|suite| suite.budgets.as_slice());
    let frame_suites = suites.iter().enumerate().map(|(index, suite)| {
        let mut frame = TestSuite::new(suite.label.as_str());
        let budget = budgets(index).filter(|checks| !checks.is_empty());
        if suite.counts.total > 0 || budget.is_some() {
            frame.add_test_case(TestCase::new(placeholder(index), TestCaseStatus::success()));
        }
        let over = budget.is_some_and(|checks| checks.iter().any(|check| !check.passed));
        frame.tests = suite.counts.total + usize::from(budget.is_some());
        frame.failures = suite.counts.failed + usize::from(over);
        frame.errors = suite.counts.errors;
        frame.skipped = suite.counts.skipped;
        frame
    });
    report.add_test_suites(frame_suites.collect::<Vec<_>>());
    let frame = report.to_string().map_err(std::io::Error::other)?;
    let mut rest = frame.as_str();
    for (index, suite) in suites.iter().enumerate() {
        let stand_in = format!("\n        <testcase name=\"{}\"/>", placeholder(index));
        let Some(at) = rest.find(&stand_in) else {
            continue;
        };
        out.write_all(&rest.as_bytes()[..at])?;
        rest = &rest[at + stand_in.len()..];
        cases(index, &mut |case| {
            out.write_all(case_fragment(test_case(case, &suite.label, path_prefix))?.as_bytes())
        })?;
        if let Some(checks) = budgets(index).filter(|checks| !checks.is_empty()) {
            let file = format!("{path_prefix}{}", json.suites[index].path);
            let budget = budget_case(&file, &suite.label, checks);
            out.write_all(case_fragment(budget)?.as_bytes())?;
        }
    }
    out.write_all(rest.as_bytes())
}

/// Returns a testcase as quick-junit writes it inside a report (a newline and its indent
/// first), cut out of a one-case report.
fn case_fragment(test_case: TestCase) -> std::io::Result<String> {
    let mut suite = TestSuite::new("s");
    suite.add_test_case(test_case);
    let mut report = Report::new("r");
    report.add_test_suite(suite);
    let text = report.to_string().map_err(std::io::Error::other)?;
    // Markup characters in values are escaped, so the first `>` ends the suite's tag and
    // the last closing tag is the suite's.
    let start = text.find("<testsuite ").expect("a report has its suite");
    let start = start + text[start..].find('>').expect("the suite's tag ends") + 1;
    let end = text
        .rfind("\n    </testsuite>")
        .expect("a suite with a case closes");
    Ok(text[start..end].to_owned())
}

/// Returns the testcase of a case in the suite named `classname`.
fn test_case(case: &JsonCase, classname: &str, path_prefix: &str) -> TestCase {
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
    let mut test_case = TestCase::new(case.name.as_str(), status);
    test_case.set_classname(classname);
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
    test_case
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
