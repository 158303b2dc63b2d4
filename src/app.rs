//! The command line's entry: parses arguments, dispatches to [`commands`](crate::commands), and
//! turns errors into the documented exit codes.
//!
//! `app` and `commands` are the only modules that write to stdout and stderr directly;
//! everything below them returns values.

use std::io::Write;
use std::path::Path;

use clap::Parser;

use crate::cli::{Cli, Command, SelectArgs};
use crate::commands;
use crate::config::{Config, TargetOverrides};
use crate::error::{Error, exit_code};
use crate::plan::{PlanOptions, TestPlan};

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
        Command::Run(args) => commands::run::run(args, &config, &cwd),
        Command::Ab(args) => commands::ab::ab(args, &config, &cwd),
        Command::Check(args) => commands::inspect::check(args, &config, &cwd),
        Command::List(args) => commands::inspect::list(args, &config, &cwd),
        Command::Render(args) => commands::inspect::render(args, &config, &cwd),
        Command::Registry(args) => commands::registry::run(args, &config, &cwd),
        Command::Diff(args) => commands::diff::run(args, cwd.as_path()),
        Command::Tokens(args) => commands::tokens::run(args, &config, &cwd),
        Command::Probes(args) => Ok(commands::probes::run(args)),
        Command::Merge(args) => commands::merge::run(args, &config.root, &cwd),
    }
}

/// Loads suites and builds the plan for the selection (`--changed-since` picks suites before
/// rendering; `--shard` cuts the finished plan).
pub(crate) fn build_plan(
    select: &SelectArgs,
    config: &Config,
    cwd: &Path,
) -> Result<TestPlan, Error> {
    let mut suites = crate::suite::load_suites(&select.paths, cwd, &config.root)?;
    if let Some(reference) = &select.changed_since {
        let changed = crate::changed::ChangedFiles::since(reference, cwd)?;
        // A changed `promptci.yaml` can change any suite's target, so every suite stays.
        let config_changed = config
            .path
            .as_deref()
            .is_some_and(|path| changed.contains(path));
        if !config_changed {
            suites.retain(|suite| changed.touches(suite));
        }
    }
    let options = PlanOptions {
        filters: select.filter.clone(),
        tags: select.tag.clone(),
        overrides: TargetOverrides {
            target: select.target.clone(),
            base_url: select.base_url.clone(),
            model: select.model.clone(),
        },
        probe_seed: select.seed,
    };
    let plan = crate::plan::build(&suites, config, &options)?;
    Ok(match select.shard {
        Some(shard) => shard.select(plan),
        None => plan,
    })
}

/// Returns a locked stdout for command output.
pub(crate) fn stdout() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}
