//! One file per command: each turns its arguments into stages and an exit code.
//! [`app`](super::app) picks the command; shared steps are in [`support`](super::support).

pub(crate) mod ab;
pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod diff;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod judge;
pub(crate) mod list;
pub(crate) mod man;
pub(crate) mod merge;
pub(crate) mod optimize;
pub(crate) mod probes;
pub(crate) mod registry;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod run;
pub(crate) mod schema;
pub(crate) mod tokens;
pub(crate) mod trend;
