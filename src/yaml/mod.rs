//! YAML parsing with located, friendly errors, shared by suites and `promptci.yaml`.
//!
//! [`parse_yaml`] reads a file into a type and explains its first error ([`YamlError`]);
//! [`parse_yaml_checked`] goes on past a shape error and reports every shape problem of the
//! file together, found by the file's JSON Schema on a [`LocatedValue`] of it.

mod located_value;
mod node;
mod parse;
mod shape_check;

pub(crate) use located_value::LocatedValue;
pub(crate) use node::{Node, NodeKind};
pub(crate) use parse::{YamlError, parse_yaml, parse_yaml_text, span_start};
pub(crate) use shape_check::{input_schema, parse_yaml_checked};
