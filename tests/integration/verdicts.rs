//! Repeats, pass rates, early stopping, flaky cases and `promptci ab`, through the binary
//! against the mock server.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::harness::{Project, junit_cases};
use crate::mock_server::{MockServer, Reply};

/// A server that answers `yes` to "stable", `no` to "broken", and alternates `yes`/`no` for
/// "flaky" (per message, so interleaved cases do not disturb each other).
fn scripted_server() -> MockServer {
    let seen: Mutex<HashMap<String, usize>> = Mutex::new(HashMap::new());
    MockServer::start(move |request, _| {
        let user = request.last_user();
        let count = {
            let mut seen = seen.lock().unwrap();
            let count = seen.entry(user.clone()).or_insert(0);
            *count += 1;
            *count
        };
        match user.as_str() {
            "stable" => Reply::answer("yes"),
            "flaky" if count % 2 == 1 => Reply::answer("yes"),
            _ => Reply::answer("no"),
        }
    })
}

const REPEATED: &str = "\
repeat: 4
assert:
  - contains: 'yes'
cases:
  - name: stable
    user: stable
  - name: flaky
    user: flaky
    pass-rate: 0.5
  - name: broken
    user: broken
";

#[test]
fn repeats_keep_every_attempt_classify_flaky_cases_and_gate_on_the_pass_rate() {
    let server = scripted_server();
    let project = Project::new().file("suites/r.yaml", REPEATED);
    let run = project.run(&[
        "run",
        "--base-url",
        &server.base_url(),
        "--json",
        "out/r.json",
        "--junit",
        "out/r.xml",
    ]);
    run.code(1);
    assert_eq!(server.count(), 12, "three cases, four attempts each");

    let stable = run.case("out/r.json", "suites/r.yaml::stable");
    assert_eq!(stable["status"], "passed");
    assert_eq!(stable["repeat"]["classification"], "always-pass");
    assert_eq!(stable["repeat"]["passed"], 4);
    assert_eq!(stable["attempts"].as_array().unwrap().len(), 4);
    assert_eq!(stable["attempts"][0]["answer"], "yes");
    assert_eq!(stable["requests"], 4);

    let flaky = run.case("out/r.json", "suites/r.yaml::flaky");
    assert_eq!(flaky["status"], "passed", "2 of 4 meets pass-rate 0.5");
    assert_eq!(flaky["repeat"]["classification"], "flaky");
    assert_eq!(flaky["repeat"]["rate"], 0.5);
    let interval = &flaky["repeat"]["interval"];
    assert!(interval["low"].as_f64().unwrap() < 0.5 && interval["high"].as_f64().unwrap() > 0.5);
    // Attempts run in parallel, so which of them got `no` depends on arrival order.
    let failed: Vec<&serde_json::Value> = flaky["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|attempt| attempt["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["reasons"][0], "contains: missing `yes`");
    assert_eq!(failed[0]["answer"], "no");

    let broken = run.case("out/r.json", "suites/r.yaml::broken");
    assert_eq!(broken["status"], "failed");
    assert_eq!(broken["repeat"]["classification"], "always-fail");
    let pass_rate = &broken["assertions"][0];
    assert_eq!(pass_rate["kind"], "pass-rate");
    assert!(
        pass_rate["reason"]
            .as_str()
            .unwrap()
            .starts_with("0/4 attempts passed (0%), required 4 (100%); 95% interval 0%–49%"),
        "{pass_rate}"
    );

    let report = run.json("out/r.json");
    let flaky_list = report["summary"]["flaky"].as_array().unwrap();
    assert_eq!(flaky_list.len(), 1);
    assert_eq!(flaky_list[0]["id"], "suites/r.yaml::flaky");

    let xml = run.read("out/r.xml");
    let rows = junit_cases(&xml);
    assert_eq!(rows.len(), 3, "one testcase per case, not per attempt");
    assert_eq!(rows[2].2, "failure");
    assert!(
        rows[2].3.starts_with("pass-rate: 0/4 attempts passed"),
        "{}",
        rows[2].3
    );
    assert_eq!(xml.matches("<flakyFailure").count(), 2, "{xml}");
    assert_eq!(xml.matches("<rerunFailure").count(), 3, "{xml}");
    assert!(xml.contains("attempts=\"4\""), "{xml}");

    assert!(
        run.stdout
            .contains("PASS  suites/r.yaml::flaky [2/4 passed, flaky]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "flaky (1 case):\n  suites/r.yaml::flaky passes: 2/4 attempts passed (50%), 95% interval 15%–85%"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn early_stop_stops_once_the_verdict_is_settled() {
    let server = scripted_server();
    let project = Project::new().file(
        "suites/e.yaml",
        "repeat: 10\nearly-stop: true\nassert:\n  - contains: 'yes'\ncases:\n  - name: stable\n    user: stable\n    pass-rate: 0.8\n  - name: broken\n    user: broken\n",
    );
    let run = project.run(&["run", "--base-url", &server.base_url(), "--json", "e.json"]);
    run.code(1);
    assert_eq!(
        server.count(),
        8 + 1,
        "8 passes settle 0.8 of 10; one failure settles 1.0"
    );
    let stable = run.case("e.json", "suites/e.yaml::stable");
    assert_eq!(stable["status"], "passed");
    assert_eq!(stable["repeat"]["sent"], 8);
    assert_eq!(stable["repeat"]["planned"], 10);
    assert_eq!(stable["repeat"]["stopped_early"], true);
    let broken = run.case("e.json", "suites/e.yaml::broken");
    assert_eq!(broken["repeat"]["sent"], 1);
}

#[test]
fn repeat_on_the_command_line_and_single_shots_stay_as_they_were() {
    let server = scripted_server();
    let project = Project::new().file(
        "suites/s.yaml",
        "cases:\n  - name: stable\n    user: stable\n    assert:\n      - contains: 'yes'\n",
    );
    let single = project.run(&[
        "run",
        "--base-url",
        &server.base_url(),
        "--json",
        "one.json",
    ]);
    single.code(0);
    let case = single.case("one.json", "suites/s.yaml::stable");
    assert!(
        case.get("repeat").is_none() && case.get("attempts").is_none(),
        "{case}"
    );
    let repeated = project.run(&[
        "run",
        "--base-url",
        &server.base_url(),
        "--repeat",
        "3",
        "--json",
        "three.json",
    ]);
    repeated.code(0);
    assert_eq!(server.count(), 1 + 3);
    assert_eq!(
        repeated.case("three.json", "suites/s.yaml::stable")["repeat"]["passed"],
        3
    );
    let zero = project.run(&["run", "--repeat", "0"]);
    zero.code(2);
}

#[test]
fn bad_repeat_settings_are_located() {
    let project = Project::new().file(
        "suites/bad.yaml",
        "repeat: 0\ncases:\n  - name: a\n    user: hi\n    pass-rate: 1.5\n    confidence: 1\n",
    );
    let run = project.run(&["check"]);
    run.code(2);
    for expected in [
        "suites/bad.yaml:1:9: `repeat` is 0, outside 1..=10000",
        "suites/bad.yaml:5:16: `pass-rate` is 1.5, outside (0, 1]",
        "suites/bad.yaml:6:17: `confidence` is 1, outside (0, 1)",
    ] {
        assert!(run.stderr.contains(expected), "{expected}\n{}", run.stderr);
    }
}

const AB_SUITE: &str = "\
prompt:
  id: greeter
  template: system.j2
assert:
  - contains: 'yes'
cases:
  - name: one
    user: first question
  - name: two
    user: second question
";

/// A server that answers `yes` when the system prompt is the helpful one, else `no`.
fn system_server() -> MockServer {
    MockServer::start(|request, _| {
        if request.system().contains("helpful") {
            Reply::answer("yes")
        } else {
            Reply::answer("no")
        }
    })
}

#[test]
fn ab_of_two_templates_exits_1_when_the_candidate_is_clearly_worse() {
    let server = system_server();
    let project = Project::new()
        .file("suites/greeter.yaml", AB_SUITE)
        .file("suites/system.j2", "You are helpful.")
        .file("prompts/terse.j2", "You are terse.");
    let run = project.run(&[
        "ab",
        "--a",
        "suites/system.j2",
        "--b",
        "prompts/terse.j2",
        "--base-url",
        &server.base_url(),
        "--repeat",
        "5",
        "--json",
        "ab.json",
    ]);
    run.code(1);
    assert_eq!(
        server.count(),
        2 * 2 * 5,
        "two variants, two cases, five attempts"
    );
    assert!(
        run.stdout
            .contains("verdict: B is significantly worse than A (p < 0.05)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("10 worse, 0 better, p = 0.0010"),
        "{}",
        run.stdout
    );
    let report = run.json("ab.json");
    let comparison = &report["comparison"];
    assert_eq!(comparison["significantly_worse"], true);
    assert_eq!(comparison["a"]["passed"], 10);
    assert_eq!(comparison["b"]["passed"], 0);
    assert!((comparison["p_value"].as_f64().unwrap() - 1.0 / 1024.0).abs() < 1e-12);
    assert_eq!(comparison["difference"], -1.0);
    assert_eq!(comparison["cases"].as_array().unwrap().len(), 2);

    let same = project.run(&[
        "ab",
        "--a",
        "suites/system.j2",
        "--b",
        "suites/system.j2",
        "--base-url",
        &server.base_url(),
        "--repeat",
        "3",
    ]);
    same.code(0);
    assert!(
        same.stdout
            .contains("verdict: B is not significantly worse"),
        "{}",
        same.stdout
    );
}

#[test]
fn ab_of_a_registry_version_against_the_edited_template() {
    let server = system_server();
    let project = Project::new()
        .file("suites/greeter.yaml", AB_SUITE)
        .file("suites/system.j2", "You are helpful.");
    project
        .run(&[
            "registry",
            "new",
            "greeter",
            "--bump",
            "minor",
            "--changelog",
            "first",
        ])
        .code(0);
    std::fs::write(project.path("suites/system.j2"), "You are terse.").unwrap();
    let run = project.run(&[
        "ab",
        "--a",
        "greeter@0.1.0",
        "--b",
        "suites/system.j2",
        "--base-url",
        &server.base_url(),
    ]);
    run.code(1);
    assert_eq!(server.count(), 2 * 2 * 10, "ten attempts by default");
    assert!(run.stdout.contains("A: greeter@0.1.0"), "{}", run.stdout);
}

#[test]
fn ab_of_two_targets_and_bad_variants() {
    let good = system_server();
    let bad = MockServer::always("no");
    let config = format!(
        "targets:\n  good:\n    provider: openai\n    model: m\n    base-url: {}\n  bad:\n    provider: openai\n    model: m\n    base-url: {}\n",
        good.base_url(),
        bad.base_url()
    );
    let project = Project::new()
        .file("promptci.yaml", &config)
        .file("suites/greeter.yaml", AB_SUITE)
        .file("suites/system.j2", "You are helpful.");
    let run = project.run(&[
        "ab",
        "--a",
        "target:good",
        "--b",
        "target:bad",
        "--repeat",
        "4",
    ]);
    run.code(1);
    assert_eq!((good.count(), bad.count()), (8, 8));
    let better = project.run(&[
        "ab",
        "--a",
        "target:bad",
        "--b",
        "target:good",
        "--repeat",
        "4",
    ]);
    better.code(0);
    let missing = project.run(&["ab", "--a", "nope.j2", "--b", "target:bad"]);
    missing.code(2);
    assert!(
        missing.stderr.contains("template `nope.j2` does not exist"),
        "{}",
        missing.stderr
    );
}

#[test]
fn cached_repeats_stay_independent_attempts() {
    let server = scripted_server();
    let project = Project::new().file(
        "suites/c.yaml",
        "repeat: 4\npass-rate: 0.5\ncases:\n  - name: flaky\n    user: flaky\n    assert:\n      - contains: 'yes'\n",
    );
    let args = |json: &'static str| {
        [
            "run".to_owned(),
            "--base-url".to_owned(),
            server.base_url(),
            "--cache".to_owned(),
            "read-write".to_owned(),
            "--json".to_owned(),
            json.to_owned(),
        ]
    };
    let first = project.run(&args("first.json").each_ref().map(String::as_str));
    first.code(0);
    assert_eq!(
        server.count(),
        4,
        "attempt 2 is not answered with attempt 1's answer"
    );
    let second = project.run(&args("second.json").each_ref().map(String::as_str));
    second.code(0);
    assert_eq!(server.count(), 4, "a warm rerun is answered from the cache");
    let case = second.case("second.json", "suites/c.yaml::flaky");
    assert_eq!(case["repeat"]["classification"], "flaky");
    assert_eq!(case["cached"], true);
}

#[test]
fn ab_assign_is_sticky_and_ab_analyze_reports_welch() {
    let project = Project::new().file(
        "outcomes.csv",
        "user,variant,value\nc1,control,0\nc2,control,0\nc3,control,1\nc4,control,0\nt1,treatment,1\nt2,treatment,1\nt3,treatment,1\nt4,treatment,0\n",
    );
    let args = [
        "ab",
        "assign",
        "--experiment",
        "greeting",
        "--user",
        "u-42",
        "--fraction",
        "0.5",
        "--json",
    ];
    let first = project.run(&args);
    first.code(0);
    assert_eq!(first.stdout, project.run(&args).stdout, "sticky");
    let assigned: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    let bucket = assigned["bucket"].as_f64().unwrap();
    let expected = if bucket < 0.5 { "treatment" } else { "control" };
    assert_eq!(assigned["variant"], expected);

    let analyzed = project.run(&["ab", "analyze", "outcomes.csv", "--json"]);
    analyzed.code(0);
    let result: serde_json::Value = serde_json::from_str(&analyzed.stdout).unwrap();
    assert_eq!(result["control"]["mean"], 0.25);
    assert_eq!(result["treatment"]["mean"], 0.75);
    assert_eq!(result["lift"], 2.0);
    assert_eq!(result["significant"], false);
    let bad = project
        .file("bad.csv", "variant,value\nblue,1\n")
        .run(&["ab", "analyze", "bad.csv"]);
    bad.code(2);
    assert!(
        bad.stderr
            .contains("line 2: variant `blue` is neither `control` nor `treatment`"),
        "{}",
        bad.stderr
    );
}

/// A server whose answers follow `mode`: per message, `script(mode, user, count)` decides
/// whether the answer is `yes`.
fn switchable_server(
    mode: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    script: fn(usize, &str, usize) -> bool,
) -> MockServer {
    let seen: Mutex<HashMap<(usize, String), usize>> = Mutex::new(HashMap::new());
    MockServer::start(move |request, _| {
        let mode = mode.load(std::sync::atomic::Ordering::SeqCst);
        let user = request.last_user();
        let count = {
            let mut seen = seen.lock().unwrap();
            let count = seen.entry((mode, user.clone())).or_insert(0);
            *count += 1;
            *count
        };
        Reply::answer(if script(mode, &user, count) {
            "yes"
        } else {
            "no"
        })
    })
}

#[test]
fn repeated_baselines_call_only_significant_drops_regressions() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mode = std::sync::Arc::new(AtomicUsize::new(0));
    // Mode 0 (baseline): flaky passes 3 of 6. Mode 1: flaky passes 2 of 6 (fails its 0.5
    // pass rate: noise). Mode 2: stable always fails (a real regression).
    let server = switchable_server(std::sync::Arc::clone(&mode), |mode, user, count| {
        match (mode, user) {
            (2, "stable") => false,
            (_, "stable") => true,
            (0, _) => count % 2 == 1,
            (_, _) => count % 3 == 1,
        }
    });
    let project = Project::new().file(
        "suites/b.yaml",
        "repeat: 6\npass-rate: 0.5\nassert:\n  - contains: 'yes'\ncases:\n  - name: stable\n    user: stable\n  - name: flaky\n    user: flaky\n",
    );
    let url = server.base_url();
    let run = |json: &str, extra: &[&str]| {
        let mut args = vec!["run", "--base-url", &url, "--json", json, "-j", "1"];
        args.extend_from_slice(extra);
        project.run(&args)
    };
    run("base.json", &[]).code(0);
    mode.store(1, Ordering::SeqCst);
    let noisy = run(
        "noisy.json",
        &["--baseline", "base.json", "--fail-on", "regressions"],
    );
    noisy.code(0);
    let comparison = &noisy.json("noisy.json")["baseline"];
    assert_eq!(comparison["policy"], "fisher-exact");
    assert_eq!(comparison["regressions"].as_array().unwrap().len(), 0);
    assert_eq!(comparison["flipped"][0]["id"], "suites/b.yaml::flaky");
    assert!(
        noisy
            .stdout
            .contains("FLIPPED (not significant)  suites/b.yaml::flaky"),
        "{}",
        noisy.stdout
    );

    mode.store(2, Ordering::SeqCst);
    let broken = run(
        "broken.json",
        &["--baseline", "base.json", "--fail-on", "regressions"],
    );
    broken.code(1);
    let comparison = &broken.json("broken.json")["baseline"];
    assert_eq!(comparison["regressions"][0]["id"], "suites/b.yaml::stable");
}

#[test]
fn the_suite_test_gates_single_shot_flips_only_when_significant() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mode = std::sync::Arc::new(AtomicUsize::new(0));
    // Mode 0: every case passes. Mode 1: case c1 fails. Mode 2: every case fails.
    let server = switchable_server(std::sync::Arc::clone(&mode), |mode, user, _| match mode {
        0 => true,
        1 => user != "c1",
        _ => false,
    });
    let mut suite = String::from("assert:\n  - contains: 'yes'\ncases:\n");
    for index in 1..=5 {
        suite.push_str(&format!("  - name: c{index}\n    user: c{index}\n"));
    }
    let project = Project::new().file("suites/s.yaml", &suite);
    let url = server.base_url();
    let run = |json: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--base-url",
            &url,
            "--json",
            json,
            "--baseline",
            "base.json",
            "--fail-on",
            "regressions",
        ];
        args.extend_from_slice(extra);
        project.run(&args)
    };
    project
        .run(&["run", "--base-url", &url, "--json", "base.json"])
        .code(0);
    mode.store(1, Ordering::SeqCst);
    run("one.json", &[]).code(1);
    let suite_mode = run("one-suite.json", &["--regression-test", "suite"]);
    suite_mode.code(0);
    let comparison = &suite_mode.json("one-suite.json")["baseline"];
    assert_eq!(
        comparison["regressions"][0]["id"], "suites/s.yaml::c1",
        "still listed"
    );
    assert_eq!(comparison["suite_test"]["worse"], 1);
    assert!((comparison["suite_test"]["p_value"].as_f64().unwrap() - 0.5).abs() < 1e-12);
    assert!(
        suite_mode.stdout.contains("1 worse, 0 better, p = 0.5000"),
        "{}",
        suite_mode.stdout
    );
    mode.store(2, Ordering::SeqCst);
    let all = run("all.json", &["--regression-test", "suite"]);
    all.code(1);
    assert!(
        all.stdout
            .contains("the suite got significantly worse (5 worse, 0 better, McNemar p = 0.0312)"),
        "{}",
        all.stdout
    );
}
