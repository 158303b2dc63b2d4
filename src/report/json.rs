//! The JSON report's bytes ([`serialize`]): pretty JSON with a trailing newline.

use crate::results::JsonReport;

/// Serialises a report as pretty JSON with a trailing newline.
#[must_use]
pub(crate) fn serialize(report: &JsonReport) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(report).expect("a report always serialises");
    bytes.push(b'\n');
    bytes
}
