//! One file per command (or family of commands): each turns arguments into stages and an
//! exit code. Dispatch lives in [`app`](crate::app).

pub(crate) mod ab;
pub(crate) mod diff;
pub(crate) mod github;
pub(crate) mod inspect;
pub(crate) mod merge;
pub(crate) mod probes;
pub(crate) mod registry;
pub(crate) mod report;
pub(crate) mod run;
pub(crate) mod tokens;
pub(crate) mod trend;
