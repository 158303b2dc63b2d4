//! CI integration: GitHub annotations, step summary and outputs; `--shard` and `merge`;
//! `--changed-since` in a real git repository.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::{self, Project, ids, junit_cases};
use crate::mock_server::{MockServer, Reply};

const SUPPORT: &str = "\
prompt:
  id: support
  template: system.j2
cases:
  - name: refund
    user: How do I get a refund?
    assert:
      - contains: refund
  - name: discount
    user: Can I get a discount?
    assert:
      - contains: \"100%, guaranteed\"
      - regex: 'call\\s+us'
";

/// A server that answers every question with a refund policy.
fn refund_server() -> MockServer {
    MockServer::start(|_, _| Reply::answer("Our refund policy: 30 days.\nNo discounts."))
}

#[test]
fn github_actions_gets_escaped_annotations_a_summary_and_outputs() {
    let server = refund_server();
    // The project lives in `app/` of the repository, so annotation paths need that prefix.
    let project = Project::new()
        .file("app/promptci.yaml", "targets: {}\n")
        .file("app/suites/support.yaml", SUPPORT)
        .file("app/suites/system.j2", "You help customers.")
        .file("summary.md", "earlier step\n");
    let workspace = project.path("");
    let mut command = project.command(&[
        "--config",
        "app/promptci.yaml",
        "run",
        "app/suites",
        "--base-url",
        &server.base_url(),
        "--json",
        "out/r.json",
    ]);
    command
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", &workspace)
        .env("GITHUB_STEP_SUMMARY", project.path("summary.md"))
        .env("GITHUB_OUTPUT", project.path("output.txt"));
    let run = project.finish(command.output().unwrap());
    run.code(1);
    let annotations: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("::"))
        .collect();
    assert_eq!(
        annotations,
        [
            "::error file=app/suites/support.yaml,line=9,title=suites/support.yaml%3A%3Adiscount::contains: missing `100%25, guaranteed`%0Aregex: no match for /call\\s+us/"
        ],
        "{}",
        run.stdout
    );
    let summary = run.read("summary.md");
    assert!(
        summary.starts_with("earlier step\n## promptci: ❌ failed\n"),
        "{summary}"
    );
    assert!(summary.contains("| 2 | 1 | 1 | 0 | 0 |"), "{summary}");
    assert!(
        summary.contains("| `discount` | app/suites/support.yaml:9 | contains: missing '100%, guaranteed'<br>regex: no match for /call\\s+us/ | Our refund policy: 30 days.<br>No discounts. |"),
        "{summary}"
    );
    assert_eq!(
        run.read("output.txt"),
        "total=2\npassed=1\nfailed=1\nerrors=0\nskipped=0\nregressions=0\njson-report=out/r.json\n"
    );
}

/// Returns the `file` attribute of every JUnit testcase, in order.
fn junit_files(xml: &str) -> Vec<String> {
    roxmltree::Document::parse(xml)
        .unwrap()
        .descendants()
        .filter(|node| node.has_tag_name("testcase"))
        .map(|node| node.attribute("file").unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn junit_file_paths_start_at_the_repository_root_like_annotations() {
    let server = refund_server();
    // The project lives in `app/` of a git repository and runs from there, outside Actions:
    // the repository comes from git, and both formats name files from its root.
    let project = Project::new()
        .file("app/promptci.yaml", "targets: {}\n")
        .file("app/suites/support.yaml", SUPPORT)
        .file("app/suites/system.j2", "You help customers.");
    git(&project, &["init", "-q", "-b", "main"]);
    let in_app = |args: &[&str]| {
        let mut command = project.command(args);
        command
            .current_dir(project.path("app"))
            .env_remove("GITHUB_WORKSPACE");
        project.finish(command.output().unwrap())
    };
    let run = in_app(&[
        "run",
        "--base-url",
        &server.base_url(),
        "--junit",
        "out/r.xml",
        "--json",
        "out/r.json",
        "--github",
        "always",
    ]);
    run.code(1);
    assert_eq!(
        junit_files(&run.read("app/out/r.xml")),
        ["app/suites/support.yaml", "app/suites/support.yaml"]
    );
    assert!(
        run.stdout
            .contains("::error file=app/suites/support.yaml,line=9,"),
        "{}",
        run.stdout
    );
    // The JSON report keeps paths from the project root: it is the project's, wherever it sits.
    assert_eq!(
        run.json("app/out/r.json")["cases"][0]["suite"],
        "suites/support.yaml"
    );
    let merged = in_app(&["merge", "out/r.json", "--junit", "out/merged.xml"]);
    merged.code(1);
    assert_eq!(
        merged.read("app/out/merged.xml"),
        run.read("app/out/r.xml"),
        "a merged report's JUnit equals the run's"
    );
}

#[test]
fn the_step_summary_lists_flaky_and_skipped_cases() {
    // Every other attempt of a case is answered wrongly, so its attempts disagree.
    let server = MockServer::per_case(|_, attempt| {
        Reply::answer(if attempt % 2 == 0 { "yes" } else { "no" })
    });
    let project = Project::new().file(
        "suites/s.yaml",
        "cases:\n  - name: wobbly\n    user: wobbly\n    repeat: 4\n    pass-rate: 0.5\n    assert:\n      - contains: 'yes'\n  - name: later\n    skip: waits for the new policy\n    user: later\n",
    );
    let mut command = project.command(&[
        "run",
        "--base-url",
        &server.base_url(),
        "--github",
        "always",
    ]);
    command.env("GITHUB_STEP_SUMMARY", project.path("summary.md"));
    let run = project.finish(command.output().unwrap());
    run.code(0);
    let summary = run.read("summary.md");
    assert!(
        summary.contains("### Flaky: 1 case (attempts disagreed)"),
        "{summary}"
    );
    assert!(
        summary.contains("| `wobbly` | suites/s.yaml:2 | passed | 2/4 (50%, required 50%) |"),
        "{summary}"
    );
    assert!(
        summary.contains("### Skipped: 1 case\n\n| case | where | reason |\n|---|---|---|\n| `later` | suites/s.yaml:8 | waits for the new policy |\n"),
        "{summary}"
    );
}

#[test]
fn outside_github_actions_nothing_github_is_printed() {
    let server = refund_server();
    let run = Project::new()
        .file("suites/support.yaml", SUPPORT)
        .file("suites/system.j2", "You help customers.")
        .run(&["run", "--base-url", &server.base_url()]);
    run.code(1);
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);
}

/// A project with 12 cases in three suites; case `c7` fails on the mock target.
fn many_cases() -> Project {
    let mut project = Project::new();
    for (suite, range) in [("a", 0..4), ("b/deep", 4..9), ("c", 9..12)] {
        let mut text = String::from("cases:\n");
        for n in range {
            let expected = if n == 7 { "never" } else { "echo" };
            text.push_str(&format!(
                "  - name: c{n}\n    user: question {n}\n    mock-answer: echo {n}\n    assert:\n      - contains: {expected}\n"
            ));
        }
        project = project.file(&format!("suites/{suite}.yaml"), &text);
    }
    project
}

fn case_ids(report: &Value) -> Vec<String> {
    ids(&report["cases"])
}

/// Drops what differs between two runs of the same plan: times.
fn without_times(mut report: Value) -> Value {
    report["run"]["started_at"] = Value::Null;
    report["run"]["duration_ms"] = Value::Null;
    for case in report["cases"].as_array_mut().unwrap() {
        case["latency_ms"] = Value::Null;
    }
    report
}

#[test]
fn shards_cover_every_case_once_and_merge_back_to_the_single_run() {
    let project = many_cases();
    project
        .run(&["run", "--json", "all.json", "--junit", "all.xml"])
        .code(1);
    let one = project.run(&["run", "--shard", "1/2", "--json", "s1.json"]);
    let two = project.run(&["run", "--shard", "2/2", "--json", "s2.json"]);
    let all = one.json("all.json");
    let (first, second) = (one.json("s1.json"), two.json("s2.json"));
    let ids_one: BTreeSet<String> = case_ids(&first).into_iter().collect();
    let ids_two: BTreeSet<String> = case_ids(&second).into_iter().collect();
    assert!(ids_one.is_disjoint(&ids_two), "{ids_one:?} {ids_two:?}");
    let union: BTreeSet<String> = ids_one.union(&ids_two).cloned().collect();
    assert_eq!(union, case_ids(&all).into_iter().collect());
    assert_eq!(ids_one.len() + ids_two.len(), 12);
    assert!(!ids_one.is_empty() && !ids_two.is_empty());
    assert_eq!(first["run"]["shard"]["count"], 2);
    assert_eq!(first["run"]["shard"]["plan_cases"], 12);
    // The same split every time.
    let again = project.run(&["run", "--shard", "1/2", "--json", "again.json"]);
    assert_eq!(case_ids(&again.json("again.json")), case_ids(&first));

    let merged = project.run(&[
        "merge",
        "s2.json",
        "s1.json",
        "--json",
        "merged.json",
        "--junit",
        "merged.xml",
    ]);
    merged.code(1);
    assert!(
        merged
            .stdout
            .contains("merged 2 reports: 12 cases: 11 passed, 1 failed, 0 errors, 0 skipped"),
        "{}",
        merged.stdout
    );
    assert_eq!(
        without_times(merged.json("merged.json")),
        without_times(all),
        "the merged report equals the single run's"
    );
    assert_eq!(
        junit_cases(&merged.read("merged.xml")),
        junit_cases(&merged.read("all.xml"))
    );
    let annotated = project.run(&["merge", "s1.json", "s2.json", "--github", "always"]);
    annotated.code(1);
    let annotations: Vec<&str> = annotated
        .stdout
        .lines()
        .filter(|line| line.starts_with("::"))
        .collect();
    assert_eq!(
        annotations,
        [
            "::error file=suites/b/deep.yaml,line=17,title=suites/b/deep.yaml%3A%3Ac7::contains: missing `never`"
        ]
    );
}

#[test]
fn merge_and_shard_reject_bad_input_with_exit_2() {
    let project = many_cases();
    // Which shard the failing case lands in decides the code; only the report matters here.
    let _ = project.run(&["run", "--shard", "1/2", "--json", "s1.json"]);
    let run = project.run(&["merge", "s1.json", "s1.json", "--json", "m.json"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("shard 1/2 is given twice: `s1.json` and `s1.json`"),
        "{}",
        run.stderr
    );
    let run = project.run(&["merge", "s1.json"]);
    run.code(2);
    assert!(run.stderr.contains("missing shard: 2/2"), "{}", run.stderr);
    let run = project.run(&["run", "--shard", "3/2"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("shard 3 of 2 does not exist: K must be between 1 and 2"),
        "{}",
        run.stderr
    );
    let run = project.run(&["merge", "nope.json"]);
    run.code(2);
    assert!(run.stderr.contains("nope.json"), "{}", run.stderr);
}

fn git(project: &Project, args: &[&str]) {
    harness::git(&project.path(""), args);
}

/// Stages everything and commits it, as a throwaway author.
fn commit_all(project: &Project, message: &str) {
    git(project, &["add", "."]);
    git(
        project,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            message,
        ],
    );
}

fn listed_suites(project: &Project, reference: &str) -> Vec<String> {
    let run = project.run(&["list", "--changed-since", reference]);
    run.code(0);
    let suites: BTreeSet<String> = run
        .stdout
        .lines()
        .filter_map(|line| line.split_once("::").map(|(suite, _)| suite.to_owned()))
        .collect();
    suites.into_iter().collect()
}

#[test]
fn changed_since_selects_suites_whose_files_or_included_templates_changed() {
    let project = Project::new()
        .file(
            "suites/support/support.yaml",
            "prompt: {id: s, template: system.j2}\ncases:\n  - name: a\n    user: hi\n",
        )
        .file("suites/support/system.j2", "{% include 'parts/tone.j2' %}")
        .file("suites/support/parts/tone.j2", "Be kind.")
        .file("suites/other.yaml", "cases:\n  - name: b\n    user: hi\n")
        .file("README.md", "docs\n");
    git(&project, &["init", "-q", "-b", "main"]);
    commit_all(&project, "one");
    assert!(listed_suites(&project, "HEAD").is_empty());
    // Nothing changed: an empty selection, which passes only when allowed.
    let run = project.run(&["run", "--changed-since", "HEAD"]);
    run.code(2);
    assert!(
        run.stderr.contains(
            "nothing to run: no case selected in `suites` (no suite changed since `HEAD`)"
        ),
        "{}",
        run.stderr
    );
    let run = project.run(&[
        "run",
        "--changed-since",
        "HEAD",
        "--allow-empty",
        "--json",
        "r.json",
    ]);
    run.code(0);
    assert!(
        run.stdout.contains(
            "nothing to run: no case selected in `suites` (no suite changed since `HEAD`)"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(run.json("r.json")["summary"]["total"], 0);

    // An uncommitted edit to an included template selects its suite only.
    let project = project.file("suites/support/parts/tone.j2", "Be very kind.");
    assert_eq!(
        listed_suites(&project, "HEAD"),
        ["suites/support/support.yaml"]
    );
    commit_all(&project, "two");
    assert!(listed_suites(&project, "HEAD").is_empty());
    assert_eq!(
        listed_suites(&project, "HEAD~1"),
        ["suites/support/support.yaml"]
    );
    // An untracked suite counts; a changed README does not.
    let project = project
        .file("suites/new.yaml", "cases:\n  - name: c\n    user: hi\n")
        .file("README.md", "more docs\n");
    assert_eq!(listed_suites(&project, "HEAD"), ["suites/new.yaml"]);
    // A changed promptci.yaml can change any suite.
    let project = project.file("promptci.yaml", "targets: {}\n");
    assert_eq!(listed_suites(&project, "HEAD").len(), 3);

    let run = project.run(&["list", "--changed-since", "no-such-branch"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("`--changed-since`: unknown git revision `no-such-branch`"),
        "{}",
        run.stderr
    );
}

#[test]
fn changed_since_outside_a_git_repository_is_invalid_input() {
    let project = Project::new()
        .file("suites/a.yaml", "cases:\n  - name: b\n    user: hi\n")
        .env("GIT_CEILING_DIRECTORIES", "/");
    let run = project.run(&["run", "--changed-since", "main"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("`--changed-since` needs a git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_step_summary_shows_regressions_and_budget_overruns() {
    let suite = |answer: &str| {
        format!(
            "cases:\n  - name: greets\n    user: Say hello\n    mock-answer: {answer}\n    assert: [{{contains: hello}}]\n"
        )
    };
    let over_budget = "budget:\n  prompt-tokens: 2\ncases:\n  - name: long\n    user: Say hello to everyone here today\n";
    let project = Project::new()
        .file("suites/a.yaml", &suite("hello"))
        .file("suites/b.yaml", over_budget);
    let _ = project.run(&["run", "--json", "base.json"]);
    let project = project.file("suites/a.yaml", &suite("bye"));
    let mut command = project.command(&["run", "--baseline", "base.json", "--github", "always"]);
    command
        .env("GITHUB_STEP_SUMMARY", project.path("summary.md"))
        .env("GITHUB_OUTPUT", project.path("output.txt"));
    let run = project.finish(command.output().unwrap());
    run.code(1);
    let summary = run.read("summary.md");
    assert!(summary.starts_with("## promptci: ❌ failed"), "{summary}");
    assert!(summary.contains("### Over budget"), "{summary}");
    assert!(
        summary.contains("| suites/b.yaml | prompt-tokens 13 &gt; 2 "),
        "{summary}"
    );
    assert!(summary.contains("comparison with `base.json`"), "{summary}");
    assert!(
        run.read("output.txt").contains("regressions=1\n"),
        "{}",
        run.read("output.txt")
    );
}
