//! RFC 9116 checks on a fetched security.txt, on top of the sectxtlib parser.

use iotmark_adapters::device::WebPage;

/// What a valid security.txt told us.
#[derive(Debug, Clone)]
pub struct SecurityTxtSummary {
    pub contacts: Vec<String>,
    pub expires: String,
    pub policy: Vec<String>,
    pub signed: bool,
}

/// Longest time ahead an `Expires` may lie (RFC 9116 §2.5.5 advises less
/// than a year).
const MAX_AHEAD: time::Duration = time::Duration::days(366);

/// Check a fetched security.txt at time `now`. Returns every problem found, or
/// the summary when there are none.
pub fn check(page: &WebPage, now: time::OffsetDateTime) -> Result<SecurityTxtSummary, Vec<String>> {
    let mut problems = Vec::new();
    if page.status != 200 {
        return Err(vec![format!(
            "{} answered HTTP {}, so there is no security.txt",
            page.url, page.status
        )]);
    }
    if page.truncated {
        problems.push("the file is larger than the probe's size limit".to_string());
    }
    match page.content_type.as_deref() {
        Some(ct) if ct.trim().to_ascii_lowercase().starts_with("text/plain") => {}
        other => problems.push(format!(
            "Content-Type is {}, RFC 9116 requires text/plain",
            other.unwrap_or("missing")
        )),
    }
    let chrono_now = chrono::DateTime::from_timestamp(now.unix_timestamp(), 0).unwrap_or_default();
    let options = sectxtlib::SecurityTxtOptions::new().with_now(chrono_now);
    match sectxtlib::SecurityTxt::parse_with(&page.body, &options) {
        Err(e) => problems.push(format!("not a valid RFC 9116 file: {e}")),
        Ok(txt) => {
            let expires = txt.expires.datetime;
            let ahead = expires.timestamp() - now.unix_timestamp();
            if ahead > MAX_AHEAD.whole_seconds() {
                problems.push(format!(
                    "Expires {} is more than a year ahead",
                    expires.to_rfc3339()
                ));
            }
            if problems.is_empty() {
                return Ok(SecurityTxtSummary {
                    contacts: txt
                        .contact
                        .iter()
                        .map(|c| c.uri.as_str().to_string())
                        .collect(),
                    expires: expires.to_rfc3339(),
                    policy: txt
                        .policy
                        .iter()
                        .map(|p| p.uri.as_str().to_string())
                        .collect(),
                    signed: txt.is_signed,
                });
            }
        }
    }
    Err(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str, ct: &str) -> WebPage {
        WebPage {
            requested: "https://x.example/.well-known/security.txt".into(),
            url: "https://x.example/.well-known/security.txt".into(),
            status: 200,
            content_type: Some(ct.into()),
            body: body.into(),
            truncated: false,
            redirects: vec![],
            auth_challenge: false,
        }
    }

    fn now() -> time::OffsetDateTime {
        time::macros::datetime!(2026-11-21 12:00 UTC)
    }

    #[test]
    fn valid_file() {
        let body = "Contact: mailto:security@x.example\nExpires: 2027-05-01T00:00:00Z\nPolicy: https://x.example/policy\n";
        let s = check(&page(body, "text/plain; charset=utf-8"), now()).unwrap();
        assert_eq!(s.contacts, ["mailto:security@x.example"]);
    }

    #[test]
    fn problems_are_named() {
        let expired = "Contact: mailto:a@x.example\nExpires: 2020-01-01T00:00:00Z\n";
        let e = check(&page(expired, "text/plain"), now()).unwrap_err();
        assert!(e[0].contains("past"), "{e:?}");
        let far = "Contact: mailto:a@x.example\nExpires: 2030-01-01T00:00:00Z\n";
        let e = check(&page(far, "text/plain"), now()).unwrap_err();
        assert!(e[0].contains("more than a year"), "{e:?}");
        let twice = "Contact: mailto:a@x.example\nExpires: 2027-01-01T00:00:00Z\nExpires: 2027-02-01T00:00:00Z\n";
        let e = check(&page(twice, "text/plain"), now()).unwrap_err();
        assert!(e[0].contains("once"), "{e:?}");
        let no_contact = "Expires: 2027-01-01T00:00:00Z\n";
        let e = check(&page(no_contact, "text/plain"), now()).unwrap_err();
        assert!(e[0].contains("Contact"), "{e:?}");
        let html = check(
            &page(
                "Contact: mailto:a@x.example\nExpires: 2027-01-01T00:00:00Z\n",
                "text/html",
            ),
            now(),
        )
        .unwrap_err();
        assert!(html[0].contains("text/plain"), "{html:?}");
    }
}
