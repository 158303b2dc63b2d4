//! Test evidence: reading a run [`Report`] (`promptci run --json`) and the promotion gate
//! ([`gate`]).
//!
//! The gate looks at the latest report recorded on the version's model target for its exact
//! content hash: every suite of that report must have passed with no failures and no errors. A
//! later failing run therefore revokes an earlier pass, and a pass on another target does not
//! count.

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;

use super::error::RegistryErrorKind;
use super::model::{CaseResult, Evidence, Outcome, PromptVersion};

/// The parts of a run report the registry reads; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Report {
    /// The report format version; 1 is read.
    pub format_version: u32,
    /// Facts about the run.
    #[serde(default)]
    pub run: ReportRun,
    /// One entry per suite that ran.
    #[serde(default)]
    pub suites: Vec<ReportSuite>,
    /// One entry per case.
    #[serde(default)]
    pub cases: Vec<ReportCase>,
}

/// Facts about a run.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportRun {
    /// When the run started.
    #[serde(default)]
    pub started_at: Option<String>,
    /// The commit that was tested.
    #[serde(default)]
    pub git_commit: Option<String>,
    /// Whether the run was interrupted: its unfinished cases never ran, so it proves nothing.
    #[serde(default)]
    pub interrupted: bool,
}

/// One suite's result in a run report.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportSuite {
    /// The suite file.
    pub path: String,
    /// The prompt id the suite declares, if any.
    #[serde(default)]
    pub prompt_id: Option<String>,
    /// The template the suite rendered.
    #[serde(default)]
    pub template: Option<String>,
    /// The content hash of the rendered template and its includes.
    #[serde(default)]
    pub content_hash: Option<String>,
    /// The target.
    #[serde(default = "default_target")]
    pub target: String,
    /// The provider.
    #[serde(default)]
    pub provider: Option<String>,
    /// The model.
    #[serde(default)]
    pub model: Option<String>,
    /// Cases in the suite.
    #[serde(default)]
    pub total: u64,
    /// Cases that passed.
    #[serde(default)]
    pub passed: u64,
    /// Cases that failed.
    #[serde(default)]
    pub failed: u64,
    /// Cases that errored.
    #[serde(default)]
    pub errors: u64,
    /// Cases skipped.
    #[serde(default)]
    pub skipped: u64,
}

/// One case in a run report.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportCase {
    /// The case id.
    pub id: String,
    /// The suite file the case belongs to.
    #[serde(default)]
    pub suite: String,
    /// The case status.
    pub status: String,
}

fn default_target() -> String {
    "default".to_owned()
}

/// A parsed report with the digest of its exact bytes.
#[derive(Debug, Clone)]
pub(crate) struct LoadedReport {
    /// The report.
    pub report: Report,
    /// `sha256:<hex>` of the report file's bytes.
    pub digest: String,
}

/// Reads and parses the report at `path`.
pub(crate) fn load_report(path: &Path) -> Result<LoadedReport, RegistryErrorKind> {
    let bytes = std::fs::read(path).map_err(|err| RegistryErrorKind::io(path, err))?;
    let bad = |message: String| RegistryErrorKind::BadReport {
        path: path.to_path_buf(),
        message,
    };
    let report: Report = serde_json::from_slice(&bytes).map_err(|err| bad(format!("{err}")))?;
    if report.format_version != 1 {
        return Err(bad(format!(
            "format_version {} is not supported (1 is)",
            report.format_version
        )));
    }
    Ok(LoadedReport {
        report,
        digest: crate::util::hash::sha256_prefixed(&bytes),
    })
}

/// Builds the evidence one suite of a report gives for the content it names.
pub(crate) fn evidence_from(
    loaded: &LoadedReport,
    suite: &ReportSuite,
    content_hash: &str,
    recorded_by: &str,
) -> Evidence {
    let ran = suite.total.saturating_sub(suite.skipped);
    #[expect(
        clippy::cast_precision_loss,
        reason = "case counts are far below 2^52, and a rate needs no more precision"
    )]
    let pass_rate = if ran == 0 {
        0.0
    } else {
        suite.passed as f64 / ran as f64
    };
    let outcome = if suite.failed == 0
        && suite.errors == 0
        && suite.passed > 0
        && !loaded.report.run.interrupted
    {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    Evidence {
        recorded_at: Timestamp::now(),
        recorded_by: recorded_by.to_owned(),
        report_digest: loaded.digest.clone(),
        run_started_at: loaded.report.run.started_at.clone(),
        git_commit: loaded.report.run.git_commit.clone(),
        suite: suite.path.clone(),
        content_hash: content_hash.to_owned(),
        target: suite.target.clone(),
        provider: suite.provider.clone(),
        model: suite.model.clone(),
        outcome,
        pass_rate,
        total: suite.total,
        passed: suite.passed,
        failed: suite.failed,
        errors: suite.errors,
        skipped: suite.skipped,
        cases: loaded
            .report
            .cases
            .iter()
            .filter(|case| case.suite == suite.path)
            .map(|case| CaseResult {
                id: case.id.clone(),
                status: case.status.clone(),
            })
            .collect(),
    }
}

/// Decides whether `version` may be promoted: `Ok` with the passing report's digest, or `Err`
/// with what the evidence showed.
///
/// # Errors
///
/// Returns a short description when there is no evidence on the version's target, or the latest
/// report on it failed.
pub fn gate(version: &PromptVersion) -> Result<String, String> {
    let on_target: Vec<&Evidence> = version.evidence_on_target().collect();
    let Some(latest) = on_target.last() else {
        return Err(if version.evidence.is_empty() {
            "no run has been recorded".to_owned()
        } else {
            "runs were recorded only on other targets".to_owned()
        });
    };
    let from_latest: Vec<&&Evidence> = on_target
        .iter()
        .filter(|e| e.report_digest == latest.report_digest)
        .collect();
    let failed: u64 = from_latest.iter().map(|e| e.failed).sum();
    let errors: u64 = from_latest.iter().map(|e| e.errors).sum();
    if from_latest.iter().all(|e| e.outcome == Outcome::Pass) {
        Ok(latest.report_digest.clone())
    } else {
        Err(format!(
            "the latest run `{}` had {failed} failed and {errors} errored cases",
            latest.report_digest
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_report_fields_are_ignored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.json");
        std::fs::write(
            &path,
            r#"{"format_version":1,"extra":{"x":1},"run":{"started_at":"t","other":2},
               "summary":{"total":1},"suites":[{"path":"s.yaml","content_hash":"sha256:x","total":2,
               "passed":1,"failed":0,"errors":0,"skipped":1,"new_field":true}],
               "cases":[{"id":"s.yaml::a","suite":"s.yaml","status":"passed","output":"…"}]}"#,
        )
        .expect("write report");
        let loaded = load_report(&path).expect("report parses");
        let evidence = evidence_from(&loaded, &loaded.report.suites[0], "sha256:x", "me");
        assert_eq!(evidence.outcome, Outcome::Pass);
        assert!((evidence.pass_rate - 1.0).abs() < f64::EPSILON);
        assert_eq!(evidence.target, "default");
        assert_eq!(evidence.cases.len(), 1);
    }

    #[test]
    fn wrong_format_version_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.json");
        std::fs::write(&path, r#"{"format_version":2}"#).expect("write report");
        let err = load_report(&path).expect_err("refused");
        assert!(err.to_string().contains("format_version 2"), "{err}");
    }
}
