//! Compares a run with an earlier JSON report (the baseline): [`Comparison`].
//!
//! Cases are matched by id. Whether a case regressed is decided by a [`CasePolicy`] from
//! pass/judged counts on each side, so repeated runs can plug in a statistical test; the
//! default [`AnyFailure`](super::policy::AnyFailure) policy says a case regressed when it passed every time in the
//! baseline and failed now. Prompts are compared by their registry id (else the suite path):
//! prompt tokens over the cases both reports share, pass rates, and cost. A prompt whose tokens
//! (or cost) grew by more than the allowed growth while its pass rate did not improve fails the
//! gate. Everything here is pure; [`report`](crate::report) shows the result.

use std::collections::{BTreeMap, HashMap};

use super::policy::{CaseChange, CaseCounts, CasePolicy};
use crate::results::{
    BaselineInfo, CaseDelta, CaseStatus, Comparison, JsonCase, JsonReport, PromptDelta,
    RegressionTest, SuiteTest, TokenDelta,
};
use crate::util::format::{percent_trimmed, plural};

/// The growth of prompt tokens or cost the gate allows by default: 10%.
pub(crate) const DEFAULT_GROWTH: f64 = 0.10;

/// How to compare.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CompareOptions {
    /// The largest allowed growth of a prompt's tokens or cost, as a fraction (0.10 = 10%).
    pub(crate) growth: f64,
    /// What regressions gate on.
    pub(crate) regression_test: RegressionTest,
    /// The confidence of the suite-wide test (its alpha is `1 − confidence`).
    pub(crate) confidence: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            growth: DEFAULT_GROWTH,
            regression_test: RegressionTest::Case,
            confidence: crate::plan::DEFAULT_CONFIDENCE,
        }
    }
}

/// Returns the confidence a report's repeated cases ran at (the highest, when they differ),
/// else the default 0.95: regression tests on the report use it.
#[must_use]
pub(crate) fn report_confidence(report: &JsonReport) -> f64 {
    report
        .cases
        .iter()
        .filter_map(|case| case.repeat.as_ref().map(|repeat| repeat.confidence))
        .fold(None, |highest: Option<f64>, confidence| {
            Some(highest.map_or(confidence, |highest| highest.max(confidence)))
        })
        .unwrap_or(crate::plan::DEFAULT_CONFIDENCE)
}

/// The gate's reading of a comparison (the type is a plain value of the results model).
impl Comparison {
    /// Returns why the comparison fails the gate (empty when it passes).
    #[must_use]
    pub(crate) fn gate_reasons(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        match (self.regression_test, &self.suite_test) {
            (RegressionTest::Case, _) if !self.regressions.is_empty() => {
                reasons.push(plural(self.regressions.len(), "regression", "regressions"));
            }
            (RegressionTest::Suite, Some(test)) if test.significant => reasons.push(format!(
                "the suite got significantly worse ({} worse, {} better, McNemar p = {:.4})",
                test.worse, test.better, test.p_value
            )),
            _ => {}
        }
        let limit = percent_trimmed(self.growth_limit);
        let grown = self.prompts.iter().filter(|p| p.tokens_over_growth).count();
        if grown > 0 {
            reasons.push(format!(
                "{} grew more than {limit} in tokens",
                plural(grown, "prompt", "prompts")
            ));
        }
        let costlier = self.prompts.iter().filter(|p| p.cost_over_growth).count();
        if costlier > 0 {
            reasons.push(format!(
                "{} grew more than {limit} in cost",
                plural(costlier, "prompt", "prompts")
            ));
        }
        reasons
    }

    /// Returns true when the comparison alone fails the gate.
    #[must_use]
    pub(crate) fn failed(&self) -> bool {
        !self.gate_reasons().is_empty()
    }
}

/// Returns the prompt tokens a case's report shows: the offline count when there is one (it
/// is deterministic), else the provider's.
fn prompt_tokens(case: &JsonCase) -> Option<u64> {
    let tokens = case.tokens.as_ref()?;
    Some(
        tokens
            .offline
            .map_or(tokens.prompt, |offline| offline.prompt),
    )
}

fn prompt_key(case: &JsonCase) -> String {
    let prompt = case.prompt_id.as_ref().unwrap_or(&case.suite);
    // Targets differ in tokenizer and price: a case of a suite run on several targets is
    // compared per prompt and target.
    if case.carries_target() {
        format!("{prompt}@{}", case.target)
    } else {
        prompt.clone()
    }
}

fn reasons(case: &JsonCase) -> Vec<String> {
    let mut reasons = case.failed_assertions();
    if let Some(error) = &case.error {
        reasons.push(error.message.clone());
    }
    reasons
}

/// Compares `head` (this run) with `base` (the baseline).
#[must_use]
pub(crate) fn compare_baseline(
    base: &JsonReport,
    base_path: &str,
    head: &JsonReport,
    options: CompareOptions,
    policy: &dyn CasePolicy,
) -> Comparison {
    compare_cases(base, base_path, head.cases.iter(), options, policy)
}

/// Compares the cases of this run, in plan order, with `base` (the baseline): one head case
/// at a time is needed, so a run's cases can come from its spill file.
pub(crate) fn compare_cases<C: std::borrow::Borrow<JsonCase>>(
    base: &JsonReport,
    base_path: &str,
    head: impl IntoIterator<Item = C>,
    options: CompareOptions,
    policy: &dyn CasePolicy,
) -> Comparison {
    let base_cases: HashMap<&str, &JsonCase> = base
        .cases
        .iter()
        .map(|case| (case.id.as_str(), case))
        .collect();
    // The baseline's ids this run has too: the others were removed.
    let mut kept: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut comparison = Comparison {
        baseline: BaselineInfo {
            path: base_path.to_owned(),
            started_at: base.run.started_at.clone(),
            git_commit: base.run.git_commit.clone(),
        },
        policy: policy.name().to_owned(),
        growth_limit: options.growth,
        regressions: Vec::new(),
        fixed: Vec::new(),
        known_failures: Vec::new(),
        new_cases: Vec::new(),
        removed_cases: Vec::new(),
        prompts: Vec::new(),
        flipped: Vec::new(),
        suite_test: None,
        regression_test: options.regression_test,
    };
    let (mut worse, mut better) = (0_u64, 0_u64);
    let mut prompts: BTreeMap<String, PromptAccumulator> = BTreeMap::new();
    for case in head {
        let case = case.borrow();
        let accumulator = prompts.entry(prompt_key(case)).or_default();
        accumulator.head_counts.add(CaseCounts::of(case));
        let Some(&before) = base_cases.get(case.id.as_str()) else {
            comparison
                .new_cases
                .push(delta(case, None, Some(case.status), Vec::new()));
            continue;
        };
        kept.insert(before.id.as_str());
        accumulator.share(before, case);
        let flip = match (before.status, case.status) {
            (CaseStatus::Passed, CaseStatus::Failed) => Some(true),
            (CaseStatus::Failed, CaseStatus::Passed) => Some(false),
            _ => None,
        };
        match flip {
            Some(true) => worse += 1,
            Some(false) => better += 1,
            None => {}
        }
        let list = match policy.classify(CaseCounts::of(before), CaseCounts::of(case)) {
            CaseChange::Regressed => &mut comparison.regressions,
            CaseChange::Fixed => &mut comparison.fixed,
            CaseChange::StillFailing => &mut comparison.known_failures,
            CaseChange::Unchanged if flip.is_some() => &mut comparison.flipped,
            CaseChange::Unchanged => continue,
        };
        list.push(delta(
            case,
            Some(before.status),
            Some(case.status),
            reasons(case),
        ));
    }
    for case in &base.cases {
        prompts
            .entry(prompt_key(case))
            .or_default()
            .base_counts
            .add(CaseCounts::of(case));
        if !kept.contains(case.id.as_str()) {
            comparison
                .removed_cases
                .push(delta(case, Some(case.status), None, Vec::new()));
        }
    }
    let alpha = 1.0 - options.confidence;
    let p_value = crate::stats::mcnemar_worse(worse, better);
    comparison.suite_test = Some(SuiteTest {
        worse,
        better,
        p_value,
        alpha,
        significant: p_value < alpha,
    });
    comparison.prompts = prompts
        .into_iter()
        .filter(|(_, accumulator)| accumulator.shared > 0)
        .map(|(prompt, accumulator)| accumulator.finish(prompt, options.growth))
        .collect();
    comparison
}

fn delta(
    case: &JsonCase,
    base: Option<CaseStatus>,
    head: Option<CaseStatus>,
    reasons: Vec<String>,
) -> CaseDelta {
    CaseDelta {
        id: case.id.clone(),
        line: case.line,
        base,
        head,
        reasons,
    }
}

/// Pass counts summed over the cases of a prompt.
#[derive(Debug, Default, Clone, Copy)]
struct PassTally {
    passed: u64,
    judged: u64,
}

impl PassTally {
    fn add(&mut self, counts: CaseCounts) {
        self.passed += u64::from(counts.passed);
        self.judged += u64::from(counts.judged);
    }

    fn rate(self) -> Option<f64> {
        (self.judged > 0).then(|| self.passed as f64 / self.judged as f64)
    }
}

#[derive(Debug, Default)]
struct PromptAccumulator {
    shared: usize,
    base_tokens: u64,
    head_tokens: u64,
    base_cost: Option<f64>,
    head_cost: Option<f64>,
    base_counts: PassTally,
    head_counts: PassTally,
    changed: Vec<TokenDelta>,
}

impl PromptAccumulator {
    fn share(&mut self, base: &JsonCase, head: &JsonCase) {
        self.shared += 1;
        if let (Some(before), Some(now)) = (prompt_tokens(base), prompt_tokens(head)) {
            self.base_tokens += before;
            self.head_tokens += now;
            if before != now {
                self.changed.push(TokenDelta {
                    id: head.id.clone(),
                    base: before,
                    head: now,
                });
            }
        }
        if let (Some(before), Some(now)) = (base.cost_usd, head.cost_usd) {
            *self.base_cost.get_or_insert(0.0) += before;
            *self.head_cost.get_or_insert(0.0) += now;
        }
    }

    fn finish(mut self, prompt: String, limit: f64) -> PromptDelta {
        let growth = |base: f64, head: f64| (base > 0.0).then(|| head / base - 1.0);
        let token_growth = growth(self.base_tokens as f64, self.head_tokens as f64);
        let cost_growth = match (self.base_cost, self.head_cost) {
            (Some(base), Some(head)) => growth(base, head),
            _ => None,
        };
        let (base_rate, head_rate) = (self.base_counts.rate(), self.head_counts.rate());
        let improved = match (base_rate, head_rate) {
            (Some(base), Some(head)) => head > base + 1e-9,
            (None, Some(_)) => true,
            _ => false,
        };
        let over = |growth: Option<f64>| growth.is_some_and(|g| g > limit + 1e-9) && !improved;
        self.changed.sort_by(|a, b| {
            let change = |d: &TokenDelta| d.head as f64 / d.base.max(1) as f64;
            change(b).total_cmp(&change(a)).then(a.id.cmp(&b.id))
        });
        PromptDelta {
            prompt,
            shared_cases: self.shared,
            base_tokens: self.base_tokens,
            head_tokens: self.head_tokens,
            token_growth,
            base_pass_rate: base_rate,
            head_pass_rate: head_rate,
            base_cost_usd: self.base_cost,
            head_cost_usd: self.head_cost,
            cost_growth,
            tokens_over_growth: over(token_growth),
            cost_over_growth: over(cost_growth),
            changed_cases: self.changed,
        }
    }
}
