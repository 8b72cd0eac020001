//! The RTSP login probe (RFC 2326 / RFC 7826): a `DESCRIBE` of the stream
//! without credentials, then, on one connection, the same `DESCRIBE` with the
//! credential in the scheme the server asked for — Basic (RFC 7617) or
//! Digest (RFC 2617 / RFC 7616: MD5, MD5-sess, SHA-256, qop `auth`, and the
//! RFC 2069 form without qop).
//!
//! Judged on the status: 200 is [`LoginOutcome::Accepted`]; 401 (and 403, a
//! refusal some cameras send for a wrong password) is
//! [`LoginOutcome::Rejected`]; anything else — 404 (the stream path is
//! wrong), a server that wants no credentials at all, an unreadable answer —
//! is a [`ProbeError::Protocol`] saying what came back, never a guess.
//!
//! Messages are written and parsed with `rtsp-types` (Sebastian Dröge's RTSP
//! codec) and challenges answered with `http-auth` (Scott Lamb's, used by the
//! `retina` RTSP client); this module bounds the bytes read (the probe's size
//! limit, for headers and SDP body together) and the time
//! (`config.timeout` for the whole exchange).

use std::net::SocketAddr;
use std::task::{Context, Poll};

use http_auth::{ChallengeRef, PasswordClient, PasswordParams};
use rtsp_types::{headers, Message, Method, ParseError, Request, Response, Version};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::Service;

use crate::device::{Credential, LoginOutcome, ProbeError};
use crate::probe::layers::{DescribeRequest, DescribeResponse};
use crate::probe::{BoxFuture, ProbeConfig};
use crate::secret::Secret;

/// Which authentication scheme to answer the challenge with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RtspScheme {
    /// The strongest the server offers (Digest over Basic), as a client does.
    Strongest,
    /// Basic only; an error if the server does not offer it.
    Basic,
    /// Digest only; an error if the server does not offer it.
    Digest,
}

/// The server's answer to a `DESCRIBE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RtspAnswer {
    pub status: u16,
    pub reason: String,
    /// The `Server` header, if any.
    pub server: Option<String>,
    /// The `WWW-Authenticate` challenges, as sent (cut to 512 characters).
    pub challenges: Option<String>,
    /// Bytes of body (SDP) received.
    pub body_bytes: usize,
}

impl RtspAnswer {
    fn line(&self) -> String {
        format!("{} {}", self.status, self.reason)
    }
}

/// One login attempt and what the judge saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RtspLogin {
    pub outcome: LoginOutcome,
    /// `Basic` or `Digest` (with its algorithm), as answered.
    pub scheme: String,
    /// Basic sends the password itself (base64 is no protection) unless the
    /// connection is TLS; this probe speaks plain RTSP.
    pub password_in_cleartext: bool,
    /// The unauthenticated answer (the challenge).
    pub challenge: RtspAnswer,
    /// The answer to the credential.
    pub answer: RtspAnswer,
}

/// One credential to try on one RTSP stream, for [`RtspLoginService`].
#[derive(Debug, Clone)]
pub struct RtspLoginRequest {
    pub interface: String,
    pub addr: SocketAddr,
    /// The stream's `rtsp://` URL (see [`stream_url`]).
    pub url: String,
    pub credential: Credential,
    pub scheme: RtspScheme,
}

impl DescribeRequest for RtspLoginRequest {
    fn probe_kind(&self) -> String {
        "rtsp-login".into()
    }

    fn target(&self) -> String {
        format!("{} via {} ({})", self.url, self.addr, self.interface)
    }

    fn describe(&self) -> String {
        format!(
            "DESCRIBE as user {:?} password {} ({:?} scheme)",
            self.credential.username,
            self.credential.password.mask(),
            self.scheme
        )
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.credential.password.clone()]
    }
}

impl DescribeResponse for RtspLogin {
    fn outcome(&self) -> String {
        match self.outcome {
            LoginOutcome::Accepted => "accepted".into(),
            LoginOutcome::Rejected => "rejected".into(),
            LoginOutcome::LockedOut { .. } => "locked-out".into(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "challenge {} ({}); {} answer {}{}",
            self.challenge.line(),
            self.challenge
                .challenges
                .as_deref()
                .unwrap_or("no WWW-Authenticate"),
            self.scheme,
            self.answer.line(),
            if self.password_in_cleartext {
                "; password sent in the clear"
            } else {
                ""
            }
        )
    }
}

/// The RTSP login as a tower service (the innermost RTSP layer).
#[derive(Debug, Clone)]
pub struct RtspLoginService {
    config: ProbeConfig,
}

impl RtspLoginService {
    pub fn new(config: &ProbeConfig) -> Self {
        RtspLoginService {
            config: config.clone(),
        }
    }
}

impl Service<RtspLoginRequest> for RtspLoginService {
    type Response = RtspLogin;
    type Error = ProbeError;
    type Future = BoxFuture<Result<RtspLogin, ProbeError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: RtspLoginRequest) -> Self::Future {
        let config = self.config.clone();
        Box::pin(async move {
            login(
                request.addr,
                &request.url,
                &request.credential,
                request.scheme,
                &config,
            )
            .await
        })
    }
}

/// [`login`] of `rtsp://HOST:PORT/` with the strongest scheme offered, the
/// outcome alone. Most cameras guard every path; where the stream path
/// matters (a 404), call [`login`] with the declared URL.
pub async fn try_login(
    addr: SocketAddr,
    host: &str,
    credential: &Credential,
    config: &ProbeConfig,
) -> Result<LoginOutcome, ProbeError> {
    let url = stream_url(host, addr.port(), "/");
    login(addr, &url, credential, RtspScheme::Strongest, config)
        .await
        .map(|l| l.outcome)
}

/// `rtsp://host:port/path`, an IPv6 host in brackets.
pub fn stream_url(host: &str, port: u16, path: &str) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    format!("rtsp://{host}:{port}{path}")
}

/// A `DESCRIBE` of `url` at `addr` without credentials.
pub async fn describe(
    addr: SocketAddr,
    url: &str,
    config: &ProbeConfig,
) -> Result<RtspAnswer, ProbeError> {
    let target = format!("{url} ({addr})");
    let uri = parse_url(url, &target)?;
    bounded(config, &target, async {
        let mut conn = Connection::open(addr, config).await?;
        let (answer, _) = conn.describe(&uri, None).await?;
        Ok(answer)
    })
    .await
}

/// One login attempt: a `DESCRIBE` of `url` without credentials, which must
/// be challenged (401), then on the same connection a `DESCRIBE` answering
/// the challenge with `credential` in `scheme`.
pub async fn login(
    addr: SocketAddr,
    url: &str,
    credential: &Credential,
    scheme: RtspScheme,
    config: &ProbeConfig,
) -> Result<RtspLogin, ProbeError> {
    let target = format!("{url} ({addr})");
    let uri = parse_url(url, &target)?;
    bounded(config, &target, async {
        let mut conn = Connection::open(addr, config).await?;
        let (challenge, raw) = conn.describe(&uri, None).await?;
        match challenge.status {
            401 => {}
            200 => {
                return Err(Failure::Protocol(format!(
                    "the stream is served without credentials ({}): there is no login to judge",
                    challenge.line()
                )))
            }
            404 => {
                return Err(Failure::Protocol(format!(
                    "no stream at this path ({}): declare the stream URL",
                    challenge.line()
                )))
            }
            _ => {
                return Err(Failure::Protocol(format!(
                    "an unauthenticated DESCRIBE got {}, not a 401 challenge",
                    challenge.line()
                )))
            }
        }
        let (mut client, scheme_name) = choose(&raw, scheme)?;
        let authorization = client
            .respond(&PasswordParams {
                username: &credential.username,
                password: credential.password.expose(),
                uri: uri.as_str(),
                method: "DESCRIBE",
                body: Some(&[]),
            })
            .map_err(|e| Failure::Protocol(format!("cannot answer the challenge: {e}")))?;
        // Some cameras close the connection after the 401: the answer to
        // the challenge then goes on a new one (a Digest nonce is the
        // server's, not the connection's).
        let (answer, _) = match conn.describe(&uri, Some(&authorization)).await {
            Err(Failure::Io(_) | Failure::Closed) => {
                let mut again = Connection::open(addr, config).await?;
                again.describe(&uri, Some(&authorization)).await?
            }
            other => other?,
        };
        let outcome = match answer.status {
            200 => LoginOutcome::Accepted,
            401 | 403 => LoginOutcome::Rejected,
            // 429: the server refuses attempts for now.
            429 => LoginOutcome::LockedOut {
                detail: answer.line(),
            },
            // 503 (the stream cannot be set up now, too many sessions):
            // past the login or not, nothing to judge; worth a retry.
            503 => {
                return Err(Failure::Protocol(format!(
                    "the credential got {}: the server is busy, no verdict",
                    answer.line()
                )))
            }
            _ => {
                return Err(Failure::Protocol(format!(
                    "the credential got {}, neither 200 nor 401",
                    answer.line()
                )))
            }
        };
        Ok(RtspLogin {
            outcome,
            password_in_cleartext: scheme_name == "Basic",
            scheme: scheme_name,
            challenge,
            answer,
        })
    })
    .await
}

fn parse_url(url: &str, target: &str) -> Result<url::Url, ProbeError> {
    let parsed = url::Url::parse(url).map_err(|e| ProbeError::Protocol {
        target: target.to_string(),
        detail: format!("{url:?} is not a URL: {e}"),
    })?;
    if parsed.scheme() != "rtsp" {
        return Err(ProbeError::Protocol {
            target: target.to_string(),
            detail: format!("{url:?} is not an rtsp:// URL"),
        });
    }
    Ok(parsed)
}

/// The challenge to answer, among those the server sent.
fn choose(challenges: &str, scheme: RtspScheme) -> Result<(PasswordClient, String), Failure> {
    let parsed = http_auth::parse_challenges(challenges).map_err(|e| {
        Failure::Protocol(format!(
            "unreadable WWW-Authenticate {:?}: {e}",
            cut(challenges)
        ))
    })?;
    let pick = |name: &str| -> Option<&ChallengeRef<'_>> {
        parsed.iter().find(|c| c.scheme.eq_ignore_ascii_case(name))
    };
    let chosen = match scheme {
        RtspScheme::Strongest => pick("Digest").or_else(|| pick("Basic")),
        RtspScheme::Basic => pick("Basic"),
        RtspScheme::Digest => pick("Digest"),
    }
    .ok_or_else(|| {
        Failure::Protocol(format!(
            "the server offers no {} challenge: {:?}",
            match scheme {
                RtspScheme::Strongest => "Basic or Digest",
                RtspScheme::Basic => "Basic",
                RtspScheme::Digest => "Digest",
            },
            cut(challenges)
        ))
    })?;
    let client = PasswordClient::try_from(chosen)
        .map_err(|e| Failure::Protocol(format!("unusable {} challenge: {e}", chosen.scheme)))?;
    let name = match &client {
        PasswordClient::Digest(d) => format!("Digest {:?}", d.algorithm()),
        _ => "Basic".to_string(),
    };
    Ok((client, name))
}

fn cut(text: &str) -> String {
    text.chars().take(512).collect()
}

enum Failure {
    Protocol(String),
    /// The server closed the connection before a whole answer.
    Closed,
    TooLarge(usize),
    Io(String),
    Timeout(std::time::Duration),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e.to_string())
    }
}

/// Run `work` within the probe timeout, mapping its failure to a
/// [`ProbeError`] on `target`.
async fn bounded<T>(
    config: &ProbeConfig,
    target: &str,
    work: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<T, ProbeError> {
    let target = target.to_string();
    match tokio::time::timeout(config.timeout, work).await {
        Err(_) => Err(ProbeError::Timeout {
            target,
            after: config.timeout,
        }),
        Ok(Ok(v)) => Ok(v),
        Ok(Err(Failure::Protocol(detail))) => Err(ProbeError::Protocol { target, detail }),
        Ok(Err(Failure::TooLarge(limit))) => Err(ProbeError::TooLarge { target, limit }),
        Ok(Err(Failure::Io(detail))) => Err(ProbeError::Connect { target, detail }),
        Ok(Err(Failure::Closed)) => Err(ProbeError::Protocol {
            target,
            detail: "the server closed the connection before a complete answer".into(),
        }),
        Ok(Err(Failure::Timeout(after))) => Err(ProbeError::Timeout { target, after }),
    }
}

struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
    limit: usize,
    cseq: u32,
}

impl Connection {
    async fn open(addr: SocketAddr, config: &ProbeConfig) -> Result<Connection, Failure> {
        let stream = tokio::time::timeout(config.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| Failure::Timeout(config.connect_timeout))??;
        Ok(Connection {
            stream,
            buf: Vec::new(),
            limit: config.max_response_bytes,
            cseq: 0,
        })
    }

    /// Send a `DESCRIBE` (with `authorization` if given) and read its
    /// answer; also return the raw `WWW-Authenticate` value.
    async fn describe(
        &mut self,
        uri: &url::Url,
        authorization: Option<&str>,
    ) -> Result<(RtspAnswer, String), Failure> {
        self.cseq += 1;
        let mut builder = Request::builder(Method::Describe, Version::V1_0)
            .request_uri(uri.clone())
            .header(headers::CSEQ, self.cseq.to_string())
            .header(headers::ACCEPT, "application/sdp")
            .header(headers::USER_AGENT, "iotmark");
        if let Some(value) = authorization {
            builder = builder.header(headers::AUTHORIZATION, value.to_string());
        }
        let request = builder.empty();
        let mut bytes = Vec::new();
        request
            .write(&mut bytes)
            .map_err(|e| Failure::Protocol(format!("cannot write the DESCRIBE: {e}")))?;
        self.stream.write_all(&bytes).await?;
        self.stream.flush().await?;
        let response = self.read_response().await?;
        let cseq = response
            .header(&headers::CSEQ)
            .map(|v| v.as_str().trim().to_string());
        if cseq.as_deref() != Some(self.cseq.to_string().as_str()) {
            return Err(Failure::Protocol(format!(
                "the answer's CSeq {cseq:?} is not the request's {}",
                self.cseq
            )));
        }
        let raw = response
            .header(&headers::WWW_AUTHENTICATE)
            .map(|v| v.as_str().to_string())
            .unwrap_or_default();
        let answer = RtspAnswer {
            status: u16::from(response.status()),
            reason: response.reason_phrase().chars().take(200).collect(),
            server: response
                .header(&headers::SERVER)
                .map(|v| v.as_str().chars().take(200).collect()),
            challenges: (!raw.is_empty()).then(|| cut(&raw)),
            body_bytes: response.body().len(),
        };
        Ok((answer, raw))
    }

    /// Read until one whole response (headers and body) is in the buffer,
    /// at most `limit` bytes. Interleaved binary data ($-framed RTP) and
    /// requests from the server are not expected before a DESCRIBE answer
    /// and are refused as unexpected.
    async fn read_response(&mut self) -> Result<Response<Vec<u8>>, Failure> {
        let mut chunk = [0u8; 4096];
        loop {
            if !self.buf.is_empty() {
                match parse_response(&self.buf) {
                    Ok((response, used)) => {
                        self.buf.drain(..used);
                        return Ok(response);
                    }
                    Err(None) => {}
                    Err(Some(detail)) => return Err(Failure::Protocol(detail)),
                }
            }
            if self.buf.len() >= self.limit {
                return Err(Failure::TooLarge(self.limit));
            }
            let room = (self.limit - self.buf.len()).min(chunk.len());
            let n = self.stream.read(&mut chunk[..room]).await?;
            if n == 0 {
                return Err(Failure::Closed);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// One RTSP response from the start of `bytes` and the bytes it took;
/// `Err(None)` when more bytes are needed, `Err(Some(why))` when the bytes
/// are not an RTSP response.
pub fn parse_response(bytes: &[u8]) -> Result<(Response<Vec<u8>>, usize), Option<String>> {
    if bytes.first() == Some(&b'$') {
        return Err(Some(
            "interleaved binary data where an answer was due".into(),
        ));
    }
    match Message::<Vec<u8>>::parse(bytes) {
        Ok((Message::Response(response), used)) => Ok((response, used)),
        Ok((Message::Request(r), _)) => Err(Some(format!(
            "the server sent a {:?} request where an answer was due",
            r.method()
        ))),
        Ok((Message::Data(_), _)) => Err(Some("interleaved data where an answer was due".into())),
        Err(ParseError::Incomplete(_)) => Err(None),
        Err(ParseError::Error) => Err(Some(format!(
            "not an RTSP answer: {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(80)])
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_parse_whole_or_wait() {
        let ok = b"RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm=\"cam\", nonce=\"abc\"\r\nWWW-Authenticate: Basic realm=\"cam\"\r\n\r\n";
        let (r, used) = parse_response(ok).unwrap();
        assert_eq!(used, ok.len());
        assert_eq!(u16::from(r.status()), 401);
        let raw = r
            .header(&headers::WWW_AUTHENTICATE)
            .unwrap()
            .as_str()
            .to_string();
        let (_, name) = choose(&raw, RtspScheme::Strongest).ok().unwrap();
        assert_eq!(name, "Digest Md5");
        let (_, name) = choose(&raw, RtspScheme::Basic).ok().unwrap();
        assert_eq!(name, "Basic");
        for cut in 1..ok.len() {
            assert!(matches!(parse_response(&ok[..cut]), Err(None)), "{cut}");
        }
        assert!(matches!(
            parse_response(b"HTTP/1.1 200 OK\r\n\r\n"),
            Err(Some(_))
        ));
        assert!(matches!(parse_response(b"$\x00\x00\x04abcd"), Err(Some(_))));
    }

    #[test]
    fn urls() {
        assert_eq!(stream_url("::1", 554, "live"), "rtsp://[::1]:554/live");
        assert_eq!(stream_url("cam", 8554, "/a"), "rtsp://cam:8554/a");
    }
}
