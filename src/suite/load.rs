//! Reads a suite file and validates it into a [`Suite`], collecting every problem in the file.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::data_source::DataSource;
use super::model::{PromptRole, RawCase, RawMessage, RawPrompt, RawSuite, Skip, TargetNames, Vars};
use super::warnings::SuiteWarnings;
use crate::assert::{AssertionTemplate, CompileContext, Compiled};
use crate::chat::Message;
use crate::chat::Role;
use crate::config::RawBudget;
use crate::error::{Error, InvalidInput, Problem, SourceFile};
use crate::template::{ChatTemplate, is_chat_file};
use crate::yaml::{parse_yaml_checked, span_start};

/// A validated suite file.
#[derive(Debug)]
pub(crate) struct Suite {
    /// The absolute path of the file.
    pub(crate) path: PathBuf,
    /// The path shown to users and used in case ids: relative to the project root, with `/`.
    pub(crate) name: String,
    /// The directory of the file: templates and schema files are relative to it.
    pub(crate) dir: PathBuf,
    /// The file's text, kept for diagnostics.
    pub(crate) source: SourceFile,
    /// The prompt under test, when the suite has one.
    pub(crate) prompt: Option<SuitePrompt>,
    /// Variables shared by every case.
    pub(crate) vars: Vars,
    /// The targets the suite names, each with its line and column (empty: the default
    /// target).
    pub(crate) targets: Vec<(String, usize, usize)>,
    /// Tags every case carries.
    pub(crate) tags: Vec<String>,
    /// Token and cost budgets.
    pub(crate) budget: RawBudget,
    /// The line of the `budget` key, when there is one.
    pub(crate) budget_line: Option<usize>,
    /// The inline cases, in file order.
    pub(crate) cases: Vec<Case>,
    /// The data files of further cases (`cases-from`), read row by row when planned.
    pub(crate) data: Vec<DataSource>,
    /// The suite's own assertions, which every case (inline or a row) starts with.
    pub(crate) assertions: Vec<AssertionTemplate>,
    /// The suite's repeat settings, under every case's own.
    pub(crate) repeat: RepeatSettings,
    /// The grader the suite names, with its line and column.
    pub(crate) grader: Option<(String, usize, usize)>,
    /// The embedder the suite names, with its line and column.
    pub(crate) embedder: Option<(String, usize, usize)>,
    /// The judge prompts the suite overrides.
    pub(crate) judge_templates: JudgeTemplates,
    /// The agreement with people the suite's judges must have shown.
    pub(crate) min_judge_agreement: Option<MinJudgeAgreement>,
    /// The generated probes the suite opts into.
    pub(crate) probes: Option<crate::probe::ProbeConfig>,
    /// Mistakes that do not stop the suite from running (see [`SuiteWarnings`]).
    pub(crate) warnings: Vec<Problem>,
}

/// Judge prompt files a suite names over the built-in ones: each the file (relative to the
/// suite) with its line and column.
#[derive(Debug, Clone, Default)]
pub(crate) struct JudgeTemplates {
    /// `rubric-template`.
    pub(crate) rubric: Option<(String, usize, usize)>,
    /// `factuality-template`.
    pub(crate) factuality: Option<(String, usize, usize)>,
    /// `pairwise-template` (`ab --judge`).
    pub(crate) pairwise: Option<(String, usize, usize)>,
}

/// `min-judge-agreement`: calibration files and the least agreement with people their judges
/// must have shown.
#[derive(Debug, Clone, Default)]
pub(crate) struct MinJudgeAgreement {
    /// Calibration files, relative to the suite.
    pub(crate) calibrations: Vec<String>,
    /// The least Cohen's κ, with where it is written (line, column).
    pub(crate) kappa: Option<(f64, (usize, usize))>,
    /// The least accuracy, with where it is written.
    pub(crate) accuracy: Option<(f64, (usize, usize))>,
    /// Where the calibration files are named.
    pub(crate) at: (usize, usize),
}

/// Checks `min-judge-agreement`'s numbers.
fn min_judge_agreement(
    raw: Spanned<super::model::RawJudgeAgreement>,
    source: &SourceFile,
    problems: &mut InvalidInput,
) -> Option<MinJudgeAgreement> {
    let at = span_start(&raw);
    let raw = raw.value;
    let problem = |message: &str| Problem::at_line(source, at.0, at.1, message.to_owned());
    let kappa = raw.kappa.map(|kappa| (kappa.value, span_start(&kappa)));
    let accuracy = raw
        .accuracy
        .map(|accuracy| (accuracy.value, span_start(&accuracy)));
    if kappa.is_none() && accuracy.is_none() {
        problems.push(
            problem("`min-judge-agreement` sets no minimum")
                .with_help("add `kappa: 0.6` and/or `accuracy: 0.9`"),
        );
        return None;
    }
    if kappa.is_some_and(|(kappa, _)| !(-1.0..=1.0).contains(&kappa)) {
        problems.push(problem("`kappa` must be between -1 and 1"));
        return None;
    }
    if accuracy.is_some_and(|(accuracy, _)| !(0.0..=1.0).contains(&accuracy)) {
        problems.push(problem("`accuracy` must be between 0 and 1"));
        return None;
    }
    if raw.calibration.0.is_empty() {
        problems.push(problem("`calibration` names no file"));
        return None;
    }
    Some(MinJudgeAgreement {
        calibrations: raw.calibration.0,
        kappa,
        accuracy,
        at,
    })
}

/// The prompt a suite tests.
#[derive(Debug, Clone)]
pub(crate) struct SuitePrompt {
    /// The registry id.
    pub(crate) id: String,
    /// The template's name, relative to the suite's directory.
    pub(crate) template: String,
    /// Where `template:` is written, for errors.
    pub(crate) line: usize,
    /// Where `template:` is written, for errors.
    pub(crate) column: usize,
    /// What the template renders.
    pub(crate) shape: PromptShape,
}

/// What a suite's template renders, before the case's own conversation.
#[derive(Debug, Clone)]
pub(crate) enum PromptShape {
    /// A text template rendered as one message with this role.
    Text(PromptRole),
    /// A chat template: a list of messages whose contents are templates.
    Chat(Arc<ChatTemplate>),
}

impl Suite {
    /// Returns the files this suite reads besides itself that may sit among suites: its chat
    /// template and its data files.
    pub(crate) fn named_files(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.prompt
            .iter()
            .filter(|prompt| matches!(prompt.shape, PromptShape::Chat(_)))
            .map(|prompt| self.dir.join(&prompt.template))
            .chain(self.data.iter().map(|data| data.path.clone()))
    }

    /// Returns a problem about `case`, at its line in the suite or at its row in its data file.
    pub(crate) fn case_problem(&self, case: &Case, message: impl Into<String>) -> Problem {
        match &case.file {
            None => Problem::at_line(&self.source, case.line, 1, message),
            Some(file) => Problem::located(format!("{file}:{}:1", case.line), message),
        }
    }

    /// Returns `file:line` of a case: its suite's, or its data file's.
    #[must_use]
    pub(crate) fn case_place(&self, case: &Case) -> String {
        format!(
            "{}:{}",
            case.file.as_deref().unwrap_or(&self.name),
            case.line
        )
    }
}

impl SuitePrompt {
    /// Points the prompt at another template, `template` in `dir` (an A/B variant): a chat
    /// template is loaded and checked; a text template keeps the role the suite gave its own.
    pub(crate) fn replace_template(
        &mut self,
        dir: &Path,
        template: &str,
        root: &Path,
    ) -> Result<(), InvalidInput> {
        let role = match &self.shape {
            PromptShape::Text(role) => *role,
            PromptShape::Chat(_) => PromptRole::System,
        };
        self.shape = if is_chat_file(template) {
            PromptShape::Chat(Arc::new(ChatTemplate::load(dir, template, root)?))
        } else {
            PromptShape::Text(role)
        };
        template.clone_into(&mut self.template);
        Ok(())
    }

    /// Returns whether the prompt's messages end with a user message, so a case needs no
    /// `user:` of its own.
    #[must_use]
    pub(crate) fn ends_with_user(&self) -> bool {
        match &self.shape {
            PromptShape::Text(role) => *role == PromptRole::User,
            PromptShape::Chat(chat) => chat.ends_with_user(),
        }
    }

    /// Returns whether the prompt renders a system message.
    #[must_use]
    pub(crate) fn has_system(&self) -> bool {
        match &self.shape {
            PromptShape::Text(role) => *role == PromptRole::System,
            PromptShape::Chat(chat) => chat.has_system(),
        }
    }
}

/// What a case says to the model after the prompt's messages.
#[derive(Debug, Clone)]
pub(crate) enum Conversation {
    /// Nothing: the prompt's own messages end with the user's turn.
    Empty,
    /// A single user message.
    User(String),
    /// A multi-turn conversation.
    Messages(Vec<Message>),
}

impl Conversation {
    /// Returns the messages sent after the prompt's.
    #[must_use]
    pub(crate) fn messages(&self) -> Vec<Message> {
        match self {
            Self::Empty => Vec::new(),
            Self::User(user) => vec![Message::new(Role::User, user.clone())],
            Self::Messages(conversation) => conversation.clone(),
        }
    }
}

/// A validated case.
#[derive(Debug)]
pub(crate) struct Case {
    /// The name, unique within the suite.
    pub(crate) name: String,
    /// The 1-based line where the case starts (in its data file when it is a row of one).
    pub(crate) line: usize,
    /// The data file the case is a row of (as shown); `None` for a case written in the suite.
    pub(crate) file: Option<Arc<str>>,
    /// Variables for this case, over the suite's.
    pub(crate) vars: Vars,
    /// What is said to the model.
    pub(crate) conversation: Conversation,
    /// The suite's assertions followed by the case's own.
    pub(crate) assertions: Vec<AssertionTemplate>,
    /// Why the case is skipped, when it is.
    pub(crate) skip: Option<String>,
    /// The suite's tags and the case's own.
    pub(crate) tags: Vec<String>,
    /// The mock target's scripted answer.
    pub(crate) mock_answer: Option<String>,
    /// Repeat settings: the case's own over the suite's.
    pub(crate) repeat: RepeatSettings,
}

/// How often a case is sent and what share of attempts must pass, as the suite (and the case
/// over it) wrote it; unset values take their defaults in the plan.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RepeatSettings {
    /// `repeat`: how many attempts.
    pub(crate) repeat: Option<u32>,
    /// `pass-rate`: the share of attempts that must pass.
    pub(crate) pass_rate: Option<f64>,
    /// `confidence`: of intervals and regression tests.
    pub(crate) confidence: Option<f64>,
    /// `early-stop`: stop once the verdict can no longer change.
    pub(crate) early_stop: Option<bool>,
}

impl RepeatSettings {
    /// Returns these settings with unset values taken from `fallback`.
    #[must_use]
    pub(crate) fn or(self, fallback: Self) -> Self {
        Self {
            repeat: self.repeat.or(fallback.repeat),
            pass_rate: self.pass_rate.or(fallback.pass_rate),
            confidence: self.confidence.or(fallback.confidence),
            early_stop: self.early_stop.or(fallback.early_stop),
        }
    }
}

/// The most attempts of one case: beyond this the interval barely narrows and the bill grows.
pub(crate) const MAX_REPEAT: u32 = 10_000;

fn suite_repeat(
    raw: &RawSuite,
    source: &SourceFile,
    problems: &mut InvalidInput,
) -> RepeatSettings {
    repeat_settings(
        (raw.repeat.as_ref(), raw.pass_rate.as_ref()),
        (raw.confidence.as_ref(), raw.early_stop),
        source,
        problems,
    )
}

fn case_repeat(case: &RawCase, source: &SourceFile, problems: &mut InvalidInput) -> RepeatSettings {
    repeat_settings(
        (case.repeat.as_ref(), case.pass_rate.as_ref()),
        (case.confidence.as_ref(), case.early_stop),
        source,
        problems,
    )
}

/// Validates `repeat`, `pass-rate` and `confidence` where they are written.
fn repeat_settings(
    (repeat, pass_rate): (Option<&Spanned<u32>>, Option<&Spanned<f64>>),
    (confidence, early_stop): (Option<&Spanned<f64>>, Option<bool>),
    source: &SourceFile,
    problems: &mut InvalidInput,
) -> RepeatSettings {
    let mut located = |spanned_at: (usize, usize), message: String, help: &str| {
        problems
            .push(Problem::at_line(source, spanned_at.0, spanned_at.1, message).with_help(help));
    };
    if let Some(value) = repeat
        && !(1..=MAX_REPEAT).contains(&value.value)
    {
        located(
            span_start(value),
            format!("`repeat` is {}, outside 1..={MAX_REPEAT}", value.value),
            "`repeat: N` sends the case N times; use 1 for a single attempt",
        );
    }
    if let Some(value) = pass_rate
        && !(value.value > 0.0 && value.value <= 1.0)
    {
        located(
            span_start(value),
            format!("`pass-rate` is {}, outside (0, 1]", value.value),
            "`pass-rate` is the share of attempts that must pass, like 0.8",
        );
    }
    if let Some(value) = confidence
        && !(value.value > 0.0 && value.value < 1.0)
    {
        located(
            span_start(value),
            format!("`confidence` is {}, outside (0, 1)", value.value),
            "`confidence` is a probability like 0.95",
        );
    }
    RepeatSettings {
        repeat: repeat.map(|value| value.value),
        pass_rate: pass_rate.map(|value| value.value),
        confidence: confidence.map(|value| value.value),
        early_stop,
    }
}

/// Reads and validates the suite at `path`; `root` is the project root used for its name.
pub(crate) fn load_suite(path: &Path, root: &Path) -> Result<Suite, Error> {
    read_suite(path, root, Checks::All)
}

/// Reads the suite at `path` again to plan it, after [`load_suite`] checked it earlier in the
/// same run: what only finds warnings or checks its data files' rows is skipped (a streamed run
/// plans every file twice, and those checks cost as much as the parse).
pub(crate) fn reload_suite(path: &Path, root: &Path) -> Result<Suite, Error> {
    read_suite(path, root, Checks::Planning)
}

/// How much of a suite [`validate`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checks {
    /// Everything, with warnings.
    All,
    /// What planning needs; the data files' rows and the warnings were checked before.
    Planning,
}

fn read_suite(path: &Path, root: &Path, checks: Checks) -> Result<Suite, Error> {
    let text = crate::util::file::read_text(path).map_err(|source| Error::read(path, source))?;
    let name = crate::util::path::display_path(path, root);
    let source = SourceFile::new(name.clone(), text);
    let raw: RawSuite = parse_yaml_checked(&source).map_err(Error::Input)?;
    let dir = path
        .parent()
        .map_or_else(|| root.to_owned(), Path::to_owned);
    validate(raw, source, path.to_owned(), name, (dir, root), checks).map_err(Error::Input)
}

/// Loads every suite under `paths`, collecting the problems of all files.
pub(crate) fn load_suites(
    paths: &[std::path::PathBuf],
    cwd: &Path,
    root: &Path,
) -> Result<Vec<Suite>, Error> {
    let mut suites = Vec::new();
    for_each_suite(paths, cwd, root, |suite| suites.push(suite))?;
    Ok(suites)
}

/// Loads the suites under `paths` one at a time, handing each to `each` and dropping it after,
/// so only one suite's text and parsed cases are in memory at once. Every file is read; once
/// one has a problem, later suites are only checked (not handed on), and the problems of all
/// files are returned together.
pub(crate) fn for_each_suite(
    paths: &[std::path::PathBuf],
    cwd: &Path,
    root: &Path,
    mut each: impl FnMut(Suite),
) -> Result<(), Error> {
    let files = super::discover(paths, cwd)?;
    if files.is_empty() {
        let shown: Vec<String> = paths
            .iter()
            .map(|path| format!("`{}`", path.display()))
            .collect();
        return Err(Error::usage(format!(
            "no suite files (*.yaml, *.yml) found under {}",
            shown.join(", ")
        )));
    }
    let mut problems = InvalidInput::default();
    // A YAML list is a chat template or a case data file, not a suite: it is left out when a
    // suite names it, and reported once every suite has been read otherwise.
    let mut lists = Vec::new();
    let mut named: HashSet<PathBuf> = HashSet::new();
    for file in files {
        if super::discover::is_list_file(&file) {
            lists.push(file);
            continue;
        }
        match load_suite(&file, root) {
            Ok(suite) => {
                named.extend(
                    suite
                        .named_files()
                        .filter_map(|path| std::fs::canonicalize(path).ok()),
                );
                if problems.problems.is_empty() {
                    each(suite);
                }
            }
            Err(Error::Input(input)) => problems.extend(input),
            Err(other) => problems.push(Problem::new(crate::error::with_causes(&other))),
        }
    }
    for list in lists {
        if !std::fs::canonicalize(&list).is_ok_and(|real| named.contains(&real)) {
            let shown = crate::util::path::display_path(&list, root);
            problems.push(
                Problem::located(format!("{shown}:1:1"), format!("`{shown}` is a list, not a suite"))
                    .with_help("a suite is a mapping; if this is a chat template or a case data file, name it from a suite's `prompt.template` or `cases-from`"),
            );
        }
    }
    problems.into_result(())
}

/// Returns a written name with its line and column.
fn located(written: Spanned<String>) -> (String, usize, usize) {
    let (line, column) = span_start(&written);
    (written.value, line, column)
}

/// Returns the located names of `target:`, reporting a name listed twice (its cases' ids
/// would clash).
fn target_names(
    written: Spanned<TargetNames>,
    source: &SourceFile,
    problems: &mut InvalidInput,
) -> Vec<(String, usize, usize)> {
    let (line, column) = span_start(&written);
    let names = match written.value {
        TargetNames::One(name) => vec![(name, line, column)],
        TargetNames::Many(names) => names.into_iter().map(located).collect(),
    };
    let mut seen = HashSet::new();
    for (name, line, column) in &names {
        if !seen.insert(name.as_str()) {
            problems.push(
                Problem::at_line(
                    source,
                    *line,
                    *column,
                    format!("target `{name}` is listed twice"),
                )
                .with_help("list each target once"),
            );
        }
    }
    names
}

/// Returns the judge prompts a suite names, reporting files that do not exist.
fn judge_templates(
    [rubric, factuality, pairwise]: [Option<Spanned<String>>; 3],
    dir: &Path,
    source: &SourceFile,
    problems: &mut InvalidInput,
) -> JudgeTemplates {
    let templates = JudgeTemplates {
        rubric: rubric.map(located),
        factuality: factuality.map(located),
        pairwise: pairwise.map(located),
    };
    for (template, line, column) in [
        &templates.rubric,
        &templates.factuality,
        &templates.pairwise,
    ]
    .into_iter()
    .flatten()
    {
        if !dir.join(template).is_file() {
            problems.push(
                Problem::at_line(
                    source,
                    *line,
                    *column,
                    format!("judge template `{template}` does not exist"),
                )
                .with_help("judge templates are relative to the suite file"),
            );
        }
    }
    templates
}

fn validate(
    raw: RawSuite,
    source: SourceFile,
    path: PathBuf,
    name: String,
    (dir, root): (PathBuf, &Path),
    checks: Checks,
) -> Result<Suite, InvalidInput> {
    let mut problems = InvalidInput::default();
    let compiled = Compiled::default();
    let context = CompileContext {
        source: &source,
        dir: &dir,
        compiled: &compiled,
    };

    let suite_repeat = suite_repeat(&raw, &source, &mut problems);
    let prompt = raw
        .prompt
        .map(|prompt| validate_prompt(prompt.value, &source, (&dir, root), &mut problems));

    let suite_assertions = AssertionTemplate::compile_all(&raw.assert, context, &mut problems);
    let mut warnings = SuiteWarnings::new(suite_assertions.len());
    warnings.commands(&raw.assert, &source);

    let written_cases = raw.cases.len() + usize::from(raw.probes.is_some());
    let mut names = CaseNames::new(&name);
    let mut cases = Vec::with_capacity(raw.cases.len());
    for spanned in raw.cases {
        let (line, column) = span_start(&spanned);
        let case = spanned.value;
        let (name_line, name_column) = span_start(&case.name);
        let at_name = |message: String| Problem::at_line(&source, name_line, name_column, message);
        names.check(&case.name.value, (None, line), &at_name, &mut problems);
        let case_repeat = case_repeat(&case, &source, &mut problems);
        warnings.commands(&case.assert, &source);
        let at_case = |message: String| Problem::at_line(&source, line, column, message);
        match validate_case(case, &at_case, context, prompt.as_ref()) {
            Ok(mut case) => {
                let mut assertions = suite_assertions.clone();
                assertions.append(&mut case.assertions);
                case.assertions = assertions;
                let mut tags = raw.tags.clone();
                tags.append(&mut case.tags);
                case.tags = tags;
                case.line = line;
                case.repeat = case_repeat.or(suite_repeat);
                warnings.case(&source, &case, column);
                cases.push(case);
            }
            Err(case_problems) => problems.extend(case_problems),
        }
    }

    let probes = raw.probes.and_then(|probes| {
        super::probes::validate(probes, context, prompt.is_some(), &mut problems)
    });
    let before = problems.problems.len();
    let data = super::data_source::resolve(raw.cases_from, (&dir, root), &source, &mut problems);
    let data_unreadable = problems.problems.len() > before;

    let targets = raw
        .target
        .map(|targets| target_names(targets, &source, &mut problems))
        .unwrap_or_default();
    let budget_line = raw.budget.as_ref().map(|budget| span_start(budget).0);
    let templates = [
        raw.rubric_template,
        raw.factuality_template,
        raw.pairwise_template,
    ];
    let judge_templates = judge_templates(templates, &dir, &source, &mut problems);
    let min_judge_agreement = raw
        .min_judge_agreement
        .and_then(|raw| min_judge_agreement(raw, &source, &mut problems));
    let suite = Suite {
        path,
        name,
        dir,
        source,
        prompt,
        vars: raw.vars,
        targets,
        tags: raw.tags,
        budget: raw.budget.map(|budget| budget.value).unwrap_or_default(),
        budget_line,
        cases,
        data,
        assertions: suite_assertions,
        repeat: suite_repeat,
        probes,
        grader: raw.grader.map(located),
        embedder: raw.embedder.map(located),
        judge_templates,
        min_judge_agreement,
        warnings: Vec::new(),
    };
    match checks {
        Checks::Planning if problems.is_empty() => Ok(suite),
        Checks::Planning => Err(problems),
        Checks::All => {
            let written = (written_cases, data_unreadable);
            check_rows_and_warn(suite, (&mut names, warnings), written, problems)
        }
    }
}

/// Checks a validated suite's data rows and, when it has no problem, collects its warnings;
/// `written` is how many cases the suite itself writes and whether a data file was unreadable.
fn check_rows_and_warn(
    mut suite: Suite,
    (names, mut warnings): (&mut CaseNames, SuiteWarnings),
    (written_cases, data_unreadable): (usize, bool),
    mut problems: InvalidInput,
) -> Result<Suite, InvalidInput> {
    let (rows, findings) = check_data_cases(&suite, names, &mut warnings);
    // A data file that is missing or has only bad rows is reported as such, not as no cases.
    if !data_unreadable && findings.problems.is_empty() {
        require_cases(written_cases + rows, &suite.source, &mut problems);
    }
    problems.extend(findings.problems);
    if problems.is_empty() {
        suite.warnings = warnings.finish(&suite, findings.warnings, &findings.variables);
        Ok(suite)
    } else {
        Err(problems)
    }
}

/// Reads the rows of a suite's data files to check them (names, assertions) and returns how
/// many are cases and what else the files hold. Planning reads them again, one at a time, so
/// a large data file is never held as cases.
fn check_data_cases(
    suite: &Suite,
    names: &mut CaseNames,
    warnings: &mut SuiteWarnings,
) -> (usize, super::data_source::DataFindings) {
    let mut rows = 0;
    let findings = suite.for_each_data_case(&mut |case| {
        rows += 1;
        let file = case.file.clone();
        let at_row = |message: String| suite.case_problem(&case, message);
        let mut row_problems = InvalidInput::default();
        names.check(&case.name, (file, case.line), &at_row, &mut row_problems);
        warnings.case(&suite.source, &case, 1);
        row_problems.problems
    });
    (rows, findings)
}

/// The case names of a suite seen so far, each with where it is written (its data file, or
/// `None` for the suite, and the line), to report duplicates at both places.
#[derive(Debug)]
struct CaseNames {
    /// The suite as shown.
    suite: String,
    names: HashMap<String, (Option<Arc<str>>, usize)>,
}

impl CaseNames {
    fn new(suite: &str) -> Self {
        Self {
            suite: suite.to_owned(),
            names: HashMap::new(),
        }
    }

    /// Records `name`, reporting it (with `at`) when it is invalid or was seen before.
    fn check(
        &mut self,
        name: &str,
        place: (Option<Arc<str>>, usize),
        at: &dyn Fn(String) -> Problem,
        problems: &mut InvalidInput,
    ) {
        if name.trim().is_empty() || name.contains("::") {
            problems.push(at(format!("invalid case name `{name}`")).with_help(
                "a case name is non-empty and contains no `::` (it becomes part of the case id)",
            ));
        }
        if let Some((file, line)) = self.names.get(name) {
            let first = match (file, &place.0) {
                (None, None) => format!("line {line}"),
                (Some(file), _) => format!("{file}:{line}"),
                (None, Some(_)) => format!("{}:{line}", self.suite),
            };
            problems.push(
                at(format!("duplicate case name `{name}`"))
                    .with_help(format!("the first case with this name is at {first}; names must be unique within a suite")),
            );
        } else {
            self.names.insert(name.to_owned(), place);
        }
    }
}

/// A suite that tests nothing would pass every run without anyone noticing: no cases (and no
/// probes) is a problem at the top of the file.
fn require_cases(written_cases: usize, source: &SourceFile, problems: &mut InvalidInput) {
    if written_cases == 0 {
        problems.push(
            Problem::at_line(source, 1, 1, "the suite has no cases").with_help(
                "add a `cases:` list (or `cases-from:` rows, or `probes:`), or delete the file",
            ),
        );
    }
}

/// Resolves the suite's prompt: a text template with its role, or a chat template loaded and
/// checked now, so its problems are reported with the suite's.
fn validate_prompt(
    prompt: RawPrompt,
    source: &SourceFile,
    (dir, root): (&Path, &Path),
    problems: &mut InvalidInput,
) -> SuitePrompt {
    let (line, column) = span_start(&prompt.template);
    let template = prompt.template.value;
    let checked = crate::template::check_template(dir, &template, root);
    let exists = checked.is_ok();
    if let Err(message) = checked {
        problems.push(
            Problem::at_line(source, line, column, message)
                .with_help("template paths are relative to the suite file"),
        );
    }
    let shape = if is_chat_file(&template) {
        if let Some(role) = &prompt.role {
            let (line, column) = span_start(role);
            problems.push(
                Problem::at_line(source, line, column, format!("`role` is set, but `{template}` is a chat template"))
                    .with_help("a chat template gives every message its own `role`; remove `role`, or use a text template (any extension but .yaml, .yml or .json)"),
            );
        }
        if exists {
            match ChatTemplate::load(dir, &template, root) {
                Ok(chat) => Some(PromptShape::Chat(Arc::new(chat))),
                Err(chat_problems) => {
                    problems.extend(chat_problems);
                    None
                }
            }
        } else {
            None
        }
    } else {
        Some(PromptShape::Text(
            prompt.role.map_or(PromptRole::System, |role| role.value),
        ))
    };
    SuitePrompt {
        id: prompt.id,
        template,
        line,
        column,
        // A chat template that does not load is reported above; the placeholder is never used.
        shape: shape.unwrap_or(PromptShape::Text(PromptRole::System)),
    }
}

fn validate_case(
    case: RawCase,
    at: &dyn Fn(String) -> Problem,
    context: CompileContext<'_>,
    prompt: Option<&SuitePrompt>,
) -> Result<Case, InvalidInput> {
    let mut problems = InvalidInput::default();
    let name = case.name.value;
    let conversation = conversation(&name, (case.user, case.messages), prompt, at, &mut problems);
    let assertions = AssertionTemplate::compile_all(&case.assert, context, &mut problems);
    if problems.is_empty() {
        Ok(Case {
            name,
            line: 0,
            file: None,
            vars: case.vars,
            conversation,
            assertions,
            skip: skip_reason(case.skip),
            tags: case.tags,
            mock_answer: case.mock_answer,
            repeat: RepeatSettings::default(),
        })
    } else {
        Err(problems)
    }
}

/// Returns why a case is skipped, when it is.
pub(super) fn skip_reason(skip: Option<Skip>) -> Option<String> {
    match skip {
        None | Some(Skip::No) => None,
        Some(Skip::Yes(reason)) => {
            Some(reason.unwrap_or_else(|| "skipped in the suite".to_owned()))
        }
    }
}

/// Checks what a case says to the model (its `user` or its `messages`) against what the
/// suite's prompt renders; `at` locates a problem at the case.
pub(super) fn conversation(
    name: &str,
    (user, messages): (Option<String>, Option<Vec<RawMessage>>),
    prompt: Option<&SuitePrompt>,
    at: &dyn Fn(String) -> Problem,
    problems: &mut InvalidInput,
) -> Conversation {
    match (user, messages) {
        (Some(user), None) => Conversation::User(user),
        (None, Some(messages)) => {
            if messages.is_empty() {
                problems.push(at(format!("case `{name}` has an empty `messages` list")));
            }
            if prompt.is_some() && messages.iter().any(|message| message.role == Role::System) {
                let renders = if prompt.is_some_and(SuitePrompt::has_system) {
                    "renders the system message"
                } else {
                    "renders the first messages"
                };
                problems.push(
                    at(format!(
                        "case `{name}` has a `system` message, but the suite's template {renders}"
                    ))
                    .with_help(
                        "remove the `system` message, or remove `prompt.template` from the suite",
                    ),
                );
            }
            if messages
                .last()
                .is_some_and(|message| message.role != Role::User)
            {
                problems.push(
                    at(format!(
                        "the last message of case `{name}` is not from `user`"
                    ))
                    .with_help(
                        "the model answers the last user message; end `messages` with `role: user`",
                    ),
                );
            }
            Conversation::Messages(
                messages
                    .into_iter()
                    .map(|message| Message::new(message.role, message.content))
                    .collect(),
            )
        }
        (Some(_), Some(_)) => {
            problems.push(
                at(format!("case `{name}` has both `user` and `messages`")).with_help(
                    "use `user` for one turn or `messages` for a conversation, not both",
                ),
            );
            Conversation::User(String::new())
        }
        (None, None) if prompt.is_some_and(SuitePrompt::ends_with_user) => Conversation::Empty,
        (None, None) => {
            problems.push(
                at(format!("case `{name}` has neither `user` nor `messages`"))
                .with_help("add `user: <the message to send>`; or set `role: user` under `prompt:` so the template renders the user's message (a chat template does when its last message is from `user`)"),
            );
            Conversation::User(String::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Suite, Error> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("system.j2"), "You help.").unwrap();
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, text).unwrap();
        load_suite(&path, dir.path())
    }

    fn rendered(error: &Error) -> String {
        error.render(false)
    }

    #[test]
    fn loads_cases_with_lines_and_merged_assertions() {
        let suite = load(
            "prompt:\n  id: p\n  template: system.j2\nassert:\n  - max-chars: 100\ncases:\n  - name: a\n    user: hi\n    assert:\n      - contains: x\n  - name: b\n    skip: flaky upstream\n    messages:\n      - role: user\n        content: one\n      - role: assistant\n        content: two\n      - role: user\n        content: three\n",
        )
        .unwrap();
        assert_eq!(suite.name, "s.yaml");
        assert_eq!(suite.cases.len(), 2);
        assert_eq!(suite.cases[0].line, 7);
        assert_eq!(suite.cases[0].assertions.len(), 2);
        assert!(matches!(
            &suite.cases[0].assertions[0],
            AssertionTemplate::Ready(assertion) if assertion.kind() == "max-chars"
        ));
        assert_eq!(suite.cases[1].skip.as_deref(), Some("flaky upstream"));
        assert!(
            matches!(&suite.cases[1].conversation, Conversation::Messages(messages) if messages.len() == 3)
        );
    }

    #[test]
    fn every_problem_in_a_file_is_reported() {
        let error = load(
            "prompt:\n  id: p\n  template: missing.j2\ncases:\n  - name: a\n    user: hi\n    assert:\n      - regex: '('\n  - name: a\n    user: again\n  - name: c\n",
        )
        .unwrap_err();
        let text = rendered(&error);
        assert!(
            text.contains("s.yaml:3:13: template `missing.j2` does not exist"),
            "{text}"
        );
        assert!(
            text.contains("s.yaml:8:9: invalid regex in `regex`"),
            "{text}"
        );
        assert!(
            text.contains("s.yaml:9:11: duplicate case name `a`"),
            "{text}"
        );
        assert!(
            text.contains("case `c` has neither `user` nor `messages`"),
            "{text}"
        );
        assert!(text.contains("invalid input: 4 problems"), "{text}");
    }

    #[test]
    fn unknown_assertion_kind_suggests_the_right_one() {
        let error = load("cases:\n  - name: a\n    user: hi\n    assert:\n      - containz: x\n")
            .unwrap_err();
        let text = rendered(&error);
        assert!(
            text.contains("s.yaml:5:9: unknown variant `containz`"),
            "{text}"
        );
        assert!(text.contains("did you mean `contains`?"), "{text}");
    }

    #[test]
    fn wrong_type_is_located() {
        let error =
            load("cases:\n  - name: a\n    user: hi\n    assert:\n      - max-chars: lots\n")
                .unwrap_err();
        assert!(
            rendered(&error).contains("s.yaml:5:"),
            "{}",
            rendered(&error)
        );
        assert_eq!(error.exit_code(), 2);
    }
}
