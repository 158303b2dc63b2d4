//! [`file_loader`]: how template files and their includes are read from disk — beside the
//! template that names them, never outside the project, with the reason when a file cannot
//! be read as text.
//!
//! A name with a `..` or dot-file segment is not found, as with minijinja's own path loader.
//! A file reached through a symbolic link must resolve inside the project root or the
//! template's own directory: a link to `/proc/self/environ` or a file beside the repository
//! would otherwise put its contents (API keys included) into the prompt.

use std::path::{Path, PathBuf};

/// Returns a minijinja loader reading templates relative to `dir`, confined to `root` (the
/// project root) and `dir`.
pub(crate) fn file_loader(
    dir: &Path,
    root: &Path,
) -> impl Fn(&str) -> Result<Option<String>, minijinja::Error> + Send + Sync + 'static {
    let dir = dir.to_owned();
    let bounds = bounds(&dir, root);
    move |name| {
        read_template(&dir, name, &bounds).map_err(|message| {
            minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, message)
        })
    }
}

/// Checks that template `name` in `dir` can be read: exists, resolves inside `root` or `dir`,
/// and is text. Returns what is wrong, naming `name`.
pub(crate) fn check_template(dir: &Path, name: &str, root: &Path) -> Result<(), String> {
    match read_template(dir, name, &bounds(dir, root))? {
        Some(_) => Ok(()),
        None => Err(format!("template `{name}` does not exist")),
    }
}

/// The directories a template may resolve into, resolved themselves.
fn bounds(dir: &Path, root: &Path) -> Vec<PathBuf> {
    [root, dir]
        .iter()
        .map(|path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
        .collect()
}

/// Reads template `name` from `dir`: `None` when there is no such file.
fn read_template(dir: &Path, name: &str, bounds: &[PathBuf]) -> Result<Option<String>, String> {
    let mut path = dir.to_owned();
    for segment in name.split('/') {
        if segment.starts_with('.') || segment.contains('\\') {
            return Ok(None);
        }
        path.push(segment);
    }
    let resolved = match std::fs::canonicalize(&path) {
        Ok(resolved) => resolved,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("cannot read template `{name}`: {error}")),
    };
    if !bounds.iter().any(|bound| resolved.starts_with(bound)) {
        return Err(format!(
            "template `{name}` is a link to a file outside the project, which is not read"
        ));
    }
    crate::util::file::read_text(&resolved)
        .map(Some)
        .map_err(|error| format!("cannot read template `{name}`: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_project_are_refused_and_links_inside_are_read() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "KEY=1").unwrap();
        let project = tempfile::tempdir().unwrap();
        let dir = project.path().join("suites");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(project.path().join("shared.j2"), "shared").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.join("out.j2")).unwrap();
        std::os::unix::fs::symlink(project.path().join("shared.j2"), dir.join("in.j2")).unwrap();
        let error = check_template(&dir, "out.j2", project.path()).unwrap_err();
        assert!(error.contains("outside the project"), "{error}");
        assert!(check_template(&dir, "in.j2", project.path()).is_ok());
        let error = check_template(&dir, "missing.j2", project.path()).unwrap_err();
        assert_eq!(error, "template `missing.j2` does not exist");
    }
}
