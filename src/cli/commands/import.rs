//! `promptci import promptfoo`: reads promptfoo configs, writes the suites, templates and
//! `promptci.yaml` the importer makes, and prints its report.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::args::{ImportArgs, ImportTool, PromptfooArgs};
use crate::cli::support::stdout;
use crate::error::{Error, InvalidInput, Problem, SourceFile, exit_code};
use crate::import::{ImportReport, ItemStatus, OutputFile, Yaml, import_config};
use crate::util::format::plural;
use crate::util::path::display_path;

/// Runs `promptci import`.
pub(crate) fn run(args: &ImportArgs, cwd: &Path) -> Result<i32, Error> {
    match &args.tool {
        ImportTool::Promptfoo(args) => promptfoo(args, cwd),
    }
}

/// What happens to one output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
enum FileStatus {
    /// A new file.
    Written,
    /// It exists with the same content.
    Unchanged,
    /// It existed with other content and `--force` replaced it.
    Overwritten,
}

#[expect(
    clippy::too_many_lines,
    reason = "the command's steps in order: read, import, check, write, print"
)]
fn promptfoo(args: &PromptfooArgs, cwd: &Path) -> Result<i32, Error> {
    let configs: Vec<PathBuf> = if args.configs.is_empty() {
        let default = cwd.join("promptfooconfig.yaml");
        if !default.is_file() {
            return Err(Error::usage(
                "no `promptfooconfig.yaml` in the working directory (hint: name the config, `promptci import promptfoo path/to/promptfooconfig.yaml`)",
            ));
        }
        vec![default]
    } else {
        args.configs.iter().map(|config| cwd.join(config)).collect()
    };
    let out = cwd.join(&args.out);
    let mut report = ImportReport::default();
    let mut files: Vec<OutputFile> = Vec::new();
    let mut targets: Vec<(String, Yaml)> = Vec::new();
    let mut problems = InvalidInput::default();
    let mut used_dirs: Vec<String> = Vec::new();
    let read = |path: &Path| std::fs::read_to_string(path);
    for config in &configs {
        let text = std::fs::read_to_string(config).map_err(|source| Error::read(config, source))?;
        let shown = display_path(config, cwd);
        let dir = config
            .parent()
            .map_or_else(|| cwd.to_owned(), Path::to_owned);
        let suites_dir = suites_dir(config, &mut used_dirs);
        match import_config(
            SourceFile::new(shown, text),
            &dir,
            &suites_dir,
            &read,
            &mut report,
        ) {
            Ok(imported) => {
                files.extend(imported.files);
                for (name, definition) in imported.targets {
                    match targets.iter().find(|(existing, _)| *existing == name) {
                        Some((_, existing)) if *existing == definition => {}
                        Some(_) => problems.push(Problem::new(format!(
                            "two configs define the target `{name}` differently; import them one at a time into different `--out` directories"
                        ))),
                        None => targets.push((name, definition)),
                    }
                }
            }
            Err(found) => found.into_iter().for_each(|problem| problems.push(problem)),
        }
    }
    problems.into_result(())?;
    if !targets.is_empty() {
        let config = Yaml::entry("targets", Yaml::Map(targets));
        files.push(OutputFile {
            path: "promptci.yaml".to_owned(),
            text: format!("# Targets imported from promptfoo providers by `promptci import promptfoo`; keys come from the environment.\n{}", config.to_text()),
        });
    }
    let statuses = plan_writes(&files, &out, args.force)?;
    for file in &files {
        let path = out.join(&file.path);
        crate::util::file::write_atomic(&path, file.text.as_bytes())
            .map_err(|source| Error::write(&path, source))?;
    }
    let mut console = stdout();
    if args.json {
        let listed: Vec<serde_json::Value> = files
            .iter()
            .zip(&statuses)
            .map(|(file, status)| serde_json::json!({"path": file.path, "status": status}))
            .collect();
        let value =
            serde_json::json!({"files": listed, "items": report.items, "suites": report.suites});
        let _ = writeln!(
            console,
            "{}",
            serde_json::to_string_pretty(&value).expect("the report serialises")
        );
        return Ok(exit_code::SUCCESS);
    }
    let shown_out = display_path(&out, cwd);
    let _ = writeln!(
        console,
        "imported {} into {}: {} and {}",
        plural(configs.len(), "promptfoo config", "promptfoo configs"),
        if shown_out.is_empty() {
            "."
        } else {
            &shown_out
        },
        plural(report.suites.len(), "suite", "suites"),
        plural(
            files.len() - report.suites.len(),
            "other file",
            "other files"
        ),
    );
    for (file, status) in files.iter().zip(&statuses) {
        let word = match status {
            FileStatus::Written => "wrote",
            FileStatus::Unchanged => "unchanged",
            FileStatus::Overwritten => "overwrote",
        };
        let _ = writeln!(console, "  {word} {}", file.path);
    }
    let _ = console.write_all(report.to_text().as_bytes());
    let _ = writeln!(
        console,
        "{} approximated, {} not converted, {} ignored; run them with `promptci run`",
        report.count(ItemStatus::Approximated),
        report.count(ItemStatus::Unconverted),
        report.count(ItemStatus::Ignored),
    );
    Ok(exit_code::SUCCESS)
}

/// Returns where a config's suites go: `suites/<name>`, named after the config file, or after
/// its directory when the file has promptfoo's default name.
fn suites_dir(config: &Path, used: &mut Vec<String>) -> String {
    let stem = config
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default();
    let name = if stem.starts_with("promptfooconfig") {
        std::fs::canonicalize(config)
            .ok()
            .and_then(|full| {
                full.parent()
                    .and_then(Path::file_name)
                    .map(|name| name.to_string_lossy().into_owned())
            })
            .unwrap_or_default()
    } else {
        stem.to_owned()
    };
    let mut slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if slug.trim_matches('-').is_empty() {
        "promptfoo".clone_into(&mut slug);
    }
    let mut dir = format!("suites/{slug}");
    let mut n = 2;
    while used.contains(&dir) {
        dir = format!("suites/{slug}-{n}");
        n += 1;
    }
    used.push(dir.clone());
    dir
}

/// Decides what happens to each file; refuses (writing nothing) when files exist with other
/// content and `--force` was not given.
fn plan_writes(files: &[OutputFile], out: &Path, force: bool) -> Result<Vec<FileStatus>, Error> {
    let mut statuses = Vec::new();
    let mut conflicts = Vec::new();
    for file in files {
        let path = out.join(&file.path);
        statuses.push(match std::fs::read(&path) {
            Ok(existing) if existing == file.text.as_bytes() => FileStatus::Unchanged,
            Ok(_) if force => FileStatus::Overwritten,
            Ok(_) => {
                conflicts.push(file.path.clone());
                FileStatus::Overwritten
            }
            Err(_) => FileStatus::Written,
        });
    }
    if conflicts.is_empty() {
        return Ok(statuses);
    }
    Err(Error::usage(format!(
        "{} already {} with other content, so nothing was written: {} (hint: `--force` replaces them, or `--out DIR` writes elsewhere)",
        plural(conflicts.len(), "file", "files"),
        if conflicts.len() == 1 {
            "exists"
        } else {
            "exist"
        },
        conflicts
            .iter()
            .map(|path| format!("`{path}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}
