//! Devices that fight back: the behaviours of the hostile simulated products
//! on every one of their ports (device ports and website alike).
//!
//! - [`Hostile::Tarpit`]: accepts and never sends a byte (see `tarpit.rs`).
//! - [`Hostile::Firehose`]: streams without end. On a TLS port it completes
//!   the handshake, reads the request and then sends an HTTP status line
//!   followed by header lines that never end; on a plain port, text lines that never end. The
//!   writes block when the client stops reading, so a connection costs one
//!   fixed buffer, whatever the client does.
//! - [`Hostile::Garbage`]: sends 1 to 64 KiB of random bytes, then closes.
//! - [`Hostile::Flapping`]: accepts, waits a moment for the client's first
//!   bytes, then resets the connection (RST, not FIN).
//!
//! Every listener holds at most [`MAX_HELD`] connections at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::serve::accept_loop;

/// Connections held at once per listener.
pub const MAX_HELD: usize = 256;
/// Deadline for the firehose's TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the firehose waits for an HTTP request before streaming anyway.
const REQUEST_WAIT: Duration = Duration::from_secs(1);
/// How long a flapping port waits for the client's first bytes before the
/// reset.
const FLAP_AFTER: Duration = Duration::from_millis(20);
/// Most random bytes a garbage port sends on one connection.
const GARBAGE_MAX: usize = 64 * 1024;

/// How a hostile product treats every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostile {
    Tarpit,
    Firehose,
    Garbage,
    Flapping,
}

/// Serve `listener` the hostile way. `tls` is the port's TLS configuration
/// (used only by the firehose, which speaks TLS where the port should).
pub async fn serve(kind: Hostile, listener: TcpListener, tls: Option<TlsAcceptor>) {
    match kind {
        Hostile::Tarpit => super::tarpit::serve(listener).await,
        Hostile::Firehose => {
            accept_loop(listener, MAX_HELD, move |stream| {
                let tls = tls.clone();
                async move {
                    let _ = stream.set_nodelay(true);
                    match tls {
                        Some(acceptor) => {
                            let accepted =
                                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                                    .await;
                            if let Ok(Ok(tls_stream)) = accepted {
                                firehose(tls_stream, true).await;
                            }
                        }
                        None => firehose(stream, false).await,
                    }
                }
            })
            .await
        }
        Hostile::Garbage => {
            let seed = Arc::new(AtomicU64::new(0x9E37_79B9_7F4A_7C15));
            accept_loop(listener, MAX_HELD, move |stream| {
                let seed = seed.fetch_add(0x2545_F491_4F6C_DD1D, Ordering::Relaxed);
                garbage(stream, seed)
            })
            .await
        }
        Hostile::Flapping => accept_loop(listener, MAX_HELD, flap).await,
    }
}

/// Write forever (until the client goes away or the simulation stops).
async fn firehose<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, http: bool) {
    if http {
        // Answer a request, as a web server would: let the client send it.
        let mut request = [0u8; 4096];
        let _ = tokio::time::timeout(REQUEST_WAIT, stream.read(&mut request)).await;
        if stream.write_all(b"HTTP/1.1 200 OK\r\n").await.is_err() {
            return;
        }
    }
    let line: &[u8] = if http {
        b"X-Firehose: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    } else {
        b"firehose firehose firehose firehose firehose firehose firehose firehose firehose firehose\r\n"
    };
    let chunk: Vec<u8> = line.iter().copied().cycle().take(line.len() * 80).collect();
    while stream.write_all(&chunk).await.is_ok() {}
}

/// xorshift64: fast, deterministic per connection, not for secrets.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

async fn garbage(mut stream: TcpStream, mut seed: u64) {
    let len = 1 + usize::try_from(next(&mut seed) % GARBAGE_MAX as u64).unwrap_or(GARBAGE_MAX);
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        bytes.extend_from_slice(&next(&mut seed).to_le_bytes());
    }
    bytes.truncate(len);
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

async fn flap(mut stream: TcpStream) {
    let mut first = [0u8; 512];
    let _ = tokio::time::timeout(FLAP_AFTER, stream.read(&mut first)).await;
    // Zero linger: closing sends RST instead of FIN.
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}
