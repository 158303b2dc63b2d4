//! [`TargetSummary`]: one target's results in a run, for the side-by-side comparison of the
//! targets a run used. Built from the JSON report, so a merged report and the GitHub summary
//! show the same numbers.

use serde::{Deserialize, Serialize};

use super::{CaseRecord, Counts, JsonCase, JsonReport};
use crate::plan::TestPlan;
use crate::stats::Interval;

/// One target's results in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct TargetSummary {
    /// The target's name.
    pub(crate) target: String,
    /// The model it ran.
    pub(crate) model: String,
    /// Case counts.
    #[serde(flatten)]
    pub(crate) counts: Counts,
    /// Passed cases among judged (passed or failed) ones, with its interval; absent when no
    /// case was judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pass_rate: Option<PassRate>,
    /// Prompt tokens of the answered cases (the provider's counts, else offline ones).
    pub(crate) prompt_tokens: u64,
    /// Completion tokens of the answered cases.
    pub(crate) completion_tokens: u64,
    /// The cost of the answered cases in US dollars, when prices are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cost_usd: Option<f64>,
    /// The median request latency in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_p50_ms: Option<u64>,
    /// The 95th percentile of request latency in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_p95_ms: Option<u64>,
}

/// A pass rate with its Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct PassRate {
    /// Passed over judged.
    pub(crate) rate: f64,
    /// The confidence of the interval.
    pub(crate) confidence: f64,
    /// The interval.
    pub(crate) interval: Interval,
}

/// Returns each target's summary, in the order the report lists its targets (targets with no
/// case are left out). `confidence` is the interval's (the report's, see
/// `report_confidence`).
#[must_use]
pub(crate) fn target_summaries(report: &JsonReport, confidence: f64) -> Vec<TargetSummary> {
    let mut names: Vec<&str> = report
        .run
        .targets
        .iter()
        .map(|target| target.name.as_str())
        .collect();
    for case in &report.cases {
        if !names.contains(&case.target.as_str()) {
            names.push(&case.target);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let cases: Vec<&JsonCase> = report
                .cases
                .iter()
                .filter(|case| case.target == name)
                .collect();
            (!cases.is_empty()).then(|| summary_of(name, &cases, confidence))
        })
        .collect()
}

/// Fills the report's side-by-side summary of its targets when its cases ran on several
/// targets, and empties it otherwise; `confidence` is the intervals'.
pub(crate) fn summarise_targets(report: &mut JsonReport, confidence: f64) {
    report.summary.targets = side_by_side(target_summaries(report, confidence));
}

/// Returns each target's summary from a run's compact records (in plan order), in the order
/// of the plan's targets; the same numbers [`target_summaries`] reads from its report.
#[must_use]
pub(crate) fn record_summaries(
    plan: &TestPlan,
    records: &[CaseRecord],
    confidence: f64,
) -> Vec<TargetSummary> {
    let mut names: Vec<&str> = Vec::new();
    for target in &plan.targets {
        if !names.contains(&target.name.as_str()) {
            names.push(&target.name);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let mut tally = TargetTally::default();
            for record in records {
                let target = &plan.targets[record.target as usize];
                if target.name == name {
                    tally.model.get_or_insert_with(|| target.model.clone());
                    tally.add(
                        record.status,
                        Some((record.prompt_tokens(), record.completion_tokens())),
                        record.cost_usd(),
                        record.latency_ms(),
                    );
                }
            }
            (tally.counts.total > 0).then(|| tally.finish(name, confidence))
        })
        .collect()
}

/// Keeps only summaries of runs on several targets: one target needs no side-by-side table.
#[must_use]
pub(crate) fn side_by_side(summaries: Vec<TargetSummary>) -> Vec<TargetSummary> {
    if summaries.len() > 1 {
        summaries
    } else {
        Vec::new()
    }
}

fn summary_of(name: &str, cases: &[&JsonCase], confidence: f64) -> TargetSummary {
    let mut tally = TargetTally {
        model: cases.first().map(|case| case.model.clone()),
        ..TargetTally::default()
    };
    for case in cases {
        tally.add(
            case.status,
            case.tokens
                .as_ref()
                .map(|tokens| (tokens.prompt, tokens.completion)),
            case.cost_usd,
            case.latency_ms,
        );
    }
    tally.finish(name, confidence)
}

/// One target's cases, added up in plan order.
#[derive(Debug, Default)]
struct TargetTally {
    model: Option<String>,
    counts: Counts,
    prompt_tokens: u64,
    completion_tokens: u64,
    cost: Option<f64>,
    latencies: Vec<u64>,
}

impl TargetTally {
    fn add(
        &mut self,
        status: super::CaseStatus,
        tokens: Option<(u64, u64)>,
        cost: Option<f64>,
        latency_ms: Option<u64>,
    ) {
        self.counts.add(status);
        if let Some((prompt, completion)) = tokens {
            self.prompt_tokens += prompt;
            self.completion_tokens += completion;
        }
        if let Some(case_cost) = cost {
            self.cost = Some(self.cost.unwrap_or(0.0) + case_cost);
        }
        self.latencies.extend(latency_ms);
    }

    fn finish(mut self, name: &str, confidence: f64) -> TargetSummary {
        self.latencies.sort_unstable();
        let counts = self.counts;
        let judged = counts.passed + counts.failed;
        let pass_rate = (judged > 0).then(|| PassRate {
            rate: counts.passed as f64 / judged as f64,
            confidence,
            interval: crate::stats::wilson(counts.passed as u64, judged as u64, confidence),
        });
        TargetSummary {
            target: name.to_owned(),
            model: self.model.unwrap_or_default(),
            counts,
            pass_rate,
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            cost_usd: self.cost,
            latency_p50_ms: percentile(&self.latencies, 50),
            latency_p95_ms: percentile(&self.latencies, 95),
        }
    }
}

/// Returns the nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], percent: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 95), Some(7));
        let values: Vec<u64> = (1..=20).collect();
        assert_eq!(percentile(&values, 50), Some(10));
        assert_eq!(percentile(&values, 95), Some(19));
    }
}
