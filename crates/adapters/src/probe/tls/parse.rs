//! Reading the server's first flight: TLS records carrying a ServerHello (and,
//! up to TLS 1.2, the certificate in clear), or an alert. The bytes come from
//! the device under test and are untrusted: every length is checked against
//! what is buffered and against fixed limits before it is used, and the
//! parser never holds more than its byte budget.

use sha2::{Digest, Sha256};

use super::suites::{CipherSuite, TlsVersion};

/// The largest record a peer may send (RFC 5246 6.2.3: 2^14 + 2048).
const MAX_RECORD: usize = 16384 + 2048;

/// The ServerHello random that marks a TLS 1.3 HelloRetryRequest.
const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// What the server's ServerHello chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    pub version: TlsVersion,
    pub suite: CipherSuite,
}

/// The server's answer to our hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAnswer {
    Hello {
        hello: ServerHello,
        /// SHA-256 of the leaf certificate (DER), when sent in clear.
        certificate_sha256: Option<String>,
    },
    Alert {
        level: u8,
        description: u8,
    },
}

/// The bytes are not a TLS server speaking.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotTls(pub String);

/// Incremental parser of the server's first flight.
#[derive(Debug)]
pub struct FlightParser {
    records: Vec<u8>,
    handshake: Vec<u8>,
    budget: usize,
    seen: usize,
    hello: Option<ServerHello>,
    certificate: Option<String>,
    flight_done: bool,
}

impl FlightParser {
    /// A parser that refuses to take more than `budget` bytes in all.
    pub fn new(budget: usize) -> Self {
        FlightParser {
            records: Vec::new(),
            handshake: Vec::new(),
            budget,
            seen: 0,
            hello: None,
            certificate: None,
            flight_done: false,
        }
    }

    /// The ServerHello, once seen.
    pub fn hello(&self) -> Option<&ServerHello> {
        self.hello.as_ref()
    }

    /// Feed bytes; `Ok(Some(answer))` once the answer is complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<ServerAnswer>, NotTls> {
        self.seen = self.seen.saturating_add(bytes.len());
        if self.seen > self.budget {
            return Err(NotTls(format!(
                "more than {} bytes without a complete answer",
                self.budget
            )));
        }
        self.records.extend_from_slice(bytes);
        while self.records.len() >= 5 {
            let kind = self.records[0];
            let major = self.records[1];
            let len = usize::from(u16::from_be_bytes([self.records[3], self.records[4]]));
            if !(20..=23).contains(&kind) || major != 3 {
                return Err(NotTls(format!(
                    "not a TLS record (starts {})",
                    printable(&self.records[..self.records.len().min(16)])
                )));
            }
            if len > MAX_RECORD {
                return Err(NotTls(format!(
                    "a TLS record of {len} bytes (most is {MAX_RECORD})"
                )));
            }
            if self.records.len() < 5 + len {
                break;
            }
            let fragment: Vec<u8> = self.records.drain(..5 + len).skip(5).collect();
            match kind {
                21 => {
                    if self.hello.is_some() {
                        return Ok(self.finish());
                    }
                    let [level, description, ..] = fragment[..] else {
                        return Err(NotTls("an alert record shorter than 2 bytes".into()));
                    };
                    return Ok(Some(ServerAnswer::Alert { level, description }));
                }
                22 => {
                    self.handshake.extend_from_slice(&fragment);
                    self.read_handshake()?;
                }
                // ChangeCipherSpec or encrypted data: the clear part is over.
                _ => {
                    if self.hello.is_none() {
                        return Err(NotTls(format!("record type {kind} before any ServerHello")));
                    }
                    self.flight_done = true;
                }
            }
            if self.flight_done {
                return Ok(self.finish());
            }
        }
        Ok(None)
    }

    /// The answer so far when the server stops sending (closes, or goes
    /// quiet after its hello): the hello without a certificate, if any.
    pub fn finish(&mut self) -> Option<ServerAnswer> {
        let hello = self.hello.clone()?;
        Some(ServerAnswer::Hello {
            hello,
            certificate_sha256: self.certificate.take(),
        })
    }

    fn read_handshake(&mut self) -> Result<(), NotTls> {
        while self.handshake.len() >= 4 {
            let kind = self.handshake[0];
            let len = (usize::from(self.handshake[1]) << 16)
                | (usize::from(self.handshake[2]) << 8)
                | usize::from(self.handshake[3]);
            if len > self.budget {
                return Err(NotTls(format!(
                    "a handshake message of {len} bytes (budget {})",
                    self.budget
                )));
            }
            if self.handshake.len() < 4 + len {
                return Ok(());
            }
            let body: Vec<u8> = self.handshake.drain(..4 + len).skip(4).collect();
            match kind {
                2 if self.hello.is_none() => {
                    let hello = parse_server_hello(&body)?;
                    if hello.version >= TlsVersion::TLS13 {
                        // Everything after a TLS 1.3 hello is encrypted.
                        self.flight_done = true;
                    }
                    self.hello = Some(hello);
                }
                2 => return Err(NotTls("a second ServerHello".into())),
                _ if self.hello.is_none() => {
                    return Err(NotTls(format!(
                        "handshake message type {kind} before any ServerHello"
                    )))
                }
                11 => {
                    self.certificate = leaf_fingerprint(&body);
                    self.flight_done = true;
                }
                // ServerHelloDone: no certificate is coming (anonymous suites).
                14 => self.flight_done = true,
                _ => {}
            }
            if self.flight_done {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Reads fields off a byte slice, failing instead of indexing out of range.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], NotTls> {
        if self.rest.len() < n {
            return Err(NotTls(format!("ServerHello cut short in the {what}")));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8, NotTls> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, NotTls> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}

fn parse_server_hello(body: &[u8]) -> Result<ServerHello, NotTls> {
    let mut r = Reader { rest: body };
    let mut version = TlsVersion(r.u16("version")?);
    let random = r.take(32, "random")?;
    let session_len = usize::from(r.u8("session id length")?);
    if session_len > 32 {
        return Err(NotTls(format!("a session id of {session_len} bytes")));
    }
    r.take(session_len, "session id")?;
    let suite = CipherSuite(r.u16("cipher suite")?);
    r.u8("compression method")?;
    if !r.rest.is_empty() {
        let ext_len = usize::from(r.u16("extensions length")?);
        let mut exts = Reader {
            rest: r.take(ext_len, "extensions")?,
        };
        while !exts.rest.is_empty() {
            let kind = exts.u16("extension type")?;
            let len = usize::from(exts.u16("extension length")?);
            let data = exts.take(len, "extension")?;
            if kind == 0x002B {
                if let [a, b] = data {
                    version = TlsVersion(u16::from_be_bytes([*a, *b]));
                }
            }
        }
    }
    if random == HELLO_RETRY_RANDOM {
        version = version.max(TlsVersion::TLS13);
    }
    Ok(ServerHello { version, suite })
}

/// SHA-256 of the first certificate of a Certificate message (TLS ≤ 1.2).
fn leaf_fingerprint(body: &[u8]) -> Option<String> {
    let list = body.get(3..)?;
    let len = (usize::from(*list.first()?) << 16)
        | (usize::from(*list.get(1)?) << 8)
        | usize::from(*list.get(2)?);
    let der = list.get(3..3 + len)?;
    (!der.is_empty()).then(|| hex::encode(Sha256::digest(der)))
}

fn printable(bytes: &[u8]) -> String {
    let text: String = bytes
        .iter()
        .map(|b| {
            if b.is_ascii_graphic() || *b == b' ' {
                char::from(*b)
            } else {
                '.'
            }
        })
        .collect();
    format!("{:02x?} {text:?}", bytes)
}

/// Name of a TLS alert description (RFC 8446 6).
pub fn alert_name(description: u8) -> &'static str {
    match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        42 => "bad_certificate",
        47 => "illegal_parameter",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        _ => "unknown alert",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![kind, 3, 1];
        r.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut h = vec![kind];
        h.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
        h.extend_from_slice(body);
        h
    }

    fn hello_body(version: u16, suite: u16) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec();
        b.extend_from_slice(&[9; 32]);
        b.push(0);
        b.extend_from_slice(&suite.to_be_bytes());
        b.push(0);
        b
    }

    #[test]
    fn hello_and_certificate_split_across_records_byte_by_byte() {
        let mut flight = handshake(2, &hello_body(0x0301, 0x0005));
        let cert = [0x30, 0x03, 1, 2, 3];
        let mut certs = vec![0, 0, 8, 0, 0, 5];
        certs.extend_from_slice(&cert);
        flight.extend(handshake(11, &certs));
        let (a, b) = flight.split_at(20);
        let mut bytes = record(22, a);
        bytes.extend(record(22, b));
        let mut p = FlightParser::new(64 * 1024);
        let mut answer = None;
        for byte in &bytes {
            if let Some(a) = p.feed(std::slice::from_ref(byte)).unwrap() {
                answer = Some(a);
                break;
            }
        }
        let Some(ServerAnswer::Hello {
            hello,
            certificate_sha256,
        }) = answer
        else {
            panic!("no hello");
        };
        assert_eq!(hello.version, TlsVersion::TLS10);
        assert_eq!(hello.suite, CipherSuite(0x0005));
        assert_eq!(
            certificate_sha256.unwrap(),
            hex::encode(Sha256::digest(cert))
        );
    }

    #[test]
    fn alerts_and_garbage() {
        let mut p = FlightParser::new(1024);
        assert_eq!(
            p.feed(&record(21, &[2, 70])).unwrap(),
            Some(ServerAnswer::Alert {
                level: 2,
                description: 70
            })
        );
        assert!(FlightParser::new(1024).feed(b"HTTP/1.1 400 Bad").is_err());
        assert!(FlightParser::new(1024)
            .feed(&[22, 3, 1, 0xFF, 0xFF])
            .is_err());
        assert!(FlightParser::new(10).feed(&[0; 11]).is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        // xorshift: deterministic, no dependency.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..20_000 {
            let len = (round % 300) + 1;
            let mut bytes = Vec::with_capacity(len);
            for i in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Often start like a handshake record so the deeper code runs.
                let b = match (round % 3, i) {
                    (0, 0) => 22,
                    (0, 1) => 3,
                    (0, 5) => 2,
                    _ => x.to_le_bytes()[0],
                };
                bytes.push(b);
            }
            let mut p = FlightParser::new(4096);
            let _ = p.feed(&bytes);
            let _ = p.finish();
        }
    }
}
