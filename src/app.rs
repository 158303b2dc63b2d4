//! The commands: each turns parsed arguments into stages and an exit code.
//!
//! This is the only module that writes to stdout and stderr directly; everything below it
//! returns values.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::cli::{Cli, Command, RenderArgs, RunArgs, SelectArgs};
use crate::config::{Config, TargetOverrides};
use crate::error::{Error, InvalidInput, Problem, exit_code, plural};
use crate::plan::{PlanOptions, TestPlan};
use crate::provider::{HttpClient, Provider};
use crate::report::console::{ConsoleReporter, Display, Styles};
use crate::report::{RunMeta, RunSummary, json, junit, write};
use crate::run::{RunOptions, Status};

/// Parses the process arguments, runs the command, and returns the exit code.
#[must_use]
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                exit_code::INVALID_INPUT
            } else {
                exit_code::SUCCESS
            };
            let _ = error.print();
            return code;
        }
    };
    match dispatch(&cli) {
        Ok(code) => code,
        Err(error) => {
            use std::io::IsTerminal;
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let _ = std::io::stderr().write_all(error.render(color).as_bytes());
            error.exit_code()
        }
    }
}

fn dispatch(cli: &Cli) -> Result<i32, Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::read(Path::new("."), source))?;
    let config = Config::discover(cli.config.as_deref(), &cwd)?;
    match &cli.command {
        Command::Run(args) => run(args, &config, &cwd),
        Command::Check(args) => check(args, &config, &cwd),
        Command::List(args) => list(args, &config, &cwd),
        Command::Render(args) => render(args, &config, &cwd),
    }
}

/// Loads suites and builds the plan for the selection.
fn build_plan(select: &SelectArgs, config: &Config, cwd: &Path) -> Result<TestPlan, Error> {
    let suites = crate::plan::load_suites(&select.paths, cwd, &config.root)?;
    let options = PlanOptions {
        filters: select.filter.clone(),
        tags: select.tag.clone(),
        overrides: TargetOverrides {
            target: select.target.clone(),
            base_url: select.base_url.clone(),
            model: select.model.clone(),
        },
    };
    crate::plan::build(&suites, config, &options)
}

fn stdout() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

fn run(args: &RunArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    let plan = build_plan(&args.select, config, cwd)?;
    if args.concurrency == 0 {
        return Err(Error::usage("`--concurrency` must be at least 1"));
    }
    // Everything that can be checked is checked before the first request.
    let junit_path = args
        .junit
        .as_deref()
        .map(|path| write::prepare_output(&cwd.join(path)))
        .transpose()?;
    let json_path = args
        .json
        .as_deref()
        .map(|path| write::prepare_output(&cwd.join(path)))
        .transpose()?;
    let providers = providers_for(&plan)?;

    let started_at = jiff::Timestamp::now();
    let use_color = {
        use std::io::IsTerminal;
        std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
    };
    let styles = if use_color {
        Styles::colored()
    } else {
        Styles::default()
    };
    let mut console = ConsoleReporter::new(stdout(), styles, Display::detect(), plan.cases.len());
    let options = RunOptions {
        concurrency: args.concurrency,
        fail_fast: args.fail_fast,
        handle_interrupts: true,
    };
    let outcome = crate::run::execute(&plan, &providers, &options, |case, result| {
        console.case_finished(case, result);
    })?;
    let meta = RunMeta {
        started_at,
        duration: outcome.duration,
        git_commit: git_commit(&config.root),
        interrupted: outcome.interrupted,
    };
    let summary = RunSummary {
        plan: &plan,
        results: &outcome.results,
        meta: &meta,
    };
    console.finish(&summary);
    let mut written = Vec::new();
    if let Some(path) = &json_path {
        write::write_atomic(path, &json::serialize(&summary))?;
        written.push(path);
    }
    if let Some(path) = &junit_path {
        write::write_atomic(path, &junit::serialize(&summary))?;
        written.push(path);
    }
    for path in written {
        console.note(&format!("wrote {}", display_path(path, cwd)));
    }
    Ok(verdict(
        &summary,
        providers_hint(&plan, &outcome.results).as_deref(),
    ))
}

/// Returns the exit code of a finished run.
fn verdict(summary: &RunSummary<'_>, hint: Option<&str>) -> i32 {
    let counts = summary.counts();
    if summary.meta.interrupted {
        return exit_code::INTERRUPTED;
    }
    if counts.failed > 0 {
        return exit_code::GATE_FAILED;
    }
    if counts.errors > 0 {
        if let Some(hint) = hint {
            let _ = writeln!(std::io::stderr(), "{hint}");
        }
        return exit_code::INFRASTRUCTURE;
    }
    exit_code::SUCCESS
}

/// Says what to check when cases errored.
fn providers_hint(plan: &TestPlan, results: &[crate::run::CaseResult]) -> Option<String> {
    let errored: Vec<_> = plan
        .cases
        .iter()
        .zip(results)
        .filter(|(_, result)| result.status == Status::Error)
        .collect();
    let (case, _) = errored.first()?;
    let target = &plan.targets[case.target];
    Some(format!(
        "error: {} could not be answered by target `{}` (model `{}`{}); check the base URL, the API key variable{} and the model name",
        plural(errored.len(), "case", "cases"),
        target.name,
        target.model,
        target
            .base_url
            .as_deref()
            .map(|url| format!(" at {url}"))
            .unwrap_or_default(),
        target
            .api_key_env
            .as_deref()
            .map(|name| format!(" `{name}`"))
            .unwrap_or_default(),
    ))
}

/// Builds one provider per target of the plan, checking API keys before any request.
fn providers_for(plan: &TestPlan) -> Result<Vec<Provider>, Error> {
    let client = HttpClient::default();
    let mut problems = InvalidInput::default();
    let mut providers = Vec::with_capacity(plan.targets.len());
    for target in &plan.targets {
        match Provider::for_target(target, &client) {
            Ok(provider) => providers.push(provider),
            Err(message) => problems.push(Problem::new(message)),
        }
    }
    problems.into_result(providers)
}

fn check(args: &SelectArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    let plan = build_plan(args, config, cwd)?;
    let _ = writeln!(
        stdout(),
        "ok: {} and {} rendered; nothing was sent",
        plural(plan.suites.len(), "suite", "suites"),
        plural(plan.cases.len(), "case", "cases"),
    );
    Ok(exit_code::SUCCESS)
}

fn list(args: &SelectArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    let plan = build_plan(args, config, cwd)?;
    let mut out = stdout();
    for case in &plan.cases {
        let suite = &plan.suites[case.suite];
        let skip = if case.skip.is_some() { " [skip]" } else { "" };
        let _ = writeln!(out, "{}  {}:{}{skip}", case.id, suite.name, case.line);
    }
    let _ = writeln!(out, "{}", plural(plan.cases.len(), "case", "cases"));
    Ok(exit_code::SUCCESS)
}

fn render(args: &RenderArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    let mut select = args.select.clone();
    if let Some((suite, _)) = args.case.split_once("::")
        && select.paths == [PathBuf::from("suites")]
        && cwd.join(suite).is_file()
    {
        select.paths = vec![PathBuf::from(suite)];
    }
    let plan = build_plan(&select, config, cwd)?;
    let Some(case) = plan.cases.iter().find(|case| case.id == args.case) else {
        let ids: Vec<&str> = plan.cases.iter().map(|case| case.id.as_str()).collect();
        let hint = crate::error::did_you_mean(&args.case, ids.iter().copied()).map_or_else(
            || "run `promptci list` to see case ids".to_owned(),
            |close| format!("did you mean `{close}`?"),
        );
        return Err(Error::usage(format!(
            "no case `{}` (hint: {hint})",
            args.case
        )));
    };
    let mut out = stdout();
    if args.json {
        let text = serde_json::to_string_pretty(&case.messages).expect("messages serialise");
        let _ = writeln!(out, "{text}");
    } else {
        for message in &case.messages {
            let _ = writeln!(
                out,
                "--- {} ---\n{}",
                message.role.as_str(),
                message.content
            );
        }
    }
    Ok(exit_code::SUCCESS)
}

fn display_path(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd).unwrap_or(path).display().to_string()
}

/// Returns the project's git commit: `GITHUB_SHA` in Actions, else `git rev-parse HEAD`.
fn git_commit(root: &Path) -> Option<String> {
    if let Ok(sha) = std::env::var("GITHUB_SHA")
        && !sha.is_empty()
    {
        return Some(sha);
    }
    let output = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|sha| !sha.is_empty())
}
