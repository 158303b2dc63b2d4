//! Assertions: pure judges of model answers.
//!
//! The main type is [`Assertion`], compiled from a suite's [`AssertionSpec`];
//! [`Assertion::evaluate`] takes an answer and returns an [`AssertionResult`] with a specific
//! reason. Generated probe cases are judged by [`ProbeCheck`]s, which use the deterministic
//! detectors in [`detect`] (nonces, canaries and leaks, verbatim or decoded through
//! [`encoding`]). Only `command` does I/O.

mod assertion;
mod assertion_template;
mod command;
pub(crate) mod detect;
pub(crate) mod encoding;
mod json;
pub(crate) mod judge;
pub(crate) mod probe;
mod spec;
mod templated;
mod text;

pub(crate) use assertion::{Assertion, AssertionResult, CompileContext, Compiled};
pub(crate) use assertion_template::{AssertionTemplate, Cell};
pub(crate) use command::{CommandLimits, set_command_limits, stop_commands};
pub(crate) use probe::ProbeCheck;
pub(crate) use spec::{AssertionSpec, OneOrMany};
