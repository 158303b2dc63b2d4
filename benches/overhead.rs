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
fn generate(dir: &Path, base_url: &str, suites: usize, per_suite: usize) {
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

/// The flags of every measured `run`: concurrency 32, both reports written.
const RUN_ARGS: [&str; 7] = [
    "run",
    "-j",
    "32",
    "--junit",
    "out/r.xml",
    "--json",
    "out/r.json",
];

/// `run` over N cases at a fixed latency, with the cache off so every case is a request.
fn bench_run(cases: usize, latency: Duration, repetitions: usize) -> String {
    let server = Server::start(latency);
    let dir = tempfile::tempdir().expect("temp dir");
    let per_suite = cases.min(100);
    generate(dir.path(), &server.base_url, cases / per_suite, per_suite);
    let args: Vec<&str> = RUN_ARGS.iter().copied().chain(["--cache", "off"]).collect();
    let runs = (0..repetitions)
        .map(|_| measure(dir.path(), &args))
        .collect();
    let waves = u32::try_from(cases.div_ceil(CONCURRENCY)).expect("small");
    let ideal = (!latency.is_zero()).then(|| latency * waves);
    assert!(server.requests.load(Ordering::Relaxed) >= (cases * repetitions) as u64);
    row(
        &format!("run N={cases}, latency {} ms", latency.as_millis()),
        cases,
        median(runs),
        ideal,
    )
}

/// `check` on 100 suites × 10 cases: no model, no network.
fn bench_check(repetitions: usize) -> String {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().expect("temp dir");
    generate(dir.path(), &server.base_url, 100, 10);
    let runs = (0..repetitions)
        .map(|_| measure(dir.path(), &["check"]))
        .collect();
    assert_eq!(
        server.requests.load(Ordering::Relaxed),
        0,
        "check sends nothing"
    );
    row("check 100 suites × 10 cases", 1_000, median(runs), None)
}

/// A fully cached rerun of 10,000 cases: one warming run, then measured reruns.
fn bench_cached(repetitions: usize) -> String {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().expect("temp dir");
    generate(dir.path(), &server.base_url, 100, 100);
    let args: Vec<&str> = RUN_ARGS
        .iter()
        .copied()
        .chain(["--cache", "read-write"])
        .collect();
    measure(dir.path(), &args);
    let before = server.requests.load(Ordering::Relaxed);
    let runs = (0..repetitions)
        .map(|_| measure(dir.path(), &args))
        .collect();
    assert_eq!(
        server.requests.load(Ordering::Relaxed),
        before,
        "a warm rerun sends no request"
    );
    row("cached rerun N=10000", 10_000, median(runs), None)
}

/// Start-up cost: `--version`.
fn bench_version() -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let runs = (0..11)
        .map(|_| measure(dir.path(), &["--version"]))
        .collect();
    row("--version", 0, median(runs), None).replace("| 0 |", "| – |")
}

/// The value of `--name VALUE` among the bench's own arguments.
fn option(args: &[String], name: &str) -> Option<u64> {
    let index = args.iter().position(|arg| arg == name)?;
    args.get(index + 1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|arg| arg == "--quick");
    let latency = Duration::from_millis(option(&args, "--latency-ms").unwrap_or(50));
    let repetitions = if quick { 1 } else { 3 };

    let mut rows = vec![
        bench_run(100, latency, repetitions),
        bench_run(1_000, latency, repetitions),
        bench_run(1_000, Duration::ZERO, repetitions),
        bench_run(10_000, Duration::ZERO, repetitions),
        bench_check(repetitions.max(5)),
        bench_cached(repetitions),
        bench_version(),
    ];
    rows.insert(
        0,
        "| configuration | wall | promptci CPU | peak RSS | cases/s | ideal wall | wall / ideal |\n|---|---|---|---|---|---|---|".to_owned(),
    );
    let mut out = rows.join("\n");
    out.push('\n');
    let mut stdout = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut stdout, out.as_bytes());
}
