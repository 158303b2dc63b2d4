//! Model-graded checks: reading graders' answers and deciding verdicts from them, purely.
//!
//! The judge calls themselves go through the scheduler like any request to a target; this
//! module only turns their answers into verdicts ([`parse`], [`votes`], [`embedding`]) and
//! measures a judge against people ([`agreement`]).

pub(crate) mod agreement;
pub(crate) mod embedding;
pub(crate) mod pairwise;
pub(crate) mod parse;
pub(crate) mod votes;
