//! `promptci trend REPORT.json… [--html FILE] [--markdown]`: many runs' JSON reports laid out
//! over time, as an HTML page of charts and/or Markdown on stdout.

use std::io::Write;
use std::path::Path;

use crate::cli::args::TrendArgs;
use crate::cli::support::{load_reports, prepare_output, stdout};
use crate::decide::Trend;
use crate::error::{Error, Problem};
use crate::util::path::display_path;

/// Reads the reports, builds the trend, and writes what was asked for.
pub(crate) fn run(args: &TrendArgs, cwd: &Path) -> Result<i32, Error> {
    if args.html.is_none() && !args.markdown {
        return Err(Error::usage(
            "`promptci trend` needs an output (hint: `--html trend.html` writes charts, `--markdown` prints tables)",
        ));
    }
    let html_path = args
        .html
        .as_deref()
        .map(|path| prepare_output(&cwd.join(path)))
        .transpose()?;
    let reports = load_reports(&args.reports, cwd)?;
    let trend =
        Trend::build(&reports).map_err(|error| {
            Error::from(Problem::new(format!("`{}`: {}", error.file, error.message)).with_help(
            "pass reports written by `promptci run --json`, which record when each run started",
        ))
        })?;
    let mut out = stdout();
    if args.markdown {
        let _ = out.write_all(crate::report::trend::markdown(&trend).as_bytes());
    }
    if let Some(path) = &html_path {
        crate::util::file::write_atomic(path, &crate::report::html::trend_page(&trend))
            .map_err(|source| Error::write(path, source))?;
        if !args.markdown {
            let _ = writeln!(
                out,
                "wrote {}: {}",
                display_path(path, cwd),
                crate::report::trend::title(&trend)
            );
        }
    }
    Ok(crate::error::exit_code::SUCCESS)
}
