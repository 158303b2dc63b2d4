//! [`RunSummary`]: the plan's suites and targets, each case's compact record and the run's
//! tally and metadata — the input of every summary.

use std::time::Duration;

use super::case_record::{CaseRecord, RunTally};
use super::counts::Counts;
use crate::plan::TestPlan;

/// Metadata of a run.
#[derive(Debug, Clone)]
pub(crate) struct RunMeta {
    /// When the run started.
    pub(crate) started_at: jiff::Timestamp,
    /// Wall time of the run.
    pub(crate) duration: Duration,
    /// The git commit of the project, when known.
    pub(crate) git_commit: Option<String>,
    /// Whether the run was interrupted.
    pub(crate) interrupted: bool,
}

/// Everything the reports need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunSummary<'a> {
    /// The plan that ran (its suites and targets: cases are not read after the run).
    pub(crate) plan: &'a TestPlan,
    /// One record per case, in plan order.
    pub(crate) records: &'a [CaseRecord],
    /// What the run gathered across its cases.
    pub(crate) tally: &'a RunTally,
    /// The run's metadata.
    pub(crate) meta: &'a RunMeta,
}

impl RunSummary<'_> {
    /// Returns the counts over every case.
    #[must_use]
    pub(crate) fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for record in self.records {
            counts.add(record.status);
        }
        counts
    }

    /// Returns the counts of each suite, by suite index.
    #[must_use]
    pub(crate) fn suite_counts(&self) -> Vec<Counts> {
        let mut counts = vec![Counts::default(); self.plan.suites.len()];
        for record in self.records {
            counts[record.suite as usize].add(record.status);
        }
        counts
    }

    /// Returns how many answers came from the response cache or a recording.
    #[must_use]
    pub(crate) fn cached(&self) -> usize {
        self.records.iter().filter(|record| record.cached()).count()
    }

    /// Returns the total prompt and completion tokens of the answered cases.
    #[must_use]
    pub(crate) fn tokens(&self) -> (u64, u64) {
        self.records.iter().filter(|record| record.answered()).fold(
            (0, 0),
            |(prompt, completion), record| {
                (
                    prompt + record.prompt_tokens(),
                    completion + record.completion_tokens(),
                )
            },
        )
    }
}
