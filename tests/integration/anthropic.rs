//! The Anthropic Messages target against a mock `/v1/messages` endpoint.

use crate::cache::files_under;
use crate::harness::Project;
use crate::mock_server::{MockServer, Reply};

const SUITE: &str = "\
prompt:
  id: greeter
  template: system.j2
vars:
  company: Acme
cases:
  - name: says_hello
    user: Say hello
    assert:
      - icontains: hello
";

const SECRET: &str = "sk-ant-test-SECRET-424242";

fn project(server: &MockServer, extra: &str) -> Project {
    let config = format!(
        "targets:\n  default:\n    provider: anthropic\n    model: claude-test\n    base-url: {}\n    api-key-env: PROMPTCI_ANTHROPIC_KEY\n    temperature: 0\n{extra}",
        server.base_url().trim_end_matches("/v1")
    );
    Project::new()
        .file("suites/greeter.yaml", SUITE)
        .file("suites/system.j2", "You work for {{ company }}.")
        .file("promptci.yaml", &config)
        .env("PROMPTCI_ANTHROPIC_KEY", SECRET)
}

#[test]
fn sends_the_messages_api_shape_and_maps_the_answer() {
    let server = MockServer::always("Hello from Claude");
    let project = project(&server, "");
    let run = project.run(&[
        "run",
        "--json",
        "r.json",
        "--cache",
        "read-write",
        "--record",
        "rec",
    ]);
    run.code(0);
    let request = &server.requests()[0];
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.headers["x-api-key"], SECRET);
    assert_eq!(request.headers["anthropic-version"], "2023-06-01");
    assert!(request.headers.get("authorization").is_none());
    assert_eq!(request.body["system"], "You work for Acme.");
    assert_eq!(request.body["max_tokens"], 1024);
    assert_eq!(request.body["model"], "claude-test");
    assert_eq!(
        request.body["messages"],
        serde_json::json!([{"role": "user", "content": "Say hello"}])
    );
    let case = run.case("r.json", "suites/greeter.yaml::says_hello");
    assert_eq!(case["answer"], "Hello from Claude");
    assert_eq!(case["tokens"]["prompt"], 21);
    assert_eq!(case["tokens"]["completion"], 4);
    assert_eq!(
        run.json("r.json")["run"]["targets"][0]["provider"],
        "anthropic"
    );

    // Cached like any live target, and the key is nowhere on disk.
    project.run(&["run", "--cache", "read-write"]).code(0);
    assert_eq!(server.count(), 1);
    for file in files_under(&project.path("")) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            !text.contains(SECRET),
            "the key leaked into {}",
            file.display()
        );
    }
}

#[test]
fn version_and_max_tokens_are_configurable() {
    let server = MockServer::always("hello");
    let project = project(&server, "    api-version: 2024-01-01\n    max-tokens: 64\n");
    project.run(&["run"]).code(0);
    let request = &server.requests()[0];
    assert_eq!(request.headers["anthropic-version"], "2024-01-01");
    assert_eq!(request.body["max_tokens"], 64);
}

#[test]
fn api_errors_are_clear_errors_without_the_key() {
    let server = MockServer::start(|_, _| {
        Reply::status(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"messages: roles must alternate"}}"#,
        )
    });
    let project = project(&server, "");
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(3);
    let case = run.case("r.json", "suites/greeter.yaml::says_hello");
    assert_eq!(case["status"], "error");
    assert_eq!(case["error"]["status"], 400);
    let message = case["error"]["message"].as_str().unwrap();
    assert!(
        message.ends_with("/v1/messages: invalid_request_error: messages: roles must alternate"),
        "{message}"
    );
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET));
}

#[test]
fn options_of_other_providers_are_refused_at_load() {
    let server = MockServer::always("hello");
    let run = project(&server, "    seed: 3\n").run(&["run"]);
    run.code(2);
    assert!(
        run.stderr.contains("which the Anthropic API does not take"),
        "{}",
        run.stderr
    );
    let run = project(&server, "    stream: true\n").run(&["run"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("supported on `provider: openai` targets only"),
        "{}",
        run.stderr
    );
    assert_eq!(server.count(), 0);
}
