//! Parsing YAML into a type, with the first error located and explained ([`YamlError`]).

use serde::de::DeserializeOwned;
use serde_saphyr::{Location, Spanned};

use crate::error::{Problem, SourceFile, did_you_mean};

/// Parses YAML text into `T`, turning the first error into a located [`Problem`] with a
/// "did you mean" hint for unknown keys and kinds.
pub(crate) fn parse_yaml<T: DeserializeOwned>(source: &SourceFile) -> Result<T, Problem> {
    parse_yaml_text(&source.text).map_err(|error| error.at(source))
}

/// The first error of a YAML text, where it is, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    /// What is wrong, without the location.
    pub(crate) message: String,
    /// The 1-based line and column in the parsed text, when the parser knows it.
    pub(crate) at: Option<(usize, usize)>,
    /// A "did you mean" hint for unknown keys and kinds.
    pub(crate) help: Option<String>,
}

impl YamlError {
    /// Returns the problem located in `source`, the text that was parsed.
    pub(crate) fn at(self, source: &SourceFile) -> Problem {
        self.shifted(source, 0)
    }

    /// Returns the problem located in `source` when the parsed text was a part of it starting
    /// at line `lines_before + 1`.
    pub(crate) fn shifted(self, source: &SourceFile, lines_before: usize) -> Problem {
        let problem = match self.at {
            Some((line, column)) => {
                Problem::at_line(source, line + lines_before, column, self.message)
            }
            None => Problem::new(format!("{}: {}", source.name, self.message)),
        };
        match self.help {
            Some(help) => problem.with_help(help),
            None => problem,
        }
    }
}

/// Parses YAML `text` into `T` with promptci's options, keeping the first error as a
/// [`YamlError`].
pub(crate) fn parse_yaml_text<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    // The parser's default budget (250,000 nodes, a million events, 64 MiB of scalars) stops
    // a suite of ~10,000 cases in one file. Limits that grow with the file keep the protection
    // that matters, against aliases expanding far beyond the input, and accept any large file.
    let size = text.len();
    let options = serde_saphyr::options! {
        with_snippet: false,
        // `yes`/`no`/`on` stay strings: a case answer of "no" must not become `false`.
        strict_booleans: true,
        budget: serde_saphyr::budget! {
            max_nodes: 250_000 + size,
            max_events: 1_000_000 + 2 * size,
            max_total_scalar_bytes: (64 << 20) + size,
        },
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|error| {
        if let Some((message, help)) = plain_message(&error) {
            return YamlError {
                message,
                at: error.location().map(line_column),
                help: Some(help.to_owned()),
            };
        }
        let message = strip_location(&error.to_string());
        YamlError {
            help: suggestion(&message),
            at: error.location().map(line_column),
            message,
        }
    })
}

/// Says in plain words what a parser limit or a duplicate key means, with a hint, where the
/// parser's own message gives its internals ("budget breached: Nodes { nodes: 250001 }") or
/// advice for programs that embed it ("set `DuplicateKeyPolicy` in `Options`").
fn plain_message(error: &serde_saphyr::Error) -> Option<(String, &'static str)> {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    const SPLIT: &str = "split the file into several smaller ones";
    let mut error = error;
    while let Error::AliasError { error: inner, .. } | Error::WithSnippet { error: inner, .. } =
        error
    {
        error = inner;
    }
    Some(match error {
        Error::DuplicateMappingKey { key, .. } => (
            match key {
                Some(key) => format!("duplicate key `{key}`: a key may appear once in a mapping"),
                None => "duplicate key: a key may appear once in a mapping".to_owned(),
            },
            "remove one of the two, or merge their values",
        ),
        Error::Budget { breach, .. } => match breach {
            BudgetBreach::Aliases { aliases } => (
                format!(
                    "the file uses more than {} aliases (`*name`), the limit that stops alias bombs",
                    aliases - 1
                ),
                "write the values out, or use fewer aliases",
            ),
            BudgetBreach::AliasAnchorRatio { aliases, anchors } => (
                format!(
                    "the file repeats {aliases} aliases of {anchors} anchors, the pattern of an alias bomb"
                ),
                "write the values out, or use fewer aliases",
            ),
            BudgetBreach::Anchors { anchors } => (
                format!(
                    "the file defines more than {} anchors (`&name`)",
                    anchors - 1
                ),
                SPLIT,
            ),
            BudgetBreach::Depth { depth } => (
                format!("values are nested more than {} levels deep", depth - 1),
                "flatten the structure: suites need only a few levels",
            ),
            BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => (
                "the file has more values than the parser accepts".to_owned(),
                SPLIT,
            ),
            BudgetBreach::ScalarBytes { .. } | BudgetBreach::InputBytes { .. } => (
                "the file's text is larger than the parser accepts".to_owned(),
                SPLIT,
            ),
            BudgetBreach::Documents { documents } => (
                format!(
                    "the file holds more than {} YAML documents (`---`)",
                    documents - 1
                ),
                "a suite is one document: remove the `---` separators",
            ),
            BudgetBreach::MergeKeys { merge_keys } => (
                format!(
                    "the file uses more than {} merge keys (`<<`)",
                    merge_keys - 1
                ),
                SPLIT,
            ),
            _ => (
                "the file is over a limit of the YAML parser".to_owned(),
                SPLIT,
            ),
        },
        _ => return None,
    })
}

/// Returns the 1-based line and column where a spanned value starts.
#[must_use]
pub(crate) fn span_start<T>(spanned: &Spanned<T>) -> (usize, usize) {
    line_column(spanned.referenced)
}

fn line_column(location: Location) -> (usize, usize) {
    (
        usize::try_from(location.line()).unwrap_or(1).max(1),
        usize::try_from(location.column()).unwrap_or(1).max(1),
    )
}

/// Removes serde-saphyr's trailing " at line L, column C": the snippet shows the place.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) if message[index..].contains(", column ") => message[..index].to_owned(),
        _ => message.to_owned(),
    }
}

/// Builds a hint for "unknown field `x`, expected one of a, b" and unknown variants.
fn suggestion(message: &str) -> Option<String> {
    let (what, rest) = if let Some(rest) = message.strip_prefix("unknown field `") {
        ("key", rest)
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        ("kind", rest)
    } else {
        return None;
    };
    let (unknown, rest) = rest.split_once('`')?;
    let expected = rest
        .split_once("expected one of ")
        .map(|(_, list)| list)
        .or_else(|| rest.split_once("expected ").map(|(_, one)| one))?;
    let candidates: Vec<&str> = expected
        .split(", ")
        .map(|item| item.trim().trim_matches('`'))
        .filter(|item| !item.is_empty())
        .collect();
    Some(valid_here(what, unknown, &candidates))
}

/// Returns the hint for an unknown `what` (key, kind): the closest candidate, and all of them.
pub(crate) fn valid_here(what: &str, unknown: &str, candidates: &[&str]) -> String {
    match did_you_mean(unknown, candidates.iter().copied()) {
        Some(close) => format!(
            "did you mean `{close}`? valid {what}s here: {}",
            candidates.join(", ")
        ),
        None => format!("valid {what}s here: {}", candidates.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_gets_a_suggestion() {
        let help = suggestion("unknown field `asert`, expected one of `name`, `assert`").unwrap();
        assert!(help.starts_with("did you mean `assert`?"), "{help}");
    }

    #[test]
    fn duplicate_keys_and_parser_limits_have_plain_messages() {
        let duplicate = parse_yaml_text::<serde_json::Value>("a: 1\na: 2\n").unwrap_err();
        assert_eq!(
            duplicate.message,
            "duplicate key `a`: a key may appear once in a mapping"
        );
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let deep = parse_yaml_text::<serde_json::Value>(&deep).unwrap_err();
        assert!(
            deep.message.starts_with("values are nested more than"),
            "{}",
            deep.message
        );
    }

    #[test]
    fn location_suffix_is_removed() {
        assert_eq!(
            strip_location("invalid u32 at line 5, column 20"),
            "invalid u32"
        );
        assert_eq!(strip_location("plain"), "plain");
    }

    #[test]
    fn a_file_of_more_than_250000_nodes_parses() {
        let text = format!("[{}]", vec!["1"; 300_000].join(","));
        let parsed: Vec<u8> = parse_yaml(&SourceFile::new("big.yaml", text)).unwrap();
        assert_eq!(parsed.len(), 300_000);
    }

    #[test]
    fn aliases_that_expand_far_beyond_the_file_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let previous = format!("*a{}", level - 1);
            let list = [previous.as_str(); 10].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{list}]\n"));
        }
        let parsed: Result<serde_json::Value, _> = parse_yaml(&SourceFile::new("bomb.yaml", text));
        assert!(parsed.is_err());
    }
}
