//! `promptci import promptfoo`: every recorded promptfoo project imported and run offline
//! gives promptfoo's own verdicts, case by case, except where the import report says why not.

use serde_json::Value;

use crate::harness::Project;
use crate::promptfoo::{RECORDED, config_name, expected, fixture_dir};

/// Imports a fixture project into a fresh project and returns it with the `--json` report.
fn import(name: &str) -> (Project, Value) {
    let project = Project::new();
    let dir = fixture_dir(name);
    let config = dir.join(config_name(&dir));
    let run = project.run(&["import", "promptfoo", config.to_str().unwrap(), "--json"]);
    run.code(0);
    let report =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{name}: {e}\n{}", run.stdout));
    (project, report)
}

/// Whether promptfoo's prompt label names the imported prompt (promptfoo shortens long labels).
fn same_prompt(expected: &str, imported: &str) -> bool {
    expected == imported
        || expected
            .strip_suffix("...")
            .is_some_and(|start| imported.starts_with(start))
        || (expected.len() >= 60 && imported.starts_with(expected))
}

/// Returns, per expected result, promptfoo's outcome and promptci's, for one fixture.
fn verdicts(name: &str) -> (Vec<(String, String, String)>, Value) {
    let (project, report) = import(name);
    let run = project.run(&["run", "--json", "r.json"]);
    if !matches!(run.code, 0 | 1 | 3) {
        return (
            vec![(
                format!("(run exited {})", run.code),
                String::new(),
                run.stderr.clone(),
            )],
            report,
        );
    }
    let cases = run.json("r.json")["cases"].as_array().unwrap().clone();
    let mut rows = Vec::new();
    for result in expected(name)["results"].as_array().unwrap() {
        let Some(suite) = report["suites"].as_array().unwrap().iter().find(|suite| {
            suite["provider"] == result["provider"]
                && same_prompt(
                    result["prompt"].as_str().unwrap(),
                    suite["prompt"].as_str().unwrap(),
                )
        }) else {
            let id = format!(
                "{} × {}",
                result["prompt"].as_str().unwrap(),
                result["provider"].as_str().unwrap()
            );
            rows.push((
                id,
                result["outcome"].as_str().unwrap().to_owned(),
                "not imported".to_owned(),
            ));
            continue;
        };
        let case = suite["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|case| case["test"] == result["test"])
            .unwrap_or_else(|| {
                panic!(
                    "{name}: no case for test {} in {}",
                    result["test"], suite["path"]
                )
            });
        let id = format!(
            "{}::{}",
            suite["path"].as_str().unwrap(),
            case["name"].as_str().unwrap()
        );
        let status = cases
            .iter()
            .find(|c| c["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{name}: {id} did not run"))["status"]
            .as_str()
            .unwrap();
        let ours = match status {
            "passed" => "pass",
            "failed" => "fail",
            other => other,
        };
        rows.push((
            id,
            result["outcome"].as_str().unwrap().to_owned(),
            ours.to_owned(),
        ));
    }
    (rows, report)
}

/// Cases whose verdict differs from promptfoo's: the fixture, the start of the case id, and
/// the `what` of the import report's item that says why.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    // promptfoo errors on a list for `contains`; promptci checks every item.
    (
        "assertions-text",
        "suites/assertions-text/prompt.yaml::contains with a list",
        "assertion `contains`",
    ),
    // promptfoo's `load` filter parses JSON; minijinja has none, so the prompt is not imported.
    (
        "nunjucks-differences",
        "First item:",
        "Nunjucks filter `load`",
    ),
    // JavaScript assertions are listed as not converted, so these cases lose their check.
    (
        "script-assertions",
        "suites/script-assertions/prompt.yaml::javascript returning false",
        "assertion `javascript`",
    ),
    (
        "script-assertions",
        "suites/script-assertions/prompt.yaml::javascript that throws",
        "assertion `javascript`",
    ),
];

#[test]
fn imported_promptfoo_projects_give_promptfoos_verdicts() {
    let mut unexplained = Vec::new();
    let (mut total, mut equal) = (0, 0);
    for name in RECORDED {
        let (rows, report) = verdicts(name);
        total += rows.len();
        for (id, theirs, ours) in rows {
            if theirs == ours {
                equal += 1;
                continue;
            }
            let difference = format!("{name}: {id}: promptfoo {theirs}, promptci {ours}");
            let Some((_, _, what)) = KNOWN_DIFFERENCES
                .iter()
                .find(|(fixture, start, _)| fixture == name && id.starts_with(start))
            else {
                unexplained.push(difference);
                continue;
            };
            let reported = report["items"].as_array().unwrap().iter().any(|item| {
                item["status"] != "converted" && item["what"].as_str().unwrap().contains(what)
            });
            assert!(
                reported,
                "{difference}: the import report does not list {what}:\n{report:#}"
            );
        }
    }
    assert!(
        unexplained.is_empty(),
        "{} of {total} verdicts differ:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    assert_eq!(
        total - equal,
        KNOWN_DIFFERENCES.len(),
        "a known difference went away: drop it from the list"
    );
}

#[test]
fn malformed_promptfoo_configs_exit_2_with_every_problem_located() {
    let dir = fixture_dir("malformed");
    for (file, expected) in [
        (
            "assertion-without-type.yaml",
            "assertion-without-type.yaml:6:9: this assertion has no `type`",
        ),
        (
            "bad-csv.yaml",
            "bad.csv:2:1: this row has 1 fields but the header has 2",
        ),
        (
            "empty.yaml",
            "empty.yaml:1:1: the promptfoo config is empty",
        ),
        ("missing-files.yaml", "missing-files.yaml:4:8: cannot read"),
        (
            "not-a-mapping.yaml",
            "not-a-mapping.yaml:1:1: a promptfoo config is a mapping",
        ),
        (
            "prompts-number.yaml",
            "prompts-number.yaml:1:10: `prompts` is a string, a list or a mapping, not a number",
        ),
        (
            "providers-and-targets.yaml",
            "providers-and-targets.yaml:3:1: both `providers` and `targets`",
        ),
        (
            "tests-number.yaml",
            "tests-number.yaml:3:8: `tests` is a list or a file path, not a number",
        ),
        (
            "unknown-assertion-type.yaml",
            "unknown-assertion-type.yaml:8:15: unknown promptfoo assertion type `and`",
        ),
        ("yaml-syntax.yaml", "yaml-syntax.yaml:4:6:"),
    ] {
        let project = Project::new();
        let run = project.run(&["import", "promptfoo", dir.join(file).to_str().unwrap()]);
        run.code(2);
        assert!(run.stderr.contains(expected), "{file}: {}", run.stderr);
        assert!(!project.path("suites").exists(), "{file}: wrote suites");
    }
    let project = Project::new();
    let run = project.run(&[
        "import",
        "promptfoo",
        dir.join("missing-files.yaml").to_str().unwrap(),
    ]);
    assert!(
        run.stderr.contains("missing-files.yaml:2:5: cannot read"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("invalid input: 2 problems"),
        "{}",
        run.stderr
    );
    let run = project.run(&[
        "import",
        "promptfoo",
        dir.join("unknown-assertion-type.yaml").to_str().unwrap(),
    ]);
    assert!(
        run.stderr.contains("did you mean `contains`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_prompt_promptfoo_would_read_as_a_path_is_reported() {
    let dir = fixture_dir("malformed");
    let run = Project::new().run(&[
        "import",
        "promptfoo",
        dir.join("path-like-prompt.yaml").to_str().unwrap(),
    ]);
    run.code(0);
    assert!(
        run.stdout
            .contains("path-like-prompt.yaml:3:5: prompt `What is 1/2 of {{n}}?`: promptfoo reads"),
        "{}",
        run.stdout
    );
}

#[test]
fn hosted_providers_become_targets_that_name_their_key_variables_only() {
    let (project, report) = import("providers-hosted");
    let config = std::fs::read_to_string(project.path("promptci.yaml")).unwrap();
    for expected in [
        "openai-gpt-4o-mini:\n    provider: openai\n    model: gpt-4o-mini\n    api-key-env: OPENAI_API_KEY\n",
        "gpt41:\n    provider: openai\n    model: gpt-4.1\n    api-key-env: OPENAI_API_KEY\n    temperature: 0.2\n    max-tokens: 300\n    seed: 7\n",
        "vllm-local:\n    provider: openai\n    model: Qwen/Qwen2.5-7B-Instruct\n    base-url: \"http://localhost:8000/v1\"\n    api-key-env: VLLM_API_KEY\n",
        "anthropic-messages-claude-3-5-haiku-latest:\n    provider: anthropic\n    model: claude-3-5-haiku-latest\n    api-key-env: ANTHROPIC_API_KEY\n    max-tokens: 512\n    temperature: 0\n",
        "base-url: \"https://api.groq.com/openai/v1\"\n    api-key-env: GROQ_API_KEY\n",
        "model: llama3.2\n    base-url: \"http://localhost:11434/v1\"\n",
    ] {
        assert!(
            config.contains(expected),
            "{expected}\n--- promptci.yaml\n{config}"
        );
    }
    let everything = format!("{report}{config}");
    assert!(
        !everything.contains("sk-do-not-copy-this-key"),
        "a key was copied"
    );
    let unconverted: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["status"] == "unconverted")
        .map(|item| item["what"].as_str().unwrap())
        .collect();
    for what in [
        "`apiKey` of provider `openai:chat:gpt-4.1`",
        "provider `https://llm.internal.example/v1/chat/completions`",
        "provider `http`",
        "provider `file://custom_provider.py`",
        "provider `exec: python chain.py`",
        "provider `vertex:gemini-2.5-pro`",
    ] {
        assert!(
            unconverted.contains(&what),
            "{what} not listed: {unconverted:?}"
        );
    }
    project.run(&["check"]).code(0);
}

#[test]
fn features_without_a_counterpart_are_each_listed_with_their_location() {
    let (_, report) = import("unsupported");
    let listed: Vec<String> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["status"] == "unconverted")
        .map(|item| {
            format!(
                "{} {}",
                item["location"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap(),
                item["what"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "promptfooconfig.yaml:3:1 key `nunjucksFilters`",
        "promptfooconfig.yaml:5:1 key `extensions`",
        "promptfooconfig.yaml:7:1 key `derivedMetrics`",
        "promptfooconfig.yaml:12:5 prompt `file://prompt_builder.py:build`",
        "promptfooconfig.yaml:17:5 `options.transform` of `defaultTest`",
        "promptfooconfig.yaml:22:7 `options.prefix` of a test",
        "promptfooconfig.yaml:31:5 `providerOutput` of a test",
        "assertion `levenshtein`",
        "assertion `rouge-n`",
        "assertion `is-xml`",
        "assertion `word-count`",
        "assertion `finish-reason`",
        "assertion `is-refusal`",
        "assertion `webhook`",
        "variable `name`",
        "generated tests",
    ] {
        assert!(
            listed.iter().any(|item| item.contains(expected)),
            "{expected} not listed:\n{}",
            listed.join("\n")
        );
    }
}

#[test]
fn existing_files_are_never_replaced_without_force() {
    let dir = fixture_dir("smoke-basic");
    let config = dir.join("promptfooconfig.json");
    let project = Project::new();
    project
        .run(&["import", "promptfoo", config.to_str().unwrap()])
        .code(0);
    let suite = project.path("suites/smoke-basic/prompt.yaml");
    let again = project.run(&["import", "promptfoo", config.to_str().unwrap()]);
    again.code(0);
    assert!(
        again
            .stdout
            .contains("unchanged suites/smoke-basic/prompt.yaml"),
        "{}",
        again.stdout
    );
    std::fs::write(&suite, "edited by hand\n").unwrap();
    let refused = project.run(&["import", "promptfoo", config.to_str().unwrap()]);
    refused.code(2);
    assert!(
        refused.stderr.contains("`suites/smoke-basic/prompt.yaml`"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(&suite).unwrap(), "edited by hand\n");
    let forced = project.run(&["import", "promptfoo", config.to_str().unwrap(), "--force"]);
    forced.code(0);
    assert!(
        forced
            .stdout
            .contains("overwrote suites/smoke-basic/prompt.yaml"),
        "{}",
        forced.stdout
    );
}

#[test]
fn the_default_config_is_promptfooconfig_yaml_in_the_working_directory() {
    let project = Project::new().copy(
        "fixtures/promptfoo/getting-started/promptfooconfig.yaml",
        "promptfooconfig.yaml",
    );
    let run = project.run(&["import", "promptfoo"]);
    run.code(0);
    assert!(
        run.stdout
            .contains("promptfooconfig.yaml:5:5: inline prompt"),
        "{}",
        run.stdout
    );
    project.run(&["run"]).code(1);
    let empty = Project::new().run(&["import", "promptfoo"]);
    empty.code(2);
    assert!(
        empty.stderr.contains("no `promptfooconfig.yaml`"),
        "{}",
        empty.stderr
    );
}
