//! Reports: console output, JSON, JUnit and GitHub Actions output.
//!
//! The main type is [`RunSummary`], the input of every report. End-of-run formats are pure
//! `serialize(&RunSummary) -> Vec<u8>` functions; [`write`] is the one place that touches the
//! disk.

pub mod console;
pub mod github;
pub mod json;
pub mod junit;
mod summary;
pub mod targets;
pub mod write;

pub use summary::{Counts, RunMeta, RunSummary};
