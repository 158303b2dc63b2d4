//! The variables a template reads: [`undeclared_variables`], for telling which of a suite's
//! variables nothing uses.

use std::collections::BTreeSet;

/// Returns the top-level names `text` reads without setting them itself (`{{ city }}` and
/// `{{ city.name }}` both read `city`), or `None` when `text` is not a valid template.
/// Included templates are not followed: callers pass each file of a prompt on its own.
#[must_use]
pub(crate) fn undeclared_variables(text: &str) -> Option<BTreeSet<String>> {
    let environment = super::prompt_environment();
    let template = environment.template_from_str(text).ok()?;
    Some(template.undeclared_variables(false).into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_but_not_set_are_found() {
        let found = undeclared_variables(
            "{% set greeting = 'hi' %}{{ greeting }} {{ user.name }}{% for item in items %}{{ item }}{% endfor %}{% include 'x.j2' %}",
        )
        .unwrap();
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["items", "user"]);
        assert!(undeclared_variables("{{ broken").is_none());
    }
}
