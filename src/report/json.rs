//! The JSON report's bytes ([`write`]): pretty JSON with a trailing newline.

use crate::results::JsonReport;

/// Writes a report as pretty JSON with a trailing newline (streamed: a 10,000-case report is
/// ~18 MB, which need not be held in memory on its way to the file).
pub(crate) fn write(report: &JsonReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
