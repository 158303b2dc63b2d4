//! The JSON report: [`JsonReport`], written by `--json` and read back as a baseline.
//!
//! Compatibility: `format_version` changes only when a field changes meaning. New fields are
//! optional (`#[serde(default)]`), and readers ignore fields they do not know, so old readers
//! handle new files and new readers handle old files.

use serde::{Deserialize, Serialize};

use crate::assert::AssertionResult;
use crate::results::{CaseError, CaseResult, CaseStatus, Flakiness};
use crate::results::{Counts, RunSummary};
use crate::stats::Interval;

/// The version of the JSON report format.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// A whole run as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonReport {
    /// The report format's version.
    #[schemars(extend("const" = FORMAT_VERSION))]
    pub(crate) format_version: u32,
    /// Run metadata.
    pub(crate) run: JsonRun,
    /// Counts and token totals over every case.
    pub(crate) summary: JsonSummary,
    /// One entry per suite, in plan order.
    #[serde(default)]
    pub(crate) suites: Vec<JsonSuite>,
    /// One entry per case, in plan order.
    #[serde(default)]
    pub(crate) cases: Vec<JsonCase>,
    /// The comparison with `--baseline`, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) baseline: Option<crate::results::Comparison>,
}

/// Run metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonRun {
    /// When the run started (RFC 3339).
    pub(crate) started_at: String,
    /// Wall time in milliseconds.
    #[serde(default)]
    pub(crate) duration_ms: u64,
    /// The project's git commit, when known.
    #[serde(default)]
    pub(crate) git_commit: Option<String>,
    /// The promptci version that wrote the report.
    #[serde(default)]
    pub(crate) promptci_version: String,
    /// Whether the run was interrupted (unfinished cases are skipped).
    #[serde(default)]
    pub(crate) interrupted: bool,
    /// The targets the run used.
    #[serde(default)]
    pub(crate) targets: Vec<JsonTarget>,
    /// The seed of generated probes, when the run had any: `--seed` with it reproduces every
    /// payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) probe_seed: Option<u64>,
    /// Which shard of a larger plan this report covers (`run --shard K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shard: Option<JsonShard>,
    /// The flags that ran only some of the cases (`--filter X`, `--tag T`,
    /// `--changed-since REF`), as written: the registry does not take such a run as evidence
    /// for a whole suite unless told to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) selection: Vec<String>,
}

/// The shard a report covers, so `promptci merge` can check it has the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonShard {
    /// Which shard, from 1.
    pub(crate) index: u32,
    /// How many shards.
    pub(crate) count: u32,
    /// How many cases the whole, unsharded plan has.
    pub(crate) plan_cases: usize,
}

/// A target as reports show it (never its key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonTarget {
    /// The target's name.
    pub(crate) name: String,
    /// The API it speaks.
    pub(crate) provider: String,
    /// The model.
    pub(crate) model: String,
    /// The base URL, for HTTP targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) base_url: Option<String>,
}

/// Counts and totals over every case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonSummary {
    /// Case counts.
    #[serde(flatten)]
    pub(crate) counts: Counts,
    /// Prompt tokens over every answered case.
    #[serde(default)]
    pub(crate) prompt_tokens: u64,
    /// Completion tokens over every answered case.
    #[serde(default)]
    pub(crate) completion_tokens: u64,
    /// The cost of every answered case in US dollars, when prices are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cost_usd: Option<f64>,
    /// Repeated cases whose attempts disagreed, in plan order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) flaky: Vec<JsonFlaky>,
    /// Prompt tokens of every grader and embedder call (not in `prompt_tokens`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) judge_prompt_tokens: u64,
    /// Completion tokens of every grader call (not in `completion_tokens`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) judge_completion_tokens: u64,
    /// The cost of the grader and embedder calls in US dollars, when prices are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) judge_cost_usd: Option<f64>,
    /// Model-graded assertions whose votes disagreed, in plan order: a judge that flipped on
    /// the same answer, flagged like a flaky case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) split_votes: Vec<JsonSplitVote>,
    /// Each target's results side by side, in report order, when the run used several
    /// targets (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) targets: Vec<crate::results::TargetSummary>,
}

/// A model-graded assertion whose votes disagreed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonSplitVote {
    /// The case id.
    pub(crate) id: String,
    /// The assertion's kind.
    pub(crate) assertion: String,
    /// Votes that passed.
    pub(crate) passes: u32,
    /// Votes cast.
    pub(crate) votes: u32,
}

/// The tokens of a case's grader and embedder calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JudgeTokens {
    /// Prompt tokens.
    pub(crate) prompt: u64,
    /// Completion tokens.
    pub(crate) completion: u64,
}

/// A flaky case in the summary: its pass rate and interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonFlaky {
    /// The case id.
    pub(crate) id: String,
    /// The case's verdict.
    pub(crate) status: CaseStatus,
    /// Attempts that passed.
    pub(crate) passed: u32,
    /// Attempts judged (passed or failed).
    pub(crate) judged: u32,
    /// The observed pass rate.
    pub(crate) rate: f64,
    /// Its Wilson interval at the case's confidence.
    pub(crate) interval: Interval,
}

/// The pass rate of a repeated case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonRepeat {
    /// Attempts planned (`repeat`).
    pub(crate) planned: u32,
    /// Attempts sent (fewer when early stopping settled the verdict).
    pub(crate) sent: u32,
    /// Attempts that passed.
    pub(crate) passed: u32,
    /// Attempts that failed on their merits.
    pub(crate) failed: u32,
    /// Attempts that could not be judged.
    pub(crate) errors: u32,
    /// The observed pass rate over judged attempts.
    pub(crate) rate: f64,
    /// The required pass rate (`pass-rate`).
    pub(crate) required_rate: f64,
    /// The confidence of the interval.
    pub(crate) confidence: f64,
    /// The Wilson interval of the pass rate.
    pub(crate) interval: Interval,
    /// `always-pass`, `always-fail` or `flaky`; absent when no attempt was judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) classification: Option<Flakiness>,
    /// Whether early stopping left attempts unsent.
    #[serde(default)]
    pub(crate) stopped_early: bool,
}

/// One attempt of a repeated case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonAttempt {
    /// The attempt number, from 1.
    pub(crate) attempt: u32,
    /// The attempt's verdict.
    pub(crate) status: CaseStatus,
    /// The start of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) answer: Option<String>,
    /// Why it failed or errored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) reasons: Vec<String>,
    /// Request latency in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_ms: Option<u64>,
    /// Whether the answer came from the cache or a recording.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) cached: bool,
}

/// The most characters of an attempt's answer kept in the report.
pub(crate) const ATTEMPT_ANSWER_LIMIT: usize = 200;

/// A suite as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonSuite {
    /// The suite path relative to the project root.
    pub(crate) path: String,
    /// The prompt's registry id.
    #[serde(default)]
    pub(crate) prompt_id: Option<String>,
    /// The template path relative to the project root.
    #[serde(default)]
    pub(crate) template: Option<String>,
    /// The content hash of the template and its includes.
    #[serde(default)]
    pub(crate) content_hash: Option<String>,
    /// The registry version whose content matches, when known.
    #[serde(default)]
    pub(crate) registry_version: Option<String>,
    /// The target's name.
    pub(crate) target: String,
    /// The target's API.
    pub(crate) provider: String,
    /// The target's model.
    pub(crate) model: String,
    /// Case counts of the suite.
    #[serde(flatten)]
    pub(crate) counts: Counts,
    /// Each limit of the suite's `budget`, checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) budgets: Vec<crate::results::BudgetCheck>,
}

/// Token counts of a case, with where they came from.
///
/// `prompt` and `completion` are the counts budgets use: the provider's when it reported
/// usage, else counted offline. `offline` and `provider` keep both, labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonTokens {
    /// Prompt tokens.
    pub(crate) prompt: u64,
    /// Completion tokens.
    pub(crate) completion: u64,
    /// `provider` when the API reported usage, `offline` when counted locally.
    pub(crate) source: TokenSource,
    /// The encoding of the offline counts (`o200k_base`, `cl100k_base`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) encoding: Option<crate::tokens::Encoding>,
    /// True when the encoding is not the model's own, so offline counts are estimates.
    #[serde(default)]
    pub(crate) estimate: bool,
    /// Counted offline: the rendered prompt, and the answer when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) offline: Option<TokenPair>,
    /// Reported by the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) provider: Option<TokenPair>,
}

impl JsonTokens {
    /// Returns the counts the provider reported (offline counts are added by
    /// [`gate::annotate`](crate::decide::annotate)).
    #[must_use]
    pub(crate) fn from_provider(usage: crate::chat::Usage) -> Self {
        Self {
            prompt: usage.prompt_tokens,
            completion: usage.completion_tokens,
            source: TokenSource::Provider,
            encoding: None,
            estimate: false,
            offline: None,
            provider: Some(TokenPair {
                prompt: usage.prompt_tokens,
                completion: Some(usage.completion_tokens),
            }),
        }
    }
}

/// Prompt and completion tokens from one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct TokenPair {
    /// Prompt tokens.
    pub(crate) prompt: u64,
    /// Completion tokens, when there was an answer.
    #[serde(default)]
    pub(crate) completion: Option<u64>,
}

/// Where token counts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum TokenSource {
    /// Reported by the provider.
    Provider,
    /// Counted offline with a tokenizer.
    Offline,
}

/// A case as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonCase {
    /// The stable id: `suite-path::case-name`.
    pub(crate) id: String,
    /// The suite path.
    pub(crate) suite: String,
    /// The case name.
    pub(crate) name: String,
    /// The line of the case in its suite (or in its data file).
    pub(crate) line: usize,
    /// The data file the case is a row of, when it is not written in its suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) file: Option<String>,
    /// The verdict.
    pub(crate) status: CaseStatus,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) tags: Vec<String>,
    /// The target's name.
    #[serde(default)]
    pub(crate) target: String,
    /// The model.
    #[serde(default)]
    pub(crate) model: String,
    /// The prompt's registry id.
    #[serde(default)]
    pub(crate) prompt_id: Option<String>,
    /// The prompt's content hash.
    #[serde(default)]
    pub(crate) prompt_hash: Option<String>,
    /// Each assertion's verdict.
    #[serde(default)]
    pub(crate) assertions: Vec<AssertionResult>,
    /// The answer (cut to a limit).
    #[serde(default)]
    pub(crate) answer: Option<String>,
    /// Whether the answer was cut.
    #[serde(default)]
    pub(crate) answer_truncated: bool,
    /// Token counts.
    #[serde(default)]
    pub(crate) tokens: Option<JsonTokens>,
    /// Request latency in milliseconds.
    #[serde(default)]
    pub(crate) latency_ms: Option<u64>,
    /// Time to first token in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ttft_ms: Option<u64>,
    /// Cost in US dollars, when prices are configured.
    #[serde(default)]
    pub(crate) cost_usd: Option<f64>,
    /// Why the case errored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<CaseError>,
    /// Why the case was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) skip_reason: Option<String>,
    /// Whether the answer came from the cache or a recording.
    #[serde(default)]
    pub(crate) cached: bool,
    /// Requests sent, retries included.
    #[serde(default)]
    pub(crate) requests: u32,
    /// Retries after the first request.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) retries: u32,
    /// Why each retry happened (`http-429`, `connect`, `timeout`, …), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) retry_causes: Vec<String>,
    /// Milliseconds spent waiting between retries.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) waited_ms: u64,
    /// The case's position in the whole plan, in shard reports (merge restores plan order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) plan_index: Option<usize>,
    /// The pass rate of a repeated case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) repeat: Option<JsonRepeat>,
    /// Every attempt of a repeated case, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) attempts: Vec<JsonAttempt>,
    /// What a generated probe case probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) probe: Option<JsonProbe>,
    /// Tokens of the case's grader and embedder calls, apart from `tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) judge_tokens: Option<JudgeTokens>,
    /// Requests sent to graders and embedders (0 when answered from cache or recordings).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) judge_requests: u32,
    /// The cost of the grader and embedder calls, when prices are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) judge_cost_usd: Option<f64>,
}

/// A generated probe case's identity and planted secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JsonProbe {
    /// `edge-case` or `injection`.
    pub(crate) kind: String,
    /// The family.
    pub(crate) family: String,
    /// The probe's name within its family.
    pub(crate) name: String,
    /// The nonce the payload asked the model to output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nonce: Option<String>,
    /// The canary planted in the system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) canary: Option<String>,
    /// The untrusted variable that carried the payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) untrusted_var: Option<String>,
}

impl JsonProbe {
    fn from_probe(probe: &crate::plan::Probe) -> Self {
        Self {
            kind: probe.family.kind().name().to_owned(),
            family: probe.family.name().to_owned(),
            name: probe.name.clone(),
            nonce: probe.nonce.clone(),
            canary: probe.canary.clone(),
            untrusted_var: probe.untrusted_var.clone(),
        }
    }
}

impl JsonCase {
    /// Returns whether the case's id carries its target (`suite::name@target`), as it does
    /// when its suite ran on several targets.
    #[must_use]
    pub(crate) fn carries_target(&self) -> bool {
        self.id
            .strip_suffix(self.target.as_str())
            .and_then(|rest| rest.strip_suffix('@'))
            .and_then(|rest| rest.strip_prefix(self.suite.as_str()))
            .and_then(|rest| rest.strip_prefix("::"))
            .is_some_and(|name| name == self.name)
    }

    /// Returns the file the case is written in: its data file, or its suite.
    #[must_use]
    pub(crate) fn file(&self) -> &str {
        self.file.as_deref().unwrap_or(&self.suite)
    }

    /// Returns `kind: reason` for each assertion that failed, in order.
    #[must_use]
    pub(crate) fn failed_assertions(&self) -> Vec<String> {
        self.assertions
            .iter()
            .filter(|result| !result.passed)
            .map(|result| format!("{}: {}", result.kind, result.reason))
            .collect()
    }

    /// Returns the passed and judged attempts: the repeat counts, or 1 of 1 / 0 of 1 for a
    /// judged single shot, `None` when the case was not judged.
    #[must_use]
    pub(crate) fn pass_counts(&self) -> Option<(u32, u32)> {
        match (&self.repeat, self.status) {
            (Some(repeat), _) if repeat.passed + repeat.failed > 0 => {
                Some((repeat.passed, repeat.passed + repeat.failed))
            }
            (None, CaseStatus::Passed) => Some((1, 1)),
            (None, CaseStatus::Failed) => Some((0, 1)),
            _ => None,
        }
    }
}

/// Returns the suites of a run as JSON, in plan order.
fn suites_of(summary: &RunSummary<'_>) -> Vec<JsonSuite> {
    let plan = summary.plan;
    plan.suites
        .iter()
        .zip(summary.suite_counts())
        .map(|(suite, counts)| {
            let target = &plan.targets[suite.target];
            JsonSuite {
                path: suite.name.clone(),
                prompt_id: suite.prompt_id.clone(),
                template: suite.template.clone(),
                content_hash: suite.content_hash.clone(),
                registry_version: suite.registry_version.clone(),
                target: target.name.clone(),
                provider: target.provider.as_str().to_owned(),
                model: target.model.clone(),
                counts,
                budgets: Vec::new(),
            }
        })
        .collect()
}

/// Returns how reports name each suite entry of `suites` (path and target, in report order):
/// its path, followed by `@target` when the same path runs on several targets.
#[must_use]
pub(crate) fn suite_labels(suites: &[(&str, &str)]) -> Vec<String> {
    suites
        .iter()
        .map(|&(path, target)| {
            let entries = suites.iter().filter(|(other, _)| *other == path).count();
            if entries > 1 {
                format!("{path}@{target}")
            } else {
                path.to_owned()
            }
        })
        .collect()
}

/// Returns the repeat block and attempts of a result (empty for a single shot).
fn repeat_json(result: &CaseResult) -> (Option<JsonRepeat>, Vec<JsonAttempt>) {
    let Some(record) = result.repeat.as_deref() else {
        return (None, Vec::new());
    };
    let attempts = record
        .attempts
        .iter()
        .zip(1..)
        .map(|(attempt, number)| JsonAttempt {
            attempt: number,
            status: attempt.status,
            answer: attempt
                .answer
                .as_deref()
                .map(|answer| crate::util::format::excerpt(answer, ATTEMPT_ANSWER_LIMIT)),
            reasons: attempt
                .failure_reasons()
                .chain(attempt.error.iter().map(|error| error.message.clone()))
                .collect(),
            latency_ms: attempt.latency_ms,
            cached: attempt.cached,
        })
        .collect();
    let repeat = JsonRepeat {
        planned: record.policy.repeat,
        sent: u32::try_from(record.attempts.len()).unwrap_or(u32::MAX),
        passed: record.passed,
        failed: record.failed,
        errors: record.errors,
        rate: record.rate(),
        required_rate: record.policy.pass_rate,
        confidence: record.policy.confidence,
        interval: record.interval,
        classification: record.flakiness,
        stopped_early: record.stopped_early,
    };
    (Some(repeat), attempts)
}

/// Returns the flaky cases among `cases` (repeated cases whose attempts disagreed), in order.
#[must_use]
pub(crate) fn flaky_cases(cases: &[JsonCase]) -> Vec<JsonFlaky> {
    cases
        .iter()
        .filter_map(|case| {
            let repeat = case.repeat.as_ref()?;
            (repeat.classification == Some(Flakiness::Flaky)).then(|| JsonFlaky {
                id: case.id.clone(),
                status: case.status,
                passed: repeat.passed,
                judged: repeat.passed + repeat.failed,
                rate: repeat.rate,
                interval: repeat.interval,
            })
        })
        .collect()
}

/// Returns the model-graded assertions whose votes disagreed, in plan order (including those
/// under `not`, which carry their judge's evidence).
pub(crate) fn split_votes(cases: &[JsonCase]) -> Vec<JsonSplitVote> {
    cases
        .iter()
        .flat_map(|case| {
            case.assertions.iter().filter_map(|assertion| {
                let judge = assertion.judge.as_ref()?;
                judge.split.then(|| JsonSplitVote {
                    id: case.id.clone(),
                    assertion: assertion.kind.clone(),
                    passes: judge.passes,
                    votes: u32::try_from(judge.votes.len()).unwrap_or(u32::MAX),
                })
            })
        })
        .collect()
}

/// Keeps reports of runs without retries as they were.
fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl JsonCase {
    /// Returns the report entry of the case at `index` of `plan`, taking its answer, assertion
    /// verdicts and other text over from `result` rather than copying them. Token counts and
    /// costs are the gate's to add.
    #[must_use]
    pub(crate) fn from_result(
        plan: &crate::plan::TestPlan,
        index: usize,
        case: &crate::plan::TestInstance,
        result: CaseResult,
    ) -> Self {
        let suite = &plan.suites[case.suite];
        let target = &plan.targets[case.target];
        let (repeat, attempts) = repeat_json(&result);
        let judge_tokens = result.judge_tokens().map(|usage| JudgeTokens {
            prompt: usage.prompt_tokens,
            completion: usage.completion_tokens,
        });
        JsonCase {
            id: case.id.clone(),
            suite: suite.name.clone(),
            name: case.name.clone(),
            line: case.line,
            file: case.file.as_deref().map(str::to_owned),
            status: result.status,
            tags: case.tags.clone(),
            target: target.name.clone(),
            model: target.model.clone(),
            prompt_id: suite.prompt_id.clone(),
            prompt_hash: suite.content_hash.clone(),
            assertions: result.assertions,
            answer: result.answer,
            answer_truncated: result.answer_truncated,
            tokens: result.usage.map(JsonTokens::from_provider),
            latency_ms: result.latency_ms,
            ttft_ms: result.ttft_ms,
            cost_usd: None,
            error: result.error,
            skip_reason: result.skip_reason,
            cached: result.cached,
            requests: result.requests,
            retries: result.retries,
            retry_causes: result.retry_causes,
            waited_ms: result.waited_ms,
            probe: case.probe.as_deref().map(JsonProbe::from_probe),
            plan_index: plan
                .shard
                .as_ref()
                .and_then(|shard| shard.positions.get(index).copied()),
            repeat,
            attempts,
            judge_tokens,
            judge_requests: result.judge_requests,
            judge_cost_usd: None,
        }
    }
}

impl JsonReport {
    /// Builds the report of a run from its compact records and tally, with `cases` (each
    /// built by [`JsonCase::from_result`]) in plan order.
    #[must_use]
    pub(crate) fn from_summary(summary: &RunSummary<'_>, cases: Vec<JsonCase>) -> Self {
        let answered = || summary.records.iter().filter(|record| record.answered());
        let judge = || summary.records.iter().filter_map(|record| record.judge());
        Self {
            format_version: FORMAT_VERSION,
            run: run_json(summary),
            summary: JsonSummary {
                counts: summary.counts(),
                prompt_tokens: answered().map(|record| record.prompt_tokens()).sum(),
                completion_tokens: answered().map(|record| record.completion_tokens()).sum(),
                cost_usd: None,
                flaky: summary
                    .tally
                    .flaky
                    .iter()
                    .map(|flaky| flaky.flaky.clone())
                    .collect(),
                judge_prompt_tokens: judge().map(|usage| usage.prompt_tokens).sum(),
                judge_completion_tokens: judge().map(|usage| usage.completion_tokens).sum(),
                judge_cost_usd: None,
                split_votes: summary
                    .tally
                    .split_votes
                    .iter()
                    .map(|(_, vote)| vote.clone())
                    .collect(),
                targets: Vec::new(),
            },
            suites: suites_of(summary),
            cases,
            baseline: None,
        }
    }

    /// Parses a report (for example a baseline), naming the file in errors.
    pub(crate) fn parse(name: &str, text: &str) -> Result<Self, crate::error::Problem> {
        let report: Self = serde_json::from_str(text).map_err(|error| {
            let source = crate::error::SourceFile::new(name, text.to_owned());
            crate::error::Problem::at_line(
                &source,
                error.line(),
                error.column(),
                format!("not a promptci JSON report: {error}"),
            )
            .with_help("pass a file written by `promptci run --json`")
        })?;
        if report.format_version > FORMAT_VERSION {
            return Err(crate::error::Problem::new(format!(
                "`{name}` has report format {} but this promptci reads up to {FORMAT_VERSION}",
                report.format_version
            ))
            .with_help("upgrade promptci"));
        }
        Ok(report)
    }
}

/// Returns the run metadata of a report.
fn run_json(summary: &RunSummary<'_>) -> JsonRun {
    let plan = summary.plan;
    JsonRun {
        started_at: summary.meta.started_at.to_string(),
        duration_ms: u64::try_from(summary.meta.duration.as_millis()).unwrap_or(u64::MAX),
        git_commit: summary.meta.git_commit.clone(),
        promptci_version: env!("CARGO_PKG_VERSION").to_owned(),
        interrupted: summary.meta.interrupted,
        targets: plan
            .targets
            .iter()
            .map(|target| JsonTarget {
                name: target.name.clone(),
                provider: target.provider.as_str().to_owned(),
                model: target.model.clone(),
                base_url: target.shown_base_url(),
            })
            .collect(),
        probe_seed: plan.probe_seed,
        shard: plan.shard.as_ref().map(|shard| JsonShard {
            index: shard.shard.index,
            count: shard.shard.count,
            plan_cases: shard.plan_cases,
        }),
        // The command line knows the flags; it fills this in.
        selection: Vec::new(),
    }
}
