//! `iotmark issue`: a signed label from a conformant report.

use std::path::PathBuf;

use anyhow::Context;
use iotmark_labels::claims::ReportDigest;
use iotmark_labels::{qr, Claims, LabelSigner};
use iotmark_registry::Registry;
use iotmark_steps::report;
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

pub fn issue_label(args: &IssueArgs) -> anyhow::Result<Result<IssuedLabel, Vec<String>>> {
    let (report, bytes) = report::read(&args.report)?;
    if report.verdict != Conformance::Conformant {
        let mut why = vec![format!(
            "{} is {}, not conformant",
            args.report.display(),
            report.verdict.as_str()
        )];
        why.extend(blockers(&report));
        return Ok(Err(why));
    }
    let passphrase =
        super::keys::passphrase_from_env("--passphrase-env", args.passphrase_env.as_deref())?;
    let signer = LabelSigner::from_files_with(&args.key, &args.cert, passphrase.as_ref())?;
    let schemes = vec![report.scheme.clone()];
    if let Err(e) = signer.certificate().check_scope(&schemes) {
        return Ok(Err(vec![format!(
            "the lab is not accredited to label for {}: {e}",
            report.scheme
        )]));
    }
    let support_end = iotmark_adapters::profile::parse_date(&report.support_end)
        .with_context(|| format!("{}: /support_end is not a date", args.report.display()))?;
    let registry_file = registry_path(args);
    let mut registry = Registry::open(&registry_file)?;
    // The registry assigns the serial, signs and records the label and its
    // log entry in one durable transaction: nothing below runs for a label
    // the registry does not hold.
    let recorded = registry.issue(&signer, args.serial, |serial| Claims {
        serial,
        issued: time::OffsetDateTime::now_utc().date(),
        manufacturer: report.product.manufacturer.clone(),
        model: report.product.model.clone(),
        firmware: report.product.firmware.clone(),
        gtin: report.product.gtin.clone(),
        support_end,
        disclosure_contact: lower_case_scheme(&report.disclosure_contact),
        schemes,
        report_sha256: ReportDigest::compact(&bytes),
    })?;
    let (serial, label, claims) = (recorded.serial, recorded.label, recorded.claims);
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
            args.report.display()
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
                    println!(
                        "label {} issued by {} (kid {}), {} bytes, QR version {}",
                        label.serial, label.lab, label.kid, label.bytes, label.qr_version
                    );
                    println!("{}", label.url);
                    println!(
                        "  recorded in {} (log leaf {})",
                        label.registry.display(),
                        label.leaf_index
                    );
                    for f in &label.files {
                        println!("  wrote {}", f.display());
                    }
                }
            }
            Ok(Exit::Success)
        }
    }
}
