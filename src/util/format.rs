//! Text formatting shared by messages and reports: counts with their noun ([`plural`]),
//! percentages, dollars, excerpts of long text and backtick lists.

use std::fmt;

/// Returns `count` followed by the singular or plural noun.
///
/// Every user-facing count goes through this so plurals are consistent.
#[must_use]
pub(crate) fn plural(count: usize, singular: &str, plural: &str) -> String {
    if count == 1 {
        format!("{count} {singular}")
    } else {
        format!("{count} {plural}")
    }
}

/// Formats a fraction as a whole percentage: `0.875` → `88%`.
#[must_use]
pub(crate) fn percent(fraction: f64) -> String {
    format!("{:.0}%", fraction * 100.0)
}

/// Formats a fraction as a percentage with one decimal, dropped when it is zero: `10%`,
/// `12.5%` (limits the user wrote, shown as written).
#[must_use]
pub(crate) fn percent_trimmed(fraction: f64) -> String {
    let value = fraction * 100.0;
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}%")
    } else {
        format!("{value:.1}%")
    }
}

/// Formats a fraction as a signed percentage with one decimal: `+25.0%`, `-5.0%`.
#[must_use]
pub(crate) fn signed_percent(fraction: f64) -> String {
    format!("{:+.1}%", fraction * 100.0)
}

/// Formats a p-value: four decimals, scientific notation below 0.0001 (where four decimals
/// would print zero).
#[must_use]
pub(crate) fn p_value(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// Formats US dollars: four decimals, six below a tenth of a cent (single cases cost
/// fractions of one).
#[must_use]
pub(crate) fn dollars(amount: f64) -> String {
    if amount.abs() < 0.001 {
        format!("${amount:.6}")
    } else {
        format!("${amount:.4}")
    }
}

/// Formats a byte count as MiB: `16 MiB`, `0.5 MiB`.
#[must_use]
pub(crate) fn mebibytes(bytes: usize) -> String {
    let mib = bytes as f64 / 1_048_576.0;
    if bytes.is_multiple_of(1_048_576) {
        format!("{mib} MiB")
    } else {
        format!("{mib:.1} MiB")
    }
}

/// Cuts text to at most `limit` bytes on a character boundary, marking the cut.
#[must_use]
pub(crate) fn excerpt(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let cut = (0..=limit)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}…", &text[..cut])
}

/// A display helper that writes a list as `` `a`, `b` or `c` ``.
pub(crate) struct BacktickList<'a>(pub(crate) &'a [&'a str]);

impl fmt::Display for BacktickList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, item) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(if index + 1 == self.0.len() {
                    " or "
                } else {
                    ", "
                })?;
            }
            write!(f, "`{item}`")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_chooses_the_noun() {
        assert_eq!(plural(1, "case", "cases"), "1 case");
        assert_eq!(plural(3, "case", "cases"), "3 cases");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(0.875), "88%");
        assert_eq!(percent_trimmed(0.1), "10%");
        assert_eq!(percent_trimmed(0.125), "12.5%");
        assert_eq!(signed_percent(0.25), "+25.0%");
        assert_eq!(signed_percent(-0.05), "-5.0%");
    }

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        assert_eq!(excerpt("ééé", 3), "é…");
        assert_eq!(excerpt("abc", 3), "abc");
    }

    #[test]
    fn backtick_list_joins_with_or() {
        assert_eq!(
            BacktickList(&["a", "b", "c"]).to_string(),
            "`a`, `b` or `c`"
        );
    }
}
