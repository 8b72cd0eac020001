//! The few MQTT 3.1.1 packets the probe needs, encoded by hand, and a
//! bounded decoder for what a broker (or something pretending to be one)
//! sends back.

/// A packet from the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    ConnAck {
        session_present: bool,
        code: u8,
    },
    SubAck {
        packet_id: u16,
        codes: Vec<u8>,
    },
    Publish {
        topic: String,
        payload_len: usize,
    },
    /// Any other packet type (PINGRESP, PUBREL…), by its type nibble.
    Other(u8),
}

/// The bytes are not MQTT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotMqtt(pub String);

fn push_str(out: &mut Vec<u8>, s: &str) {
    let bytes = &s.as_bytes()[..s.len().min(u16::MAX.into())];
    out.extend_from_slice(&u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn push_remaining_length(out: &mut Vec<u8>, mut len: usize) {
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            return;
        }
    }
}

fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    push_remaining_length(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

/// CONNECT with a clean session, no username, no password, no will.
pub fn connect(client_id: &str, keep_alive_secs: u16) -> Vec<u8> {
    let mut body = Vec::new();
    push_str(&mut body, "MQTT");
    body.push(4); // protocol level: 3.1.1
    body.push(0x02); // clean session
    body.extend_from_slice(&keep_alive_secs.to_be_bytes());
    push_str(&mut body, client_id);
    packet(0x10, &body)
}

/// The MQTT protocol versions a login is tried with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V311,
    V5,
}

/// CONNECT with a clean session, a user name and a password, no will.
pub fn connect_login(
    client_id: &str,
    keep_alive_secs: u16,
    username: &str,
    password: &[u8],
    version: Version,
) -> Vec<u8> {
    let mut body = Vec::new();
    push_str(&mut body, "MQTT");
    body.push(match version {
        Version::V311 => 4,
        Version::V5 => 5,
    });
    body.push(0x02 | 0x80 | 0x40); // clean session, user name, password
    body.extend_from_slice(&keep_alive_secs.to_be_bytes());
    if version == Version::V5 {
        body.push(0); // no properties
    }
    push_str(&mut body, client_id);
    push_str(&mut body, username);
    let password = &password[..password.len().min(u16::MAX.into())];
    body.extend_from_slice(
        &u16::try_from(password.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    body.extend_from_slice(password);
    packet(0x10, &body)
}

/// What a CONNACK code means for a login: `Some(true)` accepted,
/// `Some(false)` the credential refused, `None` anything else (a lockout
/// or a refusal that says nothing about the credential is read by the
/// caller from [`connack_lockout`]).
pub fn connack_login(version: Version, code: u8) -> Option<bool> {
    match (version, code) {
        (_, 0) => Some(true),
        // 3.1.1: bad user name or password, not authorised.
        (Version::V311, 4 | 5) => Some(false),
        // 5.0: bad user name or password, not authorized, bad
        // authentication method.
        (Version::V5, 0x86 | 0x87 | 0x8C) => Some(false),
        _ => None,
    }
}

/// A CONNACK code that means "not now" (5.0: banned, quota exceeded,
/// connection rate exceeded, server busy).
pub fn connack_lockout(version: Version, code: u8) -> bool {
    version == Version::V5 && matches!(code, 0x89 | 0x8A | 0x97 | 0x9F)
}

/// What a MQTT 5.0 CONNACK reason code means (3.2.2.2).
pub fn connack_reason_v5(code: u8) -> &'static str {
    match code {
        0x00 => "success",
        0x80 => "unspecified error",
        0x81 => "malformed packet",
        0x82 => "protocol error",
        0x83 => "implementation specific error",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        0x88 => "server unavailable",
        0x89 => "server busy",
        0x8A => "banned",
        0x8C => "bad authentication method",
        0x97 => "quota exceeded",
        0x9F => "connection rate exceeded",
        _ => "other reason code",
    }
}

/// SUBSCRIBE to one topic filter at QoS 0.
pub fn subscribe(packet_id: u16, filter: &str) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    push_str(&mut body, filter);
    body.push(0);
    packet(0x82, &body)
}

pub fn disconnect() -> Vec<u8> {
    vec![0xE0, 0x00]
}

/// What a CONNACK return code means (MQTT 3.1.1, 3.2.2.3).
pub fn connack_reason(code: u8) -> &'static str {
    match code {
        0 => "connection accepted",
        1 => "unacceptable protocol version",
        2 => "client identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorised",
        _ => "reserved return code",
    }
}

/// Splits a byte stream into packets, holding at most `max_packet` bytes of
/// one packet.
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    max_packet: usize,
}

impl Decoder {
    pub fn new(max_packet: usize) -> Self {
        Decoder {
            buf: Vec::new(),
            max_packet,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete packet, if one is buffered.
    pub fn next_packet(&mut self) -> Result<Option<Packet>, NotMqtt> {
        let Some(&first) = self.buf.first() else {
            return Ok(None);
        };
        let mut len: usize = 0;
        let mut header = 1;
        loop {
            let Some(&b) = self.buf.get(header) else {
                return Ok(None);
            };
            len |= usize::from(b & 0x7F) << (7 * (header - 1));
            header += 1;
            if b & 0x80 == 0 {
                break;
            }
            if header > 4 {
                return Err(NotMqtt("a remaining length longer than 4 bytes".into()));
            }
        }
        if len > self.max_packet {
            return Err(NotMqtt(format!(
                "a packet of {len} bytes (limit {})",
                self.max_packet
            )));
        }
        if self.buf.len() < header + len {
            return Ok(None);
        }
        let body: Vec<u8> = self.buf.drain(..header + len).skip(header).collect();
        let kind = first >> 4;
        Ok(Some(match kind {
            2 => {
                // MQTT 5.0 adds properties after the reason code.
                let [flags, code, ..] = body[..] else {
                    return Err(NotMqtt(format!("a CONNACK of {} bytes", body.len())));
                };
                Packet::ConnAck {
                    session_present: flags & 1 == 1,
                    code,
                }
            }
            9 => {
                let [a, b, ref codes @ ..] = body[..] else {
                    return Err(NotMqtt("a SUBACK without a packet id".into()));
                };
                Packet::SubAck {
                    packet_id: u16::from_be_bytes([a, b]),
                    codes: codes.to_vec(),
                }
            }
            3 => {
                let qos = (first >> 1) & 3;
                let [a, b, ref rest @ ..] = body[..] else {
                    return Err(NotMqtt("a PUBLISH without a topic".into()));
                };
                let topic_len = usize::from(u16::from_be_bytes([a, b]));
                let topic = rest
                    .get(..topic_len)
                    .ok_or_else(|| NotMqtt("a PUBLISH topic longer than the packet".into()))?;
                let id_len = if qos > 0 { 2 } else { 0 };
                let payload_len = rest.len().saturating_sub(topic_len + id_len);
                Packet::Publish {
                    topic: String::from_utf8_lossy(topic).into_owned(),
                    payload_len,
                }
            }
            0 | 15 => return Err(NotMqtt(format!("reserved packet type {kind}"))),
            other => Packet::Other(other),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_connect_and_subscribe() {
        let c = connect("iotmark", 30);
        assert_eq!(c[0], 0x10);
        assert_eq!(usize::from(c[1]), c.len() - 2);
        assert_eq!(&c[2..8], b"\x00\x04MQTT");
        let s = subscribe(1, "#");
        assert_eq!(s, vec![0x82, 6, 0, 1, 0, 1, b'#', 0]);
    }

    #[test]
    fn encodes_login_connects() {
        let c = connect_login("id", 30, "admin", b"pw", Version::V311);
        assert_eq!(&c[2..9], b"\x00\x04MQTT\x04");
        assert_eq!(c[9], 0xC2, "user name, password, clean session");
        assert!(c.ends_with(b"\x00\x05admin\x00\x02pw"));
        let v5 = connect_login("id", 30, "admin", b"pw", Version::V5);
        assert_eq!(v5[8], 5);
        assert_eq!(v5[12], 0, "empty properties");
        assert_eq!(usize::from(v5[1]), v5.len() - 2);
        assert_eq!(connack_login(Version::V311, 4), Some(false));
        assert_eq!(connack_login(Version::V5, 0x86), Some(false));
        assert_eq!(connack_login(Version::V5, 0), Some(true));
        assert_eq!(connack_login(Version::V311, 3), None);
        assert!(connack_lockout(Version::V5, 0x9F));
        // A 5.0 CONNACK with properties decodes.
        let mut d = Decoder::new(64);
        d.feed(&[0x20, 0x05, 0x00, 0x86, 0x02, 0x21, 0x00]);
        assert_eq!(
            d.next_packet().unwrap(),
            Some(Packet::ConnAck {
                session_present: false,
                code: 0x86
            })
        );
    }

    #[test]
    fn decodes_split_packets_and_refuses_junk() {
        let mut d = Decoder::new(1024);
        d.feed(&[0x20, 0x02, 0x00]);
        assert_eq!(d.next_packet().unwrap(), None);
        d.feed(&[0x05, 0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i']);
        assert_eq!(
            d.next_packet().unwrap(),
            Some(Packet::ConnAck {
                session_present: false,
                code: 5
            })
        );
        assert_eq!(
            d.next_packet().unwrap(),
            Some(Packet::Publish {
                topic: "a/b".into(),
                payload_len: 2
            })
        );
        let mut junk = Decoder::new(1024);
        junk.feed(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
        assert!(junk.next_packet().is_err());
        let mut big = Decoder::new(10);
        big.feed(&[0x30, 0x7F]);
        assert!(big.next_packet().is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for round in 0..20_000 {
            let mut d = Decoder::new(512);
            let len = round % 64 + 1;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x.to_le_bytes()[0]
                })
                .collect();
            d.feed(&bytes);
            while let Ok(Some(_)) = d.next_packet() {}
        }
    }
}
