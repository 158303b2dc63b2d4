//! The registry's read operations on [`Registry`]: `status` ([`PromptStatus`]), `check`
//! ([`CheckReport`]), `history`, `show` (by [`Selector`]) and `diff` ([`VersionDiff`]).

use std::fmt;
use std::path::PathBuf;

use similar::TextDiff;

use super::error::{RegistryError, RegistryErrorKind};
use super::evidence::evidence_gate;
use super::lifecycle::Status;
use super::model::{HistoryEntry, PromptRecord, PromptVersion, StoredFile};
use super::store::Registry;

/// Which version of a prompt to pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    /// The production version if there is one, else the highest version.
    Current,
    /// This exact version.
    Version(semver::Version),
    /// The version with this status (production or staging; for others, the highest).
    Status(Status),
}

/// A prompt id and which of its versions: `ID`, `ID@1.2.3`, `ID@production`, `ID@staging`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The prompt id.
    pub id: String,
    /// Which version.
    pub which: Which,
}

impl Selector {
    /// Parses `ID`, `ID@VERSION`, or `ID@STATUS`.
    ///
    /// # Errors
    ///
    /// Fails when the part after `@` is neither a semantic version nor a status name.
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        let bad = || {
            RegistryError::new(
                "cannot select a version",
                RegistryErrorKind::BadSelector {
                    selector: text.to_owned(),
                },
            )
        };
        let (id, which) = match text.split_once('@') {
            None => (text, Which::Current),
            Some((id, rest)) => {
                let which = if let Some(status) = Status::parse(rest) {
                    Which::Status(status)
                } else {
                    Which::Version(semver::Version::parse(rest).map_err(|_| bad())?)
                };
                (id, which)
            }
        };
        if id.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            id: id.to_owned(),
            which,
        })
    }
}

impl Which {
    /// Parses `VERSION` or `STATUS` (the part after `@` in a selector).
    ///
    /// # Errors
    ///
    /// Fails when `text` is neither a semantic version nor a status name.
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        Selector::parse(&format!("x@{text}")).map(|s| s.which)
    }

    /// Picks the version of `record` this selects.
    ///
    /// # Errors
    ///
    /// Fails when the prompt has no such version.
    pub(crate) fn pick<'r>(
        &self,
        record: &'r PromptRecord,
    ) -> Result<&'r PromptVersion, RegistryErrorKind> {
        let id = record.id.clone();
        match self {
            Self::Current => record
                .with_status(Status::Production)
                .or_else(|| record.latest())
                .ok_or(RegistryErrorKind::NoVersionWithStatus {
                    id,
                    status: Status::Draft,
                }),
            Self::Version(version) => {
                record
                    .version(version)
                    .ok_or(RegistryErrorKind::UnknownVersion {
                        id,
                        version: version.to_string(),
                    })
            }
            Self::Status(status) => {
                record
                    .with_status(*status)
                    .ok_or(RegistryErrorKind::NoVersionWithStatus {
                        id,
                        status: *status,
                    })
            }
        }
    }
}

impl fmt::Display for Which {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Current => f.write_str("current"),
            Self::Version(version) => write!(f, "{version}"),
            Self::Status(status) => write!(f, "{status}"),
        }
    }
}

/// How a prompt's live template relates to its versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LiveState {
    /// The live files equal this version's stored files.
    Matches {
        /// The matching version.
        version: semver::Version,
        /// Its status.
        status: Status,
    },
    /// The live files match no version: the template was edited without `registry new`.
    Unversioned,
    /// The live files could not be read.
    Unreadable {
        /// Why.
        message: String,
    },
}

/// One prompt's row in `registry status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PromptStatus {
    /// The prompt id.
    pub(crate) id: String,
    /// The entry template, relative to the project root.
    pub(crate) template: String,
    /// The live files' content hash, when they could be read.
    pub(crate) live_hash: Option<String>,
    /// How the live files relate to the versions.
    pub(crate) live: LiveState,
    /// The production version.
    pub(crate) production: Option<semver::Version>,
    /// The staging version.
    pub(crate) staging: Option<semver::Version>,
    /// The highest version.
    pub(crate) latest: Option<semver::Version>,
    /// Draft and testing versions with no evidence at all.
    pub(crate) untested: Vec<semver::Version>,
}

/// A registry file that could not be read, in `status` and `check`.
#[derive(Debug)]
pub(crate) struct Unreadable {
    /// The registry file.
    pub(crate) path: PathBuf,
    /// Why (with `file:line:col` for a parse error).
    pub(crate) error: RegistryError,
}

/// `registry status`: every prompt's row, and the registry files that could not be read.
#[derive(Debug)]
pub(crate) struct StatusReport {
    /// One row per readable prompt, sorted by id.
    pub(crate) prompts: Vec<PromptStatus>,
    /// Registry files that could not be read.
    pub(crate) unreadable: Vec<Unreadable>,
}

/// One governance problem found by `registry check`.
#[derive(Debug)]
pub(crate) enum CheckProblem {
    /// The live template matches no registered version.
    UnversionedEdit {
        /// The prompt.
        id: String,
        /// Its template path.
        template: String,
        /// The live content hash.
        live_hash: String,
    },
    /// The live template could not be read.
    TemplateUnreadable {
        /// The prompt.
        id: String,
        /// Its template path.
        template: String,
        /// Why.
        message: String,
    },
    /// A version's stored files do not hash to its recorded content hash.
    HashMismatch {
        /// The prompt.
        id: String,
        /// The version.
        version: semver::Version,
        /// The recorded hash.
        recorded: String,
        /// The hash of the stored files.
        computed: String,
    },
    /// The production version has no passing evidence on its target.
    ProductionWithoutEvidence {
        /// The prompt.
        id: String,
        /// The version.
        version: semver::Version,
        /// What the evidence showed.
        detail: String,
    },
    /// A rollback was stopped while it wrote the template files.
    RollbackUnfinished {
        /// The prompt.
        id: String,
        /// The version it was restoring.
        version: semver::Version,
    },
    /// A registry file could not be read.
    Unreadable(Unreadable),
}

impl fmt::Display for CheckProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnversionedEdit {
                id,
                template,
                live_hash,
            } => write!(
                f,
                "`{id}` was edited without a new version (`{template}` is `{live_hash}`): run `promptci registry new {id} --bump patch --changelog \"…\"`"
            ),
            Self::TemplateUnreadable {
                id,
                template,
                message,
            } => write!(
                f,
                "`{id}`: cannot read its template `{template}` ({message}): restore it with `promptci registry rollback {id}` or `git checkout -- {template}`"
            ),
            Self::HashMismatch {
                id,
                version,
                recorded,
                computed,
            } => write!(
                f,
                "`{id}` {version}: stored content hashes to `{computed}` but the version records `{recorded}`: versions are immutable; restore the registry file with git"
            ),
            Self::ProductionWithoutEvidence {
                id,
                version,
                detail,
            } => write!(
                f,
                "`{id}` {version} is in production without passing evidence ({detail}): run `promptci run --json report.json` and `promptci registry record report.json`"
            ),
            Self::RollbackUnfinished { id, version } => write!(
                f,
                "`{id}`: a rollback to {version} was stopped while it wrote the template files, which may match no version: run `promptci registry rollback {id}` to finish it"
            ),
            Self::Unreadable(unreadable) => write!(f, "{}", unreadable.error.chain()),
        }
    }
}

/// `registry check`: the governance problems found; an empty list passes.
#[derive(Debug)]
pub(crate) struct CheckReport {
    /// The problems found.
    pub(crate) problems: Vec<CheckProblem>,
}

impl CheckReport {
    /// Returns whether governance passed.
    #[must_use]
    pub(crate) fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A version as `registry show` presents it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShownVersion {
    /// The prompt id.
    pub(crate) id: String,
    /// The template the prompt tracks.
    pub(crate) template: String,
    /// The version, with its files and evidence.
    pub(crate) version: PromptVersion,
}

/// `registry diff`: a unified diff of two versions' stored files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionDiff {
    /// The prompt id.
    pub(crate) id: String,
    /// The old side.
    pub(crate) from: semver::Version,
    /// The new side.
    pub(crate) to: semver::Version,
    /// The unified diff, file by file; empty when the contents are equal.
    pub(crate) unified: String,
}

/// Every readable prompt with its status row, and the registry files that could not be read.
type Scan = (Vec<(PromptRecord, PromptStatus)>, Vec<Unreadable>);

impl Registry {
    /// Reads every prompt and compares its live template with its versions.
    ///
    /// # Errors
    ///
    /// Fails only when the registry directory cannot be listed; unreadable files are listed in
    /// the report.
    pub(crate) fn status(&self) -> Result<StatusReport, RegistryError> {
        let (rows, unreadable) = self.scan()?;
        Ok(StatusReport {
            prompts: rows.into_iter().map(|(_, row)| row).collect(),
            unreadable,
        })
    }

    /// Reads every prompt file once: the readable records with their status rows, and the rest.
    fn scan(&self) -> Result<Scan, RegistryError> {
        let mut rows = Vec::new();
        let mut unreadable = Vec::new();
        for id in self.ids()? {
            let record = match self.load(&id) {
                Ok(record) => record,
                Err(error) => {
                    unreadable.push(Unreadable {
                        path: self.display_path(&self.prompt_path(&id)),
                        error,
                    });
                    continue;
                }
            };
            let (live_hash, live) = match self.live_files(&record) {
                Ok(files) => {
                    let hash = files.content_hash();
                    let live = record.by_hash(&hash).map_or(LiveState::Unversioned, |v| {
                        LiveState::Matches {
                            version: v.version.clone(),
                            status: v.status,
                        }
                    });
                    (Some(hash), live)
                }
                Err(kind) => (
                    None,
                    LiveState::Unreadable {
                        message: error_text(&kind),
                    },
                ),
            };
            let mut untested: Vec<semver::Version> = record
                .versions
                .iter()
                .filter(|v| {
                    matches!(v.status, Status::Draft | Status::Testing) && v.evidence.is_empty()
                })
                .map(|v| v.version.clone())
                .collect();
            untested.sort();
            let row = PromptStatus {
                id: record.id.clone(),
                template: record.template.clone(),
                live_hash,
                live,
                production: record
                    .with_status(Status::Production)
                    .map(|v| v.version.clone()),
                staging: record
                    .with_status(Status::Staging)
                    .map(|v| v.version.clone()),
                latest: record.latest().map(|v| v.version.clone()),
                untested,
            };
            rows.push((record, row));
        }
        Ok((rows, unreadable))
    }

    /// Checks governance: every live template matches a version, every version's content
    /// matches its hash, and every production version has passing evidence.
    ///
    /// # Errors
    ///
    /// Fails only when the registry directory cannot be listed; every other problem is in the
    /// report.
    pub(crate) fn check(&self) -> Result<CheckReport, RegistryError> {
        let (rows, unreadable) = self.scan()?;
        let mut problems: Vec<CheckProblem> = unreadable
            .into_iter()
            .map(CheckProblem::Unreadable)
            .collect();
        for (record, row) in &rows {
            if let Some(version) = &record.rollback_in_progress {
                problems.push(CheckProblem::RollbackUnfinished {
                    id: record.id.clone(),
                    version: version.clone(),
                });
            }
            match &row.live {
                // Half-restored files are the unfinished rollback's, reported above.
                LiveState::Unversioned if record.rollback_in_progress.is_some() => {}
                LiveState::Matches { .. } => {}
                LiveState::Unversioned => problems.push(CheckProblem::UnversionedEdit {
                    id: row.id.clone(),
                    template: row.template.clone(),
                    live_hash: row.live_hash.clone().unwrap_or_default(),
                }),
                LiveState::Unreadable { message } => {
                    problems.push(CheckProblem::TemplateUnreadable {
                        id: row.id.clone(),
                        template: row.template.clone(),
                        message: message.clone(),
                    });
                }
            }
            for version in &record.versions {
                let computed = version.computed_hash();
                if computed != version.content_hash {
                    problems.push(CheckProblem::HashMismatch {
                        id: record.id.clone(),
                        version: version.version.clone(),
                        recorded: version.content_hash.clone(),
                        computed,
                    });
                }
                if version.status == Status::Production
                    // Whoever promoted it accepted partial evidence knowingly (`--allow-partial`).
                    && let Err(detail) = evidence_gate(version, true)
                {
                    problems.push(CheckProblem::ProductionWithoutEvidence {
                        id: record.id.clone(),
                        version: version.version.clone(),
                        detail,
                    });
                }
            }
        }
        Ok(CheckReport { problems })
    }

    /// Returns prompt `id`'s status changes, oldest first.
    ///
    /// # Errors
    ///
    /// Fails when the prompt's file cannot be read.
    pub(crate) fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, RegistryError> {
        Ok(self.load(id)?.history)
    }

    /// Returns the selected version with its files, evidence and status.
    ///
    /// # Errors
    ///
    /// Fails when the prompt's file cannot be read or has no such version.
    pub(crate) fn show(&self, selector: &Selector) -> Result<ShownVersion, RegistryError> {
        let record = self.load(&selector.id)?;
        let version = selector
            .which
            .pick(&record)
            .map_err(|kind| RegistryError::new(format!("cannot show `{}`", selector.id), kind))?;
        Ok(ShownVersion {
            id: record.id.clone(),
            template: record.template.clone(),
            version: version.clone(),
        })
    }

    /// Returns a unified diff of the stored files of two versions of prompt `id`.
    ///
    /// # Errors
    ///
    /// Fails when the prompt's file cannot be read or either version does not exist.
    pub(crate) fn diff(
        &self,
        id: &str,
        from: &Which,
        to: &Which,
    ) -> Result<VersionDiff, RegistryError> {
        let record = self.load(id)?;
        let context = || format!("cannot diff `{id}` {from} and {to}");
        let old = from
            .pick(&record)
            .map_err(|kind| RegistryError::new(context(), kind))?;
        let new = to
            .pick(&record)
            .map_err(|kind| RegistryError::new(context(), kind))?;
        Ok(VersionDiff {
            id: id.to_owned(),
            from: old.version.clone(),
            to: new.version.clone(),
            unified: unified_diff(old, new),
        })
    }
}

/// Diffs two versions file by file: the entry first, then the other names in order.
fn unified_diff(old: &PromptVersion, new: &PromptVersion) -> String {
    let mut names: Vec<&str> = Vec::new();
    for file in old.files.iter().chain(&new.files) {
        if !names.contains(&file.name.as_str()) {
            names.push(&file.name);
        }
    }
    let find = |files: &[StoredFile], name: &str| {
        files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.text.clone())
    };
    let mut out = String::new();
    for name in names {
        let before = find(&old.files, name);
        let after = find(&new.files, name);
        if before == after {
            continue;
        }
        let a = before.as_ref().map_or_else(
            || "/dev/null".to_owned(),
            |_| format!("a/{name}@{}", old.version),
        );
        let b = after.as_ref().map_or_else(
            || "/dev/null".to_owned(),
            |_| format!("b/{name}@{}", new.version),
        );
        let before = before.unwrap_or_default();
        let after = after.unwrap_or_default();
        let diff = TextDiff::from_lines(&before, &after);
        out.push_str(&diff.unified_diff().header(&a, &b).to_string());
    }
    out
}

/// Renders an error kind with its causes, for a status row.
fn error_text(kind: &RegistryErrorKind) -> String {
    let mut out = kind.to_string();
    let mut source = std::error::Error::source(kind);
    while let Some(err) = source {
        out.push_str(": ");
        out.push_str(&err.to_string());
        source = err.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::test_helpers::{ID, Project, TEMPLATE};
    use crate::registry::{Bump, CheckProblem, Selector, Which};

    #[test]
    fn selectors_parse() {
        assert_eq!(
            Selector::parse("p").expect("bare"),
            Selector {
                id: "p".into(),
                which: Which::Current
            }
        );
        assert_eq!(
            Selector::parse("p@1.2.3").expect("version").which,
            Which::Version(semver::Version::new(1, 2, 3))
        );
        assert_eq!(
            Selector::parse("p@staging").expect("status").which,
            Which::Status(Status::Staging)
        );
        for bad in ["p@latest!", "@1.0.0", "p@1.0"] {
            let err = Selector::parse(bad).expect_err(bad);
            assert!(
                err.chain().contains("not a version selector"),
                "{}",
                err.chain()
            );
        }
    }

    #[test]
    fn diff_shows_stored_changes() {
        let p = Project::new();
        p.new_version(Bump::Major, "first", 10);
        p.write(
            TEMPLATE,
            "You are a support agent for {{ company }}.\nBe brief.\n{% include \"footer.j2\" %}\n",
        );
        p.new_version(Bump::Minor, "brief", 10);
        let diff = p
            .registry
            .diff(
                ID,
                &Which::parse("1.0.0").expect("which"),
                &Which::parse("1.1.0").expect("which"),
            )
            .expect("diff");
        assert!(
            diff.unified
                .starts_with("--- a/system.j2@1.0.0\n+++ b/system.j2@1.1.0\n"),
            "{}",
            diff.unified
        );
        assert!(diff.unified.contains("\n+Be brief.\n"), "{}", diff.unified);
        assert!(
            !diff.unified.contains("footer.j2@"),
            "unchanged files are left out:\n{}",
            diff.unified
        );
        let same = p
            .registry
            .diff(ID, &Which::Current, &Which::parse("1.1.0").expect("which"))
            .expect("diff");
        assert!(same.unified.is_empty());
    }

    #[test]
    fn tampered_content_fails_check_and_is_never_served() {
        let p = Project::new();
        p.released(1, Bump::Major, "first");
        let path = p.registry.prompt_path(ID);
        let text = std::fs::read_to_string(&path)
            .expect("read")
            .replace("Be kind.", "Be rude.");
        std::fs::write(&path, text).expect("tamper");
        p.write(
            "suites/support/footer.j2",
            "Be rude.\r\n\tThanks — 🙂 naïve 日本語",
        );
        let check = p.registry.check().expect("check");
        assert!(
            check
                .problems
                .iter()
                .any(|c| matches!(c, CheckProblem::HashMismatch { .. })),
            "{:?}",
            check.problems
        );
        assert!(p.registry.production(ID).is_err());
        assert!(p.registry.export(Status::Production).is_err());
    }

    #[test]
    fn production_without_evidence_fails_check() {
        let p = Project::new();
        p.new_version(Bump::Major, "first", 10);
        let path = p.registry.prompt_path(ID);
        let text = std::fs::read_to_string(&path)
            .expect("read")
            .replace("\"status\": \"draft\"", "\"status\": \"production\"");
        std::fs::write(&path, text).expect("hand edit");
        let check = p.registry.check().expect("check");
        assert_eq!(check.problems.len(), 1);
        assert!(
            check.problems[0]
                .to_string()
                .contains("in production without passing evidence"),
            "{}",
            check.problems[0]
        );
    }
}
