//! Model-graded checks end to end: `rubric`, `factuality` and `similar` against a mock grader
//! and embedder, votes, evidence, errors that are not failures, record and replay, judge
//! tokens and budgets, `ab --judge`, `judge calibrate` and `min-judge-agreement`.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Project, junit_cases};
use crate::mock_grader::{self, GraderReply, JudgeRequest};
use crate::mock_server::{MockServer, Reply};

/// A target that answers each user message from `answers` (and "I don't know." otherwise).
fn target(answers: &[(&str, &str)]) -> MockServer {
    let answers: HashMap<String, String> = answers
        .iter()
        .map(|(user, answer)| ((*user).to_owned(), (*answer).to_owned()))
        .collect();
    MockServer::start(move |request, _| {
        Reply::answer(
            answers
                .get(&request.last_user())
                .cloned()
                .unwrap_or_else(|| "I don't know.".to_owned()),
        )
    })
}

/// promptci.yaml with the target `default`, the grader `judge` (seed 100) and the embedder
/// `embed`, and `extra` appended under `targets:`' parent.
fn config(target: &MockServer, grader: &MockServer, extra: &str) -> String {
    format!(
        "grader: judge\nembedder: embed\n{extra}targets:\n  default:\n    provider: openai\n    model: answer-model\n    base-url: {}\n    retries: 0\n  judge:\n    provider: openai\n    model: grader-model\n    base-url: {}\n    seed: 100\n    retries: 0\n  embed:\n    provider: openai\n    model: embed-model\n    base-url: {}\n    retries: 0\n",
        target.base_url(),
        grader.base_url(),
        grader.base_url()
    )
}

fn project(target: &MockServer, grader: &MockServer, suite: &str) -> Project {
    Project::new()
        .file("promptci.yaml", &config(target, grader, ""))
        .file("suites/support.yaml", suite)
        .file("suites/system.j2", "You are a support agent for Acme.")
}

const SUITE_HEAD: &str = "prompt:\n  id: support\n  template: system.j2\n";

/// The answers of the three-case suite below.
const ANSWERS: &[(&str, &str)] = &[
    (
        "How long do refunds take?",
        "Refunds take 5 to 7 working days.",
    ),
    (
        "Can I return an opened item?",
        "No, opened items cannot be returned.",
    ),
    (
        "What is your phone number?",
        "I'm sorry, I can't help with that.",
    ),
];

const THREE_CASES: &str = "\
cases:
  - name: refund_policy
    user: How long do refunds take?
    assert:
      - rubric: Says how many days a refund takes
      - factuality: Refunds take 5 to 7 working days.
      - similar: Refunds take 5 to 7 working days.
  - name: wrong_policy
    user: Can I return an opened item?
    assert:
      - factuality: Opened items can be returned within 30 days.
  - name: off_topic
    user: What is your phone number?
    assert:
      - rubric: Gives a phone number
      - not:
          similar: I'm sorry, I can't help with that.
";

/// A grader that judges like a careful person would for the suites here.
fn sensible_grader(judge: &JudgeRequest) -> GraderReply {
    if judge.is_factuality() {
        return if judge.answer == judge.reference {
            GraderReply::category("same")
        } else if judge.answer.contains("cannot") {
            GraderReply::category("disagrees")
        } else {
            GraderReply::category("subset")
        };
    }
    if judge.rubric.contains("days") {
        return if judge.answer.contains("days") {
            GraderReply::pass("it names the days")
        } else {
            GraderReply::fail("no number of days")
        };
    }
    if judge.rubric.contains("phone number") {
        return if judge.answer.chars().any(|c| c.is_ascii_digit()) {
            GraderReply::pass("it gives a number")
        } else {
            GraderReply::fail("there is no phone number")
        };
    }
    GraderReply::fail("unknown rubric")
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            (
                case["name"].as_str().unwrap().to_owned(),
                case["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Each assertion's kind, verdict, judge reason and score, per case, for comparing runs.
fn verdicts(report: &Value) -> Vec<Vec<(String, bool, Value, Value)>> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            case["assertions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|assertion| {
                    (
                        assertion["kind"].as_str().unwrap().to_owned(),
                        assertion["passed"].as_bool().unwrap(),
                        assertion["judge"]["votes"][0]["reason"].clone(),
                        assertion["judge"]["score"].clone(),
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn rubric_factuality_and_similar_run_against_mocks_and_replay_offline_with_identical_verdicts() {
    let (answers, grader) = (target(ANSWERS), mock_grader::start(sensible_grader));
    let project = project(&answers, &grader, &format!("{SUITE_HEAD}{THREE_CASES}"));
    let live = project.run(&["run", "--record", "recordings", "--json", "live.json"]);
    live.code(1);
    let live_report = live.json("live.json");
    assert_eq!(
        statuses(&live_report),
        [
            ("refund_policy".to_owned(), "passed".to_owned()),
            ("wrong_policy".to_owned(), "failed".to_owned()),
            ("off_topic".to_owned(), "failed".to_owned()),
        ]
    );
    let refund = &live_report["cases"][0];
    let similar = &refund["assertions"][2];
    assert_eq!(similar["kind"], "similar");
    assert!(
        (similar["judge"]["score"].as_f64().unwrap() - 1.0).abs() < 1e-6,
        "{similar}"
    );
    let factuality = &live_report["cases"][1]["assertions"][0];
    assert_eq!(factuality["judge"]["category"], "disagrees", "{factuality}");
    // Three chat judge calls and two embedding calls, nothing more.
    let paths: Vec<String> = grader.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths
            .iter()
            .filter(|p| p.ends_with("/chat/completions"))
            .count(),
        4,
        "{paths:?}"
    );
    assert_eq!(
        paths.iter().filter(|p| p.ends_with("/embeddings")).count(),
        2,
        "{paths:?}"
    );
    let recording = live.read("recordings/suites/support.json");
    assert!(recording.contains("\"judges\""), "{recording}");
    assert!(!recording.contains("base-url"), "{recording}");

    // Offline: both servers gone, the replay target answers and judges from the recording.
    drop(answers);
    drop(grader);
    let replay = project.run(&["run", "--target", "replay", "--json", "replay.json"]);
    replay.code(1);
    let replay_report = replay.json("replay.json");
    assert_eq!(statuses(&replay_report), statuses(&live_report));
    assert_eq!(verdicts(&replay_report), verdicts(&live_report));
    for case in replay_report["cases"].as_array().unwrap() {
        assert_eq!(case["requests"], 0, "{case}");
        assert_eq!(case["judge_requests"].as_u64().unwrap_or(0), 0, "{case}");
    }
}

#[test]
fn a_judge_that_answers_garbage_is_an_error_with_exit_3_not_a_failure() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|_| GraderReply::Text("I think it's fine, lol".to_owned()));
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric: Says how many days a refund takes\n"
    );
    let run =
        project(&answers, &grader, &suite).run(&["run", "--json", "r.json", "--junit", "r.xml"]);
    run.code(3);
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    assert_eq!(case["status"], "error", "{case}");
    assert_eq!(case["error"]["kind"], "malformed", "{case}");
    let message = case["error"]["message"].as_str().unwrap();
    assert!(message.contains("grader `judge`"), "{message}");
    assert!(message.contains("I think it's fine"), "{message}");
    assert_eq!(
        case["assertions"][0]["error"]["kind"], "malformed",
        "{case}"
    );
    assert_eq!(case["assertions"][0]["passed"], false, "{case}");
    // The first ask and two re-asks: an unreadable verdict is asked again, never cached.
    assert_eq!(grader.count(), 3);
    let junit = junit_cases(&run.read("r.xml"));
    assert_eq!(junit[0].2, "error", "{junit:?}");
    assert_eq!(run.json("r.json")["summary"]["failed"], 0);
}

#[test]
fn an_unreadable_verdict_is_asked_again_and_the_readable_one_counts() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|judge| {
        if judge.asked_before == 0 {
            GraderReply::Text("Let me think about it.".to_owned())
        } else {
            GraderReply::pass("names the days")
        }
    });
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric: Says how many days a refund takes\n"
    );
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    run.code(0);
    assert_eq!(grader.count(), 2);
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    assert_eq!(case["judge_requests"], 2, "{case}");
}

#[test]
fn a_case_that_failed_on_its_merits_stays_failed_when_its_judge_errors() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|_| GraderReply::Text("no idea".to_owned()));
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - contains: weeks\n      - rubric: Says how many days a refund takes\n"
    );
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    run.code(1);
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    assert_eq!(case["status"], "failed", "{case}");
    assert_eq!(
        case["assertions"][1]["error"]["kind"], "malformed",
        "{case}"
    );
}

#[test]
fn a_judge_error_under_not_stays_an_error() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|_| GraderReply::Status(400));
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - not:\n          rubric: Is rude\n"
    );
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    run.code(3);
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    assert_eq!(case["status"], "error", "{case}");
    assert_eq!(case["error"]["kind"], "http", "{case}");
    assert_eq!(case["error"]["status"], 400, "{case}");
}

#[test]
fn refusing_and_slow_graders_are_errors() {
    let answers = target(ANSWERS);
    let refusing = mock_grader::start(|_| GraderReply::Refusal);
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric: Says how many days a refund takes\n"
    );
    let run = project(&answers, &refusing, &suite).run(&["run", "--json", "r.json"]);
    run.code(3);
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    assert_eq!(case["error"]["kind"], "refusal", "{case}");

    let slow = mock_grader::start(|_| GraderReply::pass("ok").slow(Duration::from_secs(5)));
    let config =
        config(&answers, &slow, "").replace("    seed: 100\n", "    seed: 100\n    timeout: 0.3\n");
    let run = Project::new()
        .file("promptci.yaml", &config)
        .file("suites/support.yaml", &suite)
        .file("suites/system.j2", "You are a support agent for Acme.")
        .run(&["run", "--json", "r.json"]);
    run.code(3);
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    assert_eq!(case["error"]["kind"], "timeout", "{case}");
    assert!(
        case["answer"].as_str().unwrap().contains("5 to 7"),
        "{case}"
    );
}

#[test]
fn chatty_and_fenced_json_verdicts_are_read() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|judge| {
        if judge.rubric.contains("days") {
            GraderReply::pass("names the days").chatty()
        } else {
            GraderReply::fail("no phone number").fenced()
        }
    });
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric: Says how many days a refund takes\n  - name: off_topic\n    user: What is your phone number?\n    assert:\n      - rubric: Gives a phone number\n"
    );
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    run.code(1);
    let report = run.json("r.json");
    assert_eq!(report["cases"][0]["status"], "passed");
    assert_eq!(report["cases"][1]["status"], "failed");
    assert_eq!(
        report["cases"][1]["assertions"][0]["judge"]["votes"][0]["reason"],
        "no phone number"
    );
}

#[test]
fn judge_requests_use_temperature_zero_the_seed_per_vote_and_json_mode() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|_| GraderReply::pass("ok"));
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric:\n          text: Says how many days a refund takes\n          votes: 3\n"
    );
    // The grader's own temperature is not used for judging.
    let config = config(&answers, &grader, "")
        .replace("    seed: 100\n", "    seed: 100\n    temperature: 0.9\n");
    Project::new()
        .file("promptci.yaml", &config)
        .file("suites/support.yaml", &suite)
        .file("suites/system.j2", "You are a support agent for Acme.")
        .run(&["run"])
        .code(0);
    let mut seeds: Vec<i64> = grader
        .requests()
        .iter()
        .map(|request| {
            assert_eq!(request.body["temperature"], 0.0, "{}", request.body);
            assert_eq!(
                request.body["response_format"]["type"], "json_object",
                "{}",
                request.body
            );
            assert_eq!(request.body["model"], "grader-model");
            let system = request.system();
            assert!(system.contains("JSON"), "{system}");
            let user = request.last_user();
            assert!(
                user.contains("<answer>\nRefunds take 5 to 7 working days.\n</answer>"),
                "{user}"
            );
            assert!(user.contains("How long do refunds take?"), "{user}");
            request.body["seed"].as_i64().unwrap()
        })
        .collect();
    seeds.sort_unstable();
    assert_eq!(seeds, [100, 101, 102]);
}

#[test]
fn an_anthropic_grader_gets_no_json_mode_and_its_chatty_answer_is_read() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|_| GraderReply::pass("fine").chatty());
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric: Says how many days a refund takes\n"
    );
    let config = format!(
        "grader: claude\ntargets:\n  default:\n    provider: openai\n    model: answer-model\n    base-url: {}\n  claude:\n    provider: anthropic\n    model: claude-grader\n    base-url: {}\n    api-key-env: PROMPTCI_TEST_KEY\n",
        answers.base_url(),
        grader.base_url().trim_end_matches("/v1"),
    );
    let run = Project::new()
        .file("promptci.yaml", &config)
        .file("suites/support.yaml", &suite)
        .file("suites/system.j2", "You are a support agent for Acme.")
        .env("PROMPTCI_TEST_KEY", "sk-grader-secret")
        .run(&["run", "--json", "r.json"]);
    run.code(0);
    let request = &grader.requests()[0];
    assert!(request.path.ends_with("/v1/messages"), "{}", request.path);
    assert!(
        request.body.get("response_format").is_none(),
        "{}",
        request.body
    );
    assert_eq!(request.body["temperature"], 0.0, "{}", request.body);
    assert!(request.system().contains("JSON"));
    let report = run.read("r.json");
    assert!(!report.contains("sk-grader-secret"));
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    assert_eq!(
        case["assertions"][0]["judge"]["model"], "claude-test",
        "{case}"
    );
}

#[test]
fn three_votes_with_one_dissent_pass_and_flag_a_split_vote() {
    let answers = target(ANSWERS);
    // The vote with seed 102 (the third) dissents.
    let grader = mock_grader::start(|judge| {
        if judge.seed == Some(102) {
            GraderReply::scored(false, 0.2)
        } else {
            GraderReply::scored(true, 0.9)
        }
    });
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric:\n          text: Says how many days a refund takes\n          votes: 3\n  - name: also_split\n    user: What is your phone number?\n    assert:\n      - rubric:\n          text: Is polite\n          votes: 3\n"
    );
    let project = project(&answers, &grader, &suite);
    let run = project.run(&["run", "--json", "r.json", "--junit", "r.xml"]);
    // The second case's votes are 2 passes and 1 failure too: both pass.
    run.code(0);
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    let judge = &case["assertions"][0]["judge"];
    assert_eq!(judge["votes"].as_array().unwrap().len(), 3, "{judge}");
    assert_eq!(judge["passes"], 2, "{judge}");
    assert_eq!(judge["split"], true, "{judge}");
    assert!(
        (judge["agreement"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9,
        "{judge}"
    );
    assert!(
        (judge["score"].as_f64().unwrap() - 0.9).abs() < 1e-9,
        "median: {judge}"
    );
    assert_eq!(judge["grader"], "judge");
    assert_eq!(judge["model"], "test-model");
    assert_eq!(judge["prompt_hash"].as_str().unwrap().len(), 16, "{judge}");
    let report = run.json("r.json");
    let split: Vec<&str> = report["summary"]["split_votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        split,
        [
            "suites/support.yaml::refund_policy",
            "suites/support.yaml::also_split"
        ]
    );
    assert!(run.stdout.contains("split vote"), "{}", run.stdout);
    let xml = run.read("r.xml");
    assert!(xml.contains("judge.1.split"), "{xml}");
    assert!(xml.contains("judge.1.votes"), "{xml}");
}

#[test]
fn votes_decide_by_majority_and_an_unreadable_vote_that_cannot_change_it_is_outvoted() {
    let answers = target(ANSWERS);
    // Votes: fail, fail, garbage → failed (two of three already fail).
    let grader = mock_grader::start(|judge| match judge.seed {
        Some(102) => GraderReply::Text("hmm".to_owned()),
        _ => GraderReply::fail("no"),
    });
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric:\n          text: Says how many days a refund takes\n          votes: 3\n"
    );
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    run.code(1);
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    assert_eq!(case["status"], "failed", "{case}");

    // Votes: pass, fail, garbage → error: the unreadable vote would have decided.
    let grader = mock_grader::start(|judge| match judge.seed {
        Some(100) => GraderReply::pass("yes"),
        Some(101) => GraderReply::fail("no"),
        _ => GraderReply::Text("hmm".to_owned()),
    });
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    run.code(3);
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    assert_eq!(case["status"], "error", "{case}");
}

#[test]
fn even_votes_and_a_missing_grader_are_located_errors() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|_| GraderReply::pass("ok"));
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric:\n          text: Says how many days\n          votes: 2\n"
    );
    let run = project(&answers, &grader, &suite).run(&["check"]);
    run.code(2);
    assert!(
        run.stderr.contains("suites/support.yaml:10:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("votes"), "{}", run.stderr);

    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric: Says how many days\n"
    );
    let run = Project::new()
        .file("suites/support.yaml", &suite)
        .file("suites/system.j2", "You are a support agent for Acme.")
        .run(&["check"]);
    run.code(2);
    assert!(
        run.stderr.contains("suites/support.yaml:8:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("needs a grader"), "{}", run.stderr);
    assert_eq!(grader.count(), 0);
}

#[test]
fn a_rubric_threshold_applies_to_the_score() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|_| GraderReply::scored(true, 0.6));
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: strict\n    user: How long do refunds take?\n    assert:\n      - rubric:\n          text: Says how many days a refund takes\n          threshold: 0.8\n  - name: lenient\n    user: Can I return an opened item?\n    assert:\n      - rubric:\n          text: Answers the question\n          threshold: 0.5\n"
    );
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    run.code(1);
    let report = run.json("r.json");
    assert_eq!(report["cases"][0]["status"], "failed");
    assert_eq!(report["cases"][1]["status"], "passed");
    let reason = report["cases"][0]["assertions"][0]["reason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("0.6") && reason.contains("0.8"), "{reason}");
}

#[test]
fn factuality_pass_categories_are_configurable() {
    let answers = target(&[("Q?", "Refunds take 5 days.")]);
    let grader = mock_grader::start(|_| GraderReply::category("subset"));
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: default_categories\n    user: Q?\n    assert:\n      - factuality: Refunds take 5 days and are free.\n  - name: only_same\n    user: Q?\n    assert:\n      - factuality:\n          reference: Refunds take 5 days and are free.\n          pass: [same, superset]\n"
    );
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    run.code(1);
    let report = run.json("r.json");
    assert_eq!(report["cases"][0]["status"], "passed");
    assert_eq!(report["cases"][1]["status"], "failed");
}

#[test]
fn similar_takes_a_list_a_threshold_and_not() {
    let answers = target(&[("Q?", "Refunds take five working days")]);
    let grader = mock_grader::start(|_| GraderReply::pass("unused"));
    let close = "Refunds take five days";
    let far = "Our office is in Berlin";
    let cosine = mock_grader::cosine("Refunds take five working days", close);
    assert!(cosine > 0.8 && cosine < 0.95, "{cosine}");
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: any_reference\n    user: Q?\n    assert:\n      - similar: [\"{far}\", \"{close}\"]\n  - name: too_strict\n    user: Q?\n    assert:\n      - similar:\n          text: \"{close}\"\n          threshold: 0.95\n  - name: not_similar\n    user: Q?\n    assert:\n      - not:\n          similar: \"{far}\"\n"
    );
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    run.code(1);
    let report = run.json("r.json");
    assert_eq!(
        statuses(&report)
            .into_iter()
            .map(|(_, status)| status)
            .collect::<Vec<_>>(),
        ["passed", "failed", "passed"]
    );
    let score = report["cases"][0]["assertions"][0]["judge"]["score"]
        .as_f64()
        .unwrap();
    assert!((score - cosine).abs() < 1e-4, "{score} vs {cosine}");
    // Only embeddings were asked for.
    assert!(
        grader
            .requests()
            .iter()
            .all(|r| r.path.ends_with("/embeddings"))
    );
}

#[test]
fn with_repeat_each_attempt_is_judged_on_its_own() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|_| GraderReply::pass("ok"));
    let suite = format!(
        "{SUITE_HEAD}cases:\n  - name: refund_policy\n    user: How long do refunds take?\n    repeat: 3\n    assert:\n      - rubric: Says how many days a refund takes\n"
    );
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    run.code(0);
    // Identical answers still get their own judge call per attempt.
    assert_eq!(grader.count(), 3);
    let case = run.case("r.json", "suites/support.yaml::refund_policy");
    assert_eq!(case["repeat"]["passed"], 3, "{case}");
}

#[test]
fn judge_tokens_are_reported_apart_from_the_target_and_have_their_own_budget() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|_| GraderReply::pass("ok"));
    let suite = format!(
        "{SUITE_HEAD}budget:\n  judge-tokens: 20\ncases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric:\n          text: Says how many days a refund takes\n          votes: 3\n"
    );
    let run = project(&answers, &grader, &suite).run(&["run", "--json", "r.json"]);
    // The case passes but three judge calls of 15 tokens each overrun the budget of 20.
    run.code(1);
    let report = run.json("r.json");
    assert_eq!(report["summary"]["passed"], 1);
    assert_eq!(
        report["summary"]["prompt_tokens"], 10,
        "target only: {}",
        report["summary"]
    );
    assert_eq!(report["summary"]["completion_tokens"], 5);
    assert_eq!(report["summary"]["judge_prompt_tokens"], 30);
    assert_eq!(report["summary"]["judge_completion_tokens"], 15);
    let case = &report["cases"][0];
    assert_eq!(case["judge_tokens"]["prompt"], 30, "{case}");
    assert_eq!(case["judge_requests"], 3, "{case}");
    assert!(run.stdout.contains("judge-tokens"), "{}", run.stdout);
}

#[test]
fn judge_answers_come_from_the_cache_on_a_second_run() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(sensible_grader);
    let project = project(&answers, &grader, &format!("{SUITE_HEAD}{THREE_CASES}"));
    let first = project.run(&["run", "--cache", "read-write", "--json", "a.json"]);
    first.code(1);
    let asked = grader.count();
    let second = project.run(&["run", "--cache", "read-write", "--json", "b.json"]);
    second.code(1);
    assert_eq!(grader.count(), asked, "no judge call the second time");
    assert_eq!(
        verdicts(&first.json("a.json")),
        verdicts(&second.json("b.json"))
    );
    let report = second.json("b.json");
    assert!(report["cases"][0]["assertions"][0]["judge"]["votes"][0]["cached"] == true);
}

#[test]
fn evidence_appears_in_the_console_json_and_junit() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(sensible_grader);
    let run = project(&answers, &grader, &format!("{SUITE_HEAD}{THREE_CASES}"))
        .run(&["run", "--json", "r.json", "--junit", "r.xml"]);
    run.code(1);
    // Console: the judge's reason, score, grader model and prompt hash on the failure line.
    assert!(
        run.stdout.contains("there is no phone number"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("grader judge (test-model)"),
        "{}",
        run.stdout
    );
    let case = run.case("r.json", "suites/support.yaml::off_topic");
    let hash = case["assertions"][0]["judge"]["prompt_hash"]
        .as_str()
        .unwrap();
    assert!(run.stdout.contains(&hash[..8]), "{}", run.stdout);
    let xml = run.read("r.xml");
    assert!(xml.contains("judge.1.reason"), "{xml}");
    assert!(xml.contains("there is no phone number"), "{xml}");
    assert!(xml.contains(&format!("value=\"{hash}\"")), "{xml}");
}

#[test]
fn a_suite_can_override_the_judge_template() {
    let answers = target(ANSWERS);
    let grader = mock_grader::start(|_| GraderReply::pass("ok"));
    let suite = format!(
        "{SUITE_HEAD}rubric-template: ../judges/strict.yaml\ncases:\n  - name: refund_policy\n    user: How long do refunds take?\n    assert:\n      - rubric: Says how many days a refund takes\n"
    );
    let template = "- role: system\n  content: Grade strictly. Answer in JSON.\n- role: user\n  content: \"Rubric: {{ rubric }} / Answer: {{ answer }} / Company: {{ vars.company }}\"\n";
    let run = project(
        &answers,
        &grader,
        &suite.replace("cases:", "vars:\n  company: Acme\ncases:"),
    )
    .file("judges/strict.yaml", template)
    .run(&["run", "--json", "r.json"]);
    run.code(0);
    let request = &grader.requests()[0];
    assert_eq!(request.system(), "Grade strictly. Answer in JSON.");
    assert_eq!(
        request.last_user(),
        "Rubric: Says how many days a refund takes / Answer: Refunds take 5 to 7 working days. / Company: Acme"
    );

    // An undefined variable in a judge template is a located error before any request.
    let grader = mock_grader::start(|_| GraderReply::pass("ok"));
    let run = project(&answers, &grader, &suite)
        .file(
            "judges/strict.yaml",
            "- role: user\n  content: \"{{ nonsense }}\"\n",
        )
        .run(&["run"]);
    run.code(2);
    assert!(run.stderr.contains("strict.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("nonsense"), "{}", run.stderr);
    assert_eq!(grader.count(), 0);
}

#[test]
fn a_mock_grader_with_rules_judges_offline() {
    let config = "grader: offline-judge\ntargets:\n  offline-judge:\n    provider: mock\n    rules:\n      - match: '(?s)<answer>.*refund.*</answer>'\n        answer: '{\"reason\": \"mentions refunds\", \"score\": 1, \"pass\": true}'\n      - match: ''\n        answer: '{\"reason\": \"no refund\", \"score\": 0, \"pass\": false}'\n";
    let suite = "cases:\n  - name: refunds\n    user: Tell me about refunds\n    mock-answer: Your refund is on its way.\n    assert:\n      - rubric: Talks about the refund\n  - name: weather\n    user: How is the weather?\n    mock-answer: Sunny.\n    assert:\n      - rubric: Talks about the refund\n";
    let run = Project::new()
        .file("promptci.yaml", config)
        .file("suites/offline.yaml", suite)
        .run(&["run", "--json", "r.json"]);
    run.code(1);
    let report = run.json("r.json");
    assert_eq!(report["cases"][0]["status"], "passed");
    assert_eq!(report["cases"][1]["status"], "failed");
    assert_eq!(
        report["cases"][1]["assertions"][0]["judge"]["votes"][0]["reason"],
        "no refund"
    );
}

/// Two templates for `ab`: A answers helpfully, B tersely, decided by the system prompt.
fn ab_project(grader: &MockServer, target: &MockServer, b_template: &str) -> Project {
    let suite = "prompt:\n  id: support\n  template: a.j2\ncases:\n  - name: refunds\n    user: How long do refunds take?\n  - name: returns\n    user: Can I return an opened item?\n";
    Project::new()
        .file("promptci.yaml", &config(target, grader, ""))
        .file("suites/support.yaml", suite)
        .file("suites/a.j2", "Be helpful.")
        .file("suites/b.j2", b_template)
}

fn ab_target() -> MockServer {
    MockServer::start(|request, _| {
        Reply::answer(if request.system().contains("helpful") {
            format!("Here is a full answer to: {}", request.last_user())
        } else {
            "No.".to_owned()
        })
    })
}

/// Prefers the full answer; calls two full answers a tie.
fn pairwise_grader(judge: &JudgeRequest) -> GraderReply {
    let full = |text: &str| text.starts_with("Here is a full answer");
    match (full(&judge.first), full(&judge.second)) {
        (true, false) => GraderReply::winner("first"),
        (false, true) => GraderReply::winner("second"),
        _ => GraderReply::winner("tie"),
    }
}

#[test]
fn ab_judge_exits_1_on_a_clearly_worse_b_and_0_on_a_tie() {
    let (target, grader) = (ab_target(), mock_grader::start(pairwise_grader));
    let worse = ab_project(&grader, &target, "Be terse.").run(&[
        "ab",
        "--a",
        "suites/a.j2",
        "--b",
        "suites/b.j2",
        "--repeat",
        "3",
        "--judge",
        "Answers the question fully",
        "--json",
        "ab.json",
    ]);
    worse.code(1);
    let judge = &worse.json("ab.json")["judge"];
    assert_eq!(judge["a_wins"], 6, "{judge}");
    assert_eq!(judge["b_wins"], 0, "{judge}");
    // Six of six decided pairs against B: p = 1/64.
    assert!(
        (judge["p_value"].as_f64().unwrap() - 1.0 / 64.0).abs() < 1e-12,
        "{judge}"
    );
    assert_eq!(judge["significantly_worse"], true);
    // Every pair was judged in both orders.
    assert_eq!(grader.count(), 12);
    assert!(worse.stdout.contains("sign test"), "{}", worse.stdout);

    let (target, grader) = (ab_target(), mock_grader::start(pairwise_grader));
    let tie = ab_project(&grader, &target, "Be helpful, please.").run(&[
        "ab",
        "--a",
        "suites/a.j2",
        "--b",
        "suites/b.j2",
        "--repeat",
        "3",
        "--judge",
        "Answers the question fully",
        "--json",
        "ab.json",
    ]);
    tie.code(0);
    let judge = &tie.json("ab.json")["judge"];
    assert_eq!(judge["ties"], 6, "{judge}");
    assert_eq!(judge["p_value"], 1.0, "{judge}");
}

#[test]
fn ab_judge_counts_a_pair_whose_orders_disagree_as_a_tie() {
    let target = ab_target();
    // A position-biased grader: always prefers the first answer.
    let grader = mock_grader::start(|_| GraderReply::winner("first"));
    let run = ab_project(&grader, &target, "Be terse.").run(&[
        "ab",
        "--a",
        "suites/a.j2",
        "--b",
        "suites/b.j2",
        "--repeat",
        "2",
        "--judge",
        "Answers the question fully",
        "--json",
        "ab.json",
    ]);
    run.code(0);
    let judge = &run.json("ab.json")["judge"];
    assert_eq!(judge["ties"], 4, "{judge}");
    assert_eq!(judge["inconsistent"], 4, "{judge}");
}

#[test]
fn ab_judge_with_an_unreadable_grader_is_an_error_and_without_one_a_usage_error() {
    let target = ab_target();
    let grader = mock_grader::start(|_| GraderReply::Text("Both look fine to me.".to_owned()));
    let args = [
        "ab",
        "--a",
        "suites/a.j2",
        "--b",
        "suites/b.j2",
        "--repeat",
        "1",
        "--judge",
        "Answers the question fully",
    ];
    let run = ab_project(&grader, &target, "Be terse.").run(&args);
    run.code(3);
    assert!(
        run.stdout.contains("did not answer with a verdict"),
        "{}",
        run.stdout
    );
    // Two pairs, two orders, three asks each.
    assert_eq!(grader.count(), 12);

    let asked = target.count();
    let run = ab_project(&grader, &target, "Be terse.")
        .file(
            "promptci.yaml",
            &config(&target, &grader, "").replace("grader: judge\n", ""),
        )
        .run(&args);
    run.code(2);
    assert!(run.stderr.contains("needs a grader"), "{}", run.stderr);
    assert_eq!(
        target.count(),
        asked,
        "nothing is asked before the grader is known"
    );
}
