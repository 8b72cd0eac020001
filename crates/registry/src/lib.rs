//! A lab's registry: every label it issued, every revocation, and an
//! append-only Merkle transparency log over the labels, in one SQLite file.
//!
//! - **Durable before returned.** [`Registry::issue`] assigns the serial, signs
//!   the label, appends it to the log and signs the new tree head inside one
//!   `BEGIN IMMEDIATE` transaction in WAL mode with `synchronous = FULL`, and
//!   returns only after the commit has reached the disk. A process killed at
//!   any moment either recorded the label completely or not at all, and no
//!   caller ever held a label the registry does not have.
//! - **Serials come from the registry**, so two issuers sharing a file never
//!   hand out the same serial (the transaction serialises them).
//! - **Append-only.** Triggers refuse `UPDATE` and `DELETE` on labels, log
//!   leaves and tree heads; revocations are recorded, never removed.
//! - **One lab per registry.** The first label binds the file to the lab's
//!   certificate; a different key is refused, so the serials (which index
//!   the lab's status list) stay the lab's own.
//!
//! The log's hashing and proofs are [`iotmark_labels::transparency`]'s; this
//! crate stores leaves and heads and asks it for proofs.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
//! use iotmark_registry::Registry;
//! # let dir = tempfile::tempdir()?;
//! let authority = AuthorityCredentials::generate(&CertificateSpec::authority("Accreditation Body"))?;
//! let lab = authority.issue_lab(&CertificateSpec::lab("Lab", &["uk-psti".to_owned()]))?;
//! let mut registry = Registry::open(&dir.path().join("registry.db"))?;
//! let today = time::OffsetDateTime::now_utc().date();
//! let issued = registry.issue(&lab.signer()?, None, |serial| iotmark_labels::Claims {
//!     serial,
//!     issued: today,
//!     manufacturer: "Acme".into(),
//!     model: "CAM-1".into(),
//!     firmware: "1.0".into(),
//!     gtin: None,
//!     support_end: today + time::Duration::days(365),
//!     disclosure_contact: "https://acme.example/security".into(),
//!     schemes: vec!["uk-psti".into()],
//!     report_sha256: iotmark_labels::claims::ReportDigest::compact(b"report"),
//!     simulated: false,
//! })?;
//! assert_eq!(issued.serial, 1);
//! let proof = registry.inclusion_proof(1)?;
//! proof.verify(lab.certificate().public_key(), lab.certificate().kid())?;
//! # Ok(()) }
//! ```

pub mod binding;
mod error;
mod schema;

use std::path::{Path, PathBuf};

use iotmark_labels::transparency::{self, Frontier, Hash, LogProof, SignedTreeHead, TreeHead};
use iotmark_labels::{Claims, LabCertificate, LabelSigner, SignedLabel};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use time::OffsetDateTime;

pub use error::RegistryError;

/// A label as the registry holds it.
#[derive(Debug, Clone)]
pub struct RecordedLabel {
    /// Serial assigned by the registry.
    pub serial: u64,
    /// Position in the transparency log.
    pub leaf_index: u64,
    /// The signed label.
    pub label: SignedLabel,
    /// Its claims.
    pub claims: Claims,
    /// The tree head signed when it was appended.
    pub tree_head: SignedTreeHead,
}

/// A recorded revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRecord {
    /// The revoked label.
    pub serial: u64,
    /// When (RFC 3339).
    pub revoked_at: String,
    /// Why.
    pub reason: String,
}

/// What [`Registry::audit`] checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditSummary {
    /// Labels recorded.
    pub labels: u64,
    /// Leaves in the log.
    pub leaves: u64,
    /// Signed tree heads checked (signature and root).
    pub tree_heads: u64,
    /// Revocations recorded.
    pub revocations: u64,
    /// Root of the whole log, hex.
    pub root_hash: String,
}

/// The registry file, open.
#[derive(Debug)]
pub struct Registry {
    conn: Connection,
    path: PathBuf,
}

fn now_ms() -> u64 {
    u64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

fn to_i64(field: &'static str, v: u64) -> Result<i64, RegistryError> {
    i64::try_from(v).map_err(|_| RegistryError::OutOfRange { field, value: v })
}

fn hash_from(field: &'static str, bytes: Vec<u8>) -> Result<Hash, RegistryError> {
    bytes.try_into().map_err(|_| RegistryError::Corrupt {
        reason: format!("{field} is not 32 bytes"),
    })
}

impl Registry {
    /// Opens (creating if needed) a registry file: WAL journal, full sync on
    /// commit, foreign keys on, a busy timeout for concurrent issuers.
    pub fn open(path: &Path) -> Result<Self, RegistryError> {
        let conn = Connection::open(path).map_err(|e| RegistryError::sqlite(path, e))?;
        let mut registry = Self {
            conn,
            path: path.to_path_buf(),
        };
        registry.setup()?;
        Ok(registry)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn db<T>(&self, r: rusqlite::Result<T>) -> Result<T, RegistryError> {
        r.map_err(|e| RegistryError::sqlite(&self.path, e))
    }

    fn setup(&mut self) -> Result<(), RegistryError> {
        let conn = &self.conn;
        let r = conn
            .busy_timeout(std::time::Duration::from_secs(30))
            .and_then(|()| conn.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|()| conn.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| conn.pragma_update(None, "foreign_keys", "ON"));
        self.db(r)?;
        let version: i64 = self.db(conn.pragma_query_value(None, "user_version", |r| r.get(0)))?;
        match version {
            0 => {
                let tx = self
                    .conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(|e| RegistryError::sqlite(&self.path, e))?;
                // Another process may have created it while we waited.
                let v: i64 = tx
                    .pragma_query_value(None, "user_version", |r| r.get(0))
                    .map_err(|e| RegistryError::sqlite(&self.path, e))?;
                if v == 0 {
                    tx.execute_batch(schema::SCHEMA)
                        .map_err(|e| RegistryError::sqlite(&self.path, e))?;
                }
                tx.commit()
                    .map_err(|e| RegistryError::sqlite(&self.path, e))?;
                Ok(())
            }
            schema::VERSION => Ok(()),
            other => Err(RegistryError::SchemaVersion {
                path: self.path.clone(),
                found: other,
                expected: schema::VERSION,
            }),
        }
    }

    /// The lab certificate this registry is bound to, if it has issued anything.
    pub fn lab_certificate(&self) -> Result<Option<LabCertificate>, RegistryError> {
        let pem: Option<String> = self.db(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'lab_cert'", [], |r| {
                r.get(0)
            })
            .optional())?;
        pem.map(|p| LabCertificate::from_pem(&p).map_err(RegistryError::Label))
            .transpose()
    }

    /// The registry's identity: random, made once, kept in `meta`. A lab
    /// key's binding ([`binding`]) names it, so a second registry for the key
    /// is told apart from a copy of the first.
    pub fn registry_id(&mut self) -> Result<String, RegistryError> {
        let r = self.conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('registry_id', lower(hex(randomblob(16))))",
            [],
        );
        self.db(r)?;
        self.db(self.conn.query_row(
            "SELECT value FROM meta WHERE key = 'registry_id'",
            [],
            |r| r.get(0),
        ))
    }

    /// The highest serial issued (0 when none).
    pub fn highest_serial(&self) -> Result<u64, RegistryError> {
        let max: Option<i64> =
            self.db(self
                .conn
                .query_row("SELECT MAX(serial) FROM labels", [], |r| r.get(0)))?;
        Ok(u64::try_from(max.unwrap_or(0)).unwrap_or(0))
    }

    /// Issues one label: inside one transaction, assigns the serial (the one
    /// requested, if free, else the next after the highest), builds the
    /// claims with it, signs them, records the label, appends it to the log
    /// and signs the new tree head; then commits durably. Only a committed
    /// label is returned.
    pub fn issue(
        &mut self,
        signer: &LabelSigner,
        requested_serial: Option<u64>,
        claims_for: impl FnOnce(u64) -> Claims,
    ) -> Result<RecordedLabel, RegistryError> {
        let path = self.path.clone();
        let sql = |e| RegistryError::sqlite(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;

        // Bind the registry to this lab, or check it is this lab.
        let cert = signer.certificate();
        let kid = hex::encode(cert.kid());
        let bound: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = 'lab_kid'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)?;
        match bound {
            Some(k) if k != kid => {
                let lab: String = tx
                    .query_row("SELECT value FROM meta WHERE key = 'lab_name'", [], |r| {
                        r.get(0)
                    })
                    .map_err(sql)?;
                return Err(RegistryError::WrongLab {
                    path: path.clone(),
                    registry_lab: lab,
                    registry_kid: k,
                    kid,
                });
            }
            Some(_) => {}
            None => {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('lab_kid', ?1), ('lab_name', ?2), ('lab_cert', ?3)",
                    params![kid, cert.name(), cert.to_pem()],
                )
                .map_err(sql)?;
            }
        }

        let serial = match requested_serial {
            Some(s) => {
                let taken: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM labels WHERE serial = ?1)",
                        [to_i64("serial", s)?],
                        |r| r.get(0),
                    )
                    .map_err(sql)?;
                if taken {
                    return Err(RegistryError::SerialTaken { serial: s });
                }
                s
            }
            None => {
                let max: Option<i64> = tx
                    .query_row("SELECT MAX(serial) FROM labels", [], |r| r.get(0))
                    .map_err(sql)?;
                u64::try_from(max.unwrap_or(0)).unwrap_or(0) + 1
            }
        };
        let claims = claims_for(serial);
        if claims.serial != serial {
            return Err(RegistryError::SerialMismatch {
                assigned: serial,
                claimed: claims.serial,
            });
        }
        let label = signer.sign(&claims).map_err(RegistryError::Label)?;

        let mut frontier = load_frontier(&tx).map_err(sql)??;
        let leaf_index = frontier.size();
        let leaf = transparency::leaf_hash(label.as_bytes());
        frontier.push(leaf);
        let head = signer.sign_tree_head(TreeHead {
            tree_size: frontier.size(),
            timestamp_ms: now_ms(),
            root_hash: frontier.root(),
        });
        let recorded_at = OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        tx.execute(
            "INSERT INTO labels (serial, leaf_index, issued, manufacturer, model, firmware, gtin, support_end, claims_json, cose, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                to_i64("serial", serial)?,
                to_i64("leaf_index", leaf_index)?,
                claims.issued.to_string(),
                claims.manufacturer,
                claims.model,
                claims.firmware,
                claims.gtin,
                claims.support_end.to_string(),
                serde_json::to_string(&claims).unwrap_or_default(),
                label.as_bytes(),
                recorded_at,
            ],
        )
        .map_err(sql)?;
        tx.execute(
            "INSERT INTO log_leaves (leaf_index, leaf_hash, serial) VALUES (?1, ?2, ?3)",
            params![
                to_i64("leaf_index", leaf_index)?,
                leaf.as_slice(),
                to_i64("serial", serial)?
            ],
        )
        .map_err(sql)?;
        insert_head(&tx, &head).map_err(sql)??;
        store_frontier(&tx, &frontier).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(RecordedLabel {
            serial,
            leaf_index,
            label,
            claims,
            tree_head: head,
        })
    }

    /// A recorded label by serial.
    pub fn label(&self, serial: u64) -> Result<Option<RecordedLabel>, RegistryError> {
        let row: Option<(i64, Vec<u8>)> = self.db(self
            .conn
            .query_row(
                "SELECT leaf_index, cose FROM labels WHERE serial = ?1",
                [to_i64("serial", serial)?],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional())?;
        let Some((leaf_index, cose)) = row else {
            return Ok(None);
        };
        let leaf_index = u64::try_from(leaf_index).unwrap_or(0);
        let label = SignedLabel::from_bytes(cose).map_err(RegistryError::Label)?;
        let claims =
            iotmark_labels::verify::unverified_claims(&label).map_err(RegistryError::Label)?;
        let tree_head = self
            .head_at(leaf_index + 1)?
            .ok_or_else(|| RegistryError::Corrupt {
                reason: format!("no tree head for size {}", leaf_index + 1),
            })?;
        Ok(Some(RecordedLabel {
            serial,
            leaf_index,
            label,
            claims,
            tree_head,
        }))
    }

    /// Number of labels recorded.
    pub fn label_count(&self) -> Result<u64, RegistryError> {
        let n: i64 = self.db(self
            .conn
            .query_row("SELECT COUNT(*) FROM labels", [], |r| r.get(0)))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Every recorded serial, ascending.
    pub fn serials(&self) -> Result<Vec<u64>, RegistryError> {
        let mut stmt = self.db(self
            .conn
            .prepare("SELECT serial FROM labels ORDER BY serial"))?;
        let rows = self.db(stmt.query_map([], |r| r.get::<_, i64>(0)))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(u64::try_from(self.db(r)?).unwrap_or(0));
        }
        Ok(out)
    }

    /// Records a revocation. The label must exist and not already be revoked.
    pub fn revoke(&mut self, serial: u64, reason: &str) -> Result<RevocationRecord, RegistryError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(RegistryError::EmptyReason);
        }
        // The reason is published in the signed status list.
        if reason.len() > 512 || reason.chars().any(char::is_control) {
            return Err(RegistryError::BadReason);
        }
        let path = self.path.clone();
        let sql = |e| RegistryError::sqlite(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let exists: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM labels WHERE serial = ?1)",
                [to_i64("serial", serial)?],
                |r| r.get(0),
            )
            .map_err(sql)?;
        if !exists {
            return Err(RegistryError::UnknownSerial {
                path: path.clone(),
                serial,
            });
        }
        let previous: Option<String> = tx
            .query_row(
                "SELECT revoked_at FROM revocations WHERE serial = ?1",
                [to_i64("serial", serial)?],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        if let Some(at) = previous {
            return Err(RegistryError::AlreadyRevoked { serial, at });
        }
        let revoked_at = OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        tx.execute(
            "INSERT INTO revocations (serial, revoked_at, reason) VALUES (?1, ?2, ?3)",
            params![to_i64("serial", serial)?, revoked_at, reason],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(RevocationRecord {
            serial,
            revoked_at,
            reason: reason.to_owned(),
        })
    }

    /// Every revocation, by serial.
    pub fn revocations(&self) -> Result<Vec<RevocationRecord>, RegistryError> {
        let mut stmt = self.db(self
            .conn
            .prepare("SELECT serial, revoked_at, reason FROM revocations ORDER BY serial"))?;
        let rows = self.db(stmt.query_map([], |r| {
            Ok(RevocationRecord {
                serial: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                revoked_at: r.get(1)?,
                reason: r.get(2)?,
            })
        }))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(self.db(r)?);
        }
        Ok(out)
    }

    /// The lab's current status list, signed: covers every serial issued so far.
    pub fn signed_status_list(
        &self,
        signer: &LabelSigner,
        issued: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Result<Vec<u8>, RegistryError> {
        self.check_lab(signer.certificate())?;
        let max: Option<i64> =
            self.db(self
                .conn
                .query_row("SELECT MAX(serial) FROM labels", [], |r| r.get(0)))?;
        let size = u64::try_from(max.unwrap_or(0)).unwrap_or(0) + 1;
        let records = self.revocations()?;
        let revoked = records.iter().map(|r| r.serial);
        let entries = records
            .iter()
            .map(|r| iotmark_labels::status::RevocationEntry {
                serial: r.serial,
                revoked_at: r.revoked_at.clone(),
                reason: r.reason.clone(),
            })
            .collect();
        let list = iotmark_labels::status::StatusList::new(revoked, size, issued, next_update)
            .and_then(|l| l.with_entries(entries))
            .map_err(RegistryError::Label)?;
        list.sign(signer).map_err(RegistryError::Label)
    }

    fn check_lab(&self, cert: &LabCertificate) -> Result<(), RegistryError> {
        if let Some(bound) = self.lab_certificate()? {
            if bound.kid() != cert.kid() {
                return Err(RegistryError::WrongLab {
                    path: self.path.clone(),
                    registry_lab: bound.name().to_owned(),
                    registry_kid: hex::encode(bound.kid()),
                    kid: hex::encode(cert.kid()),
                });
            }
        }
        Ok(())
    }

    /// The signed head for a tree size, if one was signed.
    pub fn head_at(&self, size: u64) -> Result<Option<SignedTreeHead>, RegistryError> {
        self.db(
            self.conn
                .query_row(
                    "SELECT tree_size, timestamp_ms, root_hash, kid, signature FROM tree_heads WHERE tree_size = ?1",
                    [to_i64("tree_size", size)?],
                    head_from_row,
                )
                .optional(),
        )
    }

    /// The newest signed head.
    pub fn latest_head(&self) -> Result<Option<SignedTreeHead>, RegistryError> {
        self.db(
            self.conn
                .query_row(
                    "SELECT tree_size, timestamp_ms, root_hash, kid, signature FROM tree_heads ORDER BY tree_size DESC LIMIT 1",
                    [],
                    head_from_row,
                )
                .optional(),
        )
    }

    fn leaves(&self, limit: u64) -> Result<Vec<Hash>, RegistryError> {
        let mut stmt = self.db(self.conn.prepare(
            "SELECT leaf_index, leaf_hash FROM log_leaves WHERE leaf_index < ?1 ORDER BY leaf_index",
        ))?;
        let rows = self.db(stmt.query_map([to_i64("tree_size", limit)?], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        }))?;
        let mut out = Vec::new();
        for (i, r) in rows.enumerate() {
            let (index, hash) = self.db(r)?;
            if usize::try_from(index).ok() != Some(i) {
                return Err(RegistryError::Corrupt {
                    reason: format!("log leaf {i} is missing"),
                });
            }
            out.push(hash_from("leaf_hash", hash)?);
        }
        Ok(out)
    }

    /// An inclusion proof for a label under the newest head.
    pub fn inclusion_proof(&self, serial: u64) -> Result<LogProof, RegistryError> {
        let recorded = self
            .label(serial)?
            .ok_or_else(|| RegistryError::UnknownSerial {
                path: self.path.clone(),
                serial,
            })?;
        let head = self.latest_head()?.ok_or(RegistryError::EmptyLog)?;
        let leaves = self.leaves(head.tree_size)?;
        let index = usize::try_from(recorded.leaf_index).unwrap_or(usize::MAX);
        Ok(LogProof::Inclusion {
            serial,
            leaf_index: recorded.leaf_index,
            label: hex::encode(recorded.label.as_bytes()),
            leaf_hash: hex::encode(transparency::leaf_hash(recorded.label.as_bytes())),
            path: transparency::path_to_hex(&transparency::inclusion_path(index, &leaves)),
            tree_head: head,
        })
    }

    /// A consistency proof from the head of size `first` to the head of size
    /// `second` (default: the newest).
    pub fn consistency_proof(
        &self,
        first: u64,
        second: Option<u64>,
    ) -> Result<LogProof, RegistryError> {
        let newest = self.latest_head()?.ok_or(RegistryError::EmptyLog)?;
        let second = match second {
            Some(s) => self.head_at(s)?.ok_or(RegistryError::NoHead { size: s })?,
            None => newest,
        };
        let first_head = self
            .head_at(first)?
            .ok_or(RegistryError::NoHead { size: first })?;
        if first > second.tree_size {
            return Err(RegistryError::OutOfRange {
                field: "first tree size",
                value: first,
            });
        }
        let leaves = self.leaves(second.tree_size)?;
        let m = usize::try_from(first).unwrap_or(usize::MAX);
        Ok(LogProof::Consistency {
            first: first_head,
            path: transparency::path_to_hex(&transparency::consistency_path(m, &leaves)),
            second,
        })
    }

    /// Rechecks everything: each label's leaf hash from its stored bytes, the
    /// labels and leaves one-to-one, every signed head's signature (with the
    /// bound lab certificate) and its root against the leaves, and the
    /// stored frontier against the whole log.
    pub fn audit(&self) -> Result<AuditSummary, RegistryError> {
        let corrupt = |reason: String| RegistryError::Corrupt { reason };
        let cert = self.lab_certificate()?;
        let leaves = self.leaves(u64::MAX >> 1)?;
        let mut stmt = self.db(self
            .conn
            .prepare("SELECT serial, leaf_index, cose FROM labels ORDER BY leaf_index"))?;
        let rows = self.db(stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        }))?;
        let mut labels = 0u64;
        for (i, row) in rows.enumerate() {
            let (serial, index, cose) = self.db(row)?;
            if usize::try_from(index).ok() != Some(i) {
                return Err(corrupt(format!(
                    "label {serial} has leaf index {index}, expected {i}"
                )));
            }
            let expected = leaves
                .get(i)
                .ok_or_else(|| corrupt(format!("label {serial} has no log leaf")))?;
            if transparency::leaf_hash(&cose) != *expected {
                return Err(corrupt(format!(
                    "label {serial}'s bytes do not hash to log leaf {i}"
                )));
            }
            let label = SignedLabel::from_bytes(cose).map_err(RegistryError::Label)?;
            let claims =
                iotmark_labels::verify::unverified_claims(&label).map_err(RegistryError::Label)?;
            if i64::try_from(claims.serial).ok() != Some(serial) {
                return Err(corrupt(format!(
                    "label recorded as serial {serial} carries serial {}",
                    claims.serial
                )));
            }
            labels += 1;
        }
        if labels != leaves.len() as u64 {
            return Err(corrupt(format!(
                "{} log leaves but {labels} labels",
                leaves.len()
            )));
        }
        let mut heads = 0u64;
        let mut stmt = self.db(self.conn.prepare(
            "SELECT tree_size, timestamp_ms, root_hash, kid, signature FROM tree_heads ORDER BY tree_size",
        ))?;
        let rows = self.db(stmt.query_map([], head_from_row))?;
        let mut frontier = Frontier::default();
        for row in rows {
            let head = self.db(row)?;
            let checked = match &cert {
                Some(c) => head
                    .verify(c.public_key())
                    .map_err(|e| corrupt(e.to_string()))?,
                None => head.head().map_err(|e| corrupt(e.to_string()))?,
            };
            let size = usize::try_from(checked.tree_size).unwrap_or(usize::MAX);
            if size > leaves.len() {
                return Err(corrupt(format!(
                    "tree head of size {size} but only {} leaves",
                    leaves.len()
                )));
            }
            while (frontier.size() as usize) < size {
                frontier.push(leaves[frontier.size() as usize]);
            }
            if frontier.root() != checked.root_hash {
                return Err(corrupt(format!(
                    "tree head of size {size} does not match the log's leaves"
                )));
            }
            heads += 1;
        }
        let stored =
            load_frontier(&self.conn).map_err(|e| RegistryError::sqlite(&self.path, e))??;
        let full = Frontier::from_leaves(&leaves);
        if stored != full {
            return Err(corrupt(
                "stored log frontier does not match the leaves".to_owned(),
            ));
        }
        Ok(AuditSummary {
            labels,
            leaves: leaves.len() as u64,
            tree_heads: heads,
            revocations: self.revocations()?.len() as u64,
            root_hash: hex::encode(full.root()),
        })
    }
}

fn head_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SignedTreeHead> {
    Ok(SignedTreeHead {
        tree_size: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
        timestamp_ms: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
        root_hash: hex::encode(r.get::<_, Vec<u8>>(2)?),
        kid: r.get(3)?,
        signature: hex::encode(r.get::<_, Vec<u8>>(4)?),
    })
}

fn insert_head(
    conn: &Connection,
    head: &SignedTreeHead,
) -> rusqlite::Result<Result<(), RegistryError>> {
    let (Ok(root), Ok(sig)) = (hex::decode(&head.root_hash), hex::decode(&head.signature)) else {
        return Ok(Err(RegistryError::Corrupt {
            reason: "tree head is not hex".to_owned(),
        }));
    };
    let (Ok(size), Ok(ts)) = (
        i64::try_from(head.tree_size),
        i64::try_from(head.timestamp_ms),
    ) else {
        return Ok(Err(RegistryError::OutOfRange {
            field: "tree_size",
            value: head.tree_size,
        }));
    };
    conn.execute(
        "INSERT INTO tree_heads (tree_size, timestamp_ms, root_hash, kid, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![size, ts, root, head.kid, sig],
    )?;
    Ok(Ok(()))
}

/// The frontier is stored as `size (u64 BE)` then `(height u8, hash 32)` per node.
fn load_frontier(conn: &Connection) -> rusqlite::Result<Result<Frontier, RegistryError>> {
    let blob: Option<Vec<u8>> = conn
        .query_row("SELECT frontier FROM log_state WHERE id = 0", [], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(blob) = blob else {
        return Ok(Ok(Frontier::default()));
    };
    // The stored form is checked by rebuilding: a frontier is determined by
    // the leaves, so we keep the leaf count and the node hashes and let
    // `Frontier` recompute nothing it cannot verify.
    let corrupt = || RegistryError::Corrupt {
        reason: "log frontier blob is malformed".to_owned(),
    };
    let Some((size_bytes, nodes)) = blob.split_first_chunk::<8>() else {
        return Ok(Err(corrupt()));
    };
    let size = u64::from_be_bytes(*size_bytes);
    if nodes.len() % 33 != 0 {
        return Ok(Err(corrupt()));
    }
    let parsed: Vec<(u8, Hash)> = nodes
        .chunks_exact(33)
        .filter_map(|c| {
            let (h, rest) = c.split_first()?;
            Some((*h, <[u8; 32]>::try_from(rest).ok()?))
        })
        .collect();
    Ok(Frontier::from_parts(size, parsed).ok_or_else(corrupt))
}

fn store_frontier(conn: &Connection, f: &Frontier) -> rusqlite::Result<()> {
    let mut blob = f.size().to_be_bytes().to_vec();
    for (h, hash) in f.nodes() {
        blob.push(*h);
        blob.extend_from_slice(hash);
    }
    conn.execute(
        "INSERT INTO log_state (id, frontier) VALUES (0, ?1) ON CONFLICT (id) DO UPDATE SET frontier = excluded.frontier",
        [blob],
    )?;
    Ok(())
}
