//! SNMP v1 and v2c community strings: the "password" of most consumer
//! network gear, sent in the clear in every request.
//!
//! A community is tried by a GET of `sysDescr.0` over UDP. An agent answers a
//! community it knows and, by RFC 1157 §4.1 and RFC 3584, stays silent for one
//! it does not: silence is all a wrong community ever gets. Silence is also
//! what a host without an agent, or behind a filter, gives. So no community is
//! judged "rejected" by this module until [`SnmpJudge::calibrate`] has shown,
//! on this device, that the declared community gets an answer and a random one
//! gets silence; and during the sweep, each silent attempt is followed by the
//! declared community again, so an agent that went quiet (rate limit, crash)
//! is an error, not a run of "rejected".
//!
//! Whether a community may write is told by [`SnmpJudge::write_access`]: a
//! GET of `sysLocation.0` and a SET of the same object back to the value just
//! read, so nothing on the device changes.
//!
//! Messages are encoded and decoded with librasn's `rasn-snmp` types (BER):
//! a maintained ASN.1 codec rather than a hand-written one; this module only
//! bounds what it reads (one datagram, at most the probe's size limit) and
//! how long it waits ([`Retry`]).

use std::fmt;
use std::net::SocketAddr;

use rasn::types::{Integer, ObjectIdentifier, OctetString};
use rasn_smi::{v1 as smi1, v2 as smi2};
use rasn_snmp::{v1, v2, v2c};
use serde::Serialize;

use crate::device::{Credential, LoginOutcome, ProbeError};
use crate::probe::udp::{connected_socket, exchange, Exchange, Retry};
use crate::probe::ProbeConfig;
use crate::secret::Secret;

/// `sysDescr.0`: what the agent says it is.
pub const SYS_DESCR: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 1, 0];
/// `sysLocation.0`: writable on most agents, harmless to write back unchanged.
pub const SYS_LOCATION: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 6, 0];

/// Longest value text kept from an answer.
const MAX_VALUE_CHARS: usize = 256;

/// The community-based SNMP versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnmpVersion {
    V1,
    V2c,
}

impl fmt::Display for SnmpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SnmpVersion::V1 => "v1",
            SnmpVersion::V2c => "v2c",
        })
    }
}

/// One variable's value as the agent sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum SnmpValue {
    /// An OCTET STRING, as lossy UTF-8, cut to 256 characters.
    Text(String),
    /// Any other value, printed.
    Other(String),
    /// v1 NULL, v2 unSpecified.
    Null,
    /// v2 exceptions: the agent has no such object / instance / no more.
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
}

impl SnmpValue {
    /// A value the agent would only send to a community it accepted.
    pub fn is_value(&self) -> bool {
        matches!(self, SnmpValue::Text(_) | SnmpValue::Other(_))
    }
}

/// A decoded answer (GetResponse / Response PDU).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnmpAnswer {
    pub version: SnmpVersion,
    pub request_id: i64,
    /// 0 noError; see RFC 3416 §3 for the codes.
    pub error_status: u32,
    pub error_index: u32,
    /// Each binding's OID (dotted) and value.
    pub bindings: Vec<(String, SnmpValue)>,
    /// The raw octets of the first binding's value when it is an OCTET
    /// STRING (what a SET writes back), at most one datagram.
    #[serde(skip)]
    first_octets: Option<Vec<u8>>,
}

impl SnmpAnswer {
    /// The first binding's value when the agent answered without error.
    pub fn value(&self) -> Option<&SnmpValue> {
        (self.error_status == 0)
            .then(|| self.bindings.first().map(|(_, v)| v))
            .flatten()
            .filter(|v| v.is_value())
    }

    /// One line for evidence: `SNMP v2c agent: sysDescr "…"` or the error.
    pub fn summary(&self) -> String {
        match (self.error_status, self.bindings.first()) {
            (0, Some((oid, SnmpValue::Text(t)))) => {
                format!("SNMP {} agent: {oid} = {t:?}", self.version)
            }
            (0, Some((oid, v))) => format!("SNMP {} agent: {oid} = {v:?}", self.version),
            (status, _) => format!(
                "SNMP {} agent: error {} ({})",
                self.version,
                status,
                error_name(status)
            ),
        }
    }
}

/// RFC 3416 error-status names.
pub fn error_name(status: u32) -> &'static str {
    match status {
        0 => "noError",
        1 => "tooBig",
        2 => "noSuchName",
        3 => "badValue",
        4 => "readOnly",
        5 => "genErr",
        6 => "noAccess",
        7 => "wrongType",
        8 => "wrongLength",
        9 => "wrongEncoding",
        10 => "wrongValue",
        11 => "noCreation",
        12 => "inconsistentValue",
        13 => "resourceUnavailable",
        14 => "commitFailed",
        15 => "undoFailed",
        16 => "authorizationError",
        17 => "notWritable",
        18 => "inconsistentName",
        _ => "unknown",
    }
}

/// Why a datagram is not an SNMP answer we can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SnmpDecodeError(String);

fn oid(arcs: &[u32]) -> ObjectIdentifier {
    // Invariant: every OID this module names starts 1.3, a valid first pair.
    ObjectIdentifier::new(arcs.to_vec())
        .unwrap_or_else(|| ObjectIdentifier::new_unchecked(std::borrow::Cow::Owned(arcs.to_vec())))
}

fn dotted(oid: &ObjectIdentifier) -> String {
    oid.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

/// A GET of `object` with `community`.
pub fn encode_get(
    version: SnmpVersion,
    community: &Secret,
    request_id: i32,
    object: &[u32],
) -> Vec<u8> {
    encode(version, community, request_id, object, None)
}

/// A SET of `object` to the OCTET STRING `value`.
pub fn encode_set_text(
    version: SnmpVersion,
    community: &Secret,
    request_id: i32,
    object: &[u32],
    value: &[u8],
) -> Vec<u8> {
    encode(version, community, request_id, object, Some(value))
}

fn encode(
    version: SnmpVersion,
    community: &Secret,
    request_id: i32,
    object: &[u32],
    set: Option<&[u8]>,
) -> Vec<u8> {
    let community = OctetString::from(community.expose().as_bytes().to_vec());
    let encoded = match version {
        SnmpVersion::V1 => {
            let value = match set {
                None => smi1::ObjectSyntax::Simple(smi1::SimpleSyntax::Empty),
                Some(v) => smi1::ObjectSyntax::Simple(smi1::SimpleSyntax::String(
                    OctetString::from(v.to_vec()),
                )),
            };
            let pdu = v1::Pdu {
                request_id: Integer::from(request_id),
                error_status: Integer::from(0),
                error_index: Integer::from(0),
                variable_bindings: vec![v1::VarBind {
                    name: oid(object),
                    value,
                }],
            };
            let data = match set {
                None => v1::Pdus::GetRequest(v1::GetRequest(pdu)),
                Some(_) => v1::Pdus::SetRequest(v1::SetRequest(pdu)),
            };
            rasn::ber::encode(&v1::Message {
                version: Integer::from(0),
                community,
                data,
            })
        }
        SnmpVersion::V2c => {
            let value = match set {
                None => v2::VarBindValue::Unspecified,
                Some(v) => v2::VarBindValue::Value(smi2::ObjectSyntax::Simple(
                    smi2::SimpleSyntax::String(OctetString::from(v.to_vec())),
                )),
            };
            let pdu = v2::Pdu {
                request_id,
                error_status: 0,
                error_index: 0,
                variable_bindings: vec![v2::VarBind {
                    name: oid(object),
                    value,
                }],
            };
            let data = match set {
                None => v2::Pdus::GetRequest(v2::GetRequest(pdu)),
                Some(_) => v2::Pdus::SetRequest(v2::SetRequest(pdu)),
            };
            rasn::ber::encode(&v2c::Message {
                version: Integer::from(1),
                community,
                data,
            })
        }
    };
    // Invariant: these messages are built from typed values only; BER
    // encoding of them cannot fail. An empty datagram would only go
    // unanswered.
    encoded.unwrap_or_default()
}

/// Decode an agent's answer, v1 or v2c (told by the version field).
pub fn decode_response(datagram: &[u8]) -> Result<SnmpAnswer, SnmpDecodeError> {
    let bad = |what: &str, e: rasn::error::DecodeError| {
        SnmpDecodeError(format!("not an SNMP {what} message: {e}"))
    };
    // A v1 GetResponse has the shape of a v2c Response (both tagged [2]):
    // the version field decides which one it is.
    let v2c = rasn::ber::decode::<v2c::Message<v2::Pdus>>(datagram)
        .ok()
        .filter(|m| m.version == Integer::from(1));
    if let Some(message) = v2c {
        let v2::Pdus::Response(v2::Response(pdu)) = message.data else {
            return Err(SnmpDecodeError(
                "an SNMP v2c message that is not a Response".into(),
            ));
        };
        let first_octets = pdu.variable_bindings.first().and_then(|b| match &b.value {
            v2::VarBindValue::Value(smi2::ObjectSyntax::Simple(smi2::SimpleSyntax::String(s))) => {
                Some(s.to_vec())
            }
            _ => None,
        });
        let bindings = pdu
            .variable_bindings
            .iter()
            .take(16)
            .map(|b| {
                let value = match &b.value {
                    v2::VarBindValue::Value(smi2::ObjectSyntax::Simple(
                        smi2::SimpleSyntax::String(s),
                    )) => SnmpValue::Text(text(s)),
                    v2::VarBindValue::Value(other) => SnmpValue::Other(short(format!("{other:?}"))),
                    v2::VarBindValue::Unspecified => SnmpValue::Null,
                    v2::VarBindValue::NoSuchObject => SnmpValue::NoSuchObject,
                    v2::VarBindValue::NoSuchInstance => SnmpValue::NoSuchInstance,
                    v2::VarBindValue::EndOfMibView => SnmpValue::EndOfMibView,
                };
                (dotted(&b.name), value)
            })
            .collect();
        return Ok(SnmpAnswer {
            version: SnmpVersion::V2c,
            request_id: i64::from(pdu.request_id),
            error_status: pdu.error_status,
            error_index: pdu.error_index,
            bindings,
            first_octets,
        });
    }
    let message =
        rasn::ber::decode::<v1::Message<v1::Pdus>>(datagram).map_err(|e| bad("v1 or v2c", e))?;
    if message.version != Integer::from(0) {
        return Err(SnmpDecodeError(format!(
            "SNMP version field {} (v1 is 0)",
            message.version
        )));
    }
    let v1::Pdus::GetResponse(v1::GetResponse(pdu)) = message.data else {
        return Err(SnmpDecodeError(
            "an SNMP v1 message that is not a GetResponse".into(),
        ));
    };
    let number = |i: &Integer| i64::try_from(i).ok();
    let status = |i: &Integer| number(i).and_then(|n| u32::try_from(n).ok());
    let first_octets = pdu.variable_bindings.first().and_then(|b| match &b.value {
        smi1::ObjectSyntax::Simple(smi1::SimpleSyntax::String(s)) => Some(s.to_vec()),
        _ => None,
    });
    Ok(SnmpAnswer {
        version: SnmpVersion::V1,
        request_id: number(&pdu.request_id)
            .ok_or_else(|| SnmpDecodeError("request id out of range".into()))?,
        error_status: status(&pdu.error_status)
            .ok_or_else(|| SnmpDecodeError("error status out of range".into()))?,
        error_index: status(&pdu.error_index)
            .ok_or_else(|| SnmpDecodeError("error index out of range".into()))?,
        bindings: pdu
            .variable_bindings
            .iter()
            .take(16)
            .map(|b| {
                let value = match &b.value {
                    smi1::ObjectSyntax::Simple(smi1::SimpleSyntax::String(s)) => {
                        SnmpValue::Text(text(s))
                    }
                    smi1::ObjectSyntax::Simple(smi1::SimpleSyntax::Empty) => SnmpValue::Null,
                    other => SnmpValue::Other(short(format!("{other:?}"))),
                };
                (dotted(&b.name), value)
            })
            .collect(),
        first_octets,
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .take(MAX_VALUE_CHARS)
        .collect()
}

fn short(text: String) -> String {
    text.chars().take(MAX_VALUE_CHARS).collect()
}

fn request_id() -> i32 {
    let mut bytes = [0u8; 4];
    // A failed random source leaves id 0: answers are still matched by it.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    i32::from_be_bytes(bytes) & 0x7fff_ffff
}

/// Send one request (GET or SET) with retries and read the answer that
/// carries its request id. `Ok(None)`: silence after every try.
async fn ask(
    addr: SocketAddr,
    build: impl Fn(i32) -> Vec<u8>,
    config: &ProbeConfig,
    retry: Retry,
) -> Result<Option<SnmpAnswer>, ProbeError> {
    let target = format!("snmp://{addr}");
    let id = request_id();
    let socket = connected_socket(addr)
        .await
        .map_err(|e| ProbeError::Connect {
            target: target.clone(),
            detail: e.to_string(),
        })?;
    let request = build(id);
    let got = exchange(&socket, &request, retry, config.max_response_bytes, |d| {
        decode_response(d).is_ok_and(|a| a.request_id == i64::from(id))
    })
    .await
    .map_err(|e| ProbeError::Connect {
        target: target.clone(),
        detail: e.to_string(),
    })?;
    match got {
        Exchange::Answer(bytes) => {
            decode_response(&bytes)
                .map(Some)
                .map_err(|e| ProbeError::Protocol {
                    target,
                    detail: e.to_string(),
                })
        }
        Exchange::Refused => Err(ProbeError::Connect {
            target,
            detail: "port unreachable: no SNMP agent listens there".into(),
        }),
        Exchange::Silent { strays: 0, .. } => Ok(None),
        Exchange::Silent { strays, first } => {
            let why = first
                .map(|d| match decode_response(&d) {
                    Ok(a) => format!(
                        "an SNMP answer with request id {} (asked {id})",
                        a.request_id
                    ),
                    Err(e) => e.to_string(),
                })
                .unwrap_or_default();
            Err(ProbeError::Protocol {
                target,
                detail: format!("{strays} datagram(s) that do not answer the request: {why}"),
            })
        }
    }
}

/// A GET of `object` with `community`. `Ok(None)`: no answer after every try
/// (a wrong community, or no agent: the caller cannot tell which).
pub async fn get(
    addr: SocketAddr,
    version: SnmpVersion,
    community: &Secret,
    object: &[u32],
    config: &ProbeConfig,
) -> Result<Option<SnmpAnswer>, ProbeError> {
    ask(
        addr,
        |id| encode_get(version, community, id, object),
        config,
        Retry::from_config(config),
    )
    .await
}

/// What calibration saw on the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnmpCalibration {
    pub version: SnmpVersion,
    /// The agent's answer to the declared community (sysDescr).
    pub declared_answer: String,
    /// What a random 24-character community got: silence (RFC 3584), or the
    /// error answer some embedded agents send instead.
    pub wrong_community: AnswerShape,
}

/// The shape of an answer to a GET of sysDescr.0, what a judge compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "shape", rename_all = "kebab-case")]
pub enum AnswerShape {
    /// A value: the community was accepted.
    Value,
    /// An answer without a value: an error status (by name) or a v2
    /// exception (noSuchObject…).
    NoValue { what: String },
    /// No answer in any try.
    Silence,
}

impl AnswerShape {
    fn of(answer: &Option<SnmpAnswer>) -> AnswerShape {
        match answer {
            None => AnswerShape::Silence,
            Some(a) if a.value().is_some() => AnswerShape::Value,
            Some(a) if a.error_status != 0 => AnswerShape::NoValue {
                what: error_name(a.error_status).to_string(),
            },
            Some(a) => AnswerShape::NoValue {
                what: a
                    .bindings
                    .first()
                    .map(|(_, v)| format!("{v:?}"))
                    .unwrap_or_else(|| "no binding".into()),
            },
        }
    }
}

/// Whether a community may change the agent's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "access", rename_all = "kebab-case")]
pub enum WriteAccess {
    /// The SET of sysLocation.0 (to its own value) succeeded.
    Granted,
    /// The agent refused the SET for this community (`error` names the
    /// RFC 3416 status: noAccess, authorizationError, readOnly, noSuchName…),
    /// or stayed silent to the SET while answering the GET.
    Denied { error: String },
    /// The community cannot even read: the GET got no answer.
    NoRead,
    /// The agent refused because the object itself is not writable
    /// (notWritable, inconsistentValue…): says nothing about the community.
    Undetermined { detail: String },
}

/// A community judge calibrated on one agent with its declared community.
#[derive(Debug, Clone)]
pub struct SnmpJudge {
    addr: SocketAddr,
    version: SnmpVersion,
    declared: Secret,
    config: ProbeConfig,
    calibration: SnmpCalibration,
}

impl SnmpJudge {
    /// Calibrate on the agent at `addr`: the declared community (the
    /// credential's password; the username is not used by SNMP) must get a
    /// sysDescr value, and a random community must not (silence, as RFC 3584
    /// says, or an error answer). Otherwise the judge cannot tell a wrong
    /// community from a missing agent or an agent that takes any community,
    /// and the error says what it saw.
    pub async fn calibrate(
        addr: SocketAddr,
        version: SnmpVersion,
        declared: &Credential,
        config: &ProbeConfig,
    ) -> Result<SnmpJudge, ProbeError> {
        let target = format!("snmp://{addr} ({version})");
        let declared = declared.password.clone();
        let answer = get(addr, version, &declared, &SYS_DESCR, config).await?;
        let declared_answer = match answer {
            Some(a) if a.value().is_some() => a.summary(),
            Some(a) => {
                return Err(ProbeError::Protocol {
                    target,
                    detail: format!(
                        "calibration: the declared community got an answer without a sysDescr value ({}): cannot tell accepted from refused",
                        a.summary()
                    ),
                })
            }
            None => {
                return Err(ProbeError::Protocol {
                    target,
                    detail: format!(
                        "calibration: the declared community got no answer in {} tries: no agent, a filter, or a wrong declaration; silence cannot be judged",
                        Retry::from_config(config).tries
                    ),
                })
            }
        };
        let random = Secret::new(random_community());
        let random_answer = get(addr, version, &random, &SYS_DESCR, config).await?;
        let wrong_community = AnswerShape::of(&random_answer);
        if wrong_community == AnswerShape::Value {
            let seen = random_answer.map(|a| a.summary()).unwrap_or_default();
            return Err(ProbeError::Protocol {
                target,
                detail: format!(
                    "calibration: a random community was answered too ({seen}): the agent accepts any community, so no community is a secret"
                ),
            });
        }
        Ok(SnmpJudge {
            addr,
            version,
            declared,
            config: config.clone(),
            calibration: SnmpCalibration {
                version,
                declared_answer,
                wrong_community,
            },
        })
    }

    pub fn calibration(&self) -> &SnmpCalibration {
        &self.calibration
    }

    /// Try the credential's password as a community, judged against the two
    /// reference answers calibration saw: a sysDescr value (the declared
    /// community's answer) is [`LoginOutcome::Accepted`]; the answer a
    /// random community got — silence, confirmed by the declared community
    /// still being answered right after, or the same error — is
    /// [`LoginOutcome::Rejected`]. Any other answer (an error a random
    /// community did not get, say noSuchObject from a community whose view
    /// lacks sysDescr) is neither, and is a [`ProbeError::Protocol`] naming
    /// it.
    pub async fn try_login(&self, credential: &Credential) -> Result<LoginOutcome, ProbeError> {
        let answer = get(
            self.addr,
            self.version,
            &credential.password,
            &SYS_DESCR,
            &self.config,
        )
        .await?;
        let shape = AnswerShape::of(&answer);
        if shape == AnswerShape::Value {
            return Ok(LoginOutcome::Accepted);
        }
        if shape == self.calibration.wrong_community {
            if shape == AnswerShape::Silence {
                self.still_answering().await?;
            }
            return Ok(LoginOutcome::Rejected);
        }
        Err(ProbeError::Protocol {
            target: format!("snmp://{} ({})", self.addr, self.version),
            detail: format!(
                "an answer unlike both references (declared community: a value; random community: {:?}): {}",
                self.calibration.wrong_community,
                answer.map(|a| a.summary()).unwrap_or_else(|| "silence".into())
            ),
        })
    }

    /// The declared community is still answered: silence to the previous
    /// attempt meant "wrong community", not "agent gone".
    async fn still_answering(&self) -> Result<(), ProbeError> {
        match get(self.addr, self.version, &self.declared, &SYS_DESCR, &self.config).await? {
            Some(a) if a.value().is_some() => Ok(()),
            other => Err(ProbeError::Protocol {
                target: format!("snmp://{} ({})", self.addr, self.version),
                detail: format!(
                    "the agent stopped answering its declared community ({}): silence to the attempt before cannot be judged",
                    other.map(|a| a.summary()).unwrap_or_else(|| "no answer".into())
                ),
            }),
        }
    }

    /// Whether the credential's community may write: GET sysLocation.0,
    /// then SET it to the same value.
    pub async fn write_access(&self, credential: &Credential) -> Result<WriteAccess, ProbeError> {
        let community = &credential.password;
        let version = self.version;
        let read = get(self.addr, version, community, &SYS_LOCATION, &self.config).await?;
        let Some(read) = read else {
            self.still_answering().await?;
            return Ok(WriteAccess::NoRead);
        };
        let Some(current) = read.first_octets.clone().filter(|_| read.error_status == 0) else {
            return Ok(WriteAccess::Undetermined {
                detail: format!("sysLocation.0 could not be read: {}", read.summary()),
            });
        };
        let set = ask(
            self.addr,
            |id| encode_set_text(version, community, id, &SYS_LOCATION, &current),
            &self.config,
            Retry::from_config(&self.config),
        )
        .await?;
        let Some(set) = set else {
            self.still_answering().await?;
            return Ok(WriteAccess::Denied {
                error: "no answer to the SET (the agent drops writes from this community)".into(),
            });
        };
        Ok(match (version, set.error_status) {
            (_, 0) => WriteAccess::Granted,
            // v1 has no finer codes: noSuchName and readOnly are what a
            // read-only community gets (RFC 1157 §4.1.5, RFC 3584 §4.3).
            (SnmpVersion::V1, s @ (2 | 4)) => WriteAccess::Denied {
                error: error_name(s).into(),
            },
            (SnmpVersion::V2c, s @ (6 | 16)) => WriteAccess::Denied {
                error: error_name(s).into(),
            },
            (_, s) => WriteAccess::Undetermined {
                detail: format!(
                    "the SET of sysLocation.0 to its own value got {} ({s}): about the object, not the community",
                    error_name(s)
                ),
            },
        })
    }
}

/// 24 random letters and digits: no agent's community.
fn random_community() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut bytes = [0u8; 24];
    // A failed random source leaves a fixed but still improbable community.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_the_codec() {
        for version in [SnmpVersion::V1, SnmpVersion::V2c] {
            let get = encode_get(version, &Secret::new("public"), 77, &SYS_DESCR);
            assert!(!get.is_empty());
            // A request is not an answer.
            assert!(decode_response(&get).is_err());
        }
        // net-snmp's v2c answer to a GET of sysDescr.0 (community "public",
        // request id 1, value "Linux cam").
        let answer = [
            0x30, 0x2c, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa2,
            0x1f, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x14, 0x30, 0x12,
            0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x04, 0x06, b'L', b'i',
            b'n', b'u', b'x', b'!',
        ];
        let a = decode_response(&answer).unwrap();
        assert_eq!(a.version, SnmpVersion::V2c);
        assert_eq!(a.request_id, 1);
        assert_eq!(
            a.bindings,
            vec![("1.3.6.1.2.1.1.1.0".into(), SnmpValue::Text("Linux!".into()))]
        );
        assert!(a.value().is_some());
        for cut in 0..answer.len() {
            assert!(decode_response(&answer[..cut]).is_err());
        }
    }
}
