//! A rate limit shared by every probe on one device.
//!
//! `tower::limit::RateLimit` counts per service instance and is not `Clone`;
//! here the telnet and HTTP probes of one device draw from the same [`Pacer`],
//! which spaces probe starts evenly (one every `1/rate` seconds) rather than
//! allowing bursts: lockout tests need attempts to arrive at a known pace.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

use crate::probe::BoxFuture;

/// Hands out start times at least `interval` apart. Clones share the schedule.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    next: Arc<Mutex<Option<Instant>>>,
}

impl Pacer {
    pub fn new(interval: Duration) -> Self {
        Pacer {
            interval,
            next: Arc::new(Mutex::new(None)),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Wait for this caller's turn. A caller that gives up after reserving a
    /// turn leaves a gap, which only makes the pace gentler.
    pub async fn wait(&self) {
        let slot = {
            // A poisoned lock only means another caller panicked while holding
            // a timestamp; the timestamp is still usable.
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = match *next {
                Some(t) if t > now => t,
                _ => now,
            };
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// Wraps a service so each call first waits for its turn on a shared [`Pacer`].
#[derive(Debug, Clone)]
pub struct PaceLayer {
    pacer: Pacer,
}

impl PaceLayer {
    pub fn new(pacer: Pacer) -> Self {
        PaceLayer { pacer }
    }
}

impl<S> Layer<S> for PaceLayer {
    type Service = Paced<S>;
    fn layer(&self, inner: S) -> Paced<S> {
        Paced {
            inner,
            pacer: self.pacer.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Paced<S> {
    inner: S,
    pacer: Pacer,
}

impl<S, R> Service<R> for Paced<S>
where
    S: Service<R> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    /// Always ready: the wait happens in the call, and the inner service's
    /// readiness is awaited after it (on the clone that serves the call).
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: R) -> Self::Future {
        let fresh = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, fresh);
        let pacer = self.pacer.clone();
        Box::pin(async move {
            pacer.wait().await;
            inner.oneshot(request).await
        })
    }
}
