//! One connection's deadlines, whatever the protocol (HTTP/1.1 or HTTP/2,
//! plain or TLS):
//!
//! - **header deadline**: from accept, and again from the end of each
//!   response, the client has `header_timeout` to complete a request head.
//!   A connection that sends nothing is closed then; one that sent part of
//!   an HTTP/1.1 head gets `408 Request Timeout` first, an HTTP/2 one a
//!   GOAWAY. Trickling bytes does
//!   not move this deadline (slowloris), nor do HTTP/2 PINGs or SETTINGS;
//! - **keep-alive**: once it has had an answer, a connection with no request
//!   in progress and no byte either way for `keep_alive` is closed
//!   gracefully (HTTP/2 gets a GOAWAY);
//! - **lifetime**: after `lifetime` the connection is closed gracefully.
//!
//! While a request is in progress the request deadline
//! ([`super::middleware::front`]) bounds it instead. A watchdog task-local
//! loop checks the clock, woken when a request starts or ends.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tower::ServiceExt as _;

use super::listener::ConnectionLimits;
use super::metrics::Metrics;
use super::middleware::ClientAddr;

/// Read buffer for HTTP/1.1, which bounds the request head.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// After a graceful close is asked for, how long an in-flight request may finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// After a header deadline, how long the 408 and the close may take.
const TIMED_OUT_GRACE: Duration = Duration::from_secs(1);
/// HTTP/2 flow-control windows: what one client may make us buffer before
/// a handler reads it (the default of a megabyte per stream would let a
/// thousand connections park a gigabyte here).
const H2_STREAM_WINDOW: u32 = 64 * 1024;
const H2_CONNECTION_WINDOW: u32 = 128 * 1024;

/// What an HTTP/1.1 client that timed out mid-head is told.
const RESPONSE_408: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

/// The state of one connection, shared by its IO, its service and its watchdog.
#[derive(Debug)]
struct Clock {
    origin: Instant,
    /// Requests in progress.
    in_flight: AtomicUsize,
    /// Requests answered.
    answered: AtomicU64,
    /// Milliseconds after `origin`: when the connection last had no request
    /// in progress (accept, or the end of the last response), and when a
    /// byte last moved.
    idle_since: AtomicU64,
    last_io: AtomicU64,
    /// Bytes read while no request was in progress (part of a head).
    head_bytes: AtomicU64,
    /// Set by the watchdog at the header deadline: the IO answers 408 (to
    /// HTTP/1.1) and fails from then on.
    timed_out: AtomicBool,
    /// Who to wake when `timed_out` is set.
    reader: Mutex<Option<Waker>>,
    /// Wakes the watchdog when a request starts or ends.
    changed: Notify,
}

/// What the watchdog found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Nothing due; look again at this instant (or when a request starts or ends).
    Until(Instant),
    HeaderDeadline,
    KeepAliveOver,
    LifetimeOver,
}

impl Clock {
    fn new(accepted: Instant) -> Arc<Self> {
        Arc::new(Clock {
            origin: accepted,
            in_flight: AtomicUsize::new(0),
            answered: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
            last_io: AtomicU64::new(0),
            head_bytes: AtomicU64::new(0),
            timed_out: AtomicBool::new(false),
            reader: Mutex::new(None),
            changed: Notify::new(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn at(&self, ms: u64) -> Instant {
        self.origin + Duration::from_millis(ms)
    }

    fn touch(&self) {
        self.last_io.store(self.now_ms(), Ordering::Relaxed);
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.changed.notify_one();
        InFlight(self.clone())
    }

    fn check(&self, limits: &ConnectionLimits, now: Instant) -> Check {
        let lifetime_end = self.origin + limits.lifetime;
        if now >= lifetime_end {
            return Check::LifetimeOver;
        }
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Check::Until(lifetime_end);
        }
        let head_due = self.at(self.idle_since.load(Ordering::Acquire)) + limits.header_timeout;
        if now >= head_due {
            return Check::HeaderDeadline;
        }
        let mut next = head_due.min(lifetime_end);
        if self.answered.load(Ordering::Acquire) > 0 {
            let quiet_due = self.at(self.last_io.load(Ordering::Relaxed)) + limits.keep_alive;
            if now >= quiet_due {
                return Check::KeepAliveOver;
            }
            next = next.min(quiet_due);
        }
        Check::Until(next)
    }

    /// Makes the IO answer 408 (where it may) and fail.
    fn time_out(&self) {
        self.timed_out.store(true, Ordering::Release);
        let waker = self.reader.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A request in progress; its end (answered or abandoned) restarts the
/// header deadline.
struct InFlight(Arc<Clock>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let clock = &self.0;
        if clock.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            let now = clock.now_ms();
            clock.idle_since.store(now, Ordering::Release);
            clock.last_io.store(now, Ordering::Relaxed);
            clock.head_bytes.store(0, Ordering::Relaxed);
        }
        clock.answered.fetch_add(1, Ordering::AcqRel);
        clock.changed.notify_one();
    }
}

/// Serves one connection under its deadlines.
pub async fn connection<I>(
    io: I,
    peer: SocketAddr,
    accepted: Instant,
    router: Router,
    limits: &ConnectionLimits,
    metrics: &Metrics,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // The header deadline is ours (it runs from accept, and answers 408).
        .header_read_timeout(None)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(64);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEAD_BYTES as u32)
        .max_concurrent_streams(32)
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_CONNECTION_WINDOW)
        .keep_alive_interval(None);
    let clock = Clock::new(accepted);
    let service_clock = clock.clone();
    let service = router
        .map_request(move |mut request: Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ClientAddr(peer));
            request
        })
        .map_future(move |response| {
            let in_flight = service_clock.request_started();
            async move {
                let response = response.await;
                drop(in_flight);
                response
            }
        });
    let conn = builder.serve_connection(
        TokioIo::new(Watched::new(io, clock.clone())),
        TowerToHyperService::new(service),
    );
    tokio::pin!(conn);
    loop {
        let changed = clock.changed.notified();
        let check = clock.check(limits, Instant::now());
        let until = match check {
            Check::Until(at) => at,
            Check::HeaderDeadline => {
                metrics.header_timeout();
                clock.time_out();
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(TIMED_OUT_GRACE, conn).await;
                return;
            }
            Check::KeepAliveOver | Check::LifetimeOver => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(DRAIN_TIMEOUT, conn).await;
                return;
            }
        };
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "serve: connection ended with an error");
                }
                return;
            }
            () = changed => {}
            () = tokio::time::sleep_until(until.into()) => {}
        }
    }
}

/// A connection's IO that keeps its [`Clock`]: notes each byte, and after
/// the header deadline answers an HTTP/1.1 client 408 and fails.
#[derive(Debug)]
struct Watched<I> {
    io: I,
    clock: Arc<Clock>,
    /// The first bytes the client sent (to tell HTTP/2's preface apart).
    first: [u8; 3],
    first_len: usize,
    answered_408: bool,
}

impl<I> Watched<I> {
    fn new(io: I, clock: Arc<Clock>) -> Self {
        Watched {
            io,
            clock,
            first: [0; 3],
            first_len: 0,
            answered_408: false,
        }
    }

    fn note_read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.clock.touch();
        if self.clock.in_flight.load(Ordering::Acquire) == 0 {
            self.clock
                .head_bytes
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        let take = (self.first.len() - self.first_len).min(bytes.len());
        self.first[self.first_len..self.first_len + take].copy_from_slice(&bytes[..take]);
        self.first_len += take;
    }

    /// Whether the client began with HTTP/2's preface.
    fn is_h2(&self) -> bool {
        self.first_len == self.first.len() && self.first == *b"PRI"
    }

    /// A client that sent part of an HTTP/1.1 head.
    fn owes_408(&self) -> bool {
        !self.answered_408
            && self.clock.head_bytes.load(Ordering::Relaxed) > 0
            && self.first_len > 0
            && self.first[..self.first_len] != b"PRI"[..self.first_len]
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        // HTTP/2 is closed with a GOAWAY by the graceful shutdown instead.
        if self.clock.timed_out.load(Ordering::Acquire) && !self.is_h2() {
            if self.owes_408() {
                // Best effort: a tiny answer into an idle socket.
                self.answered_408 = true;
                let _ = Pin::new(&mut self.io).poll_write(cx, RESPONSE_408);
                let _ = Pin::new(&mut self.io).poll_flush(cx);
            }
            return Poll::Ready(Err(std::io::ErrorKind::TimedOut.into()));
        }
        {
            let mut reader = self.clock.reader.lock().unwrap_or_else(|e| e.into_inner());
            if !reader.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *reader = Some(cx.waker().clone());
            }
        }
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) {
            let new = buf.filled().get(before..).unwrap_or_default();
            self.note_read(new);
        }
        poll
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            max_connections: 8,
            max_per_client: 8,
            header_timeout: Duration::from_secs(10),
            lifetime: Duration::from_secs(600),
            keep_alive: Duration::from_secs(5),
        }
    }

    #[test]
    fn a_silent_connection_meets_the_header_deadline_from_accept() {
        let accepted = Instant::now();
        let clock = Clock::new(accepted);
        let l = limits();
        assert_eq!(
            clock.check(&l, accepted + Duration::from_secs(1)),
            Check::Until(accepted + l.header_timeout)
        );
        // Keep-alive does not apply before a first answer.
        assert_eq!(
            clock.check(&l, accepted + Duration::from_secs(6)),
            Check::Until(accepted + l.header_timeout)
        );
        assert_eq!(
            clock.check(&l, accepted + l.header_timeout),
            Check::HeaderDeadline
        );
    }

    #[test]
    fn a_request_in_progress_holds_off_the_deadlines_and_its_end_restarts_them() {
        let accepted = Instant::now();
        let clock = Clock::new(accepted);
        let l = limits();
        let request = clock.request_started();
        assert_eq!(
            clock.check(&l, accepted + Duration::from_secs(30)),
            Check::Until(accepted + l.lifetime)
        );
        drop(request);
        let idle = clock.at(clock.idle_since.load(Ordering::Relaxed));
        assert_eq!(clock.check(&l, idle + l.keep_alive), Check::KeepAliveOver);
        assert_eq!(clock.check(&l, idle), Check::Until(idle + l.keep_alive));
        assert_eq!(clock.check(&l, accepted + l.lifetime), Check::LifetimeOver);
    }
}
