//! [`TestPlan`]: suites × cases × targets, rendered and ordered, with stable ids.
//!
//! Every case is rendered here, before the first model call, so a template error in the last
//! suite stops the run before any money is spent. Plan order (suites by path, cases in file
//! order) is the order of every report.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use super::judges::{JudgeLeaf, JudgeResolver};
use super::probe::{Probe, ProbeCase};
use super::repeat_policy::RepeatPolicy;
use super::shard::PlanShard;
use crate::assert::{Assertion, AssertionTemplate, CompileContext, Compiled};
use crate::chat::{Message, Role};
use crate::config::RawBudget;
use crate::config::{Config, Target, TargetOverrides};
use crate::error::{Error, InvalidInput, Problem};
use crate::prompt_files::PromptFiles;
use crate::suite::{Case, PromptRole, PromptShape, Suite, SuitePrompt, Vars};
use crate::template::Renderer;

/// The ordered cases of a run.
#[derive(Debug, Default)]
pub(crate) struct TestPlan {
    /// The suites with at least one selected case, by path.
    pub(crate) suites: Vec<PlannedSuite>,
    /// The selected cases in plan order.
    pub(crate) cases: Vec<TestInstance>,
    /// The targets the cases use.
    pub(crate) targets: Vec<Target>,
    /// The seed of the generated probes, when the plan has any (reports record it so
    /// `--seed` reproduces the run).
    pub(crate) probe_seed: Option<u64>,
    /// The shard this plan is, when `--shard` cut it from a larger plan.
    pub(crate) shard: Option<PlanShard>,
    /// The warnings of the suites with a selected case, in plan order.
    pub(crate) warnings: Vec<Problem>,
}

/// A suite as the reports see it.
#[derive(Debug, Clone)]
pub(crate) struct PlannedSuite {
    /// The suite path relative to the project root.
    pub(crate) name: String,
    /// The prompt's registry id.
    pub(crate) prompt_id: Option<String>,
    /// The template path relative to the project root.
    pub(crate) template: Option<String>,
    /// The content hash of the template and everything it includes.
    pub(crate) content_hash: Option<String>,
    /// The index of the suite's target in [`TestPlan::targets`].
    pub(crate) target: usize,
    /// The suite's budgets.
    pub(crate) budget: RawBudget,
    /// The line of the suite's `budget` key.
    pub(crate) budget_line: Option<usize>,
    /// The registry version whose content hash matches, filled in when the project has a
    /// registry.
    pub(crate) registry_version: Option<String>,
}

/// One case, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct TestInstance {
    /// The stable id: `suite-path::case-name`.
    pub(crate) id: String,
    /// The index of the suite in [`TestPlan::suites`].
    pub(crate) suite: usize,
    /// The case name.
    pub(crate) name: String,
    /// The line where the case starts in its suite (or its data file).
    pub(crate) line: usize,
    /// The data file the case is a row of; `None` for a case written in its suite.
    pub(crate) file: Option<Arc<str>>,
    /// The suite's and the case's tags.
    pub(crate) tags: Vec<String>,
    /// The messages sent: the prompt's, then the case's.
    pub(crate) messages: Vec<Message>,
    /// The assertions judging the answer.
    pub(crate) assertions: Arc<[Assertion]>,
    /// The index of the target in [`TestPlan::targets`].
    pub(crate) target: usize,
    /// Why the case is skipped, when it is.
    pub(crate) skip: Option<String>,
    /// The mock target's scripted answer.
    pub(crate) mock_answer: Option<String>,
    /// Whether the prompt is a chat template (the echo target answers it as JSON).
    pub(crate) chat_prompt: bool,
    /// What a generated probe case probes; `None` for written cases.
    pub(crate) probe: Option<Arc<Probe>>,
    /// How often the case is sent and what share of attempts must pass.
    pub(crate) repeat: RepeatPolicy,
    /// Who judges each model-graded assertion, in [`Assertion::judged_leaves`] order (empty
    /// when the case has none).
    pub(crate) judges: Arc<[JudgeLeaf]>,
    /// The case's variables, which judge prompts may use (only kept when it has judges).
    pub(crate) vars: Option<Arc<Vars>>,
}

/// Which cases to select and where to send them.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlanOptions {
    /// `--filter`: a glob over case ids, or a plain substring of them.
    pub(crate) filters: Vec<String>,
    /// `--tag`: cases with any of these tags.
    pub(crate) tags: Vec<String>,
    /// Target overrides from the command line.
    pub(crate) overrides: TargetOverrides,
    /// `--seed`: the seed of probe nonces and canaries (fresh when absent).
    pub(crate) probe_seed: Option<u64>,
    /// `--grader`: the target that judges every model-graded assertion.
    pub(crate) grader: Option<String>,
}

/// Where planning a suite on one target stands: its first selected case adds it to the plan.
#[derive(Debug, Clone, Copy)]
enum PlannedState {
    /// No case of the suite is selected yet.
    Pending,
    /// The suite's index in the plan and its target's.
    Planned(usize, usize),
    /// The suite's target does not exist (reported once); its cases are not planned.
    Failed,
}

/// One target a suite runs on, as planning sees it.
#[derive(Debug)]
struct SuiteTarget<'a> {
    /// The target's name.
    name: &'a str,
    /// Where the suite names it (line, column); `None` for `--target` or the default.
    written_at: Option<(usize, usize)>,
    /// The target the suite's case ids carry, when it runs on several.
    label: Option<&'a str>,
    /// Whether it is the first target the suite is planned on.
    is_first: bool,
}

/// Selects cases by id and tag.
#[derive(Debug)]
struct Selector {
    globs: Option<globset::GlobSet>,
    substrings: Vec<String>,
    tags: Vec<String>,
}

impl Selector {
    fn new(options: &PlanOptions) -> Result<Self, Error> {
        let mut builder = globset::GlobSetBuilder::new();
        let mut has_globs = false;
        let mut substrings = Vec::new();
        for filter in &options.filters {
            if filter.contains(['*', '?', '[', '{']) {
                let glob = globset::GlobBuilder::new(filter)
                    .literal_separator(false)
                    .build()
                    .map_err(|error| {
                        Error::usage(format!("invalid `--filter` glob `{filter}`: {error}"))
                    })?;
                builder.add(glob);
                has_globs = true;
            } else {
                substrings.push(filter.clone());
            }
        }
        let globs = if has_globs {
            Some(
                builder
                    .build()
                    .map_err(|error| Error::usage(format!("invalid `--filter`: {error}")))?,
            )
        } else {
            None
        };
        Ok(Self {
            globs,
            substrings,
            tags: options.tags.clone(),
        })
    }

    fn selects(&self, id: &str, tags: &[String]) -> bool {
        let by_id = (self.globs.is_none() && self.substrings.is_empty())
            || self.globs.as_ref().is_some_and(|globs| globs.is_match(id))
            || self
                .substrings
                .iter()
                .any(|needle| id.contains(needle.as_str()));
        let by_tag = self.tags.is_empty() || tags.iter().any(|tag| self.tags.contains(tag));
        by_id && by_tag
    }
}

/// Builds the plan: resolves targets, renders every selected case, and collects every problem.
pub(crate) fn build(
    suites: &[Suite],
    config: &Config,
    options: &PlanOptions,
) -> Result<TestPlan, Error> {
    let mut builder = PlanBuilder::new(config, options)?;
    for suite in suites {
        builder.add(suite)?;
    }
    builder.finish()
}

/// Builds a plan one suite at a time, so a caller can load a suite, plan it and drop it before
/// loading the next: the plan holds only what running needs, never every suite's source text
/// and parsed cases at once.
pub(crate) struct PlanBuilder<'a> {
    config: &'a Config,
    options: &'a PlanOptions,
    selector: Selector,
    renderer: Renderer,
    problems: InvalidInput,
    render_failures: HashSet<(String, String)>,
    plan: TestPlan,
    target_index: HashMap<String, usize>,
    probe_seed: crate::probe::ProbeSeed,
    judges: JudgeResolver,
    /// Whether a case taken out with [`PlanBuilder::take_cases`] was a generated probe.
    took_probes: bool,
}

impl<'a> PlanBuilder<'a> {
    /// Starts an empty plan; fails on an invalid `--filter` or a target `--target` names twice
    /// (its cases' ids would clash).
    pub(crate) fn new(config: &'a Config, options: &'a PlanOptions) -> Result<Self, Error> {
        let named = &options.overrides.targets;
        if let Some(twice) = named
            .iter()
            .enumerate()
            .find_map(|(index, name)| named[..index].contains(name).then_some(name))
        {
            return Err(Error::usage(format!(
                "`--target` names `{twice}` twice (hint: name each target once)"
            )));
        }
        Ok(Self {
            config,
            options,
            selector: Selector::new(options)?,
            renderer: Renderer::new(),
            problems: InvalidInput::default(),
            render_failures: HashSet::new(),
            plan: TestPlan::default(),
            target_index: HashMap::new(),
            probe_seed: crate::probe::ProbeSeed::given_or_fresh(options.probe_seed),
            judges: JudgeResolver::new(options.grader.clone()),
            took_probes: false,
        })
    }

    /// Plans a suite's selected cases on each of its targets, collecting its problems: on each
    /// target the inline cases, then the rows of its data files (read one at a time), then its
    /// generated probes. Fails only when a target named on the command line does not exist,
    /// which no suite can fix.
    pub(crate) fn add(&mut self, suite: &Suite) -> Result<(), Error> {
        let names = self.options.overrides.names_for(&suite.targets);
        // Ids carry the target only when the suite runs on several, so a suite on one target
        // keeps the ids its baselines and recordings know.
        let several = names.len() > 1;
        let mut selected = false;
        for (index, (name, written_at)) in names.into_iter().enumerate() {
            let target = SuiteTarget {
                name,
                written_at,
                label: several.then_some(name),
                is_first: index == 0,
            };
            selected |= self.add_on_target(suite, &target)?;
        }
        // A suite's warnings are about its file: once, however many targets it runs on.
        if selected {
            self.plan.warnings.extend(suite.warnings.iter().cloned());
        }
        Ok(())
    }

    /// Plans a suite's selected cases on one target, as a suite of its own in the plan;
    /// returns whether any case was selected.
    fn add_on_target(&mut self, suite: &Suite, target: &SuiteTarget<'_>) -> Result<bool, Error> {
        // Generated probes join the written cases here and flow through the same pipeline.
        let model = self
            .config
            .target_for(Some(target.name), &self.options.overrides)
            .map(|target| target.model)
            .unwrap_or_default();
        let probes = probes_of(suite, &model, self.probe_seed);
        let compiled = Compiled::default();
        let context = CompileContext {
            source: &suite.source,
            dir: &suite.dir,
            compiled: &compiled,
        };
        let mut planned = PlannedState::Pending;
        for case in &suite.cases {
            self.add_case(suite, (case, None), (target, context), &mut planned)?;
        }
        let mut fatal = None;
        let problems = suite.for_each_data_case(&mut |case| {
            if fatal.is_none()
                && let Err(error) =
                    self.add_case(suite, (&case, None), (target, context), &mut planned)
            {
                fatal = Some(error);
            }
            Vec::new()
        });
        if let Some(error) = fatal {
            return Err(error);
        }
        // A bad row is the same problem on every target: it is reported once.
        if target.is_first {
            self.problems.extend(problems.problems);
        }
        for probe in &probes {
            self.add_case(
                suite,
                (&probe.case, Some(&probe.probe)),
                (target, context),
                &mut planned,
            )?;
        }
        Ok(!matches!(planned, PlannedState::Pending))
    }

    /// Plans one case when the selection keeps it; the first such case of a suite on a target
    /// resolves the target and adds the suite to the plan.
    fn add_case(
        &mut self,
        suite: &Suite,
        (case, probe): (&Case, Option<&Arc<Probe>>),
        (target, context): (&SuiteTarget<'_>, CompileContext<'_>),
        planned: &mut PlannedState,
    ) -> Result<(), Error> {
        let id = case_id_on(suite, &case.name, target.label);
        if !self.selector.selects(&id, &case.tags) {
            return Ok(());
        }
        if let PlannedState::Pending = planned {
            *planned = match self.plan_suite(suite, target)? {
                Some((index, target)) => PlannedState::Planned(index, target),
                None => PlannedState::Failed,
            };
        }
        let PlannedState::Planned(suite_index, target) = *planned else {
            return Ok(());
        };
        if let Some(case) = self.plan_case(suite, (case, probe), (id, target), context) {
            self.plan.cases.push(TestInstance {
                suite: suite_index,
                ..case
            });
        }
        Ok(())
    }

    /// Resolves the target and adds the suite on it to the plan, returning their indexes;
    /// `None` when a target the suite names does not exist (a recorded problem).
    fn plan_suite(
        &mut self,
        suite: &Suite,
        on: &SuiteTarget<'_>,
    ) -> Result<Option<(usize, usize)>, Error> {
        let (config, options) = (self.config, self.options);
        let plan = &mut self.plan;
        let problems = &mut self.problems;
        let target = match config.target_for(Some(on.name), &options.overrides) {
            Ok(target) => target,
            Err(message) => {
                match on.written_at {
                    _ if !options.overrides.targets.is_empty() => {
                        return Err(Error::usage(message));
                    }
                    Some((line, column)) => {
                        problems.push(Problem::at_line(&suite.source, line, column, message));
                    }
                    None => {
                        problems.push(Problem::new(format!("{}: {message}", suite.name)));
                    }
                }
                return Ok(None);
            }
        };
        let target = *self
            .target_index
            .entry(target.name.clone())
            .or_insert_with(|| {
                plan.targets.push(target);
                plan.targets.len() - 1
            });
        let (template, content_hash) = prompt_identity(suite, &config.root, problems);
        plan.suites.push(PlannedSuite {
            name: suite.name.clone(),
            prompt_id: suite.prompt.as_ref().map(|prompt| prompt.id.clone()),
            template,
            content_hash,
            target,
            budget: suite.budget.or(config.budget),
            budget_line: suite.budget_line,
            registry_version: None,
        });
        Ok(Some((plan.suites.len() - 1, target)))
    }

    /// Renders one case's messages and assertions, or records why it cannot be sent.
    fn plan_case(
        &mut self,
        suite: &Suite,
        (case, probe): (&Case, Option<&Arc<Probe>>),
        (id, target): (String, usize),
        context: CompileContext<'_>,
    ) -> Option<TestInstance> {
        let root = &self.config.root;
        let problems = &mut self.problems;
        let rendering = || format!("rendering `{id}`, {}", suite.case_place(case));
        let needs_vars =
            suite.prompt.is_some() || case.assertions.iter().any(AssertionTemplate::is_templated);
        let vars = if needs_vars {
            merged_vars(&suite.vars, &case.vars)
        } else {
            Vars::new()
        };
        let mut messages = Vec::with_capacity(2);
        if let Some(prompt) = &suite.prompt {
            match render_prompt(&mut self.renderer, suite, prompt, &vars, root) {
                Ok(mut prompt_messages) => messages.append(&mut prompt_messages),
                Err(problem) => {
                    report_once(problem, &rendering(), &mut self.render_failures, problems);
                    return None;
                }
            }
        }
        let value = minijinja::Value::from(minijinja::value::Serde(&vars));
        let renderer = &mut self.renderer;
        let mut render = |text: &str| renderer.render_inline(text, &value);
        let mut assertions = Vec::with_capacity(case.assertions.len());
        for template in &case.assertions {
            match template.instantiate(&mut render, &vars, context) {
                Ok(assertion) => assertions.push(assertion),
                Err(problem) => {
                    report_once(problem, &rendering(), &mut self.render_failures, problems);
                    return None;
                }
            }
        }
        check_ttft_is_measured(
            suite,
            case,
            &assertions,
            &self.plan.targets[target],
            problems,
        );
        let from_prompt = messages.len();
        messages.extend(case.conversation.messages());
        let assertions = assertions_of(
            (case, assertions),
            probe,
            (&mut messages, from_prompt),
            suite,
            problems,
        )?;
        let leaves = self.judges.leaves(
            &assertions,
            suite,
            target,
            self.config,
            &mut self.plan.targets,
            &mut self.target_index,
            problems,
        )?;
        let vars = if leaves.is_empty() {
            None
        } else if needs_vars {
            Some(Arc::new(vars))
        } else {
            Some(Arc::new(merged_vars(&suite.vars, &case.vars)))
        };
        Some(TestInstance {
            id,
            suite: 0,
            name: case.name.clone(),
            line: case.line,
            file: case.file.clone(),
            tags: case.tags.clone(),
            messages,
            assertions: assertions.into(),
            target,
            skip: case.skip.clone(),
            mock_answer: case.mock_answer.clone(),
            chat_prompt: suite
                .prompt
                .as_ref()
                .is_some_and(|prompt| matches!(prompt.shape, PromptShape::Chat(_))),
            probe: probe.cloned(),
            repeat: RepeatPolicy::from_settings(case.repeat),
            judges: leaves.into(),
            vars,
        })
    }

    /// Takes out the cases planned since the last call, in plan order, so a caller that
    /// handles each suite's cases as they come holds only one suite's at a time.
    pub(crate) fn take_cases(&mut self) -> Vec<TestInstance> {
        let cases = std::mem::take(&mut self.plan.cases);
        self.took_probes |= cases.iter().any(|case| case.probe.is_some());
        cases
    }

    /// Returns the plan so far: its suites and targets (its cases are taken out by
    /// [`PlanBuilder::take_cases`]).
    #[must_use]
    pub(crate) fn plan(&self) -> &TestPlan {
        &self.plan
    }

    /// Returns whether a problem has been found so far.
    #[must_use]
    pub(crate) fn has_problems(&self) -> bool {
        !self.problems.problems.is_empty()
    }

    /// Returns the plan, or every problem found while planning.
    pub(crate) fn finish(mut self) -> Result<TestPlan, Error> {
        let probes = self.took_probes || self.plan.cases.iter().any(|case| case.probe.is_some());
        self.plan.probe_seed = probes.then(|| self.probe_seed.value());
        self.problems.into_result(self.plan)
    }
}

/// Records a rendering problem, naming the case it was found in (`rendering`), unless the
/// same problem at the same place was already recorded for an earlier case.
fn report_once(
    problem: Problem,
    rendering: &str,
    seen: &mut HashSet<(String, String)>,
    problems: &mut InvalidInput,
) {
    let key = (
        problem.location().unwrap_or_default().to_owned(),
        problem.message().to_owned(),
    );
    if seen.insert(key) {
        let message = format!("{} ({rendering})", problem.message());
        problems.push(problem.with_message(message));
    }
}

/// Renders the messages of a suite's prompt with `vars`.
pub(crate) fn render_prompt(
    renderer: &mut Renderer,
    suite: &Suite,
    prompt: &SuitePrompt,
    vars: &Vars,
    root: &Path,
) -> Result<Vec<Message>, Problem> {
    match &prompt.shape {
        PromptShape::Text(role) => {
            let text = renderer.render(&suite.dir, &prompt.template, vars, root)?;
            let role = match role {
                PromptRole::System => Role::System,
                PromptRole::User => Role::User,
            };
            Ok(vec![Message::new(role, text)])
        }
        PromptShape::Chat(chat) => renderer.render_chat(&suite.dir, chat, vars, root),
    }
}

/// Generates a suite's probe cases for `model`, the model of the target they run on.
fn probes_of(suite: &Suite, model: &str, seed: crate::probe::ProbeSeed) -> Vec<ProbeCase> {
    if suite.probes.is_none() {
        return Vec::new();
    }
    super::probe::generate(suite, seed, model)
}

/// Returns a case's assertions. A probe is first bound to its rendered messages, the first
/// `from_prompt` of them rendered from the suite's template (canary, built-in checks); an
/// untrusted variable that never reaches the prompt is reported once.
fn assertions_of(
    (case, assertions): (&Case, Vec<Assertion>),
    probe: Option<&Arc<Probe>>,
    (messages, from_prompt): (&mut [Message], usize),
    suite: &Suite,
    problems: &mut InvalidInput,
) -> Option<Vec<Assertion>> {
    let Some(probe) = probe else {
        return Some(assertions);
    };
    probe
        .bind(messages, from_prompt, &assertions)
        .map_err(|message| {
            let known = problems
                .problems
                .iter()
                .any(|known| known.message() == message);
            if !known {
                problems.push(suite.case_problem(case, message).with_help(
                    "use the variable in the template, or remove it from `probes.untrusted-vars`",
                ));
            }
        })
        .ok()
}

/// Refuses `max-ttft-ms` on a live target that does not stream: it could never pass, and
/// finding that out costs a whole run. The offline targets answer at once and pass it.
fn check_ttft_is_measured(
    suite: &Suite,
    case: &Case,
    assertions: &[Assertion],
    target: &Target,
    problems: &mut InvalidInput,
) {
    let asks = assertions.iter().any(Assertion::needs_time_to_first_token);
    if asks && target.provider.is_live() && !target.stream {
        problems.push(suite.case_problem(
            case,
            format!(
                "case `{}` asserts `max-ttft-ms`, but target `{}` does not stream, so no time to first token is measured",
                case.name, target.name
            ),
        )
        .with_help(format!(
            "set `stream: true` on target `{}` in promptci.yaml, or use `max-latency-ms`",
            target.name
        )));
    }
}

/// Returns the template's display path and the content hash of it and its includes.
fn prompt_identity(
    suite: &Suite,
    root: &Path,
    problems: &mut InvalidInput,
) -> (Option<String>, Option<String>) {
    let Some(prompt) = &suite.prompt else {
        return (None, None);
    };
    let hash = PromptFiles::load(&suite.dir, &prompt.template)
        .map(|files| files.content_hash())
        .map_err(|error| {
            problems.push(Problem::at_line(
                &suite.source,
                prompt.line,
                prompt.column,
                format!(
                    "cannot read template `{}` or a template it includes: {error}",
                    prompt.template
                ),
            ));
        })
        .ok();
    (
        Some(crate::util::path::display_path(
            &suite.dir.join(&prompt.template),
            root,
        )),
        hash,
    )
}

/// Returns the stable id of a case: `suite-path::case-name`.
#[must_use]
pub(crate) fn case_id(suite: &Suite, case: &str) -> String {
    case_id_in(&suite.name, case)
}

/// Returns the id of the case called `case` in the suite at `suite_path`, without a target.
#[must_use]
pub(crate) fn case_id_in(suite_path: &str, case: &str) -> String {
    format!("{suite_path}::{case}")
}

/// Returns the id of a case on a target: `suite-path::case-name@target` when the suite runs on
/// several targets (`target` is then `Some`), else its plain [`case_id`].
#[must_use]
fn case_id_on(suite: &Suite, case: &str, target: Option<&str>) -> String {
    match target {
        Some(target) => format!("{}@{target}", case_id(suite, case)),
        None => case_id(suite, case),
    }
}

fn merged_vars(suite: &Vars, case: &Vars) -> Vars {
    let mut vars = suite.clone();
    vars.extend(case.iter().map(|(key, value)| (key.clone(), value.clone())));
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn plan(dir: &Path, options: &PlanOptions) -> Result<TestPlan, Error> {
        let suites = crate::suite::load_suites(&[std::path::PathBuf::from("suites")], dir, dir)?;
        build(&suites, &Config::builtin(dir.to_owned()), options)
    }

    #[test]
    fn renders_system_messages_and_orders_by_path() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "suites/b.yaml",
            "cases:\n  - name: one\n    user: hi\n",
        );
        write(
            dir.path(),
            "suites/a/s.yaml",
            "prompt: {id: p, template: t.j2}\nvars: {who: Ann}\ncases:\n  - name: x\n    user: hey\n  - name: y\n    vars: {who: Bob}\n    user: yo\n",
        );
        write(dir.path(), "suites/a/t.j2", "You serve {{ who }}.");
        let plan = plan(dir.path(), &PlanOptions::default()).unwrap();
        let ids: Vec<_> = plan.cases.iter().map(|case| case.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "suites/a/s.yaml::x",
                "suites/a/s.yaml::y",
                "suites/b.yaml::one"
            ]
        );
        assert_eq!(plan.cases[1].messages[0].content, "You serve Bob.");
        assert_eq!(plan.suites[0].template.as_deref(), Some("suites/a/t.j2"));
        assert!(plan.suites[0].content_hash.is_some());
        assert_eq!(plan.targets.len(), 1);
    }

    #[test]
    fn filters_by_glob_substring_and_tag() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "suites/s.yaml",
            "tags: [smoke]\ncases:\n  - name: alpha\n    user: a\n  - name: beta\n    tags: [slow]\n    user: b\n",
        );
        let by_glob = PlanOptions {
            filters: vec!["*::b*".to_owned()],
            ..PlanOptions::default()
        };
        assert_eq!(plan(dir.path(), &by_glob).unwrap().cases.len(), 1);
        let by_substring = PlanOptions {
            filters: vec!["alpha".to_owned()],
            ..PlanOptions::default()
        };
        assert_eq!(
            plan(dir.path(), &by_substring).unwrap().cases[0].name,
            "alpha"
        );
        let by_tag = PlanOptions {
            tags: vec!["slow".to_owned()],
            ..PlanOptions::default()
        };
        assert_eq!(plan(dir.path(), &by_tag).unwrap().cases[0].name, "beta");
        let suite_tag = PlanOptions {
            tags: vec!["smoke".to_owned()],
            ..PlanOptions::default()
        };
        assert_eq!(plan(dir.path(), &suite_tag).unwrap().cases.len(), 2);
    }

    #[test]
    fn render_errors_across_suites_are_reported_together_once() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "suites/a.yaml",
            "prompt: {id: p, template: t.j2}\ncases:\n  - name: x\n    user: a\n  - name: y\n    user: b\n",
        );
        write(dir.path(), "suites/t.j2", "Hello {{ missing }}");
        write(
            dir.path(),
            "suites/b.yaml",
            "prompt: {id: q, template: u.j2}\ncases:\n  - name: z\n    user: a\n",
        );
        write(dir.path(), "suites/u.j2", "{{ also_missing }}");
        let error = plan(dir.path(), &PlanOptions::default()).unwrap_err();
        let text = error.render(false);
        assert!(text.contains("suites/t.j2:1:10: undefined variable in `missing` (rendering `suites/a.yaml::x`, suites/a.yaml:3)"), "{text}");
        assert!(
            text.contains("suites/u.j2:1:4: undefined variable in `also_missing`"),
            "{text}"
        );
        assert!(text.contains("invalid input: 2 problems"), "{text}");
    }

    #[test]
    fn unknown_suite_target_is_located() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "suites/a.yaml",
            "target: prod\ncases:\n  - name: x\n    user: a\n",
        );
        let text = plan(dir.path(), &PlanOptions::default())
            .unwrap_err()
            .render(false);
        assert!(
            text.contains("suites/a.yaml:1:9: unknown target `prod`"),
            "{text}"
        );
    }
}
