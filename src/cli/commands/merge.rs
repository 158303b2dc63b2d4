//! `promptci merge`: joins the JSON reports of one run's shards into the report a single run
//! would have written, then writes JSON and JUnit and returns the gate's exit code. Merging itself is [`results::merge`](crate::results::merge).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::args::MergeArgs;
use crate::cli::support::{load_reports, stdout};
use crate::decide::{FailOn, verdict};
use crate::error::{Error, exit_code};
use crate::report::junit;
use crate::results::merge;
use crate::util::format::plural;
use crate::util::path::display_path;

/// Reads the reports, merges them, writes the outputs, and returns the merged run's exit code.
/// `project_root` is where the reports' suite paths start (for the paths of JUnit files and
/// GitHub annotations, which start at the repository root).
pub(crate) fn run(args: &MergeArgs, project_root: &Path, cwd: &Path) -> Result<i32, Error> {
    let json_path = prepare(args.json.as_deref(), cwd)?;
    let junit_path = prepare(args.junit.as_deref(), cwd)?;
    let inputs = load_reports(&args.reports, cwd)?;
    let mut merged = merge(&inputs).map_err(Error::usage)?;
    {
        let mut err = crate::cli::support::stderr();
        for warning in crate::results::merge_warnings(&inputs) {
            let _ = writeln!(err, "warning: {warning}");
        }
    }
    let confidence = crate::decide::report_confidence(&merged);
    crate::results::summarise_targets(&mut merged, confidence);

    let mut written = Vec::new();
    if let Some(path) = &json_path {
        crate::util::file::write_atomic_with(path, |out| crate::report::json::write(&merged, out))
            .map_err(|source| Error::write(path, source))?;
        written.push(("json-report", display_path(path, cwd)));
    }
    if let Some(path) = &junit_path {
        let prefix = crate::cli::support::path_prefix(project_root);
        crate::util::file::write_atomic_with(path, |out| junit::write(&merged, &prefix, out))
            .map_err(|source| Error::write(path, source))?;
        written.push(("junit-report", display_path(path, cwd)));
    }
    let counts = merged.summary.counts;
    let mut out = stdout();
    let _ = writeln!(
        out,
        "merged {}: {}: {} passed, {} failed, {} errors, {} skipped",
        plural(args.reports.len(), "report", "reports"),
        plural(counts.total, "case", "cases"),
        counts.passed,
        counts.failed,
        counts.errors,
        counts.skipped,
    );
    for (_, path) in &written {
        let _ = writeln!(out, "wrote {path}");
    }
    drop(out);
    // A merged run is judged as a single run with these results would have been.
    let code = verdict(
        merged.summary.counts,
        merged.run.interrupted,
        &[],
        None,
        FailOn::Failures,
    )
    .exit_code;
    crate::cli::github::emit(
        args.github,
        &merged,
        code == exit_code::SUCCESS,
        project_root,
        &written,
    )?;
    Ok(code)
}

fn prepare(path: Option<&Path>, cwd: &Path) -> Result<Option<PathBuf>, Error> {
    path.map(|path| crate::cli::support::prepare_output(&cwd.join(path)))
        .transpose()
}
