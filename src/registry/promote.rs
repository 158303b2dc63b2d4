//! `registry promote`: [`Registry::promote_expecting`] moves a version through the lifecycle,
//! gated on passing evidence for staging and production ([`PromoteOutcome`]).
//!
//! It takes the registry lock, re-reads what it changes, checks the state it found (so a racing
//! writer that got there first produces a clear error, not a lost update), and saves atomically.

use jiff::Timestamp;

use super::error::{RegistryError, RegistryErrorKind};
use super::evidence::evidence_gate;
use super::lifecycle::{Action, Status, hint, is_legal};
use super::model::{HistoryEntry, PromptRecord};
use super::store::Registry;

/// Which version a promotion expects to replace in the target status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expected {
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
    pub(crate) fn parse(text: &str) -> Result<Self, semver::Error> {
        if text == "none" {
            Ok(Self::Nobody)
        } else {
            semver::Version::parse(text).map(Self::Version)
        }
    }

    /// Returns whether `holder` (the current holder of the status) is the expected one.
    #[must_use]
    pub(crate) fn allows(&self, holder: Option<&semver::Version>) -> bool {
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

/// What `registry promote` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PromoteOutcome {
    /// The prompt.
    pub(crate) id: String,
    /// The promoted version.
    pub(crate) version: semver::Version,
    /// Its previous status.
    pub(crate) from: Status,
    /// Its new status.
    pub(crate) to: Status,
    /// The version that held the status before and was archived.
    pub(crate) superseded: Option<semver::Version>,
    /// The digest of the passing report that allowed a gated promotion.
    pub(crate) evidence: Option<String>,
}

impl Registry {
    /// [`promote_expecting`](Self::promote_expecting) whatever version holds `to` now.
    #[cfg(test)]
    pub(crate) fn promote(
        &self,
        id: &str,
        version: &semver::Version,
        to: Status,
        reason: &str,
    ) -> Result<PromoteOutcome, RegistryError> {
        self.promote_expecting(id, version, to, reason, &Expected::Any, false)
    }

    /// Moves `version` of prompt `id` to `to`, archiving the version that held a staging or
    /// production status before. Staging and production need passing evidence on the version's
    /// exact content hash and model target; `archived` retires the version. Refuses unless the
    /// version holding `to` now is the one `expected` names: a compare-and-swap, so two people
    /// promoting different versions at once cannot silently archive each other's choice.
    ///
    /// # Errors
    ///
    /// Fails when the transition is not in the lifecycle table, the version already has the
    /// status (for example because a concurrent promotion won), the current holder is not the
    /// expected one, the evidence does not pass, or the registry cannot be read or written.
    pub(crate) fn promote_expecting(
        &self,
        id: &str,
        version: &semver::Version,
        to: Status,
        reason: &str,
        expected: &Expected,
        allow_partial: bool,
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
        let (action, evidence) =
            judge_promotion(&record, index, to, expected, allow_partial).map_err(fail)?;
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
}

/// Decides whether version `index` of `record` may move to `to`: the action that would do it
/// and, for a gated status, the digest of the passing report that allows it.
fn judge_promotion(
    record: &PromptRecord,
    index: usize,
    to: Status,
    expected: &Expected,
    allow_partial: bool,
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
        Some(evidence_gate(current, allow_partial).map_err(no_evidence)?)
    } else {
        None
    };
    Ok((action, evidence))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;
    use crate::registry::test_helpers::{ID, Project, TEMPLATE, v};
    use crate::registry::{Bump, Expected};

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
                false,
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
                false,
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
                false,
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
}
