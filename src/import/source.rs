//! [`ImportSource`]: one promptfoo file being imported — its text for located errors, the
//! directory its paths are relative to, and the report and problems the import collects.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::report::ImportReport;
use crate::error::{Problem, SourceFile};
use crate::yaml::Node;

/// Reads a file of the promptfoo project (the command passes the file system; tests pass
/// fixtures).
pub(crate) type ReadFile<'a> = &'a dyn Fn(&Path) -> std::io::Result<String>;

/// The file being read and what the import has found so far.
pub(crate) struct ImportSource<'a> {
    /// The file, for located problems.
    pub(crate) source: Arc<SourceFile>,
    /// The directory relative paths start from (the config's directory).
    pub(crate) dir: PathBuf,
    /// The display path of `dir`, prefixed to relative paths in messages.
    pub(crate) shown_dir: String,
    /// Reads other files of the project.
    pub(crate) read: ReadFile<'a>,
    /// The report.
    pub(crate) report: &'a mut ImportReport,
    /// Problems that make the project invalid.
    pub(crate) problems: &'a mut Vec<Problem>,
}

impl ImportSource<'_> {
    /// Returns `file:line:col` of a node of this file.
    pub(crate) fn at(&self, node: &Node) -> String {
        format!("{}:{}:{}", self.source.name, node.line, node.column)
    }

    /// Returns a problem located at `node`.
    pub(crate) fn problem(&self, node: &Node, message: impl Into<String>) -> Problem {
        Problem::at_line(&self.source, node.line.max(1), node.column.max(1), message)
    }

    /// Returns the display name of a path relative to the config.
    pub(crate) fn shown(&self, path: &str) -> String {
        if self.shown_dir.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.shown_dir)
        }
    }

    /// Reads a file named at `node`, recording a located problem when it cannot be read.
    pub(crate) fn read_file(&mut self, path: &str, node: &Node) -> Option<String> {
        match (self.read)(&self.dir.join(path)) {
            Ok(text) => Some(text),
            Err(error) => {
                let problem = self
                    .problem(node, format!("cannot read `{}`: {error}", self.shown(path)))
                    .with_help("paths in a promptfoo config are relative to the config file");
                self.problems.push(problem);
                None
            }
        }
    }
}

/// Returns the lowercase extension of a path (empty when it has none).
pub(crate) fn extension_of(path: &str) -> String {
    Path::new(path)
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Returns true for the extensions of the scripts promptfoo runs (Python, JavaScript,
/// TypeScript), which promptci cannot.
pub(crate) fn is_script(extension: &str) -> bool {
    matches!(extension, "py" | "js" | "ts" | "mjs" | "cjs")
}

/// Returns a name made of lowercase letters, digits, `-` and `_` from any text.
pub(crate) fn slug(text: &str) -> String {
    let mut name = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    name.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_letters_and_digits() {
        assert_eq!(slug("Inline-Labelled prompt!"), "inline-labelled-prompt");
        assert_eq!(slug("openai:chat:gpt-4.1"), "openai-chat-gpt-4-1");
        assert_eq!(slug("¿?"), "");
    }
}
