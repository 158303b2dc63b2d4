//! Rendering: everything a person or a CI system reads about a run — the console
//! ([`console`]), JUnit ([`junit`]), GitHub Actions output ([`github`]), the JSON report's bytes
//! ([`json`]), baseline comparisons as text and Markdown ([`comparison`]), A/B comparisons
//! ([`ab`]), few-shot optimisations ([`optimize`]), budget sections ([`budget`]), plain-text tables ([`table`]), trends as Markdown ([`trend`])
//! and the self-contained HTML report and trend pages ([`html`]); a run's report entries wait
//! in a temporary file ([`spill`]) until the writers stream them.
//!
//! Every renderer reads the [`results`](crate::results) model (and what
//! [`decide`](crate::decide) made of it) and returns text or bytes; the console writes to any
//! `Write`; the command line decides where the results go.

pub(crate) mod ab;
pub(crate) mod budget;
pub(crate) mod calibration;
pub(crate) mod comparison;
pub(crate) mod console;
pub(crate) mod github;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod optimize;
pub(crate) mod spill;
pub(crate) mod table;
pub(crate) mod targets;
pub(crate) mod trend;
