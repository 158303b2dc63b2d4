//! The command line, the top of the pipeline: clap arguments ([`args`]) and their value enums
//! ([`value_enums`]), the entry point ([`app`]), one file per command ([`commands`]), the
//! steps several commands share ([`support`]), and GitHub Actions output ([`github`]).
//!
//! This is the only module that writes to stdout and stderr; everything below it returns
//! values. Commands do not call each other: what two commands need lives in [`support`].

mod app;
mod args;
mod commands;
mod github;
mod support;
mod value_enums;

pub use app::main;
