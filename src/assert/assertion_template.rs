//! [`AssertionTemplate`]: an assertion as a suite holds it — compiled once when none of its
//! string arguments is a template, else kept as written and rendered with each case's
//! variables ([`AssertionTemplate::instantiate`]).
//!
//! Rendering is strict: a variable the case does not define is an error located at the
//! assertion, never an empty string that would make `contains: "{{ city }}"` pass on anything.

use std::sync::Arc;

use serde_saphyr::Spanned;

use super::templated::has_templates;
use super::{Assertion, AssertionSpec, CompileContext};
use crate::error::{InvalidInput, Problem};
use crate::template::Vars;
use crate::yaml::span_start;

/// An assertion of a case, before the case's variables are known.
#[derive(Debug, Clone)]
pub(crate) enum AssertionTemplate {
    /// No string argument is a template: compiled once, shared by every case.
    Ready(Assertion),
    /// Some string argument is a template: rendered and compiled per case.
    Templated(Arc<TemplatedSpec>),
}

/// An assertion whose string arguments include templates.
#[derive(Debug)]
pub(crate) struct TemplatedSpec {
    /// The assertion as written.
    spec: Spanned<AssertionSpec>,
    /// Where it is written when that is not the suite file (an `assert` cell of a data file).
    cell: Option<Cell>,
}

/// A place outside the suite file where an assertion is written: problems are reported there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    /// `file:line:column`.
    pub(crate) location: String,
    /// What the place is, as problems name it: ``column `assert` ``.
    pub(crate) label: String,
}

impl Cell {
    /// Returns `problem` moved to this cell: its spans point into the cell's text, which has
    /// no file to quote.
    pub(crate) fn relocate(&self, problem: &Problem) -> Problem {
        let located = Problem::located(
            self.location.clone(),
            format!("{}: {}", self.label, problem.message()),
        );
        match problem.help() {
            Some(help) => located.with_help(help.to_owned()),
            None => located,
        }
    }
}

/// The help of every problem rendering an assertion's template.
const RAW_HELP: &str = "assertion values are templates rendered with the case's variables; define the variable in the suite's or the case's `vars`, or write literal braces as `{% raw %}{{ … }}{% endraw %}`";

impl AssertionTemplate {
    /// Compiles `specs` as written in the suite file, recording every bad one in `problems`:
    /// a spec with templates has their syntax checked now and is kept to render per case.
    pub(crate) fn compile_all(
        specs: &[Spanned<AssertionSpec>],
        context: CompileContext<'_>,
        problems: &mut InvalidInput,
    ) -> Vec<Self> {
        specs
            .iter()
            .filter_map(|spec| {
                Self::compile(spec.clone(), None, context)
                    .map_err(|problem| problems.push(problem))
                    .ok()
            })
            .collect()
    }

    /// Compiles one spec; `cell` says where it is written when not in the suite file (its
    /// spans then point into the cell's text, and problems are reported at the cell).
    pub(crate) fn compile(
        spec: Spanned<AssertionSpec>,
        cell: Option<Cell>,
        context: CompileContext<'_>,
    ) -> Result<Self, Problem> {
        let relocated = |problem: Problem| match &cell {
            Some(cell) => cell.relocate(&problem),
            None => problem,
        };
        if !has_templates(&spec) {
            return Assertion::compile(&spec, context)
                .map(Self::Ready)
                .map_err(relocated);
        }
        let templated = TemplatedSpec { spec, cell };
        let environment = crate::template::prompt_environment();
        for text in templated.spec.value.templates() {
            if let Err(error) = environment.template_from_str(&text) {
                return Err(templated.problem(&error, &Vars::new(), context));
            }
        }
        Ok(Self::Templated(Arc::new(templated)))
    }

    /// Returns whether the assertion depends on the case's variables.
    #[must_use]
    pub(crate) fn is_templated(&self) -> bool {
        matches!(self, Self::Templated(_))
    }

    /// Returns the variables the assertion's templates read (none for a compiled one).
    #[must_use]
    pub(crate) fn variables(&self) -> std::collections::BTreeSet<String> {
        match self {
            Self::Ready(_) => std::collections::BTreeSet::new(),
            Self::Templated(templated) => templated
                .spec
                .value
                .templates()
                .iter()
                .filter_map(|text| crate::template::undeclared_variables(text))
                .flatten()
                .collect(),
        }
    }

    /// Returns the assertion for a case: `render` renders one template with the case's
    /// variables `vars` (those also name the defined variables in an error's help).
    pub(crate) fn instantiate(
        &self,
        render: &mut impl FnMut(&str) -> Result<String, minijinja::Error>,
        vars: &Vars,
        context: CompileContext<'_>,
    ) -> Result<Assertion, Problem> {
        match self {
            Self::Ready(assertion) => Ok(assertion.clone()),
            Self::Templated(templated) => templated.instantiate(render, vars, context),
        }
    }
}

impl TemplatedSpec {
    fn instantiate(
        &self,
        render: &mut impl FnMut(&str) -> Result<String, minijinja::Error>,
        vars: &Vars,
        context: CompileContext<'_>,
    ) -> Result<Assertion, Problem> {
        let mut spec = self.spec.clone();
        spec.value
            .render_templates(render)
            .map_err(|error| self.problem(&error, vars, context))?;
        Assertion::compile(&spec, context).map_err(|problem| match &self.cell {
            Some(cell) => cell.relocate(&problem),
            None => problem,
        })
    }

    /// Returns a rendering problem located at the assertion.
    fn problem(
        &self,
        error: &minijinja::Error,
        vars: &Vars,
        context: CompileContext<'_>,
    ) -> Problem {
        let (message, _) = crate::template::describe_error(error, vars);
        let mut defined: Vec<&str> = vars.keys().map(String::as_str).collect();
        defined.sort_unstable();
        let help = format!(
            "{RAW_HELP} (defined here: {})",
            if defined.is_empty() {
                "none".to_owned()
            } else {
                defined.join(", ")
            }
        );
        if let Some(cell) = &self.cell {
            Problem::located(cell.location.clone(), format!("{}: {message}", cell.label))
                .with_help(help)
        } else {
            let (line, column) = span_start(&self.spec);
            Problem::at_line(context.source, line, column, message).with_help(help)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert::Compiled;
    use crate::error::SourceFile;

    fn specs(source: &SourceFile) -> Vec<Spanned<AssertionSpec>> {
        crate::yaml::parse_yaml(source).unwrap()
    }

    fn render(vars: &Vars) -> impl FnMut(&str) -> Result<String, minijinja::Error> + '_ {
        let environment = crate::template::prompt_environment();
        let context = minijinja::Value::from(minijinja::value::Serde(vars));
        move |text: &str| environment.render_str(text, context.clone())
    }

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), serde_json::Value::from(*value)))
            .collect()
    }

    #[test]
    fn templated_values_render_per_case_and_the_rest_compile_once() {
        let source = SourceFile::new(
            "s.yaml",
            "- contains: '{{ city }}'\n- max-chars: 10\n- regex: '^{{ greeting }}, '\n",
        );
        let compiled = Compiled::default();
        let context = CompileContext {
            source: &source,
            dir: std::path::Path::new("."),
            compiled: &compiled,
        };
        let mut problems = InvalidInput::default();
        let templates = AssertionTemplate::compile_all(&specs(&source), context, &mut problems);
        assert!(problems.is_empty());
        let kinds: Vec<bool> = templates
            .iter()
            .map(AssertionTemplate::is_templated)
            .collect();
        assert_eq!(kinds, [true, false, true]);
        let case = vars(&[("city", "Paris"), ("greeting", "Hi")]);
        let output = crate::chat::ModelOutput {
            text: "Hi, Paris!".to_owned(),
            ..crate::chat::ModelOutput::default()
        };
        for template in &templates {
            let assertion = template
                .instantiate(&mut render(&case), &case, context)
                .unwrap();
            assert!(assertion.evaluate(&output).passed, "{assertion:?}");
        }
        let rome = vars(&[("city", "Rome"), ("greeting", "Hi")]);
        let assertion = templates[0]
            .instantiate(&mut render(&rome), &rome, context)
            .unwrap();
        assert_eq!(assertion.evaluate(&output).reason, "missing `Rome`");
    }

    #[test]
    fn problems_are_located_at_the_assertion_or_its_cell() {
        let source = SourceFile::new("s.yaml", "- contains: '{{ city }}'\n- equals: '{{ oops'\n");
        let compiled = Compiled::default();
        let context = CompileContext {
            source: &source,
            dir: std::path::Path::new("."),
            compiled: &compiled,
        };
        let mut problems = InvalidInput::default();
        let templates = AssertionTemplate::compile_all(&specs(&source), context, &mut problems);
        assert_eq!(templates.len(), 1);
        assert_eq!(
            problems.problems.len(),
            1,
            "the syntax error is found at load time"
        );
        assert_eq!(problems.problems[0].location(), Some("s.yaml:2:3"));
        let empty = Vars::new();
        let problem = templates[0]
            .instantiate(&mut render(&empty), &empty, context)
            .unwrap_err();
        assert_eq!(problem.location(), Some("s.yaml:1:3"));
        assert_eq!(problem.message(), "undefined variable in `city`");
        assert!(problem.help().unwrap().contains("{% raw %}"));

        let cell = Cell {
            location: "rows.csv:4:3".to_owned(),
            label: "column `assert`".to_owned(),
        };
        let regex = SourceFile::new("cell", "regex: '({{ x }}'\n");
        let spec: Spanned<AssertionSpec> = crate::yaml::parse_yaml(&regex).unwrap();
        let template = AssertionTemplate::compile(spec, Some(cell), context).unwrap();
        let x = vars(&[("x", "a")]);
        let problem = template
            .instantiate(&mut render(&x), &x, context)
            .unwrap_err();
        assert_eq!(problem.location(), Some("rows.csv:4:3"));
        assert!(
            problem
                .message()
                .starts_with("column `assert`: invalid regex"),
            "{}",
            problem.message()
        );
    }
}
