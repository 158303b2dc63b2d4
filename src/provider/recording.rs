//! [`RecordingFile`]: the answers of one suite, saved by `--record` and read by the `replay`
//! target; [`Recorder`] collects them during a run.
//!
//! A recording is meant to be committed and reviewed: one pretty JSON file per suite
//! (`<dir>/<suite path>.json`), cases sorted by name, and nothing that changes between two
//! identical answers (no timings, no dates, no URLs, never a key). Each answer carries a hash
//! of the messages that produced it, so an edited prompt is detected as stale instead of
//! silently replaying an answer to a question nobody asks any more.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::chat::{Message, ModelOutput, Usage};
use crate::error::Error;
use crate::util::hash::{canonical_json, sha256_hex};

/// The version of the recording format.
pub(crate) const RECORDING_FORMAT: u32 = 2;

/// The format written when a recording has no judge answers: such files stay exactly as
/// earlier versions wrote and read them.
const RECORDING_FORMAT_WITHOUT_JUDGES: u32 = 1;

/// The recorded answers of one suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordingFile {
    /// The format's version.
    pub(crate) format_version: u32,
    /// The suite path relative to the project root.
    pub(crate) suite: String,
    /// Answers by case name (`name`, or `name#N` for the N-th answer of a repeated case).
    pub(crate) cases: BTreeMap<String, RecordedAnswer>,
    /// Judge and embedder answers by case and call (`name/rubric-1`, `name#2/rubric-1#3` for
    /// the third vote on the second attempt's answer); format 2.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) judges: BTreeMap<String, RecordedAnswer>,
}

/// One recorded answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordedAnswer {
    /// The hash of the messages sent ([`request_hash`]); a different hash means the prompt
    /// changed since the answer was recorded.
    pub(crate) request_hash: String,
    /// The model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) model: Option<String>,
    /// The answer text (empty for embeddings).
    #[serde(default)]
    pub(crate) answer: String,
    /// An embedder's vectors, each as base64 of little-endian `f32`s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) embeddings: Option<Vec<String>>,
    /// Why generation stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) finish_reason: Option<String>,
    /// Token usage the provider reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) usage: Option<Usage>,
}

impl RecordedAnswer {
    /// Returns the answer as a model output, marked as not from a live model.
    #[must_use]
    pub(crate) fn to_output(&self) -> ModelOutput {
        ModelOutput {
            text: self.answer.clone(),
            usage: self.usage,
            // Replaying takes no time; timing assertions judge live runs.
            latency_ms: 0,
            ttft_ms: Some(0),
            model: self.model.clone(),
            finish_reason: self.finish_reason.clone(),
            cached: true,
        }
    }
}

/// Returns the hash identifying the messages of a request (the first 16 hex digits of their
/// SHA-256): enough to notice an edit, short enough to read in a diff.
#[must_use]
pub(crate) fn request_hash(messages: &[Message]) -> String {
    let json = serde_json::to_value(messages).expect("messages always serialise");
    sha256_hex(canonical_json(&json).as_bytes())[..16].to_owned()
}

/// Returns the key of a judge call's answer in a recording: the answer's key, `/`, the call.
#[must_use]
pub(crate) fn judge_key(case_name: &str, attempt: u32, slot: &str) -> String {
    format!("{}/{slot}", entry_key(case_name, attempt))
}

/// Returns the hash identifying the texts of an embeddings request.
#[must_use]
pub(crate) fn inputs_hash(inputs: &[String]) -> String {
    let json = serde_json::to_value(inputs).expect("strings always serialise");
    sha256_hex(canonical_json(&json).as_bytes())[..16].to_owned()
}

/// Returns the key of an answer in a recording: the case name, with `#N` after the first
/// attempt.
#[must_use]
pub(crate) fn entry_key(case_name: &str, attempt: u32) -> String {
    if attempt > 1 {
        format!("{case_name}#{attempt}")
    } else {
        case_name.to_owned()
    }
}

/// Splits a case id (`suite-path::case-name`) into its suite and case name.
#[must_use]
pub(crate) fn split_case_id(case_id: &str) -> (&str, &str) {
    case_id.split_once("::").unwrap_or(("", case_id))
}

/// Returns the recording file of `suite` under `dir`: the suite path with a `.json`
/// extension. Only plain path components are kept, so a recording never lands outside `dir`.
#[must_use]
pub(crate) fn file_for(dir: &Path, suite: &str) -> PathBuf {
    let mut path = dir.to_owned();
    for component in Path::new(suite).components() {
        if let Component::Normal(part) = component {
            path.push(part);
        }
    }
    path.set_extension("json");
    path
}

impl RecordingFile {
    /// Parses a recording, naming the file and position in errors.
    pub(crate) fn parse(name: &str, text: &str) -> Result<Self, String> {
        let file: Self = serde_json::from_str(text).map_err(|error| {
            format!(
                "`{name}`:{}:{} is not a promptci recording: {error}",
                error.line(),
                error.column()
            )
        })?;
        if file.format_version > RECORDING_FORMAT {
            return Err(format!(
                "`{name}` has recording format {} but this promptci reads up to {RECORDING_FORMAT} (hint: upgrade promptci or re-record)",
                file.format_version
            ));
        }
        Ok(file)
    }

    /// Serialises the recording as pretty JSON with a trailing newline.
    #[must_use]
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a recording always serialises");
        bytes.push(b'\n');
        bytes
    }
}

/// One answer waiting to be written.
#[derive(Debug, Clone)]
struct Pending {
    suite: String,
    key: String,
    /// Whether it is a judge call's answer (kept in `judges`).
    judge: bool,
    answer: RecordedAnswer,
}

/// Collects the live answers of a run (`--record DIR`) and writes them per suite at the end.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pending: Mutex<Vec<Pending>>,
}

impl Recorder {
    /// Creates an empty recorder.
    #[must_use]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Keeps one answer of a case.
    pub(crate) fn add(
        &self,
        case_id: &str,
        attempt: u32,
        messages: &[Message],
        output: &ModelOutput,
    ) {
        let (suite, name) = split_case_id(case_id);
        let pending = Pending {
            suite: suite.to_owned(),
            key: entry_key(name, attempt),
            judge: false,
            answer: RecordedAnswer {
                request_hash: request_hash(messages),
                model: output.model.clone(),
                answer: output.text.clone(),
                embeddings: None,
                finish_reason: output.finish_reason.clone(),
                usage: output.usage,
            },
        };
        self.push(pending);
    }

    /// Keeps one judge call's answer (`answer.request_hash` identifies what was asked).
    pub(crate) fn add_judge(
        &self,
        case_id: &str,
        attempt: u32,
        slot: &str,
        answer: RecordedAnswer,
    ) {
        let (suite, name) = split_case_id(case_id);
        self.push(Pending {
            suite: suite.to_owned(),
            key: judge_key(name, attempt, slot),
            judge: true,
            answer,
        });
    }

    fn push(&self, pending: Pending) {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(pending);
    }

    /// Returns how many answers were collected.
    #[must_use]
    pub(crate) fn len(&self) -> usize {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Writes one file per suite under `dir`, returning the files written. Answers of cases
    /// not run this time (filtered out, or errored) are kept from the existing file, so a
    /// partial re-record never loses the rest.
    pub(crate) fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, Error> {
        let pending = std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let mut by_suite: BTreeMap<String, Vec<Pending>> = BTreeMap::new();
        for entry in pending {
            by_suite.entry(entry.suite.clone()).or_default().push(entry);
        }
        let mut written = Vec::with_capacity(by_suite.len());
        for (suite, entries) in by_suite {
            let path = file_for(dir, &suite);
            let mut file = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| RecordingFile::parse(&path.display().to_string(), &text).ok())
                .filter(|file| file.suite == suite)
                .unwrap_or_else(|| RecordingFile {
                    format_version: RECORDING_FORMAT,
                    suite: suite.clone(),
                    cases: BTreeMap::new(),
                    judges: BTreeMap::new(),
                });
            for entry in entries {
                if entry.judge {
                    file.judges.insert(entry.key, entry.answer);
                } else {
                    file.cases.insert(entry.key, entry.answer);
                }
            }
            file.format_version = if file.judges.is_empty() {
                RECORDING_FORMAT_WITHOUT_JUDGES
            } else {
                RECORDING_FORMAT
            };
            crate::util::file::write_atomic(&path, &file.to_bytes())
                .map_err(|source| Error::write(&path, source))?;
            written.push(path);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Role;

    fn output(text: &str) -> ModelOutput {
        ModelOutput {
            text: text.to_owned(),
            model: Some("m".to_owned()),
            finish_reason: Some("stop".to_owned()),
            latency_ms: 123,
            ..ModelOutput::default()
        }
    }

    #[test]
    fn files_mirror_suite_paths_and_stay_inside_the_directory() {
        let dir = Path::new("/r");
        assert_eq!(
            file_for(dir, "suites/a/b.yaml"),
            Path::new("/r/suites/a/b.json")
        );
        assert_eq!(file_for(dir, "../../etc/x.yml"), Path::new("/r/etc/x.json"));
        assert_eq!(file_for(dir, "/abs/s.yaml"), Path::new("/r/abs/s.json"));
        assert_eq!(entry_key("c", 1), "c");
        assert_eq!(entry_key("c", 3), "c#3");
        assert_eq!(
            split_case_id("suites/a.yaml::x::y"),
            ("suites/a.yaml", "x::y")
        );
    }

    #[test]
    fn request_hash_changes_with_any_message() {
        let a = [
            Message::new(Role::System, "s"),
            Message::new(Role::User, "u"),
        ];
        let b = [
            Message::new(Role::System, "s!"),
            Message::new(Role::User, "u"),
        ];
        assert_eq!(request_hash(&a), request_hash(&a.clone()));
        assert_ne!(request_hash(&a), request_hash(&b));
        assert_eq!(request_hash(&a).len(), 16);
    }

    #[test]
    fn writes_sorted_stable_files_and_merges_partial_re_records() {
        let dir = tempfile::tempdir().unwrap();
        let messages = [Message::new(Role::User, "u")];
        let recorder = Recorder::new();
        recorder.add("suites/s.yaml::b", 1, &messages, &output("B"));
        recorder.add("suites/s.yaml::a", 1, &messages, &output("A"));
        recorder.add("suites/s.yaml::a", 2, &messages, &output("A2"));
        let written = recorder.write(dir.path()).unwrap();
        assert_eq!(written, [dir.path().join("suites/s.json")]);
        let text = std::fs::read_to_string(&written[0]).unwrap();
        assert!(!text.contains("123"), "no timings in recordings: {text}");
        let file = RecordingFile::parse("s.json", &text).unwrap();
        let keys: Vec<_> = file.cases.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "a#2", "b"]);

        let again = Recorder::new();
        again.add("suites/s.yaml::b", 1, &messages, &output("B'"));
        again.write(dir.path()).unwrap();
        let merged =
            RecordingFile::parse("s.json", &std::fs::read_to_string(&written[0]).unwrap()).unwrap();
        assert_eq!(merged.cases["a"].answer, "A");
        assert_eq!(merged.cases["b"].answer, "B'");
    }

    #[test]
    fn parse_errors_name_the_file_and_position() {
        let error = RecordingFile::parse("r/s.json", "{\n  \"format_version\": 1,\n  \"x\": 2\n}")
            .unwrap_err();
        assert!(error.starts_with("`r/s.json`:3:"), "{error}");
    }
}
