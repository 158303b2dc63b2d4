//! A suite's `probes:` section as written ([`RawProbes`]) and its validation into a
//! [`ProbeConfig`], reporting every problem at its `file:line:col`.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::assert::AssertionSpec;
use crate::assert::{AssertionTemplate, CompileContext};
use crate::error::{InvalidInput, Problem, did_you_mean};
use crate::probe::{DEFAULT_MAX_INPUT_TOKENS, Family, FamilyKind, ProbeConfig};
use crate::util::format::BacktickList;
use crate::yaml::span_start;

/// The largest `max-input-tokens` accepted: far beyond any context window, small enough that a
/// typo cannot make promptci build a gigabyte message.
const MAX_INPUT_TOKENS_LIMIT: u64 = 1_000_000;

/// The `probes:` section as written.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawProbes {
    /// Edge-case families: `all` or a list.
    #[schemars(with = "Option<FamilySelection>")]
    pub(crate) edge_cases: Option<Spanned<FamilySelection>>,
    /// Injection families: `all` or a list.
    #[schemars(with = "Option<FamilySelection>")]
    pub(crate) injection: Option<Spanned<FamilySelection>>,
    /// Template variables that carry untrusted data (indirect injection goes through them).
    #[schemars(with = "Option<Vec<String>>")]
    pub(crate) untrusted_vars: Option<Spanned<Vec<Spanned<String>>>>,
    /// Assertions every probe answer must also pass.
    #[serde(default)]
    #[schemars(with = "Vec<AssertionSpec>")]
    pub(crate) assert: Vec<Spanned<AssertionSpec>>,
    /// The size of the max-length probe, in tokens (default 4,000).
    #[schemars(with = "Option<u64>")]
    pub(crate) max_input_tokens: Option<Spanned<u64>>,
    /// Whether to plant a canary in the system prompt of probe cases (default true).
    pub(crate) canary: Option<bool>,
}

/// `all`, or a list of family names.
#[derive(Debug)]
pub(crate) enum FamilySelection {
    /// Every family of the kind.
    All,
    /// These families.
    Only(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for FamilySelection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SelectionVisitor;
        impl<'de> Visitor<'de> for SelectionVisitor {
            type Value = FamilySelection;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`all` or a list of probe families")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<FamilySelection, E> {
                if value == "all" {
                    Ok(FamilySelection::All)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(value), &self))
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FamilySelection, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<Spanned<String>>()? {
                    names.push(name);
                }
                Ok(FamilySelection::Only(names))
            }
        }
        deserializer.deserialize_any(SelectionVisitor)
    }
}

impl schemars::JsonSchema for FamilySelection {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FamilySelection".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "`all`, or a list of probe families (`promptci probes list` names them).",
            "anyOf": [
                { "const": "all" },
                { "type": "array", "items": { "type": "string" } }
            ]
        })
    }
}

/// Validates the `probes:` section, pushing every problem; returns the config when it is valid.
pub(super) fn validate(
    raw: Spanned<RawProbes>,
    context: CompileContext<'_>,
    has_template: bool,
    problems: &mut InvalidInput,
) -> Option<ProbeConfig> {
    let before = problems.problems.len();
    let (line, column) = span_start(&raw);
    let source = context.source;
    let raw = raw.value;
    let mut families = Vec::new();
    for (selection, kind) in [
        (&raw.edge_cases, FamilyKind::EdgeCase),
        (&raw.injection, FamilyKind::Injection),
    ] {
        if let Some(selection) = selection {
            families.extend(select(&selection.value, kind, context, problems));
        }
    }
    families.sort();
    families.dedup();
    if raw.edge_cases.is_none() && raw.injection.is_none() {
        problems.push(
            Problem::at_line(source, line, column, "`probes` selects no probe family")
                .with_help("add `edge-cases: all` and/or `injection: all` (`promptci probes list` shows every family)"),
        );
    }
    let untrusted_vars = untrusted_vars(&raw, &families, has_template, context, problems);
    let max_input_tokens = match &raw.max_input_tokens {
        None => DEFAULT_MAX_INPUT_TOKENS,
        Some(spanned) if (1..=MAX_INPUT_TOKENS_LIMIT).contains(&spanned.value) => spanned.value,
        Some(spanned) => {
            let (line, column) = span_start(spanned);
            problems.push(
                Problem::at_line(
                    source,
                    line,
                    column,
                    format!("`max-input-tokens` must be between 1 and {MAX_INPUT_TOKENS_LIMIT}"),
                )
                .with_help(format!(
                    "remove it to use the default of {DEFAULT_MAX_INPUT_TOKENS}"
                )),
            );
            DEFAULT_MAX_INPUT_TOKENS
        }
    };
    let assertions = AssertionTemplate::compile_all(&raw.assert, context, problems);
    if problems.problems.len() > before {
        return None;
    }
    Some(ProbeConfig {
        families,
        untrusted_vars,
        assertions,
        max_input_tokens,
        canary: raw.canary.unwrap_or(true),
        line,
        edge_cases_line: raw.edge_cases.as_ref().map(|spanned| span_start(spanned).0),
        injection_line: raw.injection.as_ref().map(|spanned| span_start(spanned).0),
        untrusted_vars_line: raw
            .untrusted_vars
            .as_ref()
            .map(|spanned| span_start(spanned).0),
    })
}

/// Resolves one selection to families, reporting unknown names and names of the other kind.
fn select(
    selection: &FamilySelection,
    kind: FamilyKind,
    context: CompileContext<'_>,
    problems: &mut InvalidInput,
) -> Vec<Family> {
    let names = match selection {
        FamilySelection::All => return Family::of_kind(kind).collect(),
        FamilySelection::Only(names) => names,
    };
    let valid: Vec<&str> = Family::of_kind(kind).map(Family::name).collect();
    let mut families = Vec::with_capacity(names.len());
    for name in names {
        let (line, column) = span_start(name);
        match Family::from_name(&name.value) {
            Some(family) if family.kind() == kind => families.push(family),
            Some(family) => problems.push(
                Problem::at_line(
                    context.source,
                    line,
                    column,
                    format!(
                        "`{}` is {} family, not {} one",
                        name.value,
                        article(family.kind()),
                        article(kind)
                    ),
                )
                .with_help(format!("move it under `probes.{}`", family.kind().key())),
            ),
            None => {
                let hint = did_you_mean(&name.value, valid.iter().copied())
                    .map(|close| format!("did you mean `{close}`? "))
                    .unwrap_or_default();
                problems.push(
                    Problem::at_line(
                        context.source,
                        line,
                        column,
                        format!("unknown probe family `{}`", name.value),
                    )
                    .with_help(format!(
                        "{hint}{} families: {} (or `all`)",
                        kind.name(),
                        BacktickList(&valid)
                    )),
                );
            }
        }
    }
    families
}

fn article(kind: FamilyKind) -> String {
    format!("an {}", kind.name())
}

/// Checks `untrusted-vars` against the selected families and the suite's template.
fn untrusted_vars(
    raw: &RawProbes,
    families: &[Family],
    has_template: bool,
    context: CompileContext<'_>,
    problems: &mut InvalidInput,
) -> Vec<String> {
    let source = context.source;
    let indirect = families.contains(&Family::Indirect);
    let Some(vars) = &raw.untrusted_vars else {
        let listed_explicitly = matches!(
            raw.injection.as_ref().map(|spanned| &spanned.value),
            Some(FamilySelection::Only(_))
        );
        if indirect
            && listed_explicitly
            && let Some(injection) = &raw.injection
        {
            let (line, column) = span_start(injection);
            problems.push(
                Problem::at_line(source, line, column, "the `indirect` family needs `untrusted-vars`")
                    .with_help("add `untrusted-vars: [name]`: the template variables that hold untrusted data such as documents or customer notes"),
            );
        }
        return Vec::new();
    };
    let (line, column) = span_start(vars);
    if !has_template {
        problems.push(
            Problem::at_line(source, line, column, "`untrusted-vars` needs a prompt template")
                .with_help("indirect injection puts payloads into template variables; add `prompt.template` or remove `untrusted-vars`"),
        );
    }
    if !indirect {
        problems.push(
            Problem::at_line(
                source,
                line,
                column,
                "`untrusted-vars` has no effect without the `indirect` injection family",
            )
            .with_help("add `indirect` to `probes.injection`, or use `injection: all`"),
        );
    }
    let mut seen = HashSet::new();
    let mut names = Vec::with_capacity(vars.value.len());
    for var in &vars.value {
        let (line, column) = span_start(var);
        if !seen.insert(var.value.as_str()) {
            problems.push(Problem::at_line(
                source,
                line,
                column,
                format!("`{}` is listed twice in `untrusted-vars`", var.value),
            ));
        } else if var.value.trim().is_empty() || var.value.contains(['/', ':', ' ']) {
            problems.push(Problem::at_line(
                source,
                line,
                column,
                format!("`{}` is not a template variable name", var.value),
            ));
        } else {
            names.push(var.value.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::error::SourceFile;

    fn config(yaml: &str) -> Result<ProbeConfig, String> {
        let source = SourceFile::new("s.yaml", yaml);
        let raw: Spanned<RawProbes> =
            crate::yaml::parse_yaml(&source).map_err(|problem| problem.message().to_owned())?;
        let mut problems = InvalidInput::default();
        let context = CompileContext {
            source: &source,
            dir: Path::new("."),
            compiled: &crate::assert::Compiled::default(),
        };
        validate(raw, context, true, &mut problems).ok_or_else(|| {
            problems
                .problems
                .iter()
                .map(|problem| {
                    format!(
                        "{}: {}",
                        problem.location().unwrap_or_default(),
                        problem.message()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    #[test]
    fn all_and_lists_select_families_in_catalogue_order() {
        let all = config("edge-cases: all\n").unwrap();
        assert_eq!(
            all.families,
            Family::of_kind(FamilyKind::EdgeCase).collect::<Vec<_>>()
        );
        assert_eq!(all.max_input_tokens, DEFAULT_MAX_INPUT_TOKENS);
        assert!(all.canary);
        let some = config("injection: [persona, encoding, persona]\nedge-cases: [unicode]\nmax-input-tokens: 100\ncanary: false\nassert: [{max-chars: 10}]\n").unwrap();
        assert_eq!(
            some.families,
            [Family::Unicode, Family::Encoding, Family::Persona]
        );
        assert_eq!(some.max_input_tokens, 100);
        assert!(!some.canary);
        assert_eq!(some.assertions.len(), 1);
        assert_eq!(
            (some.edge_cases_line, some.injection_line),
            (Some(2), Some(1))
        );
    }

    #[test]
    fn selection_must_be_all_or_a_list() {
        let error = config("edge-cases: every\n").unwrap_err();
        assert!(
            error.contains("`all` or a list of probe families"),
            "{error}"
        );
        let error = config("canary: true\n").unwrap_err();
        assert!(
            error.contains("`probes` selects no probe family"),
            "{error}"
        );
        let error = config("injection: all\nuntrusted-vars: [a, a]\n").unwrap_err();
        assert!(
            error.contains("s.yaml:2:21: `a` is listed twice"),
            "{error}"
        );
        let error = config("edge-cases: all\nuntrusted-vars: [a]\n").unwrap_err();
        assert!(
            error.contains("has no effect without the `indirect` injection family"),
            "{error}"
        );
    }
}
