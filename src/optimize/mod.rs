//! Few-shot optimisation: finds the demonstrations that make a prompt pass the most cases,
//! measured on cases the search never saw; the stage behind `promptci optimize`.
//!
//! [`optimize`] runs it: the cases are [`Split`] into train, dev and test; the current
//! prompt's passing train answers become the demonstration pool (`bootstrap`); `search`
//! ranks candidate sets on dev through the [`Evaluator`] (the normal providers, cache and
//! retries, within a [`Budget`]); the winner is measured once against the current prompt on
//! test. Demonstrations live in a Jinja file the template imports (`demos_file_text`),
//! written into a scratch copy of the prompt ([`Workspace`]) for each candidate, so what is
//! measured is exactly what a registry version stores. The result is an [`OptimizeReport`].

mod demos;
mod demos_file;
mod evaluator;
mod optimize_report;
mod optimizer;
mod search;
mod seeded;
mod split;
#[cfg(test)]
mod test_helpers;
mod workspace;

pub(crate) use evaluator::{Budget, Evaluator};
pub(crate) use optimize_report::{OptimizeReport, TOKEN_GROWTH_ALERT, TestComparison};
pub(crate) use optimizer::{Optimized, Progress, Settings, optimize};
pub(crate) use search::{CandidateKind, SearchOptions};
pub(crate) use split::{SplitFractions, SplitSource};
#[cfg(test)]
pub(crate) use test_helpers::sample_report;
pub(crate) use workspace::Workspace;
