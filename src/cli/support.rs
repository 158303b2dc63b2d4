//! Steps several commands share: building the plan for a selection, checking output paths
//! before a run, reading a JSON report back, building providers, the registry's governance
//! check and error mapping, and where the project sits in its repository. Commands call these, never each other.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::args::{CacheArgs, SelectArgs};
use crate::config::{Config, Target, TargetOverrides};
use crate::error::{Error, InvalidInput, Problem, SourceFile, exit_code};
use crate::plan::{PlanOptions, TestPlan};
use crate::provider::{CacheMode, DEFAULT_CACHE_DIR, Provider, ResponseCache, STATE_DIR};
use crate::registry::{
    Bump, CheckProblem, NewOutcome, NewVersion, Registry, RegistryError, RegistryErrorKind,
};
use crate::results::JsonReport;
use crate::suite::Suite;
use crate::util::format::plural;
use crate::util::git::git_stdout;
use crate::util::path::display_path;

/// Returns a locked stdout for command output; under GitHub Actions no line of it can be a
/// workflow command (see [`Console`]).
pub(crate) fn stdout() -> Console<std::io::StdoutLock<'static>> {
    static READ_BY_ACTIONS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let filter = *READ_BY_ACTIONS.get_or_init(|| read_by_actions(&std::io::stdout()));
    Console::new(std::io::stdout().lock(), filter)
}

/// Returns a locked stderr for messages; under GitHub Actions no line of it can be a workflow
/// command (see [`Console`]).
pub(crate) fn stderr() -> Console<std::io::StderrLock<'static>> {
    static READ_BY_ACTIONS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let filter = *READ_BY_ACTIONS.get_or_init(|| read_by_actions(&std::io::stderr()));
    Console::new(std::io::stderr().lock(), filter)
}

/// Returns whether the Actions runner reads `stream`: under `GITHUB_ACTIONS=true`, unless it
/// was redirected to a file (`promptci render --json > x.json` must get its bytes unchanged).
fn read_by_actions(stream: &impl StreamHandle) -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|value| value == "true")
        && !stream
            .file()
            .and_then(|file| file.metadata())
            .is_ok_and(|metadata| metadata.is_file())
}

/// A standard stream opened as a file, to ask what it is.
trait StreamHandle {
    fn file(&self) -> std::io::Result<std::fs::File>;
}

#[cfg(unix)]
impl<T: std::os::fd::AsFd> StreamHandle for T {
    fn file(&self) -> std::io::Result<std::fs::File> {
        self.as_fd().try_clone_to_owned().map(std::fs::File::from)
    }
}

#[cfg(windows)]
impl<T: std::os::windows::io::AsHandle> StreamHandle for T {
    fn file(&self) -> std::io::Result<std::fs::File> {
        self.as_handle()
            .try_clone_to_owned()
            .map(std::fs::File::from)
    }
}

/// Returns stdout for the workflow commands promptci builds itself (annotations), the one
/// output that is meant to be read as commands.
pub(crate) fn workflow_commands() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

/// Console output that, while GitHub Actions reads it (`GITHUB_ACTIONS=true`, not redirected to
/// a file), is passed line by
/// line through [`inert_line`](crate::report::github::inert_line): case ids, suite paths, error
/// bodies, judge output and diagnostics hold text from files and servers, and a line of it
/// such as `::stop-commands::x` would silence every later annotation. Filtering at the writer
/// covers every line, present and future, without a list of fields to keep escaped.
pub(crate) struct Console<W: std::io::Write> {
    out: W,
    /// Set under Actions; otherwise bytes pass straight through.
    filter: bool,
    /// The unfinished line, held until its end so a command split across writes is caught.
    pending: Vec<u8>,
}

impl<W: std::io::Write> Console<W> {
    fn new(out: W, filter: bool) -> Self {
        Self {
            out,
            filter,
            pending: Vec::new(),
        }
    }

    /// Writes every finished line of `pending`, or all of it at the end.
    fn drain(&mut self, all: bool) -> std::io::Result<()> {
        let end = if all {
            self.pending.len()
        } else {
            match self
                .pending
                .iter()
                .rposition(|b| matches!(b, b'\n' | b'\r'))
            {
                Some(last) => last + 1,
                None => return Ok(()),
            }
        };
        let text = String::from_utf8_lossy(&self.pending[..end]).into_owned();
        self.pending.drain(..end);
        for piece in text.split_inclusive(['\n', '\r']) {
            let line = piece.trim_end_matches(['\n', '\r']);
            self.out
                .write_all(crate::report::github::inert_line(line).as_bytes())?;
            self.out.write_all(&piece.as_bytes()[line.len()..])?;
        }
        Ok(())
    }
}

impl<W: std::io::Write> std::io::Write for Console<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.filter {
            return self.out.write(buf);
        }
        self.pending.extend_from_slice(buf);
        self.drain(false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl<W: std::io::Write> Drop for Console<W> {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let _ = self.drain(true);
            let _ = self.out.flush();
        }
    }
}

/// Loads suites and builds the plan for the selection (`--changed-since` picks suites before
/// rendering; `--shard` cuts the finished plan).
pub(crate) fn build_plan(
    select: &SelectArgs,
    config: &Config,
    cwd: &Path,
) -> Result<TestPlan, Error> {
    let mut cases = Vec::new();
    let planned = plan_selection(select, config, cwd, |batch| {
        cases.append(&mut batch.cases);
        Ok(())
    })?;
    let mut plan = planned.plan;
    plan.cases = cases;
    Ok(plan)
}

/// A run's plan, checked, without its cases, and how many cases it holds back.
pub(crate) struct RunPlan {
    /// The plan; its cases are planned again as the run sends them.
    pub(crate) plan: crate::plan::StreamedPlan,
    /// How many cases are held back because their prompts break a `prompt-tokens` budget.
    pub(crate) held_back: usize,
}

/// Plans a run without holding its cases. Every case is rendered and checked here, before any
/// request, then let go: models with a price for `cost-usd` budgets, and `prompt-tokens`
/// budgets on the rendered prompts (whose counts the plan keeps, and whose suites it holds
/// back when over). The run plans each suite file again when it reaches it, so its memory does
/// not grow with the number of cases.
pub(crate) fn plan_run(select: &SelectArgs, config: &Config, cwd: &Path) -> Result<RunPlan, Error> {
    let mut problems = InvalidInput::default();
    let mut counted: Vec<(usize, u64)> = Vec::new();
    let mut over: Vec<(usize, String)> = Vec::new();
    let mut held_back = 0;
    let mut position = 0;
    let planned = plan_selection(select, config, cwd, |batch| {
        price_problems(batch, config, &mut problems)?;
        let budgeted = batch
            .cases
            .iter()
            .any(|case| batch.suites[case.suite].budget.prompt_tokens.is_some());
        if budgeted {
            let tokens = crate::decide::count_prompts(batch);
            counted.extend((position..).zip(tokens.iter().copied()));
            let budgets = crate::decide::check_prompt_budgets(batch, &tokens);
            for (suite, reason) in crate::decide::over_budget(&budgets) {
                held_back += batch
                    .cases
                    .iter()
                    .filter(|case| case.suite == suite && case.skip.is_none())
                    .count();
                over.push((suite, reason));
            }
        }
        position += batch.cases.len();
        Ok(())
    })?;
    problems.into_result(())?;
    let mut plan =
        crate::plan::StreamedPlan::new(planned, &plan_options(select), config.root.clone());
    for (position, tokens) in counted {
        plan.set_prompt_tokens(position, tokens);
    }
    for (suite, reason) in over {
        plan.hold_back(suite, reason);
    }
    Ok(RunPlan { plan, held_back })
}

/// Adds the problems of `cost-usd` and `judge-cost-usd` budgets whose models have no price,
/// for the suites of `batch` (one file's cases, see [`plan_selection`]).
pub(crate) fn price_problems(
    batch: &TestPlan,
    config: &Config,
    problems: &mut InvalidInput,
) -> Result<(), Error> {
    match crate::decide::validate_prices(batch, config) {
        Err(Error::Input(input)) => problems.extend(input),
        other => other?,
    }
    Ok(())
}

/// Returns the plan options the selection flags ask for.
pub(crate) fn plan_options(select: &SelectArgs) -> PlanOptions {
    PlanOptions {
        filters: select.filter.clone(),
        tags: select.tag.clone(),
        overrides: overrides(select),
        probe_seed: select.seed,
        grader: select.grader.clone(),
    }
}

/// Plans the selected suites one file at a time, handing each file's selected cases to `each`
/// (see [`crate::plan::plan_each`]): only one suite's text and parsed cases are in memory at
/// once, and the cases are kept only if `each` keeps them.
pub(crate) fn plan_selection(
    select: &SelectArgs,
    config: &Config,
    cwd: &Path,
    each: impl FnMut(&mut TestPlan) -> Result<(), Error>,
) -> Result<crate::plan::PlannedSuites, Error> {
    let changed = select
        .changed_since
        .as_deref()
        .map(|reference| crate::changed::ChangedFiles::since(reference, cwd))
        .transpose()?;
    // A changed `promptci.yaml` can change any suite's target, so every suite stays.
    let changed = changed.filter(|changed| {
        !config
            .path
            .as_deref()
            .is_some_and(|path| changed.contains(path))
    });
    let options = plan_options(select);
    let load = |add: &mut dyn FnMut(crate::suite::Suite)| {
        crate::suite::for_each_suite(&select.paths, cwd, &config.root, |suite| {
            if changed
                .as_ref()
                .is_none_or(|changed| changed.touches(&suite))
            {
                add(suite);
            }
        })
    };
    crate::plan::plan_each(load, config, &options, select.shard, each)
}

/// Prints the plan's warnings on stderr, or with `deny` (`--deny-warnings`) returns them as
/// invalid input, before anything is sent.
pub(crate) fn report_warnings(plan: &TestPlan, deny: bool) -> Result<(), Error> {
    if deny && !plan.warnings.is_empty() {
        return Err(Error::Input(InvalidInput {
            problems: plan.warnings.clone(),
        }));
    }
    let mut err = stderr();
    for warning in &plan.warnings {
        let _ = err.write_all(warning.render("warning", false).as_bytes());
    }
    Ok(())
}

/// Returns the target overrides of the command line.
pub(crate) fn overrides(select: &SelectArgs) -> TargetOverrides {
    TargetOverrides {
        targets: select.target.clone(),
        base_url: select.base_url.clone(),
        model: select.model.clone(),
    }
}

/// Checks that a report can be written to `path`, creating its directory, so a typo in
/// `--junit` fails before any request is sent rather than after the whole run.
///
/// A report replaces its file by renaming a new one over it, so a path that is not a regular
/// file — a symbolic link, a FIFO, a device — is refused rather than silently replaced: the
/// link would be gone and its target untouched, a device node swapped for a file.
pub(crate) fn prepare_output(path: &Path) -> Result<PathBuf, Error> {
    if path.is_dir() {
        return Err(Error::usage(format!(
            "report path `{}` is a directory (hint: name a file, like `{}/report.xml`)",
            path.display(),
            path.display()
        )));
    }
    if let Ok(metadata) = std::fs::symlink_metadata(path) {
        let kind = metadata.file_type();
        if !kind.is_file() {
            let what = if kind.is_symlink() {
                "a symbolic link"
            } else {
                "not a regular file"
            };
            return Err(Error::usage(format!(
                "report path `{}` is {what}, which a report would replace (hint: name a regular file, or remove it first)",
                path.display()
            )));
        }
    }
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(path.to_owned())
}

/// Reads a JSON report written by `promptci run --json` (for `--baseline` and `diff`).
pub(crate) fn load_report(path: &Path, cwd: &Path) -> Result<JsonReport, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::read(path, source))?;
    Ok(JsonReport::parse(&display_path(path, cwd), &text)?)
}
/// Reads several JSON reports, collecting every unreadable or invalid one into one error.
/// Returns each report with its path as given.
pub(crate) fn load_reports(
    paths: &[PathBuf],
    cwd: &Path,
) -> Result<Vec<(String, JsonReport)>, Error> {
    let mut problems = InvalidInput::default();
    let mut reports = Vec::with_capacity(paths.len());
    for path in paths {
        let full = cwd.join(path);
        let text = std::fs::read_to_string(&full).map_err(|source| Error::read(path, source))?;
        let name = path.display().to_string();
        match JsonReport::parse(&name, &text) {
            Ok(report) => reports.push((name, report)),
            Err(problem) => problems.push(problem),
        }
    }
    problems.into_result(reports)
}

/// Builds one provider per target of the plan, checking API keys before any request.
pub(crate) fn providers_for(plan: &TestPlan) -> Result<Vec<Provider>, Error> {
    providers_for_targets(&plan.targets)
}

/// Builds one provider per target, checking API keys before any request.
pub(crate) fn providers_for_targets(targets: &[Target]) -> Result<Vec<Provider>, Error> {
    Provider::for_targets(targets)
}
/// Runs the registry's governance check and reports its problems on stderr.
///
/// Returns 0 when it passes, 1 when a template was edited without a version or a production
/// version lacks passing evidence; a corrupt registry file, stored content that does not match
/// its hash, or a missing template is invalid input (`Err`, exit 2).
pub(crate) fn governance(registry: &Registry) -> Result<i32, Error> {
    let report = registry
        .check()
        .map_err(|error| into_error(&error, registry))?;
    if report.passed() {
        return Ok(exit_code::SUCCESS);
    }
    let is_input = |problem: &CheckProblem| {
        matches!(
            problem,
            CheckProblem::Unreadable(_)
                | CheckProblem::HashMismatch { .. }
                | CheckProblem::TemplateUnreadable { .. }
        )
    };
    if report.problems.iter().any(is_input) {
        let mut input = InvalidInput::default();
        for problem in report.problems {
            match problem {
                CheckProblem::Unreadable(unreadable) => {
                    input.push(problem_of(&unreadable.error, registry));
                }
                other => input.push(Problem::new(other.to_string())),
            }
        }
        return Err(Error::Input(input));
    }
    let mut err = stderr();
    for problem in &report.problems {
        let _ = writeln!(err, "error: {problem}");
    }
    let _ = writeln!(
        err,
        "error: registry check failed: {}",
        plural(report.problems.len(), "problem", "problems")
    );
    Ok(exit_code::GATE_FAILED)
}

/// Fills each suite's `registry_version` with the registered version of its prompt whose content
/// hash matches, when the project has a registry. A registry that cannot be read leaves them
/// empty: `promptci check` is where its problems are reported.
pub(crate) fn fill_registry_versions(plan: &mut TestPlan, root: &Path) {
    let registry = Registry::open(root);
    if !registry.dir().is_dir() {
        return;
    }
    for suite in &mut plan.suites {
        let (Some(id), Some(hash)) = (&suite.prompt_id, &suite.content_hash) else {
            continue;
        };
        suite.registry_version = registry
            .load_optional(id)
            .ok()
            .flatten()
            .and_then(|record| record.by_hash(hash).map(|v| v.version.to_string()));
    }
}

/// Turns a registry error into the command line's error: a located problem for a corrupt file,
/// an infrastructure error when the registry could not be locked or written (exit 3), and
/// invalid input for everything else (exit 2).
pub(crate) fn into_error(error: &RegistryError, registry: &Registry) -> Error {
    match error.kind() {
        RegistryErrorKind::Locked { .. } => Error::Infrastructure {
            message: error.chain(),
        },
        RegistryErrorKind::Io { source, .. } if source.kind() != std::io::ErrorKind::NotFound => {
            Error::Infrastructure {
                message: error.chain(),
            }
        }
        _ => Error::from(problem_of(error, registry)),
    }
}

/// Returns a registry error as a problem, located at `file:line:col` with a snippet when a
/// registry file does not parse.
pub(crate) fn problem_of(error: &RegistryError, registry: &Registry) -> Problem {
    if let RegistryErrorKind::Corrupt { location, message } = error.kind()
        && let Ok(text) = std::fs::read_to_string(registry.project_root().join(&location.path))
    {
        let shown = location.path.display().to_string();
        let source = SourceFile::new(shown.clone(), text);
        return Problem::at_line(
            &source,
            location.line,
            location.column,
            format!("not a valid registry file: {message}; it was not rewritten"),
        )
        .with_help(format!(
            "fix it by hand or restore it with `git checkout -- {shown}`, then run `promptci registry check`"
        ));
    }
    Problem::new(error.chain())
}

/// Opens the response cache when the mode uses it and some target is live: offline targets
/// answer for free, so caching them would only fill the disk.
pub(crate) fn response_cache(
    cache: &CacheArgs,
    config: &Config,
    cwd: &Path,
    providers: &[Provider],
) -> Option<std::sync::Arc<ResponseCache>> {
    let mode = cache
        .mode
        .map_or_else(CacheMode::default_for_environment, CacheMode::from);
    if mode == CacheMode::Off || !providers.iter().any(Provider::is_live) {
        return None;
    }
    let dir = cache.cache_dir.as_deref().map_or_else(
        || {
            config
                .cache_dir
                .clone()
                .unwrap_or_else(|| config.root.join(DEFAULT_CACHE_DIR))
        },
        |dir| cwd.join(dir),
    );
    let mut cache = ResponseCache::new(dir.clone(), mode);
    if dir == config.root.join(DEFAULT_CACHE_DIR) {
        cache = cache.in_state_dir(config.root.join(STATE_DIR));
    }
    Some(std::sync::Arc::new(cache))
}

/// Snapshots the live template files of `suite`'s prompt as a new draft version, with the
/// suite's target (unless one is given) and the rendered prompt's token count. Returns the
/// request made, what was created, and notes to show (why there is no token count).
pub(crate) fn new_draft(
    registry: &Registry,
    suite: &Suite,
    config: &Config,
    (bump, changelog): (Bump, &str),
    (model_target, tags): (Option<String>, Vec<String>),
) -> Result<(NewVersion, NewOutcome, Vec<String>), Error> {
    let prompt = suite
        .prompt
        .as_ref()
        .expect("callers pass a suite that tests a prompt");
    let template = display_path(&suite.dir.join(&prompt.template), &config.root);
    let template_dir = display_path(&suite.dir, &config.root);
    // Names are relative to the suite's directory, as `promptci run` hashes them; only a
    // template below a subdirectory needs the root spelled out.
    let template_root = (template.rsplit_once('/').map_or("", |(dir, _)| dir) != template_dir)
        .then_some(template_dir);
    let model_target = model_target.unwrap_or_else(|| {
        // A version is meant for one target: the first a suite lists.
        let suite_target = suite.targets.first().map(|(name, _, _)| name.as_str());
        config
            .target_for(suite_target, &TargetOverrides::default())
            .map_or_else(
                |_| {
                    suite_target
                        .unwrap_or(crate::config::DEFAULT_TARGET)
                        .to_owned()
                },
                |target| target.name,
            )
    });
    let mut notes = Vec::new();
    let token_count = match crate::plan::render_prompt(
        &mut crate::template::Renderer::new(),
        suite,
        prompt,
        &suite.vars,
        &config.root,
    ) {
        Ok(messages) => {
            let model = config
                .targets
                .get(&model_target)
                .map_or("", |target| target.model.as_str());
            let tokenizer = crate::tokens::Tokenizer::for_model(model);
            // A text template is counted as its text, as before chat templates existed.
            Some(match messages.as_slice() {
                [one] if !matches!(prompt.shape, crate::suite::PromptShape::Chat(_)) => {
                    tokenizer.count(&one.content)
                }
                all => tokenizer.count_messages(all),
            })
        }
        Err(problem) => {
            notes.push(format!(
                "note: no token count: the prompt does not render with the suite's default `vars` ({})",
                problem.message()
            ));
            None
        }
    };
    let request = NewVersion {
        id: prompt.id.clone(),
        bump,
        changelog: changelog.to_owned(),
        template: Some(template),
        template_root,
        model_target: Some(model_target),
        tags,
        token_count,
    };
    let outcome = registry
        .new_version(&request)
        .map_err(|error| into_error(&error, registry))?;
    Ok((request, outcome, notes))
}

/// Prints on stderr the warnings `registry new` gave a draft and the notes about it.
pub(crate) fn show_draft_notes(outcome: &NewOutcome, notes: Vec<String>) {
    let mut err = stderr();
    for warning in &outcome.warnings {
        let _ = writeln!(err, "warning: {warning}");
    }
    for note in notes {
        let _ = writeln!(err, "{note}");
    }
}

/// Refuses `--concurrency 0` and a `--confidence` outside (0, 1).
pub(crate) fn check_run_numbers(concurrency: usize, confidence: f64) -> Result<(), Error> {
    if concurrency == 0 {
        return Err(Error::usage("`--concurrency` must be at least 1"));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::usage(format!(
            "`--confidence` is {confidence}, outside (0, 1) (hint: use a probability like 0.95)"
        )));
    }
    Ok(())
}

/// Returns where the project root is inside the repository (`app/` or empty): reports keep
/// paths from the project root, while GitHub annotations and JUnit readers resolve `file`
/// paths from the repository root, so both are written with this prefix.
pub(crate) fn path_prefix(project_root: &Path) -> String {
    let repository = std::env::var_os("GITHUB_WORKSPACE")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| git_stdout(project_root, &["rev-parse", "--show-toplevel"]).map(PathBuf::from));
    let Some(repository) = repository else {
        return String::new();
    };
    let canonical = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let root = canonical(project_root);
    match root.strip_prefix(canonical(&repository)) {
        Ok(relative) if !relative.as_os_str().is_empty() => {
            format!("{}/", relative.to_string_lossy().replace('\\', "/"))
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_not_a_report_path() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(prepare_output(dir.path()).unwrap_err().exit_code(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_not_a_report_path() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.json");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(prepare_output(&link).unwrap_err().exit_code(), 2);
        assert!(prepare_output(&target).is_ok());
    }
}
