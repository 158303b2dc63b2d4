//! [`ImportedTest`]: promptfoo's tests (inline, `file://` YAML, JSON and JSONL files, CSV files
//! with `__expected…` columns, `scenarios`) merged with `defaultTest` and expanded the way
//! promptfoo expands them, each with promptfoo's test index.

use std::sync::Arc;

use super::assertion::{AssertionContext, combine, convert_assertion, threshold_note, weight_of};
use super::report::ItemStatus;
use super::source::{ImportSource, extension_of, is_script};
use super::yaml_text::Yaml;
use crate::error::SourceFile;
use crate::yaml::{Node, NodeKind};

/// The keys of a promptfoo test.
const TEST_KEYS: &[&str] = &[
    "description",
    "vars",
    "assert",
    "options",
    "threshold",
    "metadata",
    "prompts",
    "providers",
    "provider",
    "providerOutput",
    "assertScoringFunction",
];

/// One test as promptci will run it, before it meets a prompt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImportedTest {
    /// promptfoo's test index (after expansion).
    pub(crate) index: usize,
    /// The description, or promptfoo's default (`Row #N` for CSV rows).
    pub(crate) description: Option<String>,
    /// The variables, `defaultTest`'s first.
    pub(crate) vars: Vec<(String, Node)>,
    /// The converted assertions, `defaultTest`'s first.
    pub(crate) asserts: Vec<Yaml>,
    /// Where the test is written.
    pub(crate) at: String,
    /// The prompts it runs on (`prompts:`), empty for all.
    pub(crate) prompts: Vec<String>,
    /// The providers it runs on (`providers:`), empty for all.
    pub(crate) providers: Vec<String>,
    /// Why the case is skipped, when promptci cannot run it as promptfoo would.
    pub(crate) skip: Option<String>,
}

/// A test read from the config or a file, before `defaultTest` and expansion.
struct RawTest {
    node: Node,
    source: Arc<SourceFile>,
    /// The default description (CSV rows).
    default_description: Option<String>,
}

/// Reads every test of the config.
pub(crate) fn load_tests(config: &Node, import: &mut ImportSource<'_>) -> Vec<ImportedTest> {
    let mut raw = Vec::new();
    match config.get("tests") {
        None => {}
        Some(node) => match &node.kind {
            NodeKind::Text(path) => read_test_file(path, node, import, &mut raw),
            NodeKind::List(items) => {
                for item in items {
                    match &item.kind {
                        NodeKind::Text(path) => read_test_file(path, item, import, &mut raw),
                        NodeKind::Map(_) if item.get("path").is_some() => {
                            let at = import.at(item);
                            import.report.push(ItemStatus::Unconverted, at, "generated tests", "promptfoo calls a script to make these tests; promptci cannot run it");
                        }
                        NodeKind::Map(_) => raw.push(RawTest {
                            node: item.clone(),
                            source: Arc::clone(&import.source),
                            default_description: None,
                        }),
                        _ => {
                            let problem = import.problem(
                                item,
                                format!("a test is a mapping or a file path, not {}", item.shape()),
                            );
                            import.problems.push(problem);
                        }
                    }
                }
            }
            _ => {
                let problem = import
                    .problem(
                        node,
                        format!("`tests` is a list or a file path, not {}", node.shape()),
                    )
                    .with_help("write `tests: file://cases.csv` or a list of tests");
                import.problems.push(problem);
            }
        },
    }
    let default = config.get("defaultTest");
    let defaults = default
        .map(|default| convert_test_parts(default, &Arc::clone(&import.source), import, true));
    let mut tests = Vec::new();
    for test in &raw {
        let parts = convert_test_parts(&test.node, &test.source, import, false);
        push_expanded(
            &parts,
            test.default_description.as_ref(),
            defaults.as_ref(),
            import.report,
            &mut tests,
        );
    }
    if let Some(scenarios) = config.get("scenarios").and_then(Node::as_list) {
        for scenario in scenarios {
            let rows: Vec<TestParts> = scenario
                .get("config")
                .and_then(Node::as_list)
                .unwrap_or_default()
                .iter()
                .map(|row| convert_test_parts(row, &Arc::clone(&import.source), import, true))
                .collect();
            let scenario_tests: Vec<TestParts> = scenario
                .get("tests")
                .and_then(Node::as_list)
                .unwrap_or_default()
                .iter()
                .map(|test| convert_test_parts(test, &Arc::clone(&import.source), import, false))
                .collect();
            for row in &rows {
                for test in &scenario_tests {
                    let mut merged = test.clone();
                    merged.vars = merge_vars(&row.vars, &test.vars);
                    merged.asserts = row.asserts.iter().chain(&test.asserts).cloned().collect();
                    if merged.description.is_none() {
                        merged.description.clone_from(&row.description);
                    }
                    push_expanded(&merged, None, defaults.as_ref(), import.report, &mut tests);
                }
            }
        }
    }
    if tests.is_empty() && raw.is_empty() && config.get("scenarios").is_none() {
        let parts = defaults.clone().unwrap_or_default();
        push_expanded(&parts, None, None, import.report, &mut tests);
    }
    for test in &mut tests {
        read_file_vars(test, import);
    }
    tests
}

/// Replaces `file://` variables by the text of their files, as promptfoo does; a variable
/// made by a script skips the case.
fn read_file_vars(test: &mut ImportedTest, import: &mut ImportSource<'_>) {
    for (name, value) in &mut test.vars {
        let Some(path) = value
            .as_str()
            .and_then(|text| text.strip_prefix("file://"))
            .map(str::to_owned)
        else {
            continue;
        };
        let extension = extension_of(&path);
        if is_script(&extension) || path.contains(':') {
            let at = import.at(value);
            let what = format!("variable `{name}`");
            if !import.report.items.iter().any(|item| item.location == at) {
                import.report.push(
                    ItemStatus::Unconverted,
                    at,
                    what,
                    format!("made by the script `{path}`; the case is skipped"),
                );
            }
            test.skip = Some(format!(
                "variable `{name}` is made by the script `{path}`, which promptci cannot run"
            ));
            continue;
        }
        if let Some(text) = import.read_file(&path, value) {
            let at = import.at(value);
            if !import.report.items.iter().any(|item| item.location == at) {
                import.report.push(
                    ItemStatus::Converted,
                    at,
                    format!("variable `{name}`"),
                    format!("the text of `{path}`, copied into the case"),
                );
            }
            value.kind = NodeKind::Text(text);
        }
    }
}

/// What one test (or `defaultTest`, or a scenario row) says.
#[derive(Debug, Clone, Default)]
struct TestParts {
    description: Option<String>,
    vars: Vec<(String, Node)>,
    asserts: Vec<(Yaml, f64)>,
    at: String,
    prompts: Vec<String>,
    providers: Vec<String>,
    skip: Option<String>,
    /// The weighted score the test needs, when it may pass with some assertions failing.
    threshold: Option<f64>,
    disable_default_asserts: bool,
    disable_var_expansion: bool,
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per key of a promptfoo test, so every key is accounted for in one place"
)]
fn convert_test_parts(
    node: &Node,
    source: &Arc<SourceFile>,
    import: &mut ImportSource<'_>,
    is_default: bool,
) -> TestParts {
    let at = format!("{}:{}:{}", source.name, node.line, node.column);
    let mut parts = TestParts {
        at: at.clone(),
        ..TestParts::default()
    };
    let whose = if is_default {
        "`defaultTest`"
    } else {
        "a test"
    };
    for (key, value) in node.entries() {
        let name = key.key_text();
        let key_at = format!("{}:{}:{}", source.name, key.line, key.column);
        match name.as_str() {
            "description" => parts.description = value.scalar_text(),
            "vars" => match &value.kind {
                NodeKind::Map(entries) => {
                    parts.vars = entries
                        .iter()
                        .map(|(key, value)| (key.key_text(), value.clone()))
                        .collect();
                }
                _ => import.report.push(
                    ItemStatus::Unconverted,
                    key_at,
                    format!("`vars` of {whose}"),
                    "variables from a file or script; promptci needs them written out",
                ),
            },
            "assert" => {
                let (dir, read) = (import.dir.clone(), import.read);
                let read_relative = move |path: &str| read(&dir.join(path));
                for assertion in value.as_list().unwrap_or_default() {
                    let mut context = AssertionContext {
                        source,
                        report: &mut *import.report,
                        problems: &mut *import.problems,
                        read: &read_relative,
                    };
                    if let Some(converted) = convert_assertion(assertion, &mut context) {
                        parts.asserts.push((converted, weight_of(assertion)));
                    }
                }
            }
            "options" => {
                for (option, setting) in value.entries() {
                    let option_name = option.key_text();
                    let option_at = format!("{}:{}:{}", source.name, option.line, option.column);
                    match option_name.as_str() {
                        "disableDefaultAsserts" => {
                            parts.disable_default_asserts =
                                matches!(setting.kind, NodeKind::Bool(true));
                        }
                        "disableVarExpansion" => {
                            parts.disable_var_expansion =
                                matches!(setting.kind, NodeKind::Bool(true));
                        }
                        "provider" => import.report.push(
                            ItemStatus::Approximated,
                            option_at,
                            format!("`options.provider` of {whose}"),
                            "the grading provider: set the suite's `grader` target in promptci",
                        ),
                        _ => import.report.push(
                            ItemStatus::Unconverted,
                            option_at,
                            format!("`options.{option_name}` of {whose}"),
                            "promptci has no counterpart",
                        ),
                    }
                }
            }
            "threshold" => parts.threshold = value.to_json().as_f64(),
            "metadata" => import.report.push(
                ItemStatus::Ignored,
                key_at,
                format!("`metadata` of {whose}"),
                "reporting only in promptfoo; it does not change verdicts",
            ),
            "prompts" => parts.prompts = super::assertion::list_value(value),
            "providers" => parts.providers = super::assertion::list_value(value),
            "provider" | "providerOutput" | "assertScoringFunction" => {
                import.report.push(
                    ItemStatus::Unconverted,
                    key_at,
                    format!("`{name}` of {whose}"),
                    "promptci has no counterpart; the case is skipped",
                );
                parts.skip = Some(format!("promptfoo's `{name}` has no promptci counterpart"));
            }
            _ => {
                let hint = crate::error::did_you_mean(&name, TEST_KEYS.iter().copied())
                    .map(|close| format!(" (did you mean `{close}`?)"))
                    .unwrap_or_default();
                import.report.push(
                    ItemStatus::Ignored,
                    key_at,
                    format!("key `{name}` of {whose}"),
                    format!("promptfoo ignores unknown test keys{hint}"),
                );
            }
        }
    }
    parts
}

fn merge_vars(first: &[(String, Node)], second: &[(String, Node)]) -> Vec<(String, Node)> {
    let mut vars: Vec<(String, Node)> = first.to_vec();
    for (name, value) in second {
        match vars.iter_mut().find(|(existing, _)| existing == name) {
            Some(slot) => slot.1 = value.clone(),
            None => vars.push((name.clone(), value.clone())),
        }
    }
    vars
}

/// Merges `defaultTest` into a test and expands list variables into one test per value, as
/// promptfoo does.
fn push_expanded(
    parts: &TestParts,
    default_description: Option<&String>,
    defaults: Option<&TestParts>,
    report: &mut super::report::ImportReport,
    tests: &mut Vec<ImportedTest>,
) {
    let mut vars = defaults.map_or_else(
        || parts.vars.clone(),
        |defaults| merge_vars(&defaults.vars, &parts.vars),
    );
    let mut asserts = Vec::new();
    if let Some(defaults) = defaults
        && !parts.disable_default_asserts
    {
        asserts.extend(defaults.asserts.iter().cloned());
    }
    asserts.extend(parts.asserts.iter().cloned());
    let asserts: Vec<Yaml> = match parts
        .threshold
        .or_else(|| defaults.and_then(|d| d.threshold))
    {
        Some(threshold) if asserts.len() > 1 => {
            let combined = combine(asserts, Some(threshold));
            let (status, note) = threshold_note(&combined);
            if !report
                .items
                .iter()
                .any(|item| item.location == parts.at && item.what == "`threshold` of a test")
            {
                report.push(status, parts.at.clone(), "`threshold` of a test", note);
            }
            vec![combined.unwrap_or_else(|all| all)]
        }
        _ => asserts.into_iter().map(|(yaml, _)| yaml).collect(),
    };
    let expand = !parts.disable_var_expansion && !defaults.is_some_and(|d| d.disable_var_expansion);
    let mut combinations: Vec<Vec<(String, Node)>> = vec![Vec::new()];
    for (name, value) in vars.drain(..) {
        let choices: Vec<Node> = match value.as_list() {
            Some(items)
                if expand
                    && !items.is_empty()
                    && items.iter().all(|item| item.scalar_text().is_some()) =>
            {
                items.to_vec()
            }
            _ => vec![value.clone()],
        };
        let mut next_combinations = Vec::with_capacity(combinations.len() * choices.len());
        for combination in &combinations {
            for choice in &choices {
                let mut next = combination.clone();
                next.push((name.clone(), choice.clone()));
                next_combinations.push(next);
            }
        }
        combinations = next_combinations;
    }
    for combination in combinations {
        tests.push(ImportedTest {
            index: tests.len(),
            description: parts
                .description
                .clone()
                .or_else(|| default_description.cloned()),
            vars: combination,
            asserts: asserts.clone(),
            at: parts.at.clone(),
            prompts: parts.prompts.clone(),
            providers: parts.providers.clone(),
            skip: parts.skip.clone(),
        });
    }
}

fn read_test_file(path: &str, node: &Node, import: &mut ImportSource<'_>, raw: &mut Vec<RawTest>) {
    let relative = path.strip_prefix("file://").unwrap_or(path);
    if relative.contains('*') || relative.contains(':') {
        let at = import.at(node);
        import.report.push(
            ItemStatus::Unconverted,
            at,
            format!("tests `{path}`"),
            "a glob or a script; list the files, or write the tests out",
        );
        return;
    }
    let extension = extension_of(relative);
    if !matches!(
        extension.as_str(),
        "csv" | "yaml" | "yml" | "json" | "jsonl"
    ) {
        let at = import.at(node);
        import.report.push(ItemStatus::Unconverted, at, format!("tests `{path}`"), "promptci reads CSV, YAML, JSON and JSONL tests; this one is made by a script or another format");
        return;
    }
    let Some(text) = import.read_file(relative, node) else {
        return;
    };
    let source = Arc::new(SourceFile::new(import.shown(relative), text.as_str()));
    let at = import.at(node);
    let before = raw.len();
    match extension.as_str() {
        "csv" => read_csv(&source, import, raw),
        "jsonl" => {
            for (number, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let mut padded = "\n".repeat(number);
                padded.push_str(line);
                match crate::yaml::parse_yaml_text::<Node>(&padded) {
                    Ok(node) if node.is_map() => raw.push(RawTest {
                        node,
                        source: Arc::clone(&source),
                        default_description: None,
                    }),
                    Ok(node) => {
                        let problem = crate::error::Problem::at_line(
                            &source,
                            number + 1,
                            1,
                            format!("a test is a JSON object, not {}", node.shape()),
                        );
                        import.problems.push(problem);
                    }
                    Err(error) => import.problems.push(error.at(&source)),
                }
            }
        }
        _ => match crate::yaml::parse_yaml::<Node>(&source) {
            Ok(node) => match &node.kind {
                NodeKind::List(items) => raw.extend(items.iter().map(|item| RawTest {
                    node: item.clone(),
                    source: Arc::clone(&source),
                    default_description: None,
                })),
                NodeKind::Map(_) => raw.push(RawTest {
                    node,
                    source: Arc::clone(&source),
                    default_description: None,
                }),
                _ => {
                    let problem = crate::error::Problem::at_line(
                        &source,
                        node.line.max(1),
                        node.column.max(1),
                        format!("a tests file holds a list of tests, not {}", node.shape()),
                    );
                    import.problems.push(problem);
                }
            },
            Err(problem) => import.problems.push(problem),
        },
    }
    import.report.push(
        ItemStatus::Converted,
        at,
        format!("tests `{path}`"),
        format!(
            "{} written out as cases",
            crate::util::format::plural(raw.len() - before, "test", "tests")
        ),
    );
}

#[expect(
    clippy::too_many_lines,
    reason = "one pass over the rows, with promptfoo's special columns handled where they are read"
)]
fn read_csv(source: &Arc<SourceFile>, import: &mut ImportSource<'_>, raw: &mut Vec<RawTest>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(source.text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => {
            import.problems.push(crate::error::Problem::at_line(
                source,
                1,
                1,
                format!("cannot read the CSV header: {error}"),
            ));
            return;
        }
    };
    for (row, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(row + 2, |position| {
                    usize::try_from(position.line()).unwrap_or(1)
                });
                let message = match error.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "this row has {len} fields but the header has {expected_len} (an unclosed quote joins rows)"
                    ),
                    _ => error.to_string(),
                };
                import.problems.push(crate::error::Problem::at_line(source, line, 1, message).with_help("quote fields that hold commas or newlines with `\"`, and double a `\"` inside one"));
                continue;
            }
        };
        let line = record.position().map_or(row + 2, |position| {
            usize::try_from(position.line()).unwrap_or(1)
        });
        let at_cell = |column: usize, kind: NodeKind| Node { kind, line, column };
        let mut vars = Vec::new();
        let mut asserts = Vec::new();
        let mut description = None;
        for (column, (header, cell)) in headers.iter().zip(record.iter()).enumerate() {
            let text = |value: &str| at_cell(column + 1, NodeKind::Text(value.to_owned()));
            if header == "__expected"
                || header
                    .strip_prefix("__expected")
                    .is_some_and(|n| n.parse::<u32>().is_ok())
            {
                if !cell.is_empty() {
                    let (kind, value) = shorthand(cell);
                    let mut entries = vec![(text("type"), text(&kind))];
                    if let Some(value) = value {
                        entries.push((text("value"), text(&value)));
                    }
                    asserts.push(at_cell(column + 1, NodeKind::Map(entries)));
                }
            } else if header == "__description" {
                if !cell.is_empty() {
                    description = Some(cell.to_owned());
                }
            } else if header.starts_with("__metadata") {
                if row == 0 {
                    import.report.push(
                        ItemStatus::Ignored,
                        format!("{}:1:{}", source.name, column + 1),
                        format!("column `{header}`"),
                        "metadata is reporting only in promptfoo; it does not change verdicts",
                    );
                }
            } else if header.starts_with("__") {
                if row == 0 {
                    import.report.push(
                        ItemStatus::Unconverted,
                        format!("{}:1:{}", source.name, column + 1),
                        format!("column `{header}`"),
                        "promptci has no counterpart",
                    );
                }
            } else {
                vars.push((text(header), text(cell)));
            }
        }
        let mut entries = vec![(
            at_cell(1, NodeKind::Text("vars".to_owned())),
            at_cell(1, NodeKind::Map(vars)),
        )];
        if let Some(description) = description {
            entries.push((
                at_cell(1, NodeKind::Text("description".to_owned())),
                at_cell(1, NodeKind::Text(description)),
            ));
        }
        entries.push((
            at_cell(1, NodeKind::Text("assert".to_owned())),
            at_cell(1, NodeKind::List(asserts)),
        ));
        raw.push(RawTest {
            node: at_cell(1, NodeKind::Map(entries)),
            source: Arc::clone(source),
            default_description: Some(format!("Row #{}", row + 1)),
        });
    }
}

/// The assertion types promptfoo's CSV shorthand names, longest first where one starts another.
const SHORTHAND_TYPES: &[&str] = &[
    "contains-all",
    "contains-any",
    "contains-json",
    "contains",
    "icontains-all",
    "icontains-any",
    "icontains",
    "equals",
    "starts-with",
    "regex",
    "is-json",
    "is-xml",
    "is-sql",
    "similar",
    "levenshtein",
    "latency",
    "cost",
    "factuality",
    "answer-relevance",
];

/// Reads promptfoo's `type:value` shorthand of a CSV `__expected` cell; a cell without a known
/// type is an `equals`.
fn shorthand(cell: &str) -> (String, Option<String>) {
    for (prefix, kind) in [
        ("grade:", "llm-rubric"),
        ("llm-rubric:", "llm-rubric"),
        ("fn:", "javascript"),
        ("eval:", "javascript"),
        ("javascript:", "javascript"),
        ("python:", "python"),
    ] {
        if let Some(rest) = cell.strip_prefix(prefix) {
            return (kind.to_owned(), Some(rest.trim().to_owned()));
        }
    }
    let (negated, rest) = match cell.strip_prefix("not-") {
        Some(rest) => ("not-", rest),
        None => ("", cell),
    };
    for kind in SHORTHAND_TYPES {
        if rest == *kind {
            return (format!("{negated}{kind}"), None);
        }
        if let Some(value) = rest
            .strip_prefix(kind)
            .and_then(|value| value.strip_prefix(':'))
        {
            return (format!("{negated}{kind}"), Some(value.to_owned()));
        }
    }
    ("equals".to_owned(), Some(cell.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_shorthand_names_the_type_or_means_equals() {
        assert_eq!(
            shorthand("contains-any:flour,water"),
            ("contains-any".to_owned(), Some("flour,water".to_owned()))
        );
        assert_eq!(
            shorthand("not-icontains:QUIET"),
            ("not-icontains".to_owned(), Some("QUIET".to_owned()))
        );
        assert_eq!(shorthand("is-json"), ("is-json".to_owned(), None));
        assert_eq!(
            shorthand("javascript:output.length > 5"),
            (
                "javascript".to_owned(),
                Some("output.length > 5".to_owned())
            )
        );
        assert_eq!(
            shorthand("Answer: yes"),
            ("equals".to_owned(), Some("Answer: yes".to_owned()))
        );
    }
}
