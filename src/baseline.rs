//! Compares a run with an earlier JSON report (the baseline): [`Comparison`].
//!
//! Cases are matched by id. Whether a case regressed is decided by a [`CasePolicy`] from
//! pass/judged counts on each side, so repeated runs can plug in a statistical test; the
//! default [`AnyFailure`] policy says a case regressed when it passed every time in the
//! baseline and failed now. Prompts are compared by their registry id (else the suite path):
//! prompt tokens over the cases both reports share, pass rates, and cost. A prompt whose tokens
//! (or cost) grew by more than the allowed growth while its pass rate did not improve fails the
//! gate. Everything here is pure; [`render_text`] and [`render_markdown`] show the result.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::report::json::{JsonCase, JsonReport};
use crate::run::Status;
use crate::util::format::{dollars, percent, percent_trimmed, plural, signed_percent};

/// The growth of prompt tokens or cost the gate allows by default: 10%.
pub const DEFAULT_GROWTH: f64 = 0.10;

/// How often a case passed among the times it was judged (errors and skips are not judged),
/// and its verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseCounts {
    /// Judged runs (attempts, for repeated cases) that passed.
    pub passed: u32,
    /// Runs judged on their merits (passed or failed).
    pub judged: u32,
    /// Whether the case passed as a whole (for repeated cases: met its `pass-rate`).
    pub verdict_passed: bool,
}

impl CaseCounts {
    /// Returns the counts of one case of a report: its attempts when it was repeated, else 0
    /// or 1 judged.
    #[must_use]
    pub fn of(case: &JsonCase) -> Self {
        let (passed, judged) = case.pass_counts().unwrap_or((0, 0));
        Self {
            passed,
            judged,
            verdict_passed: case.status == Status::Passed,
        }
    }

    /// Returns true when judged at least once and passed every time.
    #[must_use]
    pub fn all_passed(self) -> bool {
        self.judged > 0 && self.passed == self.judged
    }

    /// Returns true when judged and failed at least once.
    #[must_use]
    pub fn any_failed(self) -> bool {
        self.passed < self.judged
    }
}

/// How a case changed between the baseline and now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseChange {
    /// It passed in the baseline and does not now.
    Regressed,
    /// It failed in the baseline and passes now.
    Fixed,
    /// It failed in the baseline and still fails (a known failure).
    StillFailing,
    /// It passes on both sides, or one side was not judged.
    Unchanged,
}

/// Decides how a case changed from its pass counts on each side.
///
/// The default is [`AnyFailure`]; a statistical test over repeated runs implements this too.
pub trait CasePolicy {
    /// Returns the policy's name, as reports show it.
    fn name(&self) -> &'static str;

    /// Classifies one case present on both sides.
    fn classify(&self, base: CaseCounts, head: CaseCounts) -> CaseChange;
}

/// A case regressed when it passed every judged run of the baseline and failed one now.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyFailure;

impl CasePolicy for AnyFailure {
    fn name(&self) -> &'static str {
        "any-failure"
    }

    fn classify(&self, base: CaseCounts, head: CaseCounts) -> CaseChange {
        if head.judged == 0 || base.judged == 0 {
            CaseChange::Unchanged
        } else if base.all_passed() && head.any_failed() {
            CaseChange::Regressed
        } else if base.any_failed() && head.all_passed() {
            CaseChange::Fixed
        } else if base.any_failed() && head.any_failed() {
            CaseChange::StillFailing
        } else {
            CaseChange::Unchanged
        }
    }
}

/// The default policy: single-shot cases keep [`AnyFailure`]'s plain rule; a case repeated on
/// either side regressed only when its pass rate fell significantly (one-sided Fisher exact
/// test on the two pass counts at `alpha`), so noise in a flaky case is not a regression while
/// an always-pass case that now always fails is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedExact {
    /// The significance level: `1 − confidence`.
    pub alpha: f64,
}

impl PairedExact {
    /// Creates the policy for `confidence` (0.95 tests at alpha = 0.05).
    #[must_use]
    pub fn new(confidence: f64) -> Self {
        Self {
            alpha: 1.0 - confidence,
        }
    }
}

impl CasePolicy for PairedExact {
    fn name(&self) -> &'static str {
        "fisher-exact"
    }

    fn classify(&self, base: CaseCounts, head: CaseCounts) -> CaseChange {
        if base.judged <= 1 && head.judged <= 1 {
            return AnyFailure.classify(base, head);
        }
        if head.judged == 0 || base.judged == 0 {
            return CaseChange::Unchanged;
        }
        let fell = crate::stats::fisher_fell(
            u64::from(base.passed),
            u64::from(base.judged),
            u64::from(head.passed),
            u64::from(head.judged),
        );
        let rose = crate::stats::fisher_fell(
            u64::from(head.passed),
            u64::from(head.judged),
            u64::from(base.passed),
            u64::from(base.judged),
        );
        if fell < self.alpha {
            CaseChange::Regressed
        } else if rose < self.alpha {
            CaseChange::Fixed
        } else if !base.verdict_passed && !head.verdict_passed {
            CaseChange::StillFailing
        } else {
            CaseChange::Unchanged
        }
    }
}

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

/// How to compare.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareOptions {
    /// The largest allowed growth of a prompt's tokens or cost, as a fraction (0.10 = 10%).
    pub growth: f64,
    /// What regressions gate on.
    pub regression_test: RegressionTest,
    /// The confidence of the suite-wide test (its alpha is `1 − confidence`).
    pub confidence: f64,
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
pub fn report_confidence(report: &JsonReport) -> f64 {
    report
        .cases
        .iter()
        .filter_map(|case| case.repeat.as_ref().map(|repeat| repeat.confidence))
        .fold(None, |highest: Option<f64>, confidence| {
            Some(highest.map_or(confidence, |highest| highest.max(confidence)))
        })
        .unwrap_or(crate::plan::DEFAULT_CONFIDENCE)
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
    pub base: Option<Status>,
    /// The status now (absent for removed cases).
    #[serde(default)]
    pub head: Option<Status>,
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

impl Comparison {
    /// Returns why the comparison fails the gate (empty when it passes).
    #[must_use]
    pub fn gate_reasons(&self) -> Vec<String> {
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
    pub fn failed(&self) -> bool {
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
    case.prompt_id.clone().unwrap_or_else(|| case.suite.clone())
}

fn reasons(case: &JsonCase) -> Vec<String> {
    let mut reasons: Vec<String> = case
        .assertions
        .iter()
        .filter(|result| !result.passed)
        .map(|result| format!("{}: {}", result.kind, result.reason))
        .collect();
    if let Some(error) = &case.error {
        reasons.push(error.message.clone());
    }
    reasons
}

/// Compares `head` (this run) with `base` (the baseline).
#[must_use]
pub fn compare(
    base: &JsonReport,
    base_path: &str,
    head: &JsonReport,
    options: CompareOptions,
    policy: &dyn CasePolicy,
) -> Comparison {
    let base_cases: HashMap<&str, &JsonCase> = base
        .cases
        .iter()
        .map(|case| (case.id.as_str(), case))
        .collect();
    let head_ids: std::collections::HashSet<&str> =
        head.cases.iter().map(|case| case.id.as_str()).collect();
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
    for case in &head.cases {
        let accumulator = prompts.entry(prompt_key(case)).or_default();
        accumulator.head_counts.add(CaseCounts::of(case));
        let Some(before) = base_cases.get(case.id.as_str()) else {
            comparison
                .new_cases
                .push(delta(case, None, Some(case.status), Vec::new()));
            continue;
        };
        accumulator.share(before, case);
        let flip = match (before.status, case.status) {
            (Status::Passed, Status::Failed) => Some(true),
            (Status::Failed, Status::Passed) => Some(false),
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
        if !head_ids.contains(case.id.as_str()) {
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
    base: Option<Status>,
    head: Option<Status>,
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

fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), percent)
}

fn cost(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), dollars)
}

fn status(value: Option<Status>) -> &'static str {
    value.map_or("-", Status::as_str)
}

/// One row of the cases table: what happened, the case, and its statuses.
fn case_rows(comparison: &Comparison) -> Vec<(&'static str, &CaseDelta)> {
    let groups: [(&'static str, &Vec<CaseDelta>); 6] = [
        ("REGRESSED", &comparison.regressions),
        ("FLIPPED (not significant)", &comparison.flipped),
        ("FIXED", &comparison.fixed),
        ("STILL FAILING", &comparison.known_failures),
        ("NEW", &comparison.new_cases),
        ("REMOVED", &comparison.removed_cases),
    ];
    groups
        .into_iter()
        .flat_map(|(label, cases)| cases.iter().map(move |case| (label, case)))
        .collect()
}

/// Returns the suite-wide test as one line, when any case flipped.
fn suite_test_line(comparison: &Comparison) -> Option<String> {
    let test = comparison.suite_test?;
    (test.worse + test.better > 0).then(|| {
        format!(
            "paired test (exact one-sided McNemar over cases in both runs, {}): {} worse, {} better, p = {:.4}{}",
            match comparison.regression_test {
                RegressionTest::Case => "informational with --regression-test case",
                RegressionTest::Suite => "gates with --regression-test suite",
            },
            test.worse,
            test.better,
            test.p_value,
            if test.significant {
                format!(" < {:.2}: significantly worse", test.alpha)
            } else {
                String::new()
            }
        )
    })
}

/// One row of the prompts table, as cells.
fn prompt_cells(prompt: &PromptDelta) -> [String; 6] {
    let mark = |over: bool| if over { " ✗" } else { "" };
    [
        prompt.prompt.clone(),
        prompt.shared_cases.to_string(),
        format!(
            "{} → {} ({}){}",
            prompt.base_tokens,
            prompt.head_tokens,
            prompt
                .token_growth
                .map_or_else(|| "-".to_owned(), signed_percent),
            mark(prompt.tokens_over_growth)
        ),
        format!(
            "{} → {}",
            rate(prompt.base_pass_rate),
            rate(prompt.head_pass_rate)
        ),
        format!(
            "{} → {}{}{}",
            cost(prompt.base_cost_usd),
            cost(prompt.head_cost_usd),
            prompt
                .cost_growth
                .map(|growth| format!(" ({})", signed_percent(growth)))
                .unwrap_or_default(),
            mark(prompt.cost_over_growth)
        ),
        prompt
            .changed_cases
            .first()
            .map(|case| format!("{} {} → {}", case.id, case.base, case.head))
            .unwrap_or_default(),
    ]
}

const PROMPT_HEADERS: [&str; 6] = [
    "prompt",
    "cases",
    "prompt tokens",
    "pass rate",
    "cost",
    "largest change",
];

/// Renders the comparison as plain-text tables for the console and `promptci diff`.
#[must_use]
pub fn render_text(comparison: &Comparison) -> String {
    let mut out = format!(
        "\nbaseline {}{}: {}, {}, {}, {}, {}\n",
        comparison.baseline.path,
        comparison
            .baseline
            .git_commit
            .as_deref()
            .map(|commit| format!(" (commit {})", &commit[..commit.len().min(12)]))
            .unwrap_or_default(),
        plural(comparison.regressions.len(), "regression", "regressions"),
        plural(comparison.fixed.len(), "fixed", "fixed"),
        plural(
            comparison.known_failures.len(),
            "known failure",
            "known failures"
        ),
        plural(comparison.new_cases.len(), "new case", "new cases"),
        plural(
            comparison.removed_cases.len(),
            "removed case",
            "removed cases"
        ),
    );
    let rows = case_rows(comparison);
    if !rows.is_empty() {
        let table: Vec<[String; 3]> = rows
            .iter()
            .map(|(label, case)| {
                [
                    (*label).to_owned(),
                    case.id.clone(),
                    format!("{} → {}", status(case.base), status(case.head)),
                ]
            })
            .collect();
        out.push_str(&text_table(&["change", "case", "status"], &table));
        for (label, case) in &rows {
            if *label == "REGRESSED" {
                for reason in &case.reasons {
                    out.push_str(&format!("  {}: ✗ {reason}\n", case.id));
                }
            }
        }
    }
    if let Some(line) = suite_test_line(comparison) {
        out.push_str(&line);
        out.push('\n');
    }
    if !comparison.prompts.is_empty() {
        out.push('\n');
        let table: Vec<[String; 6]> = comparison.prompts.iter().map(prompt_cells).collect();
        out.push_str(&text_table(&PROMPT_HEADERS, &table));
    }
    let reasons = comparison.gate_reasons();
    if reasons.is_empty() {
        out.push_str(&format!(
            "baseline gate: ok (growth limit {})\n",
            percent_trimmed(comparison.growth_limit)
        ));
    } else {
        out.push_str(&format!("baseline gate: FAILED: {}\n", reasons.join(", ")));
    }
    out
}

/// Returns a plain-text table: left-aligned columns two spaces apart.
#[must_use]
pub fn text_table<const N: usize>(headers: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = headers.map(|header| header.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| {
                let pad = width.saturating_sub(cell.chars().count());
                format!("{cell}{}", " ".repeat(pad))
            })
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// Escapes a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Renders the comparison as Markdown (for pull-request comments and step summaries).
#[must_use]
pub fn render_markdown(comparison: &Comparison) -> String {
    let reasons = comparison.gate_reasons();
    let mut out = format!(
        "### promptci: comparison with `{}`\n\n{}\n\n",
        cell(&comparison.baseline.path),
        if reasons.is_empty() {
            format!(
                "**Gate: passed** (growth limit {})",
                percent_trimmed(comparison.growth_limit)
            )
        } else {
            format!("**Gate: failed**: {}", reasons.join(", "))
        }
    );
    if let Some(line) = suite_test_line(comparison) {
        out.push_str(&format!("{}\n\n", cell(&line)));
    }
    let rows = case_rows(comparison);
    if !rows.is_empty() {
        out.push_str("| change | case | baseline | now | why |\n|---|---|---|---|---|\n");
        for (label, case) in rows {
            out.push_str(&format!(
                "| {label} | `{}` | {} | {} | {} |\n",
                cell(&case.id),
                status(case.base),
                status(case.head),
                cell(&case.reasons.join("; "))
            ));
        }
        out.push('\n');
    }
    if !comparison.prompts.is_empty() {
        out.push_str(&format!(
            "| {} |\n|{}\n",
            PROMPT_HEADERS.join(" | "),
            "---|".repeat(PROMPT_HEADERS.len())
        ));
        for prompt in &comparison.prompts {
            let cells = prompt_cells(prompt).map(|text| cell(&text));
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;

    fn counts(passed: u32, judged: u32) -> CaseCounts {
        CaseCounts {
            passed,
            judged,
            verdict_passed: judged > 0 && passed == judged,
        }
    }

    fn repeated(passed: u32, judged: u32, verdict_passed: bool) -> CaseCounts {
        CaseCounts {
            passed,
            judged,
            verdict_passed,
        }
    }

    #[test_case(counts(1, 1), counts(0, 1), CaseChange::Regressed; "single shot keeps the plain rule")]
    #[test_case(repeated(10, 10, true), repeated(0, 10, false), CaseChange::Regressed; "always pass to always fail")]
    #[test_case(repeated(9, 10, true), repeated(7, 10, false), CaseChange::Unchanged; "noise in a flaky case")]
    #[test_case(repeated(20, 20, true), repeated(15, 20, false), CaseChange::Regressed; "fisher p 0.024")]
    #[test_case(repeated(2, 10, false), repeated(10, 10, true), CaseChange::Fixed; "rose significantly")]
    #[test_case(repeated(5, 10, false), repeated(4, 10, false), CaseChange::StillFailing; "failing both times")]
    #[test_case(repeated(10, 10, true), repeated(0, 0, false), CaseChange::Unchanged; "errored now")]
    fn paired_exact_policy(base: CaseCounts, head: CaseCounts, expected: CaseChange) {
        assert_eq!(PairedExact::new(0.95).classify(base, head), expected);
    }

    #[test_case(counts(1, 1), counts(0, 1), CaseChange::Regressed)]
    #[test_case(counts(0, 1), counts(1, 1), CaseChange::Fixed)]
    #[test_case(counts(0, 1), counts(0, 1), CaseChange::StillFailing)]
    #[test_case(counts(1, 1), counts(1, 1), CaseChange::Unchanged)]
    #[test_case(counts(1, 1), counts(0, 0), CaseChange::Unchanged; "errored now is not judged")]
    #[test_case(counts(0, 0), counts(0, 1), CaseChange::Unchanged; "errored before is not judged")]
    fn any_failure_policy(base: CaseCounts, head: CaseCounts, expected: CaseChange) {
        assert_eq!(AnyFailure.classify(base, head), expected);
    }
}
