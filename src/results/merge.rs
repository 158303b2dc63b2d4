//! [`merge`]: the JSON reports of one run's shards joined into the report a single run would
//! have written.
//!
//! Cases keep their plan order (shard reports record each case's position in the whole plan),
//! suites and totals are recomputed from the cases, and anything that shows the reports are not
//! shards of one run is an error rather than a silent blend.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::counts::Counts;
use super::json_report::{
    FORMAT_VERSION, JsonCase, JsonReport, JsonSuite, flaky_cases, split_votes,
};
use crate::util::format::plural;

/// Merges named reports into one, or says why they do not belong together.
pub(crate) fn merge(inputs: &[(String, JsonReport)]) -> Result<JsonReport, String> {
    let Some((first_name, first)) = inputs.first() else {
        return Err("nothing to merge: pass the JSON reports of every shard".to_owned());
    };
    check_same_run(first_name, first, inputs)?;
    check_shards(inputs)?;

    let mut owner: HashMap<&str, &str> = HashMap::new();
    for (name, report) in inputs {
        for case in &report.cases {
            if let Some(other) = owner.insert(case.id.as_str(), name.as_str()) {
                return Err(format!(
                    "case `{}` is in both `{other}` and `{name}`: shards of one run never overlap \
                     (hint: pass each shard's report once)",
                    case.id
                ));
            }
        }
    }
    let suites = merged_suites(inputs)?;
    let sharded = first.run.shard.is_some();
    let mut cases: Vec<JsonCase> = inputs
        .iter()
        .flat_map(|(_, report)| report.cases.iter().cloned())
        .collect();
    if sharded {
        cases.sort_by_key(|case| case.plan_index);
    } else {
        let order: HashMap<&str, usize> = suites
            .iter()
            .enumerate()
            .map(|(index, suite)| (suite.path.as_str(), index))
            .collect();
        // Inline cases come before the rows of data files, as in the plan.
        let key = |case: &JsonCase| {
            (
                order.get(case.suite.as_str()).copied(),
                case.file.is_some(),
                case.line,
            )
        };
        cases.sort_by_key(key);
    }
    for case in &mut cases {
        case.plan_index = None;
    }
    Ok(assemble(inputs, suites, cases))
}

/// Returns what the caller should be warned of about reports that merge but may not be one
/// run's: shards whose generated probe cases came from different seeds.
#[must_use]
pub(crate) fn merge_warnings(inputs: &[(String, JsonReport)]) -> Vec<String> {
    let seeds: Vec<(&str, u64)> = inputs
        .iter()
        .filter_map(|(name, report)| Some((name.as_str(), report.run.probe_seed?)))
        .collect();
    let differ = seeds.windows(2).any(|pair| pair[0].1 != pair[1].1);
    if !differ {
        return Vec::new();
    }
    let listed: Vec<String> = seeds
        .iter()
        .map(|(name, seed)| format!("{seed} in `{name}`"))
        .collect();
    vec![format!(
        "the reports were run with different probe seeds ({}): their generated probe cases differ, so the merged report is not one run's and records no seed (hint: run every shard with the same `--seed`)",
        listed.join(", ")
    )]
}

/// Builds the merged report: suites in the order their first case appears, counts recomputed.
fn assemble(
    inputs: &[(String, JsonReport)],
    suites: Vec<JsonSuite>,
    cases: Vec<JsonCase>,
) -> JsonReport {
    let first = &inputs[0].1;
    let mut leftover: Vec<Option<JsonSuite>> = suites.into_iter().map(Some).collect();
    let index: HashMap<String, usize> = leftover
        .iter()
        .enumerate()
        .filter_map(|(position, suite)| Some((suite.as_ref()?.path.clone(), position)))
        .collect();
    let mut counts = Counts::default();
    let mut ordered_suites: Vec<JsonSuite> = Vec::new();
    let mut suite_counts: HashMap<String, Counts> = HashMap::new();
    for case in &cases {
        counts.add(case.status);
        suite_counts
            .entry(case.suite.clone())
            .or_default()
            .add(case.status);
        if let Some(suite) = index
            .get(&case.suite)
            .and_then(|&position| leftover[position].take())
        {
            ordered_suites.push(suite);
        }
    }
    ordered_suites.extend(leftover.into_iter().flatten());
    for suite in &mut ordered_suites {
        suite.counts = suite_counts.remove(&suite.path).unwrap_or_default();
    }
    let mut run = first.run.clone();
    run.shard = None;
    if !merge_warnings(inputs).is_empty() {
        // No one seed reproduces the merged cases.
        run.probe_seed = None;
    }
    if let Some((_, earliest)) = inputs
        .iter()
        .filter_map(|(_, report)| {
            let text = report.run.started_at.as_str();
            Some((text.parse::<jiff::Timestamp>().ok()?, text))
        })
        .min()
    {
        earliest.clone_into(&mut run.started_at);
    }
    // Shards run side by side: the merged run took as long as the slowest shard.
    run.duration_ms = inputs
        .iter()
        .map(|(_, report)| report.run.duration_ms)
        .max()
        .unwrap_or_default();
    run.interrupted = inputs.iter().any(|(_, report)| report.run.interrupted);
    let mut summary = first.summary.clone();
    summary.counts = counts;
    summary.flaky = flaky_cases(&cases);
    summary.prompt_tokens = inputs
        .iter()
        .map(|(_, report)| report.summary.prompt_tokens)
        .sum();
    summary.completion_tokens = inputs
        .iter()
        .map(|(_, report)| report.summary.completion_tokens)
        .sum();
    summary.cost_usd = inputs
        .iter()
        .filter_map(|(_, report)| report.summary.cost_usd)
        .reduce(|total, cost| total + cost);
    summary.judge_prompt_tokens = inputs
        .iter()
        .map(|(_, report)| report.summary.judge_prompt_tokens)
        .sum();
    summary.judge_completion_tokens = inputs
        .iter()
        .map(|(_, report)| report.summary.judge_completion_tokens)
        .sum();
    summary.judge_cost_usd = inputs
        .iter()
        .filter_map(|(_, report)| report.summary.judge_cost_usd)
        .reduce(|total, cost| total + cost);
    summary.split_votes = split_votes(&cases);
    JsonReport {
        // The merged file is written in this promptci's format, whatever the inputs' were.
        format_version: FORMAT_VERSION,
        run,
        summary,
        suites: ordered_suites,
        cases,
        baseline: None,
    }
}

/// Rejects reports from different commits, promptci versions or target sets.
fn check_same_run(
    first_name: &str,
    first: &JsonReport,
    inputs: &[(String, JsonReport)],
) -> Result<(), String> {
    for (name, report) in &inputs[1..] {
        let mismatch = |what: &str, a: &str, b: &str| {
            format!(
                "`{first_name}` and `{name}` are not shards of one run: {what} differ (`{a}` and `{b}`)"
            )
        };
        if let (Some(a), Some(b)) = (&first.run.git_commit, &report.run.git_commit)
            && a != b
        {
            return Err(mismatch("git commits", a, b));
        }
        if first.run.promptci_version != report.run.promptci_version {
            return Err(mismatch(
                "promptci versions",
                &first.run.promptci_version,
                &report.run.promptci_version,
            ));
        }
        if first.run.targets != report.run.targets {
            let names = |report: &JsonReport| {
                report
                    .run
                    .targets
                    .iter()
                    .map(|target| format!("{}={}", target.name, target.model))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(mismatch("targets", &names(first), &names(report)));
        }
    }
    Ok(())
}

/// Checks that sharded reports are every shard of the same split, each once.
fn check_shards(inputs: &[(String, JsonReport)]) -> Result<(), String> {
    let (first_name, first) = &inputs[0];
    let Some(expected) = first.run.shard else {
        if let Some((name, _)) = inputs.iter().find(|(_, report)| report.run.shard.is_some()) {
            return Err(format!(
                "`{name}` is a shard report but `{first_name}` is not: merge the reports of one \
                 `--shard K/N` split"
            ));
        }
        return Ok(());
    };
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for (name, report) in inputs {
        let Some(shard) = report.run.shard else {
            return Err(format!(
                "`{first_name}` is a shard report but `{name}` is not: merge the reports of one \
                 `--shard K/N` split"
            ));
        };
        if shard.count != expected.count || shard.plan_cases != expected.plan_cases {
            return Err(format!(
                "`{first_name}` is shard {}/{} of {} but `{name}` is shard {}/{} of {}: they \
                 come from different splits or plans",
                expected.index,
                expected.count,
                plural(expected.plan_cases, "case", "cases"),
                shard.index,
                shard.count,
                plural(shard.plan_cases, "case", "cases"),
            ));
        }
        if let Some(other) = seen.insert(shard.index, name) {
            return Err(format!(
                "shard {}/{} is given twice: `{other}` and `{name}`",
                shard.index, shard.count
            ));
        }
        if report.cases.iter().any(|case| case.plan_index.is_none()) {
            return Err(format!(
                "`{name}` is a shard report without case positions; rerun the shard"
            ));
        }
    }
    let missing: Vec<String> = (1..=expected.count)
        .filter(|index| !seen.contains_key(index))
        .map(|index| format!("{index}/{}", expected.count))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing {}: {} (hint: pass the JSON report of every shard)",
            if missing.len() == 1 {
                "shard"
            } else {
                "shards"
            },
            missing.join(", ")
        ));
    }
    let total: usize = inputs.iter().map(|(_, report)| report.cases.len()).sum();
    if total != expected.plan_cases {
        return Err(format!(
            "the shards hold {} but their plan had {}: a shard report is incomplete",
            plural(total, "case", "cases"),
            plural(expected.plan_cases, "case", "cases")
        ));
    }
    Ok(())
}

/// Collects the suites by path and target, in the order the reports first list them,
/// rejecting one suite described two ways (a different prompt version or model means the
/// shards ran different code).
fn merged_suites(inputs: &[(String, JsonReport)]) -> Result<Vec<JsonSuite>, String> {
    let mut suites: Vec<(JsonSuite, &str)> = Vec::new();
    for (name, report) in inputs {
        for suite in &report.suites {
            let seen = suites
                .iter()
                .find(|(seen, _)| seen.path == suite.path && seen.target == suite.target);
            match seen {
                None => suites.push((suite.clone(), name)),
                Some((seen, other)) => {
                    let same = seen.content_hash == suite.content_hash
                        && seen.model == suite.model
                        && seen.prompt_id == suite.prompt_id;
                    if !same {
                        return Err(format!(
                            "suite `{}` differs between `{other}` and `{name}` on target `{}` \
                             (prompt, content hash or model): the shards did not run the same code",
                            suite.path, suite.target
                        ));
                    }
                }
            }
        }
    }
    // Reports without shard positions are ordered as discovery orders files: by path
    // components, so `a/x.yaml` comes before `a-b.yaml` as it does in a single run; the sort
    // is stable, so a suite's targets keep their order.
    let mut ordered: Vec<JsonSuite> = suites.into_iter().map(|(suite, _)| suite).collect();
    ordered.sort_by(|a, b| Path::new(&a.path).cmp(Path::new(&b.path)));
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::CaseStatus;
    use crate::results::json_report::{JsonShard, JsonSummary};

    fn ids_with(report: &JsonReport, status: CaseStatus) -> Vec<&str> {
        report
            .cases
            .iter()
            .filter(|case| case.status == status)
            .map(|case| case.id.as_str())
            .collect()
    }

    fn report(shard: Option<(u32, u32, usize)>, cases: &[(&str, usize, CaseStatus)]) -> JsonReport {
        let cases: Vec<JsonCase> = cases
            .iter()
            .map(|(id, position, status)| {
                let (suite, name) = id.split_once("::").unwrap();
                let mut case: JsonCase = serde_json::from_value(serde_json::json!({
                    "id": id, "suite": suite, "name": name, "line": position + 1,
                    "status": status.as_str(),
                }))
                .unwrap();
                case.plan_index = shard.map(|_| *position);
                case
            })
            .collect();
        let mut suites: Vec<JsonSuite> = Vec::new();
        for case in &cases {
            if !suites.iter().any(|suite| suite.path == case.suite) {
                suites.push(
                    serde_json::from_value(serde_json::json!({
                        "path": case.suite, "target": "default", "provider": "mock",
                        "model": "mock", "total": 0, "passed": 0, "failed": 0, "errors": 0,
                        "skipped": 0,
                    }))
                    .unwrap(),
                );
            }
        }
        JsonReport {
            format_version: 1,
            run: serde_json::from_value(serde_json::json!({
                "started_at": "2026-01-01T00:00:00Z", "promptci_version": "0.1.0",
            }))
            .unwrap(),
            summary: JsonSummary {
                counts: Counts::default(),
                prompt_tokens: 3,
                completion_tokens: 4,
                cost_usd: None,
                flaky: Vec::new(),
                ..JsonSummary::default()
            },
            suites,
            cases,
            baseline: None,
        }
        .with_shard(shard)
    }

    impl JsonReport {
        fn with_shard(mut self, shard: Option<(u32, u32, usize)>) -> Self {
            self.run.shard = shard.map(|(index, count, plan_cases)| JsonShard {
                index,
                count,
                plan_cases,
            });
            self
        }
    }

    fn named(reports: Vec<JsonReport>) -> Vec<(String, JsonReport)> {
        reports
            .into_iter()
            .enumerate()
            .map(|(index, report)| (format!("shard{}.json", index + 1), report))
            .collect()
    }

    #[test]
    fn shards_merge_back_in_plan_order_with_recounted_totals() {
        let one = report(
            Some((1, 2, 4)),
            &[
                ("b.yaml::x", 1, CaseStatus::Failed),
                ("b.yaml::z", 3, CaseStatus::Passed),
            ],
        );
        let two = report(
            Some((2, 2, 4)),
            &[
                ("a.yaml::w", 0, CaseStatus::Passed),
                ("b.yaml::y", 2, CaseStatus::Error),
            ],
        );
        let merged = merge(&named(vec![two, one])).unwrap();
        let ids: Vec<_> = merged.cases.iter().map(|case| case.id.as_str()).collect();
        assert_eq!(ids, ["a.yaml::w", "b.yaml::x", "b.yaml::y", "b.yaml::z"]);
        let paths: Vec<_> = merged
            .suites
            .iter()
            .map(|suite| suite.path.as_str())
            .collect();
        assert_eq!(paths, ["a.yaml", "b.yaml"]);
        assert_eq!(merged.suites[1].counts.total, 3);
        assert_eq!(merged.suites[1].counts.failed, 1);
        assert_eq!(merged.summary.counts.total, 4);
        assert_eq!(merged.summary.counts.errors, 1);
        assert_eq!(merged.summary.prompt_tokens, 6);
        assert!(merged.run.shard.is_none());
        assert!(merged.cases.iter().all(|case| case.plan_index.is_none()));
        assert_eq!(ids_with(&merged, CaseStatus::Failed), ["b.yaml::x"]);
    }

    #[test]
    fn rejects_overlaps_duplicates_missing_shards_and_other_runs() {
        let one = || report(Some((1, 2, 2)), &[("a.yaml::x", 0, CaseStatus::Passed)]);
        let two = || report(Some((2, 2, 2)), &[("a.yaml::y", 1, CaseStatus::Passed)]);
        let error = merge(&named(vec![one(), one()])).unwrap_err();
        assert_eq!(
            error,
            "shard 1/2 is given twice: `shard1.json` and `shard2.json`"
        );
        let overlapping = report(Some((2, 2, 2)), &[("a.yaml::x", 0, CaseStatus::Passed)]);
        let error = merge(&named(vec![one(), overlapping])).unwrap_err();
        assert!(
            error.contains("case `a.yaml::x` is in both `shard1.json` and `shard2.json`"),
            "{error}"
        );
        let error = merge(&named(vec![one()])).unwrap_err();
        assert!(error.starts_with("missing shard: 2/2"), "{error}");
        let mut other_commit = two();
        other_commit.run.git_commit = Some("bbb".to_owned());
        let mut first = one();
        first.run.git_commit = Some("aaa".to_owned());
        let error = merge(&named(vec![first, other_commit])).unwrap_err();
        assert!(
            error.contains("git commits differ (`aaa` and `bbb`)"),
            "{error}"
        );
        let three = report(Some((2, 3, 2)), &[("a.yaml::y", 1, CaseStatus::Passed)]);
        let error = merge(&named(vec![one(), three])).unwrap_err();
        assert!(error.contains("different splits"), "{error}");
        let plain = report(None, &[("a.yaml::y", 1, CaseStatus::Passed)]);
        let error = merge(&named(vec![one(), plain])).unwrap_err();
        assert!(
            error.contains("is a shard report but `shard2.json` is not"),
            "{error}"
        );
        let mut changed = two();
        changed.suites[0].content_hash = Some("sha256:other".to_owned());
        let error = merge(&named(vec![one(), changed])).unwrap_err();
        assert!(error.contains("suite `a.yaml` differs"), "{error}");
    }

    #[test]
    fn unsharded_disjoint_reports_merge_by_path_and_line() {
        let a = report(None, &[("a/x.yaml::late", 5, CaseStatus::Passed)]);
        let b = report(
            None,
            &[
                ("a-b.yaml::one", 0, CaseStatus::Passed),
                ("a/x.yaml::early", 1, CaseStatus::Passed),
            ],
        );
        let merged = merge(&named(vec![a, b])).unwrap();
        let ids: Vec<_> = merged.cases.iter().map(|case| case.id.as_str()).collect();
        assert_eq!(ids, ["a/x.yaml::early", "a/x.yaml::late", "a-b.yaml::one"]);
    }
}
