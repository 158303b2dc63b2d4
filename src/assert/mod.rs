//! Assertions: pure judges of model answers.
//!
//! The main type is [`Assertion`], compiled from a suite's
//! [`AssertionSpec`](crate::assert::AssertionSpec); [`Assertion::evaluate`] takes an answer and
//! returns an [`AssertionResult`] with a specific reason. Only `command` does I/O.

mod assertion;
mod command;
pub(crate) mod detect;
pub(crate) mod encoding;
mod json;
mod probe;
mod spec;
mod text;

pub use assertion::{Assertion, AssertionResult, CompileContext, Compiled};
pub use probe::{LEAK_NGRAMS, ProbeCheck};
pub use spec::{ASSERTION_KINDS, AssertionSpec, OneOrMany};
