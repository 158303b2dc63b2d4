//! The prompt registry: immutable, hashed versions of each prompt, a gated status lifecycle,
//! one-command rollback, and governance checks. [`Registry`] is the entry point.
//!
//! A registry is a directory (default `registry/` at the project root) with one JSON file per
//! prompt ([`PromptRecord`]), committed with the suites. Each [`PromptVersion`] stores every file
//! of the prompt byte for byte, so rollback and rendering never need git. Versions move through
//! the [`lifecycle`] (draft → testing → staging → production → archived); staging and production
//! require passing [`Evidence`] for the exact content hash. Applications resolve a version with
//! [`Registry::production`] or from an exported [`Bundle`] and render it from the stored files.
//!
//! Every write holds the registry lock and replaces files atomically; a registry file that does
//! not parse is reported with its `file:line:col` and never rewritten.

mod error;
mod evidence;
mod inspect;
pub mod lifecycle;
mod model;
mod ops;
mod render;
mod store;

pub use error::{Location, RegistryError, RegistryErrorKind};
pub use evidence::{Report, ReportCase, ReportRun, ReportSuite, gate};
pub use inspect::{
    CheckProblem, CheckReport, LiveState, PromptStatus, Selector, ShownVersion, StatusReport,
    Unreadable, VersionDiff, Which,
};
pub use lifecycle::{Action, Status};
pub use model::{
    CaseResult, Evidence, FORMAT_VERSION, HistoryEntry, Outcome, PromptRecord, PromptVersion,
    StoredFile,
};
pub use ops::{
    AttachedEvidence, Bump, Expected, NewOutcome, NewVersion, NewWarning, PromoteOutcome,
    RecordOutcome, RollbackOutcome, UnmatchedSuite,
};
pub use render::{Bundle, BundleFile, BundlePrompt, Export, RenderedPrompt, ResolvedPrompt};
pub use semver::Version;
pub use store::{DEFAULT_DIR, LOCK_FILE, Registry, RegistryLock, valid_id};
