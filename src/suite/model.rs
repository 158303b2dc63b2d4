//! The suite file as written: [`RawSuite`] and its parts, deserialised with spans.
//!
//! These types mirror the YAML one to one. Validation (templates exist, regexes compile,
//! names are unique) happens in [`load`](super::load), which turns them into a
//! [`Suite`](super::Suite).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

/// Template variables: names to any YAML value.
pub type Vars = BTreeMap<String, serde_json::Value>;

/// A suite file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSuite {
    /// The prompt under test: its registry id and template.
    pub prompt: Option<Spanned<RawPrompt>>,
    /// Variables shared by every case.
    #[serde(default)]
    pub vars: Vars,
    /// The target (from `promptci.yaml`) the suite runs against.
    pub target: Option<Spanned<String>>,
    /// Tags every case of the suite carries.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Assertions every case must also pass.
    #[serde(default)]
    pub assert: Vec<Spanned<AssertionSpec>>,
    /// Token and cost budgets.
    pub budget: Option<Spanned<RawBudget>>,
    /// The cases.
    #[serde(default)]
    pub cases: Vec<Spanned<RawCase>>,
    /// Generated edge-case and injection probes.
    pub probes: Option<Spanned<super::probes::RawProbes>>,
    /// How many times every case is sent (each case may override it).
    pub repeat: Option<Spanned<u32>>,
    /// The share of attempts that must pass, from 0 to 1 (default 1).
    pub pass_rate: Option<Spanned<f64>>,
    /// The confidence of reported intervals and regression tests (default 0.95).
    pub confidence: Option<Spanned<f64>>,
    /// Stops repeating a case once its verdict can no longer change.
    pub early_stop: Option<bool>,
}

/// The prompt a suite tests.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPrompt {
    /// The registry id of the prompt.
    pub id: String,
    /// The Jinja template (relative to the suite file) that renders the system message.
    pub template: Spanned<String>,
}

/// Token and cost budgets of a suite.
#[derive(Debug, Default, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawBudget {
    /// Maximum tokens of one rendered prompt, counted offline before any call.
    pub prompt_tokens: Option<u64>,
    /// Maximum completion tokens of one answer.
    pub completion_tokens: Option<u64>,
    /// Maximum tokens (prompt and completion) of the whole suite.
    pub total_tokens: Option<u64>,
    /// Maximum cost of the whole suite in US dollars.
    pub cost_usd: Option<f64>,
}

impl RawBudget {
    /// Returns this budget with every limit it leaves unset taken from `defaults`.
    #[must_use]
    pub fn or(self, defaults: Self) -> Self {
        Self {
            prompt_tokens: self.prompt_tokens.or(defaults.prompt_tokens),
            completion_tokens: self.completion_tokens.or(defaults.completion_tokens),
            total_tokens: self.total_tokens.or(defaults.total_tokens),
            cost_usd: self.cost_usd.or(defaults.cost_usd),
        }
    }

    /// Returns true when no limit is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One case of a suite.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCase {
    /// The case name, unique within its suite.
    pub name: Spanned<String>,
    /// Variables for this case, over the suite's.
    #[serde(default)]
    pub vars: Vars,
    /// The user message (single turn).
    pub user: Option<String>,
    /// The conversation after the system message (multi-turn).
    pub messages: Option<Vec<RawMessage>>,
    /// The assertions the answer must pass.
    #[serde(default)]
    pub assert: Vec<Spanned<AssertionSpec>>,
    /// Skips the case: `true` or a reason.
    pub skip: Option<Skip>,
    /// Tags for `--tag`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The answer the built-in mock target gives for this case.
    pub mock_answer: Option<String>,
    /// How many times the case is sent (over the suite's `repeat`).
    pub repeat: Option<Spanned<u32>>,
    /// The share of attempts that must pass (over the suite's `pass-rate`).
    pub pass_rate: Option<Spanned<f64>>,
    /// The confidence of the case's interval (over the suite's `confidence`).
    pub confidence: Option<Spanned<f64>>,
    /// Stops repeating once the verdict can no longer change (over the suite's).
    pub early_stop: Option<bool>,
}

/// A message of a multi-turn case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawMessage {
    /// Who speaks.
    pub role: Role,
    /// What they say.
    pub content: String,
}

/// The speaker of a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The system prompt.
    System,
    /// The end user.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// Returns the role as the chat APIs spell it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// Whether and why a case is skipped: `skip: true` or `skip: "reason"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Not skipped (`skip: false`).
    No,
    /// Skipped, with an optional reason.
    Yes(Option<String>),
}

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SkipVisitor;
        impl Visitor<'_> for SkipVisitor {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`true`, `false` or a reason")
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Skip, E> {
                Ok(if value { Skip::Yes(None) } else { Skip::No })
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Skip, E> {
                Ok(Skip::Yes(Some(value.to_owned())))
            }
        }
        deserializer.deserialize_any(SkipVisitor)
    }
}

/// One string or a list of strings (`contains: phone` or `contains: [phone, call]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOrMany(pub Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;
        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![value.to_owned()]))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![value.to_string()]))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![value.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                if items.is_empty() {
                    return Err(de::Error::invalid_length(0, &"at least one string"));
                }
                Ok(OneOrMany(items))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor)
    }
}

/// An assertion as written in a suite: one key naming the kind, and its argument.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub enum AssertionSpec {
    /// The answer equals the text exactly (surrounding whitespace ignored).
    Equals(String),
    /// Every string appears in the answer.
    Contains(OneOrMany),
    /// Every string appears in the answer, ignoring case.
    Icontains(OneOrMany),
    /// At least one string appears in the answer.
    ContainsAny(OneOrMany),
    /// At least one string appears in the answer, ignoring case.
    IcontainsAny(OneOrMany),
    /// No string appears in the answer.
    NotContains(OneOrMany),
    /// No string appears in the answer, ignoring case.
    NotIcontains(OneOrMany),
    /// The answer starts with the text (leading whitespace ignored).
    StartsWith(String),
    /// The answer ends with the text (trailing whitespace ignored).
    EndsWith(String),
    /// The regular expression matches somewhere in the answer.
    Regex(String),
    /// The regular expression matches nowhere in the answer.
    NotRegex(String),
    /// The answer parses as JSON (`is-json: true`).
    IsJson(bool),
    /// The answer is JSON valid against the schema (inline, or a path to a schema file).
    JsonSchema(serde_json::Value),
    /// The answer has at most this many characters.
    MaxChars(usize),
    /// The answer has at least this many characters.
    MinChars(usize),
    /// The whole request took at most this many milliseconds.
    MaxLatencyMs(u64),
    /// The first token arrived within this many milliseconds (streaming targets).
    MaxTtftMs(u64),
    /// At least one of the assertions passes.
    Any(Vec<Spanned<AssertionSpec>>),
    /// Every assertion passes.
    All(Vec<Spanned<AssertionSpec>>),
    /// The assertion fails.
    Not(Box<Spanned<AssertionSpec>>),
    /// A program judges the answer: it reads it on stdin, exit 0 passes, stdout is the reason.
    Command(OneOrMany),
}

/// The names of every assertion kind, for "did you mean" and documentation.
pub const ASSERTION_KINDS: &[&str] = &[
    "equals",
    "contains",
    "icontains",
    "contains-any",
    "icontains-any",
    "not-contains",
    "not-icontains",
    "starts-with",
    "ends-with",
    "regex",
    "not-regex",
    "is-json",
    "json-schema",
    "max-chars",
    "min-chars",
    "max-latency-ms",
    "max-ttft-ms",
    "any",
    "all",
    "not",
    "command",
];
