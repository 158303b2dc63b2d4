//! `stream: true`: SSE answers, time to first token, timing assertions, cut streams.

use std::time::Duration;

use crate::harness::Project;
use crate::mock_server::{MockServer, Reply};

fn project(server: &MockServer, assertions: &str, stream: bool) -> Project {
    let config = format!(
        "targets:\n  default:\n    provider: openai\n    model: m\n    base-url: {}\n    stream: {stream}\n",
        server.base_url()
    );
    let suite = format!(
        "cases:\n  - name: streamed\n    user: Say hello\n    assert:\n      - icontains: hello world\n{assertions}"
    );
    Project::new()
        .file("promptci.yaml", &config)
        .file("suites/s.yaml", &suite)
}

#[test]
fn streams_assemble_the_answer_and_measure_time_to_first_token() {
    // The first token after 150 ms, then four more 100 ms apart: ttft ≈ 150, latency ≈ 550.
    let server = MockServer::start(|_, _| {
        Reply::stream(
            &["Hello", " ", "world", "!", " Bye."],
            Duration::from_millis(150),
            Duration::from_millis(100),
        )
    });
    let project = project(
        &server,
        "      - max-ttft-ms: 20000\n      - max-latency-ms: 30000\n",
        true,
    );
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(0);
    let request = &server.requests()[0];
    assert_eq!(request.body["stream"], true);
    assert_eq!(request.body["stream_options"]["include_usage"], true);
    let case = run.case("r.json", "suites/s.yaml::streamed");
    assert_eq!(case["answer"], "Hello world! Bye.");
    assert_eq!(case["tokens"]["prompt"], 10);
    assert_eq!(case["tokens"]["completion"], 5);
    let ttft = case["ttft_ms"].as_u64().unwrap();
    let latency = case["latency_ms"].as_u64().unwrap();
    // The server sends the first token at 150 ms and the last at 550 ms, so those are lower
    // bounds; a busy machine may read the first chunk late, so the gap between the two is not
    // one. The upper bound leaves a loaded CI machine 30× slack.
    assert!((150..5000).contains(&ttft), "ttft {ttft}");
    assert!(
        latency >= 550 && latency >= ttft,
        "latency {latency} ttft {ttft}"
    );
}

#[test]
fn timing_assertions_fail_on_slow_streams_with_the_numbers() {
    let server = MockServer::start(|_, _| {
        Reply::stream(
            &["hello", " world"],
            Duration::from_millis(300),
            Duration::from_millis(300),
        )
    });
    let project = project(
        &server,
        "      - max-ttft-ms: 100\n      - max-latency-ms: 200\n",
        true,
    );
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(1);
    let case = run.case("r.json", "suites/s.yaml::streamed");
    let reasons: Vec<&str> = case["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|assertion| assertion["passed"] == false)
        .map(|assertion| assertion["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].starts_with("time to first token ") && reasons[0].contains("exceeds 100 ms"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("latency ") && reasons[1].contains("exceeds 200 ms"),
        "{reasons:?}"
    );
}

#[test]
fn a_stream_cut_midway_is_an_error_not_a_half_answer() {
    let server = MockServer::start(|_, _| Reply::stream_cut(&["hello", " wor"]));
    let project = project(&server, "", true);
    let run = project.run(&[
        "run",
        "--json",
        "r.json",
        "--junit",
        "r.xml",
        "--cache",
        "read-write",
    ]);
    run.code(3);
    let case = run.case("r.json", "suites/s.yaml::streamed");
    assert_eq!(case["status"], "error");
    let message = case["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("the stream was cut after ")
            || message.contains("without `data: [DONE]`"),
        "{message}"
    );
    assert!(case["answer"].is_null());
    assert!(run.read("r.xml").contains("<error"));
    assert!(
        !project.path(".promptci").exists(),
        "a cut stream is not cached"
    );
}

#[test]
fn max_ttft_on_a_target_that_does_not_stream_is_refused_before_any_request() {
    let server = MockServer::always("hello world");
    let project = project(&server, "      - max-ttft-ms: 500\n", false);
    let run = project.run(&["run"]);
    run.code(2);
    assert!(
        run.stderr.contains("suites/s.yaml:2")
            && run.stderr.contains(
                "case `streamed` asserts `max-ttft-ms`, but target `default` does not stream"
            )
            && run.stderr.contains("set `stream: true`"),
        "{}",
        run.stderr
    );
    assert_eq!(server.count(), 0);
    // Without it, the same target runs, and latency is still measured.
    let latency_only = project_with_latency(&server);
    latency_only.run(&["run"]).code(0);
}

fn project_with_latency(server: &MockServer) -> Project {
    project(server, "      - max-latency-ms: 10000\n", false)
}
