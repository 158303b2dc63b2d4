//! What running a case produced: [`CaseResult`] and its [`CaseStatus`].

use serde::{Deserialize, Serialize};

use super::repeat_record::RepeatRecord;
use crate::assert::AssertionResult;
use crate::chat::{CaseError, Usage};

/// The most characters of an answer kept for reports; longer answers are cut and marked.
pub(crate) const ANSWER_LIMIT: usize = 4_000;

/// The verdict of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// Tokens of the case's grader and embedder calls, apart from the target's, by plan
    /// target (each grader is priced at its own model's price).
    pub(crate) judge_usage: Vec<(usize, Usage)>,
    /// Requests sent to graders and embedders (retries and re-asks included).
    pub(crate) judge_requests: u32,
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
            judge_usage: Vec::new(),
            judge_requests: 0,
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

    /// Returns a judged result: failed when an assertion failed on its merits; else an error
    /// when a grader could not decide one (the first such is the case's error); else passed.
    #[must_use]
    pub(crate) fn judged(answer: &str, assertions: Vec<AssertionResult>) -> Self {
        let (answer, answer_truncated) = cut(answer);
        let undecided = assertions.iter().find_map(|result| result.error.clone());
        let (status, error) = if assertions.iter().any(AssertionResult::failed) {
            (CaseStatus::Failed, None)
        } else if let Some(error) = undecided {
            (CaseStatus::Error, Some(error))
        } else {
            (CaseStatus::Passed, None)
        };
        Self {
            status,
            error,
            assertions,
            answer: Some(answer),
            answer_truncated,
            ..Self::empty()
        }
    }

    /// Returns the total tokens of the case's grader and embedder calls.
    #[must_use]
    pub(crate) fn judge_tokens(&self) -> Option<Usage> {
        self.judge_usage
            .iter()
            .map(|(_, usage)| *usage)
            .reduce(|total, usage| Usage {
                prompt_tokens: total.prompt_tokens + usage.prompt_tokens,
                completion_tokens: total.completion_tokens + usage.completion_tokens,
            })
    }

    /// Returns the reasons of the failing assertions (and of those a grader could not decide).
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
        let pass = AssertionResult::new("contains", true, "");
        let fail = AssertionResult::new("regex", false, "no match");
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
