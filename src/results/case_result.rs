//! What running a case produced: [`CaseResult`] and its [`CaseStatus`].

use serde::{Deserialize, Serialize};

use super::repeat_record::RepeatRecord;
use crate::assert::AssertionResult;
use crate::chat::{ProviderErrorKind, Usage};

/// The most characters of an answer kept for reports; longer answers are cut and marked.
pub(crate) const ANSWER_LIMIT: usize = 4_000;

/// The verdict of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum CaseStatus {
    /// Every assertion passed.
    Passed,
    /// The model answered and an assertion failed: a result on its merits.
    Failed,
    /// The model could not be asked: an infrastructure problem, not a verdict.
    Error,
    /// Not run (skipped in the suite, `--fail-fast`, or interrupted).
    Skipped,
}

impl CaseStatus {
    /// Returns the lowercase name used in reports.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Error => "error",
            Self::Skipped => "skipped",
        }
    }
}

/// Why a case could not be run, as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CaseError {
    /// The kind of failure.
    pub(crate) kind: ProviderErrorKind,
    /// The HTTP status, when there was a response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<u16>,
    /// What happened, with a body excerpt (secrets redacted).
    pub(crate) message: String,
}

/// The result of one case, in plan order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CaseResult {
    /// The verdict.
    pub(crate) status: CaseStatus,
    /// Each assertion's verdict, in suite order.
    pub(crate) assertions: Vec<AssertionResult>,
    /// The answer, cut to [`ANSWER_LIMIT`] characters.
    pub(crate) answer: Option<String>,
    /// Whether the answer was cut.
    pub(crate) answer_truncated: bool,
    /// Token usage reported by the provider.
    pub(crate) usage: Option<Usage>,
    /// Request latency in milliseconds.
    pub(crate) latency_ms: Option<u64>,
    /// Time to first token in milliseconds (streaming).
    pub(crate) ttft_ms: Option<u64>,
    /// Why the case errored.
    pub(crate) error: Option<CaseError>,
    /// Why the case was skipped.
    pub(crate) skip_reason: Option<String>,
    /// Whether the answer came from the cache or a recording.
    pub(crate) cached: bool,
    /// How many requests were sent (retries included).
    pub(crate) requests: u32,
    /// Retries after the first request.
    pub(crate) retries: u32,
    /// Why each retry happened (`http-429`, `connect`, `timeout`, …), in order.
    pub(crate) retry_causes: Vec<String>,
    /// Milliseconds spent waiting between retries.
    pub(crate) waited_ms: u64,
    /// The attempts of a repeated case and their pass rate; `None` for a single shot.
    pub(crate) repeat: Option<Box<RepeatRecord>>,
}

impl CaseResult {
    /// Returns a skipped result with its reason.
    pub(crate) fn skipped(reason: impl Into<String>) -> Self {
        Self {
            status: CaseStatus::Skipped,
            skip_reason: Some(reason.into()),
            ..Self::empty()
        }
    }

    fn empty() -> Self {
        Self {
            status: CaseStatus::Skipped,
            assertions: Vec::new(),
            answer: None,
            answer_truncated: false,
            usage: None,
            latency_ms: None,
            ttft_ms: None,
            error: None,
            skip_reason: None,
            cached: false,
            requests: 0,
            retries: 0,
            retry_causes: Vec::new(),
            waited_ms: 0,
            repeat: None,
        }
    }

    /// Returns an errored result.
    #[must_use]
    pub(crate) fn errored(error: CaseError, requests: u32) -> Self {
        Self {
            status: CaseStatus::Error,
            error: Some(error),
            requests,
            ..Self::empty()
        }
    }

    /// Returns a judged result: passed when every assertion passed.
    #[must_use]
    pub(crate) fn judged(answer: &str, assertions: Vec<AssertionResult>) -> Self {
        let (answer, answer_truncated) = cut(answer);
        Self {
            status: if assertions.iter().all(|result| result.passed) {
                CaseStatus::Passed
            } else {
                CaseStatus::Failed
            },
            assertions,
            answer: Some(answer),
            answer_truncated,
            ..Self::empty()
        }
    }

    /// Returns the reasons of the failing assertions.
    pub(crate) fn failure_reasons(&self) -> impl Iterator<Item = String> + '_ {
        self.assertions
            .iter()
            .filter(|result| !result.passed)
            .map(|result| format!("{}: {}", result.kind, result.reason))
    }
}

fn cut(answer: &str) -> (String, bool) {
    match answer.char_indices().nth(ANSWER_LIMIT) {
        Some((byte, _)) => (answer[..byte].to_owned(), true),
        None => (answer.to_owned(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judged_is_failed_when_any_assertion_fails_and_cuts_long_answers() {
        let pass = AssertionResult {
            kind: "contains".to_owned(),
            passed: true,
            reason: String::new(),
        };
        let fail = AssertionResult {
            kind: "regex".to_owned(),
            passed: false,
            reason: "no match".to_owned(),
        };
        assert_eq!(
            CaseResult::judged("a", vec![pass.clone()]).status,
            CaseStatus::Passed
        );
        let failed = CaseResult::judged(&"é".repeat(ANSWER_LIMIT + 5), vec![pass, fail]);
        assert_eq!(failed.status, CaseStatus::Failed);
        assert!(failed.answer_truncated);
        assert_eq!(
            failed.failure_reasons().collect::<Vec<_>>(),
            ["regex: no match"]
        );
        assert_eq!(failed.answer.unwrap().chars().count(), ANSWER_LIMIT);
    }
}
