//! The simulated camera's connection to its cloud service.
//!
//! Once the harness names a target ([`CloudTarget::redirect`]) the unit
//! connects out to it whenever its upstream network is up, opens its session
//! and keeps it while the peer does. A good camera opens with a TLS
//! ClientHello (made by rustls) and, when the connection fails or is closed,
//! waits before trying again, doubling the wait from 100 ms up to 1.6 s. The
//! flawed cameras send their registration in the clear (device key,
//! recording titles and the account e-mail readable on the wire) or retry
//! every 5 ms without end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::catalog::{Flaw, ProductSpec};
use super::state::UnitState;

/// First wait after a failed or closed session.
pub const INITIAL_DELAY: Duration = Duration::from_millis(100);
/// Longest wait between attempts.
pub const MAX_DELAY: Duration = Duration::from_millis(1600);
/// The flawed camera's wait: none to speak of.
const FLOOD_DELAY: Duration = Duration::from_millis(5);
/// A session the service answered and that lasted this long was a success:
/// the back-off starts over. A session the service never answered is not,
/// however long it lasted: on a loaded host a connection may wait in the
/// service's accept queue for a second before it is taken and closed, and
/// that is not a service that came back.
const HEALTHY_SESSION: Duration = Duration::from_secs(1);
/// Longest the camera waits for a connection to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the unit's cloud connection goes: nowhere until the harness says.
#[derive(Debug, Clone)]
pub struct CloudTarget(Arc<watch::Sender<Option<SocketAddr>>>);

impl CloudTarget {
    pub fn new() -> CloudTarget {
        CloudTarget(Arc::new(watch::channel(None).0))
    }

    pub fn redirect(&self, target: SocketAddr) {
        self.0.send_replace(Some(target));
    }

    fn subscribe(&self) -> watch::Receiver<Option<SocketAddr>> {
        self.0.subscribe()
    }
}

/// The account e-mail the flawed camera sends in the clear.
pub const ACCOUNT_EMAIL: &str = "householder@example.net";

/// What the unit sends first on a new session.
fn opening(spec: &ProductSpec, serial: &str, unit: &UnitState) -> Vec<u8> {
    if spec.has(Flaw::PlaintextCloud) {
        let titles = unit.clips().join(",");
        let body = format!(
            "serial={serial}&device_key={}&email={ACCOUNT_EMAIL}&recordings={titles}",
            unit.password()
        );
        return format!(
            "POST /v1/register HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            spec.cloud_host(),
            body.len()
        )
        .into_bytes();
    }
    client_hello(&spec.cloud_host()).unwrap_or_default()
}

/// A TLS 1.2/1.3 ClientHello for `host`, as rustls writes it.
fn client_hello(host: &str) -> Option<Vec<u8>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).ok()?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).ok()?;
    }
    Some(out)
}

/// One session: connect, open, hold until the peer closes. Whether it was
/// a success (see [`HEALTHY_SESSION`]).
async fn session(target: SocketAddr, hello: &[u8]) -> bool {
    let started = tokio::time::Instant::now();
    let Ok(Ok(mut stream)) =
        tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(target)).await
    else {
        return false;
    };
    if stream.write_all(hello).await.is_err() {
        return false;
    }
    let mut buf = [0u8; 1024];
    let mut answered = false;
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
        answered = true;
    }
    answered && started.elapsed() >= HEALTHY_SESSION
}

/// The unit's cloud client, until the simulation stops.
pub(super) async fn run(
    spec: &'static ProductSpec,
    serial: &'static str,
    unit: Arc<UnitState>,
    target: CloudTarget,
) {
    let mut rx = target.subscribe();
    let mut delay = INITIAL_DELAY;
    loop {
        let current = *rx.borrow_and_update();
        let Some(addr) = current else {
            if rx.changed().await.is_err() {
                return;
            }
            continue;
        };
        if !unit.uplink() {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let hello = opening(spec, serial, &unit);
        let healthy = session(addr, &hello).await;
        if spec.has(Flaw::ReconnectFlood) {
            tokio::time::sleep(FLOOD_DELAY).await;
            continue;
        }
        if healthy {
            delay = INITIAL_DELAY;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_DELAY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_good_opening_is_a_tls_client_hello() {
        let hello = client_hello("cloud.goodcam.example").unwrap_or_default();
        // Handshake record, TLS major version 3, ClientHello.
        assert_eq!(hello.first(), Some(&0x16));
        assert_eq!(hello.get(1), Some(&0x03));
        assert_eq!(hello.get(5), Some(&0x01));
    }
}
