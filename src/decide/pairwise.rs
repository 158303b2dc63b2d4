//! Pairwise A/B judging: each pair of answers is judged in both orders, and an exact sign
//! test on the decided pairs says whether B is worse ([`JudgeComparison`]).
//!
//! Graders prefer the answer shown first (or second) more often than chance; asking both
//! orders cancels that. A pair counts for A only when both orders prefer A, for B only when
//! both prefer B; otherwise it is a tie, and pairs whose orders disagree are counted, since a
//! high share of them says the grader is guessing. Under "B is no worse than A", a decided
//! pair is equally likely to go either way, so the one-sided p-value is
//! P(X ≥ A's wins) for X ~ Binomial(A's wins + B's wins, ½).

use serde::Serialize;

use crate::assert::judge::parse::Winner;
use crate::stats::binomial_at_least;

/// What judging one pair of answers (attempt `attempt` of case `id`) gave.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JudgedPair {
    /// The case id.
    pub(crate) id: String,
    /// The attempt, from 1.
    pub(crate) attempt: u32,
    /// The verdict with A's answer shown first, or why there is none.
    pub(crate) a_first: Result<(Winner, String), String>,
    /// The verdict with B's answer shown first, or why there is none.
    pub(crate) b_first: Result<(Winner, String), String>,
}

/// Which side a pair went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum PairOutcome {
    /// Both orders preferred A.
    A,
    /// Both orders preferred B.
    B,
    /// A tie in both orders, or orders that disagree.
    Tie,
    /// A verdict is missing: the pair is left out.
    Error,
}

/// One pair in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PairReport {
    /// The case id.
    pub(crate) id: String,
    /// The attempt, from 1.
    pub(crate) attempt: u32,
    /// Where the pair went.
    pub(crate) outcome: PairOutcome,
    /// Whether the two orders disagreed.
    pub(crate) inconsistent: bool,
    /// The reasons (or errors) of the two calls: A shown first, then B shown first.
    pub(crate) reasons: [String; 2],
}

/// The pairwise judgement of B against A.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct JudgeComparison {
    /// Pairs both orders gave to A.
    pub(crate) a_wins: u64,
    /// Pairs both orders gave to B.
    pub(crate) b_wins: u64,
    /// Pairs that are ties (including those whose orders disagreed).
    pub(crate) ties: u64,
    /// Pairs whose two orders disagreed.
    pub(crate) inconsistent: u64,
    /// Pairs left out because a verdict is missing.
    pub(crate) errors: u64,
    /// The exact one-sided sign-test p-value that B is worse.
    pub(crate) p_value: f64,
    /// The confidence; B is significantly worse when `p_value < 1 − confidence`.
    pub(crate) confidence: f64,
    /// Whether B is significantly worse.
    pub(crate) significantly_worse: bool,
    /// Every pair, in the order given.
    pub(crate) pairs: Vec<PairReport>,
}

/// Maps each order's winner back to A or B and decides the pair.
fn outcome(a_first: Winner, b_first: Winner) -> (PairOutcome, bool) {
    let first_order = match a_first {
        Winner::First => PairOutcome::A,
        Winner::Second => PairOutcome::B,
        Winner::Tie => PairOutcome::Tie,
    };
    let second_order = match b_first {
        Winner::First => PairOutcome::B,
        Winner::Second => PairOutcome::A,
        Winner::Tie => PairOutcome::Tie,
    };
    if first_order == second_order {
        (first_order, false)
    } else {
        (PairOutcome::Tie, true)
    }
}

/// Decides every pair and tests whether B is worse.
pub(crate) fn compare_pairs(pairs: &[JudgedPair], confidence: f64) -> JudgeComparison {
    let mut comparison = JudgeComparison {
        a_wins: 0,
        b_wins: 0,
        ties: 0,
        inconsistent: 0,
        errors: 0,
        p_value: 1.0,
        confidence,
        significantly_worse: false,
        pairs: Vec::with_capacity(pairs.len()),
    };
    for pair in pairs {
        let reason = |verdict: &Result<(Winner, String), String>| match verdict {
            Ok((_, reason)) => reason.clone(),
            Err(error) => format!("error: {error}"),
        };
        let (outcome, inconsistent) = match (&pair.a_first, &pair.b_first) {
            (Ok((a_first, _)), Ok((b_first, _))) => outcome(*a_first, *b_first),
            _ => (PairOutcome::Error, false),
        };
        match outcome {
            PairOutcome::A => comparison.a_wins += 1,
            PairOutcome::B => comparison.b_wins += 1,
            PairOutcome::Tie => comparison.ties += 1,
            PairOutcome::Error => comparison.errors += 1,
        }
        comparison.inconsistent += u64::from(inconsistent);
        comparison.pairs.push(PairReport {
            id: pair.id.clone(),
            attempt: pair.attempt,
            outcome,
            inconsistent,
            reasons: [reason(&pair.a_first), reason(&pair.b_first)],
        });
    }
    comparison.p_value = binomial_at_least(
        comparison.a_wins,
        comparison.a_wins + comparison.b_wins,
        0.5,
    );
    comparison.significantly_worse = comparison.p_value < 1.0 - confidence;
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a_first: Winner, b_first: Winner) -> JudgedPair {
        JudgedPair {
            id: "s::c".to_owned(),
            attempt: 1,
            a_first: Ok((a_first, "r1".to_owned())),
            b_first: Ok((b_first, "r2".to_owned())),
        }
    }

    #[test]
    fn both_orders_must_agree() {
        use Winner::{First, Second, Tie};
        assert_eq!(outcome(First, Second), (PairOutcome::A, false));
        assert_eq!(outcome(Second, First), (PairOutcome::B, false));
        assert_eq!(outcome(Tie, Tie), (PairOutcome::Tie, false));
        // Always the first answer: position bias, not a preference.
        assert_eq!(outcome(First, First), (PairOutcome::Tie, true));
        assert_eq!(outcome(First, Tie), (PairOutcome::Tie, true));
    }

    #[test]
    fn a_clearly_worse_b_is_significant_and_a_tie_is_not() {
        let worse: Vec<_> = (0..6)
            .map(|_| pair(Winner::First, Winner::Second))
            .collect();
        let comparison = compare_pairs(&worse, 0.95);
        assert_eq!((comparison.a_wins, comparison.b_wins), (6, 0));
        assert!((comparison.p_value - 1.0 / 64.0).abs() < 1e-12);
        assert!(comparison.significantly_worse);

        let ties: Vec<_> = (0..6).map(|_| pair(Winner::Tie, Winner::Tie)).collect();
        let comparison = compare_pairs(&ties, 0.95);
        assert_eq!(comparison.ties, 6);
        assert!((comparison.p_value - 1.0).abs() < 1e-12);
        assert!(!comparison.significantly_worse);
    }

    #[test]
    fn five_to_one_is_not_enough_at_95_percent() {
        // P(X ≥ 5 | n = 6) = 7/64 ≈ 0.109.
        let mut pairs: Vec<_> = (0..5)
            .map(|_| pair(Winner::First, Winner::Second))
            .collect();
        pairs.push(pair(Winner::Second, Winner::First));
        let comparison = compare_pairs(&pairs, 0.95);
        assert!((comparison.p_value - 7.0 / 64.0).abs() < 1e-12);
        assert!(!comparison.significantly_worse);
    }

    #[test]
    fn a_missing_verdict_leaves_the_pair_out() {
        let mut broken = pair(Winner::First, Winner::Second);
        broken.b_first = Err("grader down".to_owned());
        let comparison = compare_pairs(&[broken], 0.95);
        assert_eq!((comparison.errors, comparison.a_wins), (1, 0));
        assert_eq!(comparison.pairs[0].reasons[1], "error: grader down");
    }
}
