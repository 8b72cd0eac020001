//! Keys and certificates: the accreditation body (authority) and the labs it
//! accredits.
//!
//! - The **authority** holds an Ed25519 key and a self-signed CA certificate
//!   (`CA:TRUE, pathlen:0`, keyCertSign and cRLSign). Its certificate is the
//!   trust anchor every verifier holds.
//! - A **lab** holds an Ed25519 key and an end-entity certificate signed by the
//!   authority (`CA:FALSE`, digitalSignature), carrying the lab's accreditation
//!   scope — the schemes it may issue labels for — in a non-critical extension
//!   (see [`SCOPE_EXTENSION_OID`]).
//!
//! Certificates are built with rcgen and parsed with x509-cert; the signing is
//! done by ed25519-dalek on both sides, so one Ed25519 implementation is used
//! throughout. Key files are PKCS#8 PEM, created with mode 0600.

mod certificate;
pub mod files;
mod key_file;

use std::fmt;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer, SigningKey};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime, Time};
use x509_cert::der::asn1::{ObjectIdentifier, Utf8StringRef};
use x509_cert::der::Encode;

pub use certificate::{LabCertificate, TrustAnchor};
pub use key_file::{is_encrypted, Passphrase};

use crate::claims::{check_scheme_name, is_forbidden_char};
use crate::cose::LabelSigner;
use crate::error::LabelError;

/// OID of the accreditation-scope extension: `SEQUENCE OF UTF8String`, one
/// scheme name per element (`uk-psti`, `en303645`, …), non-critical.
///
/// Why this arc: we have no registered enterprise number, so the OID is derived
/// from a random UUID generated once for this purpose
/// (`65d48e7b-f03b-46e2-8c84-a41121020ff6`). The natural form,
/// `2.25.135355684429861658137470142230187610102` (X.667), cannot be used: its
/// 128-bit arc overflows x509-cert's OID type (const-oid arcs are `u32`, so any
/// certificate carrying it fails to parse) and rcgen's (`u64` arcs). So the same
/// UUID is split into 16- and 24-bit arcs under Microsoft's registration-free
/// GUID-derived arc `1.2.840.113556.1.8000.2554` (the `oidgen` scheme), which
/// every tool can represent. Replace with an arc under a registered PEN when the
/// accreditation body has one.
pub const SCOPE_EXTENSION_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap(
    "1.2.840.113556.1.8000.2554.26068.36475.61499.18146.35972.10752289.135158",
);

/// [`SCOPE_EXTENSION_OID`] as rcgen wants it.
const SCOPE_EXTENSION_ARCS: &[u64] = &[
    1, 2, 840, 113_556, 1, 8000, 2554, 26068, 36475, 61499, 18146, 35972, 10_752_289, 135_158,
];

/// Default validity of an authority certificate.
pub const AUTHORITY_VALIDITY_YEARS: i32 = 10;
/// Default validity of a lab certificate.
pub const LAB_VALIDITY_YEARS: i32 = 3;

/// RFC 5280 upper bound for a common name.
const MAX_COMMON_NAME: usize = 64;

/// What a certificate should say. Used for both authority and lab certificates;
/// the constructors fill in the default validity from today (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSpec {
    /// Subject common name.
    pub common_name: String,
    /// First day of validity (from 00:00:00 UTC).
    pub not_before: Date,
    /// Last day of validity (until 23:59:59 UTC).
    pub not_after: Date,
    /// Accreditation scope (labs only; must be empty for an authority).
    pub scope: Vec<String>,
}

impl CertificateSpec {
    /// An authority certificate valid for 10 years from today.
    pub fn authority(common_name: &str) -> Self {
        let today = today();
        Self {
            common_name: common_name.to_owned(),
            not_before: today,
            not_after: add_years(today, AUTHORITY_VALIDITY_YEARS),
            scope: Vec::new(),
        }
    }

    /// A lab certificate valid for 3 years from today.
    pub fn lab(common_name: &str, scope: &[String]) -> Self {
        let today = today();
        Self {
            common_name: common_name.to_owned(),
            not_before: today,
            not_after: add_years(today, LAB_VALIDITY_YEARS),
            scope: scope.to_vec(),
        }
    }

    /// Sets the validity period (inclusive, whole UTC days).
    pub fn valid_between(mut self, not_before: Date, not_after: Date) -> Self {
        self.not_before = not_before;
        self.not_after = not_after;
        self
    }

    fn check(&self, is_lab: bool) -> Result<(), LabelError> {
        let name = &self.common_name;
        if name.trim().is_empty() || name.chars().count() > MAX_COMMON_NAME {
            return Err(LabelError::invalid(
                "name",
                format!("{name:?} must be 1 to {MAX_COMMON_NAME} characters"),
            ));
        }
        if name.chars().any(is_forbidden_char) {
            return Err(LabelError::invalid(
                "name",
                format!("{name:?} contains control characters"),
            ));
        }
        if self.not_before > self.not_after {
            return Err(LabelError::invalid(
                "validity",
                format!(
                    "not_before {} is after not_after {}",
                    self.not_before, self.not_after
                ),
            ));
        }
        if is_lab {
            check_scope(&self.scope)?;
        } else if !self.scope.is_empty() {
            return Err(LabelError::invalid(
                "scope",
                "an authority certificate carries no scope",
            ));
        }
        Ok(())
    }
}

fn check_scope(scope: &[String]) -> Result<(), LabelError> {
    if scope.is_empty() {
        return Err(LabelError::invalid(
            "scope",
            "a lab needs at least one scheme",
        ));
    }
    for (i, s) in scope.iter().enumerate() {
        check_scheme_name(s).map_err(|r| LabelError::invalid("scope", r))?;
        if scope.iter().take(i).any(|t| t == s) {
            return Err(LabelError::invalid("scope", format!("{s} listed twice")));
        }
    }
    Ok(())
}

/// Today's date in UTC.
pub(crate) fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The same day `years` later; 29 February becomes 28 February in a common year.
fn add_years(date: Date, years: i32) -> Date {
    let year = date.year().saturating_add(years);
    date.replace_year(year)
        .or_else(|_| date.replace_day(28).and_then(|d| d.replace_year(year)))
        .unwrap_or(date)
}

fn start_of(date: Date) -> OffsetDateTime {
    date.midnight().assume_utc()
}

fn end_of(date: Date) -> OffsetDateTime {
    date.with_time(Time::MAX).assume_utc()
}

/// A fresh Ed25519 key from the OS RNG (an error, not a panic, if the RNG fails).
pub fn generate_key() -> Result<SigningKey, LabelError> {
    let mut secret = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut secret)
        .map_err(|e| LabelError::Key {
            path: None,
            reason: format!("OS random number generator failed: {e}"),
        })?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Loads an Ed25519 private key from an unencrypted PKCS#8 PEM file (see
/// [`load_signing_key_with`]).
pub fn load_signing_key(path: &Path) -> Result<SigningKey, LabelError> {
    load_signing_key_with(path, None)
}

/// Loads an Ed25519 private key from a PKCS#8 PEM file, decrypting it with
/// `passphrase` when it is encrypted (an encrypted key without a passphrase,
/// or with the wrong one, is an error naming the file).
///
/// Refuses a key that group or others can read (on unix), encrypted or not: a
/// lab key anyone on the machine can copy is a key anyone can forge labels
/// with, or attack offline.
pub fn load_signing_key_with(
    path: &Path,
    passphrase: Option<&Passphrase>,
) -> Result<SigningKey, LabelError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| LabelError::io("read", path, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(LabelError::KeyPermissions {
                path: path.to_path_buf(),
                mode: mode & 0o7777,
            });
        }
    }
    key_file::read(path, passphrase)
}

/// Writes a key as PKCS#8 PEM (encrypted under `passphrase` when given) to a
/// new file with mode 0600; the PEM text is zeroized when dropped.
fn write_key(
    path: &Path,
    key: &SigningKey,
    passphrase: Option<&Passphrase>,
) -> Result<(), LabelError> {
    key_file::write(path, key, passphrase)
}

/// RFC 7093 method 1: the leftmost 160 bits of SHA-256 over the public key bits.
fn key_identifier(public: &[u8; 32]) -> Vec<u8> {
    Sha256::digest(public)
        .get(..20)
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

/// A positive random 128-bit serial number.
fn random_serial() -> Result<rcgen::SerialNumber, LabelError> {
    let mut bytes = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| LabelError::Key {
            path: None,
            reason: format!("OS random number generator failed: {e}"),
        })?;
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    Ok(rcgen::SerialNumber::from_slice(&bytes))
}

/// Our Ed25519 key as rcgen's signer, so rcgen needs no crypto backend.
struct RcgenSigner<'a> {
    key: &'a SigningKey,
    public: [u8; 32],
}

impl<'a> RcgenSigner<'a> {
    fn new(key: &'a SigningKey) -> Self {
        Self {
            key,
            public: key.verifying_key().to_bytes(),
        }
    }
}

impl rcgen::PublicKeyData for RcgenSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ED25519
    }
}

impl rcgen::SigningKey for RcgenSigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// A subject's public key, for certificates we sign for someone else's key.
struct RcgenPublicKey([u8; 32]);

impl rcgen::PublicKeyData for RcgenPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ED25519
    }
}

fn distinguished_name(common_name: &str) -> rcgen::DistinguishedName {
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, common_name);
    dn
}

fn base_params(
    spec: &CertificateSpec,
    public: &[u8; 32],
) -> Result<rcgen::CertificateParams, LabelError> {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = distinguished_name(&spec.common_name);
    params.not_before = start_of(spec.not_before);
    params.not_after = end_of(spec.not_after);
    params.serial_number = Some(random_serial()?);
    params.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(key_identifier(public));
    Ok(params)
}

fn generation_error(spec: &CertificateSpec, reason: impl fmt::Display) -> LabelError {
    LabelError::CertificateGeneration {
        common_name: spec.common_name.clone(),
        reason: reason.to_string(),
    }
}

/// The accreditation body's key and self-signed certificate.
pub struct AuthorityCredentials {
    key: SigningKey,
    anchor: TrustAnchor,
}

impl fmt::Debug for AuthorityCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorityCredentials")
            .field("anchor", &self.anchor)
            .finish_non_exhaustive()
    }
}

impl AuthorityCredentials {
    /// File name of the authority certificate in its directory.
    pub const CERT_FILE: &'static str = "authority.pem";
    /// File name of the authority key in its directory.
    pub const KEY_FILE: &'static str = "authority.key";

    /// Generates a new key and self-signed CA certificate.
    pub fn generate(spec: &CertificateSpec) -> Result<Self, LabelError> {
        spec.check(false)?;
        let key = generate_key()?;
        let signer = RcgenSigner::new(&key);
        let mut params = base_params(spec, &signer.public)?;
        // pathlen 0: the authority certifies labs, and labs certify nothing.
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let cert = params
            .self_signed(&signer)
            .map_err(|e| generation_error(spec, e))?;
        let anchor = TrustAnchor::from_der(cert.der())?;
        Ok(Self { key, anchor })
    }

    /// Pairs a key with its certificate, checking they match.
    pub fn from_parts(key: SigningKey, anchor: TrustAnchor) -> Result<Self, LabelError> {
        if key.verifying_key() != *anchor.public_key() {
            return Err(LabelError::Key {
                path: None,
                reason: format!(
                    "key does not match the public key of authority {}",
                    anchor.name()
                ),
            });
        }
        Ok(Self { key, anchor })
    }

    /// Loads `authority.pem` and an unencrypted `authority.key` from a directory.
    pub fn load(dir: &Path) -> Result<Self, LabelError> {
        Self::load_with(dir, None)
    }

    /// Loads `authority.pem` and `authority.key` from a directory, decrypting
    /// the key with `passphrase` when it is encrypted.
    pub fn load_with(dir: &Path, passphrase: Option<&Passphrase>) -> Result<Self, LabelError> {
        let anchor = TrustAnchor::from_pem_file(&dir.join(Self::CERT_FILE))?;
        let key_path = dir.join(Self::KEY_FILE);
        let key = load_signing_key_with(&key_path, passphrase)?;
        Self::from_parts(key, anchor).map_err(|e| match e {
            LabelError::Key { reason, .. } => LabelError::Key {
                path: Some(key_path),
                reason,
            },
            other => other,
        })
    }

    /// Writes `authority.pem` (0644) and `authority.key` (0600) into `dir`,
    /// creating it if needed; refuses to overwrite. Returns the certificate path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, LabelError> {
        self.write_with(dir, None)
    }

    /// As [`AuthorityCredentials::write`], the key encrypted under
    /// `passphrase` when one is given.
    pub fn write_with(
        &self,
        dir: &Path,
        passphrase: Option<&Passphrase>,
    ) -> Result<PathBuf, LabelError> {
        let paths = files::prepare_outputs(dir, &[Self::KEY_FILE, Self::CERT_FILE])?;
        let (key_path, cert_path) = (&paths[0], &paths[1]);
        write_key(key_path, &self.key, passphrase)?;
        files::write_new(cert_path, self.anchor.to_pem().as_bytes(), files::CERT_MODE)?;
        Ok(cert_path.clone())
    }

    /// The authority's certificate, as verifiers will hold it.
    pub fn anchor(&self) -> &TrustAnchor {
        &self.anchor
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// Issues a lab certificate for a newly generated lab key.
    pub fn issue_lab(&self, spec: &CertificateSpec) -> Result<LabCredentials, LabelError> {
        let key = generate_key()?;
        let certificate = self.certify_lab_key(&key.verifying_key().to_bytes(), spec)?;
        Ok(LabCredentials { key, certificate })
    }

    /// Issues a lab certificate for an existing lab public key (a lab that keeps
    /// its own key sends only the public half).
    pub fn certify_lab_key(
        &self,
        lab_public_key: &[u8; 32],
        spec: &CertificateSpec,
    ) -> Result<LabCertificate, LabelError> {
        spec.check(true)?;
        let mut params = base_params(spec, lab_public_key)?;
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        let scope: Vec<Utf8StringRef<'_>> = spec
            .scope
            .iter()
            .map(Utf8StringRef::new)
            .collect::<Result<_, _>>()
            .map_err(|e| generation_error(spec, e))?;
        let scope_der = scope.to_der().map_err(|e| generation_error(spec, e))?;
        let mut extension =
            rcgen::CustomExtension::from_oid_content(SCOPE_EXTENSION_ARCS, scope_der);
        extension.set_criticality(false);
        params.custom_extensions = vec![extension];

        let signer = RcgenSigner::new(&self.key);
        let mut issuer_params = rcgen::CertificateParams::default();
        issuer_params.distinguished_name = distinguished_name(self.anchor.name());
        issuer_params.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(
            self.anchor
                .subject_key_id()
                .map_or_else(|| key_identifier(&signer.public), <[u8]>::to_vec),
        );
        let issuer = rcgen::Issuer::new(issuer_params, signer);
        let cert = params
            .signed_by(&RcgenPublicKey(*lab_public_key), &issuer)
            .map_err(|e| generation_error(spec, e))?;
        let lab = LabCertificate::from_der(cert.der())?;
        // Self-check: what we issue must pass our own chain check (this also
        // catches an anchor whose subject name we failed to reproduce exactly).
        lab.check_issued_by(&self.anchor).map_err(|e| {
            generation_error(
                spec,
                format!("issued certificate fails the chain check: {e}"),
            )
        })?;
        Ok(lab)
    }
}

/// A lab's key and its certificate from the authority.
pub struct LabCredentials {
    key: SigningKey,
    certificate: LabCertificate,
}

impl fmt::Debug for LabCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabCredentials")
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

impl LabCredentials {
    /// File name of the lab certificate in its directory.
    pub const CERT_FILE: &'static str = "lab.pem";
    /// File name of the lab key in its directory.
    pub const KEY_FILE: &'static str = "lab.key";

    /// Loads `lab.pem` and an unencrypted `lab.key` from a directory,
    /// checking they match.
    pub fn load(dir: &Path) -> Result<Self, LabelError> {
        Self::load_with(dir, None)
    }

    /// Loads `lab.pem` and `lab.key` from a directory, decrypting the key with
    /// `passphrase` when it is encrypted, and checking they match.
    pub fn load_with(dir: &Path, passphrase: Option<&Passphrase>) -> Result<Self, LabelError> {
        let certificate = LabCertificate::from_pem_file(&dir.join(Self::CERT_FILE))?;
        let key = load_signing_key_with(&dir.join(Self::KEY_FILE), passphrase)?;
        // LabelSigner::new performs the key/certificate match check.
        LabelSigner::new(key.clone(), certificate.clone())?;
        Ok(Self { key, certificate })
    }

    /// Writes `lab.pem` (0644) and `lab.key` (0600) into `dir`, creating it if
    /// needed; refuses to overwrite. Returns the certificate path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, LabelError> {
        self.write_with(dir, None)
    }

    /// As [`LabCredentials::write`], the key encrypted under `passphrase`
    /// when one is given.
    pub fn write_with(
        &self,
        dir: &Path,
        passphrase: Option<&Passphrase>,
    ) -> Result<PathBuf, LabelError> {
        let paths = files::prepare_outputs(dir, &[Self::KEY_FILE, Self::CERT_FILE])?;
        let (key_path, cert_path) = (&paths[0], &paths[1]);
        write_key(key_path, &self.key, passphrase)?;
        files::write_new(
            cert_path,
            self.certificate.to_pem().as_bytes(),
            files::CERT_MODE,
        )?;
        Ok(cert_path.clone())
    }

    /// The lab certificate.
    pub fn certificate(&self) -> &LabCertificate {
        &self.certificate
    }

    /// A signer for this lab's labels.
    pub fn signer(&self) -> Result<LabelSigner, LabelError> {
        LabelSigner::new(self.key.clone(), self.certificate.clone())
    }
}

/// `iotmark keys init-authority`: generates an authority valid for 10 years and
/// writes `out_dir/authority.pem` and `out_dir/authority.key` (0600).
/// Returns the certificate path.
pub fn init_authority(name: &str, out_dir: &Path) -> Result<PathBuf, LabelError> {
    init_authority_with(name, out_dir, None)
}

/// As [`init_authority`], the key encrypted under `passphrase` when given.
pub fn init_authority_with(
    name: &str,
    out_dir: &Path,
    passphrase: Option<&Passphrase>,
) -> Result<PathBuf, LabelError> {
    AuthorityCredentials::generate(&CertificateSpec::authority(name))?
        .write_with(out_dir, passphrase)
}

/// `iotmark keys init-lab`: loads the authority from `authority_dir`, issues a
/// lab certificate valid for 3 years (cut short to the authority's own expiry)
/// and writes `out_dir/lab.pem` and `out_dir/lab.key` (0600).
/// Returns the certificate path.
pub fn init_lab(
    authority_dir: &Path,
    name: &str,
    scope: &[String],
    out_dir: &Path,
) -> Result<PathBuf, LabelError> {
    init_lab_with(authority_dir, None, name, scope, out_dir, None)
}

/// As [`init_lab`], reading an encrypted authority key with
/// `authority_passphrase` and encrypting the new lab key under
/// `lab_passphrase`, each when given.
pub fn init_lab_with(
    authority_dir: &Path,
    authority_passphrase: Option<&Passphrase>,
    name: &str,
    scope: &[String],
    out_dir: &Path,
    lab_passphrase: Option<&Passphrase>,
) -> Result<PathBuf, LabelError> {
    let authority = AuthorityCredentials::load_with(authority_dir, authority_passphrase)?;
    let mut spec = CertificateSpec::lab(name, scope);
    let anchor_end = authority.anchor().not_after().date();
    let anchor_start = authority.anchor().not_before().date();
    if spec.not_before < anchor_start || spec.not_before > anchor_end {
        return Err(LabelError::invalid(
            "authority",
            format!(
                "certificate {} is valid from {anchor_start} to {anchor_end}, not today ({})",
                authority.anchor().name(),
                spec.not_before
            ),
        ));
    }
    spec.not_after = spec.not_after.min(anchor_end);
    authority
        .issue_lab(&spec)?
        .write_with(out_dir, lab_passphrase)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn add_years_handles_leap_days() {
        assert_eq!(add_years(date!(2024 - 02 - 29), 1), date!(2025 - 02 - 28));
        assert_eq!(add_years(date!(2024 - 02 - 29), 4), date!(2028 - 02 - 29));
        assert_eq!(add_years(date!(2025 - 06 - 30), 3), date!(2028 - 06 - 30));
    }

    #[test]
    fn scope_oid_arcs_agree() {
        let text: Vec<u64> = SCOPE_EXTENSION_OID.arcs().map(u64::from).collect();
        assert_eq!(text, SCOPE_EXTENSION_ARCS);
    }

    #[test]
    fn specs_are_checked() {
        assert!(CertificateSpec::authority("").check(false).is_err());
        assert!(CertificateSpec::authority(&"x".repeat(65))
            .check(false)
            .is_err());
        assert!(CertificateSpec::lab("Lab", &[]).check(true).is_err());
        assert!(CertificateSpec::lab("Lab", &["UK-PSTI".into()])
            .check(true)
            .is_err());
        assert!(CertificateSpec::lab("Lab", &["a".into(), "a".into()])
            .check(true)
            .is_err());
        let backwards = CertificateSpec::lab("Lab", &["uk-psti".into()])
            .valid_between(date!(2026 - 01 - 02), date!(2026 - 01 - 01));
        assert!(backwards.check(true).is_err());
    }

    #[test]
    fn generated_certificates_chain() {
        let authority =
            AuthorityCredentials::generate(&CertificateSpec::authority("Test Authority")).unwrap();
        let lab = authority
            .issue_lab(&CertificateSpec::lab(
                "Test Lab",
                &["uk-psti".into(), "en303645".into()],
            ))
            .unwrap();
        assert_eq!(lab.certificate().scope(), ["uk-psti", "en303645"]);
        assert_eq!(lab.certificate().issuer_name(), "Test Authority");
        lab.certificate()
            .check_issued_by(authority.anchor())
            .unwrap();
        let other =
            AuthorityCredentials::generate(&CertificateSpec::authority("Test Authority")).unwrap();
        assert!(lab.certificate().check_issued_by(other.anchor()).is_err());
    }
}
