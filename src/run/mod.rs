//! Running a plan: [`execute`] sends cases concurrently through the providers and hands a
//! [`CaseResult`](crate::results::CaseResult) per case to its caller as the case finishes
//! ([`execute_collected`] gathers them in plan order for small workloads); a repeated case's
//! attempts are sent and combined by `repeat`. With `provider`, the only async code: `execute`
//! owns its tokio runtime and is synchronous to its callers.

mod breaker;
mod dispatch;
mod judge;
mod limits;
mod pairwise;
mod repeat;
mod retry;
mod runner;
mod stop;

pub(crate) use pairwise::{PairToJudge, judge_pairs};
pub(crate) use runner::{RunOptions, RunOutcome, execute, execute_collected};
