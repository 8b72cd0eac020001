//! Signed labels: COSE_Sign1 (RFC 9052) with Ed25519.
//!
//! Exactly one shape is produced and accepted:
//!
//! ```text
//! 18([                       ; tag 18, COSE_Sign1
//!   << {1: -8, 4: h'<kid>'} >>,  ; protected: alg EdDSA, 8-byte kid
//!   {},                      ; unprotected: empty
//!   << claims >>,            ; payload: deterministic CBOR claims
//!   h'<64-byte signature>'
//! ])
//! ```
//!
//! Anything else — other headers, other algorithms, a detached payload, or the
//! same structure encoded differently — is refused when the bytes are parsed, so
//! a label has one encoding and a flipped bit can never yield another valid one.

use std::fmt;
use std::path::Path;

use coset::{iana, CoseSign1, Header, ProtectedHeader, TaggedCborSerializable};
use ed25519_dalek::{Signature, Signer, SigningKey};

use crate::claims::Claims;
use crate::error::{FormatError, LabelError};
use crate::pki::{self, LabCertificate};

/// Largest signed label accepted anywhere, checked before parsing.
pub const MAX_LABEL_BYTES: usize = 4096;

/// Length of the key id in the protected header.
pub const KID_LEN: usize = 8;

/// A signed label: the exact COSE_Sign1 bytes, already checked to have the one
/// accepted shape. Whether the signature is *good* is [`crate::verify`]'s job.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedLabel {
    bytes: Vec<u8>,
    kid: [u8; KID_LEN],
    /// The protected header's bytes, as signed.
    protected: Vec<u8>,
    payload: Vec<u8>,
    signature: [u8; 64],
}

impl fmt::Debug for SignedLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedLabel")
            .field("len", &self.bytes.len())
            .field("kid", &hex::encode(self.kid))
            .finish_non_exhaustive()
    }
}

/// The protected header for a kid, in its one canonical encoding:
/// `a2 01 27 04 48 <kid>` = `{1: -8, 4: h'<kid>'}`.
fn protected_header_bytes(kid: &[u8; KID_LEN]) -> Vec<u8> {
    let mut out = vec![0xa2, 0x01, 0x27, 0x04, 0x48];
    out.extend_from_slice(kid);
    out
}

fn protected_header(kid: &[u8; KID_LEN]) -> ProtectedHeader {
    ProtectedHeader {
        original_data: Some(protected_header_bytes(kid)),
        header: coset::HeaderBuilder::new()
            .algorithm(iana::Algorithm::EdDSA)
            .key_id(kid.to_vec())
            .build(),
    }
}

impl SignedLabel {
    /// Parses and structurally checks a signed label (size cap, tag 18, the
    /// header shape, canonical encoding). Does not check the signature.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, LabelError> {
        Ok(Self::parse(bytes)?)
    }

    fn parse(bytes: Vec<u8>) -> Result<Self, FormatError> {
        if bytes.is_empty() {
            return Err(FormatError::Empty);
        }
        if bytes.len() > MAX_LABEL_BYTES {
            return Err(FormatError::TooLarge {
                len: bytes.len(),
                max: MAX_LABEL_BYTES,
            });
        }
        // Cheap shape check first: tag 18 (0xd2) and a 4-element array (0x84).
        // Refuses most garbage before a general CBOR parser sees it.
        match bytes.get(..2) {
            Some([0xd2, 0x84]) => {}
            Some([0xd2, _]) => {
                return Err(FormatError::NotCoseSign1 {
                    reason: "tag 18 is not followed by a 4-element array".to_owned(),
                })
            }
            _ => {
                return Err(FormatError::NotCoseSign1 {
                    reason: "does not start with CBOR tag 18".to_owned(),
                })
            }
        }
        let sign1 =
            CoseSign1::from_tagged_slice(&bytes).map_err(|e| FormatError::NotCoseSign1 {
                reason: e.to_string(),
            })?;

        let header = &sign1.protected.header;
        match &header.alg {
            None => return Err(FormatError::MissingAlgorithm),
            Some(coset::Algorithm::Assigned(iana::Algorithm::EdDSA)) => {}
            Some(other) => {
                let alg = match other {
                    coset::Algorithm::Assigned(a) => format!("{a:?} ({})", *a as i64),
                    coset::Algorithm::PrivateUse(n) => format!("private-use {n}"),
                    coset::Algorithm::Text(t) => format!("{t:?}"),
                };
                return Err(FormatError::UnsupportedAlgorithm { alg });
            }
        }
        let kid: [u8; KID_LEN] =
            header
                .key_id
                .as_slice()
                .try_into()
                .map_err(|_| FormatError::KidLength {
                    len: header.key_id.len(),
                })?;
        let expected_protected = protected_header_bytes(&kid);
        if sign1.protected.original_data.as_deref() != Some(expected_protected.as_slice()) {
            return Err(FormatError::ProtectedHeader);
        }
        if sign1.unprotected != Header::default() {
            return Err(FormatError::UnprotectedHeaderNotEmpty);
        }
        let payload = sign1.payload.clone().ok_or(FormatError::PayloadMissing)?;
        let signature: [u8; 64] =
            sign1
                .signature
                .as_slice()
                .try_into()
                .map_err(|_| FormatError::SignatureLength {
                    len: sign1.signature.len(),
                })?;
        // Same structure, one encoding: re-serialising must give the input back.
        let canonical = sign1
            .to_tagged_vec()
            .map_err(|_| FormatError::NonCanonical)?;
        if canonical != bytes {
            return Err(FormatError::NonCanonical);
        }
        Ok(SignedLabel {
            bytes,
            kid,
            protected: expected_protected,
            payload,
            signature,
        })
    }

    /// The COSE_Sign1 bytes (what goes in `label.cose` and the QR code).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the label, returning its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The key id from the protected header: which lab certificate to check
    /// against. Infallible today because parsing already checked it; fallible
    /// in signature so that lazier parsing stays possible.
    pub fn kid(&self) -> Result<[u8; KID_LEN], LabelError> {
        Ok(self.kid)
    }

    /// The payload bytes exactly as signed. Untrusted until verified.
    pub(crate) fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The COSE Sig_structure that the signature covers:
    /// `["Signature1", protected, h'' (external_aad), payload]`.
    pub(crate) fn to_be_signed(&self) -> Vec<u8> {
        coset::sig_structure_data(
            coset::SignatureContext::CoseSign1,
            ProtectedHeader {
                original_data: Some(self.protected.clone()),
                header: Header::default(),
            },
            None,
            &[],
            &self.payload,
        )
    }

    pub(crate) fn signature(&self) -> Signature {
        Signature::from_bytes(&self.signature)
    }
}

/// Signs labels for one lab. Holds the lab's key *and* its certificate, checked
/// to match, so there is no way to sign without both; signing also refuses
/// claims the certificate could not vouch for (schemes outside its scope, an
/// issue date outside its validity), which verification would reject anyway.
pub struct LabelSigner {
    key: SigningKey,
    certificate: LabCertificate,
}

impl fmt::Debug for LabelSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabelSigner")
            .field("lab", &self.certificate.name())
            .field("kid", &hex::encode(self.certificate.kid()))
            .finish_non_exhaustive()
    }
}

impl LabelSigner {
    /// Pairs a lab key with its certificate; fails if the key is not the one
    /// the certificate certifies.
    pub fn new(key: SigningKey, certificate: LabCertificate) -> Result<Self, LabelError> {
        if key.verifying_key() != *certificate.public_key() {
            return Err(LabelError::KeyMismatch {
                lab: certificate.name().to_owned(),
                kid: hex::encode(certificate.kid()),
            });
        }
        Ok(Self { key, certificate })
    }

    /// Loads a PKCS#8 PEM key and a PEM certificate (the `issue --key K --cert C` pair).
    pub fn from_files(key_path: &Path, cert_path: &Path) -> Result<Self, LabelError> {
        Self::from_files_with(key_path, cert_path, None)
    }

    /// As [`LabelSigner::from_files`], decrypting an encrypted key with `passphrase`.
    pub fn from_files_with(
        key_path: &Path,
        cert_path: &Path,
        passphrase: Option<&pki::Passphrase>,
    ) -> Result<Self, LabelError> {
        let key = pki::load_signing_key_with(key_path, passphrase)?;
        let certificate = LabCertificate::from_pem_file(cert_path)?;
        Self::new(key, certificate)
    }

    /// The certificate labels are signed under.
    pub fn certificate(&self) -> &LabCertificate {
        &self.certificate
    }

    /// The lab key, for the other things the lab signs (status lists, tree heads).
    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// Signs a transparency-log tree head with the lab key.
    pub fn sign_tree_head(
        &self,
        head: crate::transparency::TreeHead,
    ) -> crate::transparency::SignedTreeHead {
        head.sign(&self.key, self.certificate.kid())
    }

    /// Validates the claims, checks them against the certificate's scope and
    /// validity, and signs them.
    pub fn sign(&self, claims: &Claims) -> Result<SignedLabel, LabelError> {
        claims.validate()?;
        self.certificate.check_scope(&claims.schemes)?;
        self.certificate.check_valid_on(claims.issued)?;
        let kid = self.certificate.kid();
        // Built with our canonical protected bytes, so what is signed is
        // exactly what is sent.
        let mut sign1 = CoseSign1 {
            protected: protected_header(&kid),
            unprotected: Header::default(),
            payload: Some(claims.to_cbor()),
            signature: Vec::new(),
        };
        let tbs = sign1.tbs_data(&[]);
        sign1.signature = self.key.sign(&tbs).to_bytes().to_vec();
        let bytes = sign1.to_tagged_vec().map_err(|e| {
            LabelError::Format(FormatError::NotCoseSign1 {
                reason: format!("cannot serialise: {e}"),
            })
        })?;
        // Re-parse: guarantees we only ever hand out labels our own parser
        // accepts (size cap included).
        SignedLabel::from_bytes(bytes)
    }
}

/// Parses a label's CBOR into coset's model, for tools that want to inspect it
/// with a general COSE library. Not needed for verification.
pub fn to_coset(label: &SignedLabel) -> Result<CoseSign1, LabelError> {
    CoseSign1::from_tagged_slice(label.as_bytes()).map_err(|e| {
        LabelError::Format(FormatError::NotCoseSign1 {
            reason: e.to_string(),
        })
    })
}
