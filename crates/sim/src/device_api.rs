//! The simulated camera's own API beyond logging in, and the behaviour of
//! the whole admin service under a crash or a cut uplink.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/info` | open; the model and whether set-up is complete |
//! | `GET /api/settings`, `POST /api/settings` | basic auth; fields `device_name`, `night_vision_level` (0-3), `remote_access` |
//! | `POST /api/firmware` | basic auth; field `image`: a signed image (see `update.rs`), base64 |
//! | `GET /api/clips`, `POST /api/clips` | basic auth; the user's recordings; field `title` |
//! | `POST /api/erase` | basic auth; field `confirm=true`; erases recordings, settings and the password |
//! | `GET /api/updates`, `POST /api/updates` | basic auth; fields `automatic_updates`, `update_notifications` (true/false), `postpone_days` (0-30) |
//! | `GET /api/consent`, `POST /api/consent` | basic auth; fields `cloud_recording`, `usage_statistics` (true given, false withdrawn) |
//!
//! Each [`Flaw`] of the product changes one of these behaviours.

use axum::extract::rejection::FormRejection;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;

use super::catalog::Flaw;
use super::http_admin::{basic_auth_refusal, json_error, Admin};
use super::state::{Consents, Settings, UpdateSettings};
use super::update;

/// Longest device name.
const NAME_MAX: usize = 32;
/// Longest recording title.
const TITLE_MAX: usize = 128;
/// A value longer than this crashes the flawed settings handler.
const CRASH_LENGTH: usize = 256;
/// What the flawed product's server header gives away.
const LEAKY_SERVER: &str = "lighttpd/1.4.35";

type Fields = Vec<(String, String)>;

pub(super) fn routes() -> Router<Admin> {
    Router::new()
        .route("/api/info", get(info))
        .route("/api/settings", get(read_settings).post(change_settings))
        .route("/api/firmware", post(firmware))
        .route("/api/clips", get(list_clips).post(add_clip))
        .route("/api/erase", post(erase))
        .route("/api/updates", get(read_updates).post(change_updates))
        .route("/api/consent", get(read_consents).post(change_consents))
}

/// Around every admin request: a crashed service answers 503 to everything;
/// a cloud-tethered one refuses its API while the uplink is down; a leaky one
/// names its web server.
pub(super) async fn health(State(admin): State<Admin>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = if admin.unit.crashed() {
        json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is restarting after a fault",
        )
    } else if admin.spec.has(Flaw::CloudTethered)
        && !admin.unit.uplink()
        && path.starts_with("/api/")
        && path != "/api/info"
    {
        json_error(StatusCode::SERVICE_UNAVAILABLE, "cloud service unreachable")
    } else {
        next.run(request).await
    };
    if admin.spec.has(Flaw::VersionBanner) {
        response
            .headers_mut()
            .insert(header::SERVER, HeaderValue::from_static(LEAKY_SERVER));
    }
    response
}

async fn info(State(admin): State<Admin>) -> Response {
    let mut doc = serde_json::json!({
        "model": admin.spec.model,
        "setup_complete": true,
    });
    if admin.spec.has(Flaw::VersionBanner) {
        doc["firmware"] = admin.unit.firmware().into();
        doc["build"] = format!(
            "{} (BusyBox v1.24.1, OpenSSL 1.0.2k, {LEAKY_SERVER})",
            admin.unit.firmware()
        )
        .into();
        doc["debug_token"] = "dbg-7f3a9c21e4b05d68".into();
    }
    Json(doc).into_response()
}

fn unprocessable(message: &str) -> Response {
    json_error(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// The form, or the answer to a body that is not one (a handler returns it
/// at once, so its size does not matter).
#[allow(clippy::result_large_err)]
/// The fields of a form request; first the credentials when `guarded`.
/// The refusal to send back otherwise (401, or the form's rejection).
fn authorised_form(
    admin: &Admin,
    headers: &HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
    guarded: bool,
) -> Result<Fields, Response> {
    if guarded {
        if let Some(refusal) = basic_auth_refusal(admin, headers) {
            return Err(refusal);
        }
    }
    form.map(|Form(f)| f)
        .map_err(|rejection| json_error(rejection.status(), "the request body is not a form"))
}

fn printable(value: &str) -> bool {
    !value.chars().any(char::is_control)
}

fn valid_name(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= NAME_MAX
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
}

async fn read_settings(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if !admin.spec.has(Flaw::OpenSettings) {
        if let Some(refusal) = basic_auth_refusal(&admin, &headers) {
            return refusal;
        }
    }
    Json(admin.unit.settings()).into_response()
}

async fn change_settings(
    State(admin): State<Admin>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let guarded = !admin.spec.has(Flaw::OpenSettings);
    let fields = match authorised_form(&admin, &headers, form, guarded) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut settings = admin.unit.settings();
    if admin.spec.has(Flaw::NoInputValidation) {
        if fields.iter().any(|(_, v)| v.len() > CRASH_LENGTH) {
            admin.unit.crash();
            return json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
        for (name, value) in fields {
            match name.as_str() {
                "device_name" => settings.device_name = value,
                "night_vision_level" => settings.night_vision_level = value,
                "remote_access" => settings.remote_access = value,
                _ => {}
            }
        }
        admin.unit.set_settings(settings.clone());
        return Json(settings).into_response();
    }
    if fields.is_empty() {
        return unprocessable("no setting given");
    }
    for (name, value) in fields {
        match name.as_str() {
            "device_name" if valid_name(&value) => settings.device_name = value,
            "device_name" => {
                return unprocessable(
                    "device_name takes 1-32 letters, digits, spaces, '-', '_' or '.'",
                )
            }
            "night_vision_level" => match value.parse::<u8>() {
                Ok(n) if n <= 3 && value.len() == 1 => settings.night_vision_level = value,
                _ => return unprocessable("night_vision_level takes 0, 1, 2 or 3"),
            },
            "remote_access" if value == "true" || value == "false" => {
                settings.remote_access = value
            }
            "remote_access" => return unprocessable("remote_access takes true or false"),
            _ => return unprocessable("unknown setting"),
        }
    }
    admin.unit.set_settings(settings.clone());
    Json::<Settings>(settings).into_response()
}

async fn firmware(
    State(admin): State<Admin>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let fields = match authorised_form(&admin, &headers, form, true) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some((_, encoded)) = fields.iter().find(|(n, _)| n == "image") else {
        return unprocessable("no image field");
    };
    let Ok(image) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return unprocessable("the image field is not base64");
    };
    let check = !admin.spec.has(Flaw::UnsignedUpdates);
    match update::check_image(admin.spec.name, admin.spec.model, &image, check) {
        Ok(version) => {
            admin.unit.install(&version);
            Json(serde_json::json!({ "installed": version })).into_response()
        }
        Err(e) => unprocessable(&format!("image refused: {e}")),
    }
}

async fn list_clips(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if let Some(refusal) = basic_auth_refusal(&admin, &headers) {
        return refusal;
    }
    Json(serde_json::json!({ "clips": admin.unit.clips() })).into_response()
}

async fn add_clip(
    State(admin): State<Admin>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let fields = match authorised_form(&admin, &headers, form, true) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match fields.as_slice() {
        [(name, title)] if name == "title" => {
            if title.is_empty() || title.len() > TITLE_MAX || !printable(title) {
                return unprocessable("title takes 1-128 bytes of printable text");
            }
            admin.unit.add_clip(title.clone());
            (
                StatusCode::CREATED,
                Json(serde_json::json!({ "stored": title })),
            )
                .into_response()
        }
        _ => unprocessable("expected one field, title"),
    }
}

async fn erase(
    State(admin): State<Admin>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let fields = match authorised_form(&admin, &headers, form, true) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match fields.as_slice() {
        [(name, value)] if name == "confirm" && value == "true" => {}
        _ => return unprocessable("send confirm=true to erase all user data"),
    }
    admin
        .unit
        .erase_user_data(admin.spec.has(Flaw::ShallowErase));
    Json(serde_json::json!({
        "erased": true,
        "message": "All recordings, settings and your password have been deleted from the camera.",
    }))
    .into_response()
}

fn boolean(value: &str) -> Option<String> {
    (value == "true" || value == "false").then(|| value.to_string())
}

async fn read_updates(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if let Some(refusal) = basic_auth_refusal(&admin, &headers) {
        return refusal;
    }
    Json(admin.unit.update_settings()).into_response()
}

/// The user's update switches. The flawed camera answers with the settings
/// as asked and keeps the old ones.
async fn change_updates(
    State(admin): State<Admin>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let fields = match authorised_form(&admin, &headers, form, true) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if fields.is_empty() {
        return unprocessable("no setting given");
    }
    let mut updates: UpdateSettings = admin.unit.update_settings();
    for (name, value) in fields {
        match name.as_str() {
            "automatic_updates" => match boolean(&value) {
                Some(v) => updates.automatic_updates = v,
                None => return unprocessable("automatic_updates takes true or false"),
            },
            "update_notifications" => match boolean(&value) {
                Some(v) => updates.update_notifications = v,
                None => return unprocessable("update_notifications takes true or false"),
            },
            "postpone_days" => match value.parse::<u8>() {
                Ok(n) if n <= 30 && value.len() <= 2 => updates.postpone_days = value,
                _ => return unprocessable("postpone_days takes 0 to 30"),
            },
            _ => return unprocessable("unknown setting"),
        }
    }
    if !admin.spec.has(Flaw::IgnoredChoices) {
        admin.unit.set_update_settings(updates.clone());
    }
    Json(updates).into_response()
}

async fn read_consents(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if let Some(refusal) = basic_auth_refusal(&admin, &headers) {
        return refusal;
    }
    Json(admin.unit.consents()).into_response()
}

/// Give or withdraw consents. The flawed camera confirms a withdrawal and
/// goes on as before.
async fn change_consents(
    State(admin): State<Admin>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let fields = match authorised_form(&admin, &headers, form, true) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if fields.is_empty() {
        return unprocessable("no consent given or withdrawn");
    }
    let mut consents: Consents = admin.unit.consents();
    for (name, value) in fields {
        let Some(v) = boolean(&value) else {
            return unprocessable("a consent takes true (given) or false (withdrawn)");
        };
        match name.as_str() {
            "cloud_recording" => consents.cloud_recording = v,
            "usage_statistics" => consents.usage_statistics = v,
            _ => return unprocessable("unknown consent"),
        }
    }
    if !admin.spec.has(Flaw::IgnoredChoices) {
        admin.unit.set_consents(consents.clone());
    }
    Json(consents).into_response()
}
