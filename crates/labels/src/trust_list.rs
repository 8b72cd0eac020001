//! Trust lists: the accreditation body's signed list of accredited labs.
//!
//! A verifier that holds only the authority's certificate (the trust anchor)
//! and the current trust list can check a label from any accredited lab with
//! no lab certificate at hand, and a lab the authority has withdrawn is
//! rejected even though its certificate still chains. The list is JSON
//! (`schemas/trust-list.schema.json`) signed by the authority key in a
//! COSE_Sign1 with content type [`CONTENT_TYPE`]; it names each lab with its
//! key id, its certificate and the schemes it is accredited for, and carries an
//! issue time and a next-update time after which it is refused.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::error::{DocumentError, LabelError};
use crate::pki::{AuthorityCredentials, LabCertificate, TrustAnchor};
use crate::rfc3339;
use crate::signed_doc::{self, SignedDocument};

/// Content type in the protected header.
pub const CONTENT_TYPE: &str = "application/iotmark-trust-list+json";

/// Largest signed trust list accepted.
pub const MAX_TRUST_LIST_BYTES: usize = 4 * 1024 * 1024;

const WHAT: &str = "trust list";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    authority: String,
    authority_kid: String,
    issued: String,
    next_update: String,
    labs: Vec<LabEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabEntry {
    name: String,
    kid: String,
    scope: Vec<String>,
    certificate: String,
}

/// One accredited lab on the list.
#[derive(Debug, Clone)]
pub struct AccreditedLab {
    /// The lab's certificate.
    pub certificate: LabCertificate,
    /// Schemes the authority lists it for (a subset of the certificate's scope).
    pub scope: Vec<String>,
}

/// A verified (or about to be signed) trust list.
#[derive(Debug, Clone)]
pub struct TrustList {
    /// The authority's name.
    pub authority: String,
    /// Issue time.
    pub issued: OffsetDateTime,
    /// When a newer list is due; after that day the list is refused.
    pub next_update: OffsetDateTime,
    /// The accredited labs.
    pub labs: Vec<AccreditedLab>,
}

fn malformed(reason: impl Into<String>) -> DocumentError {
    DocumentError::Malformed {
        what: WHAT,
        reason: reason.into(),
    }
}

impl TrustList {
    /// A list of labs, each listed for its certificate's whole scope.
    pub fn new(
        authority: &TrustAnchor,
        labs: Vec<LabCertificate>,
        issued: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Result<Self, LabelError> {
        if next_update <= issued {
            return Err(LabelError::invalid(
                "trust list",
                "next update must be after the issue time",
            ));
        }
        let mut entries: Vec<AccreditedLab> = Vec::new();
        for lab in labs {
            lab.check_issued_by(authority)?;
            if entries.iter().any(|e| e.certificate.kid() == lab.kid()) {
                return Err(LabelError::invalid(
                    "trust list",
                    format!(
                        "lab {} (kid {}) listed twice",
                        lab.name(),
                        hex::encode(lab.kid())
                    ),
                ));
            }
            entries.push(AccreditedLab {
                scope: lab.scope().to_vec(),
                certificate: lab,
            });
        }
        Ok(Self {
            authority: authority.name().to_owned(),
            issued: issued.replace_nanosecond(0).unwrap_or(issued),
            next_update: next_update.replace_nanosecond(0).unwrap_or(next_update),
            labs: entries,
        })
    }

    /// Signs the list with the authority key.
    pub fn sign(&self, authority: &AuthorityCredentials) -> Result<Vec<u8>, LabelError> {
        let kid = authority.anchor().kid();
        let doc = Document {
            authority: authority.anchor().name().to_owned(),
            authority_kid: hex::encode(kid),
            issued: rfc3339(self.issued),
            next_update: rfc3339(self.next_update),
            labs: self
                .labs
                .iter()
                .map(|l| LabEntry {
                    name: l.certificate.name().to_owned(),
                    kid: hex::encode(l.certificate.kid()),
                    scope: l.scope.clone(),
                    certificate: l.certificate.to_pem().to_owned(),
                })
                .collect(),
        };
        let payload = serde_json::to_vec_pretty(&doc)
            .map_err(|e| LabelError::invalid("trust list", e.to_string()))?;
        signed_doc::sign(authority.signing_key(), kid, CONTENT_TYPE, payload)
    }

    /// Parses and checks a signed trust list against the anchor on date `at`:
    /// signed by the anchor's key, current (issued on or before `at`, next
    /// update on or after it), every lab certificate chaining to the anchor
    /// with the kid and a scope its certificate grants.
    pub fn verify(
        bytes: &[u8],
        anchor: &TrustAnchor,
        at: Date,
    ) -> Result<TrustList, DocumentError> {
        let doc = SignedDocument::parse(bytes, WHAT, CONTENT_TYPE, MAX_TRUST_LIST_BYTES)?;
        if doc.kid != anchor.kid() {
            return Err(DocumentError::UnknownSigner {
                what: WHAT,
                kid: hex::encode(doc.kid),
                expected: format!(
                    "the trust anchor {} (kid {})",
                    anchor.name(),
                    hex::encode(anchor.kid())
                ),
            });
        }
        let payload = doc.verified_payload(anchor.public_key(), WHAT, anchor.name())?;
        let d: Document = serde_json::from_slice(payload).map_err(|e| malformed(e.to_string()))?;
        let time = |field: &str, s: &str| {
            OffsetDateTime::parse(s, &Rfc3339)
                .map_err(|e| malformed(format!("{field} {s:?} is not an RFC 3339 time: {e}")))
        };
        let issued = time("issued", &d.issued)?;
        let next_update = time("next_update", &d.next_update)?;
        if at < issued.date() {
            return Err(DocumentError::NotYetValid {
                what: WHAT,
                issued: d.issued,
                at: at.to_string(),
            });
        }
        if at > next_update.date() {
            return Err(DocumentError::Expired {
                what: WHAT,
                issued: d.issued,
                next_update: d.next_update,
            });
        }
        let mut labs = Vec::with_capacity(d.labs.len());
        for entry in d.labs {
            let cert = LabCertificate::from_pem(&entry.certificate)
                .map_err(|e| malformed(format!("lab {}: {e}", entry.name)))?;
            cert.check_issued_by(anchor)
                .map_err(|e| malformed(format!("lab {}: {e}", entry.name)))?;
            if !entry.kid.eq_ignore_ascii_case(&hex::encode(cert.kid())) {
                return Err(malformed(format!(
                    "lab {}: kid {} does not match its certificate",
                    entry.name, entry.kid
                )));
            }
            if let Some(s) = entry.scope.iter().find(|s| !cert.scope().contains(s)) {
                return Err(malformed(format!(
                    "lab {}: listed scope {s} is not in its certificate",
                    entry.name
                )));
            }
            labs.push(AccreditedLab {
                certificate: cert,
                scope: entry.scope,
            });
        }
        Ok(TrustList {
            authority: d.authority,
            issued,
            next_update,
            labs,
        })
    }

    /// Signs an arbitrary payload as a trust list, so a fuzzer can reach the
    /// document parser behind the signature check. Not for production use.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn sign_any_payload(
        authority: &AuthorityCredentials,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, LabelError> {
        signed_doc::sign(
            authority.signing_key(),
            authority.anchor().kid(),
            CONTENT_TYPE,
            payload,
        )
    }

    /// Issue time, RFC 3339.
    pub fn issued_text(&self) -> String {
        rfc3339(self.issued)
    }
}
