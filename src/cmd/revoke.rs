//! `iotmark revoke`: record a revocation and publish the lab's signed status list.

use anyhow::Context;
use iotmark_labels::LabelSigner;
use iotmark_registry::Registry;

use crate::cli::{Format, RevokeArgs};
use crate::output;
use crate::Exit;

pub fn revoke(args: RevokeArgs) -> anyhow::Result<Exit> {
    let passphrase =
        super::keys::passphrase_from_env("--passphrase-env", args.passphrase_env.as_deref())?;
    let signer = LabelSigner::from_files_with(&args.key, &args.cert, passphrase.as_ref())?;
    if !args.registry.is_file() {
        anyhow::bail!("--registry {}: no such registry", args.registry.display());
    }
    let mut registry = Registry::open(&args.registry)?;
    if let Some(bound) = registry.lab_certificate()? {
        if bound.kid() != signer.certificate().kid() {
            anyhow::bail!(
                "--key/--cert are lab {} (kid {}), but {} belongs to lab {} (kid {})",
                signer.certificate().name(),
                hex::encode(signer.certificate().kid()),
                args.registry.display(),
                bound.name(),
                hex::encode(bound.kid())
            );
        }
    }
    let record = registry.revoke(args.serial, &args.reason)?;
    let now = time::OffsetDateTime::now_utc();
    let next = now + time::Duration::days(i64::from(args.next_update_days.max(1)));
    let signed = registry.signed_status_list(&signer, now, next)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.registry.with_file_name("status-list.cose"));
    // Write then rename: a reader never sees half a list.
    let tmp = out.with_extension("cose.tmp");
    std::fs::write(&tmp, &signed)
        .and_then(|()| std::fs::rename(&tmp, &out))
        .with_context(|| format!("cannot write {}", out.display()))?;
    let revoked = registry.revocations()?.len();
    match args.format {
        Format::Json => output::print_json(&serde_json::json!({
            "revoked": record.serial,
            "revoked_at": record.revoked_at,
            "reason": record.reason,
            "status_list": out,
            "status_list_revoked": revoked,
        }))?,
        Format::Text => {
            outln!(
                "label {} revoked at {}: {}",
                record.serial,
                record.revoked_at,
                record.reason
            );
            outln!(
                "wrote status list {} ({revoked} revoked, {} bytes)",
                out.display(),
                signed.len()
            );
        }
    }
    Ok(Exit::Success)
}
