//! Warnings about suites that load but probably do not test what their author meant:
//! [`SuiteWarnings`] collects them while a suite is validated.
//!
//! Each is a mistake that passes silently: a case with no assertion from any level passes on
//! any answer; a variable that neither the template nor an assertion reads was probably meant
//! for one of them (or misspelt); an `assert` indented under `vars:` is a variable, so its
//! case checks nothing; a template in a `command` written as one string reaches the shell
//! unrendered. `check` and `run` print them, and `--deny-warnings` makes them errors.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_saphyr::Spanned;

use super::data::DataVariable;
use super::load::{Case, Suite};
use crate::assert::AssertionSpec;
use crate::error::{Problem, SourceFile};
use crate::prompt_files::PromptFiles;
use crate::yaml::{parse_yaml_text, span_start};

/// The most row names one "rows have no assertion" warning lists.
const LISTED_ROWS: usize = 10;

/// The warnings of one suite, collected while it is validated.
#[derive(Debug)]
pub(crate) struct SuiteWarnings {
    /// How many assertions every case starts with (the suite's own, read once in `finish`).
    suite_assertions: usize,
    warnings: Vec<Problem>,
    /// Variables the assertions of the cases seen so far read.
    used: BTreeSet<String>,
    /// Per data file, the rows that have no assertion.
    rows_without_assertions: Vec<UncheckedRows>,
}

/// The rows of one data file that have no assertion.
#[derive(Debug)]
struct UncheckedRows {
    file: Arc<str>,
    /// Each row's name and line.
    rows: Vec<(String, usize)>,
}

impl SuiteWarnings {
    /// Starts the warnings of a suite with `suite_assertions` assertions of its own.
    pub(super) fn new(suite_assertions: usize) -> Self {
        Self {
            suite_assertions,
            warnings: Vec::new(),
            used: BTreeSet::new(),
            rows_without_assertions: Vec::new(),
        }
    }

    /// Warns about every `command` string among `specs` that holds a template.
    pub(super) fn commands(&mut self, specs: &[Spanned<AssertionSpec>], source: &SourceFile) {
        for spec in specs {
            if spec.value.has_unrendered_command_template() {
                let (line, column) = span_start(spec);
                self.warnings.push(
                    Problem::at_line(
                        source,
                        line,
                        column,
                        "this `command` is one string, so its `{{ … }}` is not rendered: the shell gets the braces",
                    )
                    .with_help("write the command in list form, like `command: [grep, -q, \"{{ word }}\"]`: each argument is rendered and none is run as shell code"),
                );
            }
        }
    }

    /// Records a case: a warning when it has no assertion, and the variables its assertions
    /// read. Rows without assertions are reported together, once per data file.
    pub(super) fn case(&mut self, source: &SourceFile, case: &Case, column: usize) {
        for assertion in case.assertions.iter().skip(self.suite_assertions) {
            self.used.extend(assertion.variables());
        }
        if !case.assertions.is_empty() {
            return;
        }
        match &case.file {
            None => self.warnings.push(
                Problem::at_line(
                    source,
                    case.line,
                    column,
                    format!(
                        "case `{}` has no assertion, so it passes on any answer",
                        case.name
                    ),
                )
                .with_help("add `assert:` to the case, or to the suite for every case"),
            ),
            Some(file) => {
                // Rows arrive file by file, so a file's rows are always the last entry.
                let row = (case.name.clone(), case.line);
                match self.rows_without_assertions.last_mut() {
                    Some(unchecked) if unchecked.file == *file => unchecked.rows.push(row),
                    _ => self.rows_without_assertions.push(UncheckedRows {
                        file: Arc::clone(file),
                        rows: vec![row],
                    }),
                }
            }
        }
    }

    /// Returns every warning: those collected, the data files' own (`data_warnings`), rows
    /// without assertions, and variables nothing reads (`data_variables` are those the data
    /// files define, each with what its file calls it: `column` or `key`).
    pub(super) fn finish(
        mut self,
        suite: &Suite,
        data_warnings: Vec<Problem>,
        data_variables: &[(&'static str, DataVariable)],
    ) -> Vec<Problem> {
        self.warnings.extend(data_warnings);
        for UncheckedRows { file, rows } in &self.rows_without_assertions {
            let mut names: Vec<&str> = rows
                .iter()
                .take(LISTED_ROWS)
                .map(|(name, _)| name.as_str())
                .collect();
            if rows.len() > LISTED_ROWS {
                names.push("…");
            }
            self.warnings.push(
                Problem::located(
                    format!("{file}:{}:1", rows[0].1),
                    format!(
                        "{} of {file} {} no assertion: {}",
                        crate::util::format::plural(rows.len(), "row", "rows"),
                        if rows.len() == 1 { "has" } else { "have" },
                        names.join(", ")
                    ),
                )
                .with_help("add an `assert` column, or `assert:` to the suite for every row"),
            );
        }
        let used = template_variables(suite).map(|mut used| {
            used.append(&mut self.used);
            for assertion in &suite.assertions {
                used.extend(assertion.variables());
            }
            if let Some(probes) = &suite.probes {
                used.extend(probes.untrusted_vars.iter().cloned());
            }
            used
        });
        // Where each variable is written takes a second parse of the file: only worth it when
        // one will be reported (most suites use every variable they write).
        let mut keys = suite
            .vars
            .keys()
            .chain(suite.cases.iter().flat_map(|case| case.vars.keys()));
        let reported = |key: &String| {
            key == "assert"
                || used
                    .as_ref()
                    .is_some_and(|used| !used.contains(key.as_str()))
        };
        let written = if keys.any(reported) {
            WrittenVars::of(&suite.source)
        } else {
            WrittenVars::default()
        };
        for key in written.misplaced_assertions() {
            let (line, column) = span_start(key);
            self.warnings.push(
                Problem::at_line(
                    &suite.source,
                    line,
                    column,
                    "`assert` is indented under `vars:`, so it is a variable and checks nothing",
                )
                .with_help("move `assert:` out to the level of `vars:`"),
            );
        }
        if let Some(used) = &used {
            self.unused(suite, &written, data_variables, used);
        }
        self.warnings
    }

    /// Warns about each variable no template or assertion reads.
    fn unused(
        &mut self,
        suite: &Suite,
        written: &WrittenVars,
        data_variables: &[(&'static str, DataVariable)],
        used: &BTreeSet<String>,
    ) {
        let help = "use it in the template or an assertion, or remove it";
        for key in written.all().filter(|key| key.value != "assert") {
            if !used.contains(&key.value) {
                let (line, column) = span_start(key);
                self.warnings.push(
                    Problem::at_line(
                        &suite.source,
                        line,
                        column,
                        format!(
                            "variable `{}` is defined but never used by the template or the assertions",
                            key.value
                        ),
                    )
                    .with_help(help),
                );
            }
        }
        for (called, variable) in data_variables {
            // A column whose name starts with `_` is a note for people, by convention.
            if variable.name.starts_with('_') || used.contains(&variable.name) {
                continue;
            }
            self.warnings.push(
                Problem::located(
                    variable.location.clone(),
                    format!(
                        "{called} `{}` is a variable that the template and the assertions never use",
                        variable.name
                    ),
                )
                .with_help(format!(
                    "use it, remove it, or name it `_{}` to keep it as a note",
                    variable.name
                )),
            );
        }
    }
}

/// The variables the suite's prompt reads, over all its files (the template and what it
/// includes); `None` when that cannot be known (a file does not parse, or the suite has its
/// own judge prompts, which may read the case's variables too), so no variable is called
/// unused by mistake.
fn template_variables(suite: &Suite) -> Option<BTreeSet<String>> {
    let judges = &suite.judge_templates;
    if judges.rubric.is_some() || judges.factuality.is_some() || judges.pairwise.is_some() {
        return None;
    }
    let Some(prompt) = &suite.prompt else {
        return Some(BTreeSet::new());
    };
    let files = PromptFiles::load(&suite.dir, &prompt.template).ok()?;
    let mut used = BTreeSet::new();
    for file in &files.files {
        // A chat file's YAML around its contents is plain text to the template parser.
        used.append(&mut crate::template::undeclared_variables(&file.text)?);
    }
    Some(used)
}

/// The variable names a suite writes, with their places: the suite's `vars` and each case's.
#[derive(Debug, Default, Deserialize)]
struct WrittenVars {
    #[serde(default)]
    vars: Keys,
    #[serde(default)]
    cases: Vec<WrittenCase>,
}

#[derive(Debug, Default, Deserialize)]
struct WrittenCase {
    #[serde(default)]
    vars: Keys,
}

/// The keys of a mapping, located; the values are skipped.
#[derive(Debug, Default)]
struct Keys(Vec<Spanned<String>>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        deserializer.deserialize_map(KeysVisitor)
    }
}

impl WrittenVars {
    /// Reads the variable names of a suite that has already been parsed whole (so this parse
    /// succeeds; were it to fail, no variable would be reported).
    fn of(source: &SourceFile) -> Self {
        parse_yaml_text(&source.text).unwrap_or_default()
    }

    fn all(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.vars
            .0
            .iter()
            .chain(self.cases.iter().flat_map(|case| case.vars.0.iter()))
    }

    fn misplaced_assertions(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.all().filter(|key| key.value == "assert")
    }
}
