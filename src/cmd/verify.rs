//! `iotmark verify`: check a label offline against the authority's certificate.

use std::path::{Path, PathBuf};

use iotmark_labels::verify::{verify as verify_label, LabelInput, LabelStatus, TrustStore};

use crate::cli::{Format, VerifyArgs};
use crate::output;
use crate::Exit;

/// Lab certificates to trust: those given, or `lab.pem` beside a file input.
fn lab_certs(args: &VerifyArgs) -> Vec<PathBuf> {
    if !args.lab_cert.is_empty() {
        return args.lab_cert.clone();
    }
    let path = Path::new(&args.input);
    let beside = path.parent().map(|d| d.join("lab.pem"));
    match beside {
        Some(p) if path.is_file() && p.is_file() => vec![p],
        _ => Vec::new(),
    }
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<Exit> {
    let at = match &args.at {
        Some(d) => super::parse_date_arg("--at", d)?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let trust = TrustStore::from_pem_files(&args.trust_anchor, &lab_certs(&args))?;
    let input = LabelInput::classify(&args.input)?;
    let result = verify_label(&input, &trust, at);
    match args.format {
        Format::Json => output::print_json(&result)?,
        Format::Text => {
            println!(
                "{}: {}",
                result.status.as_str().to_uppercase(),
                result.reason
            );
            if let Some(c) = &result.claims {
                println!(
                    "  {} {} firmware {}, label {} issued {}",
                    c.manufacturer, c.model, c.firmware, c.serial, c.issued
                );
                println!("  security updates until {}", c.support_end);
                println!("  report security problems: {}", c.disclosure_contact);
                println!("  schemes: {}", c.schemes.join(", "));
            }
            if let Some(i) = &result.issuer {
                println!("  tested by {} (kid {})", i.lab, i.kid);
            }
        }
    }
    Ok(match result.status {
        LabelStatus::Valid => Exit::Success,
        _ => Exit::Negative,
    })
}
