//! [`Assertion`]: a compiled check of a model answer, and [`AssertionResult`], its verdict.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::{command, json, text};
use crate::assert::AssertionSpec;
use crate::chat::ModelOutput;
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
}

/// The verdict of one assertion on one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AssertionResult {
    /// The assertion kind as written (`contains`, `regex`, …).
    pub(crate) kind: String,
    /// Whether it passed.
    pub(crate) passed: bool,
    /// Why, specifically: "missing `phone`", "forbidden `x` found at char 42".
    pub(crate) reason: String,
}

impl AssertionResult {
    pub(crate) fn new(kind: &str, passed: bool, reason: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            passed,
            reason: reason.into(),
        }
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
        })
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

    /// Judges an answer.
    #[must_use]
    pub(crate) fn evaluate(&self, output: &ModelOutput) -> AssertionResult {
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
                    .map(|child| child.evaluate(output))
                    .collect();
                let passed = results.iter().any(|result| result.passed);
                AssertionResult::new(
                    kind,
                    passed,
                    combine(&results, if passed { "one passed" } else { "none passed" }),
                )
            }
            Self::All(children) => {
                let results: Vec<_> = children
                    .iter()
                    .map(|child| child.evaluate(output))
                    .collect();
                let passed = results.iter().all(|result| result.passed);
                AssertionResult::new(
                    kind,
                    passed,
                    combine(
                        &results,
                        if passed {
                            "all passed"
                        } else {
                            "not all passed"
                        },
                    ),
                )
            }
            Self::Not(inner) => {
                let result = inner.evaluate(output);
                let reason = format!(
                    "expected `{}` to fail, but it {}: {}",
                    result.kind,
                    if result.passed { "passed" } else { "failed" },
                    result.reason
                );
                AssertionResult::new(kind, !result.passed, reason)
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
