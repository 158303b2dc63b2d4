//! Token counts for probes: filling the max-length probe and estimating completions when the
//! provider reports no usage.

/// Returns the number of tokens in `text` for `model`.
// MERGE: use crate::tokens — an interim estimate (about four characters per token in English,
// whatever the model) until the shared tokenizer lands; every probe count goes through this one
// function.
#[must_use]
pub fn count(model: &str, text: &str) -> u64 {
    let _ = model;
    let chars = u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
    chars.div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_about_four_characters_per_token() {
        assert_eq!(count("mock", ""), 0);
        assert_eq!(count("mock", "abcd"), 1);
        assert_eq!(count("mock", "abcde"), 2);
    }
}
