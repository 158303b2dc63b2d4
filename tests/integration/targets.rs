//! Several targets in one run: ids, reports grouped by target, the side-by-side table, and
//! baselines per target.

use serde_json::Value;

use crate::harness::{Project, ids, junit_cases};
use crate::mock_server::{MockServer, Recorded, Reply};

/// Answers with the capital of the country the prompt asks about; the `small-model` does not
/// know Italy's when `small_knows_italy` is false.
fn geography_server(small_knows_italy: bool) -> MockServer {
    MockServer::start(move |request: &Recorded, _| {
        let asked = request.last_user();
        let small = request.body["model"] == "small-model";
        if asked.contains("Italy") {
            if small && !small_knows_italy {
                Reply::answer("I am not sure.")
            } else {
                Reply::answer("The capital is Rome.")
            }
        } else {
            Reply::answer("The capital is Paris.")
        }
    })
}

const GEO_SUITE: &str = "\
prompt: {id: geo, template: geo.j2, role: user}
target: [small, large]
cases:
  - name: france
    vars: {country: France, capital: Paris}
    assert: [{contains: \"{{ capital }}\"}]
  - name: italy
    vars: {country: Italy, capital: Rome}
    assert: [{contains: \"{{ capital }}\"}]
";

fn geography_project(server: &MockServer) -> Project {
    let config = format!(
        "targets:\n  small:\n    provider: openai\n    model: small-model\n    base-url: {url}\n  large:\n    provider: openai\n    model: large-model\n    base-url: {url}\n",
        url = server.base_url()
    );
    Project::new()
        .file("promptci.yaml", &config)
        .file("suites/geo.yaml", GEO_SUITE)
        .file("suites/geo.j2", "What is the capital of {{ country }}?")
}

/// Returns the console line of the side-by-side table that starts with `target`.
fn table_row<'a>(stdout: &'a str, target: &str) -> &'a str {
    let table = stdout.split_once("pass rate").map_or_else(
        || panic!("no side-by-side table in\n{stdout}"),
        |(_, rest)| rest,
    );
    table
        .lines()
        .find(|line| line.split_whitespace().next() == Some(target))
        .unwrap_or_else(|| panic!("no row for {target} in\n{stdout}"))
}

#[test]
fn every_case_runs_on_every_target_and_reports_group_by_target() {
    let server = geography_server(false);
    let run = geography_project(&server).run(&["run", "--json", "r.json", "--junit", "r.xml"]);
    run.code(1);
    assert_eq!(server.count(), 4);
    let report = run.json("r.json");
    assert_eq!(
        ids(&report["cases"]),
        [
            "suites/geo.yaml::france@small",
            "suites/geo.yaml::italy@small",
            "suites/geo.yaml::france@large",
            "suites/geo.yaml::italy@large"
        ]
    );
    let failed: Vec<&str> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|case| case["status"] == "failed")
        .map(|case| case["id"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["suites/geo.yaml::italy@small"]);
    let italy_small = run.case("r.json", "suites/geo.yaml::italy@small");
    assert_eq!(italy_small["name"], "italy");
    assert_eq!(italy_small["target"], "small");
    assert_eq!(italy_small["model"], "small-model");

    // JSON: one suite entry per target, and the per-target summary.
    let suites: Vec<(String, u64)> = report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|suite| {
            (
                format!(
                    "{}@{}",
                    suite["path"].as_str().unwrap(),
                    suite["target"].as_str().unwrap()
                ),
                suite["failed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        suites,
        [
            ("suites/geo.yaml@small".to_owned(), 1),
            ("suites/geo.yaml@large".to_owned(), 0)
        ]
    );
    let targets = report["summary"]["targets"].as_array().unwrap();
    let by_name = |name: &str| -> &Value {
        targets
            .iter()
            .find(|target| target["target"] == name)
            .unwrap_or_else(|| panic!("{name} in {targets:?}"))
    };
    assert_eq!(by_name("small")["passed"], 1);
    assert_eq!(by_name("small")["failed"], 1);
    assert_eq!(by_name("small")["errors"], 0);
    assert_eq!(by_name("large")["passed"], 2);
    assert_eq!(by_name("large")["failed"], 0);
    assert_eq!(
        by_name("small")["prompt_tokens"],
        20,
        "the server reports 10 per request"
    );
    assert!(
        by_name("small")["pass_rate"]["interval"]["low"]
            .as_f64()
            .unwrap()
            < 0.5
    );

    // JUnit: one testsuite per target; exactly one failure, in the small one.
    let rows = junit_cases(&run.read("r.xml"));
    let outcomes: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(suite, case, outcome, _)| (suite.as_str(), case.as_str(), outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("suites/geo.yaml@small", "france", "passed"),
            ("suites/geo.yaml@small", "italy", "failure"),
            ("suites/geo.yaml@large", "france", "passed"),
            ("suites/geo.yaml@large", "italy", "passed"),
        ]
    );
}

#[test]
fn the_console_and_the_step_summary_end_with_a_table_per_target() {
    let server = geography_server(false);
    let project = geography_project(&server);
    let summary = project.path("summary.md");
    let run = project
        .env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
        .run(&["run", "--github", "always"]);
    run.code(1);
    // Lines carry the target, and the side-by-side table ends the output.
    assert!(
        run.stdout.contains("FAIL  suites/geo.yaml::italy@small"),
        "{}",
        run.stdout
    );
    let small = table_row(&run.stdout, "small");
    assert!(small.contains("small-model"), "{small}");
    assert!(small.contains("1/2") && small.contains("50%"), "{small}");
    let large = table_row(&run.stdout, "large");
    assert!(large.contains("2/2") && large.contains("100%"), "{large}");

    // GitHub step summary: the same table in Markdown.
    let markdown = std::fs::read_to_string(&summary).unwrap();
    let small_row = markdown
        .lines()
        .find(|line| line.starts_with("| `small`"))
        .unwrap_or_else(|| panic!("{markdown}"));
    assert!(small_row.contains("1/2"), "{small_row}");
    assert!(
        markdown
            .lines()
            .any(|line| line.starts_with("| `large`") && line.contains("2/2")),
        "{markdown}"
    );
}

#[test]
fn one_target_keeps_the_ids_without_a_target_and_the_flag_can_add_one() {
    let server = geography_server(true);
    let project = geography_project(&server);
    let single = project.run(&["run", "--target", "large", "--json", "r.json"]);
    single.code(0);
    assert_eq!(
        ids(&single.json("r.json")["cases"]),
        ["suites/geo.yaml::france", "suites/geo.yaml::italy"]
    );
    assert!(
        !single.stdout.contains("pass rate"),
        "no side-by-side table for one target:\n{}",
        single.stdout
    );

    let one_target_suite = project.file(
        "suites/geo.yaml",
        &GEO_SUITE.replace("[small, large]", "small"),
    );
    let both = one_target_suite.run(&["run", "--target", "small,large", "--json", "r.json"]);
    both.code(0);
    assert_eq!(both.json("r.json")["cases"].as_array().unwrap().len(), 4);
    let only_large =
        one_target_suite.run(&["list", "--target", "small,large", "--filter", "*@large"]);
    only_large.code(0);
    assert!(
        only_large.stdout.contains("suites/geo.yaml::italy@large"),
        "{}",
        only_large.stdout
    );
    assert!(
        only_large.stdout.contains("2 cases"),
        "{}",
        only_large.stdout
    );
}

#[test]
fn baselines_compare_each_target_on_its_own() {
    let good = geography_server(true);
    let base = geography_project(&good).run(&["run", "--json", "base.json"]);
    base.code(0);

    let bad = geography_server(false);
    let project = geography_project(&bad).file("base.json", &base.read("base.json"));
    let run = project.run(&["run", "--baseline", "base.json", "--json", "head.json"]);
    run.code(1);
    let comparison = &run.json("head.json")["baseline"];
    assert_eq!(
        ids(&comparison["regressions"]),
        ["suites/geo.yaml::italy@small"]
    );
    // Token growth is compared per prompt and target.
    let prompts: Vec<&str> = comparison["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|prompt| prompt["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(prompts, ["geo@large", "geo@small"]);
}

#[test]
fn an_unknown_target_in_a_list_is_located() {
    let project = Project::new().file(
        "suites/s.yaml",
        "target: [mock, nope]\ncases:\n  - name: a\n    user: hi\n    assert: [{contains: hi}]\n",
    );
    let run = project.run(&["check"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("suites/s.yaml:1:16: unknown target `nope`"),
        "{}",
        run.stderr
    );
}

#[test]
fn shards_of_a_multi_target_run_merge_back_into_the_whole() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "target: [mock, echo]\ncases:\n  - name: a\n    user: hi\n    assert: [{contains: hi}]\n  - name: b\n    user: ho\n    assert: [{contains: ho}]\n  - name: c\n    user: hu\n    assert: [{contains: hu}]\n",
        );
    let whole = project.run(&["run", "--json", "whole.json"]);
    whole.code(0);
    project
        .run(&["run", "--shard", "1/2", "--json", "one.json"])
        .code(0);
    project
        .run(&["run", "--shard", "2/2", "--json", "two.json"])
        .code(0);
    let merged = project.run(&["merge", "one.json", "two.json", "--json", "merged.json"]);
    merged.code(0);
    assert_eq!(
        ids(&merged.json("merged.json")["cases"]),
        ids(&whole.json("whole.json")["cases"])
    );
    let suites = merged.json("merged.json")["suites"].clone();
    assert_eq!(suites.as_array().unwrap().len(), 2, "{suites}");
}

#[test]
fn registry_evidence_is_recorded_for_each_target() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: greeter, template: t.j2}\ntarget: [mock, echo]\ncases:\n  - name: a\n    user: hi\n    assert: [{contains: hi}]\n    mock-answer: hi there\n",
        )
        .file("suites/t.j2", "Greet the user.")
        .env("PROMPTCI_AUTHOR", "Ada");
    project
        .run(&[
            "registry",
            "new",
            "greeter",
            "--bump",
            "major",
            "--changelog",
            "first",
        ])
        .code(0);
    project.run(&["run", "--json", "r.json"]).code(0);
    let recorded = project.run(&["registry", "record", "r.json"]);
    recorded.code(0);
    for target in ["mock", "echo"] {
        assert!(
            recorded.stdout.contains(&format!(
                "PASS suites/s.yaml on `{target}`: `greeter` 1.0.0"
            )),
            "{}",
            recorded.stdout
        );
    }
    let again = project.run(&["registry", "record", "r.json"]);
    again.code(0);
    assert_eq!(
        again.stdout.matches("(already recorded)").count(),
        2,
        "{}",
        again.stdout
    );
}

#[test]
fn check_counts_a_suite_on_several_targets_once_and_its_cases_per_target() {
    let project = Project::new().file(
        "suites/s.yaml",
        "target: [mock, echo]\ncases:\n  - name: a\n    user: hi\n    assert: [{contains: hi}]\n",
    );
    let check = project.run(&["check"]);
    check.code(0);
    assert!(
        check
            .stdout
            .contains("ok: 1 suite and 2 cases rendered; nothing was sent"),
        "{}",
        check.stdout
    );
}
