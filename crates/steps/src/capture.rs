//! A packet capture of the device's upstream traffic, recorded by the
//! operator on the lab network (`iotmark run --capture FILE`).
//!
//! A real unit's cloud connection cannot be pointed at the harness, but its
//! traffic can be recorded between the unit and the internet. This module
//! reads such a recording (pcap or pcapng; Ethernet, Linux cooked, raw IP or
//! BSD loopback frames), keeps the TCP sessions the device opened to its
//! declared cloud port, and reassembles enough of each client-to-server
//! stream to judge its first bytes and what it shows. Everything read is
//! bounded: the file, the bytes kept per stream and in all, the number of
//! streams. A capture is untrusted input: a damaged or foreign file is an
//! error naming the file, which the steps turn into INCONCLUSIVE.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::DataLink;
use sha2::{Digest, Sha256};

/// Largest capture file read.
pub const CAPTURE_MAX: u64 = 64 * 1024 * 1024;
/// Most client bytes kept per session.
pub const STREAM_MAX: usize = 16 * 1024;
/// Most client bytes kept over all sessions.
const TOTAL_MAX: usize = 8 * 1024 * 1024;
/// Most sessions kept.
const SESSIONS_MAX: usize = 4096;
/// Most out-of-order segments held per session while a gap is open.
const PENDING_MAX: usize = 64;

/// Why a capture cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    #[error("cannot read the capture {path}: {detail}")]
    Io { path: String, detail: String },
    #[error("the capture {path} is {size} bytes, more than the {max} bytes iotmark reads")]
    TooLarge { path: String, size: u64, max: u64 },
    #[error("{path} is not a pcap or pcapng capture (it starts with {start})")]
    NotACapture { path: String, start: String },
    #[error("the capture {path} is damaged at byte {offset}: {detail}")]
    Damaged {
        path: String,
        offset: usize,
        detail: String,
    },
    #[error("the capture {path} records link type {link}; Ethernet, Linux cooked, raw IP and BSD loopback captures are read")]
    LinkType { path: String, link: String },
    #[error("reading the capture {path} failed: {detail}")]
    Failed { path: String, detail: String },
}

/// Which traffic to keep: from the device to the cloud service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The device's addresses on the lab network.
    pub device: Vec<IpAddr>,
    /// The declared cloud port.
    pub port: u16,
    /// The cloud service's address, when declared as one; otherwise any
    /// server on the port.
    pub server: Option<IpAddr>,
}

/// One TCP session the device opened (or was seen in) to the cloud port.
#[derive(Debug, Clone)]
pub struct Session {
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// When the device's SYN was seen (capture time); `None` when the
    /// capture began after the session opened, so its first bytes are unknown.
    pub syn_at: Option<Duration>,
    /// The server answered the SYN (SYN-ACK seen).
    pub accepted: bool,
    /// The last packet of the session in either direction.
    pub last_at: Duration,
    /// The client's bytes in stream order, up to [`STREAM_MAX`].
    pub bytes: Vec<u8>,
    /// More client bytes were sent than kept.
    pub capped: bool,
    isn: u32,
    next: u32,
    pending: Vec<(u32, Vec<u8>)>,
}

impl Session {
    /// How long the session lasted, from its SYN to its last packet.
    pub fn lasted(&self) -> Option<Duration> {
        self.syn_at.map(|s| self.last_at.saturating_sub(s))
    }
}

/// What was read from a capture.
#[derive(Debug, Clone)]
pub struct CaptureReading {
    pub path: String,
    /// SHA-256 of the whole file, hex.
    pub sha256: String,
    pub size: u64,
    /// `pcap` or `pcapng`.
    pub format: &'static str,
    /// Frames in the file.
    pub frames: usize,
    /// Frames that were not IP/TCP the reader understands.
    pub unreadable: usize,
    /// Sessions from the device to the cloud port, in the order they began.
    pub sessions: Vec<Session>,
    /// Sessions left out because [`SESSIONS_MAX`] were already kept.
    pub sessions_dropped: usize,
    /// The total byte budget ran out.
    pub bytes_capped: bool,
}

impl CaptureReading {
    /// Sessions whose opening was captured (their SYN is in the file).
    pub fn opened(&self) -> impl Iterator<Item = &Session> {
        self.sessions.iter().filter(|s| s.syn_at.is_some())
    }

    /// One line for the evidence log.
    pub fn summary(&self, ep: &Endpoint) -> String {
        let servers: Vec<String> = {
            let mut v: Vec<String> = self.sessions.iter().map(|s| s.server.to_string()).collect();
            v.sort();
            v.dedup();
            v.truncate(8);
            v
        };
        format!(
            "{} {} bytes, sha256 {}; {} frame(s), {} not IP/TCP; {} session(s) from {} to port {} ({} with their opening){}{}{}",
            self.format,
            self.size,
            self.sha256,
            self.frames,
            self.unreadable,
            self.sessions.len(),
            ep.device
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join("/"),
            ep.port,
            self.opened().count(),
            if servers.is_empty() {
                String::new()
            } else {
                format!(" at {}", servers.join(", "))
            },
            if self.sessions_dropped > 0 {
                format!("; {} more session(s) not kept", self.sessions_dropped)
            } else {
                String::new()
            },
            if self.bytes_capped {
                "; byte budget reached"
            } else {
                ""
            }
        )
    }
}

/// The capture a run was given, read once and shared by its scenarios.
#[derive(Debug)]
pub struct CaptureSource {
    pub path: PathBuf,
    reading: tokio::sync::OnceCell<Result<Arc<CaptureReading>, CaptureError>>,
}

impl CaptureSource {
    pub fn new(path: PathBuf) -> CaptureSource {
        CaptureSource {
            path,
            reading: tokio::sync::OnceCell::new(),
        }
    }

    /// Read the capture (on the first call; later calls share the result).
    /// The endpoint is the run's: the same for every scenario.
    pub async fn read(&self, ep: &Endpoint) -> Result<Arc<CaptureReading>, CaptureError> {
        self.reading
            .get_or_init(|| async {
                let path = self.path.clone();
                let ep = ep.clone();
                let shown = path.display().to_string();
                match tokio::task::spawn_blocking(move || read(&path, &ep)).await {
                    Ok(r) => r.map(Arc::new),
                    Err(e) => Err(CaptureError::Failed {
                        path: shown,
                        detail: e.to_string(),
                    }),
                }
            })
            .await
            .clone()
    }
}

/// Read `path` and keep the sessions from the device to the cloud port.
pub fn read(path: &Path, ep: &Endpoint) -> Result<CaptureReading, CaptureError> {
    let shown = path.display().to_string();
    let io = |e: std::io::Error| CaptureError::Io {
        path: shown.clone(),
        detail: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > CAPTURE_MAX {
        return Err(CaptureError::TooLarge {
            path: shown,
            size,
            max: CAPTURE_MAX,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    if bytes.len() as u64 > CAPTURE_MAX {
        return Err(CaptureError::TooLarge {
            path: shown,
            size: bytes.len() as u64,
            max: CAPTURE_MAX,
        });
    }
    parse(&shown, &bytes, ep)
}

/// [`read`] over bytes already in memory; `path` names them in errors.
pub fn parse(path: &str, bytes: &[u8], ep: &Endpoint) -> Result<CaptureReading, CaptureError> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let mut t = Tracker::new(ep);
    let format = match bytes.get(..4) {
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => {
            read_pcapng(path, bytes, &mut t)?;
            "pcapng"
        }
        Some(
            [0xa1, 0xb2, 0xc3, 0xd4]
            | [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x4d, 0x3c, 0xb2, 0xa1],
        ) => {
            read_pcap(path, bytes, &mut t)?;
            "pcap"
        }
        _ => {
            return Err(CaptureError::NotACapture {
                path: path.into(),
                start: bytes
                    .iter()
                    .take(8)
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            })
        }
    };
    Ok(CaptureReading {
        path: path.into(),
        sha256,
        size: bytes.len() as u64,
        format,
        frames: t.frames,
        unreadable: t.unreadable,
        sessions: t.sessions,
        sessions_dropped: t.dropped,
        bytes_capped: t.capped,
    })
}

fn damaged(path: &str, bytes: &[u8], rest: &[u8], e: impl std::fmt::Display) -> CaptureError {
    CaptureError::Damaged {
        path: path.into(),
        offset: bytes.len().saturating_sub(rest.len()),
        detail: match e.to_string().as_str() {
            "Need more bytes" => "it ends in the middle of a record (truncated)".into(),
            other => other.to_string(),
        },
    }
}

fn supported(link: DataLink) -> bool {
    matches!(
        link,
        DataLink::ETHERNET
            | DataLink::LINUX_SLL
            | DataLink::RAW
            | DataLink::IPV4
            | DataLink::IPV6
            | DataLink::NULL
            | DataLink::LOOP
    )
}

fn read_pcap(path: &str, bytes: &[u8], t: &mut Tracker) -> Result<(), CaptureError> {
    let (mut rest, parser) = PcapParser::new(bytes).map_err(|e| damaged(path, bytes, bytes, e))?;
    let link = parser.header().datalink;
    if !supported(link) {
        return Err(CaptureError::LinkType {
            path: path.into(),
            link: format!("{link:?}"),
        });
    }
    while !rest.is_empty() {
        let (next, packet) = parser
            .next_packet(rest)
            .map_err(|e| damaged(path, bytes, rest, e))?;
        t.frame(link, packet.timestamp, &packet.data);
        rest = next;
    }
    Ok(())
}

fn read_pcapng(path: &str, bytes: &[u8], t: &mut Tracker) -> Result<(), CaptureError> {
    let (mut rest, mut parser) =
        PcapNgParser::new(bytes).map_err(|e| damaged(path, bytes, bytes, e))?;
    while !rest.is_empty() {
        let (next, block) = parser
            .next_block(rest)
            .map_err(|e| damaged(path, bytes, rest, e))?;
        match block {
            Block::InterfaceDescription(idb) if !supported(idb.linktype) => {
                return Err(CaptureError::LinkType {
                    path: path.into(),
                    link: format!("{:?}", idb.linktype),
                });
            }
            Block::EnhancedPacket(p) => {
                let Some(link) = parser
                    .interfaces()
                    .get(p.interface_id as usize)
                    .map(|i| i.linktype)
                else {
                    return Err(damaged(
                        path,
                        bytes,
                        rest,
                        format!(
                            "a packet names interface {} that was never described",
                            p.interface_id
                        ),
                    ));
                };
                t.frame(link, p.timestamp, &p.data);
            }
            Block::SimplePacket(p) => {
                let Some(link) = parser.interfaces().first().map(|i| i.linktype) else {
                    return Err(damaged(
                        path,
                        bytes,
                        rest,
                        "a packet comes before any interface is described",
                    ));
                };
                t.frame(link, Duration::ZERO, &p.data);
            }
            _ => {}
        }
        rest = next;
    }
    Ok(())
}

/// Follows the device's sessions to the cloud port, frame by frame.
struct Tracker<'a> {
    ep: &'a Endpoint,
    frames: usize,
    unreadable: usize,
    sessions: Vec<Session>,
    /// (client, server) → index of the latest session on that pair.
    index: HashMap<(SocketAddr, SocketAddr), usize>,
    dropped: usize,
    kept: usize,
    capped: bool,
}

/// The TCP facts of one frame.
struct Segment<'p> {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    syn: bool,
    ack: bool,
    payload: &'p [u8],
}

fn segment(link: DataLink, data: &[u8]) -> Option<Segment<'_>> {
    let sliced = match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data).ok()?,
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data).ok()?,
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data).ok()?,
        // BSD loopback: a four-byte address family, then the IP packet.
        DataLink::NULL | DataLink::LOOP => SlicedPacket::from_ip(data.get(4..)?).ok()?,
        _ => return None,
    };
    let (src, dst): (IpAddr, IpAddr) = match sliced.net? {
        NetSlice::Ipv4(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        NetSlice::Ipv6(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        _ => return None,
    };
    let TransportSlice::Tcp(tcp) = sliced.transport? else {
        return None;
    };
    Some(Segment {
        src: SocketAddr::new(src, tcp.source_port()),
        dst: SocketAddr::new(dst, tcp.destination_port()),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        ack: tcp.ack(),
        payload: tcp.payload(),
    })
}

/// Signed distance from `b` to `a` in sequence space.
fn seq_diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl<'a> Tracker<'a> {
    fn new(ep: &'a Endpoint) -> Tracker<'a> {
        Tracker {
            ep,
            frames: 0,
            unreadable: 0,
            sessions: Vec::new(),
            index: HashMap::new(),
            dropped: 0,
            kept: 0,
            capped: false,
        }
    }

    fn is_device(&self, a: &SocketAddr) -> bool {
        self.ep.device.contains(&a.ip())
    }

    fn is_cloud(&self, a: &SocketAddr) -> bool {
        a.port() == self.ep.port && self.ep.server.is_none_or(|s| s == a.ip())
    }

    fn frame(&mut self, link: DataLink, at: Duration, data: &[u8]) {
        self.frames = self.frames.saturating_add(1);
        let Some(s) = segment(link, data) else {
            self.unreadable = self.unreadable.saturating_add(1);
            return;
        };
        if self.is_device(&s.src) && self.is_cloud(&s.dst) {
            self.client_segment(at, &s);
        } else if self.is_cloud(&s.src) && self.is_device(&s.dst) {
            if let Some(&i) = self.index.get(&(s.dst, s.src)) {
                if let Some(session) = self.sessions.get_mut(i) {
                    session.last_at = session.last_at.max(at);
                    if s.syn && s.ack {
                        session.accepted = true;
                    }
                }
            }
        }
    }

    fn open(&mut self, s: &Segment, at: Duration, syn: bool) -> Option<usize> {
        if self.sessions.len() >= SESSIONS_MAX {
            self.dropped = self.dropped.saturating_add(1);
            return None;
        }
        let next = if syn { s.seq.wrapping_add(1) } else { s.seq };
        self.sessions.push(Session {
            client: s.src,
            server: s.dst,
            syn_at: syn.then_some(at),
            accepted: false,
            last_at: at,
            bytes: Vec::new(),
            capped: false,
            isn: s.seq,
            next,
            pending: Vec::new(),
        });
        let i = self.sessions.len() - 1;
        self.index.insert((s.src, s.dst), i);
        Some(i)
    }

    fn client_segment(&mut self, at: Duration, s: &Segment) {
        let known = self.index.get(&(s.src, s.dst)).copied();
        let i = if s.syn && !s.ack {
            match known {
                // A retransmitted SYN is the same attempt.
                Some(i)
                    if self
                        .sessions
                        .get(i)
                        .is_some_and(|x| x.syn_at.is_some() && x.isn == s.seq) =>
                {
                    i
                }
                _ => match self.open(s, at, true) {
                    Some(i) => i,
                    None => return,
                },
            }
        } else {
            match known {
                Some(i) => i,
                None => match self.open(s, at, false) {
                    Some(i) => i,
                    None => return,
                },
            }
        };
        let budget = TOTAL_MAX.saturating_sub(self.kept);
        let Some(session) = self.sessions.get_mut(i) else {
            return;
        };
        session.last_at = session.last_at.max(at);
        if s.payload.is_empty() || s.syn {
            return;
        }
        let before = session.bytes.len();
        if !session.place(s.seq, s.payload, budget) {
            self.capped = true;
        }
        self.kept = self.kept.saturating_add(session.bytes.len() - before);
    }
}

impl Session {
    /// Put a segment in stream order. False when the total budget stopped it.
    fn place(&mut self, seq: u32, payload: &[u8], budget: usize) -> bool {
        let start = self.bytes.len();
        if seq_diff(seq, self.next) > 0 {
            if self.pending.len() < PENDING_MAX && !self.capped {
                self.pending.push((seq, payload.to_vec()));
            }
            return true;
        }
        let mut ok = self.append(seq, payload, budget);
        // A gap may have closed: take what now fits, until nothing does.
        while let Some(j) = self
            .pending
            .iter()
            .position(|(q, _)| seq_diff(*q, self.next) <= 0)
        {
            let (q, data) = self.pending.swap_remove(j);
            let left = budget.saturating_sub(self.bytes.len() - start);
            ok &= self.append(q, &data, left);
        }
        ok
    }

    /// Append the part of a segment that extends the contiguous stream.
    /// False when the total budget (not the per-session cap) cut it short.
    fn append(&mut self, seq: u32, payload: &[u8], budget: usize) -> bool {
        let off = seq_diff(seq, self.next);
        if off > 0 {
            return true;
        }
        let skip = usize::try_from(-off).unwrap_or(usize::MAX);
        let Some(new) = payload.get(skip..) else {
            return true;
        };
        if new.is_empty() {
            return true;
        }
        self.next = self.next.wrapping_add(new.len() as u32);
        let room = STREAM_MAX.saturating_sub(self.bytes.len());
        let take = new.len().min(room).min(budget);
        self.bytes.extend_from_slice(&new[..take]);
        if take < new.len() {
            self.capped = true;
            return budget >= room;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn ep() -> Endpoint {
        Endpoint {
            device: vec![IpAddr::from([10, 0, 0, 5])],
            port: 443,
            server: None,
        }
    }

    /// A raw IPv4/TCP packet (link type RAW) without options or checksum.
    fn ip_tcp(from_device: bool, port: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        let (src, dst, sp, dp) = if from_device {
            ([10, 0, 0, 5], [192, 0, 2, 1], port, 443)
        } else {
            ([192, 0, 2, 1], [10, 0, 0, 5], 443, port)
        };
        let total = (20 + 20 + payload.len()) as u16;
        let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p.extend_from_slice(&sp.to_be_bytes());
        p.extend_from_slice(&dp.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p.extend_from_slice(payload);
        p
    }

    const SYN: u8 = 0x02;
    const SYN_ACK: u8 = 0x12;
    const PSH_ACK: u8 = 0x18;

    fn track(frames: &[(u64, Vec<u8>)]) -> Tracker<'static> {
        let ep: &'static Endpoint = Box::leak(Box::new(ep()));
        let mut t = Tracker::new(ep);
        for (ms, f) in frames {
            t.frame(DataLink::RAW, Duration::from_millis(*ms), f);
        }
        t
    }

    #[test]
    fn reassembles_out_of_order_and_retransmitted_segments() {
        let isn = u32::MAX - 2; // the sequence number wraps inside the stream
        let t = track(&[
            (0, ip_tcp(true, 5000, isn, SYN, &[])),
            (0, ip_tcp(true, 5000, isn, SYN, &[])),
            (1, ip_tcp(false, 5000, 7, SYN_ACK, &[])),
            (2, ip_tcp(true, 5000, isn.wrapping_add(4), PSH_ACK, b"def")),
            (2, ip_tcp(true, 5000, isn.wrapping_add(1), PSH_ACK, b"abc")),
            (3, ip_tcp(true, 5000, isn.wrapping_add(1), PSH_ACK, b"abcd")),
            (4, ip_tcp(true, 5000, isn.wrapping_add(7), PSH_ACK, b"g")),
            // Someone else's traffic and the server's bytes are not kept.
            (5, ip_tcp(false, 5000, 8, PSH_ACK, b"server")),
        ]);
        assert_eq!(t.sessions.len(), 1);
        let s = &t.sessions[0];
        assert_eq!(s.bytes, b"abcdefg");
        assert!(s.accepted);
        assert_eq!(s.syn_at, Some(Duration::ZERO));
    }

    #[test]
    fn keeps_at_most_a_bounded_amount_per_session() {
        let big = vec![b'x'; 1400];
        let mut frames = vec![(0, ip_tcp(true, 5001, 0, SYN, &[]))];
        for i in 0..40u32 {
            frames.push((1, ip_tcp(true, 5001, 1 + i * 1400, PSH_ACK, &big)));
        }
        let t = track(&frames);
        assert_eq!(t.sessions[0].bytes.len(), STREAM_MAX);
        assert!(t.sessions[0].capped);
    }

    #[test]
    fn a_session_seen_midway_has_no_opening() {
        let t = track(&[(0, ip_tcp(true, 5002, 99, PSH_ACK, b"tail"))]);
        assert_eq!(t.sessions[0].syn_at, None);
        assert_eq!(t.sessions[0].bytes, b"tail");
    }

    #[test]
    fn hostile_bytes_are_errors_not_panics() {
        let e = ep();
        assert!(matches!(
            parse("x.pcap", b"", &e),
            Err(CaptureError::NotACapture { .. })
        ));
        // Every prefix of a pcap header and record.
        let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&0xffffu32.to_le_bytes());
        file.extend_from_slice(&101u32.to_le_bytes());
        let packet = ip_tcp(true, 5003, 0, SYN, &[]);
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        file.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        file.extend_from_slice(&packet);
        let whole = parse("x.pcap", &file, &e).unwrap();
        assert_eq!(whole.sessions.len(), 1);
        for n in 0..file.len() {
            let _ = parse("x.pcap", &file[..n], &e);
        }
        let mut pcapng = vec![0x0a, 0x0d, 0x0d, 0x0a];
        pcapng.extend_from_slice(&[0xff; 60]);
        assert!(parse("x.pcapng", &pcapng, &e).is_err());
    }
}
