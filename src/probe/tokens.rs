//! Token counts for probes: filling the max-length probe and counting completions when the
//! provider reports no usage, both with the target model's tokenizer.

/// Returns the number of tokens in `text` for `model` (with `o200k_base` as the estimate for
/// models without a known tokenizer, as everywhere in promptci).
#[must_use]
pub fn count(model: &str, text: &str) -> u64 {
    crate::tokens::Tokenizer::for_model(model).count(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_with_the_models_tokenizer() {
        assert_eq!(count("gpt-4o", ""), 0);
        assert_eq!(count("gpt-4o", "hello world"), 2);
        assert_eq!(count("gpt-4", "hello world"), 2);
    }
}
