//! `promptci render`: exactly the messages a case sends, as text or as the JSON array chat APIs
//! take.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::args::RenderArgs;
use crate::cli::support::{build_plan, stdout};
use crate::config::Config;
use crate::error::{Error, exit_code};

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
