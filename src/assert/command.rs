//! The `command` assertion: an external program judges the answer.
//!
//! The program reads the answer on stdin; exit status 0 passes and its stdout (or stderr when
//! stdout is empty) becomes the reason. A single string runs through `sh -c`, a list runs
//! directly.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::AssertionResult;

/// The most output kept as a reason.
const REASON_LIMIT: usize = 500;

pub(super) fn run(kind: &str, argv: &[String], dir: &Path, answer: &str) -> AssertionResult {
    let mut command = if let [script] = argv {
        let mut command = Command::new("sh");
        command.arg("-c").arg(script);
        command
    } else {
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]);
        command
    };
    command
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = argv.join(" ");
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return AssertionResult::new(kind, false, format!("cannot run `{shown}`: {error}"));
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A judge that exits without reading closes the pipe; its exit status still decides.
        let _ = stdin.write_all(answer.as_bytes());
    }
    let output = match child.wait_with_output() {
        Ok(output) => output,
        Err(error) => {
            return AssertionResult::new(kind, false, format!("`{shown}` did not finish: {error}"));
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    let mut said = if stdout.is_empty() { stderr } else { stdout };
    if said.len() > REASON_LIMIT {
        let cut = (0..=REASON_LIMIT)
            .rev()
            .find(|&i| said.is_char_boundary(i))
            .unwrap_or(0);
        said.truncate(cut);
        said.push('…');
    }
    if output.status.success() {
        let reason = if said.is_empty() {
            format!("`{shown}` accepted the answer")
        } else {
            said
        };
        AssertionResult::new(kind, true, reason)
    } else {
        let status = output
            .status
            .code()
            .map_or_else(|| "a signal".to_owned(), |code| format!("exit {code}"));
        let reason = if said.is_empty() {
            format!("`{shown}` rejected the answer ({status})")
        } else {
            format!("{said} ({status})")
        };
        AssertionResult::new(kind, false, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_zero_passes_and_stdout_is_the_reason() {
        let result = run(
            "command",
            &["grep -q refund && echo mentions refund".to_owned()],
            Path::new("."),
            "a refund policy",
        );
        assert!(result.passed, "{}", result.reason);
        assert_eq!(result.reason, "mentions refund");
    }

    #[test]
    fn non_zero_fails_with_the_output() {
        let result = run(
            "command",
            &["echo too long; exit 3".to_owned()],
            Path::new("."),
            "x",
        );
        assert!(!result.passed);
        assert_eq!(result.reason, "too long (exit 3)");
    }

    #[test]
    fn missing_program_fails_clearly() {
        let result = run(
            "command",
            &["/no/such/judge".to_owned(), "--x".to_owned()],
            Path::new("."),
            "x",
        );
        assert!(!result.passed);
        assert!(
            result.reason.starts_with("cannot run `/no/such/judge --x`"),
            "{}",
            result.reason
        );
    }
}
