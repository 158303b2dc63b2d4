//! Probes: generated edge-case and prompt-injection cases, and the deterministic detectors that
//! judge them.
//!
//! A suite opts in with `probes:`; [`generate`] turns its [`ProbeConfig`] into cases named
//! `probe/<family>/<name>` that run like written ones. Injection payloads carry a nonce and
//! probe system prompts carry a canary, both derived from the run's [`ProbeSeed`], so
//! `--seed N` reproduces every payload byte for byte. The [`catalogue`] lists every probe;
//! [`detect`] finds nonces, canaries and leaks, verbatim or decoded.

pub mod catalogue;
mod config;
mod edge;
mod injection;
mod seed;

pub use catalogue::{Family, FamilyKind, ProbeDef, catalogue};
pub use config::{DEFAULT_MAX_INPUT_TOKENS, ProbeConfig};
pub use seed::ProbeSeed;
