//! [`convert_assertion`]: one promptfoo assertion as promptci assertions, with what changed.
//!
//! Where promptci's meaning differs from promptfoo's, the conversion picks promptci
//! assertions that give promptfoo's verdict: promptfoo's `equals` and `starts-with` do not
//! trim the answer, so they become anchored regexes; its `is-json` refuses a Markdown fence,
//! so the fence is refused alongside promptci's `is-json`. What has no exact counterpart is
//! reported as approximated or not converted, never dropped silently.

use super::js_regex::{Untranslatable, translate};
use super::report::{ImportReport, ItemStatus};
use super::yaml_text::Yaml;
use crate::error::{Problem, SourceFile, did_you_mean};
use crate::yaml::{Node, NodeKind};

/// Every assertion type promptfoo 0.123 knows (without the `not-` prefix).
const PROMPTFOO_TYPES: &[&str] = &[
    "answer-relevance",
    "assert-set",
    "bleu",
    "classifier",
    "contains",
    "contains-all",
    "contains-any",
    "contains-html",
    "contains-json",
    "contains-sql",
    "contains-xml",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
    "conversation-relevance",
    "cost",
    "equals",
    "factuality",
    "finish-reason",
    "g-eval",
    "gleu",
    "guardrails",
    "human",
    "icontains",
    "icontains-all",
    "icontains-any",
    "is-html",
    "is-json",
    "is-refusal",
    "is-sql",
    "is-valid-function-call",
    "is-valid-openai-function-call",
    "is-valid-openai-tools-call",
    "is-xml",
    "javascript",
    "latency",
    "levenshtein",
    "llm-rubric",
    "meteor",
    "model-graded-closedqa",
    "model-graded-factuality",
    "moderation",
    "perplexity",
    "perplexity-score",
    "pi",
    "python",
    "regex",
    "rouge-n",
    "ruby",
    "search-rubric",
    "select-best",
    "similar",
    "starts-with",
    "tool-call-f1",
    "trace-error-spans",
    "trace-span-count",
    "trace-span-duration",
    "webhook",
    "word-count",
];

/// Keys an assertion may carry in promptfoo.
const ASSERTION_KEYS: &[&str] = &[
    "type",
    "value",
    "threshold",
    "weight",
    "metric",
    "provider",
    "transform",
    "rubricPrompt",
    "config",
    "assert",
    "contextTransform",
];

/// Where an assertion is, for the report and for errors.
pub(crate) struct AssertionContext<'a> {
    /// The file the assertion is written in.
    pub(crate) source: &'a SourceFile,
    /// The report items go to.
    pub(crate) report: &'a mut ImportReport,
    /// Problems that make the config invalid.
    pub(crate) problems: &'a mut Vec<Problem>,
    /// Reads files the assertion names (JSON schemas), relative to the config.
    pub(crate) read: &'a dyn Fn(&str) -> std::io::Result<String>,
}

impl AssertionContext<'_> {
    fn at(&self, node: &Node) -> String {
        format!("{}:{}:{}", self.source.name, node.line, node.column)
    }

    fn note(&mut self, status: ItemStatus, node: &Node, what: &str, text: impl Into<String>) {
        let location = self.at(node);
        self.report.push(status, location, what.to_owned(), text);
    }
}

/// Returns true when a text holds Nunjucks/Jinja markup, so promptci renders it with the
/// case's variables.
pub(crate) fn is_templated(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// Converts one assertion; `None` when nothing of it carries over (the report says why).
#[expect(
    clippy::too_many_lines,
    reason = "the checks every assertion goes through, in the order promptfoo applies them"
)]
pub(crate) fn convert_assertion(node: &Node, context: &mut AssertionContext<'_>) -> Option<Yaml> {
    if !node.is_map() {
        let problem = Problem::at_line(
            context.source,
            node.line,
            node.column,
            format!(
                "an assertion is a mapping with a `type`, not {}",
                node.shape()
            ),
        );
        context.problems.push(problem);
        return None;
    }
    let Some(kind) = node.get("type").and_then(Node::as_str) else {
        context.problems.push(
            Problem::at_line(
                context.source,
                node.line,
                node.column,
                "this assertion has no `type`",
            )
            .with_help("promptfoo needs `type:` on every assertion, for example `type: contains`"),
        );
        return None;
    };
    let type_node = node.get("type").expect("the type was just read");
    let (negated, base) = match kind.strip_prefix("not-") {
        Some(base) => (true, base),
        None => (false, kind),
    };
    if !PROMPTFOO_TYPES.contains(&base) {
        let mut problem = Problem::at_line(
            context.source,
            type_node.line,
            type_node.column,
            format!("unknown promptfoo assertion type `{kind}`"),
        );
        if let Some(close) = did_you_mean(base, PROMPTFOO_TYPES.iter().copied()) {
            problem = problem.with_help(format!("did you mean `{close}`?"));
        }
        context.problems.push(problem);
        return None;
    }
    let what = format!("assertion `{kind}`");
    for (key, _) in node.entries() {
        let name = key.key_text();
        if !ASSERTION_KEYS.contains(&name.as_str()) {
            let hint = did_you_mean(&name, ASSERTION_KEYS.iter().copied())
                .map(|close| format!(" (did you mean `{close}`?)"))
                .unwrap_or_default();
            context.note(
                ItemStatus::Ignored,
                key,
                &format!("key `{name}` of {what}"),
                format!("promptfoo ignores unknown assertion keys{hint}"),
            );
        }
    }
    if let Some(metric) = node.get("metric") {
        context.note(
            ItemStatus::Ignored,
            metric,
            &format!("`metric` of {what}"),
            "a reporting label in promptfoo; it does not change verdicts",
        );
    }
    if let Some(transform) = node.get("transform") {
        context.note(
            ItemStatus::Unconverted,
            transform,
            &what,
            "its `transform` rewrites the answer with JavaScript before checking; promptci has no counterpart, so the assertion is left out",
        );
        return None;
    }
    if let Some(weight) = node.get("weight")
        && weight_of(node) == 0.0
    {
        context.note(
            ItemStatus::Converted,
            weight,
            &what,
            "left out: with `weight: 0` it never changes promptfoo's verdict",
        );
        return None;
    }
    if base == "regex"
        && let Some(value) = node.get("value")
        && let Some(pattern) = value.scalar_text()
        && let Err(Untranslatable::InvalidInJavaScript(why)) = translate(&pattern)
    {
        context.note(
            ItemStatus::Approximated,
            value,
            &what,
            format!("promptfoo fails this assertion on every answer ({why}); imported as an assertion that always fails, so fix the pattern"),
        );
        return Some(Yaml::entry("not-regex", Yaml::text("")));
    }
    let converted = convert_base(base, node, &what, context)?;
    Some(if negated {
        negate(converted)
    } else {
        converted
    })
}

/// Returns the assertion that passes when `assertion` fails, in promptci's native `not-`
/// form where there is one.
fn negate(assertion: Yaml) -> Yaml {
    if let Yaml::Map(entries) = &assertion
        && let [(kind, value)] = entries.as_slice()
    {
        let native = match kind.as_str() {
            "contains" => Some("not-contains"),
            "icontains" => Some("not-icontains"),
            "regex" => Some("not-regex"),
            _ => None,
        };
        if let Some(native) = native {
            // `contains: [a, b]` negated is "not all appear", which no single kind says.
            if !matches!(value, Yaml::List(items) if items.len() > 1) {
                return Yaml::entry(native, value.clone());
            }
        }
        if kind == "not" {
            return value.clone();
        }
    }
    Yaml::entry("not", assertion)
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per promptfoo assertion type: the mapping table reads best in one place"
)]
fn convert_base(
    base: &str,
    node: &Node,
    what: &str,
    context: &mut AssertionContext<'_>,
) -> Option<Yaml> {
    let value = node.get("value");
    if let Some(path) = value
        .and_then(Node::as_str)
        .filter(|text| text.starts_with("file://"))
        && base != "is-json"
        && base != "contains-json"
    {
        let value = value.expect("checked above");
        context.note(
            ItemStatus::Unconverted,
            value,
            what,
            format!("its value is read from `{path}` (a script or file) when promptfoo runs; port it by hand"),
        );
        return None;
    }
    match base {
        "equals" => equals(node, value?, what, context),
        "contains" | "icontains" => {
            let value = value?;
            let kind = base;
            if let Some(items) = value.as_list() {
                context.note(
                    ItemStatus::Approximated,
                    value,
                    what,
                    format!("promptfoo errors on a list here (the test fails with an error); imported as `{kind}` of every item"),
                );
                let texts = items
                    .iter()
                    .filter_map(Node::scalar_text)
                    .map(Yaml::Text)
                    .collect();
                return Some(Yaml::entry(kind, Yaml::List(texts)));
            }
            Some(Yaml::entry(kind, Yaml::Text(value.scalar_text()?)))
        }
        "contains-all" | "icontains-all" | "contains-any" | "icontains-any" => {
            let items = list_value(value?);
            let kind = match base {
                "contains-all" => "contains",
                "icontains-all" => "icontains",
                other => other,
            };
            Some(Yaml::entry(
                kind,
                Yaml::List(items.into_iter().map(Yaml::Text).collect()),
            ))
        }
        "starts-with" => {
            let text = value?.scalar_text()?;
            if is_templated(&text) {
                context.note(
                    ItemStatus::Approximated,
                    node,
                    what,
                    "promptci's `starts-with` ignores leading whitespace in the answer; promptfoo's does not",
                );
                return Some(Yaml::entry("starts-with", Yaml::Text(text)));
            }
            Some(Yaml::entry(
                "regex",
                Yaml::Text(format!("\\A{}", regex::escape(&text))),
            ))
        }
        "regex" => {
            let value = value?;
            let pattern = value.scalar_text()?;
            match translate(&pattern) {
                Ok(rust) => Some(Yaml::entry("regex", Yaml::Text(rust))),
                Err(Untranslatable::InvalidInJavaScript(why)) => {
                    context.note(
                        ItemStatus::Unconverted,
                        value,
                        what,
                        format!("promptfoo fails this assertion on every answer: {why}"),
                    );
                    None
                }
                Err(Untranslatable::Unsupported(why)) => {
                    context.note(ItemStatus::Unconverted, value, what, why);
                    None
                }
            }
        }
        "is-json" => is_json(node, value, what, context),
        "contains-json" => {
            if let Some(value) = value {
                context.note(
                    ItemStatus::Unconverted,
                    value,
                    &format!("schema of {what}"),
                    "promptci checks schemas on whole answers only; the schema is left out",
                );
            }
            context.note(
                ItemStatus::Approximated,
                node,
                what,
                "imported as a regex for a `{…}` object; promptfoo also parses the object it finds",
            );
            Some(Yaml::entry("regex", Yaml::text(r"\{[\s\S]*\}")))
        }
        "latency" => {
            let Some(threshold) = node.get("threshold").and_then(|t| t.to_json().as_f64()) else {
                context.note(
                    ItemStatus::Unconverted,
                    node,
                    what,
                    "it has no `threshold`, which promptfoo needs",
                );
                return None;
            };
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a latency in milliseconds, rounded down and clamped at zero"
            )]
            let millis = threshold.max(0.0) as u64;
            Some(Yaml::entry("max-latency-ms", Yaml::Number(millis.into())))
        }
        "llm-rubric" | "model-graded-closedqa" => {
            model_graded("rubric", value?, node, what, context)
        }
        "factuality" | "model-graded-factuality" => {
            model_graded("factuality", value?, node, what, context)
        }
        "similar" => {
            let value = value?;
            let texts: Vec<Yaml> = match value.as_list() {
                Some(items) => items
                    .iter()
                    .filter_map(Node::scalar_text)
                    .map(Yaml::Text)
                    .collect(),
                None => vec![Yaml::Text(value.scalar_text()?)],
            };
            let mut options = vec![("texts".to_owned(), Yaml::List(texts))];
            if let Some(threshold) = node.get("threshold") {
                options.push((
                    "threshold".to_owned(),
                    Yaml::from_json(&threshold.to_json()),
                ));
            }
            if let Some(provider) = node.get("provider") {
                context.note(
                    ItemStatus::Approximated,
                    provider,
                    &format!("`provider` of {what}"),
                    "promptci embeds with the suite's `embedder` target; set it in the suite",
                );
            }
            Some(Yaml::entry("similar", Yaml::Map(options)))
        }
        "assert-set" => {
            let children = node
                .get("assert")
                .and_then(Node::as_list)
                .unwrap_or_default();
            let converted: Vec<(Yaml, f64)> = children
                .iter()
                .filter_map(|child| Some((convert_assertion(child, context)?, weight_of(child))))
                .collect();
            let threshold = node.get("threshold").and_then(|t| t.to_json().as_f64());
            let combined = combine(converted, threshold);
            if threshold.is_some() {
                let (status, text) = threshold_note(&combined);
                context.note(status, node, &format!("`threshold` of {what}"), text);
            }
            Some(combined.unwrap_or_else(|all| all))
        }
        other => {
            let why = match other {
                "javascript" | "python" | "ruby" => {
                    "promptfoo runs it as a script over the answer; promptci has no exact translation, so port it to a `command` assertion by hand"
                }
                "cost" => {
                    "promptci has no per-case cost assertion (it sets cost budgets per suite, see Budgets)"
                }
                _ => "promptci has no counterpart",
            };
            context.note(ItemStatus::Unconverted, node, what, why);
            None
        }
    }
}

fn equals(
    node: &Node,
    value: &Node,
    what: &str,
    context: &mut AssertionContext<'_>,
) -> Option<Yaml> {
    if matches!(value.kind, NodeKind::Map(_) | NodeKind::List(_)) {
        context.note(
            ItemStatus::Approximated,
            node,
            what,
            "imported as a JSON schema with `const`; promptci also accepts the JSON inside a Markdown fence",
        );
        return Some(Yaml::entry(
            "json-schema",
            Yaml::entry("const", Yaml::from_json(&value.to_json())),
        ));
    }
    let text = value.scalar_text()?;
    if is_templated(&text) {
        context.note(
            ItemStatus::Approximated,
            node,
            what,
            "promptci's `equals` ignores whitespace around the answer; promptfoo's does not",
        );
        return Some(Yaml::entry("equals", Yaml::Text(text)));
    }
    Some(Yaml::entry(
        "regex",
        Yaml::Text(format!("\\A{}\\z", regex::escape(&text))),
    ))
}

/// promptfoo's `is-json` parses the whole answer; promptci's also reads a Markdown fence, so a
/// fenced answer is refused next to it.
fn is_json(
    node: &Node,
    value: Option<&Node>,
    what: &str,
    context: &mut AssertionContext<'_>,
) -> Option<Yaml> {
    let no_fence = Yaml::entry("not-regex", Yaml::text(r"\A\s*```"));
    let Some(value) = value.filter(|value| !matches!(value.kind, NodeKind::Null)) else {
        return Some(Yaml::entry(
            "all",
            Yaml::List(vec![Yaml::entry("is-json", Yaml::Bool(true)), no_fence]),
        ));
    };
    let schema = match &value.kind {
        NodeKind::Map(_) => Yaml::from_json(&value.to_json()),
        NodeKind::Text(text) if text.starts_with("file://") => {
            let path = text.trim_start_matches("file://");
            let schema = (context.read)(path)
                .map_err(|error| error.to_string())
                .and_then(|text| {
                    serde_json::from_str::<serde_json::Value>(&text)
                        .map_err(|error| error.to_string())
                });
            match schema {
                Ok(schema) => Yaml::from_json(&schema),
                Err(why) => {
                    let problem = Problem::at_line(
                        context.source,
                        value.line,
                        value.column,
                        format!("cannot read the schema `{path}`: {why}"),
                    );
                    context.problems.push(problem);
                    return None;
                }
            }
        }
        NodeKind::Text(text) => match crate::yaml::parse_yaml_text::<serde_json::Value>(text) {
            Ok(schema) if schema.is_object() => Yaml::from_json(&schema),
            _ => {
                context.note(
                    ItemStatus::Unconverted,
                    value,
                    what,
                    "its schema is neither a mapping nor YAML text of one",
                );
                return None;
            }
        },
        _ => {
            context.note(
                ItemStatus::Unconverted,
                value,
                what,
                "its schema is not a mapping",
            );
            return None;
        }
    };
    let _ = node;
    Some(Yaml::entry(
        "all",
        Yaml::List(vec![Yaml::entry("json-schema", schema), no_fence]),
    ))
}

fn model_graded(
    kind: &str,
    value: &Node,
    node: &Node,
    what: &str,
    context: &mut AssertionContext<'_>,
) -> Option<Yaml> {
    let text = value.scalar_text()?;
    if let Some(provider) = node.get("provider") {
        context.note(
            ItemStatus::Approximated,
            provider,
            &format!("`provider` of {what}"),
            "promptci grades with the suite's `grader` target; set it in the suite",
        );
    }
    if node
        .get("type")
        .and_then(Node::as_str)
        .is_some_and(|t| t.contains("closedqa"))
    {
        context.note(
            ItemStatus::Approximated,
            node,
            what,
            "imported as a `rubric`: promptci's grader prompt differs from promptfoo's closed-QA prompt",
        );
    }
    if node.get("threshold").is_some() {
        context.note(
            ItemStatus::Approximated,
            node,
            &format!("`threshold` of {what}"),
            "promptci's judges give pass or fail, not a score",
        );
    }
    Some(Yaml::entry(kind, Yaml::Text(text)))
}

/// Returns an assertion's `weight` (1 when it has none).
pub(crate) fn weight_of(node: &Node) -> f64 {
    node.get("weight")
        .and_then(|weight| weight.to_json().as_f64())
        .unwrap_or(1.0)
}

/// The most assertions a threshold is spelled out for (every passing subset is listed).
const MAX_THRESHOLD_ASSERTIONS: usize = 8;

/// Returns one assertion that passes when promptfoo's weighted score of `asserts` reaches
/// `threshold` (every assertion when there is none): `any` of the smallest sets of
/// assertions whose weights reach it, each set an `all`. `Err` holds the stricter `all` when
/// there are too many assertions to spell the sets out.
pub(crate) fn combine(asserts: Vec<(Yaml, f64)>, threshold: Option<f64>) -> Result<Yaml, Yaml> {
    let all = |asserts: Vec<(Yaml, f64)>| {
        Yaml::entry(
            "all",
            Yaml::List(asserts.into_iter().map(|(yaml, _)| yaml).collect()),
        )
    };
    let Some(threshold) = threshold else {
        return Ok(all(asserts));
    };
    let total: f64 = asserts.iter().map(|(_, weight)| weight).sum();
    if asserts.len() > MAX_THRESHOLD_ASSERTIONS || total <= 0.0 {
        return Err(all(asserts));
    }
    let count = asserts.len();
    let mut passing: Vec<u32> = Vec::new();
    for mask in 1..(1_u32 << count) {
        let score: f64 = (0..count)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| asserts[i].1)
            .sum();
        if score / total >= threshold && !passing.iter().any(|smaller| mask & smaller == *smaller) {
            passing.push(mask);
        }
    }
    let sets = passing
        .into_iter()
        .map(|mask| {
            all((0..count)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| asserts[i].clone())
                .collect())
        })
        .collect();
    Ok(Yaml::entry("any", Yaml::List(sets)))
}

/// The note for a threshold that [`combine`] spelled out, or could not.
pub(crate) fn threshold_note(combined: &Result<Yaml, Yaml>) -> (ItemStatus, &'static str) {
    match combined {
        Ok(_) => (
            ItemStatus::Converted,
            "spelled out as `any` of the sets of assertions whose weights reach it",
        ),
        Err(_) => (
            ItemStatus::Approximated,
            "too many assertions to spell out: promptci needs every one to pass",
        ),
    }
}

/// Returns the strings of a list value, or of a comma-separated string as promptfoo splits it
/// (double quotes keep commas inside an item).
pub(crate) fn list_value(value: &Node) -> Vec<String> {
    if let Some(items) = value.as_list() {
        return items.iter().filter_map(Node::scalar_text).collect();
    }
    let text = value.scalar_text().unwrap_or_default();
    split_commas(&text)
}

/// Splits `a, "b, c", d` into `a`, `b, c` and `d`.
pub(crate) fn split_commas(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => items.push(std::mem::take(&mut current).trim().to_owned()),
            other => current.push(other),
        }
    }
    items.push(current.trim().to_owned());
    items.retain(|item| !item.is_empty());
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(yaml: &str) -> (Option<String>, ImportReport, Vec<Problem>) {
        let source = SourceFile::new("c.yaml", yaml);
        let node: Node = crate::yaml::parse_yaml(&source).unwrap();
        let mut report = ImportReport::default();
        let mut problems = Vec::new();
        let read = |_: &str| Err(std::io::Error::other("no files here"));
        let mut context = AssertionContext {
            source: &source,
            report: &mut report,
            problems: &mut problems,
            read: &read,
        };
        let converted = convert_assertion(&node, &mut context).map(|yaml| yaml.to_text());
        (converted, report, problems)
    }

    #[test]
    fn exact_text_checks_become_anchored_regexes() {
        assert_eq!(
            convert("{type: equals, value: 'a.b '}").0.unwrap(),
            "regex: \"\\\\Aa\\\\.b \\\\z\"\n"
        );
        assert_eq!(
            convert("{type: not-starts-with, value: Hi}").0.unwrap(),
            "not-regex: \"\\\\AHi\"\n"
        );
    }

    #[test]
    fn list_kinds_map_to_promptci_lists() {
        assert_eq!(
            convert("{type: contains-any, value: 'a, \"b, c\"'}")
                .0
                .unwrap(),
            "contains-any:\n  - a\n  - b, c\n"
        );
        assert_eq!(
            convert("{type: not-contains-all, value: [a, b]}")
                .0
                .unwrap(),
            "not:\n  contains:\n    - a\n    - b\n"
        );
        assert_eq!(
            convert("{type: not-icontains-any, value: [a]}").0.unwrap(),
            "not:\n  icontains-any:\n    - a\n"
        );
    }

    #[test]
    fn unknown_types_are_located_errors_with_a_suggestion() {
        let (_, _, problems) = convert("type: containz\nvalue: x\n");
        assert_eq!(problems[0].location(), Some("c.yaml:1:7"));
        assert_eq!(problems[0].help(), Some("did you mean `contains`?"));
        let (_, _, problems) = convert("value: x\n");
        assert_eq!(problems[0].message(), "this assertion has no `type`");
    }

    #[test]
    fn scripts_and_costs_are_reported_not_converted() {
        for yaml in [
            "{type: javascript, value: output.length > 3}",
            "{type: cost, threshold: 1}",
        ] {
            let (converted, report, _) = convert(yaml);
            assert!(converted.is_none());
            assert_eq!(report.count(ItemStatus::Unconverted), 1, "{yaml}");
        }
    }
}
