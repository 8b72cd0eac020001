//! The TCP SYN ("half-open") scan: one SYN to every port from a raw socket,
//! the answers read by a second thread. A SYN/ACK means open, a RST means
//! closed, silence through every resend means filtered. No connection is
//! ever completed: a SYN/ACK arrives at a port this process holds but does
//! not listen on, so the kernel answers it with a RST and the device's
//! listener never sees a client.
//!
//! Each SYN's sequence number is a keyed hash of the port's address (a key
//! chosen at random per scan), and an answer counts only if it acknowledges
//! exactly that number: a stray or forged packet cannot mark a port.
//!
//! Raw sockets need CAP_NET_RAW (root). Without it, when the first SYN
//! cannot be sent, and for IPv6 targets, [`scan`] returns `Ok(None)` and the
//! caller falls back to the connect scan.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io::{self, ErrorKind, Read};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use etherparse::{Ipv4HeaderSlice, TcpHeader, TcpHeaderSlice, TcpOptionElement};
use socket2::{Domain, Protocol, SockAddr, SockFilter, Socket, Type};

/// What the scan learnt about one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynState {
    Open,
    Closed,
    Filtered,
}

const UNANSWERED: u8 = 0;
const OPEN: u8 = 1;
const CLOSED: u8 = 2;

/// SYNs sent to a port still silent after the first one.
const RESENDS: usize = 2;
/// SYNs sent before the sender gives the reader a turn.
const BURST: usize = 256;
/// How long the reader blocks before it looks whether the scan is over.
const READ_TICK: Duration = Duration::from_millis(20);
/// The most a transient send failure (a full queue) is retried.
const SEND_ATTEMPTS: usize = 200;
/// Bytes of each answer kept: an IPv4 header and a TCP header fit.
const SNAP: u32 = 128;
/// Time for sending, beyond the rounds' waits: a scan whose sends keep
/// failing for a moment at a time still ends.
const SEND_BUDGET: Duration = Duration::from_secs(60);

/// Scans `candidates` (device port, address) and returns one state per
/// candidate, in order; `Ok(None)` when a SYN scan is not possible here.
/// A silent port is asked again [`RESENDS`] times, each time waited for
/// `wait` after the last SYN of the round; the whole scan ends within
/// about `(RESENDS + 1) * wait` plus the time to send.
pub fn scan(candidates: &[(u16, SocketAddr)], wait: Duration) -> io::Result<Option<Vec<SynState>>> {
    let mut targets = Vec::with_capacity(candidates.len());
    for (_, addr) in candidates {
        match addr {
            SocketAddr::V4(a) => targets.push(*a),
            SocketAddr::V6(_) => return Ok(None),
        }
    }
    if targets.is_empty() {
        return Ok(Some(Vec::new()));
    }
    // Anything that stops the set-up (no raw sockets for this process, a
    // sandbox that allows the socket but not its use) means: connect instead.
    // The evidence names the method, so the fallback is never silent.
    let (raw, holder, scan) = match set_up(targets) {
        Ok(ready) => ready,
        Err(e) => {
            tracing::debug!(error = %e, "no SYN scan here; the connect scan runs");
            return Ok(None);
        }
    };
    let done = AtomicBool::new(false);
    let (sent, read) = std::thread::scope(|s| {
        let reader = s.spawn(|| scan.read_answers(&raw, &done));
        let sent = scan.send_rounds(&raw, wait);
        done.store(true, Ordering::Release);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the answer reader stopped")));
        (sent, read)
    });
    sent?;
    read?;
    drop(holder);
    Ok(Some(
        scan.states
            .iter()
            .map(|s| match s.load(Ordering::Acquire) {
                OPEN => SynState::Open,
                CLOSED => SynState::Closed,
                _ => SynState::Filtered,
            })
            .collect(),
    ))
}

/// The raw socket, the socket holding the source port, and the scan, once
/// a first SYN went out (to the first target; its answer waits in the raw
/// socket's queue for the reader).
fn set_up(targets: Vec<SocketAddrV4>) -> io::Result<(Socket, Socket, Scan)> {
    let raw = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::TCP))?;
    // The source port: bound (so nothing else on this host takes it) but
    // never listening (so the kernel resets every SYN/ACK sent to it).
    let holder = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    holder.bind(&SockAddr::from(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)))?;
    let sport = holder
        .local_addr()?
        .as_socket()
        .map(|a| a.port())
        .ok_or_else(|| io::Error::other("the source port socket has no address"))?;
    raw.attach_filter(&only_to_port(sport))?;
    raw.set_read_timeout(Some(READ_TICK))?;
    // A bigger queue means fewer answers dropped while the reader catches up;
    // the kernel caps it, and a resend covers what is dropped anyway.
    let _ = raw.set_recv_buffer_size(4 << 20);
    let scan = Scan::new(targets, sport)?;
    let first = *scan
        .targets
        .first()
        .ok_or_else(|| io::Error::other("nothing to scan"))?;
    send(&raw, &scan.syn(first)?, first)?;
    Ok((raw, holder, scan))
}

/// A classic BPF program for the raw socket: keep (the headers of) TCP
/// segments sent to `port`, drop everything else the host receives.
fn only_to_port(port: u16) -> [SockFilter; 5] {
    // Opcodes from linux/filter.h.
    const LDX_B_MSH: u16 = 0xb1; // X = 4 * (P[k] & 0xf): the IPv4 header length
    const LD_H_IND: u16 = 0x48; // A = P[X + k] (16 bits)
    const JEQ_K: u16 = 0x15; // if A == k skip jt else skip jf
    const RET_K: u16 = 0x06; // accept k bytes (0: drop)
    [
        SockFilter::new(LDX_B_MSH, 0, 0, 0),
        SockFilter::new(LD_H_IND, 0, 0, 2),
        SockFilter::new(JEQ_K, 0, 1, u32::from(port)),
        SockFilter::new(RET_K, 0, 0, SNAP),
        SockFilter::new(RET_K, 0, 0, 0),
    ]
}

/// A TCP answer to one of our SYNs, taken from a raw IPv4 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Answer {
    from: SocketAddrV4,
    ack: u32,
    open: bool,
}

/// Parses a packet the raw socket read: an answer sent to `sport` that
/// acknowledges something (SYN/ACK: open; RST/ACK: closed). Anything else,
/// our own SYNs seen on loopback among them, is `None`.
fn answer(packet: &[u8], sport: u16) -> Option<Answer> {
    let ip = Ipv4HeaderSlice::from_slice(packet).ok()?;
    let tcp = TcpHeaderSlice::from_slice(packet.get(ip.slice().len()..)?).ok()?;
    if tcp.destination_port() != sport || !tcp.ack() {
        return None;
    }
    let open = match (tcp.syn(), tcp.rst()) {
        (true, false) => true,
        (false, true) => false,
        _ => return None,
    };
    Some(Answer {
        from: SocketAddrV4::new(ip.source_addr(), tcp.source_port()),
        ack: tcp.acknowledgment_number(),
        open,
    })
}

struct Scan {
    targets: Vec<SocketAddrV4>,
    /// Index of each target by its address.
    index: HashMap<SocketAddrV4, usize>,
    /// The source address the kernel uses towards each target's host.
    sources: HashMap<Ipv4Addr, Ipv4Addr>,
    states: Vec<AtomicU8>,
    answered: AtomicUsize,
    sport: u16,
    key: RandomState,
}

impl Scan {
    fn new(targets: Vec<SocketAddrV4>, sport: u16) -> io::Result<Self> {
        let mut sources = HashMap::new();
        for t in &targets {
            if !sources.contains_key(t.ip()) {
                sources.insert(*t.ip(), source_towards(*t.ip())?);
            }
        }
        Ok(Scan {
            index: targets.iter().enumerate().map(|(i, t)| (*t, i)).collect(),
            states: targets.iter().map(|_| AtomicU8::new(UNANSWERED)).collect(),
            targets,
            sources,
            answered: AtomicUsize::new(0),
            sport,
            key: RandomState::new(),
        })
    }

    /// The sequence number of our SYN to `to`.
    fn cookie(&self, to: SocketAddrV4) -> u32 {
        // The low 32 bits of a 64-bit keyed hash.
        self.key.hash_one(to) as u32
    }

    fn syn(&self, to: SocketAddrV4) -> io::Result<Vec<u8>> {
        let mut tcp = TcpHeader::new(self.sport, to.port(), self.cookie(to), 1024);
        tcp.syn = true;
        tcp.set_options(&[TcpOptionElement::MaximumSegmentSize(1460)])
            .map_err(io::Error::other)?;
        let source = self
            .sources
            .get(to.ip())
            .ok_or_else(|| io::Error::other("no source address"))?;
        tcp.checksum = tcp
            .calc_checksum_ipv4_raw(source.octets(), to.ip().octets(), &[])
            .map_err(io::Error::other)?;
        Ok(tcp.to_bytes().to_vec())
    }

    fn send_rounds(&self, raw: &Socket, wait: Duration) -> io::Result<()> {
        let total = self.targets.len();
        let rounds = u32::try_from(RESENDS + 1).unwrap_or(u32::MAX);
        let deadline = Instant::now() + wait.saturating_mul(rounds) + SEND_BUDGET;
        for _ in 0..=RESENDS {
            let mut sent = 0usize;
            for (i, to) in self.targets.iter().enumerate() {
                if self.states[i].load(Ordering::Acquire) != UNANSWERED {
                    continue;
                }
                if Instant::now() > deadline {
                    return Err(io::Error::new(
                        ErrorKind::TimedOut,
                        "sending the SYNs took too long",
                    ));
                }
                send(raw, &self.syn(*to)?, *to)?;
                sent += 1;
                if sent.is_multiple_of(BURST) {
                    std::thread::yield_now();
                }
            }
            let until = Instant::now() + wait;
            while self.answered.load(Ordering::Acquire) < total && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(1));
            }
            if self.answered.load(Ordering::Acquire) >= total {
                break;
            }
        }
        Ok(())
    }

    fn read_answers(&self, raw: &Socket, done: &AtomicBool) -> io::Result<()> {
        let mut buf = [0u8; SNAP as usize];
        let mut reader = raw;
        while !done.load(Ordering::Acquire) {
            let n = match reader.read(&mut buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) =>
                {
                    continue
                }
                Err(e) => return Err(e),
            };
            let Some(a) = buf.get(..n).and_then(|p| answer(p, self.sport)) else {
                continue;
            };
            let Some(&i) = self.index.get(&a.from) else {
                continue;
            };
            if a.ack != self.cookie(a.from).wrapping_add(1) {
                continue;
            }
            let state = if a.open { OPEN } else { CLOSED };
            if self.states[i]
                .compare_exchange(UNANSWERED, state, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.answered.fetch_add(1, Ordering::AcqRel);
            }
        }
        Ok(())
    }
}

/// Sends one segment, waiting out a full send queue.
fn send(raw: &Socket, segment: &[u8], to: SocketAddrV4) -> io::Result<()> {
    // For a raw TCP socket the port of the address is ignored; the
    // segment's header names it.
    let addr = SockAddr::from(SocketAddrV4::new(*to.ip(), 0));
    let mut attempts = 0;
    loop {
        match raw.send_to(segment, &addr) {
            Ok(_) => return Ok(()),
            // ENOBUFS: the device queue is full for a moment.
            Err(e)
                if (e.kind() == ErrorKind::WouldBlock || e.raw_os_error() == Some(105))
                    && attempts < SEND_ATTEMPTS =>
            {
                attempts += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
            Err(e) => return Err(e),
        }
    }
}

/// The source address the kernel picks for packets to `dest` (a connected
/// UDP socket sends nothing, but learns its route).
fn source_towards(dest: Ipv4Addr) -> io::Result<Ipv4Addr> {
    let probe = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))?;
    probe.connect(SocketAddrV4::new(dest, 9))?;
    match probe.local_addr()? {
        SocketAddr::V4(a) => Ok(*a.ip()),
        SocketAddr::V6(_) => Err(io::Error::other("an IPv6 source for an IPv4 target")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    fn packet(from: SocketAddrV4, to_port: u16, ack: u32, flags: &str) -> Vec<u8> {
        let builder = PacketBuilder::ipv4(from.ip().octets(), [127, 0, 0, 1], 64);
        let mut tcp = builder.tcp(from.port(), to_port, 77, 1024);
        if flags.contains('S') {
            tcp = tcp.syn();
        }
        if flags.contains('R') {
            tcp = tcp.rst();
        }
        if flags.contains('A') {
            tcp = tcp.ack(ack);
        }
        let mut out = Vec::new();
        tcp.write(&mut out, &[]).unwrap();
        out
    }

    #[test]
    fn answers_are_read_from_their_flags() {
        let from = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080);
        let open = answer(&packet(from, 40000, 5, "SA"), 40000).unwrap();
        assert_eq!((open.from, open.ack, open.open), (from, 5, true));
        let closed = answer(&packet(from, 40000, 9, "RA"), 40000).unwrap();
        assert_eq!((closed.ack, closed.open), (9, false));
        // To another port, our own SYN, a bare RST, garbage: not answers.
        assert!(answer(&packet(from, 40001, 5, "SA"), 40000).is_none());
        assert!(answer(&packet(from, 40000, 0, "S"), 40000).is_none());
        assert!(answer(&packet(from, 40000, 0, "R"), 40000).is_none());
        assert!(answer(&[0x45, 0, 0], 40000).is_none());
        let full = packet(from, 40000, 5, "SA");
        for cut in 0..full.len() {
            assert!(answer(&full[..cut], 40000).is_none(), "cut at {cut}");
        }
    }

    #[test]
    fn the_syn_carries_the_cookie_and_a_valid_checksum() {
        let to = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 443);
        let scan = Scan::new(vec![to], 40000).unwrap();
        let syn = scan.syn(to).unwrap();
        let tcp = TcpHeaderSlice::from_slice(&syn).unwrap();
        assert!(tcp.syn() && !tcp.ack());
        assert_eq!(tcp.destination_port(), 443);
        assert_eq!(tcp.sequence_number(), scan.cookie(to));
        let header = tcp.to_header();
        let source = scan.sources[to.ip()];
        assert_eq!(
            header
                .calc_checksum_ipv4_raw(source.octets(), to.ip().octets(), &[])
                .unwrap(),
            tcp.checksum()
        );
        // Another port, another sequence number.
        let other = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 444);
        assert_ne!(scan.cookie(to), scan.cookie(other));
    }
}
