//! `promptci.yaml`: named targets and defaults, resolved into a [`Config`].
//!
//! The file is optional. Without it the `default` target is the built-in offline mock, so
//! the example suites run with no key and no network. API keys never come from this file:
//! a target names the environment variable that holds its key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::error::{Error, InvalidInput, Problem, SourceFile};
use crate::yaml::parse_yaml_checked;

/// The name of the configuration file, looked up from the working directory upwards.
pub(crate) const CONFIG_FILE_NAME: &str = "promptci.yaml";

/// The target a suite uses when it names none.
pub(crate) const DEFAULT_TARGET: &str = "default";

/// The directory recordings live in under the project root unless configured.
pub(crate) const DEFAULT_RECORDINGS_DIR: &str = "recordings";

/// The always-available built-in offline target.
pub(crate) const MOCK_TARGET: &str = "mock";

/// The always-available built-in offline target that answers with the prompt it is sent.
pub(crate) const ECHO_TARGET: &str = "echo";

/// The always-available built-in target that answers from `recordings/`.
pub(crate) const REPLAY_TARGET: &str = "replay";

/// `promptci.yaml` as written.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawConfig {
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawTarget>")]
    targets: BTreeMap<String, Spanned<RawTarget>>,
    /// Where the response cache lives, relative to the project root.
    cache_dir: Option<String>,
    /// Budgets for every suite that does not set its own.
    #[serde(default)]
    budget: RawBudget,
    /// Prices per model, in US dollars per million tokens.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Price>")]
    prices: BTreeMap<String, Spanned<Price>>,
    /// The target that judges model-graded assertions unless a suite names another.
    #[schemars(with = "Option<String>")]
    grader: Option<Spanned<String>>,
    /// The target that embeds texts for `similar` unless a suite names another.
    #[schemars(with = "Option<String>")]
    embedder: Option<Spanned<String>>,
    /// Bounds on judges and templates.
    #[serde(default)]
    limits: RawLimits,
}

/// `limits:` as written.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    /// Seconds a `command` judge may run.
    #[schemars(with = "Option<f64>")]
    command_timeout: Option<Spanned<f64>>,
    /// KiB a `command` judge may print on stdout and on stderr.
    #[schemars(with = "Option<u64>")]
    command_output_kb: Option<Spanned<u64>>,
    /// Steps one template render may take.
    #[schemars(with = "Option<u64>")]
    render_fuel: Option<Spanned<u64>>,
}

/// Bounds on the work an input may cause (`limits:` in `promptci.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// How long a `command` judge may run before it and its process group are killed.
    pub(crate) command_timeout: Duration,
    /// How many bytes a `command` judge may print on stdout and on stderr.
    pub(crate) command_output_bytes: usize,
    /// How many steps one template render may take before it stops.
    pub(crate) render_fuel: u64,
}

/// How long a `command` judge may run unless `limits: command-timeout` says otherwise.
pub(crate) const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_mins(1);

/// How much a `command` judge may print, in KiB, unless `limits: command-output-kb` says
/// otherwise.
pub(crate) const DEFAULT_COMMAND_OUTPUT_KB: u64 = 1024;

/// The most `limits: command-output-kb` may be (1 GiB).
const MAX_COMMAND_OUTPUT_KB: u64 = 1024 * 1024;

/// How many steps one template render may take unless `limits: render-fuel` says otherwise:
/// a prompt that loops over ten thousand rows uses well under a million.
pub(crate) const DEFAULT_RENDER_FUEL: u64 = 10_000_000;

impl Default for Limits {
    fn default() -> Self {
        Self {
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            command_output_bytes: usize::try_from(DEFAULT_COMMAND_OUTPUT_KB * 1024)
                .expect("one MiB fits a usize"),
            render_fuel: DEFAULT_RENDER_FUEL,
        }
    }
}

/// Resolves `limits:`, refusing values out of range at their location.
fn resolve_limits(raw: &RawLimits, source: &SourceFile) -> Result<Limits, Problem> {
    let at = |spanned: (usize, usize), message: String, help: &str| {
        Problem::at_line(source, spanned.0, spanned.1, message).with_help(help.to_owned())
    };
    let mut limits = Limits::default();
    if let Some(written) = &raw.command_timeout {
        let seconds = written.value;
        if !(seconds.is_finite() && seconds > 0.0 && seconds < MAX_SECONDS) {
            return Err(at(
                crate::yaml::span_start(written),
                format!(
                    "`command-timeout` must be a positive number of seconds below {MAX_SECONDS:e}"
                ),
                "write for example `command-timeout: 30`",
            ));
        }
        limits.command_timeout = Duration::from_secs_f64(seconds);
    }
    if let Some(written) = &raw.command_output_kb {
        let kb = written.value;
        if kb == 0 || kb > MAX_COMMAND_OUTPUT_KB {
            return Err(at(
                crate::yaml::span_start(written),
                format!("`command-output-kb` must be between 1 and {MAX_COMMAND_OUTPUT_KB}"),
                "write for example `command-output-kb: 1024`",
            ));
        }
        limits.command_output_bytes =
            usize::try_from(kb * 1024).expect("at most 1 GiB fits a usize");
    }
    if let Some(written) = &raw.render_fuel {
        if written.value == 0 {
            return Err(at(
                crate::yaml::span_start(written),
                "`render-fuel` must be at least 1".to_owned(),
                "remove it to use the default of 10000000",
            ));
        }
        limits.render_fuel = written.value;
    }
    Ok(limits)
}

/// What a model costs, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Price {
    /// Per million prompt (input) tokens.
    pub(crate) input: f64,
    /// Per million completion (output) tokens.
    pub(crate) output: f64,
}

impl Price {
    /// Returns the cost of a request in US dollars.
    #[must_use]
    pub(crate) fn cost(&self, prompt_tokens: u64, completion_tokens: u64) -> f64 {
        (prompt_tokens as f64 * self.input + completion_tokens as f64 * self.output) / 1_000_000.0
    }
}

/// A target as written in `promptci.yaml`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTarget {
    provider: ProviderKind,
    model: Option<String>,
    #[schemars(with = "Option<String>")]
    base_url: Option<Spanned<String>>,
    /// An environment variable whose value, when set, replaces `base-url` (for servers whose
    /// address is only known at run time, such as a local model on a free port).
    base_url_env: Option<String>,
    api_key_env: Option<String>,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
    seed: Option<i64>,
    /// Seconds one request may take.
    #[schemars(with = "Option<f64>")]
    timeout: Option<Spanned<f64>>,
    concurrency: Option<usize>,
    /// Retries after the first request of a case.
    retries: Option<u32>,
    /// Seconds before the first retry; later waits double.
    #[schemars(with = "Option<f64>")]
    retry_delay: Option<Spanned<f64>>,
    /// The longest wait between two retries, in seconds.
    #[schemars(with = "Option<f64>")]
    retry_max_delay: Option<Spanned<f64>>,
    /// Seconds a case may take in total, retries and waits included.
    #[schemars(with = "Option<f64>")]
    deadline: Option<Spanned<f64>>,
    requests_per_minute: Option<u32>,
    tokens_per_minute: Option<u32>,
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    #[schemars(with = "Vec<RawMockRule>")]
    rules: Vec<Spanned<RawMockRule>>,
    /// The directory a `replay` target reads, relative to the project root.
    recordings: Option<String>,
    /// The `anthropic-version` header of an Anthropic target.
    api_version: Option<String>,
    /// Stream answers over server-sent events (OpenAI-compatible targets).
    stream: Option<bool>,
    /// The largest answer body read, in MiB.
    max_response_mb: Option<f64>,
}

/// A rule of the mock target: a regex on the last user message and the answer it gives.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMockRule {
    #[serde(rename = "match")]
    pattern: String,
    answer: String,
}

/// The kind of API a target speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ProviderKind {
    /// OpenAI-compatible chat completions (OpenAI, vLLM, llama.cpp, Ollama, …).
    Openai,
    /// The Anthropic Messages API.
    Anthropic,
    /// The built-in offline, deterministic mock.
    Mock,
    /// The built-in offline target that answers with the prompt it is sent.
    Echo,
    /// Answers recorded by an earlier live run (`--record`), offline.
    Replay,
}

impl ProviderKind {
    /// Returns the name used in `promptci.yaml` and reports.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::Mock => "mock",
            Self::Echo => "echo",
            Self::Replay => "replay",
        }
    }

    /// Returns true for targets answered over the network (worth caching and recording).
    #[must_use]
    pub(crate) fn is_live(self) -> bool {
        match self {
            Self::Openai | Self::Anthropic => true,
            Self::Mock | Self::Echo | Self::Replay => false,
        }
    }
}

/// Generation parameters sent with every request of a target.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct GenerationParams {
    /// Sampling temperature.
    pub(crate) temperature: Option<f64>,
    /// Maximum completion tokens.
    pub(crate) max_tokens: Option<u32>,
    /// Sampling seed, where the API supports one.
    pub(crate) seed: Option<i64>,
    /// Free-form extra request fields.
    pub(crate) extra: serde_json::Map<String, serde_json::Value>,
}

/// A mock rule with its compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct MockRule {
    /// Matched against the last user message.
    pub(crate) pattern: regex::Regex,
    /// The answer given when the pattern matches.
    pub(crate) answer: String,
}

/// A resolved target: where requests go and with which parameters.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The name in `promptci.yaml`.
    pub(crate) name: String,
    /// The API it speaks.
    pub(crate) provider: ProviderKind,
    /// The model name sent to the API.
    pub(crate) model: String,
    /// The API base URL (for example `https://api.openai.com/v1`).
    pub(crate) base_url: Option<String>,
    /// The environment variable that, when set, holds the base URL instead.
    pub(crate) base_url_env: Option<String>,
    /// The environment variable holding the API key.
    pub(crate) api_key_env: Option<String>,
    /// Generation parameters.
    pub(crate) params: GenerationParams,
    /// How long one request may take.
    pub(crate) timeout: Duration,
    /// How many requests to this target may be in flight at once.
    pub(crate) concurrency: usize,
    /// When and how often failed requests are retried, and how long a case may take.
    pub(crate) retry: RetryConfig,
    /// Requests and tokens per minute this target accepts.
    pub(crate) rate: RateConfig,
    /// Mock rules, in order.
    pub(crate) rules: Vec<MockRule>,
    /// Where the target is defined, as `file:line`, for error messages.
    pub(crate) defined_at: Option<String>,
    /// The recordings a `replay` target answers from.
    pub(crate) recordings: Option<RecordingsDir>,
    /// The `anthropic-version` header (Anthropic targets).
    pub(crate) api_version: Option<String>,
    /// Whether answers are streamed (server-sent events), which measures time to first token.
    pub(crate) stream: bool,
    /// The largest answer body (or whole stream) read from the target, in bytes.
    pub(crate) max_response_bytes: usize,
}

/// The directory of recordings a `replay` target reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordingsDir {
    /// The directory (absolute, under the project root unless configured elsewhere).
    pub(crate) path: PathBuf,
    /// The directory as written, for messages such as "re-record with `--record DIR`".
    pub(crate) shown: String,
}

impl RecordingsDir {
    /// Resolves `dir` as written against the project root.
    #[must_use]
    pub(crate) fn new(root: &Path, dir: &str) -> Self {
        Self {
            path: root.join(dir),
            shown: dir.to_owned(),
        }
    }
}

impl Target {
    /// Returns the base URL as reports and messages show it: credentials written into it
    /// (`https://user:key@host`, `?key=...`) are replaced by `***`, so a key kept in the URL
    /// does not end up in a CI log or an uploaded report.
    #[must_use]
    pub(crate) fn shown_base_url(&self) -> Option<String> {
        self.base_url.as_deref().map(crate::util::url::shown_url)
    }

    /// Returns the built-in offline mock target under `name`.
    #[must_use]
    pub(crate) fn builtin_mock(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            provider: ProviderKind::Mock,
            model: "mock".to_owned(),
            base_url: None,
            base_url_env: None,
            api_key_env: None,
            params: GenerationParams::default(),
            timeout: DEFAULT_TIMEOUT,
            concurrency: DEFAULT_TARGET_CONCURRENCY,
            retry: RetryConfig::default(),
            rate: RateConfig::default(),
            rules: Vec::new(),
            defined_at: None,
            recordings: None,
            api_version: None,
            stream: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_MB << 20,
        }
    }

    /// Returns the built-in `echo` target.
    #[must_use]
    pub(crate) fn builtin_echo() -> Self {
        Self {
            provider: ProviderKind::Echo,
            model: "echo".to_owned(),
            ..Self::builtin_mock(ECHO_TARGET)
        }
    }

    /// Returns the built-in `replay` target, reading `recordings/` under `root`.
    #[must_use]
    pub(crate) fn builtin_replay(root: &Path) -> Self {
        Self {
            provider: ProviderKind::Replay,
            model: "replay".to_owned(),
            recordings: Some(RecordingsDir::new(root, DEFAULT_RECORDINGS_DIR)),
            ..Self::builtin_mock(REPLAY_TARGET)
        }
    }
}

/// The Anthropic API's base URL unless a target says otherwise.
pub(crate) const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";

/// The `anthropic-version` header sent unless a target says otherwise.
pub(crate) const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The largest answer body read from a target unless it sets `max-response-mb`, in MiB.
pub(crate) const DEFAULT_MAX_RESPONSE_MB: usize = 16;

/// The most `max-response-mb` may be.
const MAX_RESPONSE_MB_LIMIT: f64 = 4096.0;

/// How long one request may take unless a target says otherwise.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_mins(1);

/// How many requests one target may have in flight unless it says otherwise.
pub(crate) const DEFAULT_TARGET_CONCURRENCY: usize = 16;

/// Retry settings of a target: `retries`, `retry-delay`, `retry-max-delay` and `deadline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryConfig {
    /// Retries after the first request (so at most `retries + 1` requests per case).
    pub(crate) retries: u32,
    /// The wait before the first retry; each later wait doubles, plus jitter.
    pub(crate) delay: Duration,
    /// The longest wait between two retries (a server's `Retry-After` may ask for more).
    pub(crate) max_delay: Duration,
    /// How long one case may take in total, retries and waits included.
    pub(crate) deadline: Duration,
}

impl Default for RetryConfig {
    /// Ten retries: the circuit breaker keeps dead endpoints from paying for them, so they
    /// only cost time on intermittent faults; a server failing 35% of its requests then loses
    /// a case of a 200-case suite in 0.2% of runs (200 × 0.35^11), where eight retries lost
    /// one in 1.6% of runs (seen in 1 of 3 measured runs) and four in 65%.
    fn default() -> Self {
        Self {
            retries: 10,
            delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            deadline: Duration::from_mins(3),
        }
    }
}

/// Rate limits of a target, on top of its concurrency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RateConfig {
    /// `requests-per-minute`.
    pub(crate) requests_per_minute: Option<std::num::NonZeroU32>,
    /// `tokens-per-minute` (prompt estimate plus `max-tokens`).
    pub(crate) tokens_per_minute: Option<std::num::NonZeroU32>,
}

/// The project configuration: its root and its targets.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// The project root: the directory of `promptci.yaml`, else the working directory.
    pub(crate) root: PathBuf,
    /// The configuration file, when there is one.
    pub(crate) path: Option<PathBuf>,
    /// Targets by name, including the built-in `default`, `mock` and `replay` unless
    /// configured.
    pub(crate) targets: BTreeMap<String, Target>,
    /// Budgets for every suite that does not set its own (`budget:` in `promptci.yaml`).
    pub(crate) budget: RawBudget,
    /// Prices per model name (`prices:` in `promptci.yaml`).
    pub(crate) prices: BTreeMap<String, Price>,
    /// The response cache directory from `cache-dir`, resolved against the root.
    pub(crate) cache_dir: Option<PathBuf>,
    /// The default grader target (`grader:`).
    pub(crate) grader: Option<String>,
    /// The default embedder target (`embedder:`).
    pub(crate) embedder: Option<String>,
    /// Bounds on judges and templates (`limits:`).
    pub(crate) limits: Limits,
}

/// Command-line overrides applied to the selected target.
#[derive(Debug, Clone, Default)]
pub(crate) struct TargetOverrides {
    /// `--target`: run every suite against these targets, over the suites' own.
    pub(crate) targets: Vec<String>,
    /// `--base-url`: send requests here (turns the mock into an OpenAI-compatible target).
    pub(crate) base_url: Option<String>,
    /// `--model`: use this model name.
    pub(crate) model: Option<String>,
}

impl TargetOverrides {
    /// Returns the names a suite that names `suite_targets` runs against, each with where the
    /// suite wrote it: `--target`'s names over the suite's, and the default target when
    /// neither names one.
    #[must_use]
    pub(crate) fn names_for<'a>(
        &'a self,
        suite_targets: &'a [(String, usize, usize)],
    ) -> Vec<(&'a str, Option<(usize, usize)>)> {
        if !self.targets.is_empty() {
            return self
                .targets
                .iter()
                .map(|name| (name.as_str(), None))
                .collect();
        }
        if suite_targets.is_empty() {
            return vec![(DEFAULT_TARGET, None)];
        }
        suite_targets
            .iter()
            .map(|(name, line, column)| (name.as_str(), Some((*line, *column))))
            .collect()
    }
}

impl Config {
    /// Finds and loads the configuration: `explicit` when given, else `promptci.yaml` in the
    /// working directory or the nearest parent.
    pub(crate) fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Self, Error> {
        let path = match explicit {
            Some(path) => {
                let path = cwd.join(path);
                if !path.is_file() {
                    return Err(Error::usage(format!(
                        "config file `{}` does not exist (hint: drop `--config` to use `{CONFIG_FILE_NAME}` from the working directory or a parent)",
                        path.display()
                    )));
                }
                Some(path)
            }
            None => cwd
                .ancestors()
                .map(|dir| dir.join(CONFIG_FILE_NAME))
                .find(|candidate| candidate.is_file()),
        };
        let Some(path) = path else {
            return Ok(Self::builtin(cwd.to_owned()));
        };
        let root = path.parent().map_or_else(|| cwd.to_owned(), Path::to_owned);
        let text =
            crate::util::file::read_text(&path).map_err(|source| Error::read(&path, source))?;
        let display = path
            .strip_prefix(cwd)
            .unwrap_or(&path)
            .display()
            .to_string();
        let source = SourceFile::new(display, text);
        Self::parse(&source, root, Some(path))
    }

    /// Returns the configuration used when there is no `promptci.yaml`.
    #[must_use]
    pub(crate) fn builtin(root: PathBuf) -> Self {
        let mut config = Self {
            root,
            path: None,
            targets: BTreeMap::new(),
            budget: RawBudget::default(),
            prices: BTreeMap::new(),
            cache_dir: None,
            grader: None,
            embedder: None,
            limits: Limits::default(),
        };
        config.add_builtin_targets();
        config
    }

    /// Parses the text of a configuration file.
    pub(crate) fn parse(
        source: &SourceFile,
        root: PathBuf,
        path: Option<PathBuf>,
    ) -> Result<Self, Error> {
        let raw: RawConfig = parse_yaml_checked(source).map_err(Error::Input)?;
        let mut problems = InvalidInput::default();
        let mut targets = BTreeMap::new();
        for (name, spanned) in raw.targets {
            let line = usize::try_from(spanned.referenced.line()).unwrap_or(0);
            let column = usize::try_from(spanned.referenced.column()).unwrap_or(0);
            match resolve_target(&name, spanned.value, source, (line, column), &root) {
                Ok(target) => {
                    targets.insert(name, target);
                }
                Err(problem) => problems.push(problem),
            }
        }
        let mut prices = BTreeMap::new();
        for (model, spanned) in raw.prices {
            let price = spanned.value;
            let valid = |value: f64| value.is_finite() && value >= 0.0;
            if valid(price.input) && valid(price.output) {
                prices.insert(model, price);
            } else {
                let (line, column) = crate::yaml::span_start(&spanned);
                problems.push(
                    Problem::at_line(
                        source,
                        line,
                        column,
                        format!("the price of model `{model}` is not a non-negative number"),
                    )
                    .with_help(
                        "write US dollars per million tokens, like `{ input: 0.15, output: 0.6 }`",
                    ),
                );
            }
        }
        let cache_dir = raw.cache_dir.map(|dir| root.join(dir));
        let limits = resolve_limits(&raw.limits, source).unwrap_or_else(|problem| {
            problems.push(problem);
            Limits::default()
        });
        let mut config = Self {
            root,
            path,
            targets,
            budget: raw.budget,
            prices,
            cache_dir,
            grader: None,
            embedder: None,
            limits,
        };
        config.add_builtin_targets();
        for (key, written) in [("grader", &raw.grader), ("embedder", &raw.embedder)] {
            let Some(written) = written else { continue };
            if let Err(message) = config.named_target(&written.value) {
                let (line, column) = crate::yaml::span_start(written);
                problems.push(Problem::at_line(
                    source,
                    line,
                    column,
                    format!("`{key}`: {message}"),
                ));
            }
        }
        config.grader = raw.grader.map(|grader| grader.value);
        config.embedder = raw.embedder.map(|embedder| embedder.value);
        problems.into_result(config)
    }

    fn add_builtin_targets(&mut self) {
        for name in [DEFAULT_TARGET, MOCK_TARGET] {
            self.targets
                .entry(name.to_owned())
                .or_insert_with(|| Target::builtin_mock(name));
        }
        self.targets
            .entry(ECHO_TARGET.to_owned())
            .or_insert_with(Target::builtin_echo);
        let root = self.root.clone();
        self.targets
            .entry(REPLAY_TARGET.to_owned())
            .or_insert_with(|| Target::builtin_replay(&root));
    }

    /// Returns the target called `name`, or says which names exist.
    fn lookup(&self, name: &str) -> Result<Target, String> {
        self.targets.get(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = self.targets.keys().map(String::as_str).collect();
            let hint = crate::error::did_you_mean(name, names.iter().copied())
                .map(|close| format!(" (did you mean `{close}`?)"))
                .unwrap_or_default();
            format!(
                "unknown target `{name}`{hint}; targets are {}",
                crate::util::format::BacktickList(&names)
            )
        })
    }

    /// Returns the target named `name` as configured (with `base-url-env` applied), without the
    /// command-line overrides of the target under test: graders and embedders keep their own
    /// endpoint and model when `--target` or `--model` change the target under test.
    pub(crate) fn named_target(&self, name: &str) -> Result<Target, String> {
        let mut target = self.lookup(name)?;
        apply_base_url_env(&mut target, |name| std::env::var(name).ok())?;
        Ok(target)
    }

    /// Returns the target called `name` (the default target when `None`) with the
    /// command-line `--base-url` and `--model` applied; which names a suite runs against is
    /// [`TargetOverrides::names_for`]'s choice.
    pub(crate) fn target_for(
        &self,
        name: Option<&str>,
        overrides: &TargetOverrides,
    ) -> Result<Target, String> {
        let name = name.unwrap_or(DEFAULT_TARGET);
        let mut target = self.lookup(name)?;
        if overrides.base_url.is_none() {
            apply_base_url_env(&mut target, |name| std::env::var(name).ok())?;
        }
        if let Some(base_url) = &overrides.base_url {
            if target.provider == ProviderKind::Mock {
                // A quick `--base-url` turns the offline default into a real endpoint; the key
                // is optional because local servers (llama.cpp, vLLM, Ollama) need none.
                target.provider = ProviderKind::Openai;
                if target.api_key_env.is_none() && std::env::var_os("OPENAI_API_KEY").is_some() {
                    target.api_key_env = Some("OPENAI_API_KEY".to_owned());
                }
            }
            let checked = crate::util::url::check_base_url(base_url).map_err(|why| {
                format!("`--base-url` {why} (hint: write it like `http://127.0.0.1:8080/v1`)")
            })?;
            target.base_url = Some(checked);
        }
        if let Some(model) = &overrides.model {
            target.model.clone_from(model);
        }
        Ok(target)
    }
}

/// Takes the base URL from the target's `base-url-env` variable when it is set; without it,
/// the `base-url` written in the file stands, and a target with neither cannot run.
/// `lookup` reads an environment variable (a parameter so tests need not mutate the process
/// environment).
fn apply_base_url_env(
    target: &mut Target,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let Some(variable) = &target.base_url_env else {
        return Ok(());
    };
    let value = lookup(variable).unwrap_or_default();
    let value = value.trim();
    if value.is_empty() {
        return match target.base_url {
            Some(_) => Ok(()),
            None => Err(format!(
                "target `{}` takes its base URL from `{variable}`, which is not set (hint: set it, pass `--base-url`, or add a fallback `base-url` to the target)",
                target.name
            )),
        };
    }
    let value = crate::util::url::check_base_url(value).map_err(|why| {
        format!(
            "`{variable}` (the base URL of target `{}`) {why} (hint: write it like `http://127.0.0.1:8080/v1`)",
            target.name
        )
    })?;
    target.base_url = Some(value);
    Ok(())
}

/// The `base-url` a target wrote, checked, or the provider's default.
fn resolve_base_url(
    name: &str,
    provider: ProviderKind,
    base_url: Option<Spanned<String>>,
    has_base_url_env: bool,
    source: &SourceFile,
    (line, column): (usize, usize),
) -> Result<Option<String>, Problem> {
    let base_url = match (provider, base_url) {
        (_, Some(url)) => {
            let checked = crate::util::url::check_base_url(&url.value).map_err(|why| {
                let url_line = usize::try_from(url.referenced.line()).unwrap_or(line);
                let url_column = usize::try_from(url.referenced.column()).unwrap_or(column);
                let problem = Problem::at_line(
                    source,
                    url_line,
                    url_column,
                    format!("`base-url` of target `{name}` {why}"),
                )
                .with_help(
                    "write it like `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`",
                );
                // The line itself holds the password: a CI log must not show it.
                if crate::util::url::has_credentials(&url.value) {
                    problem.without_snippet()
                } else {
                    problem
                }
            })?;
            Some(checked)
        }
        // A target that names a variable for its address has no sensible built-in default.
        (ProviderKind::Openai | ProviderKind::Anthropic, None) if has_base_url_env => None,
        (ProviderKind::Openai, None) => Some("https://api.openai.com/v1".to_owned()),
        (ProviderKind::Anthropic, None) => Some(ANTHROPIC_BASE_URL.to_owned()),
        (ProviderKind::Mock | ProviderKind::Echo | ProviderKind::Replay, None) => None,
    };
    Ok(base_url)
}

fn resolve_target(
    name: &str,
    raw: RawTarget,
    source: &SourceFile,
    (line, column): (usize, usize),
    root: &Path,
) -> Result<Target, Problem> {
    let problem = |message: String, help: &str| {
        Problem::at_line(source, line, column, message).with_help(help.to_owned())
    };
    let (timeout, retry, rate) = resolve_timing(name, &raw, source, &problem)?;
    let (recordings, api_version, stream) =
        provider_options(name, &raw, root).map_err(|(message, help)| problem(message, help))?;
    let model = match (raw.provider, raw.model) {
        (_, Some(model)) => model,
        (ProviderKind::Mock, None) => "mock".to_owned(),
        (ProviderKind::Echo, None) => "echo".to_owned(),
        (ProviderKind::Replay, None) => "replay".to_owned(),
        (ProviderKind::Openai, None) => {
            return Err(problem(
                format!("target `{name}` has no `model`"),
                "add `model: gpt-4o-mini` (or the model your server serves)",
            ));
        }
        (ProviderKind::Anthropic, None) => {
            return Err(problem(
                format!("target `{name}` has no `model`"),
                "add for example `model: claude-sonnet-4-5`",
            ));
        }
    };
    let base_url = resolve_base_url(
        name,
        raw.provider,
        raw.base_url,
        raw.base_url_env.is_some(),
        source,
        (line, column),
    )?;
    if raw.concurrency == Some(0) {
        return Err(problem(
            format!("`concurrency` of target `{name}` must be at least 1"),
            "remove it to use the default of 16",
        ));
    }
    let mut rules = Vec::with_capacity(raw.rules.len());
    for rule in raw.rules {
        let pattern = regex::Regex::new(&rule.value.pattern).map_err(|error| {
            let rule_line = usize::try_from(rule.referenced.line()).unwrap_or(line);
            let rule_column = usize::try_from(rule.referenced.column()).unwrap_or(column);
            Problem::at_line(
                source,
                rule_line,
                rule_column,
                format!("invalid regex in a rule of target `{name}`: {error}"),
            )
        })?;
        rules.push(MockRule {
            pattern,
            answer: rule.value.answer,
        });
    }
    Ok(Target {
        name: name.to_owned(),
        provider: raw.provider,
        model,
        base_url,
        base_url_env: raw.base_url_env,
        api_key_env: raw.api_key_env,
        params: GenerationParams {
            temperature: raw.temperature,
            max_tokens: raw.max_tokens,
            seed: raw.seed,
            extra: raw.params,
        },
        timeout,
        concurrency: raw.concurrency.unwrap_or(DEFAULT_TARGET_CONCURRENCY),
        retry,
        rate,
        rules,
        defined_at: Some(format!("{}:{line}", source.name)),
        recordings,
        api_version,
        stream,
        max_response_bytes: max_response_bytes(name, raw.max_response_mb)
            .map_err(|message| problem(message, "write for example `max-response-mb: 64`"))?,
    })
}

/// The answer-body limit a target sets in MiB (`max-response-mb`), in bytes.
fn max_response_bytes(name: &str, mb: Option<f64>) -> Result<usize, String> {
    match mb {
        None => Ok(DEFAULT_MAX_RESPONSE_MB << 20),
        Some(mb) if mb.is_finite() && mb > 0.0 && mb <= MAX_RESPONSE_MB_LIMIT => {
            // At most 4096 MiB, so the product fits a usize on 64-bit and 32-bit alike below 4 GiB.
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked to be positive and at most 4096 above"
            )]
            Ok((mb * 1_048_576.0) as usize)
        }
        Some(_) => Err(format!(
            "`max-response-mb` of target `{name}` must be a number of MiB above 0 and at most {MAX_RESPONSE_MB_LIMIT}"
        )),
    }
}

/// The most seconds a timeout, delay or deadline may be (about 31 years): larger numbers are
/// typing mistakes, and durations past it overflow.
const MAX_SECONDS: f64 = 1e9;

/// Resolves a target's request timeout, retry settings and rate limits.
fn resolve_timing(
    name: &str,
    raw: &RawTarget,
    source: &SourceFile,
    problem: &dyn Fn(String, &str) -> Problem,
) -> Result<(Duration, RetryConfig, RateConfig), Problem> {
    let seconds = |key: &str, value: Option<&Spanned<f64>>, default: Duration, example: &str| {
        let Some(written) = value else {
            return Ok(default);
        };
        let seconds = written.value;
        if seconds.is_finite() && seconds > 0.0 && seconds < MAX_SECONDS {
            return Ok(Duration::from_secs_f64(seconds));
        }
        let (line, column) = crate::yaml::span_start(written);
        Err(Problem::at_line(
            source,
            line,
            column,
            format!(
                "`{key}` of target `{name}` must be a positive number of seconds below {MAX_SECONDS:e}"
            ),
        )
        .with_help(format!("write for example `{key}: {example}`")))
    };
    let timeout = seconds("timeout", raw.timeout.as_ref(), DEFAULT_TIMEOUT, "30")?;
    let defaults = RetryConfig::default();
    let retry = RetryConfig {
        retries: raw.retries.unwrap_or(defaults.retries),
        delay: seconds(
            "retry-delay",
            raw.retry_delay.as_ref(),
            defaults.delay,
            "0.5",
        )?,
        max_delay: seconds(
            "retry-max-delay",
            raw.retry_max_delay.as_ref(),
            defaults.max_delay,
            "10",
        )?,
        deadline: seconds("deadline", raw.deadline.as_ref(), defaults.deadline, "180")?,
    };
    let per_minute = |key: &str, value: Option<u32>| match value {
        None => Ok(None),
        Some(count) => std::num::NonZeroU32::new(count).map(Some).ok_or_else(|| {
            problem(
                format!("`{key}` of target `{name}` must be at least 1"),
                "remove it to send without a rate limit",
            )
        }),
    };
    let rate = RateConfig {
        requests_per_minute: per_minute("requests-per-minute", raw.requests_per_minute)?,
        tokens_per_minute: per_minute("tokens-per-minute", raw.tokens_per_minute)?,
    };
    Ok((timeout, retry, rate))
}

/// `recordings`, `api-version` and `stream` of a target, once checked against its provider.
type ProviderOptions = (Option<RecordingsDir>, Option<String>, bool);

/// Resolves the options that belong to one kind of provider — `recordings` (replay),
/// `api-version` (anthropic), `stream` (openai) — refusing them on the others.
fn provider_options(
    name: &str,
    raw: &RawTarget,
    root: &Path,
) -> Result<ProviderOptions, (String, &'static str)> {
    let recordings = match (raw.provider, &raw.recordings) {
        (ProviderKind::Replay, dir) => Some(RecordingsDir::new(
            root,
            dir.as_deref().unwrap_or(DEFAULT_RECORDINGS_DIR),
        )),
        (_, None) => None,
        (_, Some(_)) => {
            return Err((
                format!("`recordings` of target `{name}` needs `provider: replay`"),
                "remove it, or set `provider: replay` to answer from recordings",
            ));
        }
    };
    let api_version = match (raw.provider, &raw.api_version) {
        (ProviderKind::Anthropic, version) => Some(
            version
                .clone()
                .unwrap_or_else(|| ANTHROPIC_VERSION.to_owned()),
        ),
        (_, None) => None,
        (_, Some(_)) => {
            return Err((
                format!("`api-version` of target `{name}` needs `provider: anthropic`"),
                "remove it: only the Anthropic API takes a version header",
            ));
        }
    };
    let stream = raw.stream.unwrap_or(false);
    if stream && raw.provider != ProviderKind::Openai {
        return Err((
            format!(
                "`stream: true` of target `{name}` is supported on `provider: openai` targets only"
            ),
            "remove it, or stream from an OpenAI-compatible endpoint",
        ));
    }
    if raw.provider == ProviderKind::Anthropic && raw.seed.is_some() {
        return Err((
            format!("target `{name}` sets `seed`, which the Anthropic API does not take"),
            "remove `seed` (Anthropic answers are reproducible only with `temperature: 0`)",
        ));
    }
    Ok((recordings, api_version, stream))
}

/// Token and cost budgets of a suite.
#[derive(Debug, Default, Clone, Copy, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawBudget {
    /// Maximum tokens of one rendered prompt, counted offline before any call.
    pub(crate) prompt_tokens: Option<u64>,
    /// Maximum completion tokens of one answer.
    pub(crate) completion_tokens: Option<u64>,
    /// Maximum tokens (prompt and completion) of the whole suite.
    pub(crate) total_tokens: Option<u64>,
    /// Maximum cost of the whole suite in US dollars.
    pub(crate) cost_usd: Option<f64>,
    /// Maximum tokens of the suite's grader and embedder calls.
    pub(crate) judge_tokens: Option<u64>,
    /// Maximum cost of the suite's grader and embedder calls in US dollars.
    pub(crate) judge_cost_usd: Option<f64>,
}

impl RawBudget {
    /// Returns this budget with every limit it leaves unset taken from `defaults`.
    #[must_use]
    pub(crate) fn or(self, defaults: Self) -> Self {
        Self {
            prompt_tokens: self.prompt_tokens.or(defaults.prompt_tokens),
            completion_tokens: self.completion_tokens.or(defaults.completion_tokens),
            total_tokens: self.total_tokens.or(defaults.total_tokens),
            cost_usd: self.cost_usd.or(defaults.cost_usd),
            judge_tokens: self.judge_tokens.or(defaults.judge_tokens),
            judge_cost_usd: self.judge_cost_usd.or(defaults.judge_cost_usd),
        }
    }

    /// Returns true when no limit is set.
    #[must_use]
    pub(crate) fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_base_url_hides_credentials() {
        let shown = |url: &str| {
            let mut target = Target::builtin_mock("t");
            target.base_url = Some(url.to_owned());
            target.shown_base_url().unwrap()
        };
        assert_eq!(
            shown("https://api.openai.com/v1"),
            "https://api.openai.com/v1"
        );
        assert_eq!(shown("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(
            shown("https://u:sk-secret@proxy.test/v1"),
            "https://***@proxy.test/v1"
        );
        assert_eq!(
            shown("https://sk-secret@proxy.test"),
            "https://***@proxy.test"
        );
        assert_eq!(
            shown("https://proxy.test/v1?key=sk-secret"),
            "https://proxy.test/v1?***"
        );
        assert_eq!(shown("not a url"), "not a url");
    }

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(
            &SourceFile::new("promptci.yaml", text),
            PathBuf::from("/p"),
            None,
        )
    }

    #[test]
    fn builtin_default_is_the_mock() {
        let config = Config::builtin(PathBuf::from("/p"));
        let target = config
            .target_for(None, &TargetOverrides::default())
            .unwrap();
        assert_eq!(target.provider, ProviderKind::Mock);
        assert_eq!(target.name, "default");
    }

    #[test]
    fn openai_target_resolves_with_defaults() {
        let config = parse(
            "targets:\n  default:\n    provider: openai\n    model: gpt-4o-mini\n    api-key-env: OPENAI_API_KEY\n    temperature: 0\n",
        )
        .unwrap();
        let target = &config.targets["default"];
        assert_eq!(
            target.base_url.as_deref(),
            Some("https://api.openai.com/v1")
        );
        assert_eq!(target.params.temperature, Some(0.0));
        assert_eq!(target.defined_at.as_deref(), Some("promptci.yaml:3"));
    }

    #[test]
    fn unknown_key_names_the_place_and_suggests() {
        let error =
            parse("targets:\n  default:\n    provider: openai\n    modle: x\n").unwrap_err();
        let rendered = error.render(false);
        assert!(rendered.contains("promptci.yaml:4:5"), "{rendered}");
        assert!(rendered.contains("did you mean `model`"), "{rendered}");
        assert_eq!(error.exit_code(), crate::error::exit_code::INVALID_INPUT);
    }

    #[test]
    fn retry_and_rate_settings_resolve_and_are_checked() {
        let config = parse(
            "targets:\n  t:\n    provider: mock\n    retries: 2\n    retry-delay: 0.01\n    deadline: 5\n    requests-per-minute: 60\n",
        )
        .unwrap();
        let target = &config.targets["t"];
        assert_eq!(target.retry.retries, 2);
        assert_eq!(target.retry.delay, Duration::from_millis(10));
        assert_eq!(target.retry.max_delay, RetryConfig::default().max_delay);
        assert_eq!(target.retry.deadline, Duration::from_secs(5));
        assert_eq!(target.rate.requests_per_minute.map(u32::from), Some(60));
        assert_eq!(target.rate.tokens_per_minute, None);
        let error = parse("targets:\n  t:\n    provider: mock\n    retry-delay: -1\n").unwrap_err();
        assert!(error.render(false).contains("`retry-delay` of target `t`"));
        let error =
            parse("targets:\n  t:\n    provider: mock\n    tokens-per-minute: 0\n").unwrap_err();
        assert!(error.render(false).contains("must be at least 1"));
    }

    #[test]
    fn base_url_override_turns_mock_into_openai() {
        let config = Config::builtin(PathBuf::from("/p"));
        let overrides = TargetOverrides {
            base_url: Some("http://127.0.0.1:9/v1/".to_owned()),
            model: Some("local".to_owned()),
            ..TargetOverrides::default()
        };
        let target = config.target_for(None, &overrides).unwrap();
        assert_eq!(target.provider, ProviderKind::Openai);
        assert_eq!(target.base_url.as_deref(), Some("http://127.0.0.1:9/v1"));
        assert_eq!(target.model, "local");
    }

    fn env_target(fallback: Option<&str>) -> Target {
        let fallback = fallback
            .map(|url| format!("    base-url: {url}\n"))
            .unwrap_or_default();
        let config = parse(&format!(
            "targets:\n  local:\n    provider: openai\n    model: m\n    base-url-env: LOCAL_URL\n{fallback}"
        ))
        .unwrap();
        config.targets["local"].clone()
    }

    #[test]
    fn base_url_env_wins_over_base_url_when_set() {
        let mut target = env_target(Some("http://127.0.0.1:8088/v1"));
        apply_base_url_env(&mut target, |name| {
            (name == "LOCAL_URL").then(|| "http://127.0.0.1:4242/v1/".to_owned())
        })
        .unwrap();
        assert_eq!(target.base_url.as_deref(), Some("http://127.0.0.1:4242/v1"));
    }

    #[test]
    fn unset_base_url_env_falls_back_to_base_url() {
        let mut target = env_target(Some("http://127.0.0.1:8088/v1"));
        apply_base_url_env(&mut target, |_| Some("  ".to_owned())).unwrap();
        assert_eq!(target.base_url.as_deref(), Some("http://127.0.0.1:8088/v1"));
    }

    #[test]
    fn unset_base_url_env_without_fallback_names_the_variable() {
        let mut target = env_target(None);
        let error = apply_base_url_env(&mut target, |_| None).unwrap_err();
        assert!(error.contains("`LOCAL_URL`, which is not set"), "{error}");
        assert!(error.contains("--base-url"), "{error}");
    }

    #[test]
    fn base_url_env_must_hold_an_http_url() {
        let mut target = env_target(None);
        let error =
            apply_base_url_env(&mut target, |_| Some("127.0.0.1:9".to_owned())).unwrap_err();
        assert!(error.contains("not an http(s) URL"), "{error}");
    }

    #[test]
    fn unknown_target_suggests_a_close_name() {
        let config = Config::builtin(PathBuf::from("/p"));
        let error = config
            .target_for(Some("defualt"), &TargetOverrides::default())
            .unwrap_err();
        assert!(error.contains("did you mean `default`"), "{error}");
    }
}
