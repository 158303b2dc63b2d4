//! `promptci completions SHELL` and `promptci man`: generated from the command line itself,
//! so they know every command and flag; they run without a configuration.

use crate::harness::Project;

#[test]
fn completions_know_every_command_and_flag_for_each_shell() {
    // A broken promptci.yaml does not stop them.
    let project = Project::new().file("promptci.yaml", "targets: [\n");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = project.run(&["completions", shell]);
        run.code(0);
        for word in [
            "promptci",
            "run",
            "check",
            "registry",
            "allow-empty",
            "color",
        ] {
            assert!(run.stdout.contains(word), "{shell}: no `{word}`");
        }
    }
    // The bash script is valid bash.
    let script = project.run(&["completions", "bash"]).stdout;
    std::fs::write(project.path("promptci.bash"), script).unwrap();
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(project.path("promptci.bash"))
        .status()
        .unwrap();
    assert!(status.success());

    let run = project.run(&["completions", "tcsh"]);
    run.code(2);
}

#[test]
fn the_man_page_is_roff_with_the_commands_and_exit_codes() {
    let project = Project::new().file("promptci.yaml", "targets: [\n");
    let run = project.run(&["man"]);
    run.code(0);
    assert!(
        run.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &run.stdout[..200]
    );
    assert!(run.stdout.contains(".TH promptci 1"), "{}", run.stdout);
    for word in ["completions", "registry", "Exit codes", "invalid input"] {
        assert!(run.stdout.contains(word), "no `{word}` in the man page");
    }

    // Each command has its own page, with its own flags.
    let run = project.run(&["man", "run"]);
    run.code(0);
    assert!(run.stdout.contains(".TH promptci-run 1"), "{}", run.stdout);
    assert!(run.stdout.contains("allow\\-empty"), "{}", run.stdout);
    let run = project.run(&["man", "registry", "promote"]);
    run.code(0);
    assert!(
        run.stdout.contains(".TH promptci-registry-promote 1"),
        "{}",
        run.stdout
    );

    let run = project.run(&["man", "rnu"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("`promptci` has no command `rnu` (expected `run`"),
        "{}",
        run.stderr
    );
    let run = project.run(&["man", "run", "x"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("`promptci run` has no commands, so no page for `x`"),
        "{}",
        run.stderr
    );
}
