//! The suite file as written: [`RawSuite`] and its parts, deserialised with spans.
//!
//! These types mirror the YAML one to one. Validation (templates exist, regexes compile,
//! names are unique) happens in [`load`](super::load), which turns them into a
//! [`Suite`](super::Suite).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::Spanned;

use crate::assert::AssertionSpec;
use crate::chat::Role;
use crate::config::RawBudget;

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
