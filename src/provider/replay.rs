//! [`ReplayProvider`]: the built-in `replay` target, answering each case from the recordings
//! a live run wrote with `--record`, with no network and no key.
//!
//! A case without a recording, or whose messages changed since it was recorded, is an error
//! that says how to re-record, never a silently stale pass.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::model::{ChatRequest, EmbedRequest, Embeddings, ProviderError};
use super::recording::{
    RecordedAnswer, RecordingFile, entry_key, file_for, inputs_hash, judge_key, request_hash,
    split_case_id,
};
use crate::chat::{ModelOutput, ProviderErrorKind};

/// A suite's recording as loaded: the file, or why it could not be used.
type Loaded = Arc<Result<RecordingFile, String>>;

/// Answers from recordings under one directory.
#[derive(Debug, Clone)]
pub(crate) struct ReplayProvider {
    dir: PathBuf,
    /// The directory as the user wrote it, for hints.
    shown_dir: String,
    /// Each suite's file is read once, on its first case.
    loaded: Arc<Mutex<HashMap<String, Loaded>>>,
}

impl ReplayProvider {
    /// Creates a replay provider reading `dir`, shown as `shown_dir` in messages.
    #[must_use]
    pub(crate) fn new(dir: PathBuf, shown_dir: String) -> Self {
        Self {
            dir,
            shown_dir,
            loaded: Arc::default(),
        }
    }

    /// Answers a request (a case's answer or a judge's verdict) from its suite's recording.
    pub(crate) fn complete(&self, request: &ChatRequest<'_>) -> Result<ModelOutput, ProviderError> {
        let slot = request.judge.map(|judge| judge.slot);
        let answer = self.find(
            request.case_id,
            request.attempt,
            slot,
            &request_hash(request.messages),
        )?;
        Ok(answer.to_output())
    }

    /// Answers an embeddings request from its suite's recording.
    pub(crate) fn embed(&self, request: &EmbedRequest<'_>) -> Result<Embeddings, ProviderError> {
        let answer = self.find(
            request.case_id,
            request.attempt,
            Some(request.slot),
            &inputs_hash(request.inputs),
        )?;
        let vectors = answer
            .embeddings
            .as_ref()
            .and_then(|vectors| {
                vectors
                    .iter()
                    .map(|text| crate::assert::judge::embedding::decode(text))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| {
                self.error(&format!(
                    "the recording of `{}` ({}) holds no readable vectors",
                    request.case_id, request.slot
                ))
            })?;
        Ok(Embeddings {
            vectors,
            usage: answer.usage,
            model: answer.model.clone(),
            cached: true,
        })
    }

    /// Returns the recorded answer of a case's answer or judge call (`slot`), checking that
    /// what was asked then is what is asked now (`hash`).
    fn find(
        &self,
        case_id: &str,
        attempt: u32,
        slot: Option<&str>,
        hash: &str,
    ) -> Result<RecordedAnswer, ProviderError> {
        let (suite, name) = split_case_id(case_id);
        let file = self.load(suite);
        let shown_file = self.shown_file(suite);
        let recording = match file.as_ref() {
            Ok(file) => file,
            Err(why) => return Err(self.error(why)),
        };
        let (found, what) = match slot {
            None => (
                recording.cases.get(&entry_key(name, attempt)),
                "answer".to_owned(),
            ),
            Some(slot) => (
                recording.judges.get(&judge_key(name, attempt, slot)),
                format!("judge answer ({slot})"),
            ),
        };
        let Some(answer) = found else {
            return Err(self.error(&format!(
                "no recorded {what} for `{case_id}`{} in `{shown_file}`",
                attempt_note(attempt)
            )));
        };
        if answer.request_hash != hash {
            let changed = match slot {
                None => "the prompt or messages changed",
                Some(_) => "the judge prompt, the assertion or the answer changed",
            };
            let whose = match slot {
                None => String::new(),
                Some(slot) => format!(" ({slot})"),
            };
            return Err(self.error(&format!(
                "the recording of `{case_id}`{}{whose} in `{shown_file}` is stale: {changed} since it was recorded",
                attempt_note(attempt)
            )));
        }
        Ok(answer.clone())
    }

    fn load(&self, suite: &str) -> Loaded {
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(loaded.entry(suite.to_owned()).or_insert_with(|| {
            let path = file_for(&self.dir, suite);
            let shown = self.shown_file(suite);
            Arc::new(match std::fs::read_to_string(&path) {
                Ok(text) => RecordingFile::parse(&shown, &text),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(format!(
                    "no recording of suite `{suite}`: `{shown}` does not exist"
                )),
                Err(error) => Err(format!("cannot read `{shown}`: {error}")),
            })
        }))
    }

    fn shown_file(&self, suite: &str) -> String {
        file_for(std::path::Path::new(&self.shown_dir), suite)
            .display()
            .to_string()
    }

    fn error(&self, what: &str) -> ProviderError {
        ProviderError::new(
            ProviderErrorKind::Recording,
            format!(
                "{what} (hint: re-record with `promptci run --target <live target> --record {}`)",
                self.shown_dir
            ),
        )
    }
}

fn attempt_note(attempt: u32) -> String {
    if attempt > 1 {
        format!(" (attempt {attempt})")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Message, Role};
    use crate::provider::recording::Recorder;

    fn request<'a>(case_id: &'a str, messages: &'a [Message]) -> ChatRequest<'a> {
        ChatRequest {
            case_id,
            attempt: 1,
            messages,
            mock_answer: None,
            chat_prompt: false,
            judge: None,
        }
    }

    #[test]
    fn replays_recorded_answers_and_flags_missing_and_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let messages = [Message::new(Role::User, "hi")];
        let recorder = Recorder::new();
        let live = ModelOutput {
            text: "hello".to_owned(),
            latency_ms: 900,
            ..ModelOutput::default()
        };
        recorder.add("suites/s.yaml::greet", 1, &messages, &live);
        recorder.write(dir.path()).unwrap();
        let replay = ReplayProvider::new(dir.path().to_owned(), "recordings".to_owned());

        let answer = replay
            .complete(&request("suites/s.yaml::greet", &messages))
            .unwrap();
        assert_eq!(answer.text, "hello");
        assert!(answer.cached);
        assert_eq!(answer.latency_ms, 0);

        let missing = replay
            .complete(&request("suites/s.yaml::other", &messages))
            .unwrap_err();
        assert_eq!(missing.kind, ProviderErrorKind::Recording);
        assert_eq!(
            missing.message,
            "no recorded answer for `suites/s.yaml::other` in `recordings/suites/s.json` (hint: re-record with `promptci run --target <live target> --record recordings`)"
        );

        let edited = [Message::new(Role::User, "hi!")];
        let stale = replay
            .complete(&request("suites/s.yaml::greet", &edited))
            .unwrap_err();
        assert!(stale.message.contains("is stale"), "{}", stale.message);

        let no_file = replay
            .complete(&request("suites/t.yaml::x", &messages))
            .unwrap_err();
        assert!(
            no_file.message.starts_with(
                "no recording of suite `suites/t.yaml`: `recordings/suites/t.json` does not exist"
            ),
            "{}",
            no_file.message
        );
    }
}
