//! Suite files: discovery, parsing with spans, and validation into a [`Suite`].
//!
//! The main type is [`Suite`]: a validated suite file whose cases know their line, whose
//! assertions are compiled, and whose template is resolved.

mod discover;
mod load;
mod model;
mod probes;

pub use discover::discover;
pub use load::{
    Case, Conversation, MAX_REPEAT, RepeatSettings, Suite, SuitePrompt, load_suite, load_suites,
};
pub use model::{RawSuite, Skip, Vars};
pub use probes::{FamilySelection, RawProbes};
