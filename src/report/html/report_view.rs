//! [`report_page`]: the HTML report of one run, built from its JSON report.
//!
//! The page's data is a compact view of the report: every string stored once in a text
//! table, cases with short keys, and the groupings the page shows (suites, targets, suite ×
//! target, probe families) computed here so the script only draws.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::page::{self, PageKind};
use super::text_table::TextTable;
use crate::chat::Message;
use crate::decide::Verdict;
use crate::results::{
    BudgetCheck, CaseError, CaseStatus as Status, Comparison, Counts, JsonCase, JsonProbe,
    JsonRepeat, JsonReport, JsonRun, JsonSuite, TokenSource,
};
use crate::stats::PassRate;

/// The confidence of every interval the page shows.
const CONFIDENCE: f64 = 0.95;

/// What the HTML report is built from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HtmlInput<'a> {
    /// The run's report.
    pub(crate) report: &'a JsonReport,
    /// The gate's decision.
    pub(crate) verdict: &'a Verdict,
    /// The messages each case sent, in case order, when known (a JSON report does not hold
    /// them; a run does).
    pub(crate) messages: Option<&'a [&'a [Message]]>,
}

/// Returns the self-contained HTML page of a run.
#[must_use]
pub(crate) fn report_page(input: &HtmlInput<'_>) -> Vec<u8> {
    let view = ReportView::new(input);
    let data = serde_json::to_string(&view).expect("a report view always serialises");
    page::render(PageKind::Report, &view.title, &data)
}

#[derive(Serialize)]
struct ReportView<'a> {
    kind: &'static str,
    generator: &'static str,
    title: String,
    run: &'a JsonRun,
    verdict: VerdictView<'a>,
    summary: SummaryView,
    suites: Vec<SuiteView<'a>>,
    targets: Vec<TargetView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cells: Vec<CellView<'a>>,
    probes: Vec<FamilyView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a Comparison>,
    text: TextTable<'a>,
    cases: Vec<CaseView<'a>>,
}

#[derive(Serialize)]
struct VerdictView<'a> {
    passed: bool,
    exit_code: i32,
    reasons: &'a [String],
}

#[derive(Serialize)]
struct SummaryView {
    #[serde(flatten)]
    tally: Tally,
    prompt_tokens: u64,
    completion_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
    cached: usize,
    flaky: usize,
}

/// Case counts, shown with the pass rate over the judged ones and its interval.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    counts: Counts,
}

impl Tally {
    fn of(counts: Counts) -> Self {
        Self { counts }
    }

    fn add(&mut self, status: Status) {
        self.counts.add(status);
    }
}

impl Serialize for Tally {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown {
            #[serde(flatten)]
            counts: Counts,
            #[serde(flatten, skip_serializing_if = "Option::is_none")]
            rate: Option<PassRate>,
        }
        Shown {
            counts: self.counts,
            rate: pass_rate(&self.counts),
        }
        .serialize(serializer)
    }
}

#[derive(Serialize)]
struct SuiteView<'a> {
    path: &'a str,
    prompt_id: Option<&'a str>,
    template: Option<&'a str>,
    content_hash: Option<&'a str>,
    registry_version: Option<&'a str>,
    target: &'a str,
    provider: &'a str,
    model: &'a str,
    #[serde(flatten)]
    tally: Tally,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    budgets: &'a [BudgetCheck],
}

#[derive(Serialize)]
struct TargetView<'a> {
    name: &'a str,
    provider: &'a str,
    model: &'a str,
    #[serde(flatten)]
    tally: Tally,
    prompt_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p50_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p95_ms: Option<u64>,
}

/// One suite path against one target, for the side-by-side table of a several-target run.
#[derive(Serialize)]
struct CellView<'a> {
    path: &'a str,
    target: usize,
    #[serde(flatten)]
    tally: Tally,
}

#[derive(Serialize)]
struct FamilyView<'a> {
    kind: &'a str,
    family: &'a str,
    #[serde(flatten)]
    tally: Tally,
}

/// A case with short keys: the page holds up to tens of thousands of them.
#[derive(Serialize)]
struct CaseView<'a> {
    /// The id, only when it is not `suite::name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    n: &'a str,
    s: usize,
    t: usize,
    st: char,
    l: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    g: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttft: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pt: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ct: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tk: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    c: Option<f64>,
    #[serde(skip_serializing_if = "is_zero")]
    k: u8,
    rq: u32,
    #[serde(skip_serializing_if = "is_zero")]
    rt: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rc: Vec<u32>,
    #[serde(skip_serializing_if = "is_zero")]
    w: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<u32>,
    #[serde(skip_serializing_if = "is_zero")]
    at: u8,
    #[serde(rename = "as")]
    assertions: Vec<AssertionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    e: Option<&'a CaseError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sk: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    m: Option<Vec<(&'static str, u32)>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rp: Option<&'a JsonRepeat>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    x: Vec<AttemptView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p: Option<&'a JsonProbe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<&'static str>,
}

#[derive(Serialize)]
struct AssertionView {
    k: u32,
    ok: u8,
    r: u32,
    /// Everything else the assertion result carries (a judge's score, votes, grader, …), so
    /// new evidence shows up without a change here.
    #[serde(skip_serializing_if = "Option::is_none")]
    ev: Option<Map<String, Value>>,
}

#[derive(Serialize)]
struct AttemptView {
    n: u32,
    st: char,
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    r: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    #[serde(skip_serializing_if = "is_zero")]
    k: u8,
}

fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn status_code(status: Status) -> char {
    match status {
        Status::Passed => 'p',
        Status::Failed => 'f',
        Status::Error => 'e',
        Status::Skipped => 's',
    }
}

fn pass_rate(counts: &Counts) -> Option<PassRate> {
    PassRate::of(
        counts.passed as u64,
        (counts.passed + counts.failed) as u64,
        CONFIDENCE,
    )
}

impl<'a> ReportView<'a> {
    fn new(input: &HtmlInput<'a>) -> Self {
        let report = input.report;
        let mut text = TextTable::default();
        let mut suites: Vec<SuiteView<'a>> = report.suites.iter().map(suite_view).collect();
        let targets = targets_of(report);
        let changes = baseline_changes(report.baseline.as_ref());
        let cases = report
            .cases
            .iter()
            .enumerate()
            .map(|(index, case)| {
                let suite = suite_index(&mut suites, case);
                let target = targets
                    .iter()
                    .position(|target| target.name == case.target)
                    .expect("targets_of lists every case's target");
                let messages = input
                    .messages
                    .and_then(|messages| messages.get(index).copied());
                case_view(case, suite, target, messages, &changes, &mut text)
            })
            .collect();
        let counts = report.summary.counts;
        Self {
            kind: "report",
            generator: concat!("promptci ", env!("CARGO_PKG_VERSION")),
            title: title(report),
            run: &report.run,
            verdict: VerdictView {
                passed: input.verdict.passed(),
                exit_code: input.verdict.exit_code,
                reasons: &input.verdict.reasons,
            },
            summary: SummaryView {
                tally: Tally::of(counts),
                prompt_tokens: report.summary.prompt_tokens,
                completion_tokens: report.summary.completion_tokens,
                cost_usd: report.summary.cost_usd,
                cached: report.cases.iter().filter(|case| case.cached).count(),
                flaky: report.summary.flaky.len(),
            },
            cells: cells_of(report, &suites, &targets),
            suites,
            targets,
            probes: families_of(report),
            baseline: report.baseline.as_ref(),
            text,
            cases,
        }
    }
}

/// Returns the run's targets with their counts, tokens, cost and latency percentiles (cached
/// answers left out of latency), adding any target a case names that the run does not list.
fn targets_of(report: &JsonReport) -> Vec<TargetView<'_>> {
    let mut targets: Vec<TargetView<'_>> = report
        .run
        .targets
        .iter()
        .map(|target| TargetView::new(&target.name, &target.provider, &target.model))
        .collect();
    let mut latencies: Vec<Vec<u64>> = vec![Vec::new(); targets.len()];
    for case in &report.cases {
        let index = targets
            .iter()
            .position(|target| target.name == case.target)
            .unwrap_or_else(|| {
                targets.push(TargetView::new(&case.target, "", &case.model));
                latencies.push(Vec::new());
                targets.len() - 1
            });
        let target = &mut targets[index];
        target.tally.add(case.status);
        if let Some(tokens) = &case.tokens {
            target.prompt_tokens += tokens.prompt;
        }
        if let Some(cost) = case.cost_usd {
            *target.cost_usd.get_or_insert(0.0) += cost;
        }
        if let (Some(latency), false) = (case.latency_ms, case.cached) {
            latencies[index].push(latency);
        }
    }
    for (target, mut values) in targets.iter_mut().zip(latencies) {
        target.p50_ms = crate::stats::percentile(&mut values, 50);
        target.p95_ms = crate::stats::percentile(&mut values, 95);
    }
    targets
}

impl<'a> TargetView<'a> {
    fn new(name: &'a str, provider: &'a str, model: &'a str) -> Self {
        Self {
            name,
            provider,
            model,
            tally: Tally::default(),
            prompt_tokens: 0,
            cost_usd: None,
            p50_ms: None,
            p95_ms: None,
        }
    }
}

/// Returns each suite path's counts against each target, in suite order, when some suite ran
/// against more than one target (else the side-by-side table would only repeat the suites).
fn cells_of<'a>(
    report: &'a JsonReport,
    suites: &[SuiteView<'a>],
    targets: &[TargetView<'a>],
) -> Vec<CellView<'a>> {
    let mut cells: Vec<CellView<'a>> = Vec::new();
    for case in &report.cases {
        let target = targets
            .iter()
            .position(|target| target.name == case.target)
            .expect("targets_of lists every case's target");
        let index = cells
            .iter()
            .position(|cell| cell.path == case.suite && cell.target == target)
            .unwrap_or_else(|| {
                cells.push(CellView {
                    path: &case.suite,
                    target,
                    tally: Tally::default(),
                });
                cells.len() - 1
            });
        cells[index].tally.add(case.status);
    }
    let mut paths = std::collections::HashSet::new();
    if cells.iter().all(|cell| paths.insert(cell.path)) {
        return Vec::new();
    }
    let order = |path: &str| suites.iter().position(|suite| suite.path == path);
    cells.sort_by_key(|cell| (order(cell.path), cell.target));
    cells
}

/// Returns the counts of each probe family, in order of first appearance.
fn families_of(report: &JsonReport) -> Vec<FamilyView<'_>> {
    let mut families: Vec<FamilyView<'_>> = Vec::new();
    for case in &report.cases {
        let Some(probe) = &case.probe else { continue };
        let index = families
            .iter()
            .position(|family| family.family == probe.family && family.kind == probe.kind)
            .unwrap_or_else(|| {
                families.push(FamilyView {
                    kind: &probe.kind,
                    family: &probe.family,
                    tally: Tally::default(),
                });
                families.len() - 1
            });
        families[index].tally.add(case.status);
    }
    families
}

/// Returns the page title: the verdict-neutral name of the run and when it started.
fn title(report: &JsonReport) -> String {
    let date = report
        .run
        .started_at
        .get(..16)
        .unwrap_or(&report.run.started_at)
        .replace('T', " ");
    format!("promptci report · {date}")
}

fn suite_view(suite: &JsonSuite) -> SuiteView<'_> {
    SuiteView {
        path: &suite.path,
        prompt_id: suite.prompt_id.as_deref(),
        template: suite.template.as_deref(),
        content_hash: suite.content_hash.as_deref(),
        registry_version: suite.registry_version.as_deref(),
        target: &suite.target,
        provider: &suite.provider,
        model: &suite.model,
        tally: Tally::of(suite.counts),
        budgets: &suite.budgets,
    }
}

/// Returns the index of the case's suite entry: the one for its path and target, else the
/// first for its path, else a new entry (a report written by hand may list no suites).
fn suite_index<'a>(suites: &mut Vec<SuiteView<'a>>, case: &'a JsonCase) -> usize {
    let by_target = suites
        .iter()
        .position(|suite| suite.path == case.suite && suite.target == case.target);
    if let Some(index) =
        by_target.or_else(|| suites.iter().position(|suite| suite.path == case.suite))
    {
        return index;
    }
    suites.push(SuiteView {
        path: &case.suite,
        prompt_id: case.prompt_id.as_deref(),
        template: None,
        content_hash: case.prompt_hash.as_deref(),
        registry_version: None,
        target: &case.target,
        provider: "",
        model: &case.model,
        tally: Tally::default(),
        budgets: &[],
    });
    suites.len() - 1
}

/// Returns how each case changed against the baseline, by case id.
fn baseline_changes(comparison: Option<&Comparison>) -> HashMap<&str, &'static str> {
    let mut changes = HashMap::new();
    let Some(comparison) = comparison else {
        return changes;
    };
    for (label, list) in [
        ("regressed", &comparison.regressions),
        ("fixed", &comparison.fixed),
        ("still-failing", &comparison.known_failures),
        ("flipped", &comparison.flipped),
        ("new", &comparison.new_cases),
    ] {
        for delta in list {
            changes.insert(delta.id.as_str(), label);
        }
    }
    changes
}

fn case_view<'a>(
    case: &'a JsonCase,
    suite: usize,
    target: usize,
    messages: Option<&'a [Message]>,
    changes: &HashMap<&str, &'static str>,
    text: &mut TextTable<'a>,
) -> CaseView<'a> {
    let plain_id = case.id.len() == case.suite.len() + 2 + case.name.len()
        && case.id.starts_with(case.suite.as_str())
        && case.id.ends_with(case.name.as_str())
        && case.id[case.suite.len()..].starts_with("::");
    let tokens = case.tokens.as_ref();
    CaseView {
        id: (!plain_id).then_some(case.id.as_str()),
        n: &case.name,
        s: suite,
        t: target,
        st: status_code(case.status),
        l: case.line,
        g: case.tags.iter().map(|tag| text.add(tag.as_str())).collect(),
        ms: case.latency_ms,
        ttft: case.ttft_ms,
        pt: tokens.map(|tokens| tokens.prompt),
        ct: tokens.map(|tokens| tokens.completion),
        tk: tokens.map(|tokens| {
            text.add(match tokens.source {
                TokenSource::Provider => "reported by the provider".to_owned(),
                TokenSource::Offline => format!(
                    "counted offline{}{}",
                    tokens
                        .encoding
                        .map(|encoding| format!(" with {}", encoding.as_str()))
                        .unwrap_or_default(),
                    if tokens.estimate {
                        ", an estimate: not the model's own tokenizer"
                    } else {
                        ""
                    }
                ),
            })
        }),
        c: case.cost_usd,
        k: u8::from(case.cached),
        rq: case.requests,
        rt: case.retries,
        rc: case
            .retry_causes
            .iter()
            .map(|cause| text.add(cause.as_str()))
            .collect(),
        w: case.waited_ms,
        a: case.answer.as_deref().map(|answer| text.add(answer)),
        at: u8::from(case.answer_truncated),
        assertions: case
            .assertions
            .iter()
            .map(|assertion| AssertionView {
                k: text.add(assertion.kind.as_str()),
                ok: u8::from(assertion.passed),
                r: text.add(assertion.reason.as_str()),
                ev: evidence(assertion),
            })
            .collect(),
        e: case.error.as_ref(),
        sk: case.skip_reason.as_deref().map(|reason| text.add(reason)),
        m: messages.map(|messages| {
            messages
                .iter()
                .map(|message| (message.role.as_str(), text.add(message.content.as_str())))
                .collect()
        }),
        rp: case.repeat.as_ref(),
        x: case
            .attempts
            .iter()
            .map(|attempt| AttemptView {
                n: attempt.attempt,
                st: status_code(attempt.status),
                a: attempt.answer.as_deref().map(|answer| text.add(answer)),
                r: attempt
                    .reasons
                    .iter()
                    .map(|reason| text.add(reason.as_str()))
                    .collect(),
                ms: attempt.latency_ms,
                k: u8::from(attempt.cached),
            })
            .collect(),
        p: case.probe.as_ref(),
        b: changes.get(case.id.as_str()).copied(),
    }
}

/// Returns the fields of an assertion result besides its kind, verdict and reason.
fn evidence(assertion: &crate::assert::AssertionResult) -> Option<Map<String, Value>> {
    let Ok(Value::Object(mut fields)) = serde_json::to_value(assertion) else {
        return None;
    };
    for known in ["kind", "passed", "reason"] {
        fields.remove(known);
    }
    fields.retain(|_, value| !value.is_null());
    (!fields.is_empty()).then_some(fields)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::chat::Role;

    fn case(id: &str, suite: &str, target: &str, status: &str, answer: &str) -> Value {
        json!({
            "id": id, "suite": suite, "line": 3,
            "name": id.rsplit("::").next().unwrap().split('@').next().unwrap(),
            "status": status, "target": target, "answer": answer, "latency_ms": 40,
            "tags": ["smoke"],
            "assertions": [{ "kind": "icontains", "passed": status == "passed", "reason": "missing `x`" }],
        })
    }

    fn report(cases: &[Value], baseline: Option<Value>) -> JsonReport {
        let count = |status: &str| cases.iter().filter(|case| case["status"] == status).count();
        let mut value = json!({
            "format_version": 1,
            "run": { "started_at": "2026-11-30T02:00:00Z",
                "targets": [{ "name": "a", "provider": "mock", "model": "m" }] },
            "summary": { "total": cases.len(), "passed": count("passed"), "failed": count("failed"),
                "errors": 0, "skipped": 0 },
            "suites": [{ "path": "s.yaml", "target": "a", "provider": "mock", "model": "m",
                "total": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0 }],
            "cases": cases,
        });
        if let Some(baseline) = baseline {
            value["baseline"] = baseline;
        }
        serde_json::from_value(value).unwrap()
    }

    fn view(report: &JsonReport, messages: Option<&[&[Message]]>) -> Value {
        let verdict = crate::decide::report_verdict(report);
        let input = HtmlInput {
            report,
            verdict: &verdict,
            messages,
        };
        serde_json::to_value(ReportView::new(&input)).unwrap()
    }

    fn text(view: &Value, index: &Value) -> String {
        view["text"][usize::try_from(index.as_u64().unwrap()).unwrap()]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn cases_are_compact_and_strings_are_stored_once() {
        let report = report(
            &[
                case("s.yaml::one", "s.yaml", "a", "passed", "same"),
                case("s.yaml::two", "s.yaml", "a", "failed", "same"),
                case("s.yaml::three@b", "s.yaml", "b", "failed", "<script>"),
            ],
            None,
        );
        let system = [Message::new(Role::System, "You are terse.")];
        let messages: Vec<&[Message]> = vec![&system; 3];
        let view = view(&report, Some(&messages));
        let cases = view["cases"].as_array().unwrap();
        assert_eq!(cases[0]["st"], "p");
        assert_eq!(cases[1]["st"], "f");
        assert_eq!(cases[0]["a"], cases[1]["a"], "one answer stored once");
        assert_eq!(text(&view, &cases[2]["a"]), "<script>");
        assert_eq!(
            cases[0].get("id"),
            None,
            "an id that is suite::name is left out"
        );
        assert_eq!(cases[2]["id"], "s.yaml::three@b");
        assert_eq!(cases[0]["m"], json!([["system", cases[1]["m"][0][1]]]));
        assert_eq!(text(&view, &cases[1]["as"][0]["r"]), "missing `x`");
        assert_eq!(cases[1]["as"][0]["ok"], 0);
        // A target the run does not list still gets an entry; suite × target cells appear
        // because one suite ran against two targets.
        let targets: Vec<&str> = view["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|target| target["name"].as_str().unwrap())
            .collect();
        assert_eq!(targets, ["a", "b"]);
        assert_eq!(view["cells"].as_array().unwrap().len(), 2);
        assert_eq!(view["targets"][0]["p95_ms"], 40);
        assert_eq!(view["verdict"]["passed"], false);
    }

    #[test]
    fn baseline_changes_mark_their_cases() {
        let baseline = json!({
            "baseline": { "path": "base.json" }, "policy": "fisher-exact", "growth_limit": 0.1,
            "regressions": [{ "id": "s.yaml::two", "base": "passed", "head": "failed" }],
            "fixed": [], "known_failures": [], "removed_cases": [], "prompts": [],
            "new_cases": [{ "id": "s.yaml::one", "head": "passed" }],
        });
        let report = report(
            &[
                case("s.yaml::one", "s.yaml", "a", "passed", "x"),
                case("s.yaml::two", "s.yaml", "a", "failed", "y"),
            ],
            Some(baseline),
        );
        let view = view(&report, None);
        assert_eq!(view["cases"][0]["b"], "new");
        assert_eq!(view["cases"][1]["b"], "regressed");
        assert_eq!(view["cases"][1].get("m"), None, "no messages without a run");
        assert_eq!(view["baseline"]["regressions"][0]["id"], "s.yaml::two");
        assert_eq!(view.get("cells"), None, "one target: no side-by-side table");
    }
}
