//! The one place reports reach the disk: checked before the run, written atomically after it.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Checks that a report can be written to `path`, creating its directory, so a typo in
/// `--junit` fails before any request is sent rather than after the whole run.
pub fn prepare_output(path: &Path) -> Result<PathBuf, Error> {
    if path.is_dir() {
        return Err(Error::usage(format!(
            "report path `{}` is a directory (hint: name a file, like `{}/report.xml`)",
            path.display(),
            path.display()
        )));
    }
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(path.to_owned())
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then a
/// rename, so readers never see half a report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let error = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(parent).map_err(error)?;
    file.write_all(bytes).map_err(error)?;
    file.as_file().sync_all().map_err(error)?;
    file.persist(path).map_err(|persist| error(persist.error))?;
    Ok(())
}

/// Appends `bytes` to `path`, creating the file: how GitHub's step summary and output files
/// are written (other steps append to them too, so they are never replaced).
pub fn append(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let error = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(error)?;
    file.write_all(bytes).map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = prepare_output(&dir.path().join("out/report.json")).unwrap();
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
    fn a_directory_is_not_a_report_path() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(prepare_output(dir.path()).unwrap_err().exit_code(), 2);
    }
}
