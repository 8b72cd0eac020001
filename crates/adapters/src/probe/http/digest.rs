//! HTTP Digest authentication (RFC 7616: MD5, MD5-sess, SHA-256 and
//! SHA-512-256, qop `auth` and `auth-int`; and the RFC 2069 form without
//! qop). The challenge is read from the server's `WWW-Authenticate` and the
//! response computed by the `digest_auth` crate, a small implementation of
//! those RFCs with no transport of its own.

use tower::ServiceExt;

use super::{HttpRequest, HttpResponse, LoginCheck, Url};
use crate::device::{Credential, ProbeError};
use crate::evidence::Evidence;
use crate::probe::layers::Recorded;
use crate::probe::HttpProbe;
use crate::secret::Secret;

/// The challenges of a 401 answer: which schemes the server offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenges {
    /// The Digest challenge's parameters (after the scheme name).
    pub digest: Option<String>,
    pub basic: bool,
    /// Every scheme named, lower case, for reasons.
    pub schemes: Vec<String>,
}

/// Scheme names that start a challenge (RFC 9110 §11.6.1 lists a challenge
/// as `scheme [params]`, several in one header separated by commas).
const SCHEMES: &[&str] = &[
    "basic",
    "digest",
    "bearer",
    "negotiate",
    "ntlm",
    "hoba",
    "mutual",
];

/// Read the challenges of an answer.
pub fn challenges(response: &HttpResponse) -> Challenges {
    let mut out = Challenges::default();
    for value in response.header_values("www-authenticate") {
        for (scheme, params) in split_challenges(value) {
            if scheme == "digest" && out.digest.is_none() {
                out.digest = Some(params.to_string());
            }
            if scheme == "basic" {
                out.basic = true;
            }
            if !out.schemes.contains(&scheme) {
                out.schemes.push(scheme);
            }
        }
    }
    out
}

/// Split one header value into (scheme, parameters) pairs: a new challenge
/// starts where a known scheme name follows the start or a comma.
fn split_challenges(value: &str) -> Vec<(String, &str)> {
    let lower = value.to_ascii_lowercase();
    let mut starts: Vec<(usize, &str)> = Vec::new();
    for scheme in SCHEMES {
        for (i, _) in lower.match_indices(scheme) {
            let before = lower[..i].trim_end();
            let after = lower[i + scheme.len()..].chars().next();
            let at_start = before.is_empty() || before.ends_with(',');
            let whole = after.is_none_or(|c| c == ' ' || c == ',');
            // Inside a quoted string (a realm naming "Basic") is no start.
            let quoted = lower[..i].matches('"').count() % 2 == 1;
            if at_start && whole && !quoted {
                starts.push((i, scheme));
            }
        }
    }
    starts.sort_unstable();
    let mut out = Vec::new();
    for (n, (i, scheme)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(value.len(), |(next, _)| *next);
        let params = value[i + scheme.len()..end]
            .trim()
            .trim_end_matches(',')
            .trim();
        out.push((scheme.to_string(), params));
    }
    out
}

/// Why a Digest response could not be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unusable Digest challenge {challenge:?}: {detail}")]
pub struct DigestError {
    pub challenge: String,
    pub detail: String,
}

/// The `Authorization` value answering `challenge` for `credential` on
/// `GET uri`; the value is derived from the password, so it is a secret.
pub fn authorization(
    challenge: &str,
    credential: &Credential,
    uri: &str,
) -> Result<Secret, DigestError> {
    let error = |detail: String| DigestError {
        challenge: crate::evidence::excerpt(challenge, 200),
        detail,
    };
    let mut prompt =
        digest_auth::WwwAuthenticateHeader::parse(challenge).map_err(|e| error(e.to_string()))?;
    let context = digest_auth::AuthContext::new(
        credential.username.as_str(),
        credential.password.expose(),
        uri,
    );
    let answer = prompt.respond(&context).map_err(|e| error(e.to_string()))?;
    Ok(Secret::new(answer.to_header_string()))
}

/// One HTTP authentication login to try.
#[derive(Debug, Clone)]
pub struct AuthLogin {
    pub url: Url,
    /// The `Host` header to present.
    pub host: String,
    /// Accept any device certificate (HTTPS on the device).
    pub tls: bool,
    /// Never send Basic: ask for the challenge first.
    pub digest_only: bool,
    /// How the login is named in errors.
    pub target: String,
}

/// An HTTP authentication login: Basic first (unless `digest_only`); where
/// the server challenges with Digest and not Basic, the Digest answer to its
/// challenge (one more round if it calls the nonce stale). A Digest
/// challenge is never read as a refusal of the credential: only the answer
/// to our Digest response is. The answer is judged as a Basic login would be
/// ([`LoginCheck::Basic`]).
pub async fn auth_login(
    probe: &HttpProbe,
    ev: &Evidence,
    login: &AuthLogin,
    credential: &Credential,
) -> Result<HttpResponse, ProbeError> {
    let request = |kind: &str| {
        let r = HttpRequest::get(login.url.clone())
            .with_kind(kind)
            .with_host(login.host.clone())
            .judged_as(LoginCheck::Basic);
        if login.tls {
            r.accept_any_device_certificate()
        } else {
            r
        }
    };
    let call = |r: HttpRequest| probe.clone().oneshot(Recorded::new(ev, r));
    let first = if login.digest_only {
        let mut r = request("http-digest-challenge");
        r.login = None;
        call(r).await?
    } else {
        call(request("http-basic-login").with_basic(credential.clone())).await?
    };
    let offered = challenges(&first);
    let Some(mut challenge) = offered.digest.clone() else {
        if login.digest_only && first.status == 401 {
            return Err(ProbeError::Protocol {
                target: login.target.clone(),
                detail: format!(
                    "declared as Digest, but the server challenges with {}",
                    if offered.schemes.is_empty() {
                        "nothing".to_string()
                    } else {
                        offered.schemes.join(", ")
                    }
                ),
            });
        }
        return Ok(first);
    };
    if first.status != 401 || (offered.basic && !login.digest_only) {
        // Basic was offered and answered: that answer stands.
        return Ok(first);
    }
    let uri = match login.url.query() {
        Some(q) => format!("{}?{q}", login.url.path()),
        None => login.url.path().to_string(),
    };
    for round in 0..2 {
        let header =
            authorization(&challenge, credential, &uri).map_err(|e| ProbeError::Protocol {
                target: login.target.clone(),
                detail: e.to_string(),
            })?;
        let answer =
            call(request("http-digest-login").with_secret_header("authorization", header)).await?;
        let again = challenges(&answer).digest;
        let stale = answer.status == 401
            && again
                .as_deref()
                .is_some_and(|c| c.to_ascii_lowercase().contains("stale=true"));
        match again {
            Some(next) if stale && round == 0 => challenge = next,
            _ => return Ok(answer),
        }
    }
    Err(ProbeError::Protocol {
        target: login.target.clone(),
        detail: "the server called two fresh Digest nonces stale".into(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn with(values: &[&str]) -> HttpResponse {
        HttpResponse {
            url: "http://127.0.0.1/".into(),
            status: 401,
            headers: values
                .iter()
                .map(|v| ("www-authenticate".to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
            truncated: false,
            cert_sha256: None,
            login: None,
        }
    }

    #[test]
    fn challenges_in_one_header_or_several() {
        let c = challenges(&with(&[
            r#"Digest realm="cam", qop="auth", nonce="abc", algorithm=SHA-256, Basic realm="cam""#,
        ]));
        assert!(c.basic);
        let digest = c.digest.unwrap();
        assert!(
            digest.contains("SHA-256") && !digest.contains("Basic"),
            "{digest}"
        );
        let c = challenges(&with(&[r#"Basic realm="Digest cameras""#]));
        assert!(
            c.basic && c.digest.is_none(),
            "a realm naming Digest is no challenge"
        );
        let c = challenges(&with(&[
            r#"Digest realm="x", nonce="n""#,
            r#"Basic realm="x""#,
        ]));
        assert!(c.basic && c.digest.is_some());
    }

    #[test]
    fn rfc_7616_example_response() {
        // RFC 7616 §3.9.1: Mufasa / Circle of Life, MD5, qop auth.
        let challenge = r#"realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
        let header = authorization(
            challenge,
            &Credential::new("Mufasa", "Circle of Life"),
            "/dir/index.html",
        )
        .unwrap();
        let text = header.expose();
        assert!(text.starts_with("Digest "), "{text}");
        assert!(text.contains(r#"username="Mufasa""#), "{text}");
        assert!(text.contains("qop=auth"), "{text}");
        // The response depends on the random cnonce; its form is checked
        // here and its value against a real server in tests/daemons.rs.
        assert!(text.contains("response=\""), "{text}");
        // RFC 2069 form (no qop) is answered too.
        let old =
            authorization(r#"realm="r", nonce="n""#, &Credential::new("u", "p"), "/").unwrap();
        assert!(!old.expose().contains("qop"), "{}", old.expose());
        assert!(authorization(r#"nonce="n""#, &Credential::new("u", "p"), "/").is_err());
    }
}
