//! Error types.
//!
//! One top-level [`LabelError`] for the crate's fallible operations, with the
//! label-format and claims problems split out so that verification can report
//! exactly what was wrong with a forged or damaged label. Every variant carries
//! the context a caller needs (which file, which field, which certificate and
//! its validity), never just a bare string.

use std::path::PathBuf;

use time::Date;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What we were doing ("read", "create", "write", …).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A key or certificate file already exists; we never overwrite keys.
    #[error("refusing to overwrite existing file {}", path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A file is larger than anything we would accept from it.
    #[error("{} is {len} bytes, over the {max}-byte limit", path.display())]
    FileTooLarge {
        /// The file concerned.
        path: PathBuf,
        /// Its size.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A private key could not be read.
    #[error("invalid private key{}: {reason}", describe_path(path.as_ref()))]
    Key {
        /// The key file, when the key came from one.
        path: Option<PathBuf>,
        /// What was wrong.
        reason: String,
    },
    /// A certificate could not be parsed or is unusable for its role.
    #[error("invalid certificate{}: {reason}", describe_path(path.as_ref()))]
    Certificate {
        /// The certificate file, when it came from one.
        path: Option<PathBuf>,
        /// What was wrong.
        reason: String,
    },
    /// A certificate does not chain to the trust anchor.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// Building a certificate failed.
    #[error("cannot generate certificate for {common_name}: {reason}")]
    CertificateGeneration {
        /// The subject being certified.
        common_name: String,
        /// What went wrong.
        reason: String,
    },
    /// A caller-supplied value is unusable (a name, a scope, a base URL, a date range).
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Which input.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The signing key is not the key the lab certificate certifies.
    #[error("the signing key does not match the public key of lab certificate {lab} (kid {kid})")]
    KeyMismatch {
        /// The lab certificate's name.
        lab: String,
        /// The certificate's key id, hex.
        kid: String,
    },
    /// A claimed scheme is outside the lab's accreditation scope.
    #[error(
        "scheme {scheme} is outside the accreditation scope of lab {lab} ({})",
        scope_list(scope)
    )]
    SchemeOutOfScope {
        /// The claimed scheme.
        scheme: String,
        /// The lab certificate's name.
        lab: String,
        /// The scope the certificate grants.
        scope: Vec<String>,
    },
    /// The label's issue date falls outside a certificate's validity.
    #[error(
        "{role} certificate not valid on issue date {date}: valid from {not_before} to {not_after}"
    )]
    NotValidOnIssueDate {
        /// "lab" or "trust anchor".
        role: &'static str,
        /// The label's issue date.
        date: Date,
        /// First day of validity.
        not_before: Date,
        /// Last day of validity.
        not_after: Date,
    },
    /// The label claims are malformed.
    #[error("claims: {0}")]
    Claims(#[from] ClaimsError),
    /// The signed label is malformed.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// A label URL or its digits are malformed.
    #[error("label URL: {0}")]
    Url(#[from] UrlError),
    /// The URL does not fit a QR code, or could not be encoded.
    #[error("cannot encode QR code: {reason}")]
    QrEncode {
        /// What went wrong.
        reason: String,
    },
    /// An image could not be read or decoded.
    #[error("image{}: {reason}", describe_path(path.as_ref()))]
    Image {
        /// The image file, when it came from one.
        path: Option<PathBuf>,
        /// What went wrong.
        reason: String,
    },
    /// A private key file that other users can read.
    #[error(
        "private key {} has mode {mode:04o}: group or others can read it; run chmod 600 on it",
        path.display()
    )]
    KeyPermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A signed status list or trust list is unusable.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// No readable QR code in an image.
    #[error("no QR code found in image{}{}", describe_path(path.as_ref()), detail_suffix(detail))]
    NoQrCode {
        /// The image file, when it came from one.
        path: Option<PathBuf>,
        /// Extra detail (for example, a code was seen but could not be decoded).
        detail: Option<String>,
    },
}

/// Problems with a signed status list or trust list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// Over the size cap.
    #[error("{what} is {len} bytes, over the {max}-byte cap")]
    TooLarge {
        /// "status list" or "trust list".
        what: &'static str,
        /// Its size.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The envelope or the document inside it is malformed.
    #[error("{what} is malformed: {reason}")]
    Malformed {
        /// "status list" or "trust list".
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The envelope holds a different kind of document.
    #[error("{what} has content type {found:?}, expected {expected:?}")]
    WrongContentType {
        /// What we expected to read.
        what: &'static str,
        /// The content type required.
        expected: &'static str,
        /// The content type found.
        found: String,
    },
    /// No trusted key with the document's kid.
    #[error("{what} is signed with kid {kid}, which is not {expected}")]
    UnknownSigner {
        /// "status list" or "trust list".
        what: &'static str,
        /// The kid found, hex.
        kid: String,
        /// Who should have signed it.
        expected: String,
    },
    /// The signature does not verify.
    #[error("{what} signature does not verify with the key of {signer} (kid {kid})")]
    BadSignature {
        /// "status list" or "trust list".
        what: &'static str,
        /// Whose key.
        signer: String,
        /// The kid, hex.
        kid: String,
    },
    /// Past its next-update time: a newer one should exist.
    #[error("{what} issued {issued} expired: its next update was due {next_update}")]
    Expired {
        /// "status list" or "trust list".
        what: &'static str,
        /// Issue time (RFC 3339).
        issued: String,
        /// Next update (RFC 3339).
        next_update: String,
    },
    /// Issued after the verification date.
    #[error("{what} is not valid yet: issued {issued}, after {at}")]
    NotYetValid {
        /// "status list" or "trust list".
        what: &'static str,
        /// Issue time (RFC 3339).
        issued: String,
        /// The verification date.
        at: String,
    },
}

/// Problems with the COSE_Sign1 envelope of a signed label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The label is empty.
    #[error("label is empty")]
    Empty,
    /// The label is over the size cap (checked before any parsing).
    #[error("label is {len} bytes, over the {max}-byte cap")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Not a tagged COSE_Sign1 at all.
    #[error("not a COSE_Sign1 structure: {reason}")]
    NotCoseSign1 {
        /// What the parser found.
        reason: String,
    },
    /// The protected header is missing its algorithm.
    #[error("protected header has no alg")]
    MissingAlgorithm,
    /// The algorithm is not EdDSA.
    #[error("unsupported algorithm {alg}; only EdDSA (-8) is accepted")]
    UnsupportedAlgorithm {
        /// The algorithm found, as debug text.
        alg: String,
    },
    /// The key id is not 8 bytes.
    #[error("kid must be 8 bytes, found {len}")]
    KidLength {
        /// The length found.
        len: usize,
    },
    /// The protected header holds something besides alg and kid, or is not canonical.
    #[error("protected header must hold exactly alg and kid, canonically encoded")]
    ProtectedHeader,
    /// The unprotected header is not empty.
    #[error("unprotected header must be empty")]
    UnprotectedHeaderNotEmpty,
    /// The payload is detached (nil).
    #[error("payload missing (detached payloads are not accepted)")]
    PayloadMissing,
    /// The signature is not 64 bytes.
    #[error("signature must be 64 bytes, found {len}")]
    SignatureLength {
        /// The length found.
        len: usize,
    },
    /// The envelope parses, but its encoding is not the canonical one.
    #[error("COSE_Sign1 is not canonically encoded")]
    NonCanonical,
}

/// Problems decoding or validating label claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimsError {
    /// The CBOR is truncated or uses a reserved encoding.
    #[error("malformed CBOR at byte {offset}: {reason}")]
    Malformed {
        /// Byte offset of the problem.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The CBOR is valid but not in core deterministic encoding (RFC 8949 §4.2.1).
    #[error("non-canonical CBOR at byte {offset}: {reason}")]
    NonCanonical {
        /// Byte offset of the problem.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// A value has the wrong CBOR type.
    #[error("{field} must be {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// The type expected.
        expected: &'static str,
    },
    /// A map key we do not know.
    #[error("unknown key {key}")]
    UnknownKey {
        /// The key.
        key: u64,
    },
    /// A map key that appears twice.
    #[error("duplicate key {key}")]
    DuplicateKey {
        /// The key.
        key: u64,
    },
    /// Map keys out of ascending order.
    #[error("keys not in ascending order: {key} after {previous}")]
    UnsortedKeys {
        /// The out-of-order key.
        key: u64,
        /// The key before it.
        previous: u64,
    },
    /// A required field is absent.
    #[error("missing {field}")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A string, byte string or array is over its bound.
    #[error("{field} is {len} long, over the limit of {max}")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length (bytes or items).
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A field's value is not acceptable.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// Bytes after the claims map.
    #[error("{count} trailing bytes after the claims map")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

/// Problems with a label URL or its decimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Not an http(s) URL.
    #[error("not an http:// or https:// URL")]
    NotHttp,
    /// No digits in the last path segment.
    #[error("no label digits in the URL path")]
    NoDigits,
    /// The last path segment holds something besides digits.
    #[error("last path segment contains a non-digit character {found:?}")]
    NonDigit {
        /// The offending character.
        found: char,
    },
    /// More digits than the largest label could need.
    #[error("{len} digits, more than the {max} a {max_bytes}-byte label needs")]
    TooManyDigits {
        /// Digits found.
        len: usize,
        /// Most digits accepted.
        max: usize,
        /// The label size cap.
        max_bytes: usize,
    },
    /// A digit count that no chunking produces.
    #[error("{len} digits fit no chunking of 7-byte groups (remainder {remainder})")]
    DigitCount {
        /// Digits found.
        len: usize,
        /// `len % 17`.
        remainder: usize,
    },
    /// A GS1 Digital Link label URL (`…/01/<GTIN>?L=<digits>`) whose path
    /// holds no usable GTIN.
    #[error("GS1 Digital Link: {reason}")]
    DigitalLink {
        /// What was wrong with the path.
        reason: String,
    },
    /// A chunk's value does not fit its byte count.
    #[error("digit group {index} ({digits}) is too large for {bytes} bytes")]
    ChunkOverflow {
        /// Chunk index, from 0.
        index: usize,
        /// The chunk's digits.
        digits: String,
        /// Bytes the chunk should hold.
        bytes: usize,
    },
}

/// Why a lab certificate does not chain to the trust anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The issuer name is not the anchor's subject.
    #[error("lab certificate {lab} was issued by {issuer}, not by the trust anchor {anchor}")]
    IssuerMismatch {
        /// The lab certificate's name.
        lab: String,
        /// Its issuer name.
        issuer: String,
        /// The anchor's subject name.
        anchor: String,
    },
    /// The certificate is not signed with Ed25519.
    #[error("lab certificate {lab} is not signed with Ed25519")]
    SignatureAlgorithm {
        /// The lab certificate's name.
        lab: String,
    },
    /// The signature does not verify with the anchor's key.
    #[error(
        "lab certificate {lab} signature does not verify with the key of trust anchor {anchor}"
    )]
    BadSignature {
        /// The lab certificate's name.
        lab: String,
        /// The anchor's name.
        anchor: String,
    },
    /// The lab certificate is a CA certificate.
    #[error("lab certificate {lab} is a CA certificate; a lab needs an end-entity certificate")]
    IsCa {
        /// The lab certificate's name.
        lab: String,
    },
    /// Key usage missing or without digitalSignature.
    #[error("lab certificate {lab} key usage does not include digitalSignature")]
    KeyUsage {
        /// The lab certificate's name.
        lab: String,
    },
    /// A critical extension we do not understand (RFC 5280 §4.2 says reject).
    #[error("lab certificate {lab} has an unrecognised critical extension {oid}")]
    UnknownCriticalExtension {
        /// The lab certificate's name.
        lab: String,
        /// The extension's OID.
        oid: String,
    },
}

fn describe_path(path: Option<&PathBuf>) -> String {
    path.map(|p| format!(" {}", p.display()))
        .unwrap_or_default()
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail
        .as_ref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

pub(crate) fn scope_list(scope: &[String]) -> String {
    if scope.is_empty() {
        "no schemes".to_owned()
    } else {
        scope.join(", ")
    }
}

impl LabelError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        LabelError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        LabelError::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}
