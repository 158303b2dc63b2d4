//! [`RepeatPolicy`]: how often a case is sent and what share of its attempts must pass.
//!
//! A case passes when at least `ceil(pass-rate × repeat)` attempts pass, which is the observed
//! pass rate meeting the threshold. [`RepeatPolicy::settled`] says when the remaining attempts
//! can no longer change that verdict, which early stopping uses.

use serde::{Deserialize, Serialize};

use crate::suite::RepeatSettings;

/// The default `pass-rate`: every attempt must pass.
pub(crate) const DEFAULT_PASS_RATE: f64 = 1.0;

/// The default `confidence` of intervals and tests.
pub(crate) const DEFAULT_CONFIDENCE: f64 = 0.95;

/// How often a case is sent and what share of attempts must pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RepeatPolicy {
    /// How many attempts (1 = a single shot).
    pub(crate) repeat: u32,
    /// The share of attempts that must pass.
    pub(crate) pass_rate: f64,
    /// The confidence of the reported interval.
    pub(crate) confidence: f64,
    /// Whether to stop once the verdict can no longer change.
    pub(crate) early_stop: bool,
}

impl Default for RepeatPolicy {
    fn default() -> Self {
        Self {
            repeat: 1,
            pass_rate: DEFAULT_PASS_RATE,
            confidence: DEFAULT_CONFIDENCE,
            early_stop: false,
        }
    }
}

impl RepeatPolicy {
    /// Resolves a suite's settings, with defaults for what it leaves unset.
    #[must_use]
    pub(crate) fn from_settings(settings: RepeatSettings) -> Self {
        let defaults = Self::default();
        Self {
            repeat: settings.repeat.unwrap_or(defaults.repeat).max(1),
            pass_rate: settings.pass_rate.unwrap_or(defaults.pass_rate),
            confidence: settings.confidence.unwrap_or(defaults.confidence),
            early_stop: settings.early_stop.unwrap_or(defaults.early_stop),
        }
    }

    /// Returns whether the case is sent more than once.
    #[must_use]
    pub(crate) fn is_repeated(&self) -> bool {
        self.repeat > 1
    }

    /// Returns how many attempts must pass: `ceil(pass-rate × repeat)`, at least 1.
    #[must_use]
    pub(crate) fn required_passes(&self) -> u32 {
        // The small subtraction keeps 0.8 × 40 at 32 despite binary rounding.
        let required = (self.pass_rate * f64::from(self.repeat) - 1e-9).ceil();
        if required <= 1.0 {
            1
        } else if required >= f64::from(self.repeat) {
            self.repeat
        } else {
            // In range by the checks above.
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "required lies strictly between 1 and repeat"
            )]
            let required = required as u32;
            required
        }
    }

    /// Returns the verdict once it can no longer change: `Some(true)` when enough attempts
    /// passed, `Some(false)` when too few are left to get there, `None` while it is open.
    /// Attempts that are neither passed nor failed (errors, not yet run) count as open.
    #[must_use]
    pub(crate) fn settled(&self, passed: u32, failed: u32) -> Option<bool> {
        let required = self.required_passes();
        if passed >= required {
            Some(true)
        } else if self.repeat.saturating_sub(failed) < required {
            Some(false)
        } else {
            None
        }
    }

    /// Returns the fewest further attempts that could settle the verdict: no verdict can
    /// settle before all of them are back, so they can be sent at once.
    #[must_use]
    pub(crate) fn next_wave(&self, passed: u32, failed: u32, sent: u32) -> u32 {
        let left = self.repeat - sent;
        if !self.early_stop {
            return left;
        }
        let required = self.required_passes();
        let to_pass = required.saturating_sub(passed);
        let to_fail = (self.repeat - required + 1).saturating_sub(failed);
        to_pass.min(to_fail).clamp(1, left.max(1))
    }
}
