//! The results model: what a run produced, in the one shape every later stage reads.
//!
//! The scheduler fills a [`CaseResult`] per case (with its [`RepeatRecord`] when repeated);
//! a finished case becomes its report entry ([`JsonCase::from_result`]) and a compact
//! [`CaseRecord`], and [`RunSummary`] pairs the records and the run's [`RunTally`] with the
//! plan's suites and targets. [`JsonReport`] is the results model proper: the
//! JSON report, built from a run ([`JsonReport::from_summary`]) or read back from a file
//! ([`JsonReport::parse`]). JUnit, GitHub output, `merge`, `diff`, the baseline comparison and
//! the registry's evidence all read it. The values the judgement adds to it — each
//! [`BudgetCheck`] and the baseline [`Comparison`] — are defined here too, so the report needs
//! nothing from the stages that compute them.
//!
//! This module holds values and pure constructors only: it sends nothing, decides nothing and
//! writes nothing.

mod budget_check;
mod case_record;
mod case_result;
mod comparison;
mod counts;
pub(crate) mod json_report;
mod merge;
mod repeat_record;
mod run_summary;
pub(crate) mod target_summary;

pub(crate) use crate::chat::CaseError;
pub(crate) use budget_check::{BudgetCheck, BudgetKind, Offender};
pub(crate) use case_record::{CaseFacts, CaseRecord, FlakyCase, RunTally};
pub(crate) use case_result::{CaseResult, CaseStatus};
pub(crate) use comparison::{
    BaselineInfo, CaseDelta, Comparison, PromptDelta, RegressionTest, SuiteTest, TokenDelta,
};
pub(crate) use counts::Counts;
pub(crate) use json_report::{
    JsonAttempt, JsonCase, JsonProbe, JsonRepeat, JsonReport, JsonRun, JsonSuite, JsonTokens,
    TokenPair, TokenSource, suite_labels,
};
pub(crate) use merge::{merge, merge_warnings};
pub(crate) use repeat_record::{Flakiness, RepeatRecord};
pub(crate) use run_summary::{RunMeta, RunSummary};
pub(crate) use target_summary::{TargetSummary, record_summaries, side_by_side, summarise_targets};
