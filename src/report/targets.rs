//! The side-by-side table of the targets of a run, as console text and as Markdown for the
//! GitHub step summary, from each [`TargetSummary`].

use super::table::text_table;
use crate::results::TargetSummary;
use crate::util::format::percent;

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
    let headers = headers(confidence);
    let headers: [&str; 11] = std::array::from_fn(|index| headers[index].as_str());
    let rows: Vec<[String; 11]> = summaries
        .iter()
        .map(|summary| {
            let cells = cells(summary);
            std::array::from_fn(|index| match index {
                0 => summary.target.clone(),
                _ => cells[index - 1].clone(),
            })
        })
        .collect();
    format!("\nby target:\n{}", text_table(&headers, &rows))
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
    use crate::results::Counts;
    use crate::results::target_summary::PassRate;

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
