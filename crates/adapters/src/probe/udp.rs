//! Discovery of the UDP services consumer devices commonly expose: SNMP (161),
//! SSDP (1900), CoAP (5683), mDNS (5353), TFTP (69) and WS-Discovery (3702).
//!
//! UDP has no handshake, so each service is asked a question in its own
//! protocol, a bounded number of times ([`Retry`]), and judged by what comes
//! back:
//!
//! - an answer that parses as the protocol (and matches the question's id
//!   where the protocol has one): [`UdpState::Open`], saying what speaks;
//! - datagrams that do not parse as the protocol: [`UdpState::Answered`]
//!   (something listens, but not what the port's name says);
//! - an ICMP port unreachable, seen as the refusal a connected socket's
//!   `recv` reports: [`UdpState::Closed`];
//! - silence after every try: [`UdpState::OpenFiltered`] — a service that
//!   ignores this question (an SNMP agent that does not know the community
//!   `public` stays silent) cannot be told from a firewall that drops it.
//!
//! Every read is bounded: at most `max_response_bytes` (and 65,507, the
//! largest UDP payload) per datagram, at most [`MAX_STRAY_DATAGRAMS`]
//! unrecognised datagrams per exchange, and `tries × wait` in time.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::task::{Context, Poll};
use std::time::Duration;

use serde::Serialize;
use tokio::net::UdpSocket;
use tokio::time::Instant;
use tower::Service;

use crate::device::ProbeError;
use crate::probe::layers::{DescribeRequest, DescribeResponse};
use crate::probe::snmp;
use crate::probe::{BoxFuture, ProbeConfig};
use crate::secret::Secret;

/// Unrecognised datagrams one exchange reads before it stops listening: a
/// flood ends the exchange instead of holding it to its deadline.
pub const MAX_STRAY_DATAGRAMS: usize = 64;

/// The largest payload a UDP datagram over IPv4 can carry.
const MAX_UDP_PAYLOAD: usize = 65_507;

/// How often a question is sent and how long each try waits for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub tries: u32,
    pub wait: Duration,
}

impl Retry {
    /// Two tries, each waiting the configuration's read window (a quarter of
    /// the probe timeout, 200 ms to 2 s): a lost datagram is sent again, and
    /// a silent port costs at most 4 s.
    pub fn from_config(config: &ProbeConfig) -> Self {
        Retry {
            tries: 2,
            wait: config.read_window(),
        }
    }

    /// The longest an exchange under this retry policy can take.
    pub fn budget(&self) -> Duration {
        self.wait.saturating_mul(self.tries.max(1))
    }
}

/// What one question got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exchange {
    /// A datagram the caller's `accept` recognised.
    Answer(Vec<u8>),
    /// The host said nothing listens there (ICMP port unreachable).
    Refused,
    /// Nothing recognised within every try; `strays` datagrams came that
    /// were not recognised (the first one is kept, cut to 256 bytes).
    Silent {
        strays: usize,
        first: Option<Vec<u8>>,
    },
}

/// A UDP socket on the wildcard address of `addr`'s family, connected to
/// `addr`: it only receives from there, and an ICMP port unreachable shows
/// as a refused `send` or `recv`.
pub async fn connected_socket(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind(wildcard(addr)).await?;
    socket.connect(addr).await?;
    Ok(socket)
}

fn wildcard(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        IpAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    }
}

/// Send `request` on the connected `socket` up to `retry.tries` times and
/// return the first datagram `accept` recognises. Datagrams larger than
/// `max_bytes` are not accepted (they count as strays).
pub async fn exchange(
    socket: &UdpSocket,
    request: &[u8],
    retry: Retry,
    max_bytes: usize,
    mut accept: impl FnMut(&[u8]) -> bool,
) -> io::Result<Exchange> {
    let limit = max_bytes.clamp(1, MAX_UDP_PAYLOAD);
    // One byte more than the limit: a datagram that fills it was too large.
    let mut buf = vec![0u8; limit + 1];
    let mut strays = 0usize;
    let mut first: Option<Vec<u8>> = None;
    for _ in 0..retry.tries.max(1) {
        match socket.send(request).await {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(Exchange::Refused),
            Err(e) => return Err(e),
        }
        let deadline = Instant::now() + retry.wait;
        loop {
            let received = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await;
            let n = match received {
                Err(_) => break,
                Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    return Ok(Exchange::Refused)
                }
                Ok(Err(e)) => return Err(e),
                Ok(Ok(n)) => n,
            };
            let datagram = &buf[..n];
            if n <= limit && accept(datagram) {
                return Ok(Exchange::Answer(datagram.to_vec()));
            }
            strays += 1;
            if first.is_none() {
                first = Some(datagram[..n.min(256)].to_vec());
            }
            if strays >= MAX_STRAY_DATAGRAMS {
                return Ok(Exchange::Silent { strays, first });
            }
        }
    }
    Ok(Exchange::Silent { strays, first })
}

/// The UDP services the discovery asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UdpService {
    Snmp,
    Ssdp,
    Coap,
    Mdns,
    Tftp,
    WsDiscovery,
}

impl UdpService {
    /// Every service, in the order [`discover`] asks them.
    pub const ALL: [UdpService; 6] = [
        UdpService::Snmp,
        UdpService::Ssdp,
        UdpService::Coap,
        UdpService::Mdns,
        UdpService::Tftp,
        UdpService::WsDiscovery,
    ];

    /// The port the service listens on by convention.
    pub fn default_port(self) -> u16 {
        match self {
            UdpService::Snmp => 161,
            UdpService::Ssdp => 1900,
            UdpService::Coap => 5683,
            UdpService::Mdns => 5353,
            UdpService::Tftp => 69,
            UdpService::WsDiscovery => 3702,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            UdpService::Snmp => "SNMP",
            UdpService::Ssdp => "SSDP",
            UdpService::Coap => "CoAP",
            UdpService::Mdns => "mDNS",
            UdpService::Tftp => "TFTP",
            UdpService::WsDiscovery => "WS-Discovery",
        }
    }
}

impl fmt::Display for UdpService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a UDP port turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum UdpState {
    /// The service answered in its protocol; `speaks` says what it told.
    Open { speaks: String },
    /// Datagrams came back that are not the protocol asked: something
    /// listens, but not this service.
    Answered { detail: String },
    /// ICMP port unreachable: nothing listens.
    Closed,
    /// No answer: a service that ignores the question, or a filter.
    OpenFiltered,
}

/// One service's port, as discovery found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UdpFinding {
    pub service: UdpService,
    pub addr: SocketAddr,
    #[serde(flatten)]
    pub state: UdpState,
    /// Datagrams sent to find out (retries included).
    pub sent: u32,
}

/// One service's question to one address, for [`UdpProbeService`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpProbeRequest {
    pub service: UdpService,
    pub addr: SocketAddr,
}

impl DescribeRequest for UdpProbeRequest {
    fn probe_kind(&self) -> String {
        "udp-discovery".into()
    }

    fn target(&self) -> String {
        format!("udp://{} ({})", self.addr, self.service)
    }

    fn describe(&self) -> String {
        match self.service {
            UdpService::Snmp => "SNMP v2c GET sysDescr.0, community \"public\"".into(),
            UdpService::Ssdp => "SSDP M-SEARCH ssdp:all".into(),
            UdpService::Coap => "CoAP confirmable GET /.well-known/core".into(),
            UdpService::Mdns => "DNS query _services._dns-sd._udp.local PTR".into(),
            UdpService::Tftp => "TFTP read request for a file that does not exist".into(),
            UdpService::WsDiscovery => "WS-Discovery Probe".into(),
        }
    }

    fn secrets(&self) -> Vec<Secret> {
        Vec::new()
    }
}

impl DescribeResponse for UdpFinding {
    fn outcome(&self) -> String {
        match self.state {
            UdpState::Open { .. } => "open".into(),
            UdpState::Answered { .. } => "answered".into(),
            UdpState::Closed => "closed".into(),
            UdpState::OpenFiltered => "open-filtered".into(),
        }
    }

    fn describe(&self) -> String {
        let state = match &self.state {
            UdpState::Open { speaks } => speaks.clone(),
            UdpState::Answered { detail } => detail.clone(),
            UdpState::Closed => "ICMP port unreachable".into(),
            UdpState::OpenFiltered => "no answer".into(),
        };
        format!("{state} ({} datagram(s) sent)", self.sent)
    }
}

/// UDP discovery of one service as a tower service.
#[derive(Debug, Clone)]
pub struct UdpProbeService {
    config: ProbeConfig,
}

impl UdpProbeService {
    pub fn new(config: &ProbeConfig) -> Self {
        UdpProbeService {
            config: config.clone(),
        }
    }
}

impl Service<UdpProbeRequest> for UdpProbeService {
    type Response = UdpFinding;
    type Error = ProbeError;
    type Future = BoxFuture<Result<UdpFinding, ProbeError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: UdpProbeRequest) -> Self::Future {
        let config = self.config.clone();
        Box::pin(async move { probe(request.service, request.addr, &config).await })
    }
}

/// Ask each of [`UdpService::ALL`] on its default port of `ip`, all at
/// once (six questions, each retried at most `Retry::tries` times), in the
/// order of [`UdpService::ALL`].
pub async fn discover(ip: IpAddr, config: &ProbeConfig) -> Vec<Result<UdpFinding, ProbeError>> {
    futures_util::future::join_all(
        UdpService::ALL
            .map(|service| probe(service, SocketAddr::new(ip, service.default_port()), config)),
    )
    .await
}

/// Ask `service`'s question at `addr` (any port) and judge the answer.
pub async fn probe(
    service: UdpService,
    addr: SocketAddr,
    config: &ProbeConfig,
) -> Result<UdpFinding, ProbeError> {
    let retry = Retry::from_config(config);
    let target = format!("udp://{addr} ({service})");
    let io_error = |e: io::Error| ProbeError::Connect {
        target: target.clone(),
        detail: e.to_string(),
    };
    let question = Question::new(service);
    let request = question.bytes();
    let (answer, sent) = if service == UdpService::Tftp {
        tftp_exchange(addr, &request, retry, config.max_response_bytes)
            .await
            .map_err(io_error)?
    } else {
        let socket = connected_socket(addr).await.map_err(io_error)?;
        let answer = exchange(&socket, &request, retry, config.max_response_bytes, |d| {
            question.identify(d).is_ok()
        })
        .await
        .map_err(io_error)?;
        let sent = match answer {
            Exchange::Answer(_) | Exchange::Refused => 1,
            Exchange::Silent { .. } => retry.tries.max(1),
        };
        (answer, sent)
    };
    let state = match answer {
        Exchange::Answer(bytes) => match question.identify(&bytes) {
            Ok(speaks) => UdpState::Open { speaks },
            Err(why) => UdpState::Answered {
                detail: why.to_string(),
            },
        },
        Exchange::Refused => UdpState::Closed,
        Exchange::Silent { strays: 0, .. } => UdpState::OpenFiltered,
        Exchange::Silent { strays, first } => {
            let why = first
                .map(|d| match question.identify(&d) {
                    Ok(s) => format!("answers {s} that do not match the question"),
                    Err(e) => e.to_string(),
                })
                .unwrap_or_default();
            UdpState::Answered {
                detail: format!("{strays} datagram(s), not a {service} answer: {why}"),
            }
        }
    };
    Ok(UdpFinding {
        service,
        addr,
        state,
        sent,
    })
}

/// A TFTP server answers from a port of its own (RFC 1350 transfer id), which a
/// socket connected to port 69 would never see: the read request goes out on
/// an unconnected socket that accepts answers from the host's any port.
/// Silence is then told apart from a closed port by one more request on a
/// connected socket, whose refusal the kernel reports.
async fn tftp_exchange(
    addr: SocketAddr,
    request: &[u8],
    retry: Retry,
    max_bytes: usize,
) -> io::Result<(Exchange, u32)> {
    let socket = UdpSocket::bind(wildcard(addr)).await?;
    let limit = max_bytes.clamp(1, MAX_UDP_PAYLOAD);
    let mut buf = vec![0u8; limit + 1];
    let mut strays = 0usize;
    let mut first = None;
    let mut sent = 0u32;
    'tries: for _ in 0..retry.tries.max(1) {
        socket.send_to(request, addr).await?;
        sent += 1;
        let deadline = Instant::now() + retry.wait;
        loop {
            let (n, from) =
                match tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
                    Err(_) => break,
                    // An unconnected socket may still see a refusal on some
                    // systems: nothing listens.
                    Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                        return Ok((Exchange::Refused, sent))
                    }
                    Ok(Err(e)) => return Err(e),
                    Ok(Ok(got)) => got,
                };
            if from.ip() != addr.ip() {
                continue;
            }
            let datagram = &buf[..n];
            if n <= limit && parse_tftp(datagram).is_ok() {
                return Ok((Exchange::Answer(datagram.to_vec()), sent));
            }
            strays += 1;
            if first.is_none() {
                first = Some(datagram[..n.min(256)].to_vec());
            }
            if strays >= MAX_STRAY_DATAGRAMS {
                break 'tries;
            }
        }
    }
    if strays > 0 {
        return Ok((Exchange::Silent { strays, first }, sent));
    }
    let connected = connected_socket(addr).await?;
    let check = Retry {
        tries: 1,
        wait: retry.wait,
    };
    let answer = exchange(&connected, request, check, max_bytes, |d| {
        parse_tftp(d).is_ok()
    })
    .await?;
    Ok((answer, sent + 1))
}

/// Why a datagram is not the answer the question asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not {protocol}: {detail}")]
pub struct NotService {
    pub protocol: &'static str,
    pub detail: String,
}

fn not(protocol: &'static str, detail: impl Into<String>) -> NotService {
    NotService {
        protocol,
        detail: detail.into(),
    }
}

/// One service's question, with the ids its answer must carry.
#[derive(Debug, Clone)]
pub struct Question {
    service: UdpService,
    /// SNMP request id, CoAP message id and token, DNS id, the WS-Discovery
    /// message id: what an answer must echo.
    id: u32,
    /// The TFTP file name asked for (never exists).
    file: String,
}

impl Question {
    /// A question with fresh random ids.
    pub fn new(service: UdpService) -> Self {
        let id = random_u32();
        Question {
            service,
            id,
            file: format!("iotmark-absent-{id:08x}.bin"),
        }
    }

    /// A question with the given id, for tests and fuzzing.
    pub fn with_id(service: UdpService, id: u32) -> Self {
        Question {
            service,
            id,
            file: format!("iotmark-absent-{id:08x}.bin"),
        }
    }

    /// The datagram to send.
    pub fn bytes(&self) -> Vec<u8> {
        match self.service {
            UdpService::Snmp => snmp::encode_get(
                snmp::SnmpVersion::V2c,
                &Secret::new("public"),
                snmp_request_id(self.id),
                &snmp::SYS_DESCR,
            ),
            UdpService::Ssdp => b"M-SEARCH * HTTP/1.1\r\n\
                HOST: 239.255.255.250:1900\r\n\
                MAN: \"ssdp:discover\"\r\n\
                MX: 1\r\n\
                ST: ssdp:all\r\n\r\n"
                .to_vec(),
            UdpService::Coap => coap_get_well_known_core(self.id),
            UdpService::Mdns => mdns_services_query(self.id),
            UdpService::Tftp => tftp_read_request(&self.file),
            UdpService::WsDiscovery => ws_discovery_probe(self.id).into_bytes(),
        }
    }

    /// What the datagram says about the service, or why it is not this
    /// question's answer.
    pub fn identify(&self, datagram: &[u8]) -> Result<String, NotService> {
        match self.service {
            UdpService::Snmp => {
                let answer =
                    snmp::decode_response(datagram).map_err(|e| not("SNMP", e.to_string()))?;
                if answer.request_id != i64::from(snmp_request_id(self.id)) {
                    return Err(not("SNMP", "request id does not match"));
                }
                Ok(answer.summary())
            }
            UdpService::Ssdp => parse_ssdp(datagram),
            UdpService::Coap => parse_coap(datagram, self.id),
            UdpService::Mdns => parse_dns(datagram, mdns_id(self.id)),
            UdpService::Tftp => parse_tftp(datagram),
            UdpService::WsDiscovery => parse_ws_discovery(datagram, self.id),
        }
    }
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    // A failed system random source leaves a fixed id: answers are still
    // matched, only less protected against a guessing spoofer.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    u32::from_be_bytes(bytes)
}

fn snmp_request_id(id: u32) -> i32 {
    // Positive, below 2^31.
    i32::try_from(id & 0x7fff_ffff).unwrap_or(1)
}

fn mdns_id(id: u32) -> u16 {
    (id & 0xffff) as u16
}

/// Printable text of at most `max` characters, control characters dropped.
fn printable(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect::<String>()
        .trim()
        .to_string()
}

// ---- SSDP (UPnP discovery): an HTTP-shaped answer over UDP ----

fn parse_ssdp(datagram: &[u8]) -> Result<String, NotService> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(datagram) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(not("SSDP", "the header block is cut short")),
        Err(e) => return Err(not("SSDP", format!("not an HTTP-shaped answer: {e}"))),
    }
    let code = response.code.unwrap_or(0);
    if code != 200 {
        return Err(not("SSDP", format!("status {code}, not 200")));
    }
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| printable(h.value, 120))
    };
    let (st, usn) = (header("ST"), header("USN"));
    if st.is_none() && usn.is_none() {
        return Err(not("SSDP", "a 200 answer without ST or USN"));
    }
    let mut text = String::from("SSDP");
    for (name, value) in [
        ("SERVER", header("SERVER")),
        ("ST", st),
        ("LOCATION", header("LOCATION")),
    ] {
        if let Some(value) = value {
            text.push_str(&format!(" {name}: {value};"));
        }
    }
    Ok(text.trim_end_matches(';').to_string())
}

// ---- CoAP (RFC 7252) ----

/// A confirmable GET of `/.well-known/core` with a 4-byte token.
fn coap_get_well_known_core(id: u32) -> Vec<u8> {
    let message_id = (id & 0xffff) as u16;
    let mut m = vec![0x44, 0x01]; // version 1, confirmable, token length 4; GET
    m.extend_from_slice(&message_id.to_be_bytes());
    m.extend_from_slice(&id.to_be_bytes());
    m.push(0xBB); // Uri-Path (option 11), 11 bytes
    m.extend_from_slice(b".well-known");
    m.push(0x04); // Uri-Path again, 4 bytes
    m.extend_from_slice(b"core");
    m
}

/// A CoAP answer to [`coap_get_well_known_core`]: an acknowledgement or
/// reset of our message id, or a separate response carrying our token.
pub fn parse_coap(datagram: &[u8], id: u32) -> Result<String, NotService> {
    let [first, code, mid_hi, mid_lo, rest @ ..] = datagram else {
        return Err(not("CoAP", "shorter than the 4-byte header"));
    };
    if first >> 6 != 1 {
        return Err(not("CoAP", format!("version {}, not 1", first >> 6)));
    }
    let kind = (first >> 4) & 0x3;
    let token_len = usize::from(first & 0x0f);
    if token_len > 8 {
        return Err(not("CoAP", format!("token length {token_len} (at most 8)")));
    }
    let message_id = u16::from_be_bytes([*mid_hi, *mid_lo]);
    let ours = (id & 0xffff) as u16;
    if kind == 3 {
        // Reset: the endpoint speaks CoAP but rejected the message.
        return if message_id == ours {
            Ok("CoAP (reset: the endpoint refused the request)".into())
        } else {
            Err(not("CoAP", "a reset of another message"))
        };
    }
    let Some(token) = rest.get(..token_len) else {
        return Err(not("CoAP", "the token is cut short"));
    };
    let token_matches = token == id.to_be_bytes().as_slice();
    let id_matches = kind == 2 && message_id == ours;
    // A response carries our token; an empty acknowledgement our message id.
    let answers_us = token_matches || (id_matches && *code == 0);
    if !answers_us {
        return Err(not("CoAP", "neither our message id nor our token"));
    }
    let class = code >> 5;
    let detail = code & 0x1f;
    if *code == 0 {
        return Ok("CoAP (empty acknowledgement; the response comes separately)".into());
    }
    if class < 2 {
        return Err(not(
            "CoAP",
            format!("a request code {class}.{detail:02} in an answer"),
        ));
    }
    // Skip the options to reach the payload.
    let mut at = token_len;
    let mut payload: &[u8] = &[];
    while let Some(&byte) = rest.get(at) {
        if byte == 0xff {
            payload = rest.get(at + 1..).unwrap_or_default();
            break;
        }
        at += 1;
        let mut extended = |nibble: u8| -> Result<usize, NotService> {
            match nibble {
                0..=12 => Ok(usize::from(nibble)),
                13 => {
                    let v = rest
                        .get(at)
                        .ok_or_else(|| not("CoAP", "option cut short"))?;
                    at += 1;
                    Ok(usize::from(*v) + 13)
                }
                14 => {
                    let v = rest
                        .get(at..at + 2)
                        .ok_or_else(|| not("CoAP", "option cut short"))?;
                    at += 2;
                    Ok(usize::from(u16::from_be_bytes([v[0], v[1]])) + 269)
                }
                _ => Err(not("CoAP", "reserved option nibble 15")),
            }
        };
        extended(byte >> 4)?;
        let len = extended(byte & 0x0f)?;
        at = at
            .checked_add(len)
            .filter(|end| *end <= rest.len())
            .ok_or_else(|| not("CoAP", "an option runs past the datagram"))?;
    }
    let links = payload.iter().filter(|b| **b == b'<').count();
    let mut text = format!("CoAP {class}.{detail:02}");
    if links > 0 {
        text.push_str(&format!(
            ", {links} resource link(s): {}",
            printable(payload, 160)
        ));
    }
    Ok(text)
}

// ---- mDNS (RFC 6762), asked as a legacy unicast DNS query ----

/// A DNS query for the DNS-SD service list, `_services._dns-sd._udp.local`
/// PTR, with the unicast-response bit set.
fn mdns_services_query(id: u32) -> Vec<u8> {
    let mut m = Vec::with_capacity(48);
    m.extend_from_slice(&mdns_id(id).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]); // flags 0, one question
    for label in ["_services", "_dns-sd", "_udp", "local"] {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&[0, 12, 0x80, 1]); // PTR, class IN with the QU bit
    m
}

/// A DNS response with our id: the header's counts and the first answer's
/// owner name where it can be read.
pub fn parse_dns(datagram: &[u8], id: u16) -> Result<String, NotService> {
    let header = datagram
        .get(..12)
        .ok_or_else(|| not("DNS", "shorter than the 12-byte header"))?;
    if u16::from_be_bytes([header[0], header[1]]) != id {
        return Err(not("DNS", "id does not match the query"));
    }
    if header[2] & 0x80 == 0 {
        return Err(not("DNS", "a query, not a response"));
    }
    let rcode = header[3] & 0x0f;
    let count = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]);
    let (questions, answers, additional) = (count(4), count(6), count(10));
    let mut text =
        format!("mDNS/DNS responder: rcode {rcode}, {answers} answer(s), {additional} additional");
    // Skip the questions, then name the first answer's owner.
    let mut at = 12;
    for _ in 0..questions.min(16) {
        let Some((_, end)) = dns_name(datagram, at) else {
            return Ok(text);
        };
        at = end + 4;
    }
    if answers > 0 {
        if let Some((name, _)) = dns_name(datagram, at) {
            text.push_str(&format!("; first answer for {name}"));
        }
    }
    Ok(text)
}

/// The name at `at` (following at most 16 compression pointers, at most 255
/// bytes) and where the name ends in the message.
fn dns_name(message: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *message.get(at)?;
        match len {
            0 => {
                return Some((
                    if name.is_empty() { ".".into() } else { name },
                    end.unwrap_or(at + 1),
                ))
            }
            l if l & 0xc0 == 0xc0 => {
                let low = *message.get(at + 1)?;
                end.get_or_insert(at + 2);
                jumps += 1;
                if jumps > 16 {
                    return None;
                }
                at = usize::from(l & 0x3f) << 8 | usize::from(low);
            }
            l if l & 0xc0 == 0 => {
                let label = message.get(at + 1..at + 1 + usize::from(l))?;
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(&printable(label, 63));
                if name.len() > 255 {
                    return None;
                }
                at += 1 + usize::from(l);
            }
            _ => return None,
        }
    }
}

// ---- TFTP (RFC 1350) ----

fn tftp_read_request(file: &str) -> Vec<u8> {
    let mut m = vec![0, 1];
    m.extend_from_slice(file.as_bytes());
    m.push(0);
    m.extend_from_slice(b"octet");
    m.push(0);
    m
}

/// Any TFTP packet a server sends back to a read request: an ERROR (the file
/// does not exist, access denied), DATA, or an option acknowledgement.
pub fn parse_tftp(datagram: &[u8]) -> Result<String, NotService> {
    let [hi, lo, rest @ ..] = datagram else {
        return Err(not("TFTP", "shorter than an opcode"));
    };
    match u16::from_be_bytes([*hi, *lo]) {
        5 => {
            let [c1, c2, message @ ..] = rest else {
                return Err(not("TFTP", "an ERROR without its code"));
            };
            let code = u16::from_be_bytes([*c1, *c2]);
            if code > 8 {
                return Err(not("TFTP", format!("error code {code} (0 to 8 exist)")));
            }
            let message = message.split(|b| *b == 0).next().unwrap_or_default();
            Ok(format!(
                "TFTP server (error {code}: {})",
                printable(message, 120)
            ))
        }
        3 if rest.len() >= 2 => Ok(format!(
            "TFTP server (sent DATA block {} for a file that should not exist)",
            u16::from_be_bytes([rest[0], rest[1]])
        )),
        6 => Ok("TFTP server (option acknowledgement)".into()),
        op => Err(not("TFTP", format!("opcode {op} is not an answer"))),
    }
}

// ---- WS-Discovery (SOAP over UDP, ONVIF cameras) ----

fn ws_discovery_probe(id: u32) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" "#,
            r#"xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" "#,
            r#"xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">"#,
            r#"<e:Header><w:MessageID>{}</w:MessageID>"#,
            r#"<w:To e:mustUnderstand="true">urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>"#,
            r#"<w:Action e:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action>"#,
            r#"</e:Header><e:Body><d:Probe/></e:Body></e:Envelope>"#
        ),
        ws_message_id(id)
    )
}

fn ws_message_id(id: u32) -> String {
    format!("urn:uuid:{id:08x}-1a2b-4c3d-8e4f-{id:08x}0000")
}

/// A `ProbeMatches` envelope that relates to our message id; its device
/// types and service addresses.
pub fn parse_ws_discovery(datagram: &[u8], id: u32) -> Result<String, NotService> {
    let text = std::str::from_utf8(datagram).map_err(|_| not("WS-Discovery", "not UTF-8"))?;
    if !text.contains("Envelope") {
        return Err(not("WS-Discovery", "not a SOAP envelope"));
    }
    if !text.contains("ProbeMatches") {
        return Err(not("WS-Discovery", "a SOAP envelope without ProbeMatches"));
    }
    if !text.contains(&ws_message_id(id)) {
        return Err(not("WS-Discovery", "RelatesTo does not name our probe"));
    }
    let mut out = String::from("WS-Discovery");
    for element in ["Types", "XAddrs"] {
        if let Some(value) = element_text(text, element) {
            out.push_str(&format!(
                " {element}: {};",
                printable(value.as_bytes(), 160)
            ));
        }
    }
    Ok(out.trim_end_matches(';').to_string())
}

/// The text of the first element named `local` (any namespace prefix).
fn element_text<'a>(xml: &'a str, local: &str) -> Option<&'a str> {
    [format!(":{local}>"), format!("<{local}>")]
        .iter()
        .filter_map(|open| {
            // The first occurrence is the opening tag: it precedes the closing one.
            let at = xml.find(open.as_str())?;
            let tag = xml.get(..at)?.rsplit('<').next()?;
            if tag.starts_with('/') {
                return None;
            }
            let body = xml.get(at + open.len()..)?;
            body.get(..body.find('<')?)
        })
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coap_answers() {
        let id = 0x1234_5678;
        let q = coap_get_well_known_core(id);
        assert_eq!(q[0], 0x44);
        // An ACK with 2.05 Content, our token, a Content-Format option and links.
        let mut ack = vec![0x64, 0x45, 0x56, 0x78];
        ack.extend_from_slice(&id.to_be_bytes());
        ack.extend_from_slice(&[0xC1, 0x28, 0xFF]);
        ack.extend_from_slice(b"</sensors/temp>;rt=\"t\",</light>");
        let s = parse_coap(&ack, id).unwrap();
        assert!(s.starts_with("CoAP 2.05, 2 resource link(s)"), "{s}");
        assert!(parse_coap(&ack, id + 1).is_err());
        assert!(parse_coap(&[0x70, 0, 0x56, 0x78], id)
            .unwrap()
            .contains("reset"));
        assert!(parse_coap(&[0xff; 3], id).is_err());
    }

    #[test]
    fn dns_answers() {
        let mut r = mdns_services_query(7);
        r[2] = 0x84;
        r[7] = 1; // one answer
        r.extend_from_slice(&[0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 10, 0, 2, 0xc0, 12]);
        let s = parse_dns(&r, 7).unwrap();
        assert!(
            s.contains("1 answer(s)") && s.contains("_services._dns-sd._udp.local"),
            "{s}"
        );
        assert!(parse_dns(&r, 8).is_err());
        // A pointer loop ends.
        let mut l = r.clone();
        l.truncate(12);
        l[5] = 1;
        l.extend_from_slice(&[0xc0, 12]);
        assert!(parse_dns(&l, 7).is_ok());
    }

    #[test]
    fn tftp_and_ws_discovery() {
        assert_eq!(
            parse_tftp(b"\x00\x05\x00\x01File not found\x00").unwrap(),
            "TFTP server (error 1: File not found)"
        );
        assert!(parse_tftp(b"\x00\x01x\x00octet\x00").is_err());
        let id = 42;
        let answer = format!(
            "<s:Envelope><s:Header><a:RelatesTo>{}</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch><d:Types>dn:NetworkVideoTransmitter</d:Types><d:XAddrs>http://127.0.0.1/onvif</d:XAddrs></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>",
            ws_message_id(id)
        );
        let s = parse_ws_discovery(answer.as_bytes(), id).unwrap();
        assert_eq!(
            s,
            "WS-Discovery Types: dn:NetworkVideoTransmitter; XAddrs: http://127.0.0.1/onvif"
        );
        assert!(parse_ws_discovery(answer.as_bytes(), id + 1).is_err());
    }

    #[test]
    fn ssdp_answers() {
        let ok = b"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nUSN: uuid:1::upnp:rootdevice\r\nSERVER: Linux UPnP/1.0 cam/1\r\nLOCATION: http://127.0.0.1:49152/d.xml\r\n\r\n";
        let s = parse_ssdp(ok).unwrap();
        assert!(
            s.contains("SERVER: Linux UPnP/1.0 cam/1") && s.contains("LOCATION"),
            "{s}"
        );
        assert!(parse_ssdp(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
        assert!(parse_ssdp(b"\x00\x01garbage").is_err());
    }
}
