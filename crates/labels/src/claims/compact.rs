//! The compact claims format (format 2): see the table in the parent module.
//!
//! Decoding is as strict as for format 1 — ascending unique keys, shortest
//! integers, definite lengths, no trailing bytes — and adds the compact
//! format's own canonical rules: a known scheme only as its code, GTIN digits
//! only as packed BCD with a single `F` filler nibble for an odd count, and
//! exactly one of the two contact keys. The re-encoding comparison in the
//! parent then catches anything these checks could have missed.

use super::{date_from_days, days_since_epoch, key, limits, Claims, ReportDigest};
use crate::cbor::{Reader, UintOrText, Writer};
use crate::error::ClaimsError;

/// Key 0: the format version, present only in compact claims.
pub(super) const VERSION_KEY: u64 = 0;
/// The version number compact claims carry.
const VERSION: u64 = 2;
/// Key 11: a `mailto:` contact (key 8 holds an `https://` one).
const MAILTO_CONTACT_KEY: u64 = 11;
/// Key 12: a demonstration label (from a simulated product), as uint `1`.
const SIMULATED_KEY: u64 = 12;
/// Most map entries: version, ten fields (one of the two contacts), GTIN,
/// the demonstration mark.
pub(super) const MAX_ENTRIES: u64 = 12;

pub(super) const HTTPS: &str = "https://";
pub(super) const MAILTO: &str = "mailto:";

/// Schemes written as one-byte codes. Codes are never reused; a new scheme
/// gets the next number and older verifiers refuse it by code, as they would
/// refuse any scheme they did not know.
pub const SCHEME_CODES: [(u64, &str); 3] = [(1, "uk-psti"), (2, "en303645"), (3, "en303645-full")];

fn scheme_code(name: &str) -> Option<u64> {
    SCHEME_CODES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(c, _)| *c)
}

fn scheme_name(code: u64) -> Option<&'static str> {
    SCHEME_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

/// GTIN digits as packed BCD: two digits a byte, high nibble first, an odd
/// count ending in the filler nibble `F`. Digits were validated before signing.
fn pack_gtin(gtin: &str) -> Vec<u8> {
    let nibbles: Vec<u8> = gtin.bytes().map(|b| b.wrapping_sub(b'0') & 0x0f).collect();
    nibbles
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => (hi << 4) | lo,
            [hi] => (hi << 4) | 0x0f,
            _ => 0xff,
        })
        .collect()
}

fn unpack_gtin(packed: &[u8]) -> Result<String, ClaimsError> {
    let invalid = |reason: &str| ClaimsError::InvalidField {
        field: "gtin",
        reason: reason.to_owned(),
    };
    let mut out = String::with_capacity(packed.len() * 2);
    for (i, byte) in packed.iter().enumerate() {
        let last = i + 1 == packed.len();
        for (j, nibble) in [byte >> 4, byte & 0x0f].into_iter().enumerate() {
            match nibble {
                0..=9 => out.push(char::from(b'0' + nibble)),
                0x0f if last && j == 1 => {}
                _ => return Err(invalid("packed digits hold a nibble that is not a digit")),
            }
        }
    }
    Ok(out)
}

pub(super) fn encode(claims: &Claims, report_prefix: &[u8; 16]) -> Vec<u8> {
    let mut w = Writer::new();
    w.map(10 + usize::from(claims.gtin.is_some()) + usize::from(claims.simulated));
    w.uint(VERSION_KEY);
    w.uint(VERSION);
    w.uint(key::SERIAL);
    w.uint(claims.serial);
    w.uint(key::ISSUED);
    w.int(days_since_epoch(claims.issued));
    w.uint(key::MANUFACTURER);
    w.text(&claims.manufacturer);
    w.uint(key::MODEL);
    w.text(&claims.model);
    w.uint(key::FIRMWARE);
    w.text(&claims.firmware);
    if let Some(gtin) = &claims.gtin {
        w.uint(key::GTIN);
        w.bytes(&pack_gtin(gtin));
    }
    w.uint(key::SUPPORT_END);
    w.int(days_since_epoch(claims.support_end));
    // Validation guarantees one of the two prefixes; anything else would
    // fail the re-encoding check on the way back in.
    let https = claims.disclosure_contact.strip_prefix(HTTPS);
    if let Some(rest) = https {
        w.uint(key::DISCLOSURE_CONTACT);
        w.text(rest);
    }
    w.uint(key::SCHEMES);
    w.array(claims.schemes.len());
    for scheme in &claims.schemes {
        match scheme_code(scheme) {
            Some(code) => w.uint(code),
            None => w.text(scheme),
        }
    }
    w.uint(key::REPORT_SHA256);
    w.bytes(report_prefix);
    if https.is_none() {
        let rest = claims
            .disclosure_contact
            .strip_prefix(MAILTO)
            .unwrap_or(&claims.disclosure_contact);
        w.uint(MAILTO_CONTACT_KEY);
        w.text(rest);
    }
    if claims.simulated {
        w.uint(SIMULATED_KEY);
        w.uint(1);
    }
    w.into_bytes()
}

/// Decodes compact claims; `r` stands just after the map header.
pub(super) fn decode(
    mut r: Reader<'_>,
    entries: usize,
    bytes: &[u8],
) -> Result<Claims, ClaimsError> {
    let mut serial = None;
    let mut issued = None;
    let mut manufacturer = None;
    let mut model = None;
    let mut firmware = None;
    let mut gtin = None;
    let mut support_end = None;
    let mut contact = None;
    let mut schemes = None;
    let mut report = None;
    let mut simulated = false;
    let mut previous: Option<u64> = None;
    for _ in 0..entries {
        let k = r.expect_uint("claims key")?;
        match previous {
            Some(p) if k == p => return Err(ClaimsError::DuplicateKey { key: k }),
            Some(p) if k < p => {
                return Err(ClaimsError::UnsortedKeys {
                    key: k,
                    previous: p,
                })
            }
            _ => {}
        }
        previous = Some(k);
        match k {
            VERSION_KEY => {
                let v = r.expect_uint("format version")?;
                if v != VERSION {
                    return Err(ClaimsError::InvalidField {
                        field: "format version",
                        reason: format!("version {v} is not one this verifier knows (2)"),
                    });
                }
            }
            key::SERIAL => serial = Some(r.expect_uint("serial")?),
            key::ISSUED => issued = Some(date_from_days("issued", r.expect_int("issued")?)?),
            key::MANUFACTURER => {
                manufacturer = Some(
                    r.expect_text("manufacturer", limits::MANUFACTURER)?
                        .to_owned(),
                );
            }
            key::MODEL => model = Some(r.expect_text("model", limits::MODEL)?.to_owned()),
            key::FIRMWARE => {
                firmware = Some(r.expect_text("firmware", limits::FIRMWARE)?.to_owned())
            }
            key::GTIN => gtin = Some(unpack_gtin(r.expect_bytes("gtin", 7)?)?),
            key::SUPPORT_END => {
                support_end = Some(date_from_days("support_end", r.expect_int("support_end")?)?);
            }
            key::DISCLOSURE_CONTACT => {
                let max = limits::DISCLOSURE_CONTACT - HTTPS.len() as u64;
                contact = Some(format!(
                    "{HTTPS}{}",
                    r.expect_text("disclosure_contact", max)?
                ));
            }
            MAILTO_CONTACT_KEY => {
                if contact.is_some() {
                    return Err(ClaimsError::InvalidField {
                        field: "disclosure_contact",
                        reason: "both an https: and a mailto: contact".to_owned(),
                    });
                }
                let max = limits::DISCLOSURE_CONTACT - MAILTO.len() as u64;
                contact = Some(format!(
                    "{MAILTO}{}",
                    r.expect_text("disclosure_contact", max)?
                ));
            }
            key::SCHEMES => {
                let n = r.expect_array("schemes", limits::SCHEMES)?;
                let mut list = Vec::with_capacity(n);
                for _ in 0..n {
                    let name = match r.expect_uint_or_text("schemes", limits::SCHEME_NAME)? {
                        UintOrText::Uint(code) => scheme_name(code)
                            .ok_or_else(|| ClaimsError::InvalidField {
                                field: "schemes",
                                reason: format!("unknown scheme code {code}"),
                            })?
                            .to_owned(),
                        UintOrText::Text(name) if scheme_code(name).is_some() => {
                            return Err(ClaimsError::NonCanonical {
                                offset: 0,
                                reason: "a known scheme written as text instead of its code",
                            })
                        }
                        UintOrText::Text(name) => name.to_owned(),
                    };
                    list.push(name);
                }
                schemes = Some(list);
            }
            key::REPORT_SHA256 => {
                let b = r.expect_bytes("report_sha256", 16)?;
                let prefix: [u8; 16] = b.try_into().map_err(|_| ClaimsError::InvalidField {
                    field: "report_sha256",
                    reason: format!("must be 16 bytes in compact claims, found {}", b.len()),
                })?;
                report = Some(ReportDigest::Sha256Prefix(prefix));
            }
            SIMULATED_KEY => {
                let v = r.expect_uint("simulated")?;
                if v != 1 {
                    return Err(ClaimsError::InvalidField {
                        field: "simulated",
                        reason: format!(
                            "{v}: a demonstration label holds 1 here; others omit the key"
                        ),
                    });
                }
                simulated = true;
            }
            other => return Err(ClaimsError::UnknownKey { key: other }),
        }
    }
    if r.remaining() != 0 {
        return Err(ClaimsError::TrailingBytes {
            count: r.remaining(),
        });
    }
    let missing = |field| ClaimsError::MissingField { field };
    let claims = Claims {
        serial: serial.ok_or_else(|| missing("serial"))?,
        issued: issued.ok_or_else(|| missing("issued"))?,
        manufacturer: manufacturer.ok_or_else(|| missing("manufacturer"))?,
        model: model.ok_or_else(|| missing("model"))?,
        firmware: firmware.ok_or_else(|| missing("firmware"))?,
        gtin,
        support_end: support_end.ok_or_else(|| missing("support_end"))?,
        disclosure_contact: contact.ok_or_else(|| missing("disclosure_contact"))?,
        schemes: schemes.ok_or_else(|| missing("schemes"))?,
        report_sha256: report.ok_or_else(|| missing("report_sha256"))?,
        simulated,
    };
    claims.check()?;
    if claims.to_cbor() != bytes {
        return Err(ClaimsError::NonCanonical {
            offset: 0,
            reason: "re-encoding does not reproduce the input",
        });
    }
    Ok(claims)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn gtin_packing() {
        assert_eq!(
            pack_gtin("5012345678900"),
            [0x50, 0x12, 0x34, 0x56, 0x78, 0x90, 0x0f]
        );
        assert_eq!(pack_gtin("96385074"), [0x96, 0x38, 0x50, 0x74]);
        for g in [
            "5012345678900",
            "96385074",
            "036000291452",
            "10614141000415",
        ] {
            assert_eq!(unpack_gtin(&pack_gtin(g)).unwrap(), g);
        }
        assert!(unpack_gtin(&[0x5a]).is_err());
        assert!(
            unpack_gtin(&[0x5f, 0x12]).is_err(),
            "filler only at the end"
        );
        assert!(
            unpack_gtin(&[0xf1]).is_err(),
            "filler only in the low nibble"
        );
    }
}
