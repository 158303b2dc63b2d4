//! Who judges a case's model-graded assertions: each [`JudgeLeaf`] names the grader (or
//! embedder) target that answers it and the prompt it is asked with.
//!
//! A grader is an ordinary target: it joins the plan's targets, so its calls share the
//! scheduler's limits, retries, breaker, cache and recordings. The first of these names
//! decides: `--grader`, the assertion's `grader:`, the suite's, then `promptci.yaml`'s. When
//! the case's target replays recordings, a live grader replays too (unless `--grader` says
//! otherwise), so a recorded run is judged again offline with the recorded verdicts.

use std::collections::HashMap;
use std::sync::Arc;

use super::judge_prompt::{JudgeKind, JudgePrompt};
use crate::assert::Assertion;
use crate::assert::judge::{Check, Judged};
use crate::config::{Config, ProviderKind, Target};
use crate::error::{InvalidInput, Problem};
use crate::suite::Suite;

/// How one model-graded assertion of a case is judged.
#[derive(Debug, Clone)]
pub(crate) struct JudgeLeaf {
    /// The index of the grader or embedder in the plan's targets.
    pub(crate) target: usize,
    /// The prompt the grader is asked with (`None` for an embedder).
    pub(crate) prompt: Option<Arc<JudgePrompt>>,
}

/// Resolves graders and judge prompts while a plan is built, adding graders to its targets.
#[derive(Debug, Default)]
pub(crate) struct JudgeResolver {
    /// `--grader`: judges every model-graded assertion.
    pub(crate) grader_override: Option<String>,
    builtin: HashMap<JudgeKind, Arc<JudgePrompt>>,
    /// Suites' own prompts by suite path and kind, or the message of why one failed to load
    /// (repeated with the same location, so the plan reports it once).
    loaded: HashMap<(String, JudgeKind), Result<Arc<JudgePrompt>, String>>,
}

impl JudgeResolver {
    /// Creates a resolver honouring `--grader`.
    pub(crate) fn new(grader_override: Option<String>) -> Self {
        Self {
            grader_override,
            ..Self::default()
        }
    }

    /// Returns the judge leaves of `assertions` (in [`Assertion::judged_leaves`] order),
    /// adding their targets to `targets`; `None` when something is wrong (reported).
    #[expect(
        clippy::too_many_arguments,
        reason = "the plan's state, passed down once"
    )]
    pub(crate) fn leaves(
        &mut self,
        assertions: &[Assertion],
        suite: &Suite,
        case_target: usize,
        config: &Config,
        targets: &mut Vec<Target>,
        target_index: &mut HashMap<String, usize>,
        problems: &mut InvalidInput,
    ) -> Option<Vec<JudgeLeaf>> {
        let case_target = targets[case_target].clone();
        let case_target = &case_target;
        let mut leaves = Vec::new();
        let mut ok = true;
        for judged in Assertion::judged_leaves(assertions) {
            match self.leaf(judged, suite, case_target, config, targets, target_index) {
                Ok(leaf) => leaves.push(leaf),
                Err(problem) => {
                    ok = false;
                    let known = problems.problems.iter().any(|known| {
                        known.message() == problem.message()
                            && known.location() == problem.location()
                    });
                    if !known {
                        problems.push(problem);
                    }
                }
            }
        }
        ok.then_some(leaves)
    }

    fn leaf(
        &mut self,
        judged: &Judged,
        suite: &Suite,
        case_target: &Target,
        config: &Config,
        targets: &mut Vec<Target>,
        target_index: &mut HashMap<String, usize>,
    ) -> Result<JudgeLeaf, Problem> {
        let (line, column) = judged.at;
        let at = |message: String| Problem::at_line(&suite.source, line, column, message);
        let (role, suite_choice, config_choice) = if judged.embeds() {
            (
                "embedder",
                suite.embedder.as_ref(),
                config.embedder.as_ref(),
            )
        } else {
            ("grader", suite.grader.as_ref(), config.grader.as_ref())
        };
        let named = self.grader_override.as_ref().filter(|_| !judged.embeds());
        let name = named
            .or(judged.grader.as_ref())
            .or(suite_choice.map(|(name, _, _)| name))
            .or(config_choice)
            .ok_or_else(|| {
                at(format!("`{}` needs a{} {role}", judged.kind(), if role == "embedder" { "n" } else { "" }))
                    .with_help(format!(
                        "name a target that {}: `{role}: NAME` in promptci.yaml, in the suite, or on the assertion",
                        if judged.embeds() { "serves embeddings" } else { "judges answers" }
                    ))
            })?;
        let mut target = config
            .named_target(name)
            .map_err(|message| at(format!("{role} `{name}`: {message}")))?;
        if case_target.provider == ProviderKind::Replay
            && target.provider.is_live()
            && named.is_none()
        {
            target = case_target.clone();
        }
        if judged.embeds() && target.provider == ProviderKind::Anthropic {
            return Err(at(format!(
                "embedder `{}` is an Anthropic target, and the Anthropic API has no embeddings",
                target.name
            ))
            .with_help("name an OpenAI-compatible target that serves `/v1/embeddings`"));
        }
        let index = *target_index.entry(target.name.clone()).or_insert_with(|| {
            targets.push(target);
            targets.len() - 1
        });
        let prompt = match judged.check {
            Check::Rubric { .. } => Some(self.prompt(JudgeKind::Rubric, suite)?),
            Check::Factuality { .. } => Some(self.prompt(JudgeKind::Factuality, suite)?),
            Check::Similar { .. } => None,
        };
        Ok(JudgeLeaf {
            target: index,
            prompt,
        })
    }

    /// Returns the prompt a suite judges `kind` with: its own template, else the built-in.
    pub(crate) fn prompt(
        &mut self,
        kind: JudgeKind,
        suite: &Suite,
    ) -> Result<Arc<JudgePrompt>, Problem> {
        let written = match kind {
            JudgeKind::Rubric => &suite.judge_templates.rubric,
            JudgeKind::Factuality => &suite.judge_templates.factuality,
            JudgeKind::Pairwise => &suite.judge_templates.pairwise,
        };
        let Some((file, line, column)) = written else {
            return Ok(Arc::clone(
                self.builtin
                    .entry(kind)
                    .or_insert_with(|| JudgePrompt::builtin(kind)),
            ));
        };
        let key = (suite.name.clone(), kind);
        if let Some(loaded) = self.loaded.get(&key) {
            return loaded
                .clone()
                .map_err(|message| Problem::at_line(&suite.source, *line, *column, message));
        }
        let loaded = JudgePrompt::load(&suite.dir, file, &suite.source, (*line, *column));
        self.loaded.insert(
            key,
            loaded
                .as_ref()
                .map(Arc::clone)
                .map_err(|problem| problem.message().to_owned()),
        );
        loaded
    }
}
