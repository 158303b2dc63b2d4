//! An A/B [`AbComparison`] as console text ([`render`]).

use crate::decide::{AbComparison, JudgeComparison, PairOutcome, Tally};
use crate::util::format::{p_value, percent};

/// Returns the comparison as console text: a table of cases, then the overall result.
#[must_use]
pub(crate) fn render(comparison: &AbComparison, a_label: &str, b_label: &str) -> String {
    let tally =
        |tally: &Tally| format!("{}/{} {}", tally.passed, tally.judged, percent(tally.rate));
    let width = comparison
        .cases
        .iter()
        .map(|case| case.id.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!("A: {a_label}\nB: {b_label}\n\n");
    out.push_str(&format!(
        "{:<width$}  {:>14}  {:>14}  {:>10}\n",
        "case", "A passed", "B passed", "p(B worse)"
    ));
    for case in &comparison.cases {
        out.push_str(&format!(
            "{:<width$}  {:>14}  {:>14}  {:>10}\n",
            case.id,
            tally(&case.a),
            tally(&case.b),
            p_value(case.p_value)
        ));
    }
    out.push_str(&format!(
        "\noverall: A {}, B {}; difference B − A {:+.1} points ({} interval {:+.1} to {:+.1})\n",
        tally(&comparison.a),
        tally(&comparison.b),
        comparison.difference * 100.0,
        percent(comparison.confidence),
        comparison.interval.low * 100.0,
        comparison.interval.high * 100.0,
    ));
    out.push_str(&format!(
        "paired test (exact one-sided McNemar over attempts paired within each case): {} worse, {} better, p = {}\n",
        comparison.worse_pairs,
        comparison.better_pairs,
        p_value(comparison.p_value)
    ));
    let alpha = 1.0 - comparison.confidence;
    if comparison.significantly_worse {
        out.push_str(&format!(
            "verdict: B is significantly worse than A (p < {alpha:.2})\n"
        ));
    } else {
        out.push_str(&format!(
            "verdict: B is not significantly worse than A (p ≥ {alpha:.2})\n"
        ));
    }
    out
}

/// The most pairs the console lists with the judge's reason.
const LISTED_PAIRS: usize = 5;

/// Returns the pairwise judgement as console text: wins, ties, how often the order changed
/// the grader's mind, the sign test, the verdict, and the first pairs B lost with the reason.
#[must_use]
pub(crate) fn render_judge(judge: &JudgeComparison, grader: &str, rubric: &str) -> String {
    let decided = judge.a_wins + judge.b_wins;
    let judged = decided + judge.ties;
    let mut out = format!(
        "\npairwise judge: grader `{grader}`, rubric \"{rubric}\", each pair judged in both orders\n"
    );
    out.push_str(&format!(
        "A better: {}, B better: {}, ties: {} ({} of {} pairs changed with the order: ties), left out: {}\n",
        judge.a_wins, judge.b_wins, judge.ties, judge.inconsistent, judged, judge.errors
    ));
    out.push_str(&format!(
        "exact one-sided sign test over {decided} decided pairs: p = {}\n",
        p_value(judge.p_value)
    ));
    let alpha = 1.0 - judge.confidence;
    if judge.significantly_worse {
        out.push_str(&format!(
            "verdict: the judge finds B significantly worse than A (p < {alpha:.2})\n"
        ));
    } else {
        out.push_str(&format!(
            "verdict: the judge does not find B significantly worse than A (p ≥ {alpha:.2})\n"
        ));
    }
    let lost: Vec<_> = judge
        .pairs
        .iter()
        .filter(|pair| pair.outcome == PairOutcome::A)
        .collect();
    for pair in lost.iter().take(LISTED_PAIRS) {
        out.push_str(&format!(
            "  A better: {} #{}: {}\n",
            pair.id, pair.attempt, pair.reasons[0]
        ));
    }
    if lost.len() > LISTED_PAIRS {
        out.push_str(&format!(
            "  … and {} more (`--json` lists every pair)\n",
            lost.len() - LISTED_PAIRS
        ));
    }
    let errors = judge
        .pairs
        .iter()
        .find(|pair| pair.outcome == PairOutcome::Error);
    if let Some(pair) = errors {
        let why = pair
            .reasons
            .iter()
            .find(|reason| reason.starts_with("error: "));
        out.push_str(&format!(
            "  left out: {} #{}: {}\n",
            pair.id,
            pair.attempt,
            why.map_or("", String::as_str)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::ab::tests::outcomes;
    use crate::decide::compare_ab;

    #[test]
    fn shows_each_case_the_paired_test_and_the_verdict() {
        let a = [
            outcomes("s::x", "PPPPPPPPPP"),
            outcomes("s::y", "PPPPPPPPPP"),
        ];
        let b = [
            outcomes("s::x", "PFFFFPFFFF"),
            outcomes("s::y", "PPPPPPPPPP"),
        ];
        let comparison = compare_ab(&a, &b, 0.95);
        let text = render(&comparison, "old.j2", "new.j2");
        assert!(
            text.contains("s::x      10/10 100%        2/10 20%      0.0004"),
            "{text}"
        );
        assert!(text.contains("8 worse, 0 better, p = 0.0039"), "{text}");
        assert!(
            text.contains("verdict: B is significantly worse than A (p < 0.05)"),
            "{text}"
        );
    }
}
