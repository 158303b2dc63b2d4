//! `promptci import promptfoo`: a promptfoo project turned into promptci suites, templates and
//! targets, with an [`ImportReport`] of everything that did not carry over exactly.
//!
//! The stages, one per file: [`node`] reads a config as a located tree; [`prompt`],
//! [`provider`] and [`cases`] read its prompts, providers and tests; [`assertion`] (with
//! [`js_regex`]) and [`nunjucks`] translate checks and templates; [`project`] lays out the
//! suites; [`yaml_text`] writes them. Nothing here writes files: the command does.

mod assertion;
mod cases;
mod js_regex;
mod nunjucks;
mod project;
mod prompt;
mod provider;
mod report;
mod source;
mod yaml_text;

pub(crate) use project::{OutputFile, import_config};
pub(crate) use report::{ImportReport, ItemStatus};
pub(crate) use yaml_text::Yaml;
