//! Judging a run as a whole: token and cost accounting, budgets, the baseline comparison and
//! its regression policies, A/B comparisons and online experiments, and the gate's verdict.
//!
//! Everything here reads the [`results`](crate::results) model (and the plan) and returns
//! values: no I/O, no rendering. [`verdict`] turns the judgements into the exit code.

pub(crate) mod ab;
mod accounting;
mod baseline;
mod budget;
pub(crate) mod experiment;
mod policy;
mod verdict;

pub use ab::{AbComparison, CaseComparison, CaseOutcomes, Tally, compare_ab};
pub use accounting::{
    CaseTokens, annotate, case_tokens, count_prompts, count_prompts_for_budgets, has_prompt_budget,
    prewarm,
};
pub use baseline::{CompareOptions, DEFAULT_GROWTH, compare_baseline, report_confidence};
pub use budget::{
    SuiteBudget, check_budgets, check_prompt_budgets, hold_back_over_budget, validate_prices,
};
pub use policy::{AnyFailure, CaseChange, CaseCounts, CasePolicy, PairedExact};
pub use verdict::{FailOn, Verdict, verdict};
