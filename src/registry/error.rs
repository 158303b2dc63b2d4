//! Registry errors: [`RegistryError`] says what was being done, its [`RegistryErrorKind`] says why it failed.

use std::fmt;
use std::path::{Path, PathBuf};

use super::lifecycle::Status;

/// An error from a registry operation: what was being done, with the reason as its source.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct RegistryError {
    context: String,
    #[source]
    kind: Box<RegistryErrorKind>,
}

impl RegistryError {
    /// Creates an error from what was being done and why it failed.
    pub(crate) fn new(context: impl Into<String>, kind: RegistryErrorKind) -> Self {
        Self {
            context: context.into(),
            kind: Box::new(kind),
        }
    }

    /// Returns what was being done when the error happened.
    #[must_use]
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Returns why the operation failed.
    #[must_use]
    pub fn kind(&self) -> &RegistryErrorKind {
        &self.kind
    }

    /// Returns why the operation failed, consuming the error.
    #[must_use]
    pub fn into_kind(self) -> Box<RegistryErrorKind> {
        self.kind
    }

    /// Returns the context and every cause on one line, separated by `: ` (for logs and tests).
    #[must_use]
    pub fn chain(&self) -> String {
        let mut out = self.context.clone();
        let mut source: Option<&dyn std::error::Error> = Some(&*self.kind);
        while let Some(err) = source {
            out.push_str(": ");
            out.push_str(&err.to_string());
            source = err.source();
        }
        out
    }
}

/// A place in a registry file: its path and a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryErrorKind {
    /// A file could not be read or written.
    #[error("i/o error on `{}`", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A registry file is not valid JSON or does not have the registry's shape; it is left as is.
    #[error(
        "`{location}` is not a valid registry file: {message}; it was not rewritten: fix it by hand or restore it with `git checkout -- {}`",
        .location.path.display()
    )]
    Corrupt {
        /// Where the problem is.
        location: Location,
        /// What the parser found.
        message: String,
    },
    /// A registry file parses but breaks an invariant (for example two production versions).
    #[error("`{}` is inconsistent: {reason}; fix it by hand, then run `promptci registry check`", .path.display())]
    Inconsistent {
        /// The file.
        path: PathBuf,
        /// The broken invariant.
        reason: String,
    },
    /// A prompt id cannot name a registry file.
    #[error("`{id}` is not a valid prompt id: use letters, digits, `_`, `-` and `.` (not first)")]
    InvalidId {
        /// The rejected id.
        id: String,
    },
    /// No prompt has this id.
    #[error("no prompt `{id}` in the registry: run `promptci registry status` to list prompts")]
    UnknownPrompt {
        /// The id asked for.
        id: String,
    },
    /// The prompt has no such version.
    #[error(
        "`{id}` has no version `{version}`: run `promptci registry history {id}` to list versions"
    )]
    UnknownVersion {
        /// The prompt.
        id: String,
        /// The version asked for.
        version: String,
    },
    /// The prompt has no version in this status.
    #[error(
        "`{id}` has no {status} version: run `promptci registry status` to see every version's status"
    )]
    NoVersionWithStatus {
        /// The prompt.
        id: String,
        /// The status asked for.
        status: Status,
    },
    /// A version selector could not be parsed.
    #[error(
        "`{selector}` is not a version selector: use `ID`, `ID@1.2.3`, `ID@production` or `ID@staging`"
    )]
    BadSelector {
        /// The rejected selector.
        selector: String,
    },
    /// The status change is not in the lifecycle table.
    #[error("`{id}` {version} cannot go from {from} to {to}: {hint}")]
    IllegalTransition {
        /// The prompt.
        id: String,
        /// The version.
        version: String,
        /// Its current status.
        from: Status,
        /// The status asked for.
        to: Status,
        /// What is allowed instead.
        hint: String,
    },
    /// The version already has the status asked for (typically another promotion won the race).
    #[error(
        "`{id}` {version} is already {status}: nothing to do; run `promptci registry status` to see the current state"
    )]
    AlreadyInStatus {
        /// The prompt.
        id: String,
        /// The version.
        version: String,
        /// Its status.
        status: Status,
    },
    /// Another version holds the status than the promotion expected (a concurrent promotion).
    #[error(
        "the {status} version of `{id}` is {found}, not {expected} as expected: someone promoted in between; run `promptci registry status` and decide again"
    )]
    UnexpectedHolder {
        /// The prompt.
        id: String,
        /// The status being promoted to.
        status: Status,
        /// The holder the caller expected (`none` for no holder).
        expected: String,
        /// The actual holder (`none` for no holder).
        found: String,
    },
    /// Promotion is gated on passing evidence for the exact content hash.
    #[error(
        "`{id}` {version} has no passing test evidence for content `{content_hash}` on target `{target}` ({detail}): run `promptci run --json report.json` and `promptci registry record report.json`"
    )]
    NoPassingEvidence {
        /// The prompt.
        id: String,
        /// The version.
        version: String,
        /// The version's content hash.
        content_hash: String,
        /// The version's model target.
        target: String,
        /// What the evidence showed.
        detail: String,
    },
    /// A report's run did not test every case of a suite, and partial evidence was not
    /// allowed.
    #[error(
        "the run did not test every case of `{suite}` ({reason}): run the whole suite, or record it anyway with `--allow-partial`"
    )]
    PartialEvidence {
        /// The suite.
        suite: String,
        /// What narrowed the run.
        reason: String,
    },
    /// The live template equals a version already registered.
    #[error(
        "the live template of `{id}` is identical to version {version} (`{content_hash}`): edit the template first, or promote {version}"
    )]
    DuplicateContent {
        /// The prompt.
        id: String,
        /// The version with the same content.
        version: String,
        /// The shared content hash.
        content_hash: String,
    },
    /// A first version needs the template path.
    #[error(
        "`{id}` is not registered yet: pass the template path (relative to the project root) for its first version"
    )]
    TemplateRequired {
        /// The prompt.
        id: String,
    },
    /// The live template files could not be read.
    #[error("cannot read the template of `{id}` at `{}`: check the path, or run `promptci registry rollback {id}` to restore it", .path.display())]
    Template {
        /// The prompt.
        id: String,
        /// The template path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A template file name would escape the template root.
    #[error(
        "template file `{name}` is outside the template root: keep included templates under the template's directory, or set the template root when registering the prompt"
    )]
    UnsafeFileName {
        /// The rejected name.
        name: String,
    },
    /// Another process holds the registry lock for too long.
    #[error("`{}` is held by another promptci process: wait for it, or remove the file if no promptci is running", .path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// There is no earlier production version to roll back to.
    #[error("`{id}` has no earlier production version to roll back to: pass `--to VERSION`")]
    NothingToRollBack {
        /// The prompt.
        id: String,
    },
    /// A rollback target that was never in production.
    #[error(
        "`{id}` {version} was never in production: promote it with `promptci registry promote {id} {version} --to production` instead"
    )]
    NeverInProduction {
        /// The prompt.
        id: String,
        /// The version.
        version: String,
    },
    /// A run report could not be used.
    #[error("`{}` is not a promptci run report: {message}; produce one with `promptci run --json`", .path.display())]
    BadReport {
        /// The report file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A stored version could not be rendered.
    #[error("rendering failed")]
    Render {
        /// The template engine's error.
        #[source]
        source: minijinja::Error,
    },
}

impl RegistryErrorKind {
    /// Creates an I/O error kind for `path`.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
