//! What every handler shares: the verifier, the registry, metrics, limits,
//! and this service's own published facts (contact, support period).
//!
//! Every layer and handler gets its own copy of the state for each request,
//! so [`AppState`] is one reference-counted pointer: a clone is one atomic
//! increment, never a copy of the strings inside.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use time::Date;

use tokio::sync::Semaphore;

use super::body::BodyBudget;
use super::cache::ResponseCache;
use super::metrics::Metrics;
use super::ratelimit::RateLimiter;
use super::registry::RegistryHandle;
use super::verifier::Verifier;

#[derive(Debug)]
pub struct Shared {
    pub verifier: Arc<Verifier>,
    pub registry: Option<RegistryHandle>,
    pub metrics: Arc<Metrics>,
    /// Finished verification responses (pages and JSON).
    pub responses: ResponseCache,
    pub rate_limiter: Option<RateLimiter>,
    pub request_timeout: Duration,
    /// Memory for request bodies, all connections together.
    pub body_budget: BodyBudget,
    /// Blocking threads that may parse and verify batches at once.
    pub batch_workers: BatchWorkers,
    pub tls: bool,
    /// Fixed verification date (`--now`), for audits and tests.
    pub fixed_today: Option<Date>,
    /// This service's security contact (its security.txt).
    pub contact: String,
    /// Until when this service gets security updates.
    pub support_end: Date,
    /// The accreditation body whose certificate anchors every verification.
    pub authority: String,
}

/// Blocking threads for batches, large and small apart: all cores but one
/// for large batches (one core stays for the async workers answering
/// everyone else), as many as cores for small ones.
#[derive(Debug)]
pub struct BatchWorkers {
    pub large: Arc<Semaphore>,
    pub small: Arc<Semaphore>,
}

impl BatchWorkers {
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        BatchWorkers {
            large: Arc::new(Semaphore::new(cores.saturating_sub(1).max(1))),
            small: Arc::new(Semaphore::new(cores)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }

    /// The date labels are judged on.
    pub fn today(&self) -> Date {
        self.fixed_today
            .unwrap_or_else(|| time::OffsetDateTime::now_utc().date())
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
