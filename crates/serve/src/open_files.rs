//! The open-file limit and the connection cap that fits under it.
//!
//! Every connection is a file descriptor. Under the common soft limit of
//! 1,024 a cap of more connections than that means `accept` fails with
//! "Too many open files" instead of the cap doing its job, so at start the
//! service raises its soft limit as far as the hard limit allows and serves
//! at most that many connections less a reserve for everything else (the
//! registry, status lists, the blocking pool, logs).

/// Descriptors kept for everything that is not a client connection.
pub const RESERVE: u64 = 128;

/// What [`fit`] found and decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    /// The soft limit before and after raising it (`None`: not readable here).
    pub soft_before: Option<u64>,
    pub soft_now: Option<u64>,
    /// Connections asked for and connections that fit.
    pub requested: usize,
    pub max_connections: usize,
}

impl Sizing {
    /// Whether the cap had to be lowered to fit the limit.
    pub fn lowered(&self) -> bool {
        self.max_connections < self.requested
    }
}

/// Raises the soft open-file limit to the hard limit and sizes `requested`
/// connections below it; logs what it did (a lowered cap as a warning).
pub fn fit(requested: usize) -> Sizing {
    let soft_before = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .ok()
        .map(|(soft, _)| soft);
    let soft_now = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(now) => Some(now),
        Err(e) => {
            tracing::warn!(error = %e, "serve: cannot raise the open-file limit");
            soft_before
        }
    };
    let sizing = Sizing {
        soft_before,
        soft_now,
        requested,
        max_connections: cap_under(requested, soft_now),
    };
    if sizing.lowered() {
        tracing::warn!(
            open_files = soft_now,
            requested,
            max_connections = sizing.max_connections,
            "serve: --max-connections lowered to fit the open-file limit"
        );
    } else {
        tracing::info!(
            open_files_before = soft_before,
            open_files = soft_now,
            max_connections = sizing.max_connections,
            "serve: open-file limit raised; the connection cap fits under it"
        );
    }
    sizing
}

/// The largest cap not above `requested` that leaves [`RESERVE`]
/// descriptors (or half of a tiny limit) free.
pub fn cap_under(requested: usize, soft_limit: Option<u64>) -> usize {
    let Some(limit) = soft_limit else {
        return requested.max(1);
    };
    let room = if limit > 2 * RESERVE {
        limit - RESERVE
    } else {
        limit / 2
    };
    let room = usize::try_from(room).unwrap_or(usize::MAX);
    requested.min(room).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_a_reserve_under_the_limit() {
        assert_eq!(cap_under(4096, Some(1024)), 1024 - RESERVE as usize);
        assert_eq!(cap_under(4096, Some(1_048_576)), 4096);
        assert_eq!(cap_under(4096, Some(100)), 50);
        assert_eq!(cap_under(4096, None), 4096);
        assert_eq!(cap_under(0, Some(1024)), 1);
    }

    #[test]
    fn the_soft_limit_ends_at_least_where_it_was() {
        let sizing = fit(1 << 20);
        assert!(sizing.soft_now >= sizing.soft_before, "{sizing:?}");
        let now = sizing.soft_now.unwrap();
        assert!((sizing.max_connections as u64) < now, "{sizing:?}");
    }
}
