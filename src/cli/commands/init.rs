//! `promptci init [DIR]`: writes a starter project ([`StarterFile`]s): `promptci.yaml`, an
//! example suite with its template and three cases, and a GitHub workflow that runs it. The
//! suite answers from the offline mock, so the first `promptci run` passes with no key.
//!
//! It never overwrites: when any of the files exists, it names every one that does and writes
//! nothing.

use std::io::Write as _;
use std::path::Path;

use crate::cli::args::InitArgs;
use crate::cli::support::stdout;
use crate::error::{Error, InvalidInput, Problem, exit_code};
use crate::util::path::display_path;

/// The GitHub repository promptci is released from: the release build sets
/// `PROMPTCI_REPOSITORY`, so the workflow `init` writes uses the action of the same release.
const REPOSITORY: &str = match option_env!("PROMPTCI_REPOSITORY") {
    Some(repository) => repository,
    None => "your-org/promptci",
};

/// One file of the starter project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StarterFile {
    /// The path, relative to the project directory, with `/` separators.
    pub(crate) path: &'static str,
    /// The contents.
    pub(crate) text: String,
}

/// Returns the files of the starter project.
#[must_use]
pub(crate) fn starter_files() -> Vec<StarterFile> {
    let version = env!("CARGO_PKG_VERSION");
    let action = format!("{REPOSITORY}@v{version}");
    // Editors with the YAML language server (VS Code's YAML extension, Neovim, Helix, Zed)
    // complete and check a file whose first line names its schema.
    let with_schema = |schema: &str, text: &str| {
        format!(
            "# yaml-language-server: $schema=https://raw.githubusercontent.com/{REPOSITORY}/v{version}/schemas/{schema}\n{text}"
        )
    };
    vec![
        StarterFile {
            path: "promptci.yaml",
            text: with_schema(
                "config.schema.json",
                include_str!("init_files/promptci.yaml"),
            ),
        },
        StarterFile {
            path: "suites/example/example.yaml",
            text: with_schema("suite.schema.json", include_str!("init_files/example.yaml")),
        },
        StarterFile {
            path: "suites/example/system.j2",
            text: include_str!("init_files/system.j2").to_owned(),
        },
        StarterFile {
            path: ".github/workflows/promptci.yml",
            text: include_str!("init_files/promptci.yml").replace("{action}", &action),
        },
    ]
}

/// Writes the starter project into `args.dir`, or names the files that already exist.
pub(crate) fn init(args: &InitArgs, cwd: &Path) -> Result<i32, Error> {
    let dir = cwd.join(&args.dir);
    let files = starter_files();
    let shown = |file: &StarterFile| display_path(&dir.join(file.path), cwd);
    let mut problems = InvalidInput::default();
    for file in &files {
        if dir.join(file.path).symlink_metadata().is_ok() {
            problems.push(exists(&shown(file)));
        }
    }
    problems.into_result(())?;
    let mut out = stdout();
    for file in &files {
        let path = dir.join(file.path);
        create_new(&path, file.text.as_bytes()).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Input(exists(&shown(file)).into())
            } else {
                Error::write(&path, source)
            }
        })?;
        let _ = writeln!(out, "wrote {}", shown(file));
    }
    let cd = if args.dir == Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", args.dir.display())
    };
    let _ = writeln!(
        out,
        "\nnext: `{cd}promptci run` runs the example suite offline; point `promptci.yaml` at a \
         real model and commit, and the workflow checks every pull request"
    );
    Ok(exit_code::SUCCESS)
}

fn exists(shown: &str) -> Problem {
    Problem::new(format!("`{shown}` already exists")).with_help(
        "init never overwrites a file and wrote nothing: move the file away, or run \
         `promptci init DIR` to start in another directory",
    )
}

/// Creates `path` (and its directories) with `bytes`, failing when it exists: a file that
/// appears between the check and the write is still never overwritten.
fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_uses_the_action_of_this_release() {
        let workflow = starter_files()
            .into_iter()
            .find(|file| file.path == ".github/workflows/promptci.yml")
            .unwrap();
        let expected = format!("uses: {REPOSITORY}@v{}\n", env!("CARGO_PKG_VERSION"));
        assert!(workflow.text.contains(&expected), "{}", workflow.text);
        assert!(!workflow.text.contains("{action}"));
    }

    #[test]
    fn yaml_files_name_their_schema_of_this_release_on_the_first_line() {
        let files = starter_files();
        let first_line = |path: &str| {
            let file = files.iter().find(|file| file.path == path).unwrap();
            file.text.lines().next().unwrap().to_owned()
        };
        let prefix = format!(
            "# yaml-language-server: $schema=https://raw.githubusercontent.com/{REPOSITORY}/v{}/schemas/",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(
            first_line("promptci.yaml"),
            format!("{prefix}config.schema.json")
        );
        assert_eq!(
            first_line("suites/example/example.yaml"),
            format!("{prefix}suite.schema.json")
        );
    }
}
