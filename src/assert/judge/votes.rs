//! Votes: several independent judge calls decided by majority ([`Majority`]).
//!
//! `votes` is odd, so a majority always exists once every vote is read. A vote that could not
//! be read (the grader erred or answered no verdict) counts for neither side: the leaf is
//! decided when one side already holds a majority of all `votes`, and is an error when the
//! unread votes could still have tipped it.

/// How a set of votes came out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Majority {
    /// Votes cast (`votes`).
    pub(crate) votes: u32,
    /// Readable votes that passed.
    pub(crate) passes: u32,
    /// Readable votes that failed.
    pub(crate) fails: u32,
}

/// The decision of a set of votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// A majority of all votes passed.
    Pass,
    /// A majority of all votes failed.
    Fail,
    /// Unread votes could still change the outcome.
    Open,
}

impl Majority {
    /// Counts `votes`: `Some(passed)` for a readable vote, `None` for an unreadable one.
    pub(crate) fn count(votes: &[Option<bool>]) -> Self {
        let count = |wanted: bool| {
            u32::try_from(votes.iter().filter(|vote| **vote == Some(wanted)).count())
                .expect("votes are at most 9")
        };
        Self {
            votes: u32::try_from(votes.len()).expect("votes are at most 9"),
            passes: count(true),
            fails: count(false),
        }
    }

    /// Returns the decision: a side wins with more than half of *all* votes.
    pub(crate) fn decision(self) -> Decision {
        let needed = self.votes / 2 + 1;
        if self.passes >= needed {
            Decision::Pass
        } else if self.fails >= needed {
            Decision::Fail
        } else {
            Decision::Open
        }
    }

    /// Returns the share of readable votes on the larger side (1 when unanimous), or `None`
    /// when no vote was readable.
    pub(crate) fn agreement(self) -> Option<f64> {
        let read = self.passes + self.fails;
        (read > 0).then(|| f64::from(self.passes.max(self.fails)) / f64::from(read))
    }

    /// Returns true when the readable votes disagree: the judge flipped on the same answer,
    /// which reports flag like a flaky case.
    pub(crate) fn is_split(self) -> bool {
        self.passes > 0 && self.fails > 0
    }
}

/// Returns the median of `scores` (the mean of the middle two for an even count), `None`
/// when empty. The median, not the mean, so one confused vote cannot drag the score.
pub(crate) fn median(scores: &[f64]) -> Option<f64> {
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        len if len % 2 == 1 => Some(sorted[middle]),
        _ => Some(f64::midpoint(sorted[middle - 1], sorted[middle])),
    }
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;

    const P: Option<bool> = Some(true);
    const F: Option<bool> = Some(false);
    const E: Option<bool> = None;

    #[test_case(&[P], Decision::Pass ; "one pass")]
    #[test_case(&[E], Decision::Open ; "one unread")]
    #[test_case(&[P, P, F], Decision::Pass ; "two of three")]
    #[test_case(&[F, F, E], Decision::Fail ; "the unread vote cannot change it")]
    #[test_case(&[P, F, E], Decision::Open ; "the unread vote would decide")]
    #[test_case(&[P, P, E, E, F], Decision::Open ; "two unread of five")]
    #[test_case(&[P, P, P, E, E], Decision::Pass ; "three of five despite two unread")]
    fn decisions(votes: &[Option<bool>], expected: Decision) {
        assert_eq!(Majority::count(votes).decision(), expected);
    }

    #[test]
    fn agreement_and_split() {
        let split = Majority::count(&[P, P, F]);
        assert!(split.is_split());
        assert!((split.agreement().unwrap() - 2.0 / 3.0).abs() < 1e-12);
        let unanimous = Majority::count(&[F, F, E]);
        assert!(!unanimous.is_split());
        assert_eq!(unanimous.agreement(), Some(1.0));
        assert_eq!(Majority::count(&[E]).agreement(), None);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[0.9, 0.2, 0.9]), Some(0.9));
        assert_eq!(median(&[0.2, 0.6]), Some(0.4));
    }
}
