//! [`RepeatRecord`]: the attempts of a repeated case, its pass rate, interval and
//! [`Flakiness`].

use serde::{Deserialize, Serialize};

use super::case_result::CaseResult;
use crate::plan::RepeatPolicy;
use crate::stats::Interval;
use crate::util::format::percent;

/// Whether a repeated case's attempts agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Flakiness {
    /// Every judged attempt passed.
    AlwaysPass,
    /// Every judged attempt failed.
    AlwaysFail,
    /// Some passed and some failed.
    Flaky,
}

impl Flakiness {
    /// Returns the name used in reports.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::AlwaysPass => "always-pass",
            Self::AlwaysFail => "always-fail",
            Self::Flaky => "flaky",
        }
    }
}

/// The attempts of a repeated case and what they add up to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RepeatRecord {
    /// The policy the case ran under.
    pub(crate) policy: RepeatPolicy,
    /// Every attempt, in attempt order.
    pub(crate) attempts: Vec<CaseResult>,
    /// Attempts that passed.
    pub(crate) passed: u32,
    /// Attempts that failed on their merits.
    pub(crate) failed: u32,
    /// Attempts that could not be judged (provider errors).
    pub(crate) errors: u32,
    /// The Wilson interval of the pass rate over judged attempts.
    pub(crate) interval: Interval,
    /// Whether the judged attempts agreed; `None` when none was judged.
    pub(crate) flakiness: Option<Flakiness>,
    /// Whether attempts were left unsent because the verdict was settled.
    pub(crate) stopped_early: bool,
}

impl RepeatRecord {
    /// Returns the number of judged attempts (passed or failed).
    #[must_use]
    pub(crate) fn judged(&self) -> u32 {
        self.passed + self.failed
    }

    /// Returns the observed pass rate over judged attempts (0 when none was judged).
    #[must_use]
    pub(crate) fn rate(&self) -> f64 {
        if self.judged() == 0 {
            0.0
        } else {
            f64::from(self.passed) / f64::from(self.judged())
        }
    }

    /// Returns the one-line account of the attempts that reports show.
    #[must_use]
    pub(crate) fn describe(&self) -> String {
        let mut text = format!(
            "{}/{} attempts passed ({}), required {} ({}); {} interval {}–{}",
            self.passed,
            self.judged(),
            percent(self.rate()),
            self.policy.required_passes(),
            percent(self.policy.pass_rate),
            percent(self.policy.confidence),
            percent(self.interval.low),
            percent(self.interval.high),
        );
        if self.errors > 0 {
            text.push_str(&format!("; {} errored", self.errors));
        }
        if self.stopped_early {
            text.push_str(&format!(
                "; stopped early after {} of {} attempts",
                self.attempts.len(),
                self.policy.repeat
            ));
        }
        text
    }
}
