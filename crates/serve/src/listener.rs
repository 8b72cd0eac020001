//! Accepting connections: plain HTTP or TLS (rustls, HTTP/2 and HTTP/1.1 by
//! ALPN), each connection bounded in time and size so a slow or hostile
//! client holds one slot for a bounded time and nothing else
//! (see [`super::connection`] for the deadlines of one connection).
//!
//! - a fixed number of connection slots, sized under the open-file limit
//!   ([`super::open_files`]); a connection beyond them is closed at once
//!   rather than left waiting in the backlog;
//! - at most `max_per_client` slots for one client address, and once three
//!   quarters of the slots are taken, at most an eighth of that (but at
//!   least [`MIN_SHARE_UNDER_PRESSURE`]): many hostile addresses holding
//!   their full share still leave room for everyone else;
//! - accept errors (out of descriptors, say) back off exponentially, and
//!   are logged once, then summed up at most every [`ACCEPT_LOG_EVERY`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use super::connection::connection;
use super::metrics::Metrics;
use super::ratelimit::client_key;

/// The smallest per-client share once the service is three quarters full.
pub const MIN_SHARE_UNDER_PRESSURE: usize = 2;
/// Accept errors are summed up in the log at most this often.
const ACCEPT_LOG_EVERY: Duration = Duration::from_secs(10);
/// The longest pause after repeated accept errors.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// How many connections the service holds, and for how long.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Simultaneous connections (lowered at start to fit the open-file
    /// limit); one more is closed at once.
    pub max_connections: usize,
    /// Simultaneous connections from one client address (IPv6 by its /64).
    pub max_per_client: usize,
    /// Time from accept (or from the end of the previous response) to a
    /// complete request head, TLS handshake included.
    pub header_timeout: Duration,
    /// Time a connection may stay open, keep-alive included.
    pub lifetime: Duration,
    /// Keep-alive: time a connection with no request in progress may pass
    /// without a byte either way, once it has had an answer.
    pub keep_alive: Duration,
}

/// A rustls server configuration from PEM files, offering h2 and http/1.1.
pub fn tls_acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("--tls-cert {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("--tls-cert {}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("--tls-cert {}: no certificate in the file", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("--tls-key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the TLS certificate and key do not form a usable pair")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Open connections per client address.
#[derive(Debug, Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

/// One client's claim on a connection; gives it back when dropped.
struct ClientSlot {
    table: Arc<PerClient>,
    client: IpAddr,
}

/// The share one client may hold when `free` of `total` slots are free.
fn share(max_per_client: usize, free: usize, total: usize) -> usize {
    let max = max_per_client.max(1);
    if free.saturating_mul(4) < total {
        (max / 8).max(MIN_SHARE_UNDER_PRESSURE).min(max)
    } else {
        max
    }
}

impl PerClient {
    /// A slot for `client`, or `None` when it already holds `max`.
    fn claim(table: &Arc<PerClient>, client: IpAddr, max: usize) -> Option<ClientSlot> {
        // A poisoned table still holds valid counts: keep using it.
        let mut counts = table.0.lock().unwrap_or_else(|e| e.into_inner());
        let held = counts.entry(client).or_insert(0);
        if *held >= max.max(1) {
            return None;
        }
        *held += 1;
        Some(ClientSlot {
            table: table.clone(),
            client,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self.table.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = counts.get_mut(&self.client) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

/// Accept errors: an exponential pause, and a log that does not flood.
#[derive(Debug)]
struct AcceptErrors {
    /// Errors in a row, for the pause.
    streak: u32,
    /// Errors since the last log line, and when that was.
    unlogged: u64,
    logged_at: Option<Instant>,
}

impl AcceptErrors {
    fn new() -> Self {
        AcceptErrors {
            streak: 0,
            unlogged: 0,
            logged_at: None,
        }
    }

    /// Notes an error; returns how long to pause before accepting again.
    fn failed(&mut self, error: &std::io::Error) -> Duration {
        self.streak = self.streak.saturating_add(1);
        self.unlogged += 1;
        let due = self
            .logged_at
            .is_none_or(|at| at.elapsed() >= ACCEPT_LOG_EVERY);
        if due {
            tracing::warn!(
                error = %error,
                errors = self.unlogged,
                "serve: accept failed; backing off (logged at most every {} s)",
                ACCEPT_LOG_EVERY.as_secs()
            );
            self.unlogged = 0;
            self.logged_at = Some(Instant::now());
        }
        // 5 ms, doubling, at most a second.
        let pause =
            Duration::from_millis(5).saturating_mul(1 << self.streak.min(10).saturating_sub(1));
        pause.min(ACCEPT_BACKOFF_MAX)
    }

    fn succeeded(&mut self) {
        self.streak = 0;
    }
}

/// Serves `router` on `listener` until the task is dropped.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
) {
    let total = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(total));
    let per_client = Arc::new(PerClient::default());
    let mut errors = AcceptErrors::new();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => {
                errors.succeeded();
                accepted
            }
            Err(e) => {
                // Out of file descriptors and the like: back off, keep serving.
                tokio::time::sleep(errors.failed(&e)).await;
                continue;
            }
        };
        let accepted = Instant::now();
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            // Every slot is taken: closed at once, not left in the backlog.
            metrics.connection_refused();
            drop(stream);
            continue;
        };
        let max = share(limits.max_per_client, slots.available_permits(), total);
        let Some(client_slot) = PerClient::claim(&per_client, client_key(peer.ip()), max) else {
            // Closed at once: this client already holds its share of slots.
            metrics.connection_refused();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let limits = limits.clone();
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _client_slot = client_slot;
            metrics.connection_opened();
            match tls {
                Some(acceptor) => {
                    // The handshake counts against the header deadline.
                    match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await
                    {
                        Ok(Ok(s)) => connection(s, peer, accepted, router, &limits, &metrics).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "serve: TLS handshake failed"),
                        Err(_) => {
                            metrics.header_timeout();
                            tracing::debug!("serve: TLS handshake timed out")
                        }
                    }
                }
                None => connection(stream, peer, accepted, router, &limits, &metrics).await,
            }
            metrics.connection_closed();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_shrinks_when_the_service_is_nearly_full() {
        assert_eq!(share(32, 4096, 4096), 32);
        assert_eq!(share(32, 1024, 4096), 32);
        assert_eq!(share(32, 1023, 4096), 4);
        assert_eq!(share(8, 0, 4096), MIN_SHARE_UNDER_PRESSURE);
        assert_eq!(share(1, 0, 4096), 1);
    }

    #[test]
    fn accept_errors_back_off_and_reset() {
        let mut errors = AcceptErrors::new();
        let e = std::io::Error::other("Too many open files");
        let first = errors.failed(&e);
        let mut last = first;
        for _ in 0..20 {
            last = errors.failed(&e);
        }
        assert_eq!(first, Duration::from_millis(5));
        assert_eq!(last, ACCEPT_BACKOFF_MAX);
        // Logged once; the other twenty wait for the next summary.
        assert_eq!(errors.unlogged, 20);
        errors.succeeded();
        assert_eq!(errors.failed(&e), Duration::from_millis(5));
    }
}
