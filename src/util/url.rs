//! [`shown_url`]: a URL as output and reports may show it.

/// Returns `url` as it may be shown in output and reports: credentials written into it
/// (`user:key@host`, a query such as `?key=…`) become `***`. Requests still use the URL as
/// written.
#[must_use]
pub(crate) fn shown_url(url: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return url.to_owned();
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        let _ = parsed.set_password(None);
        let _ = parsed.set_username("***");
    }
    if parsed.query().is_some() {
        parsed.set_query(Some("***"));
    }
    // Parsing adds a trailing `/` to a bare host; keep the URL as it was written otherwise.
    let shown = parsed.to_string();
    if url.ends_with('/') {
        shown
    } else {
        shown.trim_end_matches('/').to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shown_url_hides_credentials_from_transport_errors_too() {
        assert_eq!(
            super::shown_url("https://u:sk-secret@proxy.test/v1/chat/completions"),
            "https://***@proxy.test/v1/chat/completions"
        );
    }
}
