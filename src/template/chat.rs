//! Chat templates: [`ChatTemplate`], a YAML or JSON list of `{role, content}` messages whose
//! contents are Jinja templates, and its rendering into messages.
//!
//! Every problem — the file's shape, a syntax error in a content, a variable a case does not
//! define — is located in the chat file itself, at the expression that failed. Contents are
//! rendered exactly as written: the removal of one trailing newline that suits template files
//! does not apply to a YAML string (a `|` block keeps its final newline, `|-` drops it).

use std::collections::HashSet;
use std::path::Path;

use minijinja::Environment;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::Vars;
use crate::chat::{Message, Role};
use crate::error::{InvalidInput, Problem, SourceFile};
use crate::util::path::display_path;
use crate::yaml::{parse_yaml, span_start};

/// A message of a chat file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTurn {
    role: Spanned<Role>,
    content: Spanned<String>,
}

/// One message of a chat template.
#[derive(Debug, Clone)]
struct Turn {
    role: Role,
    /// The content as written: a Jinja template.
    content: String,
    /// Where the content's value starts in the chat file.
    at: (usize, usize),
}

/// A loaded chat template: its messages, checked, and the file's text for diagnostics.
#[derive(Debug, Clone)]
pub(crate) struct ChatTemplate {
    /// The file's name relative to the suite's directory, as `prompt.template` names it.
    name: String,
    source: SourceFile,
    turns: Vec<Turn>,
}

/// Returns whether `template` names a chat file (by its extension) rather than a text template.
pub(crate) fn is_chat_file(template: &str) -> bool {
    Path::new(template)
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            matches!(
                extension.to_ascii_lowercase().as_str(),
                "yaml" | "yml" | "json"
            )
        })
}

/// Returns a prompt environment for chat contents in `dir`: the same settings as every prompt
/// ([`prompt_environment`](super::prompt_environment)), includes resolved in `dir`,
/// and trailing newlines kept.
pub(crate) fn chat_environment(dir: &Path, root: &Path) -> Environment<'static> {
    let mut environment = super::prompt_environment();
    environment.set_loader(super::loader::file_loader(dir, root));
    keep_trailing_newlines(&mut environment);
    environment
}

/// Makes `environment` render contents exactly as written: minijinja's removal of one
/// trailing newline suits template files, not a YAML string.
pub(crate) fn keep_trailing_newlines(environment: &mut Environment<'static>) {
    environment.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are a valid syntax"),
    );
}

impl ChatTemplate {
    /// Reads and checks the chat file `name` in `dir`; `root` shortens the path problems show.
    /// Every problem of the file is reported.
    pub(crate) fn load(dir: &Path, name: &str, root: &Path) -> Result<Self, InvalidInput> {
        let path = dir.join(name);
        let shown = display_path(&path, root);
        let text = crate::util::file::read_text(&path).map_err(|error| {
            InvalidInput::from(Problem::new(format!("cannot read `{shown}`: {error}")))
        })?;
        Self::parse(
            name,
            SourceFile::new(shown, text),
            chat_environment(dir, root),
        )
    }

    /// Reads and checks a chat file's text; `name` is how the prompt names it, `environment`
    /// the one its contents will render in (syntax errors are found in a copy of it now, not
    /// when the first case renders). Every problem of the file is reported.
    pub(crate) fn parse(
        name: &str,
        source: SourceFile,
        mut environment: Environment<'static>,
    ) -> Result<Self, InvalidInput> {
        let raw: Vec<Spanned<RawTurn>> = parse_yaml(&source).map_err(|problem| {
            InvalidInput::from(problem.with_help(
                "a chat template is a list of messages: `- role: system` / `  content: …` (system, user or assistant)",
            ))
        })?;
        let mut problems = InvalidInput::default();
        if raw.is_empty() {
            problems.push(Problem::at_line(
                &source,
                1,
                1,
                "the chat template has no messages",
            ));
        }
        let mut spoken = false;
        let mut turns = Vec::with_capacity(raw.len());
        for turn in raw {
            let RawTurn { role, content } = turn.value;
            if role.value == Role::System && spoken {
                let (line, column) = span_start(&role);
                problems.push(
                    Problem::at_line(
                        &source,
                        line,
                        column,
                        "a `system` message after the conversation has started",
                    )
                    .with_help("put system messages first: APIs such as Anthropic's take the system prompt apart from the turns"),
                );
            }
            spoken |= role.value != Role::System;
            turns.push(Turn {
                role: role.value,
                at: span_start(&content),
                content: content.value,
            });
        }
        let template = Self {
            name: name.to_owned(),
            source,
            turns,
        };
        for index in 0..template.turns.len() {
            if let Err(error) = template.add_to(&mut environment, index) {
                problems.push(template.problem(&error, index, &Vars::new()));
            }
        }
        if problems.is_empty() {
            Ok(template)
        } else {
            Err(problems)
        }
    }

    /// Returns whether the messages end with a `user` message (cases then need no `user:`).
    pub(crate) fn ends_with_user(&self) -> bool {
        self.turns
            .last()
            .is_some_and(|turn| turn.role == Role::User)
    }

    /// Returns whether the template has a system message.
    pub(crate) fn has_system(&self) -> bool {
        self.turns.iter().any(|turn| turn.role == Role::System)
    }

    /// The name content `index` has in an environment: never a file's name.
    fn template_name(&self, index: usize) -> String {
        format!("{}#{}", self.name, index + 1)
    }

    fn add_to(
        &self,
        environment: &mut Environment<'static>,
        index: usize,
    ) -> Result<(), minijinja::Error> {
        environment.add_template_owned(self.template_name(index), self.turns[index].content.clone())
    }

    /// Renders every message with `context`, in `environment` (contents are added to it on
    /// first use), returning the engine's error and the index of the message that failed.
    pub(crate) fn render_context(
        &self,
        environment: &mut Environment<'static>,
        added: &mut HashSet<String>,
        context: &minijinja::Value,
    ) -> Result<Vec<Message>, (usize, minijinja::Error)> {
        let mut messages = Vec::with_capacity(self.turns.len());
        for (index, turn) in self.turns.iter().enumerate() {
            let name = self.template_name(index);
            if added.insert(name.clone()) {
                self.add_to(environment, index)
                    .map_err(|error| (index, error))?;
            }
            let rendered = environment
                .get_template(&name)
                .and_then(|template| template.render(context.clone()))
                .map_err(|error| (index, error))?;
            messages.push(Message::new(turn.role, rendered));
        }
        Ok(messages)
    }

    /// Renders every message with `vars`, in `environment` (from [`chat_environment`] for the
    /// suite's directory; contents are added to it on first use). Errors point into the chat
    /// file, or into the included file that failed.
    pub(crate) fn render(
        &self,
        environment: &mut Environment<'static>,
        added: &mut HashSet<String>,
        vars: &Vars,
        dir: &Path,
        root: &Path,
    ) -> Result<Vec<Message>, Problem> {
        let context = minijinja::Value::from(minijinja::value::Serde(vars));
        self.render_context(environment, added, &context)
            .map_err(|(index, error)| {
                if error.name() == Some(self.template_name(index).as_str()) {
                    self.problem(&error, index, vars)
                } else {
                    super::template_problem(&error, dir, root, vars)
                }
            })
    }

    /// Locates an error of content `index` in the chat file: the failing line of the content is
    /// looked up in the file's lines from where the content starts (exact for plain, quoted and
    /// `|` block contents); when it cannot be found, the content's start is used.
    fn problem(&self, error: &minijinja::Error, index: usize, vars: &Vars) -> Problem {
        let (message, help) = super::describe_error(error, vars);
        let turn = &self.turns[index];
        let content_line = error.line().unwrap_or(1);
        let column_in_line = error.range().map_or(0, |range| {
            let start = range.start.min(turn.content.len());
            let line_start = turn.content[..start].rfind('\n').map_or(0, |at| at + 1);
            turn.content[line_start..start].chars().count()
        });
        let wanted = turn.content.split('\n').nth(content_line - 1).unwrap_or("");
        let found = (!wanted.trim().is_empty())
            .then(|| {
                self.source
                    .text
                    .split('\n')
                    .enumerate()
                    .skip(turn.at.0 - 1)
                    .take(content_line + 2)
                    .find_map(|(number, line)| {
                        let byte = line.find(wanted)?;
                        Some((
                            number + 1,
                            line[..byte].chars().count() + column_in_line + 1,
                        ))
                    })
            })
            .flatten();
        let (line, column, message) = match found {
            Some((line, column)) => (line, column, message),
            None => (
                turn.at.0,
                turn.at.1,
                format!(
                    "{message} (line {content_line} of message {}'s content)",
                    index + 1
                ),
            ),
        };
        Problem::at_line(&self.source, line, column, message).with_help(help)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), serde_json::Value::from(*value)))
            .collect()
    }

    fn load(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<ChatTemplate, InvalidInput>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let template = ChatTemplate::load(dir.path(), files[0].0, dir.path());
        (dir, template)
    }

    fn render(dir: &Path, template: &ChatTemplate, vars: &Vars) -> Result<Vec<Message>, Problem> {
        let mut environment = chat_environment(dir, dir);
        template.render(&mut environment, &mut HashSet::new(), vars, dir, dir)
    }

    fn located(input: &InvalidInput) -> Vec<String> {
        input
            .problems
            .iter()
            .map(|problem| {
                format!(
                    "{}: {}",
                    problem.location().unwrap_or("-"),
                    problem.message()
                )
            })
            .collect()
    }

    #[test]
    fn renders_every_content_with_includes_and_keeps_newlines_as_written() {
        let (dir, template) = load(&[
            (
                "chat.yaml",
                "- role: system\n  content: You are {{ persona }}. {% include 'rules.j2' %}\n- role: user\n  content: |\n    Hi\n    there\n- role: assistant\n  content: |-\n    Hello\n- role: user\n  content: \"{{ q }}\"\n",
            ),
            ("rules.j2", "Be brief."),
        ]);
        let template = template.unwrap();
        assert!(template.ends_with_user() && template.has_system());
        let messages = render(
            dir.path(),
            &template,
            &vars(&[("persona", "a tutor"), ("q", "Why?")]),
        )
        .unwrap();
        let pairs: Vec<(&str, &str)> = messages
            .iter()
            .map(|message| (message.role.as_str(), message.content.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("system", "You are a tutor. Be brief."),
                ("user", "Hi\nthere\n"),
                ("assistant", "Hello"),
                ("user", "Why?")
            ]
        );
    }

    #[test]
    fn json_files_with_tabs_load_like_yaml() {
        let (dir, template) = load(&[(
            "chat.json",
            "[\n\t{\"role\": \"system\", \"content\": \"Say {{ x }}\\n\"},\n\t{\"role\": \"user\", \"content\": \"Hi\"}\n]\n",
        )]);
        let messages = render(dir.path(), &template.unwrap(), &vars(&[("x", "hi")])).unwrap();
        assert_eq!(messages[0].content, "Say hi\n");
    }

    #[test]
    fn undefined_variables_point_into_the_chat_file() {
        let (dir, template) = load(&[(
            "chat.yaml",
            "- role: system\n  content: You help {{ company }}.\n- role: user\n  content: |\n    Line one.\n    Tell me about {{ missing_thing }}.\n",
        )]);
        let template = template.unwrap();
        let problem = render(dir.path(), &template, &vars(&[("company", "Acme")])).unwrap_err();
        assert_eq!(problem.location(), Some("chat.yaml:6:22"));
        assert_eq!(problem.message(), "undefined variable in `missing_thing`");
        let problem = render(dir.path(), &template, &vars(&[])).unwrap_err();
        assert_eq!(problem.location(), Some("chat.yaml:2:24"));
    }

    #[test]
    fn shape_syntax_and_order_problems_are_all_located() {
        let (_dir, template) = load(&[(
            "chat.yaml",
            "- role: user\n  content: \"{% if %}\"\n- role: system\n  content: late\n",
        )]);
        let problems = located(&template.unwrap_err());
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0].starts_with("chat.yaml:3:9: a `system` message after"),
            "{problems:#?}"
        );
        assert!(
            problems[1].starts_with("chat.yaml:2:") && problems[1].contains("syntax error"),
            "{problems:#?}"
        );

        let (_dir, template) = load(&[("chat.yaml", "- role: robot\n  content: hi\n")]);
        let problems = located(&template.unwrap_err());
        assert!(
            problems[0].starts_with("chat.yaml:1:9: unknown variant `robot`"),
            "{problems:#?}"
        );

        let (_dir, template) = load(&[("chat.yaml", "role: user\ncontent: hi\n")]);
        assert_eq!(template.unwrap_err().problems.len(), 1);
        let (_dir, template) = load(&[("chat.yaml", "[]\n")]);
        assert_eq!(
            located(&template.unwrap_err()),
            ["chat.yaml:1:1: the chat template has no messages"]
        );
    }

    #[test]
    fn chat_files_are_told_apart_by_extension() {
        assert!(is_chat_file("a/chat.yaml") && is_chat_file("x.YML") && is_chat_file("c.json"));
        assert!(!is_chat_file("system.j2") && !is_chat_file("prompt.txt"));
    }
}
