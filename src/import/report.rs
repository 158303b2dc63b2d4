//! [`ImportReport`]: what an import converted, approximated, could not convert, and what
//! promptfoo itself ignores, each item with its place in the promptfoo project.

use serde::Serialize;

/// How an item of the promptfoo project came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ItemStatus {
    /// Converted with the same meaning.
    Converted,
    /// Converted, but a verdict could differ from promptfoo's; the note says when.
    Approximated,
    /// Not converted: promptci has no counterpart, so the check or setting is missing.
    Unconverted,
    /// promptfoo itself ignores it, so nothing is lost.
    Ignored,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ReportItem {
    /// How it came over.
    pub(crate) status: ItemStatus,
    /// `file:line:col` in the promptfoo project.
    pub(crate) location: String,
    /// What it is, such as ``assertion `equals` `` or ``key `outputPath` ``.
    pub(crate) what: String,
    /// What became of it and why.
    pub(crate) note: String,
}

/// The suites an import wrote, for tools that compare verdicts with promptfoo's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SuiteOrigin {
    /// The suite file, relative to the output directory.
    pub(crate) path: String,
    /// promptfoo's label of the prompt.
    pub(crate) prompt: String,
    /// promptfoo's label (or id) of the provider.
    pub(crate) provider: String,
    /// The promptci target.
    pub(crate) target: String,
    /// The cases, in order.
    pub(crate) cases: Vec<CaseOrigin>,
}

/// Where a case came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CaseOrigin {
    /// The case name.
    pub(crate) name: String,
    /// promptfoo's index of the test (after scenarios and list variables are expanded).
    pub(crate) test: usize,
}

/// Everything an import found, in the order it was found.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ImportReport {
    /// The items.
    pub(crate) items: Vec<ReportItem>,
    /// The suites written and the promptfoo prompt and provider behind each.
    pub(crate) suites: Vec<SuiteOrigin>,
}

impl ImportReport {
    /// Records an item.
    pub(crate) fn push(
        &mut self,
        status: ItemStatus,
        location: impl Into<String>,
        what: impl Into<String>,
        note: impl Into<String>,
    ) {
        self.items.push(ReportItem {
            status,
            location: location.into(),
            what: what.into(),
            note: note.into(),
        });
    }

    /// Records an item unless one with the same location and subject is there already (a
    /// prompt's variable is reported once, not once per case).
    pub(crate) fn push_once(
        &mut self,
        status: ItemStatus,
        location: impl Into<String>,
        what: impl Into<String>,
        note: impl Into<String>,
    ) {
        let (location, what) = (location.into(), what.into());
        if !self
            .items
            .iter()
            .any(|item| item.location == location && item.what == what)
        {
            self.push(status, location, what, note);
        }
    }

    /// Returns the number of items with `status`.
    pub(crate) fn count(&self, status: ItemStatus) -> usize {
        self.items
            .iter()
            .filter(|item| item.status == status)
            .count()
    }

    /// Returns the report as text: one section per status, items in project order.
    pub(crate) fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let sections = [
            (ItemStatus::Converted, "converted"),
            (
                ItemStatus::Approximated,
                "approximated (these verdicts could differ from promptfoo's)",
            ),
            (
                ItemStatus::Unconverted,
                "not converted (missing from the suites; port them by hand)",
            ),
            (ItemStatus::Ignored, "ignored (promptfoo ignores these too)"),
        ];
        for (status, title) in sections {
            let items: Vec<&ReportItem> = self
                .items
                .iter()
                .filter(|item| item.status == status)
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{title}:");
            for item in items {
                let _ = writeln!(out, "  {}: {}: {}", item.location, item.what, item.note);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_list_items_by_status_with_their_locations() {
        let mut report = ImportReport::default();
        report.push(
            ItemStatus::Unconverted,
            "c.yaml:9:9",
            "assertion `cost`",
            "no counterpart",
        );
        report.push(
            ItemStatus::Converted,
            "c.yaml:2:5",
            "prompt `a`",
            "suites/a.yaml",
        );
        report.push(
            ItemStatus::Ignored,
            "c.yaml:1:1",
            "key `sharing`",
            "promptfoo ignores it",
        );
        assert_eq!(
            report.to_text(),
            "converted:\n  c.yaml:2:5: prompt `a`: suites/a.yaml\n\
             not converted (missing from the suites; port them by hand):\n  c.yaml:9:9: assertion `cost`: no counterpart\n\
             ignored (promptfoo ignores these too):\n  c.yaml:1:1: key `sharing`: promptfoo ignores it\n"
        );
        assert_eq!(report.count(ItemStatus::Approximated), 0);
    }
}
