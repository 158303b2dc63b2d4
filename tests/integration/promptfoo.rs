//! The promptfoo projects in `fixtures/promptfoo/` and the verdicts promptfoo itself gives
//! them, kept in each project's `expected.json`.
//!
//! The verdicts are recorded by running a real promptfoo, never downloaded here: point
//! `PROMPTCI_PROMPTFOO` at an installed promptfoo (its `promptfoo` script or
//! `dist/src/entrypoint.js`) and, when the `node` on `PATH` is too old for it,
//! `PROMPTCI_PROMPTFOO_NODE` at a Node binary. Without them the live comparison is skipped
//! with a message, and only the committed files are checked. With
//! `PROMPTCI_PROMPTFOO_RECORD=1` the live run rewrites `expected.json` instead of comparing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// The promptfoo release the committed verdicts come from.
const PROMPTFOO_VERSION: &str = "0.123.1";

/// The projects promptfoo runs offline (every provider is `echo`), so their verdicts are
/// recorded. The others (hosted providers, model-graded checks, malformed configs) are
/// inputs of the importer only.
pub(crate) const RECORDED: &[&str] = &[
    "assertions-json",
    "assertions-text",
    "default-prompt",
    "default-test",
    "getting-started",
    "ignored-keys",
    "latency-cost",
    "nunjucks",
    "nunjucks-differences",
    "prompt-files",
    "providers-matrix",
    "scenarios",
    "scoring",
    "script-assertions",
    "smoke-basic",
    "smoke-inline-chat",
    "tests-csv",
    "tests-files",
    "vars-and-files",
];

/// The directory of one fixture project.
pub(crate) fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/promptfoo")
        .join(name)
}

/// The project's promptfoo config file name (YAML, or JSON for the JSON-config fixture).
pub(crate) fn config_name(dir: &Path) -> &'static str {
    if dir.join("promptfooconfig.json").exists() {
        "promptfooconfig.json"
    } else {
        "promptfooconfig.yaml"
    }
}

/// The committed verdicts of one fixture project.
pub(crate) fn expected(name: &str) -> Value {
    let path = fixture_dir(name).join("expected.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// How to run an installed promptfoo: the Node binary and the CLI script.
struct Promptfoo {
    node: PathBuf,
    cli: PathBuf,
}

impl Promptfoo {
    /// Finds the promptfoo named by `PROMPTCI_PROMPTFOO`, or explains why there is none.
    fn find() -> Result<Self, String> {
        let cli = std::env::var_os("PROMPTCI_PROMPTFOO").ok_or(
            "PROMPTCI_PROMPTFOO is not set (point it at an installed promptfoo's \
             `dist/src/entrypoint.js` or `node_modules/.bin/promptfoo`)",
        )?;
        let node = std::env::var_os("PROMPTCI_PROMPTFOO_NODE").unwrap_or_else(|| "node".into());
        let promptfoo = Self {
            node: PathBuf::from(node),
            cli: std::fs::canonicalize(&cli).map_err(|error| {
                format!("PROMPTCI_PROMPTFOO={}: {error}", Path::new(&cli).display())
            })?,
        };
        let state = tempfile::tempdir().unwrap();
        let output = promptfoo
            .command(state.path())
            .current_dir(state.path())
            .arg("--version")
            .output()
            .map_err(|error| format!("cannot run {}: {error}", promptfoo.node.display()))?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if !output.status.success() || version != PROMPTFOO_VERSION {
            return Err(format!(
                "promptfoo {PROMPTFOO_VERSION} is needed, `{} {} --version` said `{version}` {}",
                promptfoo.node.display(),
                promptfoo.cli.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(promptfoo)
    }

    /// A promptfoo command that works offline and keeps its state in `state`.
    fn command(&self, state: &Path) -> Command {
        let mut command = Command::new(&self.node);
        command
            .arg(&self.cli)
            .env("PROMPTFOO_CONFIG_DIR", state)
            .env("PROMPTFOO_DISABLE_TELEMETRY", "1")
            .env("PROMPTFOO_DISABLE_UPDATE", "1")
            .env("PROMPTFOO_DISABLE_SHARING", "1")
            .env("PROMPTFOO_DISABLE_REMOTE_GENERATION", "1")
            .env("NO_COLOR", "1");
        command
    }

    /// Runs `promptfoo eval` on a copy of the fixture project and returns its JSON output.
    fn eval(&self, name: &str) -> Value {
        let work = tempfile::tempdir().unwrap();
        let project = work.path().join(name);
        copy_dir(&fixture_dir(name), &project);
        std::fs::remove_file(project.join("expected.json")).ok();
        let state = work.path().join("promptfoo-state");
        std::fs::create_dir(&state).unwrap();
        let config = config_name(&project);
        let output = self
            .command(&state)
            .current_dir(&project)
            .args(["eval", "-c", config, "--no-cache", "--no-table"])
            .args(["--no-progress-bar", "--no-share", "--no-write"])
            .args(["-o", "out.json"])
            .output()
            .unwrap();
        // promptfoo exits 100 when a test fails, which several fixtures do on purpose.
        assert!(
            matches!(output.status.code(), Some(0 | 100)),
            "promptfoo failed on {name}: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(project.join("out.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Reduces promptfoo's output file to what a comparison needs, in a stable order: per test,
/// prompt and provider, the outcome, the answer, and each assertion's verdict.
fn normalize(name: &str, out: &Value) -> Value {
    let mut results: Vec<Value> = out["results"]["results"]
        .as_array()
        .expect("promptfoo's output has results.results")
        .iter()
        .map(|result| {
            let outcome = if result["success"] == true {
                "pass"
            } else if result["failureReason"] == 2 {
                "error"
            } else {
                "fail"
            };
            let provider = match result["provider"]["label"].as_str() {
                Some(label) if !label.is_empty() => label,
                _ => result["provider"]["id"].as_str().unwrap_or_default(),
            };
            let assertions: Vec<Value> = result["gradingResult"]["componentResults"]
                .as_array()
                .map(|components| {
                    components
                        .iter()
                        .map(|component| {
                            json!({
                                "type": component["assertion"]["type"],
                                "pass": component["pass"],
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "test": result["testIdx"],
                "description": result["testCase"]["description"],
                "prompt": result["prompt"]["label"],
                "provider": provider,
                "vars": result["testCase"]["vars"],
                "outcome": outcome,
                "output": result["response"]["output"],
                "assertions": assertions,
            })
        })
        .collect();
    results.sort_by_key(|result| {
        (
            result["test"].as_u64(),
            result["prompt"].as_str().map(str::to_owned),
            result["provider"].as_str().map(str::to_owned),
        )
    });
    let count = |outcome: &str| {
        results
            .iter()
            .filter(|result| result["outcome"] == outcome)
            .count()
    };
    let config = config_name(&fixture_dir(name));
    json!({
        "produced-by": {
            "tool": format!("promptfoo {PROMPTFOO_VERSION}"),
            "command": format!(
                "promptfoo eval -c {config} --no-cache --no-table --no-progress-bar --no-share --no-write -o out.json"
            ),
            "environment": "PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_DISABLE_SHARING=1 PROMPTFOO_DISABLE_REMOTE_GENERATION=1, a fresh PROMPTFOO_CONFIG_DIR, in a copy of the project",
            "recorded-with": "PROMPTCI_PROMPTFOO=… PROMPTCI_PROMPTFOO_RECORD=1 cargo test --locked --test integration promptfoo::",
        },
        "summary": {
            "passed": count("pass"),
            "failed": count("fail"),
            "errors": count("error"),
        },
        "results": results,
    })
}

#[test]
fn every_recorded_fixture_has_its_verdicts() {
    for name in RECORDED {
        let expected = expected(name);
        let results = expected["results"].as_array().unwrap();
        assert!(!results.is_empty(), "{name}: no results");
        let summary = &expected["summary"];
        let total = ["passed", "failed", "errors"]
            .iter()
            .map(|key| summary[key].as_u64().unwrap())
            .sum::<u64>();
        assert_eq!(total, results.len() as u64, "{name}: {summary}");
        for result in results {
            assert!(
                ["pass", "fail", "error"].contains(&result["outcome"].as_str().unwrap()),
                "{name}: {result}"
            );
        }
    }
    // The set as a whole shows both verdicts, so a comparison that always says "pass"
    // cannot agree with it.
    let outcomes: Vec<String> = RECORDED
        .iter()
        .flat_map(|name| {
            expected(name)["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|result| result["outcome"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(outcomes.iter().any(|outcome| outcome == "pass"));
    assert!(outcomes.iter().any(|outcome| outcome == "fail"));
}

#[test]
#[expect(
    clippy::print_stderr,
    reason = "a skipped live comparison says why, so a missing promptfoo is visible"
)]
fn promptfoo_still_gives_the_recorded_verdicts() {
    let promptfoo = match Promptfoo::find() {
        Ok(promptfoo) => promptfoo,
        Err(why) => {
            eprintln!("skipped: the live promptfoo comparison needs promptfoo: {why}");
            return;
        }
    };
    let record = std::env::var_os("PROMPTCI_PROMPTFOO_RECORD").is_some();
    for name in RECORDED {
        let actual = normalize(name, &promptfoo.eval(name));
        let path = fixture_dir(name).join("expected.json");
        if record {
            let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
            eprintln!("recorded {}", path.display());
            continue;
        }
        let expected = expected(name);
        assert_eq!(
            actual["results"], expected["results"],
            "{name}: promptfoo's verdicts changed; rerun with PROMPTCI_PROMPTFOO_RECORD=1 if that is expected"
        );
    }
}
