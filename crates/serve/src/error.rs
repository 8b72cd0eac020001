//! The one place where errors become HTTP responses.
//!
//! Handlers return [`ServeError`]; layers that answer on their own (body
//! limit, panic catcher, unknown route) are passed through [`normalise`]
//! (by the front layer, [`super::middleware::front`]), so every error response a client sees was rendered
//! here: JSON under `/api/`, a small HTML page elsewhere, and never an
//! internal detail (file paths, SQL, parser positions of our own code). The
//! internal cause, if any, is logged here and only here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::html;

/// Marks a response rendered by this module, so [`normalise`] leaves it alone.
#[derive(Debug, Clone, Copy)]
struct Rendered;

/// Whether the client asked the JSON API or a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Api,
    Page,
}

impl Audience {
    pub fn of_path(path: &str) -> Self {
        if path.starts_with("/api/") {
            Audience::Api
        } else {
            Audience::Page
        }
    }
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error("not found")]
    NotFound,
    #[error("{detail}")]
    BadRequest { detail: String },
    #[error("the request body is over the {max}-byte limit")]
    TooLarge { max: usize },
    #[error("too many requests; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// The client did not send its request (its body) in time: its slowness.
    #[error("the request was not received in time")]
    ClientTimeout,
    /// We did not answer in time: our slowness.
    #[error("the request took too long; retry in {retry_after} s")]
    Timeout { retry_after: u64 },
    /// No room now (the memory budget for request bodies is spent).
    #[error("the service is busy; retry in {retry_after} s")]
    Busy { retry_after: u64 },
    #[error("{what} is not available on this server")]
    Unavailable { what: &'static str },
    /// Something went wrong on our side; `cause` is logged, never sent.
    #[error("internal error")]
    Internal { cause: String },
}

impl ServeError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ServeError::BadRequest {
            detail: detail.into(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ServeError::Internal {
            cause: cause.to_string(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ServeError::NotFound => StatusCode::NOT_FOUND,
            ServeError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ServeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ServeError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ServeError::ClientTimeout => StatusCode::REQUEST_TIMEOUT,
            ServeError::Timeout { .. } | ServeError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ServeError::Unavailable { .. } => StatusCode::NOT_FOUND,
            ServeError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ServeError::NotFound => "not-found",
            ServeError::BadRequest { .. } => "bad-request",
            ServeError::TooLarge { .. } => "too-large",
            ServeError::RateLimited { .. } => "rate-limited",
            ServeError::ClientTimeout => "request-timeout",
            ServeError::Timeout { .. } => "timeout",
            ServeError::Busy { .. } => "busy",
            ServeError::Unavailable { .. } => "unavailable",
            ServeError::Internal { .. } => "internal",
        }
    }

    /// The response for one audience.
    pub fn render(self, audience: Audience) -> Response {
        if let ServeError::Internal { cause } = &self {
            tracing::error!(%cause, "serve: internal error");
        }
        let status = self.status();
        let message = self.to_string();
        let mut response = match audience {
            Audience::Api => (
                status,
                axum::Json(serde_json::json!({ "error": self.code(), "message": message })),
            )
                .into_response(),
            Audience::Page => (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                )],
                html::error_page(status, &message),
            )
                .into_response(),
        };
        if let ServeError::RateLimited { retry_after }
        | ServeError::Timeout { retry_after }
        | ServeError::Busy { retry_after } = self
        {
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if matches!(self, ServeError::ClientTimeout) {
            // Whatever is left of the body is not worth reading.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response.extensions_mut().insert(Rendered);
        response
    }
}

/// Handlers under `/api/` return this.
#[derive(Debug)]
pub struct ApiError(pub ServeError);

impl From<ServeError> for ApiError {
    fn from(e: ServeError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.render(Audience::Api)
    }
}

/// Page handlers return this.
#[derive(Debug)]
pub struct PageError(pub ServeError);

impl From<ServeError> for PageError {
    fn from(e: ServeError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.render(Audience::Page)
    }
}

/// Re-renders error responses that layers or axum produced on their own
/// (413 from the body limit, 404 for unknown routes, 405, 500 from a caught
/// panic) so that they look like ours and carry nothing else. Responses
/// rendered here already, and every success, pass untouched.
pub fn normalise(response: Response, audience: Audience) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<Rendered>().is_some()
    {
        return response;
    }
    let error = match status {
        StatusCode::NOT_FOUND => ServeError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ServeError::TooLarge {
            max: super::MAX_BODY_BYTES,
        },
        StatusCode::METHOD_NOT_ALLOWED => {
            ServeError::bad_request("this method is not allowed here")
        }
        s if s.is_server_error() => ServeError::internal(format!("a layer answered {s}")),
        s => ServeError::bad_request(format!(
            "the request was refused ({})",
            s.canonical_reason().unwrap_or("client error")
        )),
    };
    let mut rendered = error.render(audience);
    if status == StatusCode::METHOD_NOT_ALLOWED {
        *rendered.status_mut() = status;
        if let Some(allow) = response.headers().get(header::ALLOW) {
            rendered.headers_mut().insert(header::ALLOW, allow.clone());
        }
    } else if status.is_client_error() {
        *rendered.status_mut() = status;
    }
    rendered
}
