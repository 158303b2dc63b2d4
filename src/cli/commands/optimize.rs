//! `promptci optimize`: searches few-shot demonstrations for a suite's prompt, prints and
//! writes the report, and with `--write` keeps a significant held-out gain as a registry draft.

use std::io::Write;
use std::path::Path;

use crate::cli::args::OptimizeArgs;
use crate::cli::support::stdout;
use crate::config::{Config, TargetOverrides};
use crate::error::{Error, exit_code};
use crate::optimize::{
    Budget, Evaluator, OptimizeReport, Optimized, SearchOptions, Settings, Workspace,
};
use crate::plan::PlanOptions;
use crate::registry::Registry;
use crate::run::RunOptions;
use crate::util::path::display_path;

/// Runs the optimisation and returns the exit code: 0 when it finished (and, with `--write`,
/// a draft was created), 1 when `--write` found no significant gain to keep.
pub(crate) fn run(args: &OptimizeArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    check_numbers(args)?;
    let json_path = args
        .json
        .as_deref()
        .map(|path| crate::cli::support::prepare_output(&cwd.join(path)))
        .transpose()?;
    let suite_path = cwd.join(&args.suite);
    if !suite_path.is_file() {
        return Err(Error::usage(format!(
            "`{}` is not a suite file (hint: `promptci optimize` takes one suite, like `suites/support/support.yaml`)",
            args.suite.display()
        )));
    }
    let suite = crate::suite::load_suite(&suite_path, &config.root)?;
    let examples_file = args
        .examples_file
        .clone()
        .unwrap_or_else(|| format!("{}.j2", args.examples_var));
    let workspace = Workspace::open(suite, &examples_file, &args.examples_var)?;
    // Demonstrations are chosen for one model: `--target`, else the first a suite lists.
    let targets = match (&args.target, workspace.suite.targets.as_slice()) {
        (Some(target), _) => vec![target.clone()],
        (None, [(first, _, _), _, ..]) => vec![first.clone()],
        (None, _) => Vec::new(),
    };
    let plan_options = PlanOptions {
        overrides: TargetOverrides {
            targets,
            base_url: args.base_url.clone(),
            model: args.model.clone(),
        },
        probe_seed: Some(args.seed),
        ..PlanOptions::default()
    };
    // Everything that can be checked is checked before the first request: the prompt renders
    // for every case, the targets resolve and their keys are set.
    let plan = crate::plan::build(
        std::slice::from_ref(&workspace.suite),
        config,
        &plan_options,
    )?;
    crate::decide::validate_prices(&plan, config)?;
    let providers = crate::cli::support::providers_for(&plan)?;
    let cache = crate::cli::support::response_cache(&args.cache, config, cwd, &providers);
    let run_options = RunOptions {
        concurrency: args.concurrency,
        cache,
        ..RunOptions::default()
    };
    let budget = Budget {
        requests: args.budget,
        cost_usd: args.max_cost,
    };
    let mut evaluator = Evaluator::new(config, plan_options, (run_options, providers), budget);
    evaluator.confidence = args.confidence;
    let settings = Settings {
        var: args.examples_var.clone(),
        input_var: args.input_var.clone(),
        output_var: args.output_var.clone(),
        fractions: args.split,
        search: SearchOptions {
            max_demos: usize::try_from(args.max_demos).unwrap_or(usize::MAX),
            candidates: usize::try_from(args.candidates).unwrap_or(usize::MAX),
            seed: args.seed,
        },
        confidence: args.confidence,
    };
    let mut out = stdout();
    let optimized = crate::optimize::optimize(&workspace, &mut evaluator, &settings, |step| {
        let _ = out.write_all(crate::report::optimize::progress_line(&step).as_bytes());
    })?;
    let Optimized::Done(report, chosen_text) = optimized else {
        return Ok(exit_code::INTERRUPTED);
    };
    let _ = out.write_all(crate::report::optimize::render(&report).as_bytes());
    let shown_json = json_path
        .as_deref()
        .map(|path| write_json(&report, path, cwd))
        .transpose()?;
    if !args.write {
        return Ok(exit_code::SUCCESS);
    }
    let significant = report.test.as_ref().is_some_and(|test| test.significant);
    let (true, Some(text)) = (significant, chosen_text) else {
        let _ = writeln!(
            out,
            "nothing written: the chosen demonstrations did not improve the held-out cases significantly"
        );
        return Ok(exit_code::GATE_FAILED);
    };
    write_draft(
        args,
        config,
        &workspace,
        (&report, &text),
        shown_json.as_deref(),
    )
}

/// Refuses numbers that make no sense before anything is read.
fn check_numbers(args: &OptimizeArgs) -> Result<(), Error> {
    crate::cli::support::check_run_numbers(args.concurrency, args.confidence)?;
    if args
        .max_cost
        .is_some_and(|cost| cost.is_nan() || cost <= 0.0)
    {
        return Err(Error::usage(
            "`--max-cost` must be a positive number of US dollars",
        ));
    }
    Ok(())
}

/// Writes the JSON report and returns its path as shown.
fn write_json(report: &OptimizeReport, path: &Path, cwd: &Path) -> Result<String, Error> {
    let mut bytes = serde_json::to_vec_pretty(report).expect("a report always serialises");
    bytes.push(b'\n');
    crate::util::file::write_atomic(path, &bytes).map_err(|source| Error::write(path, source))?;
    let shown = display_path(path, cwd);
    let _ = writeln!(stdout(), "wrote {shown}");
    Ok(shown)
}

/// Writes the chosen demonstrations into the live examples file and snapshots the prompt as
/// a registry draft whose changelog names the run.
fn write_draft(
    args: &OptimizeArgs,
    config: &Config,
    workspace: &Workspace,
    (report, examples): (&OptimizeReport, &str),
    json: Option<&str>,
) -> Result<i32, Error> {
    let path = workspace.live_dir.join(&workspace.examples_file);
    crate::util::file::write_atomic(&path, examples.as_bytes())
        .map_err(|source| Error::write(&path, source))?;
    let test = report.test.as_ref().expect("a significant gain has a test");
    let chosen = report
        .chosen
        .map_or(0, |index| report.candidates[index].demos.len());
    let changelog = format!(
        "promptci optimize: {chosen} few-shot demonstrations in `{}` (seed {}); held-out test {}/{} → {}/{}, McNemar p = {}{}",
        workspace.examples_file,
        report.seed,
        test.current.passed,
        test.current.cases(),
        test.chosen.passed,
        test.chosen.cases(),
        crate::util::format::p_value(test.p_value),
        json.map(|json| format!("; report `{json}`"))
            .unwrap_or_default()
    );
    // The live suite (not the scratch copy) is what the registry snapshots.
    let suite = crate::suite::load_suite(&workspace.suite.path, &config.root)?;
    let registry = Registry::open(&config.root);
    let (_, outcome, notes) = crate::cli::support::new_draft(
        &registry,
        &suite,
        config,
        (args.bump.into(), &changelog),
        // The version is meant for the target the gain was measured on.
        (args.target.clone(), vec!["optimized".to_owned()]),
    )?;
    let mut out = stdout();
    let _ = writeln!(
        out,
        "wrote {}\ncreated `{}` {} (draft) with the chosen demonstrations; review it, then `promptci run --json report.json` and `promptci registry record report.json`",
        workspace.live_file(&config.root),
        outcome.id,
        outcome.version
    );
    crate::cli::support::show_draft_notes(&outcome, notes);
    Ok(exit_code::SUCCESS)
}
