//! Prometheus metrics in the text exposition format, kept in atomics only:
//! every label set is registered up front (route pattern × status code, never
//! the raw path, so a client cannot grow anything), and recording a request
//! is a few relaxed atomic increments — no lock, no allocation.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use iotmark_labels::LabelStatus;

/// Upper bounds of the latency histogram, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Every route pattern the router has, then one for requests no route matched.
pub const ROUTES: [&str; 23] = [
    "/",
    "/l/{digits}",
    "/L/{digits}",
    "/01/{gtin}",
    "/01/{gtin}/{*qualifiers}",
    "/assets/label.css",
    "/.well-known/security.txt",
    "/security/disclosure-policy",
    "/support",
    "/api/v1/verify",
    "/api/v1/verify/batch",
    "/api/v1/verify/{digits}",
    "/api/v1/labels",
    "/api/v1/labels/{serial}",
    "/api/v1/status-lists",
    "/api/v1/status-lists/{kid}",
    "/api/v1/log/head",
    "/api/v1/log/inclusion/{serial}",
    "/api/v1/log/consistency",
    "/healthz",
    "/metrics",
    "unmatched",
    "other",
];

/// The index of a route pattern in [`ROUTES`]; "unmatched" for none, "other"
/// for a pattern missing from the list (a route added without a metric).
pub fn route_index(pattern: Option<&str>) -> usize {
    match pattern {
        None => ROUTES.len() - 2,
        Some(p) => ROUTES[..ROUTES.len() - 2]
            .iter()
            .position(|r| *r == p)
            .unwrap_or(ROUTES.len() - 1),
    }
}

/// The status codes counted one by one; any other is counted as "other".
const STATUSES: [u16; 12] = [200, 304, 400, 404, 405, 408, 413, 429, 431, 500, 503, 504];

fn status_slot(status: u16) -> usize {
    STATUSES
        .iter()
        .position(|s| *s == status)
        .unwrap_or(STATUSES.len())
}

const STATUS_SLOTS: usize = STATUSES.len() + 1;

#[derive(Debug)]
pub struct Metrics {
    /// Requests by route (index into [`ROUTES`]) and status slot.
    requests: [[AtomicU64; STATUS_SLOTS]; ROUTES.len()],
    /// Requests per latency bucket (not cumulative; summed when rendered).
    buckets: [AtomicU64; BUCKETS.len()],
    duration_count: AtomicU64,
    duration_sum_micros: AtomicU64,
    verifications: [AtomicU64; 6],
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    rate_limited: AtomicU64,
    connections_open: AtomicU64,
    connections_total: AtomicU64,
    connections_refused: AtomicU64,
    header_timeouts: AtomicU64,
    body_budget_refused: AtomicU64,
}

fn status_index(s: LabelStatus) -> usize {
    LabelStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

const STATUS_NAMES: [&str; 6] = [
    "valid",
    "revoked",
    "support-ended",
    "not-yet-valid",
    "invalid",
    "unverifiable",
];

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            duration_count: AtomicU64::new(0),
            duration_sum_micros: AtomicU64::new(0),
            verifications: std::array::from_fn(|_| AtomicU64::new(0)),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            connections_open: AtomicU64::new(0),
            connections_total: AtomicU64::new(0),
            connections_refused: AtomicU64::new(0),
            header_timeouts: AtomicU64::new(0),
            body_budget_refused: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// One answered request; `route` is an index from [`route_index`].
    pub fn request(&self, route: usize, status: u16, elapsed: Duration) {
        if let Some(row) = self.requests.get(route) {
            row[status_slot(status)].fetch_add(1, Ordering::Relaxed);
        }
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|bound| secs <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.duration_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.duration_sum_micros
            .fetch_add(micros, Ordering::Relaxed);
    }

    pub fn verification(&self, status: LabelStatus) {
        self.verifications[status_index(status)].fetch_add(1, Ordering::Relaxed);
    }

    pub fn cache(&self, hit: bool) {
        let counter = if hit {
            &self.cache_hits
        } else {
            &self.cache_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
        self.connections_total.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// A connection closed at once: its client already held its share, or
    /// every slot was taken.
    pub fn connection_refused(&self) {
        self.connections_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection closed at its header deadline.
    pub fn header_timeout(&self) {
        self.header_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// A request body refused because the memory budget for bodies was spent.
    pub fn body_budget_refused(&self) {
        self.body_budget_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            "# HELP iotmark_http_requests_total HTTP requests answered, by route pattern and status.\n# TYPE iotmark_http_requests_total counter"
        );
        for (route, row) in ROUTES.iter().zip(&self.requests) {
            for (slot, n) in row.iter().enumerate() {
                let n = n.load(Ordering::Relaxed);
                if n == 0 {
                    continue;
                }
                let _ = match STATUSES.get(slot) {
                    Some(status) => writeln!(
                        out,
                        "iotmark_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                    ),
                    None => writeln!(
                        out,
                        "iotmark_http_requests_total{{route=\"{route}\",status=\"other\"}} {n}"
                    ),
                };
            }
        }
        let _ = writeln!(
            out,
            "# HELP iotmark_http_request_duration_seconds Time to answer a request.\n# TYPE iotmark_http_request_duration_seconds histogram"
        );
        let mut cumulative = 0u64;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "iotmark_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        // A request counted in a bucket may not be in the count yet.
        let count = self.duration_count.load(Ordering::Relaxed).max(cumulative);
        let _ = writeln!(
            out,
            "iotmark_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\niotmark_http_request_duration_seconds_sum {}\niotmark_http_request_duration_seconds_count {count}",
            self.duration_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "# HELP iotmark_label_verifications_total Labels verified, by outcome.\n# TYPE iotmark_label_verifications_total counter"
        );
        for (i, name) in STATUS_NAMES.iter().enumerate() {
            let _ = writeln!(
                out,
                "iotmark_label_verifications_total{{status=\"{name}\"}} {}",
                self.verifications[i].load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP iotmark_verification_cache_total Verification cache lookups.\n# TYPE iotmark_verification_cache_total counter\niotmark_verification_cache_total{{result=\"hit\"}} {}\niotmark_verification_cache_total{{result=\"miss\"}} {}",
            self.cache_hits.load(Ordering::Relaxed),
            self.cache_misses.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP iotmark_rate_limited_total Requests refused by the per-client rate limit.\n# TYPE iotmark_rate_limited_total counter\niotmark_rate_limited_total {}",
            self.rate_limited.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP iotmark_connections_open Connections open now.\n# TYPE iotmark_connections_open gauge\niotmark_connections_open {}\n# HELP iotmark_connections_total Connections accepted.\n# TYPE iotmark_connections_total counter\niotmark_connections_total {}",
            self.connections_open.load(Ordering::Relaxed),
            self.connections_total.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP iotmark_connections_refused_total Connections closed at once because their client held its share or every slot was taken.\n# TYPE iotmark_connections_refused_total counter\niotmark_connections_refused_total {}",
            self.connections_refused.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP iotmark_header_timeouts_total Connections closed because no complete request head came in time.\n# TYPE iotmark_header_timeouts_total counter\niotmark_header_timeouts_total {}\n# HELP iotmark_body_budget_refused_total Requests answered 503 because the memory budget for request bodies was spent.\n# TYPE iotmark_body_budget_refused_total counter\niotmark_body_budget_refused_total {}",
            self.header_timeouts.load(Ordering::Relaxed),
            self.body_budget_refused.load(Ordering::Relaxed)
        );
        out
    }
}
