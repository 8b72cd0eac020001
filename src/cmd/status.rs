//! `iotmark status publish`: sign and write the lab's current status list.
//!
//! A status list says which of a lab's labels are revoked and by when a
//! newer list is due; a verifier holding one past that time can no longer
//! say a label was not withdrawn (its answer is `unverifiable`). So a lab
//! publishes a list whether or not it revoked anything, and again before the
//! next-update time; `revoke` publishes through the same code.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use iotmark_labels::LabelSigner;
use iotmark_registry::Registry;
use serde::Serialize;

use crate::cli::Format;
use crate::output;
use crate::Exit;

#[derive(Debug, Subcommand)]
pub enum StatusCommand {
    /// Sign the registry's current status list with the lab key and write it.
    Publish(PublishArgs),
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The lab's registry (registry.db).
    #[arg(long)]
    pub registry: PathBuf,
    /// The lab's private key (signs the list).
    #[arg(long)]
    pub key: PathBuf,
    /// The lab's certificate.
    #[arg(long)]
    pub cert: PathBuf,
    /// Where to write the signed list (default: status-list.cose beside the registry).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Days until the next list is due.
    #[arg(long, default_value_t = 7)]
    pub next_update_days: u32,
    /// Environment variable holding the passphrase of an encrypted --key.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// What publishing wrote.
#[derive(Debug, Serialize)]
pub struct Published {
    pub status_list: PathBuf,
    pub issued: String,
    pub next_update: String,
    pub revoked: usize,
    pub bytes: usize,
}

/// The registry at `path`, which must exist and belong to `signer`'s lab.
pub fn open_lab_registry(path: &Path, signer: &LabelSigner) -> anyhow::Result<Registry> {
    if !path.is_file() {
        anyhow::bail!("--registry {}: no such registry", path.display());
    }
    let registry = Registry::open(path)?;
    if let Some(bound) = registry.lab_certificate()? {
        if bound.kid() != signer.certificate().kid() {
            anyhow::bail!(
                "--key/--cert are lab {} (kid {}), but {} belongs to lab {} (kid {})",
                signer.certificate().name(),
                hex::encode(signer.certificate().kid()),
                path.display(),
                bound.name(),
                hex::encode(bound.kid())
            );
        }
    }
    Ok(registry)
}

/// Signs the registry's current list (every revocation, with its date and
/// reason), due again in `days`, and writes it to `out` (default:
/// `status-list.cose` beside the registry), write-then-rename so that a
/// reader never sees half a list.
pub fn publish(
    registry: &Registry,
    signer: &LabelSigner,
    out: Option<&Path>,
    days: u32,
) -> anyhow::Result<Published> {
    // Whole seconds: the list's times are RFC 3339 without fractions.
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let next = now + time::Duration::days(i64::from(days.max(1)));
    let signed = registry.signed_status_list(signer, now, next)?;
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| registry.path().with_file_name("status-list.cose"));
    let tmp = out.with_extension("cose.tmp");
    std::fs::write(&tmp, &signed)
        .and_then(|()| std::fs::rename(&tmp, &out))
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(Published {
        status_list: out,
        issued: iotmark_labels::rfc3339(now),
        next_update: iotmark_labels::rfc3339(next),
        revoked: registry.revocations()?.len(),
        bytes: signed.len(),
    })
}

pub fn status(command: StatusCommand) -> anyhow::Result<Exit> {
    match command {
        StatusCommand::Publish(args) => {
            let passphrase = super::keys::passphrase_from_env(
                "--passphrase-env",
                args.passphrase_env.as_deref(),
            )?;
            let signer = LabelSigner::from_files_with(&args.key, &args.cert, passphrase.as_ref())?;
            let registry = open_lab_registry(&args.registry, &signer)?;
            let published = publish(
                &registry,
                &signer,
                args.out.as_deref(),
                args.next_update_days,
            )?;
            match args.format {
                Format::Json => output::print_json(&published)?,
                Format::Text => outln!(
                    "wrote status list {} ({} revoked, {} bytes), next update due {}",
                    published.status_list.display(),
                    published.revoked,
                    published.bytes,
                    published.next_update
                ),
            }
            Ok(Exit::Success)
        }
    }
}
