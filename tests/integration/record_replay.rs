//! `--record` and the `replay` target: offline answers, stale and missing recordings.

use crate::harness::Project;
use crate::mock_server::{MockServer, Reply};

fn answers(run: &crate::harness::Run, report: &str) -> Vec<(String, String, String)> {
    run.json(report)["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            (
                case["id"].as_str().unwrap().to_owned(),
                case["status"].as_str().unwrap().to_owned(),
                case["answer"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn recorded_answers_replay_offline_identically() {
    let server = MockServer::start(|request, _| {
        if request.last_user().contains("hello") {
            Reply::answer("Hello from Acme!")
        } else {
            Reply::answer("Email us.")
        }
    });
    let project = Project::greeter();
    let live = project.run(&[
        "run",
        "--base-url",
        &server.base_url(),
        "--record",
        "recordings",
        "--json",
        "live.json",
    ]);
    live.code(1);
    assert!(
        live.stdout
            .contains("recorded 2 answers in 1 file under recordings"),
        "{}",
        live.stdout
    );
    let recording = live.read("recordings/suites/greeter.json");
    let parsed: serde_json::Value = serde_json::from_str(&recording).unwrap();
    assert_eq!(parsed["suite"], "suites/greeter.yaml");
    assert_eq!(parsed["cases"]["says_hello"]["answer"], "Hello from Acme!");
    assert_eq!(parsed["cases"]["says_hello"]["model"], "test-model");
    assert_eq!(parsed["cases"]["says_hello"]["usage"]["prompt_tokens"], 10);
    assert!(!recording.contains("latency"), "{recording}");
    drop(server);

    let replay = project.run(&["run", "--target", "replay", "--json", "replay.json"]);
    replay.code(1);
    assert_eq!(answers(&live, "live.json"), answers(&replay, "replay.json"));
    let case = replay.case("replay.json", "suites/greeter.yaml::says_hello");
    assert_eq!(case["cached"], true);
    assert_eq!(case["requests"], 0);

    // Re-recording the same answers changes nothing on disk.
    let again = MockServer::start(|request, _| {
        if request.last_user().contains("hello") {
            Reply::answer("Hello from Acme!")
        } else {
            Reply::answer("Email us.")
        }
    });
    project
        .run(&[
            "run",
            "--base-url",
            &again.base_url(),
            "--record",
            "recordings",
        ])
        .code(1);
    assert_eq!(live.read("recordings/suites/greeter.json"), recording);
}

#[test]
fn an_edited_prompt_makes_the_recording_stale() {
    let server = MockServer::always("hello phone");
    let project = Project::greeter();
    project
        .run(&[
            "run",
            "--base-url",
            &server.base_url(),
            "--record",
            "recordings",
        ])
        .code(0);
    drop(server);
    project.run(&["run", "--target", "replay"]).code(0);

    std::fs::write(
        project.path("suites/system.j2"),
        "You work for {{ company }} Inc.",
    )
    .unwrap();
    let stale = project.run(&[
        "run", "--target", "replay", "--json", "r.json", "--junit", "r.xml",
    ]);
    stale.code(3);
    let case = stale.case("r.json", "suites/greeter.yaml::says_hello");
    assert_eq!(case["status"], "error");
    assert_eq!(case["error"]["kind"], "recording");
    let message = case["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("the recording of `suites/greeter.yaml::says_hello` in `recordings/suites/greeter.json` is stale")
            && message.contains("re-record with `promptci run --target <live target> --record recordings`"),
        "{message}"
    );
    assert!(
        stale.read("r.xml").contains("<error"),
        "replay problems are errors, not failures"
    );
    assert!(
        stale.stderr.contains(
            "error: 2 cases have no current recording in `recordings`; re-record them with `promptci run --target <live target> --record recordings`"
        ),
        "{}",
        stale.stderr
    );
}

#[test]
fn a_missing_recording_says_how_to_record() {
    let project = Project::greeter().file(
        "promptci.yaml",
        "targets:\n  offline:\n    provider: replay\n    recordings: fixtures/answers\n",
    );
    let run = project.run(&["run", "--target", "offline", "--json", "r.json"]);
    run.code(3);
    let message = run.case("r.json", "suites/greeter.yaml::says_hello")["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("no recording of suite `suites/greeter.yaml`: `fixtures/answers/suites/greeter.json` does not exist")
            && message.ends_with("--record fixtures/answers`)"),
        "{message}"
    );
}

#[test]
fn recordings_on_a_non_replay_target_is_a_located_error() {
    let project = Project::greeter().file(
        "promptci.yaml",
        "targets:\n  default:\n    provider: openai\n    model: m\n    recordings: r\n",
    );
    let run = project.run(&["run"]);
    run.code(2);
    assert!(
        run.stderr.contains("promptci.yaml:3:")
            && run
                .stderr
                .contains("`recordings` of target `default` needs `provider: replay`"),
        "{}",
        run.stderr
    );
}

#[test]
fn offline_targets_record_nothing() {
    let project = Project::greeter();
    let run = project.run(&["run", "--target", "mock", "--record", "recordings"]);
    run.code(1);
    assert!(run.stdout.contains("recorded nothing"), "{}", run.stdout);
    assert!(!project.path("recordings/suites").exists());
}
