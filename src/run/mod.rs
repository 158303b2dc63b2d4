//! Running a plan: [`execute`] sends cases concurrently and returns a [`CaseResult`] per case;
//! [`run_repeated`] sends a repeated case's attempts and combines them.

mod breaker;
mod dispatch;
mod limits;
mod outcome;
mod repeat;
mod retry;
mod runner;

pub use dispatch::UNREACHABLE;
pub use outcome::{ANSWER_LIMIT, CaseError, CaseResult, Status};
pub use repeat::{Flakiness, RepeatRecord, combine, run_repeated};
pub use runner::{FAIL_FAST_REASON, INTERRUPTED_REASON, RunOptions, RunOutcome, execute};
