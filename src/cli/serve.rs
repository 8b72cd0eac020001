//! `iotmark serve` arguments. Every limit has a safe default; the ones a load
//! test or an operator may need to change are flags, not constants.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use iotmark_serve::{ConnectionLimits, ServeConfig};

use crate::cmd::parse_date_arg;

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: the system picks one; the address is printed as JSON).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The accreditation authority's certificate.
    #[arg(long)]
    pub trust_anchor: PathBuf,
    /// Lab certificate(s) to trust under the anchor (each still checked against it).
    #[arg(long)]
    pub lab_cert: Vec<PathBuf>,
    /// The authority's signed trust list: trust exactly the labs it names.
    #[arg(long)]
    pub trust_list: Option<PathBuf>,
    /// A lab's registry (SQLite): registry queries, transparency-log heads and
    /// proofs; its lab certificate is trusted under the anchor, and the
    /// status-list.cose beside it is served and used for revocation.
    #[arg(long)]
    pub registry: Option<PathBuf>,
    /// Signed status list file(s) to check revocation against (reloaded when they change).
    #[arg(long)]
    pub status: Vec<PathBuf>,
    /// TLS certificate chain (PEM); with --tls-key, serve HTTPS (HTTP/2 and HTTP/1.1).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Requests per second one client address may make (0: no limit).
    #[arg(long, default_value_t = 20)]
    pub rate_limit: u32,
    /// Requests a client may make in a burst above the rate.
    #[arg(long, default_value_t = 60)]
    pub rate_burst: u32,
    /// Simultaneous connections; further clients wait in the accept queue.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Simultaneous connections from one client address (IPv6 by its /64);
    /// one more is closed at once, so a few idle or slow clients cannot take
    /// every slot.
    #[arg(long, default_value_t = 64)]
    pub max_connections_per_client: usize,
    /// Seconds a request may take, body included, before it gets 503.
    #[arg(long, default_value_t = 10)]
    pub request_timeout: u64,
    /// Seconds a client has to send a request's headers before the connection is closed.
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a connection may stay open (keep-alive included) before it is closed gracefully.
    #[arg(long, default_value_t = 600)]
    pub connection_lifetime: u64,
    /// Seconds a connection may pass without a byte either way before it is
    /// closed gracefully (an idle HTTP/2 connection has no request head to
    /// time out, so this is what frees its slot).
    #[arg(long, default_value_t = 60)]
    pub idle_timeout: u64,
    /// Contact for security problems with this service, in its security.txt.
    #[arg(long, default_value = "mailto:security@iotmark.example")]
    pub contact: String,
    /// The date until which this service gets security updates (published on /support).
    #[arg(long, default_value = "2031-12-31")]
    pub support_end: String,
    /// Judge labels as of this date (YYYY-MM-DD) instead of today: for audits
    /// ("what did this label say on …") and tests. Shown on every page.
    #[arg(long)]
    pub now: Option<String>,
}

impl ServeArgs {
    /// The service's configuration: dates parsed, seconds as durations (at
    /// least one second each).
    pub fn config(self) -> anyhow::Result<ServeConfig> {
        let secs = |s: u64| Duration::from_secs(s.max(1));
        Ok(ServeConfig {
            now: self
                .now
                .as_deref()
                .map(|d| parse_date_arg("--now", d))
                .transpose()?,
            support_end: parse_date_arg("--support-end", &self.support_end)?,
            listen: self.listen,
            trust_anchor: self.trust_anchor,
            lab_cert: self.lab_cert,
            trust_list: self.trust_list,
            registry: self.registry,
            status: self.status,
            tls_cert: self.tls_cert,
            tls_key: self.tls_key,
            rate_limit: self.rate_limit,
            rate_burst: self.rate_burst,
            request_timeout: secs(self.request_timeout),
            connections: ConnectionLimits {
                max_connections: self.max_connections,
                max_per_client: self.max_connections_per_client,
                header_timeout: secs(self.header_timeout),
                lifetime: secs(self.connection_lifetime),
                idle: secs(self.idle_timeout),
            },
            contact: self.contact,
        })
    }
}
