//! The prompt registry: immutable, hashed versions of each prompt, a gated status lifecycle,
//! one-command rollback, and governance checks. [`Registry`] is the entry point, and this
//! module is promptci's public library API.
//!
//! A registry is a directory (default `registry/` at the project root) with one JSON file per
//! prompt, committed with the suites. Each version stores every file of the prompt byte for
//! byte, so rollback and rendering never need git. Versions move through the lifecycle (draft →
//! testing → staging → production → archived, see [`Status`]); staging and production require
//! passing evidence for the exact content hash, read from run reports through the results
//! model. Applications resolve a version with [`Registry::production`],
//! [`Registry::staging`] or [`Registry::resolve`], or from an exported [`Bundle`], and render it
//! from the stored files ([`ResolvedPrompt::render`]).
//!
//! The registry reads results; it never runs a suite. Every write (`new_version`, `record`,
//! `promote_expecting`, `rollback`, one file each) holds the registry lock and replaces files
//! atomically; a registry file that does not parse is reported with its `file:line:col` and
//! never rewritten.

mod error;
mod evidence;
mod inspect;
mod lifecycle;
mod model;
mod new_version;
mod promote;
mod record;
mod render;
mod rollback;
mod store;
#[cfg(test)]
mod test_helpers;

pub use error::{Location, RegistryError, RegistryErrorKind};
pub use inspect::{Selector, Which};
pub use lifecycle::Status;
pub use model::StoredFile;
pub use render::{
    Bundle, BundleFile, BundlePrompt, ChatMessage, RenderedChat, RenderedPrompt, ResolvedPrompt,
};
pub use semver::Version;
pub use store::Registry;

pub(crate) use inspect::{CheckProblem, LiveState};
pub(crate) use model::{HistoryEntry, Outcome};
pub(crate) use new_version::{Bump, NewOutcome, NewVersion};
pub(crate) use promote::Expected;
