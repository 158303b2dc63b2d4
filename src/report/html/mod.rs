//! The self-contained HTML pages: the run report ([`report_page`]) and the trend across runs
//! ([`trend_page`]).
//!
//! Each page is one file with inline CSS and JavaScript and the data as a JSON block; it loads
//! nothing, and its Content-Security-Policy forbids loading anything, so it works opened from
//! disk or as a CI artifact. Building a page is pure: a results model in, bytes out. The
//! browser-side code only ever inserts report data as text.

mod page;
mod report_view;
mod text_table;

pub(crate) use report_view::{HtmlInput, report_page};

/// Returns the trend page of a [`Trend`](crate::decide::Trend).
#[must_use]
pub(crate) fn trend_page(trend: &crate::decide::Trend) -> Vec<u8> {
    let data = serde_json::to_string(trend).expect("a trend always serialises");
    page::render(page::PageKind::Trend, &super::trend::title(trend), &data)
}
