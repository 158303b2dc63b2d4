//! `registry rollback`: [`Registry::rollback`] makes an earlier production version live again
//! and restores its files byte for byte ([`RollbackOutcome`]).
//!
//! It takes the registry lock, re-reads what it changes, checks the state it found (so a racing
//! writer that got there first produces a clear error, not a lost update), and saves atomically.

use std::path::PathBuf;

use jiff::Timestamp;

use super::error::{RegistryError, RegistryErrorKind};
use super::lifecycle::{Action, Status, is_legal};
use super::model::{HistoryEntry, PromptRecord};
use super::store::Registry;
use crate::util::file::write_atomic;

/// What `registry rollback` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RollbackOutcome {
    /// The prompt.
    pub(crate) id: String,
    /// The production version before (now archived).
    pub(crate) from: Option<semver::Version>,
    /// The restored production version.
    pub(crate) to: semver::Version,
    /// Its content hash, which the template files now have.
    pub(crate) content_hash: String,
    /// The template files written, under the project root.
    pub(crate) files_written: Vec<PathBuf>,
}

impl Registry {
    /// Makes an earlier production version of prompt `id` production again and writes its
    /// stored files over the template files, byte for byte. Without `to`, the most recent
    /// version that was in production and is now archived is restored.
    ///
    /// The registry first notes the rollback as in progress, then the template files are
    /// written, then the registry records the new statuses: a rollback stopped at any point
    /// leaves a registry that says so (`check` reports it) and a rerun of `rollback` finishes
    /// it.
    ///
    /// # Errors
    ///
    /// Fails when there is nothing to roll back to, the target was never in production, its
    /// stored content does not match its hash, or a file cannot be written.
    pub(crate) fn rollback(
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
        let target = match (&record.rollback_in_progress, to) {
            // An unfinished rollback is finished first, whatever it was stopped at.
            (Some(pending), None) => record
                .versions
                .iter()
                .position(|v| &v.version == pending)
                .ok_or_else(|| {
                    fail(RegistryErrorKind::UnknownVersion {
                        id: id.to_owned(),
                        version: pending.to_string(),
                    })
                })?,
            (Some(pending), Some(to)) if to == pending => record
                .versions
                .iter()
                .position(|v| &v.version == pending)
                .expect("the pending version was found by its number"),
            _ => rollback_target(&record, to, current).map_err(fail)?,
        };
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
        // Noted before the first file is written: a rollback stopped among its files leaves
        // the registry saying so, rather than files that match no version and a registry that
        // looks settled.
        if record.rollback_in_progress.as_ref() != Some(&restored.version) {
            record.rollback_in_progress = Some(restored.version.clone());
            self.save(&lock, &record)?;
        }
        let restored = &record.versions[target];
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
        record.rollback_in_progress = None;
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
    use std::time::{Duration, Instant};

    use super::*;
    use crate::registry::Bump;
    use crate::registry::test_helpers::{ID, Project, SYSTEM_V1, TEMPLATE, v};

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

    #[test]
    fn rolling_back_twice_restores_the_later_version_again() {
        let p = Project::new();
        p.released(1, Bump::Major, "launch");
        let system_v2 =
            "You are a friendly support agent for {{ company }}.\n{% include \"footer.j2\" %}\n";
        p.write(TEMPLATE, system_v2);
        p.released(2, Bump::Minor, "ship it");
        let back = p
            .registry
            .rollback(ID, None, "confusing")
            .expect("rollback");
        assert_eq!((back.from, back.to), (Some(v("1.1.0")), v("1.0.0")));
        assert_eq!(p.read(TEMPLATE), SYSTEM_V1.as_bytes());
        // 1.1.0 was in production too, so it is what a second rollback restores.
        let again = p
            .registry
            .rollback(ID, None, "")
            .expect("roll forward to 1.1.0");
        assert_eq!(again.to, v("1.1.0"));
        assert_eq!(p.read(TEMPLATE), system_v2.as_bytes());
    }
}
