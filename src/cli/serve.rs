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
    /// Simultaneous connections; one more is closed at once. At start the
    /// open-file limit is raised as far as allowed and this is lowered to fit
    /// under it (logged, and printed in the address line).
    #[arg(long, default_value_t = 4096)]
    pub max_connections: usize,
    /// Simultaneous connections from one client address (IPv6 by its /64);
    /// one more is closed at once. Once three quarters of the connections
    /// are taken, a client may hold an eighth of this (at least 2), so many
    /// idle or slow clients cannot take every slot.
    #[arg(long, default_value_t = 32)]
    pub max_connections_per_client: usize,
    /// Seconds a request may take, body included: 408 if the client's body
    /// was still awaited then, 503 (with Retry-After) if the service was slow.
    #[arg(long, default_value_t = 10)]
    pub request_timeout: u64,
    /// Seconds a client has, from accept (TLS handshake included) or from
    /// the end of the previous answer, to send a complete request head; then
    /// the connection is closed (408 to a partial HTTP/1.1 head).
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a connection may stay open (keep-alive included) before it is closed gracefully.
    #[arg(long, default_value_t = 600)]
    pub connection_lifetime: u64,
    /// Seconds a connection that has had an answer may wait for its next
    /// request with no byte either way before it is closed gracefully.
    #[arg(long, alias = "idle-timeout", default_value_t = 5)]
    pub keep_alive_timeout: u64,
    /// MiB of request bodies held in memory, all connections together; a
    /// request that finds no room within a second gets 503 with Retry-After.
    #[arg(long, default_value_t = 64)]
    pub body_memory_mib: usize,
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
            body_memory: self.body_memory_mib.saturating_mul(1024 * 1024),
            connections: ConnectionLimits {
                max_connections: self.max_connections,
                max_per_client: self.max_connections_per_client,
                header_timeout: secs(self.header_timeout),
                lifetime: secs(self.connection_lifetime),
                keep_alive: secs(self.keep_alive_timeout),
            },
            contact: self.contact,
        })
    }
}
