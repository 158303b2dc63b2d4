//! The prompt registry through the binary: the seed story end to end, parallel promotions, and
//! a corrupt registry file.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::Project;

const ID: &str = "support_system";
const TEMPLATE: &str = "suites/support/system.j2";
const FOOTER: &str = "suites/support/footer.j2";
/// The reviewed prompt. The footer has CRLF line ends, a tab and non-ASCII text, so "byte for
/// byte" is tested on bytes that are easy to lose.
const SYSTEM_V1: &str = "You are the support assistant for {{ company }}.\nAnswer the question yourself whenever you can.\n{% include \"footer.j2\" %}\n";
const FOOTER_TEXT: &str = "Be kind.\r\n\tThanks — 🙂\r\n";
/// The seed's one-line edit.
const SYSTEM_V2: &str = "You are the support assistant for {{ company }}.\nEscalate every message to a human agent.\n{% include \"footer.j2\" %}\n";

/// The suite; `answer` is what the offline mock target replies to the refund question.
fn suite(answer: &str) -> String {
    format!(
        "prompt:\n  id: {ID}\n  template: system.j2\nvars:\n  company: Acme\ncases:\n  - name: refund\n    user: How do I get a refund?\n    assert:\n      - icontains: refund\n      - not-icontains: escalat\n    mock-answer: {answer}\n  - name: greeting\n    user: Hi\n    assert: [{{ icontains: hello }}]\n    mock-answer: Hello! How can I help?\n"
    )
}

const GOOD_ANSWER: &str = "Open Billing, then Refund, and you will get your refund in 5 days.";
const ESCALATING_ANSWER: &str = "I will escalate your refund question to a human agent.";

fn support_project() -> Project {
    Project::new()
        .file("suites/support/support.yaml", &suite(GOOD_ANSWER))
        .file(TEMPLATE, SYSTEM_V1)
        .file(FOOTER, FOOTER_TEXT)
        .env("PROMPTCI_AUTHOR", "Ada")
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "the seed story is one scenario: each step depends on the registry state the last one left"
)]
fn seed_story_version_test_promote_block_edit_gate_rollback() {
    let project = support_project();

    // 1.0.0: snapshot, test, promote.
    let created = project.run(&[
        "registry",
        "new",
        ID,
        "--bump",
        "major",
        "--changelog",
        "first support prompt",
    ]);
    created.code(0);
    assert!(
        created
            .stdout
            .contains("created `support_system` 1.0.0 (draft)"),
        "{}",
        created.stdout
    );
    project.run(&["run", "--json", "r1.json"]).code(0);
    let recorded = project.run(&["registry", "record", "r1.json"]);
    recorded.code(0);
    assert!(
        recorded.stdout.contains(
            "PASS suites/support/support.yaml on `default`: `support_system` 1.0.0, draft → testing"
        ),
        "{}",
        recorded.stdout
    );
    project
        .run(&[
            "registry",
            "promote",
            ID,
            "1.0.0",
            "--to",
            "production",
            "--reason",
            "launch",
            "--author",
            "Bob",
        ])
        .code(0);
    project.run(&["check"]).code(0);

    // The one-line edit without a version fails the check, which says what to run.
    std::fs::write(project.path(TEMPLATE), SYSTEM_V2).unwrap();
    let blocked = project.run(&["check"]);
    blocked.code(1);
    assert!(
        blocked.stderr.contains(
            "error: `support_system` was edited without a new version (`suites/support/system.j2` is `sha256:"
        ),
        "{}",
        blocked.stderr
    );
    assert!(
        blocked
            .stderr
            .contains("run `promptci registry new support_system --bump patch --changelog \"…\"`"),
        "{}",
        blocked.stderr
    );

    // 1.1.0 and a failing report: promotion is refused.
    project
        .run(&[
            "registry",
            "new",
            ID,
            "--bump",
            "minor",
            "--changelog",
            "escalate to humans",
        ])
        .code(0);
    project.run(&["check"]).code(0);
    std::fs::write(
        project.path("suites/support/support.yaml"),
        suite(ESCALATING_ANSWER),
    )
    .unwrap();
    let failing = project.run(&["run", "--json", "r2.json"]);
    failing.code(1);
    assert_eq!(
        failing.json("r2.json")["suites"][0]["registry_version"],
        "1.1.0"
    );
    let recorded = project.run(&["registry", "record", "r2.json"]);
    recorded.code(0);
    assert!(
        recorded.stdout.contains("FAIL suites/support/support.yaml"),
        "{}",
        recorded.stdout
    );
    let refused = project.run(&[
        "registry",
        "promote",
        ID,
        "1.1.0",
        "--to",
        "production",
        "--author",
        "Bob",
    ]);
    refused.code(1);
    assert!(
        refused
            .stderr
            .contains("`support_system` 1.1.0 has no passing test evidence for content `sha256:"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("had 1 failed and 0 errored cases"),
        "{}",
        refused.stderr
    );

    // A passing report: promoted, and 1.0.0 archived.
    std::fs::write(
        project.path("suites/support/support.yaml"),
        suite(GOOD_ANSWER),
    )
    .unwrap();
    project.run(&["run", "--json", "r3.json"]).code(0);
    project.run(&["registry", "record", "r3.json"]).code(0);
    let promoted = project.run(&[
        "registry",
        "promote",
        ID,
        "1.1.0",
        "--to",
        "production",
        "--reason",
        "ship it",
        "--author",
        "Bob",
    ]);
    promoted.code(0);
    assert!(
        promoted.stdout.contains("archived `support_system` 1.0.0"),
        "{}",
        promoted.stdout
    );
    let status = project.run(&["registry", "status", "--json"]);
    status.code(0);
    let status = json(&status.stdout);
    assert_eq!(status["prompts"][0]["production"], "1.1.0");
    assert_eq!(status["prompts"][0]["live_version"], "1.1.0");

    // Rollback: 1.0.0 is live again and its files are back byte for byte, in one command.
    let started = Instant::now();
    let rolled = project.run(&[
        "registry",
        "rollback",
        ID,
        "--reason",
        "bot escalates 95% of messages",
        "--author",
        "Carol",
    ]);
    let elapsed = started.elapsed();
    rolled.code(0);
    // Generous: a debug binary on a loaded CI machine, not the time rollback itself takes.
    assert!(
        elapsed < Duration::from_secs(15),
        "rollback took {elapsed:?}"
    );
    assert_eq!(
        std::fs::read(project.path(TEMPLATE)).unwrap(),
        SYSTEM_V1.as_bytes()
    );
    assert_eq!(
        std::fs::read(project.path(FOOTER)).unwrap(),
        FOOTER_TEXT.as_bytes()
    );
    let shown = project.run(&["registry", "show", "support_system@production", "--json"]);
    shown.code(0);
    let shown = json(&shown.stdout);
    assert_eq!(shown["version"]["version"], "1.0.0");
    assert_eq!(shown["version"]["files"][1]["text"], FOOTER_TEXT);
    project.run(&["check"]).code(0);
    let diff = project.run(&["registry", "diff", ID, "1.0.0", "1.1.0"]);
    diff.code(0);
    assert!(
        diff.stdout.contains("-Answer the question yourself whenever you can.\n+Escalate every message to a human agent.\n"),
        "{}",
        diff.stdout
    );

    // History shows every step with who and why.
    let history = project.run(&["registry", "history", ID, "--json"]);
    history.code(0);
    let steps: Vec<(String, String, String, String, String)> = json(&history.stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let text = |key: &str| entry[key].as_str().unwrap_or("new").to_owned();
            (
                text("version"),
                text("from"),
                text("to"),
                text("action"),
                text("by"),
            )
        })
        .collect();
    let expected = [
        ("1.0.0", "new", "draft", "create", "Ada"),
        ("1.0.0", "draft", "testing", "record", "Ada"),
        ("1.0.0", "testing", "production", "promote", "Bob"),
        ("1.1.0", "new", "draft", "create", "Ada"),
        ("1.1.0", "draft", "testing", "record", "Ada"),
        ("1.0.0", "production", "archived", "supersede", "Bob"),
        ("1.1.0", "testing", "production", "promote", "Bob"),
        ("1.1.0", "production", "archived", "rollback", "Carol"),
        ("1.0.0", "archived", "production", "rollback", "Carol"),
    ];
    let expected: Vec<(String, String, String, String, String)> = expected
        .iter()
        .map(|(a, b, c, d, e)| {
            (
                (*a).to_owned(),
                (*b).to_owned(),
                (*c).to_owned(),
                (*d).to_owned(),
                (*e).to_owned(),
            )
        })
        .collect();
    assert_eq!(steps, expected);
    let reasons: Vec<String> = json(&history.stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(reasons[0], "first support prompt");
    assert_eq!(reasons[2], "launch");
    assert_eq!(reasons[6], "ship it");
    assert_eq!(reasons[8], "bot escalates 95% of messages");

    // What an application deploys.
    project
        .run(&[
            "registry",
            "export",
            "--status",
            "production",
            "--out",
            "bundle.json",
        ])
        .code(0);
    let bundle = json(&std::fs::read_to_string(project.path("bundle.json")).unwrap());
    assert_eq!(bundle["prompts"][0]["version"], "1.0.0");
    assert_eq!(bundle["prompts"][0]["files"][0]["text"], SYSTEM_V1);
}

#[test]
fn parallel_promotions_end_with_one_success_and_clear_errors() {
    const PROCESSES: usize = 6;
    let project = support_project();
    project
        .run(&[
            "registry",
            "new",
            ID,
            "--bump",
            "major",
            "--changelog",
            "first",
        ])
        .code(0);
    project.run(&["run", "--json", "r.json"]).code(0);
    project.run(&["registry", "record", "r.json"]).code(0);

    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            let author = format!("user{i}");
            project
                .command(&[
                    "registry",
                    "promote",
                    ID,
                    "1.0.0",
                    "--to",
                    "production",
                    "--author",
                    &author,
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let runs: Vec<_> = children
        .into_iter()
        .map(|child| project.finish(child.wait_with_output().unwrap()))
        .collect();
    let winners = runs.iter().filter(|run| run.code == 0).count();
    assert_eq!(winners, 1, "exactly one promotion wins");
    for run in runs.iter().filter(|run| run.code != 0) {
        run.code(2);
        assert!(
            run.stderr
                .contains("`support_system` 1.0.0 is already production: nothing to do"),
            "{}",
            run.stderr
        );
    }
    let history = project.run(&["registry", "history", ID, "--json"]);
    history.code(0);
    let promotions = json(&history.stdout)
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["to"] == "production")
        .count();
    assert_eq!(promotions, 1, "the file is intact and has one promotion");
    project.run(&["registry", "check"]).code(0);
}

#[test]
fn a_corrupt_registry_file_is_located_and_left_alone() {
    let project = support_project();
    project
        .run(&[
            "registry",
            "new",
            ID,
            "--bump",
            "major",
            "--changelog",
            "first",
        ])
        .code(0);
    let path = project.path("registry/support_system.json");
    let good = std::fs::read_to_string(&path).unwrap();
    let line = good
        .lines()
        .position(|line| line.contains("\"status\": \"draft\""))
        .unwrap()
        + 1;
    let corrupt = good.replacen("\"status\": \"draft\"", "\"status\": draft", 1);
    std::fs::write(&path, &corrupt).unwrap();

    let check = project.run(&["check"]);
    check.code(2);
    assert!(
        check
            .stderr
            .contains(&format!("error: registry/support_system.json:{line}:")),
        "{}",
        check.stderr
    );
    assert!(
        check.stderr.contains("not a valid registry file"),
        "{}",
        check.stderr
    );
    project
        .run(&["registry", "promote", ID, "1.0.0", "--to", "testing"])
        .code(2);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        corrupt,
        "never rewritten"
    );
}
