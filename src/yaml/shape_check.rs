//! [`parse_yaml_checked`]: reads a YAML file into a type and, when its shape is wrong, reports
//! every shape problem in the file at once, not only the first one.
//!
//! The parser stops at its first error. On one, the file is read again as a plain value with
//! places ([`LocatedValue`]) and checked against the type's JSON Schema (the one
//! `promptci schema` prints); each schema error becomes a problem at its key or value. The
//! parser's own message is kept for its line when it has a hint (an unknown key or kind, with
//! "did you mean"); a bare one ("invalid u32") gives way to the schema's account of the line.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::LocatedValue;
use super::located_value::pointer_segment;
use super::parse::{parse_yaml_text, valid_here};
use crate::error::{InvalidInput, Problem, SourceFile};

/// Returns the JSON Schema (draft 2020-12) of files read as `T`, titled `title`. An empty file
/// is an empty document, which reads as a file that sets nothing, so `null` is allowed too.
#[must_use]
pub(crate) fn input_schema<T: schemars::JsonSchema>(title: &str) -> schemars::Schema {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert("title".to_owned(), title.into());
    schema.insert("type".to_owned(), serde_json::json!(["object", "null"]));
    schema
}

/// Parses `source` into `T`; on a shape error, returns every shape problem of the file, in
/// file order (a syntax error alone when the text is not YAML).
pub(crate) fn parse_yaml_checked<T: DeserializeOwned + schemars::JsonSchema>(
    source: &SourceFile,
) -> Result<T, InvalidInput> {
    let error = match parse_yaml_text::<T>(&source.text) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    let first_line = error.at.map(|(line, _)| line);
    let schema = Value::from(input_schema::<T>(""));
    let mut found = shape_problems(source, &schema);
    let explained = found.iter().any(|(line, _, _)| Some(*line) == first_line);
    let mut problems = Vec::new();
    if error.help.is_some() || !explained {
        // The parser's message, with its hint, is the one users know for its line (an unknown
        // key or kind); the schema adds the other lines.
        found.retain(|(line, _, _)| Some(*line) != first_line);
        problems.push(error.at(source));
    }
    // Otherwise the schema's account of the line ("`repeat`: expected an integer, found the
    // string `many`") replaces the parser's bare one ("invalid u32").
    problems.extend(found.into_iter().map(|(_, _, problem)| problem));
    problems.sort_by_key(|problem| problem.position().map(|(_, line, column)| (line, column)));
    Err(InvalidInput { problems })
}

/// One shape problem: where (a JSON pointer, at its key or its value) and what.
struct Finding {
    pointer: String,
    at_key: bool,
    message: String,
    help: Option<String>,
}

/// Returns the schema's problems with the YAML in `source` as (line, column, problem),
/// deduplicated, in file order; nothing when the text is not YAML.
fn shape_problems(source: &SourceFile, schema: &Value) -> Vec<(usize, usize, Problem)> {
    let Some(located) = LocatedValue::parse(&source.text) else {
        return Vec::new();
    };
    let Ok(validator) = jsonschema::validator_for(schema) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for error in validator.iter_errors(&located.value) {
        explain(&error, schema, &mut findings);
    }
    let mut placed: Vec<(usize, usize, String, Option<String>)> = findings
        .into_iter()
        .filter_map(|finding| {
            let (line, column) = if finding.at_key {
                located.key_at(&finding.pointer)
            } else {
                located.value_at(&finding.pointer)
            }?;
            Some((line, column, finding.message, finding.help))
        })
        .collect();
    placed.sort();
    placed.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.2 == b.2);
    placed
        .into_iter()
        .map(|(line, column, message, help)| {
            let problem = Problem::at_line(source, line, column, message);
            let problem = match help {
                Some(help) => problem.with_help(help),
                None => problem,
            };
            (line, column, problem)
        })
        .collect()
}

/// Turns one schema error into findings. For a choice (`oneOf`, `anyOf`) it follows the
/// alternative the value was meant to be, so the problem is named where it is.
fn explain(error: &jsonschema::ValidationError<'_>, schema: &Value, out: &mut Vec<Finding>) {
    use jsonschema::error::ValidationErrorKind as Kind;
    let pointer = error.instance_path().as_str().to_owned();
    let schema_path = error.schema_path().as_str();
    match error.kind() {
        Kind::AdditionalProperties { unexpected } => {
            let allowed = property_names(schema, parent(schema_path));
            for name in unexpected {
                out.push(Finding {
                    pointer: format!("{pointer}/{}", pointer_segment(name)),
                    at_key: true,
                    message: format!("unknown field `{name}`"),
                    help: Some(valid_here("key", name, &allowed)),
                });
            }
        }
        Kind::Required { property } => out.push(Finding {
            message: format!("missing field `{}`", property.as_str().unwrap_or_default()),
            pointer,
            at_key: false,
            help: None,
        }),
        Kind::Type { .. } if is_read_as_wanted(error, schema) => {}
        Kind::Type { .. } => out.push(Finding {
            message: format!(
                "{}expected {}, found {}",
                field_prefix(&pointer),
                expected_types(&[schema_path], schema),
                type_name(error.instance())
            ),
            pointer,
            at_key: false,
            help: None,
        }),
        Kind::Enum { options } => {
            let options: Vec<&str> = options
                .as_array()
                .map(|options| options.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let shown = scalar_text(error.instance());
            out.push(Finding {
                message: format!("unknown variant `{shown}`"),
                help: Some(valid_here("value", &shown, &options)),
                pointer,
                at_key: false,
            });
        }
        Kind::OneOfNotValid { context } | Kind::AnyOf { context } => {
            explain_choice(&pointer, error, context, schema, out);
        }
        _ => out.push(Finding {
            message: format!("{}{}", field_prefix(&pointer), plain(error)),
            pointer,
            at_key: false,
            help: None,
        }),
    }
}

/// Explains a value that matched none of a choice's alternatives.
fn explain_choice(
    pointer: &str,
    error: &jsonschema::ValidationError<'_>,
    alternatives: &[Vec<jsonschema::ValidationError<'static>>],
    schema: &Value,
    out: &mut Vec<Finding>,
) {
    use jsonschema::error::ValidationErrorKind as Kind;
    // An alternative that wants another type of value, or a mapping with another key (the
    // tag of a kind, like `contains` for an assertion), is not the one that was meant.
    let is_other_kind = |errors: &Vec<jsonschema::ValidationError<'static>>| {
        errors.iter().any(|error| {
            error.instance_path().as_str() == pointer
                && matches!(error.kind(), Kind::Type { .. } | Kind::Required { .. })
        })
    };
    // The parser reads a scalar as the type wanted where it can (`user: 5` is the text "5"),
    // so an alternative that failed only on that is matched.
    if alternatives.iter().any(|errors| {
        errors.iter().all(|error| {
            matches!(error.kind(), Kind::Type { .. }) && is_read_as_wanted(error, schema)
        })
    }) {
        return;
    }
    let meant: Vec<&Vec<jsonschema::ValidationError<'static>>> = alternatives
        .iter()
        .filter(|errors| !is_other_kind(errors))
        .collect();
    if let Some(errors) = meant.iter().min_by_key(|errors| errors.len()) {
        for error in *errors {
            explain(error, schema, out);
        }
        return;
    }
    // A mapping with one key naming its kind (an assertion like `contains: x`) that names no
    // known kind: every alternative requires a different key.
    let kinds: Vec<&str> = alternatives
        .iter()
        .filter_map(|errors| {
            errors.iter().find_map(|error| match error.kind() {
                Kind::Required { property } => property.as_str(),
                _ => None,
            })
        })
        .collect();
    if let (Value::Object(map), true) =
        (error.instance().as_ref(), kinds.len() == alternatives.len())
    {
        for name in map.keys().filter(|name| !kinds.contains(&name.as_str())) {
            out.push(Finding {
                pointer: format!("{pointer}/{}", pointer_segment(name)),
                at_key: true,
                message: format!("unknown variant `{name}`"),
                help: Some(valid_here("kind", name, &kinds)),
            });
        }
        return;
    }
    let type_paths: Vec<&str> = alternatives
        .iter()
        .flatten()
        .filter(|error| matches!(error.kind(), Kind::Type { .. }))
        .map(|error| error.schema_path().as_str())
        .collect();
    let expected = if type_paths.is_empty() {
        "another kind of value".to_owned()
    } else {
        expected_types(&type_paths, schema)
    };
    out.push(Finding {
        message: format!(
            "{}expected {expected}, found {}",
            field_prefix(pointer),
            type_name(error.instance())
        ),
        pointer: pointer.to_owned(),
        at_key: false,
        help: None,
    });
}

/// Returns whether the parser reads the scalar of a `type` error as a type the schema wants
/// there, as it does: any scalar as text, quoted numbers as numbers, `"true"` as a boolean.
fn is_read_as_wanted(error: &jsonschema::ValidationError<'_>, schema: &Value) -> bool {
    let wanted: Vec<&str> = match schema.pointer(error.schema_path().as_str()) {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => return false,
    };
    match error.instance().as_ref() {
        Value::Number(_) | Value::Bool(_) => wanted.contains(&"string"),
        Value::String(text) => {
            (wanted.contains(&"integer")
                && (text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok()))
                || (wanted.contains(&"number") && text.parse::<f64>().is_ok())
                || (wanted.contains(&"boolean") && (text == "true" || text == "false"))
        }
        _ => false,
    }
}

/// Returns "`key`: " for the value at `pointer` (its last key), or nothing for the document.
fn field_prefix(pointer: &str) -> String {
    pointer
        .split('/')
        .rev()
        .find(|segment| !segment.is_empty() && segment.parse::<usize>().is_err())
        .map(|segment| format!("`{}`: ", segment.replace("~1", "/").replace("~0", "~")))
        .unwrap_or_default()
}

/// Returns jsonschema's message without the value it starts with (the snippet shows it).
fn plain(error: &jsonschema::ValidationError<'_>) -> String {
    let message = error.to_string();
    let value = error.instance().to_string();
    message
        .strip_prefix(&value)
        .map_or(message.clone(), |rest| format!("the value{rest}"))
}

/// Returns the part of a JSON pointer before its last segment.
fn parent(pointer: &str) -> &str {
    pointer.rfind('/').map_or("", |index| &pointer[..index])
}

/// Returns the property names of the schema object at `pointer`.
fn property_names<'a>(schema: &'a Value, pointer: &str) -> Vec<&'a str> {
    schema
        .pointer(pointer)
        .and_then(|node| node.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Says which types the `type` keywords at `paths` allow: "an integer", "a string or a list".
fn expected_types(paths: &[&str], schema: &Value) -> String {
    let mut names: Vec<&str> = Vec::new();
    for path in paths {
        let types = match schema.pointer(path) {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for name in types.into_iter().filter(|name| *name != "null") {
            let name = json_type_name(name);
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    match names.as_slice() {
        [] => "another kind of value".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Names a JSON Schema type as YAML users know it.
fn json_type_name(name: &str) -> &'static str {
    match name {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "true or false",
        _ => "another kind of value",
    }
}

/// Names the type of a value as YAML users know it.
fn type_name(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_owned(),
        Value::Bool(value) => format!("`{value}`"),
        Value::Number(number) if number.is_f64() => format!("the number `{number}`"),
        Value::Number(number) => format!("the integer `{number}`"),
        Value::String(text) => format!("the string `{}`", short(text)),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => short(text),
        other => short(&other.to_string()),
    }
}

/// Cuts a value shown in a message to a readable length.
fn short(text: &str) -> String {
    const LIMIT: usize = 40;
    let first_line = text.lines().next().unwrap_or_default();
    if first_line.chars().count() > LIMIT || first_line.len() < text.len() {
        format!("{}…", first_line.chars().take(LIMIT).collect::<String>())
    } else {
        first_line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct Doc {
        name: String,
        #[serde(default)]
        repeat: Option<u32>,
        #[serde(default)]
        checks: Vec<Check>,
    }

    #[derive(Debug, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    #[expect(
        dead_code,
        reason = "the tests check the shape of files, not the values read"
    )]
    enum Check {
        Contains(String),
        MaxChars(u32),
        Rubric(Rubric),
    }

    #[derive(Debug, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[expect(
        dead_code,
        reason = "the tests check the shape of files, not the values read"
    )]
    struct Rubric {
        text: String,
        #[serde(default)]
        threshold: Option<f64>,
    }

    /// Returns each problem as `line:column message (help)`.
    fn problems(text: &str) -> Vec<String> {
        let source = SourceFile::new("doc.yaml", text.to_owned());
        parse_yaml_checked::<Doc>(&source)
            .unwrap_err()
            .problems
            .iter()
            .map(|problem| {
                let (_, line, column) = problem.position().unwrap_or(("", 0, 0));
                match problem.help() {
                    Some(help) => format!("{line}:{column} {} ({help})", problem.message()),
                    None => format!("{line}:{column} {}", problem.message()),
                }
            })
            .collect()
    }

    #[test]
    fn every_shape_problem_of_a_file_is_reported_in_file_order() {
        let text = "\
name: doc
repeat: many
nmae: x
checks:
  - contans: yes
  - max-chars: -3
  - rubric: {text: fine, treshold: 0.5}
  - contains: fine
";
        assert_eq!(
            problems(text),
            [
                // The schema explains the parser's bare "invalid u32".
                "2:9 `repeat`: expected an integer, found the string `many`",
                "3:1 unknown field `nmae` (did you mean `name`? valid keys here: checks, name, repeat)",
                "5:5 unknown variant `contans` (did you mean `contains`? valid kinds here: contains, max-chars, rubric)",
                "6:16 `max-chars`: the value is less than the minimum of 0",
                "7:26 unknown field `treshold` (did you mean `threshold`? valid keys here: text, threshold)",
            ]
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_what_was_expected() {
        assert_eq!(
            problems("name: [a]\nchecks: {contains: x}\n"),
            [
                "1:7 `name`: expected a string, found a list",
                "2:9 `checks`: expected a list, found a mapping",
            ]
        );
    }

    #[test]
    fn scalars_the_parser_reads_as_the_wanted_type_are_no_problem() {
        // `name: 5` is the text "5" and `repeat: "3"` the number 3 to the parser.
        assert_eq!(
            problems(
                "name: 5\nrepeat: \"3\"\nchecks: [{contains: 7}, {max-chars: \"8\"}]\nnmae: x\n"
            ),
            [
                "4:1 unknown field `nmae`, expected one of name, repeat, checks (did you mean `name`? valid keys here: name, repeat, checks)"
            ]
        );
    }

    #[test]
    fn a_syntax_error_is_reported_alone_and_a_good_file_parses() {
        assert_eq!(problems("name: [a\nnmae: x\n").len(), 1);
        let source = SourceFile::new(
            "doc.yaml",
            "name: doc\nchecks: [{max-chars: 3}]\n".to_owned(),
        );
        let doc: Doc = parse_yaml_checked(&source).unwrap();
        assert_eq!(
            (doc.name.as_str(), doc.checks.len(), doc.repeat),
            ("doc", 1, None)
        );
    }
}
