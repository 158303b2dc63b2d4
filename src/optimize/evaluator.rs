//! [`Evaluator`]: plans one prompt variant over a set of cases, runs it through the normal
//! providers, cache and retries, and scores it, within the request and cost budget.

use std::collections::HashSet;

use super::optimize_report::Score;
use super::workspace::Workspace;
use crate::config::Config;
use crate::error::Error;
use crate::plan::{PlanOptions, TestPlan};
use crate::provider::Provider;
use crate::results::{CaseResult, CaseStatus};
use crate::run::RunOptions;

/// The most the optimisation may spend.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Budget {
    /// The most requests planned (cached answers count: the budget must not depend on what
    /// happens to be cached, or one seed would search differently on two machines).
    pub(crate) requests: Option<u64>,
    /// The most US dollars.
    pub(crate) cost_usd: Option<f64>,
}

/// One variant's run.
#[derive(Debug)]
pub(crate) struct Evaluation {
    /// The plan that was run.
    pub(crate) plan: TestPlan,
    /// Its results, in plan order.
    pub(crate) results: Vec<CaseResult>,
    /// Their score.
    pub(crate) score: Score,
    /// Requests planned.
    pub(crate) planned: u64,
}

/// Why a variant was not run or not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Halt {
    /// The budget allows no more runs; the text says which limit.
    Budget(String),
    /// Ctrl-C.
    Interrupted,
}

/// Runs prompt variants.
pub(crate) struct Evaluator<'a> {
    /// The project configuration (targets, prices).
    pub(crate) config: &'a Config,
    /// Target overrides and the seed of probe payloads.
    pub(crate) plan_options: PlanOptions,
    /// How runs are carried out (concurrency, cache).
    pub(crate) run_options: RunOptions,
    /// The limits.
    pub(crate) budget: Budget,
    /// The confidence of the pass rates' intervals.
    pub(crate) confidence: f64,
    /// Requests planned so far.
    pub(crate) planned: u64,
    /// Dollars spent so far.
    pub(crate) cost_usd: f64,
    /// Requests kept back for runs that must still happen (the held-out comparison).
    pub(crate) reserved: u64,
    /// One provider per target of the suite's plans.
    providers: Vec<Provider>,
}

impl<'a> Evaluator<'a> {
    /// Creates an evaluator that has spent nothing; `providers` serve the targets of the
    /// suite's plans, in plan order.
    #[must_use]
    pub(crate) fn new(
        config: &'a Config,
        plan_options: PlanOptions,
        (run_options, providers): (RunOptions, Vec<Provider>),
        budget: Budget,
    ) -> Self {
        Self {
            config,
            plan_options,
            run_options,
            budget,
            confidence: crate::plan::DEFAULT_CONFIDENCE,
            planned: 0,
            cost_usd: 0.0,
            reserved: 0,
            providers,
        }
    }

    /// Plans the workspace's suite with `examples` as its demonstrations file, keeping the
    /// cases in `ids` (all cases when `None`).
    pub(crate) fn plan(
        &self,
        workspace: &Workspace,
        examples: &str,
        ids: Option<&HashSet<String>>,
    ) -> Result<TestPlan, Error> {
        workspace.set_examples(examples)?;
        let mut plan = crate::plan::build(
            std::slice::from_ref(&workspace.suite),
            self.config,
            &self.plan_options,
        )?;
        plan.cases
            .retain(|case| case.probe.is_none() && ids.is_none_or(|ids| ids.contains(&case.id)));
        Ok(plan)
    }

    /// Returns the requests a plan will be charged.
    #[must_use]
    pub(crate) fn planned_requests(plan: &TestPlan) -> u64 {
        plan.cases
            .iter()
            .filter(|case| case.skip.is_none())
            .map(|case| u64::from(case.repeat.repeat.max(1)))
            .sum()
    }

    /// Returns why a run of `requests` more would break the budget, if it would.
    #[must_use]
    pub(crate) fn over_budget(&self, requests: u64) -> Option<String> {
        if let Some(limit) = self.budget.requests
            && self.planned + requests + self.reserved > limit
        {
            return Some(format!(
                "the request budget ({limit}) allows no more candidates: {} planned so far, {} kept for the held-out comparison",
                self.planned, self.reserved
            ));
        }
        if let Some(limit) = self.budget.cost_usd
            && self.cost_usd >= limit
        {
            return Some(format!(
                "the cost limit (${limit:.4}) is reached: ${:.4} spent",
                self.cost_usd
            ));
        }
        None
    }

    /// Runs `plan` and scores it, unless the budget forbids it (a run the budget reserved
    /// for, the held-out comparison, passes `reserved: true` and is never refused).
    pub(crate) fn run(
        &mut self,
        plan: TestPlan,
        reserved: bool,
    ) -> Result<Result<Evaluation, Halt>, Error> {
        let planned = Self::planned_requests(&plan);
        if !reserved && let Some(reason) = self.over_budget(planned) {
            return Ok(Err(Halt::Budget(reason)));
        }
        let (outcome, results) =
            crate::run::execute_collected(&plan, &self.providers, &self.run_options)?;
        self.planned += planned;
        if outcome.interrupted {
            return Ok(Err(Halt::Interrupted));
        }
        let score = score(&plan, &results, self.config, self.confidence);
        self.cost_usd += score.cost_usd.unwrap_or(0.0);
        Ok(Ok(Evaluation {
            plan,
            results,
            score,
            planned,
        }))
    }
}

/// Scores a run: verdicts, requests, tokens, cost and the mean rendered prompt.
fn score(plan: &TestPlan, results: &[CaseResult], config: &Config, confidence: f64) -> Score {
    let count = |status| {
        results
            .iter()
            .filter(|result| result.status == status)
            .count() as u64
    };
    let (passed, failed, errors) = (
        count(CaseStatus::Passed),
        count(CaseStatus::Failed),
        count(CaseStatus::Error),
    );
    let tokens = crate::decide::case_tokens(plan, results, None, &config.prices);
    let prompts = crate::decide::count_prompts(plan);
    let cost_usd = tokens
        .iter()
        .filter_map(|tokens| tokens.cost_usd)
        .reduce(|a, b| a + b);
    Score {
        passed,
        failed,
        errors,
        pass_rate: crate::stats::PassRate::of(passed, passed + failed, confidence),
        requests: results
            .iter()
            .map(|result| u64::from(result.requests))
            .sum(),
        prompt_tokens: tokens.iter().map(crate::decide::CaseTokens::prompt).sum(),
        completion_tokens: tokens
            .iter()
            .map(crate::decide::CaseTokens::completion)
            .sum(),
        cost_usd,
        mean_prompt_tokens: if prompts.is_empty() {
            0.0
        } else {
            prompts.iter().sum::<u64>() as f64 / prompts.len() as f64
        },
    }
}
