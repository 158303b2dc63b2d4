//! The Markdown of a [`Trend`] ([`markdown`]), for a pull-request comment or a step summary,
//! and its [`title`]. The HTML page ([`html::trend_page`](super::html::trend_page)) draws
//! the same data.

use std::fmt::Write as _;

use crate::decide::{CaseFlips, Trend, TrendPoint};
use crate::stats::PassRate;
use crate::util::format::{percent_trimmed, plural};

/// How many of the cases that changed status most often the Markdown lists.
const FLIP_LIMIT: usize = 10;

/// Returns the trend's title: how many runs, from when to when.
#[must_use]
pub(crate) fn title(trend: &Trend) -> String {
    match (trend.runs.first(), trend.runs.last()) {
        (Some(first), Some(last)) => format!(
            "promptci trend · {} · {} to {}",
            plural(trend.runs.len(), "run", "runs"),
            day(&first.started_at),
            day(&last.started_at)
        ),
        _ => "promptci trend".to_owned(),
    }
}

/// Returns the trend as Markdown: a table per suite and target with a sparkline of the
/// pass rate, the cases that changed status most often, and the prompt changes.
#[must_use]
pub(crate) fn markdown(trend: &Trend) -> String {
    let (Some(first), Some(last)) = (trend.runs.first(), trend.runs.last()) else {
        return "## promptci trend\n\nNo reports.\n".to_owned();
    };
    let mut out = format!(
        "## promptci trend: {} from {} to {}\n\n",
        plural(trend.runs.len(), "run", "runs"),
        day(&first.started_at),
        day(&last.started_at)
    );
    out.push_str(
        "| suite | target | pass rate, first → last | over time (low–high) | failed | flaky | prompt tokens | cost | p95 latency |\n",
    );
    out.push_str("|---|---|---|---|---:|---:|---:|---:|---:|\n");
    for series in &trend.series {
        let present: Vec<&TrendPoint> = series.points.iter().flatten().collect();
        let (Some(first), Some(last)) = (present.first(), present.last()) else {
            continue;
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} → {} | {} | {} | {} | {} | {} | {} |",
            cell(&series.suite),
            cell(&series.target),
            rate_text(first.totals.rate.as_ref(), false),
            rate_text(last.totals.rate.as_ref(), true),
            sparkline(&series.points),
            last.totals.counts.failed,
            last.totals.flaky,
            last.totals.prompt_tokens,
            last.totals
                .cost_usd
                .map_or_else(|| "–".to_owned(), crate::util::format::dollars),
            last.p95_ms
                .map_or_else(|| "–".to_owned(), |ms| format!("{ms} ms")),
        );
    }
    out.push_str("\nLast values are from the newest run; intervals are 95% Wilson intervals over judged cases.\n");
    let flipping: Vec<&CaseFlips> = trend.flips.iter().take(FLIP_LIMIT).collect();
    if !flipping.is_empty() {
        out.push_str("\n### Cases that changed status most often\n\n| case | changes | history (oldest first) |\n|---|---:|---|\n");
        for flips in flipping {
            let history: String = flips
                .history
                .chars()
                .map(|letter| match letter {
                    'p' => '✓',
                    'f' => '✗',
                    'e' => '!',
                    's' => '○',
                    _ => '·',
                })
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {history} |",
                cell(&flips.id),
                flips.changes
            );
        }
        out.push_str("\n✓ passed · ✗ failed · ! error · ○ skipped · · absent\n");
    }
    if !trend.changes.is_empty() {
        out.push_str("\n### Prompt changes\n\n| run | suite | target | version | hash |\n|---|---|---|---|---|\n");
        for change in &trend.changes {
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}` | {} | {} |",
                day(&trend.runs[change.run].started_at),
                cell(&change.suite),
                cell(&change.target),
                change_text(
                    change.from_version.as_deref(),
                    change.to_version.as_deref(),
                    str::to_owned
                ),
                change_text(
                    change.from_hash.as_deref(),
                    change.to_hash.as_deref(),
                    |hash| short_hash(Some(hash))
                ),
            );
        }
    }
    out
}

/// Returns `before → after`, or the one value when it did not change (`–` when absent).
fn change_text(before: Option<&str>, after: Option<&str>, show: impl Fn(&str) -> String) -> String {
    let shown = |value: Option<&str>| value.map_or_else(|| "–".to_owned(), &show);
    if before == after {
        shown(after)
    } else {
        format!("{} → {}", shown(before), shown(after))
    }
}

/// Returns the date of an RFC 3339 time (`2026-11-30`).
fn day(started_at: &str) -> &str {
    started_at.get(..10).unwrap_or(started_at)
}

fn short_hash(hash: Option<&str>) -> String {
    hash.map_or_else(
        || "–".to_owned(),
        |hash| {
            let bare = hash.strip_prefix("sha256:").unwrap_or(hash);
            format!("`{}`", bare.get(..12).unwrap_or(bare))
        },
    )
}

fn rate_text(rate: Option<&PassRate>, with_interval: bool) -> String {
    match rate {
        None => "–".to_owned(),
        Some(rate) if with_interval => format!(
            "{} ({}–{})",
            percent_trimmed(rate.rate),
            percent_trimmed(rate.interval.low),
            percent_trimmed(rate.interval.high)
        ),
        Some(rate) => percent_trimmed(rate.rate),
    }
}

/// Returns a pass-rate sparkline, one block per run (`·` where the run lacked the series),
/// scaled from the series' lowest to its highest rate so small moves show, followed by that
/// range.
fn sparkline(points: &[Option<TrendPoint>]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let rates: Vec<Option<f64>> = points
        .iter()
        .map(|point| {
            point
                .as_ref()
                .and_then(|point| point.totals.rate)
                .map(|rate| rate.rate)
        })
        .collect();
    let present = rates.iter().flatten().copied();
    let (low, high) = present.fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), rate| {
        (low.min(rate), high.max(rate))
    });
    if low > high {
        return "–".to_owned();
    }
    let line: String = rates
        .iter()
        .map(|rate| match rate {
            Some(rate) if high - low > 1e-9 => BLOCKS[block((rate - low) / (high - low))],
            Some(_) => BLOCKS[3],
            None => '·',
        })
        .collect();
    if high - low > 1e-9 {
        format!("{line} {}–{}", percent_trimmed(low), percent_trimmed(high))
    } else {
        format!("{line} {}", percent_trimmed(low))
    }
}

/// Returns which of eight blocks shows `fraction` (0 to 1).
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the value is rounded and clamped to 0..=7 first"
)]
fn block(fraction: f64) -> usize {
    (fraction * 7.0).round().clamp(0.0, 7.0) as usize
}

/// Makes text safe inside a Markdown code span in a table cell: a backtick would end the
/// span, a pipe the cell, a line break the row.
fn cell(text: &str) -> String {
    text.replace('`', "'")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::results::JsonReport;

    /// A report started on `day` of November whose one case `a` of `s.yaml` has `status`,
    /// with the prompt at `version`.
    fn report(day: u32, version: &str, status: &str) -> (String, JsonReport) {
        let report = serde_json::from_value(json!({
            "format_version": 1,
            "run": { "started_at": format!("2026-11-{day:02}T02:00:00Z") },
            "summary": { "total": 1, "passed": 0, "failed": 0, "errors": 0, "skipped": 0 },
            "suites": [{ "path": "s.yaml", "target": "t", "provider": "mock", "model": "m",
                "registry_version": version, "content_hash": format!("sha256:{version}"),
                "total": 1, "passed": 0, "failed": 0, "errors": 0, "skipped": 0 }],
            "cases": [
                { "id": "s.yaml::a", "suite": "s.yaml", "name": "a", "line": 1, "status": status,
                  "target": "t", "latency_ms": 40,
                  "tokens": { "prompt": 10, "completion": 1, "source": "provider" } },
                { "id": "s.yaml::b", "suite": "s.yaml", "name": "b", "line": 2,
                  "status": "passed", "target": "t" },
            ],
        }))
        .unwrap();
        (format!("r{day}.json"), report)
    }

    #[test]
    fn markdown_shows_each_series_the_flips_and_the_changes() {
        let trend =
            Trend::build(&[report(1, "1.0.0", "passed"), report(2, "1.1.0", "failed")]).unwrap();
        let markdown = markdown(&trend);
        assert!(
            markdown.starts_with("## promptci trend: 2 runs from 2026-11-01 to 2026-11-02\n"),
            "{markdown}"
        );
        assert!(
            markdown.contains("| `s.yaml` | `t` | 100% → 50% (9.5%–90.5%) | █▁ 50%–100% | 1 | 0 | 10 | – | 40 ms |"),
            "{markdown}"
        );
        assert!(markdown.contains("| `s.yaml::a` | 1 | ✓✗ |"), "{markdown}");
        assert!(
            markdown
                .contains("| 2026-11-02 | `s.yaml` | `t` | 1.0.0 → 1.1.0 | `1.0.0` → `1.1.0` |"),
            "{markdown}"
        );
        assert_eq!(
            title(&trend),
            "promptci trend · 2 runs · 2026-11-01 to 2026-11-02"
        );
    }

    #[test]
    fn cells_keep_the_table_and_the_code_span_whole() {
        assert_eq!(cell("a|b`c\nd"), "a\\|b'c d");
    }
}
