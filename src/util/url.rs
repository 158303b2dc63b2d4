//! URLs: [`shown_url`] (a URL as output and reports may show it), [`endpoint_url`] (an API
//! path joined to a base URL) and [`check_base_url`] (what a base URL may be).

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

/// Returns `base` with the path `segments` appended to its path, before any query string
/// (`http://h/v1?api-version=x` + `chat/completions` → `http://h/v1/chat/completions?api-version=x`).
#[must_use]
pub(crate) fn endpoint_url(base: &str, segments: &[&str]) -> String {
    match reqwest::Url::parse(base) {
        Ok(mut url) if !url.cannot_be_a_base() => {
            if let Ok(mut path) = url.path_segments_mut() {
                path.pop_if_empty().extend(segments);
            }
            url.to_string()
        }
        _ => format!("{}/{}", base.trim_end_matches('/'), segments.join("/")),
    }
}

/// Returns whether the last segment of `base`'s path is `segment` (`…/v1` or `…/v1/`).
#[must_use]
pub(crate) fn path_ends_with(base: &str, segment: &str) -> bool {
    reqwest::Url::parse(base).is_ok_and(|url| {
        url.path_segments()
            .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
            == Some(segment)
    })
}

/// Returns whether `url` carries a user name or password.
#[must_use]
pub(crate) fn has_credentials(url: &str) -> bool {
    reqwest::Url::parse(url.trim())
        .is_ok_and(|url| !url.username().is_empty() || url.password().is_some())
}

/// Checks a base URL (from `base-url`, a `base-url-env` variable or `--base-url`) and returns
/// it without a trailing `/`, or why it cannot be one. The reason never repeats a password.
pub(crate) fn check_base_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    let parsed =
        reqwest::Url::parse(url).map_err(|error| format!("is not an http(s) URL ({error})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("is not an http(s) URL (`{}:`)", parsed.scheme()));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("has no host".to_owned());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // Sent as Basic auth, such a credential reaches every proxy log and any server that
        // echoes headers into answers, reports, the cache and recordings.
        return Err(format!(
            "contains a user name or password (`{}`); promptci takes keys only from the variable `api-key-env` names",
            shown_url(url)
        ));
    }
    Ok(if parsed.query().is_some() {
        url.to_owned()
    } else {
        url.trim_end_matches('/').to_owned()
    })
}

/// Returns the values of the query parameters of `url` whose names say they hold a credential
/// (`key`, `token`, `secret`, `sig`, `pass`, `auth`), to be redacted like the API key.
#[must_use]
pub(crate) fn query_secrets(url: &str) -> Vec<String> {
    const CREDENTIAL_NAMES: [&str; 6] = ["key", "token", "secret", "sig", "pass", "auth"];
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Vec::new();
    };
    parsed
        .query_pairs()
        .filter(|(name, value)| {
            let name = name.to_ascii_lowercase();
            !value.is_empty() && CREDENTIAL_NAMES.iter().any(|word| name.contains(word))
        })
        .map(|(_, value)| value.into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_url_hides_credentials_from_transport_errors_too() {
        assert_eq!(
            shown_url("https://u:sk-secret@proxy.test/v1/chat/completions"),
            "https://***@proxy.test/v1/chat/completions"
        );
    }

    #[test]
    fn endpoint_paths_go_before_the_query() {
        assert_eq!(
            endpoint_url(
                "http://h.test/v1?api-version=2024",
                &["chat", "completions"]
            ),
            "http://h.test/v1/chat/completions?api-version=2024"
        );
        assert_eq!(
            endpoint_url("http://h.test/v1/", &["messages"]),
            "http://h.test/v1/messages"
        );
        assert_eq!(
            endpoint_url("http://h.test", &["v1", "messages"]),
            "http://h.test/v1/messages"
        );
        assert!(path_ends_with("http://h.test/v1/?x=1", "v1"));
        assert!(!path_ends_with("http://h.test/v2", "v1"));
    }

    #[test]
    fn base_urls_are_http_with_a_host_and_no_credentials() {
        assert_eq!(
            check_base_url("http://127.0.0.1:9/v1/").unwrap(),
            "http://127.0.0.1:9/v1"
        );
        assert!(
            check_base_url("ftp://h/v1")
                .unwrap_err()
                .contains("http(s)")
        );
        assert!(check_base_url("127.0.0.1:9").is_err());
        let refused = check_base_url("http://user:pa55word@h.test/v1").unwrap_err();
        assert!(refused.contains("user name or password"), "{refused}");
        assert!(!refused.contains("pa55word"), "{refused}");
        assert_eq!(
            check_base_url("https://h.test/v1?api-version=1").unwrap(),
            "https://h.test/v1?api-version=1"
        );
    }

    #[test]
    fn credential_like_query_values_are_secrets() {
        assert_eq!(
            query_secrets("https://h.test/v1?api-version=2024&key=abc123&x_token=t0k"),
            ["abc123", "t0k"]
        );
    }
}
