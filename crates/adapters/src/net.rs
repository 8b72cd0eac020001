//! The address book of a real device, `net:<host>`: every port answers on the
//! host's one address, resolved once when the device is opened.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::adapter::AdapterError;
use crate::device::AddressBook;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetAddressBook {
    /// The host as given (IPv6 without brackets).
    host: String,
    ip: IpAddr,
}

impl NetAddressBook {
    /// Parse and resolve `host`: a host name, an IPv4 address, or an IPv6
    /// address in brackets (bare IPv6 is accepted too). No port, no scheme.
    /// A name must resolve within `timeout`; the first address is used.
    pub async fn resolve(host: &str, timeout: Duration) -> Result<Self, AdapterError> {
        let spec = format!("net:{host}");
        let bad = |detail: &str| AdapterError::InvalidSpec {
            spec: spec.clone(),
            detail: detail.to_string(),
        };
        if let Some(inner) = host.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| bad("an IPv6 address in brackets lacks its closing ']'"))?;
            let ip: Ipv6Addr = inner
                .parse()
                .map_err(|_| bad("the text in brackets is not an IPv6 address"))?;
            return Ok(NetAddressBook {
                host: inner.to_string(),
                ip: IpAddr::V6(ip),
            });
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(NetAddressBook {
                host: host.to_string(),
                ip,
            });
        }
        if !is_host_name(host) {
            return Err(bad(
                "expected a host name, an IPv4 address or an [IPv6] address (no port, no scheme, no path)",
            ));
        }
        let resolve_error = |detail: String| AdapterError::Resolve {
            spec: spec.clone(),
            host: host.to_string(),
            detail,
        };
        let found = tokio::time::timeout(timeout, tokio::net::lookup_host((host, 0)))
            .await
            .map_err(|_| resolve_error(format!("no answer within {:.1} s", timeout.as_secs_f64())))?
            .map_err(|e| resolve_error(e.to_string()))?
            .next()
            .ok_or_else(|| resolve_error("the name has no addresses".into()))?;
        Ok(NetAddressBook {
            host: host.to_string(),
            ip: found.ip(),
        })
    }

    /// The address every port is reached on.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }
}

/// RFC 1123 host name: dot-separated labels of letters, digits and hyphens
/// (underscores tolerated), none empty or longer than 63, 253 in all.
fn is_host_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

impl AddressBook for NetAddressBook {
    fn device_addr(&self, port: u16) -> Option<SocketAddr> {
        Some(SocketAddr::new(self.ip, port))
    }

    fn device_host(&self) -> String {
        self.host.clone()
    }

    fn known_ports(&self) -> Option<Vec<u16>> {
        None
    }

    fn website_addr(&self, _host: &str) -> Option<SocketAddr> {
        None
    }

    fn website_roots_pem(&self) -> Vec<String> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        for ok in ["camera", "cam-1.lan", "a.b.example.", "x_y.local"] {
            assert!(is_host_name(ok), "{ok}");
        }
        for bad in [
            "",
            "cam:80",
            "http://cam",
            "cam/x",
            "-cam",
            "a..b",
            "cam lan",
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }
}
