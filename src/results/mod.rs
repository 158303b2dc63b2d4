//! The results model: what a run produced, in the one shape every later stage reads.
//!
//! The scheduler fills a [`CaseResult`] per case (with its [`RepeatRecord`] when repeated);
//! [`RunSummary`] pairs them with the plan. [`JsonReport`] is the results model proper: the
//! JSON report, built from a run ([`JsonReport::from_summary`]) or read back from a file
//! ([`JsonReport::parse`]). JUnit, GitHub output, `merge`, `diff`, the baseline comparison and
//! the registry's evidence all read it. The values the judgement adds to it — each
//! [`BudgetCheck`] and the baseline [`Comparison`] — are defined here too, so the report needs
//! nothing from the stages that compute them.
//!
//! This module holds values and pure constructors only: it sends nothing, decides nothing and
//! writes nothing.

mod budget_check;
mod case_result;
mod comparison;
mod counts;
mod json_report;
mod merge;
mod repeat_record;
mod run_summary;
mod target_summary;

pub use budget_check::{BudgetCheck, BudgetKind, Offender};
pub use case_result::{ANSWER_LIMIT, CaseError, CaseResult, CaseStatus};
pub use comparison::{
    BaselineInfo, CaseDelta, Comparison, PromptDelta, RegressionTest, SuiteTest, TokenDelta,
};
pub use counts::Counts;
pub use json_report::{
    ATTEMPT_ANSWER_LIMIT, FORMAT_VERSION, JsonAttempt, JsonCase, JsonFlaky, JsonProbe, JsonRepeat,
    JsonReport, JsonRun, JsonShard, JsonSuite, JsonSummary, JsonTarget, JsonTokens, TokenPair,
    TokenSource, flaky_cases,
};
pub(crate) use merge::merge;
pub use repeat_record::{Flakiness, RepeatRecord};
pub use run_summary::{RunMeta, RunSummary};
pub use target_summary::{PassRate, TargetSummary, target_summaries};
