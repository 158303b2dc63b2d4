//! Regression tests: one per hole an adversarial pass found — hostile servers, hostile files,
//! hard stops — each named for the bug it pins down, against the built binary and mock servers
//! on loopback. Every wait is bounded: inputs that used to hang run under
//! [`Project::run_within`], and the fixtures use short timeouts.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{
    Project, junit_cases, signal, signal_group, wait_for_line, wait_until, wait_within,
};
use crate::mock_server::{Flood, MockServer, Recorded, Reply};

const MIB: usize = 1024 * 1024;

/// Long enough for a loaded two-core machine to finish what takes well under a second alone.
const BOUND: Duration = Duration::from_secs(30);

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

/// [`suite`] with every case answered "yes" by the offline mock target, so it passes.
fn passing_suite(count: usize) -> String {
    suite(count).replace(
        "assert: [{contains: yes}]",
        "assert: [{contains: yes}]\n    mock-answer: yes",
    )
}

/// A project whose `default` target is `provider` at `base_url`, reading its key from
/// `PROMPTCI_TEST_KEY` (set to `key`), with `extra` target keys (indented by four spaces).
fn target_project(provider: &str, base_url: &str, key: &str, extra: &str) -> Project {
    let config = format!(
        "targets:\n  default:\n    provider: {provider}\n    model: test-model\n    base-url: {base_url}\n    api-key-env: PROMPTCI_TEST_KEY\n    retry-delay: 0.01\n    retry-max-delay: 0.05\n{extra}"
    );
    Project::new()
        .file("promptci.yaml", &config)
        .file("suites/s.yaml", &suite(1))
        .env("PROMPTCI_TEST_KEY", key)
}

/// Returns the case number in a request ("case N").
fn case_number(request: &Recorded) -> usize {
    request
        .last_user()
        .trim_start_matches("case ")
        .parse()
        .unwrap()
}

/// Returns the only case of a JSON report.
fn only_case(report: &Value) -> &Value {
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{report}");
    &cases[0]
}

/// Returns the error message of the only case of a JSON report.
fn only_error(report: &Value) -> String {
    let case = only_case(report);
    assert_eq!(case["status"], "error", "{case}");
    case["error"]["message"].as_str().unwrap().to_owned()
}

/// A flood counting what it sent.
fn flood(status: u16, content_type: &'static str, head: &str, bytes: usize, hang: bool) -> Flood {
    Flood {
        status,
        content_type,
        head: head.to_owned(),
        filler: "a".repeat(64 * 1024),
        bytes,
        hang,
        sent: Arc::new(AtomicUsize::new(0)),
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile servers
// ---------------------------------------------------------------------------------------------

/// Starts a server on another host (`127.0.0.2`) that answers everything, and a server on
/// `127.0.0.1` that redirects every request to the same path there.
fn redirect_to_another_host() -> (MockServer, MockServer) {
    let other = MockServer::start_on("127.0.0.2", |_, _| Reply::answer("yes"));
    let elsewhere = other.origin();
    let first = MockServer::start(move |request, _| {
        let location = format!("{elsewhere}{}", request.path);
        Reply::with_headers(307, &[("location", &location)], "")
    });
    (first, other)
}

#[test]
fn anthropic_key_never_follows_a_redirect_to_another_host() {
    let (first, other) = redirect_to_another_host();
    let run = target_project(
        "anthropic",
        &first.origin(),
        "sk-ant-secret-4242",
        "    retries: 0\n",
    )
    .run(&["run", "--json", "r.json"]);
    assert_eq!(
        other.count(),
        0,
        "the other host got {:?}",
        other.requests()
    );
    run.code(3);
    let message = only_error(&run.json("r.json"));
    assert!(message.contains("redirect"), "{message}");
    assert!(!run.stdout.contains("sk-ant-secret-4242"), "{}", run.stdout);
}

#[test]
fn openai_prompts_never_follow_a_redirect_to_another_host() {
    let (first, other) = redirect_to_another_host();
    let run = target_project(
        "openai",
        &first.base_url(),
        "sk-secret-4242",
        "    retries: 0\n",
    )
    .run(&["run", "--json", "r.json"]);
    assert_eq!(
        other.count(),
        0,
        "the other host got {:?}",
        other.requests()
    );
    run.code(3);
    let message = only_error(&run.json("r.json"));
    assert!(message.contains("redirect"), "{message}");
}

#[test]
fn endless_answer_body_is_cut_off_at_the_response_limit() {
    // 64 MiB, then the body stays open: only a size limit ends this before the timeout.
    let body = flood(
        200,
        "application/json",
        r#"{"choices":[{"message":{"content":""#,
        64 * MIB,
        true,
    );
    let sent = Arc::clone(&body.sent);
    let server = MockServer::start(move |_, _| Reply::Flood(body.clone()));
    let run = target_project(
        "openai",
        &server.base_url(),
        "sk-test",
        "    timeout: 20\n    retries: 0\n",
    )
    .run_within(&["run", "--json", "r.json"], BOUND);
    run.code(3);
    let message = only_error(&run.json("r.json"));
    assert!(message.contains("max-response-mb"), "{message}");
    assert!(
        sent.load(Ordering::Relaxed) < 48 * MIB,
        "read {} bytes",
        sent.load(Ordering::Relaxed)
    );
}

#[test]
fn endless_stream_event_is_cut_off_at_the_response_limit() {
    // One event that never ends: a parser that buffers it grows without bound.
    let body = flood(200, "text/event-stream", "data: ", 64 * MIB, true);
    let sent = Arc::clone(&body.sent);
    let server = MockServer::start(move |_, _| Reply::Flood(body.clone()));
    let run = target_project(
        "openai",
        &server.base_url(),
        "sk-test",
        "    timeout: 20\n    retries: 0\n    stream: true\n",
    )
    .run_within(&["run", "--json", "r.json"], BOUND);
    run.code(3);
    let message = only_error(&run.json("r.json"));
    assert!(message.contains("max-response-mb"), "{message}");
    assert!(
        sent.load(Ordering::Relaxed) < 48 * MIB,
        "read {} bytes",
        sent.load(Ordering::Relaxed)
    );
}

#[test]
fn error_bodies_are_read_only_as_far_as_the_excerpt_needs() {
    let body = flood(
        400,
        "application/json",
        r#"{"error":{"message":"too big: "#,
        64 * MIB,
        false,
    );
    let sent = Arc::clone(&body.sent);
    let server = MockServer::start(move |_, _| Reply::Flood(body.clone()));
    let run = target_project("openai", &server.base_url(), "sk-test", "")
        .run_within(&["run", "--json", "r.json"], BOUND);
    run.code(3);
    let message = only_error(&run.json("r.json"));
    assert!(message.starts_with("HTTP 400 from"), "{message}");
    assert!(message.len() < 1000, "{} bytes", message.len());
    assert!(
        sent.load(Ordering::Relaxed) < 32 * MIB,
        "read {} bytes of an error body",
        sent.load(Ordering::Relaxed)
    );
}

#[test]
fn credentials_in_the_base_url_are_refused_before_any_request() {
    // An echoing server would put the Basic credential into answers, reports and the cache.
    let server = MockServer::start(|request, _| {
        let auth = request
            .headers
            .get("authorization")
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Reply::answer(format!("yes {auth}"))
    });
    let with_password = server
        .base_url()
        .replace("http://", "http://user:pa55-secret-word@");
    for (config_url, flag) in [
        (with_password.clone(), None),
        (server.base_url(), Some(with_password.clone())),
    ] {
        let project = target_project("openai", &config_url, "sk-test", "");
        let mut args = vec!["run", "--json", "r.json"];
        if let Some(flag) = &flag {
            args.extend(["--base-url", flag]);
        }
        let run = project.run(&args);
        run.code(2);
        assert_eq!(server.count(), 0, "a request was sent with {config_url}");
        let shown = format!("{}{}", run.stdout, run.stderr);
        assert!(shown.contains("base-url"), "{shown}");
        assert!(!shown.contains("pa55-secret-word"), "{shown}");
        assert!(!project.path("r.json").exists());
    }
}

#[test]
fn query_in_the_base_url_stays_after_the_endpoint_path() {
    let server = MockServer::always("yes");
    let base = format!("{}?api-version=2024-10-21", server.base_url());
    target_project("openai", &base, "sk-test", "")
        .run(&["run"])
        .code(0);
    let request = &server.requests()[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.query.as_deref(), Some("api-version=2024-10-21"));
}

#[test]
fn base_url_flag_is_validated_like_the_config() {
    let run = Project::new()
        .file("suites/s.yaml", &suite(1))
        .run_within(&["run", "--base-url", "ftp://127.0.0.1:9/v1"], BOUND);
    run.code(2);
    assert!(run.stderr.contains("--base-url"), "{}", run.stderr);
    assert!(run.stderr.contains("http"), "{}", run.stderr);
}

#[test]
fn requests_keep_flowing_while_one_hangs_after_a_burst_of_429s() {
    // The first four requests (one full window of the target's four places) are throttled
    // together; the next one hangs until the client's timeout. Four 429s from one window are one sign of
    // overload, not four: they must not shrink the limit to a single place that the hung request
    // then holds while every other case waits.
    let server = MockServer::start(|_, index| match index {
        0..=3 => Reply::AfterArrivals(
            4,
            Box::new(Reply::with_headers(
                429,
                &[("retry-after", "0")],
                r#"{"error":"slow down"}"#,
            )),
        ),
        4 => Reply::answer("yes").delayed(Duration::from_mins(1)),
        _ => Reply::answer("yes"),
    });
    let project = target_project(
        "openai",
        &server.base_url(),
        "sk-test",
        "    concurrency: 4\n    timeout: 3\n",
    )
    .file("suites/s.yaml", &suite(40));
    let run = project.run_within(&["run", "--json", "r.json"], BOUND);
    run.code(0);
    let requests = server.requests();
    let hung = requests[4].at;
    let during = requests
        .iter()
        .filter(|request| request.at > hung && request.at < hung + Duration::from_secs(3))
        .count();
    let timeline: Vec<String> = requests
        .iter()
        .map(|request| {
            let at = request.at.saturating_duration_since(hung).as_millis();
            format!("case {} at +{at} ms", case_number(request))
        })
        .collect();
    assert!(
        during >= 20,
        "only {during} requests were sent while one hung:\n{}",
        timeline.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// GitHub workflow commands in foreign text
// ---------------------------------------------------------------------------------------------

/// Fails when a line of `text` is a workflow command promptci did not mean to write: the runner
/// takes `::name…::` at the start of a line (after blanks) and `##[name…]` anywhere in it.
#[track_caller]
fn assert_no_injected_commands(text: &str) {
    const OURS: [&str; 3] = ["::error file=", "::warning file=", "::notice file="];
    for line in text.split(['\n', '\r']) {
        let start = line.trim_start();
        assert!(
            !start.starts_with("::") || OURS.iter().any(|ours| start.starts_with(ours)),
            "injected command line {line:?} in\n{text}"
        );
        assert!(
            !line.contains("##["),
            "injected legacy command {line:?} in\n{text}"
        );
    }
}

const INJECTION: &str =
    "oops\n::add-mask::hello\r::stop-commands::tok\n  ::error::fake\n x ##[error]legacy\n";

/// Runs under GitHub Actions and checks both streams, and that promptci's own annotation for
/// the failed or errored case survived.
#[track_caller]
fn run_in_actions(project: Project, code: i32) {
    let run = project
        .env("GITHUB_ACTIONS", "true")
        .run_within(&["run"], BOUND);
    run.code(code);
    assert_no_injected_commands(&run.stdout);
    assert_no_injected_commands(&run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|line| line.starts_with("::error file=") || line.starts_with("::warning file=")),
        "no annotation:\n{}",
        run.stdout
    );
}

#[test]
fn server_error_bodies_cannot_write_workflow_commands() {
    let server = MockServer::start(|_, _| Reply::status(400, INJECTION));
    run_in_actions(
        target_project("openai", &server.base_url(), "sk-test", ""),
        3,
    );
}

#[test]
fn judge_output_cannot_write_workflow_commands() {
    let printed = INJECTION.replace('\n', "\\n").replace('\r', "\\r");
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "cases:\n  - name: judged\n    user: hi\n    assert:\n      - command: [sh, judge.sh]\n",
        )
        .file("suites/judge.sh", &format!("printf '{printed}'\nexit 1\n"));
    run_in_actions(project, 1);
}

#[test]
fn suite_file_names_cannot_write_workflow_commands() {
    let project = Project::new().file(
        "suites/a\n::stop-commands::tok\n##[error]x.yaml",
        "cases:\n  - name: c\n    user: hi\n    assert: [{contains: never-there}]\n",
    );
    run_in_actions(project, 1);
}

// ---------------------------------------------------------------------------------------------
// Hard stops
// ---------------------------------------------------------------------------------------------

/// Starts a run of four cases whose first answers at once and the rest hang, over a stale
/// report from an earlier run, then waits until every request is in flight.
fn run_with_hanging_cases() -> (Project, std::process::Child, MockServer) {
    let server = MockServer::start(|request, _| {
        if case_number(request) == 0 {
            Reply::answer("yes")
        } else {
            Reply::answer("yes").delayed(Duration::from_mins(1))
        }
    });
    let project = target_project("openai", &server.base_url(), "sk-test", "")
        .file("suites/s.yaml", &suite(4))
        .file("r.json", r#"{"stale": "an earlier run"}"#)
        .file("r.xml", "<stale/>");
    let child = project.spawn(&["run", "--json", "r.json", "--junit", "r.xml"]);
    wait_until("every request arrived", BOUND, || server.count() >= 4);
    (project, child, server)
}

/// Stops a run with `name` and checks the exit code and that the reports are this run's.
fn stopped_by(name: &str, code: i32) {
    let (project, mut child, _server) = run_with_hanging_cases();
    // The first case's answer is sent at once, but on a busy machine promptci may not have
    // judged it yet; the stop comes after its result line, so it must be in the reports.
    let stdout = wait_for_line(&mut child, "suites/s.yaml::c000", BOUND);
    signal(child.id(), name);
    let mut output = wait_within(child, BOUND);
    output.stdout = stdout.join().unwrap();
    let run = project.finish(output);
    run.code(code);
    let report = run.json("r.json");
    assert_eq!(report["run"]["interrupted"], true, "{report}");
    assert_eq!(
        run.case("r.json", "suites/s.yaml::c000")["status"],
        "passed"
    );
    assert_eq!(
        run.case("r.json", "suites/s.yaml::c003")["status"],
        "skipped"
    );
    let rows = junit_cases(&run.read("r.xml"));
    assert_eq!(rows.len(), 4);
}

#[test]
fn sigterm_stops_the_run_writes_reports_and_exits_143() {
    stopped_by("TERM", 143);
}

#[test]
fn sighup_stops_the_run_writes_reports_and_exits_129() {
    stopped_by("HUP", 129);
}

/// Returns whether process `pid` is gone (or a zombie nobody reaped: dead all the same).
fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

/// Reads a process id a judge wrote.
fn pid_in(project: &Project, file: &str) -> u32 {
    std::fs::read_to_string(project.path(file))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A project whose one case is judged by `suites/judge.sh`.
fn judged_by(script: &str, config: &str) -> Project {
    Project::new()
        .file("promptci.yaml", config)
        .file(
            "suites/s.yaml",
            "cases:\n  - name: judged\n    user: hi\n    assert:\n      - command: [sh, judge.sh]\n",
        )
        .file("suites/judge.sh", script)
}

/// A judge that starts a long sleep in the background (a grandchild of promptci), notes both
/// process ids, and waits.
const SLEEPING_JUDGE: &str =
    "echo $$ > ../judge.pid\nsleep 600 &\necho $! > ../sleeper.pid\nwait\n";

#[test]
fn hung_judge_is_stopped_at_its_timeout_with_its_children() {
    let project = judged_by(SLEEPING_JUDGE, "limits:\n  command-timeout: 1\n");
    let run = project.run_within(&["run", "--json", "r.json"], BOUND);
    assert_ne!(run.code, 0, "{}", run.stdout);
    let report = run.json("r.json");
    let case = only_case(&report);
    assert!(
        case.to_string().contains("timed out"),
        "{case}\n{}",
        run.stdout
    );
    for pid in ["judge.pid", "sleeper.pid"] {
        let pid = pid_in(&project, pid);
        assert!(is_dead(pid), "{pid} still runs");
    }
}

#[test]
fn ctrl_c_stops_a_running_judge_and_its_children() {
    let project = judged_by(SLEEPING_JUDGE, "targets: {}\n");
    let child = project.spawn(&["run", "--json", "r.json"]);
    // The shell creates the file before it writes the id: wait for a whole line.
    wait_until("the judge started", BOUND, || {
        std::fs::read_to_string(project.path("sleeper.pid")).is_ok_and(|text| text.ends_with('\n'))
    });
    let (judge, sleeper) = (
        pid_in(&project, "judge.pid"),
        pid_in(&project, "sleeper.pid"),
    );
    signal(child.id(), "INT");
    let pid = child.id();
    let run = project.finish(wait_within(child, BOUND));
    signal_group(pid, "KILL");
    run.code(130);
    assert!(is_dead(judge), "the judge {judge} still runs");
    assert!(is_dead(sleeper), "the judge's child {sleeper} still runs");
    assert_eq!(run.json("r.json")["run"]["interrupted"], true);
}

#[test]
fn judge_that_writes_before_it_reads_does_not_deadlock() {
    // 5 MB of answer on stdin while the judge first fills its stderr pipe: a writer that
    // finishes stdin before reading the judge's output waits forever.
    let answer = "y".repeat(5_000_000);
    let project = Project::new()
        .file(
            "suites/s.yaml",
            &format!(
                "cases:\n  - name: big\n    user: hi\n    mock-answer: {answer}\n    assert:\n      - command: [sh, judge.sh]\n"
            ),
        )
        .file(
            "suites/judge.sh",
            "yes | head -c 200000 >&2\ntest \"$(wc -c)\" -ge 5000000\n",
        );
    project
        .run_within(&["run", "--json", "r.json"], BOUND)
        .code(0);
}

#[test]
fn judge_output_is_capped() {
    let project = judged_by(
        "head -c 67108864 /dev/zero | tr '\\0' a\nexit 0\n",
        "targets: {}\n",
    );
    let run = project.run_within(&["run", "--json", "r.json"], BOUND);
    assert_ne!(run.code, 0, "{}", run.stdout);
    let report = run.json("r.json");
    let case = only_case(&report);
    assert!(case.to_string().contains("command-output-kb"), "{case}");
}

#[test]
fn interrupted_rollback_is_found_by_check_and_finished_by_rollback() {
    const SYSTEM_V1: &str = "Version one for {{ company }}.\n{% include \"footer.j2\" %}\n";
    const FOOTER_V1: &str = "Footer one.\n";
    const SYSTEM_V2: &str = "Version two for {{ company }}.\n{% include \"footer.j2\" %}\n";
    const FOOTER_V2: &str = "Footer two.\n";
    let suite = "prompt:\n  id: bot\n  template: system.j2\nvars:\n  company: Acme\ncases:\n  - name: hi\n    user: Hi\n    assert: [{ icontains: hello }]\n    mock-answer: Hello!\n";
    let project = Project::new()
        .file("suites/bot/bot.yaml", suite)
        .file("suites/bot/system.j2", SYSTEM_V1)
        .file("suites/bot/footer.j2", FOOTER_V1)
        .env("PROMPTCI_AUTHOR", "Ada");
    let release = |bump: &str, version: &str| {
        project
            .run(&[
                "registry",
                "new",
                "bot",
                "--bump",
                bump,
                "--changelog",
                version,
            ])
            .code(0);
        project.run(&["run", "--json", "r.json"]).code(0);
        project.run(&["registry", "record", "r.json"]).code(0);
        project
            .run(&["registry", "promote", "bot", version, "--to", "production"])
            .code(0);
    };
    release("major", "1.0.0");
    std::fs::write(project.path("suites/bot/system.j2"), SYSTEM_V2).unwrap();
    std::fs::write(project.path("suites/bot/footer.j2"), FOOTER_V2).unwrap();
    release("minor", "1.1.0");

    // The rollback dies after some files: the last file it writes cannot be replaced.
    let registry: Value =
        serde_json::from_str(&std::fs::read_to_string(project.path("registry/bot.json")).unwrap())
            .unwrap();
    let files = registry["versions"][0]["files"].as_array().unwrap();
    let last = files.last().unwrap()["name"].as_str().unwrap().to_owned();
    let blocked = project.path(&format!("suites/bot/{last}"));
    std::fs::remove_file(&blocked).unwrap();
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("keep"), "").unwrap();
    let failed = project.run(&["registry", "rollback", "bot", "--to", "1.0.0"]);
    assert_ne!(failed.code, 0, "{}", failed.stdout);

    // `check` says what happened and what to run.
    std::fs::remove_dir_all(&blocked).unwrap();
    std::fs::write(
        &blocked,
        if last == "footer.j2" {
            FOOTER_V2
        } else {
            SYSTEM_V2
        },
    )
    .unwrap();
    let check = project.run(&["registry", "check"]);
    assert_ne!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert!(
        check.stderr.contains("rollback"),
        "{}{}",
        check.stdout,
        check.stderr
    );

    // Running the rollback again finishes it.
    project.run(&["registry", "rollback", "bot"]).code(0);
    assert_eq!(
        std::fs::read_to_string(project.path("suites/bot/system.j2")).unwrap(),
        SYSTEM_V1
    );
    assert_eq!(
        std::fs::read_to_string(project.path("suites/bot/footer.j2")).unwrap(),
        FOOTER_V1
    );
    let shown = project.run(&["registry", "show", "bot@production", "--json"]);
    shown.code(0);
    assert!(shown.stdout.contains("\"1.0.0\""), "{}", shown.stdout);
    project.run(&["check"]).code(0);
}

#[test]
fn report_paths_that_are_not_regular_files_are_refused() {
    let project = Project::new()
        .file("suites/s.yaml", &passing_suite(1))
        .file("elsewhere.json", "keep me");
    let fifo = project.path("fifo.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("/proc/self/fd/1", project.path("stdout.xml")).unwrap();
    std::os::unix::fs::symlink(project.path("elsewhere.json"), project.path("link.json")).unwrap();
    for args in [
        ["run", "--json", "fifo.json"],
        ["run", "--junit", "stdout.xml"],
        ["run", "--json", "link.json"],
    ] {
        let run = project.run_within(&args, BOUND);
        run.code(2);
        assert!(run.stderr.contains(args[2]), "{}", run.stderr);
    }
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    for link in ["stdout.xml", "link.json"] {
        assert!(
            std::fs::symlink_metadata(project.path(link))
                .unwrap()
                .file_type()
                .is_symlink(),
            "{link} was replaced"
        );
    }
    assert_eq!(
        std::fs::read_to_string(project.path("elsewhere.json")).unwrap(),
        "keep me"
    );
}

/// Returns the entries of `dir` whose names mark them as temporary files.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with(".tmp") || name.starts_with(".promptci-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn temp_files_a_killed_run_left_behind_are_swept_by_the_next_write() {
    let project = Project::new()
        .file("suites/s.yaml", &passing_suite(1))
        .file("out/.promptci-4242-abcdef.tmp", "half a report")
        .file(
            "out/.promptci-4243-ghijkl.tmp",
            "a report being written now",
        );
    // One left by a run killed an hour ago; one of a write going on now.
    let stale = std::fs::File::options()
        .write(true)
        .open(project.path("out/.promptci-4242-abcdef.tmp"))
        .unwrap();
    stale
        .set_modified(std::time::SystemTime::now() - Duration::from_hours(1))
        .unwrap();
    project.run(&["run", "--json", "out/r.json"]).code(0);
    assert_eq!(
        temp_files(&project.path("out")),
        vec![".promptci-4243-ghijkl.tmp".to_owned()]
    );
}

#[test]
fn a_second_signal_while_reports_are_written_leaves_no_temp_files() {
    // Large reports (1,000 answers of 4,000 characters) keep the writes going long enough for
    // the test to see a temporary file and stop promptci while it exists.
    let answer = "yes ".repeat(1000);
    let server = MockServer::start(move |_, _| Reply::answer(answer.clone()));
    let project = target_project("openai", &server.base_url(), "sk-test", "")
        .file("suites/s.yaml", &suite(1000));
    std::fs::create_dir_all(project.path("out")).unwrap();
    let child = project.spawn(&[
        "run",
        "-j",
        "64",
        "--json",
        "out/r.json",
        "--junit",
        "out/r.xml",
    ]);
    let out = project.path("out");
    let pid = child.id();
    let mut seen = false;
    let started = std::time::Instant::now();
    while started.elapsed() < BOUND && !project.path("out/r.xml").exists() {
        if !temp_files(&out).is_empty() {
            signal(pid, "TERM");
            signal(pid, "TERM");
            seen = true;
            break;
        }
    }
    let _ = wait_within(child, BOUND);
    assert!(seen || project.path("out/r.xml").exists(), "no report");
    assert_eq!(temp_files(&out), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// Hostile files
// ---------------------------------------------------------------------------------------------

#[test]
fn huge_numbers_in_the_config_are_input_errors_not_panics() {
    for (key, value) in [
        ("timeout", "1e20"),
        ("retry-delay", "1e300"),
        ("retry-max-delay", ".inf"),
        ("deadline", "1e20"),
    ] {
        let run = Project::new()
            .file(
                "promptci.yaml",
                &format!(
                    "targets:\n  default:\n    provider: openai\n    model: m\n    base-url: http://127.0.0.1:9/v1\n    {key}: {value}\n"
                ),
            )
            .file("suites/s.yaml", &suite(1))
            .run(&["check"]);
        run.code(2);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(run.stderr.contains(&format!("`{key}`")), "{}", run.stderr);
        assert!(run.stderr.contains("promptci.yaml:6:"), "{}", run.stderr);
    }
}

#[test]
fn long_lines_are_cut_in_error_snippets() {
    let line = "a".repeat(10_000_000);
    let run = Project::new()
        .file(
            "suites/s.yaml",
            &format!("cases:\n  - name: a\n    user: hi\n    bogus: {line}\n"),
        )
        .run_within(&["check"], BOUND);
    run.code(2);
    let head: String = run.stderr.chars().take(300).collect();
    assert!(run.stderr.contains("suites/s.yaml:4:5"), "{head}");
    assert!(
        run.stderr.len() < 64 * 1024,
        "{} bytes of stderr",
        run.stderr.len()
    );
}

#[test]
fn runaway_template_loops_stop_at_the_render_limit() {
    let run = Project::new()
        .file(
            "suites/s.yaml",
            "prompt:\n  id: p\n  template: t.j2\ncases:\n  - name: a\n    user: hi\n",
        )
        .file(
            "suites/t.j2",
            "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}",
        )
        .run_within(&["check"], Duration::from_mins(1));
    run.code(2);
    assert!(run.stderr.contains("suites/t.j2"), "{}", run.stderr);
    assert!(run.stderr.contains("render-fuel"), "{}", run.stderr);
}

#[test]
fn a_suite_of_25000_cases_loads() {
    let run = Project::new()
        .file("suites/s.yaml", &suite(25_000))
        .run_within(&["list"], Duration::from_mins(1));
    run.code(0);
    assert_eq!(
        run.stdout.lines().filter(|l| l.contains("::c")).count(),
        25_000
    );
}

#[test]
fn parser_limits_and_duplicate_keys_have_plain_messages() {
    // More aliases than the parser allows (the limit that stops alias bombs).
    let mut aliases =
        String::from("vars:\n  x: &x hi\ncases:\n  - name: a\n    user: hi\n    tags: [");
    aliases.push_str(&vec!["*x"; 60_000].join(", "));
    aliases.push_str("]\n");
    let duplicate = "cases:\n  - name: a\n    user: hi\n    user: ho\n";
    for (text, says) in [(aliases.as_str(), "alias"), (duplicate, "duplicate")] {
        let run = Project::new()
            .file("suites/s.yaml", text)
            .run_within(&["check"], BOUND);
        run.code(2);
        assert!(run.stderr.contains("suites/s.yaml"), "{}", run.stderr);
        assert!(run.stderr.contains(says), "{}", run.stderr);
        for library in ["budget breached", "DuplicateKeyPolicy", "Options"] {
            assert!(!run.stderr.contains(library), "{}", run.stderr);
        }
    }
}

#[test]
fn an_empty_suite_file_is_an_input_error() {
    for empty in ["", "# only a comment\n", "\n\n"] {
        let run = Project::new()
            .file("suites/s.yaml", &passing_suite(1))
            .file("suites/empty.yaml", empty)
            .run(&["run"]);
        run.code(2);
        assert!(run.stderr.contains("suites/empty.yaml"), "{}", run.stderr);
        assert!(run.stderr.contains("empty"), "{}", run.stderr);
    }
}

#[test]
fn unreadable_files_say_why() {
    let cases: [(&str, &[u8], &str); 3] = [
        ("suites/u16.yaml", b"\xff\xfec\x00a\x00s\x00", "UTF-16"),
        (
            "suites/bin.yaml",
            b"cases:\n\x00\x01\xff\xfe\x80\n",
            "UTF-8",
        ),
        (
            "suites/latin1.yaml",
            b"cases:\n  - name: caf\xe9\n",
            "UTF-8",
        ),
    ];
    for (path, bytes, says) in cases {
        let project = Project::new();
        std::fs::create_dir_all(project.path("suites")).unwrap();
        std::fs::write(project.path(path), bytes).unwrap();
        let run = project.run(&["check"]);
        run.code(2);
        assert!(run.stderr.contains(path), "{}", run.stderr);
        assert!(run.stderr.contains(says), "{}", run.stderr);
    }
    // The operating system's own reason.
    let project = Project::new().file(
        "suites/s.yaml",
        "prompt:\n  id: p\n  template: dir.j2\ncases:\n  - name: a\n    user: hi\n",
    );
    std::fs::create_dir_all(project.path("suites/dir.j2")).unwrap();
    let run = project.run(&["check"]);
    run.code(2);
    assert!(run.stderr.contains("dir.j2"), "{}", run.stderr);
    assert!(run.stderr.contains("directory"), "{}", run.stderr);
}

#[test]
fn templates_linked_outside_the_repository_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("environ");
    std::fs::write(&secret, "OUTSIDE_SECRET=sk-outside-1234\n").unwrap();
    for (template, link) in [("system.j2", "system.j2"), ("main.j2", "footer.j2")] {
        let project = Project::new()
            .file(
                "suites/s.yaml",
                &format!(
                    "prompt:\n  id: p\n  template: {template}\ncases:\n  - name: a\n    user: hi\n"
                ),
            )
            .file("suites/main.j2", "Hello.\n{% include \"footer.j2\" %}\n");
        std::os::unix::fs::symlink(&secret, project.path(&format!("suites/{link}"))).unwrap();
        let run = project.run(&["render", "suites/s.yaml::a"]);
        run.code(2);
        assert!(!run.stdout.contains("sk-outside-1234"), "{}", run.stdout);
        assert!(!run.stderr.contains("sk-outside-1234"), "{}", run.stderr);
        assert!(run.stderr.contains(link), "{}", run.stderr);
        assert!(run.stderr.contains("outside"), "{}", run.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// Registry evidence and merged reports
// ---------------------------------------------------------------------------------------------

#[test]
fn partial_runs_are_not_evidence_unless_allowed() {
    let suite = "prompt:\n  id: bot\n  template: system.j2\ncases:\n  - name: hi\n    user: Hi\n    assert: [{ icontains: hello }]\n    mock-answer: Hello!\n  - name: bye\n    user: Bye\n    assert: [{ icontains: bye }]\n    mock-answer: Bye!\n";
    let project = Project::new()
        .file("suites/bot/bot.yaml", suite)
        .file("suites/bot/system.j2", "Be nice.\n")
        .env("PROMPTCI_AUTHOR", "Ada");
    project
        .run(&[
            "registry",
            "new",
            "bot",
            "--bump",
            "major",
            "--changelog",
            "one",
        ])
        .code(0);
    project
        .run(&["run", "--filter", "*::hi", "--json", "r.json"])
        .code(0);

    let refused = project.run(&["registry", "record", "r.json"]);
    refused.code(2);
    assert!(
        refused.stderr.contains("--allow-partial"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--filter"), "{}", refused.stderr);

    project
        .run(&["registry", "record", "r.json", "--allow-partial"])
        .code(0);
    let promote = project.run(&["registry", "promote", "bot", "1.0.0", "--to", "production"]);
    promote.code(1);
    assert!(
        promote.stderr.contains("--allow-partial"),
        "{}",
        promote.stderr
    );
    project
        .run(&[
            "registry",
            "promote",
            "bot",
            "1.0.0",
            "--to",
            "production",
            "--allow-partial",
        ])
        .code(0);
}

#[test]
fn merging_shards_run_with_different_probe_seeds_warns() {
    let project = Project::new()
        .copy("suites/support/support.yaml", "suites/support/support.yaml")
        .copy("suites/support/system.j2", "suites/support/system.j2")
        .copy("suites/support/policies.j2", "suites/support/policies.j2");
    let suite = std::fs::read_to_string(project.path("suites/support/support.yaml")).unwrap();
    let project = project.file(
        "suites/support/support.yaml",
        &format!("{suite}\nprobes:\n  edge-cases: all\n"),
    );
    for (shard, seed, out) in [("1/2", "1", "a.json"), ("2/2", "2", "b.json")] {
        let run = project.run(&["run", "--shard", shard, "--seed", seed, "--json", out]);
        assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    }
    let merged = project.run(&["merge", "a.json", "b.json", "--json", "m.json"]);
    assert!(merged.code == 0 || merged.code == 1, "{}", merged.stderr);
    assert!(merged.stderr.contains("warning"), "{}", merged.stderr);
    assert!(merged.stderr.contains("seed"), "{}", merged.stderr);
}

#[test]
fn a_suite_edited_during_the_run_is_not_sent_and_fails_the_run() {
    // The run plans each suite file again when it reaches it: an edit made meanwhile must
    // not be tested as if it had been checked, nor dropped silently. The run plans at most 256
    // cases ahead, so while the first of the 300 cases of `s.yaml` hangs (one at a time),
    // `t.yaml` has not been read again yet.
    let released = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let gate = Arc::clone(&released);
    let server = MockServer::start(move |_, _| {
        while !gate.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        Reply::answer("yes")
    });
    let project = target_project("openai", &server.base_url(), "sk-test", "")
        .file("suites/s.yaml", &suite(300))
        .file("suites/t.yaml", &suite(1));
    let child = project.spawn(&["run", "-j", "1", "--json", "r.json", "--junit", "r.xml"]);
    wait_until("the first request arrived", BOUND, || server.count() >= 1);
    std::fs::write(project.path("suites/t.yaml"), suite(2)).unwrap();
    released.store(true, Ordering::SeqCst);
    let run = project.finish(wait_within(child, BOUND));
    run.code(2);
    assert!(
        run.stderr
            .contains("`suites/t.yaml` changed while the run was in progress"),
        "{}",
        run.stderr
    );
    assert_eq!(server.count(), 300, "the edited suite was sent");
    assert_eq!(
        run.case("r.json", "suites/s.yaml::c299")["status"],
        "passed"
    );
    let edited = run.case("r.json", "suites/t.yaml::#1");
    assert_eq!(edited["status"], "skipped", "{edited}");
    assert_eq!(junit_cases(&run.read("r.xml")).len(), 301);
}
