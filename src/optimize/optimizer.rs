//! [`optimize`]: the whole optimisation (split, bootstrap, search on dev, one held-out
//! comparison on test) as an [`OptimizeReport`], telling the caller its [`Progress`].

use std::collections::HashSet;

use super::demos::{Demo, TrainCase, bootstrap};
use super::demos_file::demos_file_text;
use super::evaluator::{Evaluation, Evaluator, Halt};
use super::optimize_report::{
    BootstrapReport, CandidateReport, FORMAT_VERSION, OptimizeReport, Score, Spent, SplitReport,
    TestComparison, compare_on_test,
};
use super::search::{SearchOptions, search};
use super::split::{Split, SplitFractions, SplitSource};
use super::workspace::Workspace;
use crate::error::Error;
use crate::plan::TestPlan;
use crate::suite::Conversation;

/// What to optimise and how.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The variable holding the demonstrations.
    pub(crate) var: String,
    /// The case variable a demonstration's input comes from (default: the user message).
    pub(crate) input_var: Option<String>,
    /// The case variable holding a labelled answer, preferred over the model's passing one.
    pub(crate) output_var: Option<String>,
    /// The shares of a random split.
    pub(crate) fractions: SplitFractions,
    /// Set sizes, candidates and the seed.
    pub(crate) search: SearchOptions,
    /// The confidence of intervals and of the significance test.
    pub(crate) confidence: f64,
}

/// A step finished, for the console.
#[derive(Debug)]
pub(crate) enum Progress<'a> {
    /// The cases are split.
    Split(&'a SplitReport),
    /// The demonstration pool is built.
    Bootstrap(&'a BootstrapReport),
    /// The current prompt ran on dev.
    CurrentDev(&'a Score),
    /// A candidate set ran on dev.
    Candidate(usize, &'a CandidateReport),
    /// The held-out comparison is done.
    Test(&'a TestComparison),
}

/// How an optimisation ended.
#[derive(Debug)]
pub(crate) enum Optimized {
    /// It finished: the report, and the chosen demonstrations file's text (when a set won).
    Done(Box<OptimizeReport>, Option<String>),
    /// Ctrl-C stopped it.
    Interrupted,
}

/// Runs the optimisation of `workspace`'s prompt.
pub(crate) fn optimize(
    workspace: &Workspace,
    evaluator: &mut Evaluator<'_>,
    settings: &Settings,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<Optimized, Error> {
    let suite = &workspace.suite;
    let everything = evaluator.plan(workspace, &workspace.current, None)?;
    let (split, ids) = split_cases(&everything, settings);
    let split_report = SplitReport {
        source: split.source,
        fractions: (split.source == SplitSource::Random).then_some(settings.fractions),
        train: split.train.len(),
        dev: split.dev.len(),
        test: split.test.len(),
        untagged: split.untagged,
    };
    check_split(&split_report, &suite.name)?;
    progress(Progress::Split(&split_report));
    let [train, dev, test] = [&split.train, &split.dev, &split.test]
        .map(|part| part.iter().map(|&index| ids[index].clone()).collect::<HashSet<_>>());
    let requests_of = |ids: &HashSet<String>| {
        let mut plan = TestPlan::default();
        plan.cases = everything
            .cases
            .iter()
            .filter(|case| ids.contains(&case.id))
            .cloned()
            .collect();
        Evaluator::planned_requests(&plan)
    };
    let (train_requests, dev_requests, test_requests) =
        (requests_of(&train), requests_of(&dev), requests_of(&test));
    check_budget(
        evaluator,
        train_requests + 2 * dev_requests + 2 * test_requests,
    )?;
    evaluator.reserved = 2 * test_requests;
    let mut spent = Spent::default();

    let current = &workspace.current;
    let Some(train_run) = finished(evaluator.run(evaluator.plan(workspace, current, Some(&train))?, false)?)? else {
        return Ok(Optimized::Interrupted);
    };
    spent.add(train_run.planned, &train_run.score);
    let pool = bootstrap_pool(&train_run, workspace, settings);
    let bootstrap_report = BootstrapReport {
        train: train_run.score,
        demos: pool.demos.clone(),
        unusable: pool.unusable,
    };
    progress(Progress::Bootstrap(&bootstrap_report));
    check_pool(&bootstrap_report, pool.failed, pool.unanswered)?;

    let Some(current_dev) = finished(evaluator.run(evaluator.plan(workspace, current, Some(&dev))?, false)?)? else {
        return Ok(Optimized::Interrupted);
    };
    spent.add(current_dev.planned, &current_dev.score);
    progress(Progress::CurrentDev(&current_dev.score));

    let mut candidates: Vec<CandidateReport> = Vec::new();
    let mut stopped = None;
    let mut interrupted = false;
    let outcome = search(
        pool.demos.len(),
        current_dev.score.passed,
        settings.search,
        |set, kind| {
            let text = demos_file_text(&settings.var, &chosen(&pool.demos, set));
            let plan = evaluator.plan(workspace, &text, Some(&dev))?;
            match evaluator.run(plan, false)? {
                Ok(evaluation) => {
                    spent.add(evaluation.planned, &evaluation.score);
                    candidates.push(CandidateReport {
                        kind,
                        demos: set.to_vec(),
                        dev: evaluation.score,
                    });
                    progress(Progress::Candidate(
                        candidates.len() - 1,
                        candidates.last().expect("just pushed"),
                    ));
                    Ok::<_, Error>(Some(evaluation.score.passed))
                }
                Err(Halt::Budget(reason)) => {
                    stopped = Some(reason);
                    Ok(None)
                }
                Err(Halt::Interrupted) => {
                    interrupted = true;
                    Ok(None)
                }
            }
        },
    )?;
    if interrupted {
        return Ok(Optimized::Interrupted);
    }

    evaluator.reserved = 0;
    let mut test_comparison = None;
    let mut chosen_text = None;
    if let Some(best) = outcome.best {
        let text = demos_file_text(&settings.var, &chosen(&pool.demos, &outcome.tried[best].demos));
        let Some(before) = finished(evaluator.run(evaluator.plan(workspace, current, Some(&test))?, true)?)? else {
            return Ok(Optimized::Interrupted);
        };
        let Some(after) = finished(evaluator.run(evaluator.plan(workspace, &text, Some(&test))?, true)?)? else {
            return Ok(Optimized::Interrupted);
        };
        spent.add(before.planned, &before.score);
        spent.add(after.planned, &after.score);
        let comparison = compare_on_test(
            (before.score, &before.results),
            (after.score, &after.results),
            settings.confidence,
        );
        progress(Progress::Test(&comparison));
        test_comparison = Some(comparison);
        chosen_text = Some(text);
    }
    Ok(Optimized::Done(
        Box::new(OptimizeReport {
            format_version: FORMAT_VERSION,
            suite: suite.name.clone(),
            prompt_id: suite
                .prompt
                .as_ref()
                .map(|prompt| prompt.id.clone())
                .unwrap_or_default(),
            examples_var: settings.var.clone(),
            examples_file: workspace.examples_file.clone(),
            seed: settings.search.seed,
            split: split_report,
            bootstrap: bootstrap_report,
            current_dev: current_dev.score,
            candidates,
            chosen: outcome.best,
            test: test_comparison,
            stopped,
            spent,
        }),
        chosen_text,
    ))
}

/// Turns a halted run into `None` (the caller stops) and a budget halt into an error: the
/// runs before the search are within the budget by construction.
fn finished(run: Result<Evaluation, Halt>) -> Result<Option<Evaluation>, Error> {
    match run {
        Ok(evaluation) => Ok(Some(evaluation)),
        Err(Halt::Interrupted) => Ok(None),
        Err(Halt::Budget(reason)) => Err(Error::usage(reason)),
    }
}

/// The demonstrations of a set, in pool order.
fn chosen<'d>(demos: &'d [Demo], set: &[usize]) -> Vec<&'d Demo> {
    set.iter().map(|&index| &demos[index]).collect()
}

/// Splits the plan's sendable cases; returns the split and the case ids it indexes.
fn split_cases(plan: &TestPlan, settings: &Settings) -> (Split, Vec<String>) {
    let cases: Vec<_> = plan.cases.iter().filter(|case| case.skip.is_none()).collect();
    let tags: Vec<&[String]> = cases.iter().map(|case| case.tags.as_slice()).collect();
    let split = Split::of(&tags, settings.fractions, settings.search.seed);
    (split, cases.iter().map(|case| case.id.clone()).collect())
}

/// Every split needs a case: train to bootstrap, dev to rank, test to measure.
fn check_split(split: &SplitReport, suite: &str) -> Result<(), Error> {
    let empty: Vec<&str> = [("train", split.train), ("dev", split.dev), ("test", split.test)]
        .into_iter()
        .filter(|(_, count)| *count == 0)
        .map(|(name, _)| name)
        .collect();
    if empty.is_empty() {
        return Ok(());
    }
    let how = match split.source {
        SplitSource::Tags => "tag at least one case `train`, one `dev` and one `test` (or remove the split tags for a random split)",
        SplitSource::Random => "add cases (a random split needs at least one case per share; tens give a meaningful test), or tag cases `train`, `dev` and `test`",
    };
    Err(Error::usage(format!(
        "`{suite}` has no {} case to optimise with (hint: {how})",
        empty.join(" and no ")
    )))
}

/// Refuses a budget too small for even one candidate.
fn check_budget(evaluator: &Evaluator<'_>, least: u64) -> Result<(), Error> {
    match evaluator.budget.requests {
        Some(limit) if limit < least => Err(Error::usage(format!(
            "`--budget {limit}` is below the {least} requests one candidate needs (the train bootstrap, the current prompt and one candidate on dev, both prompts on test)"
        ))),
        _ => Ok(()),
    }
}

/// Builds the demonstration pool from the train run.
fn bootstrap_pool(
    run: &Evaluation,
    workspace: &Workspace,
    settings: &Settings,
) -> super::demos::Bootstrap {
    let suite = &workspace.suite;
    let texts: Vec<(Option<String>, Option<String>)> = run
        .plan
        .cases
        .iter()
        .map(|instance| {
            let Some(case) = suite.cases.iter().find(|case| case.name == instance.name) else {
                return (None, None);
            };
            let var = |name: &Option<String>| {
                name.as_deref()
                    .and_then(|name| case.vars.get(name).or_else(|| suite.vars.get(name)))
                    .map(text_of)
            };
            let input = match (&settings.input_var, &case.conversation) {
                (Some(_), _) => var(&settings.input_var),
                (None, Conversation::User(user)) => Some(user.clone()),
                (None, _) => None,
            };
            (input, var(&settings.output_var))
        })
        .collect();
    let cases: Vec<TrainCase<'_>> = run
        .plan
        .cases
        .iter()
        .zip(&run.results)
        .zip(&texts)
        .map(|((instance, result), (input, label))| TrainCase {
            id: &instance.id,
            input: input.as_deref(),
            label: label.as_deref(),
            result,
        })
        .collect();
    bootstrap(&cases)
}

/// A variable's value as a demonstration shows it: strings as they are, anything else as JSON.
fn text_of(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// Refuses to search without a demonstration: every train case failed, errored or had no
/// single input.
fn check_pool(report: &BootstrapReport, failed: usize, unanswered: usize) -> Result<(), Error> {
    if !report.demos.is_empty() {
        return Ok(());
    }
    let cases = report.train.cases();
    if unanswered > 0 && failed == 0 && report.unusable == 0 {
        return Err(Error::Infrastructure {
            message: format!(
                "no train case could be answered ({unanswered} of {cases} errored or were skipped), so there is nothing to learn from; check the target (`promptci run` shows the errors)"
            ),
        });
    }
    Err(Error::usage(format!(
        "no train case gave a demonstration: {failed} failed, {unanswered} errored, {} passed without a single input to show, of {cases} (hint: the current prompt must pass some train cases; add passing cases, tag more cases `train`, or pass `--input-var` for multi-turn cases)",
        report.unusable
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_show_as_text() {
        assert_eq!(text_of(&serde_json::json!("plain")), "plain");
        assert_eq!(text_of(&serde_json::json!({"a": 1})), "{\"a\":1}");
    }
}
