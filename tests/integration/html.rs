//! The HTML report (`run --html`, `report --html`) and the trend (`trend --html/--markdown`),
//! through the binary against the mock server; and the pages in a real headless Chromium.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::harness::{Project, Run};
use crate::mock_server::{MockServer, Reply};

/// An answer that would run script and load an image if it were parsed as markup.
const HOSTILE: &str = "<script>window.__promptciPwned=1</script><img src=x onerror=\"window.__promptciPwned=2\"> done </script><!--";

const SUPPORT_SUITE: &str = "\
prompt: { id: support_bot, template: system.j2 }
vars: { company: Acme }
tags: [support]
cases:
  - name: greets
    user: Hello
    assert: [{ icontains: hello }]
  - name: refund
    user: I want a refund
    assert: [{ icontains: refund }, { max-chars: 200 }]
  - name: outage
    user: Is the service down?
    assert: [{ icontains: status }]
  - name: markup
    user: Show me some HTML
    assert: [{ contains: done }]
  - name: flaky_refund
    user: flaky
    repeat: 4
    pass-rate: 0.5
    assert: [{ contains: 'yes' }]
";

/// A server for [`SUPPORT_SUITE`]: in phase 0 (the baseline) `refund` passes, in phase 1 its
/// answer regressed; `outage` is refused (400, not retried), `markup` answers [`HOSTILE`],
/// and `flaky` alternates `yes` and `no`.
fn support_server(phase: Arc<AtomicUsize>) -> MockServer {
    let flaky = AtomicUsize::new(0);
    MockServer::start(move |request, _| match request.last_user().as_str() {
        "Hello" => Reply::answer("Hello! How can I help?"),
        "I want a refund" if phase.load(Ordering::SeqCst) == 0 => {
            Reply::answer("You can get a refund within 30 days.")
        }
        "I want a refund" => Reply::answer("Our policy has changed."),
        "Show me some HTML" => Reply::answer(HOSTILE),
        "flaky" if flaky.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) => Reply::answer("yes"),
        "flaky" => Reply::answer("no"),
        _ => Reply::status(400, r#"{"error":"bad request"}"#),
    })
}

/// The support project against `server`, with prices so costs show.
fn support_project(server: &MockServer) -> Project {
    let config = format!(
        "targets:\n  default:\n    provider: openai\n    model: gpt-test\n    base-url: {}\nprices:\n  gpt-test: {{ input: 2.5, output: 10 }}\n",
        server.base_url()
    );
    Project::new()
        .file("promptci.yaml", &config)
        .file("suites/support.yaml", SUPPORT_SUITE)
        .file(
            "suites/system.j2",
            "You work for {{ company }}. Never promise refunds.",
        )
}

/// Runs the baseline (phase 0) into `base.json`, then the pull request (phase 1) with `--html
/// report.html` against it.
fn reviewed_run() -> (Project, Run) {
    let phase = Arc::new(AtomicUsize::new(0));
    let server = support_server(Arc::clone(&phase));
    let project = support_project(&server);
    project.run(&["run", "--json", "base.json"]).code(3);
    phase.store(1, Ordering::SeqCst);
    let run = project.run(&[
        "run",
        "--json",
        "head.json",
        "--html",
        "out/report.html",
        "--baseline",
        "base.json",
    ]);
    run.code(1);
    (project, run)
}

/// Returns the data block of a page, parsed.
fn page_data(html: &str) -> Value {
    let start = html
        .find(r#"<script type="application/json" id="promptci-data">"#)
        .expect("the page has a data block");
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let end = rest.find("</script>").unwrap();
    serde_json::from_str(&rest[open..end]).unwrap()
}

/// Returns a string of the page's text table.
fn text(data: &Value, index: &Value) -> String {
    data["text"][usize::try_from(index.as_u64().unwrap()).unwrap()]
        .as_str()
        .unwrap()
        .to_owned()
}

fn case<'a>(data: &'a Value, name: &str) -> &'a Value {
    data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["n"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

/// Asserts the page loads nothing: a policy that forbids it, and no address but the mock's
/// (the target's base URL, shown as text in the data).
fn assert_self_contained(html: &str) {
    assert!(html.contains(
        r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-"#
    ));
    // Every address in the page is text: the mock's base URL in the data, and the SVG
    // namespace name the script creates elements in (a name, never fetched).
    for (at, _) in html.match_indices("://") {
        let rest = &html[at + 3..];
        assert!(
            rest.starts_with("127.0.0.1") || rest.starts_with("www.w3.org/2000/svg"),
            "a network address in the page: {}",
            &html[at.saturating_sub(8)..(at + 40).min(html.len())]
        );
    }
    assert_eq!(
        html.matches("</script>").count(),
        2,
        "only the page's own blocks end"
    );
}

#[test]
fn run_writes_one_self_contained_html_report_with_what_a_reviewer_needs() {
    let (_project, run) = reviewed_run();
    assert!(
        run.stdout.contains("wrote out/report.html"),
        "{}",
        run.stdout
    );
    let html = run.read("out/report.html");
    assert_self_contained(&html);
    assert!(
        !html.contains("<script>window.__promptciPwned"),
        "the hostile answer stays inside the JSON, escaped"
    );
    let data = page_data(&html);

    assert_eq!(data["verdict"]["passed"], false);
    assert_eq!(data["verdict"]["exit_code"], 1);
    let reasons = data["verdict"]["reasons"].to_string();
    assert!(
        reasons.contains("1 failed case") && reasons.contains("1 regression"),
        "{reasons}"
    );
    let summary = &data["summary"];
    assert_eq!(
        [
            &summary["total"],
            &summary["passed"],
            &summary["failed"],
            &summary["errors"],
            &summary["flaky"]
        ],
        [5, 3, 1, 1, 1]
    );
    assert!(summary["cost_usd"].as_f64().unwrap() > 0.0);

    let refund = case(&data, "refund");
    assert_eq!(refund["st"], "f");
    assert_eq!(refund["b"], "regressed");
    assert_eq!(text(&data, &refund["a"]), "Our policy has changed.");
    let failed = &refund["as"][0];
    assert_eq!(
        (text(&data, &failed["k"]), failed["ok"].clone()),
        ("icontains".to_owned(), 0.into())
    );
    assert_eq!(text(&data, &failed["r"]), "missing `refund`");
    let messages: Vec<(String, String)> = refund["m"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| {
            (
                message[0].as_str().unwrap().to_owned(),
                text(&data, &message[1]),
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            (
                "system".to_owned(),
                "You work for Acme. Never promise refunds.".to_owned()
            ),
            ("user".to_owned(), "I want a refund".to_owned())
        ]
    );

    assert_eq!(text(&data, &case(&data, "markup")["a"]), HOSTILE);
    let outage = case(&data, "outage");
    assert_eq!(
        (outage["st"].clone(), outage["e"]["status"].clone()),
        ("e".into(), 400.into())
    );
    let flaky = case(&data, "flaky_refund");
    assert_eq!(flaky["rp"]["classification"], "flaky");
    assert_eq!(flaky["x"].as_array().unwrap().len(), 4);

    assert_eq!(
        data["baseline"]["regressions"][0]["id"],
        "suites/support.yaml::refund"
    );
    assert_eq!(data["suites"][0]["path"], "suites/support.yaml");
    assert_eq!(data["targets"][0]["model"], "gpt-test");
}

#[test]
fn the_step_summary_and_outputs_point_at_the_html_report() {
    let phase = Arc::new(AtomicUsize::new(1));
    let server = support_server(phase);
    let project = support_project(&server);
    let mut command = project.command(&["run", "--html", "out/promptci.html"]);
    command
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", project.path("summary.md"))
        .env("GITHUB_OUTPUT", project.path("output.txt"))
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "acme/bot")
        .env("GITHUB_RUN_ID", "42");
    let run = project.finish(command.output().unwrap());
    run.code(1);
    let summary = run.read("summary.md");
    assert!(
        summary.contains(
            "📄 HTML report: `out/promptci.html`, in [this run's artifacts](https://github.example/acme/bot/actions/runs/42#artifacts)"
        ),
        "{summary}"
    );
    assert!(
        run.read("output.txt")
            .contains("html-report=out/promptci.html\n"),
        "{}",
        run.read("output.txt")
    );
}

#[test]
fn report_renders_saved_json_reports_and_merges_shards() {
    let (project, _) = reviewed_run();
    let run = project.run(&["report", "head.json", "--html", "again.html"]);
    run.code(0);
    let html = run.read("again.html");
    assert_self_contained(&html);
    let data = page_data(&html);
    assert_eq!(data["summary"]["failed"], 1);
    assert_eq!(
        data["verdict"]["passed"], false,
        "the saved report failed its gate"
    );
    assert_eq!(case(&data, "refund")["b"], "regressed");
    assert_eq!(
        case(&data, "refund").get("m"),
        None,
        "a JSON report holds no messages"
    );

    for shard in ["1/2", "2/2"] {
        let name = format!("shard-{}.json", &shard[..1]);
        project.run(&["run", "--shard", shard, "--json", &name]);
    }
    let run = project.run(&[
        "report",
        "shard-1.json",
        "shard-2.json",
        "--html",
        "merged.html",
    ]);
    run.code(0);
    let data = page_data(&run.read("merged.html"));
    assert_eq!(data["summary"]["total"], 5);
    assert_eq!(data["cases"].as_array().unwrap().len(), 5);
}

#[test]
fn report_and_trend_name_what_is_wrong_and_exit_2() {
    let project = Project::new()
        .file("bad.json", "{\n  \"format_version\": 1,\n  oops\n}\n")
        .copy("fixtures/baseline/base.json", "base.json");
    let run = project.run(&["report", "bad.json", "--html", "r.html"]);
    run.code(2);
    assert!(run.stderr.contains("bad.json:3:"), "{}", run.stderr);
    assert!(!project.path("r.html").exists());

    let run = project.run(&["trend", "base.json"]);
    run.code(2);
    assert!(
        run.stderr.contains("--html") && run.stderr.contains("--markdown"),
        "{}",
        run.stderr
    );

    let undated = std::fs::read_to_string(project.path("base.json"))
        .unwrap()
        .replace("2026-11-20T02:00:00Z", "last tuesday");
    let project = project.file("undated.json", &undated);
    let run = project.run(&["trend", "base.json", "undated.json", "--markdown"]);
    run.code(2);
    assert!(
        run.stderr.contains("undated.json") && run.stderr.contains("`last tuesday`"),
        "{}",
        run.stderr
    );
}

/// A server for the nightly project: `unstable` fails every third night, `drifts` fails from
/// night 20 on, `flaky` alternates `yes` and `no` across its attempts, and the rest pass. The
/// `local` model answers more slowly. Usage counts a token per four characters, so the
/// longer prompt from night 12 on shows in the token chart.
fn nightly_server(night: Arc<AtomicUsize>) -> MockServer {
    let flaky = AtomicUsize::new(0);
    MockServer::start(move |request, _| {
        let night = night.load(Ordering::SeqCst);
        let user = request.last_user();
        let yes = match user.as_str() {
            "unstable" => night % 3 != 2,
            "drifts" => night < 20,
            "flaky" => flaky.fetch_add(1, Ordering::SeqCst).is_multiple_of(2),
            _ => true,
        };
        let answer = if yes {
            format!("yes, {user}")
        } else {
            "no".to_owned()
        };
        let mut body = crate::mock_server::completion(&answer);
        body["usage"] = serde_json::json!({
            "prompt_tokens": (request.system().len() + user.len()) / 4,
            "completion_tokens": answer.len() / 4,
        });
        let local = request.body["model"] == "llama-test";
        let delay = if local {
            20 + (night % 5) * 4
        } else {
            2 + night % 3
        };
        Reply::with_headers(
            200,
            &[("content-type", "application/json")],
            &body.to_string(),
        )
        .delayed(std::time::Duration::from_millis(
            u64::try_from(delay).unwrap(),
        ))
    })
}

const NIGHTLY_SUPPORT: &str = "\
prompt: { id: support_bot, template: support.j2 }
vars: { company: Acme }
target: gpt
assert: [{ icontains: 'yes' }]
cases:
  - { name: greets, user: hello }
  - { name: refund, user: refund }
  - { name: phone, user: phone }
  - { name: export, user: export }
  - { name: unstable, user: unstable }
  - { name: flaky, user: flaky, repeat: 5, pass-rate: 0.6 }
";

const NIGHTLY_BILLING: &str = "\
prompt: { id: billing_bot, template: billing.j2 }
vars: { company: Acme }
target: local
assert: [{ icontains: 'yes' }]
cases:
  - { name: invoice, user: invoice }
  - { name: plan, user: plan }
  - { name: card, user: card }
  - { name: drifts, user: drifts }
";

/// The nightly project: two suites on two targets (one priced) of the server at `base_url`.
fn nightly_project(base_url: &str) -> Project {
    let config = format!(
        "targets:\n  gpt:\n    provider: openai\n    model: gpt-test\n    base-url: {base_url}\n  local:\n    provider: openai\n    model: llama-test\n    base-url: {base_url}\nprices:\n  gpt-test: {{ input: 2.5, output: 10 }}\n"
    );
    Project::new()
        .file("promptci.yaml", &config)
        .file("suites/support.yaml", NIGHTLY_SUPPORT)
        .file(
            "suites/support.j2",
            "You answer support questions for {{ company }}.",
        )
        .file("suites/billing.yaml", NIGHTLY_BILLING)
        .file(
            "suites/billing.j2",
            "You answer billing questions for {{ company }}.",
        )
}

/// Runs the nightly project 30 times, one run per night of November 2026 (the support
/// prompt grows on night 13), dates each report, and returns their paths in a shuffled order.
fn thirty_nights(project: &Project, night: &AtomicUsize) -> Vec<String> {
    let mut files = Vec::new();
    for index in 0..30 {
        night.store(index, Ordering::SeqCst);
        if index == 12 {
            std::fs::write(
                project.path("suites/support.j2"),
                "You answer support questions for {{ company }}. Be brief, be kind, and offer a human when asked.",
            )
            .unwrap();
        }
        let file = format!("history/night-{:02}.json", index + 1);
        project.run(&["run", "--json", &file]);
        let text = std::fs::read_to_string(project.path(&file)).unwrap();
        let mut report: Value = serde_json::from_str(&text).unwrap();
        report["run"]["started_at"] =
            format!("2026-11-{:02}T02:{:02}:00Z", index + 1, (index * 7) % 60).into();
        report["run"]["git_commit"] = format!("{:040x}", 0x5eed_0000 + index).into();
        let text = serde_json::to_string(&report).unwrap() + "\n";
        std::fs::write(project.path(&file), text).unwrap();
        files.push(file);
    }
    // Any order: the trend places each report by its start.
    files.sort_by_key(|file| file.bytes().rev().collect::<Vec<u8>>());
    files
}

#[test]
fn trend_lays_thirty_nightly_reports_out_over_time() {
    let night = Arc::new(AtomicUsize::new(0));
    let server = nightly_server(Arc::clone(&night));
    let project = nightly_project(&server.base_url());
    let files = thirty_nights(&project, &night);
    if let Some(dir) = std::env::var_os("PROMPTCI_WRITE_TREND_FIXTURE") {
        // Refreshes fixtures/trend/ (the reports the docs' trend example reads).
        for file in &files {
            let target = Path::new(&dir).join(Path::new(file).file_name().unwrap());
            std::fs::copy(project.path(file), target).unwrap();
        }
    }

    let mut args = vec!["trend"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--html", "trend.html", "--markdown"]);
    let run = project.run(&args);
    run.code(0);
    let markdown = &run.stdout;
    assert!(
        markdown.starts_with("## promptci trend: 30 runs from 2026-11-01 to 2026-11-30\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `suites/billing.yaml` | `local` | 100% → 75% ("),
        "{markdown}"
    );
    // `unstable` fails on nights 3, 6, …, 30: ten failures, each a change in and out.
    assert!(
        markdown.contains("| `suites/support.yaml::unstable` | 19 | ✓✓✗✓✓✗"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| 2026-11-13 | `suites/support.yaml` | `gpt` | – | `"),
        "{markdown}"
    );

    let html = run.read("trend.html");
    assert_self_contained(&html);
    let data = page_data(&html);
    let starts: Vec<&str> = data["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["started_at"].as_str().unwrap())
        .collect();
    assert_eq!(starts.len(), 30);
    assert!(
        starts.windows(2).all(|pair| pair[0] < pair[1]),
        "{starts:?}"
    );
    let series: Vec<(&str, &str)> = data["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|series| {
            (
                series["suite"].as_str().unwrap(),
                series["target"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        series,
        [
            ("suites/billing.yaml", "local"),
            ("suites/support.yaml", "gpt")
        ]
    );
    let support = data["series"][1]["points"].as_array().unwrap();
    let tokens = |night: usize| support[night]["prompt_tokens"].as_u64().unwrap();
    assert!(
        tokens(12) > tokens(11),
        "the longer prompt shows in the token chart"
    );
    assert!(support[0]["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(support[0]["flaky"], 1);
    assert_eq!(data["changes"].as_array().unwrap().len(), 1);
    assert_eq!(data["changes"][0]["run"], 12);
    // The flaky case meets its pass rate on alternate nights; `unstable` changes 19 times.
    let flips: Vec<(&str, u64)> = data["flips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|flips| {
            (
                flips["id"].as_str().unwrap(),
                flips["changes"].as_u64().unwrap(),
            )
        })
        .take(3)
        .collect();
    assert_eq!(
        flips,
        [
            ("suites/support.yaml::flaky", 29),
            ("suites/support.yaml::unstable", 19),
            ("suites/billing.yaml::drifts", 1)
        ]
    );
    assert_eq!(data["latency"].as_array().unwrap().len(), 2);
}

#[test]
fn interrupted_runs_still_write_the_html_report() {
    let server = MockServer::start(|request, _| {
        if request.last_user() == "Hello" {
            Reply::answer("Hello!")
        } else {
            Reply::answer("yes").delayed(std::time::Duration::from_mins(1))
        }
    });
    let project = support_project(&server);
    let child = project
        .command(&["run", "--html", "r.html"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waiting = std::time::Instant::now();
    while server.count() < 5 {
        assert!(waiting.elapsed().as_secs() < 20, "requests never arrived");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let run = project.finish(child.wait_with_output().unwrap());
    run.code(130);
    let data = page_data(&run.read("r.html"));
    assert_eq!(data["run"]["interrupted"], true);
    assert_eq!(data["verdict"]["exit_code"], 130);
    assert_eq!(case(&data, "greets")["st"], "p");
    assert_eq!(case(&data, "refund")["st"], "s");
}

/// Why the browser test cannot run here, or `None` when it can.
fn browser_missing(repo: &Path) -> Option<String> {
    let chromium = std::env::var_os("PROMPTCI_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !chromium.exists() {
        return Some(format!(
            "no Chromium at {} (apt-get install chromium, or set PROMPTCI_CHROMIUM)",
            chromium.display()
        ));
    }
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return Some("no `node` on PATH".to_owned());
    }
    if !repo
        .join("scripts/browser/node_modules/playwright-core")
        .exists()
    {
        return Some("playwright-core is not installed (run scripts/browser/setup.sh)".to_owned());
    }
    None
}

/// A suite of `count` cases answered by the offline mock; every seventh answer misses.
fn big_suite(count: usize) -> String {
    let mut suite = String::from(
        "prompt: { id: big_bot, template: system.j2 }\nvars: { company: Acme }\nassert: [{ icontains: invoice }]\ncases:\n",
    );
    for index in 0..count {
        let answer = if index % 7 == 3 {
            "I cannot help with that."
        } else {
            "Your invoice is in Settings → Billing."
        };
        suite.push_str(&format!("  - name: case_{index:04}\n    user: Where is invoice {index}?\n    mock-answer: {answer}\n"));
    }
    suite
}

#[test]
#[expect(
    clippy::print_stderr,
    reason = "a skipped browser test says why, and the measurements go to the test log"
)]
fn the_pages_work_in_a_real_browser_with_no_network() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Some(why) = browser_missing(repo) {
        assert!(
            std::env::var_os("PROMPTCI_REQUIRE_BROWSER").is_none(),
            "PROMPTCI_REQUIRE_BROWSER is set but the browser test cannot run: {why}"
        );
        eprintln!("skipped the browser test: {why}");
        return;
    }
    let (project, _) = reviewed_run();
    // A 1,000-case run: the page must stay quick and show a failing case within two clicks.
    let big = Project::new()
        .file("suites/big.yaml", &big_suite(1000))
        .file("suites/system.j2", "You handle billing for {{ company }}.");
    big.run(&["run", "--html", "big.html"]).code(1);
    let mut history: Vec<String> = std::fs::read_dir(repo.join("fixtures/trend"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .map(|path| path.display().to_string())
        .collect();
    history.sort();
    let mut args = vec!["trend".to_owned()];
    args.extend(history);
    args.extend(["--html".to_owned(), "trend.html".to_owned()]);
    project
        .run(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .code(0);

    // A run that selected nothing still gives a page that draws.
    project
        .run(&[
            "run",
            "--filter",
            "no-such-case",
            "--allow-empty",
            "--html",
            "empty.html",
        ])
        .code(0);
    let screenshots = std::env::var("PROMPTCI_SCREENSHOTS").ok();
    let spec = serde_json::json!({
        "screenshots": screenshots,
        "reports": [
            {
                "file": project.path("out/report.html"), "name": "report", "screenshots": true,
                "total": 5, "failed": 1,
                "verdict": "FAILED", "failing_case": "suites/support.yaml::refund",
                "reason": "missing `refund`", "baseline": { "regressed": 1, "new": 0 },
                "search": { "query": "refund", "rows": 2 },
                "hostile_case": "suites/support.yaml::markup", "hostile_text": HOSTILE,
            },
            {
                "file": big.path("big.html"), "name": "report-1000", "total": 1000, "failed": 143,
                "failing_case": "suites/big.yaml::case_0003", "reason": "missing `invoice`",
                "search": { "query": "case_0999", "rows": 1 },
            },
            { "file": project.path("empty.html"), "name": "empty", "total": 0, "verdict": "PASSED" },
        ],
        "trends": [{
            "file": project.path("trend.html"), "name": "trend", "screenshots": true,
            "runs": 30, "charts": 5, "markers": 1,
        }],
    });
    std::fs::write(project.path("spec.json"), spec.to_string()).unwrap();
    let output = std::process::Command::new("node")
        .arg(repo.join("scripts/browser/check.mjs"))
        .arg(project.path("spec.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser checks failed:\n{stderr}\n{stdout}"
    );
    // The measurements (load, filter and sort times, sizes) go to the test log.
    eprintln!("browser: {}", stdout.trim());
}
