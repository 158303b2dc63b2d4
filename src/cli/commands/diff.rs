//! `promptci diff BASE.json HEAD.json`: the baseline comparison of two saved reports, as text
//! or Markdown tables. Exits 1 when the comparison alone would fail the gate (regressions, or
//! token or cost growth over the limit without a better pass rate), so CI can use it directly.

use std::io::Write;
use std::path::Path;

use crate::cli::args::DiffArgs;
use crate::cli::support::{load_report, stdout};
use crate::decide::{CompareOptions, PairedExact, compare_baseline, report_confidence};
use crate::error::{Error, exit_code};
use crate::report::comparison::{render_markdown, render_text};
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
        regression_test: args.regression_test.into(),
        confidence,
    };
    let comparison = compare_baseline(
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
