//! An [`OptimizeReport`] as console text: a line per finished step ([`progress_line`]) and
//! the closing summary ([`render`]): every candidate set, the chosen one, the train, dev and
//! test numbers, the prompt's growth and the verdict.

use crate::optimize::{
    CandidateKind, OptimizeReport, Progress, TOKEN_GROWTH_ALERT, TestComparison,
};
use crate::report::table::text_table;
use crate::util::format::{dollars, p_value, percent, plural, signed_percent};

/// Returns the console line of a finished step.
#[must_use]
pub(crate) fn progress_line(progress: &Progress<'_>) -> String {
    match progress {
        Progress::Split(split) => format!(
            "split ({}): {} train, {} dev, {} test{}\n",
            match split.source {
                crate::optimize::SplitSource::Tags => "by tag",
                crate::optimize::SplitSource::Random => "seeded random",
            },
            split.train,
            split.dev,
            split.test,
            if split.untagged > 0 {
                format!(
                    " ({} without a split tag left out)",
                    plural(split.untagged, "case", "cases")
                )
            } else {
                String::new()
            }
        ),
        Progress::Bootstrap(bootstrap) => format!(
            "bootstrap: the current prompt passed {}/{} train cases: {}\n",
            bootstrap.train.passed,
            bootstrap.train.cases(),
            plural(bootstrap.demos.len(), "demonstration", "demonstrations")
        ),
        Progress::CurrentDev(score) => format!(
            "current prompt on dev: {}\n",
            fraction(score.passed, score.cases())
        ),
        Progress::Candidate(index, candidate) => format!(
            "candidate {} ({}, {}): dev {}\n",
            index + 1,
            kind(candidate.kind),
            plural(candidate.demos.len(), "demonstration", "demonstrations"),
            fraction(candidate.dev.passed, candidate.dev.cases())
        ),
        Progress::Test(test) => format!(
            "held-out test: current {}, chosen {}\n",
            fraction(test.current.passed, test.current.cases()),
            fraction(test.chosen.passed, test.chosen.cases())
        ),
    }
}

/// Returns the closing summary.
#[must_use]
pub(crate) fn render(report: &OptimizeReport) -> String {
    let mut out = String::from("\ndemonstrations (from passing train cases):\n");
    for (index, demo) in report.bootstrap.demos.iter().enumerate() {
        out.push_str(&format!("  #{} {}\n", index + 1, demo.case));
    }
    out.push_str(&format!(
        "\ncandidate sets on dev (current prompt: {}):\n",
        fraction(report.current_dev.passed, report.current_dev.cases())
    ));
    out.push_str(&candidates_table(report));
    if let Some(reason) = &report.stopped {
        out.push_str(&format!("search stopped early: {reason}\n"));
    }
    match (&report.test, report.chosen) {
        (Some(test), Some(chosen)) => out.push_str(&test_section(report, test, chosen)),
        _ => out.push_str("\nno candidate set was evaluated: nothing to compare on test\n"),
    }
    out
}

/// Every candidate set, the chosen one starred.
fn candidates_table(report: &OptimizeReport) -> String {
    let rows: Vec<[String; 7]> = report
        .candidates
        .iter()
        .enumerate()
        .map(|(index, candidate)| {
            let dev = &candidate.dev;
            [
                format!(
                    "{}{}",
                    index + 1,
                    if report.chosen == Some(index) {
                        " *"
                    } else {
                        ""
                    }
                ),
                kind(candidate.kind).to_owned(),
                demo_list(&candidate.demos),
                fraction(dev.passed, dev.cases()),
                dev.pass_rate.map_or_else(
                    || "-".to_owned(),
                    |rate| {
                        format!(
                            "{}–{}",
                            percent(rate.interval.low),
                            percent(rate.interval.high)
                        )
                    },
                ),
                dev.requests.to_string(),
                (dev.prompt_tokens + dev.completion_tokens).to_string(),
            ]
        })
        .collect();
    let interval = format!("{} interval", percent(report.confidence));
    text_table(
        &[
            "set",
            "kind",
            "demonstrations",
            "dev passed",
            &interval,
            "requests",
            "tokens",
        ],
        &rows,
    )
}

/// The chosen set, train/dev/test numbers, the paired test, growth, spending and verdict.
fn test_section(report: &OptimizeReport, test: &TestComparison, chosen: usize) -> String {
    let set = &report.candidates[chosen];
    let mut out = format!("\nchosen: set {} ({})\n", chosen + 1, demo_list(&set.demos));
    out.push_str(&format!(
        "train (current prompt): {}\ndev: current {}, chosen {}\ntest: current {}, chosen {}",
        fraction(
            report.bootstrap.train.passed,
            report.bootstrap.train.cases()
        ),
        fraction(report.current_dev.passed, report.current_dev.cases()),
        fraction(set.dev.passed, set.dev.cases()),
        fraction(test.current.passed, test.current.cases()),
        fraction(test.chosen.passed, test.chosen.cases()),
    ));
    match (test.gain, test.gain_interval) {
        (Some(gain), Some(interval)) => out.push_str(&format!(
            "; gain {:+.1} points ({} interval {:+.1} to {:+.1})\n",
            gain * 100.0,
            percent(test.confidence),
            interval.low * 100.0,
            interval.high * 100.0
        )),
        _ => out.push('\n'),
    }
    out.push_str(&format!(
        "paired test (exact one-sided McNemar): {} better, {} worse, p = {}\n",
        test.better,
        test.worse,
        p_value(test.p_value)
    ));
    if let Some(growth) = test.token_growth {
        out.push_str(&format!(
            "prompt size: {:.0} → {:.0} tokens ({}){}\n",
            test.current.mean_prompt_tokens,
            test.chosen.mean_prompt_tokens,
            signed_percent(growth),
            if growth > TOKEN_GROWTH_ALERT {
                " — more than 10%: check the cost and latency budget"
            } else {
                ""
            }
        ));
    }
    let spent = &report.spent;
    out.push_str(&format!(
        "spent: {} planned, {} sent, {} prompt + {} completion tokens{}\n",
        plural(
            usize::try_from(spent.planned_requests).unwrap_or(usize::MAX),
            "request",
            "requests"
        ),
        spent.requests,
        spent.prompt_tokens,
        spent.completion_tokens,
        spent
            .cost_usd
            .map(|cost| format!(", {}", dollars(cost)))
            .unwrap_or_default()
    ));
    let alpha = 1.0 - test.confidence;
    out.push_str(&if test.significant {
        format!("verdict: significant improvement on held-out cases (p < {alpha:.2})\n")
    } else {
        format!(
            "verdict: no significant improvement on held-out cases (p ≥ {alpha:.2} or no gain)\n"
        )
    });
    out
}

/// `#1 #3`: pool indices as the demonstrations list numbers them.
fn demo_list(demos: &[usize]) -> String {
    let names: Vec<String> = demos
        .iter()
        .map(|index| format!("#{}", index + 1))
        .collect();
    names.join(" ")
}

/// `7/9 (78%)`.
fn fraction(passed: u64, cases: u64) -> String {
    if cases == 0 {
        return "0/0".to_owned();
    }
    format!(
        "{passed}/{cases} ({})",
        percent(passed as f64 / cases as f64)
    )
}

fn kind(kind: CandidateKind) -> &'static str {
    match kind {
        CandidateKind::Random => "random",
        CandidateKind::Greedy => "greedy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_lists_every_set_and_the_held_out_verdict() {
        insta::assert_snapshot!(render(&crate::optimize::sample_report()), @r"
        demonstrations (from passing train cases):
          #1 suites/triage.yaml::train_1
          #2 suites/triage.yaml::train_2
          #3 suites/triage.yaml::train_5

        candidate sets on dev (current prompt: 1/8 (12%)):
        set  kind    demonstrations  dev passed  95% interval  requests  tokens
        1    random  #1 #2 #3        5/8 (62%)   31%–86%       8         256
        2 *  greedy  #2              7/8 (88%)   53%–98%       8         256
        3    greedy  #1              2/8 (25%)   7%–59%        8         256
        search stopped early: the request budget (100) allows no more candidates

        chosen: set 2 (#2)
        train (current prompt): 3/6 (50%)
        dev: current 1/8 (12%), chosen 7/8 (88%)
        test: current 1/10 (10%), chosen 9/10 (90%); gain +80.0 points (95% interval +37.0 to +91.6)
        paired test (exact one-sided McNemar): 8 better, 0 worse, p = 0.0039
        prompt size: 30 → 36 tokens (+20.0%) — more than 10%: check the cost and latency budget
        spent: 58 requests planned, 58 sent, 1740 prompt + 116 completion tokens
        verdict: significant improvement on held-out cases (p < 0.05)
        ");
    }

    #[test]
    fn a_search_that_tried_nothing_says_so() {
        let mut report = crate::optimize::sample_report();
        report.candidates.clear();
        report.chosen = None;
        report.test = None;
        assert!(
            render(&report)
                .ends_with("no candidate set was evaluated: nothing to compare on test\n")
        );
    }
}
