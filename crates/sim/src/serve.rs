//! Serving an axum router on a listener, plain or over TLS, with the limits a
//! small embedded web server has: a bounded number of connections, a deadline
//! for the TLS handshake and for each request's headers, a cap on header size
//! and on a connection's lifetime. A slow or garbage-sending client costs one
//! connection slot for a bounded time and nothing else.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// Simultaneous connections per listener.
const MAX_CONNECTIONS: usize = 128;
/// Deadline for a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Deadline for a request's headers, from the first byte of the request.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Hard cap on one connection's life (keep-alive included).
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);
/// Read buffer for HTTP/1.1, which bounds the request head.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Accept connections on `listener` until the task is aborted, each bounded by
/// the limits above and served by `handle`. Aborting the returned future's task
/// drops the [`JoinSet`] and with it every connection.
pub async fn accept_loop<F, Fut>(listener: TcpListener, max_connections: usize, handle: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(max_connections));
    let mut connections = JoinSet::new();
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return; // the semaphore is never closed; nothing to serve without it
        };
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off, keep serving.
                tracing::debug!(error = %e, "sim: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let fut = handle(stream);
        connections.spawn(async move {
            let _permit = permit;
            fut.await;
        });
    }
}

/// Serve `router` over HTTP/1.1 and HTTP/2 on every connection, inside TLS
/// when `tls` is given.
pub async fn serve_http(listener: TcpListener, router: Router, tls: Option<TlsAcceptor>) {
    accept_loop(listener, MAX_CONNECTIONS, move |stream| {
        let router = router.clone();
        let tls = tls.clone();
        async move {
            let _ = stream.set_nodelay(true);
            match tls {
                Some(acceptor) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => serve_connection(tls_stream, router).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "sim: TLS handshake failed"),
                        Err(_) => tracing::debug!("sim: TLS handshake timed out"),
                    }
                }
                None => serve_connection(stream, router).await,
            }
        }
    })
    .await
}

async fn serve_connection<I>(io: I, router: Router)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(64);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEAD_BYTES as u32)
        .max_concurrent_streams(16)
        .keep_alive_interval(None);
    let service = TowerToHyperService::new(router);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    match tokio::time::timeout(CONNECTION_LIFETIME, conn).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "sim: HTTP connection ended with an error"),
        Err(_) => tracing::debug!("sim: HTTP connection reached its lifetime cap"),
    }
}
