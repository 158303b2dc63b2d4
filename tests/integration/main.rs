//! Integration tests: the built `promptci` binary against a mock model server on 127.0.0.1.

mod action;
mod anthropic;
mod architecture;
mod cache;
mod ci;
mod core;
mod data_files;
mod docs;
mod errors;
mod files;
mod gates;
mod harness;
mod html;
mod install;
mod mock_server;
mod probes;
mod prompt_shapes;
mod promptfoo;
mod real_model;
mod record_replay;
mod registry;
mod resilience;
mod streaming;
mod targets;
mod verdicts;
mod warnings;
