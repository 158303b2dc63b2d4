//! [`render`]: fills the page template with its title, stylesheet, script and data.

use sha2::{Digest, Sha256};

const TEMPLATE: &str = include_str!("page.html");
const STYLE: &str = include_str!("style.css");
const COMMON_JS: &str = include_str!("common.js");
const REPORT_JS: &str = include_str!("report.js");
const TREND_JS: &str = include_str!("trend.js");

/// Which page to build: each has its own script over the shared helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PageKind {
    /// One run.
    Report,
    /// Many runs over time.
    Trend,
}

/// Returns the page: `data` is the page's JSON (embedded as a `<script type="application/json">`
/// block), `title` plain text.
pub(super) fn render(kind: PageKind, title: &str, data: &str) -> Vec<u8> {
    let script = match kind {
        PageKind::Report => [COMMON_JS, REPORT_JS].concat(),
        PageKind::Trend => [COMMON_JS, TREND_JS].concat(),
    };
    // The policy names the page's own script and stylesheet by hash: nothing else may run or
    // load, not even an inline script that found its way into the data.
    let csp = format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; base-uri 'none'; form-action 'none'",
        csp_hash(&script),
        csp_hash(STYLE)
    );
    let generator = concat!("promptci ", env!("CARGO_PKG_VERSION"));
    let data = escape_json_for_script(data);
    let mut out = String::with_capacity(TEMPLATE.len() + STYLE.len() + script.len() + data.len());
    let mut rest = TEMPLATE;
    // Placeholders are filled in one pass over the template, so text in the data that looks
    // like a placeholder stays as it is.
    while let Some(start) = rest.find("{{") {
        let end = start
            + rest[start..]
                .find("}}")
                .expect("the template closes every placeholder");
        out.push_str(&rest[..start]);
        match &rest[start + 2..end] {
            "csp" => out.push_str(&csp),
            "generator" => out.push_str(generator),
            "title" => out.push_str(&escape_html(title)),
            "style" => out.push_str(STYLE),
            "data" => out.push_str(&data),
            "script" => out.push_str(&script),
            other => unreachable!("unknown placeholder `{other}` in page.html"),
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out.into_bytes()
}

/// Returns `sha256-<base64>` of an inline script or stylesheet, as CSP spells it.
fn csp_hash(text: &str) -> String {
    format!(
        "sha256-{}",
        data_encoding::BASE64.encode(&Sha256::digest(text.as_bytes()))
    )
}

/// Makes JSON safe inside a `<script>` element: `<`, `>` and `&` become `\u` escapes, so no
/// `</script>` or `<!--` can end or confuse the block, and the JSON still parses to the same
/// strings. U+2028 and U+2029 are escaped for old JavaScript parsers.
fn escape_json_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for ch in json.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(ch),
        }
    }
    out
}

/// Escapes text for an HTML element or attribute.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(data: &str, title: &str) -> String {
        String::from_utf8(render(PageKind::Report, title, data)).unwrap()
    }

    #[test]
    fn data_cannot_close_its_script_block_or_open_a_comment() {
        let data = serde_json::json!({ "answer": "</script><script>alert(1)</script><!-- x & y" })
            .to_string();
        let html = page(&data, "t");
        let block = html
            .split("<script type=\"application/json\" id=\"promptci-data\">")
            .nth(1)
            .unwrap();
        let block = &block[..block.find("</script>").unwrap()];
        assert!(!block.contains('<') && !block.contains('>'));
        let parsed: serde_json::Value = serde_json::from_str(block).unwrap();
        assert_eq!(
            parsed["answer"],
            "</script><script>alert(1)</script><!-- x & y"
        );
        assert_eq!(html.matches("</script>").count(), 2, "only the page's own");
    }

    #[test]
    fn title_is_escaped_and_placeholders_in_data_stay_text() {
        let html = page(r#"{"x":"{{script}}"}"#, "a <b> & \"c\"");
        assert!(html.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"));
        assert!(html.contains(r#"{"x":"{{script}}"}"#));
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_script_and_style() {
        let html = page("{}", "t");
        let script_start = html.rfind("<script>").unwrap() + "<script>".len();
        let script = &html[script_start..html.rfind("</script>").unwrap()];
        assert!(html.contains(&format!("script-src '{}'", csp_hash(script))));
        assert!(html.contains(&format!("style-src '{}'", csp_hash(STYLE))));
        assert!(html.contains("default-src 'none'"));
    }

    #[test]
    fn scripts_never_parse_data_as_markup() {
        for (name, script) in [
            ("common.js", COMMON_JS),
            ("report.js", REPORT_JS),
            ("trend.js", TREND_JS),
        ] {
            for forbidden in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
                "fetch(",
                "XMLHttpRequest",
                "</script",
            ] {
                assert!(!script.contains(forbidden), "{name} uses {forbidden}");
            }
        }
    }
}
