//! [`StopSignal`]: the signals that stop a run — Ctrl-C (`INT`), `TERM` and `HUP` — and
//! [`StopWatcher`], which turns the first into a graceful stop and the second into an
//! immediate exit.
//!
//! CI runners, `timeout` and closed terminals send `TERM` or `HUP` rather than `INT`, so all
//! three are handled alike: the first stops the run (cases in flight are abandoned, running
//! `command` judges are killed with their process groups, reports are still written) and the
//! process exits with 128 plus the signal's number. A second signal exits at once, after
//! removing the temporary files of report writes still in progress.

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

use crate::error::exit_code;

/// A signal that stops a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopSignal {
    /// `SIGINT`: Ctrl-C.
    Interrupt,
    /// `SIGTERM`: CI runners cancelling a job, `timeout`, `kill`.
    Terminate,
    /// `SIGHUP`: the terminal closed.
    HangUp,
}

impl StopSignal {
    /// Returns the process exit code after this signal: 128 plus its number, as a shell
    /// reports a process the signal killed.
    #[must_use]
    pub(crate) fn exit_code(self) -> i32 {
        match self {
            Self::Interrupt => exit_code::INTERRUPTED,
            Self::Terminate => exit_code::TERMINATED,
            Self::HangUp => exit_code::HUNG_UP,
        }
    }
}

/// Watches for stop signals while a run and its report writes go on; dropping the runtime
/// it was started on ends the watching. Clones see the same signals.
#[derive(Debug, Clone)]
pub(crate) struct StopWatcher {
    first: watch::Receiver<Option<StopSignal>>,
}

impl StopWatcher {
    /// Starts watching on the current tokio runtime. From now on the three signals no longer
    /// end the process by default: the first is recorded (see [`stopped`](Self::stopped)),
    /// the second exits.
    pub(crate) fn start() -> std::io::Result<Self> {
        let mut signals = Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hang_up: signal(SignalKind::hangup())?,
        };
        let (sender, first) = watch::channel(None);
        tokio::spawn(async move {
            let Some(received) = signals.next().await else {
                return;
            };
            // Judges are plain processes: nothing else would stop them, and the runner
            // cannot see the signal while a judge blocks the task that runs it.
            crate::assert::stop_commands();
            sender.send_replace(Some(received));
            if let Some(again) = signals.next().await {
                crate::util::file::remove_temporary_files();
                std::process::exit(again.exit_code());
            }
        });
        Ok(Self { first })
    }

    /// Returns the first stop signal, when one arrived.
    #[must_use]
    pub(crate) fn received(&self) -> Option<StopSignal> {
        *self.first.borrow()
    }

    /// Resolves when the first stop signal arrives, with that signal.
    pub(crate) async fn stopped(&mut self) -> StopSignal {
        match self.first.wait_for(Option::is_some).await {
            Ok(received) => received.expect("`wait_for` returns a value that is `Some`"),
            // The watching task is gone only with its runtime: no signal will come.
            Err(_) => std::future::pending().await,
        }
    }
}

/// The signal streams, polled together.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hang_up: Signal,
}

impl Signals {
    /// Returns the next stop signal, or `None` when the streams ended.
    async fn next(&mut self) -> Option<StopSignal> {
        tokio::select! {
            received = self.interrupt.recv() => received.map(|()| StopSignal::Interrupt),
            received = self.terminate.recv() => received.map(|()| StopSignal::Terminate),
            received = self.hang_up.recv() => received.map(|()| StopSignal::HangUp),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal_number() {
        assert_eq!(StopSignal::Interrupt.exit_code(), 128 + 2);
        assert_eq!(StopSignal::Terminate.exit_code(), 128 + 15);
        assert_eq!(StopSignal::HangUp.exit_code(), 128 + 1);
    }
}
