//! The fluent test builder: a temp project, the built binary, and parsed reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::Value;

/// A temporary project directory with files, run with the built `promptci` binary.
#[must_use]
pub(crate) struct Project {
    dir: Arc<tempfile::TempDir>,
    env: Vec<(String, String)>,
}

/// The result of one run of the binary.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    root: PathBuf,
    /// Keeps the project directory alive while the run's files are read.
    _dir: Arc<tempfile::TempDir>,
}

/// The suite the flow tests (core, cache, record/replay) share: two cases, one wanting
/// "hello", one wanting "phone", over a template with a `company` variable.
pub(crate) const GREETER_SUITE: &str = "\
prompt:
  id: greeter
  template: system.j2
vars:
  company: Acme
cases:
  - name: says_hello
    user: Say hello
    assert:
      - icontains: hello
  - name: mentions_phone
    user: How do I reach you?
    assert:
      - contains: phone
";

impl Project {
    pub(crate) fn new() -> Self {
        Self {
            dir: Arc::new(tempfile::tempdir().unwrap()),
            env: Vec::new(),
        }
    }

    /// A project holding [`GREETER_SUITE`] and its template at `suites/`.
    pub(crate) fn greeter() -> Self {
        Self::new()
            .file("suites/greeter.yaml", GREETER_SUITE)
            .file("suites/system.j2", "You work for {{ company }}.")
    }

    /// [`Project::greeter`] whose default target is the OpenAI-compatible server at
    /// `base_url`, reading its key from `PROMPTCI_TEST_KEY`, which is set to `secret`.
    pub(crate) fn greeter_with_key(base_url: &str, secret: &str) -> Self {
        let config = format!(
            "targets:\n  default:\n    provider: openai\n    model: m\n    base-url: {base_url}\n    api-key-env: PROMPTCI_TEST_KEY\n"
        );
        Self::greeter()
            .file("promptci.yaml", &config)
            .env("PROMPTCI_TEST_KEY", secret)
    }

    /// Writes a file (creating directories).
    pub(crate) fn file(self, path: &str, text: &str) -> Self {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
        self
    }

    /// Copies a file from the repository's `fixtures/` or `suites/`.
    pub(crate) fn copy(self, from_repo: &str, to: &str) -> Self {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(from_repo)).unwrap();
        self.file(to, &text)
    }

    /// Copies a file (for example a report a run wrote) from another project.
    pub(crate) fn copy_from(self, other: &Project, path: &str) -> Self {
        let text = std::fs::read_to_string(other.path(path)).unwrap();
        self.file(path, &text)
    }

    /// Sets an environment variable for runs.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Returns the command `promptci ARGS` in the project directory, to spawn it yourself (for
    /// example several at once).
    pub(crate) fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin!("promptci"));
        command
            .current_dir(self.dir.path())
            .args(args)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env("CI", "true")
            .env("NO_COLOR", "1");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    /// Returns the path of a file in the project.
    pub(crate) fn path(&self, path: &str) -> PathBuf {
        self.dir.path().join(path)
    }

    /// Runs `promptci ARGS` in the project directory.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.finish(self.command(args).output().unwrap())
    }

    /// Starts `promptci ARGS` in its own process group with piped output, so a test can
    /// signal it, and stop it and every program it started at once.
    pub(crate) fn spawn(&self, args: &[&str]) -> std::process::Child {
        use std::os::unix::process::CommandExt;
        self.command(args)
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Like [`spawn`](Self::spawn), with the address space limited to `kib` KiB (`ulimit -v`),
    /// so an input that makes promptci allocate without bound fails fast instead of swapping.
    pub(crate) fn spawn_limited(&self, args: &[&str], kib: u64) -> std::process::Child {
        use std::os::unix::process::CommandExt;
        let promptci = self.command(args);
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
            .arg(promptci.get_program())
            .args(promptci.get_args())
            .current_dir(self.dir.path());
        for (key, value) in promptci.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Runs `promptci ARGS`, failing the test (after killing the process group) when it does
    /// not finish within `limit`: for inputs that used to make it hang.
    #[track_caller]
    pub(crate) fn run_within(&self, args: &[&str], limit: std::time::Duration) -> Run {
        let child = self.spawn(args);
        self.finish(wait_within(child, limit))
    }

    /// Wraps the output of a command from [`command`](Self::command).
    pub(crate) fn finish(&self, output: Output) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = output;
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            root: self.dir.path().to_owned(),
            _dir: Arc::clone(&self.dir),
        }
    }
}

/// Waits for `child` (started by [`Project::spawn`]) for at most `limit`; past it, kills its
/// process group and fails the test with what it printed.
#[track_caller]
pub(crate) fn wait_within(child: std::process::Child, limit: std::time::Duration) -> Output {
    let (output, finished) = wait_or_kill(child, limit);
    assert!(
        finished,
        "promptci did not finish within {limit:?}\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Waits for `child` (started by [`Project::spawn`]) for at most `limit`; past it, kills its
/// process group. Returns the output and whether it finished by itself.
pub(crate) fn wait_or_kill(
    child: std::process::Child,
    limit: std::time::Duration,
) -> (Output, bool) {
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let output = child.wait_with_output().unwrap();
        let _ = done.send(());
        output
    });
    let in_time = finished.recv_timeout(limit).is_ok();
    if !in_time {
        signal_group(pid, "KILL");
    }
    (waiter.join().unwrap(), in_time)
}

/// Takes `child`'s stdout (started by [`Project::spawn`]) and returns once it printed a line
/// containing `needle`, killing its process group and failing the test past `limit`. The
/// returned thread goes on reading and yields everything printed, so the pipe never fills.
#[track_caller]
pub(crate) fn wait_for_line(
    child: &mut std::process::Child,
    needle: &str,
    limit: std::time::Duration,
) -> std::thread::JoinHandle<Vec<u8>> {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("spawned with a piped stdout");
    let (seen, found) = std::sync::mpsc::channel();
    let wanted = needle.to_owned();
    let reader = std::thread::spawn(move || {
        let mut printed = Vec::new();
        let mut lines = std::io::BufReader::new(stdout);
        let mut line = Vec::new();
        while lines.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
            if String::from_utf8_lossy(&line).contains(&wanted) {
                let _ = seen.send(());
            }
            printed.append(&mut line);
        }
        printed
    });
    if found.recv_timeout(limit).is_err() {
        signal_group(child.id(), "KILL");
        let printed = reader.join().unwrap_or_default();
        panic!(
            "no line with `{needle}` within {limit:?}\n--- stdout\n{}",
            String::from_utf8_lossy(&printed)
        );
    }
    reader
}

/// Sends `signal` (a name such as `TERM`) to process `pid`.
pub(crate) fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Sends `signal` to every process of the group `pid` leads.
pub(crate) fn signal_group(pid: u32, signal: &str) {
    let _ = std::process::Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{pid}")])
        .status();
}

/// Waits until `condition` holds, polling, for at most `limit`; fails the test with `what`
/// otherwise. For states a test observes (a file appears, a request arrives), not for time to
/// pass.
#[track_caller]
pub(crate) fn wait_until(what: &str, limit: std::time::Duration, condition: impl Fn() -> bool) {
    let started = std::time::Instant::now();
    while !condition() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub(crate) fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Parses a JSON file the run wrote. A JSON report must match the checked-in schema, so
    /// every report any test reads checks `schemas/report.schema.json` against what promptci
    /// really writes.
    #[track_caller]
    pub(crate) fn json(&self, path: &str) -> Value {
        let text =
            std::fs::read_to_string(self.root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        let value = serde_json::from_str(&text).unwrap();
        if is_report(&value) {
            assert_matches_report_schema(&value, path);
        }
        value
    }

    /// Reads a file the run wrote.
    pub(crate) fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Returns the case with `id` from a JSON report.
    pub(crate) fn case(&self, report: &str, id: &str) -> Value {
        let report = self.json(report);
        report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|case| case["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no case {id}"))
    }
}

/// Returns whether `value` is a JSON report (not another JSON file promptci writes).
pub(crate) fn is_report(value: &Value) -> bool {
    ["format_version", "run", "summary", "cases"]
        .iter()
        .all(|key| value.get(key).is_some())
}

/// Asserts that a JSON report matches `schemas/report.schema.json`, listing every mismatch.
#[track_caller]
pub(crate) fn assert_matches_report_schema(report: &Value, shown: &str) {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json");
        let schema = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    });
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|error| format!("{error} at `{}`", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{shown} does not match schemas/report.schema.json (if the report types changed, \
         regenerate it with `cargo run -q -- schema report > schemas/report.schema.json`): \
         {errors:#?}"
    );
}

/// Parses JUnit XML into (suite name, testcase name, outcome element, message) rows.
pub(crate) fn junit_cases(xml: &str) -> Vec<(String, String, String, String)> {
    let document = roxmltree::Document::parse(xml).unwrap();
    let mut rows = Vec::new();
    for suite in document
        .descendants()
        .filter(|node| node.has_tag_name("testsuite"))
    {
        for case in suite
            .children()
            .filter(|node| node.has_tag_name("testcase"))
        {
            let outcome = case
                .children()
                .find(|node| {
                    node.is_element()
                        && ["failure", "error", "skipped"].contains(&node.tag_name().name())
                })
                .map_or(("passed".to_owned(), String::new()), |node| {
                    (
                        node.tag_name().name().to_owned(),
                        node.attribute("message").unwrap_or_default().to_owned(),
                    )
                });
            rows.push((
                suite.attribute("name").unwrap_or_default().to_owned(),
                case.attribute("name").unwrap_or_default().to_owned(),
                outcome.0,
                outcome.1,
            ));
        }
    }
    rows
}

/// Returns the `id` of every entry of a JSON array of cases (a report's `cases`, or a baseline
/// comparison's `regressions`, `fixed`, …), in order.
pub(crate) fn ids(cases: &Value) -> Vec<String> {
    cases
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs git in `dir`, isolated from the user's and the system's git configuration, and
/// asserts it succeeded.
pub(crate) fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
