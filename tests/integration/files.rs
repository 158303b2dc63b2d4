//! Files promptci writes: every report is replaced atomically and gets the mode the user's
//! umask gives a new file.

use crate::harness::Project;

#[cfg(unix)]
#[test]
fn fresh_reports_get_the_mode_the_umask_gives_a_new_file() {
    use std::os::unix::fs::PermissionsExt as _;

    let project = Project::new().file(
        "suites/s.yaml",
        "cases:\n  - name: a\n    user: x\n    mock-answer: yes\n    assert: [{contains: yes}]\n",
    );
    let binary = assert_cmd::cargo::cargo_bin!("promptci");
    for (umask, expected) in [("022", 0o644), ("077", 0o600)] {
        for report in ["out/r.json", "out/r.xml"] {
            let _ = std::fs::remove_file(project.path(report));
        }
        // The shell sets the umask and then becomes promptci, as a CI step's shell would.
        let mut command = std::process::Command::new("sh");
        command
            .current_dir(project.path(""))
            .args(["-c", &format!("umask {umask}; exec \"$0\" \"$@\"")])
            .arg(binary)
            .args(["run", "--json", "out/r.json", "--junit", "out/r.xml"])
            .env("CI", "true")
            .env("NO_COLOR", "1");
        project.finish(command.output().unwrap()).code(0);
        for report in ["out/r.json", "out/r.xml"] {
            let mode = std::fs::metadata(project.path(report))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(
                mode, expected,
                "{report} under umask {umask}: {mode:o}, not {expected:o}"
            );
        }
    }
}
