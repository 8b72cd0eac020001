//! What an HTTP answer to a login attempt means. Anything not covered by a rule
//! is a protocol error carrying what was seen: never a guess.

use std::task::{Context, Poll};

use tower::{Layer, Service};

use super::{HttpRequest, HttpResponse, LoginCheck};
use crate::device::{LoginOutcome, ProbeError};
use crate::evidence::excerpt;
use crate::probe::layers::DescribeRequest;
use crate::probe::BoxFuture;

/// Classifies login answers (requests with [`HttpRequest::login`] set) and
/// puts the outcome in [`HttpResponse::login`]; an answer that fits no rule
/// becomes [`ProbeError::Protocol`].
#[derive(Debug, Clone, Copy, Default)]
pub struct LoginJudgeLayer;

impl<S> Layer<S> for LoginJudgeLayer {
    type Service = LoginJudge<S>;
    fn layer(&self, inner: S) -> LoginJudge<S> {
        LoginJudge { inner }
    }
}

#[derive(Debug, Clone)]
pub struct LoginJudge<S> {
    inner: S,
}

impl<S> Service<HttpRequest> for LoginJudge<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = ProbeError>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = ProbeError;
    type Future = BoxFuture<Result<HttpResponse, ProbeError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let check = request.login.clone();
        let target = request.target();
        let future = self.inner.call(request);
        Box::pin(async move {
            let mut response = future.await?;
            response.login = match &check {
                None => None,
                Some(LoginCheck::Basic) => Some(judge_basic(&response, &target)?),
                Some(LoginCheck::Form {
                    login_path,
                    password_field,
                }) => Some(judge_form(&response, login_path, password_field, &target)?),
            };
            Ok(response)
        })
    }
}

fn locked_out(response: &HttpResponse) -> LoginOutcome {
    let detail = match response.header("retry-after") {
        Some(after) => format!("HTTP 429 Too Many Requests (Retry-After: {after})"),
        None => "HTTP 429 Too Many Requests".to_string(),
    };
    LoginOutcome::LockedOut { detail }
}

fn unclear(response: &HttpResponse, target: &str, why: &str) -> ProbeError {
    let location = response
        .header("location")
        .map(|l| format!(", Location: {l}"))
        .unwrap_or_default();
    ProbeError::Protocol {
        target: target.to_string(),
        detail: format!(
            "{why} (HTTP {}{location}; body: {:?})",
            response.status,
            excerpt(&response.body_text(), 200)
        ),
    }
}

/// HTTP basic authentication: 2xx/3xx accepted, 401/403 rejected, 429 locked
/// out, anything else unclear.
pub fn judge_basic(response: &HttpResponse, target: &str) -> Result<LoginOutcome, ProbeError> {
    match response.status {
        200..=399 => Ok(LoginOutcome::Accepted),
        401 | 403 => Ok(LoginOutcome::Rejected),
        429 => Ok(locked_out(response)),
        _ => Err(unclear(
            response,
            target,
            "a basic-auth login answered with a status that is neither success nor refusal",
        )),
    }
}

/// HTTP form login:
/// - 429 locked out; 401/403 rejected;
/// - a redirect back to the login page rejected, elsewhere accepted;
/// - a page still holding the password field rejected; without it, accepted
///   when it sets a cookie (the session), otherwise unclear.
pub fn judge_form(
    response: &HttpResponse,
    login_path: &str,
    password_field: &str,
    target: &str,
) -> Result<LoginOutcome, ProbeError> {
    let sets_cookie = response.header("set-cookie").is_some();
    match response.status {
        429 => Ok(locked_out(response)),
        401 | 403 => Ok(LoginOutcome::Rejected),
        _ if response.is_redirect() => {
            let Some(location) = response.header("location") else {
                return Err(unclear(response, target, "a redirect without a Location"));
            };
            let base = url::Url::parse(&response.url).ok();
            let next = match &base {
                Some(base) => base.join(location).ok(),
                None => url::Url::parse(location).ok(),
            };
            let Some(next) = next else {
                return Err(unclear(
                    response,
                    target,
                    "a redirect to an unreadable Location",
                ));
            };
            if same_path(next.path(), login_path) {
                Ok(LoginOutcome::Rejected)
            } else {
                Ok(LoginOutcome::Accepted)
            }
        }
        200..=299 => {
            if form_present(&response.body_text(), password_field) {
                Ok(LoginOutcome::Rejected)
            } else if sets_cookie {
                Ok(LoginOutcome::Accepted)
            } else {
                Err(unclear(
                    response,
                    target,
                    "the answer neither shows the login form again nor sets a session cookie",
                ))
            }
        }
        _ => Err(unclear(
            response,
            target,
            "a form login answered with a status that is neither success nor refusal",
        )),
    }
}

fn same_path(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Does the page hold a password input (by the declared field name, or any
/// `type="password"` input)?
pub fn form_present(body: &str, password_field: &str) -> bool {
    let body = body.to_ascii_lowercase();
    let field = password_field.to_ascii_lowercase();
    let by_name = [
        format!("name=\"{field}\""),
        format!("name='{field}'"),
        format!("name={field} "),
        format!("name={field}>"),
        format!("name={field}/"),
    ];
    by_name.iter().any(|needle| body.contains(needle.as_str()))
        || body.contains("type=\"password\"")
        || body.contains("type='password'")
        || body.contains("type=password")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            url: "http://127.0.0.1:8080/login".into(),
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            cert_sha256: None,
            login: None,
        }
    }

    #[test]
    fn basic_rules() {
        let t = "t";
        assert_eq!(
            judge_basic(&answer(200, &[], ""), t).ok(),
            Some(LoginOutcome::Accepted)
        );
        assert_eq!(
            judge_basic(&answer(302, &[], ""), t).ok(),
            Some(LoginOutcome::Accepted)
        );
        assert_eq!(
            judge_basic(&answer(401, &[], ""), t).ok(),
            Some(LoginOutcome::Rejected)
        );
        assert!(matches!(
            judge_basic(&answer(429, &[("retry-after", "60")], ""), t),
            Ok(LoginOutcome::LockedOut { detail }) if detail.contains("60")
        ));
        assert!(matches!(
            judge_basic(&answer(500, &[], "oops"), t),
            Err(ProbeError::Protocol { .. })
        ));
    }

    #[test]
    fn form_rules() {
        let f = |r: &HttpResponse| judge_form(r, "/login", "password", "t");
        let back = answer(
            200,
            &[],
            "<form><input name=\"password\" type=\"password\"></form>",
        );
        assert_eq!(f(&back).ok(), Some(LoginOutcome::Rejected));
        let away = answer(303, &[("location", "/dashboard")], "");
        assert_eq!(f(&away).ok(), Some(LoginOutcome::Accepted));
        let again = answer(302, &[("location", "/login?error=1")], "");
        assert_eq!(f(&again).ok(), Some(LoginOutcome::Rejected));
        let cookie = answer(
            200,
            &[("set-cookie", "sid=abc; HttpOnly")],
            "<h1>Welcome</h1>",
        );
        assert_eq!(f(&cookie).ok(), Some(LoginOutcome::Accepted));
        let nothing = answer(200, &[], "<h1>Hmm</h1>");
        assert!(matches!(f(&nothing), Err(ProbeError::Protocol { .. })));
        assert!(matches!(
            f(&answer(429, &[], "")),
            Ok(LoginOutcome::LockedOut { .. })
        ));
        assert_eq!(f(&answer(403, &[], "")).ok(), Some(LoginOutcome::Rejected));
    }
}
