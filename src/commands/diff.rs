//! `promptci diff BASE.json HEAD.json`: the baseline comparison of two saved reports, as text
//! or Markdown tables. Exits 1 when the comparison alone would fail the gate (regressions, or
//! token or cost growth over the limit without a better pass rate), so CI can use it directly.

use std::io::Write;
use std::path::Path;

use crate::app::stdout;
use crate::baseline::{
    CompareOptions, PairedExact, compare, render_markdown, render_text, report_confidence,
};
use crate::cli::DiffArgs;
use crate::error::{Error, exit_code};
use crate::report::json::JsonReport;
use crate::util::path::display_path;

/// Compares two reports and prints the tables.
pub(crate) fn run(args: &DiffArgs, cwd: &Path) -> Result<i32, Error> {
    let base_path = cwd.join(&args.base);
    let head_path = cwd.join(&args.head);
    let base = load_report(&base_path, cwd)?;
    let head = load_report(&head_path, cwd)?;
    let confidence = report_confidence(&head);
    let options = CompareOptions {
        growth: args.growth,
        regression_test: args.regression_test,
        confidence,
    };
    let comparison = compare(
        &base,
        &display_path(&base_path, cwd),
        &head,
        options,
        &PairedExact::new(confidence),
    );
    let text = if args.markdown {
        render_markdown(&comparison)
    } else {
        render_text(&comparison)
    };
    let _ = stdout().write_all(text.trim_start().as_bytes());
    Ok(if comparison.failed() {
        exit_code::GATE_FAILED
    } else {
        exit_code::SUCCESS
    })
}

/// Reads a JSON report written by `promptci run --json` (for `--baseline` and `diff`).
pub(crate) fn load_report(path: &Path, cwd: &Path) -> Result<JsonReport, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::read(path, source))?;
    Ok(JsonReport::parse(&display_path(path, cwd), &text)?)
}
