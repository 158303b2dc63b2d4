//! Test evidence: reading a run's JSON report (`promptci run --json`, the
//! [`JsonReport`] of the results model) and the promotion gate ([`evidence_gate`]).
//!
//! The gate looks at the latest report recorded on the version's model target for its exact
//! content hash: every suite of that report must have passed with no failures and no errors. A
//! later failing run therefore revokes an earlier pass, and a pass on another target does not
//! count.

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;

use super::error::RegistryErrorKind;
use super::model::{Evidence, EvidenceCase, Outcome, PromptVersion};
use crate::results::{JsonReport, JsonSuite};

/// A parsed report with the digest of its exact bytes.
#[derive(Debug, Clone)]
pub(crate) struct LoadedReport {
    /// The report.
    pub(crate) report: JsonReport,
    /// `sha256:<hex>` of the report file's bytes.
    pub(crate) digest: String,
}

/// The first thing read from a report: its format version.
#[derive(Deserialize)]
struct FormatVersion {
    format_version: u32,
}

/// Reads and parses the report at `path`.
pub(crate) fn load_report(path: &Path) -> Result<LoadedReport, RegistryErrorKind> {
    let bytes = std::fs::read(path).map_err(|err| RegistryErrorKind::io(path, err))?;
    let bad = |message: String| RegistryErrorKind::BadReport {
        path: path.to_path_buf(),
        message,
    };
    // The version is checked first, so a report from a newer promptci is refused as such
    // rather than for a field this version does not know the shape of.
    let version: FormatVersion =
        serde_json::from_slice(&bytes).map_err(|err| bad(format!("{err}")))?;
    if version.format_version != 1 {
        return Err(bad(format!(
            "format_version {} is not supported (1 is)",
            version.format_version
        )));
    }
    let report: JsonReport = serde_json::from_slice(&bytes).map_err(|err| bad(format!("{err}")))?;
    Ok(LoadedReport {
        report,
        digest: crate::util::hash::sha256_prefixed(&bytes),
    })
}

/// Builds the evidence one suite of a report gives for the content it names.
pub(crate) fn evidence_from(
    loaded: &LoadedReport,
    suite: &JsonSuite,
    content_hash: &str,
    recorded_by: &str,
) -> Evidence {
    let count = |count: usize| u64::try_from(count).unwrap_or(u64::MAX);
    let counts = &suite.counts;
    let (total, passed, failed, errors, skipped) = (
        count(counts.total),
        count(counts.passed),
        count(counts.failed),
        count(counts.errors),
        count(counts.skipped),
    );
    let ran = total.saturating_sub(skipped);
    #[expect(
        clippy::cast_precision_loss,
        reason = "case counts are far below 2^52, and a rate needs no more precision"
    )]
    let pass_rate = if ran == 0 {
        0.0
    } else {
        passed as f64 / ran as f64
    };
    let outcome = if failed == 0 && errors == 0 && passed > 0 && !loaded.report.run.interrupted {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    let partial = partial_reason(&loaded.report, skipped);
    Evidence {
        recorded_at: Timestamp::now(),
        recorded_by: recorded_by.to_owned(),
        report_digest: loaded.digest.clone(),
        run_started_at: Some(loaded.report.run.started_at.clone()),
        git_commit: loaded.report.run.git_commit.clone(),
        suite: suite.path.clone(),
        content_hash: content_hash.to_owned(),
        target: suite.target.clone(),
        provider: Some(suite.provider.clone()),
        model: Some(suite.model.clone()),
        outcome,
        pass_rate,
        total,
        passed,
        failed,
        errors,
        skipped,
        partial,
        cases: loaded
            .report
            .cases
            .iter()
            // Reports older than per-case targets name none: their suites ran on one target.
            .filter(|case| {
                case.suite == suite.path && (case.target.is_empty() || case.target == suite.target)
            })
            .map(|case| EvidenceCase {
                id: case.id.clone(),
                status: case.status.as_str().to_owned(),
            })
            .collect(),
    }
}

/// Returns why a report's run of a suite did not test every case of it, or `None` when it did.
fn partial_reason(report: &JsonReport, skipped: u64) -> Option<String> {
    let mut reasons: Vec<String> = report
        .run
        .selection
        .iter()
        .map(|flag| format!("`{flag}`"))
        .collect();
    if let Some(shard) = &report.run.shard {
        reasons.push(format!("`--shard {}/{}`", shard.index, shard.count));
    }
    if skipped > 0 {
        reasons.push(format!(
            "{} skipped",
            crate::util::format::plural(
                usize::try_from(skipped).unwrap_or(usize::MAX),
                "case",
                "cases"
            )
        ));
    }
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

/// Decides whether `version` may be promoted: `Ok` with the passing report's digest, or `Err`
/// with what the evidence showed.
///
/// # Errors
///
/// Returns a short description when there is no evidence on the version's target, the latest
/// report on it failed, or it ran only part of a suite and `allow_partial` is false.
pub(crate) fn evidence_gate(
    version: &PromptVersion,
    allow_partial: bool,
) -> Result<String, String> {
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
    let partial = from_latest.iter().find_map(|e| e.partial.as_deref());
    if let (Some(partial), false) = (partial, allow_partial) {
        return Err(format!(
            "the latest run `{}` did not run every case ({partial}); run the whole suite, or pass `--allow-partial` to accept it",
            latest.report_digest
        ));
    }
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
               "summary":{"total":2,"passed":1,"failed":0,"errors":0,"skipped":1,"more":3},
               "suites":[{"path":"s.yaml","content_hash":"sha256:x","target":"default",
               "provider":"mock","model":"m","total":2,"passed":1,"failed":0,"errors":0,
               "skipped":1,"new_field":true}],
               "cases":[{"id":"s.yaml::a","suite":"s.yaml","name":"a","line":3,
               "status":"passed","output":"…"}]}"#,
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
