//! `iotmark issue`: a signed label from a conformant report.

use std::path::{Path, PathBuf};

use anyhow::Context;
use iotmark_labels::claims::ReportDigest;
use iotmark_labels::report_seal;
use iotmark_labels::{qr, Claims, LabelSigner};
use iotmark_registry::Registry;
use iotmark_steps::report::{self, seal};
use iotmark_steps::verdict::{Conformance, Verdict};
use serde::Serialize;

use crate::cli::{Format, IssueArgs};
use crate::output;
use crate::Exit;

/// What `issue` wrote, as `label.json` and `--format json` show it.
#[derive(Debug, Serialize)]
pub struct IssuedLabel {
    pub serial: u64,
    /// What the QR code holds (`label.url`).
    pub url: String,
    /// The GS1 Digital Link form, when the label carries a GTIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digital_link_url: Option<String>,
    pub qr_version: u8,
    pub kid: String,
    pub lab: String,
    pub bytes: usize,
    pub claims: Claims,
    /// The registry the label is recorded in.
    pub registry: PathBuf,
    /// Its position in the registry's transparency log.
    pub leaf_index: u64,
    /// The log size under the tree head signed when it was appended.
    pub tree_size: u64,
    pub files: Vec<PathBuf>,
}

/// The registry file: as given, or `registry.db` beside the lab key.
pub fn registry_path(args: &IssueArgs) -> PathBuf {
    args.registry
        .clone()
        .unwrap_or_else(|| args.key.with_file_name("registry.db"))
}

/// Why a report may not carry a label, one line per test case that stops it.
fn blockers(r: &report::Report) -> Vec<String> {
    r.provisions
        .iter()
        .filter(|p| p.status == "mandatory")
        .flat_map(|p| p.test_cases.iter())
        .filter(|t| matches!(t.verdict, Verdict::Fail | Verdict::Inconclusive))
        .map(|t| format!("{} {}: {}", t.id, t.verdict, t.reason))
        .collect()
}

/// The contact with its scheme in lower case. Schemes are case-insensitive
/// (RFC 3986 §3.1), and compact claims store `https:` and `mailto:` contacts
/// without the scheme, so they can only hold it in its canonical case.
fn lower_case_scheme(contact: &str) -> String {
    match contact.split_once(':') {
        Some((scheme, rest)) => format!("{}:{rest}", scheme.to_ascii_lowercase()),
        None => contact.to_owned(),
    }
}

/// The run folder and its `report.json`, from either of them.
pub fn run_folder(arg: &Path) -> (PathBuf, PathBuf) {
    if arg.is_dir() {
        return (arg.to_path_buf(), arg.join("report.json"));
    }
    let dir = match arg.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    (dir, arg.to_path_buf())
}

/// A report that checked out, and its bytes (what the seal signed).
type SealedReport = (report::Report, Vec<u8>);

/// Checks the run folder is sealed by `signer`'s key and unchanged since:
/// the seal's signature, every sealed file, the evidence chain against the
/// report, and that the verdicts add up under the scheme's rules. Returns the
/// sealed report and its bytes, or every reason it may not carry a label.
fn sealed_report(
    dir: &Path,
    report_path: &Path,
    signer: &LabelSigner,
) -> anyhow::Result<Result<SealedReport, Vec<String>>> {
    let cert = signer.certificate();
    let seal_path = dir.join(seal::SEAL_FILE);
    if report_path.file_name() != Some(std::ffi::OsStr::new("report.json")) {
        anyhow::bail!(
            "--report {}: give the run folder or the report.json inside it",
            report_path.display()
        );
    }
    let seal_bytes = match std::fs::read(&seal_path) {
        Ok(b) => b,
        Err(e) => {
            return Ok(Err(vec![format!(
                "{} is not sealed ({}: {e}): sign the run with `iotmark report sign {} --key … --cert …` \
                 or run it with --lab-key/--lab-cert",
                dir.display(),
                seal_path.display(),
                dir.display()
            )]))
        }
    };
    match report_seal::kid(&seal_bytes) {
        Ok(kid) if kid != cert.kid() => {
            return Ok(Err(vec![format!(
                "{} was sealed by the key with kid {}, not by this lab key ({}, kid {}): \
                 a label is issued only by the lab that sealed the run",
                seal_path.display(),
                hex::encode(kid),
                cert.name(),
                hex::encode(cert.kid())
            )]))
        }
        Ok(_) => {}
        Err(e) => return Ok(Err(vec![format!("{}: {e}", seal_path.display())])),
    }
    let manifest = match report_seal::open(&seal_bytes, cert)
        .map_err(|e| format!("{}: {e}", seal_path.display()))
        .and_then(|payload| seal::parse_manifest(&payload).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(why) => return Ok(Err(vec![why])),
    };
    let findings = seal::check_folder(dir, &manifest);
    if !findings.is_empty() {
        return Ok(Err(findings
            .iter()
            .map(|f| format!("changed since it was sealed: {f}"))
            .collect()));
    }
    let (report, bytes) = report::read(report_path)?;
    if hex::encode(iotmark_labels::report_digest(&bytes)) != manifest.report_sha256 {
        // check_folder compared the same file; only a change in between gets here.
        return Ok(Err(vec![format!(
            "{} changed while it was being checked",
            report_path.display()
        )]));
    }
    let evidence_path = dir.join(&report.evidence.file);
    match iotmark_adapters::evidence::verify_chain(&evidence_path) {
        Ok((head, records))
            if head == report.evidence.head && records == report.evidence.records => {}
        Ok((head, records)) => {
            return Ok(Err(vec![format!(
                "{}: holds {records} records ending in {head}; the report records {} ending in {}",
                evidence_path.display(),
                report.evidence.records,
                report.evidence.head
            )]))
        }
        Err(e) => return Ok(Err(vec![format!("{}: {e}", evidence_path.display())])),
    }
    let catalogue = iotmark_steps::catalogue::Catalogue::embedded()?;
    let mismatches = report::consistency::mismatches(&report, &catalogue);
    if !mismatches.is_empty() {
        return Ok(Err(mismatches
            .into_iter()
            .map(|m| format!("{}: {m}", report_path.display()))
            .collect()));
    }
    Ok(Ok((report, bytes)))
}

pub fn issue_label(args: &IssueArgs) -> anyhow::Result<Result<IssuedLabel, Vec<String>>> {
    let passphrase =
        super::keys::passphrase_from_env("--passphrase-env", args.passphrase_env.as_deref())?;
    let signer = LabelSigner::from_files_with(&args.key, &args.cert, passphrase.as_ref())?;
    let (dir, report_path) = run_folder(&args.report);
    let (report, bytes) = match sealed_report(&dir, &report_path, &signer)? {
        Ok(sealed) => sealed,
        Err(why) => return Ok(Err(why)),
    };
    if report.verdict != Conformance::Conformant {
        let mut why = vec![format!(
            "{} is {}, not conformant",
            report_path.display(),
            report.verdict.as_str()
        )];
        why.extend(blockers(&report));
        return Ok(Err(why));
    }
    let schemes = vec![report.scheme.clone()];
    if let Err(e) = signer.certificate().check_scope(&schemes) {
        return Ok(Err(vec![format!(
            "the lab is not accredited to label for {}: {e}",
            report.scheme
        )]));
    }
    let support_end = iotmark_adapters::profile::parse_date(&report.support_end)
        .with_context(|| format!("{}: /support_end is not a date", report_path.display()))?;
    let simulated = report.device.starts_with("sim:");
    if simulated && !args.allow_simulated {
        return Ok(Err(vec![format!(
            "{} is a run against a simulated product ({}): a label says a product was tested; \
             pass --allow-simulated for a demonstration label, which says it is one",
            report_path.display(),
            report.device
        )]));
    }
    // The contact on the label is the one the run fetched and checked.
    if let Some(declared) = &report.declared {
        if declared.ixit.disclosure_policy_url != report.disclosure_contact {
            return Ok(Err(vec![format!(
                "{}: /disclosure_contact {:?} is not the disclosure policy the run checked ({:?})",
                report_path.display(),
                report.disclosure_contact,
                declared.ixit.disclosure_policy_url
            )]));
        }
    }
    let now = time::OffsetDateTime::now_utc();
    let contact = lower_case_scheme(&report.disclosure_contact);
    let template = Claims {
        serial: 0,
        issued: now.date(),
        manufacturer: report.product.manufacturer.clone(),
        model: report.product.model.clone(),
        firmware: report.product.firmware.clone(),
        gtin: report.product.gtin.clone(),
        support_end,
        disclosure_contact: contact,
        schemes,
        report_sha256: ReportDigest::compact(&bytes),
        simulated,
    };
    // The rules on what a lab may sign, before a serial is spent on it.
    if let Err(e) = template.validate().and_then(|()| template.check_dates(now)) {
        return Ok(Err(vec![format!(
            "{}: the label would claim what a lab may not sign: {e}",
            report_path.display()
        )]));
    }
    let registry_file = registry_path(args);
    let mut registry = Registry::open(&registry_file)?;
    // One registry per lab key, for ever: serials are never handed out twice.
    let kid = hex::encode(signer.certificate().kid());
    let binding = iotmark_registry::binding::binding_path(&args.key);
    if let Err(e) = iotmark_registry::binding::check(&binding, &kid, &mut registry) {
        return Ok(Err(vec![e.to_string()]));
    }
    // The registry assigns the serial, signs and records the label and its
    // log entry in one durable transaction: nothing below runs for a label
    // the registry does not hold.
    let recorded = registry.issue(&signer, args.serial, |serial| Claims { serial, ..template })?;
    let (serial, label, claims) = (recorded.serial, recorded.label, recorded.claims);
    iotmark_registry::binding::record_serial(&binding, &kid, serial)?;
    let digital_link_url = match claims.gtin {
        Some(_) => Some(qr::digital_link_url(
            &label,
            &qr::origin_of(&args.base_url)?,
        )?),
        None => None,
    };
    let url = match (&digital_link_url, args.digital_link) {
        (Some(link), true) => link.clone(),
        (None, true) => anyhow::bail!(
            "--digital-link: {} declares no GTIN, so the label has no GS1 Digital Link form",
            report_path.display()
        ),
        (_, false) => qr::label_url(&label, &args.base_url)?,
    };
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let write = |name: &str, data: &[u8]| -> anyhow::Result<PathBuf> {
        let p = out.join(name);
        std::fs::write(&p, data).with_context(|| format!("cannot write {}", p.display()))?;
        Ok(p)
    };
    let mut files = vec![
        write("label.cose", label.as_bytes())?,
        write("label.url", format!("{url}\n").as_bytes())?,
        write("label.svg", qr::render_svg(&url)?.as_bytes())?,
        write("label.png", &qr::render_png(&url)?)?,
        // The lab certificate is public; beside the label it lets anyone
        // holding the authority's certificate check the label offline.
        write("lab.pem", signer.certificate().to_pem().as_bytes())?,
    ];
    let issued = IssuedLabel {
        serial,
        qr_version: qr::qr_version(&url)?,
        kid: hex::encode(signer.certificate().kid()),
        lab: signer.certificate().name().to_string(),
        bytes: label.as_bytes().len(),
        url,
        digital_link_url,
        claims,
        registry: registry_file,
        leaf_index: recorded.leaf_index,
        tree_size: recorded.tree_head.tree_size,
        files: Vec::new(),
    };
    files.push(write("label.json", &serde_json::to_vec_pretty(&issued)?)?);
    Ok(Ok(IssuedLabel { files, ..issued }))
}

pub fn issue(args: IssueArgs) -> anyhow::Result<Exit> {
    match issue_label(&args)? {
        Err(why) => {
            eprintln!("refused: no label for this report");
            for line in &why {
                eprintln!("  {line}");
            }
            if args.format == Format::Json {
                output::print_json(&serde_json::json!({ "issued": false, "reasons": why }))?;
            }
            Ok(Exit::Negative)
        }
        Ok(label) => {
            match args.format {
                Format::Json => output::print_json(&label)?,
                Format::Text => {
                    outln!(
                        "label {} issued by {} (kid {}), {} bytes, QR version {}",
                        label.serial,
                        label.lab,
                        label.kid,
                        label.bytes,
                        label.qr_version
                    );
                    outln!("{}", label.url);
                    outln!(
                        "  recorded in {} (log leaf {})",
                        label.registry.display(),
                        label.leaf_index
                    );
                    for f in &label.files {
                        outln!("  wrote {}", f.display());
                    }
                }
            }
            Ok(Exit::Success)
        }
    }
}
