//! [`display_path`]: how paths appear in messages, reports and case ids.

use std::path::{Component, Path};

/// Returns `path` relative to `base` when it is inside it (else as given), with `/` between
/// components on every platform, so ids and reports do not depend on the machine.
#[must_use]
pub(crate) fn display_path(path: &Path, base: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    let mut shown = String::new();
    for component in relative.components() {
        match component {
            Component::RootDir => shown.push('/'),
            other => {
                if !shown.is_empty() && !shown.ends_with('/') {
                    shown.push('/');
                }
                shown.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_the_base_are_relative_with_forward_slashes() {
        let base = Path::new("/work/project");
        assert_eq!(
            display_path(Path::new("/work/project/suites/a.yaml"), base),
            "suites/a.yaml"
        );
        assert_eq!(
            display_path(Path::new("/work/project/./out/../r.json"), base),
            "out/../r.json"
        );
        assert_eq!(
            display_path(Path::new("/elsewhere/b.yaml"), base),
            "/elsewhere/b.yaml"
        );
        assert_eq!(display_path(Path::new("../b.yaml"), base), "../b.yaml");
        assert_eq!(display_path(base, base), "");
    }
}
