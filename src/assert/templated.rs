//! Templated assertion values: which string arguments of an [`AssertionSpec`] are Jinja
//! templates, and rendering them for one case.
//!
//! A string is a template only when it holds `{{` or `{%` (so a shell's `${#word}` stays text,
//! and every other string costs nothing). The arguments that may be templates are the texts an
//! assertion compares with (including a rubric, a factuality reference and the texts of
//! `similar`), the regex patterns (compiled after rendering), a JSON schema given as a path,
//! and the arguments of a `command` written as a list. A `command` written as one
//! string runs through `sh -c`, so it is never rendered: a variable's value would run as shell
//! code.

use serde_saphyr::Spanned;

use super::AssertionSpec;

/// Returns whether `text` is a template.
#[must_use]
pub(crate) fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

impl AssertionSpec {
    /// Calls `render` on every string argument that is a template, replacing it with the
    /// result, depth first in written order; stops at the first error.
    pub(crate) fn render_templates<E>(
        &mut self,
        render: &mut impl FnMut(&str) -> Result<String, E>,
    ) -> Result<(), E> {
        let mut one = |text: &mut String| -> Result<(), E> {
            if is_template(text) {
                *text = render(text)?;
            }
            Ok(())
        };
        match self {
            Self::Equals(text)
            | Self::StartsWith(text)
            | Self::EndsWith(text)
            | Self::Regex(text)
            | Self::NotRegex(text) => one(text)?,
            Self::Contains(many)
            | Self::Icontains(many)
            | Self::ContainsAny(many)
            | Self::IcontainsAny(many)
            | Self::NotContains(many)
            | Self::NotIcontains(many) => {
                for text in &mut many.0 {
                    one(text)?;
                }
            }
            Self::Command(argv) if argv.0.len() > 1 => {
                for text in &mut argv.0 {
                    one(text)?;
                }
            }
            Self::JsonSchema(serde_json::Value::String(path)) => one(path)?,
            Self::Rubric(rubric) => one(&mut rubric.text)?,
            Self::Factuality(factuality) => one(&mut factuality.reference)?,
            Self::Similar(similar) => {
                for text in &mut similar.text.0 {
                    one(text)?;
                }
            }
            Self::Any(children) | Self::All(children) => {
                for child in children {
                    child.value.render_templates(render)?;
                }
            }
            Self::Not(inner) => inner.value.render_templates(render)?,
            Self::Command(_)
            | Self::JsonSchema(_)
            | Self::IsJson(_)
            | Self::MaxChars(_)
            | Self::MinChars(_)
            | Self::MaxLatencyMs(_)
            | Self::MaxTtftMs(_) => {}
        }
        Ok(())
    }

    /// Returns every string argument that is a template, in written order (for finding the
    /// variables a suite's assertions use).
    #[must_use]
    pub(crate) fn templates(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut copy = self.clone();
        let _ = copy.render_templates(&mut |text| -> Result<String, ()> {
            found.push(text.to_owned());
            Ok(String::new())
        });
        found
    }
}

impl AssertionSpec {
    /// Returns whether a `command` written as one string (run by `sh -c`, so never rendered)
    /// holds a template, here or in a nested assertion: its braces reach the shell as written.
    #[must_use]
    pub(crate) fn has_unrendered_command_template(&self) -> bool {
        match self {
            Self::Command(argv) => argv.0.len() == 1 && is_template(&argv.0[0]),
            Self::Any(children) | Self::All(children) => children
                .iter()
                .any(|child| child.value.has_unrendered_command_template()),
            Self::Not(inner) => inner.value.has_unrendered_command_template(),
            _ => false,
        }
    }
}

/// Returns whether any string argument of `spec` is a template.
#[must_use]
pub(crate) fn has_templates(spec: &Spanned<AssertionSpec>) -> bool {
    !spec.value.templates().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SourceFile;

    fn spec(yaml: &str) -> Spanned<AssertionSpec> {
        crate::yaml::parse_yaml(&SourceFile::new("s.yaml", yaml)).unwrap()
    }

    #[test]
    fn only_strings_with_expressions_or_tags_are_templates() {
        assert!(is_template("{{ city }}") && is_template("{% raw %}x{% endraw %}"));
        assert!(!is_template("${#word} {x} {#"));
    }

    #[test]
    fn every_kind_of_argument_is_found_and_rendered_in_order() {
        let mut spec = spec(
            "all:\n  - contains: ['{{ a }}', plain]\n  - not: {regex: '^{{ b }}$'}\n  - json-schema: 'schemas/{{ c }}.json'\n  - command: [grep, '{{ d }}']\n  - command: 'grep {{ e }}'\n  - max-chars: 3\n",
        );
        assert_eq!(
            spec.value.templates(),
            ["{{ a }}", "^{{ b }}$", "schemas/{{ c }}.json", "{{ d }}"]
        );
        let mut count = 0;
        spec.value
            .render_templates(&mut |text| -> Result<String, ()> {
                count += 1;
                Ok(text.replace("{{ ", "").replace(" }}", ""))
            })
            .unwrap();
        assert_eq!(count, 4);
        assert_eq!(
            spec.value.templates(),
            Vec::<String>::new(),
            "nothing is left to render"
        );
        let AssertionSpec::All(children) = &spec.value else {
            panic!("an `all`");
        };
        assert!(
            matches!(&children[0].value, AssertionSpec::Contains(many) if many.0 == ["a", "plain"])
        );
    }

    #[test]
    fn the_first_error_stops_rendering() {
        let mut spec = spec("contains: ['{{ a }}', '{{ b }}']\n");
        let mut seen = Vec::new();
        let result = spec.value.render_templates(&mut |text| {
            seen.push(text.to_owned());
            Err::<String, _>("undefined")
        });
        assert_eq!(result, Err("undefined"));
        assert_eq!(seen, ["{{ a }}"]);
        assert!(has_templates(&spec));
    }
}
