//! Writes GitHub Actions output for `run` and `merge`: annotations on stdout, the step summary
//! and step outputs appended to the files GitHub names. The text comes from
//! [`report::github`](crate::report::github).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::support::{path_prefix, workflow_commands};
use super::value_enums::GithubArg;
use crate::error::Error;
use crate::report::github::{GithubReport, outputs};
use crate::results::JsonReport;

/// Returns whether GitHub output is wanted.
pub(crate) fn is_enabled(mode: GithubArg) -> bool {
    match mode {
        GithubArg::Auto => std::env::var("GITHUB_ACTIONS").is_ok_and(|value| value == "true"),
        GithubArg::Always => true,
        GithubArg::Never => false,
    }
}

/// Prints annotations and appends the step summary and outputs, when `mode` asks for them.
/// `report_paths` are the reports written, as (output name, path) pairs.
pub(crate) fn emit(
    mode: GithubArg,
    report: &JsonReport,
    gate_passed: bool,
    project_root: &Path,
    report_paths: &[(&str, String)],
) -> Result<(), Error> {
    if !is_enabled(mode) {
        return Ok(());
    }
    let prefix = path_prefix(project_root);
    let run_url = run_url();
    let github = GithubReport {
        report,
        path_prefix: &prefix,
        gate_passed,
        html_report: report_paths
            .iter()
            .find(|(name, _)| *name == "html-report")
            .map(|(_, path)| path.as_str()),
        run_url: run_url.as_deref(),
    };
    let mut out = workflow_commands();
    let _ = out.write_all(github.annotations().as_bytes());
    let _ = out.flush();
    if let Some(path) = env_path("GITHUB_STEP_SUMMARY") {
        append(&path, github.step_summary().as_bytes())?;
    }
    if let Some(path) = env_path("GITHUB_OUTPUT") {
        append(&path, outputs(report, report_paths).as_bytes())?;
    }
    Ok(())
}

/// Prints the annotations for an error that stopped promptci and appends its step summary,
/// when `mode` asks for GitHub output; `project_root` is where problem paths are relative to.
/// Nothing here may fail louder than the error itself, so write failures are ignored.
pub(crate) fn emit_error(mode: GithubArg, error: &Error, project_root: &Path) {
    if !is_enabled(mode) {
        return;
    }
    let prefix = path_prefix(project_root);
    let mut out = workflow_commands();
    let _ = out.write_all(crate::report::github::error_annotations(error, &prefix).as_bytes());
    let _ = out.flush();
    if let Some(path) = env_path("GITHUB_STEP_SUMMARY") {
        let summary = crate::report::github::error_summary(error, &prefix);
        let _ = append(&path, summary.as_bytes());
    }
}

/// Returns the address of the current workflow run, from the variables Actions sets.
fn run_url() -> Option<String> {
    let variable = |name| std::env::var(name).ok().filter(|value| !value.is_empty());
    Some(format!(
        "{}/{}/actions/runs/{}",
        variable("GITHUB_SERVER_URL")?.trim_end_matches('/'),
        variable("GITHUB_REPOSITORY")?,
        variable("GITHUB_RUN_ID")?
    ))
}

/// Appends `bytes` to `path`, creating the file: how GitHub's step summary and output files
/// are written (other steps append to them too, so they are never replaced).
pub(crate) fn append(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let error = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(error)?;
    file.write_all(bytes).map_err(error)
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}
