//! `iotmark issue`: a signed label from a conformant report.

use std::path::{Path, PathBuf};

use anyhow::Context;
use iotmark_labels::{qr, Claims, LabelSigner};
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
    pub url: String,
    pub qr_version: u8,
    pub kid: String,
    pub lab: String,
    pub bytes: usize,
    pub claims: Claims,
    pub files: Vec<PathBuf>,
}

/// The next serial from the lab's counter file (`lab.serial` beside its key).
fn next_serial(key: &Path) -> anyhow::Result<u64> {
    let path = key.with_file_name("lab.serial");
    let last: u64 = match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse()
            .with_context(|| format!("{}: not a serial number", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let next = last
        .checked_add(1)
        .with_context(|| format!("{}: serials exhausted", path.display()))?;
    let tmp = path.with_extension("serial.tmp");
    std::fs::write(&tmp, format!("{next}\n"))
        .and_then(|_| std::fs::rename(&tmp, &path))
        .with_context(|| format!("cannot update {}", path.display()))?;
    Ok(next)
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
    let signer = LabelSigner::from_files(&args.key, &args.cert)?;
    let schemes = vec![report.scheme.clone()];
    if let Err(e) = signer.certificate().check_scope(&schemes) {
        return Ok(Err(vec![format!(
            "the lab is not accredited to label for {}: {e}",
            report.scheme
        )]));
    }
    let support_end = iotmark_adapters::profile::parse_date(&report.support_end)
        .with_context(|| format!("{}: /support_end is not a date", args.report.display()))?;
    let serial = match args.serial {
        Some(s) => s,
        None => next_serial(&args.key)?,
    };
    let claims = Claims {
        serial,
        issued: time::OffsetDateTime::now_utc().date(),
        manufacturer: report.product.manufacturer.clone(),
        model: report.product.model.clone(),
        firmware: report.product.firmware.clone(),
        gtin: report.product.gtin.clone(),
        support_end,
        disclosure_contact: report.disclosure_contact.clone(),
        schemes,
        report_sha256: iotmark_labels::report_digest(&bytes),
    };
    let label = signer.sign(&claims)?;
    let url = qr::label_url(&label, &args.base_url)?;
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
        claims,
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
                    for f in &label.files {
                        println!("  wrote {}", f.display());
                    }
                }
            }
            Ok(Exit::Success)
        }
    }
}
