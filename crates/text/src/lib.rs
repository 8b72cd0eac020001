//! Text primitives every layer shares, written once, below all their users:
//! escaping for HTML and XML, the `YYYY-MM-DD` date form, and RFC 3339 times.
//!
//! ```
//! assert_eq!(iotmark_text::escape_html("<a href='x'>"), "&lt;a href=&#39;x&#39;&gt;");
//! let day = iotmark_text::parse_date("2031-12-31").unwrap();
//! assert_eq!(iotmark_text::format_date(day), "2031-12-31");
//! assert!(iotmark_text::parse_date("2031-02-30").is_none());
//! ```

use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::{Date, OffsetDateTime};

/// Escapes text for HTML element content and attribute values. Control
/// characters other than tab and newline say nothing to a reader and can
/// confuse one (or a terminal it is pasted into): they become U+FFFD.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for XML 1.0 attribute values and content. Characters XML 1.0
/// forbids (most C0 controls, U+FFFE, U+FFFF) become U+FFFD, so the document
/// stays well-formed whatever a device sent.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The `YYYY-MM-DD` form every date in a profile, a report, a label, a
/// command line and an API query takes.
pub const ISO_DATE: &[BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// A `YYYY-MM-DD` date; `None` for anything else, including days that do not
/// exist (`2026-02-30`).
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, ISO_DATE).ok()
}

/// A date as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A time as RFC 3339 text (as `Display` would show it, should formatting
/// fail, which it does not for times after year 0).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_replaces_controls() {
        assert_eq!(
            escape_html("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(escape_html("a\u{1b}[2Jb\tc\nd"), "a\u{fffd}[2Jb\tc\nd");
    }

    #[test]
    fn xml_drops_what_xml_forbids() {
        assert_eq!(escape_xml("a\u{0}b'c\r"), "a\u{fffd}b&apos;c\r");
        assert_eq!(escape_xml("\u{ffff}"), "\u{fffd}");
    }

    #[test]
    fn dates_round_trip_and_impossible_days_are_refused() {
        let d = parse_date("2029-12-31").expect("a real day");
        assert_eq!(format_date(d), "2029-12-31");
        assert_eq!(parse_date("2029-02-30"), None);
        assert_eq!(parse_date("12/31/2029"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn rfc3339_is_utc_with_z() {
        let t = OffsetDateTime::from_unix_timestamp(0).expect("epoch");
        assert_eq!(rfc3339(t), "1970-01-01T00:00:00Z");
    }
}
