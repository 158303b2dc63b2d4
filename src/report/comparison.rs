//! A baseline [`Comparison`] as console text ([`render_text`]) and Markdown tables
//! ([`render_markdown`]), for `promptci run --baseline`, `promptci diff` and the step summary.

use super::table::text_table;
use crate::results::{CaseDelta, CaseStatus, Comparison, PromptDelta, RegressionTest};
use crate::util::format::{dollars, percent, percent_trimmed, plural, signed_percent};

fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), percent)
}

fn cost(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), dollars)
}

fn status(value: Option<CaseStatus>) -> &'static str {
    value.map_or("-", CaseStatus::as_str)
}

/// One row of the cases table: what happened, the case, and its statuses.
fn case_rows(comparison: &Comparison) -> Vec<(&'static str, &CaseDelta)> {
    let groups: [(&'static str, &Vec<CaseDelta>); 6] = [
        ("REGRESSED", &comparison.regressions),
        ("FLIPPED (not significant)", &comparison.flipped),
        ("FIXED", &comparison.fixed),
        ("STILL FAILING", &comparison.known_failures),
        ("NEW", &comparison.new_cases),
        ("REMOVED", &comparison.removed_cases),
    ];
    groups
        .into_iter()
        .flat_map(|(label, cases)| cases.iter().map(move |case| (label, case)))
        .collect()
}

/// Returns the suite-wide test as one line, when any case flipped.
fn suite_test_line(comparison: &Comparison) -> Option<String> {
    let test = comparison.suite_test?;
    (test.worse + test.better > 0).then(|| {
        format!(
            "paired test (exact one-sided McNemar over cases in both runs, {}): {} worse, {} better, p = {:.4}{}",
            match comparison.regression_test {
                RegressionTest::Case => "informational with --regression-test case",
                RegressionTest::Suite => "gates with --regression-test suite",
            },
            test.worse,
            test.better,
            test.p_value,
            if test.significant {
                format!(" < {:.2}: significantly worse", test.alpha)
            } else {
                String::new()
            }
        )
    })
}

/// One row of the prompts table, as cells.
fn prompt_cells(prompt: &PromptDelta) -> [String; 6] {
    let mark = |over: bool| if over { " ✗" } else { "" };
    [
        prompt.prompt.clone(),
        prompt.shared_cases.to_string(),
        format!(
            "{} → {} ({}){}",
            prompt.base_tokens,
            prompt.head_tokens,
            prompt
                .token_growth
                .map_or_else(|| "-".to_owned(), signed_percent),
            mark(prompt.tokens_over_growth)
        ),
        format!(
            "{} → {}",
            rate(prompt.base_pass_rate),
            rate(prompt.head_pass_rate)
        ),
        format!(
            "{} → {}{}{}",
            cost(prompt.base_cost_usd),
            cost(prompt.head_cost_usd),
            prompt
                .cost_growth
                .map(|growth| format!(" ({})", signed_percent(growth)))
                .unwrap_or_default(),
            mark(prompt.cost_over_growth)
        ),
        prompt
            .changed_cases
            .first()
            .map(|case| format!("{} {} → {}", case.id, case.base, case.head))
            .unwrap_or_default(),
    ]
}

const PROMPT_HEADERS: [&str; 6] = [
    "prompt",
    "cases",
    "prompt tokens",
    "pass rate",
    "cost",
    "largest change",
];

/// Renders the comparison as plain-text tables for the console and `promptci diff`.
#[must_use]
pub(crate) fn render_text(comparison: &Comparison) -> String {
    let mut out = format!(
        "\nbaseline {}{}: {}, {}, {}, {}, {}\n",
        comparison.baseline.path,
        comparison
            .baseline
            .git_commit
            .as_deref()
            .map(|commit| format!(" (commit {})", &commit[..commit.len().min(12)]))
            .unwrap_or_default(),
        plural(comparison.regressions.len(), "regression", "regressions"),
        plural(comparison.fixed.len(), "fixed", "fixed"),
        plural(
            comparison.known_failures.len(),
            "known failure",
            "known failures"
        ),
        plural(comparison.new_cases.len(), "new case", "new cases"),
        plural(
            comparison.removed_cases.len(),
            "removed case",
            "removed cases"
        ),
    );
    let rows = case_rows(comparison);
    if !rows.is_empty() {
        let table: Vec<[String; 3]> = rows
            .iter()
            .map(|(label, case)| {
                [
                    (*label).to_owned(),
                    case.id.clone(),
                    format!("{} → {}", status(case.base), status(case.head)),
                ]
            })
            .collect();
        out.push_str(&text_table(&["change", "case", "status"], &table));
        for (label, case) in &rows {
            if *label == "REGRESSED" {
                for reason in &case.reasons {
                    out.push_str(&format!("  {}: ✗ {reason}\n", case.id));
                }
            }
        }
    }
    if let Some(line) = suite_test_line(comparison) {
        out.push_str(&line);
        out.push('\n');
    }
    if !comparison.prompts.is_empty() {
        out.push('\n');
        let table: Vec<[String; 6]> = comparison.prompts.iter().map(prompt_cells).collect();
        out.push_str(&text_table(&PROMPT_HEADERS, &table));
    }
    let reasons = comparison.gate_reasons();
    if reasons.is_empty() {
        out.push_str(&format!(
            "baseline gate: ok (growth limit {})\n",
            percent_trimmed(comparison.growth_limit)
        ));
    } else {
        out.push_str(&format!("baseline gate: FAILED: {}\n", reasons.join(", ")));
    }
    out
}

/// Escapes a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Renders the comparison as Markdown (for pull-request comments and step summaries).
#[must_use]
pub(crate) fn render_markdown(comparison: &Comparison) -> String {
    let reasons = comparison.gate_reasons();
    let mut out = format!(
        "### promptci: comparison with `{}`\n\n{}\n\n",
        cell(&comparison.baseline.path),
        if reasons.is_empty() {
            format!(
                "**Gate: passed** (growth limit {})",
                percent_trimmed(comparison.growth_limit)
            )
        } else {
            format!("**Gate: failed**: {}", reasons.join(", "))
        }
    );
    if let Some(line) = suite_test_line(comparison) {
        out.push_str(&format!("{}\n\n", cell(&line)));
    }
    let rows = case_rows(comparison);
    if !rows.is_empty() {
        out.push_str("| change | case | baseline | now | why |\n|---|---|---|---|---|\n");
        for (label, case) in rows {
            out.push_str(&format!(
                "| {label} | `{}` | {} | {} | {} |\n",
                cell(&case.id),
                status(case.base),
                status(case.head),
                cell(&case.reasons.join("; "))
            ));
        }
        out.push('\n');
    }
    if !comparison.prompts.is_empty() {
        out.push_str(&format!(
            "| {} |\n|{}\n",
            PROMPT_HEADERS.join(" | "),
            "---|".repeat(PROMPT_HEADERS.len())
        ));
        for prompt in &comparison.prompts {
            let cells = prompt_cells(prompt).map(|text| cell(&text));
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    out
}
