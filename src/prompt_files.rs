//! [`PromptFiles`]: a prompt template and every template it pulls in, and their content hash.
//!
//! The hash identifies a prompt version in reports and in the registry, so it must change when
//! any included template changes, and must not depend on where the repository is checked out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// One file of a prompt: its name relative to the template root (forward slashes) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PromptFile {
    /// The name relative to the template root, with `/` separators.
    pub(crate) name: String,
    /// The exact text of the file.
    pub(crate) text: String,
}

/// A prompt template and every template it includes, imports, or extends, found transitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PromptFiles {
    /// The directory the names are relative to.
    pub(crate) root: PathBuf,
    /// The entry template first, then the others sorted by name.
    pub(crate) files: Vec<PromptFile>,
}

/// Matches `{% include "x" %}`, `{% import "x" as y %}`, `{% from "x" import y %}` and
/// `{% extends "x" %}` with string-literal names (dynamic names cannot be followed statically).
static REFERENCE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"\{%[-+]?\s*(?:include|import|from|extends)\s+(?:"([^"]+)"|'([^']+)')"#)
        .expect("the reference pattern is valid")
});

impl PromptFiles {
    /// Reads `entry` (a name relative to `root`) and, transitively, every template it references.
    pub(crate) fn load(root: &Path, entry: &str) -> std::io::Result<Self> {
        let entry_text = std::fs::read_to_string(root.join(entry))?;
        let mut others: BTreeMap<String, String> = BTreeMap::new();
        let mut pending: Vec<String> = references(&entry_text);
        while let Some(name) = pending.pop() {
            if name == entry || others.contains_key(&name) {
                continue;
            }
            let text = std::fs::read_to_string(root.join(&name))?;
            pending.extend(references(&text));
            others.insert(name, text);
        }
        let mut files = vec![PromptFile {
            name: entry.replace('\\', "/"),
            text: entry_text,
        }];
        files.extend(
            others
                .into_iter()
                .map(|(name, text)| PromptFile { name, text }),
        );
        Ok(Self {
            root: root.to_owned(),
            files,
        })
    }

    /// Returns `sha256:<64 lowercase hex>` over, for each file in order: its name, a newline,
    /// its byte length in decimal, a newline, and its bytes.
    #[must_use]
    pub(crate) fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for file in &self.files {
            hasher.update(file.name.as_bytes());
            hasher.update(b"\n");
            hasher.update(file.text.len().to_string().as_bytes());
            hasher.update(b"\n");
            hasher.update(file.text.as_bytes());
        }
        format!("sha256:{}", crate::util::hash::hex(&hasher.finalize()))
    }
}

/// Returns the template names `text` references, in order of appearance.
fn references(text: &str) -> Vec<String> {
    REFERENCE
        .captures_iter(text)
        .filter_map(|captures| captures.get(1).or_else(|| captures.get(2)))
        .map(|name| name.as_str().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_includes_transitively_and_hashes_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("system.j2"),
            "{% include \"parts/tone.j2\" %}\n{% from 'macros.j2' import m %}",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("parts")).unwrap();
        std::fs::write(
            dir.path().join("parts/tone.j2"),
            "{%- include \"footer.j2\" %}",
        )
        .unwrap();
        std::fs::write(dir.path().join("footer.j2"), "bye").unwrap();
        std::fs::write(
            dir.path().join("macros.j2"),
            "{% macro m() %}x{% endmacro %}",
        )
        .unwrap();
        let files = PromptFiles::load(dir.path(), "system.j2").unwrap();
        let names: Vec<_> = files.files.iter().map(|file| file.name.as_str()).collect();
        assert_eq!(
            names,
            ["system.j2", "footer.j2", "macros.j2", "parts/tone.j2"]
        );
        let before = files.content_hash();
        assert!(
            before.starts_with("sha256:") && before.len() == 71,
            "{before}"
        );
        std::fs::write(dir.path().join("footer.j2"), "bye!").unwrap();
        let after = PromptFiles::load(dir.path(), "system.j2")
            .unwrap()
            .content_hash();
        assert_ne!(
            before, after,
            "an edit to an included file changes the hash"
        );
    }

    #[test]
    fn hash_of_a_single_file_is_stable() {
        // sha256("a.j2\n2\nhi"), computed independently with `printf 'a.j2\n2\nhi' | sha256sum`.
        let files = PromptFiles {
            root: PathBuf::new(),
            files: vec![PromptFile {
                name: "a.j2".to_owned(),
                text: "hi".to_owned(),
            }],
        };
        assert_eq!(
            files.content_hash(),
            "sha256:e37f777b03f458a0677541675c928ac6e2caf4e50a2729c40b40018ccc383608"
        );
    }
}
