//! [`Assertion`]: a compiled check of a model answer, and [`AssertionResult`], its verdict.
//!
//! Model-graded leaves ([`Judged`]) are decided from [`Judgements`] the scheduler gathered
//! beforehand; a leaf whose judge could not decide is an *error*, which the combinators carry
//! with three-valued logic: `not` of an error is an error, `any` passes on any pass and fails
//! only when every child failed, `all` fails on any failure and errs only when nothing failed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::judge::{self, Check, JudgeEvidence, Judged, Judgements, MAX_VOTES};
use super::{command, json, text};
use crate::assert::AssertionSpec;
use crate::chat::{CaseError, ModelOutput, ProviderErrorKind};
use crate::error::{Problem, SourceFile};
use crate::yaml::span_start;

/// A compiled assertion, ready to judge answers.
#[derive(Debug, Clone)]
pub(crate) enum Assertion {
    /// The trimmed answer equals the text.
    Equals(String),
    /// Every needle appears; `ignore_case` folds case first.
    Contains {
        /// The strings that must all appear.
        needles: Vec<String>,
        /// Whether case is ignored.
        ignore_case: bool,
    },
    /// At least one needle appears.
    ContainsAny {
        /// The candidates.
        needles: Vec<String>,
        /// Whether case is ignored.
        ignore_case: bool,
    },
    /// No needle appears.
    NotContains {
        /// The forbidden strings.
        needles: Vec<String>,
        /// Whether case is ignored.
        ignore_case: bool,
    },
    /// The trimmed answer starts with the text.
    StartsWith(String),
    /// The trimmed answer ends with the text.
    EndsWith(String),
    /// The regex matches.
    Regex(regex::Regex),
    /// The regex does not match.
    NotRegex(regex::Regex),
    /// The answer is JSON.
    IsJson,
    /// The answer is JSON valid against the schema.
    JsonSchema(Arc<jsonschema::Validator>),
    /// At most this many characters.
    MaxChars(usize),
    /// At least this many characters.
    MinChars(usize),
    /// The request took at most this many milliseconds.
    MaxLatencyMs(u64),
    /// The first token arrived within this many milliseconds.
    MaxTtftMs(u64),
    /// At least one passes.
    Any(Vec<Assertion>),
    /// All pass.
    All(Vec<Assertion>),
    /// The inner assertion fails.
    Not(Box<Assertion>),
    /// A program judges the answer.
    Command {
        /// The program and its arguments (a single string runs through `sh -c`).
        argv: Vec<String>,
        /// The working directory: the suite's directory.
        dir: PathBuf,
    },
    /// A built-in check of a generated probe case (never written in suites).
    Probe(super::ProbeCheck),
    /// A check a grader or embedder model decides.
    Judged(Judged),
}

/// The verdict of one assertion on one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct AssertionResult {
    /// The assertion kind as written (`contains`, `regex`, …).
    pub(crate) kind: String,
    /// Whether it passed.
    pub(crate) passed: bool,
    /// Why, specifically: "missing `phone`", "forbidden `x` found at char 42".
    pub(crate) reason: String,
    /// Why it could not be decided (a grader that erred or gave no verdict): an error, not a
    /// failure; `passed` is then false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<CaseError>,
    /// The evidence behind a model-graded verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) judge: Option<Box<JudgeEvidence>>,
}

impl AssertionResult {
    pub(crate) fn new(kind: &str, passed: bool, reason: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            passed,
            reason: reason.into(),
            error: None,
            judge: None,
        }
    }

    /// Returns true when the assertion failed on its merits (not for want of a verdict).
    #[must_use]
    pub(crate) fn failed(&self) -> bool {
        !self.passed && self.error.is_none()
    }
}

/// Where assertions are compiled: the suite file (for error locations) and its directory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompileContext<'a> {
    /// The suite file, for locating errors.
    pub(crate) source: &'a SourceFile,
    /// The suite's directory: schema files and commands are relative to it.
    pub(crate) dir: &'a Path,
    /// What this suite has compiled so far, shared by its cases.
    pub(crate) compiled: &'a Compiled,
}

/// The regexes and schemas one suite has compiled. Cases often repeat the same pattern or
/// schema file; compiling it once per suite rather than once per case keeps `check` on a
/// suite of thousands of cases fast and its memory flat (a compiled schema is large).
/// Only successes are kept: a bad pattern is reported at every place it is written.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    regexes: RefCell<HashMap<String, regex::Regex>>,
    schemas: RefCell<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl Compiled {
    fn regex(&self, pattern: &str) -> Result<regex::Regex, regex::Error> {
        if let Some(regex) = self.regexes.borrow().get(pattern) {
            // A clone shares the compiled program.
            return Ok(regex.clone());
        }
        let regex = regex::Regex::new(pattern)?;
        self.regexes
            .borrow_mut()
            .insert(pattern.to_owned(), regex.clone());
        Ok(regex)
    }

    fn schema(
        &self,
        schema: &serde_json::Value,
        dir: &Path,
    ) -> Result<Arc<jsonschema::Validator>, String> {
        // A string is a file path (relative to the suite's one directory); anything else is
        // the schema itself, keyed by its text.
        let key = schema.to_string();
        if let Some(validator) = self.schemas.borrow().get(&key) {
            return Ok(Arc::clone(validator));
        }
        let validator = Arc::new(json::compile_schema(schema, dir)?);
        self.schemas
            .borrow_mut()
            .insert(key, Arc::clone(&validator));
        Ok(validator)
    }
}

impl Assertion {
    /// Compiles an assertion as written, reporting bad regexes and schemas at their location.
    pub(crate) fn compile(
        spec: &Spanned<AssertionSpec>,
        context: CompileContext<'_>,
    ) -> Result<Self, Problem> {
        let (line, column) = span_start(spec);
        let problem = |message: String| Problem::at_line(context.source, line, column, message);
        let compile_regex = |pattern: &str, kind: &str| {
            context.compiled.regex(pattern).map_err(|error| {
                problem(format!("invalid regex in `{kind}`: {}", first_line(&error.to_string())))
                    .with_help("regexes use Rust `regex` syntax; escape backslashes inside double quotes or use single quotes")
            })
        };
        let children =
            |specs: &[Spanned<AssertionSpec>], kind: &str| -> Result<Vec<Assertion>, Problem> {
                if specs.is_empty() {
                    return Err(problem(format!("`{kind}` needs at least one assertion")));
                }
                specs
                    .iter()
                    .map(|child| Self::compile(child, context))
                    .collect()
            };
        Ok(match &spec.value {
            AssertionSpec::Equals(expected) => Self::Equals(expected.clone()),
            AssertionSpec::Contains(needles) => Self::Contains {
                needles: needles.0.clone(),
                ignore_case: false,
            },
            AssertionSpec::Icontains(needles) => Self::Contains {
                needles: needles.0.clone(),
                ignore_case: true,
            },
            AssertionSpec::ContainsAny(needles) => Self::ContainsAny {
                needles: needles.0.clone(),
                ignore_case: false,
            },
            AssertionSpec::IcontainsAny(needles) => Self::ContainsAny {
                needles: needles.0.clone(),
                ignore_case: true,
            },
            AssertionSpec::NotContains(needles) => Self::NotContains {
                needles: needles.0.clone(),
                ignore_case: false,
            },
            AssertionSpec::NotIcontains(needles) => Self::NotContains {
                needles: needles.0.clone(),
                ignore_case: true,
            },
            AssertionSpec::StartsWith(prefix) => Self::StartsWith(prefix.clone()),
            AssertionSpec::EndsWith(suffix) => Self::EndsWith(suffix.clone()),
            AssertionSpec::Regex(pattern) => Self::Regex(compile_regex(pattern, "regex")?),
            AssertionSpec::NotRegex(pattern) => {
                Self::NotRegex(compile_regex(pattern, "not-regex")?)
            }
            AssertionSpec::IsJson(true) => Self::IsJson,
            AssertionSpec::IsJson(false) => {
                return Err(
                    problem("`is-json: false` checks nothing".to_owned()).with_help(
                        "use `not: {is-json: true}` to require an answer that is not JSON",
                    ),
                );
            }
            AssertionSpec::JsonSchema(schema) => Self::JsonSchema(
                context
                    .compiled
                    .schema(schema, context.dir)
                    .map_err(problem)?,
            ),
            AssertionSpec::MaxChars(limit) => Self::MaxChars(*limit),
            AssertionSpec::MinChars(limit) => Self::MinChars(*limit),
            AssertionSpec::MaxLatencyMs(limit) => Self::MaxLatencyMs(*limit),
            AssertionSpec::MaxTtftMs(limit) => Self::MaxTtftMs(*limit),
            AssertionSpec::Any(specs) => Self::Any(children(specs, "any")?),
            AssertionSpec::All(specs) => Self::All(children(specs, "all")?),
            AssertionSpec::Not(inner) => Self::Not(Box::new(Self::compile(inner, context)?)),
            AssertionSpec::Command(argv) => Self::Command {
                argv: argv.0.clone(),
                dir: context.dir.to_owned(),
            },
            AssertionSpec::Rubric(_) | AssertionSpec::Factuality(_) | AssertionSpec::Similar(_) => {
                Self::Judged(compile_judged(&spec.value, context, (line, column))?)
            }
        })
    }

    /// Returns the model-graded leaves, depth first: the order of a case's [`Judgements`].
    pub(crate) fn judged_leaves(assertions: &[Self]) -> Vec<&Judged> {
        fn walk<'a>(assertion: &'a Assertion, leaves: &mut Vec<&'a Judged>) {
            match assertion {
                Assertion::Judged(judged) => leaves.push(judged),
                Assertion::Any(children) | Assertion::All(children) => {
                    for child in children {
                        walk(child, leaves);
                    }
                }
                Assertion::Not(inner) => walk(inner, leaves),
                _ => {}
            }
        }
        let mut leaves = Vec::new();
        for assertion in assertions {
            walk(assertion, &mut leaves);
        }
        leaves
    }

    /// Judges an answer with every assertion of a case, the model-graded ones from
    /// `judgements` (in [`judged_leaves`](Self::judged_leaves) order).
    #[must_use]
    pub(crate) fn evaluate_all(
        assertions: &[Self],
        output: &ModelOutput,
        judgements: &Judgements,
    ) -> Vec<AssertionResult> {
        let mut next = 0;
        assertions
            .iter()
            .map(|assertion| assertion.evaluate_at(output, judgements, &mut next))
            .collect()
    }

    /// Returns the kind as written in suites.
    #[must_use]
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Equals(_) => "equals",
            Self::Contains {
                ignore_case: false, ..
            } => "contains",
            Self::Contains {
                ignore_case: true, ..
            } => "icontains",
            Self::ContainsAny {
                ignore_case: false, ..
            } => "contains-any",
            Self::ContainsAny {
                ignore_case: true, ..
            } => "icontains-any",
            Self::NotContains {
                ignore_case: false, ..
            } => "not-contains",
            Self::NotContains {
                ignore_case: true, ..
            } => "not-icontains",
            Self::StartsWith(_) => "starts-with",
            Self::EndsWith(_) => "ends-with",
            Self::Regex(_) => "regex",
            Self::NotRegex(_) => "not-regex",
            Self::IsJson => "is-json",
            Self::JsonSchema(_) => "json-schema",
            Self::MaxChars(_) => "max-chars",
            Self::MinChars(_) => "min-chars",
            Self::MaxLatencyMs(_) => "max-latency-ms",
            Self::MaxTtftMs(_) => "max-ttft-ms",
            Self::Any(_) => "any",
            Self::All(_) => "all",
            Self::Not(_) => "not",
            Self::Command { .. } => "command",
            Self::Probe(check) => check.kind(),
            Self::Judged(judged) => judged.kind(),
        }
    }

    /// Returns true when judging runs an external program (so the runner moves it off the
    /// async threads).
    #[must_use]
    pub(crate) fn runs_command(&self) -> bool {
        match self {
            Self::Command { .. } => true,
            Self::Any(children) | Self::All(children) => children.iter().any(Self::runs_command),
            Self::Not(inner) => inner.runs_command(),
            _ => false,
        }
    }

    /// Returns true when the assertion judges the time to first token, which only streaming
    /// targets measure.
    #[must_use]
    pub(crate) fn needs_time_to_first_token(&self) -> bool {
        match self {
            Self::MaxTtftMs(_) => true,
            Self::Any(children) | Self::All(children) => {
                children.iter().any(Self::needs_time_to_first_token)
            }
            Self::Not(inner) => inner.needs_time_to_first_token(),
            _ => false,
        }
    }

    /// Judges an answer with an assertion that has no model-graded part.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn evaluate(&self, output: &ModelOutput) -> AssertionResult {
        self.evaluate_at(output, &Judgements::default(), &mut 0)
    }

    fn evaluate_at(
        &self,
        output: &ModelOutput,
        judgements: &Judgements,
        next: &mut usize,
    ) -> AssertionResult {
        let answer = output.text.as_str();
        let kind = self.kind();
        match self {
            Self::Equals(expected) => text::equals(kind, answer, expected),
            Self::Contains {
                needles,
                ignore_case,
            } => text::contains_all(kind, answer, needles, *ignore_case),
            Self::ContainsAny {
                needles,
                ignore_case,
            } => text::contains_any(kind, answer, needles, *ignore_case),
            Self::NotContains {
                needles,
                ignore_case,
            } => text::contains_none(kind, answer, needles, *ignore_case),
            Self::StartsWith(prefix) => text::starts_with(kind, answer, prefix),
            Self::EndsWith(suffix) => text::ends_with(kind, answer, suffix),
            Self::Regex(pattern) => text::regex_matches(kind, answer, pattern, true),
            Self::NotRegex(pattern) => text::regex_matches(kind, answer, pattern, false),
            Self::IsJson => json::is_json(kind, answer),
            Self::JsonSchema(validator) => json::matches_schema(kind, answer, validator),
            Self::MaxChars(limit) => text::length(kind, answer, *limit, true),
            Self::MinChars(limit) => text::length(kind, answer, *limit, false),
            Self::MaxLatencyMs(limit) => {
                duration_within(kind, "latency", Some(output.latency_ms), *limit)
            }
            Self::MaxTtftMs(limit) => {
                duration_within(kind, "time to first token", output.ttft_ms, *limit)
            }
            Self::Any(children) => {
                let results: Vec<_> = children
                    .iter()
                    .map(|child| child.evaluate_at(output, judgements, next))
                    .collect();
                if results.iter().any(|result| result.passed) {
                    AssertionResult::new(kind, true, combine(&results, "one passed"))
                } else if let Some(error) = first_error(&results) {
                    undecided(
                        kind,
                        error,
                        combine(&results, "none passed, and a judge could not decide"),
                    )
                } else {
                    AssertionResult::new(kind, false, combine(&results, "none passed"))
                }
            }
            Self::All(children) => {
                let results: Vec<_> = children
                    .iter()
                    .map(|child| child.evaluate_at(output, judgements, next))
                    .collect();
                if results.iter().any(AssertionResult::failed) {
                    AssertionResult::new(kind, false, combine(&results, "not all passed"))
                } else if let Some(error) = first_error(&results) {
                    undecided(kind, error, combine(&results, "a judge could not decide"))
                } else {
                    AssertionResult::new(kind, true, combine(&results, "all passed"))
                }
            }
            Self::Not(inner) => {
                let result = inner.evaluate_at(output, judgements, next);
                // A judge that could not decide decides nothing here either.
                if let Some(error) = result.error {
                    return AssertionResult {
                        judge: result.judge,
                        ..undecided(kind, error.clone(), error.message)
                    };
                }
                let reason = format!(
                    "expected `{}` to fail, but it {}: {}",
                    result.kind,
                    if result.passed { "passed" } else { "failed" },
                    result.reason
                );
                AssertionResult {
                    judge: result.judge,
                    ..AssertionResult::new(kind, !result.passed, reason)
                }
            }
            Self::Judged(judged) => {
                let index = *next;
                *next += 1;
                match judgements.leaves.get(index) {
                    Some(judgement) => judge::verdict(judged, judgement),
                    None => undecided(
                        kind,
                        CaseError {
                            kind: ProviderErrorKind::Malformed,
                            status: None,
                            message: format!("`{kind}` was not judged"),
                        },
                        format!("`{kind}` was not judged"),
                    ),
                }
            }
            Self::Command { argv, dir } => command::run(kind, argv, dir, answer),
            Self::Probe(check) => check.evaluate(output),
        }
    }
}

fn duration_within(kind: &str, what: &str, actual: Option<u64>, limit: u64) -> AssertionResult {
    match actual {
        Some(actual) if actual <= limit => {
            AssertionResult::new(kind, true, format!("{what} {actual} ms within {limit} ms"))
        }
        Some(actual) => AssertionResult::new(
            kind,
            false,
            format!(
                "{what} {actual} ms exceeds {limit} ms by {} ms",
                actual - limit
            ),
        ),
        None => AssertionResult::new(
            kind,
            false,
            format!("no {what} was measured (hint: set `stream: true` on the target)"),
        ),
    }
}

/// Compiles a model-graded assertion (`rubric`, `factuality`, `similar`) written at `at`.
fn compile_judged(
    spec: &AssertionSpec,
    context: CompileContext<'_>,
    (line, column): (usize, usize),
) -> Result<Judged, Problem> {
    Ok(match spec {
        AssertionSpec::Rubric(rubric) => Judged {
            check: Check::Rubric {
                text: rubric.text.clone(),
                threshold: rubric
                    .threshold
                    .as_ref()
                    .map(|threshold| unit_interval(threshold, "threshold", context))
                    .transpose()?,
            },
            votes: votes(rubric.votes.as_ref(), context)?,
            grader: rubric.grader.as_ref().map(|grader| grader.value.clone()),
            at: (line, column),
        },
        AssertionSpec::Factuality(factuality) => Judged {
            check: Check::Factuality {
                reference: factuality.reference.clone(),
                passing: match &factuality.pass {
                    Some(pass) if pass.value.is_empty() => {
                        let (line, column) = span_start(pass);
                        return Err(Problem::at_line(
                            context.source,
                            line,
                            column,
                            "`pass` lists no category, so nothing could pass",
                        )
                        .with_help("list the categories that pass, such as `[same, superset]`"));
                    }
                    Some(pass) => pass.value.clone(),
                    None => judge::default_passing_categories(),
                },
            },
            votes: votes(factuality.votes.as_ref(), context)?,
            grader: factuality
                .grader
                .as_ref()
                .map(|grader| grader.value.clone()),
            at: (line, column),
        },
        AssertionSpec::Similar(similar) => Judged {
            check: Check::Similar {
                references: similar.text.0.clone(),
                threshold: similar
                    .threshold
                    .as_ref()
                    .map(|threshold| unit_interval(threshold, "threshold", context))
                    .transpose()?
                    .unwrap_or(judge::DEFAULT_SIMILARITY),
            },
            votes: 1,
            grader: similar
                .embedder
                .as_ref()
                .map(|embedder| embedder.value.clone()),
            at: (line, column),
        },
        _ => unreachable!("only model-graded specs are compiled here"),
    })
}

/// Returns an assertion result that could not be decided.
fn undecided(kind: &str, error: CaseError, reason: String) -> AssertionResult {
    AssertionResult {
        error: Some(error),
        ..AssertionResult::new(kind, false, reason)
    }
}

fn first_error(results: &[AssertionResult]) -> Option<CaseError> {
    results.iter().find_map(|result| result.error.clone())
}

/// Checks that a `threshold` lies in [0, 1].
fn unit_interval(
    value: &Spanned<f64>,
    name: &str,
    context: CompileContext<'_>,
) -> Result<f64, Problem> {
    if (0.0..=1.0).contains(&value.value) {
        return Ok(value.value);
    }
    let (line, column) = span_start(value);
    Err(Problem::at_line(
        context.source,
        line,
        column,
        format!("`{name}` is {}, outside 0 to 1", value.value),
    )
    .with_help("judge scores and cosine similarities are fractions: write 0.8, not 80"))
}

/// Checks `votes`: odd (so a majority always exists) and at most [`MAX_VOTES`].
fn votes(value: Option<&Spanned<u32>>, context: CompileContext<'_>) -> Result<u32, Problem> {
    let Some(value) = value else { return Ok(1) };
    if value.value % 2 == 1 && value.value <= MAX_VOTES {
        return Ok(value.value);
    }
    let (line, column) = span_start(value);
    Err(Problem::at_line(
        context.source,
        line,
        column,
        format!(
            "`votes` is {}; it must be odd and at most {MAX_VOTES}",
            value.value
        ),
    )
    .with_help("an even number of votes can tie, and a tie has no majority: use 1, 3 or 5"))
}

fn combine(results: &[AssertionResult], verdict: &str) -> String {
    let parts: Vec<String> = results
        .iter()
        .map(|result| {
            format!(
                "{} {}: {}",
                if result.passed { "✓" } else { "✗" },
                result.kind,
                result.reason
            )
        })
        .collect();
    format!("{verdict} ({})", parts.join("; "))
}

fn first_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|line| line.starts_with("error:"))
        .unwrap_or_else(|| text.lines().next().unwrap_or(text))
        .trim_start_matches("error: ")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(text: &str) -> ModelOutput {
        ModelOutput::from_text(text)
    }

    fn compile(yaml: &str) -> Result<Assertion, Problem> {
        let source = SourceFile::new("s.yaml", yaml);
        let spec: Spanned<AssertionSpec> = crate::yaml::parse_yaml(&source)?;
        Assertion::compile(
            &spec,
            CompileContext {
                source: &source,
                dir: Path::new("."),
                compiled: &Compiled::default(),
            },
        )
    }

    #[test]
    fn combinators_combine() {
        let any = compile("any:\n  - contains: phone\n  - contains: call\n").unwrap();
        assert!(any.evaluate(&output("please call us")).passed);
        assert!(!any.evaluate(&output("email us")).passed);
        let all = compile("all: [{contains: a}, {max-chars: 3}]").unwrap();
        assert!(all.evaluate(&output("abc")).passed);
        let result = all.evaluate(&output("abcd"));
        assert!(!result.passed);
        assert!(result.reason.contains("max-chars"), "{}", result.reason);
        let not = compile("not: {contains: sorry}").unwrap();
        assert!(not.evaluate(&output("fine")).passed);
        assert!(!not.evaluate(&output("sorry")).passed);
    }

    #[test]
    fn bad_regex_is_a_located_load_error() {
        let error = compile("\nregex: '(unclosed'\n").unwrap_err();
        assert_eq!(error.location(), Some("s.yaml:2:1"));
        assert!(
            error.message().starts_with("invalid regex in `regex`"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn latency_assertions_use_measurements() {
        let max = compile("max-latency-ms: 100").unwrap();
        let mut answer = output("x");
        answer.latency_ms = 150;
        let result = max.evaluate(&answer);
        assert!(!result.passed);
        assert_eq!(result.reason, "latency 150 ms exceeds 100 ms by 50 ms");
        let ttft = compile("max-ttft-ms: 100").unwrap();
        assert!(!ttft.evaluate(&answer).passed);
        answer.ttft_ms = Some(20);
        assert!(ttft.evaluate(&answer).passed);
    }

    #[test]
    fn is_json_false_is_rejected() {
        assert!(compile("is-json: false").is_err());
    }

    #[test]
    fn a_suite_compiles_each_pattern_and_schema_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.json"), r#"{"type": "object"}"#).unwrap();
        let source = SourceFile::new("s.yaml", "");
        let compiled = Compiled::default();
        let context = CompileContext {
            source: &source,
            dir: dir.path(),
            compiled: &compiled,
        };
        let compile = |yaml: &str| {
            let spec: Spanned<AssertionSpec> =
                crate::yaml::parse_yaml(&SourceFile::new("s.yaml", yaml)).unwrap();
            Assertion::compile(&spec, context).unwrap()
        };
        let Assertion::JsonSchema(first) = compile("json-schema: s.json") else {
            panic!("a schema compiles to a schema");
        };
        // The second case's schema comes from the first compilation, not the (now gone) file.
        std::fs::remove_file(dir.path().join("s.json")).unwrap();
        let Assertion::JsonSchema(second) = compile("json-schema: s.json") else {
            panic!("a schema compiles to a schema");
        };
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(compiled.regexes.borrow().len(), 0);
        compile("regex: '^a+$'");
        let again = compile("not-regex: '^a+$'");
        assert_eq!(compiled.regexes.borrow().len(), 1);
        assert!(!again.evaluate(&output("aaa")).passed);
        // A bad pattern is not remembered: each place it is written is reported.
        let bad: Spanned<AssertionSpec> =
            crate::yaml::parse_yaml(&SourceFile::new("s.yaml", "regex: '('")).unwrap();
        assert!(Assertion::compile(&bad, context).is_err());
        assert!(Assertion::compile(&bad, context).is_err());
    }
}
