//! [`ProbeConfig`]: a suite's validated `probes:` section.

use super::catalogue::{Family, FamilyKind};
use crate::assert::Assertion;

/// The default of `probes.max-input-tokens`.
pub const DEFAULT_MAX_INPUT_TOKENS: u64 = 4_000;

/// Which probes a suite runs and how their answers are judged beyond the built-in checks.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// The selected families, in catalogue order.
    pub families: Vec<Family>,
    /// The template variables indirect injection goes through.
    pub untrusted_vars: Vec<String>,
    /// Assertions every probe answer must also pass (`probes.assert`).
    pub assertions: Vec<Assertion>,
    /// The size of the max-length probe, in tokens.
    pub max_input_tokens: u64,
    /// Whether a canary line is planted in the system prompt of probe cases.
    pub canary: bool,
    /// The line of the `probes` key.
    pub line: usize,
    /// The line of `edge-cases`, when written.
    pub edge_cases_line: Option<usize>,
    /// The line of `injection`, when written.
    pub injection_line: Option<usize>,
    /// The line of `untrusted-vars`, when written.
    pub untrusted_vars_line: Option<usize>,
}

impl ProbeConfig {
    /// Returns the suite line that generated probes of `family` point at.
    #[must_use]
    pub fn line_of(&self, family: Family) -> usize {
        let line = match (family, family.kind()) {
            (Family::Indirect, _) => self.untrusted_vars_line.or(self.injection_line),
            (_, FamilyKind::EdgeCase) => self.edge_cases_line,
            (_, FamilyKind::Injection) => self.injection_line,
        };
        line.unwrap_or(self.line)
    }
}
