//! Report output paths, checked before the run, and appending to files other steps also write.

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
    fn a_directory_is_not_a_report_path() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(prepare_output(dir.path()).unwrap_err().exit_code(), 2);
    }
}
