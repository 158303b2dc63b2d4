//! Case data files (`cases-from:`): CSV, JSONL and YAML lists read row by row into
//! [`DataRow`]s, every problem located at its line and column.
//!
//! A row is a case: keys named like case keys ([`CaseKey`]) keep their meaning, every other key
//! is a variable. CSV and JSONL are streamed (one record in memory at a time); a YAML list is
//! parsed whole, like a suite. Reading never stops at a bad row, so one run names them all.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_saphyr::Spanned;

use super::load::{MAX_REPEAT, RepeatSettings};
use super::model::{RawMessage, Skip, Vars};
use crate::assert::AssertionSpec;
use crate::error::{Problem, SourceFile};
use crate::yaml::{YamlError, parse_yaml_text, span_start};

/// The most problems listed for one data file; the rest are counted in one last line, so a
/// file with every row wrong does not bury the terminal.
const PROBLEM_LIMIT: usize = 100;

/// The format of a data file, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// A YAML list of mappings.
    Yaml,
}

impl DataFormat {
    /// Returns the format of `path` from its extension.
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Self::Csv),
            "jsonl" => Some(Self::Jsonl),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }

    /// The extensions data files may have, for messages.
    pub(crate) const EXTENSIONS: &'static str = "`.csv`, `.jsonl`, `.yaml` or `.yml`";
}

/// A key of a row that means what it means in a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaseKey {
    Name,
    User,
    Messages,
    Assert,
    MockAnswer,
    Skip,
    Tags,
    Repeat,
    PassRate,
    Confidence,
    EarlyStop,
    Vars,
}

const CASE_KEYS: [(&str, CaseKey); 12] = [
    ("name", CaseKey::Name),
    ("user", CaseKey::User),
    ("messages", CaseKey::Messages),
    ("assert", CaseKey::Assert),
    ("mock-answer", CaseKey::MockAnswer),
    ("skip", CaseKey::Skip),
    ("tags", CaseKey::Tags),
    ("repeat", CaseKey::Repeat),
    ("pass-rate", CaseKey::PassRate),
    ("confidence", CaseKey::Confidence),
    ("early-stop", CaseKey::EarlyStop),
    ("vars", CaseKey::Vars),
];

impl CaseKey {
    /// Returns the case key spelled exactly `name`.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        CASE_KEYS
            .iter()
            .find(|(spelled, _)| *spelled == name)
            .map(|(_, key)| *key)
    }

    /// Returns the key as written in suites.
    pub(crate) fn as_str(self) -> &'static str {
        CASE_KEYS
            .iter()
            .find(|(_, key)| *key == self)
            .map_or("", |(spelled, _)| spelled)
    }

    /// Returns the case key a variable name was probably meant to be: one that differs only in
    /// case, `_` for `-`, or surrounding spaces (`mock_answer`, `Assert`).
    pub(crate) fn near_miss(name: &str) -> Option<Self> {
        let normal = name.trim().to_lowercase().replace('_', "-");
        (normal != name).then(|| Self::parse(&normal)).flatten()
    }
}

/// A case as a data file writes it.
#[derive(Debug)]
pub(crate) struct DataRow {
    /// The line the row starts on (a CSV's header is line 1): its generated name is `row-N`.
    pub line: usize,
    /// The `name` key, when the row has one.
    pub name: Option<String>,
    /// The literal user message.
    pub user: Option<String>,
    /// A multi-turn conversation.
    pub messages: Option<Vec<RawMessage>>,
    /// The row's assertions, with spans in [`DataRow::assert_source`].
    pub assertions: Vec<Spanned<AssertionSpec>>,
    /// Where the assertions were written, to locate problems compiling them (`None` when the
    /// row has none).
    pub assert_source: Option<AssertSource>,
    /// Skips the case.
    pub skip: Option<Skip>,
    /// Tags.
    pub tags: Vec<String>,
    /// The mock target's answer.
    pub mock_answer: Option<String>,
    /// `repeat`, `pass-rate`, `confidence` and `early-stop`.
    pub repeat: RepeatSettings,
    /// Every other key.
    pub vars: Vars,
}

/// The text the spans of a row's assertions point into.
#[derive(Debug, Clone)]
pub(crate) enum AssertSource {
    /// The data file itself (YAML rows): spans are its lines and columns.
    File,
    /// One cell or value (CSV and JSONL rows): problems are located at the cell.
    Cell(CellPlace),
}

/// A cell of a streamed row: where problems about it are reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CellPlace {
    /// The data file as shown.
    pub file: Arc<str>,
    /// The line of the row.
    pub line: usize,
    /// The 1-based column (CSV: the field number; JSONL: the character of the key).
    pub column: usize,
    /// `column `assert`` or `key `assert``.
    pub label: String,
}

impl CellPlace {
    /// Returns a problem about this cell.
    pub(crate) fn problem(&self, message: impl fmt::Display) -> Problem {
        Problem::located(
            format!("{}:{}:{}", self.file, self.line, self.column),
            format!("{}: {message}", self.label),
        )
    }
}

/// A variable a data file defines, and where, for the unused-variable warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataVariable {
    /// The variable's name.
    pub name: String,
    /// `file:line:col` of its first definition (a CSV header cell, a key of the first row that
    /// has it).
    pub location: String,
}

/// What reading a data file found besides its rows.
#[derive(Debug, Default)]
pub(crate) struct DataFile {
    /// The variables it defines, in order of first appearance.
    pub variables: Vec<DataVariable>,
    /// Every problem, in file order (at most [`PROBLEM_LIMIT`] and a count of the rest).
    pub problems: Vec<Problem>,
    /// Warnings (columns spelled almost like case keys).
    pub warnings: Vec<Problem>,
}

impl DataFile {
    fn problem(&mut self, overflow: &mut usize, problem: Problem) {
        if self.problems.len() < PROBLEM_LIMIT {
            self.problems.push(problem);
        } else {
            *overflow += 1;
        }
    }

    fn variable(&mut self, name: &str, location: impl FnOnce() -> String) {
        if !self.variables.iter().any(|known| known.name == name) {
            self.variables.push(DataVariable {
                name: name.to_owned(),
                location: location(),
            });
        }
    }

    /// Records the variables of a row that no header or key recorded (those of a `vars`
    /// mapping), at the row.
    fn variables_of(&mut self, row: &DataRow, location: impl Fn() -> String) {
        for name in row.vars.keys() {
            self.variable(name, &location);
        }
    }

    fn finish(mut self, shown: &str, overflow: usize) -> Self {
        if overflow > 0 {
            self.problems.push(Problem::new(format!(
                "… and {} in {shown}",
                crate::util::format::plural(overflow, "more problem", "more problems")
            )));
        }
        self
    }
}

/// Reads the data file at `path` (shown to users as `shown`) and hands each good row to
/// `each`, which returns the row's own problems; those and the bad rows become problems in the
/// returned [`DataFile`]. Fails only when the file cannot be opened or its format is unknown.
pub(crate) fn read(
    path: &Path,
    shown: &str,
    each: &mut dyn FnMut(DataRow) -> Vec<Problem>,
) -> Result<DataFile, String> {
    let format = DataFormat::of(path).ok_or_else(|| {
        format!(
            "`{shown}` is not a case data file: use {}",
            DataFormat::EXTENSIONS
        )
    })?;
    let file =
        std::fs::File::open(path).map_err(|error| format!("cannot read `{shown}`: {error}"))?;
    let shown: Arc<str> = shown.into();
    Ok(match format {
        DataFormat::Csv => read_csv(file, &shown, each),
        DataFormat::Jsonl => read_jsonl(BufReader::new(file), &shown, each),
        DataFormat::Yaml => {
            let mut text = String::new();
            BufReader::new(file)
                .read_to_string(&mut text)
                .map_err(|error| format!("cannot read `{shown}`: {error}"))?;
            read_yaml(&SourceFile::new(shown.to_string(), text), each)
        }
    })
}

/// One header cell of a CSV file.
struct Column {
    name: String,
    number: usize,
    key: Option<CaseKey>,
}

fn read_csv(
    reader: impl Read,
    shown: &Arc<str>,
    each: &mut dyn FnMut(DataRow) -> Vec<Problem>,
) -> DataFile {
    let mut found = DataFile::default();
    let mut overflow = 0;
    // Field counts are checked here, so a short row is a located problem and reading goes on.
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let columns = match csv.read_byte_record(&mut record) {
        Ok(true) => header(&record, shown, &mut found),
        Ok(false) => return found,
        Err(error) => {
            found.problems.push(Problem::located(
                format!("{shown}:1:1"),
                format!("the header row cannot be read: {}", csv_detail(&error)),
            ));
            return found;
        }
    };
    if !found.problems.is_empty() {
        return found;
    }
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                let stop = matches!(error.kind(), csv::ErrorKind::Io(_));
                found.problem(
                    &mut overflow,
                    Problem::located(
                        format!("{shown}:{line}:1"),
                        format!("the row cannot be read: {}", csv_detail(&error)),
                    ),
                );
                if stop {
                    break;
                }
                continue;
            }
        }
        let line =
            usize::try_from(record.position().map_or(0, csv::Position::line)).unwrap_or(usize::MAX);
        if record.len() != columns.len() {
            let (column, detail) = if record.len() < columns.len() {
                (
                    record.len() + 1,
                    format!(
                        "the first missing column is `{}`",
                        columns[record.len()].name
                    ),
                )
            } else {
                (
                    columns.len() + 1,
                    "the extra cells have no column".to_owned(),
                )
            };
            found.problem(
                &mut overflow,
                Problem::located(
                    format!("{shown}:{line}:{column}"),
                    format!(
                        "row has {}, but the header has {} ({detail})",
                        crate::util::format::plural(record.len(), "field", "fields"),
                        columns.len()
                    ),
                )
                .with_help("quote cells that contain commas: `\"a, b\"`"),
            );
            continue;
        }
        if let Some(row) = csv_row(&columns, &record, line, shown, (&mut found, &mut overflow)) {
            for problem in each(row) {
                found.problem(&mut overflow, problem);
            }
        }
    }
    found.finish(shown, overflow)
}

/// Turns one CSV record with the header's number of fields into a row, or records its problems.
fn csv_row(
    columns: &[Column],
    record: &csv::ByteRecord,
    line: usize,
    shown: &Arc<str>,
    (found, overflow): (&mut DataFile, &mut usize),
) -> Option<DataRow> {
    let mut row = DataRow::new(line);
    let mut bad = false;
    for (index, (column, bytes)) in columns.iter().zip(record.iter()).enumerate() {
        let place = CellPlace {
            file: Arc::clone(shown),
            line,
            column: index + 1,
            label: format!("column `{}`", column.name),
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            found.problem(overflow, place.problem("the cell is not valid UTF-8"));
            bad = true;
            continue;
        };
        let result = match column.key {
            None => {
                row.vars.insert(
                    column.name.clone(),
                    serde_json::Value::String(text.to_owned()),
                );
                Ok(())
            }
            Some(key) => row.set_text(key, text, &place),
        };
        if let Err(problem) = result {
            found.problem(overflow, problem);
            bad = true;
        }
    }
    (!bad).then_some(row)
}

/// Reads the header row: names trimmed, each unique and non-empty; records the variables and
/// the columns spelled almost like case keys.
fn header(record: &csv::ByteRecord, shown: &Arc<str>, found: &mut DataFile) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::with_capacity(record.len());
    for (index, bytes) in record.iter().enumerate() {
        let location = format!("{shown}:1:{}", index + 1);
        let name = String::from_utf8_lossy(bytes).trim().to_owned();
        if name.is_empty() {
            found.problems.push(
                Problem::located(location, format!("column {} has no name", index + 1))
                    .with_help("every column needs a name in the header row"),
            );
            continue;
        }
        if let Some(first) = columns.iter().find(|column| column.name == name) {
            found.problems.push(Problem::located(
                location,
                format!(
                    "column `{name}` appears twice (first as column {})",
                    first.number
                ),
            ));
            continue;
        }
        let key = CaseKey::parse(&name);
        if key.is_none() {
            if let Some(meant) = CaseKey::near_miss(&name) {
                found.warnings.push(
                    Problem::located(
                        location.clone(),
                        format!(
                            "column `{name}` is a variable, not the case key `{}`",
                            meant.as_str()
                        ),
                    )
                    .with_help(format!("rename the column `{}`", meant.as_str())),
                );
            } else {
                found.variable(&name, || location);
            }
        }
        columns.push(Column {
            name,
            number: index + 1,
            key,
        });
    }
    columns
}

fn csv_detail(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("field {} is not valid UTF-8", err.field() + 1),
        csv::ErrorKind::Io(error) => error.to_string(),
        _ => error.to_string(),
    }
}

fn read_jsonl(
    mut reader: impl BufRead,
    shown: &Arc<str>,
    each: &mut dyn FnMut(DataRow) -> Vec<Problem>,
) -> DataFile {
    let mut found = DataFile::default();
    let mut overflow = 0;
    let mut text = String::new();
    let mut line = 0;
    loop {
        text.clear();
        match reader.read_line(&mut text) {
            Ok(0) => break,
            Ok(_) => line += 1,
            Err(error) => {
                found.problem(
                    &mut overflow,
                    Problem::located(
                        format!("{shown}:{}:1", line + 1),
                        format!("the line cannot be read: {error}"),
                    ),
                );
                break;
            }
        }
        if text.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(other) => {
                found.problem(
                    &mut overflow,
                    Problem::located(
                        format!("{shown}:{line}:1"),
                        format!(
                            "expected a JSON object (a mapping of keys to values), found {}",
                            kind_of(&other)
                        ),
                    )
                    .with_help("write each row as `{\"key\": value, …}` on one line"),
                );
                continue;
            }
            Err(error) => {
                found.problem(
                    &mut overflow,
                    Problem::located(
                        format!("{shown}:{line}:{}", error.column().max(1)),
                        format!("invalid JSON: {}", strip_json_location(&error.to_string())),
                    ),
                );
                continue;
            }
        };
        let mut row = DataRow::new(line);
        let mut bad = false;
        for (key, value) in object {
            let column = text
                .find(&format!("\"{key}\""))
                .map_or(1, |byte| text[..byte].chars().count() + 1);
            let place = CellPlace {
                file: Arc::clone(shown),
                line,
                column,
                label: format!("key `{key}`"),
            };
            let result = if let Some(case_key) = CaseKey::parse(&key) {
                row.set_value(case_key, value, &place)
            } else {
                found.variable(&key, || format!("{shown}:{line}:{column}"));
                row.vars.insert(key, value);
                Ok(())
            };
            if let Err(problem) = result {
                found.problem(&mut overflow, problem);
                bad = true;
            }
        }
        if !bad {
            found.variables_of(&row, || format!("{shown}:{line}:1"));
            for problem in each(row) {
                found.problem(&mut overflow, problem);
            }
        }
    }
    found.finish(shown, overflow)
}

/// Removes `serde_json`'s " at line L column C" (the location is given separately).
fn strip_json_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// A YAML row as written: typed case keys (assertions keep their spans) and loose variables.
#[derive(Debug, Default)]
struct YamlRow {
    keys: Vec<(Spanned<String>, YamlCell)>,
}

#[derive(Debug)]
enum YamlCell {
    Assert(Vec<Spanned<AssertionSpec>>),
    Value(Spanned<serde_json::Value>),
}

impl<'de> Deserialize<'de> for YamlRow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = YamlRow;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of case keys and variables")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YamlRow, A::Error> {
                let mut row = YamlRow::default();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let cell = if key.value == "assert" {
                        YamlCell::Assert(map.next_value()?)
                    } else {
                        YamlCell::Value(map.next_value()?)
                    };
                    row.keys.push((key, cell));
                }
                Ok(row)
            }
        }
        deserializer.deserialize_map(RowVisitor)
    }
}

fn read_yaml(source: &SourceFile, each: &mut dyn FnMut(DataRow) -> Vec<Problem>) -> DataFile {
    let mut found = DataFile::default();
    let mut overflow = 0;
    match parse_yaml_text::<Option<Vec<Spanned<YamlRow>>>>(&source.text) {
        Ok(rows) => {
            for row in rows.unwrap_or_default() {
                yaml_row(source, row, &mut found, &mut overflow, each);
            }
        }
        Err(first) => {
            // Parse each item on its own to find every bad row, not only the first.
            for problem in yaml_item_problems(source, first) {
                found.problem(&mut overflow, problem);
            }
        }
    }
    found.finish(&source.name, overflow)
}

fn yaml_row(
    source: &SourceFile,
    row: Spanned<YamlRow>,
    found: &mut DataFile,
    overflow: &mut usize,
    each: &mut dyn FnMut(DataRow) -> Vec<Problem>,
) {
    let (line, _) = span_start(&row);
    let mut data = DataRow::new(line);
    let mut bad = false;
    for (key, cell) in row.value.keys {
        let (key_line, key_column) = span_start(&key);
        let result = match (CaseKey::parse(&key.value), cell) {
            (Some(CaseKey::Assert), YamlCell::Assert(assertions)) => {
                data.assertions = assertions;
                data.assert_source = Some(AssertSource::File);
                Ok(())
            }
            (Some(case_key), YamlCell::Value(value)) => {
                let (line, column) = span_start(&value);
                let place = CellPlace {
                    file: source.name.as_str().into(),
                    line,
                    column,
                    label: format!("key `{}`", key.value),
                };
                data.set_value(case_key, value.value, &place)
                    .map_err(|problem| {
                        // The file is in memory: point at the value with a snippet.
                        Problem::at_line(source, line, column, problem.message().to_owned())
                    })
            }
            (None, YamlCell::Value(value)) => {
                found.variable(&key.value, || {
                    format!("{}:{key_line}:{key_column}", source.name)
                });
                data.vars.insert(key.value, value.value);
                Ok(())
            }
            (_, YamlCell::Assert(_)) => unreachable!("only `assert` is read as assertions"),
        };
        if let Err(problem) = result {
            found.problem(overflow, problem);
            bad = true;
        }
    }
    if !bad {
        found.variables_of(&data, || format!("{}:{line}:1", source.name));
        for problem in each(data) {
            found.problem(overflow, problem);
        }
    }
}

/// Returns the problems of every item of a YAML list that did not parse as a whole: each item
/// is parsed alone (its lines, with the `- ` before it blanked so it stays a mapping at its
/// own indentation), and its errors are located in the whole file.
fn yaml_item_problems(source: &SourceFile, first: YamlError) -> Vec<Problem> {
    let starts: Vec<(usize, usize)> =
        match parse_yaml_text::<Option<Vec<Spanned<IgnoredAny>>>>(&source.text) {
            Ok(items) => items.unwrap_or_default().iter().map(span_start).collect(),
            Err(_) => {
                return vec![first.at(source).with_help(
                    "a YAML data file is a list of mappings, one per case: `- name: …`",
                )];
            }
        };
    let lines: Vec<&str> = source.text.split_inclusive('\n').collect();
    let shared_line = starts.windows(2).any(|pair| pair[0].0 == pair[1].0);
    if shared_line || starts.is_empty() {
        return vec![first.at(source)];
    }
    let mut problems = Vec::new();
    for (index, &(line, column)) in starts.iter().enumerate() {
        let end = starts.get(index + 1).map_or(lines.len(), |next| next.0 - 1);
        let mut text = String::new();
        for (offset, text_line) in lines[line - 1..end].iter().enumerate() {
            if offset == 0 {
                let prefix: usize = text_line
                    .char_indices()
                    .nth(column - 1)
                    .map_or(text_line.len(), |(byte, _)| byte);
                text.push_str(&" ".repeat(text_line[..prefix].chars().count()));
                text.push_str(&text_line[prefix..]);
            } else {
                text.push_str(text_line);
            }
        }
        if let Err(error) = parse_yaml_text::<Spanned<YamlRow>>(&text) {
            problems.push(error.shifted(source, line - 1));
        }
    }
    if problems.is_empty() {
        problems.push(first.at(source));
    }
    problems
}

impl DataRow {
    fn new(line: usize) -> Self {
        Self {
            line,
            name: None,
            user: None,
            messages: None,
            assertions: Vec::new(),
            assert_source: None,
            skip: None,
            tags: Vec::new(),
            mock_answer: None,
            repeat: RepeatSettings::default(),
            vars: Vars::new(),
        }
    }

    /// Sets a case key from a CSV cell. An empty cell leaves the key unset.
    fn set_text(&mut self, key: CaseKey, text: &str, place: &CellPlace) -> Result<(), Problem> {
        if text.trim().is_empty() && key != CaseKey::User && key != CaseKey::MockAnswer {
            return Ok(());
        }
        match key {
            CaseKey::Name => self.name = Some(text.to_owned()),
            CaseKey::User => self.user = (!text.is_empty()).then(|| text.to_owned()),
            CaseKey::MockAnswer => self.mock_answer = (!text.is_empty()).then(|| text.to_owned()),
            CaseKey::Skip => {
                self.skip = Some(match text.trim() {
                    "true" => Skip::Yes(None),
                    "false" => Skip::No,
                    reason => Skip::Yes(Some(reason.to_owned())),
                });
            }
            CaseKey::Tags => self.tags = split_tags(text),
            CaseKey::Messages => {
                self.messages = Some(cell_yaml(text, place, "a list of `{role, content}`")?);
            }
            CaseKey::Vars => {
                let vars: Vars = cell_yaml(text, place, "a mapping such as `{city: Paris}`")?;
                self.merge_vars(vars, place)?;
            }
            CaseKey::Assert => {
                self.assertions = cell_assertions(text, place)?;
                self.assert_source = Some(AssertSource::Cell(place.clone()));
            }
            CaseKey::Repeat | CaseKey::PassRate | CaseKey::Confidence | CaseKey::EarlyStop => {
                let text = text.trim();
                let value = match text {
                    "true" => serde_json::Value::Bool(true),
                    "false" => serde_json::Value::Bool(false),
                    _ => text
                        .parse::<u64>()
                        .map(serde_json::Value::from)
                        .ok()
                        .or_else(|| {
                            let number = serde_json::Number::from_f64(text.parse().ok()?)?;
                            Some(serde_json::Value::Number(number))
                        })
                        .unwrap_or_else(|| serde_json::Value::String(text.to_owned())),
                };
                self.set_value(key, value, place)?;
            }
        }
        Ok(())
    }

    /// Sets a case key from a JSON or YAML value. `null` leaves the key unset.
    fn set_value(
        &mut self,
        key: CaseKey,
        value: serde_json::Value,
        place: &CellPlace,
    ) -> Result<(), Problem> {
        use serde_json::Value;
        if value.is_null() {
            return Ok(());
        }
        let expected =
            |what: &str| place.problem(format!("expected {what}, found {}", kind_of(&value)));
        match key {
            CaseKey::Name | CaseKey::User | CaseKey::MockAnswer => {
                let text = match &value {
                    Value::String(text) => text.clone(),
                    Value::Number(number) => number.to_string(),
                    _ => return Err(expected("text")),
                };
                match key {
                    CaseKey::Name => self.name = Some(text),
                    CaseKey::User => self.user = Some(text),
                    _ => self.mock_answer = Some(text),
                }
            }
            CaseKey::Skip => {
                self.skip = Some(match value {
                    Value::Bool(true) => Skip::Yes(None),
                    Value::Bool(false) => Skip::No,
                    Value::String(reason) => Skip::Yes(Some(reason)),
                    _ => return Err(expected("`true`, `false` or a reason")),
                });
            }
            CaseKey::Tags => {
                self.tags = match &value {
                    Value::String(text) => split_tags(text),
                    Value::Array(items) => items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| expected("a list of tags"))?,
                    _ => return Err(expected("a list of tags")),
                };
            }
            CaseKey::Messages => {
                self.messages = Some(serde_json::from_value(value).map_err(|error| {
                    place.problem(format!("expected a list of `{{role, content}}`: {error}"))
                })?);
            }
            CaseKey::Vars => {
                let Value::Object(object) = value else {
                    return Err(expected("a mapping of variables"));
                };
                self.merge_vars(object.into_iter().collect(), place)?;
            }
            CaseKey::Assert => {
                let text = match value {
                    Value::String(text) => text,
                    other => other.to_string(),
                };
                self.assertions = cell_assertions(&text, place)?;
                self.assert_source = Some(AssertSource::Cell(place.clone()));
            }
            CaseKey::Repeat => {
                let repeat = value
                    .as_u64()
                    .and_then(|repeat| u32::try_from(repeat).ok())
                    .filter(|repeat| (1..=MAX_REPEAT).contains(repeat))
                    .ok_or_else(|| {
                        place.problem(format!(
                            "`repeat` is {value}, not a whole number in 1..={MAX_REPEAT}"
                        ))
                    })?;
                self.repeat.repeat = Some(repeat);
            }
            CaseKey::PassRate => {
                let rate = value
                    .as_f64()
                    .filter(|rate| *rate > 0.0 && *rate <= 1.0)
                    .ok_or_else(|| {
                        place.problem(format!("`pass-rate` is {value}, outside (0, 1]"))
                    })?;
                self.repeat.pass_rate = Some(rate);
            }
            CaseKey::Confidence => {
                let confidence = value
                    .as_f64()
                    .filter(|confidence| *confidence > 0.0 && *confidence < 1.0)
                    .ok_or_else(|| {
                        place.problem(format!("`confidence` is {value}, outside (0, 1)"))
                    })?;
                self.repeat.confidence = Some(confidence);
            }
            CaseKey::EarlyStop => {
                self.repeat.early_stop = Some(
                    value
                        .as_bool()
                        .ok_or_else(|| expected("`true` or `false`"))?,
                );
            }
        }
        Ok(())
    }

    fn merge_vars(&mut self, vars: Vars, place: &CellPlace) -> Result<(), Problem> {
        for (name, value) in vars {
            if self.vars.contains_key(&name) {
                return Err(place.problem(format!("variable `{name}` is defined twice in the row")));
            }
            self.vars.insert(name, value);
        }
        Ok(())
    }
}

fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "nothing",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "text",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

/// Splits `smoke, billing` or `[smoke, billing]` into tags.
fn split_tags(text: &str) -> Vec<String> {
    let text = text.trim();
    let inner = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text);
    inner
        .split(',')
        .map(|tag| tag.trim().trim_matches(['"', '\'']).to_owned())
        .filter(|tag| !tag.is_empty())
        .collect()
}

/// Parses a cell written in YAML flow syntax.
fn cell_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    place: &CellPlace,
    expected: &str,
) -> Result<T, Problem> {
    parse_yaml_text(text).map_err(|error| cell_problem(error, place, expected))
}

/// Parses an `assert` cell: a flow list of assertions, or one assertion mapping.
fn cell_assertions(text: &str, place: &CellPlace) -> Result<Vec<Spanned<AssertionSpec>>, Problem> {
    let expected = "assertions in YAML flow syntax, like `[{icontains: paris}]`";
    if text.trim_start().starts_with('[') {
        cell_yaml(text, place, expected)
    } else {
        cell_yaml::<Spanned<AssertionSpec>>(text, place, expected).map(|one| vec![one])
    }
}

fn cell_problem(error: YamlError, place: &CellPlace, expected: &str) -> Problem {
    let within = error
        .at
        .map(|(_, column)| format!(" (at character {column} of the cell)"))
        .unwrap_or_default();
    let problem = place.problem(format!("{}{within}", error.message));
    problem.with_help(match error.help {
        Some(help) => format!("{help}; write {expected}"),
        None => format!("write {expected}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(name: &str, text: &str) -> (Vec<DataRow>, DataFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let mut rows = Vec::new();
        let found = read(&path, &format!("suites/{name}"), &mut |row| {
            rows.push(row);
            Vec::new()
        })
        .unwrap();
        (rows, found)
    }

    fn messages(found: &DataFile) -> Vec<String> {
        found
            .problems
            .iter()
            .map(|problem| {
                format!(
                    "{}: {}",
                    problem.location().unwrap_or("-"),
                    problem.message()
                )
            })
            .collect()
    }

    #[test]
    fn csv_rows_map_case_keys_and_keep_other_columns_as_text_variables() {
        let (rows, found) = read_text(
            "a.csv",
            "\u{feff}name, persona ,assert,tags,skip,repeat,mock-answer\nfirst,a pirate,\"[{icontains: arr}]\",\"smoke, x\",,3,Arr\n,\"a, b\",{contains: b},[y],flaky,,\n",
        );
        assert!(found.problems.is_empty(), "{:?}", messages(&found));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].name.as_deref(), Some("first"));
        assert_eq!(rows[0].vars["persona"], "a pirate");
        assert_eq!(rows[0].assertions.len(), 1);
        assert_eq!(rows[0].tags, ["smoke", "x"]);
        assert_eq!(rows[0].repeat.repeat, Some(3));
        assert_eq!(rows[0].mock_answer.as_deref(), Some("Arr"));
        assert_eq!(rows[0].skip, None);
        assert_eq!(rows[1].name, None);
        assert_eq!(rows[1].vars["persona"], "a, b");
        assert_eq!(rows[1].assertions.len(), 1, "one mapping is one assertion");
        assert_eq!(rows[1].tags, ["y"]);
        assert_eq!(rows[1].skip, Some(Skip::Yes(Some("flaky".to_owned()))));
        assert_eq!(rows[1].mock_answer, None);
        assert_eq!(
            found.variables,
            [DataVariable {
                name: "persona".to_owned(),
                location: "suites/a.csv:1:2".to_owned()
            }]
        );
    }

    #[test]
    fn every_bad_csv_row_is_located_and_good_rows_still_arrive() {
        let (rows, found) = read_text(
            "a.csv",
            "persona,question,assert,repeat\na,b,\"[{containz: x}]\",\nc,d,,many\nshort\ne,f,,2\nx,y,,0\n",
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 5);
        let problems = messages(&found);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(
            problems[0]
                .starts_with("suites/a.csv:2:3: column `assert`: unknown variant `containz`"),
            "{problems:#?}"
        );
        assert!(
            problems[1].starts_with("suites/a.csv:3:4: column `repeat`: `repeat` is \"many\""),
            "{problems:#?}"
        );
        assert_eq!(
            problems[2],
            "suites/a.csv:4:2: row has 1 field, but the header has 4 (the first missing column is `question`)"
        );
        assert!(
            problems[3].starts_with("suites/a.csv:6:4: column `repeat`"),
            "{problems:#?}"
        );
    }

    #[test]
    fn header_problems_and_near_misses() {
        let (_, found) = read_text("a.csv", "a,,a\n1,2,3\n");
        let problems = messages(&found);
        assert_eq!(
            problems,
            [
                "suites/a.csv:1:2: column 2 has no name",
                "suites/a.csv:1:3: column `a` appears twice (first as column 1)"
            ]
        );
        let (rows, found) = read_text("b.csv", "mock_answer,Assert\nx,y\n");
        assert_eq!(rows[0].vars.len(), 2);
        assert_eq!(found.warnings.len(), 2);
        assert!(found.variables.is_empty());
        assert!(
            found.warnings[0].message().contains("`mock-answer`"),
            "{}",
            found.warnings[0].message()
        );
    }

    #[test]
    fn problems_past_the_limit_are_counted() {
        let mut text = "repeat\n".to_owned();
        for _ in 0..150 {
            text.push_str("zero\n");
        }
        let (_, found) = read_text("a.csv", &text);
        assert_eq!(found.problems.len(), PROBLEM_LIMIT + 1);
        assert_eq!(
            found.problems.last().unwrap().message(),
            "… and 50 more problems in suites/a.csv"
        );
    }

    #[test]
    fn jsonl_rows_take_native_values_and_locate_keys() {
        let (rows, found) = read_text(
            "a.jsonl",
            "{\"q\": \"hi\", \"n\": 3, \"assert\": [{\"contains\": \"x\"}]}\n\n{\"name\": \"b\", \"vars\": {\"q\": \"ho\"}, \"tags\": [\"t\"], \"skip\": true}\n{\"q\": 1, \"assert\": \"[{containz: y}]\"}\n[1]\n{\"q\": \n",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 1);
        assert_eq!(rows[0].vars["n"], 3);
        assert_eq!(rows[0].assertions.len(), 1);
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].vars["q"], "ho");
        assert_eq!(rows[1].skip, Some(Skip::Yes(None)));
        let problems = messages(&found);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0]
                .starts_with("suites/a.jsonl:4:10: key `assert`: unknown variant `containz`"),
            "{problems:#?}"
        );
        assert_eq!(
            problems[1],
            "suites/a.jsonl:5:1: expected a JSON object (a mapping of keys to values), found a list"
        );
        assert!(
            problems[2].starts_with("suites/a.jsonl:6:"),
            "{problems:#?}"
        );
        assert_eq!(
            found
                .variables
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>(),
            ["n", "q"]
        );
    }

    #[test]
    fn yaml_rows_keep_spans_and_every_bad_item_is_reported() {
        let (rows, found) = read_text(
            "a.yaml",
            "- persona: a\n  assert:\n    - contains: x\n- name: b\n  vars: {persona: b}\n  repeat: 2\n",
        );
        assert!(found.problems.is_empty(), "{:?}", messages(&found));
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[1].line), (1, 4));
        assert_eq!(span_start(&rows[0].assertions[0]), (3, 7));
        assert_eq!(rows[1].repeat.repeat, Some(2));

        let (rows, found) = read_text(
            "b.yaml",
            "- persona: a\n- persona: b\n  assert:\n    - containz: x\n- just text\n- repeat: 0\n",
        );
        assert!(rows.is_empty(), "a file with a shape error runs nothing");
        let problems = messages(&found);
        assert!(
            problems[0].starts_with("suites/b.yaml:4:7: unknown variant `containz`"),
            "{problems:#?}"
        );
        assert!(
            problems[1].starts_with("suites/b.yaml:5:3:"),
            "{problems:#?}"
        );
        assert_eq!(problems.len(), 2, "{problems:#?}");
    }

    #[test]
    fn yaml_value_problems_point_into_the_file() {
        let (_, found) = read_text("a.yaml", "- persona: a\n  repeat: 0\n");
        assert_eq!(
            messages(&found),
            ["suites/a.yaml:2:11: key `repeat`: `repeat` is 0, not a whole number in 1..=10000"]
        );
    }

    #[test]
    fn unknown_formats_and_missing_files_fail_to_open() {
        let dir = tempfile::tempdir().unwrap();
        let error = read(&dir.path().join("x.txt"), "x.txt", &mut |_| Vec::new()).unwrap_err();
        assert!(error.contains("`.csv`"), "{error}");
        let error = read(&dir.path().join("x.csv"), "x.csv", &mut |_| Vec::new()).unwrap_err();
        assert!(error.starts_with("cannot read `x.csv`"), "{error}");
    }
}
