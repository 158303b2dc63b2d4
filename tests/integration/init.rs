//! `promptci init`: a starter project whose first run passes offline, and that never
//! overwrites a file.

use crate::harness::{Project, git};

const STARTER_FILES: &[&str] = &[
    "promptci.yaml",
    "suites/example/example.yaml",
    "suites/example/system.j2",
    ".github/workflows/promptci.yml",
];

#[test]
fn init_then_run_passes_offline_in_an_empty_repository() {
    let project = Project::new();
    git(&project.path(""), &["init", "-q", "-b", "main"]);
    let init = project.run(&["init"]);
    init.code(0);
    for file in STARTER_FILES {
        assert!(project.path(file).is_file(), "{file} not written");
        assert!(
            init.stdout.contains(&format!("wrote {file}")),
            "{}",
            init.stdout
        );
    }
    assert!(init.stdout.contains("`promptci run`"), "{}", init.stdout);

    project.run(&["check"]).code(0);
    let run = project.run(&["run", "--json", "report.json"]);
    run.code(0);
    let report = run.json("report.json");
    assert_eq!(report["summary"]["total"], 3, "{report}");
    assert_eq!(report["summary"]["passed"], 3, "{report}");

    // The YAML files name their schema for editors, and the schema is one the repository has.
    for (file, schema) in [
        ("promptci.yaml", "schemas/config.schema.json"),
        ("suites/example/example.yaml", "schemas/suite.schema.json"),
    ] {
        let text = std::fs::read_to_string(project.path(file)).unwrap();
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with("# yaml-language-server: $schema=https://")
                && first.ends_with(schema),
            "{file}: {first}"
        );
        assert!(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(schema)
                .is_file()
        );
    }

    let workflow = std::fs::read_to_string(project.path(".github/workflows/promptci.yml")).unwrap();
    assert!(
        workflow.contains("permissions:\n  contents: read"),
        "{workflow}"
    );
    assert!(
        workflow.contains(&format!("/promptci@v{}", env!("CARGO_PKG_VERSION"))),
        "{workflow}"
    );
}

#[test]
fn init_into_a_new_directory_says_how_to_get_there() {
    let project = Project::new();
    let init = project.run(&["init", "demo"]);
    init.code(0);
    assert!(
        init.stdout.contains("wrote demo/promptci.yaml"),
        "{}",
        init.stdout
    );
    assert!(
        init.stdout.contains("`cd demo && promptci run`"),
        "{}",
        init.stdout
    );
    project
        .run(&["run", "demo/suites", "--config", "demo/promptci.yaml"])
        .code(0);
}

#[test]
fn a_second_init_overwrites_nothing_and_names_every_existing_file() {
    let project = Project::new();
    project.run(&["init"]).code(0);
    std::fs::write(project.path("promptci.yaml"), "targets: {}\n").unwrap();
    let again = project.run(&["init"]);
    again.code(2);
    for file in STARTER_FILES {
        assert!(
            again.stderr.contains(&format!("`{file}` already exists")),
            "{file}: {}",
            again.stderr
        );
    }
    assert!(again.stderr.contains("wrote nothing"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(project.path("promptci.yaml")).unwrap(),
        "targets: {}\n"
    );
}

#[test]
fn one_existing_file_stops_init_before_it_writes_any() {
    let project = Project::new().file("suites/example/system.j2", "mine\n");
    let init = project.run(&["init"]);
    init.code(2);
    assert!(
        init.stderr
            .contains("`suites/example/system.j2` already exists"),
        "{}",
        init.stderr
    );
    assert!(!init.stderr.contains("`promptci.yaml` already exists"));
    assert!(!project.path("promptci.yaml").exists());
    assert!(!project.path(".github").exists());
    assert_eq!(
        std::fs::read_to_string(project.path("suites/example/system.j2")).unwrap(),
        "mine\n"
    );
}
