//! Model-graded assertions' pure half: the compiled check ([`Judged`]), what its judge calls
//! returned ([`Judgement`]), and the verdict with its evidence ([`verdict`]).
//!
//! The judge calls themselves go through the scheduler like any request to a target; this
//! module reads their answers ([`parse`]), decides by majority ([`votes`]) and compares
//! embeddings ([`embedding`]). An answer that cannot be read is an error of the assertion,
//! never a failure.

pub(crate) mod calibration;
pub(crate) mod embedding;
pub(crate) mod parse;
mod verdict;
pub(crate) mod votes;

use serde::{Deserialize, Serialize};

use self::parse::{Category, FactualityAnswer, RubricAnswer};
use crate::chat::{CaseError, Usage};

pub(crate) use verdict::verdict;

/// The most votes a model-graded assertion may ask for.
pub(crate) const MAX_VOTES: u32 = 9;

/// The cosine similarity `similar` needs unless it sets `threshold`.
pub(crate) const DEFAULT_SIMILARITY: f64 = 0.75;

/// A compiled model-graded check.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Judged {
    /// What is checked.
    pub(crate) check: Check,
    /// Independent judge calls decided by majority (1 for `similar`).
    pub(crate) votes: u32,
    /// The grader (or embedder) target the assertion names, over the suite's and the
    /// configuration's.
    pub(crate) grader: Option<String>,
    /// Where the assertion is written (line, column), for errors found when it is planned.
    pub(crate) at: (usize, usize),
}

/// What a model-graded assertion checks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Check {
    /// A grader judges the answer against the rubric.
    Rubric {
        /// The rubric.
        text: String,
        /// The score the judge must give, when set.
        threshold: Option<f64>,
    },
    /// A grader compares the answer's facts with the reference.
    Factuality {
        /// The reference answer.
        reference: String,
        /// The categories that pass.
        passing: Vec<Category>,
    },
    /// The answer's embedding is close to one of the references'.
    Similar {
        /// The references.
        references: Vec<String>,
        /// The cosine the closest reference must reach.
        threshold: f64,
    },
}

impl Judged {
    /// Returns the kind as written in suites.
    pub(crate) fn kind(&self) -> &'static str {
        match self.check {
            Check::Rubric { .. } => "rubric",
            Check::Factuality { .. } => "factuality",
            Check::Similar { .. } => "similar",
        }
    }

    /// Returns true when the check asks an embedder rather than a grader.
    pub(crate) fn embeds(&self) -> bool {
        matches!(self.check, Check::Similar { .. })
    }
}

/// The categories that pass `factuality` unless it says otherwise: all but `disagrees`.
pub(crate) fn default_passing_categories() -> Vec<Category> {
    parse::CATEGORIES
        .into_iter()
        .filter(|category| *category != Category::Disagrees)
        .collect()
}

/// What one judge call cost and who answered it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CallMeta {
    /// The model that answered, as the provider named it.
    pub(crate) model: Option<String>,
    /// Token usage the provider reported.
    pub(crate) usage: Option<Usage>,
    /// Whether the answer came from the cache or a recording.
    pub(crate) cached: bool,
}

/// One vote of a grader, read as a verdict.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Vote {
    /// The verdict.
    pub(crate) answer: VoteAnswer,
    /// Who answered and what it cost.
    pub(crate) meta: CallMeta,
}

/// A grader's verdict, by kind of check.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum VoteAnswer {
    /// A rubric verdict.
    Rubric(RubricAnswer),
    /// A factuality verdict.
    Factuality(FactualityAnswer),
}

/// The embeddings of an answer and its references.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Embedded {
    /// The answer's vector.
    pub(crate) answer: Vec<f32>,
    /// One vector per reference, in order.
    pub(crate) references: Vec<Vec<f32>>,
    /// Who answered and what it cost.
    pub(crate) meta: CallMeta,
}

/// What the judge calls of one model-graded assertion returned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Judgement {
    /// The grader or embedder target's name.
    pub(crate) grader: String,
    /// The hash of the judge prompt's template (graders only).
    pub(crate) prompt_hash: Option<String>,
    /// The calls' results.
    pub(crate) outcome: Outcome,
}

/// The results of a model-graded assertion's calls.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// One result per vote, in vote order.
    Votes(Vec<Result<Vote, CaseError>>),
    /// The one embeddings call.
    Embedded(Result<Embedded, CaseError>),
}

/// The judgements of a case's model-graded assertions, in the depth-first order of
/// [`Assertion::judged_leaves`](crate::assert::Assertion::judged_leaves).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Judgements {
    /// One per model-graded assertion.
    pub(crate) leaves: Vec<Judgement>,
}

/// The evidence behind a model-graded verdict, as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct JudgeEvidence {
    /// The grader or embedder target.
    pub(crate) grader: String,
    /// The model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) model: Option<String>,
    /// The first 16 hex digits of the SHA-256 of the judge prompt's template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) prompt_hash: Option<String>,
    /// The judge's score (the median over votes), or the best cosine for `similar`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) score: Option<f64>,
    /// The score needed, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) threshold: Option<f64>,
    /// The factuality category of the majority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) category: Option<Category>,
    /// The cosine with each reference (`similar`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) similarity: Vec<SimilarityScore>,
    /// Every vote, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) votes: Vec<VoteEvidence>,
    /// Votes that passed.
    #[serde(default)]
    pub(crate) passes: u32,
    /// The share of readable votes on the majority's side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) agreement: Option<f64>,
    /// Whether the readable votes disagreed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) split: bool,
    /// The tokens of the calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tokens: Option<Usage>,
}

/// One vote as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct VoteEvidence {
    /// Whether the vote passed; absent when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pass: Option<bool>,
    /// The vote's score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) score: Option<f64>,
    /// The vote's category (`factuality`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) category: Option<Category>,
    /// The judge's reason, or why the vote could not be had.
    pub(crate) reason: String,
    /// Whether the answer came from the cache or a recording.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) cached: bool,
}

/// The cosine of the answer with one reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct SimilarityScore {
    /// The reference text.
    pub(crate) reference: String,
    /// The cosine similarity.
    pub(crate) score: f64,
}
