//! [`Workspace`]: a scratch copy of the prompt's files where each candidate's demonstrations
//! file is written before its cases are planned, so the live files are never touched and
//! every candidate is rendered exactly as a registry version of it would be.

use std::path::{Path, PathBuf};

use crate::error::{Error, Problem};
use crate::prompt_files::PromptFiles;
use crate::suite::Suite;
use crate::util::path::display_path;

/// The suite under optimisation, pointed at a scratch copy of its prompt files.
#[derive(Debug)]
pub(crate) struct Workspace {
    /// The suite; its directory is the scratch copy.
    pub(crate) suite: Suite,
    /// The demonstrations file, relative to the suite's directory.
    pub(crate) examples_file: String,
    /// The file's text as it is now: the current prompt's demonstrations.
    pub(crate) current: String,
    /// The suite's own directory, where `--write` puts the chosen file.
    pub(crate) live_dir: PathBuf,
    /// Where candidates' files are written.
    scratch_file: PathBuf,
    /// Deleted when the workspace is dropped.
    _scratch: tempfile::TempDir,
}

impl Workspace {
    /// Copies the suite's prompt files to a scratch directory. Fails when the suite has no
    /// template, or the template does not import `examples_file`.
    pub(crate) fn open(mut suite: Suite, examples_file: &str, var: &str) -> Result<Self, Error> {
        let Some(prompt) = &suite.prompt else {
            return Err(Error::usage(format!(
                "`{}` tests no prompt template, so there is nothing to put demonstrations in (hint: `prompt: {{id: ..., template: ...}}`)",
                suite.name
            )));
        };
        let import_hint = format!(
            "create `{examples_file}` beside the suite holding `{{% set {var} = [] %}}`, import it at the top of the template with `{{% from \"{examples_file}\" import {var} %}}`, and loop over it: `{{% for example in {var} %}}{{{{ example.input }}}} / {{{{ example.output }}}}{{% endfor %}}`"
        );
        let located = |message: String| {
            Error::from(
                Problem::at_line(&suite.source, prompt.line, prompt.column, message)
                    .with_help(import_hint.clone()),
            )
        };
        let files = PromptFiles::load(&suite.dir, &prompt.template).map_err(|error| {
            located(format!(
                "cannot read template `{}` or a template it imports: {error}",
                prompt.template
            ))
        })?;
        let Some(current) = files
            .files
            .iter()
            .find(|file| file.name == examples_file)
            .map(|file| file.text.clone())
        else {
            return Err(located(format!(
                "template `{}` does not import `{examples_file}`, where `promptci optimize` keeps the demonstrations of `{var}`",
                prompt.template
            )));
        };
        let scratch = tempfile::tempdir().map_err(|error| Error::Infrastructure {
            message: format!("cannot create a scratch directory for candidate prompts: {error}"),
        })?;
        for file in &files.files {
            let path = scratch.path().join(&file.name);
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, &file.text));
            written.map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        }
        let live_dir = std::mem::replace(&mut suite.dir, scratch.path().to_owned());
        let scratch_file = scratch.path().join(examples_file);
        Ok(Self {
            suite,
            examples_file: examples_file.to_owned(),
            current,
            live_dir,
            scratch_file,
            _scratch: scratch,
        })
    }

    /// Writes a candidate's demonstrations file into the scratch copy.
    pub(crate) fn set_examples(&self, text: &str) -> Result<(), Error> {
        std::fs::write(&self.scratch_file, text).map_err(|source| Error::Write {
            path: self.scratch_file.clone(),
            source,
        })
    }

    /// Returns the live demonstrations file, as shown to users.
    #[must_use]
    pub(crate) fn live_file(&self, root: &Path) -> String {
        display_path(&self.live_dir.join(&self.examples_file), root)
    }
}
