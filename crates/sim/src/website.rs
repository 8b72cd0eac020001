//! The manufacturer's website: home page, RFC 9116 security.txt, vulnerability
//! disclosure policy, reporting page, and the product's support page, in the
//! flavour the product's catalogue entry asks for.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::catalog::{
    Flaw, ProductSpec, WebsiteFlavour, CAMERA_DELETION_ACTIONS, CAMERA_SETUP_CHECKS,
    CAMERA_SETUP_STEPS, CAMERA_TELEMETRY,
};
use super::page::{escape, html_page};

/// Everything the pages need, computed once at start.
#[derive(Debug, Clone)]
pub struct Site {
    pub spec: &'static ProductSpec,
    /// `Expires:` of security.txt, RFC 3339 UTC.
    pub expires: String,
    /// The support end date in words: `31 December 2031`.
    pub support_end_words: String,
}

impl Site {
    pub fn new(spec: &'static ProductSpec, support_end: time::Date) -> Site {
        let expires_at = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            + time::Duration::days(180);
        let expires = expires_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Site {
            spec,
            expires,
            support_end_words: date_in_words(support_end),
        }
    }

    fn has_security_contact(&self) -> bool {
        self.spec.website != WebsiteFlavour::NoSecurityContact
    }
}

/// `31 December 2031`.
pub fn date_in_words(d: time::Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// The website router.
pub fn router(site: Site) -> Router {
    let mut router = Router::new()
        .route("/", get(home))
        .route("/support/{model}", get(support))
        .route("/support/{model}/sensors", get(sensors))
        .route("/support/{model}/delete-data", get(deletion_instructions))
        .route("/support/{model}/setup", get(setup_guide))
        .route("/support/{model}/setup-check", get(setup_check))
        .route("/privacy", get(privacy))
        .route("/telemetry", get(telemetry));
    if site.has_security_contact() {
        router = router
            .route("/.well-known/security.txt", get(security_txt))
            .route("/security/disclosure-policy", get(disclosure_policy))
            .route("/security/report", get(report_page));
    }
    router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(4 * 1024))
        .with_state(site)
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(html_page(
            "Page not found",
            "<h1>Page not found</h1>\n<p>There is no page at this address. <a href=\"/\">Home</a></p>",
        )),
    )
        .into_response()
}

async fn home(State(site): State<Site>) -> Html<String> {
    let s = site.spec;
    let security = if site.has_security_contact() {
        format!(
            "<h2>Security</h2>\n<p>Found a security problem in one of our products? Please tell us: \
             read our <a href=\"/security/disclosure-policy\">vulnerability disclosure policy</a> \
             or e-mail <a href=\"mailto:security@{dom}\">security@{dom}</a>.</p>\n",
            dom = escape(s.mail_domain())
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{maker}</h1>\n<h2>Products</h2>\n<ul>\n<li><a href=\"{support}\">{model} {kind}</a></li>\n</ul>\n\
         {security}<address>{maker}, {address}</address>",
        maker = escape(s.manufacturer),
        support = escape(&s.support_path()),
        model = escape(s.model),
        kind = escape(&s.product_type.to_lowercase()),
        address = escape(s.manufacturer_address),
    );
    Html(html_page(s.manufacturer, &body))
}

/// RFC 9116 security.txt.
pub fn security_txt_body(site: &Site) -> String {
    let s = site.spec;
    format!(
        "# Security contact for {maker} products and services.\n\
         Contact: mailto:security@{dom}\n\
         Contact: {report}\n\
         Expires: {expires}\n\
         Policy: {policy}\n\
         Preferred-Languages: en\n\
         Canonical: {canonical}\n",
        maker = s.manufacturer,
        dom = s.mail_domain(),
        report = s.website_url("/security/report"),
        expires = site.expires,
        policy = s.website_url("/security/disclosure-policy"),
        canonical = s.website_url("/.well-known/security.txt"),
    )
}

async fn security_txt(State(site): State<Site>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        security_txt_body(&site),
    )
        .into_response()
}

async fn disclosure_policy(State(site): State<Site>) -> Html<String> {
    let s = site.spec;
    let body = format!(
        "<h1>Vulnerability disclosure policy</h1>\n\
         <p>{maker} welcomes reports of security problems in our products and online services \
         from anyone: customers, security researchers and other companies. Reporting is free, \
         you do not need an account, and you do not have to give us your name.</p>\n\
         <h2>How to report a problem</h2>\n\
         <p>E-mail <a href=\"mailto:security@{dom}\">security@{dom}</a> or follow the steps on our \
         <a href=\"/security/report\">reporting page</a>. It helps us if you tell us the product \
         model, the firmware version and how to reproduce the problem.</p>\n\
         <h2>What happens next</h2>\n<ul>\n\
         <li>We will acknowledge your report within 5 working days.</li>\n\
         <li>We will send you status updates at least every 30 days until the issue is resolved.</li>\n\
         <li>We will tell you when a fix is available and, if you wish, thank you by name.</li>\n\
         </ul>\n\
         <h2>Our promise to you</h2>\n\
         <p>We will not take legal action against anyone who reports a problem to us in good faith \
         and gives us a reasonable time to fix it before telling others.</p>\n\
         <p>Post: {maker}, {address}.</p>",
        maker = escape(s.manufacturer),
        dom = escape(s.mail_domain()),
        address = escape(s.manufacturer_address),
    );
    Html(html_page("Vulnerability disclosure policy", &body))
}

async fn report_page(State(site): State<Site>) -> Html<String> {
    let s = site.spec;
    let body = format!(
        "<h1>Report a security problem</h1>\n\
         <p>Send your report to <a href=\"mailto:security@{dom}\">security@{dom}</a>. \
         Please include the product model, its firmware version, what you found and how to \
         reproduce it. Our <a href=\"/security/disclosure-policy\">disclosure policy</a> says \
         when you will hear from us.</p>",
        dom = escape(s.mail_domain()),
    );
    Html(html_page("Report a security problem", &body))
}

async fn support(State(site): State<Site>, Path(model): Path<String>) -> Response {
    let s = site.spec;
    if !model.eq_ignore_ascii_case(s.model_slug) {
        return not_found().await;
    }
    let period = match s.website {
        WebsiteFlavour::VagueSupportPeriod => format!(
            "<p>The {model} receives security updates for at least two years from purchase.</p>",
            model = escape(s.model),
        ),
        WebsiteFlavour::Complete | WebsiteFlavour::NoSecurityContact => format!(
            "<p>Security updates for {model} are guaranteed until {end}.</p>\n\
             <p>Until then we fix security problems free of charge and deliver the fixes \
             automatically over the internet. After that date the {model} will receive no \
             further security updates.</p>",
            model = escape(s.model),
            end = escape(&site.support_end_words),
        ),
    };
    let body = format!(
        "<h1>{model} support</h1>\n\
         <p>Product: {maker} {model}, {kind}. Latest firmware: {firmware}.</p>\n\
         <h2>Security updates</h2>\n{period}",
        model = escape(s.model),
        maker = escape(s.manufacturer),
        kind = escape(&s.product_type.to_lowercase()),
        firmware = escape(s.firmware),
    );
    Html(html_page(&format!("{} support", s.model), &body)).into_response()
}

/// What the product senses. The flawed doorbell leaves out its microphone.
async fn sensors(State(site): State<Site>, Path(model): Path<String>) -> Response {
    let s = site.spec;
    if !model.eq_ignore_ascii_case(s.model_slug) {
        return not_found().await;
    }
    let items: String = s
        .sensors
        .iter()
        .filter(|(name, _)| !(s.has(Flaw::UndocumentedSensors) && *name == "microphone"))
        .map(|(name, what)| {
            format!(
                "<li><strong>{}</strong>: {}</li>\n",
                escape(name),
                escape(what)
            )
        })
        .collect();
    let body = format!(
        "<h1>What the {model} can sense</h1>\n<ul>\n{items}</ul>",
        model = escape(s.model),
    );
    Html(html_page(&format!("{} sensors", s.model), &body)).into_response()
}

/// The privacy notice: for each kind of personal data, why and by whom it is
/// processed. The flawed doorbell's notice only lists the data.
async fn privacy(State(site): State<Site>) -> Html<String> {
    let s = site.spec;
    let items: String = s
        .personal_data
        .iter()
        .map(|(data, purpose, processor)| {
            if s.has(Flaw::UndocumentedSensors) {
                format!("<li>{}</li>\n", escape(data))
            } else {
                format!(
                    "<li><strong>{}</strong>: processed by {} for {}.</li>\n",
                    escape(data),
                    escape(processor),
                    escape(purpose)
                )
            }
        })
        .collect();
    let body = format!(
        "<h1>Privacy notice</h1>\n<p>This notice covers the {model} and the services that \
         come with it. {maker} is the controller of your personal data.</p>\n\
         <h2>What we process</h2>\n<ul>\n{items}</ul>\n\
         <p>Write to {maker}, {address}, to use your rights.</p>",
        model = escape(s.model),
        maker = escape(s.manufacturer),
        address = escape(s.manufacturer_address),
    );
    Html(html_page("Privacy notice", &body))
}

/// The items of a guidance page: all of them, or all but the last for the
/// product whose guidance is thin.
fn guidance<T>(s: &ProductSpec, items: &'static [T]) -> &'static [T] {
    if s.has(Flaw::ThinGuidance) {
        &items[..items.len().saturating_sub(1)]
    } else {
        items
    }
}

/// How to delete personal data, one declared action at a time.
async fn deletion_instructions(State(site): State<Site>, Path(model): Path<String>) -> Response {
    let s = site.spec;
    if !model.eq_ignore_ascii_case(s.model_slug) {
        return not_found().await;
    }
    let items: String = guidance(s, CAMERA_DELETION_ACTIONS)
        .iter()
        .map(|(action, what)| {
            format!(
                "<li>Choose <strong>{}</strong>: it {}. You see a confirmation when it is done.</li>\n",
                escape(action),
                escape(what)
            )
        })
        .collect();
    let body = format!(
        "<h1>Deleting your data from the {model}</h1>\n<ol>\n{items}</ol>",
        model = escape(s.model),
    );
    Html(html_page(&format!("{} data deletion", s.model), &body)).into_response()
}

async fn setup_guide(State(site): State<Site>, Path(model): Path<String>) -> Response {
    let s = site.spec;
    if !model.eq_ignore_ascii_case(s.model_slug) {
        return not_found().await;
    }
    let items: String = guidance(s, CAMERA_SETUP_STEPS)
        .iter()
        .map(|step| format!("<li>{}</li>\n", escape(step)))
        .collect();
    let body = format!(
        "<h1>Setting up the {model} securely</h1>\n<p>In the app, during set-up:</p>\n<ol>\n{items}</ol>",
        model = escape(s.model),
    );
    Html(html_page(&format!("{} secure set-up", s.model), &body)).into_response()
}

async fn setup_check(State(site): State<Site>, Path(model): Path<String>) -> Response {
    let s = site.spec;
    if !model.eq_ignore_ascii_case(s.model_slug) {
        return not_found().await;
    }
    let items: String = guidance(s, CAMERA_SETUP_CHECKS)
        .iter()
        .map(|(name, path, field, secure)| {
            format!(
                "<li><strong>{}</strong>: the camera shows it at {} as {}; it should read {}.</li>\n",
                escape(name),
                escape(path),
                escape(field),
                escape(secure)
            )
        })
        .collect();
    let body = format!(
        "<h1>Checking that your {model} is set up securely</h1>\n<ul>\n{items}</ul>",
        model = escape(s.model),
    );
    Html(html_page(&format!("{} set-up check", s.model), &body)).into_response()
}

/// The telemetry information. The thin page lists the data only.
async fn telemetry(State(site): State<Site>) -> Html<String> {
    let s = site.spec;
    let items: String = CAMERA_TELEMETRY
        .iter()
        .map(|(data, purpose, processor)| {
            if s.has(Flaw::ThinGuidance) {
                format!("<li>{}</li>\n", escape(data))
            } else {
                format!(
                    "<li><strong>{}</strong>: processed by {} for {}.</li>\n",
                    escape(data),
                    escape(processor),
                    escape(purpose)
                )
            }
        })
        .collect();
    let body = format!(
        "<h1>Telemetry</h1>\n<p>With your consent the {model} sends:</p>\n<ul>\n{items}</ul>",
        model = escape(s.model),
    );
    Html(html_page("Telemetry", &body))
}
