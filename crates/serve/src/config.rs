//! What the service is started with: parsed values, no command-line types
//! (the binary's `cli::serve` turns its flags into a [`ServeConfig`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use time::Date;

use crate::listener::ConnectionLimits;

/// Everything `iotmark serve` needs to run.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (port 0: the system picks one).
    pub listen: SocketAddr,
    /// The accreditation authority's certificate (PEM file).
    pub trust_anchor: PathBuf,
    /// Lab certificates to trust under the anchor (each still checked against it).
    pub lab_cert: Vec<PathBuf>,
    /// The authority's signed trust list: trust exactly the labs it names.
    pub trust_list: Option<PathBuf>,
    /// A lab's registry (SQLite file).
    pub registry: Option<PathBuf>,
    /// Signed status list files to check revocation against.
    pub status: Vec<PathBuf>,
    /// TLS certificate chain and key (PEM); both or neither.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Requests per second one client address may make (0: no limit), and
    /// the burst above that rate.
    pub rate_limit: u32,
    pub rate_burst: u32,
    /// Time a request may take, body included: 408 if the client's body
    /// was still awaited then, 503 if we were the slow ones.
    pub request_timeout: Duration,
    /// Bytes of request bodies held in memory, all connections together
    /// (at least one largest body, [`crate::MAX_BODY_BYTES`]).
    pub body_memory: usize,
    /// Connection slots and timeouts.
    pub connections: ConnectionLimits,
    /// Contact for security problems with this service (its security.txt).
    pub contact: String,
    /// Until when this service gets security updates (its /support page).
    pub support_end: Date,
    /// Judge labels as of this date instead of today.
    pub now: Option<Date>,
}
