//! Budgets: [`SuiteBudget`], every limit of a suite's `budget` checked — the
//! `prompt-tokens` limit on the rendered prompts before any request
//! ([`check_prompt_budgets`]), every limit after the run ([`check_budgets`]).

use crate::config::Config;
use crate::error::{InvalidInput, Problem};
use crate::plan::TestPlan;
use crate::results::{BudgetCheck, BudgetKind, CaseRecord, Offender};

/// The budgets of one suite, checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SuiteBudget {
    /// The index of the suite in the plan.
    pub(crate) suite: usize,
    /// The suite path.
    pub(crate) name: String,
    /// Every limit the suite sets.
    pub(crate) checks: Vec<BudgetCheck>,
}

impl SuiteBudget {
    /// Returns the limits that do not hold.
    pub(crate) fn overruns(&self) -> impl Iterator<Item = &BudgetCheck> {
        self.checks.iter().filter(|check| !check.passed)
    }

    /// Returns true when every limit holds.
    #[must_use]
    pub(crate) fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }
}

/// Checks the `prompt-tokens` limit of every suite with a case in `plan` on the rendered
/// prompts, before any request.
#[must_use]
pub(crate) fn check_prompt_budgets(plan: &TestPlan, prompt_tokens: &[u64]) -> Vec<SuiteBudget> {
    plan.suites
        .iter()
        .enumerate()
        .filter_map(|(index, suite)| {
            let limit = suite.budget.prompt_tokens?;
            if !plan.cases.iter().any(|case| case.suite == index) {
                return None;
            }
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
                checks: vec![per_case_check(
                    BudgetKind::PromptTokens,
                    limit,
                    counts,
                    str::to_owned,
                )],
            })
        })
        .collect()
}

/// Checks a per-case limit over `counts` (each case's key and tokens), naming offenders by
/// `id_of`: only the cases over the limit need their ids.
fn per_case_check<K>(
    kind: BudgetKind,
    limit: u64,
    counts: impl Iterator<Item = (K, u64)>,
    mut id_of: impl FnMut(K) -> String,
) -> BudgetCheck {
    let mut largest = 0;
    let mut offenders = Vec::new();
    for (case, tokens) in counts {
        largest = largest.max(tokens);
        if tokens > limit {
            offenders.push(Offender {
                case: id_of(case),
                actual: tokens as f64,
            });
        }
    }
    BudgetCheck::new(kind, limit as f64, largest as f64, offenders)
}

/// Checks every limit of every suite after the run, from each case's record (in plan order);
/// `id_of` returns the id of the case at a plan index, for the cases over a limit.
#[must_use]
pub(crate) fn check_budgets(
    plan: &TestPlan,
    records: &[CaseRecord],
    id_of: &mut dyn FnMut(usize) -> String,
) -> Vec<SuiteBudget> {
    plan.suites
        .iter()
        .enumerate()
        .filter(|(_, suite)| !suite.budget.is_empty())
        .map(|(index, suite)| {
            let cases = || {
                records
                    .iter()
                    .enumerate()
                    .filter(move |(_, record)| record.suite as usize == index)
            };
            let answered = || cases().filter(|(_, record)| record.answered());
            let budget = suite.budget;
            let mut checks = Vec::new();
            if let Some(limit) = budget.prompt_tokens {
                let counts = cases()
                    .filter(|(_, record)| !record.probe())
                    .map(|(at, r)| (at, r.offline_prompt().unwrap_or(r.prompt_tokens())));
                checks.push(per_case_check(
                    BudgetKind::PromptTokens,
                    limit,
                    counts,
                    &mut *id_of,
                ));
            }
            if let Some(limit) = budget.completion_tokens {
                let counts = answered().map(|(at, record)| (at, record.completion_tokens()));
                checks.push(per_case_check(
                    BudgetKind::CompletionTokens,
                    limit,
                    counts,
                    &mut *id_of,
                ));
            }
            if let Some(limit) = budget.total_tokens {
                let total: u64 = answered()
                    .map(|(_, record)| record.prompt_tokens() + record.completion_tokens())
                    .sum();
                checks.push(BudgetCheck::new(
                    BudgetKind::TotalTokens,
                    limit as f64,
                    total as f64,
                    Vec::new(),
                ));
            }
            if let Some(limit) = budget.cost_usd {
                let cost: f64 = answered().filter_map(|(_, record)| record.cost_usd()).sum();
                checks.push(BudgetCheck::new(
                    BudgetKind::CostUsd,
                    limit,
                    cost,
                    Vec::new(),
                ));
            }
            let judged = || cases().filter_map(|(_, r)| r.judge().map(|usage| (r, usage)));
            if let Some(limit) = budget.judge_tokens {
                let total: u64 = judged()
                    .map(|(_, usage)| usage.prompt_tokens + usage.completion_tokens)
                    .sum();
                checks.push(BudgetCheck::new(
                    BudgetKind::JudgeTokens,
                    limit as f64,
                    total as f64,
                    Vec::new(),
                ));
            }
            if let Some(limit) = budget.judge_cost_usd {
                let cost: f64 = judged().filter_map(|(r, _)| r.judge_cost_usd()).sum();
                checks.push(BudgetCheck::new(
                    BudgetKind::JudgeCostUsd,
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
pub(crate) fn validate_prices(plan: &TestPlan, config: &Config) -> Result<(), crate::error::Error> {
    let mut problems = InvalidInput::default();
    let planned = plan
        .suites
        .iter()
        .enumerate()
        .filter(|(index, _)| plan.cases.iter().any(|case| case.suite == *index));
    for (index, suite) in planned {
        if suite.budget.judge_cost_usd.is_some() {
            let mut graders: Vec<&str> = plan
                .cases
                .iter()
                .filter(|case| case.suite == index)
                .flat_map(|case| case.judges.iter())
                .map(|leaf| plan.targets[leaf.target].model.as_str())
                .filter(|model| !config.prices.contains_key(*model))
                .collect();
            graders.sort_unstable();
            graders.dedup();
            for model in graders {
                problems.push(
                    Problem::new(format!(
                        "{}: a `judge-cost-usd` budget needs a price for grader model `{model}`",
                        suite.name
                    ))
                    .with_help(format!(
                        "add `prices: {{ {model}: {{ input: 0.15, output: 0.6 }} }}` (US dollars per million tokens) to `promptci.yaml`"
                    )),
                );
            }
        }
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

/// Returns the suites whose prompts break their `prompt-tokens` budget, each with the reason
/// its cases are held back: no request is spent on them.
pub(crate) fn over_budget(budgets: &[SuiteBudget]) -> impl Iterator<Item = (usize, String)> + '_ {
    budgets
        .iter()
        .filter(|budget| !budget.passed())
        .map(|budget| {
            let reasons: Vec<String> = budget.overruns().map(BudgetCheck::describe).collect();
            (
                budget.suite,
                format!("not run: over budget: {}", reasons.join("; ")),
            )
        })
}
