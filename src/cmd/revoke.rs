//! `iotmark revoke`: record a revocation and publish the lab's signed status list.

use iotmark_labels::LabelSigner;

use crate::cli::{Format, RevokeArgs};
use crate::output;
use crate::Exit;

pub fn revoke(args: RevokeArgs) -> anyhow::Result<Exit> {
    let passphrase =
        super::keys::passphrase_from_env("--passphrase-env", args.passphrase_env.as_deref())?;
    let signer = LabelSigner::from_files_with(&args.key, &args.cert, passphrase.as_ref())?;
    let mut registry = super::status::open_lab_registry(&args.registry, &signer)?;
    let record = registry.revoke(args.serial, &args.reason)?;
    let published = super::status::publish(
        &registry,
        &signer,
        args.out.as_deref(),
        args.next_update_days,
    )?;
    match args.format {
        Format::Json => output::print_json(&serde_json::json!({
            "revoked": record.serial,
            "revoked_at": record.revoked_at,
            "reason": record.reason,
            "status_list": published.status_list,
            "status_list_revoked": published.revoked,
        }))?,
        Format::Text => {
            outln!(
                "label {} revoked at {}: {}",
                record.serial,
                record.revoked_at,
                record.reason
            );
            outln!(
                "wrote status list {} ({} revoked, {} bytes)",
                published.status_list.display(),
                published.revoked,
                published.bytes
            );
        }
    }
    Ok(Exit::Success)
}
