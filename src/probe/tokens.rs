//! Token counts for probes: filling the max-length probe and estimating completions when the
//! provider reports no usage.

/// Returns the number of tokens in `text`.
// MERGE: use crate::tokens — an interim estimate (about four characters per token in English)
// until the shared tokenizer lands; every probe count goes through this one function.
#[must_use]
pub fn count(text: &str) -> u64 {
    let chars = u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
    chars.div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_about_four_characters_per_token() {
        assert_eq!(count(""), 0);
        assert_eq!(count("abcd"), 1);
        assert_eq!(count("abcde"), 2);
    }
}
