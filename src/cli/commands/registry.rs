//! `promptci registry …`: the prompt registry's commands, and the governance check `promptci
//! check` shares. The library is [`registry`](crate::registry); this file turns its outcomes
//! into text, JSON and exit codes.
//!
//! Exit codes: 0 when the command did its job; 1 when a gate refused (a promotion without
//! passing evidence, a governance problem in `check`); 2 for invalid input (unknown prompt or
//! version, an illegal transition, a corrupt registry file, a promotion that lost a race); 3 when
//! the registry could not be locked or written.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde_json::json;

use crate::cli::args::{
    RegistryArgs, RegistryCommand, RegistryDiffArgs, RegistryExportArgs, RegistryNewArgs,
    RegistryPromoteArgs, RegistryRollbackArgs,
};
use crate::cli::support::{governance, into_error, problem_of, stdout};
use crate::config::Config;
use crate::error::{Error, InvalidInput, exit_code};
use crate::registry::{
    Expected, HistoryEntry, LiveState, Registry, RegistryError, RegistryErrorKind, Selector,
    Status, Which,
};
use crate::suite::Suite;
use crate::util::format::plural;
use crate::util::path::display_path;

/// Runs a `promptci registry` command and returns its exit code.
pub(crate) fn run(args: &RegistryArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    let mut registry = Registry::open(&config.root);
    if let Some(author) = &args.author {
        registry = registry.with_author(author.clone());
    }
    let registry = &registry;
    let mapped = |error| into_error(&error, registry);
    match &args.command {
        RegistryCommand::Status(output) => status(registry, output.json),
        RegistryCommand::New(new_args) => new(registry, new_args, config, cwd),
        RegistryCommand::Record(record_args) => record(
            registry,
            &cwd.join(&record_args.report),
            record_args.allow_partial,
        )
        .map_err(mapped),
        RegistryCommand::Promote(promote_args) => promote(registry, promote_args),
        RegistryCommand::Rollback(rollback_args) => rollback(registry, rollback_args),
        RegistryCommand::History(history_args) => {
            history(registry, &history_args.id, history_args.json).map_err(mapped)
        }
        RegistryCommand::Show(show_args) => {
            show(registry, &show_args.selector, show_args.json).map_err(mapped)
        }
        RegistryCommand::Diff(diff_args) => diff(registry, diff_args).map_err(mapped),
        RegistryCommand::Export(export_args) => export(registry, export_args, cwd),
        RegistryCommand::Check => {
            let code = governance(registry)?;
            if code == exit_code::SUCCESS {
                let _ = writeln!(stdout(), "ok: the registry is consistent");
            }
            Ok(code)
        }
    }
}

fn status(registry: &Registry, as_json: bool) -> Result<i32, Error> {
    let report = registry
        .status()
        .map_err(|error| into_error(&error, registry))?;
    let mut out = stdout();
    if as_json {
        let prompts: Vec<_> = report
            .prompts
            .iter()
            .map(|row| {
                let (live, live_version) = match &row.live {
                    LiveState::Matches { version, .. } => ("matches", Some(version.to_string())),
                    LiveState::Unversioned => ("unversioned", None),
                    LiveState::Unreadable { .. } => ("unreadable", None),
                };
                json!({
                    "id": row.id,
                    "template": row.template,
                    "production": row.production.as_ref().map(ToString::to_string),
                    "staging": row.staging.as_ref().map(ToString::to_string),
                    "latest": row.latest.as_ref().map(ToString::to_string),
                    "live": live,
                    "live_version": live_version,
                    "live_hash": row.live_hash,
                    "untested": row.untested.iter().map(ToString::to_string).collect::<Vec<_>>(),
                })
            })
            .collect();
        let unreadable: Vec<_> = report
            .unreadable
            .iter()
            .map(|u| json!({ "path": u.path, "error": u.error.chain() }))
            .collect();
        let value = json!({ "prompts": prompts, "unreadable": unreadable });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).expect("JSON values serialise")
        );
    } else {
        if report.prompts.is_empty() && report.unreadable.is_empty() {
            let _ = writeln!(
                out,
                "no prompts registered yet: run `promptci registry new ID --bump major --changelog \"first version\"`"
            );
        }
        for row in &report.prompts {
            let shown = |version: &Option<semver::Version>| {
                version
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), ToString::to_string)
            };
            let live = match &row.live {
                LiveState::Matches { version, status } => format!("{version} ({status})"),
                LiveState::Unversioned => format!(
                    "EDITED without a version: run `promptci registry new {} --bump patch --changelog \"…\"`",
                    row.id
                ),
                LiveState::Unreadable { message } => format!("unreadable: {message}"),
            };
            let _ = writeln!(
                out,
                "{}\n  production {}  staging {}  latest {}\n  on disk    {} = {live}",
                row.id,
                shown(&row.production),
                shown(&row.staging),
                shown(&row.latest),
                row.template,
            );
            if !row.untested.is_empty() {
                let versions: Vec<String> = row.untested.iter().map(ToString::to_string).collect();
                let _ = writeln!(out, "  untested   {}", versions.join(", "));
            }
        }
    }
    let mut problems = InvalidInput::default();
    for unreadable in report.unreadable {
        problems.push(problem_of(&unreadable.error, registry));
    }
    problems.into_result(exit_code::SUCCESS)
}

fn new(
    registry: &Registry,
    args: &RegistryNewArgs,
    config: &Config,
    cwd: &Path,
) -> Result<i32, Error> {
    let suites = crate::suite::load_suites(&args.suites, cwd, &config.root)?;
    let suite = suite_for(&suites, &args.id, &config.root)?;
    let (request, outcome, notes) = crate::cli::support::new_draft(
        registry,
        suite,
        config,
        (args.bump.into(), &args.changelog),
        (args.model_target.clone(), args.tag.clone()),
    )?;
    let model_target = request.model_target.unwrap_or_default();
    let token_count = request.token_count;
    let mut out = stdout();
    let _ = writeln!(
        out,
        "created `{}` {} (draft) from {} ({}), target `{model_target}`{}",
        outcome.id,
        outcome.version,
        outcome.files.join(", "),
        outcome.content_hash,
        token_count
            .map(|count| format!(", ~{count} tokens"))
            .unwrap_or_default(),
    );
    let _ = writeln!(
        out,
        "next: `promptci run --json report.json` then `promptci registry record report.json`"
    );
    crate::cli::support::show_draft_notes(&outcome, notes);
    Ok(exit_code::SUCCESS)
}

/// Returns the suite that declares prompt `id`; every suite declaring it must use one template.
fn suite_for<'s>(suites: &'s [Suite], id: &str, root: &Path) -> Result<&'s Suite, Error> {
    let declaring: Vec<&Suite> = suites
        .iter()
        .filter(|suite| suite.prompt.as_ref().is_some_and(|prompt| prompt.id == id))
        .collect();
    let Some(first) = declaring.first() else {
        let ids: Vec<&str> = suites
            .iter()
            .filter_map(|suite| suite.prompt.as_ref().map(|prompt| prompt.id.as_str()))
            .collect();
        let hint = crate::error::did_you_mean(id, ids.iter().copied()).map_or_else(
            || {
                "set `prompt.id` in the suite that tests the template, or pass `--suites PATH`"
                    .to_owned()
            },
            |close| format!("did you mean `{close}`?"),
        );
        return Err(Error::usage(format!(
            "no suite declares prompt `{id}` (hint: {hint})"
        )));
    };
    let template_of = |suite: &Suite| {
        let prompt = suite.prompt.as_ref().expect("filtered on having a prompt");
        display_path(&suite.dir.join(&prompt.template), root)
    };
    let expected = template_of(first);
    if let Some(other) = declaring
        .iter()
        .find(|suite| template_of(suite) != expected)
    {
        return Err(Error::usage(format!(
            "prompt `{id}` has two templates: `{expected}` ({}) and `{}` ({}) (hint: give each template its own `prompt.id`)",
            first.name,
            template_of(other),
            other.name
        )));
    }
    Ok(first)
}

fn record(registry: &Registry, report: &Path, allow_partial: bool) -> Result<i32, RegistryError> {
    let outcome = registry.record_with(report, allow_partial)?;
    let mut out = stdout();
    for attached in outcome.attached.iter().chain(&outcome.already_recorded) {
        let already = if outcome.already_recorded.contains(attached) {
            " (already recorded)"
        } else {
            ""
        };
        let change = attached
            .status_change
            .map(|(from, to)| format!(", {from} → {to}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {} on `{}`: `{}` {}{change}{already}",
            if attached.passed { "PASS" } else { "FAIL" },
            attached.suite,
            attached.target,
            attached.id,
            attached.version,
        );
    }
    let _ = writeln!(
        out,
        "recorded report {} as evidence for {}",
        outcome.report_digest,
        plural(outcome.attached.len(), "suite", "suites")
    );
    let registered = registry.ids()?;
    let mut err = crate::cli::support::stderr();
    for unmatched in &outcome.unmatched {
        // Suites of prompts that are not in the registry at all are simply not governed.
        let Some(id) = unmatched
            .prompt_id
            .as_ref()
            .filter(|id| registered.contains(id))
        else {
            continue;
        };
        let _ = writeln!(
            err,
            "note: {} tested content of `{id}` that matches no registered version, so it was not recorded (hint: run `promptci registry new {id} --bump patch --changelog \"…\"`, then run the suite again)",
            unmatched.suite,
        );
    }
    Ok(exit_code::SUCCESS)
}

fn promote(registry: &Registry, args: &RegistryPromoteArgs) -> Result<i32, Error> {
    let version = parse_version(&args.version)?;
    let expected = match &args.expect_current {
        None => Expected::Any,
        Some(text) => Expected::parse(text).map_err(|_| {
            Error::usage(format!(
                "`--expect-current {text}` is neither a version nor `none`"
            ))
        })?,
    };
    let to = Status::from(args.to);
    match registry.promote_expecting(
        &args.id,
        &version,
        to,
        &args.reason,
        &expected,
        args.allow_partial,
    ) {
        Ok(outcome) => {
            let mut out = stdout();
            let _ = writeln!(
                out,
                "promoted `{}` {}: {} → {}{}",
                outcome.id,
                outcome.version,
                outcome.from,
                outcome.to,
                outcome
                    .evidence
                    .map(|digest| format!(" (evidence: report {digest})"))
                    .unwrap_or_default()
            );
            if let Some(superseded) = outcome.superseded {
                let _ = writeln!(out, "archived `{}` {superseded}", outcome.id);
            }
            Ok(exit_code::SUCCESS)
        }
        // The gate said no: a result, like a failed case, not a broken input.
        Err(error) if matches!(error.kind(), RegistryErrorKind::NoPassingEvidence { .. }) => {
            let _ = writeln!(crate::cli::support::stderr(), "error: {}", error.chain());
            Ok(exit_code::GATE_FAILED)
        }
        Err(error) => Err(into_error(&error, registry)),
    }
}

fn rollback(registry: &Registry, args: &RegistryRollbackArgs) -> Result<i32, Error> {
    let to = args.to.as_deref().map(parse_version).transpose()?;
    let started = Instant::now();
    let outcome = registry
        .rollback(&args.id, to.as_ref(), &args.reason)
        .map_err(|error| into_error(&error, registry))?;
    let elapsed = started.elapsed();
    let files: Vec<String> = outcome
        .files_written
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    let _ = writeln!(
        stdout(),
        "rolled back `{}`: {} is production again{}; restored {} ({}) in {} ms",
        outcome.id,
        outcome.to,
        outcome
            .from
            .map(|from| format!(" ({from} archived)"))
            .unwrap_or_default(),
        files.join(", "),
        outcome.content_hash,
        elapsed.as_millis()
    );
    Ok(exit_code::SUCCESS)
}

fn history(registry: &Registry, id: &str, as_json: bool) -> Result<i32, RegistryError> {
    let entries = registry.history(id)?;
    let mut out = stdout();
    if as_json {
        let text = serde_json::to_string_pretty(&entries).expect("history serialises");
        let _ = writeln!(out, "{text}");
        return Ok(exit_code::SUCCESS);
    }
    for HistoryEntry {
        at,
        by,
        version,
        from,
        to,
        action,
        reason,
    } in &entries
    {
        let from = from.map_or_else(|| "new".to_owned(), |from| from.to_string());
        let at = at.strftime("%Y-%m-%d %H:%M:%SZ");
        let _ = writeln!(
            out,
            "{at}  {version:<8} {from:>10} → {to:<10} {action:<9} {by}: {reason}"
        );
    }
    Ok(exit_code::SUCCESS)
}

fn show(registry: &Registry, selector: &str, as_json: bool) -> Result<i32, RegistryError> {
    let shown = registry.show(&Selector::parse(selector)?)?;
    let version = &shown.version;
    let mut out = stdout();
    if as_json {
        let mut value = serde_json::to_value(version).expect("a version serialises");
        // Machines get each file's text whole; the registry file's line arrays are for diffs.
        value["files"] = version
            .files
            .iter()
            .map(|file| json!({ "name": file.name, "text": file.text }))
            .collect();
        let value = json!({ "id": shown.id, "template": shown.template, "version": value });
        let text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
        let _ = writeln!(out, "{text}");
        return Ok(exit_code::SUCCESS);
    }
    let _ = writeln!(out, "{} {} ({})", shown.id, version.version, version.status);
    let _ = writeln!(out, "template      {}", shown.template);
    let _ = writeln!(out, "content hash  {}", version.content_hash);
    let _ = writeln!(
        out,
        "created       {} by {}",
        version.created_at, version.author
    );
    let _ = writeln!(out, "changelog     {}", version.changelog);
    let _ = writeln!(out, "model target  {}", version.model_target);
    if !version.tags.is_empty() {
        let _ = writeln!(out, "tags          {}", version.tags.join(", "));
    }
    if let Some(tokens) = version.token_count {
        let _ = writeln!(
            out,
            "tokens        {tokens} (rendered with the suite's defaults)"
        );
    }
    if version.evidence.is_empty() {
        let _ = writeln!(out, "evidence      none");
    }
    for evidence in &version.evidence {
        let _ = writeln!(
            out,
            "evidence      {} {} on `{}`: {}/{} passed, {} failed, {} errors (report {}, recorded {} by {})",
            match evidence.outcome {
                crate::registry::Outcome::Pass => "PASS",
                crate::registry::Outcome::Fail => "FAIL",
            },
            evidence.suite,
            evidence.target,
            evidence.passed,
            evidence.total.saturating_sub(evidence.skipped),
            evidence.failed,
            evidence.errors,
            evidence.report_digest,
            evidence.recorded_at,
            evidence.recorded_by,
        );
    }
    for file in &version.files {
        let _ = writeln!(out, "--- {} ---\n{}", file.name, file.text);
    }
    Ok(exit_code::SUCCESS)
}

fn diff(registry: &Registry, args: &RegistryDiffArgs) -> Result<i32, RegistryError> {
    let diff = registry.diff(
        &args.id,
        &Which::parse(&args.from)?,
        &Which::parse(&args.to)?,
    )?;
    let mut out = stdout();
    if diff.unified.is_empty() {
        let _ = writeln!(
            out,
            "`{}` {} and {} have the same content",
            diff.id, diff.from, diff.to
        );
    } else {
        let _ = out.write_all(diff.unified.as_bytes());
    }
    Ok(exit_code::SUCCESS)
}

fn export(registry: &Registry, args: &RegistryExportArgs, cwd: &Path) -> Result<i32, Error> {
    let status = Status::from(args.status);
    let path = crate::cli::support::prepare_output(&cwd.join(&args.out))?;
    let export = registry
        .export(status)
        .map_err(|error| into_error(&error, registry))?;
    crate::util::file::write_atomic(&path, export.bundle.to_json().as_bytes())
        .map_err(|source| Error::write(&path, source))?;
    let _ = writeln!(
        stdout(),
        "wrote {}: {} {status}",
        display_path(&path, cwd),
        plural(export.bundle.prompts.len(), "prompt", "prompts"),
    );
    let mut err = crate::cli::support::stderr();
    for id in &export.without_version {
        let _ = writeln!(
            err,
            "note: `{id}` has no {status} version and is not in the bundle"
        );
    }
    Ok(exit_code::SUCCESS)
}

fn parse_version(text: &str) -> Result<semver::Version, Error> {
    semver::Version::parse(text).map_err(|error| {
        Error::usage(format!(
            "`{text}` is not a semantic version such as `1.2.0`: {error}"
        ))
    })
}
