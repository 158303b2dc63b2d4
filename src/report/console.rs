//! The console report: a line per case (or a progress bar on a terminal) and a summary table.
//!
//! The main type is [`ConsoleReporter`]. Text is built by pure functions ([`case_line`],
//! [`summary_table`]) and written to any `Write`, so tests capture it; colour comes from
//! [`Styles`], colourless by default.

use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::assert::AssertionResult;
use crate::plan::TestInstance;
use crate::results::{CaseResult, CaseStatus};
use crate::results::{FlakyCase, RunSummary, RunTally};
use crate::util::format::{percent, plural};

/// ANSI styles for the console; empty strings when colour is off.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Styles {
    /// Passed.
    pub(crate) pass: &'static str,
    /// Failed and errored.
    pub(crate) fail: &'static str,
    /// Skipped and secondary text.
    pub(crate) dim: &'static str,
    /// Ends a style.
    pub(crate) reset: &'static str,
}

impl Styles {
    /// Returns colour styles.
    #[must_use]
    pub(crate) fn colored() -> Self {
        Self {
            pass: "\x1b[32m",
            fail: "\x1b[31m",
            dim: "\x1b[2m",
            reset: "\x1b[0m",
        }
    }
}

/// How cases are shown while the run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Display {
    /// A progress bar; only failures and errors get lines (for terminals).
    Progress,
    /// One plain line per case (for CI logs and pipes).
    Lines,
}

impl Display {
    /// Chooses a progress bar on an interactive terminal, plain lines in CI or a pipe.
    #[must_use]
    pub(crate) fn detect() -> Self {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            Self::Progress
        } else {
            Self::Lines
        }
    }
}

/// Shows progress and results on the console.
pub(crate) struct ConsoleReporter<W: Write> {
    out: W,
    styles: Styles,
    progress: Option<ProgressBar>,
}

impl<W: Write> std::fmt::Debug for ConsoleReporter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleReporter")
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

impl<W: Write> ConsoleReporter<W> {
    /// Creates a reporter writing lines to `out`; a progress bar (on stderr) for `total` cases
    /// when `display` asks for one.
    pub(crate) fn new(out: W, styles: Styles, display: Display, total: usize) -> Self {
        let progress = (display == Display::Progress).then(|| {
            let bar = ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} cases {msg}",
                )
                .expect("the progress template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            out,
            styles,
            progress,
        }
    }

    /// Shows one finished case.
    pub(crate) fn case_finished(&mut self, case: &TestInstance, result: &CaseResult) {
        let line = case_line(case, result, self.styles);
        match &self.progress {
            Some(bar) => {
                bar.inc(1);
                if matches!(result.status, CaseStatus::Failed | CaseStatus::Error) {
                    let out = &mut self.out;
                    bar.suspend(|| {
                        let _ = out.write_all(line.as_bytes());
                    });
                }
            }
            None => {
                let _ = self.out.write_all(line.as_bytes());
            }
        }
    }

    /// Removes the progress bar and writes the summary table with the gate's sections and
    /// verdict.
    pub(crate) fn finish(&mut self, summary: &RunSummary<'_>, gate: Option<&GateLines<'_>>) {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
        let _ = self
            .out
            .write_all(summary_table(summary, self.styles, gate).as_bytes());
        if let Some(retried) = retry_note(summary.tally) {
            let _ = writeln!(self.out, "{retried}");
        }
        let _ = self.out.flush();
    }

    /// Writes a free-form line (warnings, notes) without breaking the progress bar.
    pub(crate) fn note(&mut self, text: &str) {
        let out = &mut self.out;
        let mut write = || {
            let _ = writeln!(out, "{text}");
        };
        match &self.progress {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

/// Returns the console line(s) for a finished case.
#[must_use]
pub(crate) fn case_line(case: &TestInstance, result: &CaseResult, styles: Styles) -> String {
    let (label, style) = match result.status {
        CaseStatus::Passed => ("PASS ", styles.pass),
        CaseStatus::Failed => ("FAIL ", styles.fail),
        CaseStatus::Error => ("ERROR", styles.fail),
        CaseStatus::Skipped => ("SKIP ", styles.dim),
    };
    let mut line = format!("{style}{label}{} {}", styles.reset, case.id);
    if let Some(record) = result.repeat.as_deref() {
        line.push_str(&format!(
            " {}[{}/{} passed{}]{}",
            styles.dim,
            record.passed,
            record.judged(),
            record
                .flakiness
                .map(|flakiness| format!(", {}", flakiness.as_str()))
                .unwrap_or_default(),
            styles.reset
        ));
    }
    if let Some(latency) = result.latency_ms {
        line.push_str(&format!(" {}{latency} ms{}", styles.dim, styles.reset));
    }
    if result.cached {
        line.push_str(&format!(" {}(cached){}", styles.dim, styles.reset));
    }
    line.push('\n');
    match result.status {
        CaseStatus::Failed => {
            for assertion in result.assertions.iter().filter(|result| !result.passed) {
                line.push_str(&format!(
                    "      {}✗{} {}: {}{}\n",
                    styles.fail,
                    styles.reset,
                    assertion.kind,
                    assertion.reason,
                    judged_by(assertion, styles)
                ));
            }
        }
        CaseStatus::Error => {
            if let Some(error) = &result.error {
                line.push_str(&format!("      {}\n", error.message));
            }
        }
        CaseStatus::Skipped => {
            if let Some(reason) = &result.skip_reason {
                line.push_str(&format!("      {}{reason}{}\n", styles.dim, styles.reset));
            }
        }
        CaseStatus::Passed => {}
    }
    for assertion in &result.assertions {
        if let Some(judge) = assertion.judge.as_deref().filter(|judge| judge.split) {
            line.push_str(&format!(
                "      {}split vote:{} `{}` {} of {} votes passed; the judge disagrees with itself on this answer{}\n",
                styles.fail,
                styles.reset,
                assertion.kind,
                judge.passes,
                judge.votes.len(),
                judged_by(assertion, styles)
            ));
        }
    }
    line
}

/// Names who judged a model-graded assertion: ` [grader NAME (MODEL), prompt HASH]`.
fn judged_by(assertion: &AssertionResult, styles: Styles) -> String {
    let Some(judge) = assertion.judge.as_deref() else {
        return String::new();
    };
    let model = judge
        .model
        .as_deref()
        .map(|model| format!(" ({model})"))
        .unwrap_or_default();
    let prompt = judge
        .prompt_hash
        .as_deref()
        .map(|hash| format!(", prompt {}", &hash[..hash.len().min(8)]))
        .unwrap_or_default();
    let role = if judge.prompt_hash.is_some() {
        "grader"
    } else {
        "embedder"
    };
    format!(
        " {}[{role} {}{model}{prompt}]{}",
        styles.dim, judge.grader, styles.reset
    )
}

/// What the gate adds to the end-of-run summary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GateLines<'a> {
    /// Sections (budgets, baseline) printed between the table and the verdict line.
    pub(crate) sections: &'a str,
    /// Whether the gate failed (the verdict line then says FAILED).
    pub(crate) failed: bool,
    /// Why the gate failed.
    pub(crate) reasons: &'a [String],
    /// Prompt and completion tokens of the answered cases (provider's, else offline).
    pub(crate) tokens: (u64, u64),
    /// The cost of the answered cases, when prices are configured.
    pub(crate) cost_usd: Option<f64>,
}

/// Returns the list of flaky cases (repeated cases whose attempts disagreed), or nothing.
#[must_use]
pub(crate) fn flaky_section(summary: &RunSummary<'_>, styles: Styles) -> String {
    let flaky = &summary.tally.flaky;
    if flaky.is_empty() {
        return String::new();
    }
    let mut out = format!("\nflaky ({}):\n", plural(flaky.len(), "case", "cases"));
    for FlakyCase {
        flaky, confidence, ..
    } in flaky
    {
        let verdict = if flaky.status == CaseStatus::Passed {
            format!("{}passes{}", styles.pass, styles.reset)
        } else {
            format!("{}fails{}", styles.fail, styles.reset)
        };
        out.push_str(&format!(
            "  {} {verdict}: {}/{} attempts passed ({}), {} interval {}–{}\n",
            flaky.id,
            flaky.passed,
            flaky.judged,
            percent(flaky.rate),
            percent(*confidence),
            percent(flaky.interval.low),
            percent(flaky.interval.high),
        ));
    }
    out
}

/// Returns a line on what retries cost the run, like `retried 12 requests (http-429 ×8,
/// http-500 ×4), waiting 9.1 s in all`, or `None` when nothing was retried.
#[must_use]
pub(crate) fn retry_note(tally: &RunTally) -> Option<String> {
    if tally.retries == 0 {
        return None;
    }
    let mut causes: Vec<(&str, usize)> = tally
        .retry_causes
        .iter()
        .map(|(name, count)| (name.as_str(), *count))
        .collect();
    causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    Some(format!(
        "retried {} ({}), waiting {:.1} s in all",
        plural(tally.retries as usize, "request", "requests"),
        causes
            .iter()
            .map(|(name, count)| format!("{name} ×{count}"))
            .collect::<Vec<_>>()
            .join(", "),
        tally.waited_ms as f64 / 1000.0
    ))
}

/// Returns the end-of-run summary with the gate's sections and verdict.
#[must_use]
pub(crate) fn summary_table(
    summary: &RunSummary<'_>,
    styles: Styles,
    gate: Option<&GateLines<'_>>,
) -> String {
    let counts = summary.suite_counts();
    let plan = summary.plan;
    let entries: Vec<(&str, &str)> = plan
        .suites
        .iter()
        .map(|suite| {
            (
                suite.name.as_str(),
                plan.targets[suite.target].name.as_str(),
            )
        })
        .collect();
    let labels = crate::results::suite_labels(&entries);
    let width = labels
        .iter()
        .map(|label| label.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!(
        "\n{:<width$}  {:>6}  {:>6}  {:>6}  {:>7}\n",
        "suite", "passed", "failed", "errors", "skipped"
    );
    for (label, count) in labels.iter().zip(&counts) {
        out.push_str(&format!(
            "{:<width$}  {:>6}  {:>6}  {:>6}  {:>7}\n",
            label, count.passed, count.failed, count.errors, count.skipped
        ));
    }
    if let Some(gate) = gate {
        out.push_str(gate.sections);
    }
    out.push_str(&flaky_section(summary, styles));
    let total = summary.counts();
    let failed = gate.map_or(total.failed > 0 || total.errors > 0, |gate| gate.failed);
    let verdict = if failed {
        format!("{}FAILED{}", styles.fail, styles.reset)
    } else {
        format!("{}PASSED{}", styles.pass, styles.reset)
    };
    out.push_str(&format!(
        "\n{verdict}: {} in {:.2} s: {} passed, {} failed, {} errors, {} skipped",
        plural(total.total, "case", "cases"),
        summary.meta.duration.as_secs_f64(),
        total.passed,
        total.failed,
        total.errors,
        total.skipped,
    ));
    let (prompt, completion) = gate.map_or_else(|| summary.tokens(), |gate| gate.tokens);
    if prompt + completion > 0 {
        out.push_str(&format!(
            "; tokens: {prompt} prompt, {completion} completion"
        ));
    }
    if let Some(cost) = gate.and_then(|gate| gate.cost_usd) {
        out.push_str(&format!("; cost: {}", crate::util::format::dollars(cost)));
    }
    let cached = summary.cached();
    if cached > 0 {
        out.push_str(&format!(
            "; {} from the cache or recordings",
            plural(cached, "answer", "answers")
        ));
    }
    if let Some(gate) = gate.filter(|gate| !gate.reasons.is_empty()) {
        out.push_str(&format!("; gate: {}", gate.reasons.join(", ")));
    }
    if summary.meta.interrupted {
        out.push_str(" (interrupted)");
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use crate::results::RunTally;

    #[test]
    fn retry_note_counts_causes_and_waits() {
        let tally = RunTally {
            retries: 4,
            retry_causes: vec![
                ("http-500".to_owned(), 2),
                ("http-429".to_owned(), 1),
                ("timeout".to_owned(), 1),
            ],
            waited_ms: 3000,
            ..RunTally::default()
        };
        assert_eq!(
            super::retry_note(&tally).unwrap(),
            "retried 4 requests (http-500 ×2, http-429 ×1, timeout ×1), waiting 3.0 s in all"
        );
        assert_eq!(super::retry_note(&RunTally::default()), None);
    }
}
