//! Read access to a lab's registry for the API: labels by manufacturer and
//! model with pagination, one label, transparency-log heads and proofs.
//!
//! The registry is SQLite and its connection is not shared between threads,
//! so it sits behind a mutex and every call runs on the blocking pool. Queries
//! by manufacturer and model are answered from an in-memory index of the
//! claims, refreshed when the registry has more labels than the index (labels
//! are append-only, so only new serials need reading).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iotmark_labels::qr::encode_digits;
use iotmark_labels::transparency::{LogProof, SignedTreeHead};
use iotmark_labels::LabCertificate;
use iotmark_registry::{Registry, RegistryError};
use serde::Serialize;

use super::error::ServeError;
use super::verifier::RegistryRevocation;

/// How often the index checks the registry for new labels.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// One label in a listing.
#[derive(Debug, Clone, Serialize)]
pub struct LabelSummary {
    pub serial: u64,
    pub manufacturer: String,
    pub model: String,
    pub firmware: String,
    pub gtin: Option<String>,
    pub issued: String,
    pub support_end: String,
    pub schemes: Vec<String>,
}

#[derive(Debug, Default)]
struct Index {
    entries: Vec<LabelSummary>,
    checked: Option<Instant>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    index: Index,
}

/// A page of labels.
#[derive(Debug, Serialize)]
pub struct LabelPage {
    pub items: Vec<LabelSummary>,
    pub page: usize,
    pub per_page: usize,
    pub total: usize,
    pub next_page: Option<usize>,
}

/// One recorded label, with its signed bytes as label digits.
#[derive(Debug, Serialize)]
pub struct LabelRecord {
    #[serde(flatten)]
    pub summary: LabelSummary,
    pub disclosure_contact: String,
    pub leaf_index: u64,
    pub digits: String,
    pub tree_head: SignedTreeHead,
}

#[derive(Debug, Clone)]
pub struct RegistryHandle {
    inner: Arc<Mutex<Inner>>,
}

fn map_err(e: RegistryError) -> ServeError {
    match e {
        RegistryError::UnknownSerial { .. } | RegistryError::EmptyLog => ServeError::NotFound,
        RegistryError::NoHead { .. } => ServeError::NotFound,
        RegistryError::OutOfRange { field, value } => {
            ServeError::bad_request(format!("{field} {value} is out of range"))
        }
        other => ServeError::internal(other),
    }
}

fn summary(serial: u64, c: &iotmark_labels::Claims) -> LabelSummary {
    LabelSummary {
        serial,
        manufacturer: c.manufacturer.clone(),
        model: c.model.clone(),
        firmware: c.firmware.clone(),
        gtin: c.gtin.clone(),
        issued: c.issued.to_string(),
        support_end: c.support_end.to_string(),
        schemes: c.schemes.clone(),
    }
}

impl Inner {
    fn refresh(&mut self) -> Result<(), RegistryError> {
        if self
            .index
            .checked
            .is_some_and(|t| t.elapsed() < REFRESH_EVERY)
        {
            return Ok(());
        }
        self.index.checked = Some(Instant::now());
        let count = usize::try_from(self.registry.label_count()?).unwrap_or(usize::MAX);
        if count == self.index.entries.len() {
            return Ok(());
        }
        let known = self.index.entries.last().map(|e| e.serial);
        for serial in self.registry.serials()? {
            if known.is_some_and(|k| serial <= k) {
                continue;
            }
            if let Some(recorded) = self.registry.label(serial)? {
                self.index.entries.push(summary(serial, &recorded.claims));
            }
        }
        Ok(())
    }
}

impl RegistryHandle {
    /// Opens an existing registry file.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if !path.is_file() {
            anyhow::bail!("--registry {}: no such registry", path.display());
        }
        let registry = Registry::open(path)?;
        Ok(Self {
            inner: Arc::new(Mutex::new(Inner {
                registry,
                index: Index::default(),
            })),
        })
    }

    /// The lab certificate the registry is bound to.
    pub fn lab_certificate(&self) -> anyhow::Result<Option<LabCertificate>> {
        let inner = self
            .inner
            .lock()
            .map_err(|_| anyhow::anyhow!("registry lock poisoned"))?;
        Ok(inner.registry.lab_certificate()?)
    }

    /// The registry's revocation table, by serial. Blocking: call it from the
    /// blocking pool.
    pub fn revocations_blocking(&self) -> Result<HashMap<u64, RegistryRevocation>, ServeError> {
        let inner = self
            .inner
            .lock()
            .map_err(|_| ServeError::internal("registry lock poisoned"))?;
        let records = inner.registry.revocations().map_err(map_err)?;
        Ok(records
            .into_iter()
            .map(|r| {
                (
                    r.serial,
                    RegistryRevocation {
                        revoked_at: r.revoked_at,
                        reason: r.reason,
                    },
                )
            })
            .collect())
    }

    /// Runs `f` on the registry on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Inner) -> Result<T, ServeError> + Send + 'static,
    ) -> Result<T, ServeError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = inner
                .lock()
                .map_err(|_| ServeError::internal("registry lock poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(ServeError::internal)?
    }

    /// Labels whose manufacturer and model equal the given ones (ignoring
    /// case), by serial, one page (1-based).
    pub async fn labels(
        &self,
        manufacturer: Option<String>,
        model: Option<String>,
        page: usize,
        per_page: usize,
    ) -> Result<LabelPage, ServeError> {
        self.with(move |inner| {
            inner.refresh().map_err(map_err)?;
            let matches = |e: &&LabelSummary| {
                manufacturer
                    .as_deref()
                    .is_none_or(|m| e.manufacturer.eq_ignore_ascii_case(m.trim()))
                    && model
                        .as_deref()
                        .is_none_or(|m| e.model.eq_ignore_ascii_case(m.trim()))
            };
            let total = inner.index.entries.iter().filter(matches).count();
            let skip = (page - 1).saturating_mul(per_page);
            let items: Vec<LabelSummary> = inner
                .index
                .entries
                .iter()
                .filter(matches)
                .skip(skip)
                .take(per_page)
                .cloned()
                .collect();
            let next_page = (skip.saturating_add(items.len()) < total).then_some(page + 1);
            Ok(LabelPage {
                items,
                page,
                per_page,
                total,
                next_page,
            })
        })
        .await
    }

    pub async fn label(&self, serial: u64) -> Result<LabelRecord, ServeError> {
        self.with(move |inner| {
            let recorded = inner
                .registry
                .label(serial)
                .map_err(map_err)?
                .ok_or(ServeError::NotFound)?;
            Ok(LabelRecord {
                summary: summary(serial, &recorded.claims),
                disclosure_contact: recorded.claims.disclosure_contact.clone(),
                leaf_index: recorded.leaf_index,
                digits: encode_digits(recorded.label.as_bytes()),
                tree_head: recorded.tree_head,
            })
        })
        .await
    }

    pub async fn latest_head(&self) -> Result<SignedTreeHead, ServeError> {
        self.with(|inner| {
            inner
                .registry
                .latest_head()
                .map_err(map_err)?
                .ok_or(ServeError::NotFound)
        })
        .await
    }

    pub async fn inclusion(&self, serial: u64) -> Result<LogProof, ServeError> {
        self.with(move |inner| inner.registry.inclusion_proof(serial).map_err(map_err))
            .await
    }

    pub async fn consistency(&self, from: u64, to: Option<u64>) -> Result<LogProof, ServeError> {
        self.with(move |inner| inner.registry.consistency_proof(from, to).map_err(map_err))
            .await
    }
}
