//! Warnings for silent mistakes, and `--deny-warnings` turning them into invalid input.

use crate::harness::Project;
use crate::mock_server::MockServer;

const CARELESS_SUITE: &str = "\
prompt: {id: w, template: w.j2}
vars:
  company: Acme
  tone: friendly
cases:
  - name: no_checks
    user: hi
  - name: misplaced
    user: hello
    vars:
      assert:
        - contains: hello
  - name: fine
    user: hey
    assert: [{contains: hey}]
";

fn careless() -> Project {
    Project::new()
        .file("suites/w.yaml", CARELESS_SUITE)
        .file("suites/w.j2", "You work for {{ company }}.")
}

#[test]
fn check_warns_about_silent_mistakes_and_still_passes() {
    let run = careless().run(&["check"]);
    run.code(0);
    let err = &run.stderr;
    assert!(
        err.contains("warning: suites/w.yaml:6:")
            && err.contains("case `no_checks` has no assertion"),
        "{err}"
    );
    assert!(
        err.contains("variable `tone` is defined but never used"),
        "{err}"
    );
    assert!(err.contains("warning: suites/w.yaml:11:"), "{err}");
    assert!(err.contains("`assert` is indented under `vars:`"), "{err}");
    assert!(
        !err.contains("variable `company`"),
        "a used variable is not reported:\n{err}"
    );
    assert!(
        !err.contains("variable `assert` is defined but never used"),
        "the misplaced `assert` gets its own warning only:\n{err}"
    );
    assert!(!err.contains("case `fine`"), "{err}");
}

#[test]
fn deny_warnings_makes_them_errors_on_check_and_run_and_nothing_is_sent() {
    let project = careless();
    let run = project.run(&["check", "--deny-warnings"]);
    run.code(2);
    assert!(
        run.stderr.contains("error: suites/w.yaml:6:") && run.stderr.contains("no assertion"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("invalid input: 4 problems"),
        "{}",
        run.stderr
    );

    let server = MockServer::always("hey hello hi");
    let run = project.run(&["run", "--deny-warnings", "--base-url", &server.base_url()]);
    run.code(2);
    assert_eq!(server.count(), 0);

    let run = project.run(&["run", "--base-url", &server.base_url()]);
    run.code(0);
    assert!(run.stderr.contains("warning:"), "{}", run.stderr);
    assert_eq!(server.count(), 3);
}

#[test]
fn a_clean_suite_has_no_warnings() {
    let run = Project::greeter().run(&["check", "--deny-warnings"]);
    run.code(0);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

#[test]
fn variables_used_only_by_assertions_or_includes_count_as_used() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: s.j2}\nvars: {footer: bye, expected: x}\ncases:\n  - name: a\n    user: hi\n    assert: [{contains: \"{{ expected }}\"}]\n",
        )
        .file("suites/s.j2", "Hi.{% include 'f.j2' %}")
        .file("suites/f.j2", " {{ footer }}");
    let run = project.run(&["check", "--deny-warnings"]);
    run.code(0);
}

#[test]
fn data_columns_are_checked_once_per_file_and_underscore_columns_are_notes() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: s.j2, role: user}\ncases-from: rows.csv\n",
        )
        .file("suites/s.j2", "Say {{ word }}")
        .file(
            "suites/rows.csv",
            "word,notes,_comment,mock_answer,assert\nhi,n1,c1,x,[{contains: hi}]\nho,n2,c2,y,\nhu,n3,c3,z,\n",
        );
    let run = project.run(&["check"]);
    run.code(0);
    let err = &run.stderr;
    assert_eq!(
        err.matches("column `notes`").count(),
        1,
        "one warning per column, not per row:\n{err}"
    );
    assert!(err.contains("warning: suites/rows.csv:1:2"), "{err}");
    assert!(!err.contains("_comment"), "{err}");
    assert!(
        err.contains("`mock_answer`") && err.contains("`mock-answer`"),
        "{err}"
    );
    assert!(
        err.contains("2 rows of suites/rows.csv have no assertion: row-3, row-4"),
        "{err}"
    );
}

#[test]
fn a_command_string_with_a_template_is_not_rendered_and_says_so() {
    let project = Project::new().file(
        "suites/s.yaml",
        "vars: {word: hi}\ncases:\n  - name: a\n    user: hi\n    assert:\n      - command: 'grep -q {{ word }}'\n",
    );
    let run = project.run(&["check"]);
    run.code(0);
    assert!(
        run.stderr.contains("warning: suites/s.yaml:6:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("list form"), "{}", run.stderr);
}
