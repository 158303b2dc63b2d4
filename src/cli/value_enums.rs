//! The command line's value enums, and how each maps to the core type it selects. Core types do
//! not derive clap traits: the command line is mapped at this edge.

use crate::decide::FailOn;
use crate::provider::CacheMode;
use crate::registry::{Bump, Status};
use crate::results::RegressionTest;

/// The kinds of file `promptci schema` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SchemaArg {
    /// A suite file.
    Suite,
    /// `promptci.yaml`.
    Config,
    /// The JSON report (`run --json`, `merge --json`).
    Report,
}

/// How a run uses the response cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CacheModeArg {
    /// Use cached answers and store new ones.
    ReadWrite,
    /// Use cached answers, store nothing.
    ReadOnly,
    /// Ignore the cache.
    Off,
    /// Ask the model again and overwrite the cache.
    Refresh,
}

impl From<CacheModeArg> for CacheMode {
    fn from(mode: CacheModeArg) -> Self {
        match mode {
            CacheModeArg::ReadWrite => Self::ReadWrite,
            CacheModeArg::ReadOnly => Self::ReadOnly,
            CacheModeArg::Off => Self::Off,
            CacheModeArg::Refresh => Self::Refresh,
        }
    }
}

/// What the gate blocks on (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOnArg {
    /// Any failed case fails the build.
    Failures,
    /// Only cases that do not fail in the baseline fail the build (needs `--baseline`).
    Regressions,
}

impl From<FailOnArg> for FailOn {
    fn from(fail_on: FailOnArg) -> Self {
        match fail_on {
            FailOnArg::Failures => Self::Failures,
            FailOnArg::Regressions => Self::Regressions,
        }
    }
}

/// What regressions against the baseline gate on (`--regression-test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum RegressionTestArg {
    /// Any case that regressed fails the gate.
    Case,
    /// Only a significant exact McNemar test over all shared cases fails the gate.
    Suite,
}

impl From<RegressionTestArg> for RegressionTest {
    fn from(test: RegressionTestArg) -> Self {
        match test {
            RegressionTestArg::Case => Self::Case,
            RegressionTestArg::Suite => Self::Suite,
        }
    }
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorArg {
    /// On a terminal, unless `NO_COLOR` is set or `TERM=dumb`; `CLICOLOR_FORCE` forces it.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorArg {
    /// Returns whether to colour a stream that is (or is not) a terminal, reading the
    /// conventions from the environment: `NO_COLOR` (non-empty) wins, then `CLICOLOR_FORCE`
    /// (non-empty and not `0`), then `TERM=dumb`.
    #[must_use]
    pub(crate) fn enabled(self, is_terminal: bool) -> bool {
        self.enabled_with(is_terminal, |name| std::env::var(name).ok())
    }

    fn enabled_with(self, is_terminal: bool, var: impl Fn(&str) -> Option<String>) -> bool {
        let set = |name: &str| var(name).is_some_and(|value| !value.is_empty());
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto if set("NO_COLOR") => false,
            Self::Auto
                if set("CLICOLOR_FORCE") && var("CLICOLOR_FORCE").as_deref() != Some("0") =>
            {
                true
            }
            Self::Auto => is_terminal && var("TERM").as_deref() != Some("dumb"),
        }
    }
}

/// When to write GitHub Actions output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum GithubArg {
    /// When `GITHUB_ACTIONS=true`.
    Auto,
    /// Always: annotations on stdout; the summary and outputs when their variables are set.
    Always,
    /// Never.
    Never,
}

/// Which part of the version number `registry new` bumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum BumpArg {
    /// `1.2.3` → `2.0.0`.
    Major,
    /// `1.2.3` → `1.3.0`.
    Minor,
    /// `1.2.3` → `1.2.4`.
    Patch,
}

/// The statuses `registry promote` moves a version to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PromoteStatusArg {
    /// Under test (from draft).
    Testing,
    /// The release candidate (needs passing evidence).
    Staging,
    /// Live (needs passing evidence).
    Production,
    /// Retired.
    Archived,
}

/// The statuses `registry export` exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportStatusArg {
    /// The staging versions.
    Staging,
    /// The production versions.
    Production,
}

impl From<BumpArg> for Bump {
    fn from(bump: BumpArg) -> Self {
        match bump {
            BumpArg::Major => Self::Major,
            BumpArg::Minor => Self::Minor,
            BumpArg::Patch => Self::Patch,
        }
    }
}

impl From<PromoteStatusArg> for Status {
    fn from(status: PromoteStatusArg) -> Self {
        match status {
            PromoteStatusArg::Testing => Self::Testing,
            PromoteStatusArg::Staging => Self::Staging,
            PromoteStatusArg::Production => Self::Production,
            PromoteStatusArg::Archived => Self::Archived,
        }
    }
}

impl From<ExportStatusArg> for Status {
    fn from(status: ExportStatusArg) -> Self {
        match status {
            ExportStatusArg::Staging => Self::Staging,
            ExportStatusArg::Production => Self::Production,
        }
    }
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::ColorArg;

    #[test_case(ColorArg::Auto, true, &[], true ; "a terminal")]
    #[test_case(ColorArg::Auto, false, &[], false ; "a pipe")]
    #[test_case(ColorArg::Auto, true, &[("NO_COLOR", "1")], false ; "no color")]
    #[test_case(ColorArg::Auto, true, &[("NO_COLOR", "")], true ; "an empty no color is unset")]
    #[test_case(ColorArg::Auto, true, &[("TERM", "dumb")], false ; "a dumb terminal")]
    #[test_case(ColorArg::Auto, false, &[("CLICOLOR_FORCE", "1")], true ; "forced on a pipe")]
    #[test_case(ColorArg::Auto, false, &[("CLICOLOR_FORCE", "0")], false ; "force off")]
    #[test_case(ColorArg::Auto, true, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], false ; "no color wins")]
    #[test_case(ColorArg::Always, false, &[("NO_COLOR", "1")], true ; "always")]
    #[test_case(ColorArg::Never, true, &[("CLICOLOR_FORCE", "1")], false ; "never")]
    fn color_follows_the_flag_and_the_conventions(
        mode: ColorArg,
        is_terminal: bool,
        env: &[(&str, &str)],
        expected: bool,
    ) {
        let var = |name: &str| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        assert_eq!(mode.enabled_with(is_terminal, var), expected);
    }
}
