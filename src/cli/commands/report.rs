//! `promptci report REPORT.json… --html FILE`: renders saved JSON reports as one HTML report.
//! Several reports (the shards of one run, or disjoint runs) are merged first, as `promptci
//! merge` would. It renders and never gates: the run that wrote the reports already decided,
//! so it exits 0 once the page is written.

use std::io::Write;
use std::path::Path;

use crate::cli::args::ReportArgs;
use crate::cli::support::{load_reports, prepare_output, stdout};
use crate::error::Error;
use crate::report::html::{HtmlInput, report_page};
use crate::util::path::display_path;

/// Reads the reports and writes the HTML report.
pub(crate) fn run(args: &ReportArgs, cwd: &Path) -> Result<i32, Error> {
    let html_path = prepare_output(&cwd.join(&args.html))?;
    let mut reports = load_reports(&args.reports, cwd)?;
    let report = if reports.len() == 1 {
        reports.pop().expect("one report").1
    } else {
        crate::results::merge(&reports).map_err(Error::usage)?
    };
    let verdict = crate::decide::report_verdict(&report);
    let page = report_page(&HtmlInput {
        report: &report,
        verdict: &verdict,
        messages: None,
    });
    crate::util::file::write_atomic(&html_path, &page)
        .map_err(|source| Error::write(&html_path, source))?;
    let _ = writeln!(stdout(), "wrote {}", display_path(&html_path, cwd));
    Ok(crate::error::exit_code::SUCCESS)
}
