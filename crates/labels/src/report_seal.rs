//! The lab's signature over a report folder: a "seal".
//!
//! The payload is a JSON manifest (what it lists is the report crate's
//! business: file hashes, the evidence chain head); this module only wraps it
//! in the same COSE_Sign1 envelope as status and trust lists, under its own
//! content type, so a seal can never pass for a label, a status list or a trust
//! list, nor any of those for a seal.
//!
//! ```
//! use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
//! use iotmark_labels::report_seal;
//!
//! let authority = AuthorityCredentials::generate(&CertificateSpec::authority("Example Accreditation Body"))?;
//! let lab = authority.issue_lab(&CertificateSpec::lab("Example Test Lab", &["uk-psti".to_owned()]))?;
//! let seal = report_seal::sign(&lab.signer()?, br#"{"report_sha256":"00"}"#.to_vec())?;
//! let payload = report_seal::open(&seal, lab.certificate())?;
//! assert_eq!(payload, br#"{"report_sha256":"00"}"#);
//! # Ok::<(), iotmark_labels::LabelError>(())
//! ```

use crate::cose::LabelSigner;
use crate::error::{DocumentError, LabelError};
use crate::pki::LabCertificate;
use crate::signed_doc::{self, SignedDocument};

/// Content type in the protected header.
pub const CONTENT_TYPE: &str = "application/iotmark-report-seal+json";

/// Largest seal accepted, checked before parsing.
pub const MAX_SEAL_BYTES: usize = 1024 * 1024;

const WHAT: &str = "report seal";

/// Signs a seal manifest with the lab key. Refuses when the lab certificate is
/// not valid today: a verifier would reject the seal for it.
pub fn sign(signer: &LabelSigner, manifest: Vec<u8>) -> Result<Vec<u8>, LabelError> {
    if manifest.len() > MAX_SEAL_BYTES - 1024 {
        return Err(LabelError::invalid(
            "report seal",
            format!("manifest is {} bytes, too large", manifest.len()),
        ));
    }
    signer.certificate().check_valid_on(crate::pki::today())?;
    signed_doc::sign(
        signer.signing_key(),
        signer.certificate().kid(),
        CONTENT_TYPE,
        manifest,
    )
}

/// The key id a seal names, without checking anything else but its shape:
/// lets a verifier say which certificate it needs.
pub fn kid(bytes: &[u8]) -> Result<[u8; 8], DocumentError> {
    Ok(SignedDocument::parse(bytes, WHAT, CONTENT_TYPE, MAX_SEAL_BYTES)?.kid)
}

/// Checks a seal's shape, that it names `lab`'s key and that the signature
/// verifies with it; returns the manifest bytes. Whether `lab` chains to a
/// trust anchor, and was valid when the seal was made, is for the caller
/// ([`LabCertificate::check_issued_by`], [`LabCertificate::check_valid_on`]).
pub fn open(bytes: &[u8], lab: &LabCertificate) -> Result<Vec<u8>, DocumentError> {
    let doc = SignedDocument::parse(bytes, WHAT, CONTENT_TYPE, MAX_SEAL_BYTES)?;
    if doc.kid != lab.kid() {
        return Err(DocumentError::UnknownSigner {
            what: WHAT,
            kid: hex::encode(doc.kid),
            expected: format!(
                "the key of lab certificate {} (kid {})",
                lab.name(),
                hex::encode(lab.kid())
            ),
        });
    }
    Ok(doc
        .verified_payload(lab.public_key(), WHAT, lab.name())?
        .to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::pki::{AuthorityCredentials, CertificateSpec};

    fn lab(name: &str) -> crate::pki::LabCredentials {
        let authority =
            AuthorityCredentials::generate(&CertificateSpec::authority("Test Authority")).unwrap();
        authority
            .issue_lab(&CertificateSpec::lab(name, &["uk-psti".into()]))
            .unwrap()
    }

    #[test]
    fn round_trip_and_tamper() {
        let lab = lab("Test Lab");
        let seal = sign(&lab.signer().unwrap(), b"{\"a\":1}".to_vec()).unwrap();
        assert_eq!(kid(&seal).unwrap(), lab.certificate().kid());
        assert_eq!(open(&seal, lab.certificate()).unwrap(), b"{\"a\":1}");

        // Flip one bit of the payload: the signature no longer verifies, or the
        // envelope is refused; never accepted.
        let pos = seal.windows(7).position(|w| w == b"{\"a\":1}").unwrap();
        let mut bad = seal.clone();
        bad[pos + 5] ^= 0x01;
        assert!(matches!(
            open(&bad, lab.certificate()),
            Err(DocumentError::BadSignature { .. })
        ));

        let other = self::lab("Other Lab");
        assert!(matches!(
            open(&seal, other.certificate()),
            Err(DocumentError::UnknownSigner { .. })
        ));
    }

    #[test]
    fn other_documents_are_not_seals() {
        let lab = lab("Test Lab");
        let now = time::OffsetDateTime::now_utc();
        let status = crate::status::StatusList::new([], 8, now, now + time::Duration::days(1))
            .unwrap()
            .sign(&lab.signer().unwrap())
            .unwrap();
        assert!(matches!(
            open(&status, lab.certificate()),
            Err(DocumentError::WrongContentType { .. })
        ));
        assert!(open(b"garbage", lab.certificate()).is_err());
    }
}
