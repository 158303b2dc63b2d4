//! Probes: the catalogue of built-in edge-case and prompt-injection probes, and what a suite's
//! `probes:` section selects ([`ProbeConfig`]).
//!
//! The [`catalogue`](mod@catalogue) lists every probe family with its payloads and the checks that judge its
//! answers. Injection payloads carry a nonce and probe system prompts a canary, both derived
//! from the run's [`ProbeSeed`], so `--seed N` reproduces every payload byte for byte. The plan
//! turns a suite's selection into cases; the
//! detectors that find nonces, canaries and leaks in answers are assertions
//! ([`assert::detect`](crate::assert::detect)).

pub(crate) mod catalogue;
mod config;
mod edge;
mod injection;
mod seed;

pub(crate) use catalogue::{Family, FamilyKind, catalogue};
pub(crate) use config::{DEFAULT_MAX_INPUT_TOKENS, ProbeConfig};
pub(crate) use seed::ProbeSeed;
