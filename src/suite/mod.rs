//! Suite files: discovery, parsing with spans, and validation into a [`Suite`].
//!
//! The main type is [`Suite`]: a validated suite file whose cases know their line, whose
//! assertions are compiled, and whose template is resolved.

mod data;
mod discover;
mod load;
mod model;
mod probes;
mod yaml;

pub use discover::discover;
pub use load::{
    Case, Conversation, MAX_REPEAT, RepeatSettings, Suite, SuitePrompt, display_name, load_suite,
};
pub use model::{ASSERTION_KINDS, AssertionSpec, OneOrMany, RawBudget, RawSuite, Role, Skip, Vars};
pub use probes::{FamilySelection, RawProbes};
pub use yaml::{parse_yaml, span_start};
