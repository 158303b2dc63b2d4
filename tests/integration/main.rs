//! Integration tests: the built `promptci` binary against a mock model server on 127.0.0.1.

mod cache;
mod core;
mod errors;
mod harness;
mod mock_server;
mod record_replay;
mod registry;
mod resilience;
