//! [`check_template`]: a Nunjucks prompt made ready for minijinja, with what does not carry
//! over.
//!
//! Most Nunjucks reads the same in Jinja. The differences that matter for prompts: `x.length`
//! is a JavaScript property (Jinja's `x | length`), filters minijinja does not have (promptfoo's
//! `load`, custom `nunjucksFilters`), and undefined variables, which Nunjucks prints as nothing
//! and promptci refuses.

use std::collections::BTreeSet;

/// The filters minijinja provides.
const MINIJINJA_FILTERS: &[&str] = &[
    "abs",
    "attr",
    "batch",
    "bool",
    "capitalize",
    "chain",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "format",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "lines",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "split",
    "string",
    "sum",
    "title",
    "trim",
    "unique",
    "upper",
    "urlencode",
    "zip",
];

/// A template after the changes the import makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedTemplate {
    /// The minijinja text.
    pub(crate) text: String,
    /// `x.length` was rewritten as `x | length`.
    pub(crate) rewrote_length: bool,
    /// Filters minijinja does not have, in order of first use.
    pub(crate) unknown_filters: Vec<String>,
    /// The variables the template reads.
    pub(crate) variables: BTreeSet<String>,
    /// Variables the template only reads through `default` or an `is defined` test, so they
    /// may stay undefined.
    pub(crate) guarded: BTreeSet<String>,
}

/// Returns the minijinja form of a Nunjucks template and what could not carry over.
pub(crate) fn check_template(nunjucks: &str) -> CheckedTemplate {
    let mut text = String::with_capacity(nunjucks.len());
    let mut rewrote_length = false;
    let mut unknown_filters: Vec<String> = Vec::new();
    let mut rest = nunjucks;
    let length = regex::Regex::new(r"([A-Za-z_][\w.\]\[]*)\.length\b").expect("a valid pattern");
    let filter = regex::Regex::new(r"\|\s*([A-Za-z_]\w*)").expect("a valid pattern");
    // Only the insides of tags are code; the text between them is sent as written.
    while let Some(start) = rest.find("{{").into_iter().chain(rest.find("{%")).min() {
        let close = if rest[start..].starts_with("{{") {
            "}}"
        } else {
            "%}"
        };
        let Some(end) = rest[start + 2..].find(close).map(|end| start + 2 + end + 2) else {
            break;
        };
        text.push_str(&rest[..start]);
        let tag = &rest[start..end];
        if tag.starts_with("{% raw") {
            let raw_end = rest[end..]
                .find("{% endraw %}")
                .map_or(rest.len(), |at| end + at + 12);
            text.push_str(&rest[start..raw_end]);
            rest = &rest[raw_end..];
            continue;
        }
        let rewritten = length.replace_all(tag, "($1 | length)");
        rewrote_length |= rewritten != tag;
        for found in filter.captures_iter(&rewritten) {
            let name = &found[1];
            if !MINIJINJA_FILTERS.contains(&name)
                && !unknown_filters.iter().any(|known| known == name)
            {
                unknown_filters.push(name.to_owned());
            }
        }
        text.push_str(&rewritten);
        rest = &rest[end..];
    }
    text.push_str(rest);
    let (variables, guarded) = variables(&text);
    CheckedTemplate {
        text,
        rewrote_length,
        unknown_filters,
        variables,
        guarded,
    }
}

fn variables(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let environment = minijinja::Environment::new();
    let Ok(template) = environment.template_from_str(text) else {
        return (BTreeSet::new(), BTreeSet::new());
    };
    let variables: BTreeSet<String> = template.undeclared_variables(false).into_iter().collect();
    let guarded = variables
        .iter()
        .filter(|name| {
            let name = regex::escape(name);
            let guard = regex::Regex::new(&format!(
                r"\b{name}\s*(\|\s*(default|d)\b|is\s+(not\s+)?defined)"
            ))
            .expect("an escaped name makes a valid pattern");
            guard.is_match(text)
        })
        .cloned()
        .collect();
    (variables, guarded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_properties_become_filters_and_unknown_filters_are_listed() {
        let checked = check_template(
            "Name length: {{ name.length }} {{ (basket | load)[0] }} {{ x | upper }}",
        );
        assert_eq!(
            checked.text,
            "Name length: {{ (name | length) }} {{ (basket | load)[0] }} {{ x | upper }}"
        );
        assert!(checked.rewrote_length);
        assert_eq!(checked.unknown_filters, ["load"]);
    }

    #[test]
    fn text_outside_tags_and_raw_blocks_is_kept() {
        let checked = check_template(
            "a.length | load {% raw %}{{ y.length }}{% endraw %} {{ rush | default('x') }}{% if note %}{{ note }}{% endif %}",
        );
        assert_eq!(
            checked.text,
            "a.length | load {% raw %}{{ y.length }}{% endraw %} {{ rush | default('x') }}{% if note %}{{ note }}{% endif %}"
        );
        assert!(checked.unknown_filters.is_empty());
        assert_eq!(
            checked.variables.iter().collect::<Vec<_>>(),
            ["note", "rush"]
        );
        assert_eq!(checked.guarded.iter().collect::<Vec<_>>(), ["rush"]);
    }
}
