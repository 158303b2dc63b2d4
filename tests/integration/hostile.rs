//! The hostile-input corpus (`fixtures/hostile/`) and large inputs generated here, through the
//! built binary: every input ends in a clear result — exit 0, 1 or 2 — never a panic, a crash
//! or a hang, with bounded output, within a time limit and an address-space limit.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{Project, wait_or_kill};

/// The address space each run may use (`ulimit -v`, in KiB): an input that makes promptci
/// allocate without bound ends in an allocation failure instead of swapping the machine.
const ADDRESS_SPACE_KIB: u64 = 4 * 1024 * 1024;

/// The time each run may take on a loaded two-core machine.
const TIME_LIMIT: Duration = Duration::from_mins(1);

/// The most stderr an error may print.
const STDERR_LIMIT: usize = 64 * 1024;

/// A suite whose prompt is the template `t.j2`.
const TEMPLATED_SUITE: &str =
    "prompt:\n  id: p\n  template: t.j2\ncases:\n  - name: a\n    user: hi\n    mock-answer: hi\n";

/// A suite that passes on the offline mock target.
const PLAIN_SUITE: &str = "cases:\n  - name: a\n    user: hi\n    mock-answer: hi\n";

/// One hostile input: the file it is written to in a fresh project, and its bytes.
struct Input {
    name: String,
    path: &'static str,
    bytes: Vec<u8>,
}

impl Input {
    /// Returns the suite the input is checked with.
    fn base(&self) -> &'static str {
        if self.path == "suites/t.j2" {
            TEMPLATED_SUITE
        } else {
            PLAIN_SUITE
        }
    }
}

/// Every file of `fixtures/hostile/<dir>`, written to `path`.
fn corpus(dir: &str, path: &'static str) -> Vec<Input> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hostile")
        .join(dir);
    let mut inputs: Vec<Input> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            Input {
                name: format!("{dir}/{}", entry.file_name().to_string_lossy()),
                path,
                bytes: std::fs::read(entry.path()).unwrap(),
            }
        })
        .collect();
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!inputs.is_empty(), "no files in {}", root.display());
    inputs
}

/// Large inputs, made here rather than committed.
fn generated() -> Vec<Input> {
    let suite = |name: &str, text: String| Input {
        name: format!("generated/{name}"),
        path: "suites/s.yaml",
        bytes: text.into_bytes(),
    };
    let template = |name: &str, text: String| Input {
        name: format!("generated/{name}"),
        path: "suites/t.j2",
        bytes: text.into_bytes(),
    };
    let mut many_cases = String::from("cases:\n");
    for index in 0..25_000 {
        many_cases.push_str(&format!(
            "  - name: c{index}\n    user: case {index}\n    mock-answer: yes\n    assert: [{{contains: yes}}]\n"
        ));
    }
    let mut deep_block = String::new();
    for depth in 0..2_000 {
        deep_block.push_str(&format!("{}a:\n", "  ".repeat(depth)));
    }
    vec![
        suite(
            "long-line.yaml",
            format!(
                "cases:\n  - name: a\n    user: hi\n    bogus: {}\n",
                "a".repeat(10_000_000)
            ),
        ),
        suite(
            "long-line-value.yaml",
            format!(
                "cases:\n  - name: a\n    user: {}\n    repeat: x\n",
                "b".repeat(10_000_000)
            ),
        ),
        suite(
            "deep-flow.yaml",
            format!("cases: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        suite("deep-block.yaml", deep_block),
        suite(
            "many-aliases.yaml",
            format!(
                "vars:\n  x: &x hi\ncases:\n  - name: a\n    user: hi\n    tags: [{}]\n",
                vec!["*x"; 60_000].join(", ")
            ),
        ),
        suite("many-cases.yaml", many_cases),
        template(
            "deep-parentheses.j2",
            format!("{{{{ {}1{} }}}}", "(".repeat(100_000), ")".repeat(100_000)),
        ),
        template(
            "deep-ifs.j2",
            format!(
                "{}x{}",
                "{% if true %}".repeat(10_000),
                "{% endif %}".repeat(10_000)
            ),
        ),
    ]
}

/// What one input did.
struct Outcome {
    name: String,
    code: Option<i32>,
    elapsed: Duration,
    problem: Option<String>,
}

/// Runs `promptci check` on `input` beside the suite `base`, under the limits.
fn check(base: &str, input: &Input) -> Outcome {
    let project = Project::new().file("suites/s.yaml", base);
    let full = project.path(input.path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(&full, &input.bytes).unwrap();
    let started = Instant::now();
    let (output, finished) = wait_or_kill(
        project.spawn_limited(&["check"], ADDRESS_SPACE_KIB),
        TIME_LIMIT,
    );
    let elapsed = started.elapsed();
    let code = output.status.code();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let problem = if !finished {
        Some(format!("still running after {TIME_LIMIT:?}"))
    } else if !matches!(code, Some(0..=2)) {
        Some(format!("exit {code:?}: {}", head(&stderr)))
    } else if stderr.contains("panicked") {
        Some(format!("panicked: {}", head(&stderr)))
    } else if stderr.len() > STDERR_LIMIT {
        Some(format!("{} bytes of stderr", stderr.len()))
    } else if code == Some(2) && !stderr.contains("error") {
        Some(format!(
            "exit 2 without an error message: {}",
            head(&stderr)
        ))
    } else {
        None
    };
    Outcome {
        name: input.name.clone(),
        code,
        elapsed,
        problem,
    }
}

/// The first 300 characters of `text`.
fn head(text: &str) -> String {
    text.chars().take(300).collect()
}

/// Checks every input and fails with all the problems at once.
#[track_caller]
fn assert_clear_results(inputs: &[Input]) {
    let outcomes: Vec<Outcome> = inputs
        .iter()
        .map(|input| check(input.base(), input))
        .collect();
    let problems: Vec<String> = outcomes
        .iter()
        .filter_map(|outcome| {
            outcome.problem.as_ref().map(|problem| {
                format!(
                    "{} ({:?}, {:.1} s): {problem}",
                    outcome.name,
                    outcome.code,
                    outcome.elapsed.as_secs_f64()
                )
            })
        })
        .collect();
    assert!(
        problems.is_empty(),
        "{} of {} hostile inputs:\n{}",
        problems.len(),
        outcomes.len(),
        problems.join("\n")
    );
}

#[test]
fn hostile_suites_end_in_a_clear_result() {
    assert_clear_results(&corpus("suites", "suites/s.yaml"));
}

#[test]
fn hostile_configs_end_in_a_clear_result() {
    assert_clear_results(&corpus("config", "promptci.yaml"));
}

#[test]
fn hostile_templates_end_in_a_clear_result() {
    assert_clear_results(&corpus("templates", "suites/t.j2"));
}

#[test]
fn large_generated_inputs_end_in_a_clear_result() {
    assert_clear_results(&generated());
}
