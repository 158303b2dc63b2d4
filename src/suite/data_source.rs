//! The case data files a suite names (`cases-from`): each resolved into a [`DataSource`], and
//! read back as [`Case`]s one row at a time ([`Suite::for_each_data_case`]).
//!
//! A suite never holds its rows: loading reads them once to check them, planning reads them
//! again and keeps only the planned instances, so a 100,000-row file is never in memory as
//! cases.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::data::{AssertSource, DataFormat, DataRow, DataVariable};
use super::load::{Case, Suite, conversation, skip_reason};
use crate::assert::AssertionSpec;
use crate::assert::{AssertionTemplate, Cell, CompileContext, Compiled, OneOrMany};
use crate::error::{InvalidInput, Problem, SourceFile};
use crate::yaml::span_start;

/// A data file of cases, checked to exist and to have a known format.
#[derive(Debug, Clone)]
pub(crate) struct DataSource {
    /// The absolute path.
    pub(crate) path: PathBuf,
    /// The path shown to users: relative to the project root, with `/`.
    pub(crate) shown: Arc<str>,
    /// What the generated names of its rows start with: nothing when the suite has one data
    /// file, the file's path without extension and a `/` when it has several.
    prefix: String,
}

/// Resolves `cases-from` (relative to the suite's directory), reporting files that do not
/// exist or have a format no reader knows, at the key's value.
pub(super) fn resolve(
    written: Option<Spanned<OneOrMany>>,
    (dir, root): (&Path, &Path),
    source: &SourceFile,
    problems: &mut InvalidInput,
) -> Vec<DataSource> {
    let Some(written) = written else {
        return Vec::new();
    };
    let (line, column) = span_start(&written);
    let several = written.value.0.len() > 1;
    let mut sources = Vec::with_capacity(written.value.0.len());
    for name in written.value.0 {
        let path = dir.join(&name);
        if DataFormat::of(&path).is_none() {
            problems.push(
                Problem::at_line(
                    source,
                    line,
                    column,
                    format!("`{name}` is not a case data file"),
                )
                .with_help(format!("name a file ending in {}", DataFormat::EXTENSIONS)),
            );
            continue;
        }
        if !path.is_file() {
            problems.push(
                Problem::at_line(
                    source,
                    line,
                    column,
                    format!("case data file `{name}` does not exist"),
                )
                .with_help("data files are relative to the suite file"),
            );
            continue;
        }
        let prefix = if several {
            let stem = Path::new(&name).with_extension("");
            format!("{}/", stem.to_string_lossy().replace('\\', "/"))
        } else {
            String::new()
        };
        sources.push(DataSource {
            shown: crate::util::path::display_path(&path, root).into(),
            path,
            prefix,
        });
    }
    sources
}

/// What reading a suite's data files found besides their cases.
#[derive(Debug, Default)]
pub(crate) struct DataFindings {
    /// Bad rows, and the problems of rows as cases.
    pub(crate) problems: InvalidInput,
    /// The files' own warnings (columns spelled almost like case keys).
    pub(crate) warnings: Vec<Problem>,
    /// The variables each file defines, with what the file calls them: `column` or `key`.
    pub(crate) variables: Vec<(&'static str, DataVariable)>,
}

impl Suite {
    /// Reads the suite's data files in order and hands each good row to `each` as a case
    /// (which returns the case's own problems); returns what the files hold besides.
    pub(crate) fn for_each_data_case(
        &self,
        each: &mut dyn FnMut(Case) -> Vec<Problem>,
    ) -> DataFindings {
        let mut findings = DataFindings::default();
        for data in &self.data {
            // One per file: rows repeat the same regexes and schemas.
            let compiled = Compiled::default();
            let read = super::data::read(&data.path, &data.shown, &mut |row| match self
                .row_case(data, row, &compiled)
            {
                Ok(case) => each(case),
                Err(row_problems) => row_problems.problems,
            });
            match read {
                Ok(found) => {
                    findings.problems.problems.extend(found.problems);
                    findings.warnings.extend(found.warnings);
                    let called = if DataFormat::of(&data.path) == Some(DataFormat::Csv) {
                        "column"
                    } else {
                        "key"
                    };
                    findings.variables.extend(
                        found
                            .variables
                            .into_iter()
                            .map(|variable| (called, variable)),
                    );
                }
                Err(message) => findings.problems.push(Problem::new(message)),
            }
        }
        findings
    }

    /// Turns a row into a case: the suite's assertions, tags and repeat settings under the
    /// row's own, like an inline case.
    fn row_case(
        &self,
        data: &DataSource,
        row: DataRow,
        compiled: &Compiled,
    ) -> Result<Case, InvalidInput> {
        let mut problems = InvalidInput::default();
        let line = row.line;
        let at = |message: String| Problem::located(format!("{}:{line}:1", data.shown), message);
        let name = row
            .name
            .unwrap_or_else(|| format!("{}row-{line}", data.prefix));
        let conversation = conversation(
            &name,
            (row.user, row.messages),
            self.prompt.as_ref(),
            &at,
            &mut problems,
        );
        let mut assertions = self.assertions.clone();
        let context = CompileContext {
            source: &self.source,
            dir: &self.dir,
            compiled,
        };
        // Planning renders templated assertions against the suite's text, so every problem of
        // a row's assertion is moved to the row: its cell, or its place in a YAML data file.
        let cell_of = |spec: &Spanned<AssertionSpec>| {
            if let Some(AssertSource::Cell(place)) = &row.assert_source {
                Cell {
                    location: format!("{}:{}:{}", place.file, place.line, place.column),
                    label: place.label.clone(),
                }
            } else {
                let (line, column) = span_start(spec);
                Cell {
                    location: format!("{}:{line}:{column}", data.shown),
                    label: "key `assert`".to_owned(),
                }
            }
        };
        for spec in &row.assertions {
            match AssertionTemplate::compile(spec.clone(), Some(cell_of(spec)), context) {
                Ok(assertion) => assertions.push(assertion),
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut tags = self.tags.clone();
        tags.extend(row.tags);
        Ok(Case {
            name,
            line,
            file: Some(Arc::clone(&data.shown)),
            vars: row.vars,
            conversation,
            assertions,
            skip: skip_reason(row.skip),
            tags,
            mock_answer: row.mock_answer,
            repeat: row.repeat.or(self.repeat),
        })
    }
}
