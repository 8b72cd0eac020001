//! `iotmark report sign|verify|documents`: the lab's signature over a report
//! folder, checking it, and the documents made from a report.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use iotmark_labels::pki::{LabCertificate, TrustAnchor};
use iotmark_labels::trust_list::{TrustList, MAX_TRUST_LIST_BYTES};
use iotmark_labels::verify::{unverified_claims, verify_label, LabelStatus, TrustStore};
use iotmark_labels::{report_seal, LabelSigner, SignedLabel};
use iotmark_steps::report::{self, documents, seal};
use serde::Serialize;

use crate::cli::Format;
use crate::output;
use crate::Exit;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Sign a report folder with the lab key: writes DIR/report.seal and DIR/lab.pem.
    Sign(SignArgs),
    /// Check a signed report folder: the lab's signature (and certificate chain,
    /// with --trust-anchor), every sealed file, every evidence line, and
    /// optionally that a label carries this report's hash.
    Verify(VerifyReportArgs),
    /// Write report.html, statement-of-compliance.html and
    /// cra-user-information.html again from DIR/report.json.
    Documents(DocumentsArgs),
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The report folder (report.json, evidence.jsonl, …).
    pub dir: PathBuf,
    /// The lab's private key (lab.key).
    #[arg(long)]
    pub key: PathBuf,
    /// The lab's certificate (lab.pem).
    #[arg(long)]
    pub cert: PathBuf,
    /// Environment variable holding the passphrase of an encrypted --key.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct VerifyReportArgs {
    /// The report folder.
    pub dir: PathBuf,
    /// The lab certificate the seal must be signed under (default: DIR/lab.pem).
    #[arg(long)]
    pub cert: Option<PathBuf>,
    /// The accreditation authority's certificate: also check the lab
    /// certificate chains to it and was valid when the report was signed.
    #[arg(long)]
    pub trust_anchor: Option<PathBuf>,
    /// The authority's signed trust list (needs --trust-anchor): the lab
    /// must also be on it, listed for the report's scheme.
    #[arg(long, requires = "trust_anchor")]
    pub trust_list: Option<PathBuf>,
    /// A label.cose: check it carries this report's hash.
    #[arg(long)]
    pub label: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DocumentsArgs {
    /// The report folder.
    pub dir: PathBuf,
}

pub fn report(command: ReportCommand) -> anyhow::Result<Exit> {
    match command {
        ReportCommand::Sign(a) => sign(a),
        ReportCommand::Verify(a) => verify(a),
        ReportCommand::Documents(a) => documents_cmd(a),
    }
}

/// What signing wrote.
#[derive(Debug, Serialize)]
pub struct Sealed {
    pub seal: PathBuf,
    pub lab: String,
    pub kid: String,
    pub report_sha256: String,
    pub files: Vec<String>,
}

/// Sign `dir` with the lab key and certificate. Refuses a folder whose
/// evidence does not check out.
/// `passphrase_env` names the environment variable holding the passphrase of
/// an encrypted key.
pub fn sign_folder(
    dir: &Path,
    key: &Path,
    cert: &Path,
    passphrase_env: Option<&str>,
) -> anyhow::Result<Sealed> {
    let passphrase = super::keys::passphrase_from_env("--passphrase-env", passphrase_env)?;
    let signer = LabelSigner::from_files_with(key, cert, passphrase.as_ref())?;
    let certificate = signer.certificate();
    let kid = hex::encode(certificate.kid());
    let manifest = seal::manifest(
        dir,
        certificate.name(),
        &kid,
        time::OffsetDateTime::now_utc(),
    )
    .with_context(|| format!("refusing to sign {}", dir.display()))?;
    let payload = serde_json::to_vec_pretty(&manifest)?;
    let bytes = report_seal::sign(&signer, payload)?;
    let seal_path = dir.join(seal::SEAL_FILE);
    std::fs::write(&seal_path, &bytes)
        .with_context(|| format!("cannot write {}", seal_path.display()))?;
    let cert_path = dir.join(seal::LAB_CERT_FILE);
    std::fs::write(&cert_path, certificate.to_pem())
        .with_context(|| format!("cannot write {}", cert_path.display()))?;
    Ok(Sealed {
        seal: seal_path,
        lab: certificate.name().to_string(),
        kid,
        report_sha256: manifest.report_sha256,
        files: manifest.files.into_iter().map(|f| f.name).collect(),
    })
}

fn sign(args: SignArgs) -> anyhow::Result<Exit> {
    let sealed = sign_folder(
        &args.dir,
        &args.key,
        &args.cert,
        args.passphrase_env.as_deref(),
    )?;
    match args.format {
        Format::Json => output::print_json(&sealed)?,
        Format::Text => {
            outln!(
                "signed by {} (kid {}): {}",
                sealed.lab,
                sealed.kid,
                sealed.files.join(", ")
            );
            outln!("report SHA-256 {}", sealed.report_sha256);
            outln!("wrote {}", sealed.seal.display());
        }
    }
    Ok(Exit::Success)
}

/// The label part of a verification.
#[derive(Debug, Serialize)]
pub struct LabelCheck {
    pub file: PathBuf,
    pub report_sha256: String,
    pub matches: bool,
    /// The label's own verification, when a trust anchor was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The outcome of `report verify`.
#[derive(Debug, Serialize)]
pub struct ReportVerification {
    pub valid: bool,
    /// Every sealed file, JSON part and evidence line is as signed (and the
    /// label, if given, matches); `valid` also needs a checked signer.
    pub intact: bool,
    pub reason: String,
    pub dir: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lab: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_sha256: Option<String>,
    /// `checked` against --trust-anchor, `trust-list` (also on the
    /// authority's trust list for the report's scheme), `pinned` (the signer
    /// is the certificate given with --cert), or `not-checked` (the signer is only the
    /// certificate found in the folder itself, which anyone could have put
    /// there: not valid, exit 3).
    pub chain: &'static str,
    pub findings: Vec<seal::Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<LabelCheck>,
}

impl ReportVerification {
    fn invalid(dir: &Path, reason: String) -> ReportVerification {
        ReportVerification {
            valid: false,
            intact: false,
            reason,
            dir: dir.to_path_buf(),
            lab: None,
            kid: None,
            signed: None,
            report_sha256: None,
            chain: "not-checked",
            findings: Vec::new(),
            label: None,
        }
    }
}

fn check_label(
    path: &Path,
    seal: &seal::Seal,
    trust: Option<TrustStore>,
) -> anyhow::Result<LabelCheck> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() > iotmark_labels::cose::MAX_LABEL_BYTES as u64 {
        anyhow::bail!(
            "{} is {} bytes, larger than any label",
            path.display(),
            meta.len()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut check = LabelCheck {
        file: path.to_path_buf(),
        report_sha256: String::new(),
        matches: false,
        status: None,
        reason: None,
    };
    let label = match SignedLabel::from_bytes(bytes) {
        Ok(l) => l,
        Err(e) => {
            check.reason = Some(format!("not a label: {e}"));
            return Ok(check);
        }
    };
    match unverified_claims(&label) {
        Ok(claims) => {
            // The label holds the whole SHA-256 or, in compact labels, its
            // first half; both print as hex in the claims' JSON.
            let claimed = serde_json::to_value(&claims)
                .ok()
                .and_then(|v| {
                    v.get("report_sha256")
                        .and_then(|h| h.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_default();
            check.matches = claimed.len() >= 32 && seal.report_sha256.starts_with(&claimed);
            check.report_sha256 = claimed;
        }
        Err(e) => check.reason = Some(format!("label claims unreadable: {e}")),
    }
    if let Some(trust) = trust {
        let v = verify_label(&label, &trust, time::OffsetDateTime::now_utc().date());
        check.status = Some(v.status.as_str().to_string());
        if check.reason.is_none() {
            check.reason = Some(v.reason);
        }
    }
    Ok(check)
}

/// Verify a report folder. `Err` is bad input (unreadable certificate or
/// anchor, no such folder); everything about the folder's integrity is in the
/// returned value.
pub fn verify_folder(args: &VerifyReportArgs) -> anyhow::Result<ReportVerification> {
    let dir = &args.dir;
    if !dir.is_dir() {
        anyhow::bail!("{} is not a report folder", dir.display());
    }
    let anchor = args
        .trust_anchor
        .as_deref()
        .map(TrustAnchor::from_pem_file)
        .transpose()?;
    let seal_path = dir.join(seal::SEAL_FILE);
    let seal_bytes = match std::fs::read(&seal_path) {
        Ok(b) => b,
        Err(e) => {
            return Ok(ReportVerification::invalid(
                dir,
                format!(
                    "the report is not signed: cannot read {}: {e}",
                    seal_path.display()
                ),
            ))
        }
    };
    let cert_path = args
        .cert
        .clone()
        .unwrap_or_else(|| dir.join(seal::LAB_CERT_FILE));
    let cert = LabCertificate::from_pem_file(&cert_path)?;
    let payload = match report_seal::open(&seal_bytes, &cert) {
        Ok(p) => p,
        Err(e) => {
            return Ok(ReportVerification::invalid(
                dir,
                format!("{}: {e}", seal_path.display()),
            ))
        }
    };
    let manifest = match seal::parse_manifest(&payload) {
        Ok(m) => m,
        Err(e) => return Ok(ReportVerification::invalid(dir, e.to_string())),
    };
    let mut out = ReportVerification {
        valid: false,
        intact: false,
        reason: String::new(),
        dir: dir.to_path_buf(),
        lab: Some(cert.name().to_string()),
        kid: Some(hex::encode(cert.kid())),
        signed: Some(manifest.signed.clone()),
        report_sha256: Some(manifest.report_sha256.clone()),
        chain: "not-checked",
        findings: Vec::new(),
        label: None,
    };
    let mut problems: Vec<String> = Vec::new();
    if args.cert.is_some() {
        out.chain = "pinned";
    }
    if let Some(anchor) = &anchor {
        out.chain = "checked";
        if let Err(e) = cert.check_issued_by(anchor) {
            problems.push(format!("lab certificate: {e}"));
        }
        match time::OffsetDateTime::parse(
            &manifest.signed,
            &time::format_description::well_known::Rfc3339,
        ) {
            Ok(t) => {
                if let Err(e) = cert.check_valid_on(t.date()) {
                    problems.push(format!("lab certificate on the signing date: {e}"));
                }
            }
            Err(e) => problems.push(format!("seal time {:?}: {e}", manifest.signed)),
        }
        // As for a label: the lab's accreditation must cover the scheme the
        // report was run under. (A report.json that cannot be read is a
        // finding of the seal check below.)
        if let Ok((r, _)) = report::read(&dir.join("report.json")) {
            if let Err(e) = cert.check_scope(std::slice::from_ref(&r.scheme)) {
                problems.push(format!("lab certificate: {e}"));
            }
        }
    }
    if let (Some(anchor), Some(list_path)) = (&anchor, &args.trust_list) {
        out.chain = "trust-list";
        if let Err(e) = check_listed(anchor, list_path, &cert, dir) {
            problems.push(e);
        }
    }
    out.findings = seal::check_folder(dir, &manifest);
    if let Some(first) = out.findings.first() {
        problems.push(if out.findings.len() == 1 {
            format!("edited after signing: {first}")
        } else {
            format!(
                "edited after signing: {first} (and {} more)",
                out.findings.len() - 1
            )
        });
    }
    if let Some(label_path) = &args.label {
        let trust = anchor.clone().map(|a| {
            let mut t = TrustStore::new(a).with_lab(cert.clone());
            if let Some(beside) = label_path.parent().map(|p| p.join("lab.pem")) {
                if let Ok(other) = LabCertificate::from_pem_file(&beside) {
                    t = t.with_lab(other);
                }
            }
            t
        });
        let check = check_label(label_path, &manifest, trust)?;
        if !check.matches {
            problems.push(format!(
                "label {} does not carry this report's hash ({} in the label, {} signed)",
                label_path.display(),
                if check.report_sha256.is_empty() {
                    "none"
                } else {
                    check.report_sha256.as_str()
                },
                manifest.report_sha256
            ));
        }
        if check.status.as_deref() == Some(LabelStatus::Invalid.as_str()) {
            problems.push(format!(
                "label {} is not genuine: {}",
                label_path.display(),
                check.reason.clone().unwrap_or_default()
            ));
        }
        out.label = Some(check);
    }
    out.intact = problems.is_empty();
    out.valid = out.intact && out.chain != "not-checked";
    out.reason = if out.intact {
        let what = format!(
            "{} files and {} evidence records are as signed on {} by the key of \"{}\"",
            manifest.files.len(),
            manifest.evidence.records,
            manifest.signed,
            cert.name(),
        );
        match out.chain {
            "checked" => format!("{what}, accredited by the trust anchor"),
            "trust-list" => format!(
                "{what}, accredited by the trust anchor and on its current trust list for the report's scheme"
            ),
            "pinned" => format!("{what}, the certificate given with --cert"),
            _ => format!(
                "{what}, but that certificate came from the folder itself, so who signed is \
                 unknown: pass --trust-anchor ROOT.pem (or --cert LAB.pem)"
            ),
        }
    } else {
        problems.join("; ")
    };
    Ok(out)
}

/// The lab of `cert` is on the authority's current trust list (verified
/// against `anchor`), listed for the scheme the report in `dir` was run
/// under. The reason it is not, naming the file, otherwise.
fn check_listed(
    anchor: &TrustAnchor,
    list_path: &Path,
    cert: &LabCertificate,
    dir: &Path,
) -> Result<(), String> {
    let today = time::OffsetDateTime::now_utc().date();
    let bytes = crate::cmd::verify::read_capped(list_path, MAX_TRUST_LIST_BYTES)
        .map_err(|e| format!("--trust-list: {e:#}"))?;
    let list = TrustList::verify(&bytes, anchor, today)
        .map_err(|e| format!("--trust-list {}: {e}", list_path.display()))?;
    let Some(entry) = list.labs.iter().find(|l| l.certificate.kid() == cert.kid()) else {
        return Err(format!(
            "lab {} (kid {}) is not on the trust list issued {} by {}",
            cert.name(),
            hex::encode(cert.kid()),
            list.issued_text(),
            list.authority
        ));
    };
    let (report, _) = report::read(&dir.join("report.json"))
        .map_err(|e| format!("cannot read the report's scheme: {e:#}"))?;
    if !entry.scope.contains(&report.scheme) {
        return Err(format!(
            "the trust list issued {} lists lab {} for {}, not for the report's scheme {}",
            list.issued_text(),
            cert.name(),
            if entry.scope.is_empty() {
                "no scheme".to_owned()
            } else {
                entry.scope.join(", ")
            },
            report.scheme
        ));
    }
    Ok(())
}

fn verify(args: VerifyReportArgs) -> anyhow::Result<Exit> {
    let v = verify_folder(&args)?;
    match args.format {
        Format::Json => output::print_json(&v)?,
        Format::Text => {
            outln!("{}: {}", verdict_word(&v), v.reason);
            for f in &v.findings {
                outln!("  {f}");
            }
            if let Some(l) = &v.label {
                outln!(
                    "  label {}: report hash {}{}",
                    l.file.display(),
                    if l.matches {
                        "matches"
                    } else {
                        "DOES NOT MATCH"
                    },
                    l.status
                        .as_deref()
                        .map(|s| format!("; label {s}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(if v.valid {
        Exit::Success
    } else if signer_unknown(&v) {
        Exit::Inconclusive
    } else {
        Exit::Negative
    })
}

/// Every file is as sealed, but the only certificate was the folder's own.
fn signer_unknown(v: &ReportVerification) -> bool {
    v.intact && !v.valid
}

fn verdict_word(v: &ReportVerification) -> &'static str {
    if v.valid {
        "VALID"
    } else if signer_unknown(v) {
        "SIGNER NOT CHECKED"
    } else {
        "INVALID"
    }
}

fn documents_cmd(args: DocumentsArgs) -> anyhow::Result<Exit> {
    let (r, _) = report::read(&args.dir.join("report.json"))?;
    report::write_documents(&args.dir, &r)?;
    let today = time::OffsetDateTime::now_utc().date();
    for name in [
        "report.html",
        documents::STATEMENT_FILE,
        documents::CRA_FILE,
    ] {
        outln!("wrote {}", args.dir.join(name).display());
    }
    let missing = documents::missing_statement_fields(&r, today);
    if !missing.is_empty() {
        eprintln!(
            "the statement of compliance lacks {} (add a declaration block to the profile)",
            missing.join(", ")
        );
    }
    if args.dir.join(seal::SEAL_FILE).exists() {
        eprintln!("the folder was signed before: sign it again (iotmark report sign)");
    }
    Ok(Exit::Success)
}
