//! Text assertions: equality, substrings, prefixes, regexes and lengths.
//!
//! Every function returns an [`AssertionResult`] whose reason names exactly what was missing
//! or found, and where.

use super::AssertionResult;

/// Finds `needle` in `haystack`, returning the 1-based character position of the match.
fn find(haystack: &str, needle: &str, ignore_case: bool) -> Option<usize> {
    if ignore_case {
        let haystack = haystack.to_lowercase();
        let needle = needle.to_lowercase();
        haystack
            .find(&needle)
            .map(|byte| haystack[..byte].chars().count() + 1)
    } else {
        haystack
            .find(needle)
            .map(|byte| haystack[..byte].chars().count() + 1)
    }
}

fn quoted(items: &[&String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn equals(kind: &str, answer: &str, expected: &str) -> AssertionResult {
    let trimmed = answer.trim();
    if trimmed == expected.trim() {
        return AssertionResult::new(kind, true, "answer equals the expected text");
    }
    let common = trimmed
        .chars()
        .zip(expected.trim().chars())
        .take_while(|(a, b)| a == b)
        .count();
    AssertionResult::new(
        kind,
        false,
        format!(
            "answer differs from `{}` at char {}",
            expected.trim(),
            common + 1
        ),
    )
}

pub(super) fn contains_all(
    kind: &str,
    answer: &str,
    needles: &[String],
    ignore_case: bool,
) -> AssertionResult {
    let missing: Vec<&String> = needles
        .iter()
        .filter(|needle| find(answer, needle, ignore_case).is_none())
        .collect();
    if missing.is_empty() {
        let found: Vec<&String> = needles.iter().collect();
        AssertionResult::new(kind, true, format!("found {}", quoted(&found)))
    } else {
        AssertionResult::new(kind, false, format!("missing {}", quoted(&missing)))
    }
}

pub(super) fn contains_any(
    kind: &str,
    answer: &str,
    needles: &[String],
    ignore_case: bool,
) -> AssertionResult {
    if let Some((needle, at)) = needles
        .iter()
        .find_map(|needle| find(answer, needle, ignore_case).map(|at| (needle, at)))
    {
        AssertionResult::new(kind, true, format!("found `{needle}` at char {at}"))
    } else {
        let all: Vec<&String> = needles.iter().collect();
        AssertionResult::new(kind, false, format!("none of {} found", quoted(&all)))
    }
}

pub(super) fn contains_none(
    kind: &str,
    answer: &str,
    needles: &[String],
    ignore_case: bool,
) -> AssertionResult {
    let found: Vec<String> = needles
        .iter()
        .filter_map(|needle| {
            find(answer, needle, ignore_case).map(|at| format!("`{needle}` found at char {at}"))
        })
        .collect();
    if found.is_empty() {
        AssertionResult::new(kind, true, "no forbidden text found")
    } else {
        AssertionResult::new(kind, false, format!("forbidden {}", found.join(", ")))
    }
}

pub(super) fn starts_with(kind: &str, answer: &str, prefix: &str) -> AssertionResult {
    let trimmed = answer.trim_start();
    if trimmed.starts_with(prefix) {
        AssertionResult::new(kind, true, format!("starts with `{prefix}`"))
    } else {
        let head: String = trimmed
            .chars()
            .take(prefix.chars().count().max(12))
            .collect();
        AssertionResult::new(kind, false, format!("starts with `{head}`, not `{prefix}`"))
    }
}

pub(super) fn ends_with(kind: &str, answer: &str, suffix: &str) -> AssertionResult {
    let trimmed = answer.trim_end();
    if trimmed.ends_with(suffix) {
        AssertionResult::new(kind, true, format!("ends with `{suffix}`"))
    } else {
        let count = trimmed.chars().count();
        let tail: String = trimmed
            .chars()
            .skip(count.saturating_sub(suffix.chars().count().max(12)))
            .collect();
        AssertionResult::new(kind, false, format!("ends with `{tail}`, not `{suffix}`"))
    }
}

pub(super) fn regex_matches(
    kind: &str,
    answer: &str,
    pattern: &regex::Regex,
    should_match: bool,
) -> AssertionResult {
    match (pattern.find(answer), should_match) {
        (Some(found), true) => AssertionResult::new(
            kind,
            true,
            format!(
                "`{}` matched at char {}",
                found.as_str(),
                answer[..found.start()].chars().count() + 1
            ),
        ),
        (None, true) => AssertionResult::new(kind, false, format!("no match for /{pattern}/")),
        (None, false) => AssertionResult::new(kind, true, format!("no match for /{pattern}/")),
        (Some(found), false) => AssertionResult::new(
            kind,
            false,
            format!(
                "forbidden match `{}` for /{pattern}/ at char {}",
                found.as_str(),
                answer[..found.start()].chars().count() + 1
            ),
        ),
    }
}

pub(super) fn length(kind: &str, answer: &str, limit: usize, is_max: bool) -> AssertionResult {
    let count = answer.chars().count();
    match (is_max, count <= limit, count >= limit) {
        (true, true, _) => {
            AssertionResult::new(kind, true, format!("{count} chars, at most {limit}"))
        }
        (true, false, _) => AssertionResult::new(
            kind,
            false,
            format!("{count} chars, {} over the limit of {limit}", count - limit),
        ),
        (false, _, true) => {
            AssertionResult::new(kind, true, format!("{count} chars, at least {limit}"))
        }
        (false, _, false) => AssertionResult::new(
            kind,
            false,
            format!("{count} chars, {} short of {limit}", limit - count),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_case::test_case;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn contains_names_what_is_missing() {
        let result = contains_all(
            "contains",
            "Export your data",
            &strings(&["data", "phone"]),
            false,
        );
        assert!(!result.passed);
        assert_eq!(result.reason, "missing `phone`");
        assert!(
            contains_all(
                "contains",
                "export data",
                &strings(&["export", "data"]),
                false
            )
            .passed
        );
    }

    #[test]
    fn icontains_ignores_case() {
        assert!(
            contains_all(
                "icontains",
                "Call our PHONE line",
                &strings(&["phone"]),
                true
            )
            .passed
        );
        assert!(
            !contains_all(
                "contains",
                "Call our PHONE line",
                &strings(&["phone"]),
                false
            )
            .passed
        );
    }

    #[test]
    fn not_contains_names_what_and_where() {
        let answer = format!("{}I don't know", "x".repeat(41));
        let result = contains_none("not-contains", &answer, &strings(&["I don't know"]), false);
        assert!(!result.passed);
        assert_eq!(result.reason, "forbidden `I don't know` found at char 42");
    }

    #[test]
    fn contains_any_passes_on_one() {
        assert!(
            contains_any(
                "contains-any",
                "ask an agent",
                &strings(&["specialist", "agent"]),
                false
            )
            .passed
        );
        let result = contains_any("contains-any", "no", &strings(&["a1", "b2"]), false);
        assert_eq!(result.reason, "none of `a1`, `b2` found");
    }

    #[test_case("  hello world", "hello", true; "leading whitespace ignored")]
    #[test_case("goodbye", "hello", false; "different start")]
    fn starts_with_cases(answer: &str, prefix: &str, expected: bool) {
        assert_eq!(starts_with("starts-with", answer, prefix).passed, expected);
    }

    #[test]
    fn ends_with_and_equals() {
        assert!(ends_with("ends-with", "done.\n", "done.").passed);
        assert!(!ends_with("ends-with", "done!", "done.").passed);
        assert!(equals("equals", " Paris\n", "Paris").passed);
        assert_eq!(
            equals("equals", "Parks", "Paris").reason,
            "answer differs from `Paris` at char 4"
        );
    }

    #[test]
    fn regex_reports_the_match() {
        let pattern = regex::Regex::new(r"(?i)\bcall\b").unwrap();
        let result = regex_matches("regex", "Please CALL us", &pattern, true);
        assert!(result.passed);
        assert_eq!(result.reason, "`CALL` matched at char 8");
        let result = regex_matches("not-regex", "Please CALL us", &pattern, false);
        assert!(!result.passed);
        assert!(
            result.reason.starts_with("forbidden match `CALL`"),
            "{}",
            result.reason
        );
    }

    #[test_case("abc", 3, true, true; "max at the limit")]
    #[test_case("abcd", 3, true, false; "max over")]
    #[test_case("ab", 3, false, false; "min short")]
    #[test_case("日本語", 3, false, true; "characters not bytes")]
    fn length_cases(answer: &str, limit: usize, is_max: bool, expected: bool) {
        assert_eq!(length("chars", answer, limit, is_max).passed, expected);
    }
}
