//! High-level label verification: from a file, URL or photo to a status and a reason.
//!
//! [`verify`] never panics and never returns an error: anything wrong with the
//! input is an `Invalid` verdict with a reason naming the specific check that
//! failed, because labels come from shelves and the answer "this label is not
//! genuine, and here is why" is the product.
//!
//! Checks, in order:
//! 1. size cap and COSE_Sign1 shape ([`SignedLabel::from_bytes`]);
//! 2. a lab certificate in the trust store with the label's kid;
//! 3. that certificate chains to the trust anchor (issuer, Ed25519 signature,
//!    end-entity, digitalSignature);
//! 4. the COSE signature, with `verify_strict`;
//! 5. the claims decode canonically;
//! 6. the issue date lies within the lab certificate's and the anchor's validity
//!    (validity is judged on the issue date, not today: a label stays genuine
//!    after the lab's certificate expires, as a signed document does);
//! 7. the claimed schemes lie within the lab's accreditation scope;
//! 8. the support period has not ended on the verification date.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::claims::{gtin14, Claims};
use crate::cose::{SignedLabel, MAX_LABEL_BYTES};
use crate::error::{ChainError, FormatError, LabelError};
use crate::pki::{files, LabCertificate, TrustAnchor};
use crate::qr;
use crate::rfc3339;
use crate::status::StatusList;
use crate::trust_list::TrustList;

/// Largest `.cose` file read by [`LabelInput::classify`]. Larger than the label
/// cap on purpose, so that an oversized label is reported as such by `verify`.
const MAX_COSE_FILE: u64 = 1024 * 1024;

/// A label as the user hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelInput {
    /// The COSE_Sign1 bytes (a `label.cose` file).
    Cose(Vec<u8>),
    /// The URL from the QR code.
    Url(String),
    /// A PNG or JPEG photo or scan of the QR code.
    Image(PathBuf),
}

impl LabelInput {
    /// Classifies a command-line argument: a string starting with `http://` or
    /// `https://` (any case) is a URL; an existing file ending `.cose` is read
    /// as label bytes; an existing file ending `.png`, `.jpg` or `.jpeg` (any
    /// case) is an image. Anything else is a usage error.
    pub fn classify(arg: &str) -> Result<LabelInput, LabelError> {
        let lower = arg.trim_start().to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Ok(LabelInput::Url(arg.trim().to_owned()));
        }
        let path = Path::new(arg);
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let kind_known = matches!(extension.as_str(), "cose" | "png" | "jpg" | "jpeg");
        if !kind_known {
            return Err(LabelError::invalid(
                "label input",
                format!("{arg:?} is not an http(s):// URL or a .cose, .png, .jpg or .jpeg file"),
            ));
        }
        if !path.is_file() {
            return Err(LabelError::invalid(
                "label input",
                format!("{arg:?}: no such file"),
            ));
        }
        if extension == "cose" {
            Ok(LabelInput::Cose(files::read_bounded(path, MAX_COSE_FILE)?))
        } else {
            Ok(LabelInput::Image(path.to_path_buf()))
        }
    }
}

/// What a verifier trusts: the accreditation body's root, and the lab
/// certificates it may find labels signed under (each still checked against
/// the root on every verification).
#[derive(Debug, Clone)]
pub struct TrustStore {
    /// The accreditation body's certificate.
    pub anchor: TrustAnchor,
    /// Known lab certificates.
    pub labs: Vec<LabCertificate>,
    /// The trust list the labs came from, when one was used.
    pub trust_list: Option<TrustListInfo>,
}

/// What a verification used from a trust list.
#[derive(Debug, Clone)]
pub struct TrustListInfo {
    /// The authority that signed it.
    pub authority: String,
    /// When it was issued.
    pub issued: OffsetDateTime,
    /// When a newer one is due.
    pub next_update: OffsetDateTime,
    /// Listed scope per lab kid.
    scopes: Vec<([u8; 8], Vec<String>)>,
    /// Lab certificates the caller offered that the list does not name (kept
    /// only to name them in the rejection).
    unlisted: Vec<LabCertificate>,
}

impl TrustListInfo {
    fn issued_text(&self) -> String {
        self.issued
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.issued.to_string())
    }
}

impl TrustStore {
    /// A store with an anchor and no labs yet.
    pub fn new(anchor: TrustAnchor) -> Self {
        Self {
            anchor,
            labs: Vec::new(),
            trust_list: None,
        }
    }

    /// A store whose labs are exactly those on a verified trust list. Other
    /// lab certificates the caller has (`others`) are not trusted: a label
    /// signed under one is rejected as "not on the trust list".
    pub fn from_trust_list(
        anchor: TrustAnchor,
        list: TrustList,
        others: Vec<LabCertificate>,
    ) -> Self {
        let scopes = list
            .labs
            .iter()
            .map(|l| (l.certificate.kid(), l.scope.clone()))
            .collect();
        let labs: Vec<LabCertificate> = list.labs.into_iter().map(|l| l.certificate).collect();
        let unlisted = others
            .into_iter()
            .filter(|o| !labs.iter().any(|l| l.kid() == o.kid()))
            .collect();
        Self {
            anchor,
            labs,
            trust_list: Some(TrustListInfo {
                authority: list.authority,
                issued: list.issued,
                next_update: list.next_update,
                scopes,
                unlisted,
            }),
        }
    }

    /// Adds a lab certificate.
    #[must_use]
    pub fn with_lab(mut self, lab: LabCertificate) -> Self {
        self.labs.push(lab);
        self
    }

    /// Loads an anchor and lab certificates from PEM files.
    pub fn from_pem_files(anchor: &Path, labs: &[PathBuf]) -> Result<Self, LabelError> {
        let anchor = TrustAnchor::from_pem_file(anchor)?;
        let labs = labs
            .iter()
            .map(|p| LabCertificate::from_pem_file(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            anchor,
            labs,
            trust_list: None,
        })
    }
}

/// The verdict on a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelStatus {
    /// Genuine, and the product is still within its support period.
    Valid,
    /// Genuine but revoked by the issuing lab.
    Revoked,
    /// Genuine, but the support period (security updates) has ended.
    SupportEnded,
    /// Genuine, but issued after the date it was verified for (`--at`).
    NotYetValid,
    /// Not a genuine label: forged, altered, or breaking the rules on what a
    /// lab may sign.
    Invalid,
    /// Could not be decided: no QR code could be read, the lab certificate is
    /// unknown, or revocation was asked about and no current status
    /// information was available.
    Unverifiable,
}

impl LabelStatus {
    /// The JSON spelling: `valid`, `revoked`, `support-ended`,
    /// `not-yet-valid`, `invalid`, `unverifiable`.
    pub fn as_str(self) -> &'static str {
        match self {
            LabelStatus::Valid => "valid",
            LabelStatus::Revoked => "revoked",
            LabelStatus::SupportEnded => "support-ended",
            LabelStatus::NotYetValid => "not-yet-valid",
            LabelStatus::Invalid => "invalid",
            LabelStatus::Unverifiable => "unverifiable",
        }
    }

    /// Every status, in the order summaries list them.
    pub const ALL: [LabelStatus; 6] = [
        LabelStatus::Valid,
        LabelStatus::Revoked,
        LabelStatus::SupportEnded,
        LabelStatus::NotYetValid,
        LabelStatus::Invalid,
        LabelStatus::Unverifiable,
    ];
}

impl fmt::Display for LabelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who issued a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuerInfo {
    /// The lab's name (certificate common name).
    pub lab: String,
    /// The key id, hex.
    pub kid: String,
}

/// The outcome of verifying one label.
///
/// `claims` is present only once the signature has verified — they are then
/// what the lab signed, even if a later check (validity, scope) failed — and
/// `issuer` once the lab certificate has been found and chains to the anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The verdict.
    pub status: LabelStatus,
    /// Why, in one sentence.
    pub reason: String,
    /// The signed claims, when the signature verified.
    pub claims: Option<Claims>,
    /// The issuing lab, when known and chained.
    pub issuer: Option<IssuerInfo>,
    /// Whether revocation was checked, and against which status list.
    pub revocation: Revocation,
}

/// Whether a verification consulted a status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// No status list was consulted (or it could not apply to this label).
    NotChecked {
        /// Why not, in a phrase.
        note: String,
    },
    /// A status list from the label's lab was consulted.
    Checked {
        /// When that list was issued.
        list_issued: OffsetDateTime,
        /// When a newer list is due.
        next_update: OffsetDateTime,
        /// Whether the label is on it.
        revoked: bool,
        /// When and why, when the list says (RFC 3339, text).
        revoked_at: Option<String>,
        reason: Option<String>,
    },
    /// The lab's status list was past its next-update time: it cannot say
    /// the label is not revoked.
    Stale {
        /// When that list was issued.
        list_issued: OffsetDateTime,
        /// When a newer list was due.
        next_update: OffsetDateTime,
    },
    /// A status list was asked for and none could be had.
    Unavailable {
        /// Why, in a phrase.
        note: String,
    },
    /// The issuing lab's own registry records the label as revoked, before
    /// (or without) a signed status list saying so: a service that holds the
    /// registry knows at once.
    Registry {
        /// When the registry recorded the revocation (RFC 3339).
        revoked_at: String,
        /// Why, as the registry recorded it.
        reason: String,
        /// What the signed status lists say, in a phrase.
        list_note: String,
    },
}

impl Revocation {
    fn not_checked() -> Self {
        Revocation::NotChecked {
            note: "revocation not checked".to_owned(),
        }
    }

    /// One line for text output.
    pub fn describe(&self) -> String {
        match self {
            Revocation::NotChecked { note } => note.clone(),
            Revocation::Checked {
                list_issued,
                revoked,
                ..
            } => format!(
                "revocation checked against the status list of {}: {}",
                rfc3339(*list_issued),
                if *revoked { "REVOKED" } else { "not revoked" }
            ),
            Revocation::Stale {
                list_issued,
                next_update,
            } => format!(
                "could not check whether this label was withdrawn: the status list of {} was due to be replaced by {}",
                rfc3339(*list_issued),
                rfc3339(*next_update)
            ),
            Revocation::Unavailable { note } => {
                format!("could not check whether this label was withdrawn: {note}")
            }
            Revocation::Registry {
                revoked_at,
                reason,
                list_note,
            } => format!("revoked in the lab's registry on {revoked_at} ({reason}); {list_note}"),
        }
    }
}

impl Serialize for Revocation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Revocation::NotChecked { note } => {
                let mut s = serializer.serialize_struct("Revocation", 2)?;
                s.serialize_field("checked", &false)?;
                s.serialize_field("note", note)?;
                s.end()
            }
            Revocation::Checked {
                list_issued,
                next_update,
                revoked,
                revoked_at,
                reason,
            } => {
                let mut s = serializer.serialize_struct("Revocation", 8)?;
                s.serialize_field("checked", &true)?;
                s.serialize_field("source", "status-list")?;
                s.serialize_field("note", &self.describe())?;
                s.serialize_field("status_list_issued", &rfc3339(*list_issued))?;
                s.serialize_field("status_list_next_update", &rfc3339(*next_update))?;
                s.serialize_field("revoked", revoked)?;
                if let Some(at) = revoked_at {
                    s.serialize_field("revoked_at", at)?;
                }
                if let Some(why) = reason {
                    s.serialize_field("reason", why)?;
                }
                s.end()
            }
            Revocation::Stale {
                list_issued,
                next_update,
            } => {
                let mut s = serializer.serialize_struct("Revocation", 5)?;
                s.serialize_field("checked", &false)?;
                s.serialize_field("source", "status-list")?;
                s.serialize_field("note", &self.describe())?;
                s.serialize_field("status_list_issued", &rfc3339(*list_issued))?;
                s.serialize_field("status_list_next_update", &rfc3339(*next_update))?;
                s.end()
            }
            Revocation::Unavailable { .. } => {
                let mut s = serializer.serialize_struct("Revocation", 2)?;
                s.serialize_field("checked", &false)?;
                s.serialize_field("note", &self.describe())?;
                s.end()
            }
            Revocation::Registry {
                revoked_at, reason, ..
            } => {
                let mut s = serializer.serialize_struct("Revocation", 6)?;
                s.serialize_field("checked", &true)?;
                s.serialize_field("source", "registry")?;
                s.serialize_field("note", &self.describe())?;
                s.serialize_field("revoked_at", revoked_at)?;
                s.serialize_field("reason", reason)?;
                s.serialize_field("revoked", &true)?;
                s.end()
            }
        }
    }
}

impl Verification {
    /// True only for [`LabelStatus::Valid`].
    pub fn is_valid(&self) -> bool {
        self.status == LabelStatus::Valid
    }

    /// The verdict for an input that could not be read as a label at all
    /// (a missing file, a line that is neither a URL nor a label file): invalid,
    /// with the reason.
    pub fn invalid_input(reason: impl Into<String>) -> Self {
        Self::invalid(reason)
    }

    /// What is left of a verification when revocation was asked about and
    /// no status list could be had (`note` says why): a label that would
    /// otherwise count is unverifiable; one that is invalid stays so.
    #[must_use]
    pub fn without_status_list(self, note: &str) -> Self {
        match self.status {
            LabelStatus::Valid | LabelStatus::SupportEnded | LabelStatus::NotYetValid => {
                let revocation = Revocation::Unavailable {
                    note: note.to_owned(),
                };
                Self {
                    status: LabelStatus::Unverifiable,
                    reason: revocation.describe(),
                    revocation,
                    ..self
                }
            }
            _ => self,
        }
    }

    fn unverifiable(reason: impl Into<String>) -> Self {
        Self {
            status: LabelStatus::Unverifiable,
            ..Self::invalid(reason)
        }
    }

    fn invalid(reason: impl Into<String>) -> Self {
        Self {
            status: LabelStatus::Invalid,
            reason: reason.into(),
            claims: None,
            issuer: None,
            revocation: Revocation::not_checked(),
        }
    }
}

/// JSON as `verify --format json` promises: `valid`, `status`, `reason`,
/// `claims`, `issuer`.
impl Serialize for Verification {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Verification", 6)?;
        s.serialize_field("valid", &self.is_valid())?;
        s.serialize_field("status", &self.status)?;
        s.serialize_field("reason", &self.reason)?;
        s.serialize_field("claims", &self.claims)?;
        s.serialize_field("issuer", &self.issuer)?;
        s.serialize_field("revocation", &self.revocation)?;
        s.end()
    }
}

/// Verifies a label from any input form on the given date, without checking revocation.
pub fn verify(input: &LabelInput, trust: &TrustStore, at: Date) -> Verification {
    verify_with_status(input, trust, at, None)
}

/// Verifies a label and, given the issuing lab's verified status list, whether
/// it is revoked.
pub fn verify_with_status(
    input: &LabelInput,
    trust: &TrustStore,
    at: Date,
    status: Option<&StatusList>,
) -> Verification {
    verify_input(input, trust, at, status, None)
}

/// Verifies many labels against one trust store on one date — a regulator's
/// bulk check. Each verdict is exactly the one [`verify_with_status`] gives
/// for that input, in input order. What the labels share is done once: each
/// lab certificate's chain to the anchor (an Ed25519 verification of its own)
/// is checked once per call rather than once per label, and the inputs are
/// spread over the machine's cores.
///
/// Label signatures are still checked one at a time with `verify_strict`.
/// Ed25519 batch verification (one multi-scalar multiplication for many
/// signatures) is about four times faster, but it does not accept the same
/// set: it checks the cofactorless equation with random 128-bit weights, so a
/// signature whose R carries a small-order component passes it about one time
/// in eight, where `verify_strict` always refuses it. Only the holder of a lab
/// key can make such a signature (the component must be in R before the hash
/// is taken, so it cannot be added to someone else's label), but then the
/// same label would be valid or invalid depending on which verifier, or which
/// batch, checked it. Ruling that out needs a torsion check on every R, which
/// costs more than batching saves (`benches/verify.rs` measures both).
pub fn verify_many(
    inputs: &[LabelInput],
    trust: &TrustStore,
    at: Date,
    status: Option<&StatusList>,
) -> Vec<Verification> {
    let chains: Vec<Result<(), ChainError>> = trust
        .labs
        .iter()
        .map(|lab| lab.check_issued_by(&trust.anchor))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 16);
    let per_thread = inputs.len().div_ceil(threads).max(1);
    let chains = chains.as_slice();
    std::thread::scope(|scope| {
        let workers: Vec<_> = inputs
            .chunks(per_thread)
            .map(|chunk| {
                let worker = scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|input| verify_input(input, trust, at, status, Some(chains)))
                        .collect::<Vec<_>>()
                });
                (chunk.len(), worker)
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|(len, worker)| {
                // verify_input does not panic; should a dependency, the
                // chunk's labels are reported invalid rather than lost.
                worker.join().unwrap_or_else(|_| {
                    vec![Verification::invalid("internal error while verifying this label"); len]
                })
            })
            .collect()
    })
}

/// Verifies one input; `chains` holds each trust-store lab's chain check
/// when the caller has already done them.
fn verify_input(
    input: &LabelInput,
    trust: &TrustStore,
    at: Date,
    status: Option<&StatusList>,
    chains: Option<&[Result<(), ChainError>]>,
) -> Verification {
    let label = match input {
        // Refuse an oversized input before copying it.
        LabelInput::Cose(bytes) if bytes.len() > MAX_LABEL_BYTES => {
            Err(LabelError::Format(FormatError::TooLarge {
                len: bytes.len(),
                max: MAX_LABEL_BYTES,
            }))
        }
        LabelInput::Cose(bytes) => SignedLabel::from_bytes(bytes.clone()).map(|l| (l, None)),
        LabelInput::Url(url) => label_from_url(url),
        LabelInput::Image(path) => qr::decode_image(path).and_then(|url| label_from_url(&url)),
    };
    match label {
        Ok((label, link_gtin)) => check_link_gtin(
            verify_parsed(&label, trust, at, status, chains),
            link_gtin.as_deref(),
        ),
        // A photo in which no code can be read says nothing about a label.
        Err(e @ (LabelError::Image { .. } | LabelError::NoQrCode { .. })) => {
            Verification::unverifiable(e.to_string())
        }
        Err(e) => Verification::invalid(e.to_string()),
    }
}

/// The label in a URL of either form, and the GTIN a Digital Link names.
fn label_from_url(url: &str) -> Result<(SignedLabel, Option<String>), LabelError> {
    let parsed = qr::parse_label_url(url)?;
    let label = SignedLabel::from_bytes(qr::decode_digits(parsed.digits)?)?;
    Ok((label, parsed.gtin))
}

/// A Digital Link names a product in its path; a genuine label pasted into
/// the link of another product is not that product's label. `link_gtin` is
/// the 14-digit GTIN of [`qr::LabelUrl::gtin`]; with none, `v` is returned
/// as it is.
pub fn check_link_gtin(v: Verification, link_gtin: Option<&str>) -> Verification {
    let (Some(named), Some(claims)) = (link_gtin, &v.claims) else {
        return v;
    };
    let signed = claims.gtin.as_deref().map(gtin14);
    if signed.as_deref() == Some(named) {
        return v;
    }
    Verification {
        status: LabelStatus::Invalid,
        reason: format!(
            "the GS1 Digital Link names GTIN {named}, but the label is signed for {}",
            signed.map_or_else(|| "no GTIN".to_owned(), |g| format!("GTIN {g}"))
        ),
        ..v
    }
}

/// The claims of a label *without* checking its signature or issuer: for the
/// lab's own registry, which holds only labels it signed itself. Never use it
/// on a label from outside.
pub fn unverified_claims(label: &SignedLabel) -> Result<Claims, LabelError> {
    Claims::from_cbor(label.payload())
}

/// How far a candidate lab certificate got; with several certificates for one
/// key (a renewed certificate), the most informative failure is reported.
struct Failure {
    stage: u8,
    verification: Box<Verification>,
}

/// Verifies a parsed label on the given date, without checking revocation.
pub fn verify_label(label: &SignedLabel, trust: &TrustStore, at: Date) -> Verification {
    verify_label_with_status(label, trust, at, None)
}

/// Verifies a parsed label on the given date, and its revocation status when
/// the lab's verified status list is given.
pub fn verify_label_with_status(
    label: &SignedLabel,
    trust: &TrustStore,
    at: Date,
    status: Option<&StatusList>,
) -> Verification {
    verify_parsed(label, trust, at, status, None)
}

fn verify_parsed(
    label: &SignedLabel,
    trust: &TrustStore,
    at: Date,
    status: Option<&StatusList>,
    chains: Option<&[Result<(), ChainError>]>,
) -> Verification {
    let kid = match label.kid() {
        Ok(kid) => kid,
        Err(e) => return Verification::invalid(e.to_string()),
    };
    let kid_hex = hex::encode(kid);
    let mut best: Option<Failure> = None;
    for (i, lab) in trust
        .labs
        .iter()
        .enumerate()
        .filter(|(_, l)| l.kid() == kid)
    {
        let chain = match chains.and_then(|c| c.get(i)) {
            Some(done) => done.clone(),
            None => lab.check_issued_by(&trust.anchor),
        };
        match check_with(label, lab, chain, trust, at, &kid_hex, status) {
            Ok(v) => return v,
            Err(f) => {
                if best.as_ref().is_none_or(|b| f.stage > b.stage) {
                    best = Some(f);
                }
            }
        }
    }
    match (best, &trust.trust_list) {
        (Some(f), _) => *f.verification,
        (None, Some(list)) => {
            let who = match list.unlisted.iter().find(|l| l.kid() == kid) {
                Some(l) => format!("lab {} (kid {kid_hex})", l.name()),
                None => format!("the lab with kid {kid_hex}"),
            };
            Verification::invalid(format!(
                "{who} is not on the trust list issued {} by {}",
                list.issued_text(),
                list.authority
            ))
        }
        // Without a trust list, an unknown kid may be a lab this verifier
        // was not told about: it cannot tell. (A trust list names every
        // accredited lab, so a kid it lacks is refused above.)
        (None, None) => Verification::unverifiable(format!(
            "no lab certificate with kid {kid_hex} in the trust store: give the lab's certificate (--lab-cert) or the authority's trust list"
        )),
    }
}

fn check_with(
    label: &SignedLabel,
    lab: &LabCertificate,
    chain: Result<(), ChainError>,
    trust: &TrustStore,
    at: Date,
    kid_hex: &str,
    status: Option<&StatusList>,
) -> Result<Verification, Failure> {
    let fail =
        |stage: u8, reason: String, claims: Option<Claims>, issuer: Option<IssuerInfo>| Failure {
            stage,
            verification: Box::new(Verification {
                status: LabelStatus::Invalid,
                reason,
                claims,
                issuer,
                revocation: Revocation::not_checked(),
            }),
        };

    chain.map_err(|e| fail(1, e.to_string(), None, None))?;
    let issuer = IssuerInfo {
        lab: lab.name().to_owned(),
        kid: kid_hex.to_owned(),
    };

    lab.public_key()
        .verify_strict(&label.to_be_signed(), &label.signature())
        .map_err(|_| {
            fail(
                2,
                format!(
                    "COSE signature does not verify with the key of lab {} (kid {kid_hex})",
                    lab.name()
                ),
                None,
                Some(issuer.clone()),
            )
        })?;

    let claims = Claims::from_cbor(label.payload())
        .map_err(|e| fail(3, e.to_string(), None, Some(issuer.clone())))?;
    // What a lab may sign is checked on every verification, not only when a
    // label is issued: a key used outside `iotmark issue` gains nothing.
    // Against the real clock: `at` asks about another day, not another now.
    claims.check_dates(OffsetDateTime::now_utc()).map_err(|e| {
        fail(
            3,
            format!("the label claims what a lab may not sign: {e}"),
            Some(claims.clone()),
            Some(issuer.clone()),
        )
    })?;
    let signed = |stage: u8, e: LabelError| {
        fail(
            stage,
            e.to_string(),
            Some(claims.clone()),
            Some(issuer.clone()),
        )
    };

    lab.check_valid_on(claims.issued)
        .map_err(|e| signed(4, e))?;
    trust
        .anchor
        .check_valid_on(claims.issued)
        .map_err(|e| signed(5, e))?;
    lab.check_scope(&claims.schemes).map_err(|e| signed(6, e))?;
    if let Some(list) = &trust.trust_list {
        let listed = list
            .scopes
            .iter()
            .find(|(k, _)| *k == lab.kid())
            .map(|(_, s)| s.as_slice())
            .unwrap_or_default();
        if let Some(s) = claims.schemes.iter().find(|s| !listed.contains(s)) {
            return Err(fail(
                7,
                format!(
                    "scheme {s} is outside the scope the trust list issued {} gives lab {} ({})",
                    list.issued_text(),
                    lab.name(),
                    crate::error::scope_list(listed)
                ),
                Some(claims.clone()),
                Some(issuer.clone()),
            ));
        }
    }

    let revocation = match status {
        None => Revocation::not_checked(),
        Some(list) if !list.kid().eq_ignore_ascii_case(kid_hex) => Revocation::NotChecked {
            note: format!(
                "revocation not checked: the status list is signed by kid {}, not by this label's lab (kid {kid_hex})",
                list.kid()
            ),
        },
        // A revocation stays true however old the list; a stale list
        // cannot say a label is not revoked.
        Some(list) if list.is_stale(OffsetDateTime::now_utc()) && !list.is_revoked(claims.serial) => {
            Revocation::Stale {
                list_issued: list.issued(),
                next_update: list.next_update(),
            }
        }
        Some(list) => {
            let entry = list.entry(claims.serial);
            Revocation::Checked {
                list_issued: list.issued(),
                next_update: list.next_update(),
                revoked: list.is_revoked(claims.serial),
                revoked_at: entry.map(|e| e.revoked_at.clone()),
                reason: entry.map(|e| e.reason.clone()),
            }
        }
    };
    if let Revocation::Checked {
        list_issued,
        revoked: true,
        revoked_at,
        reason,
        ..
    } = &revocation
    {
        let when_why = match (revoked_at, reason) {
            (Some(at), Some(why)) => format!(" on {at}: {why}"),
            _ => String::new(),
        };
        return Ok(Verification {
            status: LabelStatus::Revoked,
            reason: format!(
                "label {} was revoked by {}{when_why} (status list issued {})",
                claims.serial,
                lab.name(),
                rfc3339(*list_issued)
            ),
            claims: Some(claims),
            issuer: Some(issuer),
            revocation,
        });
    }

    let (status, reason) = if at < claims.issued {
        (
            LabelStatus::NotYetValid,
            format!(
                "the label was issued on {}, after the date asked about ({at})",
                claims.issued
            ),
        )
    } else if let Revocation::Stale { .. } = &revocation {
        (LabelStatus::Unverifiable, revocation.describe())
    } else if at > claims.support_end {
        (
            LabelStatus::SupportEnded,
            format!("security updates ended on {}", claims.support_end),
        )
    } else {
        (
            LabelStatus::Valid,
            format!(
                "genuine {} from {} for {}; security updates until {}",
                if claims.simulated {
                    "demonstration label (a simulated product, not a tested one)"
                } else {
                    "label"
                },
                lab.name(),
                claims.schemes.join(", "),
                claims.support_end
            ),
        )
    };
    Ok(Verification {
        status,
        reason,
        claims: Some(claims),
        issuer: Some(issuer),
        revocation,
    })
}
