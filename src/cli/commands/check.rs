//! `promptci check`: everything that needs no model — config, suites, templates, regexes,
//! schemas, `prompt-tokens` budgets on the rendered prompts, and the registry's governance.

use std::io::Write;
use std::path::Path;

use crate::cli::args::CheckArgs;
use crate::cli::support::{governance, plan_selection, price_problems, report_warnings, stdout};
use crate::config::Config;
use crate::error::{Error, InvalidInput, exit_code};
use crate::util::format::plural;

/// Loads, validates and renders every selected case without calling a model, and checks the
/// `prompt-tokens` budgets on the rendered prompts.
pub(crate) fn check(args: &CheckArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    let select = &args.select;
    // Building a tokenizer (~0.1 s of CPU) takes longer than loading most projects. With a
    // default prompt budget it will likely be needed: start it now, on another core. Otherwise
    // the byte bound usually clears the budgets and it is built only if one cannot.
    if config.budget.prompt_tokens.is_some() {
        crate::decide::prewarm(config, select.model.as_deref());
    }
    // Each suite file's cases are checked as it is planned and then let go: checking a large
    // project needs no more memory than running it.
    let mut prices = InvalidInput::default();
    let mut budgets = Vec::new();
    let mut cases = 0;
    let planned = plan_selection(select, config, cwd, |batch| {
        cases += batch.cases.len();
        price_problems(batch, config, &mut prices)?;
        let budgeted = batch
            .cases
            .iter()
            .any(|case| batch.suites[case.suite].budget.prompt_tokens.is_some());
        if budgeted {
            let counts = crate::decide::count_prompts_for_budgets(batch);
            budgets.extend(crate::decide::check_prompt_budgets(batch, &counts));
        }
        Ok(())
    })?;
    let plan = planned.plan;
    report_warnings(&plan, args.deny_warnings)?;
    prices.into_result(())?;
    let budgeted = plan
        .suites
        .iter()
        .any(|suite| suite.budget.prompt_tokens.is_some());
    let mut out = stdout();
    let over: usize = budgets.iter().map(|budget| budget.overruns().count()).sum();
    if over > 0 {
        let _ = out.write_all(
            crate::report::budget::budget_section(&budgets)
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
    // A suite run on several targets is planned once per target but is one file.
    let files: std::collections::HashSet<&str> = plan
        .suites
        .iter()
        .map(|suite| suite.name.as_str())
        .collect();
    let _ = writeln!(
        out,
        "ok: {} and {} rendered{}; nothing was sent",
        plural(files.len(), "suite", "suites"),
        plural(cases, "case", "cases"),
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
    let code = governance(&registry)?;
    if code == exit_code::SUCCESS {
        let _ = writeln!(
            stdout(),
            "ok: every registered prompt matches a registered version"
        );
    }
    Ok(code)
}
