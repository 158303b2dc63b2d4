//! The response cache: warm reruns send nothing, edits miss, modes, errors, keys, two runs.

use std::path::Path;

use crate::harness::Project;
use crate::mock_server::{MockServer, Reply};

fn live(server: &MockServer) -> Vec<String> {
    ["run", "--base-url", &server.base_url(), "--json", "r.json"]
        .map(str::to_owned)
        .to_vec()
}

fn run(project: &Project, args: &[String], extra: &[&str]) -> crate::harness::Run {
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend_from_slice(extra);
    project.run(&all)
}

/// Returns every file under `dir`, recursively.
pub(crate) fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_warm_rerun_sends_zero_requests_and_reports_cached_answers() {
    let server = MockServer::always("hello, call our phone line");
    let project = Project::greeter();
    let args = live(&server);
    let cold = run(&project, &args, &["--cache", "read-write"]);
    cold.code(0);
    assert_eq!(server.count(), 2);
    assert_eq!(
        cold.case("r.json", "suites/greeter.yaml::says_hello")["cached"],
        false
    );
    assert!(
        files_under(&project.path(".promptci/cache")).len() == 2,
        "one entry per answer"
    );
    // promptci created `.promptci/`, so it keeps it out of git.
    assert_eq!(
        std::fs::read_to_string(project.path(".promptci/.gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );

    let warm = run(&project, &args, &["--cache", "read-write"]);
    warm.code(0);
    assert_eq!(server.count(), 2, "a warm rerun sends no request");
    let case = warm.case("r.json", "suites/greeter.yaml::says_hello");
    assert_eq!(case["cached"], true);
    assert_eq!(case["requests"], 0);
    assert_eq!(case["answer"], "hello, call our phone line");
    assert_eq!(
        case["tokens"]["prompt"], 10,
        "usage is kept with the answer"
    );
    assert!(
        warm.stdout.contains("(cached)")
            && warm
                .stdout
                .contains("2 answers from the cache or recordings"),
        "{}",
        warm.stdout
    );

    // Any edit to what is sent misses: the template, or the model.
    std::fs::write(
        project.path("suites/system.j2"),
        "You work for {{ company }}!",
    )
    .unwrap();
    run(&project, &args, &["--cache", "read-write"]).code(0);
    assert_eq!(server.count(), 4);
    run(
        &project,
        &args,
        &["--cache", "read-write", "--model", "other"],
    )
    .code(0);
    assert_eq!(server.count(), 6);
    run(
        &project,
        &args,
        &["--cache", "read-write", "--model", "other"],
    )
    .code(0);
    assert_eq!(server.count(), 6);
}

#[test]
fn modes_read_only_refresh_and_off_and_the_ci_default() {
    let server = MockServer::always("hello phone");
    let project = Project::greeter();
    let args = live(&server);
    // `CI` is set by the harness: the default is off, nothing is written.
    run(&project, &args, &[]).code(0);
    run(&project, &args, &[]).code(0);
    assert_eq!(server.count(), 4);
    assert!(!project.path(".promptci").exists());
    // read-only never writes.
    run(&project, &args, &["--cache", "read-only"]).code(0);
    assert_eq!(server.count(), 6);
    assert!(!project.path(".promptci").exists());
    // Outside CI the default reads and writes.
    let local = project.env("CI", "");
    run(&local, &args, &[]).code(0);
    assert_eq!(server.count(), 8);
    run(&local, &args, &[]).code(0);
    assert_eq!(server.count(), 8);
    run(&local, &args, &["--cache", "read-only"]).code(0);
    assert_eq!(server.count(), 8);
    // refresh asks again and overwrites; off ignores the cache.
    run(&local, &args, &["--cache", "refresh"]).code(0);
    assert_eq!(server.count(), 10);
    run(&local, &args, &["--cache", "off"]).code(0);
    assert_eq!(server.count(), 12);
    run(&local, &args, &[]).code(0);
    assert_eq!(server.count(), 12);
}

#[test]
fn errors_are_never_cached() {
    let server = MockServer::start(|_, index| {
        if index < 2 {
            Reply::status(400, "{\"error\": {\"message\": \"bad request\"}}")
        } else {
            Reply::answer("hello phone")
        }
    });
    let project = Project::greeter();
    let args = live(&server);
    run(&project, &args, &["--cache", "read-write"]).code(3);
    assert_eq!(server.count(), 2);
    run(&project, &args, &["--cache", "read-write"]).code(0);
    assert_eq!(server.count(), 4, "the errored cases were asked again");
    run(&project, &args, &["--cache", "read-write"]).code(0);
    assert_eq!(server.count(), 4);
}

#[test]
fn cache_dir_from_the_flag_and_from_the_config() {
    let server = MockServer::always("hello phone");
    let project = Project::greeter().file("promptci.yaml", "cache-dir: build/answers\n");
    let args = live(&server);
    run(&project, &args, &["--cache", "read-write"]).code(0);
    assert_eq!(files_under(&project.path("build/answers")).len(), 2);
    run(
        &project,
        &args,
        &["--cache", "read-write", "--cache-dir", "elsewhere"],
    )
    .code(0);
    assert_eq!(server.count(), 4, "a different cache starts cold");
    assert_eq!(files_under(&project.path("elsewhere")).len(), 2);
    assert!(!project.path(".promptci").exists());
}

#[test]
fn a_promptci_directory_the_user_made_keeps_its_own_gitignore() {
    let server = MockServer::always("hello, call our phone line");
    let project = Project::greeter().file(".promptci/keep.txt", "mine\n");
    run(&project, &live(&server), &["--cache", "read-write"]).code(0);
    assert!(!project.path(".promptci/.gitignore").exists());
    assert_eq!(files_under(&project.path(".promptci/cache")).len(), 2);
}

#[test]
fn offline_targets_are_not_cached() {
    let project = Project::greeter();
    project
        .run(&["run", "--target", "mock", "--cache", "read-write"])
        .code(1);
    assert!(!project.path(".promptci").exists());
}

#[test]
fn two_runs_at_once_share_the_cache_safely() {
    let server = MockServer::always("hello phone");
    let mut suite = String::from("cases:\n");
    for index in 0..40 {
        suite.push_str(&format!(
            "  - name: c{index}\n    user: question {index}\n    assert: [{{icontains: hello}}]\n"
        ));
    }
    let project = Project::new().file("suites/many.yaml", &suite);
    let url = server.base_url();
    let args = ["run", "--base-url", url.as_str(), "--cache", "read-write"];
    let first = project.command(&args).spawn().unwrap();
    let second = project.command(&args).spawn().unwrap();
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        project.finish(output).code(0);
    }
    let sent = server.count();
    assert!((40..=80).contains(&sent), "{sent}");
    assert_eq!(files_under(&project.path(".promptci/cache")).len(), 40);
    project.run(&args).code(0);
    assert_eq!(server.count(), sent, "every entry is whole and readable");
}

#[test]
fn the_api_key_never_reaches_the_cache_or_recordings() {
    let secret = "sk-test-CACHE-SECRET-987654";
    // A hostile server echoes the key inside its answers.
    let server = MockServer::start(move |request, _| {
        let auth = request.headers["authorization"]
            .to_str()
            .unwrap()
            .to_owned();
        Reply::answer(format!("hello phone, you sent {auth}"))
    });
    let project = Project::greeter_with_key(&server.base_url(), secret);
    let first = project.run(&[
        "run",
        "--cache",
        "read-write",
        "--record",
        "recordings",
        "--json",
        "r.json",
        "--junit",
        "r.xml",
    ]);
    first.code(0);
    let second = project.run(&["run", "--cache", "read-write", "--json", "r2.json"]);
    second.code(0);
    assert_eq!(server.count(), 2);
    let files = files_under(&project.path(""));
    assert!(files.len() >= 6, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            !text.contains(secret),
            "the key leaked into {}",
            file.display()
        );
    }
    for text in [&first.stdout, &first.stderr, &second.stdout, &second.stderr] {
        assert!(!text.contains(secret), "{text}");
    }
}
