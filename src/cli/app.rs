//! The command line's entry: parses arguments, runs the command ([`run_command`]), and turns
//! errors into the documented exit codes.

use std::io::Write;
use std::path::Path;

use clap::Parser;

use super::args::{Cli, Command};
use super::commands;
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
    match run_command(&cli) {
        Ok(code) => code,
        Err(error) => {
            use std::io::IsTerminal;
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let _ = super::support::stderr().write_all(error.render(color).as_bytes());
            error.exit_code()
        }
    }
}

/// Finds the configuration and runs the command the arguments name.
fn run_command(cli: &Cli) -> Result<i32, Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::read(Path::new("."), source))?;
    let config = Config::discover(cli.config.as_deref(), &cwd)?;
    match &cli.command {
        Command::Run(args) => commands::run::run(args, &config, &cwd),
        Command::Ab(args) => commands::ab::ab(args, &config, &cwd),
        Command::Check(args) => commands::check::check(args, &config, &cwd),
        Command::List(args) => commands::list::list(args, &config, &cwd),
        Command::Render(args) => commands::render::render(args, &config, &cwd),
        Command::Registry(args) => commands::registry::run(args, &config, &cwd),
        Command::Diff(args) => commands::diff::run(args, cwd.as_path()),
        Command::Tokens(args) => commands::tokens::run(args, &config, &cwd),
        Command::Probes(args) => Ok(commands::probes::run(args)),
        Command::Merge(args) => commands::merge::run(args, &config.root, &cwd),
        Command::Report(args) => commands::report::run(args, &cwd),
        Command::Trend(args) => commands::trend::run(args, &cwd),
    }
}
