//! Reading published pages as a person would: visible text, dates, and
//! promises about response times.

use std::sync::OnceLock;

use regex::Regex;

/// The visible text of an HTML page (scripts and styles dropped), or the text
/// itself when it is not HTML.
pub fn visible_text(body: &str, content_type: Option<&str>) -> String {
    let is_html =
        content_type.is_some_and(|c| c.contains("html")) || body.trim_start().starts_with('<');
    if !is_html {
        return body.to_string();
    }
    let doc = scraper::Html::parse_document(body);
    let mut out = String::new();
    for node in doc.root_element().descendants() {
        if let Some(text) = node.value().as_text() {
            let hidden = node.ancestors().any(|a| {
                a.value().as_element().is_some_and(|e| {
                    matches!(e.name(), "script" | "style" | "template" | "noscript")
                })
            });
            if !hidden {
                out.push_str(text);
                out.push(' ');
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Does the HTML contain a password field (a login wall)?
pub fn has_password_field(body: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"(?i)<input[^>]*type\s*=\s*["']?password"#).ok())
        .as_ref()
        .is_some_and(|re| re.is_match(body))
}

fn month_number(name: &str) -> Option<u8> {
    let n = name.to_ascii_lowercase();
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    months
        .iter()
        .position(|m| n.starts_with(m))
        .and_then(|i| u8::try_from(i + 1).ok())
}

fn date(y: &str, m: u8, d: &str) -> Option<time::Date> {
    let month = time::Month::try_from(m).ok()?;
    time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

const MONTHS: &str = "(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)";

struct DatePatterns {
    iso: Regex,
    day_month_year: Regex,
    month_day_year: Regex,
    numeric_dmy: Regex,
    month_year: Regex,
}

fn patterns() -> Option<&'static DatePatterns> {
    static P: OnceLock<Option<DatePatterns>> = OnceLock::new();
    P.get_or_init(|| {
        Some(DatePatterns {
            iso: Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})\b").ok()?,
            day_month_year: Regex::new(&format!(
                r"(?i)\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+{MONTHS}\.?,?\s+(\d{{4}})\b"
            ))
            .ok()?,
            month_day_year: Regex::new(&format!(
                r"(?i)\b{MONTHS}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b"
            ))
            .ok()?,
            numeric_dmy: Regex::new(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b").ok()?,
            month_year: Regex::new(&format!(r"(?i)\b{MONTHS}\s+(\d{{4}})\b")).ok()?,
        })
    })
    .as_ref()
}

/// A calendar date found in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundDate {
    pub date: time::Date,
    /// Only a month and year were given; `date` is that month's last day.
    pub month_only: bool,
}

/// Every calendar date stated in the text, in order of appearance, without
/// repeats. Numeric `dd/mm/yyyy` is read day first, as a UK reader would.
pub fn dates_in(text: &str) -> Vec<FoundDate> {
    let Some(p) = patterns() else {
        return Vec::new();
    };
    let mut found: Vec<(usize, usize, FoundDate)> = Vec::new();
    // Each full-date pattern with the capture groups of its year, month and
    // day, and whether the month is a number or a name.
    let full = [
        (&p.iso, [1, 2, 3], false),
        (&p.day_month_year, [3, 2, 1], true),
        (&p.month_day_year, [3, 1, 2], true),
        (&p.numeric_dmy, [3, 2, 1], false),
    ];
    for (re, [yi, mi, di], named_month) in full {
        for c in re.captures_iter(text) {
            let (Some(all), Some(y), Some(m), Some(d)) =
                (c.get(0), c.get(yi), c.get(mi), c.get(di))
            else {
                continue;
            };
            let month = if named_month {
                month_number(m.as_str())
            } else {
                m.as_str().parse().ok()
            };
            if let Some(date) = month.and_then(|m| date(y.as_str(), m, d.as_str())) {
                found.push((
                    all.start(),
                    all.end(),
                    FoundDate {
                        date,
                        month_only: false,
                    },
                ));
            }
        }
    }
    for c in p.month_year.captures_iter(text) {
        let (Some(all), Some(m), Some(y)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if found
            .iter()
            .any(|(s, e, _)| all.start() < *e && *s < all.end())
        {
            continue;
        }
        // "31 February 2030" is no date at all, not "February 2030".
        let before = text[..all.start()].trim_end().trim_end_matches(" of");
        let before = before.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        if before.ends_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let last_day = month_number(m.as_str()).and_then(|m| {
            let month = time::Month::try_from(m).ok()?;
            let year: i32 = y.as_str().parse().ok()?;
            time::Date::from_calendar_date(year, month, month.length(year)).ok()
        });
        if let Some(date) = last_day {
            found.push((
                all.start(),
                all.end(),
                FoundDate {
                    date,
                    month_only: true,
                },
            ));
        }
    }
    found.sort_by_key(|(pos, _, _)| *pos);
    let mut out: Vec<FoundDate> = Vec::new();
    for (_, _, d) in found {
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// The sentences of a text (split at sentence ends and line breaks).
pub fn sentences(text: &str) -> Vec<&str> {
    text.split(['.', '!', '?', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn timing_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?ix)
            \b(within|in|no\ later\ than|under|after|every|each)\s+
              (\d+|one|two|three|four|five|six|seven|ten|fourteen|fifteen|thirty|ninety)\s+
              (working\ |business\ |calendar\ )?(hours?|days?|weeks?|months?)\b
            | \b\d+\s*(working\ |business\ )?(hours?|days?|weeks?)\b
            | \bpromptly\b | \bas\ soon\ as\ (possible|practicable)\b | \bwithout\ (undue\ )?delay\b
            | \bimmediately\b | \bsame\ day\b | \bnext\ (working|business)\ day\b
            | \b(regular(ly)?|periodic(ally)?|weekly|fortnightly|monthly)\b
            | \buntil\ (the\ )?(issue|vulnerability|problem|report)\ (is|has\ been)\ (resolved|fixed|closed)\b",
        )
        .ok()
    })
    .as_ref()
}

fn first_sentence_with(text: &str, topic: &Regex) -> Option<String> {
    let timing = timing_re()?;
    sentences(text)
        .into_iter()
        .find(|s| topic.is_match(s) && timing.is_match(s))
        .map(|s| s.chars().take(300).collect())
}

/// The sentence that says when a reporter gets an acknowledgement, if any.
/// Qualitative timelines ("promptly") count, as TS 103 701 allows.
pub fn acknowledgement_promise(text: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let topic = RE
        .get_or_init(|| {
            Regex::new(
                r"(?i)acknowledg|confirm(ation of)? (the )?receipt|receipt of (your|the|a) report",
            )
            .ok()
        })
        .as_ref()?;
    first_sentence_with(text, topic)
}

/// The sentence that says when a reporter gets status updates, if any.
pub fn status_update_promise(text: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let topic = RE
        .get_or_init(|| {
            Regex::new(
                r"(?i)status update|progress|updates? on|keep (you|the reporter|reporters) (informed|updated|up to date)|inform (you|the reporter)",
            )
            .ok()
        })
        .as_ref()?;
    first_sentence_with(text, topic)
}

/// A way to contact the manufacturer: an e-mail address, a mailto link, or a
/// link to a reporting form or contact page.
pub fn contact_in(body: &str, text: &str) -> Option<String> {
    static RE: OnceLock<Option<(Regex, Regex)>> = OnceLock::new();
    let (email, link) = RE
        .get_or_init(|| {
            Some((
                Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").ok()?,
                Regex::new(r#"(?i)href\s*=\s*["']?((mailto:|https://)[^"'\s>]*(report|contact|security|disclos|mailto)[^"'\s>]*)"#)
                    .ok()?,
            ))
        })
        .as_ref()?;
    if let Some(m) = email.find(text) {
        return Some(m.as_str().to_string());
    }
    link.captures(body)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
}

/// A phrase about the support period, to quote when no date is given.
pub fn support_phrase(text: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| Regex::new(r"(?i)(support|update|patch)").ok())
        .as_ref()?;
    let period = Regex::new(r"(?i)\b(years?|months?|weeks?|lifetime|forever)\b").ok()?;
    let all = sentences(text);
    // A sentence about updates that names a duration says most; else any
    // sentence about support or updates.
    all.iter()
        .find(|s| re.is_match(s) && period.is_match(s))
        .or_else(|| all.iter().find(|s| re.is_match(s)))
        .map(|s| s.chars().take(200).collect())
}

/// Does `text` name `term` as a whole word, ignoring case? A letter or
/// digit next to the match joins it to a longer word, and so does a dot
/// with a letter or digit beyond it: `2.4.1` is not named in `2.4.10` or
/// `12.4.1`, nor `GC-200` in `GC-2000` or `XGC-200`, while a full stop
/// ending a sentence after it does not matter.
pub fn names_whole(text: &str, term: &str) -> bool {
    let hay = text.to_lowercase();
    let needle = term.to_lowercase();
    if needle.trim().is_empty() {
        return false;
    }
    hay.match_indices(&needle)
        .any(|(at, _)| !joins(hay[..at].chars().rev()) && !joins(hay[at + needle.len()..].chars()))
}

/// Do the characters beside a match (nearest first) join it to a longer word?
fn joins(mut side: impl Iterator<Item = char>) -> bool {
    match side.next() {
        Some(c) if c.is_alphanumeric() => true,
        Some('.') => side.next().is_some_and(char::is_alphanumeric),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> time::Date {
        time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), day).unwrap()
    }

    #[test]
    fn finds_dates_in_common_forms() {
        let t = "Updates until 31 December 2031. Also December 30, 2030 and 2029-01-15 or 01/02/2028 and 3rd of March 2027.";
        let got: Vec<time::Date> = dates_in(t).into_iter().map(|f| f.date).collect();
        assert_eq!(
            got,
            [
                d(2031, 12, 31),
                d(2030, 12, 30),
                d(2029, 1, 15),
                d(2028, 2, 1),
                d(2027, 3, 3)
            ]
        );
    }

    #[test]
    fn month_year_is_last_day_and_flagged() {
        let f = dates_in("Supported until June 2030.");
        assert_eq!(
            f,
            [FoundDate {
                date: d(2030, 6, 30),
                month_only: true
            }]
        );
    }

    #[test]
    fn durations_are_not_dates() {
        assert!(
            dates_in("receives security updates for at least two years from purchase").is_empty()
        );
        assert!(dates_in("31 February 2030 is not a day").is_empty());
    }

    #[test]
    fn promises() {
        let t = "We acknowledge every report within 5 working days. You will receive status updates at least every 30 days until the issue is resolved.";
        assert!(acknowledgement_promise(t).is_some());
        assert!(status_update_promise(t).is_some());
        let vague = "We take security seriously. Please tell us about problems.";
        assert!(acknowledgement_promise(vague).is_none());
        assert!(status_update_promise(vague).is_none());
        assert!(acknowledgement_promise("We will acknowledge your report promptly.").is_some());
    }

    #[test]
    fn html_text_and_walls() {
        let html = "<html><head><style>p{}</style><script>var x='31 December 2099';</script></head><body><p>Until <b>1 May 2030</b></p></body></html>";
        let t = visible_text(html, Some("text/html"));
        assert_eq!(t, "Until 1 May 2030");
        assert!(has_password_field(
            "<form><input name=p type='password'></form>"
        ));
        assert!(!has_password_field("<form><input name=q type=text></form>"));
    }

    #[test]
    fn whole_words_and_versions() {
        assert!(names_whole("GC-200 administration", "GC-200"));
        assert!(names_whole("the gc-200.", "GC-200"));
        assert!(!names_whole("GC-2000 administration", "GC-200"));
        assert!(!names_whole("XGC-200", "GC-200"));
        assert!(names_whole("firmware 2.4.1", "2.4.1"));
        assert!(names_whole("runs 2.4.1.", "2.4.1"));
        assert!(!names_whole("version 12.4.10", "2.4.1"));
        assert!(!names_whole("1.2.4.1", "2.4.1"));
        assert!(!names_whole("v2.4.1", "2.4.1"));
        assert!(names_whole("the camera and microphone", "Microphone"));
        assert!(!names_whole("microphones", "microphone"));
        assert!(!names_whole("anything", "  "));
        assert!(names_whole("İstanbul GC-200", "gc-200"));
    }
}
