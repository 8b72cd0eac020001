//! What an HTTP answer to a login attempt means. Anything not covered by a rule
//! is a protocol error carrying what was seen: never a guess.

use std::task::{Context, Poll};

use tower::{Layer, Service};

use super::{HttpRequest, HttpResponse, LoginCheck};
use crate::calibration::AnswerShape;
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

/// The comparable features of a form login's answer, for a judge
/// calibrated on the device: the status; a redirect's path and query
/// parameter names; the names of the cookies set; for JSON, its top-level
/// keys with the values that carry a verdict (booleans, small numbers,
/// short words); for a page, whether it holds a password field and its
/// title. Cookie values, tokens and free text stay out: they change from
/// one answer to the next, and some are secrets.
pub fn form_shape(response: &HttpResponse, password_field: &str) -> AnswerShape {
    let mut shape = vec![("status".to_string(), response.status.to_string())];
    if response.is_redirect() {
        let location = response.header("location").unwrap_or("");
        let base = url::Url::parse(&response.url).ok();
        let target = match &base {
            Some(base) => base.join(location).ok(),
            None => url::Url::parse(location).ok(),
        };
        let shown = match target {
            Some(t) => {
                let mut keys: Vec<String> = t.query_pairs().map(|(k, _)| k.into_owned()).collect();
                keys.sort();
                keys.dedup();
                if keys.is_empty() {
                    t.path().to_string()
                } else {
                    format!("{}?{}", t.path(), keys.join("&"))
                }
            }
            None => format!("unreadable {}", excerpt(location, 60)),
        };
        shape.push(("redirect".into(), shown));
    }
    let mut cookies: Vec<String> = response
        .header_values("set-cookie")
        .filter_map(|c| c.split(';').next())
        .filter_map(|c| c.split_once('=').map(|(n, _)| n.trim().to_string()))
        .collect();
    cookies.sort();
    cookies.dedup();
    shape.push(("cookies".into(), cookies.join(" ")));
    let body = response.body_text();
    let trimmed = body.trim_start();
    let json = response
        .header("content-type")
        .is_some_and(|t| t.contains("json"))
        || trimmed.starts_with('{');
    match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(value) if json => shape.push(("json".into(), json_shape(&value))),
        _ => {
            let present = form_present(&body, password_field);
            shape.push((
                "password-field".into(),
                if present { "yes" } else { "no" }.into(),
            ));
            shape.push(("title".into(), page_title(&body)));
        }
    }
    AnswerShape(shape)
}

/// Top-level keys of a JSON answer, with the values that carry a verdict.
fn json_shape(value: &serde_json::Value) -> String {
    use serde_json::Value;
    let Value::Object(map) = value else {
        return match value {
            Value::Array(_) => "array".into(),
            other => format!("scalar {}", scalar_shape(other)),
        };
    };
    let mut keys: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{k}:{}", scalar_shape(v)))
        .collect();
    keys.sort();
    keys.join(" ")
}

fn scalar_shape(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        // Result codes are small; timestamps and ids are not.
        Value::Number(n) => match n.as_i64() {
            Some(i) if i.abs() < 1000 => i.to_string(),
            _ => "number".into(),
        },
        // Short words ("ok", "error", "fail") carry the verdict; long or
        // mixed strings are tokens and messages.
        Value::String(s)
            if s.len() <= 16
                && s.chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '_' || c == '-' || c == ' ') =>
        {
            format!("{:?}", s.to_ascii_lowercase())
        }
        Value::String(_) => "text".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

/// The page's `<title>`, lower case, trimmed (empty when there is none).
fn page_title(body: &str) -> String {
    let lower = body.to_ascii_lowercase();
    let Some(start) = lower.find("<title") else {
        return String::new();
    };
    let Some(open_end) = lower[start..].find('>') else {
        return String::new();
    };
    let from = start + open_end + 1;
    let Some(len) = lower[from..].find("</title") else {
        return String::new();
    };
    excerpt(lower[from..from + len].trim(), 80)
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
    fn form_shapes_tell_firmware_styles_apart() {
        let shape = |r: &HttpResponse| form_shape(r, "password").to_string();
        let back = answer(302, &[("location", "/login.html?error=1&user=root")], "");
        assert_eq!(
            shape(&back),
            "status=302, redirect=/login.html?error&user, cookies=, password-field=no, title="
        );
        let token = answer(
            200,
            &[("content-type", "application/json")],
            r#"{"success":true,"token":"4f9a0c2e1b7d43aa9e01","code":0,"ts":1733140000}"#,
        );
        let refused = answer(
            200,
            &[("content-type", "application/json")],
            r#"{"success":false,"error":"Invalid password for root","code":-1}"#,
        );
        assert_ne!(shape(&token), shape(&refused));
        assert!(!shape(&token).contains("4f9a"), "tokens are left out");
        let changed = answer(
            200,
            &[("set-cookie", "SID=abcd; Path=/")],
            "<title>Change password</title><input type=password name=newpass>",
        );
        let login = answer(
            200,
            &[],
            "<title>Login</title><input type=password name=password>",
        );
        assert_ne!(shape(&changed), shape(&login));
        assert!(
            !shape(&changed).contains("abcd"),
            "cookie values are left out"
        );
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
