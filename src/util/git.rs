//! Running git: the one place promptci spawns it ([`git`]), and what it asks git for.

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` and returns its stdout, or a one-line reason it failed (git missing, or
/// the first line of its stderr).
pub(crate) fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        // Read-only questions must not take the index lock a concurrent git command needs.
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .map_err(|error| format!("cannot run `git`: {error}"))?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().next().unwrap_or("").trim();
    Err(if first.is_empty() {
        format!("git exited with {}", output.status)
    } else {
        first.to_owned()
    })
}

/// Runs git in `dir` and returns its trimmed stdout, or `None` when git is missing or fails
/// (outside a repository, say): callers fall back rather than report it.
pub(crate) fn git_stdout(dir: &Path, args: &[&str]) -> Option<String> {
    git(dir, args).ok().map(|stdout| stdout.trim().to_owned())
}

/// Returns the project's git commit: `GITHUB_SHA` in Actions, else `git rev-parse HEAD`.
pub(crate) fn git_commit(root: &Path) -> Option<String> {
    if let Ok(sha) = std::env::var("GITHUB_SHA")
        && !sha.is_empty()
    {
        return Some(sha);
    }
    git_stdout(root, &["rev-parse", "HEAD"]).filter(|sha| !sha.is_empty())
}
