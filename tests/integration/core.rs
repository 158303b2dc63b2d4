//! The core flow: example suites offline, a real HTTP target, reports, exit codes, keys.

use std::time::Duration;

use crate::harness::{Project, junit_cases};
use crate::mock_server::{MockServer, Reply};

#[test]
fn example_suites_pass_offline_on_the_builtin_mock() {
    let run = Project::new().run(&["--config", "/dev/null", "--version"]);
    assert_eq!(run.code, 0);
    let repo = env!("CARGO_MANIFEST_DIR");
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("report.json");
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin!("promptci"))
        .current_dir(repo)
        .args(["run", "--json", json.to_str().unwrap()])
        .env("CI", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(report["summary"]["failed"], 0);
    assert!(
        report["summary"]["passed"].as_u64().unwrap() >= 18,
        "{}",
        report["summary"]
    );
    assert!(
        stdout.contains("PASS  suites/support/support.yaml::enterprise_gets_phone"),
        "{stdout}"
    );
}

#[test]
fn openai_target_gets_rendered_messages_and_a_failure_gates_the_build() {
    let server = MockServer::start(|request, _| {
        if request.last_user().contains("hello") {
            Reply::answer("Hello there!")
        } else {
            Reply::answer("Email us.")
        }
    });
    let project = Project::greeter();
    let run = project.run(&[
        "run",
        "--base-url",
        &server.base_url(),
        "--model",
        "m1",
        "--json",
        "out/r.json",
        "--junit",
        "out/r.xml",
    ]);
    run.code(1);
    assert_eq!(server.count(), 2);
    let requests = server.requests();
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(requests[0].body["model"], "m1");
    assert_eq!(requests[0].system(), "You work for Acme.");
    assert!(
        requests[0].headers.get("authorization").is_none(),
        "no key configured, none sent"
    );
    assert!(
        run.stdout
            .contains("FAIL  suites/greeter.yaml::mentions_phone"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("✗ contains: missing `phone`"),
        "{}",
        run.stdout
    );

    let case = run.case("out/r.json", "suites/greeter.yaml::mentions_phone");
    assert_eq!(case["status"], "failed");
    assert_eq!(case["line"], 11);
    assert_eq!(case["answer"], "Email us.");
    assert_eq!(case["assertions"][0]["reason"], "missing `phone`");
    assert_eq!(case["tokens"]["source"], "provider");
    assert!(case["prompt_hash"].as_str().unwrap().starts_with("sha256:"));
    let report = run.json("out/r.json");
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["summary"]["passed"], 1);
    assert_eq!(report["summary"]["failed"], 1);

    let xml = run.read("out/r.xml");
    let rows = junit_cases(&xml);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].1, "mentions_phone");
    assert_eq!(rows[1].2, "failure");
    assert_eq!(rows[1].3, "contains: missing `phone`");
    assert!(
        xml.contains(r#"line="11""#) && xml.contains(r#"file="suites/greeter.yaml""#),
        "{xml}"
    );
}

#[test]
fn results_are_in_plan_order_whatever_order_they_finish() {
    // The first case answers last.
    let server = MockServer::start(|request, _| {
        let delay = if request.last_user() == "Say hello" {
            300
        } else {
            0
        };
        Reply::answer("hello phone").delayed(Duration::from_millis(delay))
    });
    let run =
        Project::greeter().run(&["run", "--base-url", &server.base_url(), "--json", "r.json"]);
    run.code(0);
    let report = run.json("r.json");
    let ids: Vec<_> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["says_hello", "mentions_phone"]);
}

#[test]
fn api_key_comes_from_the_environment_and_never_appears_in_output() {
    let secret = "sk-test-SECRET-0123456789";
    // A hostile server echoes the key back in an error body.
    let server = MockServer::start(move |request, _| {
        let auth = request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        Reply::status(500, format!("{{\"error\": \"bad request with {auth}\"}}"))
    });
    let project = Project::greeter_with_key(&server.base_url(), secret);
    let run = project.run(&[
        "run",
        "--json",
        "r.json",
        "--junit",
        "r.xml",
        "--filter",
        "says_hello",
    ]);
    run.code(3);
    assert_eq!(
        server.requests()[0].headers["authorization"],
        format!("Bearer {secret}")
    );
    for (name, text) in [
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
        ("json", &run.read("r.json")),
        ("junit", &run.read("r.xml")),
    ] {
        assert!(
            !text.contains(secret),
            "the key leaked into {name}:\n{text}"
        );
    }
    assert!(run.read("r.json").contains("[REDACTED]"));
}

#[test]
fn missing_api_key_is_reported_before_any_request() {
    let server = MockServer::always("hello");
    let config = format!(
        "targets:\n  default:\n    provider: openai\n    model: m\n    base-url: {}\n    api-key-env: PROMPTCI_ABSENT_KEY\n",
        server.base_url()
    );
    let run = Project::greeter()
        .file("promptci.yaml", &config)
        .run(&["run"]);
    run.code(2);
    assert_eq!(server.count(), 0);
    assert!(
        run.stderr
            .contains("environment variable `PROMPTCI_ABSENT_KEY` is not set"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("promptci.yaml:3"),
        "names where the target is defined:\n{}",
        run.stderr
    );
}

#[test]
fn a_named_targets_missing_key_fails_before_suites_are_read() {
    let config = "targets:\n  live:\n    provider: openai\n    model: m\n    base-url: http://127.0.0.1:9/v1\n    api-key-env: PROMPTCI_ABSENT_KEY\n";
    let run = Project::new()
        .file("promptci.yaml", config)
        .file("suites/broken.yaml", "cases: [\n")
        .run(&["run", "--target", "live"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("environment variable `PROMPTCI_ABSENT_KEY` is not set"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("broken.yaml"),
        "the suites were not read:\n{}",
        run.stderr
    );
}

#[test]
fn provider_errors_are_errors_not_failures() {
    let server =
        MockServer::start(|_, _| Reply::status(400, r#"{"error":{"message":"model not found"}}"#));
    let run = Project::greeter().run(&[
        "run",
        "--base-url",
        &server.base_url(),
        "--json",
        "r.json",
        "--junit",
        "r.xml",
    ]);
    run.code(3);
    let case = run.case("r.json", "suites/greeter.yaml::says_hello");
    assert_eq!(case["status"], "error");
    assert_eq!(case["error"]["status"], 400);
    assert!(
        case["error"]["message"]
            .as_str()
            .unwrap()
            .contains("model not found")
    );
    let rows = junit_cases(&run.read("r.xml"));
    assert!(rows.iter().all(|row| row.2 == "error"), "{rows:?}");
    assert!(run.stderr.contains("check the base URL"), "{}", run.stderr);
}

#[test]
fn dropped_connection_is_an_error_with_its_cause() {
    let server = MockServer::start(|_, _| Reply::Drop);
    let run = Project::greeter().run(&[
        "run",
        "--base-url",
        &server.base_url(),
        "--json",
        "r.json",
        "--filter",
        "says_hello",
    ]);
    run.code(3);
    let case = run.case("r.json", "suites/greeter.yaml::says_hello");
    assert_eq!(case["status"], "error");
    assert!(
        case["error"]["kind"] == "dropped" || case["error"]["kind"] == "malformed",
        "{case}"
    );
}

#[test]
fn unreachable_base_url_exits_3_with_reports() {
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    let run = Project::greeter().run(&[
        "run",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--json",
        "r.json",
    ]);
    run.code(3);
    assert_eq!(run.json("r.json")["summary"]["errors"], 2);
}

#[test]
fn skipped_cases_and_fail_fast() {
    let project = Project::new().file(
        "suites/s.yaml",
        "cases:\n  - name: a\n    user: x\n    mock-answer: no\n    assert: [{contains: yes}]\n  - name: b\n    skip: known flaky\n    user: y\n  - name: c\n    user: z\n",
    );
    let run = project.run(&["run", "-j", "1", "--fail-fast", "--json", "r.json"]);
    run.code(1);
    assert_eq!(
        run.case("r.json", "suites/s.yaml::b")["skip_reason"],
        "known flaky"
    );
    assert_eq!(run.case("r.json", "suites/s.yaml::c")["status"], "skipped");
}

#[test]
fn list_and_render_show_the_plan() {
    let project = Project::greeter();
    let run = project.run(&["list"]);
    run.code(0);
    assert!(
        run.stdout
            .contains("suites/greeter.yaml::says_hello  suites/greeter.yaml:7"),
        "{}",
        run.stdout
    );
    let run = project.run(&["render", "suites/greeter.yaml::says_hello", "--json"]);
    run.code(0);
    let messages: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        messages,
        serde_json::json!([
            {"role": "system", "content": "You work for Acme."},
            {"role": "user", "content": "Say hello"}
        ])
    );
}

#[test]
fn command_assertion_judges_with_a_program() {
    let project = Project::new().file(
        "suites/s.yaml",
        "cases:\n  - name: a\n    user: x\n    mock-answer: too long an answer\n    assert:\n      - command: 'wc -w | awk \"{ if (\\$1 > 2) { print \\\"too many words: \\\" \\$1; exit 1 } }\"'\n",
    );
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(1);
    assert_eq!(
        run.case("r.json", "suites/s.yaml::a")["assertions"][0]["reason"],
        "too many words: 4 (exit 1)"
    );
}
