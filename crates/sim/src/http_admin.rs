//! The device's own administration interface: a JSON API behind HTTP basic
//! auth and web pages behind a form login, sharing one account, one failure
//! counter and one lockout (see [`UnitState`]).
//!
//! | route | what |
//! |---|---|
//! | `GET /api/status` | basic auth; 200 JSON with model, firmware, serial |
//! | `POST /api/password` | basic auth; form `new_password`; 204 when changed |
//! | `GET /login`, `POST /login` | form login; 303 to `/dashboard` with a session cookie |
//! | `GET /dashboard` | needs the session cookie, else 303 to `/login` |
//! | `POST /logout` | ends the session |

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use serde::Deserialize;

use super::catalog::{Flaw, ProductSpec};
use super::page::{escape, html_page};
use super::state::{session_token, LoginVerdict, PasswordChangeError, UnitState};

/// Largest request body the admin interface reads.
const MAX_BODY: usize = 8 * 1024;

#[derive(Clone)]
pub(super) struct Admin {
    pub(super) spec: &'static ProductSpec,
    pub(super) serial: &'static str,
    pub(super) unit: Arc<UnitState>,
    /// Cookies carry `Secure` only when the interface is HTTPS.
    https: bool,
}

impl Admin {
    /// Judge a login attempt, with or without the lockout.
    fn attempt(&self, user: &str, pass: &str) -> LoginVerdict {
        if self.spec.has(Flaw::NoLockout) {
            self.unit.attempt_unlimited(user, pass)
        } else {
            self.unit.attempt(user, pass)
        }
    }
}

/// The admin router for one unit.
pub fn router(
    spec: &'static ProductSpec,
    serial: &'static str,
    unit: Arc<UnitState>,
    https: bool,
) -> Router {
    let admin = Admin {
        spec,
        serial,
        unit,
        https,
    };
    Router::new()
        .route("/", get(root))
        .merge(super::device_api::routes())
        .route("/api/status", get(status))
        .route("/api/password", post(change_password))
        .route("/login", get(login_page).post(login_submit))
        .route("/dashboard", get(dashboard))
        .route("/logout", post(logout))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            admin.clone(),
            super::device_api::health,
        ))
        .with_state(admin)
}

async fn root() -> Response {
    see_other("/login")
}

fn see_other(location: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(html_page("Not found", "<p>Not found.</p>")),
    )
        .into_response()
}

/// `user:password` from an `Authorization: Basic` header, if well formed.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

fn retry_after(wait: Duration) -> HeaderValue {
    HeaderValue::from(wait.as_secs().max(1))
}

pub(super) fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// Run basic auth against the unit: `None` when the caller is authorised,
/// otherwise the response to send instead (401 challenge or 429).
pub(super) fn basic_auth_refusal(admin: &Admin, headers: &HeaderMap) -> Option<Response> {
    let challenge = || {
        let realm = format!("Basic realm=\"{}\"", admin.spec.model);
        let mut resp = json_error(StatusCode::UNAUTHORIZED, "authentication required");
        if let Ok(v) = HeaderValue::from_str(&realm) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    };
    let Some((user, pass)) = basic_credentials(headers) else {
        return Some(challenge());
    };
    match admin.attempt(&user, &pass) {
        LoginVerdict::Accepted => None,
        LoginVerdict::Rejected => Some(challenge()),
        LoginVerdict::LockedOut { retry_after: wait } => {
            let mut resp = json_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too many failed attempts; try again later",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, retry_after(wait));
            Some(resp)
        }
    }
}

async fn status(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if let Some(resp) = basic_auth_refusal(&admin, &headers) {
        return resp;
    }
    Json(serde_json::json!({
        "manufacturer": admin.spec.manufacturer,
        "model": admin.spec.model,
        "firmware": admin.unit.firmware(),
        "serial": admin.serial,
    }))
    .into_response()
}

#[derive(Deserialize)]
struct NewPassword {
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(admin): State<Admin>,
    headers: HeaderMap,
    form: Result<Form<NewPassword>, FormRejection>,
) -> Response {
    if let Some(resp) = basic_auth_refusal(&admin, &headers) {
        return resp;
    }
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            return json_error(rejection.status(), "expected a form field new_password")
        }
    };
    let outcome = if admin.spec.has(Flaw::PasswordChangeIgnored) {
        admin.unit.check_new_password(&form.new_password)
    } else {
        admin.unit.change_password(&form.new_password)
    };
    match outcome {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(PasswordChangeError::TooShort) => json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the new password must have at least 8 characters",
        ),
        Err(PasswordChangeError::TooLong) => json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the new password must have at most 64 bytes",
        ),
        Err(PasswordChangeError::ControlCharacter) => json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the new password must not contain control characters",
        ),
        Err(PasswordChangeError::Unchanged) => json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the new password must differ from the current one",
        ),
    }
}

fn login_form(admin: &Admin, message: Option<&str>) -> String {
    let notice = message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(m)))
        .unwrap_or_default();
    let body = format!(
        "<h1>{model} administration</h1>\n{notice}<form method=\"post\" action=\"/login\">\n\
         <label>Username <input name=\"username\" autocomplete=\"username\"></label>\n\
         <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\n\
         <button type=\"submit\">Log in</button>\n</form>\n\
         <p>The password for first login is printed on the label on the underside of the unit.</p>",
        model = escape(admin.spec.model),
    );
    html_page(&format!("{} login", admin.spec.model), &body)
}

async fn login_page(State(admin): State<Admin>) -> Html<String> {
    Html(login_form(&admin, None))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login_submit(
    State(admin): State<Admin>,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            return (
                rejection.status(),
                Html(login_form(&admin, Some("The form could not be read."))),
            )
                .into_response()
        }
    };
    match admin.attempt(&form.username, &form.password) {
        LoginVerdict::Accepted => {
            let Some(token) = session_token() else {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Html(html_page("Unavailable", "<p>Please try again.</p>")),
                )
                    .into_response();
            };
            admin.unit.add_session(token.clone());
            let secure = if admin.https { "; Secure" } else { "" };
            let cookie = format!("session={token}; Path=/; HttpOnly; SameSite=Strict{secure}");
            let mut resp = see_other("/dashboard");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        LoginVerdict::Rejected => (
            StatusCode::OK,
            Html(login_form(&admin, Some("Invalid username or password"))),
        )
            .into_response(),
        LoginVerdict::LockedOut { retry_after: wait } => {
            let page = html_page(
                "Too many attempts",
                "<h1>Too many failed attempts; try again later</h1>\n\
                 <p>Logins are paused for a few minutes after repeated failures.</p>",
            );
            let mut resp = (StatusCode::TOO_MANY_REQUESTS, Html(page)).into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, retry_after(wait));
            resp
        }
    }
}

/// The `session` cookie's value, if sent.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "session")
        .map(|(_, value)| value.to_string())
}

async fn dashboard(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    let logged_in = session_cookie(&headers).is_some_and(|t| admin.unit.has_session(&t));
    if !logged_in {
        return see_other("/login");
    }
    let body = format!(
        "<h1>{model} dashboard</h1>\n<dl>\n<dt>Manufacturer</dt><dd>{maker}</dd>\n\
         <dt>Model</dt><dd>{model}</dd>\n<dt>Firmware</dt><dd>{firmware}</dd>\n\
         <dt>Serial number</dt><dd>{serial}</dd>\n</dl>\n\
         <form method=\"post\" action=\"/logout\"><button type=\"submit\">Log out</button></form>",
        model = escape(admin.spec.model),
        maker = escape(admin.spec.manufacturer),
        firmware = escape(&admin.unit.firmware()),
        serial = escape(admin.serial),
    );
    Html(html_page(&format!("{} dashboard", admin.spec.model), &body)).into_response()
}

async fn logout(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if let Some(token) = session_cookie(&headers) {
        admin.unit.end_session(&token);
    }
    let mut resp = see_other("/login");
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("session=; Path=/; Max-Age=0; HttpOnly"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_parsing_never_panics() {
        let mut h = HeaderMap::new();
        for v in [
            "Basic YWRtaW46cGFzcw==",
            "basic   YWRtaW46cGFzcw==",
            "Basic",
            "Basic !!!",
            "Bearer abc",
            "Basic YWRtaW4=",
            "Basic /w==",
        ] {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(v));
            let _ = basic_credentials(&h);
        }
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YWRtaW46cDpx"),
        );
        assert_eq!(
            basic_credentials(&h),
            Some(("admin".to_string(), "p:q".to_string()))
        );
    }

    #[test]
    fn cookie_parsing() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; session=abc123; x"),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("abc123"));
    }
}
