//! The MQTT login probe: CONNECT with a user name and password and read the
//! CONNACK. MQTT 3.1.1 first; a broker that answers "unacceptable protocol
//! version" is asked again in MQTT 5.0. Return codes that say the
//! credential was refused are a rejection; 5.0's "banned", "quota" and
//! "rate exceeded" a lockout; anything else is an unexpected answer.

use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::Service;

use super::codec::{
    self, connack_lockout, connack_login, connack_reason, connack_reason_v5, Decoder, Packet,
    Version,
};
use super::CLIENT_ID;
use crate::device::{Credential, LoginOutcome, ProbeError};
use crate::probe::layers::{DescribeRequest, DescribeResponse};
use crate::probe::{BoxFuture, ProbeConfig};
use crate::secret::Secret;

/// One credential to try on one MQTT broker.
#[derive(Debug, Clone)]
pub struct MqttLoginRequest {
    pub interface: String,
    pub addr: SocketAddr,
    pub credential: Credential,
}

impl DescribeRequest for MqttLoginRequest {
    fn probe_kind(&self) -> String {
        "mqtt-login".into()
    }

    fn target(&self) -> String {
        format!("mqtt://{} ({})", self.addr, self.interface)
    }

    fn describe(&self) -> String {
        format!(
            "CONNECT user {:?} password {}",
            self.credential.username,
            self.credential.password.mask()
        )
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.credential.password.clone()]
    }
}

/// The broker's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttLoginReply {
    pub outcome: LoginOutcome,
    /// `3.1.1` or `5.0`, and the CONNACK code with its meaning.
    pub answer: String,
}

impl DescribeResponse for MqttLoginReply {
    fn outcome(&self) -> String {
        match self.outcome {
            LoginOutcome::Accepted => "accepted".into(),
            LoginOutcome::Rejected => "rejected".into(),
            LoginOutcome::LockedOut { .. } => "locked-out".into(),
        }
    }

    fn describe(&self) -> String {
        self.answer.clone()
    }
}

/// The MQTT login service (the innermost MQTT login layer).
#[derive(Debug, Clone)]
pub struct MqttLogin {
    connect_timeout: Duration,
    max_bytes: usize,
}

impl MqttLogin {
    pub fn new(config: &ProbeConfig) -> Self {
        MqttLogin {
            connect_timeout: config.connect_timeout,
            max_bytes: config.max_response_bytes,
        }
    }
}

impl Service<MqttLoginRequest> for MqttLogin {
    type Response = MqttLoginReply;
    type Error = ProbeError;
    type Future = BoxFuture<Result<MqttLoginReply, ProbeError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: MqttLoginRequest) -> Self::Future {
        let settings = self.clone();
        Box::pin(async move {
            let first = connack(&settings, &request, Version::V311).await?;
            if first == 1 {
                // Unacceptable protocol version: a 5.0-only broker.
                let code = connack(&settings, &request, Version::V5).await?;
                return verdict(&request, Version::V5, code);
            }
            verdict(&request, Version::V311, first)
        })
    }
}

fn verdict(
    request: &MqttLoginRequest,
    version: Version,
    code: u8,
) -> Result<MqttLoginReply, ProbeError> {
    let (name, reason) = match version {
        Version::V311 => ("3.1.1", connack_reason(code)),
        Version::V5 => ("5.0", connack_reason_v5(code)),
    };
    let answer = format!("MQTT {name} CONNACK {code:#04x}: {reason}");
    let outcome = match connack_login(version, code) {
        Some(true) => LoginOutcome::Accepted,
        Some(false) => LoginOutcome::Rejected,
        None if connack_lockout(version, code) => LoginOutcome::LockedOut {
            detail: answer.clone(),
        },
        None => {
            return Err(ProbeError::Protocol {
                target: request.target(),
                detail: format!("{answer}, which says nothing about the credential"),
            })
        }
    };
    Ok(MqttLoginReply { outcome, answer })
}

/// Connect, send a login CONNECT of `version` and return the CONNACK code.
async fn connack(
    settings: &MqttLogin,
    request: &MqttLoginRequest,
    version: Version,
) -> Result<u8, ProbeError> {
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
    let packet = codec::connect_login(
        CLIENT_ID,
        30,
        &request.credential.username,
        request.credential.password.expose().as_bytes(),
        version,
    );
    stream
        .write_all(&packet)
        .await
        .map_err(|e| protocol(format!("cannot send CONNECT: {e}")))?;
    let mut decoder = Decoder::new(settings.max_bytes);
    let mut buf = vec![0u8; 1024];
    let mut total = 0usize;
    // Silence is the probe timeout's business.
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
    let _ = stream.write_all(&codec::disconnect()).await;
    Ok(code)
}
