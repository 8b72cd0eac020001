//! Request bodies held in memory, all connections together, under one
//! budget.
//!
//! A handler that reads a body takes [`BudgetedBody`]: before a byte is
//! read it reserves the body's declared length (or the largest body, when
//! the length is not declared) from the budget, waits at most
//! [`BUDGET_WAIT`] for it, and otherwise answers 503 with `Retry-After`:
//! a thousand clients uploading at once make some of them wait or retry,
//! never more memory. A body over [`crate::MAX_BODY_BYTES`] is 413 before
//! it is read. The reservation is held until the handler drops the body.
//!
//! While the body is read the request carries a [`BodyWatch`] that says so,
//! so a request deadline that strikes then is the client's slowness (408),
//! not ours (503).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequest, Request};
use axum::http::header;
use http_body_util::BodyExt as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::{ApiError, ServeError};
use super::state::AppState;
use super::MAX_BODY_BYTES;

/// The longest a request waits for room in the budget before it gets 503.
pub const BUDGET_WAIT: Duration = Duration::from_secs(1);
/// What a client refused for want of room is asked to wait, seconds.
pub const BUDGET_RETRY_AFTER: u64 = 1;

/// Bodies up to this size are small: a single verification, a short batch.
pub const SMALL_BODY_BYTES: usize = 64 * 1024;

/// Bytes of request bodies all connections together may hold: an eighth
/// for small bodies and the rest for large ones, so that a flood of
/// large uploads does not queue a shopper's single verification behind it.
#[derive(Debug)]
pub struct BodyBudget {
    small: Arc<Semaphore>,
    large: Arc<Semaphore>,
    small_total: usize,
    large_total: usize,
}

impl BodyBudget {
    /// A budget of `total` bytes (at least one largest body besides the
    /// small bodies' share).
    pub fn new(total: usize) -> Self {
        let max = Semaphore::MAX_PERMITS.min(u32::MAX as usize);
        let small_total = (total / 8).clamp(SMALL_BODY_BYTES * 4, max);
        let large_total = total.saturating_sub(small_total).clamp(MAX_BODY_BYTES, max);
        BodyBudget {
            small: Arc::new(Semaphore::new(small_total)),
            large: Arc::new(Semaphore::new(large_total)),
            small_total,
            large_total,
        }
    }

    /// Reserves `bytes` from the pool for their size, waiting at most `wait`.
    async fn reserve(&self, bytes: usize, wait: Duration) -> Option<OwnedSemaphorePermit> {
        let (pool, total) = if bytes <= SMALL_BODY_BYTES {
            (&self.small, self.small_total)
        } else {
            (&self.large, self.large_total)
        };
        let n = u32::try_from(bytes.min(total)).unwrap_or(u32::MAX);
        tokio::time::timeout(wait, pool.clone().acquire_many_owned(n))
            .await
            .ok()?
            .ok()
    }

    /// Bytes not reserved now (small, large).
    #[cfg(test)]
    fn free(&self) -> (usize, usize) {
        (
            self.small.available_permits(),
            self.large.available_permits(),
        )
    }
}

/// Set while a handler waits for the client's body (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct BodyWatch(Arc<AtomicBool>);

impl BodyWatch {
    pub fn reading(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self, reading: bool) {
        self.0.store(reading, Ordering::Release);
    }
}

/// A request body read whole, with its share of the budget.
#[derive(Debug)]
pub struct BudgetedBody {
    pub bytes: Vec<u8>,
    /// Given back to the budget when the body is dropped.
    _room: OwnedSemaphorePermit,
}

impl FromRequest<AppState> for BudgetedBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let declared = match request.headers().get(header::CONTENT_LENGTH) {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .ok_or_else(|| ServeError::bad_request("content-length is not a number"))?,
            ),
        };
        let limit = match declared {
            Some(n) if n > MAX_BODY_BYTES as u64 => {
                return Err(ServeError::TooLarge {
                    max: MAX_BODY_BYTES,
                }
                .into())
            }
            // Fits in usize: it is at most MAX_BODY_BYTES.
            Some(n) => usize::try_from(n).unwrap_or(MAX_BODY_BYTES),
            None => MAX_BODY_BYTES,
        };
        let Some(room) = state.body_budget.reserve(limit, BUDGET_WAIT).await else {
            state.metrics.body_budget_refused();
            return Err(ServeError::Busy {
                retry_after: BUDGET_RETRY_AFTER,
            }
            .into());
        };
        let watch = request.extensions().get::<BodyWatch>().cloned();
        if let Some(w) = &watch {
            w.set(true);
        }
        let read = read_at_most(request, limit, declared.is_some()).await;
        if let Some(w) = &watch {
            w.set(false);
        }
        Ok(BudgetedBody {
            bytes: read?,
            _room: room,
        })
    }
}

/// The body, into one buffer of the declared size (no regrowth, no copy
/// kept); more than `limit` bytes is 413.
async fn read_at_most(request: Request, limit: usize, declared: bool) -> Result<Vec<u8>, ApiError> {
    let mut body = request.into_body();
    let mut bytes = Vec::with_capacity(if declared { limit } else { 16 * 1024 });
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| ServeError::bad_request("the request body could not be read"))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(ServeError::TooLarge {
                    max: MAX_BODY_BYTES,
                }
                .into());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_budget_refuses_what_it_cannot_hold_and_takes_back_what_is_dropped() {
        let budget = BodyBudget::new(MAX_BODY_BYTES * 2);
        let (small, large) = budget.free();
        assert_eq!(small, MAX_BODY_BYTES * 2 / 8);
        assert!(large >= MAX_BODY_BYTES);
        let a = budget.reserve(MAX_BODY_BYTES, BUDGET_WAIT).await.unwrap();
        let started = std::time::Instant::now();
        assert!(budget
            .reserve(MAX_BODY_BYTES, Duration::from_millis(100))
            .await
            .is_none());
        assert!(started.elapsed() >= Duration::from_millis(100));
        // Large bodies do not take the small ones' room.
        let b = budget.reserve(100, BUDGET_WAIT).await.unwrap();
        drop(a);
        assert!(budget.reserve(MAX_BODY_BYTES, BUDGET_WAIT).await.is_some());
        drop(b);
        assert_eq!(budget.free(), (small, large));
    }
}
