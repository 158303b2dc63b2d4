//! `promptci run`: the whole pipeline, reports, and the gate.

use std::io::Write;
use std::path::Path;

use crate::cli::args::RunArgs;
use crate::cli::support::{RunPlan, plan_run, response_cache, stdout};
use crate::cli::value_enums::ColorArg;
use crate::config::Config;
use crate::decide::{CaseTokens, FailOn, SuiteBudget, Verdict};
use crate::decide::{CompareOptions, PairedExact};
use crate::error::{Error, InvalidInput, Problem, exit_code};
use crate::plan::{StreamedPlan, TestPlan};
use crate::provider::{Recorder, ResponseCache};
use crate::report::console::{ConsoleReporter, Display, GateLines, Styles};
use crate::report::spill::CaseSpill;
use crate::report::{json, junit};
use crate::results::{CaseRecord, CaseStatus, JsonCase, JsonReport};
use crate::results::{RunMeta, RunSummary, RunTally};
use crate::run::RunOptions;
use crate::util::format::plural;
use crate::util::git::git_commit;
use crate::util::path::display_path;

/// Runs the selected cases, writes reports, and returns the gate's exit code.
pub(crate) fn run(
    args: &RunArgs,
    config: &Config,
    cwd: &Path,
    color: ColorArg,
) -> Result<i32, Error> {
    check_named_target(args, config)?;
    let RunPlan {
        plan: streamed,
        held_back,
    } = plan_checked(args, config, cwd)?;
    let plan = &streamed.plan;
    // Everything that can be checked is checked before the first request.
    let [junit_path, json_path, html_path] = [&args.junit, &args.json, &args.html].map(|path| {
        path.as_deref()
            .map(|path| crate::cli::support::prepare_output(&cwd.join(path)))
            .transpose()
    });
    let (junit_path, json_path, html_path) = (junit_path?, json_path?, html_path?);
    let baseline = load_baseline(args, cwd)?;
    let providers = crate::cli::support::providers_for(plan)?;
    let cache = response_cache(&args.cache, config, cwd, &providers);
    let record_dir = args
        .record
        .as_deref()
        .map(|dir| prepare_record_dir(&cwd.join(dir)))
        .transpose()?;
    let recorder = record_dir
        .as_ref()
        .map(|_| std::sync::Arc::new(Recorder::new()));

    let started_at = jiff::Timestamp::now();
    let mut console =
        ConsoleReporter::new(stdout(), styles(color), Display::detect(), streamed.len());
    announce(&mut console, args, streamed.is_empty(), held_back);
    let options = RunOptions {
        concurrency: args.concurrency,
        fail_fast: args.fail_fast,
        handle_interrupts: true,
        cache: cache.clone(),
        recorder: recorder.clone(),
    };
    let Finished {
        outcome,
        mut spill,
        records,
        tally,
        messages,
        changed_files,
    } = run_cases(
        &streamed,
        &providers,
        &options,
        config,
        html_path.is_some(),
        &mut console,
    )?;
    let meta = RunMeta {
        started_at,
        duration: outcome.duration,
        git_commit: git_commit(&config.root),
        interrupted: outcome.interrupted,
    };
    let summary = RunSummary {
        plan,
        records: &records,
        tally: &tally,
        meta: &meta,
    };
    let gated = gate(args, &summary, &mut spill, baseline)?;
    show_summary(&mut console, &summary, &gated);
    let sinks = ReportSinks {
        json: json_path.as_deref(),
        junit: junit_path.as_deref(),
        html: html_path.as_deref().map(|path| (path, messages.as_slice())),
    };
    let report_paths = write_reports(
        &gated,
        &mut spill,
        &records,
        sinks,
        &mut console,
        config,
        cwd,
    )?;
    note_cache_failure(&mut console, cache.as_deref());
    if let (Some(dir), Some(recorder)) = (&record_dir, &recorder) {
        console.note(&write_recording(dir, recorder, cwd)?);
    }
    if crate::cli::github::is_enabled(args.github) {
        let notable = notable_cases(&gated.report, &mut spill, &records, &tally)?;
        let passed = gated.verdict.passed();
        crate::cli::github::emit(args.github, &notable, passed, &config.root, &report_paths)?;
    }
    if gated.verdict.exit_code == exit_code::INFRASTRUCTURE
        && let Some(hint) = providers_hint(plan, &records, &mut spill)?
    {
        let _ = writeln!(crate::cli::support::stderr(), "{hint}");
    }
    if !changed_files.is_empty() {
        // The reports account for every case, but a suite that changed under the run was
        // not tested: that is not a result to gate on.
        return Err(Error::Input(InvalidInput {
            problems: changed_files,
        }));
    }
    Ok(outcome.exit_code_or(gated.verdict.exit_code))
}

/// Plans the run and checks it before the first request: every case rendered (the run plans
/// each suite file again as it reaches it), warnings shown or denied, an empty selection
/// refused, registry versions and `--repeat` applied.
fn plan_checked(args: &RunArgs, config: &Config, cwd: &Path) -> Result<RunPlan, Error> {
    let mut run_plan = plan_run(&args.select, config, cwd)?;
    let streamed = &mut run_plan.plan;
    crate::cli::support::report_warnings(&streamed.plan, args.deny_warnings)?;
    check_run_arguments(args, streamed.len())?;
    crate::cli::support::fill_registry_versions(&mut streamed.plan, &config.root);
    if let Some(repeat) = args.repeat {
        streamed.set_repeat(repeat);
    }
    Ok(run_plan)
}

/// Notes, before the first request, an empty selection and the cases held back by a
/// `prompt-tokens` budget.
fn announce<W: Write>(
    console: &mut ConsoleReporter<W>,
    args: &RunArgs,
    empty: bool,
    held_back: usize,
) {
    if empty {
        console.note(&nothing_selected(&args.select));
    }
    if held_back > 0 {
        console.note(&format!(
            "not sending {}: their rendered prompts are over the `prompt-tokens` budget",
            plural(held_back, "case", "cases")
        ));
    }
}

/// Warns when answers could not be written to the cache: the run stands, the next one pays.
fn note_cache_failure<W: Write>(console: &mut ConsoleReporter<W>, cache: Option<&ResponseCache>) {
    if let Some(failure) = cache.and_then(ResponseCache::write_failure) {
        console.note(&format!(
            "warning: answers could not be cached ({failure}); the next run will ask again"
        ));
    }
}

/// What running the cases left: each case's report entry (in the spill file) and compact
/// record (in plan order), the run's tally, and the messages each case sent (only for the
/// HTML report).
struct Finished {
    outcome: crate::run::RunOutcome,
    spill: CaseSpill,
    records: Vec<CaseRecord>,
    tally: RunTally,
    messages: Vec<Vec<crate::chat::Message>>,
    /// A problem for each suite file edited during the run (its cases were not sent).
    changed_files: Vec<Problem>,
}

/// How many cases may be planned ahead of the run: enough that sending never waits for a
/// suite file to be read, few enough to stay a small part of its memory.
const PLANNED_AHEAD: usize = 256;

/// Runs the plan, turning each finished case at once into its report entry (with its tokens
/// and cost) and its compact record: nothing after the run reads the plan's cases. The cases
/// are planned again on another thread as the run takes them.
fn run_cases<W: Write>(
    streamed: &StreamedPlan,
    providers: &[crate::provider::Provider],
    options: &RunOptions,
    config: &Config,
    keep_messages: bool,
    console: &mut ConsoleReporter<W>,
) -> Result<Finished, Error> {
    let plan = &streamed.plan;
    let total = streamed.len();
    let mut spill = CaseSpill::new(total).map_err(|error| Error::Infrastructure {
        message: format!("cannot create a temporary file for the report's cases: {error}"),
    })?;
    let mut records: Vec<Option<CaseRecord>> = vec![None; total];
    let mut messages = vec![Vec::new(); if keep_messages { total } else { 0 }];
    let mut tally = RunTally::default();
    let (outcome, changed_files) = streamed.with_cases(config, PLANNED_AHEAD, |cases| {
        crate::run::execute(
            &plan.targets,
            cases,
            providers,
            options,
            |index, case, result| {
                console.case_finished(case, &result);
                let prompt = streamed.prompt_tokens(index);
                let tokens = CaseTokens::of(plan, case, &result, prompt, &config.prices);
                records[index] = Some(tokens.record(case, &result));
                let mut entry = JsonCase::from_result(plan, index, case, result);
                tokens.annotate(&mut entry);
                tally.add(index, &entry);
                spill.push(index, &entry);
                if keep_messages {
                    messages[index].clone_from(&case.messages);
                }
            },
        )
    })?;
    let outcome = outcome?;
    tally.finish();
    let every = "execute hands over every case's result";
    Ok(Finished {
        outcome,
        spill,
        records: records
            .into_iter()
            .map(|record| record.expect(every))
            .collect(),
        tally,
        messages,
        changed_files,
    })
}

/// The run judged as a whole: the report with tokens, budgets and baseline (its cases are
/// in the spill file), the verdict, and the confidence of its intervals.
struct Gated {
    report: JsonReport,
    budgets: Vec<SuiteBudget>,
    verdict: Verdict,
    confidence: f64,
}

/// Returns the error of a spill file that could not be read back.
fn spill_error(error: &std::io::Error) -> Error {
    Error::Infrastructure {
        message: format!("cannot read the run's cases back from their temporary file: {error}"),
    }
}

/// Checks budgets, builds the report, compares with the baseline, and decides, from the
/// cases' records; a case's entry is read back from the spill only where its id or text is
/// needed (budget offenders, the baseline comparison).
fn gate(
    args: &RunArgs,
    summary: &RunSummary<'_>,
    spill: &mut CaseSpill,
    baseline: Option<(String, JsonReport)>,
) -> Result<Gated, Error> {
    let mut failure = None;
    let budgets = crate::decide::check_budgets(summary.plan, summary.records, &mut |index| {
        spill.read(index).map_or_else(
            |error| {
                failure.get_or_insert(error);
                String::new()
            },
            |case| case.id,
        )
    });
    let mut report = JsonReport::from_summary(summary, Vec::new());
    report.run.selection = selection_flags(&args.select);
    crate::decide::annotate(&mut report, summary.records, &budgets);
    let confidence = summary
        .tally
        .repeat_confidence
        .unwrap_or(crate::plan::DEFAULT_CONFIDENCE);
    report.summary.targets = crate::results::side_by_side(crate::results::record_summaries(
        summary.plan,
        summary.records,
        confidence,
    ));
    report.baseline = baseline.map(|(path, base)| {
        let options = CompareOptions {
            growth: args.growth,
            regression_test: args.regression_test.into(),
            confidence,
        };
        let head = (0..spill.len()).map_while(|index| {
            spill
                .read(index)
                .map_err(|error| failure.get_or_insert(error))
                .ok()
        });
        crate::decide::compare_cases(&base, &path, head, options, &PairedExact::new(confidence))
    });
    if let Some(error) = failure {
        return Err(spill_error(&error));
    }
    let verdict = crate::decide::verdict(
        summary.counts(),
        summary.meta.interrupted,
        &budgets,
        report.baseline.as_ref(),
        args.fail_on.into(),
    );
    Ok(Gated {
        report,
        budgets,
        verdict,
        confidence,
    })
}

/// Returns `report` with the cases of `records` that `keep` selects read back from the spill,
/// for the outputs that need whole cases (the HTML page, GitHub's annotations and summary).
fn with_cases(
    report: &JsonReport,
    spill: &mut CaseSpill,
    records: &[CaseRecord],
    mut keep: impl FnMut(usize, &CaseRecord) -> bool,
) -> Result<JsonReport, Error> {
    let mut cases = Vec::new();
    for (index, record) in records.iter().enumerate() {
        if keep(index, record) {
            cases.push(spill.read(index).map_err(|error| spill_error(&error))?);
        }
    }
    Ok(JsonReport {
        cases,
        ..report.clone()
    })
}

/// Returns the report with the cases GitHub output shows (failed, errored, skipped and flaky
/// ones): passing cases add nothing to it, and a green run of 100,000 cases need not be read
/// back.
fn notable_cases(
    report: &JsonReport,
    spill: &mut CaseSpill,
    records: &[CaseRecord],
    tally: &RunTally,
) -> Result<JsonReport, Error> {
    with_cases(report, spill, records, |index, record| {
        record.status != CaseStatus::Passed
            || tally
                .flaky
                .binary_search_by_key(&index, |flaky| flaky.index)
                .is_ok()
    })
}

/// Returns the flags that ran only some cases, as written, for the report.
fn selection_flags(select: &crate::cli::args::SelectArgs) -> Vec<String> {
    let mut flags: Vec<String> = select
        .filter
        .iter()
        .map(|pattern| format!("--filter {pattern}"))
        .collect();
    flags.extend(select.tag.iter().map(|tag| format!("--tag {tag}")));
    flags.extend(
        select
            .changed_since
            .iter()
            .map(|reference| format!("--changed-since {reference}")),
    );
    flags
}

/// Returns the HTML report of the run, with the messages each case sent.
fn html_report(
    messages: &[Vec<crate::chat::Message>],
    report: &JsonReport,
    verdict: &Verdict,
) -> Vec<u8> {
    let messages: Vec<&[crate::chat::Message]> = messages.iter().map(Vec::as_slice).collect();
    crate::report::html::report_page(&crate::report::html::HtmlInput {
        report,
        verdict,
        messages: Some(&messages),
    })
}

/// Writes the summary table with the budget and baseline sections and the gate's verdict.
fn show_summary<W: Write>(
    console: &mut ConsoleReporter<W>,
    summary: &RunSummary<'_>,
    gated: &Gated,
) {
    let mut sections = crate::report::budget::budget_section(&gated.budgets);
    if let Some(comparison) = &gated.report.baseline {
        sections.push_str(&crate::report::comparison::render_text(comparison));
    }
    sections.push_str(&crate::report::targets::render_text(
        &gated.report.summary.targets,
        gated.confidence,
    ));
    console.finish(
        summary,
        Some(&GateLines {
            sections: &sections,
            failed: !gated.verdict.passed(),
            reasons: &gated.verdict.reasons,
            tokens: (
                gated.report.summary.prompt_tokens,
                gated.report.summary.completion_tokens,
            ),
            cost_usd: gated.report.summary.cost_usd,
        }),
    );
}

/// Writes the `--record` files and returns the line that says what was recorded.
fn write_recording(dir: &Path, recorder: &Recorder, cwd: &Path) -> Result<String, Error> {
    let answers = recorder.len();
    let files = recorder.write(dir)?;
    Ok(if answers == 0 {
        format!(
            "recorded nothing in {}: no live answers (the mock and replay targets are not recorded, errors have no answer)",
            display_path(dir, cwd)
        )
    } else {
        format!(
            "recorded {} in {} under {}",
            plural(answers, "answer", "answers"),
            plural(files.len(), "file", "files"),
            display_path(dir, cwd)
        )
    })
}

/// Returns colour styles when `--color` and the environment ask for them on stdout.
fn styles(color: ColorArg) -> Styles {
    use std::io::IsTerminal;
    if color.enabled(std::io::stdout().is_terminal()) {
        Styles::colored()
    } else {
        Styles::default()
    }
}

/// Reads `--baseline` before any request, so a wrong path fails fast.
fn load_baseline(args: &RunArgs, cwd: &Path) -> Result<Option<(String, JsonReport)>, Error> {
    let Some(path) = &args.baseline else {
        if FailOn::from(args.fail_on) == FailOn::Regressions {
            return Err(Error::usage(
                "`--fail-on regressions` needs `--baseline PATH` (an earlier `--json` report) to know which failures are known",
            ));
        }
        return Ok(None);
    };
    let full = cwd.join(path);
    let report = crate::cli::support::load_report(&full, cwd)?;
    Ok(Some((display_path(&full, cwd), report)))
}

/// The report files asked for: JSON, JUnit, and HTML with the messages each case sent.
#[derive(Clone, Copy)]
struct ReportSinks<'a> {
    json: Option<&'a Path>,
    junit: Option<&'a Path>,
    html: Option<(&'a Path, &'a [Vec<crate::chat::Message>])>,
}

/// Writes the reports that were asked for (noting the probe seed, when the run had probes) and
/// returns them as (GitHub output name, displayed path) pairs. JSON and JUnit stream the cases
/// from the spill in plan order, one at a time; the HTML page embeds the whole report, so it
/// is built with every case read back.
fn write_reports<W: Write>(
    gated: &Gated,
    spill: &mut CaseSpill,
    records: &[CaseRecord],
    sinks: ReportSinks<'_>,
    console: &mut ConsoleReporter<W>,
    config: &Config,
    cwd: &Path,
) -> Result<Vec<(&'static str, String)>, Error> {
    let report = &gated.report;
    let mut written = Vec::new();
    if let Some(path) = sinks.json {
        crate::util::file::write_atomic_with(path, |out| {
            json::write_streamed(
                report,
                spill.len(),
                &mut |index, out| spill.copy(index, out),
                out,
            )
        })
        .map_err(|source| Error::write(path, source))?;
        written.push(("json-report", display_path(path, cwd)));
    }
    if let Some(path) = sinks.junit {
        let prefix = crate::cli::support::path_prefix(&config.root);
        let suites = junit::suites_of(report);
        crate::util::file::write_atomic_with(path, |out| {
            junit::write_streamed(
                report,
                &suites,
                &prefix,
                &mut |suite, emit| {
                    for (index, record) in records.iter().enumerate() {
                        if record.suite as usize == suite {
                            emit(&spill.read(index)?)?;
                        }
                    }
                    Ok(())
                },
                out,
            )
        })
        .map_err(|source| Error::write(path, source))?;
        written.push(("junit-report", display_path(path, cwd)));
    }
    if let Some((path, messages)) = sinks.html {
        let whole = with_cases(report, spill, records, |_, _| true)?;
        let page = html_report(messages, &whole, &gated.verdict);
        crate::util::file::write_atomic(path, &page)
            .map_err(|source| Error::write(path, source))?;
        written.push(("html-report", display_path(path, cwd)));
    }
    if let Some(seed) = report.run.probe_seed {
        console.note(&format!(
            "probes: seed {seed} (rerun with `--seed {seed}` for the same payloads)"
        ));
    }
    for (_, path) in &written {
        console.note(&format!("wrote {path}"));
    }
    Ok(written)
}

/// Refuses `--concurrency 0`, and a selection that holds no case unless `--allow-empty`: it
/// would pass without testing anything.
fn check_run_arguments(args: &RunArgs, cases: usize) -> Result<(), Error> {
    if args.concurrency == 0 {
        return Err(Error::usage("`--concurrency` must be at least 1"));
    }
    if cases == 0 && !args.allow_empty {
        return Err(Error::usage(format!(
            "{} (hint: `promptci list` with the same selection shows the case ids; pass `--allow-empty` when an empty selection is expected)",
            nothing_selected(&args.select)
        )));
    }
    Ok(())
}

/// Says which selection holds no case: the paths, and each filter, tag, `--changed-since` and
/// `--shard` that narrowed it.
fn nothing_selected(select: &crate::cli::args::SelectArgs) -> String {
    let quoted = |items: &[String]| -> String {
        items
            .iter()
            .map(|item| format!("`{item}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let paths: Vec<String> = select
        .paths
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    let mut narrowed = Vec::new();
    if !select.filter.is_empty() {
        narrowed.push(format!("`--filter` {}", quoted(&select.filter)));
    }
    if !select.tag.is_empty() {
        narrowed.push(format!("`--tag` {}", quoted(&select.tag)));
    }
    if let Some(reference) = &select.changed_since {
        narrowed.push(format!("no suite changed since `{reference}`"));
    }
    if let Some(shard) = select.shard {
        narrowed.push(format!("shard {shard}"));
    }
    let mut message = format!("nothing to run: no case selected in {}", quoted(&paths));
    if !narrowed.is_empty() {
        message.push_str(&format!(" ({})", narrowed.join(", ")));
    }
    message
}

/// Says what to check when cases errored.
fn providers_hint(
    plan: &TestPlan,
    records: &[CaseRecord],
    spill: &mut CaseSpill,
) -> Result<Option<String>, Error> {
    let errored: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, record)| record.status == CaseStatus::Error)
        .map(|(index, _)| index)
        .collect();
    let Some(&first) = errored.first() else {
        return Ok(None);
    };
    let target = &plan.targets[records[first].target as usize];
    if let Some(recordings) = &target.recordings {
        // A replay target has no URL, key or model to check: its recordings are the cause.
        return Ok(Some(format!(
            "error: {} have no current recording in `{}`; re-record them with `promptci run --target <live target> --record {}`",
            plural(errored.len(), "case", "cases"),
            recordings.shown,
            recordings.shown,
        )));
    }
    // When the circuit breaker opened, its reason is what the user needs to see first.
    let mut unreachable = String::new();
    for &index in &errored {
        let case = spill.read(index).map_err(|error| spill_error(&error))?;
        if let Some(error) = case
            .error
            .filter(|error| error.kind == crate::chat::ProviderErrorKind::Unreachable)
        {
            unreachable = format!("\n  {}", error.message.trim_end_matches("; not sent"));
            break;
        }
    }
    let key = match target.api_key_env.as_deref() {
        Some(name) => format!("the API key variable `{name}`"),
        None if target.provider == crate::config::ProviderKind::Mock => String::new(),
        None => "the API key (the target names no `api-key-env`)".to_owned(),
    };
    Ok(Some(format!(
        "error: {} could not be answered by target `{}` (model `{}`{}){unreachable}\n  check the base URL, {key}{}and the model name",
        plural(errored.len(), "case", "cases"),
        target.name,
        target.model,
        target
            .shown_base_url()
            .map(|url| format!(" at {url}"))
            .unwrap_or_default(),
        if key.is_empty() { "" } else { " " },
    )))
}

/// Creates the `--record` directory before the run, so a bad path fails before any request.
fn prepare_record_dir(dir: &Path) -> Result<std::path::PathBuf, Error> {
    if dir.is_file() {
        return Err(Error::usage(format!(
            "`--record` needs a directory but `{}` is a file",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_owned(),
        source,
    })?;
    Ok(dir.to_owned())
}

/// Targets named with `--target` serve every suite, so an unknown name or a missing API key
/// can fail the run before any suite is read (a failing start then costs almost nothing).
fn check_named_target(args: &RunArgs, config: &Config) -> Result<(), Error> {
    let overrides = crate::cli::support::overrides(&args.select);
    let mut problems = InvalidInput::default();
    for name in &overrides.targets {
        let target = config
            .target_for(Some(name), &overrides)
            .map_err(Error::usage)?;
        if let Err(message) = crate::provider::check_api_key(&target) {
            problems.push(Problem::new(message));
        }
    }
    problems.into_result(())
}
