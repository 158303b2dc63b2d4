//! GitHub Actions output: workflow-command annotations, the Markdown step summary, and step
//! outputs, all built from a [`JsonReport`].
//!
//! The main type is [`GithubReport`]. The summary also lists flaky and skipped cases, budget
//! overruns and, with a
//! baseline, the comparison as `promptci diff --markdown` renders it. Every function here is
//! pure: it returns the text, and the command line appends it to the files GitHub names
//! (`$GITHUB_STEP_SUMMARY`, `$GITHUB_OUTPUT`). Escaping follows GitHub's toolkit (`@actions/core`, `command.ts`):
//! GitHub un-escapes exactly these sequences, so anything else would show up literally.

use std::fmt::Write as _;

use crate::error::Error;
use crate::results::CaseStatus;
use crate::results::{Flakiness, JsonCase, JsonRepeat, JsonReport};
use crate::util::format::{percent, plural};

/// The most rows the step summary's tables show; GitHub caps a step summary at 1 MiB.
pub(crate) const SUMMARY_ROW_LIMIT: usize = 100;

/// The most characters of a reason or answer shown in one summary table cell.
const CELL_LIMIT: usize = 300;

/// A report as GitHub shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GithubReport<'a> {
    /// The report.
    pub(crate) report: &'a JsonReport,
    /// Where the project root is inside the repository, with a trailing `/` (empty when the
    /// project is the repository root). Suite paths in reports are relative to the project
    /// root, annotations need them relative to the repository root.
    pub(crate) path_prefix: &'a str,
    /// Whether the run's gate passed (failures, regressions and budgets, as `--fail-on`
    /// decided), for the summary's headline.
    pub(crate) gate_passed: bool,
    /// The HTML report written (`--html`), as displayed, for the summary to point at.
    pub(crate) html_report: Option<&'a str>,
    /// The address of the workflow run, whose page lists the artifacts a workflow uploaded.
    pub(crate) run_url: Option<&'a str>,
}

impl GithubReport<'_> {
    /// Returns one workflow command per failed case (`::error`) and errored case (`::warning`),
    /// each on its own line, pointing at the case's line in its suite file.
    #[must_use]
    pub(crate) fn annotations(&self) -> String {
        let mut out = String::new();
        for case in &self.report.cases {
            let (command, message) = match case.status {
                CaseStatus::Failed => ("error", failure_reasons(case).join("\n")),
                CaseStatus::Error => (
                    "warning",
                    case.error.as_ref().map_or_else(
                        || "the case could not be run".to_owned(),
                        |error| format!("not run: {}", error.message),
                    ),
                ),
                CaseStatus::Passed | CaseStatus::Skipped => continue,
            };
            let file = format!("{}{}", self.path_prefix, case.file());
            let _ = writeln!(
                out,
                "::{command} file={},line={},title={}::{}",
                escape_property(&file),
                case.line,
                escape_property(&case.id),
                escape_data(&message),
            );
        }
        out
    }

    /// Returns the Markdown step summary: totals, the failed cases with their reasons, the
    /// errored cases, the flaky cases with their pass counts, and the skipped cases with why.
    #[must_use]
    pub(crate) fn step_summary(&self) -> String {
        let report = self.report;
        let counts = &report.summary.counts;
        let verdict = if self.gate_passed {
            "✅ passed"
        } else {
            "❌ failed"
        };
        let mut out = format!("## promptci: {verdict}\n\n");
        out.push_str("| cases | passed | failed | errors | skipped |\n");
        out.push_str("|---:|---:|---:|---:|---:|\n");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            counts.total, counts.passed, counts.failed, counts.errors, counts.skipped
        );
        let mut facts = Vec::new();
        if !report.run.targets.is_empty() {
            let targets: Vec<String> = report
                .run
                .targets
                .iter()
                .map(|target| format!("`{}` ({})", cell(&target.name), cell(&target.model)))
                .collect();
            facts.push(format!("target: {}", targets.join(", ")));
        }
        let (prompt, completion) = (
            report.summary.prompt_tokens,
            report.summary.completion_tokens,
        );
        if prompt + completion > 0 {
            facts.push(format!("tokens: {prompt} prompt, {completion} completion"));
        }
        if let Some(commit) = &report.run.git_commit {
            facts.push(format!("commit `{}`", cell(commit)));
        }
        if report.run.interrupted {
            facts.push("**interrupted**".to_owned());
        }
        if !facts.is_empty() {
            let _ = writeln!(out, "\n{}", facts.join(" · "));
        }
        self.html_line(&mut out);
        self.failed_table(&mut out);
        self.errored_table(&mut out);
        self.flaky_table(&mut out);
        self.skipped_table(&mut out);
        self.budget_table(&mut out);
        if let Some(comparison) = &report.baseline {
            out.push('\n');
            out.push_str(&crate::report::comparison::render_markdown(comparison));
        }
        // The summaries carry the confidence they were made at: a run's report may hold only
        // the cases this summary lists.
        let confidence = report
            .summary
            .targets
            .iter()
            .find_map(|target| target.pass_rate.map(|rate| rate.confidence))
            .unwrap_or_else(|| crate::decide::report_confidence(report));
        out.push_str(&crate::report::targets::render_markdown(
            &report.summary.targets,
            confidence,
        ));
        out.push('\n');
        out
    }

    /// Points at the HTML report: the file only exists on the runner, so the reader gets it
    /// from the run's artifacts (when the workflow uploads it).
    fn html_line(&self, out: &mut String) {
        let Some(path) = self.html_report else {
            return;
        };
        let _ = match self.run_url {
            Some(url) => writeln!(
                out,
                "\n📄 HTML report: `{}`, in [this run's artifacts]({url}#artifacts) when the workflow uploads it",
                cell(path)
            ),
            None => writeln!(
                out,
                "\n📄 HTML report: `{}` (upload it with `actions/upload-artifact` to read it after the run)",
                cell(path)
            ),
        };
    }

    fn budget_table(&self, out: &mut String) {
        let over: Vec<(&str, String)> = self
            .report
            .suites
            .iter()
            .flat_map(|suite| {
                suite
                    .budgets
                    .iter()
                    .filter(|check| !check.passed)
                    .map(|check| (suite.path.as_str(), check.describe()))
            })
            .collect();
        if over.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n### Over budget\n");
        out.push_str("| suite | budget |\n|---|---|\n");
        for (suite, description) in over {
            let _ = writeln!(
                out,
                "| {}{} | {} |",
                cell(self.path_prefix),
                cell(suite),
                cell(&description)
            );
        }
    }

    fn failed_table(&self, out: &mut String) {
        let failed: Vec<&JsonCase> = self.cases_with(CaseStatus::Failed).collect();
        if failed.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\n### Failed: {}\n",
            plural(failed.len(), "case", "cases")
        );
        out.push_str("| case | where | reasons | answer |\n|---|---|---|---|\n");
        for case in failed.iter().take(SUMMARY_ROW_LIMIT) {
            let reasons: Vec<String> = failure_reasons(case).iter().map(|r| cell(r)).collect();
            let _ = writeln!(
                out,
                "{} {} | {} |",
                self.case_cells(case),
                reasons.join("<br>"),
                case.answer.as_deref().map(cell).unwrap_or_default(),
            );
        }
        more_rows(out, failed.len());
    }

    /// Returns a table row's first cells, shared by every case table: the case's name and
    /// where it is written (from the repository root), ending before the next cell's text.
    fn case_cells(&self, case: &JsonCase) -> String {
        format!(
            "| `{}` | {}{}:{} |",
            cell(&case.name),
            cell(self.path_prefix),
            cell(case.file()),
            case.line
        )
    }

    fn errored_table(&self, out: &mut String) {
        let errored: Vec<&JsonCase> = self.cases_with(CaseStatus::Error).collect();
        if errored.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\n### Errors: {} could not be run\n",
            plural(errored.len(), "case", "cases")
        );
        out.push_str("| case | where | error |\n|---|---|---|\n");
        for case in errored.iter().take(SUMMARY_ROW_LIMIT) {
            let _ = writeln!(
                out,
                "{} {} |",
                self.case_cells(case),
                case.error
                    .as_ref()
                    .map(|error| cell(&error.message))
                    .unwrap_or_default(),
            );
        }
        more_rows(out, errored.len());
    }

    /// Lists repeated cases whose attempts disagreed, whatever their verdict: a flaky case
    /// that passed this time is the one most likely to fail the next pull request.
    fn flaky_table(&self, out: &mut String) {
        let flaky: Vec<(&JsonCase, &JsonRepeat)> = self
            .report
            .cases
            .iter()
            .filter_map(|case| {
                let repeat = case.repeat.as_ref()?;
                (repeat.classification == Some(Flakiness::Flaky)).then_some((case, repeat))
            })
            .collect();
        if flaky.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\n### Flaky: {} (attempts disagreed)\n",
            plural(flaky.len(), "case", "cases")
        );
        out.push_str(
            "| case | where | verdict | attempts passed | interval |\n|---|---|---|---|---|\n",
        );
        for (case, repeat) in flaky.iter().take(SUMMARY_ROW_LIMIT) {
            let _ = writeln!(
                out,
                "{} {} | {}/{} ({}, required {}) | {}–{} at {} |",
                self.case_cells(case),
                case.status.as_str(),
                repeat.passed,
                repeat.passed + repeat.failed,
                percent(repeat.rate),
                percent(repeat.required_rate),
                percent(repeat.interval.low),
                percent(repeat.interval.high),
                percent(repeat.confidence),
            );
        }
        more_rows(out, flaky.len());
    }

    /// Lists skipped cases with their reasons, so a skip cannot hide in a green check.
    fn skipped_table(&self, out: &mut String) {
        let skipped: Vec<&JsonCase> = self.cases_with(CaseStatus::Skipped).collect();
        if skipped.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\n### Skipped: {}\n",
            plural(skipped.len(), "case", "cases")
        );
        out.push_str("| case | where | reason |\n|---|---|---|\n");
        for case in skipped.iter().take(SUMMARY_ROW_LIMIT) {
            let _ = writeln!(
                out,
                "{} {} |",
                self.case_cells(case),
                case.skip_reason.as_deref().map(cell).unwrap_or_default(),
            );
        }
        more_rows(out, skipped.len());
    }

    fn cases_with(&self, status: CaseStatus) -> impl Iterator<Item = &JsonCase> {
        self.report
            .cases
            .iter()
            .filter(move |case| case.status == status)
    }
}

/// Returns step outputs in the `name=value` lines `$GITHUB_OUTPUT` takes: the counts, the
/// regressions against the baseline (0 without one), and the report paths that were written.
#[must_use]
pub(crate) fn outputs(report: &JsonReport, report_paths: &[(&str, String)]) -> String {
    let counts = &report.summary.counts;
    let mut out = String::new();
    let regressions = report
        .baseline
        .as_ref()
        .map_or(0, |comparison| comparison.regressions.len());
    for (name, value) in [
        ("total", counts.total),
        ("passed", counts.passed),
        ("failed", counts.failed),
        ("errors", counts.errors),
        ("skipped", counts.skipped),
        ("regressions", regressions),
    ] {
        let _ = writeln!(out, "{name}={value}");
    }
    for (name, path) in report_paths {
        out.push_str(&output_line(name, path));
    }
    out
}

/// Returns one `$GITHUB_OUTPUT` entry, in the heredoc form when the value has a line break
/// (the one-line form would end the value there).
fn output_line(name: &str, value: &str) -> String {
    if !value.contains(['\n', '\r']) {
        return format!("{name}={value}\n");
    }
    let mut delimiter = String::from("promptci_EOF");
    while value.contains(&delimiter) {
        delimiter.push('_');
    }
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

/// Returns the annotations for an error that stopped promptci: one `::error` per located
/// problem of invalid input, at its file, line and column (relative to the repository root
/// through `path_prefix`), and one without a location for anything else.
#[must_use]
pub(crate) fn error_annotations(error: &Error, path_prefix: &str) -> String {
    let title = error_title(error);
    let mut out = String::new();
    let Error::Input(input) = error else {
        let _ = writeln!(
            out,
            "::error title={}::{}",
            escape_property(title),
            escape_data(&error.to_string())
        );
        return out;
    };
    for problem in &input.problems {
        let message = match problem.help() {
            Some(help) => format!("{}\nhelp: {help}", problem.message()),
            None => problem.message().to_owned(),
        };
        match problem.position() {
            Some((file, line, column)) => {
                let _ = writeln!(
                    out,
                    "::error file={},line={line},col={column},title={}::{}",
                    escape_property(&format!("{path_prefix}{file}")),
                    escape_property(title),
                    escape_data(&message)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "::error title={}::{}",
                    escape_property(title),
                    escape_data(&message)
                );
            }
        }
    }
    out
}

/// Returns the step summary for an error that stopped promptci: what kind, the exit code, and
/// each problem with its place.
#[must_use]
pub(crate) fn error_summary(error: &Error, path_prefix: &str) -> String {
    let mut out = format!(
        "## promptci: ❌ {} (exit {})\n\n",
        error_title(error).trim_start_matches("promptci: "),
        error.exit_code()
    );
    let Error::Input(input) = error else {
        let _ = writeln!(out, "{}\n", cell(&error.to_string()));
        return out;
    };
    let _ = writeln!(
        out,
        "No case ran: {} in the input.\n",
        plural(input.problems.len(), "problem", "problems")
    );
    out.push_str("| where | problem |\n|---|---|\n");
    for problem in input.problems.iter().take(SUMMARY_ROW_LIMIT) {
        let place = problem
            .position()
            .map(|(file, line, column)| {
                format!(
                    "`{}:{line}:{column}`",
                    cell(&format!("{path_prefix}{file}"))
                )
            })
            .unwrap_or_default();
        let _ = writeln!(out, "| {place} | {} |", cell(problem.message()));
    }
    more_rows(&mut out, input.problems.len());
    out.push('\n');
    out
}

fn error_title(error: &Error) -> &'static str {
    if error.exit_code() == crate::error::exit_code::INVALID_INPUT {
        "promptci: invalid input"
    } else {
        "promptci: could not run"
    }
}

/// Escapes a workflow command's message: `%`, CR and LF (and breaks up `##[`).
#[must_use]
pub(crate) fn escape_data(text: &str) -> String {
    // `##[` needs no escape inside a well-formed `::` command, which the runner reads first;
    // it is broken up anyway, so no line promptci prints can hold a legacy command.
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace("##[", "#%23[")
}

/// Escapes a workflow command's property value: as [`escape_data`], plus `:` and `,`, which
/// would otherwise end the property.
#[must_use]
pub(crate) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn failure_reasons(case: &JsonCase) -> Vec<String> {
    let reasons = case.failed_assertions();
    if reasons.is_empty() {
        vec!["the case failed".to_owned()]
    } else {
        reasons
    }
}

/// Makes text safe inside one Markdown table cell: no line breaks or pipes, no raw HTML, and
/// cut to a readable length.
fn cell(text: &str) -> String {
    let mut cut: String = text.chars().take(CELL_LIMIT).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('`', "'")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

fn more_rows(out: &mut String, shown_of: usize) {
    if shown_of > SUMMARY_ROW_LIMIT {
        let _ = writeln!(
            out,
            "\n…and {} more (see the JSON or JUnit report)",
            shown_of - SUMMARY_ROW_LIMIT
        );
    }
}

/// Returns a line of console text that the Actions runner will not read as a workflow command.
///
/// The runner takes `::name …::` at the start of a line after leading blanks, and the legacy
/// `##[name …]` anywhere in one; lines end at LF and at a lone CR, so `line` must hold
/// neither. A leading `::` becomes `%3A:` and every `##[` becomes `#%23[`, the escapes the
/// runner's own format uses; anything else is returned as it is.
#[must_use]
pub(crate) fn inert_line(line: &str) -> std::borrow::Cow<'_, str> {
    let start = line.len() - line.trim_start().len();
    let leading = line[start..].starts_with("::");
    if !leading && !line.contains("##[") {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut text = line.to_owned();
    if leading {
        text.replace_range(start..=start, "%3A");
    }
    std::borrow::Cow::Owned(text.replace("##[", "#%23["))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert::AssertionResult;
    use crate::results::CaseError;
    use crate::results::Counts;
    use crate::results::json_report::JsonSummary;

    #[test]
    fn console_lines_cannot_be_workflow_commands() {
        assert_eq!(inert_line("PASS suites/a.yaml::c"), "PASS suites/a.yaml::c");
        assert_eq!(inert_line("::add-mask::x"), "%3A:add-mask::x");
        assert_eq!(
            inert_line(" \u{a0}\t::stop-commands::t"),
            " \u{a0}\t%3A:stop-commands::t"
        );
        assert_eq!(inert_line("x ##[error]y ###[z"), "x #%23[error]y ##%23[z");
    }

    fn case(id: &str, line: usize, status: CaseStatus) -> JsonCase {
        let (suite, name) = id.split_once("::").unwrap();
        serde_json::from_value(serde_json::json!({
            "id": id, "suite": suite, "name": name, "line": line,
            "status": status.as_str(),
        }))
        .unwrap()
    }

    fn report(cases: Vec<JsonCase>) -> JsonReport {
        let mut counts = Counts::default();
        for case in &cases {
            counts.add(case.status);
        }
        JsonReport {
            format_version: 1,
            run: serde_json::from_value(serde_json::json!({
                "started_at": "2026-01-01T00:00:00Z", "duration_ms": 5,
            }))
            .unwrap(),
            summary: JsonSummary {
                counts,
                prompt_tokens: 0,
                completion_tokens: 0,
                cost_usd: None,
                flaky: Vec::new(),
                ..JsonSummary::default()
            },
            suites: Vec::new(),
            cases,
            baseline: None,
        }
    }

    fn failing(id: &str, line: usize, reason: &str) -> JsonCase {
        let mut case = case(id, line, CaseStatus::Failed);
        case.assertions = vec![
            AssertionResult::new("contains", true, ""),
            AssertionResult::new("regex", false, reason),
        ];
        case.answer = Some("a | b\nc".to_owned());
        case
    }

    #[test]
    fn escapes_as_the_toolkit_does() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("s/a.yaml::x,y%"), "s/a.yaml%3A%3Ax%2Cy%25");
    }

    #[test]
    fn annotates_failures_as_errors_and_errored_cases_as_warnings() {
        let mut errored = case("suites/b.yaml::down", 9, CaseStatus::Error);
        errored.error = Some(CaseError {
            kind: crate::chat::ProviderErrorKind::Connect,
            status: None,
            message: "connection refused".to_owned(),
        });
        let report = report(vec![
            case("suites/a.yaml::ok", 3, CaseStatus::Passed),
            failing("suites/a.yaml::bad", 7, "no match for `x`\n100%"),
            errored,
        ]);
        let text = GithubReport {
            report: &report,
            path_prefix: "app/",
            gate_passed: false,
            html_report: None,
            run_url: None,
        }
        .annotations();
        assert_eq!(
            text,
            "::error file=app/suites/a.yaml,line=7,title=suites/a.yaml%3A%3Abad::regex: no match for `x`%0A100%25\n\
             ::warning file=app/suites/b.yaml,line=9,title=suites/b.yaml%3A%3Adown::not run: connection refused\n"
        );
    }

    #[test]
    fn summary_has_totals_and_a_safe_failure_table() {
        let report = report(vec![
            case("suites/a.yaml::ok", 3, CaseStatus::Passed),
            failing("suites/a.yaml::bad", 7, "missing <b>|x</b>"),
        ]);
        let text = GithubReport {
            report: &report,
            path_prefix: "",
            gate_passed: false,
            html_report: None,
            run_url: None,
        }
        .step_summary();
        assert!(text.starts_with("## promptci: ❌ failed\n"), "{text}");
        assert!(text.contains("| 2 | 1 | 1 | 0 | 0 |"), "{text}");
        assert!(text.contains("### Failed: 1 case"), "{text}");
        assert!(
            text.contains(
                "| `bad` | suites/a.yaml:7 | regex: missing &lt;b&gt;\\|x&lt;/b&gt; | a \\| b<br>c |"
            ),
            "{text}"
        );
        assert!(!text.contains("### Errors"), "{text}");
    }

    fn flaky(id: &str, line: usize, status: CaseStatus, passed: u32, failed: u32) -> JsonCase {
        let mut case = case(id, line, status);
        case.repeat = Some(serde_json::from_value(serde_json::json!({
            "planned": passed + failed, "sent": passed + failed, "passed": passed,
            "failed": failed, "errors": 0,
            "rate": f64::from(passed) / f64::from(passed + failed), "required_rate": 0.8,
            "confidence": 0.95, "interval": {"low": 0.3, "high": 0.9},
            "classification": if passed == 0 { "always-fail" } else if failed == 0 { "always-pass" } else { "flaky" },
        })).unwrap());
        case
    }

    fn summary_of(report: &JsonReport) -> String {
        GithubReport {
            report,
            path_prefix: "app/",
            gate_passed: true,
            html_report: None,
            run_url: None,
        }
        .step_summary()
    }

    #[test]
    fn summary_lists_flaky_cases_with_pass_counts_whatever_their_verdict() {
        let report = report(vec![
            flaky("suites/a.yaml::steady", 3, CaseStatus::Passed, 5, 0),
            flaky("suites/a.yaml::wobbly", 8, CaseStatus::Passed, 4, 1),
            flaky("suites/a.yaml::shaky", 12, CaseStatus::Failed, 2, 3),
        ]);
        let text = summary_of(&report);
        assert!(
            text.contains(
                "### Flaky: 2 cases (attempts disagreed)\n\n\
                 | case | where | verdict | attempts passed | interval |\n\
                 |---|---|---|---|---|\n\
                 | `wobbly` | app/suites/a.yaml:8 | passed | 4/5 (80%, required 80%) | 30%–90% at 95% |\n\
                 | `shaky` | app/suites/a.yaml:12 | failed | 2/5 (40%, required 80%) | 30%–90% at 95% |\n"
            ),
            "{text}"
        );
        assert!(!text.contains("steady"), "{text}");
    }

    #[test]
    fn summary_lists_skipped_cases_with_their_reasons() {
        let mut skipped = case("suites/a.yaml::later", 4, CaseStatus::Skipped);
        skipped.skip_reason = Some("waits for | the fix".to_owned());
        let unexplained = case("suites/a.yaml::quiet", 9, CaseStatus::Skipped);
        let report = report(vec![
            case("suites/a.yaml::ok", 2, CaseStatus::Passed),
            skipped,
            unexplained,
        ]);
        let text = summary_of(&report);
        assert!(
            text.contains(
                "### Skipped: 2 cases\n\n\
                 | case | where | reason |\n\
                 |---|---|---|\n\
                 | `later` | app/suites/a.yaml:4 | waits for \\| the fix |\n\
                 | `quiet` | app/suites/a.yaml:9 |  |\n"
            ),
            "{text}"
        );
        assert!(!text.contains("### Flaky"), "{text}");
    }

    #[test]
    fn summary_tables_stop_at_the_row_limit() {
        let cases = (0..SUMMARY_ROW_LIMIT + 3)
            .flat_map(|n| {
                [
                    case(&format!("s.yaml::skip{n}"), n, CaseStatus::Skipped),
                    flaky(&format!("s.yaml::flaky{n}"), n, CaseStatus::Passed, 3, 1),
                ]
            })
            .collect();
        let text = summary_of(&report(cases));
        assert_eq!(text.matches("| `skip").count(), SUMMARY_ROW_LIMIT, "{text}");
        assert_eq!(
            text.matches("| `flaky").count(),
            SUMMARY_ROW_LIMIT,
            "{text}"
        );
        assert_eq!(
            text.matches("…and 3 more (see the JSON or JUnit report)")
                .count(),
            2,
            "{text}"
        );
    }

    #[test]
    fn outputs_use_the_heredoc_form_for_multiline_values() {
        let report = report(vec![case("s.yaml::a", 1, CaseStatus::Passed)]);
        let text = outputs(
            &report,
            &[
                ("json-report", "out/r.json".to_owned()),
                ("odd", "a\nb".to_owned()),
            ],
        );
        assert_eq!(
            text,
            "total=1\npassed=1\nfailed=0\nerrors=0\nskipped=0\nregressions=0\njson-report=out/r.json\nodd<<promptci_EOF\na\nb\npromptci_EOF\n"
        );
    }
}
