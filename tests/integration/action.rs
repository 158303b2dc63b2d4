//! The repository's CI files: action.yml has the shape GitHub's action-metadata schema
//! requires (the rules checked here are that schema's, for composite actions), takes inputs
//! only through `env:`, pins actions by SHA; the pre-commit hooks run commands promptci has.
//! `scripts/validate-action.sh` checks action.yml against the published schema itself.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::harness::Project;

fn repository_yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_keys_within(what: &str, value: &Value, allowed: &[&str]) {
    let extra: Vec<&str> = keys(value)
        .into_iter()
        .filter(|key| !allowed.contains(key))
        .collect();
    assert!(
        extra.is_empty(),
        "{what} has keys the schema rejects: {extra:?}"
    );
}

fn is_id(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[test]
fn action_metadata_has_the_schema_shape() {
    let action = repository_yaml("action.yml");
    assert_keys_within(
        "action.yml",
        &action,
        &[
            "name",
            "author",
            "description",
            "inputs",
            "outputs",
            "runs",
            "branding",
        ],
    );
    for required in ["name", "description", "runs"] {
        assert!(
            action[required].is_string() || action[required].is_object(),
            "{required}"
        );
    }
    for (name, input) in action["inputs"].as_object().unwrap() {
        assert!(is_id(name), "input id `{name}`");
        assert_keys_within(
            name,
            input,
            &["description", "required", "default", "deprecationMessage"],
        );
        assert!(
            input["description"].is_string(),
            "input `{name}` needs a description"
        );
        assert!(
            input.get("default").is_none_or(Value::is_string),
            "input `{name}` default is a string"
        );
    }
    for (name, output) in action["outputs"].as_object().unwrap() {
        assert!(is_id(name), "output id `{name}`");
        assert_keys_within(name, output, &["description", "value"]);
        assert!(
            output["description"].is_string() && output["value"].is_string(),
            "output `{name}`"
        );
    }
    let runs = &action["runs"];
    assert_keys_within("runs", runs, &["using", "steps"]);
    assert_eq!(runs["using"], "composite");
    let steps = runs["steps"].as_array().unwrap();
    assert!(!steps.is_empty());
    for step in steps {
        assert_keys_within(
            "a step",
            step,
            &[
                "run",
                "shell",
                "uses",
                "with",
                "name",
                "id",
                "if",
                "env",
                "working-directory",
                "continue-on-error",
            ],
        );
        let is_run = step.get("run").is_some();
        let is_uses = step.get("uses").is_some();
        assert!(is_run != is_uses, "a step either runs or uses: {step}");
        if is_run {
            assert!(
                step["shell"].is_string(),
                "a composite run step needs a shell: {step}"
            );
            let script = step["run"].as_str().unwrap();
            assert!(
                !script.contains("${{"),
                "inputs reach `run:` only through env: {script}"
            );
        } else {
            let uses = step["uses"].as_str().unwrap();
            let (_, reference) = uses.split_once('@').unwrap();
            assert!(
                reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()),
                "actions are pinned by commit SHA: {uses}"
            );
        }
        if let Some(env) = step.get("env") {
            assert!(
                env.as_object().unwrap().values().all(Value::is_string),
                "{env}"
            );
        }
    }
    // Every output comes from the `run` step, which must exist.
    assert!(steps.iter().any(|step| step["id"] == "run"));
}

#[test]
fn workflows_pin_actions_and_keep_credentials() {
    let workflow = repository_yaml(".github/workflows/ci.yml");
    assert_eq!(workflow["permissions"]["contents"], "read");
    for (name, job) in workflow["jobs"].as_object().unwrap() {
        for step in job["steps"].as_array().unwrap() {
            let Some(uses) = step["uses"].as_str() else {
                continue;
            };
            if uses == "./" {
                continue;
            }
            let reference = uses.split_once('@').unwrap().1;
            assert_eq!(reference.len(), 40, "job `{name}`: {uses} is pinned by SHA");
            if uses.starts_with("actions/checkout@") {
                assert_eq!(step["with"]["persist-credentials"], false, "job `{name}`");
            }
        }
    }
}

#[test]
fn pre_commit_hooks_run_commands_promptci_has() {
    let hooks = repository_yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().unwrap();
    let ids: Vec<&str> = hooks
        .iter()
        .map(|hook| hook["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["promptci-check", "promptci-changed"]);
    let project = Project::new().file(
        "suites/a.yaml",
        "cases:\n  - name: x\n    user: hi\n    mock-answer: hi\n    assert: [{contains: hi}]\n",
    );
    for hook in hooks {
        for key in ["id", "name", "entry", "language"] {
            assert!(hook[key].is_string(), "hook needs `{key}`: {hook}");
        }
        assert_eq!(hook["language"], "rust");
        assert_eq!(hook["pass_filenames"], false);
        let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
        assert_eq!(entry[0], "promptci");
        // Outside a git repository only the static hook can succeed; both must parse.
        let run = project.run(&entry[1..]);
        if hook["id"] == "promptci-check" {
            run.code(0);
        } else {
            assert!(
                run.stderr
                    .contains("`--changed-since` needs a git repository"),
                "{}",
                run.stderr
            );
        }
    }
}
