//! Labelled examples for `judge calibrate`: conversations, answers and the verdict a person
//! gave, read from CSV (with a header), JSON Lines or YAML, every bad row reported at its
//! `file:line:column`.

use std::path::Path;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::assert::AssertionSpec;
use crate::chat::Role;
use crate::error::{Error, InvalidInput, Problem, SourceFile};
use crate::yaml::{parse_yaml, span_start};

/// One labelled example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Example {
    /// Where it is written (`file:line`).
    pub(crate) at: String,
    /// What was said before the answer.
    pub(crate) messages: Vec<ExampleMessage>,
    /// The answer under judgement.
    pub(crate) answer: String,
    /// Whether the person passed it.
    pub(crate) label: bool,
    /// The reference answer (`factuality`), available to the assertion as `{{ reference }}`.
    pub(crate) reference: Option<String>,
}

/// A message of an example's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExampleMessage {
    /// Who speaks.
    pub(crate) role: Role,
    /// What they say.
    pub(crate) content: String,
}

/// What a file of labelled examples holds.
#[derive(Debug)]
pub(crate) struct ExampleFile {
    /// The examples, in file order.
    pub(crate) examples: Vec<Example>,
    /// The assertion a YAML file names, checked, with its source for located errors.
    pub(crate) assertion: Option<(Spanned<AssertionSpec>, serde_json::Value)>,
    /// The grader a YAML file names.
    pub(crate) grader: Option<String>,
    /// The file, for locating problems in its assertion.
    pub(crate) source: SourceFile,
}

/// A person's verdict: `pass`/`fail`, `true`/`false`, `yes`/`no`, `1`/`0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Label(bool);

impl Label {
    fn parse(text: &str) -> Option<Self> {
        match text.trim().to_lowercase().as_str() {
            "pass" | "passed" | "true" | "yes" | "1" => Some(Self(true)),
            "fail" | "failed" | "false" | "no" | "0" => Some(Self(false)),
            _ => None,
        }
    }
}

const LABEL_HELP: &str = "a label is pass or fail (also true/false, yes/no, 1/0)";

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LabelVisitor;
        impl Visitor<'_> for LabelVisitor {
            type Value = Label;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("pass or fail")
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Label, E> {
                Ok(Label(value))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Label, E> {
                match value {
                    0 => Ok(Label(false)),
                    1 => Ok(Label(true)),
                    _ => Err(E::custom(format!("label `{value}` is not pass or fail"))),
                }
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Label, E> {
                u64::try_from(value)
                    .map_err(|_| E::custom(format!("label `{value}` is not pass or fail")))
                    .and_then(|value| self.visit_u64(value))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Label, E> {
                Label::parse(value)
                    .ok_or_else(|| E::custom(format!("label `{value}` is not pass or fail")))
            }
        }
        deserializer.deserialize_any(LabelVisitor)
    }
}

/// An example as written in YAML or JSON Lines.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    user: Option<String>,
    messages: Option<Vec<ExampleMessage>>,
    answer: String,
    label: Label,
    reference: Option<String>,
}

/// A YAML file of examples.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(rename = "assert")]
    assertion: Option<Spanned<AssertionSpec>>,
    grader: Option<String>,
    examples: Vec<Spanned<RawExample>>,
}

/// The same file, read loosely, for the assertion as plain data.
#[derive(Debug, Deserialize)]
struct LooseFile {
    #[serde(rename = "assert")]
    assertion: Option<serde_json::Value>,
}

/// Reads the labelled examples of `path` (shown as `name`), by its extension.
pub(crate) fn load_examples(path: &Path, name: &str) -> Result<ExampleFile, Error> {
    let text = crate::util::file::read_text(path).map_err(|source| Error::read(path, source))?;
    let source = SourceFile::new(name.to_owned(), text);
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or_default()
        .to_lowercase();
    let (examples, assertion, grader) = match extension.as_str() {
        "csv" => (from_csv(&source)?, None, None),
        "jsonl" | "ndjson" => (from_jsonl(&source)?, None, None),
        "yaml" | "yml" => {
            let raw: RawFile = parse_yaml(&source)?;
            let loose: LooseFile = parse_yaml(&source)?;
            let assertion = raw.assertion.zip(loose.assertion);
            let mut problems = InvalidInput::default();
            let examples = raw
                .examples
                .into_iter()
                .filter_map(|example| {
                    let (line, column) = span_start(&example);
                    let at = format!("{name}:{line}");
                    example_of(example.value, at)
                        .map_err(|message| {
                            problems.push(Problem::at_line(&source, line, column, message));
                        })
                        .ok()
                })
                .collect();
            (problems.into_result(examples)?, assertion, raw.grader)
        }
        _ => {
            return Err(Error::usage(format!(
                "`{name}`: labelled examples are read from `.csv`, `.jsonl` or `.yaml` files"
            )));
        }
    };
    Ok(ExampleFile {
        examples,
        assertion,
        grader,
        source,
    })
}

/// Checks one example's conversation.
fn example_of(raw: RawExample, at: String) -> Result<Example, String> {
    let messages = match (raw.user, raw.messages) {
        (Some(user), None) => vec![ExampleMessage {
            role: Role::User,
            content: user,
        }],
        (None, Some(messages)) if !messages.is_empty() => messages,
        (Some(_), Some(_)) => return Err("an example has `user` or `messages`, not both".into()),
        (None, _) => return Err("an example needs `user` (or `messages`)".into()),
    };
    Ok(Example {
        at,
        messages,
        answer: raw.answer,
        label: raw.label.0,
        reference: raw.reference,
    })
}

/// Reads JSON Lines: one example object per non-blank line.
fn from_jsonl(source: &SourceFile) -> Result<Vec<Example>, Error> {
    let mut problems = InvalidInput::default();
    let mut examples = Vec::new();
    for (index, line) in source.text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let at = format!("{}:{number}", source.name);
        match serde_json::from_str::<RawExample>(line) {
            Ok(raw) => match example_of(raw, at) {
                Ok(example) => examples.push(example),
                Err(message) => problems.push(Problem::at_line(source, number, 1, message)),
            },
            Err(error) => {
                let problem =
                    Problem::at_line(source, number, error.column().max(1), error.to_string());
                problems.push(problem.with_help(LABEL_HELP));
            }
        }
    }
    problems.into_result(examples)
}

/// The columns a CSV file of examples may have.
const COLUMNS: &[&str] = &["user", "answer", "label", "reference"];

/// Reads CSV with a header row naming `user`, `answer`, `label` and optionally `reference`.
fn from_csv(source: &SourceFile) -> Result<Vec<Example>, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(source.text.as_bytes());
    let at_header = |message: String| Error::Input(Problem::at_line(source, 1, 1, message).into());
    let headers = reader
        .headers()
        .map_err(|error| at_header(format!("cannot read the header row: {error}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|header| header.trim() == name);
    if let Some(unknown) = headers
        .iter()
        .find(|header| !COLUMNS.contains(&header.trim()))
    {
        return Err(at_header(format!(
            "unknown column `{unknown}`; the columns are user, answer, label and reference"
        )));
    }
    let (Some(user), Some(answer), Some(label)) =
        (column("user"), column("answer"), column("label"))
    else {
        return Err(at_header(
            "the header row must name the columns `user`, `answer` and `label`".to_owned(),
        ));
    };
    let reference = column("reference");
    let mut problems = InvalidInput::default();
    let mut examples = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(1, csv::Position::line);
                let line = usize::try_from(line).unwrap_or(usize::MAX);
                problems.push(Problem::at_line(source, line, 1, error.to_string()));
                continue;
            }
        };
        let line = record.position().map_or(1, |position| {
            usize::try_from(position.line()).unwrap_or(usize::MAX)
        });
        let field = |index: usize| record.get(index).unwrap_or_default().to_owned();
        let written = field(label);
        let Some(Label(passed)) = Label::parse(&written) else {
            problems.push(
                Problem::at_line(
                    source,
                    line,
                    label + 1,
                    format!("label `{written}` is not pass or fail"),
                )
                .with_help(LABEL_HELP),
            );
            continue;
        };
        examples.push(Example {
            at: format!("{}:{line}", source.name),
            messages: vec![ExampleMessage {
                role: Role::User,
                content: field(user),
            }],
            answer: field(answer),
            label: passed,
            reference: reference.map(field).filter(|text| !text.is_empty()),
        });
    }
    problems.into_result(examples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, text: &str) -> Result<ExampleFile, Error> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        load_examples(&path, name)
    }

    #[test]
    fn the_three_formats_read_the_same_examples() {
        let csv = load(
            "e.csv",
            "user,answer,label\nhi,\"Hello, there\",pass\nbye,No.,0\n",
        )
        .unwrap();
        let jsonl = load(
            "e.jsonl",
            "{\"user\": \"hi\", \"answer\": \"Hello, there\", \"label\": true}\n\n{\"user\": \"bye\", \"answer\": \"No.\", \"label\": \"fail\"}\n",
        )
        .unwrap();
        let yaml = load(
            "e.yaml",
            "assert:\n  rubric: Is polite\nexamples:\n  - {user: hi, answer: 'Hello, there', label: yes}\n  - {user: bye, answer: No., label: 0}\n",
        )
        .unwrap();
        let strip = |examples: &ExampleFile| -> Vec<(String, bool)> {
            examples
                .examples
                .iter()
                .map(|example| (example.answer.clone(), example.label))
                .collect()
        };
        assert_eq!(strip(&csv), strip(&jsonl));
        assert_eq!(strip(&csv), strip(&yaml));
        assert_eq!(csv.examples[1].at, "e.csv:3");
        assert_eq!(jsonl.examples[1].at, "e.jsonl:3");
        assert_eq!(yaml.examples[1].at, "e.yaml:5");
        assert!(yaml.assertion.is_some());
    }

    #[test]
    fn bad_rows_are_located() {
        let Err(Error::Input(problems)) =
            load("e.csv", "user,answer,label\nq,a,maybe\nq,a,pass\nq,b,meh\n")
        else {
            panic!("bad labels are input errors");
        };
        let locations: Vec<_> = problems
            .problems
            .iter()
            .map(|problem| problem.location())
            .collect();
        assert_eq!(locations, [Some("e.csv:2:3"), Some("e.csv:4:3")]);
        let Err(Error::Input(problems)) = load(
            "e.jsonl",
            "{\"user\": \"q\", \"answer\": \"a\", \"label\": \"meh\"}\n",
        ) else {
            panic!("bad labels are input errors");
        };
        assert_eq!(
            problems.problems[0]
                .location()
                .map(|at| at.starts_with("e.jsonl:1:")),
            Some(true)
        );
        assert!(load("e.txt", "").is_err());
    }
}
