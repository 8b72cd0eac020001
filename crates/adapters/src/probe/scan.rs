//! The TCP port scan: one probe that asks every port of a range and reports
//! which accepted. It is recorded as one evidence line (a summary, naming
//! the method), not one line per port.
//!
//! Where this process may open a raw socket (root) and the target is IPv4,
//! it is a SYN scan ([`super::syn`]), as `nmap -sS` does: no connection is
//! completed. Otherwise it connects to every port with bounded concurrency
//! and a per-connect timeout: a connect that is accepted is open; refused is
//! closed; one that neither accepts nor refuses within the scan connect
//! timeout is filtered. A connect that fails for a local reason (out of file
//! descriptors, out of ephemeral ports) leaves the port unknown, so the scan
//! as a whole fails: a scan that may have missed an open port proves nothing.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use tokio::net::TcpStream;
use tower::Service;

use crate::device::ProbeError;
use crate::probe::layers::{DescribeRequest, DescribeResponse};
use crate::probe::syn::{self, SynState};
use crate::probe::{BoxFuture, ProbeConfig};
use crate::secret::Secret;

/// Ports listed in the evidence summary before it says "and N more".
const LISTED_OPEN_PORTS: usize = 64;

/// Scan `candidates` (device port, address to connect to).
#[derive(Debug, Clone)]
pub struct PortScanRequest {
    /// The device, for the record (`127.0.0.1`, `camera.lan`).
    pub host: String,
    /// The range asked for.
    pub range: RangeInclusive<u16>,
    /// Each port of the range that has an address, with that address. A
    /// simulated product maps its device ports to loopback ports; a real unit
    /// has every port on its one address.
    pub candidates: Vec<(u16, SocketAddr)>,
}

impl DescribeRequest for PortScanRequest {
    fn probe_kind(&self) -> String {
        "tcp-port-scan".into()
    }

    fn target(&self) -> String {
        format!(
            "{} ports {}-{}",
            self.host,
            self.range.start(),
            self.range.end()
        )
    }

    fn describe(&self) -> String {
        format!(
            "TCP port scan of {} ports ({}-{})",
            self.candidates.len(),
            self.range.start(),
            self.range.end()
        )
    }

    fn secrets(&self) -> Vec<Secret> {
        Vec::new()
    }
}

/// What the scan found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PortScanReport {
    /// Device ports that accepted a connection, ascending.
    pub open: Vec<u16>,
    /// Ports that refused.
    pub closed: usize,
    /// Ports that neither accepted nor refused within the connect timeout.
    pub filtered: usize,
    /// How many ports were tried.
    pub scanned: usize,
    pub elapsed: Duration,
    /// How: `syn` (half-open, raw socket) or `connect`.
    pub method: &'static str,
}

impl DescribeResponse for PortScanReport {
    fn outcome(&self) -> String {
        format!("{} open", self.open.len())
    }

    fn describe(&self) -> String {
        let mut listed: Vec<String> = self
            .open
            .iter()
            .take(LISTED_OPEN_PORTS)
            .map(u16::to_string)
            .collect();
        if self.open.len() > LISTED_OPEN_PORTS {
            listed.push(format!("and {} more", self.open.len() - LISTED_OPEN_PORTS));
        }
        format!(
            "open: [{}]; {} closed, {} filtered, {} scanned in {:.2} s ({} scan)",
            listed.join(", "),
            self.closed,
            self.filtered,
            self.scanned,
            self.elapsed.as_secs_f64(),
            self.method
        )
    }
}

/// The port scan service (the innermost scan layer).
#[derive(Debug, Clone)]
pub struct PortScan {
    in_flight: usize,
    connect_timeout: Duration,
    syn: bool,
}

impl PortScan {
    pub fn new(config: &ProbeConfig) -> Self {
        PortScan {
            in_flight: config.scan_concurrency.max(1),
            connect_timeout: config.scan_connect_timeout,
            syn: config.scan_syn,
        }
    }
}

impl Service<PortScanRequest> for PortScan {
    type Response = PortScanReport;
    type Error = ProbeError;
    type Future = BoxFuture<Result<PortScanReport, ProbeError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: PortScanRequest) -> Self::Future {
        Box::pin(scan(self.clone(), request))
    }
}

enum PortState {
    Open,
    Closed,
    Filtered,
    /// A local failure: the port's state is unknown.
    Unknown(std::io::Error),
}

async fn connect(addr: SocketAddr, limit: Duration) -> PortState {
    match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
        Err(_) => PortState::Filtered,
        Ok(Ok(stream)) => {
            // Scanning loopback, the kernel may pick the destination port as
            // the source port and connect the socket to itself (TCP
            // simultaneous open): nothing listens there.
            let own = stream.local_addr().ok();
            if own.is_some() && own == stream.peer_addr().ok() {
                PortState::Closed
            } else {
                PortState::Open
            }
        }
        Ok(Err(e)) => match e.kind() {
            ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset => PortState::Closed,
            ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable | ErrorKind::TimedOut => {
                PortState::Filtered
            }
            _ => PortState::Unknown(e),
        },
    }
}

async fn scan(settings: PortScan, request: PortScanRequest) -> Result<PortScanReport, ProbeError> {
    let started = tokio::time::Instant::now();
    if settings.syn {
        let candidates = request.candidates.clone();
        let wait = settings.connect_timeout;
        // The SYN scan blocks (two threads, a raw socket): off the workers.
        let syn = tokio::task::spawn_blocking(move || syn::scan(&candidates, wait))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|r| r);
        match syn {
            Ok(Some(states)) => {
                let mut report = PortScanReport {
                    open: Vec::new(),
                    closed: 0,
                    filtered: 0,
                    scanned: states.len(),
                    elapsed: Duration::ZERO,
                    method: "syn",
                };
                for ((port, _), state) in request.candidates.iter().zip(states) {
                    match state {
                        SynState::Open => report.open.push(*port),
                        SynState::Closed => report.closed += 1,
                        SynState::Filtered => report.filtered += 1,
                    }
                }
                report.open.sort_unstable();
                report.elapsed = started.elapsed();
                return Ok(report);
            }
            // Not allowed here (no raw sockets) or not IPv4: connect instead.
            Ok(None) => {}
            Err(e) => {
                return Err(ProbeError::Other {
                    target: request.target(),
                    detail: format!(
                        "the SYN scan failed on this side ({e}); the scan is incomplete"
                    ),
                })
            }
        }
    }
    connect_scan(&settings, &request, started).await
}

async fn connect_scan(
    settings: &PortScan,
    request: &PortScanRequest,
    started: tokio::time::Instant,
) -> Result<PortScanReport, ProbeError> {
    let limit = settings.connect_timeout;
    let mut results = stream::iter(request.candidates.iter().copied())
        .map(|(port, addr)| async move { (port, connect(addr, limit).await) })
        .buffer_unordered(settings.in_flight);
    let mut report = PortScanReport {
        open: Vec::new(),
        closed: 0,
        filtered: 0,
        scanned: 0,
        elapsed: Duration::ZERO,
        method: "connect",
    };
    let mut unknown = 0usize;
    let mut first_unknown: Option<(u16, std::io::Error)> = None;
    while let Some((port, state)) = results.next().await {
        report.scanned += 1;
        match state {
            PortState::Open => report.open.push(port),
            PortState::Closed => report.closed += 1,
            PortState::Filtered => report.filtered += 1,
            PortState::Unknown(e) => {
                unknown += 1;
                first_unknown.get_or_insert((port, e));
            }
        }
    }
    if let Some((port, first)) = first_unknown {
        return Err(ProbeError::Other {
            target: request.target(),
            detail: format!(
                "{} of {} connects failed on this side (port {port}: {first}); \
                 the scan is incomplete",
                unknown, report.scanned
            ),
        });
    }
    report.open.sort_unstable();
    report.elapsed = started.elapsed();
    Ok(report)
}
