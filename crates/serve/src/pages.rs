//! The pages people read: the label page behind the QR code, and this
//! service's own home, disclosure policy, support period and security.txt.
//!
//! The label page answers two questions first, in the coloured banner at the
//! top: can I rely on this label, and until when does the product get
//! security updates. How to report a problem comes next, then the product,
//! who tested it, against what and when.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{header, HeaderValue, Uri};
use axum::response::{Html, IntoResponse, Response};
use iotmark_labels::{LabelStatus, Verification};

use super::cache::{respond, Kind};
use super::error::PageError;
use super::html::{esc, long_date, page, safe_href, time_left, STYLESHEET};
use super::state::AppState;
use super::verifier::{digits_segment, LabelRef};

/// `GET /l/{digits}` (and `/L/{digits}`, as the upper-case QR URL arrives).
pub async fn label_page(State(state): State<AppState>, uri: Uri) -> Result<Response, PageError> {
    let label = LabelRef::digits(digits_segment(&uri))?;
    Ok(page_for(&state, &label))
}

/// `GET /01/{gtin}?L={digits}`, with any GS1 qualifiers after the GTIN: the
/// GS1 Digital Link form `issue --digital-link` puts in the QR code. The
/// label is genuine here only if it is signed for the GTIN the link names.
pub async fn digital_link_page(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Response, PageError> {
    let label = LabelRef::digital_link(&uri)?;
    Ok(page_for(&state, &label))
}

fn page_for(state: &AppState, label: &LabelRef<'_>) -> Response {
    let today = state.today();
    respond(state, Kind::Page, label, today, |v| {
        render_label(v, today, state).into_bytes()
    })
}

/// Human names of the schemes a label may claim.
fn scheme_name(s: &str) -> String {
    match s {
        "uk-psti" => "UK product security law (PSTI Act 2022) security requirements".to_owned(),
        "en303645" => "ETSI EN 303 645 consumer IoT security (mandatory provisions)".to_owned(),
        "en303645-full" => {
            "ETSI EN 303 645 consumer IoT security (all provisions, recommended included)"
                .to_owned()
        }
        other => other.to_owned(),
    }
}

fn banner(v: &Verification, today: time::Date) -> (String, &'static str, String) {
    let Some(c) = &v.claims else {
        return (
            "Do not rely on this label".to_owned(),
            "danger",
            "<p class=\"big\">This label could not be verified.</p>\n\
             <p>It may be forged, damaged or from an unknown test lab. Treat the product as having no security label.</p>"
                .to_owned(),
        );
    };
    match v.status {
        // Never green: a demonstration label was issued from a simulated
        // product, and says so in what the lab signed.
        LabelStatus::Valid | LabelStatus::SupportEnded if c.simulated => (
            "Demonstration label — not a tested product".to_owned(),
            "demo",
            "<p class=\"big\">This label was made in a demonstration.</p>\n<p>It is genuine, but the lab issued it for a simulated product: no real product was tested. Treat the product as having no security label.</p>"
                .to_owned(),
        ),
        // Genuine, but nobody could say whether it was withdrawn since:
        // never green, and not red either.
        LabelStatus::Unverifiable => (
            "Could not check whether this label was withdrawn".to_owned(),
            "ended",
            format!(
                "<p class=\"big\">The label is genuine, but this service could not check whether it was withdrawn.</p>\n<p>The test lab's list of withdrawn labels is out of date. Security updates are promised until {}; check again later before relying on it.</p>",
                long_date(c.support_end)
            ),
        ),
        LabelStatus::NotYetValid => (
            "Do not rely on this label".to_owned(),
            "danger",
            format!(
                "<p class=\"big\">This label was not yet issued on this date.</p>\n<p>It was issued on {}.</p>",
                long_date(c.issued)
            ),
        ),
        LabelStatus::Valid => (
            format!("Security updates until {}", long_date(c.support_end)),
            "valid",
            format!(
                "<p class=\"big\">{}.</p>\n<p>Genuine security label: this product passed independent security testing.</p>",
                esc(&capitalise(&time_left(today, c.support_end)))
            ),
        ),
        LabelStatus::SupportEnded => (
            "Security updates have ended".to_owned(),
            "ended",
            format!(
                "<p class=\"big\">Security updates ended on {}.</p>\n<p>The label is genuine, but the manufacturer no longer promises to fix security problems in this product.</p>",
                long_date(c.support_end)
            ),
        ),
        LabelStatus::Revoked => (
            "Do not rely on this label".to_owned(),
            "danger",
            "<p class=\"big\">This label has been withdrawn.</p>\n<p>The test lab that issued it has revoked it. The product may no longer meet the security requirements it was tested against.</p>"
                .to_owned(),
        ),
        _ => (
            "Do not rely on this label".to_owned(),
            "danger",
            "<p class=\"big\">This label could not be verified.</p>\n<p>It is signed, but it did not pass every check. Treat the product as having no valid security label.</p>"
                .to_owned(),
        ),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The whole label page.
pub fn render_label(v: &Verification, today: time::Date, state: &AppState) -> String {
    let (headline, class, lead) = banner(v, today);
    let mut body = String::with_capacity(4096);
    let _ = write!(
        body,
        "<main>\n<section class=\"status {class}\" role=\"status\" aria-live=\"polite\">\n<h1>{}</h1>\n{lead}\n</section>\n",
        esc(&headline)
    );
    // Only a label whose signature verified says anything about a product;
    // a forged one must not get to show a contact address or a product name.
    if let (Some(c), Some(issuer)) = (&v.claims, &v.issuer) {
        if v.status != LabelStatus::Invalid {
            body.push_str("<section class=\"info\">\n<h2>Report a security problem</h2>\n");
            match safe_href(&c.disclosure_contact) {
                Some(href) => {
                    let _ = write!(
                        body,
                        "<p>Found a security problem with this product? Tell the manufacturer:</p>\n<p><a class=\"action\" href=\"{}\">{}</a></p>\n",
                        esc(href),
                        esc(contact_text(&c.disclosure_contact))
                    );
                }
                None => {
                    let _ = writeln!(
                        body,
                        "<p>Found a security problem with this product? Tell the manufacturer: <code>{}</code></p>",
                        esc(&c.disclosure_contact)
                    );
                }
            }
            let _ = write!(
                body,
                "<h2>The product</h2>\n<dl>\n<dt>Product</dt><dd>{} {}</dd>\n<dt>Manufacturer</dt><dd>{}</dd>\n<dt>Software version tested</dt><dd>{}</dd>\n",
                esc(&c.manufacturer),
                esc(&c.model),
                esc(&c.manufacturer),
                esc(&c.firmware)
            );
            if let Some(gtin) = &c.gtin {
                let _ = writeln!(body, "<dt>Barcode (GTIN)</dt><dd>{}</dd>", esc(gtin));
            }
            let _ = write!(
                body,
                "<dt>Security updates until</dt><dd>{}</dd>\n</dl>\n",
                long_date(c.support_end)
            );
            let schemes: Vec<String> = c
                .schemes
                .iter()
                .map(|s| format!("<li>{}</li>", esc(&scheme_name(s))))
                .collect();
            let _ = write!(
                body,
                "<h2>Who tested it</h2>\n<dl>\n<dt>Test lab</dt><dd>{}</dd>\n<dt>Tested against</dt><dd><ul>{}</ul></dd>\n<dt>Label issued</dt><dd>{}</dd>\n<dt>Label number</dt><dd>{}</dd>\n</dl>\n</section>\n",
                esc(&issuer.lab),
                schemes.join(""),
                long_date(c.issued),
                c.serial
            );
        }
    }
    let _ = write!(
        body,
        "<section class=\"info\">\n<h2>Details</h2>\n<p class=\"note\">{}</p>\n<p class=\"note\">{}</p>\n</section>\n</main>\n",
        esc(&v.reason),
        esc(&v.revocation.describe())
    );
    let when = match state.fixed_today {
        Some(d) => format!("as of {} (a fixed date set for this service)", long_date(d)),
        None => format!("on {}", long_date(today)),
    };
    let _ = write!(
        body,
        "<footer>\n<p>Checked {when} against the certificate of {}. <a href=\"/\">About this service</a></p>\n</footer>",
        esc(&state.authority)
    );
    let title = match &v.claims {
        Some(c) if v.status != LabelStatus::Invalid => {
            format!("{headline} – {} {}", c.manufacturer, c.model)
        }
        _ => headline.clone(),
    };
    page(&title, &body)
}

fn contact_text(contact: &str) -> &str {
    let trimmed = contact.trim();
    match trimmed.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => trimmed.get(7..).unwrap_or(trimmed),
        _ => trimmed,
    }
}

/// `GET /assets/label.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// `GET /`.
pub async fn home(State(state): State<AppState>) -> Html<String> {
    Html(page(
        "Security label verification",
        &format!(
            "<main>\n<section class=\"status neutral\">\n<h1>Security label verification</h1>\n\
             <p>Scan the QR code of a product's security label with your phone's camera to see whether \
             the product still gets security updates and how to report a security problem.</p>\n</section>\n\
             <section class=\"info\">\n<h2>For regulators and retailers</h2>\n\
             <p>A JSON API verifies labels one at a time (<code>GET /api/v1/verify/DIGITS</code>) or in bulk \
             (<code>POST /api/v1/verify/batch</code>). Labels are checked against the certificate of {}.</p>\n\
             <h2>About this service</h2>\n<ul>\n<li><a href=\"/security/disclosure-policy\">How to report a security problem with this service</a></li>\n\
             <li><a href=\"/support\">How long this service gets security updates</a></li>\n</ul>\n</section>\n</main>",
            esc(&state.authority)
        ),
    ))
}

/// `GET /security/disclosure-policy`: this service's own policy.
pub async fn disclosure_policy(State(state): State<AppState>) -> Html<String> {
    let link = match safe_href(&state.contact) {
        Some(href) => format!(
            "<a href=\"{}\">{}</a>",
            esc(href),
            esc(contact_text(&state.contact))
        ),
        None => format!("<code>{}</code>", esc(&state.contact)),
    };
    Html(page(
        "Vulnerability disclosure policy",
        &format!(
            "<main>\n<section class=\"status neutral\">\n<h1>Vulnerability disclosure policy</h1>\n</section>\n\
             <section class=\"info\">\n<p>If you find a security problem in this label verification service, \
             please report it to {link}. You do not need an account, and reporting is free.</p>\n\
             <h2>What happens next</h2>\n<p>We acknowledge every report within 5 working days.</p>\n\
             <p>We keep you informed: you receive a status update at least every 30 days until the issue is resolved.</p>\n\
             <p>We will not take legal action against anyone who reports in good faith.</p>\n</section>\n</main>"
        ),
    ))
}

/// `GET /support`: this service's own support period.
pub async fn support_period(State(state): State<AppState>) -> Html<String> {
    Html(page(
        "Support period",
        &format!(
            "<main>\n<section class=\"status neutral\">\n<h1>Support period</h1>\n</section>\n\
             <section class=\"info\">\n<p>This label verification service receives security updates until {} ({}).</p>\n\
             <p>Security updates for this service will be provided until at least {}.</p>\n</section>\n</main>",
            long_date(state.support_end),
            state.support_end,
            state.support_end
        ),
    ))
}

/// `GET /.well-known/security.txt` (RFC 9116): expires 180 days from now.
pub async fn security_txt(State(state): State<AppState>) -> Response {
    let expires = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        + time::Duration::days(180);
    let expires = expires
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let contact = state.contact.replace(['\r', '\n'], "");
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        format!("Contact: {contact}\nExpires: {expires}\nPreferred-Languages: en\n"),
    )
        .into_response()
}
