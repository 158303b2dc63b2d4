//! [`write_atomic`]: the one way promptci replaces a file (reports, the response cache,
//! recordings, registry files, restored templates, bundles).

use std::io::Write as _;
use std::path::Path;

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
    let mut builder = tempfile::Builder::new();
    builder.prefix(".promptci-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Opened with 0666, the kernel applies the umask, as for any file a program creates.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder.tempfile_in(dir)?;
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
