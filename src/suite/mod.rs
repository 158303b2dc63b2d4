//! Suite files: discovery, parsing with spans, and validation into a [`Suite`].
//!
//! The main type is [`Suite`]: a validated suite file whose cases know their line, whose
//! assertions are compiled, and whose template is resolved.

mod data;
mod data_source;
mod discover;
mod examples;
mod load;
mod model;
mod probes;
mod warnings;

pub(crate) use discover::discover;
pub(crate) use examples::{ExampleFile, load_examples};
pub(crate) use load::{
    Case, Conversation, PromptShape, RepeatSettings, Suite, SuitePrompt, for_each_suite,
    load_suite, load_suites, reload_suite,
};
pub(crate) use model::{PromptRole, RawSuite, Vars};
