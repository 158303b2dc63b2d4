//! Token counts, budgets and the gate's verdict: [`SuiteBudget`] and [`Verdict`].
//!
//! Prompt tokens are counted offline on the rendered messages ([`count_prompts`]), so the
//! `prompt-tokens` budget holds or breaks before any request. After the run, each case's
//! tokens ([`CaseTokens`]: the provider's usage when it reported any, else counted offline)
//! and cost feed the `completion-tokens`, `total-tokens` and `cost-usd` budgets. [`verdict`]
//! turns case results, budgets and the baseline comparison into the exit code.
//! Everything here is pure: values in, values out.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::baseline::Comparison;
use crate::chat::Usage;
use crate::config::{Config, Price};
use crate::error::{InvalidInput, Problem, exit_code};
use crate::plan::TestPlan;
use crate::report::Counts;
use crate::report::json::{JsonReport, JsonTokens, TokenPair, TokenSource};
use crate::run::{CaseResult, Status};
use crate::tokens::{Encoding, Tokenizer};
use crate::util::format::plural;
use crate::util::format::{dollars, signed_percent};

/// Starts building the tokenizers the configured targets (or `--model`) count with, on
/// background threads, so they are ready when suites are loaded and rendered.
pub fn prewarm(config: &Config, model_override: Option<&str>) {
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
pub fn count_prompts_for_budgets(plan: &TestPlan) -> Vec<u64> {
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

/// Returns true when a suite has a `prompt-tokens` budget, which must hold before any request.
#[must_use]
pub fn has_prompt_budget(plan: &TestPlan) -> bool {
    plan.suites
        .iter()
        .any(|suite| suite.budget.prompt_tokens.is_some())
}

/// Counts every case's prompt tokens offline, in plan order, with its target's tokenizer.
#[must_use]
pub fn count_prompts(plan: &TestPlan) -> Vec<u64> {
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
pub struct CaseTokens {
    /// How the case's text was counted offline.
    pub tokenizer: Tokenizer,
    /// Prompt tokens counted offline on the rendered messages.
    pub offline_prompt: u64,
    /// Answer tokens counted offline, when there is an answer.
    pub offline_completion: Option<u64>,
    /// What the provider reported, when it did.
    pub provider: Option<Usage>,
    /// The cost in US dollars, when the case was answered and its model has a price.
    pub cost_usd: Option<f64>,
}

impl CaseTokens {
    /// Returns the prompt tokens the gate uses: the provider's, else the offline count.
    #[must_use]
    pub fn prompt(&self) -> u64 {
        self.provider
            .map_or(self.offline_prompt, |usage| usage.prompt_tokens)
    }

    /// Returns the completion tokens the gate uses: the provider's, else the offline count.
    #[must_use]
    pub fn completion(&self) -> u64 {
        self.provider
            .map(|usage| usage.completion_tokens)
            .or(self.offline_completion)
            .unwrap_or(0)
    }

    /// Returns true when a request was answered, so its tokens were spent.
    #[must_use]
    pub fn answered(&self) -> bool {
        self.provider.is_some() || self.offline_completion.is_some()
    }

    /// Returns the counts as the JSON report shows them.
    #[must_use]
    pub fn to_json(&self) -> JsonTokens {
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
            offline: Some(TokenPair {
                prompt: self.offline_prompt,
                completion: self.offline_completion,
            }),
            provider: self.provider.map(|usage| TokenPair {
                prompt: usage.prompt_tokens,
                completion: Some(usage.completion_tokens),
            }),
        }
    }
}

/// Returns each case's tokens and cost, in plan order.
#[must_use]
pub fn case_tokens(
    plan: &TestPlan,
    results: &[CaseResult],
    prompt_tokens: &[u64],
    prices: &std::collections::BTreeMap<String, Price>,
) -> Vec<CaseTokens> {
    let mut cache = HashMap::new();
    plan.cases
        .iter()
        .zip(results)
        .zip(prompt_tokens)
        .map(|((case, result), &offline_prompt)| {
            let target = &plan.targets[case.target];
            let tokenizer = Tokenizer::for_model(&target.model);
            let answered = matches!(result.status, Status::Passed | Status::Failed);
            let offline_completion = answered.then(|| {
                let answer = result.answer.as_deref().unwrap_or_default();
                *cache
                    .entry((tokenizer.encoding, answer.to_owned()))
                    .or_insert_with(|| tokenizer.count(answer))
            });
            let mut tokens = CaseTokens {
                tokenizer,
                offline_prompt,
                offline_completion,
                provider: result.usage,
                cost_usd: None,
            };
            if tokens.answered() {
                tokens.cost_usd = prices
                    .get(&target.model)
                    .map(|price| price.cost(tokens.prompt(), tokens.completion()));
            }
            tokens
        })
        .collect()
}

/// A limit of a suite's `budget`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BudgetKind {
    /// Tokens of one rendered prompt.
    PromptTokens,
    /// Tokens of one answer.
    CompletionTokens,
    /// Prompt and completion tokens of the whole suite.
    TotalTokens,
    /// US dollars for the whole suite.
    CostUsd,
}

impl BudgetKind {
    /// Returns the key as written in `budget:`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PromptTokens => "prompt-tokens",
            Self::CompletionTokens => "completion-tokens",
            Self::TotalTokens => "total-tokens",
            Self::CostUsd => "cost-usd",
        }
    }

    /// Formats an amount of this kind: tokens as integers, dollars with cents and more.
    #[must_use]
    pub fn format(self, amount: f64) -> String {
        match self {
            Self::CostUsd => dollars(amount),
            _ => format!("{amount:.0}"),
        }
    }
}

/// A case over a per-case limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offender {
    /// The case id.
    pub case: String,
    /// Its amount.
    #[serde(serialize_with = "amount")]
    pub actual: f64,
}

/// One limit checked: the budget, the actual amount, and by how much it is over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetCheck {
    /// Which limit.
    pub kind: BudgetKind,
    /// The budget.
    #[serde(serialize_with = "amount")]
    pub limit: f64,
    /// The largest case (per-case limits) or the suite's sum (suite limits).
    #[serde(serialize_with = "amount")]
    pub actual: f64,
    /// How far over the budget `actual` is (0 when within).
    #[serde(serialize_with = "amount")]
    pub over_by: f64,
    /// Whether the limit holds.
    pub passed: bool,
    /// For per-case limits: every case over it, largest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offenders: Vec<Offender>,
}

/// Writes whole amounts (token counts) as JSON integers and others as decimals.
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's `serialize_with` passes a reference"
)]
fn amount<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "the value is whole and within i64"
        )]
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

impl BudgetCheck {
    fn new(kind: BudgetKind, limit: f64, actual: f64, mut offenders: Vec<Offender>) -> Self {
        offenders.sort_by(|a, b| b.actual.total_cmp(&a.actual).then(a.case.cmp(&b.case)));
        // Dollars are compared to the tenth of a micro-dollar so float sums do not flap.
        let passed = actual <= limit + 1e-7;
        Self {
            kind,
            limit,
            actual,
            over_by: if passed { 0.0 } else { actual - limit },
            passed,
            offenders,
        }
    }

    /// Returns "prompt-tokens 812 > 600 (+212, +35.3%)" or "prompt-tokens 412 ≤ 600".
    #[must_use]
    pub fn describe(&self) -> String {
        let kind = self.kind;
        if self.passed {
            format!(
                "{} {} ≤ {}",
                kind.as_str(),
                kind.format(self.actual),
                kind.format(self.limit)
            )
        } else {
            let percent = if self.limit > 0.0 {
                format!(", {}", signed_percent(self.over_by / self.limit))
            } else {
                String::new()
            };
            format!(
                "{} {} > {} (+{}{percent})",
                kind.as_str(),
                kind.format(self.actual),
                kind.format(self.limit),
                kind.format(self.over_by)
            )
        }
    }
}

/// The budgets of one suite, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteBudget {
    /// The index of the suite in the plan.
    pub suite: usize,
    /// The suite path.
    pub name: String,
    /// Every limit the suite sets.
    pub checks: Vec<BudgetCheck>,
}

impl SuiteBudget {
    /// Returns the limits that do not hold.
    pub fn overruns(&self) -> impl Iterator<Item = &BudgetCheck> {
        self.checks.iter().filter(|check| !check.passed)
    }

    /// Returns true when every limit holds.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }
}

/// Checks every suite's `prompt-tokens` limit on the rendered prompts, before any request.
#[must_use]
pub fn check_prompt_budgets(plan: &TestPlan, prompt_tokens: &[u64]) -> Vec<SuiteBudget> {
    plan.suites
        .iter()
        .enumerate()
        .filter_map(|(index, suite)| {
            let limit = suite.budget.prompt_tokens?;
            // Generated probes (such as `max-length`) test extremes by design: the budget is
            // about the prompts the suite writes.
            let counts = plan
                .cases
                .iter()
                .zip(prompt_tokens)
                .filter(|(case, _)| case.suite == index && case.probe.is_none())
                .map(|(case, &tokens)| (case.id.as_str(), tokens));
            Some(SuiteBudget {
                suite: index,
                name: suite.name.clone(),
                checks: vec![per_case_check(BudgetKind::PromptTokens, limit, counts)],
            })
        })
        .collect()
}

fn per_case_check<'a>(
    kind: BudgetKind,
    limit: u64,
    counts: impl Iterator<Item = (&'a str, u64)>,
) -> BudgetCheck {
    let mut largest = 0;
    let mut offenders = Vec::new();
    for (case, tokens) in counts {
        largest = largest.max(tokens);
        if tokens > limit {
            offenders.push(Offender {
                case: case.to_owned(),
                actual: tokens as f64,
            });
        }
    }
    BudgetCheck::new(kind, limit as f64, largest as f64, offenders)
}

/// Checks every limit of every suite after the run.
#[must_use]
pub fn check_budgets(plan: &TestPlan, tokens: &[CaseTokens]) -> Vec<SuiteBudget> {
    plan.suites
        .iter()
        .enumerate()
        .filter(|(_, suite)| !suite.budget.is_empty())
        .map(|(index, suite)| {
            let cases: Vec<(&str, &CaseTokens)> = plan
                .cases
                .iter()
                .zip(tokens)
                .filter(|(case, _)| case.suite == index)
                .map(|(case, tokens)| (case.id.as_str(), tokens))
                .collect();
            let answered = || cases.iter().filter(|(_, tokens)| tokens.answered());
            let probes: Vec<&str> = plan
                .cases
                .iter()
                .filter(|case| case.suite == index && case.probe.is_some())
                .map(|case| case.id.as_str())
                .collect();
            let budget = suite.budget;
            let mut checks = Vec::new();
            if let Some(limit) = budget.prompt_tokens {
                let counts = cases
                    .iter()
                    .filter(|(id, _)| !probes.contains(id))
                    .map(|(id, t)| (*id, t.offline_prompt));
                checks.push(per_case_check(BudgetKind::PromptTokens, limit, counts));
            }
            if let Some(limit) = budget.completion_tokens {
                let counts = answered().map(|(id, t)| (*id, t.completion()));
                checks.push(per_case_check(BudgetKind::CompletionTokens, limit, counts));
            }
            if let Some(limit) = budget.total_tokens {
                let total: u64 = answered().map(|(_, t)| t.prompt() + t.completion()).sum();
                checks.push(BudgetCheck::new(
                    BudgetKind::TotalTokens,
                    limit as f64,
                    total as f64,
                    Vec::new(),
                ));
            }
            if let Some(limit) = budget.cost_usd {
                let cost: f64 = answered().filter_map(|(_, t)| t.cost_usd).sum();
                checks.push(BudgetCheck::new(
                    BudgetKind::CostUsd,
                    limit,
                    cost,
                    Vec::new(),
                ));
            }
            SuiteBudget {
                suite: index,
                name: suite.name.clone(),
                checks,
            }
        })
        .collect()
}

/// Checks before the run that a `cost-usd` budget can be computed: its model has a price.
pub fn validate_prices(plan: &TestPlan, config: &Config) -> Result<(), crate::error::Error> {
    let mut problems = InvalidInput::default();
    for suite in &plan.suites {
        let model = &plan.targets[suite.target].model;
        if suite.budget.cost_usd.is_some() && !config.prices.contains_key(model) {
            let message = format!(
                "{}{}: a `cost-usd` budget needs a price for model `{model}`",
                suite.name,
                suite
                    .budget_line
                    .map(|line| format!(":{line}"))
                    .unwrap_or_default()
            );
            problems.push(Problem::new(message).with_help(format!(
                "add `prices: {{ {model}: {{ input: 0.15, output: 0.6 }} }}` (US dollars per million tokens) to `promptci.yaml`"
            )));
        }
        if suite
            .budget
            .cost_usd
            .is_some_and(|limit| limit.is_nan() || limit < 0.0)
        {
            problems.push(Problem::new(format!(
                "{}: `cost-usd` must be a non-negative number of dollars",
                suite.name
            )));
        }
    }
    problems.into_result(())
}

/// Marks the cases of suites whose prompts break their `prompt-tokens` budget as skipped, so
/// no request is spent on them. Returns how many cases were held back.
pub fn hold_back_over_budget(plan: &mut TestPlan, budgets: &[SuiteBudget]) -> usize {
    let mut held = 0;
    for budget in budgets.iter().filter(|budget| !budget.passed()) {
        let reasons: Vec<String> = budget.overruns().map(BudgetCheck::describe).collect();
        let reason = format!("not run: over budget: {}", reasons.join("; "));
        for case in plan
            .cases
            .iter_mut()
            .filter(|case| case.suite == budget.suite)
        {
            if case.skip.is_none() {
                case.skip = Some(reason.clone());
                held += 1;
            }
        }
    }
    held
}

/// Fills the JSON report with token counts, costs and each suite's budgets.
pub fn annotate(report: &mut JsonReport, tokens: &[CaseTokens], budgets: &[SuiteBudget]) {
    let mut prompt = 0;
    let mut completion = 0;
    let mut cost = None;
    for (case, tokens) in report.cases.iter_mut().zip(tokens) {
        case.tokens = Some(tokens.to_json());
        case.cost_usd = tokens.cost_usd;
        if tokens.answered() {
            prompt += tokens.prompt();
            completion += tokens.completion();
        }
        if let Some(case_cost) = tokens.cost_usd {
            *cost.get_or_insert(0.0) += case_cost;
        }
    }
    report.summary.prompt_tokens = prompt;
    report.summary.completion_tokens = completion;
    report.summary.cost_usd = cost;
    for budget in budgets {
        if let Some(suite) = report.suites.iter_mut().find(|s| s.path == budget.name) {
            suite.budgets.clone_from(&budget.checks);
        }
    }
}

/// What the gate blocks on: every failure, or only failures the baseline did not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    /// Any failed case fails the build.
    #[default]
    Failures,
    /// Only cases that do not fail in the baseline fail the build (needs `--baseline`).
    Regressions,
}

/// The gate's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The process exit code.
    pub exit_code: i32,
    /// Why the gate failed, one short phrase each (empty when it passed).
    pub reasons: Vec<String>,
}

impl Verdict {
    /// Returns true when the gate passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.exit_code == exit_code::SUCCESS
    }
}

/// Decides the exit code: 130 when interrupted; 1 for blocking failures, budget overruns or a
/// failing baseline comparison; 3 when cases errored and nothing failed on its merits.
#[must_use]
pub fn verdict(
    counts: Counts,
    interrupted: bool,
    budgets: &[SuiteBudget],
    comparison: Option<&Comparison>,
    fail_on: FailOn,
) -> Verdict {
    let mut reasons = Vec::new();
    // Under `--fail-on regressions`, known failures pass and regressions are named as such
    // below, so only failures the baseline never saw (new cases) count here.
    let blocking_failures = match (fail_on, comparison) {
        (FailOn::Regressions, Some(comparison)) => {
            let failed_now = |case: &&crate::baseline::CaseDelta| case.head == Some(Status::Failed);
            let known = comparison.known_failures.iter().filter(failed_now).count();
            let regressed = comparison.regressions.iter().filter(failed_now).count();
            // A flip the regression test calls noise is judged by that test, not as a failure.
            let flipped = comparison.flipped.iter().filter(failed_now).count();
            counts.failed.saturating_sub(known + regressed + flipped)
        }
        _ => counts.failed,
    };
    if blocking_failures > 0 {
        reasons.push(plural(blocking_failures, "failed case", "failed cases"));
    }
    let overruns = budgets
        .iter()
        .map(|budget| budget.overruns().count())
        .sum::<usize>();
    if overruns > 0 {
        reasons.push(plural(overruns, "budget overrun", "budget overruns"));
    }
    if let Some(comparison) = comparison {
        reasons.extend(comparison.gate_reasons());
    }
    let exit_code = if interrupted {
        exit_code::INTERRUPTED
    } else if !reasons.is_empty() {
        exit_code::GATE_FAILED
    } else if counts.errors > 0 {
        exit_code::INFRASTRUCTURE
    } else {
        exit_code::SUCCESS
    };
    Verdict { exit_code, reasons }
}

/// Returns the console section listing every suite's budgets (empty when none is set).
#[must_use]
pub fn budget_section(budgets: &[SuiteBudget]) -> String {
    let mut out = String::new();
    for budget in budgets.iter().filter(|budget| !budget.checks.is_empty()) {
        if out.is_empty() {
            out.push_str("\nbudgets\n");
        }
        let mark = if budget.passed() { "ok  " } else { "OVER" };
        let checks: Vec<String> = budget.checks.iter().map(BudgetCheck::describe).collect();
        out.push_str(&format!("{mark} {}: {}\n", budget.name, checks.join(", ")));
        for check in budget.overruns() {
            for offender in check.offenders.iter().take(5) {
                out.push_str(&format!(
                    "       {} {}: {}\n",
                    check.kind.as_str(),
                    check.kind.format(offender.actual),
                    offender.case
                ));
            }
            if check.offenders.len() > 5 {
                out.push_str(&format!(
                    "       … and {} more\n",
                    check.offenders.len() - 5
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_describes_the_overrun_with_numbers() {
        let check = BudgetCheck::new(BudgetKind::PromptTokens, 600.0, 812.0, Vec::new());
        assert!(!check.passed);
        assert_eq!(check.describe(), "prompt-tokens 812 > 600 (+212, +35.3%)");
        let cost = BudgetCheck::new(BudgetKind::CostUsd, 0.01, 0.0125, Vec::new());
        assert_eq!(
            cost.describe(),
            "cost-usd $0.0125 > $0.0100 (+$0.0025, +25.0%)"
        );
        let within = BudgetCheck::new(BudgetKind::TotalTokens, 100.0, 100.0, Vec::new());
        assert!(within.passed);
        assert_eq!(within.describe(), "total-tokens 100 ≤ 100");
    }

    #[test]
    fn amounts_serialise_as_integers_when_whole() {
        let check = BudgetCheck::new(BudgetKind::PromptTokens, 600.0, 812.0, Vec::new());
        let value = serde_json::to_value(&check).unwrap();
        assert_eq!(value["limit"], 600);
        assert_eq!(value["over_by"], 212);
        assert_eq!(value["kind"], "prompt-tokens");
    }

    fn counts(failed: usize, errors: usize) -> Counts {
        Counts {
            total: failed + errors + 1,
            passed: 1,
            failed,
            errors,
            skipped: 0,
        }
    }

    #[test]
    fn verdict_exit_codes() {
        let pass = verdict(counts(0, 0), false, &[], None, FailOn::Failures);
        assert_eq!(pass.exit_code, 0);
        let failed = verdict(counts(1, 1), false, &[], None, FailOn::Failures);
        assert_eq!(failed.exit_code, 1);
        assert_eq!(failed.reasons, ["1 failed case"]);
        let errored = verdict(counts(0, 2), false, &[], None, FailOn::Failures);
        assert_eq!(errored.exit_code, 3);
        let over = SuiteBudget {
            suite: 0,
            name: "s.yaml".to_owned(),
            checks: vec![BudgetCheck::new(
                BudgetKind::TotalTokens,
                1.0,
                2.0,
                Vec::new(),
            )],
        };
        let budget = verdict(counts(0, 0), false, &[over], None, FailOn::Failures);
        assert_eq!(budget.exit_code, 1);
        assert_eq!(budget.reasons, ["1 budget overrun"]);
    }
}
