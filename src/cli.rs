//! The command line, as clap derive structs only. Behaviour lives in [`app`](crate::app).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0    every gate passed
  1    the gate failed: a case failed, a regression against the baseline, a budget overrun
  2    invalid input: config, suite, template or arguments
  3    infrastructure: the model could not be reached or kept erroring, or reports could not
       be written, and nothing failed on its merits
  130  interrupted (reports were still written)";

/// A CI test harness for LLM prompts: render, run, assert, report, gate.
#[derive(Debug, Parser)]
#[command(name = "promptci", version, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    /// The configuration file (default: `promptci.yaml` in the working directory or a parent).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run suites against their targets, write reports, and gate the build.
    Run(RunArgs),
    /// Check everything that needs no model: config, suites, templates, regexes, schemas.
    Check(SelectArgs),
    /// Print the plan: every selected case id with its file and line.
    List(SelectArgs),
    /// Print exactly the messages a case sends.
    Render(RenderArgs),
}

/// Which suites and cases to use, and where to send them.
#[derive(Debug, Args, Clone)]
pub struct SelectArgs {
    /// Suite files or directories to search for `*.yaml` / `*.yml` suites.
    #[arg(default_value = "suites", value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Select cases whose id (`suite-path::case-name`) matches a glob, or contains the text.
    #[arg(long, value_name = "PATTERN")]
    pub filter: Vec<String>,

    /// Select cases with this tag (repeatable: any of them).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,

    /// Run every suite against this target from `promptci.yaml`.
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,

    /// Send requests to this OpenAI-compatible base URL (for example `http://127.0.0.1:8080/v1`).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Use this model name.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
}

/// Options of `promptci run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Which suites and cases.
    #[command(flatten)]
    pub select: SelectArgs,

    /// The most requests in flight at once (each target also has its own limit).
    #[arg(short = 'j', long, default_value_t = 16, value_name = "N")]
    pub concurrency: usize,

    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    /// Write a JSON report here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Stop starting cases after the first failure or error.
    #[arg(long)]
    pub fail_fast: bool,
}

/// Options of `promptci render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The case id: `suite-path::case-name` (as `promptci list` prints it).
    #[arg(value_name = "SUITE::CASE")]
    pub case: String,

    /// Print the messages as the JSON array sent to chat APIs.
    #[arg(long)]
    pub json: bool,

    /// Which suites to load.
    #[command(flatten)]
    pub select: SelectArgs,
}
