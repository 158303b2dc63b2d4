//! The side-by-side comparison of the targets of one run: [`TargetSummary`] per target, built
//! from the JSON report (so a merged report and the GitHub summary show the same numbers), and
//! its text and Markdown tables.

use serde::{Deserialize, Serialize};

use super::json::{JsonCase, JsonReport};
use super::summary::Counts;
use crate::stats::Interval;
use crate::util::format::percent;

/// One target's results in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSummary {
    /// The target's name.
    pub target: String,
    /// The model it ran.
    pub model: String,
    /// Case counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// Passed cases among judged (passed or failed) ones, with its interval; absent when no
    /// case was judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_rate: Option<PassRate>,
    /// Prompt tokens of the answered cases (the provider's counts, else offline ones).
    pub prompt_tokens: u64,
    /// Completion tokens of the answered cases.
    pub completion_tokens: u64,
    /// The cost of the answered cases in US dollars, when prices are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// The median request latency in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p50_ms: Option<u64>,
    /// The 95th percentile of request latency in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p95_ms: Option<u64>,
}

/// A pass rate with its Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PassRate {
    /// Passed over judged.
    pub rate: f64,
    /// The confidence of the interval.
    pub confidence: f64,
    /// The interval.
    pub interval: Interval,
}

/// Returns each target's summary, in the order the report lists its targets (targets with no
/// case are left out). `confidence` is the interval's (the report's, see
/// [`report_confidence`](crate::baseline::report_confidence)).
#[must_use]
pub fn target_summaries(report: &JsonReport, confidence: f64) -> Vec<TargetSummary> {
    let mut names: Vec<&str> = report
        .run
        .targets
        .iter()
        .map(|target| target.name.as_str())
        .collect();
    for case in &report.cases {
        if !names.contains(&case.target.as_str()) {
            names.push(&case.target);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let cases: Vec<&JsonCase> = report
                .cases
                .iter()
                .filter(|case| case.target == name)
                .collect();
            (!cases.is_empty()).then(|| summary_of(name, &cases, confidence))
        })
        .collect()
}

fn summary_of(name: &str, cases: &[&JsonCase], confidence: f64) -> TargetSummary {
    let mut counts = Counts::default();
    let (mut prompt_tokens, mut completion_tokens) = (0, 0);
    let mut cost: Option<f64> = None;
    let mut latencies: Vec<u64> = Vec::new();
    for case in cases {
        counts.add(case.status);
        if let Some(tokens) = &case.tokens {
            prompt_tokens += tokens.prompt;
            completion_tokens += tokens.completion;
        }
        if let Some(case_cost) = case.cost_usd {
            cost = Some(cost.unwrap_or(0.0) + case_cost);
        }
        latencies.extend(case.latency_ms);
    }
    latencies.sort_unstable();
    let judged = counts.passed + counts.failed;
    let pass_rate = (judged > 0).then(|| PassRate {
        rate: counts.passed as f64 / judged as f64,
        confidence,
        interval: crate::stats::wilson(counts.passed as u64, judged as u64, confidence),
    });
    TargetSummary {
        target: name.to_owned(),
        model: cases
            .first()
            .map(|case| case.model.clone())
            .unwrap_or_default(),
        counts,
        pass_rate,
        prompt_tokens,
        completion_tokens,
        cost_usd: cost,
        latency_p50_ms: percentile(&latencies, 50),
        latency_p95_ms: percentile(&latencies, 95),
    }
}

/// Returns the nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], percent: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The cells of one table row, shared by the text and Markdown tables.
fn cells(summary: &TargetSummary) -> [String; 10] {
    let judged = summary.counts.passed + summary.counts.failed;
    let rate = summary.pass_rate.map_or_else(
        || "–".to_owned(),
        |rate| {
            format!(
                "{} ({}–{})",
                percent(rate.rate),
                percent(rate.interval.low),
                percent(rate.interval.high)
            )
        },
    );
    let milliseconds =
        |value: Option<u64>| value.map_or_else(|| "–".to_owned(), |ms| format!("{ms} ms"));
    [
        summary.model.clone(),
        format!("{}/{judged}", summary.counts.passed),
        rate,
        summary.counts.failed.to_string(),
        summary.counts.errors.to_string(),
        summary.prompt_tokens.to_string(),
        summary.completion_tokens.to_string(),
        summary
            .cost_usd
            .map_or_else(|| "–".to_owned(), crate::util::format::dollars),
        milliseconds(summary.latency_p50_ms),
        milliseconds(summary.latency_p95_ms),
    ]
}

fn headers(confidence: f64) -> [String; 11] {
    [
        "target".to_owned(),
        "model".to_owned(),
        "passed".to_owned(),
        format!("pass rate ({} interval)", percent(confidence)),
        "failed".to_owned(),
        "errors".to_owned(),
        "prompt tokens".to_owned(),
        "completion tokens".to_owned(),
        "cost".to_owned(),
        "p50 latency".to_owned(),
        "p95 latency".to_owned(),
    ]
}

/// Returns the console table, one row per target, or nothing for fewer than two targets;
/// `confidence` is the intervals'.
#[must_use]
pub(crate) fn render_text(summaries: &[TargetSummary], confidence: f64) -> String {
    if summaries.len() < 2 {
        return String::new();
    }
    let mut rows: Vec<Vec<String>> = vec![headers(confidence).to_vec()];
    for summary in summaries {
        let mut row = vec![summary.target.clone()];
        row.extend(cells(summary));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::from("\nby target:\n");
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Returns the Markdown table for the step summary, or nothing for fewer than two targets;
/// `confidence` is the intervals'.
#[must_use]
pub(crate) fn render_markdown(summaries: &[TargetSummary], confidence: f64) -> String {
    if summaries.len() < 2 {
        return String::new();
    }
    let mut out = String::from("\n### By target\n\n| ");
    out.push_str(&headers(confidence).join(" | "));
    out.push_str(" |\n|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for summary in summaries {
        let cells: Vec<String> = cells(summary)
            .iter()
            .map(|cell| cell.replace('|', "\\|"))
            .collect();
        out.push_str(&format!(
            "| `{}` | {} |\n",
            summary.target.replace('`', "'"),
            cells.join(" | ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 95), Some(7));
        let values: Vec<u64> = (1..=20).collect();
        assert_eq!(percentile(&values, 50), Some(10));
        assert_eq!(percentile(&values, 95), Some(19));
    }

    fn summary(target: &str, passed: usize, failed: usize) -> TargetSummary {
        let counts = Counts {
            total: passed + failed,
            passed,
            failed,
            errors: 0,
            skipped: 0,
        };
        let judged = passed + failed;
        TargetSummary {
            target: target.to_owned(),
            model: format!("{target}-model"),
            counts,
            pass_rate: Some(PassRate {
                rate: passed as f64 / judged as f64,
                confidence: 0.95,
                interval: crate::stats::wilson(passed as u64, judged as u64, 0.95),
            }),
            prompt_tokens: 20,
            completion_tokens: 10,
            cost_usd: None,
            latency_p50_ms: Some(3),
            latency_p95_ms: Some(5),
        }
    }

    #[test]
    fn tables_show_one_row_per_target_and_nothing_for_one() {
        let summaries = [summary("small", 1, 1), summary("large", 2, 0)];
        let text = render_text(&summaries, 0.95);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "by target:");
        assert!(lines[2].starts_with("target  model"), "{text}");
        assert!(
            lines[3].starts_with("small   small-model  1/2     50% (9%–91%)"),
            "{text}"
        );
        assert!(
            lines[4].starts_with("large   large-model  2/2     100% (34%–100%)"),
            "{text}"
        );
        let markdown = render_markdown(&summaries, 0.95);
        assert!(
            markdown.contains(
                "| `small` | small-model | 1/2 | 50% (9%–91%) | 1 | 0 | 20 | 10 | – | 3 ms | 5 ms |"
            ),
            "{markdown}"
        );
        assert_eq!(render_text(&summaries[..1], 0.95), "");
        assert_eq!(render_markdown(&summaries[..1], 0.95), "");
    }
}
