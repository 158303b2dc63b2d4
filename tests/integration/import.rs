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
