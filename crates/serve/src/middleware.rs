//! The one layer every request passes, in this order: the per-client rate
//! limit, a deadline for the whole request (408 when it strikes while the
//! client's body is still awaited, 503 with `Retry-After` when we were the
//! slow ones), error normalisation (see
//! [`super::error::normalise`]), security headers, then metrics and the
//! access log.
//!
//! One layer instead of one per concern: each layer of axum's `from_fn`
//! costs a boxed future and a clone of the inner service on every request,
//! and at the request rates of a label that went viral on social media
//! those add up. The access log names the route pattern (`/l/{digits}`),
//! never the path, so labels do not end up in logs; at the default log
//! level (warn) nothing is formatted for it at all.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::body::BodyWatch;
use super::error::{normalise, Audience, ServeError};
use super::metrics::{route_index, ROUTES};
use super::state::AppState;

/// The peer address of the connection a request came on (set by the listener).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// What a client whose request we did not answer in time is asked to wait, seconds.
const TIMEOUT_RETRY_AFTER: u64 = 1;

/// Headers on every response, made at compile time.
const SECURITY_HEADERS: [(HeaderName, HeaderValue); 7] = [
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'",
        ),
    ),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    ),
];

const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// Adds the security headers, and `cache-control: no-store` unless the
/// response says otherwise.
pub fn add_security_headers(headers: &mut HeaderMap, tls: bool) {
    headers.reserve(SECURITY_HEADERS.len() + 2);
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, value);
    }
    if tls {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, NO_STORE);
    }
}

/// Rate limit, deadline, error normalisation, headers, metrics and log.
pub async fn front(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let audience = Audience::of_path(request.uri().path());
    let route = route_index(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str()),
    );
    let method = request.method().clone();
    let limited = match (
        state.rate_limiter.as_ref(),
        request.extensions().get::<ClientAddr>(),
    ) {
        (Some(limiter), Some(ClientAddr(peer))) => limiter.check(peer.ip(), started).err(),
        _ => None,
    };
    let mut response = match limited {
        Some(retry_after) => {
            state.metrics.rate_limited();
            ServeError::RateLimited { retry_after }.render(audience)
        }
        None => {
            let watch = BodyWatch::default();
            request.extensions_mut().insert(watch.clone());
            match tokio::time::timeout(state.request_timeout, next.run(request)).await {
                Ok(response) => normalise(response, audience),
                Err(_) if watch.reading() => ServeError::ClientTimeout.render(audience),
                Err(_) => ServeError::Timeout {
                    retry_after: TIMEOUT_RETRY_AFTER,
                }
                .render(audience),
            }
        }
    };
    // A response made from a template that holds them already (the cached
    // verification answers, see `cache`) has the whole set: its
    // content-security-policy says so.
    if !response
        .headers()
        .contains_key(header::CONTENT_SECURITY_POLICY)
    {
        add_security_headers(response.headers_mut(), state.tls);
    }
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.request(route, status, elapsed);
    tracing::info!(
        %method,
        route = ROUTES.get(route).copied().unwrap_or("other"),
        status,
        micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "serve: request"
    );
    response
}
