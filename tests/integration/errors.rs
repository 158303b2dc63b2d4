//! Bad input: every class gets exit 2 and a message naming `file:line:col` and the fix.

use test_case::test_case;

use crate::harness::Project;

#[test_case("unknown-key.yaml", "suites/unknown-key.yaml:4:5", "did you mean `assert`?"; "unknown key")]
#[test_case("unknown-assertion.yaml", "suites/unknown-assertion.yaml:5:9", "did you mean `contains`?"; "unknown assertion kind")]
#[test_case("bad-regex.yaml", "suites/bad-regex.yaml:5:9", "invalid regex in `regex`"; "bad regex")]
#[test_case("wrong-type.yaml", "suites/wrong-type.yaml:5:", "invalid"; "wrong type")]
#[test_case("malformed.yaml", "suites/malformed.yaml:", "error"; "malformed yaml")]
#[test_case("duplicate-case.yaml", "suites/duplicate-case.yaml:4:11", "duplicate case name `greeting`"; "duplicate case")]
#[test_case("missing-template.yaml", "suites/missing-template.yaml:3:13", "template `nowhere.j2` does not exist"; "missing template")]
fn bad_suite_is_invalid_input(fixture: &str, location: &str, text: &str) {
    let project = Project::new().copy(
        &format!("fixtures/bad/{fixture}"),
        &format!("suites/{fixture}"),
    );
    let run = project.run(&["run"]);
    run.code(2);
    assert!(
        run.stderr.contains(location),
        "{location} not in:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains(text), "{text} not in:\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn undefined_template_variable_points_into_the_template() {
    let project = Project::new()
        .copy(
            "fixtures/bad/undefined-var.yaml",
            "suites/undefined-var.yaml",
        )
        .copy("fixtures/bad/undefined-var.j2", "suites/undefined-var.j2");
    let run = project.run(&["check"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("suites/undefined-var.j2:2:10: undefined variable in `customer_name`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Greet {{ customer_name }} warmly."),
        "the snippet shows the line:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("defined here: company_name"),
        "{}",
        run.stderr
    );
}

#[test]
fn errors_in_several_suites_are_reported_together() {
    let project = Project::new()
        .copy("fixtures/bad/bad-regex.yaml", "suites/a.yaml")
        .copy("fixtures/bad/duplicate-case.yaml", "suites/b.yaml");
    let run = project.run(&["check"]);
    run.code(2);
    assert!(run.stderr.contains("suites/a.yaml:5:9"), "{}", run.stderr);
    assert!(run.stderr.contains("suites/b.yaml:4:11"), "{}", run.stderr);
    assert!(
        run.stderr.contains("invalid input: 2 problems"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_suite_path_and_bad_config_are_invalid_input() {
    let run = Project::new().run(&["run", "nope/"]);
    run.code(2);
    assert!(
        run.stderr.contains("suite path `nope/` does not exist"),
        "{}",
        run.stderr
    );

    let project = Project::new()
        .file(
            "promptci.yaml",
            "targets:\n  default:\n    provider: openai\n    modle: gpt-4o-mini\n",
        )
        .file("suites/a.yaml", "cases:\n  - name: x\n    user: hi\n");
    let run = project.run(&["run"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("promptci.yaml:4:5: unknown field `modle`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `model`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_arguments_exit_2() {
    let project = Project::new().file("suites/a.yaml", "cases:\n  - name: x\n    user: hi\n");
    project.run(&["run", "--no-such-flag"]).code(2);
    let run = project.run(&["render", "suites/a.yaml::y"]);
    run.code(2);
    assert!(
        run.stderr.contains("did you mean `suites/a.yaml::x`?"),
        "{}",
        run.stderr
    );
}
