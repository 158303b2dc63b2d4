//! JSON assertions: `is-json` and `json-schema`.

use std::path::Path;

use super::AssertionResult;

/// Returns the JSON inside an answer, tolerating a surrounding Markdown code fence, since
/// models often wrap JSON in one.
fn json_body(answer: &str) -> &str {
    let trimmed = answer.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

pub(super) fn is_json(kind: &str, answer: &str) -> AssertionResult {
    match serde_json::from_str::<serde_json::Value>(json_body(answer)) {
        Ok(_) => AssertionResult::new(kind, true, "answer is valid JSON"),
        Err(error) => AssertionResult::new(kind, false, format!("answer is not JSON: {error}")),
    }
}

pub(super) fn matches_schema(
    kind: &str,
    answer: &str,
    validator: &jsonschema::Validator,
) -> AssertionResult {
    let value = match serde_json::from_str::<serde_json::Value>(json_body(answer)) {
        Ok(value) => value,
        Err(error) => {
            return AssertionResult::new(kind, false, format!("answer is not JSON: {error}"));
        }
    };
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .take(3)
        .map(|error| {
            let path = error.instance_path().to_string();
            format!(
                "{} at `{}`",
                error,
                if path.is_empty() { "/" } else { &path }
            )
        })
        .collect();
    if errors.is_empty() {
        AssertionResult::new(kind, true, "answer matches the schema")
    } else {
        AssertionResult::new(
            kind,
            false,
            format!("schema violation: {}", errors.join("; ")),
        )
    }
}

/// Compiles an inline schema, or reads one from a file when `schema` is a string path
/// (relative to the suite's directory).
pub(super) fn compile_schema(
    schema: &serde_json::Value,
    dir: &Path,
) -> Result<jsonschema::Validator, String> {
    let owned;
    let schema = match schema {
        serde_json::Value::String(path) => {
            let full = dir.join(path);
            let text = std::fs::read_to_string(&full)
                .map_err(|error| format!("cannot read schema file `{path}`: {error}"))?;
            owned = serde_json::from_str::<serde_json::Value>(&text)
                .map_err(|error| format!("schema file `{path}` is not JSON: {error}"))?;
            &owned
        }
        other => other,
    };
    jsonschema::validator_for(schema).map_err(|error| format!("invalid JSON schema: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_json_accepts_fenced_json() {
        assert!(is_json("is-json", "```json\n{\"a\": 1}\n```").passed);
        assert!(is_json("is-json", " [1, 2] ").passed);
        let result = is_json("is-json", "Sure! {\"a\": 1}");
        assert!(!result.passed);
        assert!(
            result.reason.starts_with("answer is not JSON"),
            "{}",
            result.reason
        );
    }

    #[test]
    fn schema_violations_name_the_path() {
        let schema = serde_json::json!({
            "type": "object",
            "required": ["name"],
            "properties": {"age": {"type": "integer"}}
        });
        let validator = compile_schema(&schema, Path::new(".")).unwrap();
        assert!(matches_schema("json-schema", r#"{"name": "a", "age": 3}"#, &validator).passed);
        let result = matches_schema("json-schema", r#"{"age": "x"}"#, &validator);
        assert!(!result.passed);
        assert!(result.reason.contains("name"), "{}", result.reason);
        assert!(result.reason.contains("/age"), "{}", result.reason);
    }

    #[test]
    fn invalid_schema_is_an_error() {
        let schema = serde_json::json!({"type": "no-such-type"});
        assert!(compile_schema(&schema, Path::new(".")).is_err());
    }
}
