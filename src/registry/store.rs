//! Reading and writing registry files: [`Registry`] (where the registry is and who is acting),
//! the exclusive [`RegistryLock`], located parse errors, and atomic replacement.
//!
//! Every write takes the lock, re-reads the files it changes, and replaces them through a
//! temporary file in the same directory and a rename, so readers see the old or the new file,
//! never a torn one, and two writers are serialised instead of losing an update. A file that does
//! not parse is reported with its location and never rewritten.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::{Location, RegistryError, RegistryErrorKind};
use super::lifecycle::Status;
use super::model::{FORMAT_VERSION, PromptRecord};
use crate::prompt_files::PromptFiles;
use crate::util::file::write_atomic;

/// The registry directory's default name, relative to the project root.
pub(crate) const DEFAULT_DIR: &str = "registry";

/// The lock file's name inside the registry directory.
pub(crate) const LOCK_FILE: &str = ".lock";

/// A prompt registry in a project: one JSON file per prompt in a directory.
#[derive(Debug, Clone)]
pub struct Registry {
    project_root: PathBuf,
    dir: PathBuf,
    author: Option<String>,
    lock_timeout: Duration,
}

/// Proof that the registry's exclusive lock is held; it is released on drop.
#[derive(Debug)]
pub(crate) struct RegistryLock {
    // Held for its lock, which the OS releases when the file is closed.
    _file: File,
}

impl Registry {
    /// Opens the registry of the project at `project_root`, in its `registry/` directory.
    ///
    /// Nothing is read until an operation runs; a missing directory is an empty registry.
    #[must_use]
    pub fn open(project_root: impl Into<PathBuf>) -> Self {
        let project_root = project_root.into();
        Self {
            dir: project_root.join(DEFAULT_DIR),
            project_root,
            author: None,
            lock_timeout: Duration::from_secs(10),
        }
    }

    /// Records `author` as who acts, instead of `git config user.name`.
    #[must_use]
    pub(crate) fn with_author(mut self, author: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self
    }

    /// Waits at most `timeout` for another process's lock before failing.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Returns the project root.
    #[must_use]
    pub(crate) fn project_root(&self) -> &Path {
        &self.project_root
    }

    /// Returns the registry directory.
    #[must_use]
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Returns the registry file of prompt `id`.
    #[must_use]
    pub(crate) fn prompt_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Returns who acts: the configured author, else `git config user.name`, else `$USER`, else
    /// `unknown`.
    #[must_use]
    pub(crate) fn author(&self) -> String {
        if let Some(author) = &self.author {
            return author.clone();
        }
        let from_git = crate::util::git::git_stdout(&self.project_root, &["config", "user.name"])
            .filter(|name| !name.is_empty());
        from_git
            .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
            .or_else(|| std::env::var("USERNAME").ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// Returns the ids of every registered prompt, sorted.
    ///
    /// # Errors
    ///
    /// Fails when the registry directory exists but cannot be listed.
    pub(crate) fn ids(&self) -> Result<Vec<String>, RegistryError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => {
                return Err(RegistryError::new(
                    "cannot list the registry",
                    RegistryErrorKind::io(&self.dir, err),
                ));
            }
        };
        let mut ids = BTreeSet::new();
        for entry in entries {
            let entry = entry.map_err(|err| {
                RegistryError::new(
                    "cannot list the registry",
                    RegistryErrorKind::io(&self.dir, err),
                )
            })?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(id) = name.strip_suffix(".json")
                && valid_id(id)
            {
                ids.insert(id.to_owned());
            }
        }
        Ok(ids.into_iter().collect())
    }

    /// Reads and validates prompt `id`'s registry file.
    ///
    /// # Errors
    ///
    /// Fails when the prompt is not registered, the file cannot be read, does not parse (with its
    /// `file:line:col`), or breaks an invariant.
    pub(crate) fn load(&self, id: &str) -> Result<PromptRecord, RegistryError> {
        let context = || format!("cannot read prompt `{id}`");
        self.load_optional(id)?.ok_or_else(|| {
            RegistryError::new(
                context(),
                RegistryErrorKind::UnknownPrompt { id: id.to_owned() },
            )
        })
    }

    /// Reads prompt `id`'s registry file, or `None` when it does not exist.
    pub(crate) fn load_optional(&self, id: &str) -> Result<Option<PromptRecord>, RegistryError> {
        let context = || format!("cannot read prompt `{id}`");
        if !valid_id(id) {
            return Err(RegistryError::new(
                context(),
                RegistryErrorKind::InvalidId { id: id.to_owned() },
            ));
        }
        let path = self.prompt_path(id);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => {
                return Err(RegistryError::new(
                    context(),
                    RegistryErrorKind::io(&path, err),
                ));
            }
        };
        let record = parse(&self.display_path(&path), &bytes)
            .map_err(|kind| RegistryError::new(context(), kind))?;
        validate(&self.display_path(&path), id, &record)
            .map_err(|kind| RegistryError::new(context(), kind))?;
        Ok(Some(record))
    }

    /// Returns `path` relative to the project root when it is inside it, for messages.
    pub(crate) fn display_path(&self, path: &Path) -> PathBuf {
        PathBuf::from(crate::util::path::display_path(path, &self.project_root))
    }

    /// Takes the registry's exclusive lock, waiting up to the lock timeout.
    ///
    /// # Errors
    ///
    /// Fails when the registry directory or lock file cannot be created, or another process
    /// holds the lock past the timeout.
    pub(crate) fn lock(&self) -> Result<RegistryLock, RegistryError> {
        let context = "cannot lock the registry";
        std::fs::create_dir_all(&self.dir)
            .map_err(|err| RegistryError::new(context, RegistryErrorKind::io(&self.dir, err)))?;
        self.ensure_gitignore()?;
        let path = self.dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| RegistryError::new(context, RegistryErrorKind::io(&path, err)))?;
        let deadline = Instant::now() + self.lock_timeout;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(RegistryLock { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(RegistryError::new(
                        context,
                        RegistryErrorKind::Locked {
                            path: self.display_path(&path),
                        },
                    ));
                }
                Err(TryLockError::Error(err)) => {
                    return Err(RegistryError::new(
                        context,
                        RegistryErrorKind::io(&path, err),
                    ));
                }
            }
        }
    }

    /// Keeps the lock file out of commits: the registry directory is committed, the lock is not.
    fn ensure_gitignore(&self) -> Result<(), RegistryError> {
        let path = self.dir.join(".gitignore");
        if path.exists() {
            return Ok(());
        }
        write_atomic(&path, format!("/{LOCK_FILE}\n").as_bytes()).map_err(|err| {
            RegistryError::new(
                "cannot write the registry's .gitignore",
                RegistryErrorKind::io(&path, err),
            )
        })
    }

    /// Writes `record` to its file atomically; the caller holds the lock.
    pub(crate) fn save(
        &self,
        _lock: &RegistryLock,
        record: &PromptRecord,
    ) -> Result<(), RegistryError> {
        let path = self.prompt_path(&record.id);
        let context = || format!("cannot save prompt `{}`", record.id);
        let mut json = serde_json::to_string_pretty(record)
            .expect("a record of strings, numbers and timestamps always serialises");
        json.push('\n');
        write_atomic(&path, json.as_bytes())
            .map_err(|err| RegistryError::new(context(), RegistryErrorKind::io(&path, err)))
    }

    /// Reads the live template files a record tracks.
    pub(crate) fn live_files(
        &self,
        record: &PromptRecord,
    ) -> Result<PromptFiles, RegistryErrorKind> {
        let root = self.project_root().join(record.template_root());
        PromptFiles::load(&root, record.entry()).map_err(|source| RegistryErrorKind::Template {
            id: record.id.clone(),
            path: PathBuf::from(&record.template),
            source,
        })
    }
}

/// Returns whether `id` can name a registry file: ASCII letters, digits, `_`, `-`, `.`, not
/// starting with `.`.
#[must_use]
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Parses a registry file, locating any error.
fn parse(path: &Path, bytes: &[u8]) -> Result<PromptRecord, RegistryErrorKind> {
    serde_json::from_slice(bytes).map_err(|err| RegistryErrorKind::Corrupt {
        location: Location {
            path: path.to_path_buf(),
            line: err.line().max(1),
            column: err.column().max(1),
        },
        message: strip_position(&err.to_string()),
    })
}

/// Removes `serde_json`'s own ` at line L column C` suffix, since the location is reported apart.
fn strip_position(message: &str) -> String {
    message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
        .to_owned()
}

/// Checks the invariants a parsed record must hold.
fn validate(path: &Path, id: &str, record: &PromptRecord) -> Result<(), RegistryErrorKind> {
    let fail = |reason: String| RegistryErrorKind::Inconsistent {
        path: path.to_path_buf(),
        reason,
    };
    if record.format_version != FORMAT_VERSION {
        return Err(fail(format!(
            "format_version is {}, this promptci reads {FORMAT_VERSION}",
            record.format_version
        )));
    }
    if record.id != id {
        return Err(fail(format!(
            "it holds id `{}` but is named `{id}.json`",
            record.id
        )));
    }
    if !safe_relative(&record.template)
        || record
            .template_root
            .as_deref()
            .is_some_and(|r| !r.is_empty() && !safe_relative(r))
    {
        return Err(fail(format!(
            "template path `{}` must be relative to the project root",
            record.template
        )));
    }
    let mut versions = BTreeSet::new();
    let mut hashes = BTreeSet::new();
    for version in &record.versions {
        if !versions.insert(&version.version) {
            return Err(fail(format!("version {} appears twice", version.version)));
        }
        if !hashes.insert(&version.content_hash) {
            return Err(fail(format!(
                "content `{}` appears in two versions",
                version.content_hash
            )));
        }
        if version.files.is_empty() {
            return Err(fail(format!("version {} stores no files", version.version)));
        }
        if let Some(file) = version.files.iter().find(|f| !safe_relative(&f.name)) {
            return Err(fail(format!(
                "version {} stores unsafe file name `{}`",
                version.version, file.name
            )));
        }
    }
    for status in [Status::Staging, Status::Production] {
        let holders: Vec<String> = record
            .versions
            .iter()
            .filter(|v| v.status == status)
            .map(|v| v.version.to_string())
            .collect();
        if holders.len() > 1 {
            return Err(fail(format!(
                "{} versions are {status}: {}",
                holders.len(),
                holders.join(", ")
            )));
        }
    }
    Ok(())
}

/// Returns whether `name` is a relative forward-slash path that stays inside its root.
pub(crate) fn safe_relative(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains(':')
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::test_helpers::{ID, Project, TEMPLATE, v};
    use crate::registry::{Bump, NewVersion, Selector};

    #[test]
    fn ids_are_file_safe() {
        assert!(valid_id("support_system"));
        assert!(valid_id("a.b-c_1"));
        for bad in ["", ".hidden", "a/b", "a b", "../x", "é"] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn relative_paths_stay_inside() {
        assert!(safe_relative("suites/x.j2"));
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "c:\\x",
            "./a",
        ] {
            assert!(!safe_relative(bad), "{bad}");
        }
    }

    #[test]
    fn second_lock_waits_and_times_out() {
        let dir = tempfile::tempdir().expect("temp dir");
        let registry = Registry::open(dir.path()).with_lock_timeout(Duration::from_millis(50));
        let held = registry.lock().expect("first lock");
        let err = registry.lock().expect_err("second lock must time out");
        assert!(
            matches!(err.kind(), RegistryErrorKind::Locked { .. }),
            "{}",
            err.chain()
        );
        drop(held);
        registry.lock().expect("lock is free again");
        let ignore =
            std::fs::read_to_string(dir.path().join("registry/.gitignore")).expect("gitignore");
        assert_eq!(ignore, "/.lock\n");
    }

    #[test]
    fn missing_registry_is_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(Registry::open(dir.path()).ids().expect("ids").is_empty());
    }

    #[test]
    fn corrupted_file_is_reported_with_its_location_and_left_alone() {
        let p = Project::new();
        p.new_version(Bump::Major, "first", 10);
        let path = p.registry.prompt_path(ID);
        let good = std::fs::read_to_string(&path).expect("read registry file");
        let line = good
            .lines()
            .position(|l| l.contains("\"status\": \"draft\""))
            .expect("status line")
            + 1;
        let corrupted = good.replacen("\"status\": \"draft\"", "\"status\": draft", 1);
        std::fs::write(&path, &corrupted).expect("corrupt it");

        let err = p
            .registry
            .promote(ID, &v("1.0.0"), Status::Testing, "")
            .expect_err("corrupt");
        let RegistryErrorKind::Corrupt { location, .. } = err.kind() else {
            panic!("{}", err.chain())
        };
        assert_eq!(location.line, line);
        assert_eq!(location.path, PathBuf::from("registry/support_system.json"));
        let at = format!("registry/support_system.json:{line}:");
        assert!(err.chain().contains(&at), "{}", err.chain());
        assert!(
            err.chain().contains("it was not rewritten"),
            "{}",
            err.chain()
        );

        p.write(TEMPLATE, "edited\n");
        assert!(
            p.registry
                .new_version(&NewVersion::new(ID, Bump::Patch, "x"))
                .is_err()
        );
        assert!(p.registry.rollback(ID, None, "").is_err());
        let check = p.registry.check().expect("check runs");
        assert!(!check.passed());
        assert!(
            check.problems[0].to_string().contains(&at),
            "{}",
            check.problems[0]
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            corrupted,
            "never rewritten"
        );
    }

    #[test]
    fn stored_content_round_trips_byte_for_byte_through_the_file() {
        let p = Project::new();
        let system = "line one\r\nline two\r\n\ttabbed\t{{ x }}\n  spaces  \n{% include \"nested/inc.j2\" %}";
        let inc = "ünïcödé ✓ 🚀\u{feff}\n\n\n";
        p.write(TEMPLATE, system);
        p.write("suites/support/nested/inc.j2", inc);
        let created = p.new_version(Bump::Major, "odd bytes", 10);
        let live = PromptFiles::load(&p.path("suites/support"), "system.j2").expect("load live");
        assert_eq!(created.content_hash, live.content_hash());

        let shown = p
            .registry
            .show(&Selector::parse("support_system@1.0.0").expect("selector"))
            .expect("show");
        assert_eq!(shown.version.files[0].text.as_bytes(), system.as_bytes());
        assert_eq!(shown.version.files[1].name, "nested/inc.j2");
        assert_eq!(shown.version.files[1].text.as_bytes(), inc.as_bytes());
        assert_eq!(shown.version.computed_hash(), created.content_hash);
        let raw = std::fs::read_to_string(p.registry.prompt_path(ID)).expect("raw file");
        assert!(
            raw.contains("\"line one\\r\",\n"),
            "one line per line:\n{raw}"
        );
        assert!(
            raw.contains("ünïcödé ✓ 🚀"),
            "unicode stays readable:\n{raw}"
        );
        assert!(raw.ends_with("}\n"));
    }
}
