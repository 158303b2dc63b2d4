//! Throughput against a faulty endpoint: `cargo bench --bench faults`.
//!
//! Starts an OpenAI-compatible mock server on 127.0.0.1 that answers each request, by a seeded
//! draw, with a 429 (`--p429`, with `Retry-After: 0`), a hang that lasts until the client gives
//! up (`--hang`), or an answer after `--latency-ms`; runs `promptci run` on `--cases` cases
//! against it (target concurrency 16, `timeout` `--timeout` seconds) and prints wall time,
//! requests, 429s and hangs, for three scenarios: 429s only, hangs only, and both.
//!
//! Options (after `--`): `--binary PATH` (default `target/release/promptci`; pass an older
//! build to compare), `--cases N` (2000), `--p429 P` (0.1), `--hang P` (0.01),
//! `--timeout S` (5), `--latency-ms N` (20), `--seed N` (1), `--only 429|hang|both`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;

/// The scenario's settings.
#[derive(Debug, Clone)]
struct Settings {
    binary: PathBuf,
    cases: usize,
    p429: f64,
    hang: f64,
    timeout: f64,
    latency: Duration,
    seed: u64,
    only: Option<String>,
}

/// What the server saw.
#[derive(Debug, Default)]
struct Counts {
    requests: AtomicU64,
    throttled: AtomicU64,
    hung: AtomicU64,
}

/// A mock server whose every request draws its fate from a seeded generator.
struct Server {
    base_url: String,
    counts: Arc<Counts>,
    _runtime: tokio::runtime::Runtime,
}

/// `SplitMix64`: a small, well-known generator; the draw for request `n` depends only on the
/// seed and `n`, so runs of different builds meet the same faults in the same order.
fn draw(seed: u64, n: u64) -> f64 {
    let mut z = seed
        .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

impl Server {
    fn start(p429: f64, hang: f64, latency: Duration, seed: u64) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let counts = Arc::new(Counts::default());
        let shared = Arc::clone(&counts);
        let answer = serde_json::json!({
            "id": "bench",
            "object": "chat.completion",
            "model": "bench",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "yes"},
                "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}
        })
        .to_string();
        let app = axum::Router::new().fallback(move || {
            let counts = Arc::clone(&shared);
            let answer = answer.clone();
            async move {
                let n = counts.requests.fetch_add(1, Ordering::Relaxed);
                let fate = draw(seed, n);
                if fate < p429 {
                    counts.throttled.fetch_add(1, Ordering::Relaxed);
                    return Response::builder()
                        .status(429)
                        .header("retry-after", "0")
                        .body(Body::from(r#"{"error":"rate limited"}"#))
                        .expect("response");
                }
                if fate < p429 + hang {
                    counts.hung.fetch_add(1, Ordering::Relaxed);
                    // Until the client gives up and drops the connection.
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(latency).await;
                Response::builder()
                    .header("content-type", "application/json")
                    .body(Body::from(answer))
                    .expect("response")
            }
        });
        runtime.spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self {
            base_url: format!("http://{address}/v1"),
            counts,
            _runtime: runtime,
        }
    }
}

/// Writes a project of `cases` cases that pass on "yes", against `base_url`.
fn project(dir: &Path, cases: usize, base_url: &str, timeout: f64) {
    let config = format!(
        "targets:\n  default:\n    provider: openai\n    model: bench\n    base-url: {base_url}\n    timeout: {timeout}\n    concurrency: 16\n    retries: 10\n    retry-delay: 0.05\n    retry-max-delay: 1\n    deadline: 600\n"
    );
    std::fs::write(dir.join("promptci.yaml"), config).expect("config");
    let mut suite = String::from("cases:\n");
    for index in 0..cases {
        suite.push_str(&format!(
            "  - name: c{index:05}\n    user: case {index}\n    assert: [{{contains: yes}}]\n"
        ));
    }
    std::fs::create_dir_all(dir.join("suites")).expect("suites");
    std::fs::write(dir.join("suites/bench.yaml"), suite).expect("suite");
}

/// Writes a line to stdout (the bench's only output).
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Runs one scenario and prints its line.
fn scenario(settings: &Settings, name: &str, p429: f64, hang: f64) {
    let server = Server::start(p429, hang, settings.latency, settings.seed);
    let dir = tempfile::tempdir().expect("temp dir");
    project(
        dir.path(),
        settings.cases,
        &server.base_url,
        settings.timeout,
    );
    let started = Instant::now();
    let output = Command::new(&settings.binary)
        .args(["run", "-j", "64", "--cache", "off", "--json", "r.json"])
        .current_dir(dir.path())
        .env("CI", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run promptci");
    let wall = started.elapsed();
    let report: serde_json::Value = std::fs::read_to_string(dir.path().join("r.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let statuses = report["cases"].as_array().map_or((0, 0), |cases| {
        let passed = cases.iter().filter(|c| c["status"] == "passed").count();
        (passed, cases.len())
    });
    say(&format!(
        "{name:<6} {:>8.1} s  exit {:<3} passed {:>5}/{:<5} requests {:>6}  429s {:>5}  hangs {:>4}",
        wall.as_secs_f64(),
        output.status.code().unwrap_or(-1),
        statuses.0,
        statuses.1,
        server.counts.requests.load(Ordering::Relaxed),
        server.counts.throttled.load(Ordering::Relaxed),
        server.counts.hung.load(Ordering::Relaxed),
    ));
}

fn parse_args() -> Settings {
    let mut settings = Settings {
        binary: Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/promptci"),
        cases: 2000,
        p429: 0.1,
        hang: 0.01,
        timeout: 5.0,
        latency: Duration::from_millis(20),
        seed: 1,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--binary" => settings.binary = PathBuf::from(value()),
            "--cases" => settings.cases = value().parse().expect("--cases N"),
            "--p429" => settings.p429 = value().parse().expect("--p429 P"),
            "--hang" => settings.hang = value().parse().expect("--hang P"),
            "--timeout" => settings.timeout = value().parse().expect("--timeout S"),
            "--latency-ms" => {
                settings.latency = Duration::from_millis(value().parse().expect("--latency-ms N"));
            }
            "--seed" => settings.seed = value().parse().expect("--seed N"),
            "--only" => settings.only = Some(value()),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    settings
}

fn main() {
    let settings = parse_args();
    say(&format!(
        "{} cases, concurrency 16, latency {} ms, timeout {} s, 429s {:.0}%, hangs {:.1}%, seed {}: {}",
        settings.cases,
        settings.latency.as_millis(),
        settings.timeout,
        settings.p429 * 100.0,
        settings.hang * 100.0,
        settings.seed,
        settings.binary.display()
    ));
    let wanted = |name: &str| settings.only.as_deref().is_none_or(|only| only == name);
    if wanted("429") {
        scenario(&settings, "429", settings.p429, 0.0);
    }
    if wanted("hang") {
        scenario(&settings, "hang", 0.0, settings.hang);
    }
    if wanted("both") {
        scenario(&settings, "both", settings.p429, settings.hang);
    }
}
