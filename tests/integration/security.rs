//! The other side of each security limit: what stays allowed, and the settings that move a
//! limit (the regression tests in `regression.rs` show what is refused).

use crate::harness::Project;
use crate::mock_server::{MockServer, Reply};

#[test]
fn same_host_redirects_that_keep_the_method_are_followed() {
    let server = MockServer::start(|request, _| {
        if request.path == "/old/chat/completions" {
            Reply::with_headers(308, &[("location", "/v1/chat/completions")], "")
        } else {
            Reply::answer("yes")
        }
    });
    let base = format!("{}/old", server.origin());
    let run = Project::new()
        .file(
            "promptci.yaml",
            &format!(
                "targets:\n  default:\n    provider: openai\n    model: m\n    base-url: {base}\n    api-key-env: PROMPTCI_TEST_KEY\n"
            ),
        )
        .file(
            "suites/s.yaml",
            "cases:\n  - name: a\n    user: hi\n    assert: [{contains: yes}]\n",
        )
        .env("PROMPTCI_TEST_KEY", "sk-same-host")
        .run(&["run"]);
    run.code(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].path, "/v1/chat/completions");
    assert_eq!(
        requests[1].headers["authorization"].to_str().unwrap(),
        "Bearer sk-same-host"
    );
}

#[test]
fn max_response_mb_raises_the_answer_limit() {
    let long = "y".repeat(3 * 1024 * 1024);
    let server = MockServer::start(move |_, _| Reply::answer(long.clone()));
    let project = |limit: &str| {
        Project::new()
            .file(
                "promptci.yaml",
                &format!(
                    "targets:\n  default:\n    provider: openai\n    model: m\n    base-url: {}\n    retries: 0\n{limit}",
                    server.base_url()
                ),
            )
            .file(
                "suites/s.yaml",
                "cases:\n  - name: a\n    user: hi\n    assert: [{contains: y}]\n",
            )
    };
    let refused = project("    max-response-mb: 2\n").run(&["run"]);
    refused.code(3);
    assert!(
        refused
            .stdout
            .contains("the answer is larger than 2 MiB (`max-response-mb` of target `default`)"),
        "{}",
        refused.stdout
    );
    project("    max-response-mb: 4\n").run(&["run"]).code(0);
    let wrong = project("    max-response-mb: 0\n").run(&["check"]);
    wrong.code(2);
    assert!(
        wrong.stderr.contains("`max-response-mb`"),
        "{}",
        wrong.stderr
    );
}

#[test]
fn output_redirected_to_a_file_is_left_as_it_is_under_actions() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "cases:\n  - name: a\n    user: \"::add-mask::x ##[error]y\"\n",
        )
        .env("GITHUB_ACTIONS", "true");
    let piped = project.run(&["render", "suites/s.yaml::a"]);
    piped.code(0);
    assert!(
        piped.stdout.contains("%3A:add-mask::x #%23[error]y"),
        "{}",
        piped.stdout
    );
    let file = std::fs::File::create(project.path("out.txt")).unwrap();
    let status = project
        .command(&["render", "suites/s.yaml::a"])
        .stdout(file)
        .status()
        .unwrap();
    assert!(status.success());
    let written = std::fs::read_to_string(project.path("out.txt")).unwrap();
    assert!(written.contains("\n::add-mask::x ##[error]y"), "{written}");
}
