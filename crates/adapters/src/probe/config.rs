//! How hard the harness may lean on a device: timeouts, size limits, rate and
//! concurrency. One [`ProbeConfig`] holds for every probe sent to one device.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

/// Limits applied to every probe on one device.
///
/// The defaults suit loopback and simulated products. For real units the CLI
/// picks a gentle `rate_per_second`: a device must not be flooded, and lockout
/// tests are only deterministic when attempts arrive at a known pace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeConfig {
    /// Longest one probe may take once it is sent (connect, dialogue, body).
    pub timeout: Duration,
    /// Longest a TCP connect may take.
    pub connect_timeout: Duration,
    /// Most bytes read from one answer; an HTTP body beyond it is cut and
    /// marked truncated, a telnet dialogue beyond it is refused.
    pub max_response_bytes: usize,
    /// Probes started per second on this device; `None` is unlimited.
    pub rate_per_second: Option<u32>,
    /// Probes in flight at once on this device.
    pub concurrency: usize,
    /// TCP connects in flight at once during a port scan (the scan itself
    /// counts as one probe against `concurrency`).
    pub scan_concurrency: usize,
    /// Longest one port-scan connect may take; a port that neither accepts
    /// nor refuses within it is reported filtered. A SYN scan waits this
    /// long for the answers of each round.
    pub scan_connect_timeout: Duration,
    /// Scan with SYNs from a raw socket where this process may open one
    /// (root, CAP_NET_RAW) and the target is IPv4; otherwise, or when
    /// false, with TCP connects.
    pub scan_syn: bool,
    /// Host names answered from here instead of DNS, for every port (like
    /// `curl --resolve`): a deployment rehearsed under its public name on a
    /// lab or loopback address.
    pub resolve: Vec<HostOverride>,
}

/// `HOST:ADDR`: connect to `ADDR` whenever a URL names `HOST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostOverride {
    /// Lower case, without a trailing dot.
    host: String,
    ip: IpAddr,
}

impl HostOverride {
    /// The address for `host`, if this override names it.
    pub fn answers(&self, host: &str) -> Option<IpAddr> {
        let host = host.strip_suffix('.').unwrap_or(host);
        host.eq_ignore_ascii_case(&self.host).then_some(self.ip)
    }
}

impl std::fmt::Display for HostOverride {
    /// `HOST:ADDR` as given (an IPv6 address in brackets).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{}:{ip}", self.host),
            IpAddr::V6(ip) => write!(f, "{}:[{ip}]", self.host),
        }
    }
}

impl FromStr for HostOverride {
    type Err = String;

    /// `HOST:ADDR`, an IPv6 address in brackets (`HOST:[::1]`).
    fn from_str(text: &str) -> Result<Self, String> {
        let (host, addr) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?} is not HOST:ADDR"))?;
        let host = host.strip_suffix('.').unwrap_or(host);
        let name_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !name_ok {
            return Err(format!("{host:?} is not a host name"));
        }
        let bare = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        let ip = bare
            .parse()
            .map_err(|_| format!("{addr:?} is not an IP address"))?;
        Ok(HostOverride {
            host: host.to_ascii_lowercase(),
            ip,
        })
    }
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(3),
            max_response_bytes: 256 * 1024,
            rate_per_second: None,
            concurrency: 4,
            scan_concurrency: 512,
            scan_connect_timeout: Duration::from_secs(1),
            scan_syn: true,
            resolve: Vec::new(),
        }
    }
}

/// A [`ProbeConfig`] value that would make every probe fail or hang.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("probe setting {field} must be {expected}")]
    Invalid {
        field: &'static str,
        expected: &'static str,
    },
}

impl ProbeConfig {
    /// Refuse values that cannot work: zero timeouts, a zero rate (no probe
    /// would ever start), zero concurrency (likewise), a zero size limit.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |field, expected| Err(ConfigError::Invalid { field, expected });
        if self.timeout.is_zero() {
            return invalid("timeout", "longer than zero");
        }
        if self.connect_timeout.is_zero() {
            return invalid("connect_timeout", "longer than zero");
        }
        if self.max_response_bytes == 0 {
            return invalid("max_response_bytes", "at least 1");
        }
        if self.rate_per_second == Some(0) {
            return invalid("rate_per_second", "at least 1 (or unset for no limit)");
        }
        if self.concurrency == 0 {
            return invalid("concurrency", "at least 1");
        }
        if self.scan_concurrency == 0 {
            return invalid("scan_concurrency", "at least 1");
        }
        if self.scan_connect_timeout.is_zero() {
            return invalid("scan_connect_timeout", "longer than zero");
        }
        Ok(())
    }

    /// How long a device may stay quiet after sending something we cannot
    /// classify before we stop waiting and report what we saw: a quarter of
    /// the probe timeout, between 200 ms and 2 s. Silence with nothing unread
    /// is left to the probe timeout instead.
    pub fn read_window(&self) -> Duration {
        (self.timeout / 4).clamp(Duration::from_millis(200), Duration::from_secs(2))
    }

    /// Longest a scan of `ports` ports may take as a whole: every wave of
    /// `scan_concurrency` connects waiting out its connect timeout, plus the
    /// probe timeout as slack. A device that slows every connect to just under
    /// the limit still ends within this bound.
    pub fn scan_deadline(&self, ports: usize) -> Duration {
        let waves = ports.div_ceil(self.scan_concurrency.max(1)).max(1);
        let waves = u32::try_from(waves).unwrap_or(u32::MAX);
        self.scan_connect_timeout.saturating_mul(waves) + self.timeout
    }

    /// The pause between two probes the rate limit imposes, if any.
    pub fn probe_interval(&self) -> Option<Duration> {
        self.rate_per_second
            .filter(|r| *r > 0)
            .map(|r| Duration::from_secs(1) / r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_zeroes_are_not() {
        assert_eq!(ProbeConfig::default().check(), Ok(()));
        let zero_rate = ProbeConfig {
            rate_per_second: Some(0),
            ..ProbeConfig::default()
        };
        assert!(zero_rate.check().is_err());
        let zero_conc = ProbeConfig {
            concurrency: 0,
            ..ProbeConfig::default()
        };
        assert!(zero_conc.check().is_err());
    }

    #[test]
    fn interval_and_window() {
        let c = ProbeConfig {
            rate_per_second: Some(4),
            ..ProbeConfig::default()
        };
        assert_eq!(c.probe_interval(), Some(Duration::from_millis(250)));
        assert_eq!(c.read_window(), Duration::from_millis(1250));
    }

    #[test]
    fn host_overrides_like_curl_resolve() {
        let o: HostOverride = "Verify.Example:127.0.0.1".parse().unwrap();
        assert_eq!(
            o.answers("verify.example"),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            o.answers("VERIFY.EXAMPLE."),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(o.answers("other.example"), None);
        let v6: HostOverride = "cam.lan:[::1]".parse().unwrap();
        assert_eq!(v6.answers("cam.lan"), Some("::1".parse().unwrap()));
        for bad in [
            "nocolon",
            ":127.0.0.1",
            "a b:127.0.0.1",
            "host:notanip",
            "host:",
        ] {
            assert!(bad.parse::<HostOverride>().is_err(), "{bad}");
        }
    }
}
