//! [`Trend`]: many JSON reports of the same project (nightly runs, say) laid out over time —
//! pass rate per suite and target with intervals, failures, flaky cases, prompt tokens, cost,
//! p95 latency, the cases that changed status most often, and where a prompt changed.
//!
//! Building a trend is pure: named reports in, a [`Trend`] out, ordered by each report's
//! `started_at` whatever the order of the files. [`report::trend`](crate::report::trend)
//! renders it as Markdown, and the HTML page draws the same data.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::results::{CaseStatus as Status, Counts, Flakiness, JsonCase, JsonReport};
use crate::stats::PassRate;

/// The confidence of the pass-rate intervals.
const CONFIDENCE: f64 = 0.95;

/// How many of the most often changing cases a trend keeps.
const FLIP_LIMIT: usize = 20;

/// Reports over time.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Trend {
    /// Always `trend` (the page's data says what it is).
    pub(crate) kind: &'static str,
    /// The promptci that built it.
    pub(crate) generator: &'static str,
    /// One entry per report, oldest first.
    pub(crate) runs: Vec<TrendRun>,
    /// One series per suite and target, in order of first appearance.
    pub(crate) series: Vec<TrendSeries>,
    /// The p95 latency of each target in each run.
    pub(crate) latency: Vec<TargetLatency>,
    /// The cases whose status changed most often between consecutive runs, most first.
    pub(crate) flips: Vec<CaseFlips>,
    /// Every change of a suite's registry version or prompt hash between consecutive runs.
    pub(crate) changes: Vec<PromptChange>,
}

/// One report in a trend.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrendRun {
    /// The file it was read from, as given.
    pub(crate) file: String,
    /// When the run started (RFC 3339).
    pub(crate) started_at: String,
    /// The project's commit.
    pub(crate) git_commit: Option<String>,
    /// Whether the run was interrupted.
    pub(crate) interrupted: bool,
    /// What the whole run adds up to.
    #[serde(flatten)]
    pub(crate) totals: TrendTotals,
}

/// What a run, or one suite and target of it, adds up to.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrendTotals {
    /// Case counts.
    #[serde(flatten)]
    pub(crate) counts: Counts,
    /// The pass rate over judged cases with its interval.
    #[serde(flatten)]
    pub(crate) rate: Option<PassRate>,
    /// Repeated cases whose attempts disagreed.
    pub(crate) flaky: usize,
    /// Prompt tokens.
    pub(crate) prompt_tokens: u64,
    /// The cost, when prices were configured.
    pub(crate) cost_usd: Option<f64>,
}

/// One suite against one target over time.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrendSeries {
    /// The suite path.
    pub(crate) suite: String,
    /// The target's name.
    pub(crate) target: String,
    /// One point per run (`None` where the run did not have this suite and target).
    pub(crate) points: Vec<Option<TrendPoint>>,
}

/// A suite and target in one run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrendPoint {
    /// What the suite adds up to against the target.
    #[serde(flatten)]
    pub(crate) totals: TrendTotals,
    /// The p95 latency of answered, uncached cases.
    pub p95_ms: Option<u64>,
    /// The registry version of the prompt, when known.
    pub(crate) registry_version: Option<String>,
    /// The prompt's content hash.
    pub(crate) content_hash: Option<String>,
}

/// A target's p95 latency per run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TargetLatency {
    /// The target's name.
    pub(crate) target: String,
    /// One value per run.
    pub p95_ms: Vec<Option<u64>>,
}

/// A case and how often its status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CaseFlips {
    /// The case id.
    pub(crate) id: String,
    /// Changes of status between consecutive runs that both had the case.
    pub(crate) changes: usize,
    /// One letter per run: `p`assed, `f`ailed, `e`rror, `s`kipped, `-` absent.
    pub(crate) history: String,
}

/// A prompt that changed between two consecutive runs of a suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PromptChange {
    /// The index of the run where the change first shows.
    pub(crate) run: usize,
    /// The suite path.
    pub(crate) suite: String,
    /// The target's name.
    pub(crate) target: String,
    /// The registry version before and after, when known.
    pub(crate) from_version: Option<String>,
    /// The registry version after.
    pub(crate) to_version: Option<String>,
    /// The content hash before.
    pub(crate) from_hash: Option<String>,
    /// The content hash after.
    pub(crate) to_hash: Option<String>,
}

/// Why reports could not be laid out over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrendError {
    /// The report at fault.
    pub(crate) file: String,
    /// What is wrong with it.
    pub(crate) message: String,
}

/// Accumulates one suite and target of one run.
#[derive(Default)]
struct Group {
    counts: Counts,
    flaky: usize,
    prompt_tokens: u64,
    cost_usd: Option<f64>,
    latencies: Vec<u64>,
}

impl Group {
    fn add(&mut self, case: &JsonCase) {
        self.counts.add(case.status);
        if case
            .repeat
            .as_ref()
            .is_some_and(|repeat| repeat.classification == Some(Flakiness::Flaky))
        {
            self.flaky += 1;
        }
        if let Some(tokens) = &case.tokens {
            self.prompt_tokens += tokens.prompt;
        }
        if let Some(cost) = case.cost_usd {
            *self.cost_usd.get_or_insert(0.0) += cost;
        }
        if let (Some(latency), false) = (case.latency_ms, case.cached) {
            self.latencies.push(latency);
        }
    }
}

impl Group {
    fn totals(&self) -> TrendTotals {
        TrendTotals {
            counts: self.counts,
            rate: PassRate::of(
                self.counts.passed as u64,
                (self.counts.passed + self.counts.failed) as u64,
                CONFIDENCE,
            ),
            flaky: self.flaky,
            prompt_tokens: self.prompt_tokens,
            cost_usd: self.cost_usd,
        }
    }
}

/// Lays runs out one at a time, oldest first.
struct Builder<'a> {
    run_count: usize,
    runs: Vec<TrendRun>,
    series_index: HashMap<(&'a str, &'a str), usize>,
    series: Vec<TrendSeries>,
    latency: Vec<TargetLatency>,
    /// Each case's status per run, with the order it first appeared in.
    histories: BTreeMap<&'a str, (usize, Vec<Option<Status>>)>,
}

impl<'a> Builder<'a> {
    fn new(run_count: usize) -> Self {
        Self {
            run_count,
            runs: Vec::with_capacity(run_count),
            series_index: HashMap::new(),
            series: Vec::new(),
            latency: Vec::new(),
            histories: BTreeMap::new(),
        }
    }

    fn add_run(&mut self, run: usize, file: &str, report: &'a JsonReport) {
        let mut groups: Vec<((&'a str, &'a str), Group)> = Vec::new();
        let mut by_target: Vec<(&'a str, Vec<u64>)> = Vec::new();
        let mut totals = Group::default();
        for case in &report.cases {
            let key = (case.suite.as_str(), case.target.as_str());
            if let Some(index) = groups.iter().position(|(k, _)| *k == key) {
                groups[index].1.add(case);
            } else {
                let mut group = Group::default();
                group.add(case);
                groups.push((key, group));
            }
            totals.add(case);
            if let (Some(latency), false) = (case.latency_ms, case.cached) {
                if let Some((_, values)) =
                    by_target.iter_mut().find(|(name, _)| *name == case.target)
                {
                    values.push(latency);
                } else {
                    by_target.push((&case.target, vec![latency]));
                }
            }
            let order = self.histories.len();
            let run_count = self.run_count;
            self.histories
                .entry(case.id.as_str())
                .or_insert_with(|| (order, vec![None; run_count]))
                .1[run] = Some(case.status);
        }
        for (key, group) in groups {
            self.add_point(run, report, key, group);
        }
        for (target, mut values) in by_target {
            let index = self
                .latency
                .iter()
                .position(|entry| entry.target == target)
                .unwrap_or_else(|| {
                    self.latency.push(TargetLatency {
                        target: target.to_owned(),
                        p95_ms: vec![None; self.run_count],
                    });
                    self.latency.len() - 1
                });
            self.latency[index].p95_ms[run] = crate::stats::percentile(&mut values, 95);
        }
        self.runs.push(TrendRun {
            file: file.to_owned(),
            started_at: report.run.started_at.clone(),
            git_commit: report.run.git_commit.clone(),
            interrupted: report.run.interrupted,
            totals: totals.totals(),
        });
    }

    fn add_point(
        &mut self,
        run: usize,
        report: &JsonReport,
        (suite, target): (&'a str, &'a str),
        mut group: Group,
    ) {
        let meta = report
            .suites
            .iter()
            .find(|entry| entry.path == suite && entry.target == target)
            .or_else(|| report.suites.iter().find(|entry| entry.path == suite));
        let index = *self.series_index.entry((suite, target)).or_insert_with(|| {
            self.series.push(TrendSeries {
                suite: suite.to_owned(),
                target: target.to_owned(),
                points: vec![None; self.run_count],
            });
            self.series.len() - 1
        });
        self.series[index].points[run] = Some(TrendPoint {
            totals: group.totals(),
            p95_ms: crate::stats::percentile(&mut group.latencies, 95),
            registry_version: meta.and_then(|meta| meta.registry_version.clone()),
            content_hash: meta.and_then(|meta| meta.content_hash.clone()),
        });
    }

    fn finish(self) -> Trend {
        Trend {
            kind: "trend",
            generator: concat!("promptci ", env!("CARGO_PKG_VERSION")),
            changes: prompt_changes(&self.series),
            flips: most_flipped(self.histories),
            runs: self.runs,
            series: self.series,
            latency: self.latency,
        }
    }
}

impl Trend {
    /// Lays named reports out over time, oldest first by `started_at` (ties keep the order
    /// given). Fails on a report whose `started_at` is not an RFC 3339 time.
    pub(crate) fn build(reports: &[(String, JsonReport)]) -> Result<Self, TrendError> {
        let mut dated = Vec::with_capacity(reports.len());
        for (file, report) in reports {
            let at: jiff::Timestamp =
                report
                    .run
                    .started_at
                    .parse()
                    .map_err(|error: jiff::Error| TrendError {
                        file: file.clone(),
                        message: format!(
                            "`started_at` is `{}`, not an RFC 3339 time ({error})",
                            report.run.started_at
                        ),
                    })?;
            dated.push((at, file, report));
        }
        dated.sort_by_key(|(at, _, _)| *at);
        let mut builder = Builder::new(dated.len());
        for (run, (_, file, report)) in dated.into_iter().enumerate() {
            builder.add_run(run, file, report);
        }
        Ok(builder.finish())
    }
}

/// Returns the changes of registry version or content hash between consecutive points of
/// each series (gaps are skipped: the change shows at the next run that has the suite).
fn prompt_changes(series: &[TrendSeries]) -> Vec<PromptChange> {
    let mut changes = Vec::new();
    for entry in series {
        let mut previous: Option<&TrendPoint> = None;
        for (run, point) in entry.points.iter().enumerate() {
            let Some(point) = point else { continue };
            if let Some(before) = previous
                && (before.registry_version != point.registry_version
                    || before.content_hash != point.content_hash)
            {
                changes.push(PromptChange {
                    run,
                    suite: entry.suite.clone(),
                    target: entry.target.clone(),
                    from_version: before.registry_version.clone(),
                    to_version: point.registry_version.clone(),
                    from_hash: before.content_hash.clone(),
                    to_hash: point.content_hash.clone(),
                });
            }
            previous = Some(point);
        }
    }
    changes.sort_by_key(|change| change.run);
    changes
}

/// Returns the cases whose status changed most often between consecutive runs that both had
/// them, most first (ties in order of first appearance), at most [`FLIP_LIMIT`].
fn most_flipped(histories: BTreeMap<&str, (usize, Vec<Option<Status>>)>) -> Vec<CaseFlips> {
    let mut flips: Vec<(usize, CaseFlips)> = histories
        .into_iter()
        .map(|(id, (order, history))| {
            let present: Vec<Status> = history.iter().flatten().copied().collect();
            let changes = present.windows(2).filter(|pair| pair[0] != pair[1]).count();
            let letters = history
                .iter()
                .map(|status| match status {
                    Some(Status::Passed) => 'p',
                    Some(Status::Failed) => 'f',
                    Some(Status::Error) => 'e',
                    Some(Status::Skipped) => 's',
                    None => '-',
                })
                .collect();
            (
                order,
                CaseFlips {
                    id: id.to_owned(),
                    changes,
                    history: letters,
                },
            )
        })
        .filter(|(_, flips)| flips.changes > 0)
        .collect();
    flips
        .sort_by(|(a_order, a), (b_order, b)| b.changes.cmp(&a.changes).then(a_order.cmp(b_order)));
    flips.truncate(FLIP_LIMIT);
    flips.into_iter().map(|(_, flips)| flips).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A report started on `day` of November with cases `(id, status, prompt tokens)` of one
    /// suite, whose prompt is at `version`.
    fn report(day: u32, version: &str, cases: &[(&str, &str, u64)]) -> JsonReport {
        let cases: Vec<_> = cases
            .iter()
            .map(|(name, status, tokens)| {
                json!({
                    "id": format!("s.yaml::{name}"), "suite": "s.yaml", "name": name, "line": 1,
                    "status": status, "target": "t", "latency_ms": u64::from(day) * 10,
                    "tokens": { "prompt": tokens, "completion": 1, "source": "provider" },
                })
            })
            .collect();
        serde_json::from_value(json!({
            "format_version": 1,
            "run": { "started_at": format!("2026-11-{day:02}T02:00:00Z") },
            "summary": { "total": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0 },
            "suites": [{ "path": "s.yaml", "target": "t", "provider": "mock", "model": "m",
                "registry_version": version, "content_hash": format!("sha256:{version}"),
                "total": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0 }],
            "cases": cases,
        }))
        .unwrap()
    }

    fn named(reports: Vec<JsonReport>) -> Vec<(String, JsonReport)> {
        reports
            .into_iter()
            .enumerate()
            .map(|(index, report)| (format!("r{index}.json"), report))
            .collect()
    }

    #[test]
    fn runs_are_ordered_by_start_whatever_the_file_order() {
        let trend = Trend::build(&named(vec![
            report(3, "1", &[("a", "failed", 30)]),
            report(1, "1", &[("a", "passed", 10)]),
            report(2, "1", &[("a", "passed", 20)]),
        ]))
        .unwrap();
        let files: Vec<&str> = trend.runs.iter().map(|run| run.file.as_str()).collect();
        assert_eq!(files, ["r1.json", "r2.json", "r0.json"]);
        let tokens: Vec<u64> = trend.series[0]
            .points
            .iter()
            .map(|point| point.as_ref().unwrap().totals.prompt_tokens)
            .collect();
        assert_eq!(tokens, [10, 20, 30]);
        assert_eq!(trend.latency[0].p95_ms, [Some(10), Some(20), Some(30)]);
    }

    #[test]
    fn counts_status_changes_and_marks_prompt_changes() {
        let trend = Trend::build(&named(vec![
            report(1, "1.0.0", &[("a", "passed", 1), ("b", "passed", 1)]),
            report(2, "1.0.0", &[("a", "failed", 1), ("b", "passed", 1)]),
            report(3, "1.1.0", &[("a", "passed", 1)]),
            report(4, "1.1.0", &[("a", "failed", 1), ("b", "failed", 1)]),
        ]))
        .unwrap();
        assert_eq!(
            trend.flips,
            [
                CaseFlips {
                    id: "s.yaml::a".into(),
                    changes: 3,
                    history: "pfpf".into()
                },
                CaseFlips {
                    id: "s.yaml::b".into(),
                    changes: 1,
                    history: "pp-f".into()
                },
            ]
        );
        assert_eq!(trend.changes.len(), 1);
        assert_eq!(trend.changes[0].run, 2);
        assert_eq!(trend.changes[0].to_version.as_deref(), Some("1.1.0"));
        let last = trend.series[0].points[3].as_ref().unwrap();
        assert_eq!(
            (last.totals.counts.failed, last.totals.rate.unwrap().rate),
            (2, 0.0)
        );
    }

    #[test]
    fn a_report_without_a_valid_start_is_named() {
        let mut bad = report(1, "1", &[]);
        bad.run.started_at = "yesterday".into();
        let error = Trend::build(&named(vec![report(2, "1", &[]), bad])).unwrap_err();
        assert_eq!(error.file, "r1.json");
        assert!(error.message.contains("`yesterday`"));
    }
}
