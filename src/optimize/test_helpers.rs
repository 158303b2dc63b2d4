//! A sample [`OptimizeReport`] for the tests of code that reads one (the console renderer).

use super::demos::Demo;
use super::optimize_report::{
    BootstrapReport, CandidateReport, FORMAT_VERSION, OptimizeReport, Score, Spent, SplitReport,
    compare_on_test,
};
use super::search::CandidateKind;
use super::split::SplitSource;
use crate::assert::AssertionResult;
use crate::results::CaseResult;

/// A score of `passed` out of `cases` over `cases` requests.
fn score(passed: u64, cases: u64, prompt_tokens: f64) -> Score {
    Score {
        passed,
        failed: cases - passed,
        pass_rate: crate::stats::PassRate::of(passed, cases, 0.95),
        requests: cases,
        prompt_tokens: cases * 30,
        completion_tokens: cases * 2,
        mean_prompt_tokens: prompt_tokens,
        ..Score::default()
    }
}

/// Results with `passed` passing cases first, then failing ones, `cases` in all.
fn results(passed: usize, cases: usize) -> Vec<CaseResult> {
    (0..cases)
        .map(|index| {
            CaseResult::judged("x", vec![AssertionResult::new("regex", index < passed, "")])
        })
        .collect()
}

/// An optimisation of three demonstrations whose second one helps: held-out 1/10 → 9/10.
pub(crate) fn sample_report() -> OptimizeReport {
    let demo = |index: usize, output: &str| Demo {
        case: format!("suites/triage.yaml::train_{index}"),
        input: format!("ticket {index}"),
        output: output.to_owned(),
    };
    let candidate = |kind, demos: &[usize], passed| CandidateReport {
        kind,
        demos: demos.to_vec(),
        dev: score(passed, 8, 40.0),
    };
    OptimizeReport {
        format_version: FORMAT_VERSION,
        suite: "suites/triage.yaml".to_owned(),
        prompt_id: "triage".to_owned(),
        examples_var: "few_shot_examples".to_owned(),
        examples_file: "few_shot_examples.j2".to_owned(),
        seed: 0,
        confidence: 0.95,
        split: SplitReport {
            source: SplitSource::Tags,
            fractions: None,
            train: 6,
            dev: 8,
            test: 10,
            untagged: 0,
        },
        bootstrap: BootstrapReport {
            train: score(3, 6, 30.0),
            demos: vec![demo(1, "HIGH"), demo(2, "LOW"), demo(5, "HIGH")],
            unusable: 0,
        },
        current_dev: score(1, 8, 30.0),
        candidates: vec![
            candidate(CandidateKind::Random, &[0, 1, 2], 5),
            candidate(CandidateKind::Greedy, &[1], 7),
            candidate(CandidateKind::Greedy, &[0], 2),
        ],
        chosen: Some(1),
        test: Some(compare_on_test(
            (score(1, 10, 30.0), &results(1, 10)),
            (score(9, 10, 36.0), &results(9, 10)),
            0.95,
        )),
        stopped: Some("the request budget (100) allows no more candidates".to_owned()),
        spent: Spent {
            planned_requests: 58,
            requests: 58,
            prompt_tokens: 1740,
            completion_tokens: 116,
            cost_usd: None,
        },
    }
}
