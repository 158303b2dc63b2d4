//! `promptci schema`: the JSON Schemas in `schemas/` are the ones the code derives, and each
//! file `init` writes names its schema for editors.

use std::path::Path;

use crate::harness::Project;

const KINDS: &[(&str, &str)] = &[
    ("suite", "schemas/suite.schema.json"),
    ("config", "schemas/config.schema.json"),
];

#[test]
fn the_schemas_in_the_repository_match_the_code() {
    let project = Project::new();
    for (kind, file) in KINDS {
        let run = project.run(&["schema", kind]);
        run.code(0);
        let checked_in = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
            .unwrap_or_default();
        assert!(
            run.stdout == checked_in,
            "`{file}` differs from the schema the code derives; regenerate it with \
             `cargo run -q -- schema {kind} > {file}` and commit it"
        );
        let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{kind}"
        );
        jsonschema::validator_for(&schema).unwrap();
    }
    project.run(&["schema", "suites"]).code(2);
}
