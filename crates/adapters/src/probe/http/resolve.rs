//! Name resolution through the address book: a name given an address by the
//! run (`--resolve HOST:ADDR`) answers there, a simulated manufacturer's
//! website on loopback, the device's host name on the device's address;
//! everything else goes to the system resolver, bounded in time.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::device::AddressBook;
use crate::probe::config::HostOverride;

#[derive(Debug)]
pub(super) struct BookResolver {
    book: Arc<dyn AddressBook>,
    device_ip: Option<IpAddr>,
    lookup_timeout: Duration,
    overrides: Vec<HostOverride>,
}

impl BookResolver {
    pub(super) fn new(
        book: Arc<dyn AddressBook>,
        device_ip: Option<IpAddr>,
        lookup_timeout: Duration,
        overrides: Vec<HostOverride>,
    ) -> Self {
        BookResolver {
            book,
            device_ip,
            lookup_timeout,
            overrides,
        }
    }
}

impl Resolve for BookResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        if let Some(ip) = self.overrides.iter().find_map(|o| o.answers(&host)) {
            let addr = SocketAddr::new(ip, 0);
            return Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as Addrs) });
        }
        // A resolved port of 0 means "the URL's port"; a non-zero one (a
        // simulated website's loopback port) is used unless the URL names one.
        if let Some(addr) = self.book.website_addr(&host) {
            return Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as Addrs) });
        }
        if let Some(ip) = self.device_ip {
            if host.eq_ignore_ascii_case(&self.book.device_host()) {
                let addr = SocketAddr::new(ip, 0);
                return Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as Addrs) });
            }
        }
        let limit = self.lookup_timeout;
        Box::pin(async move {
            let found = tokio::time::timeout(limit, tokio::net::lookup_host((host.as_str(), 0)))
                .await
                .map_err(|_| format!("looking up {host} took longer than {limit:?}"))??;
            let addrs: Vec<SocketAddr> = found.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
