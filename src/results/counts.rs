//! [`Counts`]: cases by verdict.

use super::case_result::CaseStatus;

/// Case counts by status.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub(crate) struct Counts {
    /// All cases.
    pub(crate) total: usize,
    /// Passed cases.
    pub(crate) passed: usize,
    /// Failed cases.
    pub(crate) failed: usize,
    /// Errored cases.
    pub(crate) errors: usize,
    /// Skipped cases.
    pub(crate) skipped: usize,
}

impl Counts {
    /// Counts one result.
    pub(crate) fn add(&mut self, status: CaseStatus) {
        self.total += 1;
        match status {
            CaseStatus::Passed => self.passed += 1,
            CaseStatus::Failed => self.failed += 1,
            CaseStatus::Error => self.errors += 1,
            CaseStatus::Skipped => self.skipped += 1,
        }
    }
}
