//! The MQTT probe: connect without credentials (MQTT 3.1.1), subscribe to
//! every topic (`#`), and listen for a short window. A broker that accepts an
//! anonymous client and lets it read everything is an open door.
//!
//! The broker's CONNACK return code says accepted or refused; after an
//! accepted connection the SUBACK says whether `#` was granted, and the
//! PUBLISH packets that arrive within the window are counted (topics kept,
//! payloads not). Reading stops at the size limit: enough has been seen.

pub mod codec;
pub mod login;

use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::Service;

use self::codec::{connack_reason, Decoder, Packet};
use crate::device::ProbeError;
use crate::probe::layers::{DescribeRequest, DescribeResponse};
use crate::probe::{BoxFuture, ProbeConfig};
use crate::secret::Secret;

/// Topics kept in the report.
const TOPICS_KEPT: usize = 16;
/// The client identifier we present.
pub const CLIENT_ID: &str = "iotmark-probe";

/// Connect anonymously to the broker at `addr` and subscribe to `#`.
#[derive(Debug, Clone)]
pub struct MqttRequest {
    pub addr: SocketAddr,
}

impl DescribeRequest for MqttRequest {
    fn probe_kind(&self) -> String {
        "mqtt-anonymous".into()
    }

    fn target(&self) -> String {
        format!("mqtt://{}", self.addr)
    }

    fn describe(&self) -> String {
        format!("CONNECT (MQTT 3.1.1, client id {CLIENT_ID:?}, no credentials), SUBSCRIBE \"#\"")
    }

    fn secrets(&self) -> Vec<Secret> {
        Vec::new()
    }
}

/// What the broker did with an anonymous client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum MqttReport {
    /// CONNACK with a non-zero return code.
    Refused { code: u8, reason: String },
    /// CONNACK 0: the anonymous client is in.
    Accepted {
        /// The SUBACK granted `#` (`None`: no SUBACK within the window).
        subscribed: Option<bool>,
        /// PUBLISH packets received within the window.
        messages: usize,
        /// Their topics (the first few, deduplicated).
        topics: Vec<String>,
        /// Reading stopped at the size limit.
        truncated: bool,
    },
}

impl MqttReport {
    /// Anyone can connect without credentials.
    pub fn accepts_anonymous(&self) -> bool {
        matches!(self, MqttReport::Accepted { .. })
    }

    /// Anyone can connect and read what is published.
    pub fn exposes_messages(&self) -> bool {
        match self {
            MqttReport::Accepted {
                subscribed,
                messages,
                ..
            } => *subscribed == Some(true) || *messages > 0,
            MqttReport::Refused { .. } => false,
        }
    }
}

impl DescribeResponse for MqttReport {
    fn outcome(&self) -> String {
        match self {
            MqttReport::Refused { .. } => "refused".into(),
            MqttReport::Accepted { .. } => "accepted".into(),
        }
    }

    fn describe(&self) -> String {
        match self {
            MqttReport::Refused { code, reason } => format!("CONNACK {code}: {reason}"),
            MqttReport::Accepted {
                subscribed,
                messages,
                topics,
                truncated,
            } => format!(
                "CONNACK 0; SUBSCRIBE # {}; {messages} messages{} on topics {topics:?}",
                match subscribed {
                    Some(true) => "granted",
                    Some(false) => "refused",
                    None => "unanswered",
                },
                if *truncated {
                    " (size limit reached)"
                } else {
                    ""
                }
            ),
        }
    }
}

/// The MQTT probe service (the innermost MQTT layer).
#[derive(Debug, Clone)]
pub struct MqttProbeService {
    connect_timeout: Duration,
    window: Duration,
    max_bytes: usize,
}

impl MqttProbeService {
    pub fn new(config: &ProbeConfig) -> Self {
        MqttProbeService {
            connect_timeout: config.connect_timeout,
            window: config.read_window(),
            max_bytes: config.max_response_bytes,
        }
    }
}

impl Service<MqttRequest> for MqttProbeService {
    type Response = MqttReport;
    type Error = ProbeError;
    type Future = BoxFuture<Result<MqttReport, ProbeError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: MqttRequest) -> Self::Future {
        Box::pin(probe(self.clone(), request))
    }
}

async fn probe(settings: MqttProbeService, request: MqttRequest) -> Result<MqttReport, ProbeError> {
    let target = request.target();
    let protocol = |detail: String| ProbeError::Protocol {
        target: target.clone(),
        detail,
    };
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
    let keep_alive = u16::try_from(settings.window.as_secs() + 30).unwrap_or(60);
    stream
        .write_all(&codec::connect(CLIENT_ID, keep_alive))
        .await
        .map_err(|e| protocol(format!("cannot send CONNECT: {e}")))?;
    let mut decoder = Decoder::new(settings.max_bytes);
    let mut buf = vec![0u8; 4096];
    let mut total = 0usize;

    // Until the CONNACK, silence is the probe timeout's business.
    let code = loop {
        match decoder.next_packet().map_err(|e| protocol(e.to_string()))? {
            Some(Packet::ConnAck { code, .. }) => break code,
            Some(other) => return Err(protocol(format!("{other:?} before any CONNACK"))),
            None => {}
        }
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| protocol(format!("the connection failed before a CONNACK: {e}")))?;
        if n == 0 {
            return Err(protocol(
                "the broker closed the connection without a CONNACK".into(),
            ));
        }
        total += n;
        if total > settings.max_bytes {
            return Err(ProbeError::TooLarge {
                target,
                limit: settings.max_bytes,
            });
        }
        decoder.feed(&buf[..n]);
    };
    if code != 0 {
        return Ok(MqttReport::Refused {
            code,
            reason: connack_reason(code).to_string(),
        });
    }

    let mut subscribed = None;
    let mut messages = 0usize;
    let mut topics: Vec<String> = Vec::new();
    let mut truncated = false;
    if let Err(e) = stream.write_all(&codec::subscribe(1, "#")).await {
        tracing::debug!(error = %e, "mqtt probe: cannot send SUBSCRIBE");
    } else {
        let deadline = tokio::time::Instant::now() + settings.window;
        'window: loop {
            loop {
                match decoder.next_packet() {
                    Ok(Some(Packet::SubAck { codes, .. })) => {
                        subscribed = Some(codes.first().is_some_and(|c| *c < 0x80));
                    }
                    Ok(Some(Packet::Publish { topic, .. })) => {
                        messages += 1;
                        if topics.len() < TOPICS_KEPT && !topics.contains(&topic) {
                            topics.push(topic);
                        }
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    // What came before stands; the rest is not judged.
                    Err(e) => {
                        tracing::debug!(error = %e, "mqtt probe: unreadable packet after CONNACK");
                        break 'window;
                    }
                }
            }
            let read = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await;
            match read {
                Err(_) | Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => {
                    total += n;
                    if total > settings.max_bytes {
                        truncated = true;
                        break;
                    }
                    decoder.feed(&buf[..n]);
                }
            }
        }
    }
    let _ = stream.write_all(&codec::disconnect()).await;
    Ok(MqttReport::Accepted {
        subscribed,
        messages,
        topics,
        truncated,
    })
}
