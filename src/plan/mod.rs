//! The plan: every selected case of every suite, rendered and ordered, with a stable id — the
//! [`TestPlan`] every later stage reads.
//!
//! Building it renders each case ([`build`]), generates the probe cases suites opt into
//! ([`probe`]), resolves each case's [`RepeatPolicy`], and cuts it into shards for CI matrix
//! jobs ([`shard`]). Nothing here sends a request.

mod judge_prompt;
mod judges;
mod probe;
mod repeat_policy;
mod shard;
mod stream;
mod test_plan;

pub(crate) use judge_prompt::{JudgeContext, JudgeKind, JudgePrompt};
pub(crate) use judges::{JudgeLeaf, JudgeResolver};
pub(crate) use probe::Probe;
pub(crate) use repeat_policy::{DEFAULT_CONFIDENCE, RepeatPolicy};
pub(crate) use shard::Shard;
pub(crate) use stream::{PlannedSuites, StreamedPlan, plan_each};
pub(crate) use test_plan::{PlanOptions, TestInstance, TestPlan, build, case_id, render_prompt};
