//! `promptci list`: the plan, one case id per line with its file and line.

use std::io::Write;
use std::path::Path;

use crate::cli::args::SelectArgs;
use crate::cli::support::{build_plan, stdout};
use crate::config::Config;
use crate::error::{Error, exit_code};
use crate::util::format::plural;

/// Prints every selected case id with its file and line.
pub(crate) fn list(args: &SelectArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    let plan = build_plan(args, config, cwd)?;
    let mut out = stdout();
    for case in &plan.cases {
        let suite = &plan.suites[case.suite];
        let skip = if case.skip.is_some() { " [skip]" } else { "" };
        let file = case.file.as_deref().unwrap_or(&suite.name);
        let _ = writeln!(out, "{}  {file}:{}{skip}", case.id, case.line);
    }
    let _ = writeln!(out, "{}", plural(plan.cases.len(), "case", "cases"));
    Ok(exit_code::SUCCESS)
}
