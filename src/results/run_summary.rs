//! [`RunSummary`]: the plan, its results and the run's metadata — the input of every report.

use std::time::Duration;

use super::case_result::CaseResult;
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
    /// The plan that ran.
    pub(crate) plan: &'a TestPlan,
    /// One result per case, in plan order.
    pub(crate) results: &'a [CaseResult],
    /// The run's metadata.
    pub(crate) meta: &'a RunMeta,
}

impl RunSummary<'_> {
    /// Returns the counts over every case.
    #[must_use]
    pub(crate) fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for result in self.results {
            counts.add(result.status);
        }
        counts
    }

    /// Returns the counts of each suite, by suite index.
    #[must_use]
    pub(crate) fn suite_counts(&self) -> Vec<Counts> {
        let mut counts = vec![Counts::default(); self.plan.suites.len()];
        for (case, result) in self.plan.cases.iter().zip(self.results) {
            counts[case.suite].add(result.status);
        }
        counts
    }

    /// Returns how many answers came from the response cache or a recording.
    #[must_use]
    pub(crate) fn cached(&self) -> usize {
        self.results.iter().filter(|result| result.cached).count()
    }

    /// Returns the total prompt and completion tokens the provider reported.
    #[must_use]
    pub(crate) fn tokens(&self) -> (u64, u64) {
        self.results.iter().filter_map(|result| result.usage).fold(
            (0, 0),
            |(prompt, completion), usage| {
                (
                    prompt + usage.prompt_tokens,
                    completion + usage.completion_tokens,
                )
            },
        )
    }
}
