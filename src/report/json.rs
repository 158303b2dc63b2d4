//! The JSON report's bytes ([`write`], [`serialize`]): pretty JSON with a trailing newline.

use crate::results::JsonReport;

/// Writes a report as pretty JSON with a trailing newline (streamed: a 10,000-case report is
/// ~18 MB, which need not be held in memory on its way to the file).
pub fn write(report: &JsonReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

/// Serialises a report as pretty JSON with a trailing newline.
#[must_use]
pub fn serialize(report: &JsonReport) -> Vec<u8> {
    let mut bytes = Vec::new();
    write(report, &mut bytes).expect("a report always serialises");
    bytes
}
