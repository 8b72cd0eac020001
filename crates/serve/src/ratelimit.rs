//! Per-client rate limiting: the generic cell rate algorithm (a token bucket
//! kept as one number) per client IP address (IPv6 clients by their /64,
//! since one host usually holds the whole prefix).
//!
//! Each client's state is one "theoretical arrival time" in an `AtomicU64`,
//! updated by compare-and-swap; the table is split into shards behind
//! read-write locks, so a request takes a shared read lock and one atomic
//! update, and only a client's first request takes a (shard's) write lock.
//! The table is bounded: when a shard is full, clients whose buckets have
//! refilled (who are idle) are dropped first, and if none have, the new
//! client shares an overflow bucket instead of growing the table.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Instant;

/// Most clients tracked at once.
const MAX_CLIENTS: usize = 65_536;
/// Shards of the table.
const SHARDS: usize = 16;

type Shard = RwLock<HashMap<IpAddr, AtomicU64>>;

#[derive(Debug)]
pub struct RateLimiter {
    /// Nanoseconds one request "costs" (1 / rate).
    interval: u64,
    /// How far ahead of now a client's arrival time may run: burst × interval.
    tolerance: u64,
    /// Time zero of the arrival times.
    epoch: Instant,
    hasher: std::collections::hash_map::RandomState,
    shards: [Shard; SHARDS],
}

/// The key a client is limited and its connections counted under: IPv6
/// clients by their /64, since one host usually holds the whole prefix.
pub(super) fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
    }
}

/// Stands in for every client that did not fit the table.
const OVERFLOW: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

impl RateLimiter {
    /// `None` when `per_second` is 0 (no limit).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        (per_second > 0).then(|| {
            let interval = 1_000_000_000 / u64::from(per_second);
            Self {
                interval,
                tolerance: interval.saturating_mul(u64::from(burst.max(1))),
                epoch: Instant::now(),
                hasher: std::collections::hash_map::RandomState::new(),
                shards: std::array::from_fn(|_| RwLock::new(HashMap::new())),
            }
        })
    }

    fn shard(&self, key: IpAddr) -> &Shard {
        // SHARDS is small: the remainder fits.
        &self.shards[(self.hasher.hash_one(key) % SHARDS as u64) as usize]
    }

    /// Takes one request's worth for `ip` at time `now`; `Err(seconds)`
    /// says when to retry.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let now =
            u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX);
        let key = client_key(ip);
        let shard = self.shard(key);
        if let Ok(table) = shard.read() {
            if let Some(tat) = table.get(&key) {
                return self.take(tat, now);
            }
        }
        let Ok(mut table) = shard.write() else {
            return Ok(());
        };
        let mut key = key;
        if !table.contains_key(&key) && table.len() >= MAX_CLIENTS / SHARDS {
            // Idle clients: their arrival time is in the past.
            table.retain(|_, tat| tat.load(Ordering::Relaxed) > now);
            if table.len() >= MAX_CLIENTS / SHARDS {
                key = OVERFLOW;
            }
        }
        let tat = table.entry(key).or_insert_with(|| AtomicU64::new(0));
        self.take(tat, now)
    }

    fn take(&self, tat: &AtomicU64, now: u64) -> Result<(), u64> {
        let mut current = tat.load(Ordering::Relaxed);
        loop {
            let next = current.max(now).saturating_add(self.interval);
            if next - now > self.tolerance {
                let wait_ns = next - now - self.tolerance;
                return Err(wait_ns.div_ceil(1_000_000_000).max(1));
            }
            match tat.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(()),
                Err(seen) => current = seen,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refuse_then_refill() {
        let limiter = RateLimiter::new(2, 3).unwrap_or_else(|| unreachable!());
        let ip: IpAddr = "192.0.2.1".parse().unwrap_or(OVERFLOW);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(ip, t0).is_ok());
        }
        assert_eq!(limiter.check(ip, t0), Err(1));
        // Another client is not affected.
        let other: IpAddr = "192.0.2.2".parse().unwrap_or(OVERFLOW);
        assert!(limiter.check(other, t0).is_ok());
        // Half a second later one token is back.
        assert!(limiter.check(ip, t0 + Duration::from_millis(500)).is_ok());
        assert!(limiter.check(ip, t0 + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn ipv6_clients_share_their_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap_or(OVERFLOW);
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap_or(OVERFLOW);
        assert_eq!(client_key(a), client_key(b));
        assert!(RateLimiter::new(0, 10).is_none());
    }

    #[test]
    fn the_table_stays_bounded() {
        let limiter = RateLimiter::new(1, 5).unwrap_or_else(|| unreachable!());
        let t0 = Instant::now();
        let mut refused = 0;
        let mut per_shard = [0usize; SHARDS];
        for n in 0..(MAX_CLIENTS as u32 + 1000) {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            per_shard[(limiter.hasher.hash_one(client_key(ip)) % SHARDS as u64) as usize] += 1;
            refused += usize::from(limiter.check(ip, t0).is_err());
        }
        // Those that did not fit their shard share its overflow bucket: its
        // burst of 5 goes through, the rest is refused. The hash spreads
        // clients unevenly, so count what each shard could not hold.
        let expected: usize = per_shard
            .iter()
            .map(|&n| n.saturating_sub(MAX_CLIENTS / SHARDS).saturating_sub(5))
            .sum();
        assert!(refused > 0, "{per_shard:?}");
        assert_eq!(refused, expected, "{per_shard:?}");
        let held: usize = limiter
            .shards
            .iter()
            .map(|s| s.read().map(|t| t.len()).unwrap_or(0))
            .sum();
        assert!(held <= MAX_CLIENTS + SHARDS, "{held}");
        // Once every client is idle, new ones get their own buckets again.
        let later = t0 + Duration::from_secs(60);
        let fresh = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 99));
        for _ in 0..5 {
            assert!(limiter.check(fresh, later).is_ok());
        }
        assert!(limiter.check(fresh, later).is_err());
    }
}
