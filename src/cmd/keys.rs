//! `iotmark keys`: the accreditation authority and lab credentials.

use crate::cli::KeysCommand;
use crate::Exit;

pub fn keys(cmd: KeysCommand) -> anyhow::Result<Exit> {
    match cmd {
        KeysCommand::InitAuthority { name, out } => {
            let cert = iotmark_labels::pki::init_authority(&name, &out)?;
            println!("authority certificate {}", cert.display());
            println!(
                "authority key         {} (mode 0600)",
                out.join("authority.key").display()
            );
        }
        KeysCommand::InitLab {
            authority,
            name,
            scope,
            out,
        } => {
            let cert = iotmark_labels::pki::init_lab(&authority, &name, &scope, &out)?;
            println!(
                "lab certificate {} (scope: {})",
                cert.display(),
                scope.join(", ")
            );
            println!(
                "lab key         {} (mode 0600)",
                out.join("lab.key").display()
            );
        }
        KeysCommand::TrustList {
            authority,
            lab,
            next_update_days,
            out,
        } => {
            use iotmark_labels::pki::AuthorityCredentials;
            use iotmark_labels::trust_list::TrustList;
            let credentials = AuthorityCredentials::load(&authority)?;
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
            println!(
                "trust list {} ({} labs, next update {})",
                out.display(),
                list.labs.len(),
                next.date()
            );
            for l in &list.labs {
                println!(
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
