//! The status lifecycle: [`Status`], the [`Action`]s that change it, and the table of legal
//! transitions ([`TRANSITIONS`]).
//!
//! ```text
//! draft ──record/promote──▶ testing ──promote (gated)──▶ staging ──promote (gated)──▶ production
//!   │                          │  └──────────promote (gated)────────────────────────▶ production
//!   └──retire──▶ archived ◀────┴── retire / superseded ◀── staging, production
//!                archived ──rollback only──▶ production
//! ```
//!
//! Going straight from testing to production is allowed: the gate is the evidence on the exact
//! content hash, not the detour through staging, and small teams often have no staging
//! environment. An archived version comes back only through rollback, and only if it was in
//! production before, so the path back is always to something that once served traffic.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a version is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Snapshotted, no evidence yet.
    Draft,
    /// Evidence is being gathered.
    Testing,
    /// The release candidate (at most one per prompt).
    Staging,
    /// What applications serve (at most one per prompt).
    Production,
    /// Retired or superseded; kept for rollback and audit.
    Archived,
}

impl Status {
    /// Returns the status's lowercase name, as stored and as typed on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Testing => "testing",
            Self::Staging => "staging",
            Self::Production => "production",
            Self::Archived => "archived",
        }
    }

    /// Parses a lowercase status name.
    #[must_use]
    pub(crate) fn parse(name: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::Testing,
            Self::Staging,
            Self::Production,
            Self::Archived,
        ]
        .into_iter()
        .find(|status| status.as_str() == name)
    }

    /// Returns whether at most one version of a prompt may have this status.
    #[must_use]
    pub(crate) fn is_exclusive(self) -> bool {
        matches!(self, Self::Staging | Self::Production)
    }

    /// Returns whether reaching this status through a promotion requires passing evidence.
    #[must_use]
    pub(crate) fn is_gated(self) -> bool {
        matches!(self, Self::Staging | Self::Production)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operation that changes a status, recorded in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    /// `registry new` created the version as a draft.
    Create,
    /// `registry record` attached the first evidence to a draft.
    Record,
    /// `registry promote` moved the version.
    Promote,
    /// Another version took this version's exclusive status, so this one was archived.
    Supersede,
    /// `registry promote --to archived` retired the version.
    Retire,
    /// `registry rollback` restored this version, or archived the one it replaced.
    Rollback,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Create => "create",
            Self::Record => "record",
            Self::Promote => "promote",
            Self::Supersede => "supersede",
            Self::Retire => "retire",
            Self::Rollback => "rollback",
        })
    }
}

/// Every legal status change and the actions that may make it.
pub(crate) const TRANSITIONS: &[(Status, Status, &[Action])] = &[
    (
        Status::Draft,
        Status::Testing,
        &[Action::Record, Action::Promote],
    ),
    (Status::Draft, Status::Archived, &[Action::Retire]),
    (Status::Testing, Status::Staging, &[Action::Promote]),
    (Status::Testing, Status::Production, &[Action::Promote]),
    (Status::Testing, Status::Archived, &[Action::Retire]),
    (Status::Staging, Status::Production, &[Action::Promote]),
    (
        Status::Staging,
        Status::Archived,
        &[Action::Retire, Action::Supersede],
    ),
    (
        Status::Production,
        Status::Archived,
        &[Action::Retire, Action::Supersede, Action::Rollback],
    ),
    (Status::Archived, Status::Production, &[Action::Rollback]),
];

/// Returns whether `action` may move a version from `from` to `to`.
#[must_use]
pub(crate) fn is_legal(from: Status, to: Status, action: Action) -> bool {
    TRANSITIONS
        .iter()
        .any(|(f, t, actions)| *f == from && *t == to && actions.contains(&action))
}

/// Returns a hint naming what `action` can do from `from`, for an illegal-transition error.
#[must_use]
pub(crate) fn hint(from: Status, action: Action) -> String {
    let targets: Vec<&str> = TRANSITIONS
        .iter()
        .filter(|(f, _, actions)| *f == from && actions.contains(&action))
        .map(|(_, t, _)| t.as_str())
        .collect();
    if from == Status::Archived {
        return "an archived version returns only through `promptci registry rollback ID --to VERSION`"
            .to_owned();
    }
    if targets.is_empty() {
        format!("a {from} version cannot be moved with {action}")
    } else {
        format!("from {from} it can go to {}", targets.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Status; 5] = [
        Status::Draft,
        Status::Testing,
        Status::Staging,
        Status::Production,
        Status::Archived,
    ];

    #[test]
    fn promotions_follow_the_table() {
        let legal: Vec<(Status, Status)> = ALL
            .iter()
            .flat_map(|from| ALL.iter().map(move |to| (*from, *to)))
            .filter(|(from, to)| is_legal(*from, *to, Action::Promote))
            .collect();
        assert_eq!(
            legal,
            vec![
                (Status::Draft, Status::Testing),
                (Status::Testing, Status::Staging),
                (Status::Testing, Status::Production),
                (Status::Staging, Status::Production),
            ]
        );
    }

    #[test]
    fn archived_returns_only_through_rollback() {
        for action in [
            Action::Promote,
            Action::Record,
            Action::Retire,
            Action::Supersede,
        ] {
            for to in ALL {
                assert!(!is_legal(Status::Archived, to, action), "{action} to {to}");
            }
        }
        assert!(is_legal(
            Status::Archived,
            Status::Production,
            Action::Rollback
        ));
        assert!(!is_legal(
            Status::Archived,
            Status::Staging,
            Action::Rollback
        ));
        assert!(hint(Status::Archived, Action::Promote).contains("rollback"));
    }

    #[test]
    fn drafts_cannot_skip_testing_and_nothing_goes_backwards() {
        assert!(!is_legal(
            Status::Draft,
            Status::Production,
            Action::Promote
        ));
        assert!(!is_legal(Status::Draft, Status::Staging, Action::Promote));
        assert!(!is_legal(
            Status::Production,
            Status::Staging,
            Action::Promote
        ));
        assert!(!is_legal(Status::Staging, Status::Testing, Action::Promote));
        assert_eq!(
            hint(Status::Draft, Action::Promote),
            "from draft it can go to testing"
        );
    }

    #[test]
    fn status_names_round_trip() {
        for status in ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("prod"), None);
    }
}
