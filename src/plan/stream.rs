//! Planning suite by suite, and a plan whose cases are never all held at once.
//!
//! [`plan_each`] loads and plans one suite file at a time and hands each file's selected cases
//! to its caller, which keeps them (a plan held whole, for commands that need every case) or
//! only checks them and lets them go. [`StreamedPlan`] is the second kind: every case was
//! rendered and checked before the first request, so a problem in the last suite still stops a
//! run before any money is spent, but only the suites, targets and the file list stay. Its
//! [`CaseStream`] plans each file again when the run reaches it and hands out the cases in the
//! same order with the same indexes, so a run's memory does not grow with its number of cases.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use super::shard::{Shard, ShardCut};
use super::test_plan::{PlanBuilder, PlanOptions, TestInstance, TestPlan};
use crate::config::Config;
use crate::error::{Error, Problem};
use crate::suite::Suite;

/// A suite file the plan read, and what planning it again must find.
#[derive(Debug, Clone)]
struct PlannedFile {
    /// The file, as it was loaded.
    path: PathBuf,
    /// The file's name for messages (relative to the project root).
    name: String,
    /// A hash of its text: a file edited during the run is not planned again silently.
    fingerprint: u64,
    /// How many of the plan's cases it gave.
    cases: usize,
    /// The plan suite its first case belongs to, when it gave any.
    first_suite: Option<usize>,
}

/// What [`plan_each`] planned: the plan (without the cases it handed out) and the files read.
#[derive(Debug)]
pub(crate) struct PlannedSuites {
    /// The plan: its suites, targets, warnings, probe seed and shard. Its `cases` are empty.
    pub(crate) plan: TestPlan,
    /// The files the cases came from, in plan order.
    files: Vec<PlannedFile>,
    /// How many cases were handed out.
    cases: usize,
}

/// Plans the suites `load` hands over, one at a time, and hands each file's selected cases (cut
/// to `shard`, when given) to `each`, in plan order, with the plan's suites and targets so far
/// (in a plan whose `cases` are that file's, which `each` may take). After the first problem, files are only checked
/// and `each` is not called again. Returns every problem found, or the plan without its cases.
pub(crate) fn plan_each(
    load: impl FnOnce(&mut dyn FnMut(Suite)) -> Result<(), Error>,
    config: &Config,
    options: &PlanOptions,
    shard: Option<Shard>,
    mut each: impl FnMut(&mut TestPlan) -> Result<(), Error>,
) -> Result<PlannedSuites, Error> {
    let mut builder = PlanBuilder::new(config, options)?;
    let mut cut = shard.map(ShardCut::new);
    let mut files = Vec::new();
    let mut cases = 0;
    let mut fatal = None;
    // The cases of one file, in a plan with the suites and targets so far.
    let mut batch = TestPlan::default();
    load(&mut |suite: Suite| {
        if fatal.is_some() {
            return;
        }
        if let Err(error) = builder.add(&suite) {
            fatal = Some(error);
            return;
        }
        let taken = builder.take_cases();
        if builder.has_problems() {
            return;
        }
        let whole = builder.plan();
        batch.cases = match &mut cut {
            Some(cut) => taken
                .into_iter()
                .filter_map(|case| cut.keep(case, &whole.suites))
                .collect(),
            None => taken,
        };
        // Suites and targets are only ever appended to, so the batch takes the new ones: a
        // copy of every suite so far for every file would grow with the square of the files.
        let suites = match &cut {
            Some(cut) => cut.suites(),
            None => &whole.suites,
        };
        batch
            .suites
            .extend_from_slice(&suites[batch.suites.len()..]);
        batch
            .targets
            .extend_from_slice(&whole.targets[batch.targets.len()..]);
        files.push(PlannedFile {
            path: suite.path.clone(),
            name: suite.name.clone(),
            fingerprint: fingerprint(&suite),
            cases: batch.cases.len(),
            first_suite: batch.cases.first().map(|case| case.suite),
        });
        cases += batch.cases.len();
        if let Err(error) = each(&mut batch) {
            fatal = Some(error);
        }
        batch.cases.clear();
    })?;
    if let Some(error) = fatal {
        return Err(error);
    }
    let mut plan = builder.finish()?;
    if let Some(cut) = cut {
        let (suites, shard) = cut.finish();
        plan.suites = suites;
        plan.shard = Some(shard);
    }
    Ok(PlannedSuites { plan, files, cases })
}

/// Returns a hash of a suite file's text.
fn fingerprint(suite: &Suite) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    suite.source.text.hash(&mut hasher);
    hasher.finish()
}

/// A checked plan that holds no cases: [`StreamedPlan::cases`] plans them again, file by file,
/// as they are sent.
#[derive(Debug)]
pub(crate) struct StreamedPlan {
    /// The plan's suites, targets, warnings, probe seed and shard; its `cases` stay empty.
    pub(crate) plan: TestPlan,
    files: Vec<PlannedFile>,
    cases: usize,
    /// The options the plan was made with, the probe seed fixed to the one it used.
    options: PlanOptions,
    root: PathBuf,
    /// `--repeat`, over what the suites say.
    repeat: Option<u32>,
    /// Why the cases of a suite (by plan index) are held back, when they are.
    held_back: HashMap<usize, String>,
    /// Prompt tokens counted before the run, by plan position (only where a budget needed
    /// them).
    prompt_tokens: Vec<Option<u64>>,
}

impl StreamedPlan {
    /// Keeps what [`plan_each`] planned with `options` so its cases can be planned again.
    #[must_use]
    pub(crate) fn new(planned: PlannedSuites, options: &PlanOptions, root: PathBuf) -> Self {
        let PlannedSuites { plan, files, cases } = planned;
        let options = PlanOptions {
            // The same seed plants the same probe payloads again.
            probe_seed: plan.probe_seed.or(options.probe_seed),
            ..options.clone()
        };
        Self {
            plan,
            files,
            cases,
            options,
            root,
            repeat: None,
            held_back: HashMap::new(),
            prompt_tokens: Vec::new(),
        }
    }

    /// Returns how many cases the plan has.
    #[must_use]
    pub(crate) fn len(&self) -> usize {
        self.cases
    }

    /// Returns whether the plan has no case.
    #[must_use]
    pub(crate) fn is_empty(&self) -> bool {
        self.cases == 0
    }

    /// Sends every case `repeat` times (`--repeat`), over what the suites say.
    pub(crate) fn set_repeat(&mut self, repeat: u32) {
        self.repeat = Some(repeat.max(1));
    }

    /// Holds back the cases of plan suite `suite` (they are reported as skipped, with `reason`).
    pub(crate) fn hold_back(&mut self, suite: usize, reason: String) {
        self.held_back.insert(suite, reason);
    }

    /// Records the prompt tokens of the case at `position`, counted before the run.
    pub(crate) fn set_prompt_tokens(&mut self, position: usize, tokens: u64) {
        if self.prompt_tokens.len() <= position {
            self.prompt_tokens.resize(position + 1, None);
        }
        self.prompt_tokens[position] = Some(tokens);
    }

    /// Returns the prompt tokens of the case at `position` counted before the run, if any.
    #[must_use]
    pub(crate) fn prompt_tokens(&self, position: usize) -> Option<u64> {
        self.prompt_tokens.get(position).copied().flatten()
    }

    /// Hands the cases, in plan order, to `consume` while a thread of their own plans them
    /// (at most `ahead` cases ahead), so reading and rendering suite files runs beside the
    /// run on another core. Returns what `consume` returned and a problem for each suite file
    /// that changed during the run (its cases were handed over as skipped placeholders).
    ///
    /// A plan of one file is planned on the calling thread: with no next file to read while
    /// the run sends, a thread would gain nothing and cost its own allocator arena (~4 MB).
    pub(crate) fn with_cases<T>(
        &self,
        config: &Config,
        ahead: usize,
        consume: impl FnOnce(&mut dyn Iterator<Item = TestInstance>) -> T,
    ) -> Result<(T, Vec<Problem>), Error> {
        if self.files.len() < 2 {
            let mut cases = self.cases(config)?;
            let value = consume(&mut cases);
            return Ok((value, cases.changed));
        }
        std::thread::scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::sync_channel(ahead.max(1));
            let planner = scope.spawn(move || -> Result<Vec<Problem>, Error> {
                let mut cases = self.cases(config)?;
                for case in cases.by_ref() {
                    if sender.send(case).is_err() {
                        break;
                    }
                }
                Ok(cases.changed)
            });
            let mut cases = receiver.into_iter();
            let value = consume(&mut cases);
            // A consumer that stopped early must not leave the planner waiting to hand over.
            drop(cases);
            let changed = planner
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            Ok((value, changed))
        })
    }

    /// Returns the cases in plan order, planned again one file at a time.
    pub(crate) fn cases<'a>(&'a self, config: &'a Config) -> Result<CaseStream<'a>, Error> {
        Ok(CaseStream {
            plan: self,
            builder: PlanBuilder::new(config, &self.options)?,
            cut: self
                .plan
                .shard
                .as_ref()
                .map(|shard| ShardCut::new(shard.shard)),
            next_file: 0,
            queue: VecDeque::new(),
            changed: Vec::new(),
        })
    }
}

/// The cases of a [`StreamedPlan`], in plan order; a file is read and planned again when the
/// first of its cases is needed.
pub(crate) struct CaseStream<'a> {
    plan: &'a StreamedPlan,
    builder: PlanBuilder<'a>,
    cut: Option<ShardCut>,
    next_file: usize,
    queue: VecDeque<TestInstance>,
    changed: Vec<Problem>,
}

impl CaseStream<'_> {
    /// Plans the next file again and queues its cases; false when every file is done.
    fn refill(&mut self) -> bool {
        let Some(file) = self.plan.files.get(self.next_file) else {
            return false;
        };
        self.next_file += 1;
        let cases = self.replan(file).unwrap_or_else(|why| {
            self.changed.push(
                Problem::new(format!(
                    "`{}` changed while the run was in progress: {why}; its cases were not sent",
                    file.name
                ))
                .with_help("run again once the suite files stay put"),
            );
            self.placeholders(file)
        });
        self.queue.extend(cases);
        true
    }

    /// Plans one file again; says why when it no longer gives the cases it gave.
    fn replan(&mut self, file: &PlannedFile) -> Result<Vec<TestInstance>, String> {
        let suite = crate::suite::reload_suite(&file.path, &self.plan.root)
            .map_err(|error| crate::error::with_causes(&error))?;
        if fingerprint(&suite) != file.fingerprint {
            return Err("its text is not the text that was checked".to_owned());
        }
        self.builder
            .add(&suite)
            .map_err(|error| crate::error::with_causes(&error))?;
        let taken = self.builder.take_cases();
        if self.builder.has_problems() {
            return Err("it no longer plans without problems".to_owned());
        }
        let suites = &self.builder.plan().suites;
        let cases: Vec<TestInstance> = match &mut self.cut {
            Some(cut) => taken
                .into_iter()
                .filter_map(|case| cut.keep(case, suites))
                .collect(),
            None => taken,
        };
        if cases.len() != file.cases {
            return Err(format!(
                "it gives {} cases where it gave {}",
                cases.len(),
                file.cases
            ));
        }
        Ok(cases)
    }

    /// Stands in for the cases of a file that could not be planned again: skipped, named by
    /// their place in the file, so the reports still account for every case.
    fn placeholders(&self, file: &PlannedFile) -> Vec<TestInstance> {
        let suite = file.first_suite.unwrap_or_default();
        let target = self
            .plan
            .plan
            .suites
            .get(suite)
            .map_or(0, |planned| planned.target);
        (1..=file.cases)
            .map(|number| {
                let name = format!("#{number}");
                TestInstance {
                    id: super::test_plan::case_id_in(&file.name, &name),
                    suite,
                    name,
                    line: 1,
                    file: None,
                    tags: Vec::new(),
                    messages: Vec::new(),
                    assertions: Vec::new().into(),
                    target,
                    skip: Some(format!(
                        "not run: `{}` changed while the run was in progress",
                        file.name
                    )),
                    mock_answer: None,
                    chat_prompt: false,
                    probe: None,
                    repeat: super::RepeatPolicy::default(),
                    judges: Vec::new().into(),
                    vars: None,
                }
            })
            .collect()
    }
}

impl Iterator for CaseStream<'_> {
    type Item = TestInstance;

    fn next(&mut self) -> Option<TestInstance> {
        while self.queue.is_empty() {
            if !self.refill() {
                return None;
            }
        }
        let mut case = self.queue.pop_front()?;
        if let Some(repeat) = self.plan.repeat {
            case.repeat.repeat = repeat;
        }
        if case.skip.is_none()
            && let Some(reason) = self.plan.held_back.get(&case.suite)
        {
            case.skip = Some(reason.clone());
        }
        Some(case)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Two suite files: one on two targets with a template and a data file, one plain.
    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "suites/a/s.yaml",
            "prompt: {id: p, template: t.j2}\ntarget: [mock, echo]\nvars: {who: Ann}\nprobes: {injection: all, untrusted-vars: [who]}\ncases-from: rows.csv\ncases:\n  - name: x\n    user: hey\n    assert: [{contains: Ann}]\n",
        );
        write(dir.path(), "suites/a/t.j2", "You serve {{ who }}.");
        write(
            dir.path(),
            "suites/a/rows.csv",
            "name,who,user\nr1,Bob,hi\nr2,Cy,yo\nr3,Di,ok\n",
        );
        write(
            dir.path(),
            "suites/b.yaml",
            "cases:\n  - name: one\n    user: hi\n  - name: two\n    user: ho\n",
        );
        dir
    }

    fn plan_with(
        dir: &Path,
        options: &PlanOptions,
        shard: Option<Shard>,
        keep: bool,
    ) -> (PlannedSuites, Vec<TestInstance>) {
        let config = Config::builtin(dir.to_owned());
        let mut kept = Vec::new();
        let load = |add: &mut dyn FnMut(Suite)| {
            crate::suite::for_each_suite(&[PathBuf::from("suites")], dir, dir, &mut *add)
        };
        let planned = plan_each(load, &config, options, shard, |batch| {
            if keep {
                kept.append(&mut batch.cases);
            }
            Ok(())
        })
        .unwrap();
        (planned, kept)
    }

    /// What a case is, for comparing two plans.
    fn shape(case: &TestInstance) -> (String, usize, usize, Vec<String>, Option<String>) {
        let messages = case
            .messages
            .iter()
            .map(|message| message.content.clone())
            .collect();
        (
            case.id.clone(),
            case.suite,
            case.target,
            messages,
            case.skip.clone(),
        )
    }

    #[test]
    fn streamed_cases_are_the_checked_cases_in_order() {
        let dir = project();
        let config = Config::builtin(dir.path().to_owned());
        for shard in [
            None,
            Some(Shard::new(1, 2).unwrap()),
            Some(Shard::new(2, 2).unwrap()),
        ] {
            // No `--seed`: the probes' fresh seed must be the one planned again.
            let (planned, cases) = plan_with(dir.path(), &PlanOptions::default(), shard, true);
            assert!(planned.plan.cases.is_empty());
            let streamed =
                StreamedPlan::new(planned, &PlanOptions::default(), dir.path().to_owned());
            assert_eq!(streamed.len(), cases.len());
            let (again, changed) = streamed
                .with_cases(&config, 2, |stream| {
                    stream.map(|case| shape(&case)).collect::<Vec<_>>()
                })
                .unwrap();
            let expected: Vec<_> = cases.iter().map(shape).collect();
            assert_eq!(again, expected, "shard {shard:?}");
            assert!(changed.is_empty());
            if let Some(cut) = &streamed.plan.shard {
                assert_eq!(cut.positions.len(), cases.len());
            }
        }
        let (planned, cases) = plan_with(dir.path(), &PlanOptions::default(), None, true);
        assert!(planned.plan.probe_seed.is_some());
        let written: Vec<_> = cases
            .iter()
            .filter(|case| case.probe.is_none())
            .map(|case| case.id.as_str())
            .collect();
        // 4 cases on each of two targets, then the plain suite's 2.
        assert_eq!(written.len(), 10, "{written:?}");
        assert_eq!(cases[1].messages[0].content, "You serve Bob.");
    }

    #[test]
    fn repeat_held_back_suites_and_prompt_counts_travel_with_the_cases() {
        let dir = project();
        let config = Config::builtin(dir.path().to_owned());
        let (planned, _) = plan_with(dir.path(), &PlanOptions::default(), None, false);
        let mut streamed =
            StreamedPlan::new(planned, &PlanOptions::default(), dir.path().to_owned());
        streamed.set_repeat(3);
        let last_suite = streamed.plan.suites.len() - 1;
        streamed.hold_back(last_suite, "not run: over budget".to_owned());
        streamed.set_prompt_tokens(9, 42);
        assert_eq!(streamed.prompt_tokens(9), Some(42));
        assert_eq!(streamed.prompt_tokens(8), None);
        let cases: Vec<_> = streamed.cases(&config).unwrap().collect();
        assert!(cases.iter().all(|case| case.repeat.repeat == 3));
        let held: Vec<_> = cases
            .iter()
            .filter(|case| case.skip.as_deref() == Some("not run: over budget"))
            .map(|case| case.id.as_str())
            .collect();
        assert_eq!(held, ["suites/b.yaml::one", "suites/b.yaml::two"]);
    }

    #[test]
    fn a_suite_edited_during_the_run_is_not_sent_and_is_named() {
        let dir = project();
        let config = Config::builtin(dir.path().to_owned());
        let (planned, _) = plan_with(dir.path(), &PlanOptions::default(), None, false);
        let streamed = StreamedPlan::new(planned, &PlanOptions::default(), dir.path().to_owned());
        write(
            dir.path(),
            "suites/b.yaml",
            "cases:\n  - name: one\n    user: changed\n  - name: two\n    user: ho\n",
        );
        let (cases, changed) = streamed
            .with_cases(&config, 2, |stream| stream.collect::<Vec<_>>())
            .unwrap();
        let (untouched, edited) = cases.split_at(cases.len() - 2);
        assert!(untouched.iter().all(|case| case.skip.is_none()));
        let ids: Vec<_> = edited.iter().map(|case| case.id.as_str()).collect();
        assert_eq!(ids, ["suites/b.yaml::#1", "suites/b.yaml::#2"]);
        assert!(edited.iter().all(|case| {
            case.skip
                .as_deref()
                .is_some_and(|reason| reason.contains("`suites/b.yaml` changed"))
        }));
        assert_eq!(changed.len(), 1);
        assert!(
            changed[0]
                .message()
                .contains("`suites/b.yaml` changed while the run was in progress")
        );
    }
}
