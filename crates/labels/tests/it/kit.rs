//! Shared fixtures: a throwaway accreditation body and lab, realistic claims,
//! and functions for building labels the library itself would refuse to sign.

#[path = "../../examples/common/reference.rs"]
mod reference;

use coset::{iana, CoseSign1, Header, HeaderBuilder, ProtectedHeader, TaggedCborSerializable};
use ed25519_dalek::{Signer, SigningKey};
use iotmark_labels::claims::{Claims, ReportDigest};
use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec, LabCredentials};
use iotmark_labels::verify::TrustStore;
use iotmark_labels::SignedLabel;
use time::{Date, OffsetDateTime};

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

pub fn scope(schemes: &[&str]) -> Vec<String> {
    schemes.iter().map(|s| (*s).to_owned()).collect()
}

/// An authority and one lab accredited for `uk-psti` and `en303645`.
pub struct Pki {
    pub authority: AuthorityCredentials,
    pub lab: LabCredentials,
}

impl Pki {
    pub fn new() -> Self {
        let authority =
            AuthorityCredentials::generate(&CertificateSpec::authority("Test Accreditation Body"))
                .unwrap();
        let lab = authority
            .issue_lab(&CertificateSpec::lab(
                "Test Lab Ltd",
                &scope(&["uk-psti", "en303645"]),
            ))
            .unwrap();
        Self { authority, lab }
    }

    pub fn trust(&self) -> TrustStore {
        TrustStore::new(self.authority.anchor().clone()).with_lab(self.lab.certificate().clone())
    }

    pub fn sign(&self, claims: &Claims) -> SignedLabel {
        self.lab.signer().unwrap().sign(claims).unwrap()
    }
}

/// The reference label: a camera from a real-looking manufacturer.
pub fn realistic_claims(issued: Date) -> Claims {
    reference::reference_claims(
        100_042,
        issued,
        ReportDigest::compact(b"{\"verdict\":\"conformant\"}"),
    )
}

/// The same label in the first claims format (full report hash), as labels
/// issued before the compact format carry it.
pub fn realistic_claims_v1(issued: Date) -> Claims {
    Claims {
        report_sha256: iotmark_labels::report_digest(b"{\"verdict\":\"conformant\"}").into(),
        simulated: false,
        ..realistic_claims(issued)
    }
}

/// Builds a COSE_Sign1 by hand, for labels our signer would never produce
/// (a forger's key with a genuine kid, odd headers, undecodable claims).
pub fn forge(key: &SigningKey, kid: [u8; 8], payload: Vec<u8>) -> Vec<u8> {
    forge_with(
        key,
        HeaderBuilder::new()
            .algorithm(iana::Algorithm::EdDSA)
            .key_id(kid.to_vec())
            .build(),
        payload,
    )
}

pub fn forge_with(key: &SigningKey, protected: Header, payload: Vec<u8>) -> Vec<u8> {
    let mut sign1 = CoseSign1 {
        protected: ProtectedHeader {
            original_data: None,
            header: protected,
        },
        unprotected: Header::default(),
        payload: Some(payload),
        signature: Vec::new(),
    };
    let tbs = sign1.tbs_data(&[]);
    sign1.signature = key.sign(&tbs).to_bytes().to_vec();
    sign1.to_tagged_vec().unwrap()
}
