//! Status lists: which of a lab's labels are revoked.
//!
//! A lab publishes one signed document naming, by serial, every label it has
//! revoked: a bitstring where bit `serial` is 1 when that label is revoked
//! (byte `serial / 8`, bit `serial % 8` counted from the least significant),
//! zlib-compressed (RFC 1950) and base64url-encoded (no padding) inside a JSON
//! document with the lab, its key id, the issue time and the time by which a
//! newer list will be published (`schemas/status-list.schema.json`). The JSON
//! is the payload of a COSE_Sign1 signed by the lab key with content type
//! [`CONTENT_TYPE`] (see the `signed_doc` module).
//!
//! A bitstring rather than a list of serials: its size depends only on how
//! many labels were issued, not on how many were revoked, and compresses to
//! almost nothing when few are.

use std::io::{Read, Write};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::cose::LabelSigner;
use crate::error::{DocumentError, LabelError};
use crate::rfc3339;
use crate::signed_doc::{self, SignedDocument};
use crate::verify::TrustStore;

/// Content type in the protected header.
pub const CONTENT_TYPE: &str = "application/iotmark-status-list+json";

/// Largest signed status list accepted (file or download).
pub const MAX_STATUS_LIST_BYTES: usize = 4 * 1024 * 1024;

/// Largest decompressed bitstring: 2^27 serials.
const MAX_BITSTRING_BYTES: usize = 16 * 1024 * 1024;

const WHAT: &str = "status list";

/// The JSON inside the envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    lab: String,
    kid: String,
    issued: String,
    next_update: String,
    /// Number of serials the bitstring covers (bits).
    size: u64,
    /// How many bits are set (informational; checked on reading).
    revoked: u64,
    /// zlib-compressed bitstring, base64url without padding.
    bits: String,
    /// When and why each revoked label was revoked (every entry's bit is set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    revocations: Vec<RevocationEntry>,
}

/// When and why one label was revoked, as its lab's status list says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationEntry {
    pub serial: u64,
    /// RFC 3339.
    pub revoked_at: String,
    pub reason: String,
}

/// Longest revocation reason a list carries.
const MAX_REASON_BYTES: usize = 512;

/// A lab's revocation bitstring with its validity window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    issued: OffsetDateTime,
    next_update: OffsetDateTime,
    size: u64,
    bits: Vec<u8>,
    lab: String,
    kid: String,
    entries: Vec<RevocationEntry>,
}

fn malformed(reason: impl Into<String>) -> DocumentError {
    DocumentError::Malformed {
        what: WHAT,
        reason: reason.into(),
    }
}

impl StatusList {
    /// A list covering serials `0..size` with the given serials revoked.
    pub fn new(
        revoked: impl IntoIterator<Item = u64>,
        size: u64,
        issued: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Result<Self, LabelError> {
        if next_update <= issued {
            return Err(LabelError::invalid(
                "status list",
                "next update must be after the issue time",
            ));
        }
        let bytes = usize::try_from(size.div_ceil(8))
            .ok()
            .filter(|&b| b <= MAX_BITSTRING_BYTES)
            .ok_or_else(|| {
                LabelError::invalid("status list", format!("{size} serials is too many"))
            })?;
        let mut bits = vec![0u8; bytes];
        for serial in revoked {
            if serial >= size {
                return Err(LabelError::invalid(
                    "status list",
                    format!("revoked serial {serial} is not below the list size {size}"),
                ));
            }
            let (byte, bit) = ((serial / 8) as usize, serial % 8);
            if let Some(b) = bits.get_mut(byte) {
                *b |= 1 << bit;
            }
        }
        Ok(Self {
            issued: issued.replace_nanosecond(0).unwrap_or(issued),
            next_update: next_update.replace_nanosecond(0).unwrap_or(next_update),
            size,
            bits,
            lab: String::new(),
            kid: String::new(),
            entries: Vec::new(),
        })
    }

    /// Adds when and why labels were revoked; each serial must be revoked
    /// on the list.
    pub fn with_entries(mut self, entries: Vec<RevocationEntry>) -> Result<Self, LabelError> {
        if let Some(e) = entries.iter().find(|e| !self.is_revoked(e.serial)) {
            return Err(LabelError::invalid(
                "status list",
                format!(
                    "an entry names serial {}, which is not revoked on the list",
                    e.serial
                ),
            ));
        }
        self.entries = entries;
        Ok(self)
    }

    /// When and why the label with this serial was revoked, if the list says.
    pub fn entry(&self, serial: u64) -> Option<&RevocationEntry> {
        self.entries.iter().find(|e| e.serial == serial)
    }

    /// Past its next-update time on `now`: it can no longer say that a label
    /// is not revoked (a revocation it lists stays true).
    pub fn is_stale(&self, now: OffsetDateTime) -> bool {
        now > self.next_update
    }

    /// True if the label with this serial is revoked. Serials beyond the list
    /// are not revoked (they were issued after it).
    pub fn is_revoked(&self, serial: u64) -> bool {
        if serial >= self.size {
            return false;
        }
        self.bits
            .get((serial / 8) as usize)
            .is_some_and(|b| b & (1 << (serial % 8)) != 0)
    }

    /// Number of serials covered.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Number of revoked serials.
    pub fn revoked_count(&self) -> u64 {
        self.bits.iter().map(|b| u64::from(b.count_ones())).sum()
    }

    /// When the list was issued.
    pub fn issued(&self) -> OffsetDateTime {
        self.issued
    }

    /// When a newer list is due; past it this one is stale.
    pub fn next_update(&self) -> OffsetDateTime {
        self.next_update
    }

    /// The lab that signed it (empty until signed or verified).
    pub fn lab(&self) -> &str {
        &self.lab
    }

    /// Checks the list is current on `at` (by UTC day).
    pub fn check_current(&self, at: Date) -> Result<(), DocumentError> {
        if at < self.issued.date() {
            return Err(DocumentError::NotYetValid {
                what: WHAT,
                issued: rfc3339(self.issued),
                at: at.to_string(),
            });
        }
        if at > self.next_update.date() {
            return Err(DocumentError::Expired {
                what: WHAT,
                issued: rfc3339(self.issued),
                next_update: rfc3339(self.next_update),
            });
        }
        Ok(())
    }

    /// Signs the list with the lab key: the bytes to publish.
    pub fn sign(&self, signer: &LabelSigner) -> Result<Vec<u8>, LabelError> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&self.bits)
            .map_err(|e| LabelError::invalid("status list", format!("compression failed: {e}")))?;
        let compressed = z
            .finish()
            .map_err(|e| LabelError::invalid("status list", format!("compression failed: {e}")))?;
        let kid = signer.certificate().kid();
        let doc = Document {
            lab: signer.certificate().name().to_owned(),
            kid: hex::encode(kid),
            issued: rfc3339(self.issued),
            next_update: rfc3339(self.next_update),
            size: self.size,
            revoked: self.revoked_count(),
            bits: URL_SAFE_NO_PAD.encode(compressed),
            revocations: self.entries.clone(),
        };
        let payload = serde_json::to_vec(&doc)
            .map_err(|e| LabelError::invalid("status list", e.to_string()))?;
        signed_doc::sign(signer.signing_key(), kid, CONTENT_TYPE, payload)
    }

    /// Parses a signed status list and checks it: the signer is a lab in the
    /// trust store that chains to the anchor, the signature verifies, the
    /// document is well formed. Currency (issue date, next update) is left to
    /// [`StatusList::check_current`], so a caller can report a stale list's dates.
    pub fn verify(bytes: &[u8], trust: &TrustStore) -> Result<StatusList, DocumentError> {
        let doc = SignedDocument::parse(bytes, WHAT, CONTENT_TYPE, MAX_STATUS_LIST_BYTES)?;
        let kid_hex = hex::encode(doc.kid);
        let lab = trust
            .labs
            .iter()
            .find(|l| l.kid() == doc.kid)
            .ok_or_else(|| DocumentError::UnknownSigner {
                what: WHAT,
                kid: kid_hex.clone(),
                expected: "a lab certificate in the trust store".to_owned(),
            })?;
        lab.check_issued_by(&trust.anchor)
            .map_err(|e| malformed(format!("signer's certificate: {e}")))?;
        let payload = doc.verified_payload(lab.public_key(), WHAT, lab.name())?;
        let d: Document = serde_json::from_slice(payload).map_err(|e| malformed(e.to_string()))?;
        if !d.kid.eq_ignore_ascii_case(&kid_hex) {
            return Err(malformed(format!(
                "document kid {} differs from the envelope's {kid_hex}",
                d.kid
            )));
        }
        let time = |field: &str, s: &str| {
            OffsetDateTime::parse(s, &Rfc3339)
                .map_err(|e| malformed(format!("{field} {s:?} is not an RFC 3339 time: {e}")))
        };
        let issued = time("issued", &d.issued)?;
        let next_update = time("next_update", &d.next_update)?;
        if next_update <= issued {
            return Err(malformed("next_update is not after issued"));
        }
        let compressed = URL_SAFE_NO_PAD
            .decode(d.bits.as_bytes())
            .map_err(|e| malformed(format!("bits is not base64url: {e}")))?;
        let mut bits = Vec::new();
        flate2::read::ZlibDecoder::new(compressed.as_slice())
            .take(MAX_BITSTRING_BYTES as u64 + 1)
            .read_to_end(&mut bits)
            .map_err(|e| malformed(format!("bits is not zlib data: {e}")))?;
        if bits.len() > MAX_BITSTRING_BYTES {
            return Err(malformed(format!(
                "bitstring decompresses to over {MAX_BITSTRING_BYTES} bytes"
            )));
        }
        if d.size.div_ceil(8) != bits.len() as u64 {
            return Err(malformed(format!(
                "size {} does not match a {}-byte bitstring",
                d.size,
                bits.len()
            )));
        }
        let list = StatusList {
            issued,
            next_update,
            size: d.size,
            bits,
            lab: lab.name().to_owned(),
            kid: kid_hex,
            entries: Vec::new(),
        };
        if let Some(e) = d.revocations.iter().find(|e| {
            !list.is_revoked(e.serial)
                || e.reason.len() > MAX_REASON_BYTES
                || e.reason.chars().any(crate::claims::is_forbidden_char)
                || OffsetDateTime::parse(&e.revoked_at, &Rfc3339).is_err()
        }) {
            return Err(malformed(format!(
                "revocation entry for serial {} is not revoked on the list, or its date or reason is malformed",
                e.serial
            )));
        }
        let list = StatusList {
            entries: d.revocations,
            ..list
        };
        if list.revoked_count() != d.revoked {
            return Err(malformed(format!(
                "revoked count {} does not match the {} bits set",
                d.revoked,
                list.revoked_count()
            )));
        }
        Ok(list)
    }

    /// Signs an arbitrary payload as a status list, so a fuzzer can reach the
    /// document parser behind the signature check. Not for production use.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn sign_any_payload(signer: &LabelSigner, payload: Vec<u8>) -> Result<Vec<u8>, LabelError> {
        signed_doc::sign(
            signer.signing_key(),
            signer.certificate().kid(),
            CONTENT_TYPE,
            payload,
        )
    }

    /// The signer's kid, hex (empty until verified).
    pub fn kid(&self) -> &str {
        &self.kid
    }
}
