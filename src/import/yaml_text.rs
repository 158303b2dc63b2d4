//! [`Yaml`]: the values the importer writes (suites, `promptci.yaml`) and their YAML text.
//!
//! The crate reads YAML but has no serialiser; the files written here need only mappings in a
//! chosen key order, lists and scalars. Strings that could be misread are written as JSON
//! strings, which YAML reads as double-quoted scalars with the same escapes.

/// A value to write as YAML; mappings keep the order they were built in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Yaml {
    /// A string.
    Text(String),
    /// A number, written as JSON writes it.
    Number(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A sequence.
    List(Vec<Yaml>),
    /// A mapping in insertion order.
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    /// Returns a one-entry mapping.
    pub(crate) fn entry(key: &str, value: Yaml) -> Self {
        Self::Map(vec![(key.to_owned(), value)])
    }

    /// Returns a string value.
    pub(crate) fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// Returns the value of a JSON value (object keys in the JSON map's order).
    pub(crate) fn from_json(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(value) => Self::Bool(*value),
            serde_json::Value::Number(number) => Self::Number(number.clone()),
            serde_json::Value::String(text) => Self::Text(text.clone()),
            serde_json::Value::Array(items) => {
                Self::List(items.iter().map(Self::from_json).collect())
            }
            serde_json::Value::Object(entries) => Self::Map(
                entries
                    .iter()
                    .map(|(key, value)| (key.clone(), Self::from_json(value)))
                    .collect(),
            ),
        }
    }

    /// Returns the YAML document text.
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        match self {
            Self::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0),
            Self::List(items) if !items.is_empty() => write_list(&mut out, items, 0),
            scalar => {
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
        out
    }
}

fn is_block(value: &Yaml) -> bool {
    match value {
        Yaml::Map(entries) => !entries.is_empty(),
        Yaml::List(items) => !items.is_empty(),
        _ => false,
    }
}

fn write_map(out: &mut String, entries: &[(String, Yaml)], indent: usize) {
    for (index, (key, value)) in entries.iter().enumerate() {
        // The first entry of a list item sits on the dash's line.
        if index > 0 || indent == 0 {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&scalar_text(key));
        out.push(':');
        write_value(out, value, indent);
    }
}

fn write_list(out: &mut String, items: &[Yaml], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match item {
            Yaml::Map(entries) if !entries.is_empty() => {
                write_map_in_item(out, entries, indent + 2);
            }
            Yaml::List(inner) if !inner.is_empty() => {
                out.push('\n');
                write_list(out, inner, indent + 2);
            }
            scalar => {
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

fn write_map_in_item(out: &mut String, entries: &[(String, Yaml)], indent: usize) {
    for (index, (key, value)) in entries.iter().enumerate() {
        if index > 0 {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&scalar_text(key));
        out.push(':');
        write_value(out, value, indent);
    }
}

fn write_value(out: &mut String, value: &Yaml, indent: usize) {
    if is_block(value) {
        out.push('\n');
        match value {
            Yaml::Map(entries) => {
                out.push_str(&" ".repeat(indent + 2));
                write_map_in_item(out, entries, indent + 2);
            }
            Yaml::List(items) => write_list(out, items, indent + 2),
            _ => unreachable!("only mappings and lists are blocks"),
        }
    } else {
        out.push(' ');
        out.push_str(&inline(value));
        out.push('\n');
    }
}

fn inline(value: &Yaml) -> String {
    match value {
        Yaml::Text(text) => scalar_text(text),
        Yaml::Number(number) => number.to_string(),
        Yaml::Bool(value) => value.to_string(),
        Yaml::Null => "null".to_owned(),
        Yaml::List(_) => "[]".to_owned(),
        Yaml::Map(_) => "{}".to_owned(),
    }
}

/// Returns a string as a plain scalar when YAML reads it back as the same string, else as a
/// double-quoted (JSON) string.
fn scalar_text(text: &str) -> String {
    let plain = text
        .chars()
        .next()
        .is_some_and(|first| first.is_alphabetic() || first == '_')
        && text.chars().all(|c| {
            c.is_alphanumeric()
                || matches!(
                    c,
                    ' ' | '_' | '-' | '.' | ',' | '/' | '(' | ')' | '\'' | '+' | '?' | '!'
                )
        })
        && !text.ends_with(' ')
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
        );
    if plain {
        text.to_owned()
    } else {
        serde_json::to_string(text).expect("a string always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_values_read_back_as_written() {
        let value = Yaml::Map(vec![
            (
                "prompt".to_owned(),
                Yaml::Map(vec![
                    ("id".to_owned(), Yaml::text("p")),
                    ("role".to_owned(), Yaml::text("user")),
                ]),
            ),
            ("target".to_owned(), Yaml::text("echo")),
            (
                "cases".to_owned(),
                Yaml::List(vec![Yaml::Map(vec![
                    ("name".to_owned(), Yaml::text("yes")),
                    (
                        "vars".to_owned(),
                        Yaml::Map(vec![("a".to_owned(), Yaml::text("x: {{ y }}\n"))]),
                    ),
                    ("empty".to_owned(), Yaml::Map(Vec::new())),
                    (
                        "assert".to_owned(),
                        Yaml::List(vec![
                            Yaml::entry(
                                "contains",
                                Yaml::List(vec![Yaml::text("a"), Yaml::Number(42.into())]),
                            ),
                            Yaml::entry("not", Yaml::entry("regex", Yaml::text("\\A\\d"))),
                        ]),
                    ),
                ])]),
            ),
        ]);
        let text = value.to_text();
        let parsed: serde_json::Value =
            crate::yaml::parse_yaml(&crate::error::SourceFile::new("s.yaml", text.as_str()))
                .unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({
                "prompt": {"id": "p", "role": "user"},
                "target": "echo",
                "cases": [{
                    "name": "yes",
                    "vars": {"a": "x: {{ y }}\n"},
                    "empty": {},
                    "assert": [{"contains": ["a", 42]}, {"not": {"regex": "\\A\\d"}}],
                }],
            }),
            "{text}"
        );
    }
}
