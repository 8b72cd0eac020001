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
    }
    Ok(Exit::Success)
}
