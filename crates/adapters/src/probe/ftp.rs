//! The FTP login probe: the greeting, explicit TLS (`AUTH TLS`, RFC 4217)
//! where the server offers it, then `USER` and `PASS` (RFC 959), judged by
//! the reply codes. Whether the password crossed the network in the clear
//! is recorded, for the cleartext checks.
//!
//! Hand-written rather than on an FTP client crate: the login takes four
//! commands, the judge needs every reply code as sent (331, 332, 421, a 530
//! that demands encryption), and the client crates log each command line,
//! `PASS` included, where a trace-level log would keep the device's
//! declared password. The reply reader ([`ReplyReader`]) is bounded: at most
//! [`MAX_LINE`] bytes a line, [`MAX_LINES`] lines a reply, and the probe's
//! size limit for the whole dialogue; a fuzz target keeps it honest.
//!
//! Any server certificate is accepted (devices have their own, self-signed);
//! the TLS handshake signature is still verified.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::Service;

use crate::device::{Credential, LoginOutcome, ProbeError};
use crate::probe::layers::{DescribeRequest, DescribeResponse};
use crate::probe::{BoxFuture, ProbeConfig};
use crate::secret::Secret;

/// Longest reply line read (RFC 959 sets none; real greetings stay well
/// under 1 KiB).
pub const MAX_LINE: usize = 2048;
/// Most lines in one (multi-line) reply.
pub const MAX_LINES: usize = 200;

/// One FTP reply: its code and its text (lines joined with `\n`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    /// First line of the text, cut to 200 characters, for evidence.
    pub fn line(&self) -> String {
        let first = self.text.lines().next().unwrap_or_default();
        format!(
            "{} {}",
            self.code,
            first.chars().take(200).collect::<String>()
        )
    }
}

/// Why the bytes a server sent are not an FTP reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    #[error("a reply line longer than {MAX_LINE} bytes")]
    LineTooLong,
    #[error("a reply of more than {MAX_LINES} lines")]
    TooManyLines,
    #[error("a reply line that does not start with a three-digit code: {0:?}")]
    NoCode(String),
}

/// Turns the bytes of a control connection into replies, however they are
/// cut into reads. Bounded: a line is at most [`MAX_LINE`] bytes, a reply at
/// most [`MAX_LINES`] lines.
#[derive(Debug, Default)]
pub struct ReplyReader {
    pending: Vec<u8>,
    /// The code and lines of a multi-line reply in progress.
    open: Option<(u16, Vec<String>)>,
}

impl ReplyReader {
    pub fn new() -> Self {
        ReplyReader::default()
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// Bytes received and not yet part of a reply.
    pub fn unread(&self) -> usize {
        self.pending.len()
    }

    /// The next complete reply, `Ok(None)` when more bytes are needed.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, ReplyError> {
        loop {
            let Some(end) = self.pending.iter().position(|b| *b == b'\n') else {
                if self.pending.len() > MAX_LINE {
                    return Err(ReplyError::LineTooLong);
                }
                return Ok(None);
            };
            if end > MAX_LINE {
                return Err(ReplyError::LineTooLong);
            }
            let raw: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw[..end])
                .trim_end_matches('\r')
                .to_string();
            let code = line_code(&line);
            match &mut self.open {
                None => {
                    let code = code.ok_or_else(|| ReplyError::NoCode(cut(&line)))?;
                    let text = line.get(4..).unwrap_or_default().to_string();
                    if line.as_bytes().get(3) == Some(&b'-') {
                        self.open = Some((code, vec![text]));
                    } else {
                        return Ok(Some(Reply { code, text }));
                    }
                }
                Some((open_code, lines)) => {
                    // The reply ends with "CODE " (or a bare "CODE") with the
                    // same code; other lines belong to it, whatever they hold.
                    let ends = code == Some(*open_code) && line.as_bytes().get(3) != Some(&b'-');
                    let text = if ends {
                        line.get(4..).unwrap_or_default().to_string()
                    } else {
                        line
                    };
                    lines.push(text);
                    if lines.len() > MAX_LINES {
                        return Err(ReplyError::TooManyLines);
                    }
                    if ends {
                        let code = *open_code;
                        let lines = std::mem::take(lines);
                        self.open = None;
                        return Ok(Some(Reply {
                            code,
                            text: lines.join("\n"),
                        }));
                    }
                }
            }
        }
    }
}

fn line_code(line: &str) -> Option<u16> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match line.as_bytes().get(3) {
        None | Some(b' ') | Some(b'-') => digits.parse().ok().filter(|c| (100..600).contains(c)),
        _ => None,
    }
}

fn cut(text: &str) -> String {
    text.chars().take(80).collect()
}

/// When to ask for TLS before sending the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsPolicy {
    /// `AUTH TLS` first; log in over TLS if the server agrees, in the clear
    /// if it refuses (what a client that prefers TLS does).
    IfOffered,
    /// Never ask: the login a plain FTP client makes (does the server take a
    /// password in the clear?).
    Never,
}

/// What happened to TLS on the control connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "tls", rename_all = "kebab-case")]
pub enum FtpTls {
    /// `AUTH TLS` accepted; the credential went over TLS.
    Negotiated { version: String },
    /// The server refused `AUTH TLS`.
    Refused { reply: String },
    /// Not asked ([`TlsPolicy::Never`]).
    NotAsked,
}

/// The outcome of one FTP login attempt, with what the judge saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FtpLogin {
    pub outcome: LoginOutcome,
    pub tls: FtpTls,
    /// The password (or, for a server that logs in on `USER` alone, the
    /// user name) crossed the network without TLS.
    pub password_in_cleartext: bool,
    /// The greeting's first line.
    pub greeting: String,
    /// The reply the outcome was judged on.
    pub decisive_reply: String,
}

/// One credential to try on one FTP interface, for [`FtpLoginService`].
#[derive(Debug, Clone)]
pub struct FtpLoginRequest {
    pub interface: String,
    pub addr: SocketAddr,
    /// The TLS server name.
    pub host: String,
    pub credential: Credential,
    pub tls: TlsPolicy,
}

impl DescribeRequest for FtpLoginRequest {
    fn probe_kind(&self) -> String {
        "ftp-login".into()
    }

    fn target(&self) -> String {
        format!("ftp://{} ({})", self.addr, self.interface)
    }

    fn describe(&self) -> String {
        format!(
            "user {:?} password {}{}",
            self.credential.username,
            self.credential.password.mask(),
            match self.tls {
                TlsPolicy::IfOffered => ", AUTH TLS first",
                TlsPolicy::Never => ", no TLS",
            }
        )
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.credential.password.clone()]
    }
}

impl DescribeResponse for FtpLogin {
    fn outcome(&self) -> String {
        match self.outcome {
            LoginOutcome::Accepted => "accepted".into(),
            LoginOutcome::Rejected => "rejected".into(),
            LoginOutcome::LockedOut { .. } => "locked-out".into(),
        }
    }

    fn describe(&self) -> String {
        let tls = match &self.tls {
            FtpTls::Negotiated { version } => format!("over TLS ({version})"),
            FtpTls::Refused { reply } => format!("in the clear (AUTH TLS refused: {reply})"),
            FtpTls::NotAsked => "in the clear (TLS not asked)".into(),
        };
        format!(
            "{}; password sent {tls}; {}",
            self.greeting, self.decisive_reply
        )
    }
}

/// The FTP login as a tower service (the innermost FTP layer), to sit
/// under the probe stack's shared limits, evidence and timeout.
#[derive(Debug, Clone)]
pub struct FtpLoginService {
    config: ProbeConfig,
}

impl FtpLoginService {
    pub fn new(config: &ProbeConfig) -> Self {
        FtpLoginService {
            config: config.clone(),
        }
    }
}

impl Service<FtpLoginRequest> for FtpLoginService {
    type Response = FtpLogin;
    type Error = ProbeError;
    type Future = BoxFuture<Result<FtpLogin, ProbeError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: FtpLoginRequest) -> Self::Future {
        let config = self.config.clone();
        Box::pin(async move {
            login(
                request.addr,
                &request.host,
                &request.credential,
                request.tls,
                &config,
            )
            .await
        })
    }
}

/// [`login`] with [`TlsPolicy::IfOffered`], the outcome alone.
pub async fn try_login(
    addr: SocketAddr,
    host: &str,
    credential: &Credential,
    config: &ProbeConfig,
) -> Result<LoginOutcome, ProbeError> {
    login(addr, host, credential, TlsPolicy::IfOffered, config)
        .await
        .map(|l| l.outcome)
}

/// One login attempt on the FTP server at `addr` (`host` is the TLS server
/// name). The whole dialogue is bounded by `config.timeout` and
/// `config.max_response_bytes`.
pub async fn login(
    addr: SocketAddr,
    host: &str,
    credential: &Credential,
    tls: TlsPolicy,
    config: &ProbeConfig,
) -> Result<FtpLogin, ProbeError> {
    let target = format!("ftp://{addr}");
    let stream = match tokio::time::timeout(config.connect_timeout, TcpStream::connect(addr)).await
    {
        Err(_) => {
            return Err(ProbeError::Timeout {
                target,
                after: config.connect_timeout,
            })
        }
        Ok(Err(e)) => {
            return Err(ProbeError::Connect {
                target,
                detail: e.to_string(),
            })
        }
        Ok(Ok(s)) => s,
    };
    match tokio::time::timeout(
        config.timeout,
        dialogue(stream, host, credential, tls, config.max_response_bytes),
    )
    .await
    {
        Err(_) => Err(ProbeError::Timeout {
            target,
            after: config.timeout,
        }),
        Ok(Err(Failure::Protocol(detail))) => Err(ProbeError::Protocol { target, detail }),
        Ok(Err(Failure::TooLarge(limit))) => Err(ProbeError::TooLarge { target, limit }),
        Ok(Err(Failure::Io(detail))) => Err(ProbeError::Connect { target, detail }),
        Ok(Ok(login)) => Ok(login),
    }
}

enum Failure {
    Protocol(String),
    TooLarge(usize),
    Io(String),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e.to_string())
    }
}

/// The control connection: a stream and the replies read from it.
struct Control<S> {
    stream: S,
    reader: ReplyReader,
    /// Bytes still allowed for the rest of the dialogue.
    budget: usize,
    limit: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Control<S> {
    async fn reply(&mut self) -> Result<Reply, Failure> {
        let mut buf = [0u8; 2048];
        loop {
            match self.reader.next_reply() {
                Ok(Some(reply)) => return Ok(reply),
                Ok(None) => {}
                Err(e) => return Err(Failure::Protocol(e.to_string())),
            }
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(Failure::Protocol(
                    "the server closed the connection before a complete reply".into(),
                ));
            }
            self.budget = self
                .budget
                .checked_sub(n)
                .ok_or(Failure::TooLarge(self.limit))?;
            self.reader.feed(&buf[..n]);
        }
    }

    /// Send one command line and read its reply; a 1xx preliminary reply is
    /// followed by the final one (at most three of them).
    async fn command(&mut self, line: &str) -> Result<Reply, Failure> {
        if line.contains(['\r', '\n']) {
            return Err(Failure::Protocol(
                "a user name or password with a line break cannot be sent".into(),
            ));
        }
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .await?;
        self.stream.flush().await?;
        let mut reply = self.reply().await?;
        for _ in 0..3 {
            if reply.code >= 200 {
                break;
            }
            reply = self.reply().await?;
        }
        Ok(reply)
    }
}

async fn dialogue(
    stream: TcpStream,
    host: &str,
    credential: &Credential,
    tls: TlsPolicy,
    limit: usize,
) -> Result<FtpLogin, Failure> {
    let mut plain = Control {
        stream,
        reader: ReplyReader::new(),
        budget: limit,
        limit,
    };
    let mut greeting = plain.reply().await?;
    // 120: ready in a few minutes; the next reply is the real greeting.
    if greeting.code == 120 {
        greeting = plain.reply().await?;
    }
    let greeting_line = greeting.line();
    match greeting.code {
        220 => {}
        421 => {
            return Ok(FtpLogin {
                outcome: LoginOutcome::LockedOut {
                    detail: greeting_line.clone(),
                },
                tls: FtpTls::NotAsked,
                password_in_cleartext: false,
                greeting: greeting_line.clone(),
                decisive_reply: greeting_line,
            })
        }
        _ => {
            return Err(Failure::Protocol(format!(
                "greeting {greeting_line:?} is not 220 (service ready)"
            )))
        }
    }
    if tls == TlsPolicy::Never {
        return authenticate(plain, credential, FtpTls::NotAsked, greeting_line).await;
    }
    let auth = plain.command("AUTH TLS").await?;
    if auth.code != 234 {
        let refused = FtpTls::Refused { reply: auth.line() };
        return authenticate(plain, credential, refused, greeting_line).await;
    }
    if plain.reader.unread() > 0 {
        return Err(Failure::Protocol(
            "bytes after the 234 reply to AUTH TLS, before the TLS handshake".into(),
        ));
    }
    let connector = tokio_rustls::TlsConnector::from(Arc::new(any_certificate_config()));
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| Failure::Protocol(format!("{host:?} is not a TLS server name: {e}")))?;
    let secured = connector
        .connect(name, plain.stream)
        .await
        .map_err(|e| Failure::Protocol(format!("the TLS handshake after AUTH TLS failed: {e}")))?;
    let version = secured
        .get_ref()
        .1
        .protocol_version()
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    let secured = Control {
        stream: secured,
        reader: ReplyReader::new(),
        budget: plain.budget,
        limit,
    };
    authenticate(
        secured,
        credential,
        FtpTls::Negotiated { version },
        greeting_line,
    )
    .await
}

/// Words by which a server says it refuses the login for lack of TLS, not for
/// the credential (vsftpd: "Non-anonymous sessions must use encryption").
fn demands_encryption(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    ["encrypt", "ssl", "tls", "secure"]
        .iter()
        .any(|w| text.contains(w))
}

/// Words of a lockout: the server refuses every attempt for now.
fn locked_out(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    ["too many", "locked", "try again later", "temporarily"]
        .iter()
        .any(|w| text.contains(w))
}

async fn authenticate<S: AsyncRead + AsyncWrite + Unpin>(
    mut control: Control<S>,
    credential: &Credential,
    tls: FtpTls,
    greeting: String,
) -> Result<FtpLogin, Failure> {
    let cleartext = !matches!(tls, FtpTls::Negotiated { .. });
    let judged = |outcome: LoginOutcome, reply: &Reply, tls: FtpTls| FtpLogin {
        outcome,
        tls,
        password_in_cleartext: cleartext,
        greeting: greeting.clone(),
        decisive_reply: reply.line(),
    };
    let user = control
        .command(&format!("USER {}", credential.username))
        .await?;
    let outcome_of = |reply: &Reply, step: &str| -> Result<LoginOutcome, Failure> {
        match reply.code {
            230 | 202 => Ok(LoginOutcome::Accepted),
            421 => Ok(LoginOutcome::LockedOut {
                detail: reply.line(),
            }),
            530 | 430 if cleartext && demands_encryption(&reply.text) => {
                Err(Failure::Protocol(format!(
                    "the server refuses {step} without TLS ({}), so the credential was not judged",
                    reply.line()
                )))
            }
            530 | 430 if locked_out(&reply.text) => Ok(LoginOutcome::LockedOut {
                detail: reply.line(),
            }),
            530 | 430 => Ok(LoginOutcome::Rejected),
            _ => Err(Failure::Protocol(format!(
                "unexpected reply to {step}: {}",
                reply.line()
            ))),
        }
    };
    let decisive = match user.code {
        331 => {
            let pass = control
                .command(&format!("PASS {}", credential.password.expose()))
                .await?;
            if pass.code == 332 {
                return Err(Failure::Protocol(format!(
                    "the server asks for an account (ACCT) after the password: {}",
                    pass.line()
                )));
            }
            pass
        }
        332 => {
            return Err(Failure::Protocol(format!(
                "the server asks for an account (ACCT) before the password: {}",
                user.line()
            )))
        }
        _ => user,
    };
    let outcome = outcome_of(&decisive, "the login")?;
    let _ = control.stream.write_all(b"QUIT\r\n").await;
    let _ = tokio::time::timeout(Duration::from_millis(200), control.reply()).await;
    Ok(judged(outcome, &decisive, tls))
}

/// A client configuration that accepts any server certificate (devices
/// present their own) and still checks the handshake signature.
fn any_certificate_config() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(AnyCertificate {
        provider: Arc::clone(&provider),
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS);
    match builder {
        Ok(b) => b
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth(),
        // Invariant: ring supports every version rustls knows; fall back
        // to the defaults rather than fail.
        Err(_) => rustls::ClientConfig::builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate {
                provider: Arc::new(rustls::crypto::ring::default_provider()),
            }))
            .with_no_client_auth(),
    }
}

#[derive(Debug)]
struct AnyCertificate {
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replies(bytes: &[u8], chunk: usize) -> Result<Vec<Reply>, ReplyError> {
        let mut r = ReplyReader::new();
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk) {
            r.feed(piece);
            while let Some(reply) = r.next_reply()? {
                out.push(reply);
            }
        }
        Ok(out)
    }

    #[test]
    fn single_and_multi_line_replies() {
        let bytes =
            b"220-Welcome\r\n 230 not the end\r\n220 ready\r\n331 Please specify the password.\r\n";
        for chunk in [1, 3, bytes.len()] {
            let r = replies(bytes, chunk).unwrap();
            assert_eq!(r.len(), 2);
            assert_eq!(r[0].code, 220);
            assert_eq!(r[0].text, "Welcome\n 230 not the end\nready");
            assert_eq!(r[1].line(), "331 Please specify the password.");
        }
    }

    #[test]
    fn bounded_and_strict() {
        let long = vec![b'2'; MAX_LINE + 10];
        assert_eq!(replies(&long, 100), Err(ReplyError::LineTooLong));
        let mut many = b"220-start\r\n".to_vec();
        for _ in 0..=MAX_LINES {
            many.extend_from_slice(b"more\r\n");
        }
        assert_eq!(replies(&many, 64), Err(ReplyError::TooManyLines));
        assert!(matches!(
            replies(b"hello\r\n", 4),
            Err(ReplyError::NoCode(_))
        ));
        assert!(matches!(
            replies(b"999 x\r\n", 4),
            Err(ReplyError::NoCode(_))
        ));
    }

    #[test]
    fn encryption_demands_are_not_rejections() {
        assert!(demands_encryption(
            "Non-anonymous sessions must use encryption."
        ));
        assert!(!demands_encryption("Login incorrect."));
    }
}
