//! [`translate`]: a JavaScript regular expression (promptfoo's `regex` assertion) rewritten so
//! Rust's `regex` crate matches the same texts, or why it cannot be.
//!
//! JavaScript without the `u` flag treats `\d`, `\w` and `\b` as ASCII, and its `.` stops at
//! `\r`, U+2028 and U+2029 as well as `\n`; Rust's are Unicode-aware and stop only at `\n`.
//! Lookarounds and backreferences have no counterpart in Rust's engine, and inline flags such
//! as `(?i)` are a syntax error in JavaScript, where promptfoo fails the assertion.

/// Why a JavaScript regex has no Rust counterpart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Untranslatable {
    /// JavaScript rejects the pattern, so promptfoo fails the assertion on every answer.
    InvalidInJavaScript(String),
    /// Rust's engine has no counterpart (lookaround, backreference, …).
    Unsupported(String),
}

/// Returns the Rust pattern that matches what the JavaScript `pattern` matches.
pub(crate) fn translate(pattern: &str) -> Result<String, Untranslatable> {
    if pattern.contains("(?i)")
        || pattern.contains("(?s)")
        || pattern.contains("(?m)")
        || pattern.contains("(?x)")
    {
        return Err(Untranslatable::InvalidInJavaScript(
            "inline flags such as `(?i)` are a syntax error in JavaScript".to_owned(),
        ));
    }
    for (construct, name) in [
        ("(?=", "lookahead"),
        ("(?!", "negative lookahead"),
        ("(?<=", "lookbehind"),
        ("(?<!", "negative lookbehind"),
    ] {
        if pattern.contains(construct) {
            return Err(Untranslatable::Unsupported(format!(
                "Rust's regex engine has no {name} (`{construct}`)"
            )));
        }
    }
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    return Err(Untranslatable::InvalidInJavaScript(
                        "the pattern ends with a lone `\\`".to_owned(),
                    ));
                };
                match next {
                    'd' => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                    'D' if !in_class => out.push_str("[^0-9]"),
                    'w' => out.push_str(if in_class {
                        "0-9A-Za-z_"
                    } else {
                        "[0-9A-Za-z_]"
                    }),
                    'W' if !in_class => out.push_str("[^0-9A-Za-z_]"),
                    'b' if !in_class => out.push_str("(?-u:\\b)"),
                    'B' if !in_class => out.push_str("(?-u:\\B)"),
                    '1'..='9' if !in_class => {
                        return Err(Untranslatable::Unsupported(
                            "Rust's regex engine has no backreferences (`\\1`)".to_owned(),
                        ));
                    }
                    '/' => out.push('/'),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` or `^]` right after the opening bracket is literal in both dialects.
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '.' if !in_class => out.push_str("[^\\n\\r\\u{2028}\\u{2029}]"),
            other => out.push(other),
        }
    }
    match regex::Regex::new(&out) {
        Ok(_) => Ok(out),
        Err(error) => Err(Untranslatable::Unsupported(format!(
            "Rust's regex engine cannot compile it: {}",
            error.to_string().lines().last().unwrap_or_default().trim()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(&translate(pattern).unwrap())
            .unwrap()
            .is_match(text)
    }

    #[test]
    fn classes_and_dots_keep_their_javascript_meaning() {
        assert!(matches(r"answer.*\d+", "The answer is 42"));
        assert!(!matches(r"\d", "Total: ٣"));
        assert!(!matches(r"^\w+$", "café"));
        assert!(!matches("a.b", "a\rb"));
        assert!(matches(r"a\/b[\-x]c", "path a/b-c"));
        assert!(matches(r"[\d_]+x", "4_x"));
        assert!(matches(r"\bcat\b", "a cat."));
    }

    #[test]
    fn patterns_without_a_counterpart_say_why() {
        assert!(matches!(
            translate("foo(?=bar)"),
            Err(Untranslatable::Unsupported(_))
        ));
        assert!(matches!(
            translate(r"(\w+) \1"),
            Err(Untranslatable::Unsupported(_))
        ));
        assert!(matches!(
            translate("(?i)x"),
            Err(Untranslatable::InvalidInJavaScript(_))
        ));
        assert!(matches!(
            translate("(unclosed"),
            Err(Untranslatable::Unsupported(_))
        ));
    }
}
