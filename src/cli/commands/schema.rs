//! `promptci schema KIND`: the JSON Schema of suite files, `promptci.yaml` or the JSON report,
//! derived from the types that read and write them ([`schema`]). The repository keeps them in
//! `schemas/`, and a test fails when they drift from the code.

use std::io::Write as _;

use schemars::generate::SchemaSettings;

use crate::cli::args::SchemaArgs;
use crate::cli::support::stdout;
use crate::cli::value_enums::SchemaArg;
use crate::error::exit_code;

/// Prints the schema `args` names.
pub(crate) fn run(args: &SchemaArgs) -> i32 {
    let _ = stdout().write_all(schema(args.kind).as_bytes());
    exit_code::SUCCESS
}

/// Returns the JSON Schema (draft 2020-12) of one kind of file, as pretty JSON with a final
/// newline: the exact text of its file in `schemas/`.
#[must_use]
pub(crate) fn schema(kind: SchemaArg) -> String {
    let schema = match kind {
        SchemaArg::Suite => crate::yaml::input_schema::<crate::suite::RawSuite>("promptci suite"),
        SchemaArg::Config => crate::yaml::input_schema::<crate::config::RawConfig>("promptci.yaml"),
        // The report's schema says what promptci writes: a field that is always written is
        // required, even where a reader fills in a default for older files.
        SchemaArg::Report => {
            let mut schema = SchemaSettings::draft2020_12()
                .for_serialize()
                .into_generator()
                .into_root_schema_for::<crate::results::JsonReport>();
            schema.insert("title".to_owned(), "promptci JSON report".into());
            schema
        }
    };
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use serde::de::DeserializeOwned;

    use super::*;
    use crate::config::RawConfig;
    use crate::suite::RawSuite;
    use crate::yaml::parse_yaml_text;

    fn repo() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// Every YAML file under the repository's suites, fixtures, examples and sources.
    fn yaml_files() -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut pending: Vec<PathBuf> = ["suites", "fixtures", "src", "docs"]
            .iter()
            .map(|dir| repo().join(dir))
            .collect();
        files.push(repo().join("promptci.yaml"));
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path
                    .extension()
                    .is_some_and(|extension| extension == "yaml" || extension == "yml")
                {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }

    fn validator(kind: SchemaArg) -> jsonschema::Validator {
        let checked_in = repo().join(match kind {
            SchemaArg::Suite => "schemas/suite.schema.json",
            SchemaArg::Config => "schemas/config.schema.json",
            SchemaArg::Report => "schemas/report.schema.json",
        });
        let text = std::fs::read_to_string(&checked_in).unwrap();
        jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
    }

    /// Returns the files the parser reads as `T`, after checking that the schema accepts each
    /// one; and the files it rejects that the schema rejects too.
    fn check_against<T: DeserializeOwned>(kind: SchemaArg) -> (Vec<String>, Vec<String>) {
        let validator = validator(kind);
        let mut accepted = Vec::new();
        let mut rejected_by_both = Vec::new();
        for path in yaml_files() {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let shown = path.strip_prefix(repo()).unwrap().display().to_string();
            let Ok(value) = parse_yaml_text::<serde_json::Value>(&text) else {
                continue;
            };
            if parse_yaml_text::<T>(&text).is_ok() {
                let errors: Vec<String> = validator
                    .iter_errors(&value)
                    .map(|error| format!("{} at `{}`", error, error.instance_path()))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{shown} is a valid {kind:?} the schema rejects: {errors:#?}"
                );
                accepted.push(shown);
            } else if !validator.is_valid(&value) {
                rejected_by_both.push(shown);
            }
        }
        (accepted, rejected_by_both)
    }

    #[test]
    fn the_suite_schema_accepts_every_suite_in_the_repository() {
        let (accepted, rejected) = check_against::<RawSuite>(SchemaArg::Suite);
        for expected in [
            "suites/support/support.yaml",
            "suites/assertions/every-kind.yaml",
            "suites/probes/billing.yaml",
            "src/cli/commands/init_files/example.yaml",
        ] {
            assert!(
                accepted.iter().any(|path| path == expected),
                "{expected}: {accepted:#?}"
            );
        }
        for expected in [
            "fixtures/bad/unknown-key.yaml",
            "fixtures/bad/unknown-assertion.yaml",
            "fixtures/bad/wrong-type.yaml",
        ] {
            assert!(
                rejected.iter().any(|path| path == expected),
                "{expected}: {rejected:#?}"
            );
        }
    }

    #[test]
    fn the_config_schema_accepts_every_promptci_yaml_in_the_repository() {
        let (accepted, rejected) = check_against::<RawConfig>(SchemaArg::Config);
        for expected in [
            "promptci.yaml",
            "fixtures/baseline/project/promptci.yaml",
            "src/cli/commands/init_files/promptci.yaml",
        ] {
            assert!(
                accepted.iter().any(|path| path == expected),
                "{expected}: {accepted:#?}"
            );
        }
        for expected in [
            "fixtures/hostile/config/unknown-provider.yaml",
            "fixtures/hostile/config/targets-list.yaml",
        ] {
            assert!(
                rejected.iter().any(|path| path == expected),
                "{expected}: {rejected:#?}"
            );
        }
    }
}
