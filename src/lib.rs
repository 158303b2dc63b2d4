//! promptci: a CI test harness for LLM prompts, and a versioned prompt registry.
//!
//! The binary discovers YAML suites and Jinja prompt templates, renders every case, runs them
//! concurrently against the target models, judges the answers, writes console, JSON, JUnit and
//! GitHub reports, and gates the build with documented exit codes.
//!
//! The library's public API is the [`registry`]: applications resolve a tested prompt version
//! (from the registry or an exported [`Bundle`](registry::Bundle)) and render exactly the text
//! that was tested. Everything else is private to the crate.
//!
//! Modules are layered and import only from their own layer or the ones below it, so
//! dependencies point one way (`ARCHITECTURE.md` lists the layers; an integration test fails
//! on an import that goes up or a cycle):
//!
//! 1. shared helpers: `util`, `stats`;
//! 2. diagnostics and exit codes: `error`;
//! 3. values shared across stages: `chat` (messages, model output, usage);
//! 4. inputs: `yaml`, `config`, `tokens`, `prompt_files`, `template`, `assert`, `probe`,
//!    `suite`, `changed`;
//! 5. the plan: `plan` (rendered cases with stable ids, probes, repeats, shards);
//! 6. the results model: `results` (what a run produced; the JSON report);
//! 7. the registry: [`registry`] (reads results, never runs);
//! 8. running: `provider`, `run` (the only async code);
//! 9. judging results: `decide` (budgets, baseline comparison, A/B, the verdict), and
//!    `optimize` (the few-shot search, which runs prompt variants and judges them);
//! 10. rendering: `report` (console, JUnit, GitHub, Markdown, JSON);
//! 11. the command line: `cli`.

mod assert;
mod changed;
mod chat;
mod cli;
mod config;
mod decide;
mod error;
mod import;
mod optimize;
mod plan;
mod probe;
mod prompt_files;
mod provider;
pub mod registry;
mod report;
mod results;
mod run;
mod stats;
mod suite;
mod template;
mod tokens;
mod util;
mod yaml;

/// Runs the `promptci` command line on the process arguments and returns the exit code.
#[doc(hidden)]
pub use cli::main;
