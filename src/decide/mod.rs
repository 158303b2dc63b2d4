//! Judging a run as a whole: token and cost accounting, budgets, the baseline comparison and
//! its regression policies, A/B comparisons and online experiments, and the gate's verdict.
//!
//! Everything here reads the [`results`](crate::results) model (and the plan) and returns
//! values: no I/O, no rendering. [`verdict()`] turns the judgements into the exit code.

pub(crate) mod ab;
mod accounting;
mod baseline;
mod budget;
pub(crate) mod experiment;
mod pairwise;
mod policy;
mod trend;
mod verdict;

pub(crate) use ab::{AbComparison, CaseOutcomes, Tally, compare_ab};
pub(crate) use accounting::{
    CaseTokens, annotate, case_tokens, count_prompts, count_prompts_for_budgets, prewarm,
};
pub(crate) use baseline::{CompareOptions, compare_baseline, compare_cases, report_confidence};
pub(crate) use budget::{
    SuiteBudget, check_budgets, check_prompt_budgets, over_budget, validate_prices,
};
pub(crate) use pairwise::{JudgeComparison, JudgedPair, PairOutcome, compare_pairs};
pub(crate) use policy::PairedExact;
pub(crate) use trend::{CaseFlips, Trend, TrendPoint};
pub(crate) use verdict::{FailOn, Verdict, report_verdict, verdict};
