//! The repository's CI files: action.yml has the shape GitHub's action-metadata schema
//! requires (the rules checked here are that schema's, for composite actions), takes inputs
//! only through `env:`, pins actions by SHA; its install and run steps, replayed under bash as
//! the runner runs them, install the release binary of the action's own version and pass the
//! documented inputs through as documented; the workflows pin actions and keep credentials;
//! the pre-commit hooks run commands promptci has. `scripts/validate-action.sh` checks the
//! files against the published schemas itself.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{Project, git, ids};
use crate::install::{SYSTEM_PATH, release_copy, replace_checksum, repository};

fn repository_yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_keys_within(what: &str, value: &Value, allowed: &[&str]) {
    let extra: Vec<&str> = keys(value)
        .into_iter()
        .filter(|key| !allowed.contains(key))
        .collect();
    assert!(
        extra.is_empty(),
        "{what} has keys the schema rejects: {extra:?}"
    );
}

fn is_id(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[test]
fn action_metadata_has_the_schema_shape() {
    let action = repository_yaml("action.yml");
    assert_keys_within(
        "action.yml",
        &action,
        &[
            "name",
            "author",
            "description",
            "inputs",
            "outputs",
            "runs",
            "branding",
        ],
    );
    for required in ["name", "description", "runs"] {
        assert!(
            action[required].is_string() || action[required].is_object(),
            "{required}"
        );
    }
    for (name, input) in action["inputs"].as_object().unwrap() {
        assert!(is_id(name), "input id `{name}`");
        assert_keys_within(
            name,
            input,
            &["description", "required", "default", "deprecationMessage"],
        );
        assert!(
            input["description"].is_string(),
            "input `{name}` needs a description"
        );
        assert!(
            input.get("default").is_none_or(Value::is_string),
            "input `{name}` default is a string"
        );
    }
    for (name, output) in action["outputs"].as_object().unwrap() {
        assert!(is_id(name), "output id `{name}`");
        assert_keys_within(name, output, &["description", "value"]);
        assert!(
            output["description"].is_string() && output["value"].is_string(),
            "output `{name}`"
        );
    }
    let runs = &action["runs"];
    assert_keys_within("runs", runs, &["using", "steps"]);
    assert_eq!(runs["using"], "composite");
    let steps = runs["steps"].as_array().unwrap();
    assert!(!steps.is_empty());
    for step in steps {
        assert_keys_within(
            "a step",
            step,
            &[
                "run",
                "shell",
                "uses",
                "with",
                "name",
                "id",
                "if",
                "env",
                "working-directory",
                "continue-on-error",
            ],
        );
        let is_run = step.get("run").is_some();
        let is_uses = step.get("uses").is_some();
        assert!(is_run != is_uses, "a step either runs or uses: {step}");
        if is_run {
            assert!(
                step["shell"].is_string(),
                "a composite run step needs a shell: {step}"
            );
            let script = step["run"].as_str().unwrap();
            assert!(
                !script.contains("${{"),
                "inputs reach `run:` only through env: {script}"
            );
        } else {
            let uses = step["uses"].as_str().unwrap();
            let (_, reference) = uses.split_once('@').unwrap();
            assert!(
                reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()),
                "actions are pinned by commit SHA: {uses}"
            );
        }
        if let Some(env) = step.get("env") {
            assert!(
                env.as_object().unwrap().values().all(Value::is_string),
                "{env}"
            );
        }
    }
    // Every output comes from the `run` step, which must exist.
    assert!(steps.iter().any(|step| step["id"] == "run"));
}

#[test]
fn workflows_pin_actions_and_keep_credentials() {
    let mut names: Vec<String> = std::fs::read_dir(repository().join(".github/workflows"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["ci.yml", "release.yml"]);
    for file in names {
        let workflow = repository_yaml(&format!(".github/workflows/{file}"));
        assert_eq!(workflow["permissions"]["contents"], "read", "{file}");
        for (name, job) in workflow["jobs"].as_object().unwrap() {
            // Only the release's publishing job writes, and only to the repository's releases.
            if let Some(permissions) = job.get("permissions") {
                assert_eq!(
                    (file.as_str(), name.as_str(), permissions),
                    (
                        "release.yml",
                        "publish",
                        &serde_json::json!({"contents": "write"})
                    )
                );
            }
            for step in job["steps"].as_array().unwrap() {
                if let Some(script) = step["run"].as_str() {
                    assert!(
                        !script.contains("${{"),
                        "{file} job `{name}`: expressions reach `run:` through env: {script}"
                    );
                }
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                if uses == "./" {
                    continue;
                }
                let reference = uses.split_once('@').unwrap().1;
                assert_eq!(
                    reference.len(),
                    40,
                    "{file} job `{name}`: {uses} is pinned by SHA"
                );
                if uses.starts_with("actions/checkout@") {
                    assert_eq!(
                        step["with"]["persist-credentials"], false,
                        "{file} job `{name}`"
                    );
                }
            }
        }
    }
    let release = repository_yaml(".github/workflows/release.yml");
    assert_eq!(release["on"], serde_json::json!({"push": {"tags": ["v*"]}}));
}

#[test]
fn pre_commit_hooks_run_commands_promptci_has() {
    let hooks = repository_yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().unwrap();
    let ids: Vec<&str> = hooks
        .iter()
        .map(|hook| hook["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "promptci-check",
            "promptci-changed",
            "promptci-check-system",
            "promptci-changed-system"
        ]
    );
    let project = Project::new().file(
        "suites/a.yaml",
        "cases:\n  - name: x\n    user: hi\n    mock-answer: hi\n    assert: [{contains: hi}]\n",
    );
    for hook in hooks {
        for key in ["id", "name", "entry", "language"] {
            assert!(hook[key].is_string(), "hook needs `{key}`: {hook}");
        }
        let id = hook["id"].as_str().unwrap();
        // A `-system` hook runs the installed binary, and otherwise is its built twin.
        if let Some(twin) = id.strip_suffix("-system") {
            assert_eq!(hook["language"], "system");
            let twin = hooks.iter().find(|other| other["id"] == twin).unwrap();
            for key in ["entry", "files", "pass_filenames"] {
                assert_eq!(
                    hook[key], twin[key],
                    "`{id}` and `{twin}` differ in `{key}`"
                );
            }
        } else {
            assert_eq!(hook["language"], "rust");
        }
        assert_eq!(hook["pass_filenames"], false);
        let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
        assert_eq!(entry[0], "promptci");
        // Outside a git repository only the static hook can succeed; both must parse.
        let run = project.run(&entry[1..]);
        if id.starts_with("promptci-check") {
            run.code(0);
        } else {
            assert!(
                run.stderr
                    .contains("`--changed-since` needs a git repository"),
                "{}",
                run.stderr
            );
        }
    }
}

/// A `run:` step of action.yml replayed as the runner runs it: `bash --noprofile --norc -eo
/// pipefail` on its script, in its working directory, with its `env:` where each `${{ … }}`
/// is the value the test gives (an input not given has its documented default), and the
/// runner's files (`GITHUB_OUTPUT`, `GITHUB_PATH`, `GITHUB_STEP_SUMMARY`) in a temp dir.
#[must_use]
struct StepReplay {
    id: &'static str,
    workspace: PathBuf,
    expressions: Vec<(String, String)>,
    env: Vec<(String, String)>,
}

/// What a replayed step did.
struct StepRun {
    code: i32,
    stdout: String,
    stderr: String,
    /// What it appended to `GITHUB_OUTPUT`.
    outputs: String,
    /// What it appended to `GITHUB_PATH`.
    path: String,
}

impl StepRun {
    #[track_caller]
    fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "step exit code\n--- stdout\n{}\n--- stderr\n{}\n--- outputs\n{}",
            self.stdout, self.stderr, self.outputs
        );
        self
    }

    fn has_output(&self, line: &str) -> bool {
        self.outputs.lines().any(|output| output == line)
    }
}

impl StepReplay {
    /// The step with `id`, run in `workspace` (where `working-directory` is resolved).
    fn new(id: &'static str, workspace: &Path) -> Self {
        Self {
            id,
            workspace: workspace.to_owned(),
            expressions: Vec::new(),
            env: vec![
                ("PATH".to_owned(), SYSTEM_PATH.to_owned()),
                ("HOME".to_owned(), workspace.display().to_string()),
                (
                    "GITHUB_ACTION_PATH".to_owned(),
                    repository().display().to_string(),
                ),
                ("RUNNER_OS".to_owned(), "Linux".to_owned()),
            ],
        }
    }

    /// Sets input `name` (otherwise its default).
    fn input(self, name: &str, value: &str) -> Self {
        self.expression(&format!("inputs.{name}"), value)
    }

    /// Gives the value of a `${{ … }}` expression other than an input, such as
    /// `github.action_ref`.
    fn expression(mut self, expression: &str, value: &str) -> Self {
        self.expressions
            .push((expression.to_owned(), value.to_owned()));
        self
    }

    /// Sets a variable of the runner's environment.
    fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    fn evaluate(&self, action: &Value, text: &str) -> String {
        let Some(expression) = text
            .strip_prefix("${{")
            .and_then(|rest| rest.strip_suffix("}}"))
            .map(str::trim)
        else {
            return text.to_owned();
        };
        if let Some((_, value)) = self.expressions.iter().rev().find(|(e, _)| e == expression) {
            return value.clone();
        }
        let input = expression
            .strip_prefix("inputs.")
            .unwrap_or_else(|| panic!("step `{}`: give a value for `{expression}`", self.id));
        action["inputs"][input]["default"]
            .as_str()
            .unwrap_or_else(|| panic!("no input `{input}`"))
            .to_owned()
    }

    fn run(self) -> StepRun {
        let action = repository_yaml("action.yml");
        let step = action["runs"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|step| step["id"] == self.id)
            .unwrap_or_else(|| panic!("no step `{}`", self.id));
        assert_eq!(step["shell"], "bash");
        let runner = tempfile::tempdir().unwrap();
        let script = runner.path().join("step.sh");
        std::fs::write(&script, step["run"].as_str().unwrap()).unwrap();
        let directory = step
            .get("working-directory")
            .map_or(self.workspace.clone(), |dir| {
                self.workspace
                    .join(self.evaluate(&action, dir.as_str().unwrap()))
            });
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(directory)
            .env_clear()
            .env("GITHUB_OUTPUT", runner.path().join("output"))
            .env("GITHUB_PATH", runner.path().join("path"))
            .env("GITHUB_STEP_SUMMARY", runner.path().join("summary"))
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(env) = step.get("env") {
            for (key, value) in env.as_object().unwrap() {
                command.env(key, self.evaluate(&action, value.as_str().unwrap()));
            }
        }
        let output = command.output().unwrap();
        let read =
            |name: &str| std::fs::read_to_string(runner.path().join(name)).unwrap_or_default();
        StepRun {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            outputs: read("output"),
            path: read("path"),
        }
    }
}

/// The run step with the built promptci first on PATH, as the install steps leave it.
fn run_step(project: &Project) -> StepReplay {
    let bin = assert_cmd::cargo::cargo_bin!("promptci");
    let path = format!("{}:{SYSTEM_PATH}", bin.parent().unwrap().display());
    StepReplay::new("run", &project.path(""))
        .env("PATH", &path)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", &project.path("").display().to_string())
}

const SMOKE_SUITE: &str = "\
cases:
  - name: smoke_greets
    user: hi
    mock-answer: hello
    assert: [{contains: hello}]
  - name: smoke_thanks
    user: thanks
    mock-answer: you are welcome
    assert: [{contains: welcome}]
  - name: refund_policy
    user: refund?
    mock-answer: 30 days
    assert: [{contains: days}]
";

#[test]
fn the_run_step_does_what_the_documented_args_example_says() {
    let action = repository_yaml("action.yml");
    let description = action["inputs"]["args"]["description"].as_str().unwrap();
    let (example, _) = description
        .split_once("for example `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .unwrap_or_else(|| panic!("`args` documents an example: {description}"));
    assert_eq!(example, "--filter '*::smoke_*' -j 8");

    let project = Project::new().file("suites/smoke.yaml", SMOKE_SUITE);
    let run = run_step(&project).input("args", example).run();
    run.code(0);
    let report = project.path("promptci-report.json");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(
        ids(&report["cases"]),
        [
            "suites/smoke.yaml::smoke_greets",
            "suites/smoke.yaml::smoke_thanks"
        ]
    );
    assert!(run.has_output("exit-code=0"), "{}", run.outputs);
    assert!(run.has_output("total=2"), "{}", run.outputs);
    assert!(
        run.has_output("html-report=promptci-report.html"),
        "the HTML report is written by default: {}",
        run.outputs
    );
}

#[test]
fn the_run_step_splits_quoted_words_and_runs_nothing_from_its_inputs() {
    let project = Project::new().file("my suites/smoke.yaml", SMOKE_SUITE);
    let run = run_step(&project)
        .input("path", "'my suites'")
        .input(
            "args",
            "--filter \"*\\$(touch pwned1)*\" --tag `touch pwned2` ; touch pwned3",
        )
        .run();
    for file in ["pwned1", "pwned2", "pwned3"] {
        assert!(!project.path(file).exists(), "`{file}` was created");
    }
    // promptci got the words literally: `;` and `touch` are paths that do not exist.
    run.code(2);
    assert!(run.stderr.contains("`;`"), "{}", run.stderr);
    assert!(run.has_output("exit-code=2"), "{}", run.outputs);

    let run = run_step(&project)
        .input("path", "'my suites'")
        .input("json", "")
        .input("args", "--filter \"*::smoke_*\" --json 'out/a report.json'")
        .run();
    run.code(0);
    let report = std::fs::read_to_string(project.path("out/a report.json")).unwrap();
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["cases"].as_array().unwrap().len(), 2);
}

#[test]
fn an_unmatched_quote_in_args_fails_the_step_before_promptci_runs() {
    let project = Project::new().file("suites/smoke.yaml", SMOKE_SUITE);
    let run = run_step(&project)
        .input("args", "--filter '*::smoke_*")
        .run();
    run.code(2);
    assert!(
        run.stdout
            .contains("::error title=promptci action::input `args` has an unmatched quote"),
        "{}",
        run.stdout
    );
    assert!(run.has_output("exit-code=2"), "{}", run.outputs);
    assert!(!project.path("promptci-report.json").exists());
}

/// The install step of a remote action used at `reference`, whose release files are in
/// `release`.
fn release_step(workspace: &Path, reference: &str, release: &Path) -> StepReplay {
    StepReplay::new("release", workspace)
        .expression("github.action_ref", reference)
        .expression("github.action_repository", "your-org/promptci")
        .env("RUNNER_TEMP", &workspace.display().to_string())
        .env(
            "PROMPTCI_DOWNLOAD_URL",
            &format!("file://{}", release.display()),
        )
}

fn installed_binary(run: &StepRun) -> PathBuf {
    run.code(0);
    assert!(run.has_output("installed=true"), "{}", run.outputs);
    let bin = Path::new(run.path.trim_end()).join("promptci");
    let output = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        format!("promptci {}", env!("CARGO_PKG_VERSION"))
    );
    bin
}

#[test]
fn the_action_installs_the_release_binary_of_its_own_version() {
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let temp = tempfile::tempdir().unwrap();
    let release = release_copy(temp.path());

    // Used at the release tag.
    let workspace = temp.path().join("tag");
    std::fs::create_dir(&workspace).unwrap();
    let run = release_step(&workspace, &tag, &release).run();
    assert_eq!(
        installed_binary(&run),
        workspace.join("promptci-action-bin/promptci")
    );
    assert!(run.stderr.contains("verified SHA-256"), "{}", run.stderr);

    // Used at the commit the release was built from (the pinning GitHub recommends).
    let commit = "0123456789abcdef0123456789abcdef01234567";
    std::fs::write(release.join("COMMIT"), format!("{commit}\n")).unwrap();
    let workspace = temp.path().join("commit");
    std::fs::create_dir(&workspace).unwrap();
    installed_binary(&release_step(&workspace, commit, &release).run());
}

#[test]
fn the_action_builds_from_source_when_its_ref_is_no_release() {
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let temp = tempfile::tempdir().unwrap();
    let empty = temp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let other_commit = temp.path().join("other-commit");
    std::fs::create_dir(&other_commit).unwrap();
    std::fs::write(
        other_commit.join("COMMIT"),
        "1111111111111111111111111111111111111111\n",
    )
    .unwrap();
    let commit = "0123456789abcdef0123456789abcdef01234567";
    for (reference, release, reason) in [
        ("main", &empty, "ref `main` is no release tag"),
        (commit, &other_commit, "is not the commit release"),
        (commit, &empty, "is not the commit release"),
        (tag.as_str(), &empty, "no release binary"),
    ] {
        let run = release_step(temp.path(), reference, release).run();
        run.code(0);
        assert!(
            run.has_output("installed=false"),
            "{reference}: {}",
            run.outputs
        );
        assert!(
            run.outputs.contains("key=promptci-Linux-stable-"),
            "the source build's cache key: {}",
            run.outputs
        );
        assert!(
            run.stdout.contains("::notice title=promptci action::") && run.stdout.contains(reason),
            "{reference}: {}",
            run.stdout
        );
        assert!(run.path.is_empty(), "{}", run.path);
    }

    // `install: release` makes the same cases an error; `source` builds without looking.
    let run = release_step(temp.path(), &tag, &empty)
        .input("install", "release")
        .run();
    run.code(1);
    assert!(
        run.stdout
            .contains("::error title=promptci action::no release binary"),
        "{}",
        run.stdout
    );
    let run = release_step(temp.path(), &tag, &empty)
        .input("install", "source")
        .run();
    run.code(0);
    assert!(run.has_output("installed=false"), "{}", run.outputs);
    let run = release_step(temp.path(), &tag, &empty)
        .input("install", "always")
        .run();
    run.code(1);
}

#[test]
fn a_tampered_release_fails_the_action_instead_of_falling_back() {
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let temp = tempfile::tempdir().unwrap();
    let release = release_copy(temp.path());
    replace_checksum(&release, &format!("{}  x\n", "0".repeat(64)));
    let run = release_step(temp.path(), &tag, &release).run();
    run.code(1);
    assert!(
        run.stdout
            .contains("::error title=promptci action::installing the release binary")
            && run.stdout.contains("exit 4"),
        "{}",
        run.stdout
    );
    assert!(!run.outputs.contains("installed="), "{}", run.outputs);
}

#[test]
fn an_invalid_suite_fails_visibly_in_a_simulated_actions_run() {
    let project = Project::new()
        .file("app/suites/smoke.yaml", SMOKE_SUITE)
        .file(
            "app/suites/broken.yaml",
            "cases:\n  - name: a\n    usr: hi\n  - name: b\n    user: hi\n    asert: []\n",
        )
        .file("app/promptci.yaml", "targets: {}\n");
    let summary = project.path("summary.md");
    let run = run_step(&project)
        .input("working-directory", "app")
        .env("GITHUB_STEP_SUMMARY", &summary.display().to_string())
        .run();
    run.code(2);
    let annotations: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("::error"))
        .collect();
    assert!(
        annotations.first().is_some_and(|annotation| annotation.starts_with(
            "::error file=app/suites/broken.yaml,line=3,col=5,title=promptci%3A invalid input::unknown field `usr`"
        )),
        "annotations are repository-relative and located: {}",
        run.stdout
    );
    assert!(run.has_output("exit-code=2"), "{}", run.outputs);
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(
        summary.starts_with("## promptci: ❌ invalid input (exit 2)")
            && summary.contains("| `app/suites/broken.yaml:3:5` | unknown field 'usr'"),
        "{summary}"
    );
}

#[test]
fn a_documented_example_that_matches_nothing_fails_visibly() {
    let project = Project::new().file(
        "suites/support.yaml",
        "cases:\n  - name: refund\n    user: hi\n    mock-answer: 30 days\n    assert: [{contains: days}]\n",
    );
    let summary = project.path("summary.md");
    let run = run_step(&project)
        .input("args", "--filter '*::smoke_*' -j 8")
        .env("GITHUB_STEP_SUMMARY", &summary.display().to_string())
        .run();
    run.code(2);
    assert!(
        run.stdout.contains(
            "::error title=promptci%3A invalid input::nothing to run: no case selected in `suites` (`--filter` `*::smoke_*`)"
        ),
        "{}",
        run.stdout
    );
    assert!(run.has_output("exit-code=2"), "{}", run.outputs);
    assert!(
        std::fs::read_to_string(summary)
            .unwrap()
            .contains("nothing to run"),
    );

    // With `changed-since` and no suite changed, an empty selection is the expected pass.
    let dir = project.path("");
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(
        &dir,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-qm",
            "suites",
        ],
    );
    let replay = run_step(&project)
        .input("changed-since", "HEAD")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    let run = replay.run();
    run.code(0);
    assert!(run.has_output("exit-code=0"), "{}", run.outputs);
}
