//! [`Comparison`]: a run compared with an earlier report (the baseline), as the JSON report
//! stores it. [`decide`](crate::decide) computes it and decides what fails the gate;
//! [`report`](crate::report) shows it.

use serde::{Deserialize, Serialize};

use super::case_result::CaseStatus;

/// What a regression gates on: each case's own test, or the suite-wide paired test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RegressionTest {
    /// Any case that regressed fails the gate.
    #[default]
    Case,
    /// Only a significant exact McNemar test over all shared cases fails the gate (for
    /// single-shot runs against non-deterministic models, where single flips are noise).
    Suite,
}

/// The exact one-sided McNemar test over the cases judged in both runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SuiteTest {
    /// Cases that passed in the baseline and fail now.
    pub worse: u64,
    /// Cases that failed in the baseline and pass now.
    pub better: u64,
    /// The probability of at least `worse` of the `worse + better` flips going that way if
    /// nothing changed.
    pub p_value: f64,
    /// The significance level.
    pub alpha: f64,
    /// Whether `p_value < alpha`.
    pub significant: bool,
}

/// Which report the comparison is against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineInfo {
    /// The baseline file as given.
    pub path: String,
    /// When the baseline run started.
    #[serde(default)]
    pub started_at: String,
    /// The baseline's git commit, when known.
    #[serde(default)]
    pub git_commit: Option<String>,
}

/// A case that changed, was added or was removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseDelta {
    /// The case id.
    pub id: String,
    /// The case's line in its suite (now, else in the baseline).
    #[serde(default)]
    pub line: usize,
    /// The status in the baseline (absent for new cases).
    #[serde(default)]
    pub base: Option<CaseStatus>,
    /// The status now (absent for removed cases).
    #[serde(default)]
    pub head: Option<CaseStatus>,
    /// Why it fails now, for regressions and known failures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// A case whose prompt tokens changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDelta {
    /// The case id.
    pub id: String,
    /// Prompt tokens in the baseline.
    pub base: u64,
    /// Prompt tokens now.
    pub head: u64,
}

/// One prompt compared: tokens, pass rate and cost on each side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptDelta {
    /// The prompt's registry id, else the suite path.
    pub prompt: String,
    /// Cases present on both sides (tokens and cost are summed over these).
    pub shared_cases: usize,
    /// Prompt tokens of the shared cases in the baseline.
    pub base_tokens: u64,
    /// Prompt tokens of the shared cases now.
    pub head_tokens: u64,
    /// `head / base - 1`, when the baseline has tokens.
    #[serde(default)]
    pub token_growth: Option<f64>,
    /// The pass rate over judged cases in the baseline.
    #[serde(default)]
    pub base_pass_rate: Option<f64>,
    /// The pass rate over judged cases now.
    #[serde(default)]
    pub head_pass_rate: Option<f64>,
    /// The cost of the shared cases in the baseline, when both sides have costs.
    #[serde(default)]
    pub base_cost_usd: Option<f64>,
    /// The cost of the shared cases now, when both sides have costs.
    #[serde(default)]
    pub head_cost_usd: Option<f64>,
    /// `head / base - 1` of the cost.
    #[serde(default)]
    pub cost_growth: Option<f64>,
    /// True when tokens grew over the limit and the pass rate did not improve.
    pub tokens_over_growth: bool,
    /// True when cost grew over the limit and the pass rate did not improve.
    pub cost_over_growth: bool,
    /// The shared cases whose prompt tokens changed, largest growth first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed_cases: Vec<TokenDelta>,
}

/// A run compared with its baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The baseline report.
    pub baseline: BaselineInfo,
    /// The [`CasePolicy`] that decided regressions.
    pub policy: String,
    /// The allowed growth of tokens and cost (0.10 = 10%).
    pub growth_limit: f64,
    /// Cases that passed in the baseline and do not now.
    pub regressions: Vec<CaseDelta>,
    /// Cases that failed in the baseline and pass now.
    pub fixed: Vec<CaseDelta>,
    /// Cases that failed in the baseline and still fail.
    pub known_failures: Vec<CaseDelta>,
    /// Cases only in this run.
    pub new_cases: Vec<CaseDelta>,
    /// Cases only in the baseline.
    pub removed_cases: Vec<CaseDelta>,
    /// Each prompt's tokens, pass rate and cost on both sides.
    pub prompts: Vec<PromptDelta>,
    /// Cases whose verdict changed that the policy did not call a regression or a fix (noise
    /// under a statistical test); listed, never gating.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flipped: Vec<CaseDelta>,
    /// The exact McNemar test over the cases judged in both runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite_test: Option<SuiteTest>,
    /// What regressions gate on.
    #[serde(default)]
    pub regression_test: RegressionTest,
}
