//! Few-shot optimisation: finds the demonstrations that make a prompt pass the most held-out
//! cases, the search behind `promptci optimize`.
//!
//! The cases are [`Split`] into train, dev and test; the current prompt's passing train
//! answers become the demonstration pool ([`bootstrap`]); [`search`] ranks candidate sets on
//! dev; the winner is measured once against the current prompt on test. Demonstrations live
//! in a Jinja file the template imports ([`demos_file_text`]), so what is measured is exactly
//! what a registry version stores.

mod demos;
mod demos_file;
mod search;
mod seeded;
mod split;

pub(crate) use demos::{Bootstrap, Demo, TrainCase, bootstrap};
pub(crate) use demos_file::demos_file_text;
pub(crate) use search::{CandidateKind, SearchOptions, SearchOutcome, Tried, search};
pub(crate) use split::{Split, SplitFractions, SplitSource};
