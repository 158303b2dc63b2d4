//! Reliability: retries with backoff and `Retry-After`, errors that are not failures, the
//! circuit breaker, rate limits, timeouts and deadlines, and Ctrl-C — the built binary against
//! a scripted mock server. Delays are configured small so the suite stays fast.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Project, junit_cases};
use crate::mock_server::{MockServer, Reply};

/// A suite of `count` cases named `c000`…; case `N` asks "case N" and passes on "yes".
fn suite(count: usize) -> String {
    let mut text = String::from("cases:\n");
    for index in 0..count {
        text.push_str(&format!(
            "  - name: c{index:03}\n    user: case {index}\n    assert: [{{contains: yes}}]\n"
        ));
    }
    text
}

/// A project whose `default` target points at `base_url` with fast retry settings plus
/// `extra` target keys (each line indented by four spaces).
fn project(cases: usize, base_url: &str, extra: &str) -> Project {
    let config = format!(
        "targets:\n  default:\n    provider: openai\n    model: test-model\n    base-url: {base_url}\n    retry-delay: 0.01\n    retry-max-delay: 0.05\n{extra}"
    );
    Project::new()
        .file("promptci.yaml", &config)
        .file("suites/s.yaml", &suite(cases))
}

/// Returns the cases of a JSON report.
fn cases(report: &Value) -> &Vec<Value> {
    report["cases"].as_array().unwrap()
}

/// Returns the case number in a request ("case N").
fn case_number(request: &crate::mock_server::Recorded) -> usize {
    request
        .last_user()
        .trim_start_matches("case ")
        .parse()
        .unwrap()
}

#[test]
fn rate_limited_requests_are_retried_and_pass() {
    let server = MockServer::per_case(|_, attempt| {
        if attempt == 0 {
            Reply::with_headers(429, &[], r#"{"error":"slow down"}"#)
        } else {
            Reply::answer("yes")
        }
    });
    let run = project(3, &server.base_url(), "").run(&["run", "--json", "r.json"]);
    run.code(0);
    assert_eq!(server.count(), 6);
    assert!(
        run.stdout
            .contains("retried 3 requests (http-429 ×3), waiting"),
        "{}",
        run.stdout
    );
    let report = run.json("r.json");
    for case in cases(&report) {
        assert_eq!(case["status"], "passed", "{case}");
        assert_eq!(case["requests"], 2);
        assert_eq!(case["retries"], 1);
        assert_eq!(case["retry_causes"], serde_json::json!(["http-429"]));
        assert!(case["waited_ms"].as_u64().unwrap() >= 10, "{case}");
    }
}

#[test]
fn server_errors_that_outlast_the_retries_are_errors_and_exit_3() {
    let server = MockServer::start(|_, _| Reply::status(500, r#"{"error":"the GPU caught fire"}"#));
    let run = project(2, &server.base_url(), "    retries: 2\n")
        .run(&["run", "--json", "r.json", "--junit", "r.xml"]);
    run.code(3);
    assert_eq!(
        server.count(),
        2 * 3,
        "one request and two retries per case"
    );
    let case = run.case("r.json", "suites/s.yaml::c000");
    assert_eq!(case["status"], "error");
    assert_eq!(case["error"]["status"], 500);
    assert!(
        case["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the GPU caught fire"),
        "{case}"
    );
    assert_eq!(
        case["retry_causes"],
        serde_json::json!(["http-500", "http-500"])
    );
    let xml = run.read("r.xml");
    let rows = junit_cases(&xml);
    assert!(rows.iter().all(|row| row.2 == "error"), "{rows:?}");
    assert!(rows[0].3.contains("HTTP 500"), "{rows:?}");
    assert!(xml.contains("type=\"http-500\""), "{xml}");
    assert!(xml.contains("gave up after 2 retries"), "{xml}");
    assert!(!xml.contains("<failure"), "errors are not failures: {xml}");
}

#[test]
fn retry_after_seconds_and_http_dates_are_honoured() {
    let server = MockServer::per_case(|request, attempt| match (case_number(request), attempt) {
        (0, 0) => Reply::with_headers(429, &[("retry-after", "1")], "busy"),
        (1, 0) => {
            let date =
                httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
            Reply::with_headers(503, &[("retry-after", &date)], "maintenance")
        }
        _ => Reply::answer("yes"),
    });
    let started = Instant::now();
    let run = project(2, &server.base_url(), "").run(&["run", "--json", "r.json"]);
    run.code(0);
    assert!(started.elapsed() >= Duration::from_secs(1));
    let seconds = run.case("r.json", "suites/s.yaml::c000");
    assert!(seconds["waited_ms"].as_u64().unwrap() >= 1000, "{seconds}");
    // An HTTP date has one-second resolution: two seconds ahead is at least one of waiting.
    let date = run.case("r.json", "suites/s.yaml::c001");
    assert!(date["waited_ms"].as_u64().unwrap() >= 1000, "{date}");
    assert_eq!(date["retry_causes"], serde_json::json!(["http-503"]));
}

#[test]
fn other_client_errors_are_not_retried() {
    let server = MockServer::per_case(|request, _| match case_number(request) {
        0 => Reply::status(400, r#"{"error":"context too long"}"#),
        _ => Reply::status(422, r#"{"error":"bad field"}"#),
    });
    let run = project(2, &server.base_url(), "").run(&["run", "--json", "r.json"]);
    run.code(3);
    assert_eq!(server.count(), 2);
    for case in cases(&run.json("r.json")) {
        assert_eq!(case["status"], "error");
        assert_eq!(case["requests"], 1);
        assert!(case.get("retries").is_none(), "{case}");
    }
}

#[test]
fn malformed_empty_and_refused_answers_are_errors_with_clear_text() {
    let server = MockServer::per_case(|request, _| match case_number(request) {
        0 => Reply::malformed(),
        1 => Reply::with_headers(200, &[], r#"{"choices": []}"#),
        2 => Reply::with_headers(
            200,
            &[],
            r#"{"choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't help with that."}}]}"#,
        ),
        _ => Reply::Drop,
    });
    let run = project(4, &server.base_url(), "    retries: 1\n").run(&["run", "--json", "r.json"]);
    run.code(3);
    let report = run.json("r.json");
    let expect = [
        ("malformed", "malformed response (not JSON)", 2),
        ("empty", "the API returned no choices", 1),
        (
            "refusal",
            "the API refused to answer: I can't help with that.",
            1,
        ),
        // Where the cut lands (before or after the status line) decides the wording.
        ("dropped", "failed: the", 2),
    ];
    for (case, (kind, text, requests)) in cases(&report).iter().zip(expect) {
        assert_eq!(case["status"], "error", "{case}");
        assert_eq!(case["error"]["kind"], kind, "{case}");
        assert!(
            case["error"]["message"].as_str().unwrap().contains(text),
            "{case}"
        );
        assert_eq!(case["requests"], requests, "{case}");
    }
}

#[test]
fn half_written_bodies_are_retried() {
    let server = MockServer::per_case(|_, attempt| {
        if attempt == 0 {
            Reply::Drop
        } else {
            Reply::answer("yes")
        }
    });
    let run = project(2, &server.base_url(), "").run(&["run", "--json", "r.json"]);
    run.code(0);
    let case = run.case("r.json", "suites/s.yaml::c001");
    assert_eq!(case["retry_causes"], serde_json::json!(["dropped"]));
}

#[test]
fn refused_connections_open_the_breaker_and_200_cases_end_in_seconds() {
    // A port that was just free: nothing listens, connections are refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base_url = format!("http://127.0.0.1:{port}/v1");
    // Default retry settings: the breaker, not small delays, keeps this fast.
    let config = format!(
        "targets:\n  default:\n    provider: openai\n    model: gpt-test\n    base-url: {base_url}\n    api-key-env: PROMPTCI_BREAKER_KEY\n"
    );
    let project = Project::new()
        .file("promptci.yaml", &config)
        .file("suites/s.yaml", &suite(200))
        .env("PROMPTCI_BREAKER_KEY", "sk-breaker-secret-value");
    let started = Instant::now();
    let run = project.run(&["run", "--json", "r.json", "--junit", "r.xml"]);
    let elapsed = started.elapsed();
    run.code(3);
    // Without the breaker, 200 cases × 11 requests with backoff would take minutes; a debug
    // binary on a loaded 2-core machine was measured at up to 5.5 s.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    let report = run.json("r.json");
    assert_eq!(report["summary"]["errors"], 200);
    let unreachable = cases(&report)
        .iter()
        .filter(|case| case["error"]["kind"] == "unreachable")
        .count();
    assert!(unreachable >= 180, "{unreachable} marked unreachable");
    let sent: u64 = cases(&report)
        .iter()
        .map(|case| case["requests"].as_u64().unwrap())
        .sum();
    assert!(sent < 40, "{sent} requests sent to a dead endpoint");
    assert!(
        run.stderr
            .contains("provider unreachable: target `default` failed to connect 3 times"),
        "{}",
        run.stderr
    );
    for expected in [
        base_url.as_str(),
        "`PROMPTCI_BREAKER_KEY`",
        "`gpt-test`",
        "check the base URL",
    ] {
        assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
    }
    assert_eq!(junit_cases(&run.read("r.xml")).len(), 200);
    for text in [
        &run.stdout,
        &run.stderr,
        &run.read("r.json"),
        &run.read("r.xml"),
    ] {
        assert!(!text.contains("sk-breaker-secret-value"));
    }
}

#[test]
fn unauthorized_first_requests_open_the_breaker() {
    let server = MockServer::start(|_, _| Reply::status(401, r#"{"error":"invalid api key"}"#));
    let run =
        project(50, &server.base_url(), "    concurrency: 2\n").run(&["run", "--json", "r.json"]);
    run.code(3);
    assert!(server.count() <= 2, "{} requests", server.count());
    let report = run.json("r.json");
    assert_eq!(report["summary"]["errors"], 50);
    assert_eq!(
        run.case("r.json", "suites/s.yaml::c049")["error"]["kind"],
        "unreachable"
    );
    assert!(run.stderr.contains("answered HTTP 401"), "{}", run.stderr);
}

#[test]
fn a_flaky_server_still_gets_every_verdict_right() {
    // 20% 500s, 10% 429s, 5% malformed bodies, spread pseudo-randomly over requests; even
    // cases answer "yes" (pass), odd ones "no" (fail on their merits).
    let server = MockServer::start(|request, index| {
        let roll = (index as u64).wrapping_mul(2_654_435_761) % 100;
        match roll {
            0..20 => Reply::status(500, "oops"),
            20..30 => Reply::with_headers(429, &[("retry-after", "0")], "later"),
            30..35 => Reply::malformed(),
            _ if case_number(request).is_multiple_of(2) => Reply::answer("yes"),
            _ => Reply::answer("no"),
        }
    });
    // Which requests a case gets depends on scheduling, so with the default ten retries an
    // unlucky case still lost all eleven to faults in ~0.2% of runs (200 × 0.35^11);
    // thirty retries make that ~1e-12 — verdicts, not luck, are tested.
    let run =
        project(200, &server.base_url(), "    retries: 30\n").run(&["run", "--json", "r.json"]);
    run.code(1);
    let report = run.json("r.json");
    assert_eq!(report["summary"]["passed"], 100, "{}", report["summary"]);
    assert_eq!(report["summary"]["failed"], 100);
    assert_eq!(report["summary"]["errors"], 0);
    let retries: u64 = cases(&report)
        .iter()
        .map(|case| case["retries"].as_u64().unwrap_or(0))
        .sum();
    assert!(retries > 50, "{retries} retries");
    assert_eq!(server.count() as u64, 200 + retries);
}

#[test]
fn requests_per_minute_spread_the_requests() {
    let server = MockServer::always("yes");
    // 600 a minute: a burst of 10, then one every 100 ms.
    let started = Instant::now();
    let run = project(20, &server.base_url(), "    requests-per-minute: 600\n").run(&["run"]);
    run.code(0);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "took {elapsed:?}");
    // The upper bound only catches a limiter gone wrong; a loaded CI machine needs slack.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

#[test]
fn slow_answers_time_out_and_the_deadline_bounds_a_case() {
    let server = MockServer::start(|_, _| Reply::answer("yes").delayed(Duration::from_secs(5)));
    let started = Instant::now();
    let run = project(
        1,
        &server.base_url(),
        "    timeout: 0.5\n    retries: 20\n    deadline: 1.8\n",
    )
    .run(&["run", "--json", "r.json"]);
    run.code(3);
    // Without the deadline, 21 requests of 0.5 s each would take over 10 s.
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    let case = run.case("r.json", "suites/s.yaml::c000");
    assert_eq!(case["error"]["kind"], "timeout");
    let requests = case["requests"].as_u64().unwrap();
    // About three 0.5 s timeouts fit in 1.8 s; a late timer on a loaded machine may fit one
    // fewer, but at least one retry always happens and the deadline cuts the rest.
    assert!((2..=4).contains(&requests), "{case}");
}

#[test]
fn ctrl_c_stops_in_flight_cases_and_still_writes_valid_reports() {
    // Case 0 answers at once; the others hang until the run is interrupted.
    let server = MockServer::start(|request, _| {
        if case_number(request) == 0 {
            Reply::answer("yes")
        } else {
            Reply::answer("yes").delayed(Duration::from_mins(1))
        }
    });
    let project = project(4, &server.base_url(), "");
    let child = project
        .command(&["run", "--json", "r.json", "--junit", "r.xml"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waiting = Instant::now();
    while server.count() < 4 {
        assert!(
            waiting.elapsed() < Duration::from_secs(20),
            "requests never arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let interrupted = Instant::now();
    let output = child.wait_with_output().unwrap();
    // The hanging answers would take 60 s; a loaded machine gets generous slack.
    assert!(
        interrupted.elapsed() < Duration::from_secs(20),
        "{:?}",
        interrupted.elapsed()
    );
    let run = project.finish(output);
    run.code(130);
    let report = run.json("r.json");
    assert_eq!(report["run"]["interrupted"], true);
    assert_eq!(
        run.case("r.json", "suites/s.yaml::c000")["status"],
        "passed"
    );
    let stopped = run.case("r.json", "suites/s.yaml::c003");
    assert_eq!(stopped["status"], "skipped");
    assert!(
        stopped["skip_reason"]
            .as_str()
            .unwrap()
            .contains("interrupted"),
        "{stopped}"
    );
    let rows = junit_cases(&run.read("r.xml"));
    assert_eq!(rows.len(), 4);
    assert_eq!(rows.iter().filter(|row| row.2 == "skipped").count(), 3);
}
