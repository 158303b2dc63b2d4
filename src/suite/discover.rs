//! Finds suite files (`*.yaml`, `*.yml`) under the given paths, honouring `.gitignore`.

use std::path::{Path, PathBuf};

use crate::config::CONFIG_FILE_NAME;
use crate::error::{Error, InvalidInput, Problem};

/// Returns every suite file under `paths` (files are taken as given), sorted and deduplicated.
pub(crate) fn discover(paths: &[PathBuf], cwd: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut found = Vec::new();
    let mut problems = InvalidInput::default();
    for path in paths {
        let full = cwd.join(path);
        if full.is_file() {
            found.push(full);
            continue;
        }
        if !full.is_dir() {
            problems.push(
                Problem::new(format!("suite path `{}` does not exist", path.display()))
                    .with_help("pass a suite file or a directory of suites (default: `suites/`)"),
            );
            continue;
        }
        let walker = ignore::WalkBuilder::new(&full)
            // Only .gitignore rules, and only inside a repository: a global git config must not
            // change which suites a CI run sees.
            .git_global(false)
            .require_git(true)
            .build();
        for entry in walker {
            let entry = entry.map_err(|error| Error::Infrastructure {
                message: format!("cannot walk `{}`: {error}", path.display()),
            })?;
            let candidate = entry.path();
            if entry.file_type().is_some_and(|kind| kind.is_file()) && is_suite_file(candidate) {
                found.push(candidate.to_owned());
            }
        }
    }
    found.sort();
    found.dedup();
    problems.into_result(found)
}

/// Returns whether the YAML file at `path` holds a list at its top level (a chat template or a
/// case data file), judging by its first lines only, so a large data file is not read whole.
pub(crate) fn is_list_file(path: &Path) -> bool {
    use std::io::Read;
    let mut start = Vec::with_capacity(8192);
    let read = std::fs::File::open(path).and_then(|file| file.take(8192).read_to_end(&mut start));
    if read.is_err() {
        return false;
    }
    String::from_utf8_lossy(&start)
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim_start)
        .find(|line| {
            !(line.is_empty() || line.starts_with('#') || line.starts_with('%') || *line == "---")
        })
        .is_some_and(|line| line.starts_with('[') || line == "-" || line.starts_with("- "))
}

fn is_suite_file(path: &Path) -> bool {
    let is_yaml = path
        .extension()
        .is_some_and(|extension| extension == "yaml" || extension == "yml");
    is_yaml
        && path
            .file_name()
            .is_some_and(|name| name != CONFIG_FILE_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_yaml_at_any_depth_and_skips_other_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("suites/deep/er")).unwrap();
        std::fs::write(dir.path().join("suites/a.yaml"), "").unwrap();
        std::fs::write(dir.path().join("suites/deep/er/b.yml"), "").unwrap();
        std::fs::write(dir.path().join("suites/system.j2"), "").unwrap();
        let found = discover(&[PathBuf::from("suites")], dir.path()).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|path| {
                path.strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        assert_eq!(names, ["suites/a.yaml", "suites/deep/er/b.yml"]);
    }

    #[test]
    fn missing_path_is_invalid_input() {
        let dir = tempfile::tempdir().unwrap();
        let error = discover(&[PathBuf::from("nope")], dir.path()).unwrap_err();
        assert_eq!(error.exit_code(), crate::error::exit_code::INVALID_INPUT);
    }
}
