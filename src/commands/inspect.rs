//! `promptci check`, `list` and `render`: everything that needs no model.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::app::{build_plan, stdout};
use crate::cli::{RenderArgs, SelectArgs};
use crate::config::Config;
use crate::error::{Error, exit_code};
use crate::util::format::plural;

/// Loads, validates and renders every selected case without calling a model, and checks the
/// `prompt-tokens` budgets on the rendered prompts.
pub(crate) fn check(args: &SelectArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    // Building a tokenizer (~0.1 s of CPU) takes longer than loading most projects. With a
    // default prompt budget it will likely be needed: start it now, on another core. Otherwise
    // the byte bound usually clears the budgets and it is built only if one cannot.
    if config.budget.prompt_tokens.is_some() {
        crate::gate::prewarm(config, args.model.as_deref());
    }
    let plan = build_plan(args, config, cwd)?;
    crate::gate::validate_prices(&plan, config)?;
    let budgeted = plan
        .suites
        .iter()
        .any(|suite| suite.budget.prompt_tokens.is_some());
    let budgets = if budgeted {
        crate::gate::check_prompt_budgets(&plan, &crate::gate::count_prompts_for_budgets(&plan))
    } else {
        Vec::new()
    };
    let mut out = stdout();
    let over: usize = budgets.iter().map(|budget| budget.overruns().count()).sum();
    if over > 0 {
        let _ = out.write_all(
            crate::gate::budget_section(&budgets)
                .trim_start()
                .as_bytes(),
        );
        let _ = writeln!(
            out,
            "FAILED: {} over its `prompt-tokens` budget; nothing was sent",
            plural(over, "suite is", "suites are"),
        );
        return Ok(exit_code::GATE_FAILED);
    }
    let _ = writeln!(
        out,
        "ok: {} and {} rendered{}; nothing was sent",
        plural(plan.suites.len(), "suite", "suites"),
        plural(plan.cases.len(), "case", "cases"),
        if budgeted {
            format!(
                ", prompt-tokens budgets hold in {}",
                plural(budgets.len(), "suite", "suites")
            )
        } else {
            String::new()
        }
    );
    // Governance: with a registry, every registered prompt's template must be a version.
    let registry = crate::registry::Registry::open(&config.root);
    if !registry.dir().is_dir() {
        return Ok(exit_code::SUCCESS);
    }
    let code = crate::commands::registry::governance(&registry)?;
    if code == exit_code::SUCCESS {
        let _ = writeln!(
            stdout(),
            "ok: every registered prompt matches a registered version"
        );
    }
    Ok(code)
}

/// Prints every selected case id with its file and line.
pub(crate) fn list(args: &SelectArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    let plan = build_plan(args, config, cwd)?;
    let mut out = stdout();
    for case in &plan.cases {
        let suite = &plan.suites[case.suite];
        let skip = if case.skip.is_some() { " [skip]" } else { "" };
        let _ = writeln!(out, "{}  {}:{}{skip}", case.id, suite.name, case.line);
    }
    let _ = writeln!(out, "{}", plural(plan.cases.len(), "case", "cases"));
    Ok(exit_code::SUCCESS)
}

/// Prints the messages a case sends.
pub(crate) fn render(args: &RenderArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    let mut select = args.select.clone();
    if let Some((suite, _)) = args.case.split_once("::")
        && select.paths == [PathBuf::from("suites")]
        && cwd.join(suite).is_file()
    {
        select.paths = vec![PathBuf::from(suite)];
    }
    let plan = build_plan(&select, config, cwd)?;
    let Some(case) = plan.cases.iter().find(|case| case.id == args.case) else {
        let ids: Vec<&str> = plan.cases.iter().map(|case| case.id.as_str()).collect();
        let hint = crate::error::did_you_mean(&args.case, ids.iter().copied()).map_or_else(
            || "run `promptci list` to see case ids".to_owned(),
            |close| format!("did you mean `{close}`?"),
        );
        return Err(Error::usage(format!(
            "no case `{}` (hint: {hint})",
            args.case
        )));
    };
    let mut out = stdout();
    if args.json {
        let text = serde_json::to_string_pretty(&case.messages).expect("messages serialise");
        let _ = writeln!(out, "{text}");
    } else {
        for message in &case.messages {
            let _ = writeln!(
                out,
                "--- {} ---\n{}",
                message.role.as_str(),
                message.content
            );
        }
    }
    Ok(exit_code::SUCCESS)
}
