//! Label claims and their deterministic CBOR encoding.
//!
//! The claims are what the lab signs: a CBOR map with small integer keys in
//! ascending order, in core deterministic encoding (RFC 8949 §4.2.1). There
//! are two formats. New labels use the **compact** format (format 2), which a
//! key 0 holding `2` announces; labels issued before it (format 1, no key 0)
//! still verify. The format follows from the [`ReportDigest`] a `Claims`
//! holds, so there is no way to ask for a compact label with a full digest.
//!
//! | key | field                | format 1                                  | compact (format 2)                                  |
//! |-----|----------------------|-------------------------------------------|-----------------------------------------------------|
//! | 0   | format version       | absent                                    | uint `2`                                            |
//! | 1   | `serial`             | uint                                      | uint                                                |
//! | 2   | `issued`             | int, days since 1970-01-01                | same                                                |
//! | 3   | `manufacturer`       | tstr, 1..=128 bytes                       | same                                                |
//! | 4   | `model`              | tstr, 1..=64 bytes                        | same                                                |
//! | 5   | `firmware`           | tstr, 1..=64 bytes                        | same                                                |
//! | 6   | `gtin` (optional)    | tstr, 8, 12, 13 or 14 digits              | bstr, the digits packed two a byte (BCD)            |
//! | 7   | `support_end`        | int, days since 1970-01-01                | same                                                |
//! | 8   | `disclosure_contact` | tstr, `https://` or `mailto:` URI         | tstr, an `https://` URI without its `https://`      |
//! | 9   | `schemes`            | array of 1..=8 names (`[a-z0-9-]{1,32}`)  | array of scheme codes (uint) or other names (tstr)  |
//! | 10  | `report_sha256`      | bstr, 32 bytes: SHA-256 of the report     | bstr, 16 bytes: the first half of that SHA-256      |
//! | 11  | `disclosure_contact` | —                                         | tstr, a `mailto:` address without its `mailto:`     |
//! | 12  | `simulated`          | —                                         | uint `1`, present only on a demonstration label     |
//!
//! Dates are integers (the day count of RFC 8943's tag 100, untagged because the
//! key already fixes the type) rather than `"YYYY-MM-DD"` text: 3 bytes instead
//! of 11 each, and the label has to fit a QR code. An absent GTIN is an absent
//! key, not `null`.
//!
//! Why a compact format: a realistic format-1 label is about 257 bytes, and a
//! version-11 QR code at ECC level M holds 229 behind the default base URL.
//! The compact format saves about 35 bytes on such a label, with nothing lost
//! but half the report hash: the GTIN packs 13 digits into 7 bytes; the
//! contact drops the scheme it always starts with (key 8 or 11 says which);
//! the three schemes iotmark knows are one-byte codes (`uk-psti` 1,
//! `en303645` 2, `en303645-full` 3), and a code is the only accepted spelling
//! of a known scheme. The report hash is cut to 128 bits. What it is for is
//! matching the report a lab produces on demand against the label: finding a
//! *second* report with the same 128-bit prefix costs 2^128 hashes, as out of
//! reach as for the full hash. Only collision resistance halves (2^64), and a
//! collision helps only whoever writes both reports before signing — the lab
//! itself, which could sign anything it liked anyway.
//!
//! A demonstration label (key 12) was issued from a run against a simulated
//! product: the signature says so, so no verifier can show it as a tested
//! product. It exists only in the compact format; format-1 claims cannot
//! carry it, and a key 12 holding anything but `1` is refused (absent is the
//! only spelling of "not simulated").
//!
//! Text fields must not contain control characters or Unicode bidirectional
//! overrides: claims are shown to consumers and regulators on screens and in
//! terminals, and a forged label must not be able to rearrange what they read.

mod compact;

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::cbor::{Reader, Writer};
use crate::error::{ClaimsError, LabelError};

/// Bounds on the claims, enforced when encoding for signing and when decoding.
pub mod limits {
    /// Longest manufacturer name, in bytes.
    pub const MANUFACTURER: u64 = 128;
    /// Longest model designation, in bytes.
    pub const MODEL: u64 = 64;
    /// Longest firmware version, in bytes.
    pub const FIRMWARE: u64 = 64;
    /// Longest disclosure contact URI, in bytes.
    pub const DISCLOSURE_CONTACT: u64 = 256;
    /// Most schemes on one label.
    pub const SCHEMES: u64 = 8;
    /// Longest scheme name, in bytes.
    pub const SCHEME_NAME: u64 = 32;
}

/// What a signed label asserts about a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Label serial number, unique per lab (indexes the lab's status list).
    pub serial: u64,
    /// Day the label was issued.
    #[serde(with = "iso_date")]
    pub issued: Date,
    /// Manufacturer's name.
    pub manufacturer: String,
    /// Model designation.
    pub model: String,
    /// Firmware version that was tested.
    pub firmware: String,
    /// GTIN-8/12/13/14, as digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// Last day of the defined support period (security updates).
    #[serde(with = "iso_date")]
    pub support_end: Date,
    /// Where to report a vulnerability: an `https:` or `mailto:` URI.
    pub disclosure_contact: String,
    /// Schemes passed, e.g. `["uk-psti"]`.
    pub schemes: Vec<String>,
    /// SHA-256 of the full test report (or, in compact labels, its first 16
    /// bytes), so the evidence can be demanded and matched. Decides the format.
    pub report_sha256: ReportDigest,
    /// A demonstration label: the run was against a simulated product, not a
    /// tested one (compact claims only).
    #[serde(default)]
    pub simulated: bool,
}

/// Which encoding a label's claims use (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "u8")]
pub enum ClaimsFormat {
    /// The first format: full report hash, GTIN and contact as text.
    V1,
    /// The compact format, version 2: what new labels use.
    Compact,
}

impl ClaimsFormat {
    /// The version number (1 or 2), as key 0 of compact claims carries it.
    pub fn number(self) -> u8 {
        match self {
            ClaimsFormat::V1 => 1,
            ClaimsFormat::Compact => 2,
        }
    }
}

impl From<ClaimsFormat> for u8 {
    fn from(f: ClaimsFormat) -> u8 {
        f.number()
    }
}

/// The report hash a label carries. Hex in JSON (64 or 32 digits).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportDigest {
    /// The whole SHA-256 of the report: format-1 labels.
    Sha256([u8; 32]),
    /// The first 16 bytes of the report's SHA-256: compact labels.
    Sha256Prefix([u8; 16]),
}

impl ReportDigest {
    /// The digest a new (compact) label carries for these report bytes.
    pub fn compact(report: &[u8]) -> Self {
        let full = crate::report_digest(report);
        let mut prefix = [0u8; 16];
        prefix.copy_from_slice(full.get(..16).unwrap_or(&[0; 16]));
        ReportDigest::Sha256Prefix(prefix)
    }

    /// The digest bytes as signed.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            ReportDigest::Sha256(d) => d,
            ReportDigest::Sha256Prefix(d) => d,
        }
    }

    /// Whether `report` is the report this digest names.
    pub fn matches(&self, report: &[u8]) -> bool {
        let full = crate::report_digest(report);
        full.starts_with(self.as_bytes())
    }

    /// The claims format that carries this digest.
    pub fn format(&self) -> ClaimsFormat {
        match self {
            ReportDigest::Sha256(_) => ClaimsFormat::V1,
            ReportDigest::Sha256Prefix(_) => ClaimsFormat::Compact,
        }
    }
}

impl From<[u8; 32]> for ReportDigest {
    fn from(d: [u8; 32]) -> Self {
        ReportDigest::Sha256(d)
    }
}

impl fmt::Debug for ReportDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.as_bytes()))
    }
}

impl Serialize for ReportDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.as_bytes()))
    }
}

impl<'de> Deserialize<'de> for ReportDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        if let Ok(full) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(ReportDigest::Sha256(full));
        }
        <[u8; 16]>::try_from(bytes.as_slice())
            .map(ReportDigest::Sha256Prefix)
            .map_err(|_| serde::de::Error::custom("a report digest is 32 or 16 bytes of hex"))
    }
}

mod key {
    pub const SERIAL: u64 = 1;
    pub const ISSUED: u64 = 2;
    pub const MANUFACTURER: u64 = 3;
    pub const MODEL: u64 = 4;
    pub const FIRMWARE: u64 = 5;
    pub const GTIN: u64 = 6;
    pub const SUPPORT_END: u64 = 7;
    pub const DISCLOSURE_CONTACT: u64 = 8;
    pub const SCHEMES: u64 = 9;
    pub const REPORT_SHA256: u64 = 10;
}

impl Claims {
    /// Which encoding these claims use: compact unless the digest is a full
    /// SHA-256 (a format-1 label).
    pub fn format(&self) -> ClaimsFormat {
        self.report_sha256.format()
    }

    /// The deterministic CBOR encoding, in the claims' format. Infallible:
    /// every `Claims` value has an encoding; whether it is *acceptable* is
    /// [`Claims::validate`]'s job, which signing runs first.
    pub fn to_cbor(&self) -> Vec<u8> {
        match &self.report_sha256 {
            ReportDigest::Sha256(digest) => self.to_cbor_v1(digest),
            ReportDigest::Sha256Prefix(digest) => compact::encode(self, digest),
        }
    }

    fn to_cbor_v1(&self, report_sha256: &[u8; 32]) -> Vec<u8> {
        let mut w = Writer::new();
        w.map(if self.gtin.is_some() { 10 } else { 9 });
        w.uint(key::SERIAL);
        w.uint(self.serial);
        w.uint(key::ISSUED);
        w.int(days_since_epoch(self.issued));
        w.uint(key::MANUFACTURER);
        w.text(&self.manufacturer);
        w.uint(key::MODEL);
        w.text(&self.model);
        w.uint(key::FIRMWARE);
        w.text(&self.firmware);
        if let Some(gtin) = &self.gtin {
            w.uint(key::GTIN);
            w.text(gtin);
        }
        w.uint(key::SUPPORT_END);
        w.int(days_since_epoch(self.support_end));
        w.uint(key::DISCLOSURE_CONTACT);
        w.text(&self.disclosure_contact);
        w.uint(key::SCHEMES);
        w.array(self.schemes.len());
        for scheme in &self.schemes {
            w.text(scheme);
        }
        w.uint(key::REPORT_SHA256);
        w.bytes(report_sha256);
        w.into_bytes()
    }

    /// Decodes and validates claims, accepting only the deterministic encoding:
    /// unknown, duplicate or unsorted keys, indefinite lengths, non-shortest
    /// integers, wrong types, over-long strings and trailing bytes are refused.
    pub fn from_cbor(bytes: &[u8]) -> Result<Claims, LabelError> {
        Ok(Self::decode(bytes)?)
    }

    fn decode(bytes: &[u8]) -> Result<Claims, ClaimsError> {
        let mut r = Reader::new(bytes);
        let entries = r.expect_map("claims", compact::MAX_ENTRIES)?;
        // Compact claims start with key 0; format-1 claims never have it.
        if matches!(r.clone().expect_uint("claims key"), Ok(k) if k == compact::VERSION_KEY) {
            return compact::decode(r, entries, bytes);
        }
        if entries > 10 {
            return Err(ClaimsError::TooLong {
                field: "claims",
                len: entries as u64,
                max: 10,
            });
        }
        let mut serial = None;
        let mut issued = None;
        let mut manufacturer = None;
        let mut model = None;
        let mut firmware = None;
        let mut gtin = None;
        let mut support_end = None;
        let mut disclosure_contact = None;
        let mut schemes = None;
        let mut report_sha256 = None;
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
                key::GTIN => gtin = Some(r.expect_text("gtin", 14)?.to_owned()),
                key::SUPPORT_END => {
                    support_end =
                        Some(date_from_days("support_end", r.expect_int("support_end")?)?);
                }
                key::DISCLOSURE_CONTACT => {
                    disclosure_contact = Some(
                        r.expect_text("disclosure_contact", limits::DISCLOSURE_CONTACT)?
                            .to_owned(),
                    );
                }
                key::SCHEMES => {
                    let n = r.expect_array("schemes", limits::SCHEMES)?;
                    let mut list = Vec::with_capacity(n);
                    for _ in 0..n {
                        list.push(r.expect_text("schemes", limits::SCHEME_NAME)?.to_owned());
                    }
                    schemes = Some(list);
                }
                key::REPORT_SHA256 => {
                    let b = r.expect_bytes("report_sha256", 32)?;
                    let digest: [u8; 32] = b.try_into().map_err(|_| ClaimsError::InvalidField {
                        field: "report_sha256",
                        reason: format!("must be 32 bytes, found {}", b.len()),
                    })?;
                    report_sha256 = Some(ReportDigest::Sha256(digest));
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
            disclosure_contact: disclosure_contact.ok_or_else(|| missing("disclosure_contact"))?,
            schemes: schemes.ok_or_else(|| missing("schemes"))?,
            report_sha256: report_sha256.ok_or_else(|| missing("report_sha256"))?,
            simulated: false,
        };
        claims.check()?;
        // Belt and braces: the reader above already refuses every
        // non-canonical form it can see; re-encoding and comparing catches
        // anything it could have missed.
        if claims.to_cbor() != bytes {
            return Err(ClaimsError::NonCanonical {
                offset: 0,
                reason: "re-encoding does not reproduce the input",
            });
        }
        Ok(claims)
    }

    /// Checks every field against the bounds and formats in the module docs.
    pub fn validate(&self) -> Result<(), LabelError> {
        Ok(self.check()?)
    }

    fn check(&self) -> Result<(), ClaimsError> {
        check_text("manufacturer", &self.manufacturer, limits::MANUFACTURER)?;
        check_text("model", &self.model, limits::MODEL)?;
        check_text("firmware", &self.firmware, limits::FIRMWARE)?;
        if let Some(gtin) = &self.gtin {
            check_gtin(gtin)?;
        }
        check_text(
            "disclosure_contact",
            &self.disclosure_contact,
            limits::DISCLOSURE_CONTACT,
        )?;
        check_contact(&self.disclosure_contact)?;
        if self.format() == ClaimsFormat::Compact
            && !(self.disclosure_contact.starts_with(compact::HTTPS)
                || self.disclosure_contact.starts_with(compact::MAILTO))
        {
            return Err(ClaimsError::InvalidField {
                field: "disclosure_contact",
                reason: format!(
                    "{:?}: compact labels write the scheme in lower case (https: or mailto:)",
                    self.disclosure_contact
                ),
            });
        }
        if self.simulated && self.format() != ClaimsFormat::Compact {
            return Err(ClaimsError::InvalidField {
                field: "simulated",
                reason: "only compact (format 2) claims can mark a demonstration label".to_owned(),
            });
        }
        if self.schemes.is_empty() {
            return Err(ClaimsError::InvalidField {
                field: "schemes",
                reason: "at least one scheme is required".to_owned(),
            });
        }
        let count = self.schemes.len() as u64;
        if count > limits::SCHEMES {
            return Err(ClaimsError::TooLong {
                field: "schemes",
                len: count,
                max: limits::SCHEMES,
            });
        }
        for (i, scheme) in self.schemes.iter().enumerate() {
            check_scheme_name(scheme).map_err(|reason| ClaimsError::InvalidField {
                field: "schemes",
                reason,
            })?;
            if self.schemes.iter().take(i).any(|s| s == scheme) {
                return Err(ClaimsError::InvalidField {
                    field: "schemes",
                    reason: format!("{scheme} listed twice"),
                });
            }
        }
        Ok(())
    }
}

/// Checks a scheme name: 1..=32 of `a-z`, `0-9`, `-`. Shared with certificate scopes.
pub(crate) fn check_scheme_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() as u64 > limits::SCHEME_NAME {
        return Err(format!(
            "scheme name {name:?} must be 1 to {} characters",
            limits::SCHEME_NAME
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "scheme name {name:?} contains {c:?}; use a-z, 0-9 and -"
        ));
    }
    Ok(())
}

/// True for characters that must never reach a consumer's screen from a label:
/// controls, and the Unicode bidirectional embeddings, overrides and isolates.
pub(crate) fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn check_text(field: &'static str, value: &str, max: u64) -> Result<(), ClaimsError> {
    let len = value.len() as u64;
    if len > max {
        return Err(ClaimsError::TooLong { field, len, max });
    }
    if value.trim().is_empty() {
        return Err(ClaimsError::InvalidField {
            field,
            reason: "must not be empty".to_owned(),
        });
    }
    if let Some(c) = value.chars().find(|&c| is_forbidden_char(c)) {
        return Err(ClaimsError::InvalidField {
            field,
            reason: format!(
                "contains the control or bidirectional character U+{:04X}",
                u32::from(c)
            ),
        });
    }
    Ok(())
}

/// GS1 GTIN check: 8, 12, 13 or 14 digits, the last being the mod-10 check digit
/// (weights 3,1,3,… from the digit before it, leftwards).
pub(crate) fn check_gtin(gtin: &str) -> Result<(), ClaimsError> {
    let invalid = |reason: String| ClaimsError::InvalidField {
        field: "gtin",
        reason,
    };
    if !matches!(gtin.len(), 8 | 12 | 13 | 14) || !gtin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!("{gtin:?} is not 8, 12, 13 or 14 digits")));
    }
    let digits: Vec<u32> = gtin.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    let expected = (10 - sum % 10) % 10;
    if check.first() != Some(&expected) {
        return Err(invalid(format!(
            "{gtin} has a wrong check digit (expected {expected})"
        )));
    }
    Ok(())
}

/// The disclosure contact must be something a consumer can act on, and
/// nothing else: an `https://` URL whose authority is a host name or IP
/// literal (with at most a port) and holds no user information, or a
/// `mailto:` URI naming exactly one address and no header fields (which
/// could add recipients or a body). No whitespace anywhere.
///
/// `https://maker.example@evil.example/` is refused (the page would show
/// the maker's name and link to another host), and so is
/// `https://javascript:alert(1)` (no port is `alert(1)`).
fn check_contact(contact: &str) -> Result<(), ClaimsError> {
    let invalid = |reason: &str| ClaimsError::InvalidField {
        field: "disclosure_contact",
        reason: format!("{contact:?} {reason}"),
    };
    if contact.chars().any(char::is_whitespace) {
        return Err(invalid("contains whitespace"));
    }
    let lower = contact.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("https://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(invalid(
                "names a user before its host (user information is not allowed)",
            ));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            match v6.split_once(']') {
                Some((addr, after)) if addr.parse::<std::net::Ipv6Addr>().is_ok() => {
                    (addr, after.strip_prefix(':'))
                }
                _ => return Err(invalid("has a malformed IPv6 host")),
            }
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(invalid("has no host"));
        }
        if !authority.starts_with('[') && !is_host_name(host) {
            return Err(invalid(
                "has a host that is not a DNS name or an IP address",
            ));
        }
        if let Some(port) = port {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("has a port that is not a number"));
            }
        }
        Ok(())
    } else if let Some(rest) = lower.strip_prefix("mailto:") {
        if rest.contains(['?', ',', ';', '%']) {
            return Err(invalid(
                "must name one address, with no header fields, lists or escapes",
            ));
        }
        match rest.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && !domain.contains('@') && is_host_name(domain) =>
            {
                Ok(())
            }
            _ => Err(invalid("is not a mailto: address")),
        }
    } else {
        Err(invalid("must be an https: or mailto: URI"))
    }
}

/// A DNS name (letters, digits, hyphens and dots, labels of 1 to 63
/// characters not starting or ending with a hyphen) or a dotted IPv4 address.
fn is_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Longest support period a label may promise after its issue date.
pub const MAX_SUPPORT_YEARS: i32 = 30;

/// How far a label's issue date may run ahead of the verifier's clock.
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(10);

impl Claims {
    /// The rules on what a lab may sign that depend on dates: the issue date
    /// is not in the future (by `now`, with [`CLOCK_SKEW`] allowed), and the
    /// support period ends after the issue date and at most
    /// [`MAX_SUPPORT_YEARS`] years after it. Checked when a label is issued
    /// and again on every verification (against the real clock, not the
    /// date asked about).
    pub fn check_dates(&self, now: time::OffsetDateTime) -> Result<(), LabelError> {
        let invalid = |field: &'static str, reason: String| {
            LabelError::Claims(ClaimsError::InvalidField { field, reason })
        };
        let latest_issue = (now + CLOCK_SKEW).date();
        if self.issued > latest_issue {
            return Err(invalid(
                "issued",
                format!("{} is in the future (today is {})", self.issued, now.date()),
            ));
        }
        if self.support_end <= self.issued {
            return Err(invalid(
                "support_end",
                format!(
                    "{} is not after the issue date {}",
                    self.support_end, self.issued
                ),
            ));
        }
        let limit = add_years(self.issued, MAX_SUPPORT_YEARS);
        if self.support_end > limit {
            return Err(invalid(
                "support_end",
                format!(
                    "{} is more than {MAX_SUPPORT_YEARS} years after the issue date {} (at most {limit})",
                    self.support_end, self.issued
                ),
            ));
        }
        Ok(())
    }
}

/// `date` plus `years`, 29 February becoming 28 February in a common year;
/// the latest representable date if that overflows.
fn add_years(date: Date, years: i32) -> Date {
    let year = date.year().saturating_add(years);
    date.replace_year(year)
        .or_else(|_| date.replace_day(28).and_then(|d| d.replace_year(year)))
        .unwrap_or(Date::MAX)
}

/// A GTIN in its 14-digit form (GTIN-8, -12 and -13 padded with leading
/// zeros), as GS1 Digital Link URIs and AI (01) carry it.
pub fn gtin14(gtin: &str) -> String {
    format!("{gtin:0>14}")
}

fn days_since_epoch(date: Date) -> i64 {
    i64::from(date.to_julian_day() - time::macros::date!(1970 - 01 - 01).to_julian_day())
}

fn date_from_days(field: &'static str, days: i64) -> Result<Date, ClaimsError> {
    let epoch = i64::from(time::macros::date!(1970 - 01 - 01).to_julian_day());
    epoch
        .checked_add(days)
        .and_then(|jd| i32::try_from(jd).ok())
        .and_then(|jd| Date::from_julian_day(jd).ok())
        .ok_or_else(|| ClaimsError::InvalidField {
            field,
            reason: format!("{days} days from 1970-01-01 is not a representable date"),
        })
}

/// `YYYY-MM-DD` in JSON, which is what `verify --format json` promises.
pub(crate) mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    use crate::ISO_DATE as FORMAT;

    pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        let text = date.format(FORMAT).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text, FORMAT).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    fn sample() -> Claims {
        Claims {
            serial: 7,
            issued: date!(2025 - 03 - 01),
            manufacturer: "Acme".into(),
            model: "M1".into(),
            firmware: "1.0".into(),
            gtin: Some("4006381333931".into()),
            support_end: date!(2030 - 03 - 01),
            disclosure_contact: "mailto:security@acme.example".into(),
            schemes: vec!["uk-psti".into()],
            report_sha256: [0xab; 32].into(),
            simulated: false,
        }
    }

    #[test]
    fn gtin_check_digits() {
        for good in [
            "4006381333931",
            "96385074",
            "036000291452",
            "10614141000415",
        ] {
            assert!(check_gtin(good).is_ok(), "{good}");
        }
        for bad in ["4006381333932", "1234567", "40063813339a1", ""] {
            assert!(check_gtin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_are_day_counts() {
        assert_eq!(days_since_epoch(date!(1970 - 01 - 02)), 1);
        assert_eq!(days_since_epoch(date!(1969 - 12 - 31)), -1);
        assert_eq!(date_from_days("d", 20_000).unwrap(), date!(2024 - 10 - 04));
        assert!(date_from_days("d", i64::MAX).is_err());
        assert!(date_from_days("d", 10_000_000).is_err());
    }

    #[test]
    fn round_trip() {
        let c = sample();
        assert_eq!(Claims::from_cbor(&c.to_cbor()).unwrap(), c);
        let mut no_gtin = sample();
        no_gtin.gtin = None;
        assert_eq!(Claims::from_cbor(&no_gtin.to_cbor()).unwrap(), no_gtin);
    }

    #[test]
    fn bidi_and_control_characters_are_refused() {
        let mut c = sample();
        c.manufacturer = "Acme\u{202E}evil".into();
        assert!(c.validate().is_err());
        c.manufacturer = "Acme\x1b[31m".into();
        assert!(c.validate().is_err());
        assert!(Claims::from_cbor(&c.to_cbor()).is_err());
    }

    #[test]
    fn json_uses_iso_dates_and_hex() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(json["support_end"], "2030-03-01");
        assert_eq!(json["report_sha256"], "ab".repeat(32));
        let back: Claims = serde_json::from_value(json).unwrap();
        assert_eq!(back, sample());
    }
}
