//! The suite file as written: [`RawSuite`] and its parts, deserialised with spans.
//!
//! These types mirror the YAML one to one. Validation (templates exist, regexes compile,
//! names are unique) happens in [`load`](super::load), which turns them into a
//! [`Suite`](super::Suite).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::Spanned;

use crate::assert::AssertionSpec;
use crate::chat::Role;
use crate::config::RawBudget;

pub(crate) use crate::template::Vars;

/// A suite file.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawSuite {
    /// The prompt under test: its registry id and template.
    #[schemars(with = "Option<RawPrompt>")]
    pub(crate) prompt: Option<Spanned<RawPrompt>>,
    /// Variables shared by every case.
    #[serde(default)]
    pub(crate) vars: Vars,
    /// The target (from `promptci.yaml`) or targets the suite runs against.
    #[schemars(with = "Option<TargetNames>")]
    pub(crate) target: Option<Spanned<TargetNames>>,
    /// Tags every case of the suite carries.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// Assertions every case must also pass.
    #[serde(default)]
    #[schemars(with = "Vec<AssertionSpec>")]
    pub(crate) assert: Vec<Spanned<AssertionSpec>>,
    /// Token and cost budgets.
    #[schemars(with = "Option<RawBudget>")]
    pub(crate) budget: Option<Spanned<RawBudget>>,
    /// The cases.
    #[serde(default)]
    #[schemars(with = "Vec<RawCase>")]
    pub(crate) cases: Vec<Spanned<RawCase>>,
    /// Files of further cases, one per row (relative to the suite): CSV, JSONL or YAML lists.
    #[schemars(with = "Option<crate::assert::OneOrMany>")]
    pub(crate) cases_from: Option<Spanned<crate::assert::OneOrMany>>,
    /// Generated edge-case and injection probes.
    #[schemars(with = "Option<super::probes::RawProbes>")]
    pub(crate) probes: Option<Spanned<super::probes::RawProbes>>,
    /// How many times every case is sent (each case may override it).
    #[schemars(with = "Option<u32>")]
    pub(crate) repeat: Option<Spanned<u32>>,
    /// The share of attempts that must pass, from 0 to 1 (default 1).
    #[schemars(with = "Option<f64>")]
    pub(crate) pass_rate: Option<Spanned<f64>>,
    /// The confidence of reported intervals and regression tests (default 0.95).
    #[schemars(with = "Option<f64>")]
    pub(crate) confidence: Option<Spanned<f64>>,
    /// Stops repeating a case once its verdict can no longer change.
    pub(crate) early_stop: Option<bool>,
    /// The target that judges the suite's model-graded assertions.
    #[schemars(with = "Option<String>")]
    pub(crate) grader: Option<Spanned<String>>,
    /// The target that embeds texts for the suite's `similar` assertions.
    #[schemars(with = "Option<String>")]
    pub(crate) embedder: Option<Spanned<String>>,
    /// The judge prompt of `rubric` (a chat file or a Jinja file), over the built-in one.
    #[schemars(with = "Option<String>")]
    pub(crate) rubric_template: Option<Spanned<String>>,
    /// The judge prompt of `factuality`, over the built-in one.
    #[schemars(with = "Option<String>")]
    pub(crate) factuality_template: Option<Spanned<String>>,
    /// The judge prompt of `ab --judge`, over the built-in one.
    #[schemars(with = "Option<String>")]
    pub(crate) pairwise_template: Option<Spanned<String>>,
    /// Calibration files and the agreement with people the suite's judges must reach.
    #[schemars(with = "Option<RawJudgeAgreement>")]
    pub(crate) min_judge_agreement: Option<Spanned<RawJudgeAgreement>>,
}

/// `min-judge-agreement`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawJudgeAgreement {
    /// Files written by `judge calibrate --json` (relative to the suite).
    pub(crate) calibration: crate::assert::OneOrMany,
    /// The least Cohen's κ.
    #[schemars(with = "Option<f64>")]
    pub(crate) kappa: Option<Spanned<f64>>,
    /// The least accuracy.
    #[schemars(with = "Option<f64>")]
    pub(crate) accuracy: Option<Spanned<f64>>,
}

/// The prompt a suite tests.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawPrompt {
    /// The registry id of the prompt.
    pub(crate) id: String,
    /// The template (relative to the suite file): a Jinja text template, or a chat file
    /// (`.yaml`, `.yml`, `.json`) listing messages whose contents are templates.
    #[schemars(with = "String")]
    pub(crate) template: Spanned<String>,
    /// Which message a text template renders: `system` (the default) or `user`.
    #[schemars(with = "Option<PromptRole>")]
    pub(crate) role: Option<Spanned<PromptRole>>,
}

/// The message a text template renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum PromptRole {
    /// The system message, before the case's conversation.
    System,
    /// A user message, before the case's conversation (which may then be empty).
    User,
}

/// One case of a suite.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawCase {
    /// The case name, unique within its suite.
    #[schemars(with = "String")]
    pub(crate) name: Spanned<String>,
    /// Variables for this case, over the suite's.
    #[serde(default)]
    pub(crate) vars: Vars,
    /// The user message (single turn).
    pub(crate) user: Option<String>,
    /// The conversation after the system message (multi-turn).
    pub(crate) messages: Option<Vec<RawMessage>>,
    /// The assertions the answer must pass.
    #[serde(default)]
    #[schemars(with = "Vec<AssertionSpec>")]
    pub(crate) assert: Vec<Spanned<AssertionSpec>>,
    /// Skips the case: `true` or a reason.
    pub(crate) skip: Option<Skip>,
    /// Tags for `--tag`.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// The answer the built-in mock target gives for this case.
    pub(crate) mock_answer: Option<String>,
    /// How many times the case is sent (over the suite's `repeat`).
    #[schemars(with = "Option<u32>")]
    pub(crate) repeat: Option<Spanned<u32>>,
    /// The share of attempts that must pass (over the suite's `pass-rate`).
    #[schemars(with = "Option<f64>")]
    pub(crate) pass_rate: Option<Spanned<f64>>,
    /// The confidence of the case's interval (over the suite's `confidence`).
    #[schemars(with = "Option<f64>")]
    pub(crate) confidence: Option<Spanned<f64>>,
    /// Stops repeating once the verdict can no longer change (over the suite's).
    pub(crate) early_stop: Option<bool>,
}

/// A message of a multi-turn case.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawMessage {
    /// Who speaks.
    pub(crate) role: Role,
    /// What they say.
    pub(crate) content: String,
}

/// `target: NAME` or `target: [A, B]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetNames {
    /// One name (located by the `target` key's value).
    One(String),
    /// A list of names, each located.
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for TargetNames {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TargetsVisitor;
        impl<'de> Visitor<'de> for TargetsVisitor {
            type Value = TargetNames;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a target name or a list of target names")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<TargetNames, E> {
                Ok(TargetNames::One(value.to_owned()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<TargetNames, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<Spanned<String>>()? {
                    names.push(name);
                }
                if names.is_empty() {
                    return Err(de::Error::invalid_length(0, &"at least one target"));
                }
                Ok(TargetNames::Many(names))
            }
        }
        deserializer.deserialize_any(TargetsVisitor)
    }
}

/// Whether and why a case is skipped: `skip: true` or `skip: "reason"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skip {
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

impl schemars::JsonSchema for TargetNames {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TargetNames".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A target name, or a list of at least one target name.",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 }
            ]
        })
    }
}

impl schemars::JsonSchema for Skip {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Skip".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Skips the case: `true`, `false`, or the reason (which skips it).",
            "type": ["boolean", "string"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SourceFile;
    use crate::yaml::span_start;

    #[derive(Debug, Deserialize)]
    struct Holder {
        target: Spanned<TargetNames>,
    }

    fn targets(yaml: &str) -> Result<Spanned<TargetNames>, String> {
        crate::yaml::parse_yaml::<Holder>(&SourceFile::new("s.yaml", yaml))
            .map(|holder| holder.target)
            .map_err(|problem| problem.message().to_owned())
    }

    #[test]
    fn a_target_is_a_name_or_a_list_of_located_names() {
        let one = targets("target: mock\n").unwrap();
        assert_eq!(one.value, TargetNames::One("mock".to_owned()));
        assert_eq!(span_start(&one), (1, 9));
        let TargetNames::Many(names) = targets("target: [mock, echo]\n").unwrap().value else {
            panic!("a list");
        };
        let found: Vec<_> = names
            .iter()
            .map(|name| (name.value.as_str(), span_start(name)))
            .collect();
        assert_eq!(found, [("mock", (1, 10)), ("echo", (1, 16))]);
        assert!(targets("target: []\n").is_err());
        assert!(targets("target: {a: 1}\n").is_err());
    }
}
