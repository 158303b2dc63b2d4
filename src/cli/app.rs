//! The command line's entry: parses arguments, runs the command ([`run_command`]), and turns
//! errors into the documented exit codes.

use std::io::Write;
use std::path::Path;

use clap::Parser;

use super::args::{Cli, Command};
use super::commands;
use super::value_enums::GithubArg;
use crate::config::Config;
use crate::error::{Error, exit_code};

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
    let mut project_root = None;
    match run_command(&cli, &mut project_root) {
        Ok(code) => code,
        Err(error) => {
            use std::io::IsTerminal;
            let color = cli.color.enabled(std::io::stderr().is_terminal());
            let _ = super::support::stderr().write_all(error.render(color).as_bytes());
            let root = project_root
                .or_else(|| std::env::current_dir().ok())
                .unwrap_or_default();
            super::github::emit_error(github_mode(&cli.command), &error, &root);
            error.exit_code()
        }
    }
}

/// Makes the configured limits the ones every judge and template render of this process
/// runs under.
fn apply_limits(limits: &crate::config::Limits) {
    crate::assert::set_command_limits(crate::assert::CommandLimits {
        timeout: limits.command_timeout,
        output_bytes: limits.command_output_bytes,
    });
    crate::template::set_render_fuel(limits.render_fuel);
}

/// Returns the command's `--github` choice; commands without one follow `GITHUB_ACTIONS`.
fn github_mode(command: &Command) -> GithubArg {
    match command {
        Command::Run(args) => args.github,
        Command::Merge(args) => args.github,
        _ => GithubArg::Auto,
    }
}

/// Runs the command the arguments name, finding the configuration for the commands that read
/// it; sets `project_root` once the configuration is found, for the paths of GitHub annotations.
fn run_command(cli: &Cli, project_root: &mut Option<std::path::PathBuf>) -> Result<i32, Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::read(Path::new("."), source))?;
    let mut config = || {
        let config = Config::discover(cli.config.as_deref(), &cwd)?;
        *project_root = Some(config.root.clone());
        apply_limits(&config.limits);
        Ok::<_, Error>(config)
    };
    match &cli.command {
        Command::Run(args) => commands::run::run(args, &config()?, &cwd, cli.color),
        Command::Ab(args) => commands::ab::ab(args, &config()?, &cwd),
        Command::Check(args) => commands::check::check(args, &config()?, &cwd),
        Command::List(args) => commands::list::list(args, &config()?, &cwd),
        Command::Render(args) => commands::render::render(args, &config()?, &cwd),
        Command::Registry(args) => commands::registry::run(args, &config()?, &cwd),
        Command::Tokens(args) => commands::tokens::run(args, &config()?, &cwd),
        Command::Merge(args) => commands::merge::run(args, &config()?.root, &cwd),
        Command::Judge(args) => commands::judge::run(args, &config()?, &cwd),
        Command::Optimize(args) => commands::optimize::run(args, &config()?, &cwd),
        // These read no configuration, so a broken `promptci.yaml` does not stop them.
        Command::Diff(args) => commands::diff::run(args, cwd.as_path()),
        Command::Probes(args) => Ok(commands::probes::run(args)),
        Command::Report(args) => commands::report::run(args, &cwd),
        Command::Trend(args) => commands::trend::run(args, &cwd),
        Command::Init(args) => commands::init::init(args, &cwd),
        Command::Schema(args) => Ok(commands::schema::run(args)),
        Command::Completions(args) => Ok(commands::completions::completions(args)),
        Command::Man(args) => commands::man::man(args),
        Command::Import(args) => commands::import::run(args, &cwd),
    }
}
