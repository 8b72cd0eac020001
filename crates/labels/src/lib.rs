//! Signed digital security labels for consumer connectable products.
//!
//! A label is a set of [`claims::Claims`] (product, firmware tested, support-period
//! end, vulnerability-disclosure contact, schemes passed, report hash) in
//! deterministic CBOR, signed by an accredited test lab as a COSE_Sign1 with
//! Ed25519 ([`cose`]). The lab's certificate is issued by an accreditation body
//! and carries the lab's accreditation scope ([`pki`]). The label travels as a
//! URL in a QR code ([`qr`]) and anyone holding the accreditation body's root
//! certificate can check it offline ([`verify`]).
//!
//! ```
//! use iotmark_labels::claims::{Claims, ReportDigest};
//! use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
//! use iotmark_labels::qr;
//! use iotmark_labels::verify::{verify, LabelInput, LabelStatus, TrustStore};
//!
//! // The accreditation body, and a lab it accredits for UK PSTI.
//! let authority = AuthorityCredentials::generate(&CertificateSpec::authority("Example Accreditation Body"))?;
//! let lab = authority.issue_lab(&CertificateSpec::lab("Example Test Lab", &["uk-psti".to_owned()]))?;
//!
//! // The lab signs a label after a conformant run...
//! let today = time::OffsetDateTime::now_utc().date();
//! let claims = Claims {
//!     serial: 1,
//!     issued: today,
//!     manufacturer: "Acme Connected Devices Ltd".into(),
//!     model: "AC-CAM-200".into(),
//!     firmware: "2.4.1".into(),
//!     gtin: Some("5012345678900".into()),
//!     support_end: today + time::Duration::days(5 * 365),
//!     disclosure_contact: "https://acme.example/security/disclosure".into(),
//!     schemes: vec!["uk-psti".into()],
//!     report_sha256: ReportDigest::compact(b"{\"verdict\":\"conformant\"}"),
//!     simulated: false,
//! };
//! let label = lab.signer()?.sign(&claims)?;
//! let url = qr::label_url(&label, qr::DEFAULT_BASE_URL)?;
//!
//! // ...and anyone with the authority's certificate verifies it.
//! let trust = TrustStore::new(authority.anchor().clone()).with_lab(lab.certificate().clone());
//! let result = verify(&LabelInput::Url(url), &trust, today);
//! assert_eq!(result.status, LabelStatus::Valid);
//! # Ok::<(), iotmark_labels::LabelError>(())
//! ```

mod cbor;
pub mod claims;
pub mod cose;
mod error;
pub mod pki;
pub mod qr;
pub mod report_seal;
mod signed_doc;
pub mod status;
pub mod transparency;
pub mod trust_list;
pub mod verify;

use sha2::{Digest, Sha256};

pub use claims::Claims;
pub use cose::{LabelSigner, SignedLabel};
pub use error::{ChainError, ClaimsError, DocumentError, FormatError, LabelError, UrlError};
pub use pki::files::read_bounded;
pub use pki::{LabCertificate, TrustAnchor};
pub use verify::{LabelInput, LabelStatus, TrustStore, Verification};

pub use iotmark_text::{parse_date, rfc3339, ISO_DATE};

/// SHA-256 of a report ([`claims::ReportDigest`] holds it, or its first half).
pub fn report_digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}
