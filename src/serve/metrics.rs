//! Prometheus metrics in the text exposition format, kept in atomics (and one
//! small map keyed by route pattern and status, never by raw path, so a
//! client cannot grow it).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use iotmark_labels::LabelStatus;

/// Upper bounds of the latency histogram, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    duration_count: AtomicU64,
    duration_sum_micros: AtomicU64,
    verifications: [AtomicU64; 4],
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    rate_limited: AtomicU64,
    connections_open: AtomicU64,
    connections_total: AtomicU64,
}

fn status_index(s: LabelStatus) -> usize {
    match s {
        LabelStatus::Valid => 0,
        LabelStatus::Revoked => 1,
        LabelStatus::SupportEnded => 2,
        _ => 3,
    }
}

const STATUS_NAMES: [&str; 4] = ["valid", "revoked", "support-ended", "invalid"];

impl Metrics {
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((route.to_owned(), status)).or_default() += 1;
        }
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
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

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            "# HELP iotmark_http_requests_total HTTP requests answered, by route pattern and status.\n# TYPE iotmark_http_requests_total counter"
        );
        if let Ok(map) = self.requests.lock() {
            for ((route, status), n) in map.iter() {
                let _ = writeln!(
                    out,
                    "iotmark_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    route.replace(['"', '\\', '\n'], "_")
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP iotmark_http_request_duration_seconds Time to answer a request.\n# TYPE iotmark_http_request_duration_seconds histogram"
        );
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "iotmark_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.duration_count.load(Ordering::Relaxed);
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
        out
    }
}
