//! `registry new`: [`Registry::new_version`] snapshots a prompt's live template files as a
//! new draft version ([`NewVersion`] in, [`NewOutcome`] out).
//!
//! It takes the registry lock, re-reads what it changes, checks the state it found (so a racing
//! writer that got there first produces a clear error, not a lost update), and saves atomically.

use std::path::PathBuf;

use jiff::Timestamp;

use super::error::{RegistryError, RegistryErrorKind};
use super::lifecycle::{Action, Status};
use super::model::{FORMAT_VERSION, HistoryEntry, PromptRecord, PromptVersion, StoredFile};
use super::store::{Registry, safe_relative, valid_id};

/// Which part of the semantic version a new version bumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bump {
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
    pub(crate) fn apply(self, previous: &semver::Version) -> semver::Version {
        match self {
            Self::Major => semver::Version::new(previous.major + 1, 0, 0),
            Self::Minor => semver::Version::new(previous.major, previous.minor + 1, 0),
            Self::Patch => semver::Version::new(previous.major, previous.minor, previous.patch + 1),
        }
    }
}

/// What `registry new` snapshots.
#[derive(Debug, Clone)]
pub(crate) struct NewVersion {
    /// The prompt id.
    pub(crate) id: String,
    /// How to derive the version number from the latest version.
    pub(crate) bump: Bump,
    /// What changed and why.
    pub(crate) changelog: String,
    /// The entry template relative to the project root; required for a prompt's first version,
    /// and must match the registered one after that.
    pub(crate) template: Option<String>,
    /// The directory include names are relative to (default: the template's directory); only
    /// used for a prompt's first version.
    pub(crate) template_root: Option<String>,
    /// The model target the version is meant for (default: the previous version's, else
    /// `default`).
    pub(crate) model_target: Option<String>,
    /// Labels for the version.
    pub(crate) tags: Vec<String>,
    /// The token count of the rendered default prompt, measured by the host.
    pub(crate) token_count: Option<u64>,
}

impl NewVersion {
    /// Creates a request with no template, target, tags or token count.
    #[cfg(test)]
    pub(crate) fn new(id: impl Into<String>, bump: Bump, changelog: impl Into<String>) -> Self {
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

/// A warning from `registry new` that does not stop it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NewWarning {
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
pub(crate) struct NewOutcome {
    /// The prompt id.
    pub(crate) id: String,
    /// The new version (status draft).
    pub(crate) version: semver::Version,
    /// Its content hash.
    pub(crate) content_hash: String,
    /// The stored file names, entry first.
    pub(crate) files: Vec<String>,
    /// Warnings to show.
    pub(crate) warnings: Vec<NewWarning>,
}

impl Registry {
    /// Snapshots prompt `request.id`'s live template files as a new draft version.
    ///
    /// # Errors
    ///
    /// Fails when the template cannot be read, the live content equals an existing version,
    /// the prompt is new and no template is given, or the registry cannot be written.
    pub(crate) fn new_version(&self, request: &NewVersion) -> Result<NewOutcome, RegistryError> {
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
            rollback_in_progress: None,
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
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;
    use crate::registry::test_helpers::{ID, Project, TEMPLATE, v};
    use crate::registry::{Bump, NewVersion};

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
    fn a_version_with_more_than_a_tenth_more_tokens_warns_and_is_created() {
        let p = Project::new();
        let first = p.new_version(Bump::Major, "first", 100);
        assert!(first.warnings.is_empty());
        p.write(
            TEMPLATE,
            "You are a friendly support agent for {{ company }}.\n{% include \"footer.j2\" %}\n",
        );
        let second = p.new_version(Bump::Minor, "friendlier", 120);
        assert_eq!(second.version, v("1.1.0"));
        assert_eq!(
            second.warnings,
            vec![NewWarning::TokenGrowth {
                previous_version: v("1.0.0"),
                previous: 100,
                current: 120
            }]
        );
        assert!(
            second.warnings[0]
                .to_string()
                .starts_with("the rendered prompt grew from 100 to 120 tokens since 1.0.0"),
            "{}",
            second.warnings[0]
        );
    }
}
