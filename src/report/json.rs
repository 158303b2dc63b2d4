//! The JSON report's bytes: pretty JSON with a trailing newline, written whole ([`write`]) or
//! with its cases streamed in one at a time ([`write_streamed`]).

use std::io::{self, Write};

use crate::results::JsonReport;

/// Writes a report as pretty JSON with a trailing newline (streamed: a 10,000-case report is
/// ~18 MB, which need not be held in memory on its way to the file).
pub(crate) fn write(report: &JsonReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

/// The `cases` field of a report whose cases are left out, as pretty JSON writes it (at the
/// top level, so no string value can hold it: strings hold no raw newline).
const EMPTY_CASES: &[u8] = b"\n  \"cases\": []";

/// Writes a report like [`write`], with `count` cases that `case` writes one at a time, by plan
/// index, each formatted for its place in the `cases` array (as
/// [`CaseSpill`](super::spill::CaseSpill) keeps them); `report.cases` is ignored. The bytes
/// are those [`write`] gives for the same report with its cases: the run's cases never need
/// to be in memory together.
pub(crate) fn write_streamed(
    report: &JsonReport,
    count: usize,
    case: &mut dyn FnMut(usize, &mut dyn Write) -> io::Result<()>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let without_cases = JsonReport {
        run: report.run.clone(),
        summary: report.summary.clone(),
        suites: report.suites.clone(),
        cases: Vec::new(),
        baseline: report.baseline.clone(),
        ..*report
    };
    let mut frame = serde_json::to_vec_pretty(&without_cases).map_err(io::Error::other)?;
    frame.push(b'\n');
    let at = frame
        .windows(EMPTY_CASES.len())
        .position(|window| window == EMPTY_CASES)
        .map(|at| at + EMPTY_CASES.len() - 1)
        .expect("a report always has its `cases` field");
    out.write_all(&frame[..at])?;
    for index in 0..count {
        out.write_all(if index == 0 { b"\n    " } else { b",\n    " })?;
        case(index, out)?;
    }
    if count > 0 {
        out.write_all(b"\n  ")?;
    }
    out.write_all(&frame[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_report_is_byte_for_byte_the_whole_one() {
        let report: JsonReport = serde_json::from_value(serde_json::json!({
            "format_version": 1,
            "run": { "started_at": "2026-01-01T00:00:00Z" },
            "summary": { "total": 2, "passed": 1, "failed": 1, "errors": 0, "skipped": 0 },
            "cases": [
                { "id": "s::a", "suite": "s", "name": "a", "line": 1, "status": "passed",
                  "answer": "[] \"cases\": []" },
                { "id": "s::b", "suite": "s", "name": "b", "line": 2, "status": "failed",
                  "tags": ["x"] },
            ],
        }))
        .unwrap();
        for cases in [0, 2] {
            let mut report = report.clone();
            report.cases.truncate(cases);
            let mut whole = Vec::new();
            write(&report, &mut whole).unwrap();
            let mut spill = super::super::spill::CaseSpill::new(cases).unwrap();
            for (index, case) in report.cases.iter().enumerate() {
                spill.push(index, case);
            }
            let mut streamed = Vec::new();
            write_streamed(
                &report,
                cases,
                &mut |index, out| spill.copy(index, out),
                &mut streamed,
            )
            .unwrap();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }
    }
}
