//! HTML building blocks: escaping, the page shell every page shares, the
//! style sheet, and human dates. Pages are plain server-rendered HTML: no
//! scripts, one same-origin style sheet, so the content security policy can
//! forbid everything else.

use std::fmt::Write as _;

use axum::http::StatusCode;
use time::{Date, Month};

pub use iotmark_text::escape_html as esc;

/// A link target we are willing to make clickable: https, mailto or tel.
/// Anything else (javascript:, data:, plain http) is shown as text only.
pub fn safe_href(uri: &str) -> Option<&str> {
    let lower = uri.trim().to_ascii_lowercase();
    let ok = ["https://", "mailto:", "tel:"]
        .iter()
        .any(|p| lower.starts_with(p))
        && !uri.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(uri.trim())
}

/// "31 December 2031".
pub fn long_date(d: Date) -> String {
    format!("{} {} {}", d.day(), month_name(d.month()), d.year())
}

fn month_name(m: Month) -> &'static str {
    match m {
        Month::January => "January",
        Month::February => "February",
        Month::March => "March",
        Month::April => "April",
        Month::May => "May",
        Month::June => "June",
        Month::July => "July",
        Month::August => "August",
        Month::September => "September",
        Month::October => "October",
        Month::November => "November",
        Month::December => "December",
    }
}

/// Whole calendar months from `from` to `to` (0 when `to` is not later).
fn months_between(from: Date, to: Date) -> i32 {
    let mut months = (to.year() - from.year()) * 12 + (to.month() as i32 - from.month() as i32);
    if to.day() < from.day() {
        months -= 1;
    }
    months.max(0)
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "5 years and 1 month left", "20 days left", "ends today".
pub fn time_left(today: Date, end: Date) -> String {
    let days = (end - today).whole_days();
    if days <= 0 {
        return "ends today".to_owned();
    }
    if days < 62 {
        return format!("{} left", plural(days, "day", "days"));
    }
    let months = i64::from(months_between(today, end));
    let (years, months) = (months / 12, months % 12);
    match (years, months) {
        (0, m) => format!("{} left", plural(m, "month", "months")),
        (y, 0) => format!("{} left", plural(y, "year", "years")),
        (y, m) => format!(
            "{} and {} left",
            plural(y, "year", "years"),
            plural(m, "month", "months")
        ),
    }
}

/// The style sheet, served at [`STYLESHEET_PATH`]. Colours meet WCAG AA
/// contrast for their text: white on #0b6b2f (6.7:1) and #b3261e (6.5:1),
/// near-black on #f2b01e (10:1).
pub const STYLESHEET: &str = r#"*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:112.5%;line-height:1.5;color:#1b1b1b;background:#fff}
body{margin:0}
main{max-width:40rem;margin:0 auto;padding:0 0 2rem}
.status{padding:1.25rem 1rem 1.5rem;min-height:9rem}
.status h1{font-size:1.6rem;line-height:1.2;margin:0 0 .5rem}
.status p{margin:.25rem 0;font-size:1.1rem}
.status .big{font-size:1.35rem;font-weight:700}
.valid{background:#0b6b2f;color:#fff}
.ended{background:#f2b01e;color:#1b1b1b}
.danger{background:#b3261e;color:#fff}
.demo{background:#5f6368;color:#fff}
.neutral{background:#1d3557;color:#fff}
section.info{padding:0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
dl{margin:0}
dt{font-weight:700;margin-top:.5rem}
dd{margin:0 0 .25rem}
a{color:#0b4f9e;text-decoration:underline}
.status a{color:inherit}
.action{display:inline-block;margin:.25rem 0;padding:.75rem 1rem;border:2px solid #0b4f9e;border-radius:.4rem;font-weight:700;word-break:break-all}
.note{font-size:.9rem;color:#444}
footer{padding:1rem;font-size:.85rem;color:#444;border-top:1px solid #ccc;margin-top:2rem}
code{word-break:break-all}
"#;

/// Where the style sheet is served.
pub const STYLESHEET_PATH: &str = "/assets/label.css";

/// A whole page: `lang`, viewport, title, the style sheet, and the body.
pub fn page(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 512);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\">\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        esc(title)
    );
    out
}

/// The page for an error response.
pub fn error_page(status: StatusCode, message: &str) -> String {
    let title = status.canonical_reason().unwrap_or("Error");
    page(
        title,
        &format!(
            "<main>\n<section class=\"status danger\">\n<h1>{}</h1>\n<p>{}</p>\n</section>\n\
             <section class=\"info\">\n<p>If you scanned the QR code on a product's box and see this, \
             the link is damaged or is not a security label link. Do not rely on it.</p>\n\
             <p><a href=\"/\">About this service</a></p>\n</section>\n</main>",
            esc(title),
            esc(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn only_safe_links_are_clickable() {
        assert!(safe_href("https://acme.example/security").is_some());
        assert!(safe_href("mailto:security@acme.example").is_some());
        assert!(safe_href("javascript:alert(1)").is_none());
        assert!(safe_href("JaVaScRiPt:alert(1)").is_none());
        assert!(safe_href("data:text/html,x").is_none());
        assert!(safe_href("http://acme.example/").is_none());
        assert!(safe_href("https://a.example/ x").is_none());
    }

    #[test]
    fn time_left_reads_naturally() {
        let today = date!(2026 - 11 - 21);
        assert_eq!(
            time_left(today, date!(2031 - 12 - 31)),
            "5 years and 1 month left"
        );
        assert_eq!(time_left(today, date!(2027 - 11 - 21)), "1 year left");
        assert_eq!(time_left(today, date!(2026 - 12 - 01)), "10 days left");
        assert_eq!(time_left(today, date!(2027 - 03 - 01)), "3 months left");
        assert_eq!(time_left(today, today), "ends today");
        assert_eq!(long_date(date!(2031 - 12 - 31)), "31 December 2031");
    }
}
