//! [`JudgePrompt`]: the Jinja template a grader is asked with, built in or a suite's own.
//!
//! A judge prompt is a chat file (a YAML or JSON list of `{role, content}`, each `content` a
//! Jinja template) or any other file, which becomes one user message. It is rendered per judge
//! call with the conversation the target saw, the answer and the assertion's text, in the same
//! strict environment as prompts. A suite's template is checked when the plan is built (its
//! syntax, and that it names no variable a judge call does not set), so a typo is a located
//! error before any request.

use std::path::Path;
use std::sync::Arc;

use minijinja::Environment;
use serde::{Deserialize, Serialize};

use crate::chat::{Message, Role};
use crate::error::{Problem, SourceFile};
use crate::suite::Vars;
use crate::template::prompt_environment;
use crate::util::hash::sha256_hex;

/// Which judgement a prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum JudgeKind {
    /// `rubric`.
    Rubric,
    /// `factuality`.
    Factuality,
    /// `ab --judge`: which of two answers is better.
    Pairwise,
}

impl JudgeKind {
    /// Returns the built-in template's text.
    fn builtin(self) -> &'static str {
        match self {
            Self::Rubric => include_str!("judge_templates/rubric.yaml"),
            Self::Factuality => include_str!("judge_templates/factuality.yaml"),
            Self::Pairwise => include_str!("judge_templates/pairwise.yaml"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Rubric => "rubric",
            Self::Factuality => "factuality",
            Self::Pairwise => "pairwise",
        }
    }
}

/// What a judge prompt is rendered with.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct JudgeContext<'a> {
    /// The messages the target saw.
    pub(crate) conversation: &'a [Message],
    /// The last user message.
    pub(crate) question: &'a str,
    /// The answer under judgement (`rubric`, `factuality`).
    pub(crate) answer: &'a str,
    /// The rubric (`rubric`, pairwise).
    pub(crate) rubric: &'a str,
    /// The reference answer (`factuality`).
    pub(crate) reference: &'a str,
    /// The answer shown first (pairwise).
    pub(crate) first: &'a str,
    /// The answer shown second (pairwise).
    pub(crate) second: &'a str,
    /// The case's variables.
    pub(crate) vars: Option<&'a Vars>,
}

/// The variables a judge prompt is rendered with.
const VARIABLES: &[&str] = &[
    "conversation",
    "question",
    "answer",
    "rubric",
    "reference",
    "first",
    "second",
    "vars",
];

/// One message of a chat file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    role: Role,
    content: String,
}

/// A compiled judge prompt.
pub(crate) struct JudgePrompt {
    /// The template's name as shown in errors (`built-in rubric`, `suites/judge.yaml`).
    name: String,
    /// The first 16 hex digits of the SHA-256 of the template's text.
    hash: String,
    /// The role of each message; message `i` is template `i` of `environment`.
    roles: Vec<Role>,
    environment: Environment<'static>,
}

impl std::fmt::Debug for JudgePrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JudgePrompt")
            .field("name", &self.name)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl JudgePrompt {
    /// Returns the built-in prompt of `kind`.
    pub(crate) fn builtin(kind: JudgeKind) -> Arc<Self> {
        Arc::new(
            Self::parse(&format!("built-in {}", kind.name()), kind.builtin(), true)
                .expect("the built-in judge prompts are valid"),
        )
    }

    /// Loads a suite's judge prompt `file` (relative to `dir`), written at `line:column` of
    /// `suite`, and checks the names it uses.
    pub(crate) fn load(
        dir: &Path,
        file: &str,
        suite: &SourceFile,
        (line, column): (usize, usize),
    ) -> Result<Arc<Self>, Problem> {
        let path = dir.join(file);
        let at = |message: String| Problem::at_line(suite, line, column, message);
        let text = std::fs::read_to_string(&path)
            .map_err(|error| at(format!("cannot read judge template `{file}`: {error}")))?;
        let chat = Path::new(file)
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| matches!(extension, "yaml" | "yml" | "json"));
        let prompt = Self::parse(file, &text, chat).map_err(|message| {
            at(format!("judge template `{file}`: {message}"))
                .with_help("a chat template is a list of `{role, content}`; any other file is one user message")
        })?;
        for index in 0..prompt.roles.len() {
            let template = prompt
                .environment
                .get_template(&index.to_string())
                .expect("every message was added as a template");
            let mut unknown: Vec<String> = template
                .undeclared_variables(false)
                .into_iter()
                .filter(|name| !VARIABLES.contains(&name.as_str()))
                .collect();
            unknown.sort();
            if let Some(name) = unknown.first() {
                return Err(at(format!(
                    "judge template `{file}`, message {}: undefined variable `{name}`",
                    index + 1
                ))
                .with_help(format!(
                    "a judge prompt can use {}; the case's variables are under `vars`",
                    crate::util::format::BacktickList(VARIABLES)
                )));
            }
        }
        Ok(Arc::new(prompt))
    }

    fn parse(name: &str, text: &str, chat: bool) -> Result<Self, String> {
        let messages: Vec<RawMessage> = if chat {
            serde_saphyr::from_str(text).map_err(|error| error.to_string())?
        } else {
            vec![RawMessage {
                role: Role::User,
                content: text.to_owned(),
            }]
        };
        if messages.is_empty() {
            return Err("it has no messages".to_owned());
        }
        let mut environment = prompt_environment();
        let mut roles = Vec::with_capacity(messages.len());
        for (index, message) in messages.into_iter().enumerate() {
            environment
                .add_template_owned(index.to_string(), message.content)
                .map_err(|error| format!("message {}: {error}", index + 1))?;
            roles.push(message.role);
        }
        Ok(Self {
            name: name.to_owned(),
            hash: sha256_hex(text.as_bytes())[..16].to_owned(),
            roles,
            environment,
        })
    }

    /// Returns the hash reports show beside a verdict: it names the prompt that judged.
    pub(crate) fn hash(&self) -> &str {
        &self.hash
    }

    /// Renders the messages sent to the grader.
    pub(crate) fn render(&self, context: &JudgeContext<'_>) -> Result<Vec<Message>, String> {
        self.roles
            .iter()
            .enumerate()
            .map(|(index, role)| {
                let template = self
                    .environment
                    .get_template(&index.to_string())
                    .expect("every message was added as a template");
                let text = template
                    .render(minijinja::value::Serde(context))
                    .map_err(|error| {
                        format!(
                            "message {} of `{}`: {}",
                            index + 1,
                            self.name,
                            error.detail().unwrap_or(&error.to_string())
                        )
                    })?;
                Ok(Message::new(*role, text))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation() -> Vec<Message> {
        vec![
            Message::new(Role::System, "You are Ada."),
            Message::new(Role::User, "How long do refunds take?"),
        ]
    }

    #[test]
    fn the_builtin_rubric_prompt_renders_every_part() {
        let prompt = JudgePrompt::builtin(JudgeKind::Rubric);
        let conversation = conversation();
        let messages = prompt
            .render(&JudgeContext {
                conversation: &conversation,
                question: "How long do refunds take?",
                answer: "Five days.",
                rubric: "Names the days",
                ..JudgeContext::default()
            })
            .unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].role, Role::System);
        assert!(
            messages[0].content.contains("JSON"),
            "{}",
            messages[0].content
        );
        let user = &messages[1].content;
        assert!(
            user.contains(
                "[system]\nYou are Ada.\n[user]\nHow long do refunds take?\n</conversation>"
            ),
            "{user}"
        );
        assert!(user.contains("<answer>\nFive days.\n</answer>"), "{user}");
        assert!(
            user.contains("<rubric>\nNames the days\n</rubric>"),
            "{user}"
        );
        assert_eq!(prompt.hash().len(), 16);
    }

    #[test]
    fn every_builtin_prompt_parses_and_they_differ() {
        let kinds = [
            JudgeKind::Rubric,
            JudgeKind::Factuality,
            JudgeKind::Pairwise,
        ];
        let hashes: std::collections::HashSet<String> = kinds
            .into_iter()
            .map(|kind| JudgePrompt::builtin(kind).hash().to_owned())
            .collect();
        assert_eq!(hashes.len(), 3);
    }

    #[test]
    fn a_suites_template_with_an_undefined_name_is_a_located_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("judge.yaml"),
            "- role: user\n  content: \"{{ nonsense }}\"\n",
        )
        .unwrap();
        let suite = SourceFile::new("suites/s.yaml", "a\nrubric-template: judge.yaml\n");
        let error = JudgePrompt::load(dir.path(), "judge.yaml", &suite, (2, 18)).unwrap_err();
        assert_eq!(error.location(), Some("suites/s.yaml:2:18"));
        assert!(error.message().contains("nonsense"), "{}", error.message());
        std::fs::write(
            dir.path().join("plain.j2"),
            "Grade {{ answer }} by {{ rubric }}.",
        )
        .unwrap();
        let plain = JudgePrompt::load(dir.path(), "plain.j2", &suite, (2, 18)).unwrap();
        let messages = plain
            .render(&JudgeContext {
                answer: "A",
                rubric: "R",
                ..JudgeContext::default()
            })
            .unwrap();
        assert_eq!(messages, [Message::new(Role::User, "Grade A by R.")]);
    }
}
