//! `promptci optimize`: the few-shot search against a scripted server whose answers depend on
//! the demonstrations in the prompt.

use std::fmt::Write as _;

use serde_json::Value;

use crate::harness::Project;
use crate::mock_server::{MockServer, Reply};

/// The template: the demonstrations file is imported and looped over, as `optimize` expects.
const TEMPLATE: &str = "\
{%- from \"few_shot_examples.j2\" import few_shot_examples -%}
Answer with `ANSWER: <number>` and nothing else.
{% for example in few_shot_examples %}
Customer: {{ example.input }}
Agent: {{ example.output }}
{% endfor %}";

/// No demonstrations yet.
const NO_EXAMPLES: &str = "{%- set few_shot_examples = [] %}\n";

/// A suite of 8 train, 8 dev and 12 test cases that all want `ANSWER: <number>`.
fn suite() -> String {
    let mut suite = String::from(
        "prompt: {id: numbers, template: system.j2}\nassert:\n  - regex: '^ANSWER: \\d+$'\ncases:\n",
    );
    for (split, count) in [("train", 8), ("dev", 8), ("test", 12)] {
        for index in 1..=count {
            let _ = writeln!(
                suite,
                "  - {{name: {split}_{index}, user: '{split} question {index}', tags: [{split}]}}"
            );
        }
    }
    suite
}

/// A project whose default target is the server at `base_url`.
fn project(base_url: &str) -> Project {
    Project::new()
        .file(
            "promptci.yaml",
            &format!(
                "targets:\n  default:\n    provider: openai\n    model: m\n    base-url: {base_url}\n    api-key-env: PROMPTCI_TEST_KEY\n"
            ),
        )
        .env("PROMPTCI_TEST_KEY", "test-key")
        .file("suites/numbers.yaml", &suite())
        .file("suites/system.j2", TEMPLATE)
        .file("suites/few_shot_examples.j2", NO_EXAMPLES)
}

/// A server that answers train questions in the right format, and other questions in it only
/// when the prompt shows `train question 3` as a demonstration.
fn helped_by_train_3() -> MockServer {
    MockServer::start(|request, _| {
        let user = request.last_user();
        let number = user.rsplit(' ').next().unwrap_or_default().to_owned();
        if user.starts_with("train") || request.system().contains("Customer: train question 3\n") {
            Reply::answer(format!("ANSWER: {number}"))
        } else {
            Reply::answer(format!("I think it is {number}."))
        }
    })
}

fn optimize(project: &Project, extra: &[&str]) -> crate::harness::Run {
    let mut args = vec![
        "optimize",
        "suites/numbers.yaml",
        "--examples-var",
        "few_shot_examples",
        "--json",
        "optimize.json",
    ];
    args.extend_from_slice(extra);
    project.run(&args)
}

fn chosen_demos(report: &Value) -> Vec<String> {
    let chosen = usize::try_from(report["chosen"].as_u64().unwrap()).unwrap();
    report["candidates"][chosen]["demos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|index| {
            report["bootstrap"]["demos"][usize::try_from(index.as_u64().unwrap()).unwrap()]["case"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn the_search_finds_the_demonstration_that_helps_and_writes_a_draft() {
    let server = helped_by_train_3();
    let project = project(&server.base_url());
    let run = optimize(&project, &["--write"]);
    run.code(0);
    let report = run.json("optimize.json");
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["split"]["source"], "tags");
    assert_eq!(report["bootstrap"]["demos"].as_array().unwrap().len(), 8);
    assert_eq!(report["current_dev"]["passed"], 0);
    assert!(
        chosen_demos(&report).contains(&"suites/numbers.yaml::train_3".to_owned()),
        "{report:#}"
    );
    let test = &report["test"];
    assert_eq!(
        (&test["current"]["passed"], &test["chosen"]["passed"]),
        (&0.into(), &12.into())
    );
    assert_eq!((&test["better"], &test["worse"]), (&12.into(), &0.into()));
    assert_eq!(test["significant"], true);
    assert!(test["p_value"].as_f64().unwrap() < 0.001);
    assert!(test["token_growth"].as_f64().unwrap() > 0.1);
    let candidates = report["candidates"].as_array().unwrap().len();
    assert!((1..=8).contains(&candidates));
    // Train once, current and each candidate on dev, both prompts on test.
    assert_eq!(server.count(), 8 + 8 * (1 + candidates) + 2 * 12);
    assert!(
        run.stdout.contains("verdict: significant improvement"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("test: current 0/12 (0%), chosen 12/12 (100%)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("more than 10%"), "{}", run.stdout);

    // The examples file now holds the chosen set, so a plain run uses it.
    let written = std::fs::read_to_string(project.path("suites/few_shot_examples.j2")).unwrap();
    assert!(
        written.contains("\"input\": \"train question 3\""),
        "{written}"
    );
    assert!(written.contains("\"output\": \"ANSWER: 3\""), "{written}");
    project.run(&["run", "--tag", "test"]).code(0);

    // And the registry holds it as a draft that names the run, never promoted.
    let registry: Value = serde_json::from_str(&run.read("registry/numbers.json")).unwrap();
    let version = &registry["versions"][0];
    assert_eq!(version["status"], "draft");
    assert_eq!(version["version"], "0.1.0");
    let changelog = version["changelog"].as_str().unwrap();
    assert!(
        changelog.contains("held-out test 0/12 → 12/12"),
        "{changelog}"
    );
    assert!(changelog.contains("optimize.json"), "{changelog}");
    let stored: Vec<&str> = version["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file["name"].as_str().unwrap())
        .collect();
    assert_eq!(stored, ["system.j2", "few_shot_examples.j2"]);
}

#[test]
fn when_no_demonstration_helps_nothing_is_written() {
    let server = MockServer::start(|request, _| {
        let user = request.last_user();
        Reply::answer(if user.starts_with("train") {
            "ANSWER: 1"
        } else {
            "no idea"
        })
    });
    let project = project(&server.base_url());
    let run = optimize(&project, &["--write", "--candidates", "3"]);
    run.code(1);
    let report = run.json("optimize.json");
    assert_eq!(report["test"]["significant"], false);
    assert_eq!(report["test"]["better"], 0);
    assert!(
        run.stdout.contains("verdict: no significant improvement"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("nothing written"), "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(project.path("suites/few_shot_examples.j2")).unwrap(),
        NO_EXAMPLES
    );
    assert!(!project.path("registry/numbers.json").exists());

    // Without `--write` the same result is a report, not a failure.
    optimize(&project, &["--candidates", "3"]).code(0);
}

#[test]
fn a_seed_reproduces_the_search_and_another_seed_searches_elsewhere() {
    let server = helped_by_train_3();
    let project = project(&server.base_url());
    let sets = |seed: &str| {
        let run = optimize(&project, &["--seed", seed, "--candidates", "4"]);
        run.code(0);
        let report = run.json("optimize.json");
        report["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|candidate| candidate["demos"].clone())
            .collect::<Vec<_>>()
    };
    let first = sets("11");
    assert_eq!(sets("11"), first);
    assert_ne!(sets("12"), first);
}

#[test]
fn a_random_split_is_seeded_and_covers_every_case() {
    let server = helped_by_train_3();
    let project = project(&server.base_url()).file(
        "suites/numbers.yaml",
        &suite()
            .replace(", tags: [train]", "")
            .replace(", tags: [dev]", "")
            .replace(", tags: [test]", ""),
    );
    let run = optimize(&project, &["--split", "0.5,0.25,0.25", "--candidates", "2"]);
    let report = run.json("optimize.json");
    assert_eq!(report["split"]["source"], "random", "{}", run.stderr);
    assert_eq!(
        (
            &report["split"]["train"],
            &report["split"]["dev"],
            &report["split"]["test"]
        ),
        (&14.into(), &7.into(), &7.into())
    );
}

#[test]
fn too_few_passing_train_cases_is_an_error_not_a_success() {
    let server = MockServer::always("no idea");
    let project = project(&server.base_url());
    let run = optimize(&project, &[]);
    run.code(2);
    assert!(
        run.stderr
            .contains("no train case gave a demonstration: 8 failed"),
        "{}",
        run.stderr
    );
    assert!(!project.path("optimize.json").exists());
}

#[test]
fn a_template_that_does_not_import_the_examples_file_is_located_with_a_fix() {
    let server = MockServer::always("ANSWER: 1");
    let project = project(&server.base_url()).file("suites/system.j2", "Answer with a number.");
    let run = optimize(&project, &[]);
    run.code(2);
    assert!(
        run.stderr.contains("suites/numbers.yaml:1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("does not import `few_shot_examples.j2`"),
        "{}",
        run.stderr
    );
    // The help says how to set the file up (miette wraps it, so only unwrapped pieces).
    assert!(
        run.stderr.contains("`{% set few_shot_examples = [] %}`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("import it at the top of the template"),
        "{}",
        run.stderr
    );
    assert_eq!(server.count(), 0);
}

#[test]
fn the_budget_bounds_the_search_and_keeps_the_held_out_comparison() {
    let server = helped_by_train_3();
    let project = project(&server.base_url());
    // Train 8 + current dev 8 + two candidates 16 + test 24 = 56; one candidate needs 48.
    let run = optimize(&project, &["--budget", "60"]);
    run.code(0);
    let report = run.json("optimize.json");
    assert_eq!(report["candidates"].as_array().unwrap().len(), 2);
    assert!(
        report["stopped"]
            .as_str()
            .unwrap()
            .contains("request budget (60)")
    );
    assert!(report["test"].is_object());
    assert!(report["spent"]["planned_requests"].as_u64().unwrap() <= 60);
    let too_small = optimize(&project, &["--budget", "30"]);
    too_small.code(2);
    assert!(
        too_small
            .stderr
            .contains("`--budget 30` is below the 48 requests"),
        "{}",
        too_small.stderr
    );
}

#[test]
fn max_cost_stops_the_search_but_not_the_held_out_comparison() {
    let server = helped_by_train_3();
    // The mock server reports 10 prompt tokens a request: $1 a request at this price.
    let project = project(&server.base_url()).file(
        "promptci.yaml",
        &format!(
            "targets:\n  default:\n    provider: openai\n    model: m\n    base-url: {}\n    api-key-env: PROMPTCI_TEST_KEY\nprices:\n  m: {{input: 100000, output: 0}}\n",
            server.base_url()
        ),
    );
    // Train ($8) and the current prompt on dev ($8) leave room for one candidate ($8).
    let run = optimize(&project, &["--max-cost", "20"]);
    run.code(0);
    let report = run.json("optimize.json");
    assert_eq!(report["candidates"].as_array().unwrap().len(), 1);
    assert!(
        report["stopped"]
            .as_str()
            .unwrap()
            .contains("cost limit ($20.0000)"),
        "{report:#}"
    );
    assert_eq!(report["test"]["current"]["passed"], 0);
    let cost = report["spent"]["cost_usd"].as_f64().unwrap();
    assert!((cost - 48.0).abs() < 1e-9, "{cost}");
}

#[test]
fn a_second_run_is_answered_from_the_cache_and_searches_the_same_way() {
    let server = helped_by_train_3();
    let project = project(&server.base_url());
    let cached = ["--cache", "read-write", "--candidates", "4"];
    let first = optimize(&project, &cached);
    first.code(0);
    let sent = server.count();
    let second = optimize(&project, &cached);
    second.code(0);
    assert_eq!(server.count(), sent, "every answer came from the cache");
    let (first, second) = (first.json("optimize.json"), second.json("optimize.json"));
    assert_eq!(first["candidates"].as_array().unwrap().len(), 4);
    for (before, after) in first["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .zip(second["candidates"].as_array().unwrap())
    {
        assert_eq!(before["demos"], after["demos"]);
        assert_eq!(before["dev"]["passed"], after["dev"]["passed"]);
    }
    assert_eq!(second["spent"]["requests"], 0);
    assert_eq!(
        second["spent"]["planned_requests"],
        first["spent"]["planned_requests"]
    );
}

#[test]
fn cases_from_a_data_file_are_split_and_searched_like_written_ones() {
    let server = MockServer::start(|request, _| {
        let prompt = request.last_user();
        let question = prompt.lines().last().unwrap_or_default().to_owned();
        let number = question.rsplit(' ').next().unwrap_or_default().to_owned();
        if question.starts_with("Question: train")
            || prompt.contains("Customer: train question 3\n")
        {
            Reply::answer(format!("ANSWER: {number}"))
        } else {
            Reply::answer("not sure")
        }
    });
    let mut rows = String::from("name,question,tags\n");
    for (split, count) in [("train", 6), ("dev", 6), ("test", 8)] {
        for index in 1..=count {
            let _ = writeln!(rows, "{split}_{index},{split} question {index},{split}");
        }
    }
    let template = format!("{TEMPLATE}\nQuestion: {{{{ question }}}}");
    let project = project(&server.base_url())
        .file(
            "suites/numbers.yaml",
            "prompt: {id: numbers, template: system.j2, role: user}\nassert:\n  - regex: '^ANSWER: \\d+$'\ncases-from: numbers.csv\n",
        )
        .file("suites/numbers.csv", &rows)
        .file("suites/system.j2", &template);
    let run = optimize(&project, &["--input-var", "question"]);
    run.code(0);
    let report = run.json("optimize.json");
    assert_eq!(
        (
            &report["split"]["train"],
            &report["split"]["dev"],
            &report["split"]["test"]
        ),
        (&6.into(), &6.into(), &8.into())
    );
    assert_eq!(report["bootstrap"]["demos"][2]["input"], "train question 3");
    assert!(chosen_demos(&report).contains(&"suites/numbers.yaml::train_3".to_owned()));
    assert_eq!(report["test"]["significant"], true, "{report:#}");
}
