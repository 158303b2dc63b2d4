//! `--changed-since REF`: the files git says changed, and which suites they touch.
//!
//! The main type is [`ChangedFiles`]. A file counts as changed when `git diff --name-only REF`
//! lists it (committed since `REF`, staged or not) or it is untracked and not ignored — what a
//! pre-commit hook or a pull request is about to add. Asking git is I/O and lives in
//! [`ChangedFiles::since`]; deciding whether a suite is touched is pure ([`ChangedFiles::touches`]).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::prompt_files::PromptFiles;
use crate::suite::Suite;
use crate::util::git::git;

/// The changed files of a git repository, as absolute paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangedFiles {
    /// The revision they changed since, as the user wrote it.
    pub(crate) reference: String,
    files: HashSet<PathBuf>,
}

impl ChangedFiles {
    /// Returns the changed files from `paths` (relative to `repository_root`).
    #[must_use]
    pub(crate) fn from_paths<'a>(
        reference: &str,
        repository_root: &Path,
        paths: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Self {
            reference: reference.to_owned(),
            files: paths
                .into_iter()
                .filter(|path| !path.is_empty())
                .map(|path| repository_root.join(path))
                .collect(),
        }
    }

    /// Asks git, from `cwd`, which files changed since `reference`.
    pub(crate) fn since(reference: &str, cwd: &Path) -> Result<Self, Error> {
        let toplevel = git(cwd, &["rev-parse", "--show-toplevel"]).map_err(|detail| {
            Error::usage(format!(
                "`--changed-since` needs a git repository, but `{}` is not in one ({detail})",
                cwd.display()
            ))
        })?;
        let root = PathBuf::from(toplevel.trim_end_matches(['\n', '\r']));
        let commit = format!("{reference}^{{commit}}");
        git(
            &root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &commit,
            ],
        )
        .map_err(|_| {
            Error::usage(format!(
                "`--changed-since`: unknown git revision `{reference}` (hint: check the name; in \
                 GitHub Actions fetch history with `fetch-depth: 0` in actions/checkout, or \
                 `git fetch origin {reference}`)"
            ))
        })?;
        let diff = git(
            &root,
            &[
                "diff",
                "--name-only",
                "--no-renames",
                "-z",
                "--end-of-options",
                reference,
                "--",
            ],
        )
        .map_err(|detail| git_failed(reference, &detail))?;
        let untracked = git(&root, &["ls-files", "--others", "--exclude-standard", "-z"])
            .map_err(|detail| git_failed(reference, &detail))?;
        Ok(Self::from_paths(
            reference,
            &root,
            diff.split('\0').chain(untracked.split('\0')),
        ))
    }

    /// Returns whether `path` changed.
    #[must_use]
    pub(crate) fn contains(&self, path: &Path) -> bool {
        self.files.contains(path)
            || std::fs::canonicalize(path).is_ok_and(|real| self.files.contains(&real))
    }

    /// Returns whether a suite is touched: its file, one of its case data files, its
    /// template, or a template that one includes, imports or extends changed. A template that
    /// cannot be read counts as touched, so the run reports the problem instead of silently
    /// skipping the suite.
    #[must_use]
    pub(crate) fn touches(&self, suite: &Suite) -> bool {
        if self.contains(&suite.path) || suite.data.iter().any(|data| self.contains(&data.path)) {
            return true;
        }
        let Some(prompt) = &suite.prompt else {
            return false;
        };
        match PromptFiles::load(&suite.dir, &prompt.template) {
            Ok(files) => files
                .files
                .iter()
                .any(|file| self.contains(&suite.dir.join(&file.name))),
            Err(_) => true,
        }
    }
}

fn git_failed(reference: &str, detail: &str) -> Error {
    Error::Infrastructure {
        message: format!("`--changed-since {reference}`: git failed: {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suite_is_touched_by_its_file_or_any_template_it_pulls_in() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let write = |name: &str, text: &str| {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "suites/a.yaml",
            "prompt: {id: p, template: t.j2}\ncases:\n  - name: x\n    user: a\n",
        );
        write("suites/t.j2", "{% include 'parts/tone.j2' %}");
        write("suites/parts/tone.j2", "Be kind.");
        write("suites/b.yaml", "cases:\n  - name: y\n    user: b\n");
        let suites = crate::suite::load_suites(&[PathBuf::from("suites")], &root, &root).unwrap();
        let touched = |paths: &[&str]| -> Vec<String> {
            let changed = ChangedFiles::from_paths("main", &root, paths.iter().copied());
            suites
                .iter()
                .filter(|suite| changed.touches(suite))
                .map(|suite| suite.name.clone())
                .collect()
        };
        assert_eq!(touched(&["suites/parts/tone.j2"]), ["suites/a.yaml"]);
        assert_eq!(touched(&["suites/b.yaml", "README.md"]), ["suites/b.yaml"]);
        assert!(touched(&["README.md", ""]).is_empty());
        assert_eq!(
            touched(&["suites/t.j2", "suites/b.yaml"]),
            ["suites/a.yaml", "suites/b.yaml"]
        );
    }

    #[test]
    fn a_chat_template_and_what_its_contents_include_touch_the_suite() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let write = |name: &str, text: &str| {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "suites/c.yaml",
            "prompt: {id: c, template: chat.yaml}\ncases:\n  - name: x\n    assert: [{contains: a}]\n",
        );
        write(
            "suites/chat.yaml",
            "- role: system\n  content: \"{% include 'rules.j2' %}\"\n- role: user\n  content: hi\n",
        );
        write("suites/rules.j2", "Be kind.");
        let suites = crate::suite::load_suites(&[PathBuf::from("suites")], &root, &root).unwrap();
        assert_eq!(suites.len(), 1, "the chat file is no suite");
        for path in ["suites/chat.yaml", "suites/rules.j2"] {
            let changed = ChangedFiles::from_paths("main", &root, [path]);
            assert!(changed.touches(&suites[0]), "{path}");
        }
    }

    #[test]
    fn a_case_data_file_touches_the_suite_that_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("suites")).unwrap();
        std::fs::write(
            root.join("suites/d.yaml"),
            "cases-from: rows.csv\nassert: [{contains: a}]\n",
        )
        .unwrap();
        std::fs::write(root.join("suites/rows.csv"), "user\nhi\n").unwrap();
        let suites = crate::suite::load_suites(&[PathBuf::from("suites")], &root, &root).unwrap();
        let changed = ChangedFiles::from_paths("main", &root, ["suites/rows.csv"]);
        assert!(changed.touches(&suites[0]));
        let changed = ChangedFiles::from_paths("main", &root, ["suites/other.csv"]);
        assert!(!changed.touches(&suites[0]));
    }
}
