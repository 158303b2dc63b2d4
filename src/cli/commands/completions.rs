//! `promptci completions SHELL`: the shell's completion script, generated from the clap
//! definitions (so it always knows every command and flag of this binary), on stdout.

use clap::CommandFactory as _;

use crate::cli::args::{Cli, CompletionsArgs};
use crate::cli::support::stdout;
use crate::error::exit_code;

/// Prints the completion script for the shell `args` names.
pub(crate) fn completions(args: &CompletionsArgs) -> i32 {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "promptci", &mut stdout());
    exit_code::SUCCESS
}
