//! Rendering: everything a person or a CI system reads about a run — the console
//! ([`console`]), JUnit ([`junit`]), GitHub Actions output ([`github`]), the JSON report's bytes
//! ([`json`]), baseline comparisons as text and Markdown ([`comparison`]), A/B comparisons
//! ([`ab`]), budget sections ([`budget`]) and plain-text tables ([`table`]).
//!
//! Every renderer reads the [`results`](crate::results) model (and what
//! [`decide`](crate::decide) made of it) and returns text or bytes; the console writes to any
//! `Write`; the command line decides where the results go.

pub(crate) mod ab;
pub(crate) mod budget;
pub(crate) mod comparison;
pub(crate) mod console;
pub(crate) mod github;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod table;
