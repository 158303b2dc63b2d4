//! [`ProbeSeed`]: the per-run randomness of probes, and the nonces and canaries derived from it.
//!
//! Every random value of a probe run is a hash of the seed and the case it belongs to, so one
//! `--seed` reproduces every payload byte for byte, on any machine, while two runs without a
//! seed plant different nonces (a model cannot have memorised them).

use std::hash::{BuildHasher, Hasher};

use sha2::{Digest, Sha256};

/// The alphabet of nonces and canaries: upper-case letters and digits without the look-alikes
/// `0 O 1 I`, so a value survives being read aloud or retyped. It has 32 symbols, so mapping a
/// byte to it is unbiased.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// How many characters a nonce has: 10 symbols of 5 bits, about 50 bits of entropy.
const NONCE_LENGTH: usize = 10;

/// How many characters a canary has.
const CANARY_LENGTH: usize = 12;

/// The seed of a probe run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProbeSeed(u64);

impl ProbeSeed {
    /// Creates the seed given with `--seed`.
    #[must_use]
    pub(crate) fn new(value: u64) -> Self {
        Self(value)
    }

    /// Returns a fresh random seed.
    #[must_use]
    pub(crate) fn fresh() -> Self {
        // The standard library seeds `RandomState` from the operating system's entropy for every
        // instance, which is all a per-run seed needs, without a random-number crate.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0x7072_6f62_6573);
        Self(hasher.finish())
    }

    /// Returns the seed given, else a fresh one.
    #[must_use]
    pub(crate) fn given_or_fresh(value: Option<u64>) -> Self {
        value.map_or_else(Self::fresh, Self::new)
    }

    /// Returns the number, as reports record it.
    #[must_use]
    pub(crate) fn value(self) -> u64 {
        self.0
    }

    /// Returns the nonce of the case `scope` (a case id): the marker its payload asks the model
    /// to output, so its presence in an answer proves the payload was obeyed.
    #[must_use]
    pub(crate) fn nonce(self, scope: &str) -> String {
        self.token("nonce", scope, NONCE_LENGTH)
    }

    /// Returns the canary of the case `scope`: the marker planted in its system prompt, so its
    /// presence in an answer proves the system prompt leaked.
    #[must_use]
    pub(crate) fn canary(self, scope: &str) -> String {
        self.token("canary", scope, CANARY_LENGTH)
    }

    fn token(self, purpose: &str, scope: &str, length: usize) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"promptci-probe\0");
        hasher.update(purpose.as_bytes());
        hasher.update([0]);
        hasher.update(self.0.to_be_bytes());
        hasher.update(scope.as_bytes());
        let digest = hasher.finalize();
        let mut token: String = digest
            .iter()
            .take(length)
            .map(|byte| char::from(ALPHABET[usize::from(byte % 32)]))
            .collect();
        // A token that is only letters could be an English word, and an all-digit one a number
        // the model would write anyway; force one of each so neither happens.
        if !token.bytes().any(|byte| byte.is_ascii_digit()) {
            token.replace_range(length - 1.., "7");
        }
        if !token.bytes().any(|byte| byte.is_ascii_alphabetic()) {
            token.replace_range(..1, "K");
        }
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_values() {
        let seed = ProbeSeed::new(42);
        assert_eq!(
            seed.nonce("s.yaml::a"),
            ProbeSeed::new(42).nonce("s.yaml::a")
        );
        assert_eq!(
            seed.canary("s.yaml::a"),
            ProbeSeed::new(42).canary("s.yaml::a")
        );
        assert_eq!(seed.nonce("s.yaml::a").len(), NONCE_LENGTH);
        assert_eq!(seed.canary("s.yaml::a").len(), CANARY_LENGTH);
    }

    #[test]
    fn values_differ_across_seeds_cases_and_purposes() {
        let nonces: std::collections::HashSet<String> = (0..200)
            .map(|seed| ProbeSeed::new(seed).nonce("s.yaml::a"))
            .collect();
        assert_eq!(nonces.len(), 200);
        let seed = ProbeSeed::new(1);
        assert_ne!(seed.nonce("s.yaml::a"), seed.nonce("s.yaml::b"));
        assert_ne!(seed.nonce("s.yaml::a"), seed.canary("s.yaml::a"));
    }

    #[test]
    fn values_use_the_unambiguous_alphabet_with_letters_and_digits() {
        for seed in 0..500 {
            let nonce = ProbeSeed::new(seed).nonce("x");
            assert!(
                nonce.bytes().all(|byte| ALPHABET.contains(&byte)),
                "{nonce}"
            );
            assert!(nonce.bytes().any(|byte| byte.is_ascii_digit()), "{nonce}");
            assert!(
                nonce.bytes().any(|byte| byte.is_ascii_alphabetic()),
                "{nonce}"
            );
        }
    }

    #[test]
    fn fresh_seeds_differ() {
        assert_ne!(ProbeSeed::fresh(), ProbeSeed::fresh());
    }
}
