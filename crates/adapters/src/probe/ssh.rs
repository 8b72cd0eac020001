//! The SSH password login probe (password, or keyboard-interactive where
//! the server takes passwords only that way), on russh (pure Rust, ring backend; no
//! aws-lc, no cmake): key exchange, then one password authentication.
//!
//! Any host key is accepted (devices under test have their own) and its
//! SHA-256 fingerprint is recorded. The outcome is the server's answer to the
//! password: success is [`LoginOutcome::Accepted`], failure
//! [`LoginOutcome::Rejected`]; anything else (no SSH banner, a failed key
//! exchange, a dropped connection) is a protocol error.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use russh::client::{self, AuthResult, KeyboardInteractiveAuthResponse};
use russh::keys::{HashAlg, PublicKey};
use russh::MethodKind;
use tokio::net::TcpStream;
use tower::Service;

use crate::device::{Credential, LoginOutcome, ProbeError};
use crate::probe::layers::{DescribeRequest, DescribeResponse};
use crate::probe::{BoxFuture, ProbeConfig};
use crate::secret::Secret;

/// One credential to try on one SSH interface.
#[derive(Debug, Clone)]
pub struct SshLoginRequest {
    pub interface: String,
    pub addr: SocketAddr,
    pub credential: Credential,
}

impl DescribeRequest for SshLoginRequest {
    fn probe_kind(&self) -> String {
        "ssh-password-login".into()
    }

    fn target(&self) -> String {
        format!("ssh://{} ({})", self.addr, self.interface)
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

/// The server's verdict on the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshLoginReply {
    pub outcome: LoginOutcome,
    /// SHA-256 fingerprint of the server's host key.
    pub host_key: Option<String>,
    /// The methods the server offers after a failure.
    pub remaining_methods: Vec<String>,
    /// The method that carried the password (`password`,
    /// `keyboard-interactive`).
    pub method: &'static str,
}

impl DescribeResponse for SshLoginReply {
    fn outcome(&self) -> String {
        match self.outcome {
            LoginOutcome::Accepted => "accepted".into(),
            LoginOutcome::Rejected => "rejected".into(),
            LoginOutcome::LockedOut { .. } => "locked-out".into(),
        }
    }

    fn describe(&self) -> String {
        let mut text = format!(
            "{} authentication; host key {}",
            self.method,
            self.host_key.as_deref().unwrap_or("(not seen)")
        );
        if !self.remaining_methods.is_empty() {
            text.push_str(&format!(
                "; server offers {}",
                self.remaining_methods.join(", ")
            ));
        }
        text
    }
}

/// Rounds of keyboard-interactive questions answered before giving up.
const KBD_ROUNDS: usize = 4;

/// Keyboard-interactive authentication: every question that hides its
/// answer gets the password, every one that echoes it the user name.
async fn keyboard_interactive(
    session: &mut client::Handle<RecordHostKey>,
    credential: &Credential,
) -> Result<LoginOutcome, String> {
    let mut answer = session
        .authenticate_keyboard_interactive_start(credential.username.clone(), None)
        .await
        .map_err(|e| e.to_string())?;
    for _ in 0..KBD_ROUNDS {
        match answer {
            KeyboardInteractiveAuthResponse::Success => return Ok(LoginOutcome::Accepted),
            KeyboardInteractiveAuthResponse::Failure { .. } => return Ok(LoginOutcome::Rejected),
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                let responses = prompts
                    .iter()
                    .map(|p| {
                        if p.echo {
                            credential.username.clone()
                        } else {
                            credential.password.expose().to_string()
                        }
                    })
                    .collect();
                answer = session
                    .authenticate_keyboard_interactive_respond(responses)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Err(format!(
        "the server kept asking questions after {KBD_ROUNDS} rounds"
    ))
}

/// Accepts any host key and remembers its fingerprint.
#[derive(Debug, Clone, Default)]
struct RecordHostKey {
    seen: Arc<Mutex<Option<String>>>,
}

impl client::Handler for RecordHostKey {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKey) -> Result<bool, Self::Error> {
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(fingerprint);
        Ok(true)
    }
}

/// The SSH login service (the innermost SSH layer).
#[derive(Debug, Clone)]
pub struct SshLogin {
    connect_timeout: Duration,
    inactivity: Duration,
}

impl SshLogin {
    pub fn new(config: &ProbeConfig) -> Self {
        SshLogin {
            connect_timeout: config.connect_timeout,
            inactivity: config.timeout,
        }
    }
}

impl Service<SshLoginRequest> for SshLogin {
    type Response = SshLoginReply;
    type Error = ProbeError;
    type Future = BoxFuture<Result<SshLoginReply, ProbeError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: SshLoginRequest) -> Self::Future {
        Box::pin(login(self.clone(), request))
    }
}

async fn login(settings: SshLogin, request: SshLoginRequest) -> Result<SshLoginReply, ProbeError> {
    let target = request.target();
    let protocol = |detail: String| ProbeError::Protocol {
        target: target.clone(),
        detail,
    };
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
        Ok(Ok(s)) => s,
    };
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(settings.inactivity),
        ..client::Config::default()
    });
    let handler = RecordHostKey::default();
    let seen = Arc::clone(&handler.seen);
    let host_key = || seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut session = client::connect_stream(config, stream, handler)
        .await
        .map_err(|e| protocol(format!("SSH handshake failed: {e}")))?;
    let answer = session
        .authenticate_password(
            request.credential.username.clone(),
            request.credential.password.expose(),
        )
        .await
        .map_err(|e| protocol(format!("password authentication failed to complete: {e}")))?;
    let reply = match answer {
        AuthResult::Success => SshLoginReply {
            outcome: LoginOutcome::Accepted,
            host_key: host_key(),
            remaining_methods: Vec::new(),
            method: "password",
        },
        AuthResult::Failure {
            remaining_methods, ..
        } => {
            let offered: Vec<MethodKind> = remaining_methods.iter().copied().collect();
            let names: Vec<String> = remaining_methods.iter().map(String::from).collect();
            if offered.contains(&MethodKind::Password) {
                // Password authentication is offered and refused this one.
                SshLoginReply {
                    outcome: LoginOutcome::Rejected,
                    host_key: host_key(),
                    remaining_methods: names,
                    method: "password",
                }
            } else if offered.contains(&MethodKind::KeyboardInteractive) {
                // Only keyboard-interactive takes a password here (PAM).
                let outcome = keyboard_interactive(&mut session, &request.credential)
                    .await
                    .map_err(|e| {
                        protocol(format!(
                            "keyboard-interactive authentication failed to complete: {e}"
                        ))
                    })?;
                SshLoginReply {
                    outcome,
                    host_key: host_key(),
                    remaining_methods: names,
                    method: "keyboard-interactive",
                }
            } else {
                let _ = session
                    .disconnect(russh::Disconnect::ByApplication, "", "en")
                    .await;
                return Err(protocol(format!(
                    "the server offers no password login (it offers {}): a password is neither accepted nor refused here",
                    if names.is_empty() { "nothing".to_string() } else { names.join(", ") }
                )));
            }
        }
    };
    let _ = session
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    Ok(reply)
}
