//! promptci: a CI test harness for LLM prompts.
//!
//! It discovers YAML suites and Jinja prompt templates, renders every case, runs them
//! concurrently against a model, checks the answers with assertions, writes JUnit and JSON
//! reports, and gates the build with documented exit codes.
//!
//! Data flows one way: [`cli`] → [`config`] → [`suite`] (discover, load) → [`template`] →
//! [`plan`] → [`run`] (with [`provider`]) → [`assert`] → [`report`] → exit code.

pub mod ab;
pub mod app;
pub mod assert;
pub mod baseline;
pub mod changed;
mod chat;
pub mod cli;
mod commands;
pub mod config;
pub mod error;
pub mod experiment;
pub mod gate;
pub mod plan;
pub mod probe;
pub mod prompt_files;
pub mod provider;
pub mod registry;
pub mod report;
pub mod run;
pub mod stats;
pub mod suite;
pub mod template;
pub mod tokens;
mod util;
mod yaml;
