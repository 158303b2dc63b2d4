//! `registry record`: [`Registry::record`] attaches a run report's suites as test evidence
//! to the versions whose content they tested ([`RecordOutcome`]).
//!
//! It takes the registry lock, re-reads what it changes, checks the state it found (so a racing
//! writer that got there first produces a clear error, not a lost update), and saves atomically.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;

use super::error::{RegistryError, RegistryErrorKind};
use super::evidence::{evidence_from, load_report};
use super::lifecycle::{Action, Status};
use super::model::HistoryEntry;
use super::store::Registry;

/// One suite's evidence attached by `registry record`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttachedEvidence {
    /// The prompt.
    pub(crate) id: String,
    /// The version whose content the suite tested.
    pub(crate) version: semver::Version,
    /// The suite file.
    pub(crate) suite: String,
    /// The target.
    pub(crate) target: String,
    /// Whether the suite passed.
    pub(crate) passed: bool,
    /// The status change it caused (a draft becomes testing).
    pub(crate) status_change: Option<(Status, Status)>,
}

/// A suite whose content hash matches no registered version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnmatchedSuite {
    /// The suite file.
    pub(crate) suite: String,
    /// The prompt id the suite declares.
    pub(crate) prompt_id: Option<String>,
    /// The content hash it tested, if the report has one.
    pub(crate) content_hash: Option<String>,
}

/// What `registry record` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordOutcome {
    /// `sha256:<hex>` of the report bytes.
    pub(crate) report_digest: String,
    /// Evidence attached.
    pub(crate) attached: Vec<AttachedEvidence>,
    /// Suites already recorded from this same report (recording twice changes nothing).
    pub(crate) already_recorded: Vec<AttachedEvidence>,
    /// Suites that matched no version: run `registry new` first, then run again.
    pub(crate) unmatched: Vec<UnmatchedSuite>,
}

impl Registry {
    /// [`record_with`](Self::record_with) refusing partial runs.
    #[cfg(test)]
    pub(crate) fn record(&self, report_path: &Path) -> Result<RecordOutcome, RegistryError> {
        self.record_with(report_path, false)
    }

    /// Attaches each suite of the run report at `report_path` to the version whose content hash
    /// it names; a draft that gets evidence becomes testing.
    ///
    /// # Errors
    ///
    /// Fails when the report cannot be read or parsed, a suite it would attach did not run
    /// every case and `allow_partial` is false, or a registry file cannot be read or written.
    pub(crate) fn record_with(
        &self,
        report_path: &Path,
        allow_partial: bool,
    ) -> Result<RecordOutcome, RegistryError> {
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
            if let (Some(partial), false) = (&evidence.partial, allow_partial) {
                return Err(RegistryError::new(
                    context(),
                    RegistryErrorKind::PartialEvidence {
                        suite: suite.path.clone(),
                        reason: partial.clone(),
                    },
                ));
            }
            let version = &mut record.versions[index];
            let mut attached = AttachedEvidence {
                id: id.clone(),
                version: version.version.clone(),
                suite: suite.path.clone(),
                target: suite.target.clone(),
                passed: evidence.outcome == super::model::Outcome::Pass,
                status_change: None,
            };
            if version.evidence.iter().any(|e| {
                e.report_digest == evidence.report_digest
                    && e.suite == evidence.suite
                    && e.target == evidence.target
            }) {
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
}
