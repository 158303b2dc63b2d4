//! The plan: every selected case of every suite, rendered and ordered, with a stable id — the
//! [`TestPlan`] every later stage reads.
//!
//! Building it renders each case ([`build`]), generates the probe cases suites opt into
//! ([`probe`]), resolves each case's [`RepeatPolicy`], and cuts it into shards for CI matrix
//! jobs ([`shard`]). Nothing here sends a request.

mod probe;
mod repeat_policy;
mod shard;
mod test_plan;

pub use probe::{PROBE_TAG, Probe, ProbeCase, generate, planted};
pub use repeat_policy::{DEFAULT_CONFIDENCE, DEFAULT_PASS_RATE, RepeatPolicy};
pub use shard::{PlanShard, Shard};
pub use test_plan::{PlanOptions, PlannedSuite, TestInstance, TestPlan, build, case_id};
