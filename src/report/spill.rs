//! [`CaseSpill`]: the report entries of a run's finished cases, kept in a temporary file
//! instead of memory and read back in plan order by the report writers.
//!
//! Each entry is stored already formatted as the JSON report writes it (pretty, indented for
//! its place in the `cases` array), so the JSON report copies bytes; JUnit, the baseline
//! comparison and the other readers parse an entry back when they need it. The file is
//! anonymous: the system deletes it when the run ends, however it ends.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use crate::results::JsonCase;

/// Where an entry is in the file.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    offset: u64,
    len: u32,
}

/// The report entries of a run, by plan index, in a temporary file.
#[derive(Debug)]
pub(crate) struct CaseSpill {
    /// Writes entries as cases finish; taken when the first entry is read.
    writer: Option<BufWriter<File>>,
    /// Reads entries back once every case has finished.
    reader: Option<File>,
    spans: Vec<Span>,
    written: u64,
    /// The first write error: a case finishes in a callback that cannot fail, so the error
    /// waits for the report writers.
    error: Option<io::Error>,
    buffer: Vec<u8>,
}

impl CaseSpill {
    /// Creates an empty spill for `cases` entries in the system's temporary directory.
    pub(crate) fn new(cases: usize) -> io::Result<Self> {
        Ok(Self {
            writer: Some(BufWriter::with_capacity(1 << 16, tempfile::tempfile()?)),
            reader: None,
            spans: vec![Span::default(); cases],
            written: 0,
            error: None,
            buffer: Vec::new(),
        })
    }

    /// Returns how many entries the spill holds room for (the plan's cases).
    #[must_use]
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// Stores the entry of the case at plan `index`. A write error is kept for
    /// [`CaseSpill::read`] and [`CaseSpill::copy`] to return.
    pub(crate) fn push(&mut self, index: usize, case: &JsonCase) {
        if self.error.is_some() {
            return;
        }
        let Some(writer) = self.writer.as_mut() else {
            self.error = Some(io::Error::other(
                "a case finished after its report was read",
            ));
            return;
        };
        self.buffer.clear();
        serde_json::to_writer_pretty(&mut self.buffer, case)
            .expect("a report entry always serialises");
        let mut len = 0_u64;
        let mut write = |bytes: &[u8]| -> io::Result<()> {
            writer.write_all(bytes)?;
            len += bytes.len() as u64;
            Ok(())
        };
        // Indented for its place in the report's `cases` array: JSON strings hold no raw
        // newline, so every newline is between tokens.
        let mut result = Ok(());
        for (number, line) in self.buffer.split(|&byte| byte == b'\n').enumerate() {
            result = result.and_then(|()| {
                if number > 0 {
                    write(b"\n    ")?;
                }
                write(line)
            });
        }
        match result.and_then(|()| u32::try_from(len).map_err(io::Error::other)) {
            Ok(len) => {
                self.spans[index] = Span {
                    offset: self.written,
                    len,
                };
                self.written += u64::from(len);
            }
            Err(error) => self.error = Some(error),
        }
    }

    /// Returns the bytes of the entry at plan `index`, as the JSON report writes them.
    pub(crate) fn bytes(&mut self, index: usize) -> io::Result<&[u8]> {
        if let Some(error) = &self.error {
            return Err(io::Error::new(error.kind(), error.to_string()));
        }
        if let Some(writer) = self.writer.take() {
            self.reader = Some(
                writer
                    .into_inner()
                    .map_err(io::IntoInnerError::into_error)?,
            );
        }
        let span = self.spans[index];
        let reader = self
            .reader
            .as_mut()
            .expect("the reader replaces the writer");
        reader.seek(SeekFrom::Start(span.offset))?;
        self.buffer.resize(span.len as usize, 0);
        reader.read_exact(&mut self.buffer)?;
        Ok(&self.buffer)
    }

    /// Copies the entry at plan `index` to `out`, as the JSON report writes it.
    pub(crate) fn copy(&mut self, index: usize, out: &mut dyn Write) -> io::Result<()> {
        let bytes = self.bytes(index)?;
        out.write_all(bytes)
    }

    /// Returns the entry at plan `index`.
    pub(crate) fn read(&mut self, index: usize) -> io::Result<JsonCase> {
        let bytes = self.bytes(index)?;
        serde_json::from_slice(bytes).map_err(io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: &str, answer: &str) -> JsonCase {
        serde_json::from_value(serde_json::json!({
            "id": id, "suite": "s.yaml", "name": id, "line": 3, "status": "passed",
            "answer": answer, "assertions": [], "tags": ["a", "b"],
        }))
        .unwrap()
    }

    #[derive(serde::Serialize)]
    struct Report<'a> {
        cases: [&'a JsonCase; 2],
    }

    #[test]
    fn entries_come_back_by_index_formatted_for_the_report() {
        let mut spill = CaseSpill::new(2).unwrap();
        let (first, second) = (case("one", "a\nb"), case("two", "ü"));
        spill.push(1, &second);
        spill.push(0, &first);
        assert_eq!(spill.read(0).unwrap(), first);
        assert_eq!(spill.read(1).unwrap(), second);
        let report = Report {
            cases: [&first, &second],
        };
        let expected = serde_json::to_string_pretty(&report).unwrap();
        let mut streamed = b"{\n  \"cases\": [\n    ".to_vec();
        spill.copy(0, &mut streamed).unwrap();
        streamed.extend_from_slice(b",\n    ");
        spill.copy(1, &mut streamed).unwrap();
        streamed.extend_from_slice(b"\n  ]\n}");
        assert_eq!(String::from_utf8(streamed).unwrap(), expected);
    }
}
