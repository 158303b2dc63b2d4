//! Error types, located diagnostics and the process exit codes.
//!
//! [`Error`] is the one error the command line reports; it knows its [`exit_code`](Error::exit_code).
//! [`Problem`] is a single located diagnostic (file, line, column and a snippet), and
//! [`InvalidInput`] collects every problem found in the input so they are reported together.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

use crate::util::format::plural;

/// Documented process exit codes. These values never change.
pub(crate) mod exit_code {
    /// Every gate passed.
    pub(crate) const SUCCESS: i32 = 0;
    /// The gate failed: a case failed, a regression against the baseline, or a budget overrun.
    pub(crate) const GATE_FAILED: i32 = 1;
    /// Invalid input: configuration, suite, template or arguments.
    pub(crate) const INVALID_INPUT: i32 = 2;
    /// Infrastructure: the model could not be reached or kept erroring, reports could not be
    /// written, and nothing failed on its merits.
    pub(crate) const INFRASTRUCTURE: i32 = 3;
    /// The run was interrupted (Ctrl-C, `SIGINT`); reports were still written.
    pub(crate) const INTERRUPTED: i32 = 130;
    /// The run was stopped by `SIGTERM`; reports were still written.
    pub(crate) const TERMINATED: i32 = 143;
    /// The run was stopped by `SIGHUP`; reports were still written.
    pub(crate) const HUNG_UP: i32 = 129;
}

/// A source file held in memory so diagnostics can quote it.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    /// The path shown to users (relative to the project root where possible).
    pub(crate) name: String,
    /// The full text of the file.
    pub(crate) text: Arc<str>,
}

impl SourceFile {
    /// Creates a source file from its display name and text.
    pub(crate) fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Returns the byte offset of a 1-based line and column (columns count characters).
    #[must_use]
    pub(crate) fn offset(&self, line: usize, column: usize) -> usize {
        let mut offset = 0;
        for (index, text) in self.text.split_inclusive('\n').enumerate() {
            if index + 1 == line {
                let within = text
                    .char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(text.trim_end_matches('\n').len(), |(byte, _)| byte);
                return offset + within;
            }
            offset += text.len();
        }
        self.text.len()
    }

    /// Returns the 1-based line and column of a byte offset.
    #[must_use]
    pub(crate) fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// Returns the source to quote for `range` and the range within it: the whole file, or
    /// when a line near the range is too long to show, the lines around it cut to a window.
    fn snippet(&self, range: std::ops::Range<usize>) -> (Snippet, std::ops::Range<usize>) {
        let text: &str = &self.text;
        let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
        let first = match line_start.checked_sub(1) {
            Some(newline) => text[..newline].rfind('\n').map_or(0, |i| i + 1),
            None => 0,
        };
        let line_end = text[range.start..]
            .find('\n')
            .map_or(text.len(), |i| range.start + i);
        let last = text[(line_end + 1).min(text.len())..]
            .find('\n')
            .map_or(text.len(), |i| line_end + 1 + i);
        let around = &text[first..last];
        if around.lines().all(|line| line.len() <= SNIPPET_LINE_LIMIT) {
            let whole = Snippet {
                source: NamedSource::new(self.name.clone(), Arc::clone(&self.text)),
                first_line: 0,
                first_column: 0,
            };
            return (whole, range);
        }
        // The line of the range, cut around its start; the lines before and after it, cut
        // to their beginnings.
        let half = SNIPPET_LINE_LIMIT / 2;
        let cut_start = floor_char_boundary(text, range.start.saturating_sub(half).max(line_start));
        let cut_end = floor_char_boundary(text, (cut_start + SNIPPET_LINE_LIMIT).min(line_end));
        let mut window = String::new();
        if first < line_start {
            window.push_str(&crate::util::format::excerpt(
                &text[first..line_start - 1],
                SNIPPET_LINE_LIMIT,
            ));
            window.push('\n');
        }
        let lead = if cut_start > line_start { "…" } else { "" };
        window.push_str(lead);
        let local_start = window.len() + (range.start - cut_start);
        window.push_str(&text[cut_start..cut_end]);
        let local_end = window
            .len()
            .min(local_start + (range.end - range.start))
            .max(local_start);
        if cut_end < line_end {
            window.push('…');
        }
        if line_end < last {
            window.push('\n');
            window.push_str(&crate::util::format::excerpt(
                &text[line_end + 1..last],
                SNIPPET_LINE_LIMIT,
            ));
        }
        let first_line = text[..first].matches('\n').count();
        // miette counts columns in bytes, and the `…` lead is three of them.
        let first_column = text[line_start..cut_start]
            .chars()
            .count()
            .saturating_sub(lead.len());
        let cut = Snippet {
            source: NamedSource::new(self.name.clone(), Arc::from(window)),
            first_line,
            first_column,
        };
        (cut, local_start..local_end)
    }
}

/// The longest message shown for one problem, in bytes.
const MESSAGE_LIMIT: usize = 2_000;

/// The longest line a snippet shows whole, in bytes; longer ones are cut around the place
/// the problem points at (a 10 MB line used to print tens of megabytes of diagnostics).
const SNIPPET_LINE_LIMIT: usize = 160;

/// Returns the largest character boundary of `text` at or before `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    (0..=index.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// The source a diagnostic quotes: a whole file, or a window of it that starts at line
/// `first_line` (0-based), its problem line cut after `first_column` characters.
#[derive(Debug, Clone)]
struct Snippet {
    source: NamedSource<Arc<str>>,
    first_line: usize,
    first_column: usize,
}

impl miette::SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let contents = self
            .source
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.source.name().to_owned(),
            contents.data(),
            *contents.span(),
            contents.line() + self.first_line,
            contents.column() + self.first_column,
            contents.line_count(),
        )))
    }
}

/// One problem in the input, with its location when it has one.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub(crate) struct Problem {
    message: String,
    #[source_code]
    source_code: Option<Snippet>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    #[help]
    help: Option<String>,
    location: Option<String>,
    /// The file, 1-based line and column, when the problem has a location.
    position: Option<(String, usize, usize)>,
}

impl Problem {
    /// Creates a problem without a location (for example, a missing file).
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source_code: None,
            span: None,
            label: String::new(),
            help: None,
            location: None,
            position: None,
        }
    }

    /// Creates a problem at a place that has no source to quote, such as a row of a streamed
    /// data file: `location` is shown as written (`suites/cases.csv:7:3`).
    pub(crate) fn located(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            location: Some(location.into()),
            ..Self::new(message)
        }
    }

    /// Creates a problem pointing at a byte range in a source file.
    pub(crate) fn at(
        source: &SourceFile,
        range: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let start = range.start.min(source.text.len());
        let end = range.end.clamp(start, source.text.len());
        let (line, column) = source.line_column(start);
        let (snippet, local) = source.snippet(start..end);
        Self {
            message: message.into(),
            source_code: Some(snippet),
            span: Some(SourceSpan::from(local)),
            label: "here".to_owned(),
            help: None,
            location: Some(format!("{}:{line}:{column}", source.name)),
            position: Some((source.name.clone(), line, column)),
        }
    }

    /// Creates a problem pointing at a 1-based line and column in a source file.
    pub(crate) fn at_line(
        source: &SourceFile,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        let start = source.offset(line, column);
        let end = token_end(&source.text, start);
        Self::at(source, start..end, message)
    }

    /// Adds a hint that says what to do.
    #[must_use]
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Drops the source snippet, keeping `file:line:col`: for a line that holds a secret.
    #[must_use]
    pub(crate) fn without_snippet(mut self) -> Self {
        self.source_code = None;
        self.span = None;
        self
    }

    /// Replaces the message, keeping the location and hint.
    #[must_use]
    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Returns the message without location.
    #[must_use]
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// Returns `file:line:col` when the problem has a location.
    #[must_use]
    pub(crate) fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// Returns the file (as shown, relative to the project root), 1-based line and column
    /// when the problem has a location.
    #[must_use]
    pub(crate) fn position(&self) -> Option<(&str, usize, usize)> {
        self.position
            .as_ref()
            .map(|(file, line, column)| (file.as_str(), *line, *column))
    }

    /// Returns the hint, when the problem has one.
    #[must_use]
    pub(crate) fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Renders the problem for a terminal as `severity: file:line:col: message` (`error` or
    /// `warning`), then its snippet or its hint.
    #[must_use]
    pub(crate) fn render(&self, severity: &str, color: bool) -> String {
        // A message may quote a value from the input, which may be huge.
        let message = crate::util::format::excerpt(self.message(), MESSAGE_LIMIT);
        let mut out = match self.location() {
            Some(location) => format!("{severity}: {location}: {message}\n"),
            None => format!("{severity}: {message}\n"),
        };
        if self.source_code.is_some() {
            let handler = miette::GraphicalReportHandler::new_themed(if color {
                miette::GraphicalTheme::unicode()
            } else {
                miette::GraphicalTheme::unicode_nocolor()
            })
            .with_context_lines(1)
            .with_width(100);
            let mut snippet = String::new();
            if handler.render_report(&mut snippet, self).is_ok() {
                out.push_str(snippet_only(&snippet));
            }
        } else if let Some(help) = &self.help {
            out.push_str(&format!("  help: {help}\n"));
        }
        out
    }
}

/// Returns the end of the "word" starting at `start`, so a label underlines a whole token.
fn token_end(text: &str, start: usize) -> usize {
    let rest = &text[start.min(text.len())..];
    let len = rest
        .find(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == ']' || c == '}')
        .unwrap_or(rest.len());
    start + len.max(usize::from(!rest.is_empty()))
}

/// Every problem found in the input, reported together.
#[derive(Debug, Default)]
pub(crate) struct InvalidInput {
    /// The problems, in the order they were found.
    pub(crate) problems: Vec<Problem>,
}

impl InvalidInput {
    /// Returns true when no problem was recorded.
    #[must_use]
    pub(crate) fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// Records a problem.
    pub(crate) fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// Appends the problems of another collection.
    pub(crate) fn extend(&mut self, other: InvalidInput) {
        self.problems.extend(other.problems);
    }

    /// Returns `Ok(value)` when no problem was recorded, else the collected problems.
    pub(crate) fn into_result<T>(self, value: T) -> Result<T, Error> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(Error::Input(self))
        }
    }
}

impl From<Problem> for InvalidInput {
    fn from(problem: Problem) -> Self {
        Self {
            problems: vec![problem],
        }
    }
}

/// The error the command line reports: why promptci could not do its job.
///
/// A failing prompt test is never an `Error`; it is a result.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// Suites, templates, configuration or arguments are invalid.
    #[error("{}", invalid_input_summary(.0))]
    Input(InvalidInput),
    /// A command-line argument is invalid.
    #[error("{message}")]
    Usage {
        /// What is wrong and what to do.
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read `{}`", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A report or other output could not be written.
    #[error("cannot write `{}`", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The model or another service could not be used.
    #[error("{message}")]
    Infrastructure {
        /// What failed and what to check.
        message: String,
    },
}

/// Returns the error's message followed by each of its causes (`cannot read `x`: the file is
/// not UTF-8 …`), for a place that shows one line per error.
#[must_use]
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

fn invalid_input_summary(input: &InvalidInput) -> String {
    let count = input.problems.len();
    format!("invalid input: {}", plural(count, "problem", "problems"))
}

impl Error {
    /// Returns the documented exit code for this error.
    #[must_use]
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            Self::Input(_) | Self::Usage { .. } | Self::Read { .. } => exit_code::INVALID_INPUT,
            Self::Write { .. } | Self::Infrastructure { .. } => exit_code::INFRASTRUCTURE,
        }
    }

    /// Creates a usage error.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::Usage {
            message: message.into(),
        }
    }

    /// Creates a read error for `path`.
    #[must_use]
    pub(crate) fn read(path: &Path, source: std::io::Error) -> Self {
        Self::Read {
            path: path.to_owned(),
            source,
        }
    }

    /// Creates a write error for `path`.
    #[must_use]
    pub(crate) fn write(path: &Path, source: std::io::Error) -> Self {
        Self::Write {
            path: path.to_owned(),
            source,
        }
    }

    /// Renders the error for a terminal or a log: every located problem with its snippet.
    #[must_use]
    pub(crate) fn render(&self, color: bool) -> String {
        let mut out = String::new();
        match self {
            Self::Input(input) => {
                for problem in &input.problems {
                    out.push_str(&problem.render("error", color));
                }
                out.push_str(&format!("error: {self}\n"));
            }
            other => {
                out.push_str(&format!("error: {other}\n"));
                let mut source = std::error::Error::source(other);
                while let Some(cause) = source {
                    out.push_str(&format!("  caused by: {cause}\n"));
                    source = cause.source();
                }
            }
        }
        out
    }
}

/// Drops miette's `× message` lines before the snippet: the `error: file:line:col: message`
/// line above it already says it, and each error is printed once.
fn snippet_only(rendered: &str) -> &str {
    let start = rendered
        .find("╭─")
        .and_then(|frame| rendered[..frame].rfind('\n').map(|line| line + 1))
        .unwrap_or(0);
    &rendered[start..]
}

impl From<InvalidInput> for Error {
    fn from(input: InvalidInput) -> Self {
        Self::Input(input)
    }
}

impl From<Problem> for Error {
    fn from(problem: Problem) -> Self {
        Self::Input(problem.into())
    }
}

/// Suggests the closest candidate to `unknown`, for "did you mean" hints.
#[must_use]
pub(crate) fn did_you_mean<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(unknown, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_line_and_column() {
        let source = SourceFile::new("a.yaml", "one: 1\ntwo: é2\nthree: 3");
        let offset = source.offset(2, 7);
        assert_eq!(&source.text[offset..=offset], "2");
        assert_eq!(source.line_column(offset), (2, 7));
    }

    #[test]
    fn problem_location_names_file_line_and_column() {
        let source = SourceFile::new("suites/a.yaml", "cases:\n  - nme: x\n");
        let problem = Problem::at_line(&source, 2, 5, "unknown field `nme`");
        assert_eq!(problem.location(), Some("suites/a.yaml:2:5"));
        let rendered = Error::from(problem).render(false);
        assert!(
            rendered.contains("suites/a.yaml:2:5: unknown field `nme`"),
            "{rendered}"
        );
        assert!(rendered.contains("nme: x"), "{rendered}");
    }

    #[test]
    fn long_lines_are_cut_around_the_problem_in_snippets() {
        let text = format!("cases:\n  - {{user: {}, bogus: 1}}\n", "h".repeat(100_000));
        let source = SourceFile::new("suites/a.yaml", text.as_str());
        let start = text.find("bogus").unwrap();
        let problem = Problem::at(&source, start..start + 5, "unknown field `bogus`");
        let rendered = Error::from(problem).render(false);
        assert!(rendered.len() < 2_000, "{} bytes", rendered.len());
        assert!(rendered.contains("…hhh"), "{rendered}");
        assert!(rendered.contains("bogus: 1}"), "{rendered}");
        assert!(rendered.contains("[suites/a.yaml:2:"), "{rendered}");
    }

    #[test]
    fn each_problem_is_printed_once_with_its_snippet_and_hint() {
        let source = SourceFile::new("suites/a.yaml", "cases:\n  - nme: x\n");
        let problem = Problem::at_line(&source, 2, 5, "unknown field `nme`")
            .with_help("did you mean `name`?");
        let rendered = Error::from(problem).render(false);
        assert_eq!(
            rendered.matches("unknown field `nme`").count(),
            1,
            "{rendered}"
        );
        assert!(rendered.contains("nme: x"), "{rendered}");
        assert!(rendered.contains("did you mean `name`?"), "{rendered}");
        assert!(
            rendered.ends_with("error: invalid input: 1 problem\n"),
            "{rendered}"
        );
    }

    #[test]
    fn did_you_mean_finds_close_names() {
        assert_eq!(
            did_you_mean("asert", ["assert", "name", "vars"]),
            Some("assert")
        );
        assert_eq!(did_you_mean("zzz", ["assert", "name"]), None);
    }
}
