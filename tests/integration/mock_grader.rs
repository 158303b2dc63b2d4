//! A scriptable grader and embedder on 127.0.0.1, built on [`MockServer`].
//!
//! Chat requests are read as judge prompts: the tags of promptci's default judge templates
//! (`<answer>`, `<rubric>`, `<reference>`, `<submitted>`, `<first>`, `<second>`) become a
//! [`JudgeRequest`], and a script decides the [`GraderReply`]: a verdict, a factuality
//! category, a pairwise winner, the same wrapped in chat or a code fence, garbage, a refusal,
//! a slow answer or an HTTP error. `/v1/embeddings` answers with deterministic hashed
//! bag-of-words vectors, so texts with the same words score 1.0 and texts sharing none 0.0.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};

use crate::mock_server::{MockServer, Reply};

/// The dimensions of the mock's embeddings.
pub(crate) const DIMENSIONS: usize = 64;

/// A judge prompt as the mock grader read it.
#[derive(Debug, Clone)]
pub(crate) struct JudgeRequest {
    /// The answer under judgement (`<answer>` or `<submitted>`).
    pub(crate) answer: String,
    /// The rubric (`<rubric>`).
    pub(crate) rubric: String,
    /// The factuality reference (`<reference>`).
    pub(crate) reference: String,
    /// The pairwise answers in this call's order (`<first>`, `<second>`).
    pub(crate) first: String,
    pub(crate) second: String,
    /// The request's `seed`, which promptci raises by one per vote.
    pub(crate) seed: Option<i64>,
    /// How many times this exact request was seen before (0 for the first ask).
    pub(crate) asked_before: usize,
}

impl JudgeRequest {
    /// Returns true for a factuality prompt.
    pub(crate) fn is_factuality(&self) -> bool {
        !self.reference.is_empty()
    }
}

/// What the grader answers.
#[derive(Debug, Clone)]
pub(crate) enum GraderReply {
    /// `{"reason", "score", "pass"}`.
    Verdict {
        pass: bool,
        score: f64,
        reason: String,
    },
    /// `{"reason", "category"}`.
    Category(String),
    /// `{"reason", "winner"}`.
    Winner(String),
    /// The inner reply's JSON inside friendly prose.
    Chatty(Box<GraderReply>),
    /// The inner reply's JSON inside a `json` code fence.
    Fenced(Box<GraderReply>),
    /// This text as the answer, verbatim.
    Text(String),
    /// An OpenAI refusal (`content: null`, `refusal: …`).
    Refusal,
    /// Waits, then replies.
    Slow(Duration, Box<GraderReply>),
    /// An HTTP error status.
    Status(u16),
}

impl GraderReply {
    pub(crate) fn pass(reason: &str) -> Self {
        Self::Verdict {
            pass: true,
            score: 1.0,
            reason: reason.to_owned(),
        }
    }

    pub(crate) fn fail(reason: &str) -> Self {
        Self::Verdict {
            pass: false,
            score: 0.0,
            reason: reason.to_owned(),
        }
    }

    pub(crate) fn scored(pass: bool, score: f64) -> Self {
        Self::Verdict {
            pass,
            score,
            reason: format!("scored {score}"),
        }
    }

    pub(crate) fn category(category: &str) -> Self {
        Self::Category(category.to_owned())
    }

    pub(crate) fn winner(winner: &str) -> Self {
        Self::Winner(winner.to_owned())
    }

    pub(crate) fn chatty(self) -> Self {
        Self::Chatty(Box::new(self))
    }

    pub(crate) fn fenced(self) -> Self {
        Self::Fenced(Box::new(self))
    }

    pub(crate) fn slow(self, delay: Duration) -> Self {
        Self::Slow(delay, Box::new(self))
    }

    fn json(&self) -> Option<String> {
        match self {
            Self::Verdict {
                pass,
                score,
                reason,
            } => Some(json!({"reason": reason, "score": score, "pass": pass}).to_string()),
            Self::Category(category) => Some(
                json!({"reason": format!("it is {category}"), "category": category}).to_string(),
            ),
            Self::Winner(winner) => {
                Some(json!({"reason": format!("{winner} is better"), "winner": winner}).to_string())
            }
            _ => None,
        }
    }

    fn into_reply(self) -> Reply {
        if let Some(json) = self.json() {
            return Reply::answer(json);
        }
        match self {
            Self::Chatty(inner) => Reply::answer(format!(
                "Sure! Here is my evaluation of the answer.\n\n{}\n\nLet me know if you need anything else.",
                inner.json().expect("chatty wraps a JSON reply")
            )),
            Self::Fenced(inner) => Reply::answer(format!(
                "```json\n{}\n```",
                inner.json().expect("fenced wraps a JSON reply")
            )),
            Self::Text(text) => Reply::answer(text),
            Self::Refusal => Reply::with_headers(
                200,
                &[("content-type", "application/json")],
                &json!({
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "model": "grader-model",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "I can't grade that."}, "finish_reason": "stop"}]
                })
                .to_string(),
            ),
            Self::Slow(delay, inner) => inner.into_reply().delayed(delay),
            Self::Status(status) => Reply::status(status, r#"{"error": {"message": "grader down"}}"#),
            Self::Verdict { .. } | Self::Category(_) | Self::Winner(_) => {
                unreachable!("JSON replies return above")
            }
        }
    }
}

/// Starts a grader whose judge answers come from `script`; it also serves embeddings.
pub(crate) fn start(
    script: impl Fn(&JudgeRequest) -> GraderReply + Send + Sync + 'static,
) -> MockServer {
    let asked: Mutex<HashMap<String, usize>> = Mutex::new(HashMap::new());
    MockServer::start(move |request, _| {
        if request.path.ends_with("/embeddings") {
            return embeddings_reply(&request.body);
        }
        let asked_before = {
            let mut asked = asked.lock().unwrap();
            let count = asked.entry(request.body.to_string()).or_default();
            *count += 1;
            *count - 1
        };
        let prompt = request.last_user();
        let judge = JudgeRequest {
            answer: tag(&prompt, "answer")
                .or_else(|| tag(&prompt, "submitted"))
                .unwrap_or_default(),
            rubric: tag(&prompt, "rubric").unwrap_or_default(),
            reference: tag(&prompt, "reference").unwrap_or_default(),
            first: tag(&prompt, "first").unwrap_or_default(),
            second: tag(&prompt, "second").unwrap_or_default(),
            seed: request.body["seed"].as_i64(),
            asked_before,
        };
        script(&judge).into_reply()
    })
}

/// Returns the trimmed text between `<name>` and `</name>`.
fn tag(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let end = start + text[start..].find(&close)?;
    Some(text[start..end].trim().to_owned())
}

/// The OpenAI embeddings response for the request's `input` (a string or a list).
pub(crate) fn embeddings_reply(body: &Value) -> Reply {
    let inputs: Vec<String> = match &body["input"] {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().unwrap_or_default().to_owned())
            .collect(),
        _ => {
            return Reply::status(
                400,
                r#"{"error": {"message": "input must be a string or a list"}}"#,
            );
        }
    };
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| json!({"object": "embedding", "index": index, "embedding": embed(text)}))
        .collect();
    let tokens: usize = inputs.iter().map(|text| words(text).len()).sum();
    Reply::with_headers(
        200,
        &[("content-type", "application/json")],
        &json!({
            "object": "list",
            "model": body["model"].as_str().unwrap_or("embed-model"),
            "data": data,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
        })
        .to_string(),
    )
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A hashed bag of words, normalised to length 1 (all zeros for text without words).
pub(crate) fn embed(text: &str) -> Vec<f64> {
    let mut vector = vec![0.0; DIMENSIONS];
    for word in words(text) {
        // FNV-1a: stable across runs and platforms.
        let hash = word.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        vector[usize::try_from(hash % DIMENSIONS as u64).unwrap()] += 1.0;
    }
    let norm = vector.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        for x in &mut vector {
            *x /= norm;
        }
    }
    vector
}

/// The cosine of two texts' mock embeddings (what promptci should compute from them).
pub(crate) fn cosine(a: &str, b: &str) -> f64 {
    embed(a).iter().zip(embed(b)).map(|(x, y)| x * y).sum()
}
