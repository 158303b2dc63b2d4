//! The command line, as clap derive structs only. Behaviour lives in [`app`](super::app) and
//! [`commands`](super::commands); value enums and their mapping to core types live in
//! [`value_enums`](super::value_enums).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::value_enums::{
    BumpArg, CacheModeArg, ColorArg, ExportStatusArg, FailOnArg, GithubArg, PromoteStatusArg,
    RegressionTestArg, SchemaArg,
};

const EXIT_CODES: &str = "\
Exit codes:
  0    every gate passed
  1    the gate failed: a case failed, a regression against the baseline, a budget overrun
  2    invalid input: config, suite, template or arguments, an empty selection
  3    infrastructure: the model could not be reached or kept erroring, or reports could not
       be written, and nothing failed on its merits
  129  stopped by SIGHUP (reports were still written)
  130  interrupted by Ctrl-C (reports were still written)
  143  stopped by SIGTERM (reports were still written)";

/// A CI test harness for LLM prompts: render, run, assert, report, gate.
#[derive(Debug, Parser)]
#[command(name = "promptci", version, after_help = EXIT_CODES, max_term_width = 100)]
pub(crate) struct Cli {
    /// The configuration file (default: `promptci.yaml` in the working directory or a parent).
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,

    /// When to colour the output: `auto` colours a terminal unless `NO_COLOR` is set or
    /// `TERM=dumb` (`CLICOLOR_FORCE` colours a pipe too).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub(crate) color: ColorArg,

    /// The command to run.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run suites against their targets, write reports, and gate the build.
    Run(RunArgs),
    /// Check everything that needs no model: config, suites, templates, regexes, schemas.
    Check(CheckArgs),
    /// Compare two variants (templates, registry versions or targets) over the same cases with
    /// repeats; exit 1 when B is significantly worse than A.
    Ab(AbArgs),
    /// Print the plan: every selected case id with its file and line.
    List(SelectArgs),
    /// Print exactly the messages a case sends.
    Render(RenderArgs),
    /// Version prompts: snapshot, record test evidence, promote, roll back, check governance.
    Registry(RegistryArgs),
    /// Compare two JSON reports: cases flipped, new and removed, token and cost growth.
    Diff(DiffArgs),
    /// Count every case's prompt tokens offline with its model's tokenizer.
    Tokens(TokensArgs),
    /// Merge the JSON reports of shard runs (`run --shard K/N`) into one report.
    Merge(MergeArgs),
    /// The built-in edge-case and prompt-injection probes suites opt into with `probes:`.
    Probes(ProbesArgs),
    /// Render saved JSON reports as one self-contained HTML report (several reports, such as
    /// the shards of one run, are merged first).
    Report(ReportArgs),
    /// Lay JSON reports of many runs out over time: pass rates, failures, flaky cases, tokens,
    /// cost and latency, as an HTML page of charts or Markdown.
    Trend(TrendArgs),
    /// Measure graders: how often an assertion's judge agrees with people.
    Judge(JudgeArgs),
    /// Convert another tool's project into promptci suites, templates and targets.
    Import(ImportArgs),
    /// Find the few-shot demonstrations that make a prompt pass the most cases: bootstrap them
    /// from passing train cases, search sets on dev, measure the best once on held-out test
    /// cases against the current prompt; `--write` keeps a significant gain as a registry draft.
    Optimize(OptimizeArgs),
    /// Start a project: write `promptci.yaml`, an example suite that passes offline, and a
    /// GitHub workflow that runs it (never overwrites a file).
    Init(InitArgs),
    /// Print the JSON Schema of suite files, `promptci.yaml` or the JSON report, for editors and
    /// other tools.
    Schema(SchemaArgs),
    /// Print the completion script for a shell (for example `promptci completions bash >
    /// ~/.local/share/bash-completion/completions/promptci`).
    Completions(CompletionsArgs),
    /// Print the man page of promptci or of one of its commands (roff; for example
    /// `promptci man > ~/.local/share/man/man1/promptci.1`).
    Man(ManArgs),
}

/// Options of `promptci init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The project directory, created when missing.
    #[arg(default_value = ".", value_name = "DIR")]
    pub(crate) dir: PathBuf,
}

/// Options of `promptci schema`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// The kind of file.
    #[arg(value_enum)]
    pub(crate) kind: SchemaArg,
}

/// Options of `promptci completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// Options of `promptci man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The command whose page to print (for example `run`, or `registry promote`); the page of
    /// promptci itself when none.
    #[arg(value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
}

/// Options of `promptci judge`.
#[derive(Debug, Args)]
pub(crate) struct JudgeArgs {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: JudgeCommand,
}

/// The commands of `promptci judge`.
#[derive(Debug, Subcommand)]
pub(crate) enum JudgeCommand {
    /// Run an assertion's judge over examples people labelled pass or fail and report how
    /// often it agrees with them: accuracy, Cohen's kappa, false-pass and false-fail rates.
    Calibrate(CalibrateArgs),
}

/// Options of `promptci judge calibrate`.
#[derive(Debug, Args)]
pub(crate) struct CalibrateArgs {
    /// Labelled examples: CSV with a header, JSON Lines, or YAML (`.csv`, `.jsonl`, `.yaml`).
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,

    /// The assertion whose judge is measured, as YAML (`'rubric: Answers politely'`); required
    /// for CSV and JSON Lines, over a YAML file's `assert:`.
    #[arg(long = "assert", value_name = "YAML")]
    pub(crate) assertion: Option<String>,

    /// Judge with this target from `promptci.yaml` (over the file's and promptci.yaml's
    /// `grader:`).
    #[arg(long, value_name = "NAME")]
    pub(crate) grader: Option<String>,

    /// The confidence of the intervals.
    #[arg(long, default_value_t = 0.95, value_name = "P")]
    pub(crate) confidence: f64,

    /// The most judge requests in flight at once.
    #[arg(short = 'j', long, default_value_t = 16, value_name = "N")]
    pub(crate) concurrency: usize,

    /// Write the calibration as JSON here (what a suite's `min-judge-agreement` reads).
    #[arg(long, value_name = "PATH")]
    pub(crate) json: Option<PathBuf>,
}

/// Options of `promptci report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// JSON reports written by `promptci run --json`.
    #[arg(required = true, value_name = "REPORT.json")]
    pub(crate) reports: Vec<PathBuf>,

    /// Write the HTML report here.
    #[arg(long, required = true, value_name = "PATH")]
    pub(crate) html: PathBuf,
}

/// Options of `promptci import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The tool whose project to convert.
    #[command(subcommand)]
    pub(crate) tool: ImportTool,
}

/// The tools `promptci import` reads.
#[derive(Debug, Subcommand)]
pub(crate) enum ImportTool {
    /// Convert promptfoo configs: one suite per prompt and provider, one case per test, a
    /// target per provider, and a report of what did not carry over exactly.
    Promptfoo(PromptfooArgs),
}

/// Options of `promptci import promptfoo`.
#[derive(Debug, Args)]
pub(crate) struct PromptfooArgs {
    /// promptfoo config files (YAML or JSON); default `promptfooconfig.yaml` in the working
    /// directory.
    #[arg(value_name = "CONFIG")]
    pub(crate) configs: Vec<PathBuf>,
    /// The directory to write `promptci.yaml` and `suites/` into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) out: PathBuf,
    /// Replace files that already exist with other content (otherwise nothing is written).
    #[arg(long)]
    pub(crate) force: bool,
    /// Print the report as JSON: files written, items, and each suite's promptfoo origin.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Options of `promptci trend`.
#[derive(Debug, Args)]
pub(crate) struct TrendArgs {
    /// JSON reports of the runs, in any order: each is placed by its `started_at`.
    #[arg(required = true, value_name = "REPORT.json")]
    pub(crate) reports: Vec<PathBuf>,

    /// Write the trend as an HTML page of charts here.
    #[arg(long, value_name = "PATH")]
    pub(crate) html: Option<PathBuf>,

    /// Print the trend as Markdown (for a pull-request comment or a step summary).
    #[arg(long)]
    pub(crate) markdown: bool,
}

/// Options of `promptci probes`.
#[derive(Debug, Args)]
pub(crate) struct ProbesArgs {
    /// The probes command.
    #[command(subcommand)]
    pub(crate) command: ProbesCommand,
}

/// The `promptci probes` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum ProbesCommand {
    /// Print the catalogue: every probe, what it sends, and how its answer is judged.
    List(JsonOutputArgs),
}

/// Which suites and cases to use, and where to send them.
#[derive(Debug, Args, Clone)]
pub(crate) struct SelectArgs {
    /// Suite files or directories to search for `*.yaml` / `*.yml` suites.
    #[arg(default_value = "suites", value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    /// Select cases whose id (`suite-path::case-name`) matches a glob, or contains the text.
    #[arg(long, value_name = "PATTERN")]
    pub(crate) filter: Vec<String>,

    /// Select cases with this tag (repeatable: any of them).
    #[arg(long, value_name = "TAG")]
    pub(crate) tag: Vec<String>,

    /// Run every suite against these targets from `promptci.yaml` (comma-separated: every
    /// case runs on each, its id ending in `@target`).
    #[arg(long, value_name = "NAME[,NAME...]", value_delimiter = ',')]
    pub(crate) target: Vec<String>,

    /// Send requests to this OpenAI-compatible base URL (for example `http://127.0.0.1:8080/v1`).
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,

    /// Use this model name.
    #[arg(long, value_name = "NAME")]
    pub(crate) model: Option<String>,

    /// Seed the nonces and canaries of generated probes, to reproduce a run (default: fresh
    /// each run; the JSON report records the seed used).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Judge every model-graded assertion with this target from `promptci.yaml` (over the
    /// assertions', suites' and configuration's `grader:`; also with `--target replay`, to
    /// judge recorded answers again live).
    #[arg(long, value_name = "NAME")]
    pub(crate) grader: Option<String>,
    /// Select only suites whose file, template or included templates changed since this git
    /// revision (uncommitted and untracked files count; a changed `promptci.yaml` selects all).
    #[arg(long, value_name = "REF")]
    pub(crate) changed_since: Option<String>,

    /// Select shard K of N: each case belongs to exactly one shard, by a stable hash of its id.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<crate::plan::Shard>,
}

/// Options of `promptci check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Which suites and cases.
    #[command(flatten)]
    pub(crate) select: SelectArgs,

    /// Treat warnings (a case with no assertion, an unused variable, …) as errors: exit 2.
    #[arg(long)]
    pub(crate) deny_warnings: bool,
}

/// How the response cache is used.
#[derive(Debug, Args, Clone)]
pub(crate) struct CacheArgs {
    /// How to use the response cache [default: read-write, or off when `CI` is set].
    #[arg(long = "cache", value_enum, value_name = "MODE")]
    pub(crate) mode: Option<CacheModeArg>,

    /// Where the response cache lives [default: `cache-dir` in promptci.yaml, else
    /// `.promptci/cache` under the project root].
    #[arg(long, value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

/// Options of `promptci run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Which suites and cases.
    #[command(flatten)]
    pub(crate) select: SelectArgs,

    /// The most requests in flight at once (each target also has its own limit).
    #[arg(short = 'j', long, default_value_t = 16, value_name = "N")]
    pub(crate) concurrency: usize,

    /// Pass when the selection holds no case (otherwise an empty selection is invalid input,
    /// exit 2, so a filter that matches nothing cannot pass unnoticed).
    #[arg(long)]
    pub(crate) allow_empty: bool,

    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub(crate) junit: Option<PathBuf>,

    /// Write a JSON report here.
    #[arg(long, value_name = "PATH")]
    pub(crate) json: Option<PathBuf>,

    /// Write a self-contained HTML report here (opens from disk; loads nothing).
    #[arg(long, value_name = "PATH")]
    pub(crate) html: Option<PathBuf>,

    /// Stop starting cases after the first failure or error.
    #[arg(long)]
    pub(crate) fail_fast: bool,

    /// Treat warnings (a case with no assertion, an unused variable, …) as errors: exit 2
    /// before any request is sent.
    #[arg(long)]
    pub(crate) deny_warnings: bool,

    /// Compare with an earlier JSON report: regressions, new and removed cases, growth.
    #[arg(long, value_name = "PATH")]
    pub(crate) baseline: Option<PathBuf>,

    /// The prompt-token and cost growth over the baseline that fails the gate when the pass
    /// rate did not improve, in percent.
    #[arg(long, default_value = "10%", value_name = "PERCENT", value_parser = parse_growth)]
    pub(crate) growth: f64,

    /// What fails the build: every failed case, or only cases that passed (or were absent) in
    /// the baseline.
    #[arg(long, value_enum, default_value = "failures", value_name = "WHAT")]
    pub(crate) fail_on: FailOnArg,

    /// What regressions against the baseline gate on: each case's own test (single shots:
    /// passed before, fails now; repeats: a significant drop of the pass rate), or the exact
    /// McNemar test over the whole suite (for single-shot runs against non-deterministic
    /// models).
    #[arg(long, value_enum, default_value = "case", value_name = "TEST")]
    pub(crate) regression_test: RegressionTestArg,

    /// Send every case N times (over the suites' `repeat`); a case passes when its pass rate
    /// meets its `pass-rate` (default 1.0).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) repeat: Option<u32>,

    /// The response cache.
    #[command(flatten)]
    pub(crate) cache: CacheArgs,

    /// Save every live answer to one JSON file per suite under DIR, for the `replay` target.
    #[arg(long, value_name = "DIR")]
    pub(crate) record: Option<PathBuf>,

    /// GitHub Actions output: annotations, the step summary and step outputs.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub(crate) github: GithubArg,
}

/// Options of `promptci diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The earlier JSON report.
    #[arg(value_name = "BASE.json")]
    pub(crate) base: PathBuf,

    /// The later JSON report.
    #[arg(value_name = "HEAD.json")]
    pub(crate) head: PathBuf,

    /// Print Markdown tables (for pull-request comments) instead of text.
    #[arg(long)]
    pub(crate) markdown: bool,

    /// The prompt-token and cost growth that fails the gate, in percent.
    #[arg(long, default_value = "10%", value_name = "PERCENT", value_parser = parse_growth)]
    pub(crate) growth: f64,

    /// What regressions gate on: each case's own test, or the exact McNemar test over the
    /// whole suite (for single-shot runs against non-deterministic models).
    #[arg(long, value_enum, default_value = "case", value_name = "TEST")]
    pub(crate) regression_test: RegressionTestArg,
}

/// Options of `promptci tokens`.
#[derive(Debug, Args)]
pub(crate) struct TokensArgs {
    /// Which suites and cases.
    #[command(flatten)]
    pub(crate) select: SelectArgs,

    /// Show every case, not only each suite's summary.
    #[arg(long)]
    pub(crate) cases: bool,
}

/// Parses a growth limit: `10%`, `10` (percent) or `12.5%`, into a fraction.
fn parse_growth(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%');
    match number.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value / 100.0),
        _ => Err(format!(
            "`{text}` is not a percentage (write for example `10%` or `2.5`)"
        )),
    }
}

/// Options of `promptci merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The JSON reports of every shard of one run.
    #[arg(required = true, value_name = "REPORT")]
    pub(crate) reports: Vec<PathBuf>,

    /// Write the merged JSON report here.
    #[arg(long, value_name = "PATH")]
    pub(crate) json: Option<PathBuf>,

    /// Write the merged JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub(crate) junit: Option<PathBuf>,

    /// GitHub Actions output for the merged report.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub(crate) github: GithubArg,
}

/// Options of `promptci ab`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct AbArgs {
    /// Online experiments: bucket users, analyse recorded outcomes.
    #[command(subcommand)]
    pub(crate) command: Option<AbCommand>,

    /// Which suites and cases.
    #[command(flatten)]
    pub(crate) select: SelectArgs,

    /// The baseline variant: a template path, `ID@VERSION` (or `ID@production`) from the
    /// registry, or `target:NAME`.
    #[arg(long = "a", value_name = "VARIANT", required = true)]
    pub(crate) a: Option<String>,

    /// The candidate variant, in the same forms as `--a`.
    #[arg(long = "b", value_name = "VARIANT", required = true)]
    pub(crate) b: Option<String>,

    /// Attempts per case and variant [default: the suite's `repeat`, else 10].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) repeat: Option<u32>,

    /// The confidence of the interval; B is significantly worse when p < 1 − confidence.
    #[arg(long, default_value_t = 0.95, value_name = "P")]
    pub(crate) confidence: f64,

    /// The most requests in flight at once.
    #[arg(short = 'j', long, default_value_t = 16, value_name = "N")]
    pub(crate) concurrency: usize,

    /// Write the comparison as JSON here.
    #[arg(long, value_name = "PATH")]
    pub(crate) json: Option<PathBuf>,

    /// Also have the grader (`--grader`, else the suite's or promptci.yaml's `grader:`) say
    /// which answer better meets RUBRIC, every pair in both orders; an exact sign test on the
    /// pairs then decides the exit code.
    #[arg(long, value_name = "RUBRIC")]
    pub(crate) judge: Option<String>,
}

/// The online-experiment commands of `promptci ab`.
#[derive(Debug, Subcommand)]
pub(crate) enum AbCommand {
    /// Print the sticky bucket of a user: the same experiment and user always get the same
    /// variant.
    Assign(AbAssignArgs),
    /// Compare recorded outcomes of control and treatment (Welch t-test).
    Analyze(AbAnalyzeArgs),
}

/// Options of `promptci ab assign`.
#[derive(Debug, Args)]
pub(crate) struct AbAssignArgs {
    /// The experiment name.
    #[arg(long, value_name = "NAME")]
    pub(crate) experiment: String,

    /// The user id.
    #[arg(long, value_name = "ID")]
    pub(crate) user: String,

    /// The share of users who get the treatment, from 0 to 1.
    #[arg(long, value_name = "F")]
    pub(crate) fraction: f64,

    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Options of `promptci ab analyze`.
#[derive(Debug, Args)]
pub(crate) struct AbAnalyzeArgs {
    /// A CSV file with a header naming `variant` (`control`/`treatment`) and `value` columns.
    #[arg(value_name = "OUTCOMES.csv")]
    pub(crate) outcomes: PathBuf,

    /// The significance is judged at p < 1 − confidence.
    #[arg(long, default_value_t = 0.95, value_name = "P")]
    pub(crate) confidence: f64,

    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Options of `promptci render`.
#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    /// The case id: `suite-path::case-name` (as `promptci list` prints it).
    #[arg(value_name = "SUITE::CASE")]
    pub(crate) case: String,

    /// Print the messages as the JSON array sent to chat APIs.
    #[arg(long)]
    pub(crate) json: bool,

    /// Which suites to load.
    #[command(flatten)]
    pub(crate) select: SelectArgs,
}

/// Options of `promptci registry`.
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// The registry command.
    #[command(subcommand)]
    pub(crate) command: RegistryCommand,

    /// Who acts, as recorded in the history (default: `git config user.name`, else `$USER`).
    #[arg(long, global = true, env = "PROMPTCI_AUTHOR", value_name = "NAME")]
    pub(crate) author: Option<String>,
}

/// The `promptci registry` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum RegistryCommand {
    /// Show every prompt: its production, staging and latest versions, and what is on disk.
    Status(JsonOutputArgs),
    /// Snapshot a prompt's current template (and its includes) as a new draft version.
    New(RegistryNewArgs),
    /// Attach a run report (`promptci run --json`) as test evidence to the versions it tested.
    Record(RegistryRecordArgs),
    /// Move a version to staging or production (gated on passing evidence), or retire it.
    Promote(RegistryPromoteArgs),
    /// Make the previous production version live again and restore its template files.
    Rollback(RegistryRollbackArgs),
    /// Show every status change of a prompt: who, when, and why.
    History(RegistryHistoryArgs),
    /// Show one version: metadata, evidence, and its stored template text.
    Show(RegistryShowArgs),
    /// Show a unified diff between two versions' stored templates.
    Diff(RegistryDiffArgs),
    /// Write every prompt's version in one status to a JSON bundle for applications.
    Export(RegistryExportArgs),
    /// Fail when a template was edited without a new version, stored content does not match
    /// its hash, or a production version has no passing evidence.
    Check,
}

/// A `--json` switch for commands machines read.
#[derive(Debug, Args)]
pub(crate) struct JsonOutputArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Options of `promptci registry new`.
#[derive(Debug, Args)]
pub(crate) struct RegistryNewArgs {
    /// The prompt id (the suite's `prompt.id`).
    #[arg(value_name = "ID")]
    pub(crate) id: String,

    /// Which part of the version to bump (a prompt's first version bumps from 0.0.0).
    #[arg(long, value_enum, value_name = "PART")]
    pub(crate) bump: BumpArg,

    /// What changed and why.
    #[arg(long, value_name = "TEXT")]
    pub(crate) changelog: String,

    /// The target the version is meant for; evidence must come from it (default: the suite's).
    #[arg(long, value_name = "NAME")]
    pub(crate) model_target: Option<String>,

    /// A label for the version (repeatable).
    #[arg(long, value_name = "TAG")]
    pub(crate) tag: Vec<String>,

    /// Where to find the suite that declares the prompt.
    #[arg(long = "suites", default_value = "suites", value_name = "PATH")]
    pub(crate) suites: Vec<PathBuf>,
}

/// Options of `promptci registry record`.
#[derive(Debug, Args)]
pub(crate) struct RegistryRecordArgs {
    /// A JSON report written by `promptci run --json`.
    #[arg(value_name = "REPORT")]
    pub(crate) report: PathBuf,

    /// Record a run that did not test every case of a suite (`--filter`, `--tag`,
    /// `--changed-since`, a shard, or skipped cases).
    #[arg(long)]
    pub(crate) allow_partial: bool,
}

/// Options of `promptci registry promote`.
#[derive(Debug, Args)]
pub(crate) struct RegistryPromoteArgs {
    /// The prompt id.
    #[arg(value_name = "ID")]
    pub(crate) id: String,

    /// The version to promote, such as `1.1.0`.
    #[arg(value_name = "VERSION")]
    pub(crate) version: String,

    /// The status to move it to.
    #[arg(long, value_enum, value_name = "STATUS")]
    pub(crate) to: PromoteStatusArg,

    /// Why (recorded in the history).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub(crate) reason: String,

    /// Refuse unless this version (or `none`) holds the status now, so a concurrent promotion
    /// of another version is not silently replaced.
    #[arg(long, value_name = "VERSION|none")]
    pub(crate) expect_current: Option<String>,

    /// Accept evidence from a run that did not test every case of the suite.
    #[arg(long)]
    pub(crate) allow_partial: bool,
}

/// Options of `promptci registry rollback`.
#[derive(Debug, Args)]
pub(crate) struct RegistryRollbackArgs {
    /// The prompt id.
    #[arg(value_name = "ID")]
    pub(crate) id: String,

    /// The earlier production version to restore (default: the previous one).
    #[arg(long, value_name = "VERSION")]
    pub(crate) to: Option<String>,

    /// Why (recorded in the history).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub(crate) reason: String,
}

/// Options of `promptci registry history`.
#[derive(Debug, Args)]
pub(crate) struct RegistryHistoryArgs {
    /// The prompt id.
    #[arg(value_name = "ID")]
    pub(crate) id: String,

    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Options of `promptci registry show`.
#[derive(Debug, Args)]
pub(crate) struct RegistryShowArgs {
    /// `ID` (production, else the latest), `ID@1.2.3`, `ID@production` or `ID@staging`.
    #[arg(value_name = "ID[@VERSION]")]
    pub(crate) selector: String,

    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Options of `promptci registry diff`.
#[derive(Debug, Args)]
pub(crate) struct RegistryDiffArgs {
    /// The prompt id.
    #[arg(value_name = "ID")]
    pub(crate) id: String,

    /// The old side: a version (`1.0.0`) or a status (`production`).
    #[arg(value_name = "A")]
    pub(crate) from: String,

    /// The new side: a version or a status.
    #[arg(value_name = "B")]
    pub(crate) to: String,
}

/// Options of `promptci registry export`.
#[derive(Debug, Args)]
pub(crate) struct RegistryExportArgs {
    /// Which versions to export.
    #[arg(long, value_enum, default_value = "production", value_name = "STATUS")]
    pub(crate) status: ExportStatusArg,

    /// The bundle file to write.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

/// Options of `promptci optimize`.
#[derive(Debug, Args)]
pub(crate) struct OptimizeArgs {
    /// The suite whose prompt is optimised (one suite file).
    #[arg(value_name = "SUITE")]
    pub(crate) suite: PathBuf,

    /// The template variable holding the demonstrations: a list of `{input, output}` objects.
    #[arg(long, value_name = "NAME")]
    pub(crate) examples_var: String,

    /// The file, relative to the suite, that sets `--examples-var` and that the template
    /// imports [default: `NAME.j2`].
    #[arg(long, value_name = "FILE")]
    pub(crate) examples_file: Option<String>,

    /// Take a demonstration's input from this case variable instead of the user message.
    #[arg(long, value_name = "NAME")]
    pub(crate) input_var: Option<String>,

    /// Take a demonstration's output from this case variable (a labelled answer), when the
    /// case has it, instead of the model's passing answer.
    #[arg(long, value_name = "NAME")]
    pub(crate) output_var: Option<String>,

    /// The most demonstrations in one set.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub(crate) max_demos: u32,

    /// How many sets to try on the dev split (half seeded random, half greedy additions).
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) candidates: u32,

    /// The most requests the whole optimisation may plan (cached answers count too, so a seed
    /// searches the same way with or without a cache).
    #[arg(long, value_name = "REQUESTS")]
    pub(crate) budget: Option<u64>,

    /// Stop trying sets once this many US dollars are spent (needs `prices` in promptci.yaml).
    #[arg(long, value_name = "USD")]
    pub(crate) max_cost: Option<f64>,

    /// The seed of the random split and the random sets: the same seed and answers try the
    /// same sets.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) seed: u64,

    /// The shares of a random split, `TRAIN,DEV,TEST` (used when no case is tagged `train`,
    /// `dev` or `test`).
    #[arg(long, default_value = "0.3,0.3,0.4", value_name = "SHARES")]
    pub(crate) split: crate::optimize::SplitFractions,

    /// The confidence of the intervals and of the held-out significance test.
    #[arg(long, default_value_t = 0.95, value_name = "P")]
    pub(crate) confidence: f64,

    /// Run against this target from `promptci.yaml`.
    #[arg(long, value_name = "NAME")]
    pub(crate) target: Option<String>,

    /// Send requests to this OpenAI-compatible base URL.
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,

    /// Use this model name.
    #[arg(long, value_name = "NAME")]
    pub(crate) model: Option<String>,

    /// The most requests in flight at once.
    #[arg(short = 'j', long, default_value_t = 16, value_name = "N")]
    pub(crate) concurrency: usize,

    /// The response cache.
    #[command(flatten)]
    pub(crate) cache: CacheArgs,

    /// Write the optimisation report as JSON here.
    #[arg(long, value_name = "PATH")]
    pub(crate) json: Option<PathBuf>,

    /// When the held-out gain is significant, write the chosen demonstrations into the
    /// examples file and snapshot the prompt as a registry draft.
    #[arg(long)]
    pub(crate) write: bool,

    /// Which part of the version the draft bumps.
    #[arg(long, value_enum, default_value = "minor", value_name = "PART")]
    pub(crate) bump: BumpArg,
}
