//! Running a plan: [`execute`] sends cases concurrently and returns a [`CaseResult`] per case.

mod breaker;
mod dispatch;
mod limits;
mod outcome;
mod retry;
mod runner;

pub use dispatch::UNREACHABLE;
pub use outcome::{ANSWER_LIMIT, CaseError, CaseResult, Status};
pub use runner::{FAIL_FAST_REASON, INTERRUPTED_REASON, RunOptions, RunOutcome, execute};
