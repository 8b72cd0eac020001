//! Registry errors, with the file and the serial they concern.

use std::path::{Path, PathBuf};

use iotmark_labels::LabelError;

/// Everything that can go wrong with a registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// SQLite failed.
    #[error("registry {}: {source}", path.display())]
    Sqlite {
        /// The registry file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by another schema version.
    #[error("registry {} has schema version {found}; this iotmark reads version {expected}", path.display())]
    SchemaVersion {
        /// The registry file.
        path: PathBuf,
        /// Version found.
        found: i64,
        /// Version expected.
        expected: i64,
    },
    /// The registry belongs to another lab key.
    #[error("registry {} belongs to lab {registry_lab} (kid {registry_kid}), not to the key with kid {kid}", path.display())]
    WrongLab {
        /// The registry file.
        path: PathBuf,
        /// The lab it is bound to.
        registry_lab: String,
        /// That lab's kid.
        registry_kid: String,
        /// The kid offered.
        kid: String,
    },
    /// The requested serial is already used.
    #[error("lab key binding {}: {reason}", path.display())]
    Binding { path: PathBuf, reason: String },
    #[error("the key with kid {kid} issues into registry {} (id {bound_id}); {} (id {id}) is another registry, and a second registry for one key would hand out its serials again", bound.display(), path.display())]
    SecondRegistry {
        kid: String,
        bound: PathBuf,
        bound_id: String,
        path: PathBuf,
        id: String,
    },
    #[error("registry {} holds serials up to {highest}, but the key with kid {kid} has issued up to {issued}: it is an older copy of the registry and would reuse serials", path.display())]
    StaleRegistry {
        path: PathBuf,
        highest: u64,
        issued: u64,
        kid: String,
    },
    #[error("serial {serial} is already issued")]
    SerialTaken {
        /// The serial.
        serial: u64,
    },
    /// The claims builder did not use the assigned serial.
    #[error("claims carry serial {claimed}, but the registry assigned {assigned}")]
    SerialMismatch {
        /// Serial assigned.
        assigned: u64,
        /// Serial in the claims.
        claimed: u64,
    },
    /// No label with this serial.
    #[error("registry {} has no label with serial {serial}", path.display())]
    UnknownSerial {
        /// The registry file.
        path: PathBuf,
        /// The serial.
        serial: u64,
    },
    /// The label is already revoked.
    #[error("label {serial} was already revoked at {at}")]
    AlreadyRevoked {
        /// The serial.
        serial: u64,
        /// When.
        at: String,
    },
    /// A revocation needs a reason.
    #[error("a revocation reason is at most 512 bytes, without control characters")]
    BadReason,
    #[error("a revocation needs a reason")]
    EmptyReason,
    /// Nothing in the log yet.
    #[error("the transparency log is empty")]
    EmptyLog,
    /// No signed head of that size.
    #[error("no signed tree head of size {size}")]
    NoHead {
        /// The size asked for.
        size: u64,
    },
    /// A number does not fit the database.
    #[error("{field} {value} is out of range")]
    OutOfRange {
        /// Which.
        field: &'static str,
        /// The value.
        value: u64,
    },
    /// The stored data are inconsistent.
    #[error("registry is inconsistent: {reason}")]
    Corrupt {
        /// What does not add up.
        reason: String,
    },
    /// Signing or parsing a label failed.
    #[error(transparent)]
    Label(LabelError),
}

impl RegistryError {
    pub(crate) fn sqlite(path: &Path, source: rusqlite::Error) -> Self {
        RegistryError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }
}
