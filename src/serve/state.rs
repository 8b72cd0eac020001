//! What every handler shares: the verifier, the registry, metrics, limits,
//! and this service's own published facts (contact, support period).

use std::sync::Arc;
use std::time::Duration;

use time::Date;

use super::metrics::Metrics;
use super::ratelimit::RateLimiter;
use super::registry::RegistryHandle;
use super::verifier::Verifier;

#[derive(Debug, Clone)]
pub struct AppState {
    pub verifier: Arc<Verifier>,
    pub registry: Option<RegistryHandle>,
    pub metrics: Arc<Metrics>,
    pub rate_limiter: Option<Arc<RateLimiter>>,
    pub request_timeout: Duration,
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

impl AppState {
    /// The date labels are judged on.
    pub fn today(&self) -> Date {
        self.fixed_today
            .unwrap_or_else(|| time::OffsetDateTime::now_utc().date())
    }
}
