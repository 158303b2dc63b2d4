//! Rendering: everything a person or a CI system reads about a run — the console
//! ([`console`]), JUnit ([`junit`]), GitHub Actions output ([`github`]), the JSON report's bytes
//! ([`json`]), baseline comparisons as text and Markdown ([`comparison`]), A/B comparisons
//! ([`ab`]), budget sections ([`budget`]) and plain-text tables ([`table`]).
//!
//! Every renderer reads the [`results`](crate::results) model (and what
//! [`decide`](crate::decide) made of it) and returns text or bytes; the console writes to any
//! `Write`. [`write`] checks output paths and appends to files other steps also write.

pub mod ab;
pub mod budget;
pub mod comparison;
pub mod console;
pub mod github;
pub mod json;
pub mod junit;
pub mod table;
pub mod targets;
pub mod write;
