//! [`Renderer`]: text templates rendered with minijinja, one environment per directory, and the
//! settings every prompt shares ([`prompt_environment`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior};

use super::Vars;
use super::{ChatTemplate, chat_environment};
use crate::chat::Message;
use crate::config::DEFAULT_RENDER_FUEL;
use crate::error::{Problem, SourceFile};
use crate::util::path::display_path;

/// The render limit of this process, set once from `promptci.yaml` before anything renders.
static RENDER_FUEL: OnceLock<u64> = OnceLock::new();

/// Sets how many steps every later render may take (`limits: render-fuel`); the first call
/// wins.
pub(crate) fn set_render_fuel(fuel: u64) {
    let _ = RENDER_FUEL.set(fuel);
}

/// Returns a template environment with promptci's prompt settings and no loader: undefined
/// variables are errors, nothing is escaped, and default trailing-newline handling.
///
/// Every place that renders a prompt (suites here, registry versions in
/// [`registry`](crate::registry)) starts from this, so an application renders exactly what the
/// suite tested.
#[must_use]
pub(crate) fn prompt_environment() -> Environment<'static> {
    let mut environment = Environment::new();
    // A render that loops without bound stops with an error instead of running forever.
    environment.set_fuel(Some(
        RENDER_FUEL.get().copied().unwrap_or(DEFAULT_RENDER_FUEL),
    ));
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    // Prompts are plain text, not HTML: escaping would corrupt them.
    environment.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    // Keeps the template source in errors so they can point at the line.
    environment.set_debug(true);
    environment
}

/// Renders templates, keeping one environment (and its compiled templates) per directory, and
/// one per directory for chat templates (which keep trailing newlines).
#[derive(Default)]
pub(crate) struct Renderer {
    environments: HashMap<PathBuf, Environment<'static>>,
    chat_environments: HashMap<PathBuf, (Environment<'static>, HashSet<String>)>,
    /// Short templates written inline (assertion values), keyed by their text.
    inline: Option<(Environment<'static>, HashSet<String>)>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("directories", &self.environments.len())
            .field("chat_directories", &self.chat_environments.len())
            .field(
                "inline_templates",
                &self.inline.as_ref().map_or(0, |(_, added)| added.len()),
            )
            .finish()
    }
}

impl Renderer {
    /// Creates a renderer.
    #[must_use]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn environment(&mut self, dir: &Path, root: &Path) -> &Environment<'static> {
        self.environments.entry(dir.to_owned()).or_insert_with(|| {
            let mut environment = prompt_environment();
            environment.set_loader(super::loader::file_loader(dir, root));
            environment
        })
    }

    /// Renders `template` (relative to `dir`) with `vars`. Errors point into the template;
    /// `root` shortens the paths they show.
    pub(crate) fn render(
        &mut self,
        dir: &Path,
        template: &str,
        vars: &Vars,
        root: &Path,
    ) -> Result<String, Problem> {
        let environment = self.environment(dir, root);
        let context = minijinja::Value::from(minijinja::value::Serde(vars));
        environment
            .get_template(template)
            .and_then(|compiled| compiled.render(context))
            .map_err(|error| template_problem(&error, dir, root, vars))
    }
}

impl Renderer {
    /// Renders `text`, a template written inline (an assertion's value), with `context`;
    /// each distinct text is compiled once.
    pub(crate) fn render_inline(
        &mut self,
        text: &str,
        context: &minijinja::Value,
    ) -> Result<String, minijinja::Error> {
        let (environment, added) = self
            .inline
            .get_or_insert_with(|| (prompt_environment(), HashSet::new()));
        if !added.contains(text) {
            environment.add_template_owned(text.to_owned(), text.to_owned())?;
            added.insert(text.to_owned());
        }
        environment.get_template(text)?.render(context)
    }

    /// Renders the messages of the chat template `chat` (in `dir`) with `vars`. Errors point
    /// into the chat file, or into the included file that failed.
    pub(crate) fn render_chat(
        &mut self,
        dir: &Path,
        chat: &ChatTemplate,
        vars: &Vars,
        root: &Path,
    ) -> Result<Vec<Message>, Problem> {
        let (environment, added) = self
            .chat_environments
            .entry(dir.to_owned())
            .or_insert_with(|| (chat_environment(dir, root), HashSet::new()));
        chat.render(environment, added, vars, dir, root)
    }
}

/// Turns a minijinja error into a problem located in the template that failed.
pub(crate) fn template_problem(
    error: &minijinja::Error,
    dir: &Path,
    root: &Path,
    vars: &Vars,
) -> Problem {
    let name = error.name().unwrap_or("template");
    let shown = display_path(&dir.join(name), root);
    let (message, help) = describe_error(error, vars);
    match (error.template_source(), error.range(), error.line()) {
        (Some(text), Some(range), _) => {
            Problem::at(&SourceFile::new(shown, text.to_owned()), range, message).with_help(help)
        }
        (Some(text), None, Some(line)) => {
            Problem::at_line(&SourceFile::new(shown, text.to_owned()), line, 1, message)
                .with_help(help)
        }
        _ => Problem::new(format!("{shown}: {message}")).with_help(help),
    }
}

/// Returns what a minijinja error means and what to do about it, without its location.
pub(crate) fn describe_error(error: &minijinja::Error, vars: &Vars) -> (String, String) {
    let detail = error
        .detail()
        .map(|detail| format!(": {detail}"))
        .unwrap_or_default();
    match error.kind() {
        minijinja::ErrorKind::UndefinedError => {
            let expression = error
                .template_source()
                .zip(error.range())
                .and_then(|(source, range)| source.get(range))
                .unwrap_or("a variable");
            let mut known: Vec<&str> = vars.keys().map(String::as_str).collect();
            known.sort_unstable();
            (
                format!("undefined variable in `{expression}`"),
                format!(
                    "define it in the suite's `vars` or the case's `vars` (defined here: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            )
        }
        minijinja::ErrorKind::TemplateNotFound => (
            format!("template not found{detail}"),
            "included templates are looked up relative to the suite's directory".to_owned(),
        ),
        minijinja::ErrorKind::OutOfFuel => (
            format!(
                "the template took more than {} render steps, the `render-fuel` limit",
                RENDER_FUEL.get().copied().unwrap_or(DEFAULT_RENDER_FUEL)
            ),
            "bound its loops, or raise `limits: render-fuel` in promptci.yaml".to_owned(),
        ),
        minijinja::ErrorKind::SyntaxError => (
            format!("template syntax error{detail}"),
            "see https://docs.rs/minijinja for the supported Jinja syntax".to_owned(),
        ),
        kind => (
            format!("{kind}{detail}"),
            "fix the template expression".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(key, value)| {
                (
                    (*key).to_owned(),
                    serde_json::Value::String((*value).to_owned()),
                )
            })
            .collect()
    }

    #[test]
    fn renders_with_includes_and_strict_undefined() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("system.j2"),
            "Hi {{ name }}.{% include 'footer.j2' %}",
        )
        .unwrap();
        std::fs::write(dir.path().join("footer.j2"), " Bye {{ name }}.").unwrap();
        let mut renderer = Renderer::new();
        let text = renderer
            .render(
                dir.path(),
                "system.j2",
                &vars(&[("name", "Ann")]),
                dir.path(),
            )
            .unwrap();
        assert_eq!(text, "Hi Ann. Bye Ann.");
        let problem = renderer
            .render(dir.path(), "system.j2", &vars(&[]), dir.path())
            .unwrap_err();
        assert_eq!(problem.location(), Some("system.j2:1:7"));
        assert_eq!(problem.message(), "undefined variable in `name`");
    }

    #[test]
    fn values_are_inserted_literally_never_evaluated() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.j2"), "Note: {{ note }}").unwrap();
        let mut renderer = Renderer::new();
        let text = renderer
            .render(
                dir.path(),
                "t.j2",
                &vars(&[("note", "{{ 7 * 7 }} {% if true %}x{% endif %}")]),
                dir.path(),
            )
            .unwrap();
        assert_eq!(text, "Note: {{ 7 * 7 }} {% if true %}x{% endif %}");
    }

    #[test]
    fn syntax_errors_are_located() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.j2"), "line one\n{% if %}").unwrap();
        let problem = Renderer::new()
            .render(dir.path(), "t.j2", &vars(&[]), dir.path())
            .unwrap_err();
        assert!(
            problem
                .location()
                .is_some_and(|at| at.starts_with("t.j2:2:")),
            "{:?}",
            problem.location()
        );
        assert!(
            problem.message().starts_with("template syntax error"),
            "{}",
            problem.message()
        );
    }
}
