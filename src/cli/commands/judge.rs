//! `promptci judge calibrate`: runs an assertion's judge over examples people labelled and
//! reports how often it agrees with them.
//!
//! The examples become an ordinary suite answered by the built-in mock target (each case's
//! scripted answer is the example's answer), so the judge is asked exactly as `run` asks it:
//! the same grader resolution, judge prompt, votes, re-asks and lanes.

use std::io::Write;
use std::path::Path;

use serde_saphyr::Spanned;

use crate::assert::judge::Check;
use crate::assert::judge::calibration::{
    CALIBRATION_FORMAT, CALIBRATION_KIND, CalibratedAssertion, CalibratedGrader, Calibration,
    Confusion, Disagreement,
};
use crate::assert::{Assertion, AssertionSpec, CompileContext, Compiled};
use crate::cli::args::{CalibrateArgs, JudgeArgs, JudgeCommand};
use crate::cli::support::stdout;
use crate::config::{Config, MOCK_TARGET};
use crate::error::{Error, Problem, SourceFile, exit_code};
use crate::plan::{PlanOptions, TestPlan};
use crate::results::{CaseResult, CaseStatus};
use crate::run::RunOptions;
use crate::suite::{ExampleFile, load_examples};
use crate::util::path::display_path;

/// Runs a `promptci judge` command.
pub(crate) fn run(args: &JudgeArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    match &args.command {
        JudgeCommand::Calibrate(calibrate) => calibrate_judge(calibrate, config, cwd),
    }
}

fn calibrate_judge(args: &CalibrateArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    crate::cli::support::check_run_numbers(args.concurrency, args.confidence)?;
    let json_path = args
        .json
        .as_deref()
        .map(|path| crate::cli::support::prepare_output(&cwd.join(path)))
        .transpose()?;
    let path = cwd.join(&args.file);
    let name = display_path(&path, cwd);
    let examples = load_examples(&path, &name)?;
    if examples.examples.is_empty() {
        return Err(Error::usage(format!("`{name}` holds no examples")));
    }
    let (spec, value, source) = assertion_of(args, &examples, &name)?;
    let dir = path.parent().unwrap_or(cwd);
    let identity = identity(&spec, &source, dir)?;
    let scratch = tempfile::tempdir().map_err(|error| Error::Infrastructure {
        message: format!("cannot create a scratch directory: {error}"),
    })?;
    let plan = plan(&examples, &value, config, args, scratch.path())?;
    let providers = crate::cli::support::providers_for(&plan)?;
    let options = RunOptions {
        concurrency: args.concurrency,
        ..RunOptions::default()
    };
    let (outcome, results) = crate::run::execute_collected(&plan, &providers, &options)?;
    if outcome.interrupted {
        return Ok(outcome.exit_code_or(exit_code::INTERRUPTED));
    }
    let leaf = plan
        .cases
        .first()
        .and_then(|case| case.judges.first())
        .ok_or_else(|| Error::usage("the assertion has no judge to calibrate"))?;
    let grader = &plan.targets[leaf.target];
    let calibration = measure(
        &examples,
        &results,
        identity,
        CalibratedGrader {
            name: grader.name.clone(),
            model: grader.model.clone(),
        },
        leaf.prompt
            .as_ref()
            .map(|prompt| prompt.hash().to_owned())
            .unwrap_or_default(),
        args.confidence,
    );
    let mut out = stdout();
    let _ = write!(out, "{}", crate::report::calibration::render(&calibration));
    if let Some(path) = &json_path {
        let mut bytes =
            serde_json::to_vec_pretty(&calibration).expect("a calibration always serialises");
        bytes.push(b'\n');
        crate::util::file::write_atomic(path, &bytes)
            .map_err(|source| Error::write(path, source))?;
        let _ = writeln!(out, "wrote {}", display_path(path, cwd));
    }
    if calibration.n == 0 {
        let _ = writeln!(
            crate::cli::support::stderr(),
            "error: the judge gave no verdict on any example; the disagreements above say why"
        );
        return Ok(exit_code::INFRASTRUCTURE);
    }
    Ok(exit_code::SUCCESS)
}

/// The assertion to calibrate: `--assert`, else the file's `assert:`.
fn assertion_of(
    args: &CalibrateArgs,
    examples: &ExampleFile,
    name: &str,
) -> Result<(Spanned<AssertionSpec>, serde_json::Value, SourceFile), Error> {
    if let Some(text) = &args.assertion {
        let source = SourceFile::new("--assert", text.clone());
        let spec: Spanned<AssertionSpec> = crate::yaml::parse_yaml(&source)?;
        let value: serde_json::Value = crate::yaml::parse_yaml(&source)?;
        return Ok((spec, value, source));
    }
    let (spec, value) = examples.assertion.clone().ok_or_else(|| {
        Error::usage(format!(
            "`{name}` names no assertion (hint: pass `--assert 'rubric: …'`, or add `assert:` to a YAML file)"
        ))
    })?;
    Ok((spec, value, examples.source.clone()))
}

/// Checks that the assertion is one `rubric` or `factuality` and returns what it measures.
fn identity(
    spec: &Spanned<AssertionSpec>,
    source: &SourceFile,
    dir: &Path,
) -> Result<CalibratedAssertion, Error> {
    let compiled = Compiled::default();
    let context = CompileContext {
        source,
        dir,
        compiled: &compiled,
    };
    let assertion = Assertion::compile(spec, context)?;
    let (kind, text) = match &assertion {
        Assertion::Judged(judged) => match &judged.check {
            Check::Rubric { text, .. } => ("rubric", text.clone()),
            Check::Factuality { .. } => ("factuality", String::new()),
            Check::Similar { .. } => ("similar", String::new()),
        },
        _ => ("", String::new()),
    };
    if !matches!(kind, "rubric" | "factuality") {
        return Err(Error::Input(
            Problem::new(format!(
                "`judge calibrate` measures a `rubric` or `factuality` judge, not `{}`",
                assertion.kind()
            ))
            .with_help(
                "write the assertion alone, as `rubric: TEXT` or `factuality: \"{{ reference }}\"`",
            )
            .into(),
        ));
    }
    Ok(CalibratedAssertion {
        kind: kind.to_owned(),
        text,
    })
}

/// Writes the examples as a suite answered by the mock target and plans it.
fn plan(
    examples: &ExampleFile,
    assertion: &serde_json::Value,
    config: &Config,
    args: &CalibrateArgs,
    scratch: &Path,
) -> Result<TestPlan, Error> {
    let cases: Vec<serde_json::Value> = examples
        .examples
        .iter()
        .enumerate()
        .map(|(index, example)| {
            let mut case = serde_json::json!({
                "name": format!("example-{}", index + 1),
                "messages": example.messages,
                "mock-answer": example.answer,
            });
            if let Some(reference) = &example.reference {
                case["vars"] = serde_json::json!({ "reference": reference });
            }
            case
        })
        .collect();
    let mut suite = serde_json::json!({
        "target": MOCK_TARGET,
        "assert": [assertion],
        "cases": cases,
    });
    if let Some(grader) = &examples.grader {
        suite["grader"] = serde_json::Value::from(grader.clone());
    }
    let path = scratch.join("calibration.yaml");
    std::fs::write(&path, suite.to_string()).map_err(|source| Error::write(&path, source))?;
    let suite = crate::suite::load_suite(&path, scratch)?;
    let options = PlanOptions {
        grader: args.grader.clone(),
        ..PlanOptions::default()
    };
    crate::plan::build(&[suite], config, &options)
}

/// Counts the judge's verdicts against the people's labels.
fn measure(
    examples: &ExampleFile,
    results: &[CaseResult],
    assertion: CalibratedAssertion,
    grader: CalibratedGrader,
    prompt_hash: String,
    confidence: f64,
) -> Calibration {
    let mut confusion = Confusion::default();
    let mut errors = 0;
    let mut disagreements = Vec::new();
    for (example, result) in examples.examples.iter().zip(results) {
        let verdict = result.assertions.first();
        let judge = match verdict {
            Some(verdict) if verdict.error.is_none() && result.status != CaseStatus::Error => {
                Some(verdict.passed)
            }
            _ => None,
        };
        let reason = verdict.map_or_else(
            || {
                result
                    .error
                    .as_ref()
                    .map_or_else(String::new, |error| error.message.clone())
            },
            |verdict| match &verdict.error {
                Some(error) => error.message.clone(),
                None => verdict.reason.clone(),
            },
        );
        match judge {
            Some(judge_pass) => confusion.add(example.label, judge_pass),
            None => errors += 1,
        }
        if judge != Some(example.label) {
            disagreements.push(Disagreement {
                at: example.at.clone(),
                answer: example.answer.clone(),
                label: example.label,
                judge,
                reason,
            });
        }
    }
    Calibration {
        format_version: CALIBRATION_FORMAT,
        kind: CALIBRATION_KIND.to_owned(),
        assertion,
        grader,
        prompt_hash,
        n: confusion.n(),
        errors,
        confidence,
        confusion,
        accuracy: confusion.accuracy(confidence),
        kappa: confusion.kappa(confidence),
        false_pass: confusion.false_pass_rate(confidence),
        false_fail: confusion.false_fail_rate(confidence),
        disagreements,
    }
}
