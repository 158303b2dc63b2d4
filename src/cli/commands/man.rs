//! `promptci man [COMMAND…]`: the man page (roff) of promptci or of one of its commands,
//! generated from the clap definitions, on stdout.

use clap::CommandFactory as _;

use crate::cli::args::{Cli, ManArgs};
use crate::cli::support::stdout;
use crate::error::{Error, exit_code};
use crate::util::format::BacktickList;

/// Prints the man page of the command `args` names (`promptci-run(1)` for `run`), or of
/// promptci itself.
pub(crate) fn man(args: &ManArgs) -> Result<i32, Error> {
    let mut command = Cli::command();
    // Building names every subcommand for its page (`promptci-registry-promote`).
    command.build();
    let mut page = &command;
    for word in &args.command {
        page = page.find_subcommand(word).ok_or_else(|| {
            let known: Vec<&str> = page
                .get_subcommands()
                .map(clap::Command::get_name)
                .filter(|name| *name != "help")
                .collect();
            let name = page.get_bin_name().unwrap_or(page.get_name());
            Error::usage(if known.is_empty() {
                format!("`{name}` has no commands, so no page for `{word}`")
            } else {
                format!(
                    "`{name}` has no command `{word}` (expected {})",
                    BacktickList(&known)
                )
            })
        })?;
    }
    clap_mangen::Man::new(page.clone())
        .render(&mut stdout())
        .map_err(|source| Error::write(std::path::Path::new("<stdout>"), source))?;
    Ok(exit_code::SUCCESS)
}
