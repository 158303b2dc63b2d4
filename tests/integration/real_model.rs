//! suites/real-model as committed: its recorded real answers and judge verdicts replay offline,
//! and the live `smollm2` target and `smollm2-grader` send what the real-model server expects,
//! at the address `PROMPTCI_REAL_BASE_URL` names.

use std::collections::HashMap;

use serde_json::Value;

use crate::harness::Project;
use crate::mock_grader;
use crate::mock_server::{MockServer, Reply};

const SUITE: &str = "suites/real-model/real-model.yaml";
const RECORDING: &str = "recordings/suites/real-model/real-model.json";

/// A temporary copy of the repository's config, the suite and its recording.
fn project() -> Project {
    Project::new()
        .copy("promptci.yaml", "promptci.yaml")
        .copy(SUITE, SUITE)
        .copy("suites/real-model/system.j2", "suites/real-model/system.j2")
        .copy(RECORDING, RECORDING)
}

fn repo_text(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The recorded real answer of each case, by the case's user message.
fn recorded_answers_by_question() -> HashMap<String, String> {
    let suite: Value = serde_saphyr::from_str(&repo_text(SUITE)).unwrap();
    let recording: Value = serde_json::from_str(&repo_text(RECORDING)).unwrap();
    suite["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let name = case["name"].as_str().unwrap();
            let answer = recording["cases"][name]["answer"]
                .as_str()
                .unwrap_or_else(|| panic!("{RECORDING} has no answer for `{name}`"));
            (case["user"].as_str().unwrap().to_owned(), answer.to_owned())
        })
        .collect()
}

#[test]
fn recorded_real_answers_pass_offline_by_default() {
    let cases = recorded_answers_by_question().len();
    let project = project()
        // Nothing may be asked of a live server, even one that is configured.
        .env("PROMPTCI_REAL_BASE_URL", "http://127.0.0.1:9/v1");
    let run = project.run(&[
        "run",
        SUITE,
        "--json",
        "report.json",
        "--junit",
        "report.xml",
    ]);
    run.code(0);
    let report = run.json("report.json");
    assert_eq!(report["summary"]["passed"], cases, "{}", report["summary"]);
    for case in report["cases"].as_array().unwrap() {
        assert_eq!(case["target"], "replay", "{case}");
        assert_eq!(case["cached"], true, "{case}");
        assert_eq!(case["requests"], 0, "{case}");
    }
    let junit = crate::harness::junit_cases(&run.read("report.xml"));
    assert_eq!(junit.len(), cases);
}

#[test]
fn smollm2_target_sends_the_suite_to_the_address_in_the_environment() {
    let answers = recorded_answers_by_question();
    // The server answers the suite's questions as the model did, passes every rubric, and
    // serves embeddings, as the real-model server does.
    let server = MockServer::start(move |request, _| {
        if request.path.ends_with("/embeddings") {
            return mock_grader::embeddings_reply(&request.body);
        }
        if request.last_user().contains("<rubric>") {
            return Reply::answer(r#"{"reason": "ok", "pass": true, "score": 1.0}"#);
        }
        Reply::answer(
            answers
                .get(&request.last_user())
                .cloned()
                .unwrap_or_default(),
        )
    });
    let project = project().env("PROMPTCI_REAL_BASE_URL", &server.base_url());
    let run = project.run(&[
        "run",
        SUITE,
        "--target",
        "smollm2",
        "--cache",
        "off",
        "--json",
        "live.json",
    ]);
    run.code(0);
    let requests = server.requests();
    let (judged, asked): (Vec<_>, Vec<_>) = requests
        .iter()
        .filter(|request| request.path == "/v1/chat/completions")
        .partition(|request| request.last_user().contains("<rubric>"));
    assert_eq!(asked.len(), recorded_answers_by_question().len());
    for request in &asked {
        assert_eq!(request.body["model"], "SmolLM2-135M-Instruct.Q4_1");
        assert_eq!(request.body["temperature"], 0.0);
        assert_eq!(request.body["max_tokens"], 64);
        assert_eq!(request.body["seed"], 42);
        assert_eq!(
            request.system(),
            "You are a helpful assistant named Ada. Keep answers short."
        );
    }
    // The grader asks for a JSON schema: a 135M model's plain JSON runs past any limit.
    assert_eq!(judged.len(), 1);
    assert_eq!(judged[0].body["response_format"]["type"], "json_schema");
    assert_eq!(judged[0].body["max_tokens"], 96);
    assert!(
        requests
            .iter()
            .any(|request| request.path == "/v1/embeddings"),
        "the similar case embeds through the same server"
    );
    let report = run.json("live.json");
    assert!(
        report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|case| case["target"] == "smollm2" && case["cached"] == false),
        "{report}"
    );
}
