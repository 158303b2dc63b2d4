//! Suite files: discovery, parsing with spans, and validation into a [`Suite`].
//!
//! The main type is [`Suite`]: a validated suite file whose cases know their line, whose
//! assertions are compiled, and whose template is resolved.

mod discover;
mod load;
mod model;
mod probes;

pub(crate) use discover::discover;
pub(crate) use load::{Case, Conversation, RepeatSettings, Suite, for_each_suite, load_suites};
pub(crate) use model::Vars;
