//! [`optimize`]: the whole optimisation (split, bootstrap, search on dev, one held-out
//! comparison on test) as an [`OptimizeReport`], telling the caller its [`Progress`].

use std::collections::{HashMap, HashSet};

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
use crate::suite::{Case, Conversation};

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
    let (split, [train_ids, dev_ids, test_ids]) = prepare(workspace, evaluator, settings)?;
    progress(Progress::Split(&split));
    let mut job = Job {
        workspace,
        evaluator,
        spent: Spent::default(),
    };
    let current = &workspace.current;
    let Some(train_run) = job.run(current, &train_ids, false)? else {
        return Ok(Optimized::Interrupted);
    };
    let pool = bootstrap_pool(&train_run, workspace, settings);
    let bootstrap_report = BootstrapReport {
        train: train_run.score,
        demos: pool.demos.clone(),
        unusable: pool.unusable,
    };
    progress(Progress::Bootstrap(&bootstrap_report));
    check_pool(&bootstrap_report, pool.failed, pool.unanswered)?;
    let Some(current_dev) = job.run(current, &dev_ids, false)? else {
        return Ok(Optimized::Interrupted);
    };
    progress(Progress::CurrentDev(&current_dev.score));

    let mut candidates: Vec<CandidateReport> = Vec::new();
    let mut halt = None;
    let outcome = search(
        pool.demos.len(),
        current_dev.score.passed,
        settings.search,
        |set, kind| {
            let examples = demos_file_text(&settings.var, &chosen(&pool.demos, set));
            match job.try_run(&examples, &dev_ids)? {
                Ok(evaluation) => {
                    candidates.push(CandidateReport {
                        kind,
                        demos: set.to_vec(),
                        dev: evaluation.score,
                    });
                    let index = candidates.len() - 1;
                    progress(Progress::Candidate(index, &candidates[index]));
                    Ok::<_, Error>(Some(evaluation.score.passed))
                }
                Err(reason) => {
                    halt = Some(reason);
                    Ok(None)
                }
            }
        },
    )?;
    let stopped = match halt {
        Some(Halt::Interrupted) => return Ok(Optimized::Interrupted),
        Some(Halt::Budget(reason)) => Some(reason),
        None => None,
    };

    let mut test = None;
    let mut chosen_examples = None;
    if let Some(best) = outcome.best {
        let examples = demos_file_text(
            &settings.var,
            &chosen(&pool.demos, &outcome.tried[best].demos),
        );
        let Some(comparison) = job.held_out(&examples, &test_ids, settings.confidence)? else {
            return Ok(Optimized::Interrupted);
        };
        progress(Progress::Test(&comparison));
        test = Some(comparison);
        chosen_examples = Some(examples);
    }
    let suite = &workspace.suite;
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
            confidence: settings.confidence,
            split,
            bootstrap: bootstrap_report,
            current_dev: current_dev.score,
            candidates,
            chosen: outcome.best,
            test,
            stopped,
            spent: job.spent,
        }),
        chosen_examples,
    ))
}

/// The runs of one optimisation and what they spent.
struct Job<'w, 'e, 'c> {
    workspace: &'w Workspace,
    evaluator: &'e mut Evaluator<'c>,
    spent: Spent,
}

impl Job<'_, '_, '_> {
    /// Runs the prompt with `examples` on the cases `ids`, unless the budget forbids it.
    fn try_run(
        &mut self,
        examples: &str,
        ids: &HashSet<String>,
    ) -> Result<Result<Evaluation, Halt>, Error> {
        let plan = self.evaluator.plan(self.workspace, examples, Some(ids))?;
        let run = self.evaluator.run(plan, false)?;
        if let Ok(evaluation) = &run {
            self.spent.add(evaluation.planned, &evaluation.score);
        }
        Ok(run)
    }

    /// Runs the current prompt and the one with `examples` on the held-out cases `ids` and
    /// compares them; `None` when interrupted.
    fn held_out(
        &mut self,
        examples: &str,
        ids: &HashSet<String>,
        confidence: f64,
    ) -> Result<Option<TestComparison>, Error> {
        self.evaluator.reserved = 0;
        let current = &self.workspace.current;
        let (Some(before), Some(after)) = (
            self.run(current, ids, true)?,
            self.run(examples, ids, true)?,
        ) else {
            return Ok(None);
        };
        Ok(Some(compare_on_test(
            (before.score, &before.results),
            (after.score, &after.results),
            confidence,
        )))
    }

    /// Runs the prompt with `examples` on the cases `ids`; `None` when interrupted. A run
    /// outside the search is within the budget by construction (`reserved` marks the
    /// held-out runs the budget kept requests for).
    fn run(
        &mut self,
        examples: &str,
        ids: &HashSet<String>,
        reserved: bool,
    ) -> Result<Option<Evaluation>, Error> {
        let plan = self.evaluator.plan(self.workspace, examples, Some(ids))?;
        match self.evaluator.run(plan, reserved)? {
            Ok(evaluation) => {
                self.spent.add(evaluation.planned, &evaluation.score);
                Ok(Some(evaluation))
            }
            Err(Halt::Interrupted) => Ok(None),
            Err(Halt::Budget(reason)) => Err(Error::usage(reason)),
        }
    }
}

/// Splits the cases, checks every split has one and that the budget allows a candidate,
/// and keeps requests back for the held-out comparison. Returns the split and the ids of
/// train, dev and test.
fn prepare(
    workspace: &Workspace,
    evaluator: &mut Evaluator<'_>,
    settings: &Settings,
) -> Result<(SplitReport, [HashSet<String>; 3]), Error> {
    let everything = evaluator.plan(workspace, &workspace.current, None)?;
    let (split, ids) = split_cases(&everything, settings);
    let report = SplitReport {
        source: split.source,
        fractions: (split.source == SplitSource::Random).then_some(settings.fractions),
        train: split.train.len(),
        dev: split.dev.len(),
        test: split.test.len(),
        untagged: split.untagged,
    };
    check_split(&report, &workspace.suite.name)?;
    let parts = [&split.train, &split.dev, &split.test].map(|part| {
        part.iter()
            .map(|&index| ids[index].clone())
            .collect::<HashSet<_>>()
    });
    let [train, dev, test] = parts.each_ref().map(|part| {
        let plan = TestPlan {
            cases: everything
                .cases
                .iter()
                .filter(|case| part.contains(&case.id))
                .cloned()
                .collect(),
            ..TestPlan::default()
        };
        Evaluator::planned_requests(&plan)
    });
    check_budget(evaluator, train + 2 * dev + 2 * test)?;
    evaluator.reserved = 2 * test;
    Ok((report, parts))
}

/// The demonstrations of a set, in pool order.
fn chosen<'d>(demos: &'d [Demo], set: &[usize]) -> Vec<&'d Demo> {
    set.iter().map(|&index| &demos[index]).collect()
}

/// Splits the plan's sendable cases; returns the split and the case ids it indexes.
fn split_cases(plan: &TestPlan, settings: &Settings) -> (Split, Vec<String>) {
    let cases: Vec<_> = plan
        .cases
        .iter()
        .filter(|case| case.skip.is_none())
        .collect();
    let tags: Vec<&[String]> = cases.iter().map(|case| case.tags.as_slice()).collect();
    let split = Split::of(&tags, settings.fractions, settings.search.seed);
    (split, cases.iter().map(|case| case.id.clone()).collect())
}

/// Every split needs a case: train to bootstrap, dev to rank, test to measure.
fn check_split(split: &SplitReport, suite: &str) -> Result<(), Error> {
    let empty: Vec<&str> = [
        ("train", split.train),
        ("dev", split.dev),
        ("test", split.test),
    ]
    .into_iter()
    .filter(|(_, count)| *count == 0)
    .map(|(name, _)| name)
    .collect();
    if empty.is_empty() {
        return Ok(());
    }
    let how = match split.source {
        SplitSource::Tags => {
            "tag at least one case `train`, one `dev` and one `test` (or remove the split tags for a random split)"
        }
        SplitSource::Random => {
            "add cases (a random split needs at least one case per share; tens give a meaningful test), or tag cases `train`, `dev` and `test`"
        }
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
    let wanted: HashSet<&str> = run
        .plan
        .cases
        .iter()
        .map(|case| case.name.as_str())
        .collect();
    let mut texts: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    let mut note = |case: &Case| {
        if !wanted.contains(case.name.as_str()) {
            return;
        }
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
        texts.insert(case.name.clone(), (input, var(&settings.output_var)));
    };
    suite.cases.iter().for_each(&mut note);
    // Rows of data files are not kept in the suite; they are read again (their problems were
    // reported when the cases were planned).
    let _ = suite.for_each_data_case(&mut |case| {
        note(&case);
        Vec::new()
    });
    let cases: Vec<TrainCase<'_>> = run
        .plan
        .cases
        .iter()
        .zip(&run.results)
        .map(|(instance, result)| {
            let (input, label) = texts
                .get(&instance.name)
                .map_or((None, None), |(input, label)| {
                    (input.as_deref(), label.as_deref())
                });
            TrainCase {
                id: &instance.id,
                input,
                label,
                result,
            }
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
