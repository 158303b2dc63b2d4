//! promptci's own overhead against the ideal: `cargo bench --bench overhead`.
//!
//! Starts an OpenAI-compatible mock server on 127.0.0.1 with a fixed latency (in this process,
//! so it shares the cores with promptci, as a local model server would), generates suites of
//! N cases (a templated system prompt, three assertions each), runs the release `promptci`
//! binary with concurrency 32 writing JUnit and JSON, and prints wall time, promptci's CPU
//! time, its peak RSS, cases per second, and the ratio to the ideal wall time
//! ⌈N/32⌉ × latency. Also: `check` on 100 suites × 10 cases, a fully cached rerun of 10,000
//! cases, and `--version`.
//!
//! Options (after `--`): `--quick` runs fewer repetitions; `--latency-ms N` changes the
//! latency of the latency-bound configurations.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;

const CONCURRENCY: usize = 32;

/// What one measured run of the binary cost.
#[derive(Debug, Clone, Copy)]
struct Measurement {
    wall: Duration,
    cpu: Duration,
    peak_rss_kib: f64,
}

/// A mock server answering every chat request after `latency`.
struct Server {
    base_url: String,
    requests: Arc<AtomicU64>,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start(latency: Duration) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let requests = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&requests);
        let body = serde_json::json!({
            "id": "bench",
            "object": "chat.completion",
            "model": "bench",
            "choices": [{"index": 0, "message": {"role": "assistant", "content":
                "Thanks for asking. You can export your data from Settings, and our support team can help."},
                "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 20, "total_tokens": 140}
        })
        .to_string();
        let app = axum::Router::new().fallback(move || {
            let counter = Arc::clone(&counter);
            let body = body.clone();
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                if !latency.is_zero() {
                    tokio::time::sleep(latency).await;
                }
                Response::builder()
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .expect("response")
            }
        });
        runtime.spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self {
            base_url: format!("http://{address}/v1"),
            requests,
            _runtime: runtime,
        }
    }
}

/// Writes a project with `suites` suites of `per_suite` cases.
fn generate(dir: &Path, base_url: &str, suites: usize, per_suite: usize, cache: bool) {
    let config = format!(
        "targets:\n  bench:\n    provider: openai\n    model: bench\n    base-url: {base_url}\n    concurrency: {CONCURRENCY}\n    timeout: 30\n"
    );
    std::fs::write(dir.join("promptci.yaml"), config).expect("config");
    let suites_dir = dir.join("suites");
    std::fs::create_dir_all(&suites_dir).expect("suites dir");
    std::fs::write(
        suites_dir.join("system.j2"),
        "You are the support assistant for {{ company }}. The customer is {{ customer }} on the \
         {{ tier }} plan.\n{% for rule in rules %}- {{ rule }}\n{% endfor %}Answer in {{ language }}.\n",
    )
    .expect("template");
    for suite in 0..suites {
        let mut text = String::from(
            "prompt: {id: bench_prompt, template: system.j2}\ntarget: bench\nvars:\n  company: Acme\n  tier: standard\n  language: English\n  rules: [be kind, be brief, never invent features]\ncases:\n",
        );
        for case in 0..per_suite {
            let _ = write!(
                text,
                "  - name: case_{case}\n    vars: {{ customer: customer_{suite}_{case} }}\n    user: How do I export report {case} of batch {suite}?\n    assert:\n      - icontains: [export, data]\n      - not-contains: [\"I don't know\"]\n      - max-chars: 500\n"
            );
        }
        std::fs::write(suites_dir.join(format!("suite_{suite:04}.yaml")), text).expect("suite");
    }
    if !cache {
        // Nothing to do: the cache is opt-in per run through flags below.
    }
}

/// Runs the binary in `dir` under GNU `time`, which reports the CPU time and peak RSS of that
/// one child (without `unsafe` code here).
fn measure(dir: &Path, args: &[&str]) -> Measurement {
    let report = dir.join("time.txt");
    let started = Instant::now();
    let status = Command::new("/usr/bin/time")
        .arg("--format=%U %S %M")
        .arg("--output")
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_promptci"))
        .args(args)
        .current_dir(dir)
        .env("CI", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run /usr/bin/time (Debian package `time`)");
    let wall = started.elapsed();
    assert!(status.success(), "promptci {args:?} failed: {status}");
    let text = std::fs::read_to_string(&report).expect("time report");
    let fields: Vec<f64> = text
        .split_whitespace()
        .filter_map(|field| field.parse().ok())
        .collect();
    let [user, system, peak_kib] = fields[..] else {
        panic!("unexpected time output: {text}");
    };
    Measurement {
        wall,
        cpu: Duration::from_secs_f64(user + system),
        peak_rss_kib: peak_kib,
    }
}

/// Returns the run with the median wall time of `repetitions`.
fn median(mut runs: Vec<Measurement>) -> Measurement {
    runs.sort_by_key(|run| run.wall);
    runs[runs.len() / 2]
}

fn row(name: &str, cases: usize, run: Measurement, ideal: Option<Duration>) -> String {
    let ratio = ideal.map_or_else(
        || "–".to_owned(),
        |ideal| format!("{:.2}×", run.wall.as_secs_f64() / ideal.as_secs_f64()),
    );
    format!(
        "| {name} | {:.3} s | {:.3} s | {:.1} MB | {:.0} | {} | {ratio} |",
        run.wall.as_secs_f64(),
        run.cpu.as_secs_f64(),
        run.peak_rss_kib / 1024.0,
        cases as f64 / run.wall.as_secs_f64(),
        ideal.map_or_else(
            || "–".to_owned(),
            |ideal| format!("{:.2} s", ideal.as_secs_f64())
        ),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|arg| arg == "--quick");
    let latency_ms: u64 = args
        .iter()
        .position(|arg| arg == "--latency-ms")
        .and_then(|index| args.get(index + 1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(50);
    let repetitions = if quick { 1 } else { 3 };
    let mut out = String::from(
        "| configuration | wall | promptci CPU | peak RSS | cases/s | ideal wall | wall / ideal |\n|---|---|---|---|---|---|---|\n",
    );

    let configurations: [(usize, u64); 4] = [
        (100, latency_ms),
        (1_000, latency_ms),
        (1_000, 0),
        (10_000, 0),
    ];
    for (cases, latency) in configurations {
        let server = Server::start(Duration::from_millis(latency));
        let dir = tempfile::tempdir().expect("temp dir");
        let per_suite = cases.min(100);
        generate(
            dir.path(),
            &server.base_url,
            cases / per_suite,
            per_suite,
            false,
        );
        let runs = (0..repetitions)
            .map(|_| {
                measure(
                    dir.path(),
                    &[
                        "run",
                        "--cache",
                        "off",
                        "-j",
                        "32",
                        "--junit",
                        "out/r.xml",
                        "--json",
                        "out/r.json",
                    ],
                )
            })
            .collect();
        let waves = u32::try_from(cases.div_ceil(CONCURRENCY)).expect("small");
        let ideal = (latency > 0).then(|| Duration::from_millis(latency) * waves);
        out.push_str(&row(
            &format!("run N={cases}, latency {latency} ms"),
            cases,
            median(runs),
            ideal,
        ));
        out.push('\n');
        assert!(server.requests.load(Ordering::Relaxed) >= cases as u64);
    }

    // `check` on 100 suites × 10 cases: no model, no network.
    {
        let server = Server::start(Duration::ZERO);
        let dir = tempfile::tempdir().expect("temp dir");
        generate(dir.path(), &server.base_url, 100, 10, false);
        let runs = (0..repetitions.max(5))
            .map(|_| measure(dir.path(), &["check"]))
            .collect();
        out.push_str(&row(
            "check 100 suites × 10 cases",
            1_000,
            median(runs),
            None,
        ));
        out.push('\n');
        assert_eq!(
            server.requests.load(Ordering::Relaxed),
            0,
            "check sends nothing"
        );
    }

    // A fully cached rerun of 10,000 cases.
    {
        let server = Server::start(Duration::ZERO);
        let dir = tempfile::tempdir().expect("temp dir");
        generate(dir.path(), &server.base_url, 100, 100, true);
        let warm = [
            "run",
            "--cache",
            "read-write",
            "-j",
            "32",
            "--junit",
            "out/r.xml",
            "--json",
            "out/r.json",
        ];
        measure(dir.path(), &warm);
        let before = server.requests.load(Ordering::Relaxed);
        let runs = (0..repetitions)
            .map(|_| measure(dir.path(), &warm))
            .collect();
        out.push_str(&row("cached rerun N=10000", 10_000, median(runs), None));
        out.push('\n');
        assert_eq!(
            server.requests.load(Ordering::Relaxed),
            before,
            "a warm rerun sends no request"
        );
    }

    // Start-up: `--version`.
    {
        let dir = tempfile::tempdir().expect("temp dir");
        let runs = (0..11)
            .map(|_| measure(dir.path(), &["--version"]))
            .collect();
        out.push_str(&row("--version", 0, median(runs), None).replace("| 0 |", "| – |"));
        out.push('\n');
    }

    let mut stdout = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut stdout, out.as_bytes());
}
