//! `promptci ab`: runs two variants of a prompt (templates, registry versions, or targets)
//! over the same cases with repeats, prints the comparison, and fails when B is significantly
//! worse; `ab assign` and `ab analyze` serve online experiments.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::chat::{Message, Role};
use crate::cli::args::{AbAnalyzeArgs, AbArgs, AbAssignArgs, AbCommand};
use crate::cli::support::stdout;
use crate::config::{Config, Target, TargetOverrides};
use crate::decide::{
    CaseOutcomes, JudgeComparison, JudgedPair, compare_ab, compare_pairs, experiment,
};
use crate::error::{Error, InvalidInput, Problem, exit_code};
use crate::plan::{JudgeKind, JudgePrompt, JudgeResolver, PlanOptions, TestPlan};
use crate::provider::Provider;
use crate::registry::{Registry, Selector};
use crate::report::ab::{render, render_judge};
use crate::results::CaseResult;
use crate::run::{PairToJudge, RunOptions};
use crate::util::path::display_path;

/// How many attempts each case gets when neither `--repeat` nor the suite says.
pub(crate) const DEFAULT_AB_REPEAT: u32 = 10;

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Variant {
    /// A template file that replaces every selected suite's template.
    Template(PathBuf),
    /// A registry version (`ID@VERSION` or `ID@STATUS`) that replaces prompt `ID`'s template.
    Registry(String),
    /// A target from `promptci.yaml`.
    Target(String),
}

impl Variant {
    /// Parses `target:NAME`, `ID@VERSION`, or a template path.
    fn parse(text: &str, cwd: &Path) -> Self {
        if let Some(name) = text.strip_prefix("target:") {
            Self::Target(name.to_owned())
        } else if text.contains('@') && !cwd.join(text).is_file() {
            Self::Registry(text.to_owned())
        } else {
            Self::Template(cwd.join(text))
        }
    }
}

/// Runs `promptci ab`: an online-experiment subcommand, or the comparison of two variants.
pub(crate) fn ab(args: &AbArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    match (&args.command, &args.a, &args.b) {
        (Some(AbCommand::Assign(assign)), _, _) => assign_user(assign),
        (Some(AbCommand::Analyze(analyze)), _, _) => analyze_outcomes(analyze, cwd),
        (None, Some(a), Some(b)) => compare_variants(args, (a, b), config, cwd),
        (None, _, _) => Err(Error::usage(
            "`promptci ab` needs `--a VARIANT --b VARIANT` (or `assign` / `analyze`)",
        )),
    }
}

/// Prints the sticky bucket of a user.
fn assign_user(args: &AbAssignArgs) -> Result<i32, Error> {
    if !(0.0..=1.0).contains(&args.fraction) {
        return Err(Error::usage(format!(
            "`--fraction` is {}, outside [0, 1] (hint: 0.2 sends a fifth of users to the treatment)",
            args.fraction
        )));
    }
    let assignment = experiment::assign(&args.experiment, &args.user, args.fraction);
    let mut out = stdout();
    let _ = if args.json {
        writeln!(
            out,
            "{}",
            serde_json::json!({
                "experiment": args.experiment,
                "user": args.user,
                "fraction": args.fraction,
                "bucket": assignment.bucket,
                "variant": assignment.arm,
            })
        )
    } else {
        writeln!(out, "{}", assignment.arm.as_str())
    };
    Ok(exit_code::SUCCESS)
}

/// Prints the analysis of recorded outcomes; exit 0 whatever the result (it is a report, not
/// a gate).
fn analyze_outcomes(args: &AbAnalyzeArgs, cwd: &Path) -> Result<i32, Error> {
    let path = cwd.join(&args.outcomes);
    let text = std::fs::read_to_string(&path).map_err(|source| Error::read(&path, source))?;
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        return Err(Error::usage(format!(
            "`--confidence` is {}, outside (0, 1)",
            args.confidence
        )));
    }
    let result = experiment::analyze(&text, 1.0 - args.confidence)
        .map_err(|message| Error::usage(format!("{}: {message}", display_path(&path, cwd))))?;
    let mut out = stdout();
    if args.json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&result).expect("a result always serialises")
        );
    } else {
        let _ = writeln!(
            out,
            "control:   n = {}, mean = {:.4}\ntreatment: n = {}, mean = {:.4}\nlift: {}\nWelch t = {:.3}, df = {:.1}, p = {:.4}: {}",
            result.control.count,
            result.control.mean,
            result.treatment.count,
            result.treatment.mean,
            result.lift.map_or_else(
                || "undefined (control mean is 0)".to_owned(),
                crate::util::format::signed_percent
            ),
            result.t,
            result.degrees_of_freedom,
            result.p_value,
            if result.significant {
                format!("significant at {:.2}", result.alpha)
            } else {
                format!("not significant at {:.2}", result.alpha)
            }
        );
    }
    Ok(exit_code::SUCCESS)
}

/// Runs both variants and returns the exit code: 1 when B is significantly worse.
fn compare_variants(
    args: &AbArgs,
    (a_text, b_text): (&str, &str),
    config: &Config,
    cwd: &Path,
) -> Result<i32, Error> {
    crate::cli::support::check_run_numbers(args.concurrency, args.confidence)?;
    let json_path = args
        .json
        .as_deref()
        .map(|path| crate::cli::support::prepare_output(&cwd.join(path)))
        .transpose()?;
    let scratch = tempfile::tempdir().map_err(|error| Error::Infrastructure {
        message: format!("cannot create a scratch directory for registry versions: {error}"),
    })?;
    let a = Variant::parse(a_text, cwd);
    let b = Variant::parse(b_text, cwd);
    let plan_a = plan_for(&a, args, config, cwd, &scratch.path().join("a"))?;
    let plan_b = plan_for(&b, args, config, cwd, &scratch.path().join("b"))?;
    let providers_a = crate::cli::support::providers_for(&plan_a)?;
    let providers_b = crate::cli::support::providers_for(&plan_b)?;
    // The grader is resolved (and its key checked) before any answer is asked for.
    let judging = args
        .judge
        .as_deref()
        .map(|rubric| Judging::resolve(rubric, args, config, cwd))
        .transpose()?;
    let options = RunOptions {
        concurrency: args.concurrency,
        ..RunOptions::default()
    };
    let mut out = stdout();
    let mut outcomes = Vec::with_capacity(2);
    let mut results = Vec::with_capacity(2);
    for (name, plan, providers) in [("A", &plan_a, &providers_a), ("B", &plan_b, &providers_b)] {
        let attempts: u64 = plan
            .cases
            .iter()
            .map(|case| u64::from(case.repeat.repeat))
            .sum();
        let _ = writeln!(
            out,
            "running {name}: {} cases, {attempts} attempts",
            plan.cases.len()
        );
        let (outcome, run_results) = crate::run::execute_collected(plan, providers, &options)?;
        if outcome.interrupted {
            return Ok(outcome.exit_code_or(exit_code::INTERRUPTED));
        }
        outcomes.push(
            plan.cases
                .iter()
                .zip(&run_results)
                .map(|(case, result)| CaseOutcomes::from_result(&case.id, result))
                .collect::<Vec<_>>(),
        );
        results.push(run_results);
    }
    let comparison = compare_ab(&outcomes[0], &outcomes[1], args.confidence);
    let _ = write!(out, "\n{}", render(&comparison, a_text, b_text));
    let judged = judging
        .as_ref()
        .map(|judging| {
            judge_pairs(
                judging,
                [(&plan_a, &results[0][..]), (&plan_b, &results[1][..])],
                &options,
                args.confidence,
            )
        })
        .transpose()?;
    if let Some(path) = &json_path {
        let mut document =
            serde_json::json!({ "a": a_text, "b": b_text, "comparison": comparison });
        if let Some(judge) = &judged {
            document["judge"] = serde_json::to_value(judge).expect("a judgement always serialises");
        }
        let mut bytes =
            serde_json::to_vec_pretty(&document).expect("a comparison always serialises");
        bytes.push(b'\n');
        crate::util::file::write_atomic(path, &bytes)
            .map_err(|source| Error::write(path, source))?;
        let _ = writeln!(out, "wrote {}", display_path(path, cwd));
    }
    if comparison.a.judged == 0 || comparison.b.judged == 0 {
        let _ = writeln!(
            crate::cli::support::stderr(),
            "error: no attempt of {} could be judged; check the targets (`promptci run` shows the errors)",
            if comparison.a.judged == 0 { "A" } else { "B" }
        );
        return Ok(exit_code::INFRASTRUCTURE);
    }
    if let Some(judge) = &judged {
        return Ok(judge_exit_code(judge));
    }
    Ok(if comparison.significantly_worse {
        exit_code::GATE_FAILED
    } else {
        exit_code::SUCCESS
    })
}

/// Has the graders judge every pair both variants answered, in both orders, and prints the
/// judgement.
fn judge_pairs(
    judging: &Judging,
    [a, b]: [(&TestPlan, &[CaseResult]); 2],
    options: &RunOptions,
    confidence: f64,
) -> Result<JudgeComparison, Error> {
    let mut out = stdout();
    let pairs = judging.pairs(a, b);
    let _ = writeln!(
        out,
        "\njudging {} pairs in both orders ({} grader calls)",
        pairs.len(),
        pairs.len() * 2
    );
    let run = crate::run::judge_pairs(&judging.graders, &judging.providers, &pairs, options)?;
    if run.requests > 0 {
        let _ = writeln!(
            out,
            "grader: {} requests, {} prompt + {} completion tokens",
            run.requests, run.usage.prompt_tokens, run.usage.completion_tokens
        );
    }
    let judged: Vec<JudgedPair> = pairs
        .iter()
        .zip(run.verdicts)
        .map(|(pair, verdicts)| {
            let side = |verdict: Result<
                crate::assert::judge::parse::PairwiseAnswer,
                crate::chat::CaseError,
            >| {
                verdict
                    .map(|answer| (answer.winner, answer.reason))
                    .map_err(|error| error.message)
            };
            JudgedPair {
                id: pair.id.clone(),
                attempt: pair.attempt,
                a_first: side(verdicts.a_first),
                b_first: side(verdicts.b_first),
            }
        })
        .collect();
    let judge = compare_pairs(&judged, confidence);
    let _ = write!(
        out,
        "{}",
        render_judge(&judge, &judging.grader_names(), &judging.rubric)
    );
    Ok(judge)
}

/// With `--judge`, the judge's sign test decides the exit code (the pass-rate test is shown
/// for information: two gates at the same α would raise the false-alarm rate): 1 when it finds
/// B significantly worse, 3 when no pair could be judged, else 0.
fn judge_exit_code(judge: &JudgeComparison) -> i32 {
    if judge.a_wins + judge.b_wins + judge.ties == 0 {
        let _ = writeln!(
            crate::cli::support::stderr(),
            "error: the grader judged no pair ({} left out); the pairs above say why",
            judge.errors
        );
        exit_code::INFRASTRUCTURE
    } else if judge.significantly_worse {
        exit_code::GATE_FAILED
    } else {
        exit_code::SUCCESS
    }
}

/// Who judges `ab --judge` pairs: per suite, the grader and the pairwise judge prompt.
struct Judging {
    rubric: Arc<str>,
    /// Each suite's grader (an index in `graders`) and prompt, by suite name.
    suites: HashMap<String, (usize, Arc<JudgePrompt>)>,
    graders: Vec<Target>,
    providers: Vec<Provider>,
}

impl Judging {
    /// Resolves each selected suite's grader (`--grader`, the suite's `grader:`, then
    /// promptci.yaml's) and pairwise prompt (`pairwise-template:` or the built-in one).
    fn resolve(rubric: &str, args: &AbArgs, config: &Config, cwd: &Path) -> Result<Self, Error> {
        let suites = crate::suite::load_suites(&args.select.paths, cwd, &config.root)?;
        let mut resolver = JudgeResolver::new(None);
        let mut problems = InvalidInput::default();
        let mut judging = Self {
            rubric: Arc::from(rubric),
            suites: HashMap::new(),
            graders: Vec::new(),
            providers: Vec::new(),
        };
        for suite in &suites {
            let name = args
                .select
                .grader
                .as_ref()
                .or(suite.grader.as_ref().map(|(name, _, _)| name))
                .or(config.grader.as_ref());
            let Some(name) = name else {
                problems.push(
                    Problem::new(format!("{}: `ab --judge` needs a grader", suite.name)).with_help(
                        "name a target that judges answers: `--grader NAME`, or `grader: NAME` in promptci.yaml or the suite",
                    ),
                );
                continue;
            };
            let grader = match judging.graders.iter().position(|known| &known.name == name) {
                Some(index) => index,
                None => match config.named_target(name) {
                    Ok(target) => {
                        judging.graders.push(target);
                        judging.graders.len() - 1
                    }
                    Err(message) => {
                        problems.push(Problem::new(format!("grader `{name}`: {message}")));
                        continue;
                    }
                },
            };
            match resolver.prompt(JudgeKind::Pairwise, suite) {
                Ok(prompt) => {
                    judging.suites.insert(suite.name.clone(), (grader, prompt));
                }
                Err(problem) => problems.push(problem),
            }
        }
        let mut judging = problems.into_result(judging)?;
        judging.providers = crate::cli::support::providers_for_targets(&judging.graders)?;
        Ok(judging)
    }

    /// The graders' names, for the console.
    fn grader_names(&self) -> String {
        let names: Vec<&str> = self
            .graders
            .iter()
            .map(|grader| grader.name.as_str())
            .collect();
        names.join("`, `")
    }

    /// Every attempt both variants answered, paired by case id and attempt.
    fn pairs(
        &self,
        (plan_a, results_a): (&TestPlan, &[CaseResult]),
        (plan_b, results_b): (&TestPlan, &[CaseResult]),
    ) -> Vec<PairToJudge> {
        let answers_b: HashMap<&str, &CaseResult> = plan_b
            .cases
            .iter()
            .zip(results_b)
            .map(|(case, result)| (case.id.as_str(), result))
            .collect();
        let mut pairs = Vec::new();
        for (case, result_a) in plan_a.cases.iter().zip(results_a) {
            let Some(other) = answers_b.get(case.id.as_str()) else {
                continue;
            };
            let suite = &plan_a.suites[case.suite].name;
            let Some((grader, prompt)) = self.suites.get(suite) else {
                continue;
            };
            // The variants' system prompts are what is compared; the judge sees what the user said.
            let conversation: Arc<[Message]> = case
                .messages
                .iter()
                .filter(|message| message.role != Role::System)
                .cloned()
                .collect();
            for (attempt, (a, b)) in answers(result_a).zip(answers(other)).enumerate() {
                let (Some(a), Some(b)) = (a, b) else { continue };
                pairs.push(PairToJudge {
                    id: case.id.clone(),
                    attempt: u32::try_from(attempt + 1).unwrap_or(u32::MAX),
                    grader: *grader,
                    prompt: Arc::clone(prompt),
                    conversation: Arc::clone(&conversation),
                    rubric: Arc::clone(&self.rubric),
                    a: a.to_owned(),
                    b: b.to_owned(),
                    vars: case.vars.clone(),
                });
            }
        }
        pairs
    }
}

/// Each attempt's answer, in attempt order (`None` where the attempt errored).
fn answers(result: &CaseResult) -> impl Iterator<Item = Option<&str>> {
    let attempts: Vec<&CaseResult> = match &result.repeat {
        Some(record) => record.attempts.iter().collect(),
        None => vec![result],
    };
    attempts
        .into_iter()
        .map(|attempt| attempt.answer.as_deref())
}

/// Loads the selected suites, applies the variant, and plans them with repeats (no early
/// stop: the comparison needs every attempt).
fn plan_for(
    variant: &Variant,
    args: &AbArgs,
    config: &Config,
    cwd: &Path,
    scratch: &Path,
) -> Result<TestPlan, Error> {
    let mut suites = crate::suite::load_suites(&args.select.paths, cwd, &config.root)?;
    let mut overrides = TargetOverrides {
        targets: args.select.target.clone(),
        base_url: args.select.base_url.clone(),
        model: args.select.model.clone(),
    };
    match variant {
        Variant::Target(name) => overrides.targets = vec![name.clone()],
        Variant::Template(path) => {
            if !path.is_file() {
                return Err(Error::usage(format!(
                    "template `{}` does not exist (hint: `--a`/`--b` take a template path, `ID@VERSION` from the registry, or `target:NAME`)",
                    display_path(path, cwd)
                )));
            }
            let (dir, name) = split_template(path);
            suites.retain(|suite| suite.prompt.is_some());
            for suite in &mut suites {
                suite.dir.clone_from(&dir);
                if let Some(prompt) = &mut suite.prompt {
                    prompt.replace_template(&dir, &name, &config.root)?;
                }
            }
        }
        Variant::Registry(text) => {
            let registry = Registry::open(&config.root);
            let selector = Selector::parse(text)
                .map_err(|error| crate::cli::support::into_error(&error, &registry))?;
            let resolved = registry
                .resolve(&selector)
                .map_err(|error| crate::cli::support::into_error(&error, &registry))?;
            for file in &resolved.files {
                let path = scratch.join(&file.name);
                let written = path
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(&path, &file.text));
                written.map_err(|source| Error::Write { path, source })?;
            }
            let entry = resolved.files.first().map(|file| file.name.clone());
            suites.retain(|suite| {
                suite
                    .prompt
                    .as_ref()
                    .is_some_and(|prompt| prompt.id == selector.id)
            });
            for suite in &mut suites {
                scratch.clone_into(&mut suite.dir);
                if let (Some(prompt), Some(entry)) = (&mut suite.prompt, &entry) {
                    prompt.replace_template(scratch, entry, &config.root)?;
                }
            }
        }
    }
    if suites.is_empty() {
        return Err(Error::usage(format!(
            "no selected suite tests a prompt that `{}` can replace (hint: a template variant needs suites with `prompt.template`; `ID@VERSION` needs suites with `prompt.id: ID`)",
            match variant {
                Variant::Template(path) => display_path(path, cwd),
                Variant::Registry(text) | Variant::Target(text) => text.clone(),
            }
        )));
    }
    let options = PlanOptions {
        filters: args.select.filter.clone(),
        tags: args.select.tag.clone(),
        overrides,
        // Both sides must send byte-identical probe payloads for a paired comparison, so
        // without `--seed` the probes use one fixed seed instead of a fresh one per plan.
        probe_seed: Some(args.select.seed.unwrap_or(0)),
        grader: args.select.grader.clone(),
    };
    let mut plan = crate::plan::build(&suites, config, &options)?;
    for case in &mut plan.cases {
        if let Some(repeat) = args.repeat {
            case.repeat.repeat = repeat;
        } else if !case.repeat.is_repeated() {
            case.repeat.repeat = DEFAULT_AB_REPEAT;
        }
        case.repeat.early_stop = false;
    }
    Ok(plan)
}

/// Splits a template path into its directory (where includes resolve) and file name.
fn split_template(path: &Path) -> (PathBuf, String) {
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_parse_by_shape() {
        let cwd = Path::new("/nowhere");
        assert_eq!(
            Variant::parse("target:fast", cwd),
            Variant::Target("fast".to_owned())
        );
        assert_eq!(
            Variant::parse("support@1.2.0", cwd),
            Variant::Registry("support@1.2.0".to_owned())
        );
        assert_eq!(
            Variant::parse("prompts/new.j2", cwd),
            Variant::Template(PathBuf::from("/nowhere/prompts/new.j2"))
        );
    }
}
