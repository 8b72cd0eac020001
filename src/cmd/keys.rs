//! `iotmark keys`: the accreditation authority and lab credentials.

use anyhow::Context;
use iotmark_labels::pki::Passphrase;

use crate::cli::KeysCommand;
use crate::Exit;

/// The passphrase in the environment variable a `--…-passphrase-env VAR`
/// option names. An unset or empty variable is a usage error naming both.
pub fn passphrase_from_env(option: &str, var: Option<&str>) -> anyhow::Result<Option<Passphrase>> {
    let Some(var) = var else {
        return Ok(None);
    };
    let text = std::env::var(var).with_context(|| {
        format!("{option} {var}: the environment variable {var} is not set (or not UTF-8)")
    })?;
    let passphrase = Passphrase::new(text)
        .with_context(|| format!("{option} {var}: the environment variable {var} is empty"))?;
    Ok(Some(passphrase))
}

fn protection(passphrase: &Option<Passphrase>) -> &'static str {
    match passphrase {
        Some(_) => "mode 0600, encrypted with the passphrase",
        None => "mode 0600, not encrypted",
    }
}

pub fn keys(cmd: KeysCommand) -> anyhow::Result<Exit> {
    match cmd {
        KeysCommand::InitAuthority {
            name,
            out,
            passphrase_env,
        } => {
            let passphrase = passphrase_from_env("--passphrase-env", passphrase_env.as_deref())?;
            let cert = iotmark_labels::pki::init_authority_with(&name, &out, passphrase.as_ref())?;
            outln!("authority certificate {}", cert.display());
            outln!(
                "authority key         {} ({})",
                out.join("authority.key").display(),
                protection(&passphrase)
            );
        }
        KeysCommand::InitLab {
            authority,
            name,
            scope,
            out,
            passphrase_env,
            authority_passphrase_env,
        } => {
            let passphrase = passphrase_from_env("--passphrase-env", passphrase_env.as_deref())?;
            let authority_passphrase = match &authority_passphrase_env {
                Some(var) => passphrase_from_env("--authority-passphrase-env", Some(var))?,
                None => passphrase.clone(),
            };
            let cert = iotmark_labels::pki::init_lab_with(
                &authority,
                authority_passphrase.as_ref(),
                &name,
                &scope,
                &out,
                passphrase.as_ref(),
            )?;
            outln!(
                "lab certificate {} (scope: {})",
                cert.display(),
                scope.join(", ")
            );
            outln!(
                "lab key         {} ({})",
                out.join("lab.key").display(),
                protection(&passphrase)
            );
        }
        KeysCommand::TrustList {
            authority,
            lab,
            next_update_days,
            out,
            passphrase_env,
        } => {
            use iotmark_labels::pki::AuthorityCredentials;
            use iotmark_labels::trust_list::TrustList;
            let passphrase = passphrase_from_env("--passphrase-env", passphrase_env.as_deref())?;
            let credentials = AuthorityCredentials::load_with(&authority, passphrase.as_ref())?;
            let labs = lab
                .iter()
                .map(|p| iotmark_labels::LabCertificate::from_pem_file(p))
                .collect::<Result<Vec<_>, _>>()?;
            let now = time::OffsetDateTime::now_utc();
            let next = now + time::Duration::days(i64::from(next_update_days.max(1)));
            let list = TrustList::new(credentials.anchor(), labs, now, next)?;
            let signed = list.sign(&credentials)?;
            std::fs::write(&out, &signed)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
            outln!(
                "trust list {} ({} labs, next update {})",
                out.display(),
                list.labs.len(),
                next.date()
            );
            for l in &list.labs {
                outln!(
                    "  {} (kid {}): {}",
                    l.certificate.name(),
                    hex::encode(l.certificate.kid()),
                    l.scope.join(", ")
                );
            }
        }
    }
    Ok(Exit::Success)
}
