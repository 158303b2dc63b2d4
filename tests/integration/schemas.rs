//! `promptci schema`: the JSON Schemas in `schemas/` are the ones the code derives, each file
//! `init` writes names its schema for editors, and reports of every shape match the report's.

use std::path::Path;

use crate::harness::Project;
use crate::mock_grader::{self, GraderReply};
use crate::mock_server::{MockServer, Reply};

const KINDS: &[(&str, &str)] = &[
    ("suite", "schemas/suite.schema.json"),
    ("config", "schemas/config.schema.json"),
    ("report", "schemas/report.schema.json"),
];

#[test]
fn the_schemas_in_the_repository_match_the_code() {
    let project = Project::new();
    for (kind, file) in KINDS {
        let run = project.run(&["schema", kind]);
        run.code(0);
        let checked_in = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
            .unwrap_or_default();
        assert!(
            run.stdout == checked_in,
            "`{file}` differs from the schema the code derives; regenerate it with \
             `cargo run -q -- schema {kind} > {file}` and commit it"
        );
        let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{kind}"
        );
        jsonschema::validator_for(&schema).unwrap();
    }
    project.run(&["schema", "suites"]).code(2);
}

const SHAPES_SUITE: &str = "\
prompt: {id: shapes, template: system.j2}
budget:
  completion-tokens: 1
cases:
  - name: passes
    user: pass
    assert: [{contains: 'yes'}]
  - name: fails
    user: fail
    assert: [{contains: 'yes'}]
  - name: errs
    user: boom
  - name: later
    skip: waits for the new policy
    user: later
  - name: wobbly
    user: wobbly
    repeat: 4
    pass-rate: 0.5
    assert: [{contains: 'yes'}]
  - name: judged
    user: judged
    assert:
      - rubric: Says yes
";

/// Returns the statuses of a report's cases, sorted and deduplicated.
fn statuses(report: &serde_json::Value) -> Vec<String> {
    let mut statuses: Vec<String> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["status"].as_str().unwrap().to_owned())
        .collect();
    statuses.sort();
    statuses.dedup();
    statuses
}

#[test]
fn reports_of_every_shape_match_the_report_schema() {
    // Every other attempt of a case is answered wrongly (so `wobbly` is flaky), `fail` always,
    // and `boom` gets an HTTP error that is not retried.
    let server = MockServer::per_case(|request, attempt| match request.last_user().as_str() {
        "boom" => Reply::status(400, r#"{"error":{"message":"bad request"}}"#),
        "fail" => Reply::answer("no"),
        "wobbly" if attempt % 2 == 1 => Reply::answer("no"),
        _ => Reply::answer("yes"),
    });
    let grader = mock_grader::start(|_| GraderReply::pass("it says yes"));
    let target = |name: &str, model: &str, url: &str| {
        format!(
            "  {name}:\n    provider: openai\n    model: {model}\n    base-url: {url}\n    retries: 0\n"
        )
    };
    let config = format!(
        "grader: judge\ntargets:\n{}{}{}",
        target("default", "answer-model", &server.base_url()),
        target("other", "other-model", &server.base_url()),
        target("judge", "grader-model", &grader.base_url()),
    );
    let project = Project::new()
        .file("promptci.yaml", &config)
        .file("suites/shapes.yaml", SHAPES_SUITE)
        .file("suites/system.j2", "Answer yes.")
        .file(
            "suites/both.yaml",
            "target: [default, other]\ncases:\n  - name: twice\n    user: pass\n    assert: [{contains: 'yes'}]\n",
        );
    // `Run::json` checks each report against the checked-in schema.
    let first = project.run(&["run", "--json", "first.json"]);
    assert_ne!(first.code, 0, "{}", first.stdout);
    let report = first.json("first.json");
    assert_eq!(statuses(&report), ["error", "failed", "passed", "skipped"]);
    let wobbly = first.case("first.json", "suites/shapes.yaml::wobbly");
    assert_eq!(wobbly["repeat"]["classification"], "flaky", "{wobbly}");
    assert!(!wobbly["attempts"].as_array().unwrap().is_empty());
    let judged = first.case("first.json", "suites/shapes.yaml::judged");
    assert_eq!(
        judged["assertions"][0]["judge"]["grader"], "judge",
        "{judged}"
    );
    assert_eq!(report["summary"]["targets"].as_array().unwrap().len(), 2);
    assert!(
        report["suites"]
            .as_array()
            .unwrap()
            .iter()
            .any(|suite| suite["budgets"].is_array()),
        "{report}"
    );
    let second = project.run(&["run", "--baseline", "first.json", "--json", "second.json"]);
    assert!(second.json("second.json")["baseline"].is_object());
    let merged = project.run(&["merge", "first.json", "--json", "merged.json"]);
    merged.json("merged.json");
}
