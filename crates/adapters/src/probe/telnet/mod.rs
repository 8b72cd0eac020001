//! The telnet login probe: connect, negotiate like a simple client, answer the
//! login and password prompts, and read the device's verdict.
//!
//! The dialogue is read in turns. After each read the text received since our
//! last line is judged ([`judge::decide`]); a match stands once the device has
//! been quiet for a moment (so "Login incorrect" followed by "Too many
//! attempts" reads as a lockout, and a `#` inside a banner is not a prompt).
//! Text that fits no rule and is followed by silence for the read window, or a
//! closed connection, is a protocol error carrying what was seen. Silence with
//! nothing new to read is left to the probe timeout.
//!
//! Every byte read counts against the size limit; past it the probe fails with
//! [`ProbeError::TooLarge`].

pub mod codec;
pub mod judge;

use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::Service;

use self::codec::{encode_line, TelnetDecoder};
use self::judge::{decide, without_echo, Decision, Phase};
use crate::device::{Credential, LoginOutcome, ProbeError};
use crate::evidence::excerpt;
use crate::probe::layers::{DescribeRequest, DescribeResponse};
use crate::probe::{BoxFuture, ProbeConfig};
use crate::secret::Secret;

/// Read windows of quiet after unrecognised text before the dialogue is
/// given up as unreadable (a banner may be followed by a long pause).
const QUIET_WINDOWS: u32 = 4;

/// Most transcript text kept for evidence (the log trims further).
const TRANSCRIPT_LIMIT: usize = 16 * 1024;

/// One credential to try on one telnet login interface.
#[derive(Debug, Clone)]
pub struct TelnetLoginRequest {
    /// The interface name, for the record.
    pub interface: String,
    pub addr: SocketAddr,
    pub credential: Credential,
}

impl DescribeRequest for TelnetLoginRequest {
    fn probe_kind(&self) -> String {
        "telnet-login".into()
    }

    fn target(&self) -> String {
        format!("telnet://{} ({})", self.addr, self.interface)
    }

    fn describe(&self) -> String {
        format!(
            "user {:?} password {}",
            self.credential.username,
            self.credential.password.mask()
        )
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.credential.password.clone()]
    }
}

/// The device's verdict and the dialogue that led to it (`<<` device, `>>` us).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelnetLoginReply {
    pub outcome: LoginOutcome,
    pub transcript: String,
}

impl DescribeResponse for TelnetLoginReply {
    fn outcome(&self) -> String {
        match &self.outcome {
            LoginOutcome::Accepted => "accepted".into(),
            LoginOutcome::Rejected => "rejected".into(),
            LoginOutcome::LockedOut { .. } => "locked-out".into(),
        }
    }

    fn describe(&self) -> String {
        self.transcript.clone()
    }
}

/// The telnet login service (the innermost telnet layer).
#[derive(Debug, Clone)]
pub struct TelnetLogin {
    connect_timeout: Duration,
    max_bytes: usize,
    read_window: Duration,
    settle: Duration,
}

impl TelnetLogin {
    pub fn new(config: &ProbeConfig) -> Self {
        let read_window = config.read_window();
        TelnetLogin {
            connect_timeout: config.connect_timeout,
            max_bytes: config.max_response_bytes,
            read_window,
            settle: read_window.min(Duration::from_millis(150)),
        }
    }
}

impl Service<TelnetLoginRequest> for TelnetLogin {
    type Response = TelnetLoginReply;
    type Error = ProbeError;
    type Future = BoxFuture<Result<TelnetLoginReply, ProbeError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: TelnetLoginRequest) -> Self::Future {
        Box::pin(login(self.clone(), request))
    }
}

async fn login(
    settings: TelnetLogin,
    request: TelnetLoginRequest,
) -> Result<TelnetLoginReply, ProbeError> {
    let target = request.target();
    let stream = match tokio::time::timeout(
        settings.connect_timeout,
        TcpStream::connect(request.addr),
    )
    .await
    {
        Err(_) => {
            return Err(ProbeError::Timeout {
                target,
                after: settings.connect_timeout,
            })
        }
        Ok(Err(e)) => {
            return Err(ProbeError::Connect {
                target,
                detail: e.to_string(),
            })
        }
        Ok(Ok(stream)) => stream,
    };
    let mut session = Session {
        stream,
        decoder: TelnetDecoder::default(),
        since_send: Vec::new(),
        total_read: 0,
        transcript: String::new(),
        settings,
        target,
    };
    let credential = &request.credential;
    let mut phase = Phase::AwaitLogin;
    let mut sent: Option<&str> = None;
    loop {
        match session.await_decision(phase, sent).await? {
            Decision::SendUser => {
                session
                    .send(&credential.username, &credential.username)
                    .await?;
                sent = Some(&credential.username);
                phase = Phase::AwaitPassword;
            }
            Decision::SendPassword => {
                session
                    .send(credential.password.expose(), &credential.password.mask())
                    .await?;
                sent = Some(credential.password.expose());
                phase = Phase::AwaitVerdict;
            }
            Decision::Verdict(outcome) => {
                session.note_received();
                return Ok(TelnetLoginReply {
                    outcome,
                    transcript: session.transcript,
                });
            }
            Decision::Refuse(why) => return Err(session.unclear(&why)),
        }
    }
}

enum Read {
    Data,
    Quiet,
    Closed,
}

struct Session {
    stream: TcpStream,
    decoder: TelnetDecoder,
    /// Text (IAC stripped) received since our last line.
    since_send: Vec<u8>,
    total_read: usize,
    transcript: String,
    settings: TelnetLogin,
    target: String,
}

impl Session {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.since_send).into_owned()
    }

    /// Read until the text since our last line yields a decision.
    async fn await_decision(
        &mut self,
        phase: Phase,
        sent: Option<&str>,
    ) -> Result<Decision, ProbeError> {
        let mut quiet_windows = 0;
        loop {
            let text = self.text();
            if let Some(decision) = decide(phase, without_echo(&text, sent)) {
                // A match stands once the device goes quiet (or hangs up).
                match self.read(self.settings.settle).await? {
                    Read::Data => continue,
                    Read::Quiet | Read::Closed => return Ok(decision),
                }
            }
            match self.read(self.settings.read_window).await? {
                Read::Data => {}
                Read::Quiet => {
                    if !without_echo(&text, sent).trim().is_empty() {
                        // A banner, a message of the day or a slow device:
                        // wait a few windows more before giving up. (No
                        // nudge: an early empty line would be read as the
                        // user name once the prompt comes.)
                        quiet_windows += 1;
                        if quiet_windows >= QUIET_WINDOWS {
                            return Err(self.unclear(&format!(
                                "no {} within {:.1} s of quiet",
                                phase.waiting_for(),
                                self.settings.read_window.as_secs_f64() * QUIET_WINDOWS as f64
                            )));
                        }
                    }
                }
                Read::Closed => {
                    return Err(self.unclear(&format!(
                        "the device closed the connection while we waited for {}",
                        phase.waiting_for()
                    )))
                }
            }
        }
    }

    /// One read of at most `window`; negotiation is answered at once.
    async fn read(&mut self, window: Duration) -> Result<Read, ProbeError> {
        let mut buf = [0u8; 4096];
        let n = match tokio::time::timeout(window, self.stream.read(&mut buf)).await {
            Err(_) => return Ok(Read::Quiet),
            Ok(Ok(0)) => return Ok(Read::Closed),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                return Err(if self.total_read == 0 {
                    ProbeError::Connect {
                        target: self.target.clone(),
                        detail: format!(
                            "the connection failed before the device said anything: {e}"
                        ),
                    }
                } else {
                    self.unclear(&format!("the connection failed: {e}"))
                })
            }
        };
        self.total_read += n;
        if self.total_read > self.settings.max_bytes {
            return Err(ProbeError::TooLarge {
                target: self.target.clone(),
                limit: self.settings.max_bytes,
            });
        }
        let mut replies = Vec::new();
        let fed = self
            .decoder
            .feed(&buf[..n], &mut self.since_send, &mut replies);
        if let Err(not_telnet) = fed {
            return Err(self.unclear(&not_telnet.to_string()));
        }
        if !replies.is_empty() {
            self.write(&replies).await?;
        }
        Ok(Read::Data)
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), ProbeError> {
        if let Err(e) = self.stream.write_all(bytes).await {
            return Err(self.unclear(&format!("cannot write to the device: {e}")));
        }
        Ok(())
    }

    /// Send one line; `shown` is what the transcript says was sent.
    async fn send(&mut self, line: &str, shown: &str) -> Result<(), ProbeError> {
        self.note_received();
        self.push_transcript(&format!(">> {shown}\n"));
        self.since_send.clear();
        self.write(&encode_line(line)).await
    }

    fn note_received(&mut self) {
        let text = self.text();
        if !text.is_empty() {
            self.push_transcript(&format!("<< {}\n", text.trim()));
        }
    }

    fn push_transcript(&mut self, s: &str) {
        if self.transcript.len() < TRANSCRIPT_LIMIT {
            self.transcript.push_str(s);
        }
    }

    /// A protocol error quoting what was seen (control characters escaped).
    fn unclear(&self, why: &str) -> ProbeError {
        let seen = self.text();
        let seen = if seen.trim().is_empty() {
            format!(
                "{} bytes in all, no text since our last line",
                self.total_read
            )
        } else {
            format!("{:?}", excerpt(seen.trim(), 300))
        };
        ProbeError::Protocol {
            target: self.target.clone(),
            detail: format!("{why}; saw: {seen}"),
        }
    }
}
