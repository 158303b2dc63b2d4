//! [`BudgetCheck`]: one limit of a suite's `budget`, checked, as reports store and show it.

use serde::{Deserialize, Serialize};

use crate::util::format::{dollars, signed_percent};

/// A limit of a suite's `budget`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum BudgetKind {
    /// Tokens of one rendered prompt.
    PromptTokens,
    /// Tokens of one answer.
    CompletionTokens,
    /// Prompt and completion tokens of the whole suite.
    TotalTokens,
    /// US dollars for the whole suite.
    CostUsd,
    /// Tokens of the suite's grader and embedder calls.
    JudgeTokens,
    /// US dollars for the suite's grader and embedder calls.
    JudgeCostUsd,
}

impl BudgetKind {
    /// Returns the key as written in `budget:`.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::PromptTokens => "prompt-tokens",
            Self::CompletionTokens => "completion-tokens",
            Self::TotalTokens => "total-tokens",
            Self::CostUsd => "cost-usd",
            Self::JudgeTokens => "judge-tokens",
            Self::JudgeCostUsd => "judge-cost-usd",
        }
    }

    /// Formats an amount of this kind: tokens as integers, dollars with cents and more.
    #[must_use]
    pub(crate) fn format(self, amount: f64) -> String {
        match self {
            Self::CostUsd | Self::JudgeCostUsd => dollars(amount),
            _ => format!("{amount:.0}"),
        }
    }
}

/// A case over a per-case limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Offender {
    /// The case id.
    pub(crate) case: String,
    /// Its amount.
    #[serde(serialize_with = "amount")]
    pub(crate) actual: f64,
}

/// One limit checked: the budget, the actual amount, and by how much it is over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct BudgetCheck {
    /// Which limit.
    pub(crate) kind: BudgetKind,
    /// The budget.
    #[serde(serialize_with = "amount")]
    pub(crate) limit: f64,
    /// The largest case (per-case limits) or the suite's sum (suite limits).
    #[serde(serialize_with = "amount")]
    pub(crate) actual: f64,
    /// How far over the budget `actual` is (0 when within).
    #[serde(serialize_with = "amount")]
    pub(crate) over_by: f64,
    /// Whether the limit holds.
    pub(crate) passed: bool,
    /// For per-case limits: every case over it, largest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) offenders: Vec<Offender>,
}

/// Writes whole amounts (token counts) as JSON integers and others as decimals.
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's `serialize_with` passes a reference"
)]
fn amount<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "the value is whole and within i64"
        )]
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

impl BudgetCheck {
    pub(crate) fn new(
        kind: BudgetKind,
        limit: f64,
        actual: f64,
        mut offenders: Vec<Offender>,
    ) -> Self {
        offenders.sort_by(|a, b| b.actual.total_cmp(&a.actual).then(a.case.cmp(&b.case)));
        // Dollars are compared to the tenth of a micro-dollar so float sums do not flap.
        let passed = actual <= limit + 1e-7;
        Self {
            kind,
            limit,
            actual,
            over_by: if passed { 0.0 } else { actual - limit },
            passed,
            offenders,
        }
    }

    /// Returns "prompt-tokens 812 > 600 (+212, +35.3%)" or "prompt-tokens 412 ≤ 600".
    #[must_use]
    pub(crate) fn describe(&self) -> String {
        let kind = self.kind;
        if self.passed {
            format!(
                "{} {} ≤ {}",
                kind.as_str(),
                kind.format(self.actual),
                kind.format(self.limit)
            )
        } else {
            let percent = if self.limit > 0.0 {
                format!(", {}", signed_percent(self.over_by / self.limit))
            } else {
                String::new()
            };
            format!(
                "{} {} > {} (+{}{percent})",
                kind.as_str(),
                kind.format(self.actual),
                kind.format(self.limit),
                kind.format(self.over_by)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_describes_the_overrun_with_numbers() {
        let check = BudgetCheck::new(BudgetKind::PromptTokens, 600.0, 812.0, Vec::new());
        assert!(!check.passed);
        assert_eq!(check.describe(), "prompt-tokens 812 > 600 (+212, +35.3%)");
        let cost = BudgetCheck::new(BudgetKind::CostUsd, 0.01, 0.0125, Vec::new());
        assert_eq!(
            cost.describe(),
            "cost-usd $0.0125 > $0.0100 (+$0.0025, +25.0%)"
        );
        let within = BudgetCheck::new(BudgetKind::TotalTokens, 100.0, 100.0, Vec::new());
        assert!(within.passed);
        assert_eq!(within.describe(), "total-tokens 100 ≤ 100");
    }

    #[test]
    fn amounts_serialise_as_integers_when_whole() {
        let check = BudgetCheck::new(BudgetKind::PromptTokens, 600.0, 812.0, Vec::new());
        let value = serde_json::to_value(&check).unwrap();
        assert_eq!(value["limit"], 600);
        assert_eq!(value["over_by"], 212);
        assert_eq!(value["kind"], "prompt-tokens");
    }
}
