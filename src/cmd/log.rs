//! `iotmark log`: transparency-log proofs from the registry, and checking them offline.

use std::path::Path;

use anyhow::Context;
use iotmark_labels::transparency::LogProof;
use iotmark_labels::{LabCertificate, TrustAnchor};
use iotmark_registry::Registry;

use crate::cli::{Format, LogCommand};
use crate::output;
use crate::Exit;

/// Largest proof file read (a proof holds at most 64 hashes and one label).
const MAX_PROOF_FILE: u64 = 256 * 1024;

fn open_existing(path: &Path) -> anyhow::Result<Registry> {
    if !path.is_file() {
        anyhow::bail!("--registry {}: no such registry", path.display());
    }
    Ok(Registry::open(path)?)
}

fn write_proof(proof: &LogProof, out: Option<&Path>) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(proof)?;
    match out {
        Some(p) => std::fs::write(p, format!("{json}\n"))
            .with_context(|| format!("cannot write {}", p.display()))?,
        None => outln!("{json}"),
    }
    Ok(())
}

pub fn log(cmd: LogCommand) -> anyhow::Result<Exit> {
    match cmd {
        LogCommand::Inclusion {
            registry,
            serial,
            out,
        } => {
            let proof = open_existing(&registry)?.inclusion_proof(serial)?;
            write_proof(&proof, out.as_deref())?;
            Ok(Exit::Success)
        }
        LogCommand::Consistency {
            registry,
            from,
            to,
            out,
        } => {
            let proof = open_existing(&registry)?.consistency_proof(from, to)?;
            write_proof(&proof, out.as_deref())?;
            Ok(Exit::Success)
        }
        LogCommand::Verify {
            proof,
            cert,
            trust_anchor,
            format,
        } => verify_proof(&proof, &cert, trust_anchor.as_deref(), format),
        LogCommand::Audit { registry, format } => {
            let summary = open_existing(&registry)?.audit();
            match summary {
                Ok(s) => {
                    match format {
                        Format::Json => output::print_json(
                            &serde_json::json!({ "consistent": true, "audit": s }),
                        )?,
                        Format::Text => outln!(
                            "CONSISTENT: {} labels, {} log leaves, {} signed tree heads, {} revocations; root {}",
                            s.labels, s.leaves, s.tree_heads, s.revocations, s.root_hash
                        ),
                    }
                    Ok(Exit::Success)
                }
                Err(iotmark_registry::RegistryError::Corrupt { reason }) => {
                    match format {
                        Format::Json => output::print_json(
                            &serde_json::json!({ "consistent": false, "reason": reason }),
                        )?,
                        Format::Text => outln!("INCONSISTENT: {reason}"),
                    }
                    Ok(Exit::Negative)
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn verify_proof(
    proof_path: &Path,
    cert: &Path,
    anchor: Option<&Path>,
    format: Format,
) -> anyhow::Result<Exit> {
    let lab = LabCertificate::from_pem_file(cert)?;
    if let Some(anchor) = anchor {
        let anchor = TrustAnchor::from_pem_file(anchor)?;
        lab.check_issued_by(&anchor)
            .with_context(|| format!("{} does not chain to the trust anchor", cert.display()))?;
    }
    let len = std::fs::metadata(proof_path)
        .with_context(|| format!("cannot read {}", proof_path.display()))?
        .len();
    if len > MAX_PROOF_FILE {
        anyhow::bail!(
            "{} is {len} bytes, over the {MAX_PROOF_FILE}-byte limit",
            proof_path.display()
        );
    }
    let text = std::fs::read_to_string(proof_path)
        .with_context(|| format!("cannot read {}", proof_path.display()))?;
    let proof: LogProof = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a log proof (schemas/log-proof.schema.json)",
            proof_path.display()
        )
    })?;
    let outcome = proof.verify(lab.public_key(), lab.kid());
    let (valid, reason) = match &outcome {
        Ok(s) => (true, s.statement.clone()),
        Err(e) => (false, e.to_string()),
    };
    match format {
        Format::Json => output::print_json(&serde_json::json!({
            "valid": valid,
            "reason": reason,
            "lab": lab.name(),
            "kid": hex::encode(lab.kid()),
        }))?,
        Format::Text => outln!("{}: {reason}", if valid { "VALID" } else { "INVALID" }),
    }
    Ok(if valid { Exit::Success } else { Exit::Negative })
}
