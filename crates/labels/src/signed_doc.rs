//! Signed JSON documents (status lists, trust lists) in a COSE_Sign1 envelope.
//!
//! ```text
//! 18([
//!   << {1: -8, 3: "<content type>", 4: h'<kid>'} >>,  ; alg EdDSA, content type, 8-byte kid
//!   {},                                              ; unprotected: empty
//!   << JSON document >>,
//!   h'<64-byte signature>'
//! ])
//! ```
//!
//! The content type is in the protected header so that a signature made for
//! one kind of document can never be accepted as another — and a label's
//! protected header (exactly alg and kid) can never be mistaken for either.
//! As with labels, only the canonical encoding is accepted.

use coset::{CoseSign1, Header, ProtectedHeader, TaggedCborSerializable};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::error::{DocumentError, LabelError};

/// The protected header bytes for a content type and kid.
fn protected_bytes(content_type: &str, kid: &[u8; 8]) -> Vec<u8> {
    let mut out = vec![0xa3, 0x01, 0x27, 0x03];
    let len = content_type.len();
    if len < 24 {
        out.push(0x60 | len as u8);
    } else {
        // Content types are ours and short; 255 is ample.
        out.push(0x78);
        out.push(u8::try_from(len).unwrap_or(u8::MAX));
    }
    out.extend_from_slice(content_type.as_bytes());
    out.extend_from_slice(&[0x04, 0x48]);
    out.extend_from_slice(kid);
    out
}

/// Signs `payload` as a document of `content_type`.
pub(crate) fn sign(
    key: &SigningKey,
    kid: [u8; 8],
    content_type: &'static str,
    payload: Vec<u8>,
) -> Result<Vec<u8>, LabelError> {
    let protected = protected_bytes(content_type, &kid);
    let mut sign1 = CoseSign1 {
        protected: ProtectedHeader {
            original_data: Some(protected),
            header: coset::HeaderBuilder::new()
                .algorithm(coset::iana::Algorithm::EdDSA)
                .content_type(content_type.to_owned())
                .key_id(kid.to_vec())
                .build(),
        },
        unprotected: Header::default(),
        payload: Some(payload),
        signature: Vec::new(),
    };
    let tbs = sign1.tbs_data(&[]);
    sign1.signature = key.sign(&tbs).to_bytes().to_vec();
    sign1.to_tagged_vec().map_err(|e| {
        LabelError::Document(DocumentError::Malformed {
            what: content_type,
            reason: format!("cannot serialise: {e}"),
        })
    })
}

/// A parsed, not yet verified, signed document.
#[derive(Debug, Clone)]
pub(crate) struct SignedDocument {
    pub(crate) kid: [u8; 8],
    payload: Vec<u8>,
    tbs: Vec<u8>,
    signature: Signature,
}

impl SignedDocument {
    /// Parses the envelope, requiring `content_type` and the canonical shape.
    pub(crate) fn parse(
        bytes: &[u8],
        what: &'static str,
        content_type: &'static str,
        max: usize,
    ) -> Result<Self, DocumentError> {
        let malformed = |reason: String| DocumentError::Malformed { what, reason };
        if bytes.len() > max {
            return Err(DocumentError::TooLarge {
                what,
                len: bytes.len(),
                max,
            });
        }
        if bytes.get(..2) != Some(&[0xd2, 0x84]) {
            return Err(malformed("not a tagged COSE_Sign1".to_owned()));
        }
        let sign1 = CoseSign1::from_tagged_slice(bytes)
            .map_err(|e| malformed(format!("not a COSE_Sign1: {e}")))?;
        let found_type = match &sign1.protected.header.content_type {
            Some(coset::ContentType::Text(t)) => t.clone(),
            Some(other) => format!("{other:?}"),
            None => String::new(),
        };
        if found_type != content_type {
            return Err(DocumentError::WrongContentType {
                what,
                expected: content_type,
                found: found_type,
            });
        }
        let kid: [u8; 8] = sign1
            .protected
            .header
            .key_id
            .as_slice()
            .try_into()
            .map_err(|_| malformed("kid is not 8 bytes".to_owned()))?;
        if sign1.protected.original_data.as_deref()
            != Some(protected_bytes(content_type, &kid).as_slice())
        {
            return Err(malformed(
                "protected header must hold exactly alg EdDSA, content type and kid, canonically encoded"
                    .to_owned(),
            ));
        }
        if sign1.unprotected != Header::default() {
            return Err(malformed("unprotected header must be empty".to_owned()));
        }
        let signature: [u8; 64] = sign1
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| malformed("signature is not 64 bytes".to_owned()))?;
        let canonical = sign1
            .clone()
            .to_tagged_vec()
            .map_err(|e| malformed(e.to_string()))?;
        if canonical != bytes {
            return Err(malformed("not canonically encoded".to_owned()));
        }
        let tbs = sign1.tbs_data(&[]);
        let payload = sign1
            .payload
            .ok_or_else(|| malformed("payload missing".to_owned()))?;
        Ok(Self {
            kid,
            payload,
            tbs,
            signature: Signature::from_bytes(&signature),
        })
    }

    /// Checks the signature and returns the payload.
    pub(crate) fn verified_payload(
        &self,
        key: &VerifyingKey,
        what: &'static str,
        signer: &str,
    ) -> Result<&[u8], DocumentError> {
        key.verify_strict(&self.tbs, &self.signature)
            .map_err(|_| DocumentError::BadSignature {
                what,
                signer: signer.to_owned(),
                kid: hex::encode(self.kid),
            })?;
        Ok(&self.payload)
    }
}
