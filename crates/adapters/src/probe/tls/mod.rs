//! The TLS prober: which protocol versions and which weak cipher suites a
//! device's TLS server accepts.
//!
//! rustls (rightly) cannot speak TLS 1.0, 1.1 or weak suites, so the prober
//! writes its own ClientHello ([`hello::client_hello`]) and reads only the
//! server's first flight ([`parse::FlightParser`]): the ServerHello says which
//! version and suite the server would use, an alert says it refuses. No
//! handshake is completed and no key is exchanged; the connection is dropped
//! once the answer is known.
//!
//! Each hello is one probe through the usual layers ([`TlsHelloProbe`]);
//! [`survey`] runs the sequence (one hello per version, then one per family of
//! weak suites) and assembles a [`TlsReport`].

pub mod hello;
pub mod parse;
pub mod suites;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::{Service, ServiceExt};

use self::parse::{alert_name, FlightParser, ServerAnswer};
pub use self::suites::{CipherSuite, TlsVersion, WeakSuiteSet};
use crate::device::ProbeError;
use crate::evidence::Evidence;
use crate::probe::layers::{DescribeRequest, DescribeResponse, Recorded};
use crate::probe::{BoxFuture, ProbeConfig, TlsHelloProbe};
use crate::secret::Secret;

/// Most bytes read from one server flight (a long certificate chain fits).
const FLIGHT_BUDGET: usize = 64 * 1024;

/// One ClientHello to send.
#[derive(Debug, Clone)]
pub struct TlsHelloRequest {
    pub addr: SocketAddr,
    /// Host name for SNI (IP literals are not sent).
    pub sni: Option<String>,
    pub version: TlsVersion,
    pub suites: Vec<u16>,
    /// What the offer is for the record: `all suites`, `RC4 suites`…
    pub offer: String,
}

impl DescribeRequest for TlsHelloRequest {
    fn probe_kind(&self) -> String {
        "tls-hello".into()
    }

    fn target(&self) -> String {
        format!("tls://{}", self.addr)
    }

    fn describe(&self) -> String {
        format!(
            "ClientHello {} offering {} ({} suites)",
            self.version,
            self.offer,
            self.suites.len()
        )
    }

    fn secrets(&self) -> Vec<Secret> {
        Vec::new()
    }
}

/// What the server did with one hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum HelloOutcome {
    /// It answered with a ServerHello.
    Accepted {
        version: TlsVersion,
        suite: CipherSuite,
        certificate_sha256: Option<String>,
    },
    /// It refused: an alert, or it closed or reset the connection.
    Refused { reason: String },
}

/// The answer to one [`TlsHelloRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsHelloReply {
    pub outcome: HelloOutcome,
}

impl DescribeResponse for TlsHelloReply {
    fn outcome(&self) -> String {
        match &self.outcome {
            HelloOutcome::Accepted { .. } => "accepted".into(),
            HelloOutcome::Refused { .. } => "refused".into(),
        }
    }

    fn describe(&self) -> String {
        match &self.outcome {
            HelloOutcome::Accepted {
                version,
                suite,
                certificate_sha256,
            } => format!(
                "ServerHello {version} {suite}{}",
                certificate_sha256
                    .as_ref()
                    .map(|c| format!(", certificate SHA-256 {c}"))
                    .unwrap_or_default()
            ),
            HelloOutcome::Refused { reason } => reason.clone(),
        }
    }
}

/// The hello service (the innermost TLS prober layer).
#[derive(Debug, Clone)]
pub struct TlsHello {
    connect_timeout: Duration,
    read_window: Duration,
    budget: usize,
}

impl TlsHello {
    pub fn new(config: &ProbeConfig) -> Self {
        TlsHello {
            connect_timeout: config.connect_timeout,
            read_window: config.read_window(),
            budget: FLIGHT_BUDGET.min(config.max_response_bytes.max(1024)),
        }
    }
}

impl Service<TlsHelloRequest> for TlsHello {
    type Response = TlsHelloReply;
    type Error = ProbeError;
    type Future = BoxFuture<Result<TlsHelloReply, ProbeError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: TlsHelloRequest) -> Self::Future {
        Box::pin(send_hello(self.clone(), request))
    }
}

fn random() -> [u8; 32] {
    use ring::rand::SecureRandom;
    let mut r = [0u8; 32];
    // A fixed random would do as well: nothing is encrypted with it.
    let _ = ring::rand::SystemRandom::new().fill(&mut r);
    r
}

fn refused(reason: impl Into<String>) -> Result<TlsHelloReply, ProbeError> {
    Ok(TlsHelloReply {
        outcome: HelloOutcome::Refused {
            reason: reason.into(),
        },
    })
}

async fn send_hello(
    settings: TlsHello,
    request: TlsHelloRequest,
) -> Result<TlsHelloReply, ProbeError> {
    let target = request.target();
    let mut stream = match tokio::time::timeout(
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
        Ok(Ok(s)) => s,
    };
    let hello = hello::client_hello(
        request.version,
        &request.suites,
        request.sni.as_deref(),
        random(),
    );
    if let Err(e) = stream.write_all(&hello).await {
        return refused(format!("the connection failed as the hello was sent: {e}"));
    }
    let mut parser = FlightParser::new(settings.budget);
    let mut buf = [0u8; 4096];
    let answer = loop {
        // Before the ServerHello, silence is the probe timeout's business;
        // after it, a short quiet means the clear part of the flight is over.
        let read = if parser.hello().is_some() {
            match tokio::time::timeout(settings.read_window, stream.read(&mut buf)).await {
                Ok(r) => r,
                Err(_) => break parser.finish(),
            }
        } else {
            stream.read(&mut buf).await
        };
        match read {
            Ok(0) => break parser.finish(),
            Ok(n) => match parser.feed(&buf[..n]) {
                Ok(Some(answer)) => break Some(answer),
                Ok(None) => {}
                Err(not_tls) => {
                    return Err(ProbeError::Protocol {
                        target,
                        detail: not_tls.to_string(),
                    })
                }
            },
            Err(e) if parser.hello().is_some() => {
                tracing::debug!(error = %e, "tls prober: connection failed after the ServerHello");
                break parser.finish();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ) =>
            {
                return refused("the server reset the connection instead of answering the hello")
            }
            Err(e) => {
                return Err(ProbeError::Protocol {
                    target,
                    detail: format!("reading the answer to the hello failed: {e}"),
                })
            }
        }
    };
    match answer {
        None => refused("the server closed the connection without answering the hello"),
        Some(ServerAnswer::Alert { level, description }) => refused(format!(
            "alert {} ({description}, level {level})",
            alert_name(description)
        )),
        Some(ServerAnswer::Hello {
            hello,
            certificate_sha256,
        }) => {
            if !request.suites.contains(&hello.suite.0) {
                return Err(ProbeError::Protocol {
                    target,
                    detail: format!("the server chose {}, which was not offered", hello.suite),
                });
            }
            if hello.version > request.version {
                return Err(ProbeError::Protocol {
                    target,
                    detail: format!(
                        "the server chose {} although {} was offered",
                        hello.version, request.version
                    ),
                });
            }
            Ok(TlsHelloReply {
                outcome: HelloOutcome::Accepted {
                    version: hello.version,
                    suite: hello.suite,
                    certificate_sha256,
                },
            })
        }
    }
}

/// Whether one protocol version is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionCheck {
    pub version: TlsVersion,
    pub accepted: bool,
    /// The suite the server chose, when it accepted.
    pub suite: Option<CipherSuite>,
    /// The server's answer in words.
    pub answer: String,
}

/// Whether one family of weak suites is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuiteCheck {
    pub set: WeakSuiteSet,
    /// The suite the server chose from the family, if it chose one.
    pub chosen: Option<CipherSuite>,
    /// The version it would use with it.
    pub version: Option<TlsVersion>,
    pub answer: String,
}

/// What a TLS server accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsReport {
    pub addr: SocketAddr,
    pub versions: Vec<VersionCheck>,
    pub weak_suites: Vec<SuiteCheck>,
    /// SHA-256 of the leaf certificate, when a hello was accepted with one.
    pub certificate_sha256: Option<String>,
}

impl TlsReport {
    pub fn accepted_versions(&self) -> Vec<TlsVersion> {
        self.versions
            .iter()
            .filter(|v| v.accepted)
            .map(|v| v.version)
            .collect()
    }

    /// TLS 1.0 or 1.1 (or older) accepted.
    pub fn accepts_deprecated_versions(&self) -> bool {
        self.accepted_versions().iter().any(|v| v.is_deprecated())
    }

    /// Families of weak suites the server chose from.
    pub fn accepted_weak_sets(&self) -> Vec<WeakSuiteSet> {
        self.weak_suites
            .iter()
            .filter(|s| s.chosen.is_some())
            .map(|s| s.set)
            .collect()
    }

    /// A broken suite family (anything but CBC-SHA1) accepted.
    pub fn accepts_broken_suites(&self) -> bool {
        self.accepted_weak_sets().iter().any(|s| s.is_broken())
    }
}

/// The versions [`survey`] asks about, oldest first.
pub const VERSIONS_CHECKED: [TlsVersion; 3] =
    [TlsVersion::TLS10, TlsVersion::TLS11, TlsVersion::TLS12];

/// Ask the TLS server at `addr` about each version (offering every suite) and
/// each weak suite family (offered alone at TLS 1.2, which lets the server
/// pick any older version it prefers). Nine hellos, one after another. Any
/// probe error (a hung, garbage-sending or unreachable server) ends the
/// survey with that error: a partial answer proves nothing.
pub async fn survey(
    probe: &TlsHelloProbe,
    ev: &Evidence,
    addr: SocketAddr,
    sni: Option<String>,
) -> Result<TlsReport, ProbeError> {
    let ask = |version: TlsVersion, suites: Vec<u16>, offer: String| {
        let request = TlsHelloRequest {
            addr,
            sni: sni.clone(),
            version,
            suites,
            offer,
        };
        probe.clone().oneshot(Recorded::new(ev, request))
    };
    let mut report = TlsReport {
        addr,
        versions: Vec::new(),
        weak_suites: Vec::new(),
        certificate_sha256: None,
    };
    for version in VERSIONS_CHECKED {
        let reply = ask(version, suites::every_suite(), "every suite".into()).await?;
        let answer = reply.describe();
        let check = match reply.outcome {
            HelloOutcome::Accepted {
                version: chosen,
                suite,
                certificate_sha256,
            } => {
                if report.certificate_sha256.is_none() {
                    report.certificate_sha256 = certificate_sha256;
                }
                VersionCheck {
                    version,
                    accepted: chosen == version,
                    suite: Some(suite),
                    answer,
                }
            }
            HelloOutcome::Refused { .. } => VersionCheck {
                version,
                accepted: false,
                suite: None,
                answer,
            },
        };
        report.versions.push(check);
    }
    for set in WeakSuiteSet::ALL {
        let reply = ask(
            TlsVersion::TLS12,
            set.suites().to_vec(),
            format!("{} suites only", set.name()),
        )
        .await?;
        let answer = reply.describe();
        report.weak_suites.push(match reply.outcome {
            HelloOutcome::Accepted { version, suite, .. } => SuiteCheck {
                set,
                chosen: Some(suite),
                version: Some(version),
                answer,
            },
            HelloOutcome::Refused { .. } => SuiteCheck {
                set,
                chosen: None,
                version: None,
                answer,
            },
        });
    }
    Ok(report)
}
