//! [`Demo`]: one demonstration (an input and the answer to imitate), and [`bootstrap`], which
//! turns the current prompt's train answers into the pool the search draws from.
//!
//! Only answers that passed every assertion become demonstrations: a demonstration teaches
//! the model whatever it shows, so a failing answer would teach the failure.

use crate::results::{CaseResult, CaseStatus};

/// One demonstration: what the user said and the answer to imitate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Demo {
    /// The train case it comes from.
    pub(crate) case: String,
    /// What the user said: the case's user message or its `--input-var` variable.
    pub(crate) input: String,
    /// The answer: the case's labelled answer (`--output-var`) or its passing answer.
    pub(crate) output: String,
}

/// One train case as the bootstrap sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TrainCase<'a> {
    /// The case id.
    pub(crate) id: &'a str,
    /// The input a demonstration shows, when the case has one (a multi-turn case without
    /// `--input-var` has none).
    pub(crate) input: Option<&'a str>,
    /// The labelled answer, when the case has one.
    pub(crate) label: Option<&'a str>,
    /// What the current prompt produced.
    pub(crate) result: &'a CaseResult,
}

/// The demonstration pool and why the other train cases are not in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Bootstrap {
    /// Demonstrations, in train order.
    pub(crate) demos: Vec<Demo>,
    /// Train cases whose answer failed an assertion.
    pub(crate) failed: usize,
    /// Train cases that errored or were skipped.
    pub(crate) unanswered: usize,
    /// Passing train cases with no single input to show (multi-turn without `--input-var`),
    /// or whose answer was cut short in the results.
    pub(crate) unusable: usize,
}

/// Builds the demonstration pool from the current prompt's train answers.
#[must_use]
pub(crate) fn bootstrap(cases: &[TrainCase<'_>]) -> Bootstrap {
    let mut pool = Bootstrap::default();
    for case in cases {
        match case.result.status {
            CaseStatus::Passed => {}
            CaseStatus::Failed => {
                pool.failed += 1;
                continue;
            }
            _ => {
                pool.unanswered += 1;
                continue;
            }
        }
        let output = case.label.map(str::to_owned).or_else(|| {
            (!case.result.answer_truncated)
                .then(|| case.result.answer.clone())
                .flatten()
        });
        match (case.input, output) {
            (Some(input), Some(output)) => pool.demos.push(Demo {
                case: case.id.to_owned(),
                input: input.to_owned(),
                output,
            }),
            _ => pool.unusable += 1,
        }
    }
    pool
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert::AssertionResult;

    fn judged(answer: &str, passed: bool) -> CaseResult {
        CaseResult::judged(
            answer,
            vec![AssertionResult::new("contains", passed, String::new())],
        )
    }

    #[test]
    fn passing_answers_become_demonstrations_and_labels_win() {
        let (pass, fail, labelled) = (
            judged("Paris", true),
            judged("Lyon", false),
            judged("paris!", true),
        );
        let errored = CaseResult::skipped("not run");
        let cases = [
            TrainCase {
                id: "s::a",
                input: Some("capital of France?"),
                label: None,
                result: &pass,
            },
            TrainCase {
                id: "s::b",
                input: Some("capital?"),
                label: None,
                result: &fail,
            },
            TrainCase {
                id: "s::c",
                input: Some("France?"),
                label: Some("Paris"),
                result: &labelled,
            },
            TrainCase {
                id: "s::d",
                input: None,
                label: None,
                result: &pass,
            },
            TrainCase {
                id: "s::e",
                input: Some("x"),
                label: None,
                result: &errored,
            },
        ];
        let pool = bootstrap(&cases);
        let shown: Vec<(&str, &str, &str)> = pool
            .demos
            .iter()
            .map(|demo| {
                (
                    demo.case.as_str(),
                    demo.input.as_str(),
                    demo.output.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("s::a", "capital of France?", "Paris"),
                ("s::c", "France?", "Paris")
            ]
        );
        assert_eq!((pool.failed, pool.unanswered, pool.unusable), (1, 1, 1));
    }
}
