//! The registry's write operations on [`Registry`]: `new` ([`NewVersion`]), `record`, `promote`
//! and `rollback`, each returning a structured outcome for the host to render.
//!
//! Each one takes the registry lock, re-reads what it changes, checks the state it found (so a
//! racing writer that got there first produces a clear error, not a lost update), and saves
//! atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::error::{RegistryError, RegistryErrorKind};
use super::evidence::{evidence_from, gate, load_report};
use super::lifecycle::{Action, Status, hint, is_legal};
use super::model::{FORMAT_VERSION, HistoryEntry, PromptRecord, PromptVersion, StoredFile};
use super::store::{Registry, safe_relative, valid_id};
use crate::prompt_files::PromptFiles;
use crate::util::file::write_atomic;

/// Which part of the semantic version a new version bumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bump {
    /// `1.2.3` → `2.0.0`.
    Major,
    /// `1.2.3` → `1.3.0`.
    Minor,
    /// `1.2.3` → `1.2.4`.
    Patch,
}

impl Bump {
    /// Returns the version after `previous` (a prompt's first version bumps from `0.0.0`).
    #[must_use]
    pub fn apply(self, previous: &semver::Version) -> semver::Version {
        match self {
            Self::Major => semver::Version::new(previous.major + 1, 0, 0),
            Self::Minor => semver::Version::new(previous.major, previous.minor + 1, 0),
            Self::Patch => semver::Version::new(previous.major, previous.minor, previous.patch + 1),
        }
    }
}

/// What `registry new` snapshots.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// The prompt id.
    pub id: String,
    /// How to derive the version number from the latest version.
    pub bump: Bump,
    /// What changed and why.
    pub changelog: String,
    /// The entry template relative to the project root; required for a prompt's first version,
    /// and must match the registered one after that.
    pub template: Option<String>,
    /// The directory include names are relative to (default: the template's directory); only
    /// used for a prompt's first version.
    pub template_root: Option<String>,
    /// The model target the version is meant for (default: the previous version's, else
    /// `default`).
    pub model_target: Option<String>,
    /// Labels for the version.
    pub tags: Vec<String>,
    /// The token count of the rendered default prompt, measured by the host.
    pub token_count: Option<u64>,
}

impl NewVersion {
    /// Creates a request with no template, target, tags or token count.
    pub fn new(id: impl Into<String>, bump: Bump, changelog: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            bump,
            changelog: changelog.into(),
            template: None,
            template_root: None,
            model_target: None,
            tags: Vec::new(),
            token_count: None,
        }
    }
}

/// Which version a promotion expects to replace in the target status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Whatever holds it (no check).
    Any,
    /// No version holds it.
    Nobody,
    /// This version holds it.
    Version(semver::Version),
}

impl Expected {
    /// Parses `none` or a semantic version.
    ///
    /// # Errors
    ///
    /// Fails when `text` is neither.
    pub fn parse(text: &str) -> Result<Self, semver::Error> {
        if text == "none" {
            Ok(Self::Nobody)
        } else {
            semver::Version::parse(text).map(Self::Version)
        }
    }

    /// Returns whether `holder` (the current holder of the status) is the expected one.
    #[must_use]
    pub fn allows(&self, holder: Option<&semver::Version>) -> bool {
        match self {
            Self::Any => true,
            Self::Nobody => holder.is_none(),
            Self::Version(expected) => holder == Some(expected),
        }
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Any => f.write_str("any"),
            Self::Nobody => f.write_str("none"),
            Self::Version(version) => write!(f, "{version}"),
        }
    }
}

/// A warning from `registry new` that does not stop it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewWarning {
    /// The rendered prompt grew by more than 10% in tokens since the previous latest version.
    TokenGrowth {
        /// The version compared with.
        previous_version: semver::Version,
        /// Its token count.
        previous: u64,
        /// The new token count.
        current: u64,
    },
}

impl std::fmt::Display for NewWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TokenGrowth {
                previous_version,
                previous,
                current,
            } => write!(
                f,
                "the rendered prompt grew from {previous} to {current} tokens since {previous_version} (more than 10%): check the cost and latency budget"
            ),
        }
    }
}

/// What `registry new` created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutcome {
    /// The prompt id.
    pub id: String,
    /// The new version (status draft).
    pub version: semver::Version,
    /// Its content hash.
    pub content_hash: String,
    /// The stored file names, entry first.
    pub files: Vec<String>,
    /// Warnings to show.
    pub warnings: Vec<NewWarning>,
}

/// One suite's evidence attached by `registry record`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedEvidence {
    /// The prompt.
    pub id: String,
    /// The version whose content the suite tested.
    pub version: semver::Version,
    /// The suite file.
    pub suite: String,
    /// The target.
    pub target: String,
    /// Whether the suite passed.
    pub passed: bool,
    /// The status change it caused (a draft becomes testing).
    pub status_change: Option<(Status, Status)>,
}

/// A suite whose content hash matches no registered version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedSuite {
    /// The suite file.
    pub suite: String,
    /// The prompt id the suite declares.
    pub prompt_id: Option<String>,
    /// The content hash it tested, if the report has one.
    pub content_hash: Option<String>,
}

/// What `registry record` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOutcome {
    /// `sha256:<hex>` of the report bytes.
    pub report_digest: String,
    /// Evidence attached.
    pub attached: Vec<AttachedEvidence>,
    /// Suites already recorded from this same report (recording twice changes nothing).
    pub already_recorded: Vec<AttachedEvidence>,
    /// Suites that matched no version: run `registry new` first, then run again.
    pub unmatched: Vec<UnmatchedSuite>,
}

/// What `registry promote` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoteOutcome {
    /// The prompt.
    pub id: String,
    /// The promoted version.
    pub version: semver::Version,
    /// Its previous status.
    pub from: Status,
    /// Its new status.
    pub to: Status,
    /// The version that held the status before and was archived.
    pub superseded: Option<semver::Version>,
    /// The digest of the passing report that allowed a gated promotion.
    pub evidence: Option<String>,
}

/// What `registry rollback` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackOutcome {
    /// The prompt.
    pub id: String,
    /// The production version before (now archived).
    pub from: Option<semver::Version>,
    /// The restored production version.
    pub to: semver::Version,
    /// Its content hash, which the template files now have.
    pub content_hash: String,
    /// The template files written, under the project root.
    pub files_written: Vec<PathBuf>,
}

impl Registry {
    /// Snapshots prompt `request.id`'s live template files as a new draft version.
    ///
    /// # Errors
    ///
    /// Fails when the template cannot be read, the live content equals an existing version,
    /// the prompt is new and no template is given, or the registry cannot be written.
    pub fn new_version(&self, request: &NewVersion) -> Result<NewOutcome, RegistryError> {
        let id = request.id.as_str();
        let context = || format!("cannot create a new version of `{id}`");
        let fail = |kind| RegistryError::new(context(), kind);
        if !valid_id(id) {
            return Err(fail(RegistryErrorKind::InvalidId { id: id.to_owned() }));
        }
        let author = self.author();
        let lock = self.lock()?;
        let mut record = self.record_for_new(request).map_err(fail)?;
        let live = self.live_files(&record).map_err(fail)?;
        if let Some(file) = live.files.iter().find(|f| !safe_relative(&f.name)) {
            return Err(fail(RegistryErrorKind::UnsafeFileName {
                name: file.name.clone(),
            }));
        }
        let content_hash = live.content_hash();
        if let Some(existing) = record.by_hash(&content_hash) {
            return Err(fail(RegistryErrorKind::DuplicateContent {
                id: id.to_owned(),
                version: existing.version.to_string(),
                content_hash,
            }));
        }
        let previous = record.latest().cloned();
        let version = request.bump.apply(
            previous
                .as_ref()
                .map_or(&semver::Version::new(0, 0, 0), |p| &p.version),
        );
        let mut warnings = Vec::new();
        if let Some(prev) = &previous
            && let (Some(before), Some(now)) = (prev.token_count, request.token_count)
            && u128::from(now) * 10 > u128::from(before) * 11
        {
            warnings.push(NewWarning::TokenGrowth {
                previous_version: prev.version.clone(),
                previous: before,
                current: now,
            });
        }
        let now = Timestamp::now();
        record.versions.push(PromptVersion {
            version: version.clone(),
            status: Status::Draft,
            content_hash: content_hash.clone(),
            author: author.clone(),
            created_at: now,
            changelog: request.changelog.clone(),
            model_target: request
                .model_target
                .clone()
                .or_else(|| previous.map(|p| p.model_target))
                .unwrap_or_else(|| "default".to_owned()),
            tags: request.tags.clone(),
            token_count: request.token_count,
            files: live
                .files
                .iter()
                .map(|f| StoredFile {
                    name: f.name.clone(),
                    text: f.text.clone(),
                })
                .collect(),
            evidence: Vec::new(),
        });
        record.history.push(HistoryEntry {
            at: now,
            by: author,
            version: version.clone(),
            from: None,
            to: Status::Draft,
            action: Action::Create,
            reason: request.changelog.clone(),
        });
        self.save(&lock, &record)?;
        Ok(NewOutcome {
            id: id.to_owned(),
            version,
            content_hash,
            files: live.files.into_iter().map(|f| f.name).collect(),
            warnings,
        })
    }

    /// Attaches each suite of the run report at `report_path` to the version whose content hash
    /// it names; a draft that gets evidence becomes testing.
    ///
    /// # Errors
    ///
    /// Fails when the report cannot be read or parsed, or a registry file cannot be read or
    /// written.
    pub fn record(&self, report_path: &Path) -> Result<RecordOutcome, RegistryError> {
        let context = || {
            format!(
                "cannot record `{}`",
                self.display_path(report_path).display()
            )
        };
        let loaded =
            load_report(report_path).map_err(|kind| RegistryError::new(context(), kind))?;
        let author = self.author();
        let lock = self.lock()?;
        let mut records = BTreeMap::new();
        for id in self.ids()? {
            let record = self.load(&id)?;
            records.insert(id, record);
        }
        let mut outcome = RecordOutcome {
            report_digest: loaded.digest.clone(),
            attached: Vec::new(),
            already_recorded: Vec::new(),
            unmatched: Vec::new(),
        };
        let mut changed = Vec::new();
        for suite in &loaded.report.suites {
            // A suite that names a registered prompt is matched only against that prompt, so two
            // prompts that happen to share a template cannot take each other's evidence.
            let declared = suite
                .prompt_id
                .as_ref()
                .filter(|id| records.contains_key(id.as_str()));
            let found = suite.content_hash.as_deref().and_then(|hash| {
                records.iter_mut().find_map(|(id, record)| {
                    if declared.is_some_and(|declared| declared != id) {
                        return None;
                    }
                    let index = record
                        .versions
                        .iter()
                        .position(|v| v.content_hash == hash)?;
                    Some((id.clone(), record, index))
                })
            });
            let (Some(hash), Some((id, record, index))) = (suite.content_hash.as_deref(), found)
            else {
                outcome.unmatched.push(UnmatchedSuite {
                    suite: suite.path.clone(),
                    prompt_id: suite.prompt_id.clone(),
                    content_hash: suite.content_hash.clone(),
                });
                continue;
            };
            let evidence = evidence_from(&loaded, suite, hash, &author);
            let version = &mut record.versions[index];
            let mut attached = AttachedEvidence {
                id: id.clone(),
                version: version.version.clone(),
                suite: suite.path.clone(),
                target: suite.target.clone(),
                passed: evidence.outcome == super::model::Outcome::Pass,
                status_change: None,
            };
            if version
                .evidence
                .iter()
                .any(|e| e.report_digest == evidence.report_digest && e.suite == evidence.suite)
            {
                outcome.already_recorded.push(attached);
                continue;
            }
            version.evidence.push(evidence);
            if version.status == Status::Draft {
                version.status = Status::Testing;
                attached.status_change = Some((Status::Draft, Status::Testing));
                let entry = HistoryEntry {
                    at: Timestamp::now(),
                    by: author.clone(),
                    version: version.version.clone(),
                    from: Some(Status::Draft),
                    to: Status::Testing,
                    action: Action::Record,
                    reason: format!("first evidence recorded from report `{}`", loaded.digest),
                };
                record.history.push(entry);
            }
            outcome.attached.push(attached);
            changed.push(id);
        }
        for (id, record) in &records {
            if changed.contains(id) {
                self.save(&lock, record)?;
            }
        }
        Ok(outcome)
    }

    /// Moves `version` of prompt `id` to `to`, archiving the version that held a staging or
    /// production status before. Staging and production need passing evidence on the version's
    /// exact content hash and model target; `archived` retires the version.
    ///
    /// # Errors
    ///
    /// Fails when the transition is not in the lifecycle table, the version already has the
    /// status (for example because a concurrent promotion won), the evidence does not pass, or
    /// the registry cannot be read or written.
    pub fn promote(
        &self,
        id: &str,
        version: &semver::Version,
        to: Status,
        reason: &str,
    ) -> Result<PromoteOutcome, RegistryError> {
        self.promote_expecting(id, version, to, reason, &Expected::Any)
    }

    /// Like [`promote`](Self::promote), but refuses unless the version holding `to` now is the
    /// one `expected` names: a compare-and-swap, so two people promoting different versions at
    /// once cannot silently archive each other's choice.
    ///
    /// # Errors
    ///
    /// As [`promote`](Self::promote), and when the current holder is not the expected one.
    pub fn promote_expecting(
        &self,
        id: &str,
        version: &semver::Version,
        to: Status,
        reason: &str,
        expected: &Expected,
    ) -> Result<PromoteOutcome, RegistryError> {
        let context = || format!("cannot promote `{id}` {version} to {to}");
        let fail = |kind| RegistryError::new(context(), kind);
        let author = self.author();
        let lock = self.lock()?;
        // Read after taking the lock: the state to judge is the one no one else can change now.
        let mut record = self.load(id)?;
        let index = record
            .versions
            .iter()
            .position(|v| &v.version == version)
            .ok_or_else(|| {
                fail(RegistryErrorKind::UnknownVersion {
                    id: id.to_owned(),
                    version: version.to_string(),
                })
            })?;
        let from = record.versions[index].status;
        let (action, evidence) = judge_promotion(&record, index, to, expected).map_err(fail)?;
        let now = Timestamp::now();
        let reason = if reason.trim().is_empty() {
            format!("promoted to {to}")
        } else {
            reason.to_owned()
        };
        let mut superseded = None;
        if to.is_exclusive()
            && let Some(holder) = record.versions.iter_mut().find(|v| v.status == to)
        {
            holder.status = Status::Archived;
            superseded = Some(holder.version.clone());
            let entry = HistoryEntry {
                at: now,
                by: author.clone(),
                version: holder.version.clone(),
                from: Some(to),
                to: Status::Archived,
                action: Action::Supersede,
                reason: format!("superseded by {version}: {reason}"),
            };
            record.history.push(entry);
        }
        record.versions[index].status = to;
        record.history.push(HistoryEntry {
            at: now,
            by: author,
            version: version.clone(),
            from: Some(from),
            to,
            action,
            reason,
        });
        self.save(&lock, &record)?;
        Ok(PromoteOutcome {
            id: id.to_owned(),
            version: version.clone(),
            from,
            to,
            superseded,
            evidence,
        })
    }

    /// Makes an earlier production version of prompt `id` production again and writes its
    /// stored files over the template files, byte for byte. Without `to`, the most recent
    /// version that was in production and is now archived is restored.
    ///
    /// The template files are written first, then the registry file: if the second write fails,
    /// `check` reports the template as matching a non-production version rather than the
    /// registry claiming content the disk does not have.
    ///
    /// # Errors
    ///
    /// Fails when there is nothing to roll back to, the target was never in production, its
    /// stored content does not match its hash, or a file cannot be written.
    pub fn rollback(
        &self,
        id: &str,
        to: Option<&semver::Version>,
        reason: &str,
    ) -> Result<RollbackOutcome, RegistryError> {
        let context = || format!("cannot roll back `{id}`");
        let fail = |kind| RegistryError::new(context(), kind);
        let author = self.author();
        let lock = self.lock()?;
        let mut record = self.load(id)?;
        let current = record
            .versions
            .iter()
            .position(|v| v.status == Status::Production);
        let target = rollback_target(&record, to, current).map_err(fail)?;
        let restored = &record.versions[target];
        let computed = restored.computed_hash();
        if computed != restored.content_hash {
            return Err(fail(RegistryErrorKind::Inconsistent {
                path: self.display_path(&self.prompt_path(id)),
                reason: format!(
                    "the stored files of {} hash to `{computed}`, not the recorded `{}`",
                    restored.version, restored.content_hash
                ),
            }));
        }
        let content_hash = restored.content_hash.clone();
        let root = self.project_root().join(record.template_root());
        let mut files_written = Vec::new();
        for file in &restored.files {
            let path = root.join(&file.name);
            write_atomic(&path, file.text.as_bytes())
                .map_err(|err| fail(RegistryErrorKind::io(&path, err)))?;
            files_written.push(self.display_path(&path));
        }
        let now = Timestamp::now();
        let reason = if reason.trim().is_empty() {
            "rollback".to_owned()
        } else {
            reason.to_owned()
        };
        let target_version = restored.version.clone();
        let previous = current.map(|index| {
            let holder = &mut record.versions[index];
            holder.status = Status::Archived;
            holder.version.clone()
        });
        if let Some(previous) = &previous {
            record.history.push(HistoryEntry {
                at: now,
                by: author.clone(),
                version: previous.clone(),
                from: Some(Status::Production),
                to: Status::Archived,
                action: Action::Rollback,
                reason: format!("rolled back to {target_version}: {reason}"),
            });
        }
        let from = record.versions[target].status;
        record.versions[target].status = Status::Production;
        record.history.push(HistoryEntry {
            at: now,
            by: author,
            version: target_version.clone(),
            from: Some(from),
            to: Status::Production,
            action: Action::Rollback,
            reason,
        });
        self.save(&lock, &record)?;
        Ok(RollbackOutcome {
            id: id.to_owned(),
            from: previous,
            to: target_version,
            content_hash,
            files_written,
        })
    }

    /// Returns the record a new version is added to: the registered one, or a fresh one for a
    /// prompt's first version.
    fn record_for_new(&self, request: &NewVersion) -> Result<PromptRecord, RegistryErrorKind> {
        let id = request.id.as_str();
        if let Some(record) = self.load_optional(id).map_err(|err| *err.into_kind())? {
            if let Some(template) = &request.template
                && template != &record.template
            {
                return Err(RegistryErrorKind::Inconsistent {
                    path: self.display_path(&self.prompt_path(id)),
                    reason: format!(
                        "it tracks template `{}`, not `{template}`; move the template back or edit `template` in the file",
                        record.template
                    ),
                });
            }
            return Ok(record);
        }
        let template = request
            .template
            .clone()
            .ok_or_else(|| RegistryErrorKind::TemplateRequired { id: id.to_owned() })?;
        let record = PromptRecord {
            format_version: FORMAT_VERSION,
            id: id.to_owned(),
            template,
            template_root: request.template_root.clone(),
            versions: Vec::new(),
            history: Vec::new(),
        };
        let outside_root = record
            .template_root
            .as_deref()
            .is_some_and(|root| !record.template.starts_with(&format!("{root}/")));
        if !safe_relative(&record.template) || outside_root {
            return Err(RegistryErrorKind::Inconsistent {
                path: PathBuf::from(&record.template),
                reason: "the template must be a relative path inside the template root".to_owned(),
            });
        }
        Ok(record)
    }

    /// Reads the live template files a record tracks.
    pub(crate) fn live_files(
        &self,
        record: &PromptRecord,
    ) -> Result<PromptFiles, RegistryErrorKind> {
        let root = self.project_root().join(record.template_root());
        PromptFiles::load(&root, record.entry()).map_err(|source| RegistryErrorKind::Template {
            id: record.id.clone(),
            path: PathBuf::from(&record.template),
            source,
        })
    }
}

/// Decides whether version `index` of `record` may move to `to`: the action that would do it
/// and, for a gated status, the digest of the passing report that allows it.
fn judge_promotion(
    record: &PromptRecord,
    index: usize,
    to: Status,
    expected: &Expected,
) -> Result<(Action, Option<String>), RegistryErrorKind> {
    let id = record.id.as_str();
    let current = &record.versions[index];
    let version = &current.version;
    let from = current.status;
    let no_evidence = |detail: String| RegistryErrorKind::NoPassingEvidence {
        id: id.to_owned(),
        version: version.to_string(),
        content_hash: current.content_hash.clone(),
        target: current.model_target.clone(),
        detail,
    };
    if from == to {
        return Err(RegistryErrorKind::AlreadyInStatus {
            id: id.to_owned(),
            version: version.to_string(),
            status: to,
        });
    }
    // A draft has no evidence by definition (recording evidence makes it testing), so the
    // useful answer to "promote this draft" is what the gate needs, not the lifecycle table.
    if from == Status::Draft && to.is_gated() {
        return Err(no_evidence("no run has been recorded".to_owned()));
    }
    let action = if to == Status::Archived {
        Action::Retire
    } else {
        Action::Promote
    };
    if !is_legal(from, to, action) {
        return Err(RegistryErrorKind::IllegalTransition {
            id: id.to_owned(),
            version: version.to_string(),
            from,
            to,
            hint: hint(from, action),
        });
    }
    let holder = record
        .with_status(to)
        .filter(|_| to.is_exclusive())
        .map(|v| v.version.clone());
    if !expected.allows(holder.as_ref()) {
        return Err(RegistryErrorKind::UnexpectedHolder {
            id: id.to_owned(),
            status: to,
            expected: expected.to_string(),
            found: holder.map_or_else(|| "none".to_owned(), |v| v.to_string()),
        });
    }
    let evidence = if to.is_gated() {
        Some(gate(current).map_err(no_evidence)?)
    } else {
        None
    };
    Ok((action, evidence))
}

/// Picks the index of the version a rollback restores: `to`, which must be archived and once in
/// production, or else the most recent version that was in production and is now archived.
fn rollback_target(
    record: &PromptRecord,
    to: Option<&semver::Version>,
    current: Option<usize>,
) -> Result<usize, RegistryErrorKind> {
    let id = record.id.as_str();
    let Some(version) = to else {
        let current = current.map(|index| &record.versions[index].version);
        return record
            .history
            .iter()
            .rev()
            .filter(|h| h.to == Status::Production && Some(&h.version) != current)
            .find_map(|h| {
                record
                    .versions
                    .iter()
                    .position(|v| v.version == h.version && v.status == Status::Archived)
            })
            .ok_or_else(|| RegistryErrorKind::NothingToRollBack { id: id.to_owned() });
    };
    let index = record
        .versions
        .iter()
        .position(|v| &v.version == version)
        .ok_or_else(|| RegistryErrorKind::UnknownVersion {
            id: id.to_owned(),
            version: version.to_string(),
        })?;
    let status = record.versions[index].status;
    if status == Status::Production {
        return Err(RegistryErrorKind::AlreadyInStatus {
            id: id.to_owned(),
            version: version.to_string(),
            status,
        });
    }
    if !is_legal(status, Status::Production, Action::Rollback) {
        return Err(RegistryErrorKind::IllegalTransition {
            id: id.to_owned(),
            version: version.to_string(),
            from: status,
            to: Status::Production,
            hint: format!(
                "rollback restores archived versions; promote a {status} version with `promptci registry promote {id} {version} --to production`"
            ),
        });
    }
    if !record.was_in_production(version) {
        return Err(RegistryErrorKind::NeverInProduction {
            id: id.to_owned(),
            version: version.to_string(),
        });
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::registry::{Bundle, CheckProblem, LiveState, Selector, Which};

    const ID: &str = "support_system";
    const TEMPLATE: &str = "suites/support/system.j2";
    const SYSTEM_V1: &str =
        "You are a support agent for {{ company }}.\n{% include \"footer.j2\" %}\n";
    const FOOTER: &str = "Be kind.\r\n\tThanks — 🙂 naïve 日本語";

    struct Project {
        dir: tempfile::TempDir,
        registry: Registry,
    }

    impl Project {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("temp dir");
            let project = Self {
                registry: Registry::open(dir.path()).with_author("Ada"),
                dir,
            };
            project.write("suites/support/system.j2", SYSTEM_V1);
            project.write("suites/support/footer.j2", FOOTER);
            project
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn write(&self, name: &str, text: &str) {
            let path = self.path(name);
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(path, text).expect("write file");
        }

        fn read(&self, name: &str) -> Vec<u8> {
            std::fs::read(self.path(name)).expect("read file")
        }

        fn new_version(&self, bump: Bump, changelog: &str, tokens: u64) -> NewOutcome {
            let mut request = NewVersion::new(ID, bump, changelog);
            request.template = Some(TEMPLATE.to_owned());
            request.token_count = Some(tokens);
            self.registry.new_version(&request).expect("new version")
        }

        /// Writes a run report for `hash` and returns its path; `run` makes each report's bytes
        /// (and so its digest) distinct.
        fn report(&self, run: u32, hash: &str, target: &str, passed: u64, failed: u64) -> PathBuf {
            let suite = "suites/support/support.yaml";
            let cases: Vec<serde_json::Value> = (0..passed + failed)
                .map(|i| {
                    serde_json::json!({
                        "id": format!("{suite}::case_{i}"), "suite": suite,
                        "status": if i < passed { "passed" } else { "failed" }, "duration_ms": 12
                    })
                })
                .collect();
            let report = serde_json::json!({
                "format_version": 1,
                "run": { "started_at": format!("2026-11-23T19:00:0{run}Z"), "git_commit": "abc123" },
                "summary": { "total": passed + failed, "passed": passed, "failed": failed, "errors": 0, "skipped": 0 },
                "suites": [{ "path": suite, "prompt_id": ID, "template": TEMPLATE, "content_hash": hash,
                             "target": target, "provider": "openai", "model": "gpt-4o-mini",
                             "total": passed + failed, "passed": passed, "failed": failed, "errors": 0, "skipped": 0 }],
                "cases": cases,
            });
            let path = self.path(&format!("report-{run}.json"));
            std::fs::write(&path, serde_json::to_vec_pretty(&report).expect("json"))
                .expect("write report");
            path
        }
    }

    fn v(text: &str) -> semver::Version {
        semver::Version::parse(text).expect("valid version")
    }

    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "the issue asks for the whole seed story as one test"
    )]
    fn seed_story() {
        let p = Project::new();
        let bob = p.registry.clone().with_author("Bob");

        // 1.0.0: snapshot, passing evidence, production.
        let first = p.new_version(Bump::Major, "first support prompt", 100);
        assert_eq!(first.version, v("1.0.0"));
        assert_eq!(first.files, vec!["system.j2", "footer.j2"]);
        assert!(first.warnings.is_empty());
        let recorded = p
            .registry
            .record(&p.report(1, &first.content_hash, "default", 4, 0))
            .expect("record");
        assert_eq!(recorded.attached.len(), 1);
        assert!(recorded.attached[0].passed);
        assert_eq!(
            recorded.attached[0].status_change,
            Some((Status::Draft, Status::Testing))
        );
        let promoted = bob
            .promote(ID, &v("1.0.0"), Status::Production, "launch")
            .expect("promote 1.0.0");
        assert_eq!(
            (promoted.from, promoted.superseded),
            (Status::Testing, None)
        );
        assert!(p.registry.check().expect("check").passed());

        // An edit without a new version fails governance.
        let system_v2 = "You are a friendly support agent for {{ company }}. Answer in {{ language }}.\n{% include \"footer.j2\" %}\n";
        p.write(TEMPLATE, system_v2);
        let check = p.registry.check().expect("check");
        assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
        assert!(matches!(
            check.problems[0],
            CheckProblem::UnversionedEdit { .. }
        ));
        let message = check.problems[0].to_string();
        assert!(
            message.starts_with("`support_system` was edited without a new version"),
            "{message}"
        );
        assert!(
            message.ends_with(
                "run `promptci registry new support_system --bump patch --changelog \"…\"`"
            ),
            "{message}"
        );

        // 1.1.0, 20% more tokens: a warning, not a refusal.
        let second = p.new_version(
            Bump::Minor,
            "friendlier, answers in the user's language",
            120,
        );
        assert_eq!(second.version, v("1.1.0"));
        assert_eq!(
            second.warnings,
            vec![NewWarning::TokenGrowth {
                previous_version: v("1.0.0"),
                previous: 100,
                current: 120
            }]
        );
        assert!(p.registry.check().expect("check").passed());

        // A failing run blocks promotion; a later passing run allows it.
        p.registry
            .record(&p.report(2, &second.content_hash, "default", 3, 1))
            .expect("record failing");
        let refused = bob
            .promote(ID, &v("1.1.0"), Status::Production, "ship it")
            .expect_err("gated");
        assert!(
            matches!(refused.kind(), RegistryErrorKind::NoPassingEvidence { .. }),
            "{}",
            refused.chain()
        );
        assert!(refused.chain().contains("1 failed"), "{}", refused.chain());
        p.registry
            .record(&p.report(3, &second.content_hash, "default", 4, 0))
            .expect("record passing");
        let promoted = bob
            .promote(ID, &v("1.1.0"), Status::Production, "ship it")
            .expect("promote 1.1.0");
        assert_eq!(promoted.superseded, Some(v("1.0.0")));
        let record = p.registry.load(ID).expect("load");
        assert_eq!(
            record.version(&v("1.0.0")).expect("1.0.0").status,
            Status::Archived
        );
        assert_eq!(
            record.version(&v("1.1.0")).expect("1.1.0").status,
            Status::Production
        );

        // Rollback: 1.0.0 is production again and its files are back byte for byte.
        let started = Instant::now();
        let rolled = bob
            .rollback(ID, None, "customers confused by language switch")
            .expect("rollback");
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(1),
            "rollback took {elapsed:?}"
        );
        assert_eq!(
            (rolled.from, rolled.to.clone()),
            (Some(v("1.1.0")), v("1.0.0"))
        );
        assert_eq!(rolled.content_hash, first.content_hash);
        assert_eq!(p.read(TEMPLATE), SYSTEM_V1.as_bytes());
        assert_eq!(p.read("suites/support/footer.j2"), FOOTER.as_bytes());
        assert_eq!(
            p.registry.production(ID).expect("production").version,
            v("1.0.0")
        );
        let status = p.registry.status().expect("status");
        assert_eq!(
            status.prompts[0].live,
            LiveState::Matches {
                version: v("1.0.0"),
                status: Status::Production
            }
        );
        assert!(p.registry.check().expect("check").passed());

        // History shows every step, with who and why.
        let history = p.registry.history(ID).expect("history");
        let steps = record_steps(&history);
        let expected = [
            ("1.0.0", None, Status::Draft, Action::Create, "Ada"),
            (
                "1.0.0",
                Some(Status::Draft),
                Status::Testing,
                Action::Record,
                "Ada",
            ),
            (
                "1.0.0",
                Some(Status::Testing),
                Status::Production,
                Action::Promote,
                "Bob",
            ),
            ("1.1.0", None, Status::Draft, Action::Create, "Ada"),
            (
                "1.1.0",
                Some(Status::Draft),
                Status::Testing,
                Action::Record,
                "Ada",
            ),
            (
                "1.0.0",
                Some(Status::Production),
                Status::Archived,
                Action::Supersede,
                "Bob",
            ),
            (
                "1.1.0",
                Some(Status::Testing),
                Status::Production,
                Action::Promote,
                "Bob",
            ),
            (
                "1.1.0",
                Some(Status::Production),
                Status::Archived,
                Action::Rollback,
                "Bob",
            ),
            (
                "1.0.0",
                Some(Status::Archived),
                Status::Production,
                Action::Rollback,
                "Bob",
            ),
        ];
        let expected: Vec<(String, Option<Status>, Status, Action, &str)> = expected
            .iter()
            .map(|(ver, from, to, action, by)| ((*ver).to_owned(), *from, *to, *action, *by))
            .collect();
        assert_eq!(steps, expected);
        assert_eq!(history[2].reason, "launch");
        assert_eq!(history[8].reason, "customers confused by language switch");
        assert!(history.iter().all(|h| !h.reason.is_empty()));

        // Nothing earlier to roll back to now except 1.1.0, which was in production too.
        let again = bob.rollback(ID, None, "").expect("roll forward to 1.1.0");
        assert_eq!(again.to, v("1.1.0"));
        assert_eq!(p.read(TEMPLATE), system_v2.as_bytes());
    }

    fn record_steps(
        history: &[HistoryEntry],
    ) -> Vec<(String, Option<Status>, Status, Action, &str)> {
        history
            .iter()
            .map(|h| (h.version.to_string(), h.from, h.to, h.action, h.by.as_str()))
            .collect()
    }

    #[test]
    fn illegal_transitions_are_refused() {
        let p = Project::new();
        let first = p.new_version(Bump::Major, "first", 10);
        for to in [Status::Staging, Status::Production] {
            let err = p
                .registry
                .promote(ID, &first.version, to, "")
                .expect_err("a draft has no evidence");
            assert!(
                matches!(err.kind(), RegistryErrorKind::NoPassingEvidence { .. }),
                "{}",
                err.chain()
            );
            assert!(
                err.chain().contains("no run has been recorded"),
                "{}",
                err.chain()
            );
        }
        p.registry
            .promote(ID, &first.version, Status::Testing, "")
            .expect("draft to testing needs no evidence");
        let again = p
            .registry
            .promote(ID, &first.version, Status::Testing, "")
            .expect_err("already testing");
        assert!(matches!(
            again.kind(),
            RegistryErrorKind::AlreadyInStatus { .. }
        ));
        p.registry
            .record(&p.report(1, &first.content_hash, "default", 2, 0))
            .expect("record");
        p.registry
            .promote(ID, &first.version, Status::Staging, "")
            .expect("to staging");
        p.registry
            .promote(ID, &first.version, Status::Production, "")
            .expect("to production");
        let back = p
            .registry
            .promote(ID, &first.version, Status::Staging, "")
            .expect_err("no way back");
        assert!(matches!(
            back.kind(),
            RegistryErrorKind::IllegalTransition { .. }
        ));
        p.registry
            .promote(ID, &first.version, Status::Archived, "retired")
            .expect("retire");
        let revive = p
            .registry
            .promote(ID, &first.version, Status::Production, "")
            .expect_err("archived");
        assert!(
            revive
                .chain()
                .contains("only through `promptci registry rollback"),
            "{}",
            revive.chain()
        );
        p.write(TEMPLATE, "edited\n");
        let second = p.new_version(Bump::Patch, "second", 10);
        p.registry
            .promote(ID, &second.version, Status::Testing, "")
            .expect("testing");
        let never = p
            .registry
            .rollback(ID, Some(&second.version), "")
            .expect_err("never in production");
        assert!(
            matches!(never.kind(), RegistryErrorKind::IllegalTransition { .. }),
            "{}",
            never.chain()
        );
        let unknown = p
            .registry
            .promote(ID, &v("9.9.9"), Status::Testing, "")
            .expect_err("unknown");
        assert!(
            unknown.chain().contains("has no version `9.9.9`"),
            "{}",
            unknown.chain()
        );
    }

    #[test]
    fn expected_holder_guards_against_a_concurrent_promotion_of_another_version() {
        let p = Project::new();
        let first = p.new_version(Bump::Major, "first", 10);
        p.registry
            .record(&p.report(1, &first.content_hash, "default", 2, 0))
            .expect("record");
        p.registry
            .promote_expecting(
                ID,
                &first.version,
                Status::Production,
                "",
                &Expected::Nobody,
            )
            .expect("nobody held production");
        p.write(TEMPLATE, "edited\n");
        let second = p.new_version(Bump::Minor, "second", 10);
        p.registry
            .record(&p.report(2, &second.content_hash, "default", 2, 0))
            .expect("record");
        let stale = p
            .registry
            .promote_expecting(
                ID,
                &second.version,
                Status::Production,
                "",
                &Expected::Nobody,
            )
            .expect_err("1.0.0 holds production");
        assert!(
            stale
                .chain()
                .contains("the production version of `support_system` is 1.0.0, not none"),
            "{}",
            stale.chain()
        );
        p.registry
            .promote_expecting(
                ID,
                &second.version,
                Status::Production,
                "",
                &Expected::parse("1.0.0").expect("a version"),
            )
            .expect("1.0.0 held production as expected");
    }

    #[test]
    fn evidence_from_another_target_does_not_count() {
        let p = Project::new();
        let first = p.new_version(Bump::Major, "first", 10);
        p.registry
            .record(&p.report(1, &first.content_hash, "gpt-5", 2, 0))
            .expect("record");
        let err = p
            .registry
            .promote(ID, &first.version, Status::Production, "")
            .expect_err("wrong target");
        assert!(
            err.chain().contains("only on other targets"),
            "{}",
            err.chain()
        );
    }

    #[test]
    fn unchanged_content_is_refused_and_recording_twice_is_a_no_op() {
        let p = Project::new();
        let first = p.new_version(Bump::Major, "first", 10);
        let mut request = NewVersion::new(ID, Bump::Patch, "nothing changed");
        request.template = Some(TEMPLATE.to_owned());
        let err = p.registry.new_version(&request).expect_err("duplicate");
        assert!(
            matches!(err.kind(), RegistryErrorKind::DuplicateContent { .. }),
            "{}",
            err.chain()
        );
        assert!(
            err.chain().contains("identical to version 1.0.0"),
            "{}",
            err.chain()
        );
        let report = p.report(1, &first.content_hash, "default", 2, 0);
        assert_eq!(
            p.registry.record(&report).expect("record").attached.len(),
            1
        );
        let twice = p.registry.record(&report).expect("record again");
        assert!(twice.attached.is_empty());
        assert_eq!(twice.already_recorded.len(), 1);
        let stray = p.report(2, "sha256:0000", "default", 2, 0);
        assert_eq!(
            p.registry.record(&stray).expect("record").unmatched.len(),
            1
        );
        let missing = p
            .registry
            .new_version(&NewVersion::new("other", Bump::Major, "x"))
            .expect_err("no template");
        assert!(matches!(
            missing.kind(),
            RegistryErrorKind::TemplateRequired { .. }
        ));
    }

    #[test]
    fn corrupted_file_is_reported_with_its_location_and_left_alone() {
        let p = Project::new();
        p.new_version(Bump::Major, "first", 10);
        let path = p.registry.prompt_path(ID);
        let good = std::fs::read_to_string(&path).expect("read registry file");
        let line = good
            .lines()
            .position(|l| l.contains("\"status\": \"draft\""))
            .expect("status line")
            + 1;
        let corrupted = good.replacen("\"status\": \"draft\"", "\"status\": draft", 1);
        std::fs::write(&path, &corrupted).expect("corrupt it");

        let err = p
            .registry
            .promote(ID, &v("1.0.0"), Status::Testing, "")
            .expect_err("corrupt");
        let RegistryErrorKind::Corrupt { location, .. } = err.kind() else {
            panic!("{}", err.chain())
        };
        assert_eq!(location.line, line);
        assert_eq!(location.path, PathBuf::from("registry/support_system.json"));
        let at = format!("registry/support_system.json:{line}:");
        assert!(err.chain().contains(&at), "{}", err.chain());
        assert!(
            err.chain().contains("it was not rewritten"),
            "{}",
            err.chain()
        );

        p.write(TEMPLATE, "edited\n");
        assert!(
            p.registry
                .new_version(&NewVersion::new(ID, Bump::Patch, "x"))
                .is_err()
        );
        assert!(p.registry.rollback(ID, None, "").is_err());
        let check = p.registry.check().expect("check runs");
        assert!(!check.passed());
        assert!(
            check.problems[0].to_string().contains(&at),
            "{}",
            check.problems[0]
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            corrupted,
            "never rewritten"
        );
    }

    #[test]
    fn stored_content_round_trips_byte_for_byte_through_the_file() {
        let p = Project::new();
        let system = "line one\r\nline two\r\n\ttabbed\t{{ x }}\n  spaces  \n{% include \"nested/inc.j2\" %}";
        let inc = "ünïcödé ✓ 🚀\u{feff}\n\n\n";
        p.write(TEMPLATE, system);
        p.write("suites/support/nested/inc.j2", inc);
        let created = p.new_version(Bump::Major, "odd bytes", 10);
        let live = PromptFiles::load(&p.path("suites/support"), "system.j2").expect("load live");
        assert_eq!(created.content_hash, live.content_hash());

        let shown = p
            .registry
            .show(&Selector::parse("support_system@1.0.0").expect("selector"))
            .expect("show");
        assert_eq!(shown.version.files[0].text.as_bytes(), system.as_bytes());
        assert_eq!(shown.version.files[1].name, "nested/inc.j2");
        assert_eq!(shown.version.files[1].text.as_bytes(), inc.as_bytes());
        assert_eq!(shown.version.computed_hash(), created.content_hash);
        let raw = std::fs::read_to_string(p.registry.prompt_path(ID)).expect("raw file");
        assert!(
            raw.contains("\"line one\\r\",\n"),
            "one line per line:\n{raw}"
        );
        assert!(
            raw.contains("ünïcödé ✓ 🚀"),
            "unicode stays readable:\n{raw}"
        );
        assert!(raw.ends_with("}\n"));
    }

    #[test]
    fn concurrent_promotions_end_with_one_success() {
        const THREADS: usize = 8;
        let p = Project::new();
        let first = p.new_version(Bump::Major, "first", 10);
        p.registry
            .record(&p.report(1, &first.content_hash, "default", 2, 0))
            .expect("record");
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let registry = p.registry.clone().with_author(format!("user{i}"));
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    registry.promote(ID, &v("1.0.0"), Status::Production, "race")
                })
            })
            .collect();
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("thread ran"))
            .collect();
        let (ok, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
        assert_eq!(ok.len(), 1);
        assert_eq!(errors.len(), THREADS - 1);
        for err in errors {
            let err = err.expect_err("partitioned");
            assert!(
                matches!(err.kind(), RegistryErrorKind::AlreadyInStatus { .. }),
                "{}",
                err.chain()
            );
            assert!(
                err.chain().contains("is already production"),
                "{}",
                err.chain()
            );
        }
        let record = p.registry.load(ID).expect("file intact");
        assert_eq!(
            record
                .history
                .iter()
                .filter(|h| h.to == Status::Production)
                .count(),
            1
        );
        let leftovers: Vec<_> = std::fs::read_dir(p.registry.dir())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".promptci-"))
            .collect();
        assert!(leftovers.is_empty(), "no temp files left: {leftovers:?}");
    }

    #[test]
    fn concurrent_new_versions_are_serialised() {
        const THREADS: usize = 4;
        let p = Project::new();
        p.new_version(Bump::Major, "first", 10);
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let registry = p.registry.clone();
                let barrier = Arc::clone(&barrier);
                // Each thread snapshots a different edit; they share the template, so write it
                // under the same lock the registry uses to keep edit and snapshot paired.
                let template = p.path(TEMPLATE);
                std::thread::spawn(move || {
                    barrier.wait();
                    let lock = registry.lock().expect("lock");
                    std::fs::write(&template, format!("edit {i}\n")).expect("edit");
                    drop(lock);
                    let mut request = NewVersion::new(ID, Bump::Patch, format!("edit {i}"));
                    request.token_count = Some(10);
                    registry.new_version(&request)
                })
            })
            .collect();
        let ok = handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread ran"))
            .count();
        let record = p.registry.load(ID).expect("file intact");
        assert_eq!(record.versions.len(), 1 + ok, "no lost update");
        let mut versions: Vec<_> = record.versions.iter().map(|v| v.version.clone()).collect();
        versions.dedup();
        assert_eq!(versions.len(), record.versions.len());
    }

    #[test]
    fn rendering_uses_stored_includes_and_strict_variables() {
        let p = Project::new();
        let first = p.new_version(Bump::Major, "first", 10);
        p.registry
            .record(&p.report(1, &first.content_hash, "default", 2, 0))
            .expect("record");
        p.registry
            .promote(ID, &first.version, Status::Production, "")
            .expect("promote");
        p.write("suites/support/footer.j2", "EDITED ON DISK");

        let prompt = p.registry.production(ID).expect("production");
        let rendered = prompt
            .render(minijinja::context! { company => "Acme" })
            .expect("render");
        assert!(
            rendered
                .text
                .starts_with("You are a support agent for Acme.\nBe kind.\r\n\tThanks"),
            "{:?}",
            rendered.text
        );
        assert!(!rendered.text.contains("EDITED"));
        assert_eq!(
            (rendered.version, rendered.content_hash),
            (first.version.clone(), first.content_hash.clone())
        );
        let strict = prompt
            .render(minijinja::context! {})
            .expect_err("undefined variable");
        assert!(matches!(strict.kind(), RegistryErrorKind::Render { .. }));

        let export = p.registry.export(Status::Production).expect("export");
        assert!(export.without_version.is_empty());
        let bundle = Bundle::from_json(&export.bundle.to_json()).expect("bundle parses");
        assert_eq!(bundle.prompts[0].version, first.version);
        let from_bundle = bundle
            .get(ID)
            .expect("in bundle")
            .render(minijinja::context! { company => "Acme" })
            .expect("render");
        assert_eq!(
            from_bundle.text,
            p.registry
                .production(ID)
                .expect("production")
                .render(minijinja::context! { company => "Acme" })
                .expect("render")
                .text
        );
        assert!(
            p.registry
                .export(Status::Staging)
                .expect("export")
                .bundle
                .prompts
                .is_empty()
        );
        assert!(p.registry.staging(ID).is_err());
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
        let first = p.new_version(Bump::Major, "first", 10);
        p.registry
            .record(&p.report(1, &first.content_hash, "default", 2, 0))
            .expect("record");
        p.registry
            .promote(ID, &first.version, Status::Production, "")
            .expect("promote");
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

    #[test]
    fn rollback_is_fast_with_a_long_history() {
        let p = Project::new();
        let big_footer = (0..400)
            .map(|i| format!("footer line {i}: {{{{ company }}}} — ünïcode\r\n"))
            .collect::<Vec<_>>()
            .concat();
        p.write("suites/support/footer.j2", &big_footer);
        let mut hashes = Vec::new();
        for i in 0..60 {
            p.write(TEMPLATE, &format!("{SYSTEM_V1}revision {i}\n"));
            hashes.push(
                p.new_version(Bump::Patch, &format!("revision {i}"), 10)
                    .content_hash,
            );
        }
        let first_hash = hashes[0].clone();
        for (i, hash) in hashes.iter().enumerate().take(2) {
            let run = u32::try_from(i).expect("small");
            p.registry
                .record(&p.report(run, hash, "default", 2, 0))
                .expect("record");
            p.registry
                .promote(ID, &v(&format!("0.0.{}", i + 1)), Status::Production, "")
                .expect("promote");
        }
        let size = std::fs::metadata(p.registry.prompt_path(ID))
            .expect("size")
            .len();
        assert!(
            size > 1_000_000,
            "the fixture is a large registry file: {size} bytes"
        );
        let started = Instant::now();
        let rolled = p.registry.rollback(ID, None, "measure").expect("rollback");
        let elapsed = started.elapsed();
        assert_eq!(rolled.content_hash, first_hash);
        assert!(
            elapsed < Duration::from_secs(1),
            "rollback took {elapsed:?}"
        );
    }
}
