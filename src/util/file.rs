//! [`write_atomic`]: the one way promptci replaces a file (reports, the response cache,
//! recordings, registry files, restored templates, bundles).
//!
//! Temporary files are named `.promptci-<pid>-<random>.tmp`. Those of writes in progress are
//! listed, so a process stopped by a second signal removes them before it exits
//! ([`remove_temporary_files`]); those a killed process left behind (`kill -9`) are removed by
//! the next write into the same directory once they are old enough to be nobody's.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// The start of every temporary file's name.
const TEMPORARY_PREFIX: &str = ".promptci-";

/// The end of every temporary file's name.
const TEMPORARY_SUFFIX: &str = ".tmp";

/// How long a temporary file goes unmodified before a write removes it as left behind: far
/// longer than any write takes, since a write in progress keeps touching its file.
const STALE_AFTER: Duration = Duration::from_mins(10);

/// The temporary files of writes in progress in this process.
static IN_PROGRESS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Replaces `path` with `bytes` so readers see the old file or the new one, never half of one:
/// a temporary file in the same directory (created with its parent directories), written,
/// flushed to disk, then renamed over `path`.
///
/// A new file gets the mode the process's umask gives any new file (`rw-r--r--` under the
/// usual 022), not the owner-only mode of temporary files; a replaced file keeps its mode.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |out| out.write_all(bytes))
}

/// Like [`write_atomic`], with the contents written by `write` through a buffer, so a large
/// report goes to disk as it is serialised instead of being built in memory first.
pub(crate) fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    sweep_stale_temporary_files(dir);
    let prefix = format!("{TEMPORARY_PREFIX}{}-", std::process::id());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMPORARY_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Opened with 0666, the kernel applies the umask, as for any file a program creates.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temp = {
        // Created and listed under the lock, so a stop that removes the listed files cannot
        // miss one created in between.
        let mut in_progress = lock_in_progress();
        let temp = builder.tempfile_in(dir)?;
        in_progress.push(temp.path().to_owned());
        temp
    };
    let temp_path = temp.path().to_owned();
    let written = (|| {
        {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, temp.as_file_mut());
            write(&mut out)?;
            out.flush()?;
        }
        if let Ok(existing) = std::fs::metadata(path) {
            temp.as_file().set_permissions(existing.permissions())?;
        }
        temp.as_file().sync_all()?;
        temp.persist(path).map_err(|error| error.error)?;
        Ok(())
    })();
    lock_in_progress().retain(|listed| *listed != temp_path);
    written
}

/// Removes the temporary files of writes in progress: called just before the process exits
/// in the middle of them. The list stays locked, so no new temporary file is created after.
pub(crate) fn remove_temporary_files() {
    let in_progress = lock_in_progress();
    for path in in_progress.iter() {
        let _ = std::fs::remove_file(path);
    }
    std::mem::forget(in_progress);
}

/// Returns the list of temporary files in progress; a writer that panicked while holding it
/// left the list itself intact.
fn lock_in_progress() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    IN_PROGRESS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes temporary files in `dir` that a killed process left behind: named as ours and not
/// modified for [`STALE_AFTER`]. Best effort: a file that cannot be read or removed stays.
fn sweep_stale_temporary_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if !name.starts_with(TEMPORARY_PREFIX) || !name.ends_with(TEMPORARY_SUFFIX) {
            continue;
        }
        let is_stale = entry.metadata().is_ok_and(|metadata| {
            metadata.is_file()
                && metadata.modified().is_ok_and(|modified| {
                    now.duration_since(modified).unwrap_or_default() > STALE_AFTER
                })
        });
        if is_stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Reads a text file, saying why one cannot be read as text: UTF-16 (a byte-order mark),
/// bytes that are not UTF-8 (with the line and column of the first), or the operating
/// system's reason (a directory, no permission).
pub(crate) fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        let message = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"
                .to_owned()
        } else {
            let valid = error.utf8_error().valid_up_to();
            let before = &bytes[..valid];
            let line = before.split(|&byte| byte == b'\n').count();
            let line_start = before
                .iter()
                .rposition(|&byte| byte == b'\n')
                .map_or(0, |at| at + 1);
            let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
            format!(
                "the file is not UTF-8 text: byte 0x{:02X} at line {line}, column {column}; save it as UTF-8",
                bytes[valid]
            )
        };
        std::io::Error::new(std::io::ErrorKind::InvalidData, message)
    })
}

/// Creates `dir` with a `.gitignore` that ignores everything in it, when `dir` does not exist
/// yet; an existing directory is left as it is (its owner may have chosen otherwise).
pub(crate) fn create_ignored_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    write_atomic(
        &dir.join(".gitignore"),
        b"# Written by promptci: this directory holds machine-local state (the response cache).\n*\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/report.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(
            std::fs::read_dir(dir.path().join("out")).unwrap().count(),
            1,
            "no temp files left"
        );
    }

    #[test]
    fn text_that_is_not_utf8_says_where_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let latin1 = dir.path().join("latin1.yaml");
        std::fs::write(&latin1, b"cases:\n  - name: caf\xe9\n").unwrap();
        let error = read_text(&latin1).unwrap_err().to_string();
        assert!(error.contains("not UTF-8"), "{error}");
        assert!(error.contains("0xE9 at line 2, column 14"), "{error}");
        let utf16 = dir.path().join("utf16.yaml");
        std::fs::write(&utf16, b"\xff\xfec\x00").unwrap();
        let error = read_text(&utf16).unwrap_err().to_string();
        assert!(error.contains("UTF-16"), "{error}");
        assert_eq!(
            read_text(dir.path()).unwrap_err().kind(),
            std::io::ErrorKind::IsADirectory
        );
    }

    #[test]
    fn a_write_sweeps_stale_temporary_files_and_keeps_fresh_ones() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".promptci-1-old.tmp");
        let fresh = dir.path().join(".promptci-2-new.tmp");
        let other = dir.path().join(".promptci-notes");
        for path in [&stale, &fresh, &other] {
            std::fs::write(path, "x").unwrap();
        }
        let an_hour_ago = SystemTime::now() - Duration::from_hours(1);
        for path in [&stale, &other] {
            let file = std::fs::File::options().write(true).open(path).unwrap();
            file.set_modified(an_hour_ago).unwrap();
        }
        write_atomic(&dir.path().join("report.json"), b"{}").unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists());
        assert!(other.exists(), "not named as a temporary file");
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.json");
        write_atomic(&path, b"one").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"two").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
}
