//! [`import_config`]: one promptfoo config turned into promptci suites and templates — one
//! suite per prompt and provider, one case per test — with the [`ImportReport`] of what
//! changed on the way.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use super::cases::{ImportedTest, load_tests};
use super::nunjucks::check_template;
use super::prompt::{ImportedPrompt, PromptTemplate, load_prompts};
use super::provider::{ImportedTarget, convert_provider};
use super::report::{CaseOrigin, ImportReport, ItemStatus, SuiteOrigin};
use super::source::{ImportSource, ReadFile};
use super::yaml_text::Yaml;
use crate::error::{Problem, SourceFile, did_you_mean};
use crate::yaml::{Node, NodeKind};

/// Top-level keys the importer reads.
const CONVERTED_KEYS: &[&str] = &[
    "prompts",
    "providers",
    "targets",
    "tests",
    "defaultTest",
    "scenarios",
    "description",
];

/// Top-level keys that do not change verdicts: output and sharing settings.
const OUTPUT_KEYS: &[&str] = &[
    "outputPath",
    "sharing",
    "writeLatestResults",
    "evaluateOptions",
    "commandLineOptions",
    "tags",
    "metadata",
];

/// Top-level keys with behaviour promptci does not have.
const UNCONVERTED_KEYS: &[&str] = &[
    "nunjucksFilters",
    "extensions",
    "derivedMetrics",
    "env",
    "redteam",
    "tracing",
];

/// A file the import writes, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutputFile {
    /// The path, with `/` separators.
    pub(crate) path: String,
    /// The content.
    pub(crate) text: String,
}

/// What one config became.
#[derive(Debug, Default)]
pub(crate) struct ConfigImport {
    /// Suites and templates.
    pub(crate) files: Vec<OutputFile>,
    /// Targets for `promptci.yaml`, by name.
    pub(crate) targets: Vec<(String, Yaml)>,
}

/// Imports the config `source` (its paths relative to `dir`), writing suites under
/// `suites_dir`. Problems that make the config invalid are returned together.
pub(crate) fn import_config(
    source: SourceFile,
    dir: &Path,
    suites_dir: &str,
    read: ReadFile<'_>,
    report: &mut ImportReport,
) -> Result<ConfigImport, Vec<Problem>> {
    let source = Arc::new(source);
    let config: Node = match crate::yaml::parse_yaml(&source) {
        Ok(node) => node,
        Err(problem) => return Err(vec![problem]),
    };
    if !config.is_map() {
        let message = if matches!(config.kind, NodeKind::Null) {
            "the promptfoo config is empty".to_owned()
        } else {
            format!(
                "a promptfoo config is a mapping (`prompts:`, `providers:`, `tests:`), not {}",
                config.shape()
            )
        };
        return Err(vec![Problem::at_line(
            &source,
            config.line.max(1),
            config.column.max(1),
            message,
        )]);
    }
    let mut problems = Vec::new();
    let shown_dir = source
        .name
        .rsplit_once('/')
        .map(|(dir, _)| dir.to_owned())
        .unwrap_or_default();
    let mut import = ImportSource {
        source: Arc::clone(&source),
        dir: dir.to_owned(),
        shown_dir,
        read,
        report,
        problems: &mut problems,
    };
    top_level_keys(&config, &mut import);
    let prompts = load_prompts(&config, &mut import);
    let targets = load_targets(&config, &mut import);
    let tests = load_tests(&config, &mut import);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut output = ConfigImport::default();
    let suite_names = suite_names(&prompts, &targets);
    for (prompt, target, suite_name) in suite_names {
        write_suite(
            prompt,
            target,
            &suite_name,
            &tests,
            suites_dir,
            &source.name,
            &mut output,
            report,
        );
    }
    output.targets = targets
        .iter()
        .filter_map(|target| Some((target.name.clone(), target.definition.clone()?)))
        .collect();
    Ok(output)
}

fn top_level_keys(config: &Node, import: &mut ImportSource<'_>) {
    if config.get("providers").is_some() && config.get("targets").is_some() {
        let node = config
            .entries()
            .find(|(key, _)| key.as_str() == Some("targets"))
            .map(|(key, _)| key.clone())
            .expect("checked above");
        let problem = import
            .problem(
                &node,
                "both `providers` and `targets`: promptfoo reads one of them",
            )
            .with_help("keep one of the two keys");
        import.problems.push(problem);
    }
    for (key, _) in config.entries() {
        let name = key.key_text();
        let at = import.at(key);
        if OUTPUT_KEYS.contains(&name.as_str()) {
            import.report.push(ItemStatus::Ignored, at, format!("key `{name}`"), "an output or sharing setting; it does not change verdicts (promptci's `run` flags choose reports)");
        } else if UNCONVERTED_KEYS.contains(&name.as_str()) {
            import.report.push(
                ItemStatus::Unconverted,
                at,
                format!("key `{name}`"),
                "promptci has no counterpart",
            );
        } else if !CONVERTED_KEYS.contains(&name.as_str()) {
            let known = CONVERTED_KEYS
                .iter()
                .chain(OUTPUT_KEYS)
                .chain(UNCONVERTED_KEYS)
                .copied();
            let hint = did_you_mean(&name, known)
                .map(|close| format!(" (did you mean `{close}`?)"))
                .unwrap_or_default();
            import.report.push(
                ItemStatus::Ignored,
                at,
                format!("key `{name}`"),
                format!("promptfoo ignores unknown top-level keys{hint}"),
            );
        }
    }
}

fn load_targets(config: &Node, import: &mut ImportSource<'_>) -> Vec<ImportedTarget> {
    let Some(node) = config.get("providers").or_else(|| config.get("targets")) else {
        let problem = import
            .problem(config, "the config has no `providers`")
            .with_help("promptfoo needs at least one provider, for example `providers: [echo]`");
        import.problems.push(problem);
        return Vec::new();
    };
    let items: Vec<Node> = match &node.kind {
        NodeKind::List(items) => items.clone(),
        NodeKind::Text(_) | NodeKind::Map(_) => vec![node.clone()],
        _ => {
            let problem =
                import.problem(node, format!("`providers` is a list, not {}", node.shape()));
            import.problems.push(problem);
            return Vec::new();
        }
    };
    let mut targets: Vec<ImportedTarget> = Vec::new();
    for item in &items {
        let at = import.at(item);
        if let Some(mut target) = convert_provider(item, &at, import.report) {
            let base = target.name.clone();
            let mut n = 2;
            while targets.iter().any(|existing| existing.name == target.name) {
                target.name = format!("{base}-{n}");
                n += 1;
                if target.definition.is_none() {
                    target.definition = Some(Yaml::entry("provider", Yaml::text("echo")));
                }
            }
            targets.push(target);
        }
    }
    targets
}

/// Names one suite per prompt and target, in promptfoo's order.
fn suite_names<'a>(
    prompts: &'a [ImportedPrompt],
    targets: &'a [ImportedTarget],
) -> Vec<(&'a ImportedPrompt, &'a ImportedTarget, String)> {
    let mut suites = Vec::new();
    for prompt in prompts {
        for target in targets {
            if !target.prompts.is_empty()
                && !target
                    .prompts
                    .iter()
                    .any(|key| prompt.keys.contains(key) || *key == prompt.name)
            {
                continue;
            }
            let name = if targets.len() == 1 {
                prompt.name.clone()
            } else {
                format!("{}--{}", prompt.name, target.name)
            };
            suites.push((prompt, target, name));
        }
    }
    suites
}

#[expect(
    clippy::too_many_arguments,
    reason = "one suite's inputs; a struct would only rename them"
)]
fn write_suite(
    prompt: &ImportedPrompt,
    target: &ImportedTarget,
    suite_name: &str,
    tests: &[ImportedTest],
    suites_dir: &str,
    config_name: &str,
    output: &mut ConfigImport,
    report: &mut ImportReport,
) {
    let (template_file, role, checked) = match &prompt.template {
        PromptTemplate::Text(text) => {
            let checked = check_template(text);
            // minijinja drops one trailing newline of a template; Nunjucks keeps it.
            let mut written = checked.text.clone();
            if written.ends_with('\n') {
                written.push('\n');
            }
            (
                template_file(output, suites_dir, &prompt.name, "j2", written),
                Some("user"),
                Some(checked),
            )
        }
        PromptTemplate::Chat(chat) => (
            template_file(output, suites_dir, &prompt.name, "json", chat.clone()),
            None,
            None,
        ),
    };
    let (mut variables, mut guarded) = (BTreeSet::new(), BTreeSet::new());
    if let Some(checked) = &checked {
        if checked.rewrote_length {
            report.push_once(
                ItemStatus::Converted,
                prompt.at.clone(),
                "`.length` in a prompt",
                "JavaScript's `.length` became Jinja's `| length`",
            );
        }
        if !checked.unknown_filters.is_empty() {
            let filters: Vec<String> = checked
                .unknown_filters
                .iter()
                .map(|f| format!("`{f}`"))
                .collect();
            let filters = filters.join(", ");
            report.push_once(
                ItemStatus::Unconverted,
                prompt.at.clone(),
                format!("Nunjucks filter {filters}"),
                "minijinja has no such filter, so no suite is written for this prompt",
            );
            output
                .files
                .retain(|file| file.path != format!("{suites_dir}/{template_file}"));
            return;
        }
        variables.clone_from(&checked.variables);
        guarded.clone_from(&checked.guarded);
    }
    let mut cases = Vec::new();
    let mut origins = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for test in tests.iter().filter(|test| runs_on(test, prompt, target)) {
        let name = case_name(test, &mut names);
        let mut entries = vec![("name".to_owned(), Yaml::Text(name.clone()))];
        let vars = case_vars(test, prompt, (&variables, &guarded), report);
        if !vars.is_empty() {
            entries.push(("vars".to_owned(), Yaml::Map(vars)));
        }
        if !test.asserts.is_empty() {
            entries.push(("assert".to_owned(), Yaml::List(test.asserts.clone())));
        }
        if let Some(reason) = test.skip.clone() {
            entries.push(("skip".to_owned(), Yaml::Text(reason)));
        }
        cases.push(Yaml::Map(entries));
        origins.push(CaseOrigin {
            name,
            test: test.index,
        });
    }
    if cases.is_empty() {
        return;
    }
    let suite = suite_yaml(prompt, &template_file, role, &target.name, cases);
    let path = format!("{suites_dir}/{suite_name}.yaml");
    let text = format!(
        "# Imported from {config_name} by `promptci import promptfoo`.\n{}",
        suite.to_text()
    );
    output.files.push(OutputFile {
        path: path.clone(),
        text,
    });
    report.suites.push(SuiteOrigin {
        path,
        prompt: prompt.label.clone(),
        provider: target.label.clone(),
        target: target.name.clone(),
        cases: origins,
    });
}

/// Returns a suite: the prompt (a text template is the user message), the target, the cases.
fn suite_yaml(
    prompt: &ImportedPrompt,
    template_file: &str,
    role: Option<&str>,
    target: &str,
    cases: Vec<Yaml>,
) -> Yaml {
    let mut prompt_entries = vec![
        ("id".to_owned(), Yaml::Text(prompt.name.clone())),
        ("template".to_owned(), Yaml::text(template_file)),
    ];
    if let Some(role) = role {
        prompt_entries.push(("role".to_owned(), Yaml::text(role)));
    }
    Yaml::Map(vec![
        ("prompt".to_owned(), Yaml::Map(prompt_entries)),
        ("target".to_owned(), Yaml::text(target)),
        ("cases".to_owned(), Yaml::List(cases)),
    ])
}

/// Returns true when promptfoo runs `test` on `prompt` and `target` (its `prompts:` and
/// `providers:` filters).
fn runs_on(test: &ImportedTest, prompt: &ImportedPrompt, target: &ImportedTarget) -> bool {
    let prompt_matches = test.prompts.is_empty()
        || test
            .prompts
            .iter()
            .any(|key| prompt.keys.contains(key) || *key == prompt.name);
    let provider_matches = test.providers.is_empty()
        || test
            .providers
            .iter()
            .any(|key| *key == target.label || *key == target.id || *key == target.name);
    prompt_matches && provider_matches
}

/// Returns a case name from the test's description (else `test N`), unique among `names`.
fn case_name(test: &ImportedTest, names: &mut Vec<String>) -> String {
    let base = test
        .description
        .as_deref()
        .filter(|description| !description.trim().is_empty())
        .map_or_else(
            || format!("test {}", test.index + 1),
            |description| description.replace("::", ":"),
        );
    let mut name = base.clone();
    let mut n = 2;
    while names.contains(&name) {
        name = format!("{base} ({n})");
        n += 1;
    }
    names.push(name.clone());
    name
}

/// Returns a case's variables as promptfoo passes them to `prompt`: nested templates
/// rendered, and the prompt's other variables set to `""` (what Nunjucks prints for them).
fn case_vars(
    test: &ImportedTest,
    prompt: &ImportedPrompt,
    (variables, guarded): (&BTreeSet<String>, &BTreeSet<String>),
    report: &mut ImportReport,
) -> Vec<(String, Yaml)> {
    let mut vars: Vec<(String, Yaml)> = test
        .vars
        .iter()
        .map(|(key, value)| (key.clone(), var_value(value)))
        .collect();
    expand_nested(&mut vars);
    for missing in variables {
        if guarded.contains(missing) || vars.iter().any(|(key, _)| key == missing) {
            continue;
        }
        vars.push((missing.clone(), Yaml::text("")));
        report.push_once(
            ItemStatus::Approximated,
            prompt.at.clone(),
            format!("variable `{missing}`"),
            "undefined in some tests: Nunjucks renders it as nothing, so it is set to `\"\"` there",
        );
    }
    for (key, value) in &test.vars {
        if value.is_map() && variables.contains(key) {
            report.push_once(
                ItemStatus::Approximated,
                test.at.clone(),
                format!("variable `{key}`"),
                "a mapping: Nunjucks prints it as `[object Object]`, minijinja as a map",
            );
        }
    }
    vars
}

/// Adds a template file once and returns its path relative to the suites.
fn template_file(
    output: &mut ConfigImport,
    suites_dir: &str,
    name: &str,
    extension: &str,
    text: String,
) -> String {
    let relative = format!("prompts/{name}.{extension}");
    let path = format!("{suites_dir}/{relative}");
    if !output.files.iter().any(|file| file.path == path) {
        output.files.push(OutputFile { path, text });
    }
    relative
}

/// Returns a variable's value as promptfoo passes it: strings lose one trailing newline.
fn var_value(node: &Node) -> Yaml {
    match &node.kind {
        NodeKind::Text(text) => Yaml::Text(text.strip_suffix('\n').unwrap_or(text).to_owned()),
        _ => Yaml::from_json(&node.to_json()),
    }
}

/// Renders variables that refer to other variables, as promptfoo does before the prompt.
fn expand_nested(vars: &mut [(String, Yaml)]) {
    let context: serde_json::Map<String, serde_json::Value> = vars
        .iter()
        .filter_map(|(key, value)| match value {
            Yaml::Text(text) => Some((key.clone(), serde_json::Value::String(text.clone()))),
            _ => None,
        })
        .collect();
    let environment = minijinja::Environment::new();
    for (_, value) in vars.iter_mut() {
        if let Yaml::Text(text) = value
            && super::assertion::is_templated(text)
            && let Ok(rendered) = environment.render_str(
                text,
                minijinja::Value::from(minijinja::value::Serde(&context)),
            )
        {
            *text = rendered;
        }
    }
}
