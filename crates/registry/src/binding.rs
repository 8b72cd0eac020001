//! One serial space per lab key, for ever: the key's binding to its registry.
//!
//! Serials index the lab's status list, so two labels with one serial and one
//! key would share a revocation bit, and a label re-issued from a fresh
//! registry would be byte-identical to an earlier (perhaps revoked) one. A
//! registry only knows its own serials; what stops a second registry for the
//! same key is a small file kept beside the key (`lab.key.registry.json`,
//! `schemas/key-registry.schema.json`). It records, per key id, the identity
//! of the one registry that key issues into (a random id the registry makes
//! once and keeps in its `meta` table) and the highest serial the key has
//! issued. `iotmark issue` checks it before every label:
//!
//! - another registry for the same key (a new file, or another lab's copy) is
//!   refused: its id differs;
//! - an older copy of the right registry (a restored backup whose highest
//!   serial is below the key's high-water mark) is refused too, because it
//!   would hand out serials already on labels;
//! - a registry that already holds this key's labels but has no binding yet
//!   (made before bindings existed) is adopted as the key's one registry.
//!
//! The file lives wherever the key lives and is copied with it; a lab that
//! deletes it has thrown away the record, as one that deletes the key has.
//! The high-water mark is written after each label (write, then rename): a
//! crash in between leaves it lower than the registry, which is harmless.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Registry, RegistryError};

/// Version of the binding file.
const VERSION: u32 = 1;

/// The binding of one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// The registry's random identity (its `meta.registry_id`).
    pub registry_id: String,
    /// Where the registry was when it was bound (for the message only).
    pub registry: PathBuf,
    /// The highest serial this key has issued.
    pub highest_serial: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    /// Key id (hex) -> binding.
    keys: BTreeMap<String, Binding>,
}

/// The binding file beside a key file: `KEY.registry.json`.
pub fn binding_path(key: &Path) -> PathBuf {
    let mut name = key.file_name().unwrap_or_default().to_os_string();
    name.push(".registry.json");
    key.with_file_name(name)
}

fn bad(path: &Path, reason: String) -> RegistryError {
    RegistryError::Binding {
        path: path.to_path_buf(),
        reason,
    }
}

fn read(path: &Path) -> Result<File, RegistryError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File::default()),
        Err(e) => return Err(bad(path, e.to_string())),
    };
    if bytes.len() > 1024 * 1024 {
        return Err(bad(path, "larger than 1 MiB".into()));
    }
    let file: File = serde_json::from_slice(&bytes)
        .map_err(|e| bad(path, format!("not a binding file: {e}")))?;
    if file.version != VERSION {
        return Err(bad(
            path,
            format!("version {} (this iotmark reads {VERSION})", file.version),
        ));
    }
    Ok(file)
}

fn write(path: &Path, file: &File) -> Result<(), RegistryError> {
    let json = serde_json::to_vec_pretty(file).map_err(|e| bad(path, e.to_string()))?;
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, json)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| bad(path, format!("cannot write: {e}")))
}

/// Checks that `registry` is the one registry of the key with `kid` whose
/// binding file is `path`, binding it if the key has none yet. Call before
/// issuing; then [`record_serial`].
pub fn check(path: &Path, kid: &str, registry: &mut Registry) -> Result<(), RegistryError> {
    let mut file = read(path)?;
    if let Some(lab) = registry.lab_certificate()? {
        if hex::encode(lab.kid()) != kid {
            return Err(RegistryError::WrongLab {
                path: registry.path().to_path_buf(),
                registry_lab: lab.name().to_owned(),
                registry_kid: hex::encode(lab.kid()),
                kid: kid.to_owned(),
            });
        }
    }
    let id = registry.registry_id()?;
    let highest = registry.highest_serial()?;
    match file.keys.get(kid) {
        Some(b) if b.registry_id != id => Err(RegistryError::SecondRegistry {
            kid: kid.to_owned(),
            bound: b.registry.clone(),
            bound_id: b.registry_id.clone(),
            path: registry.path().to_path_buf(),
            id,
        }),
        Some(b) if highest < b.highest_serial => Err(RegistryError::StaleRegistry {
            path: registry.path().to_path_buf(),
            highest,
            issued: b.highest_serial,
            kid: kid.to_owned(),
        }),
        Some(_) => Ok(()),
        None => {
            file.version = VERSION;
            file.keys.insert(
                kid.to_owned(),
                Binding {
                    registry_id: id,
                    registry: registry.path().to_path_buf(),
                    highest_serial: highest,
                },
            );
            write(path, &file)
        }
    }
}

/// Raises the key's high-water mark to `serial` after a label was issued.
pub fn record_serial(path: &Path, kid: &str, serial: u64) -> Result<(), RegistryError> {
    let mut file = read(path)?;
    let Some(b) = file.keys.get_mut(kid) else {
        return Err(bad(path, format!("no binding for kid {kid}")));
    };
    if serial <= b.highest_serial {
        return Ok(());
    }
    b.highest_serial = serial;
    write(path, &file)
}
