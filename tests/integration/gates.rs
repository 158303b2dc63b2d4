//! Gates: token budgets, `check`, baselines, `diff` and `tokens`.

use serde_json::Value;

use crate::harness::{Project, ids, junit_cases};
use crate::mock_server::MockServer;

/// A template long enough to break a small prompt budget.
const LONG_TEMPLATE: &str = "You are the support assistant of {{ company }}. Read the whole policy before answering: refunds take five business days, exchanges need a receipt, and every escalation goes to a human within one hour.";

fn budgets(report: &Value, suite: &str) -> Vec<Value> {
    report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["path"] == suite)
        .unwrap_or_else(|| panic!("no suite {suite}"))["budgets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn prompt_budget_overrun_fails_before_any_request() {
    let server = MockServer::always("Sure.");
    let project = Project::new()
        .file(
            "suites/long.yaml",
            "prompt: { id: long, template: long.j2 }\nvars: { company: Acme }\nbudget:\n  prompt-tokens: 30\ncases:\n  - name: one\n    user: Hi\n  - name: two\n    user: Hello there\n",
        )
        .file("suites/long.j2", LONG_TEMPLATE)
        .file("suites/short.yaml", "cases:\n  - name: ping\n    user: ping\n");
    let run = project.run(&[
        "run",
        "--base-url",
        &server.base_url(),
        "--model",
        "gpt-4o",
        "--json",
        "out/report.json",
        "--junit",
        "out/junit.xml",
    ]);
    run.code(1);
    assert_eq!(server.count(), 1, "only the suite within budget is sent");
    assert!(
        run.stdout
            .contains("OVER suites/long.yaml: prompt-tokens 5"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("> 30 (+"), "{}", run.stdout);
    assert!(
        run.stdout.contains("\nFAILED: 3 cases") && run.stdout.contains("gate: 1 budget overrun"),
        "{}",
        run.stdout
    );

    let report = run.json("out/report.json");
    let check = &budgets(&report, "suites/long.yaml")[0];
    assert_eq!(check["kind"], "prompt-tokens");
    assert_eq!(check["passed"], false);
    assert_eq!(check["limit"], 30);
    let actual = check["actual"].as_u64().unwrap();
    assert_eq!(check["over_by"].as_u64().unwrap(), actual - 30);
    assert_eq!(check["offenders"].as_array().unwrap().len(), 2);
    let case = run.case("out/report.json", "suites/long.yaml::one");
    assert_eq!(case["status"], "skipped");
    assert!(
        case["skip_reason"]
            .as_str()
            .unwrap()
            .contains("over budget")
    );
    assert_eq!(case["tokens"]["encoding"], "o200k_base");
    assert_eq!(case["tokens"]["estimate"], false);
    assert_eq!(case["tokens"]["source"], "offline");

    let junit = junit_cases(&run.read("out/junit.xml"));
    let budget = junit
        .iter()
        .find(|(suite, name, _, _)| suite == "suites/long.yaml" && name == "budget")
        .expect("a budget testcase");
    assert_eq!(budget.2, "failure");
    assert!(
        budget.3.starts_with("over budget: prompt-tokens"),
        "{budget:?}"
    );
    assert!(
        !junit
            .iter()
            .any(|(suite, name, _, _)| suite == "suites/short.yaml" && name == "budget"),
        "suites without budgets get no budget testcase"
    );
}

#[test]
fn completion_total_and_cost_budgets_use_the_providers_usage() {
    // The mock server reports 10 prompt and 5 completion tokens per answer.
    let server = MockServer::always("Fine, thanks.");
    let project = Project::new()
        .file(
            "promptci.yaml",
            &format!(
                "targets:\n  default:\n    provider: openai\n    model: m1\n    base-url: {}\nprices:\n  m1: {{ input: 1000, output: 2000 }}\n",
                server.base_url()
            ),
        )
        .file(
            "suites/s.yaml",
            "budget:\n  completion-tokens: 4\n  total-tokens: 40\n  cost-usd: 0.05\ncases:\n  - name: a\n    user: one\n  - name: b\n    user: two\n  - name: c\n    user: three\n",
        );
    let run = project.run(&["run", "--json", "r.json", "--junit", "j.xml"]);
    run.code(1);
    for expected in [
        "completion-tokens 5 > 4 (+1, +25.0%)",
        "total-tokens 45 > 40 (+5, +12.5%)",
        "cost-usd $0.0600 > $0.0500 (+$0.0100, +20.0%)",
        "gate: 3 budget overruns",
    ] {
        assert!(run.stdout.contains(expected), "{expected}\n{}", run.stdout);
    }
    let report = run.json("r.json");
    let checks = budgets(&report, "suites/s.yaml");
    let actual: Vec<_> = checks
        .iter()
        .map(|check| (check["kind"].clone(), check["actual"].clone()))
        .collect();
    assert_eq!(
        actual,
        [
            ("completion-tokens".into(), 5.into()),
            ("total-tokens".into(), 45.into()),
            ("cost-usd".into(), serde_json::json!(0.06)),
        ]
    );
    assert!((report["summary"]["cost_usd"].as_f64().unwrap() - 0.06).abs() < 1e-9);
    let case = run.case("r.json", "suites/s.yaml::a");
    assert_eq!(case["tokens"]["source"], "provider");
    assert_eq!(case["tokens"]["provider"]["prompt"], 10);
    assert_eq!(
        case["tokens"]["estimate"], true,
        "m1 is not an OpenAI model"
    );
    assert!(
        case["tokens"]["offline"].is_null(),
        "the provider reported usage, so nothing is counted offline"
    );
    assert!((case["cost_usd"].as_f64().unwrap() - 0.02).abs() < 1e-9);
    let junit = junit_cases(&run.read("j.xml"));
    assert!(
        junit
            .iter()
            .any(|(_, name, outcome, message)| name == "budget"
                && outcome == "failure"
                && message.contains("cost-usd"))
    );
}

#[test]
fn default_budgets_from_the_config_hold_and_pass() {
    let project = Project::new()
        .file(
            "promptci.yaml",
            "budget:\n  prompt-tokens: 500\n  total-tokens: 5000\n",
        )
        .file("suites/s.yaml", "cases:\n  - name: a\n    user: hello\n");
    let run = project.run(&["run", "--junit", "j.xml", "--json", "r.json"]);
    run.code(0);
    assert!(
        run.stdout.contains("ok   suites/s.yaml: prompt-tokens"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\nPASSED: 1 case"), "{}", run.stdout);
    let junit = junit_cases(&run.read("j.xml"));
    assert!(junit.contains(&(
        "suites/s.yaml".to_owned(),
        "budget".to_owned(),
        "passed".to_owned(),
        String::new()
    )));
    assert_eq!(budgets(&run.json("r.json"), "suites/s.yaml").len(), 2);
}

#[test]
fn a_cost_budget_needs_a_price() {
    let project = Project::new().file(
        "suites/s.yaml",
        "budget:\n  cost-usd: 1\ncases:\n  - name: a\n    user: hello\n",
    );
    let run = project.run(&["run"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("suites/s.yaml:2: a `cost-usd` budget needs a price for model `mock`"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_holds_prompt_budgets_without_a_model() {
    let project = Project::new()
        .file(
            "suites/long.yaml",
            "prompt: { id: long, template: long.j2 }\nvars: { company: Acme }\nbudget: { prompt-tokens: 30 }\ncases:\n  - name: one\n    user: Hi\n",
        )
        .file("suites/long.j2", LONG_TEMPLATE)
        .file(
            "suites/fine.yaml",
            "budget: { prompt-tokens: 300 }\ncases:\n  - name: ok\n    user: Hi\n",
        );
    let over = project.run(&["check"]);
    over.code(1);
    assert!(
        over.stdout.contains("OVER suites/long.yaml: prompt-tokens"),
        "{}",
        over.stdout
    );
    assert!(
        over.stdout.contains("suites/long.yaml::one"),
        "{}",
        over.stdout
    );
    let fine = project.run(&["check", "suites/fine.yaml"]);
    fine.code(0);
    assert!(
        fine.stdout
            .contains("ok: 1 suite and 1 case rendered, prompt-tokens budgets hold in 1 suite"),
        "{}",
        fine.stdout
    );
}

const PASS_FAIL_SUITE: &str = "cases:\n  - name: good\n    user: hi\n    mock-answer: hello\n    assert: [{ contains: hello }]\n  - name: known_bad\n    user: hi\n    mock-answer: nope\n    assert: [{ contains: hello }]\n";

#[test]
fn fail_on_regressions_lets_known_failures_through_but_not_new_ones() {
    let project = Project::new().file("suites/s.yaml", PASS_FAIL_SUITE);
    project.run(&["run", "--json", "base.json"]).code(1);

    let known = project.run(&[
        "run",
        "--baseline",
        "base.json",
        "--fail-on",
        "regressions",
        "--json",
        "head.json",
    ]);
    known.code(0);
    assert!(known.stdout.contains("1 known failure"), "{}", known.stdout);
    assert!(
        known.stdout.contains("\nPASSED: 2 cases"),
        "{}",
        known.stdout
    );
    let comparison = &known.json("head.json")["baseline"];
    assert_eq!(
        comparison["known_failures"][0]["id"],
        "suites/s.yaml::known_bad"
    );

    // By default every failure still fails the build.
    project.run(&["run", "--baseline", "base.json"]).code(1);

    // `good` now fails: a regression, which no mode lets through.
    let regressed = Project::new()
        .file(
            "suites/s.yaml",
            &PASS_FAIL_SUITE.replacen("mock-answer: hello", "mock-answer: bye", 1),
        )
        .copy_from(&project, "base.json");
    let run = regressed.run(&[
        "run",
        "--baseline",
        "base.json",
        "--fail-on",
        "regressions",
        "--json",
        "head.json",
    ]);
    run.code(1);
    assert!(
        run.stdout.contains("REGRESSED      suites/s.yaml::good"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("gate: 1 regression"), "{}", run.stdout);
    let report = run.json("head.json");
    assert_eq!(
        ids(&report["baseline"]["regressions"]),
        ["suites/s.yaml::good"]
    );

    // A new case that fails is not a known failure either.
    let new_failure = Project::new()
        .file(
            "suites/s.yaml",
            &format!(
                "{PASS_FAIL_SUITE}  - name: fresh\n    user: hi\n    mock-answer: nope\n    assert: [{{ contains: hello }}]\n"
            ),
        )
        .copy_from(&project, "base.json");
    new_failure
        .run(&["run", "--baseline", "base.json", "--fail-on", "regressions"])
        .code(1);
}

#[test]
fn fail_on_regressions_needs_a_baseline() {
    let run = Project::new().file("suites/s.yaml", PASS_FAIL_SUITE).run(&[
        "run",
        "--fail-on",
        "regressions",
    ]);
    run.code(2);
    assert!(
        run.stderr.contains("needs `--baseline PATH`"),
        "{}",
        run.stderr
    );
}

fn fixture_project() -> Project {
    let mut project = Project::new();
    for file in [
        "promptci.yaml",
        "suites/support.yaml",
        "suites/system.j2",
        "suites/billing.yaml",
        "suites/billing.j2",
    ] {
        project = project.copy(&format!("fixtures/baseline/project/{file}"), file);
    }
    project.copy("fixtures/baseline/base.json", "base.json")
}

#[test]
fn baseline_names_exactly_the_regressed_cases_and_the_grown_prompt() {
    let run = fixture_project().run(&["run", "--baseline", "base.json", "--json", "head.json"]);
    run.code(1);
    let comparison = &run.json("head.json")["baseline"];
    let compared = |key: &str| ids(&comparison[key]);
    assert_eq!(compared("regressions"), ["suites/support.yaml::refund"]);
    assert_eq!(compared("fixed"), ["suites/support.yaml::escalate"]);
    assert_eq!(compared("known_failures"), ["suites/support.yaml::phone"]);
    assert_eq!(
        compared("new_cases"),
        ["suites/support.yaml::opening_hours"]
    );
    assert_eq!(compared("removed_cases"), ["suites/support.yaml::old_faq"]);
    let grown: Vec<_> = comparison["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|prompt| prompt["tokens_over_growth"] == true)
        .map(|prompt| prompt["prompt"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(grown, ["support_bot"]);
    assert!(
        run.stdout
            .contains("gate: 2 failed cases, 1 regression, 1 prompt grew more than 10% in tokens"),
        "{}",
        run.stdout
    );

    // A generous growth limit lets the bigger prompt through; the regression still fails.
    let run = fixture_project().run(&[
        "run",
        "--baseline",
        "base.json",
        "--growth",
        "100%",
        "--fail-on",
        "regressions",
    ]);
    run.code(1);
    assert!(
        run.stdout.contains("gate: 1 regression\n"),
        "{}",
        run.stdout
    );
}

fn diff(args: &[&str]) -> crate::harness::Run {
    let project = Project::new()
        .copy("fixtures/baseline/base.json", "base.json")
        .copy("fixtures/baseline/head.json", "head.json");
    let mut all = vec!["diff", "base.json", "head.json"];
    all.extend_from_slice(args);
    project.run(&all)
}

#[test]
fn diff_prints_the_comparison_as_a_table() {
    let run = diff(&[]);
    run.code(1);
    insta::assert_snapshot!("diff_text", run.stdout);
    let markdown = diff(&["--markdown"]);
    markdown.code(1);
    insta::assert_snapshot!("diff_markdown", markdown.stdout);
}

#[test]
fn diff_of_a_report_with_itself_passes() {
    let project = Project::new().copy("fixtures/baseline/head.json", "head.json");
    let run = project.run(&["diff", "head.json", "head.json"]);
    run.code(0);
    assert!(
        run.stdout.contains("0 regressions") && run.stdout.contains("baseline gate: ok"),
        "{}",
        run.stdout
    );
}

#[test]
fn diff_names_a_file_that_is_not_a_report() {
    let project = Project::new()
        .file("base.json", "{\"cases\": 3}")
        .copy("fixtures/baseline/head.json", "head.json");
    let run = project.run(&["diff", "base.json", "head.json"]);
    run.code(2);
    assert!(run.stderr.contains("base.json:1:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("not a promptci JSON report"),
        "{}",
        run.stderr
    );
}

#[test]
fn tokens_counts_with_the_models_encoding() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "budget: { prompt-tokens: 10 }\ncases:\n  - name: short\n    user: hello world\n  - name: long\n    user: this message is certainly longer than ten tokens once framed\n",
        );
    let run = project.run(&["tokens", "--model", "gpt-4", "--cases"]);
    run.code(1);
    // 3 (reply) + 3 (framing) + 1 (`user`) + 2 (`hello world`).
    assert!(run.stdout.contains("  ::short"), "{}", run.stdout);
    assert!(run.stdout.contains("cl100k_base"), "{}", run.stdout);
    let short = run
        .stdout
        .lines()
        .find(|line| line.starts_with("  ::short"))
        .unwrap();
    assert!(short.contains(" 9 "), "{short}");
    assert!(
        run.stdout.contains("1 case over the prompt-tokens budget"),
        "{}",
        run.stdout
    );
    let estimate = project.run(&["tokens"]);
    assert!(
        estimate.stdout.contains("o200k_base (estimate)"),
        "{}",
        estimate.stdout
    );
}

#[test]
fn generated_probes_do_not_count_against_the_prompt_budget() {
    // The max-length probe fills the prompt to `max-input-tokens` by design.
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: { id: p, template: t.j2 }\nbudget: { prompt-tokens: 300 }\nprobes:\n  edge-cases: [max-length]\n  max-input-tokens: 2000\ncases:\n  - name: mine\n    user: hello\n",
        )
        .file("suites/t.j2", "You help.");
    let check = project.run(&["check"]);
    check.code(0);
    let run = project.run(&["run", "--json", "r.json"]);
    let case = run.case("r.json", "suites/s.yaml::mine");
    assert_eq!(case["status"], "passed", "{}", run.stdout);
    assert!(
        run.stdout.contains("ok   suites/s.yaml: prompt-tokens"),
        "{}",
        run.stdout
    );
}
