//! Bad input: every class gets exit 2 and a message naming `file:line:col` and the fix.

use test_case::test_case;

use crate::harness::Project;

#[test_case("unknown-key.yaml", "suites/unknown-key.yaml:4:5", "did you mean `assert`?"; "unknown key")]
#[test_case("unknown-assertion.yaml", "suites/unknown-assertion.yaml:5:9", "did you mean `contains`?"; "unknown assertion kind")]
#[test_case("bad-regex.yaml", "suites/bad-regex.yaml:5:9", "invalid regex in `regex`"; "bad regex")]
#[test_case("wrong-type.yaml", "suites/wrong-type.yaml:5:20", "`max-chars`: expected an integer, found the string `many`"; "wrong type")]
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
fn every_shape_problem_of_a_file_is_reported_together_with_its_place() {
    let project = Project::new()
        .file(
            "promptci.yaml",
            "concurency: 4\ntargets:\n  fast:\n    provider: openai\n    modle: gpt-4o-mini\n",
        )
        .file(
            "suites/broken.yaml",
            "cases:\n  - name: a\n    usr: hello\n    assert:\n      - contans: hi\n  - name: b\n    user: hi\n    repeat: many\n    assert:\n      - rubric: {text: polite, treshold: 0.5}\n",
        );
    // The configuration is read first; its problems stop the run before the suites.
    let config = project.run(&["check"]);
    config.code(2);
    for expected in [
        "promptci.yaml:1:1: unknown field `concurency`",
        "promptci.yaml:5:5: unknown field `modle`",
        "did you mean `model`?",
        "invalid input: 2 problems",
    ] {
        assert!(
            config.stderr.contains(expected),
            "{expected} not in:\n{}",
            config.stderr
        );
    }
    let project = project.file("promptci.yaml", "targets: {}\n");
    let mut command = project.command(&["run", "--github", "always"]);
    command.env("GITHUB_STEP_SUMMARY", project.path("summary.md"));
    let suite = project.finish(command.output().unwrap());
    suite.code(2);
    for expected in [
        "suites/broken.yaml:3:5: unknown field `usr`",
        "did you mean `user`?",
        "suites/broken.yaml:5:9: unknown variant `contans`",
        "did you mean `contains`?",
        "suites/broken.yaml:8:13: `repeat`: expected an integer, found the string `many`",
        "suites/broken.yaml:10:32: unknown field `treshold`",
        "did you mean `threshold`?",
        "invalid input: 4 problems",
    ] {
        assert!(
            suite.stderr.contains(expected),
            "{expected} not in:\n{}",
            suite.stderr
        );
    }
    let annotations: Vec<&str> = suite
        .stdout
        .lines()
        .filter(|line| line.starts_with("::error file=suites/broken.yaml"))
        .collect();
    assert_eq!(annotations.len(), 4, "{}", suite.stdout);
    assert!(suite.read("summary.md").contains("4 problems"));
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

const ONE_CASE: &str = "cases:\n  - name: greets\n    user: hi\n    mock-answer: hello\n    assert: [{contains: hello}]\n";

#[test]
fn an_empty_selection_is_invalid_input_that_names_the_selection_unless_allowed() {
    let project = Project::new().file("suites/a.yaml", ONE_CASE);
    let run = project.run(&["run", "--filter", "*::smoke_*", "--tag", "nightly"]);
    run.code(2);
    assert!(
        run.stderr.contains(
            "error: nothing to run: no case selected in `suites` (`--filter` `*::smoke_*`, `--tag` `nightly`)"
        ) && run.stderr.contains("`--allow-empty`"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("PASSED"), "{}", run.stdout);

    let run = project.run(&["run", "--tag", "nightly", "--allow-empty"]);
    run.code(0);
    assert!(run.stdout.contains("nothing to run"), "{}", run.stdout);
}

#[test]
fn an_empty_suite_file_is_invalid_input() {
    for text in ["", "# nothing yet\n", "cases: []\n", "vars: {a: 1}\n"] {
        let project = Project::new()
            .file("suites/a.yaml", ONE_CASE)
            .file("suites/b.yaml", text);
        let run = project.run(&["check"]);
        run.code(2);
        assert!(
            run.stderr
                .contains("error: suites/b.yaml:1:1: the suite has no cases"),
            "{text:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn each_error_is_printed_once() {
    let project = Project::new().copy("fixtures/bad/unknown-key.yaml", "suites/unknown-key.yaml");
    let run = project.run(&["run"]);
    run.code(2);
    let headline = run.stderr.lines().next().unwrap();
    assert!(
        headline.starts_with("error: suites/unknown-key.yaml:4:5: "),
        "{}",
        run.stderr
    );
    let message = headline.trim_start_matches("error: suites/unknown-key.yaml:4:5: ");
    assert_eq!(run.stderr.matches(message).count(), 1, "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().last(),
        Some("error: invalid input: 1 problem")
    );
}

#[test]
fn color_follows_the_flag_no_color_clicolor_force_and_a_dumb_terminal() {
    let project = Project::new().copy("fixtures/bad/unknown-key.yaml", "suites/unknown-key.yaml");
    let colored = |run: &crate::harness::Run| run.stderr.contains("\x1b[");
    // The harness sets NO_COLOR, which `always` overrides.
    assert!(colored(&project.run(&["run", "--color", "always"])));
    assert!(!colored(&project.run(&["run", "--color", "auto"])));
    let forced = |extra: &[(&str, &str)]| {
        let mut command = project.command(&["run"]);
        command.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
        for (key, value) in extra {
            command.env(key, value);
        }
        project.finish(command.output().unwrap())
    };
    assert!(colored(&forced(&[])), "CLICOLOR_FORCE colours a pipe");
    assert!(!colored(&forced(&[("NO_COLOR", "1")])), "NO_COLOR wins");
    let never = project.run(&["run", "--color", "never"]);
    assert!(!colored(&never));
    never.code(2);
    // TERM=dumb is covered by the unit test of the rule: a test has no terminal to colour.
}
