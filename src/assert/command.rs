//! The `command` assertion: an external program judges the answer.
//!
//! The program reads the answer on stdin; exit status 0 passes and its stdout (or stderr when
//! stdout is empty) becomes the reason. A single string runs through `sh -c`, a list runs
//! directly.
//!
//! A judge is bounded like a request: it runs in its own process group, which is killed when
//! the judge outlives [`CommandLimits::timeout`], prints more than
//! [`CommandLimits::output_bytes`], exits (its leftover background processes), or when a
//! signal stops the run ([`stop_commands`]). The answer is written on a thread of its own
//! while the output is read, so a judge that prints before it reads cannot deadlock.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::Duration;

use super::AssertionResult;

/// The most output kept as a reason.
const REASON_LIMIT: usize = 500;

/// How long a `command` judge may run and how much it may print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CommandLimits {
    /// How long a judge may run before it and its process group are killed.
    pub(crate) timeout: Duration,
    /// How many bytes a judge may print on stdout and on stderr before it is killed.
    pub(crate) output_bytes: usize,
}

impl Default for CommandLimits {
    fn default() -> Self {
        let limits = crate::config::Limits::default();
        Self {
            timeout: limits.command_timeout,
            output_bytes: limits.command_output_bytes,
        }
    }
}

/// The limits of this process's judges, set once from `promptci.yaml` before a run.
static LIMITS: OnceLock<CommandLimits> = OnceLock::new();

/// Sets the limits every later judge runs under; the first call wins.
pub(crate) fn set_command_limits(limits: CommandLimits) {
    let _ = LIMITS.set(limits);
}

/// The process groups of the judges running now, and whether the run was stopped.
struct Running {
    stopped: bool,
    groups: Vec<rustix::process::Pid>,
}

static RUNNING: Mutex<Running> = Mutex::new(Running {
    stopped: false,
    groups: Vec::new(),
});

/// Returns the running judges; a judge thread that panicked left the list itself intact.
fn running() -> std::sync::MutexGuard<'static, Running> {
    RUNNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Kills every running judge with its process group, and keeps later judges from starting:
/// the run is stopping.
pub(crate) fn stop_commands() {
    let mut running = running();
    running.stopped = true;
    for group in &running.groups {
        kill_group(*group);
    }
}

/// Kills process group `group`; one that is already gone is fine.
fn kill_group(group: rustix::process::Pid) {
    let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
}

/// The reason of a judge the stopping run killed or never started.
const STOPPED_REASON: &str = "the run was stopped";

pub(super) fn run(kind: &str, argv: &[String], dir: &Path, answer: &str) -> AssertionResult {
    run_with(
        LIMITS.get().copied().unwrap_or_default(),
        kind,
        argv,
        dir,
        answer,
    )
}

/// Runs the judge `argv` in `dir` on `answer` under `limits`.
fn run_with(
    limits: CommandLimits,
    kind: &str,
    argv: &[String],
    dir: &Path,
    answer: &str,
) -> AssertionResult {
    use std::os::unix::process::CommandExt as _;
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
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = argv.join(" ");
    let (mut child, group) = {
        // Started and listed under the lock, so a stop cannot miss a judge starting now.
        let mut running = running();
        if running.stopped {
            return AssertionResult::new(kind, false, STOPPED_REASON);
        }
        match command.spawn() {
            Ok(child) => {
                let group = rustix::process::Pid::from_child(&child);
                running.groups.push(group);
                (child, group)
            }
            Err(error) => {
                return AssertionResult::new(kind, false, format!("cannot run `{shown}`: {error}"));
            }
        }
    };
    let finished = supervise(&mut child, group, answer, limits);
    running().groups.retain(|listed| *listed != group);
    let Finished {
        status,
        stdout,
        stderr,
        timed_out,
        overflowed,
    } = match finished {
        Ok(finished) => finished,
        Err(error) => {
            return AssertionResult::new(kind, false, format!("`{shown}` did not finish: {error}"));
        }
    };
    if running().stopped {
        return AssertionResult::new(kind, false, STOPPED_REASON);
    }
    if timed_out {
        return AssertionResult::new(
            kind,
            false,
            format!(
                "`{shown}` timed out after {} s and was killed (hint: raise `limits: command-timeout` in promptci.yaml)",
                limits.timeout.as_secs_f64()
            ),
        );
    }
    if overflowed {
        return AssertionResult::new(
            kind,
            false,
            format!(
                "`{shown}` printed more than {} KiB and was killed (hint: raise `limits: command-output-kb` in promptci.yaml)",
                limits.output_bytes / 1024
            ),
        );
    }
    let stdout = String::from_utf8_lossy(&stdout).trim().to_owned();
    let stderr = String::from_utf8_lossy(&stderr).trim().to_owned();
    let mut said = if stdout.is_empty() { stderr } else { stdout };
    if said.len() > REASON_LIMIT {
        let cut = (0..=REASON_LIMIT)
            .rev()
            .find(|&i| said.is_char_boundary(i))
            .unwrap_or(0);
        said.truncate(cut);
        said.push('…');
    }
    if status.success() {
        let reason = if said.is_empty() {
            format!("`{shown}` accepted the answer")
        } else {
            said
        };
        AssertionResult::new(kind, true, reason)
    } else {
        let status = status
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

/// What a judge did.
struct Finished {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    timed_out: bool,
    overflowed: bool,
}

/// Feeds `answer` to the judge, reads its output and waits for it, all at once and bounded
/// by `limits`; kills its process group when it is over a limit and once it has exited.
fn supervise(
    child: &mut Child,
    group: rustix::process::Pid,
    answer: &str,
    limits: CommandLimits,
) -> std::io::Result<Finished> {
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            if let Some(mut stdin) = stdin {
                // A judge that exits without reading closes the pipe; its exit status decides.
                let _ = stdin.write_all(answer.as_bytes());
            }
        });
        let stdout = scope.spawn(move || read_capped(stdout, limits.output_bytes, group));
        let stderr = scope.spawn(move || read_capped(stderr, limits.output_bytes, group));
        let (sender, exited) = mpsc::channel();
        let waiting = scope.spawn(move || {
            let status = child.wait();
            let _ = sender.send(());
            status
        });
        let timed_out = exited.recv_timeout(limits.timeout).is_err();
        // Killing the group also ends background processes a judge left holding its pipes,
        // which would otherwise keep the readers waiting.
        kill_group(group);
        let status = waiting
            .join()
            .expect("waiting for a judge does not panic")?;
        let (stdout, stdout_overflowed) = stdout.join().expect("reading a pipe does not panic");
        let (stderr, stderr_overflowed) = stderr.join().expect("reading a pipe does not panic");
        Ok(Finished {
            status,
            stdout,
            stderr,
            timed_out,
            overflowed: stdout_overflowed || stderr_overflowed,
        })
    })
}

/// Reads `pipe` to its end, keeping at most `cap` bytes; past them, kills process `group`.
/// Returns what was kept and whether the cap was passed.
fn read_capped(
    pipe: Option<impl Read>,
    cap: usize,
    group: rustix::process::Pid,
) -> (Vec<u8>, bool) {
    let Some(pipe) = pipe else {
        return (Vec::new(), false);
    };
    let mut kept = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    let _ = pipe.take(limit).read_to_end(&mut kept);
    if kept.len() > cap {
        kill_group(group);
        kept.truncate(cap);
        return (kept, true);
    }
    (kept, false)
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
    fn a_judge_over_its_timeout_is_killed_and_fails() {
        let limits = CommandLimits {
            timeout: Duration::from_millis(200),
            ..CommandLimits::default()
        };
        let result = run_with(
            limits,
            "command",
            &["sleep 30".to_owned()],
            Path::new("."),
            "x",
        );
        assert!(!result.passed);
        assert!(result.reason.contains("timed out"), "{}", result.reason);
    }

    #[test]
    fn a_judge_printing_past_the_cap_is_killed_and_fails() {
        let limits = CommandLimits {
            output_bytes: 1024,
            ..CommandLimits::default()
        };
        let result = run_with(limits, "command", &["yes".to_owned()], Path::new("."), "x");
        assert!(!result.passed);
        assert!(
            result.reason.contains("command-output-kb"),
            "{}",
            result.reason
        );
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
