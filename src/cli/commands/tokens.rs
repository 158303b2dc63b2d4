//! `promptci tokens`: every suite's rendered prompts counted offline, with its budget.

use std::io::Write;
use std::path::Path;

use crate::cli::args::TokensArgs;
use crate::cli::support::{build_plan, stdout};
use crate::config::Config;
use crate::error::{Error, exit_code};
use crate::tokens::Tokenizer;
use crate::util::format::plural;

/// Prints a table of prompt tokens per suite (and per case with `--cases`).
pub(crate) fn run(args: &TokensArgs, config: &Config, cwd: &Path) -> Result<i32, Error> {
    crate::decide::prewarm(config, args.select.model.as_deref());
    let plan = build_plan(&args.select, config, cwd)?;
    let counts = crate::decide::count_prompts(&plan);
    let mut rows: Vec<[String; 7]> = Vec::new();
    let mut over = 0;
    for (index, suite) in plan.suites.iter().enumerate() {
        let target = &plan.targets[suite.target];
        let tokenizer = Tokenizer::for_model(&target.model);
        let cases: Vec<(&str, u64)> = plan
            .cases
            .iter()
            .zip(&counts)
            .filter(|(case, _)| case.suite == index)
            .map(|(case, &tokens)| (case.name.as_str(), tokens))
            .collect();
        let limit = suite.budget.prompt_tokens;
        let max = cases.iter().map(|(_, tokens)| *tokens).max().unwrap_or(0);
        let min = cases.iter().map(|(_, tokens)| *tokens).min().unwrap_or(0);
        let total: u64 = cases.iter().map(|(_, tokens)| *tokens).sum();
        let budget = |tokens: u64| match limit {
            Some(limit) if tokens > limit => format!("{limit} OVER by {}", tokens - limit),
            Some(limit) => limit.to_string(),
            None => "-".to_owned(),
        };
        over += cases
            .iter()
            .filter(|(_, tokens)| limit.is_some_and(|limit| *tokens > limit))
            .count();
        let encoding = format!(
            "{}{}",
            tokenizer.encoding.as_str(),
            if tokenizer.estimate {
                " (estimate)"
            } else {
                ""
            }
        );
        rows.push([
            suite.name.clone(),
            target.model.clone(),
            encoding,
            cases.len().to_string(),
            format!("{min}–{max}"),
            total.to_string(),
            budget(max),
        ]);
        if args.cases {
            for (name, tokens) in cases {
                rows.push([
                    format!("  ::{name}"),
                    String::new(),
                    String::new(),
                    String::new(),
                    tokens.to_string(),
                    String::new(),
                    budget(tokens),
                ]);
            }
        }
    }
    let headers = [
        "suite",
        "model",
        "encoding",
        "cases",
        "prompt tokens",
        "total",
        "budget",
    ];
    let mut out = stdout();
    let _ = out.write_all(crate::report::table::text_table(&headers, &rows).as_bytes());
    let _ = writeln!(
        out,
        "{} counted offline (chat framing included); {} over the prompt-tokens budget",
        plural(counts.len(), "prompt", "prompts"),
        plural(over, "case", "cases")
    );
    Ok(if over > 0 {
        exit_code::GATE_FAILED
    } else {
        exit_code::SUCCESS
    })
}
