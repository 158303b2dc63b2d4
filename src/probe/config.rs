//! [`ProbeConfig`]: a suite's validated `probes:` section.

use super::catalogue::{Family, FamilyKind};
use crate::assert::AssertionTemplate;

/// The default of `probes.max-input-tokens`.
pub(crate) const DEFAULT_MAX_INPUT_TOKENS: u64 = 4_000;

/// Which probes a suite runs and how their answers are judged beyond the built-in checks.
#[derive(Debug, Clone)]
pub(crate) struct ProbeConfig {
    /// The selected families, in catalogue order.
    pub(crate) families: Vec<Family>,
    /// The template variables indirect injection goes through.
    pub(crate) untrusted_vars: Vec<String>,
    /// Assertions every probe answer must also pass (`probes.assert`).
    pub(crate) assertions: Vec<AssertionTemplate>,
    /// The size of the max-length probe, in tokens.
    pub(crate) max_input_tokens: u64,
    /// Whether a canary line is planted in the system prompt of probe cases.
    pub(crate) canary: bool,
    /// The line of the `probes` key.
    pub(crate) line: usize,
    /// The line of `edge-cases`, when written.
    pub(crate) edge_cases_line: Option<usize>,
    /// The line of `injection`, when written.
    pub(crate) injection_line: Option<usize>,
    /// The line of `untrusted-vars`, when written.
    pub(crate) untrusted_vars_line: Option<usize>,
}

impl ProbeConfig {
    /// Returns the suite line that generated probes of `family` point at.
    #[must_use]
    pub(crate) fn line_of(&self, family: Family) -> usize {
        let line = match (family, family.kind()) {
            (Family::Indirect, _) => self.untrusted_vars_line.or(self.injection_line),
            (_, FamilyKind::EdgeCase) => self.edge_cases_line,
            (_, FamilyKind::Injection) => self.injection_line,
        };
        line.unwrap_or(self.line)
    }
}
