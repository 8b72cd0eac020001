//! Accepting connections: plain HTTP or TLS (rustls, HTTP/2 and HTTP/1.1 by
//! ALPN), each connection bounded in time and size so a slow or hostile
//! client holds one slot for a bounded time and nothing else.
//!
//! - a fixed number of connection slots (further clients wait in the backlog),
//!   and at most `max_per_client` of them for one client address;
//! - a deadline for the TLS handshake and for each request's headers;
//! - a cap on the request head (HTTP/1.1 buffer, header count, HTTP/2 header list);
//! - a lifetime after which the connection is closed gracefully, and an idle
//!   timeout: a connection over which no byte moved for that long is closed
//!   gracefully too (an idle HTTP/2 connection has no request head to time
//!   out).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::sync::Mutex;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::Request;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use super::metrics::Metrics;
use super::middleware::ClientAddr;
use super::ratelimit::client_key;

/// Read buffer for HTTP/1.1, which bounds the request head.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Deadline for a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After a graceful close is asked for, how long an in-flight request may finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How many connections the service holds, and for how long.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Simultaneous connections; further clients wait in the accept queue.
    pub max_connections: usize,
    /// Simultaneous connections from one client address (IPv6 by its /64).
    pub max_per_client: usize,
    /// Time a client has to send a request's headers.
    pub header_timeout: Duration,
    /// Time a connection may stay open, keep-alive included.
    pub lifetime: Duration,
    /// Time a connection may pass without a byte either way.
    pub idle: Duration,
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

/// Serves `router` on `listener` until the task is dropped.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_client = Arc::new(PerClient::default());
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: back off, keep serving.
                tracing::warn!(error = %e, "serve: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(client_slot) =
            PerClient::claim(&per_client, client_key(peer.ip()), limits.max_per_client)
        else {
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
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => connection(s, peer, router, &limits).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "serve: TLS handshake failed"),
                        Err(_) => tracing::debug!("serve: TLS handshake timed out"),
                    }
                }
                None => connection(stream, peer, router, &limits).await,
            }
            metrics.connection_closed();
        });
    }
}

async fn connection<I>(io: I, peer: SocketAddr, router: Router, limits: &ConnectionLimits)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(64);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEAD_BYTES as u32)
        .max_concurrent_streams(32)
        .keep_alive_interval(None);
    let service = router.map_request(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ClientAddr(peer));
        request
    });
    let activity = Activity::new(io);
    let quiet = activity.clock();
    let conn = builder.serve_connection(TokioIo::new(activity), TowerToHyperService::new(service));
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "serve: connection ended with an error");
            }
        }
        () = tokio::time::sleep(limits.lifetime) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, conn).await;
        }
        () = quiet.idle_for(limits.idle) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, conn).await;
        }
    }
}

/// When bytes last moved over a connection.
#[derive(Debug, Clone)]
struct ActivityClock {
    started: Instant,
    /// Milliseconds after `started`.
    last: Arc<AtomicU64>,
}

impl ActivityClock {
    fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    /// Returns once nothing has moved for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last = self.started + Duration::from_millis(self.last.load(Ordering::Relaxed));
            let quiet = last.elapsed();
            if quiet >= limit {
                return;
            }
            tokio::time::sleep(limit - quiet).await;
        }
    }
}

/// A connection's IO that notes each read or write on its [`ActivityClock`].
#[derive(Debug)]
struct Activity<I> {
    io: I,
    clock: ActivityClock,
}

impl<I> Activity<I> {
    fn new(io: I) -> Self {
        Activity {
            io,
            clock: ActivityClock {
                started: Instant::now(),
                last: Arc::new(AtomicU64::new(0)),
            },
        }
    }

    fn clock(&self) -> ActivityClock {
        self.clock.clone()
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Activity<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.touch();
        }
        poll
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Activity<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, data);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.touch();
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.touch();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
