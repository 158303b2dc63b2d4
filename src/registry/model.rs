//! The registry's data: [`PromptRecord`] (one file per prompt) holding immutable
//! [`PromptVersion`]s, their [`StoredFile`]s and [`Evidence`], and the [`HistoryEntry`] log.
//!
//! # File format
//!
//! Each prompt is one pretty-printed JSON file, `registry/<id>.json`. Template text is stored as
//! lines: the text split on `\n`, one JSON string per line, so a diff of the
//! registry file shows template lines as lines, and a version added by two branches appends to an
//! array instead of rewriting one big string. Splitting on `\n` and joining with `\n` is exact by
//! construction: a `\r` before the newline stays in the line as `\r`, a final `""` means the text
//! ends with a newline, and JSON escapes tabs and control characters while keeping other Unicode
//! as is. YAML block scalars were rejected because YAML normalises line breaks (CRLF cannot
//! survive) and needs indentation and chomping indicators to keep leading spaces and trailing
//! newlines, which is easy to get subtly wrong.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::lifecycle::{Action, Status};
use crate::prompt_files::{PromptFile, PromptFiles};

/// The registry file format version this code reads and writes.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// One prompt's registry file: which template it tracks, its versions and its status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PromptRecord {
    /// The registry file format version ([`FORMAT_VERSION`]).
    pub(crate) format_version: u32,
    /// The prompt id; the file is named `<id>.json`.
    pub(crate) id: String,
    /// The entry template, relative to the project root, with forward slashes.
    pub(crate) template: String,
    /// The directory stored file names are relative to, relative to the project root; the
    /// template's directory when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) template_root: Option<String>,
    /// Every version, in the order they were created.
    pub(crate) versions: Vec<PromptVersion>,
    /// Every status change, oldest first.
    pub(crate) history: Vec<HistoryEntry>,
    /// The version a rollback began restoring and did not finish (it was stopped while writing
    /// template files): `registry rollback` finishes it and `registry check` reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rollback_in_progress: Option<semver::Version>,
}

/// One immutable version of a prompt: its content never changes; only its status and evidence
/// grow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PromptVersion {
    /// The semantic version.
    pub(crate) version: semver::Version,
    /// Where the version is in its lifecycle.
    pub(crate) status: Status,
    /// The hash of [`files`](Self::files), as [`PromptFiles::content_hash`] computes it.
    pub(crate) content_hash: String,
    /// Who created the version.
    pub(crate) author: String,
    /// When the version was created.
    pub(crate) created_at: Timestamp,
    /// What changed and why.
    pub(crate) changelog: String,
    /// The suite target (model configuration) the version is meant for; evidence must come from
    /// it.
    pub(crate) model_target: String,
    /// Free-form labels.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// The token count of the rendered default prompt, as the host measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) token_count: Option<u64>,
    /// The entry template first, then every template it includes, with their exact text.
    pub(crate) files: Vec<StoredFile>,
    /// Test runs recorded against this exact content, oldest first.
    #[serde(default)]
    pub(crate) evidence: Vec<Evidence>,
}

/// One stored template file, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredFileRepr", into = "StoredFileRepr")]
pub struct StoredFile {
    /// The name relative to the template root, with forward slashes.
    pub name: String,
    /// The exact text.
    pub text: String,
}

/// How a [`StoredFile`] is written: one JSON string per line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredFileRepr {
    name: String,
    lines: Vec<String>,
}

impl From<StoredFileRepr> for StoredFile {
    fn from(repr: StoredFileRepr) -> Self {
        Self {
            name: repr.name,
            text: repr.lines.join("\n"),
        }
    }
}

impl From<StoredFile> for StoredFileRepr {
    fn from(file: StoredFile) -> Self {
        Self {
            name: file.name,
            lines: file.text.split('\n').map(str::to_owned).collect(),
        }
    }
}

impl StoredFile {
    /// Returns the lines as stored: the text split on `\n`.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn lines(&self) -> Vec<&str> {
        self.text.split('\n').collect()
    }
}

impl PromptVersion {
    /// Returns the hash of the stored files, to compare with [`content_hash`](Self::content_hash).
    #[must_use]
    pub(crate) fn computed_hash(&self) -> String {
        stored_hash(&self.files)
    }

    /// Returns the evidence recorded on the version's own model target for its own content.
    pub(crate) fn evidence_on_target(&self) -> impl Iterator<Item = &Evidence> {
        self.evidence
            .iter()
            .filter(|e| e.target == self.model_target && e.content_hash == self.content_hash)
    }
}

/// Returns the content hash of stored files, computed exactly as for the live template files.
pub(crate) fn stored_hash(files: &[StoredFile]) -> String {
    PromptFiles {
        root: std::path::PathBuf::new(),
        files: files
            .iter()
            .map(|file| PromptFile {
                name: file.name.clone(),
                text: file.text.clone(),
            })
            .collect(),
    }
    .content_hash()
}

/// Whether a recorded run passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Outcome {
    /// Every case that ran passed, none failed or errored.
    Pass,
    /// At least one case failed or errored, or none ran.
    Fail,
}

/// The result of one suite of one test run, attached to the version whose content it tested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Evidence {
    /// When the evidence was recorded.
    pub(crate) recorded_at: Timestamp,
    /// Who recorded it.
    pub(crate) recorded_by: String,
    /// `sha256:<hex>` of the report file's bytes.
    pub(crate) report_digest: String,
    /// When the run started, as the report says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) run_started_at: Option<String>,
    /// The commit the run tested, as the report says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) git_commit: Option<String>,
    /// The suite file, relative to the project root.
    pub(crate) suite: String,
    /// The content hash the suite rendered.
    pub(crate) content_hash: String,
    /// The suite target the run used.
    pub(crate) target: String,
    /// The model provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) provider: Option<String>,
    /// The model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) model: Option<String>,
    /// Pass or fail.
    pub(crate) outcome: Outcome,
    /// Passed cases divided by cases that ran (not skipped), from 0 to 1.
    pub(crate) pass_rate: f64,
    /// Cases in the suite.
    pub(crate) total: u64,
    /// Cases that passed.
    pub(crate) passed: u64,
    /// Cases that failed an assertion.
    pub(crate) failed: u64,
    /// Cases that could not run to completion.
    pub(crate) errors: u64,
    /// Cases skipped.
    pub(crate) skipped: u64,
    /// Why the run did not test every case of the suite (`--filter`, `--tag`,
    /// `--changed-since`, a shard, skipped cases), when it did not: such a run is evidence
    /// only when recorded and promoted with `--allow-partial`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) partial: Option<String>,
    /// Each case's id and status.
    #[serde(default)]
    pub(crate) cases: Vec<EvidenceCase>,
}

/// One case's status in a recorded run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EvidenceCase {
    /// The case id (`suite::case`).
    pub(crate) id: String,
    /// `passed`, `failed`, `error` or `skipped`, as the report says.
    pub(crate) status: String,
}

/// One status change: who, when, which version, from what, to what, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryEntry {
    /// When it happened.
    pub(crate) at: Timestamp,
    /// Who did it.
    pub(crate) by: String,
    /// The version that changed.
    pub(crate) version: semver::Version,
    /// Its status before; `None` when the version was created.
    pub(crate) from: Option<Status>,
    /// Its status after.
    pub(crate) to: Status,
    /// The operation.
    pub(crate) action: Action,
    /// Why.
    pub(crate) reason: String,
}

impl PromptRecord {
    /// Returns the version with this exact semantic version.
    #[must_use]
    pub(crate) fn version(&self, version: &semver::Version) -> Option<&PromptVersion> {
        self.versions.iter().find(|v| &v.version == version)
    }

    /// Returns the version with this status (for staging and production there is at most one;
    /// for other statuses, the latest).
    #[must_use]
    pub(crate) fn with_status(&self, status: Status) -> Option<&PromptVersion> {
        self.versions
            .iter()
            .filter(|v| v.status == status)
            .max_by(|a, b| a.version.cmp(&b.version))
    }

    /// Returns the version with the highest semantic version.
    #[must_use]
    pub(crate) fn latest(&self) -> Option<&PromptVersion> {
        self.versions
            .iter()
            .max_by(|a, b| a.version.cmp(&b.version))
    }

    /// Returns the version whose content hash is `hash`.
    #[must_use]
    pub(crate) fn by_hash(&self, hash: &str) -> Option<&PromptVersion> {
        self.versions.iter().find(|v| v.content_hash == hash)
    }

    /// Returns the template root relative to the project root.
    #[must_use]
    pub(crate) fn template_root(&self) -> &str {
        match &self.template_root {
            Some(root) => root,
            None => self.template.rsplit_once('/').map_or("", |(dir, _)| dir),
        }
    }

    /// Returns the entry template's name relative to the template root.
    #[must_use]
    pub(crate) fn entry(&self) -> &str {
        let root = self.template_root();
        if root.is_empty() {
            &self.template
        } else {
            self.template
                .strip_prefix(root)
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or(&self.template)
        }
    }

    /// Returns whether `version` was ever in production, according to the history.
    #[must_use]
    pub(crate) fn was_in_production(&self, version: &semver::Version) -> bool {
        self.history
            .iter()
            .any(|h| &h.version == version && h.to == Status::Production)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        let file = StoredFile {
            name: "t.j2".to_owned(),
            text: text.to_owned(),
        };
        let json = serde_json::to_string_pretty(&file).expect("serialises");
        let back: StoredFile = serde_json::from_str(&json).expect("parses");
        back.text
    }

    #[test]
    fn stored_text_round_trips_byte_for_byte() {
        for text in [
            "",
            "\n",
            "\n\n",
            "no trailing newline",
            "trailing newline\n",
            "two trailing newlines\n\n",
            "crlf\r\nlines\r\n",
            "mixed\r\nendings\nand a lone \r carriage return",
            "\ttabs\tinside\t\n",
            "unicode: héllo wörld — 日本語 🚀 \u{200b}zero-width\n",
            "  leading spaces\n    kept\n",
            "quotes \" and \\ backslashes {{ var }} {% if x %}\n",
            "control \u{0}\u{7}\u{1b}[0m\n",
        ] {
            assert_eq!(round_trip(text).as_bytes(), text.as_bytes(), "{text:?}");
        }
    }

    #[test]
    fn stored_text_is_one_json_string_per_line() {
        let file = StoredFile {
            name: "t.j2".to_owned(),
            text: "Hello {{ name }}\r\n\tbye\n".to_owned(),
        };
        let json = serde_json::to_string_pretty(&file).expect("serialises");
        assert!(json.contains("\"Hello {{ name }}\\r\",\n"), "{json}");
        assert!(json.contains("\"\\tbye\",\n"), "{json}");
        assert_eq!(file.lines(), vec!["Hello {{ name }}\r", "\tbye", ""]);
    }

    #[test]
    fn template_root_defaults_to_the_template_directory() {
        let mut record = PromptRecord {
            format_version: FORMAT_VERSION,
            id: "p".to_owned(),
            template: "suites/support/system.j2".to_owned(),
            template_root: None,
            versions: Vec::new(),
            history: Vec::new(),
            rollback_in_progress: None,
        };
        assert_eq!(record.template_root(), "suites/support");
        assert_eq!(record.entry(), "system.j2");
        record.template_root = Some("suites".to_owned());
        assert_eq!(record.entry(), "support/system.j2");
        record.template = "top.j2".to_owned();
        record.template_root = None;
        assert_eq!((record.template_root(), record.entry()), ("", "top.j2"));
    }
}
