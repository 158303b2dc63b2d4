//! [`Comparison`]: a run compared with an earlier report (the baseline), as the JSON report
//! stores it. [`decide`](crate::decide) computes it and decides what fails the gate;
//! [`report`](crate::report) shows it.

use serde::{Deserialize, Serialize};

use super::case_result::CaseStatus;

/// What a regression gates on: each case's own test, or the suite-wide paired test.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RegressionTest {
    /// Any case that regressed fails the gate.
    #[default]
    Case,
    /// Only a significant exact McNemar test over all shared cases fails the gate (for
    /// single-shot runs against non-deterministic models, where single flips are noise).
    Suite,
}

/// The exact one-sided McNemar test over the cases judged in both runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct SuiteTest {
    /// Cases that passed in the baseline and fail now.
    pub(crate) worse: u64,
    /// Cases that failed in the baseline and pass now.
    pub(crate) better: u64,
    /// The probability of at least `worse` of the `worse + better` flips going that way if
    /// nothing changed.
    pub(crate) p_value: f64,
    /// The significance level.
    pub(crate) alpha: f64,
    /// Whether `p_value < alpha`.
    pub(crate) significant: bool,
}

/// Which report the comparison is against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct BaselineInfo {
    /// The baseline file as given.
    pub(crate) path: String,
    /// When the baseline run started.
    #[serde(default)]
    pub(crate) started_at: String,
    /// The baseline's git commit, when known.
    #[serde(default)]
    pub(crate) git_commit: Option<String>,
}

/// A case that changed, was added or was removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct CaseDelta {
    /// The case id.
    pub(crate) id: String,
    /// The case's line in its suite (now, else in the baseline).
    #[serde(default)]
    pub(crate) line: usize,
    /// The status in the baseline (absent for new cases).
    #[serde(default)]
    pub(crate) base: Option<CaseStatus>,
    /// The status now (absent for removed cases).
    #[serde(default)]
    pub(crate) head: Option<CaseStatus>,
    /// Why it fails now, for regressions and known failures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) reasons: Vec<String>,
}

/// A case whose prompt tokens changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct TokenDelta {
    /// The case id.
    pub(crate) id: String,
    /// Prompt tokens in the baseline.
    pub(crate) base: u64,
    /// Prompt tokens now.
    pub(crate) head: u64,
}

/// One prompt compared: tokens, pass rate and cost on each side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct PromptDelta {
    /// The prompt's registry id, else the suite path.
    pub(crate) prompt: String,
    /// Cases present on both sides (tokens and cost are summed over these).
    pub(crate) shared_cases: usize,
    /// Prompt tokens of the shared cases in the baseline.
    pub(crate) base_tokens: u64,
    /// Prompt tokens of the shared cases now.
    pub(crate) head_tokens: u64,
    /// `head / base - 1`, when the baseline has tokens.
    #[serde(default)]
    pub(crate) token_growth: Option<f64>,
    /// The pass rate over judged cases in the baseline.
    #[serde(default)]
    pub(crate) base_pass_rate: Option<f64>,
    /// The pass rate over judged cases now.
    #[serde(default)]
    pub(crate) head_pass_rate: Option<f64>,
    /// The cost of the shared cases in the baseline, when both sides have costs.
    #[serde(default)]
    pub(crate) base_cost_usd: Option<f64>,
    /// The cost of the shared cases now, when both sides have costs.
    #[serde(default)]
    pub(crate) head_cost_usd: Option<f64>,
    /// `head / base - 1` of the cost.
    #[serde(default)]
    pub(crate) cost_growth: Option<f64>,
    /// True when tokens grew over the limit and the pass rate did not improve.
    pub(crate) tokens_over_growth: bool,
    /// True when cost grew over the limit and the pass rate did not improve.
    pub(crate) cost_over_growth: bool,
    /// The shared cases whose prompt tokens changed, largest growth first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) changed_cases: Vec<TokenDelta>,
}

/// A run compared with its baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Comparison {
    /// The baseline report.
    pub(crate) baseline: BaselineInfo,
    /// The regression policy that decided regressions (`any-failure`, `fisher-exact`).
    pub(crate) policy: String,
    /// The allowed growth of tokens and cost (0.10 = 10%).
    pub(crate) growth_limit: f64,
    /// Cases that passed in the baseline and do not now.
    pub(crate) regressions: Vec<CaseDelta>,
    /// Cases that failed in the baseline and pass now.
    pub(crate) fixed: Vec<CaseDelta>,
    /// Cases that failed in the baseline and still fail.
    pub(crate) known_failures: Vec<CaseDelta>,
    /// Cases only in this run.
    pub(crate) new_cases: Vec<CaseDelta>,
    /// Cases only in the baseline.
    pub(crate) removed_cases: Vec<CaseDelta>,
    /// Each prompt's tokens, pass rate and cost on both sides.
    pub(crate) prompts: Vec<PromptDelta>,
    /// Cases whose verdict changed that the policy did not call a regression or a fix (noise
    /// under a statistical test); listed, never gating.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) flipped: Vec<CaseDelta>,
    /// The exact McNemar test over the cases judged in both runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) suite_test: Option<SuiteTest>,
    /// What regressions gate on.
    #[serde(default)]
    pub(crate) regression_test: RegressionTest,
}
