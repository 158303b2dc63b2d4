//! Token and cost accounting: prompt tokens counted offline on the rendered messages
//! ([`count_prompts`]), so the `prompt-tokens` budget holds or breaks before any request, and
//! after the run each case's [`CaseTokens`] (the provider's usage when it reported any, else
//! counted offline) with its cost. [`annotate`] records them and the budgets in the report.
//! Everything here is pure: values in, values out.

use std::collections::HashMap;

use super::budget::SuiteBudget;
use crate::chat::Usage;
use crate::config::{Config, Price};
use crate::plan::{TestInstance, TestPlan};
use crate::results::{
    CaseFacts, CaseRecord, CaseResult, CaseStatus, JsonCase, JsonReport, JsonTokens, TokenPair,
    TokenSource,
};
use crate::tokens::{Encoding, Tokenizer};

/// Starts building the tokenizers the configured targets (or `--model`) count with, on
/// background threads, so they are ready when suites are loaded and rendered.
pub(crate) fn prewarm(config: &Config, model_override: Option<&str>) {
    let mut encodings: Vec<Encoding> = match model_override {
        Some(model) => vec![Tokenizer::for_model(model).encoding],
        None => config
            .targets
            .values()
            .map(|target| Tokenizer::for_model(&target.model).encoding)
            .collect(),
    };
    encodings.sort_unstable();
    encodings.dedup();
    crate::tokens::prewarm(encodings);
}

/// Returns every case's prompt tokens for the `prompt-tokens` budget check, counting exactly
/// only where the tokenizer-free [`upper_bound`](crate::tokens::upper_bound) exceeds the
/// suite's budget (a bound within the budget proves the prompt fits). Used by `check`, which
/// reports no counts and so need not pay for the tokenizer when budgets are generous.
#[must_use]
pub(crate) fn count_prompts_for_budgets(plan: &TestPlan) -> Vec<u64> {
    let mut cache = HashMap::new();
    plan.cases
        .iter()
        .map(|case| {
            let bound = crate::tokens::upper_bound(&case.messages);
            match plan.suites[case.suite].budget.prompt_tokens {
                Some(limit) if bound > limit && case.probe.is_none() => {
                    let tokenizer = Tokenizer::for_model(&plan.targets[case.target].model);
                    tokenizer.count_messages_cached(&case.messages, &mut cache)
                }
                _ => bound,
            }
        })
        .collect()
}

/// Counts every case's prompt tokens offline, in plan order, with its target's tokenizer.
#[must_use]
pub(crate) fn count_prompts(plan: &TestPlan) -> Vec<u64> {
    let tokenizers: Vec<Tokenizer> = plan
        .targets
        .iter()
        .map(|target| Tokenizer::for_model(&target.model))
        .collect();
    let mut cache = HashMap::new();
    plan.cases
        .iter()
        .map(|case| tokenizers[case.target].count_messages_cached(&case.messages, &mut cache))
        .collect()
}

/// The tokens and cost of one case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CaseTokens {
    /// How the case's text is counted offline.
    pub(crate) tokenizer: Tokenizer,
    /// Prompt tokens counted offline on the rendered messages: for every case when a
    /// `prompt-tokens` budget needed them before the run, else only where the provider
    /// reported no usage (the tokenizer is not built for counts nobody needs).
    pub(crate) offline_prompt: Option<u64>,
    /// Answer tokens counted offline, when there is an answer.
    pub(crate) offline_completion: Option<u64>,
    /// What the provider reported, when it did.
    pub(crate) provider: Option<Usage>,
    /// The cost in US dollars, when the case was answered and its model has a price.
    pub(crate) cost_usd: Option<f64>,
    /// Tokens of the case's grader and embedder calls (prompt and completion).
    pub(crate) judge: Option<Usage>,
    /// Their cost, when every grader's model has a price.
    pub(crate) judge_cost_usd: Option<f64>,
}

impl CaseTokens {
    /// Returns the prompt tokens the gate uses: the provider's, else the offline count.
    #[must_use]
    pub(crate) fn prompt(&self) -> u64 {
        self.provider
            .map(|usage| usage.prompt_tokens)
            .or(self.offline_prompt)
            .unwrap_or(0)
    }

    /// Returns the completion tokens the gate uses: the provider's, else the offline count.
    #[must_use]
    pub(crate) fn completion(&self) -> u64 {
        self.provider
            .map(|usage| usage.completion_tokens)
            .or(self.offline_completion)
            .unwrap_or(0)
    }

    /// Returns true when a request was answered, so its tokens were spent.
    #[must_use]
    pub(crate) fn answered(&self) -> bool {
        self.provider.is_some() || self.offline_completion.is_some()
    }

    /// Returns the counts as the JSON report shows them.
    #[must_use]
    pub(crate) fn to_json(self) -> JsonTokens {
        JsonTokens {
            prompt: self.prompt(),
            completion: self.completion(),
            source: if self.provider.is_some() {
                TokenSource::Provider
            } else {
                TokenSource::Offline
            },
            encoding: Some(self.tokenizer.encoding),
            estimate: self.tokenizer.estimate,
            offline: self.offline_prompt.map(|prompt| TokenPair {
                prompt,
                completion: self.offline_completion,
            }),
            provider: self.provider.map(|usage| TokenPair {
                prompt: usage.prompt_tokens,
                completion: Some(usage.completion_tokens),
            }),
        }
    }
}

/// Returns each case's tokens and cost, in plan order (see [`CaseTokens::of`]).
#[must_use]
pub(crate) fn case_tokens(
    plan: &TestPlan,
    results: &[CaseResult],
    prompt_tokens: Option<&[u64]>,
    prices: &std::collections::BTreeMap<String, Price>,
) -> Vec<CaseTokens> {
    plan.cases
        .iter()
        .zip(results)
        .enumerate()
        .map(|(index, (case, result))| {
            let prompt = prompt_tokens.map(|counts| counts[index]);
            CaseTokens::of(plan, case, result, prompt, prices)
        })
        .collect()
}

impl CaseTokens {
    /// Returns a case's tokens and cost. `prompt_tokens` is its offline count made before the
    /// run, when a budget needed one; otherwise the case is counted offline only when its
    /// provider reported no usage, so a provider that reports usage never costs a tokenizer
    /// build. Nothing is remembered from one case to the next: a run's memory does not grow
    /// with the texts it counted.
    #[must_use]
    pub(crate) fn of(
        plan: &TestPlan,
        case: &TestInstance,
        result: &CaseResult,
        prompt_tokens: Option<u64>,
        prices: &std::collections::BTreeMap<String, Price>,
    ) -> Self {
        let target = &plan.targets[case.target];
        let tokenizer = Tokenizer::for_model(&target.model);
        let answered = matches!(result.status, CaseStatus::Passed | CaseStatus::Failed);
        let offline = result.usage.is_none();
        let offline_prompt =
            prompt_tokens.or_else(|| offline.then(|| tokenizer.count_messages(&case.messages)));
        let offline_completion = (answered && offline)
            .then(|| tokenizer.count(result.answer.as_deref().unwrap_or_default()));
        let judge_cost_usd = (!result.judge_usage.is_empty())
            .then(|| {
                result
                    .judge_usage
                    .iter()
                    .map(|(grader, usage)| {
                        prices
                            .get(&plan.targets[*grader].model)
                            .map(|price| price.cost(usage.prompt_tokens, usage.completion_tokens))
                    })
                    .sum::<Option<f64>>()
            })
            .flatten();
        let mut tokens = CaseTokens {
            tokenizer,
            offline_prompt,
            offline_completion,
            provider: result.usage,
            cost_usd: None,
            judge: result.judge_tokens(),
            judge_cost_usd,
        };
        if tokens.answered() {
            tokens.cost_usd = prices
                .get(&target.model)
                .map(|price| price.cost(tokens.prompt(), tokens.completion()));
        }
        tokens
    }

    /// Returns the compact record of a finished case with these tokens.
    #[must_use]
    pub(crate) fn record(&self, case: &TestInstance, result: &CaseResult) -> CaseRecord {
        CaseRecord::new(&CaseFacts {
            status: result.status,
            suite: case.suite,
            target: case.target,
            probe: case.probe.is_some(),
            cached: result.cached,
            answered: self.answered(),
            latency_ms: result.latency_ms,
            prompt_tokens: self.prompt(),
            completion_tokens: self.completion(),
            offline_prompt: self.offline_prompt,
            cost_usd: self.cost_usd,
            judge: self.judge,
            judge_cost_usd: self.judge_cost_usd,
        })
    }

    /// Records the counts and costs in the case's report entry.
    pub(crate) fn annotate(&self, case: &mut JsonCase) {
        case.tokens = Some(self.to_json());
        case.cost_usd = self.cost_usd;
        case.judge_cost_usd = self.judge_cost_usd;
    }
}

/// Fills the JSON report's totals (from each case's record, in plan order) and each suite's
/// budgets; each case's own counts are in its entry already ([`CaseTokens::annotate`]).
pub(crate) fn annotate(report: &mut JsonReport, records: &[CaseRecord], budgets: &[SuiteBudget]) {
    let mut prompt = 0;
    let mut completion = 0;
    let mut cost = None;
    let mut judge_cost = None;
    for record in records {
        if let Some(case_cost) = record.judge_cost_usd() {
            *judge_cost.get_or_insert(0.0) += case_cost;
        }
        if record.answered() {
            prompt += record.prompt_tokens();
            completion += record.completion_tokens();
        }
        if let Some(case_cost) = record.cost_usd() {
            *cost.get_or_insert(0.0) += case_cost;
        }
    }
    report.summary.prompt_tokens = prompt;
    report.summary.completion_tokens = completion;
    report.summary.cost_usd = cost;
    report.summary.judge_cost_usd = judge_cost;
    for budget in budgets {
        if let Some(suite) = report.suites.iter_mut().find(|s| s.path == budget.name) {
            suite.budgets.clone_from(&budget.checks);
        }
    }
}
