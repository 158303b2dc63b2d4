//! A temporary project with a support prompt (a template with an include), a registry on it,
//! and run reports to record: what the registry's unit tests share.

use std::path::PathBuf;

use super::lifecycle::Status;
use super::new_version::{Bump, NewOutcome, NewVersion};
use super::store::Registry;

pub(crate) const ID: &str = "support_system";
pub(crate) const TEMPLATE: &str = "suites/support/system.j2";
pub(crate) const SYSTEM_V1: &str =
    "You are a support agent for {{ company }}.\n{% include \"footer.j2\" %}\n";
pub(crate) const FOOTER: &str = "Be kind.\r\n\tThanks — 🙂 naïve 日本語";

pub(crate) struct Project {
    dir: tempfile::TempDir,
    pub(crate) registry: Registry,
}

impl Project {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let project = Self {
            registry: Registry::open(dir.path()).with_author("Ada"),
            dir,
        };
        project.write("suites/support/system.j2", SYSTEM_V1);
        project.write("suites/support/footer.j2", FOOTER);
        project
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write(&self, name: &str, text: &str) {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write file");
    }

    pub(crate) fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read file")
    }

    pub(crate) fn new_version(&self, bump: Bump, changelog: &str, tokens: u64) -> NewOutcome {
        let mut request = NewVersion::new(ID, bump, changelog);
        request.template = Some(TEMPLATE.to_owned());
        request.token_count = Some(tokens);
        self.registry.new_version(&request).expect("new version")
    }

    /// Snapshots the live template as a new version, records a passing report (`run` as in
    /// [`report`](Self::report)) and promotes the version to production.
    pub(crate) fn released(&self, run: u32, bump: Bump, changelog: &str) -> NewOutcome {
        let created = self.new_version(bump, changelog, 10);
        self.registry
            .record(&self.report(run, &created.content_hash, "default", 2, 0))
            .expect("record");
        self.registry
            .promote(ID, &created.version, Status::Production, changelog)
            .expect("promote");
        created
    }

    /// Writes a run report for `hash` and returns its path; `run` makes each report's bytes
    /// (and so its digest) distinct.
    pub(crate) fn report(
        &self,
        run: u32,
        hash: &str,
        target: &str,
        passed: u64,
        failed: u64,
    ) -> PathBuf {
        let suite = "suites/support/support.yaml";
        let cases: Vec<serde_json::Value> = (0..passed + failed)
            .map(|i| {
                serde_json::json!({
                    "id": format!("{suite}::case_{i}"), "suite": suite,
                    "name": format!("case_{i}"), "line": i + 1,
                    "status": if i < passed { "passed" } else { "failed" }, "duration_ms": 12
                })
            })
            .collect();
        let report = serde_json::json!({
            "format_version": 1,
            "run": { "started_at": format!("2026-11-23T19:00:0{run}Z"), "git_commit": "abc123" },
            "summary": { "total": passed + failed, "passed": passed, "failed": failed, "errors": 0, "skipped": 0 },
            "suites": [{ "path": suite, "prompt_id": ID, "template": TEMPLATE, "content_hash": hash,
                         "target": target, "provider": "openai", "model": "gpt-4o-mini",
                         "total": passed + failed, "passed": passed, "failed": failed, "errors": 0, "skipped": 0 }],
            "cases": cases,
        });
        let path = self.path(&format!("report-{run}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&report).expect("json"))
            .expect("write report");
        path
    }
}

pub(crate) fn v(text: &str) -> semver::Version {
    semver::Version::parse(text).expect("valid version")
}
