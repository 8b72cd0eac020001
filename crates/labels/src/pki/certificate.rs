//! Parsed certificates: the trust anchor and lab certificates, and the chain check.
//!
//! Parsing is done once, into typed values (names, Ed25519 key, validity, scope,
//! basic constraints, key usage), so the verifier never looks at raw ASN.1.
//! Only what a well-formed certificate for our profile holds is interpreted;
//! anything we do not understand but that is marked critical makes the chain
//! check fail, as RFC 5280 §4.2 requires.

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};
use x509_cert::der::asn1::{ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Decode, Encode, Reader, SliceReader};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use x509_cert::name::Name;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use crate::claims::check_scheme_name;
use crate::error::{scope_list, ChainError, LabelError};
use crate::pki::{files, SCOPE_EXTENSION_OID};

/// Ed25519 (RFC 8410), for both keys and signatures.
pub(crate) const ED25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const CN_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const BASIC_CONSTRAINTS_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const KEY_USAGE_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const SKID_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const AKID_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const EKU_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const SAN_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");

/// Largest certificate file we read; ours are well under 2 KiB.
const MAX_CERT_FILE: u64 = 64 * 1024;

/// Everything we use from a certificate, parsed once.
#[derive(Clone)]
struct Parsed {
    der: Vec<u8>,
    pem: String,
    /// TBSCertificate exactly as it appears in the input (what the issuer signed).
    tbs_raw: Vec<u8>,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    subject: String,
    issuer: String,
    spki_der: Vec<u8>,
    public_key: VerifyingKey,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    /// Both signature algorithm fields say Ed25519 without parameters.
    signed_with_ed25519: bool,
    signature: Option<Signature>,
    is_ca: bool,
    key_usage: Option<KeyUsage>,
    subject_key_id: Option<Vec<u8>>,
    scope: Option<Vec<String>>,
    unknown_critical: Option<String>,
}

fn cert_error(path: Option<&Path>, reason: impl Into<String>) -> LabelError {
    LabelError::Certificate {
        path: path.map(Path::to_path_buf),
        reason: reason.into(),
    }
}

fn is_ed25519(alg: &AlgorithmIdentifierOwned) -> bool {
    alg.oid == ED25519_OID && alg.parameters.is_none()
}

/// The common name, for messages; falls back to the RFC 4514 string.
fn display_name(name: &Name) -> String {
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid == CN_OID {
                if let Ok(s) = atv.value.decode_as::<Utf8StringRef<'_>>() {
                    return s.as_str().to_owned();
                }
                if let Ok(s) = atv.value.decode_as::<PrintableStringRef<'_>>() {
                    return s.as_str().to_owned();
                }
            }
        }
    }
    name.to_string()
}

fn to_datetime(
    t: x509_cert::time::Time,
    path: Option<&Path>,
) -> Result<OffsetDateTime, LabelError> {
    i64::try_from(t.to_unix_duration().as_secs())
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .ok_or_else(|| cert_error(path, "validity time out of range"))
}

/// The TBSCertificate's bytes as they appear in the certificate: the first
/// element of the outer SEQUENCE. Signatures are checked over these, never
/// over a re-encoding.
fn raw_tbs(der: &[u8]) -> x509_cert::der::Result<Vec<u8>> {
    let mut reader = SliceReader::new(der)?;
    let tbs = reader.sequence(|r| {
        let tbs = r.tlv_bytes()?;
        r.tlv_bytes()?; // signatureAlgorithm
        r.tlv_bytes()?; // signatureValue
        Ok(tbs.to_vec())
    })?;
    reader.finish(tbs)
}

fn parse(der: &[u8], path: Option<&Path>) -> Result<Parsed, LabelError> {
    let cert = Certificate::from_der(der)
        .map_err(|e| cert_error(path, format!("not a DER X.509 certificate: {e}")))?;
    let tbs_raw =
        raw_tbs(der).map_err(|e| cert_error(path, format!("cannot locate TBSCertificate: {e}")))?;
    let tbs = &cert.tbs_certificate;

    let spki = &tbs.subject_public_key_info;
    if !is_ed25519(&spki.algorithm) {
        return Err(cert_error(
            path,
            format!("public key algorithm {} is not Ed25519", spki.algorithm.oid),
        ));
    }
    let key_bytes: [u8; 32] = spki
        .subject_public_key
        .as_bytes()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| cert_error(path, "Ed25519 public key is not 32 bytes"))?;
    let public_key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| cert_error(path, "Ed25519 public key is not a valid point"))?;
    let encode = |what: &str, r: x509_cert::der::Result<Vec<u8>>| {
        r.map_err(|e| cert_error(path, format!("cannot encode {what}: {e}")))
    };
    let spki_der = encode("public key info", spki.to_der())?;
    let subject_der = encode("subject", tbs.subject.to_der())?;
    let issuer_der = encode("issuer", tbs.issuer.to_der())?;

    let signature = cert
        .signature
        .as_bytes()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b));

    let mut is_ca = false;
    let mut key_usage = None;
    let mut subject_key_id = None;
    let mut scope = None;
    let mut unknown_critical = None;
    let extensions = tbs.extensions.as_deref().unwrap_or_default();
    for (i, ext) in extensions.iter().enumerate() {
        if extensions.iter().take(i).any(|e| e.extn_id == ext.extn_id) {
            return Err(cert_error(
                path,
                format!("extension {} appears twice", ext.extn_id),
            ));
        }
        let value = ext.extn_value.as_bytes();
        let bad = |what: &str, e: x509_cert::der::Error| {
            cert_error(path, format!("malformed {what} extension: {e}"))
        };
        match ext.extn_id {
            BASIC_CONSTRAINTS_OID => {
                is_ca = BasicConstraints::from_der(value)
                    .map_err(|e| bad("basicConstraints", e))?
                    .ca;
            }
            KEY_USAGE_OID => {
                key_usage = Some(KeyUsage::from_der(value).map_err(|e| bad("keyUsage", e))?)
            }
            SKID_OID => {
                let skid = SubjectKeyIdentifier::from_der(value)
                    .map_err(|e| bad("subjectKeyIdentifier", e))?;
                subject_key_id = Some(skid.0.as_bytes().to_vec());
            }
            SCOPE_EXTENSION_OID => {
                let names = Vec::<Utf8StringRef<'_>>::from_der(value)
                    .map_err(|e| bad("accreditation scope", e))?;
                let names: Vec<String> = names.iter().map(|s| s.as_str().to_owned()).collect();
                for n in &names {
                    check_scheme_name(n)
                        .map_err(|r| cert_error(path, format!("accreditation scope: {r}")))?;
                }
                scope = Some(names);
            }
            AKID_OID | EKU_OID | SAN_OID => {}
            other => {
                if ext.critical && unknown_critical.is_none() {
                    unknown_critical = Some(other.to_string());
                }
            }
        }
    }

    let pem = x509_cert::der::pem::encode_string("CERTIFICATE", LineEnding::LF, der)
        .map_err(|e| cert_error(path, format!("cannot encode as PEM: {e}")))?;
    Ok(Parsed {
        der: der.to_vec(),
        pem,
        tbs_raw,
        subject: display_name(&tbs.subject),
        issuer: display_name(&tbs.issuer),
        subject_der,
        issuer_der,
        spki_der,
        public_key,
        not_before: to_datetime(tbs.validity.not_before, path)?,
        not_after: to_datetime(tbs.validity.not_after, path)?,
        signed_with_ed25519: is_ed25519(&cert.signature_algorithm) && is_ed25519(&tbs.signature),
        signature,
        is_ca,
        key_usage,
        subject_key_id,
        scope,
        unknown_critical,
    })
}

/// PEM to the DER bytes exactly as encoded (not a re-encoding), so signatures
/// are checked over what the issuer signed.
fn pem_to_der_at(pem: &[u8], path: Option<&Path>) -> Result<Vec<u8>, LabelError> {
    let (label, der) = x509_cert::der::pem::decode_vec(pem)
        .map_err(|e| cert_error(path, format!("not a PEM certificate: {e}")))?;
    if label != "CERTIFICATE" {
        return Err(cert_error(
            path,
            format!("PEM block is {label:?}, expected \"CERTIFICATE\""),
        ));
    }
    Ok(der)
}

fn read_pem(path: &Path) -> Result<Vec<u8>, LabelError> {
    let text = files::read_text(path, MAX_CERT_FILE)?;
    pem_to_der_at(text.as_bytes(), Some(path))
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, LabelError> {
    pem_to_der_at(pem.as_bytes(), None)
}

fn validity_dates(p: &Parsed) -> (Date, Date) {
    (p.not_before.date(), p.not_after.date())
}

/// The accreditation body's root certificate: the one thing a verifier must
/// trust. Parsing checks it is an Ed25519 CA certificate that signs itself.
#[derive(Clone)]
pub struct TrustAnchor {
    parsed: Parsed,
}

impl fmt::Debug for TrustAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustAnchor")
            .field("name", &self.parsed.subject)
            .field("not_before", &self.parsed.not_before)
            .field("not_after", &self.parsed.not_after)
            .finish_non_exhaustive()
    }
}

impl TrustAnchor {
    /// Reads a PEM certificate file (`authority.pem`).
    pub fn from_pem_file(path: &Path) -> Result<Self, LabelError> {
        let der = read_pem(path)?;
        Self::from_der_at(&der, Some(path))
    }

    /// Parses a PEM certificate.
    pub fn from_pem(pem: &str) -> Result<Self, LabelError> {
        Self::from_der_at(&pem_to_der(pem)?, None)
    }

    /// Parses a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, LabelError> {
        Self::from_der_at(der, None)
    }

    fn from_der_at(der: &[u8], path: Option<&Path>) -> Result<Self, LabelError> {
        let parsed = parse(der, path)?;
        if !parsed.is_ca {
            return Err(cert_error(path, "trust anchor is not a CA certificate"));
        }
        if parsed.key_usage.is_some_and(|ku| !ku.key_cert_sign()) {
            return Err(cert_error(
                path,
                "trust anchor key usage does not include keyCertSign",
            ));
        }
        if parsed.issuer_der != parsed.subject_der {
            return Err(cert_error(path, "trust anchor is not self-issued"));
        }
        let self_signed = parsed.signed_with_ed25519
            && parsed.signature.is_some_and(|sig| {
                parsed
                    .public_key
                    .verify_strict(&parsed.tbs_raw, &sig)
                    .is_ok()
            });
        if !self_signed {
            return Err(cert_error(
                path,
                "trust anchor self-signature does not verify",
            ));
        }
        Ok(Self { parsed })
    }

    /// Subject common name.
    pub fn name(&self) -> &str {
        &self.parsed.subject
    }

    /// Key id, computed as for labs: the first 8 bytes of SHA-256 over the
    /// DER SubjectPublicKeyInfo. Trust lists carry it.
    pub fn kid(&self) -> [u8; 8] {
        spki_kid(&self.parsed.spki_der)
    }

    /// The anchor's public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.parsed.public_key
    }

    /// Start of validity (UTC).
    pub fn not_before(&self) -> OffsetDateTime {
        self.parsed.not_before
    }

    /// End of validity (UTC).
    pub fn not_after(&self) -> OffsetDateTime {
        self.parsed.not_after
    }

    /// Fails unless `date` falls within the validity period (compared by UTC day).
    pub fn check_valid_on(&self, date: Date) -> Result<(), LabelError> {
        check_valid_on("trust anchor", &self.parsed, date)
    }

    /// DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.parsed.der
    }

    /// PEM encoding.
    pub fn to_pem(&self) -> &str {
        &self.parsed.pem
    }

    pub(crate) fn subject_der(&self) -> &[u8] {
        &self.parsed.subject_der
    }

    pub(crate) fn subject_key_id(&self) -> Option<&[u8]> {
        self.parsed.subject_key_id.as_deref()
    }
}

/// A lab's certificate: its Ed25519 key, name, validity and accreditation scope.
/// Parsing does not decide whether to trust it; [`LabCertificate::check_issued_by`] does.
#[derive(Clone)]
pub struct LabCertificate {
    parsed: Parsed,
    kid: [u8; 8],
    scope: Vec<String>,
    /// The anchor key that first checked this certificate's signature, and
    /// the answer. Every label verification repeats the chain check, an
    /// Ed25519 verification as costly as the label's own; the certificate's
    /// bytes cannot change after parsing, so the answer for that key cannot
    /// either.
    signature_check: OnceLock<([u8; 32], bool)>,
}

impl fmt::Debug for LabCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabCertificate")
            .field("name", &self.parsed.subject)
            .field("kid", &hex::encode(self.kid))
            .field("scope", &self.scope)
            .field("not_before", &self.parsed.not_before)
            .field("not_after", &self.parsed.not_after)
            .finish_non_exhaustive()
    }
}

impl LabCertificate {
    /// Reads a PEM certificate file (`lab.pem`).
    pub fn from_pem_file(path: &Path) -> Result<Self, LabelError> {
        let der = read_pem(path)?;
        Self::from_der_at(&der, Some(path))
    }

    /// Parses a PEM certificate.
    pub fn from_pem(pem: &str) -> Result<Self, LabelError> {
        Self::from_der_at(&pem_to_der(pem)?, None)
    }

    /// Parses a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, LabelError> {
        Self::from_der_at(der, None)
    }

    fn from_der_at(der: &[u8], path: Option<&Path>) -> Result<Self, LabelError> {
        let parsed = parse(der, path)?;
        let kid = spki_kid(&parsed.spki_der);
        let scope = parsed.scope.clone().unwrap_or_default();
        Ok(Self {
            parsed,
            kid,
            scope,
            signature_check: OnceLock::new(),
        })
    }

    /// Key id: the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo.
    /// Labels carry it so a verifier can find the certificate without a list walk.
    pub fn kid(&self) -> [u8; 8] {
        self.kid
    }

    /// Subject common name (the lab's name).
    pub fn name(&self) -> &str {
        &self.parsed.subject
    }

    /// Issuer common name.
    pub fn issuer_name(&self) -> &str {
        &self.parsed.issuer
    }

    /// Schemes the lab is accredited for (empty if the extension is absent).
    pub fn scope(&self) -> &[String] {
        &self.scope
    }

    /// Start of validity (UTC).
    pub fn not_before(&self) -> OffsetDateTime {
        self.parsed.not_before
    }

    /// End of validity (UTC).
    pub fn not_after(&self) -> OffsetDateTime {
        self.parsed.not_after
    }

    /// The lab's public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.parsed.public_key
    }

    /// DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.parsed.der
    }

    /// PEM encoding.
    pub fn to_pem(&self) -> &str {
        &self.parsed.pem
    }

    /// Checks that the anchor issued this certificate for label signing: issuer
    /// name, Ed25519 signature over the TBSCertificate, an end-entity
    /// certificate whose key usage includes digitalSignature, and no critical
    /// extension we do not understand. Validity is checked separately, against
    /// the label's issue date.
    pub fn check_issued_by(&self, anchor: &TrustAnchor) -> Result<(), ChainError> {
        let p = &self.parsed;
        let lab = p.subject.clone();
        if p.issuer_der != anchor.subject_der() {
            return Err(ChainError::IssuerMismatch {
                lab,
                issuer: p.issuer.clone(),
                anchor: anchor.name().to_owned(),
            });
        }
        if !p.signed_with_ed25519 {
            return Err(ChainError::SignatureAlgorithm { lab });
        }
        let anchor_key = anchor.public_key().to_bytes();
        let check = || {
            p.signature
                .is_some_and(|sig| anchor.public_key().verify_strict(&p.tbs_raw, &sig).is_ok())
        };
        let verified = match self.signature_check.get() {
            Some((key, ok)) if *key == anchor_key => *ok,
            Some(_) => check(),
            None => {
                let ok = check();
                let _ = self.signature_check.set((anchor_key, ok));
                ok
            }
        };
        if !verified {
            return Err(ChainError::BadSignature {
                lab,
                anchor: anchor.name().to_owned(),
            });
        }
        self.check_profile()
    }

    /// The end-entity profile: not a CA, key usage includes digitalSignature,
    /// no unknown critical extension.
    pub(crate) fn check_profile(&self) -> Result<(), ChainError> {
        let p = &self.parsed;
        let lab = p.subject.clone();
        if p.is_ca {
            return Err(ChainError::IsCa { lab });
        }
        if !p.key_usage.is_some_and(|ku| ku.digital_signature()) {
            return Err(ChainError::KeyUsage { lab });
        }
        if let Some(oid) = &p.unknown_critical {
            return Err(ChainError::UnknownCriticalExtension {
                lab,
                oid: oid.clone(),
            });
        }
        Ok(())
    }

    /// Fails unless `date` falls within the validity period (compared by UTC day).
    pub fn check_valid_on(&self, date: Date) -> Result<(), LabelError> {
        check_valid_on("lab", &self.parsed, date)
    }

    /// Fails unless every scheme is in the accreditation scope.
    pub fn check_scope(&self, schemes: &[String]) -> Result<(), LabelError> {
        match schemes.iter().find(|s| !self.scope.contains(s)) {
            None => Ok(()),
            Some(s) => Err(LabelError::SchemeOutOfScope {
                scheme: s.clone(),
                lab: self.name().to_owned(),
                scope: self.scope.clone(),
            }),
        }
    }

    /// Human-readable scope, for messages.
    pub fn scope_display(&self) -> String {
        scope_list(&self.scope)
    }
}

fn spki_kid(spki_der: &[u8]) -> [u8; 8] {
    let digest = Sha256::digest(spki_der);
    let mut kid = [0u8; 8];
    kid.copy_from_slice(digest.get(..8).unwrap_or(&[0u8; 8]));
    kid
}

fn check_valid_on(role: &'static str, p: &Parsed, date: Date) -> Result<(), LabelError> {
    let (not_before, not_after) = validity_dates(p);
    // Labels carry a day, not an instant: a day counts if any part of it is
    // inside the validity period.
    if date < not_before || date > not_after {
        return Err(LabelError::NotValidOnIssueDate {
            role,
            date,
            not_before,
            not_after,
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [&b""[..], b"\x30", b"\x30\x03\x02\x01\x00", &[0xff; 100]] {
            assert!(LabCertificate::from_der(bad).is_err());
            assert!(TrustAnchor::from_der(bad).is_err());
        }
        assert!(LabCertificate::from_pem(
            "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"
        )
        .is_err());
    }
}
