//! Label verification for the service: the labels crate's checks, cached by
//! the SHA-256 of the label bytes and the verification date, with revocation
//! looked up on every request against the status lists loaded now.
//!
//! What is cached is the verdict without revocation (signature, chain,
//! validity, scope, support end) — it depends only on the bytes, the trust
//! store and the date, none of which change while the server runs. Revocation
//! does change, so it is never cached.

use std::borrow::Cow;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use iotmark_labels::cose::MAX_LABEL_BYTES;
use iotmark_labels::qr::digits::digits_len;
use iotmark_labels::qr::{decode_digits, parse_label_url, DIGITAL_LINK_KEY};
use iotmark_labels::status::{StatusList, MAX_STATUS_LIST_BYTES};
use iotmark_labels::verify::{check_link_gtin, verify_with_status, LabelInput, Revocation};
use iotmark_labels::{rfc3339, LabelStatus, TrustStore, Verification};
use lru::LruCache;
use sha2::{Digest, Sha256};
use time::Date;

use super::error::ServeError;
use super::metrics::Metrics;

/// Verdicts kept in memory (a few hundred bytes each).
const CACHE_ENTRIES: usize = 16_384;

/// The most digits a label path segment can have.
pub fn max_digits() -> usize {
    digits_len(MAX_LABEL_BYTES)
}

/// The label digits of a request to `/l/{digits}` or `/api/v1/verify/{digits}`:
/// the last segment of the path, as sent. Not percent-decoded: label digits
/// never need escaping, so an escaped one is not a label link
/// ([`check_digits`] refuses it), and the busiest routes skip a decode and a copy.
pub fn digits_segment(uri: &axum::http::Uri) -> &str {
    uri.path().rsplit('/').next().unwrap_or_default()
}

/// Checks a label's digit string before anything else: only ASCII digits, at
/// most as many as the largest label needs. Anything else is a bad request.
pub fn check_digits(digits: &str) -> Result<(), ServeError> {
    if digits.is_empty() {
        return Err(ServeError::bad_request("the label link holds no digits"));
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ServeError::bad_request(
            "a label link holds only the digits 0-9 after /l/",
        ));
    }
    if digits.len() > max_digits() {
        return Err(ServeError::bad_request(format!(
            "a label link holds at most {} digits",
            max_digits()
        )));
    }
    Ok(())
}

/// A label as a request names it: its digits (checked with [`check_digits`])
/// and, for a GS1 Digital Link, the 14-digit GTIN its path names, which the
/// label must be signed for (see [`Verifier::verify_ref`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRef<'a> {
    pub digits: Cow<'a, str>,
    pub gtin: Option<String>,
}

impl<'a> LabelRef<'a> {
    /// A label named by its digits alone (`/l/{digits}`).
    pub fn digits(digits: &'a str) -> Result<Self, ServeError> {
        check_digits(digits)?;
        Ok(LabelRef {
            digits: Cow::Borrowed(digits),
            gtin: None,
        })
    }

    /// A label named by a URL of either form, taken apart by the parser the
    /// command line's `verify` uses, so both judge a link alike.
    pub fn url(url: &str) -> Result<LabelRef<'static>, ServeError> {
        let parsed = parse_label_url(url).map_err(|e| ServeError::bad_request(e.to_string()))?;
        check_digits(parsed.digits)?;
        Ok(LabelRef {
            digits: Cow::Owned(parsed.digits.to_owned()),
            gtin: parsed.gtin,
        })
    }

    /// The label of a GS1 Digital Link request, `/01/{gtin}[/…]?L={digits}`.
    /// Without an `L` parameter the link names a product but no label: not
    /// found here.
    pub fn digital_link(uri: &axum::http::Uri) -> Result<LabelRef<'static>, ServeError> {
        let has_label = uri.query().is_some_and(|q| {
            q.split('&').any(|pair| {
                pair.split_once('=')
                    .is_some_and(|(k, _)| k.eq_ignore_ascii_case(DIGITAL_LINK_KEY))
            })
        });
        if !has_label {
            return Err(ServeError::NotFound);
        }
        let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
        Self::url(&format!("http://link{path_and_query}"))
    }
}

/// One status list file, verified.
#[derive(Debug)]
struct LoadedList {
    path: PathBuf,
    modified: Option<SystemTime>,
    list: StatusList,
    bytes: Arc<Vec<u8>>,
}

/// What the service says about a loaded status list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusListInfo {
    pub kid: String,
    pub lab: String,
    pub issued: String,
    pub next_update: String,
    pub size: u64,
    pub revoked: u64,
}

/// Cache key: SHA-256 of the label bytes, and the date judged on.
type CacheKey = ([u8; 32], Date);

/// One revocation the lab's registry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRevocation {
    pub revoked_at: String,
    pub reason: String,
}

/// The revocation table of the lab's registry, as last read.
#[derive(Debug, Default)]
struct RegistryRevocations {
    /// The registry's lab: its kid (hex) and name.
    kid: String,
    lab: String,
    by_serial: HashMap<u64, RegistryRevocation>,
}

#[derive(Debug)]
pub struct Verifier {
    trust: TrustStore,
    cache: Mutex<LruCache<CacheKey, Arc<Verification>>>,
    sources: Vec<PathBuf>,
    lists: RwLock<Vec<LoadedList>>,
    registry_revocations: RwLock<Option<RegistryRevocations>>,
    /// Moves on whenever the revocation data changes.
    epoch: AtomicU64,
    metrics: Arc<Metrics>,
}

impl Verifier {
    /// A verifier over a trust store, with status lists from these files
    /// (missing files are tolerated: a lab may not have revoked anything yet).
    pub fn new(trust: TrustStore, sources: Vec<PathBuf>, metrics: Arc<Metrics>) -> Self {
        let capacity = NonZeroUsize::new(CACHE_ENTRIES).unwrap_or(NonZeroUsize::MIN);
        let verifier = Self {
            trust,
            cache: Mutex::new(LruCache::new(capacity)),
            sources,
            lists: RwLock::new(Vec::new()),
            registry_revocations: RwLock::new(None),
            epoch: AtomicU64::new(0),
            metrics,
        };
        verifier.reload_status_lists();
        verifier
    }

    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// The revocation epoch: a number that changes whenever a status list
    /// is (re)loaded or the registry's revocations change. Anything derived
    /// from revocation data in one epoch is stale in the next.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn next_epoch(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Takes the revocation table of the lab's registry (lab `kid`, hex, and
    /// name `lab`), as just read. Revocations are permanent, so a table with
    /// the same number of rows is the same table; only a change moves the epoch.
    pub fn learn_registry_revocations(
        &self,
        kid: &str,
        lab: &str,
        revocations: HashMap<u64, RegistryRevocation>,
    ) {
        let Ok(mut known) = self.registry_revocations.write() else {
            return;
        };
        let unchanged = known
            .as_ref()
            .is_some_and(|k| k.kid == kid && k.by_serial.len() == revocations.len());
        if unchanged {
            return;
        }
        tracing::info!(
            lab,
            revoked = revocations.len(),
            "serve: registry revocations loaded"
        );
        *known = Some(RegistryRevocations {
            kid: kid.to_owned(),
            lab: lab.to_owned(),
            by_serial: revocations,
        });
        drop(known);
        self.next_epoch();
    }

    /// The registry's record of a revocation of label `serial` of lab `kid`.
    fn registry_revocation(&self, kid: &str, serial: u64) -> Option<(String, RegistryRevocation)> {
        let known = self.registry_revocations.read().ok()?;
        let known = known.as_ref()?;
        if !known.kid.eq_ignore_ascii_case(kid) {
            return None;
        }
        known
            .by_serial
            .get(&serial)
            .map(|r| (known.lab.clone(), r.clone()))
    }

    /// Rereads status list files whose modification time changed. A file that
    /// no longer verifies is logged and the last good copy kept: revocations
    /// are permanent, so an older list never un-revokes anything newer did.
    pub fn reload_status_lists(&self) {
        for path in &self.sources {
            let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            let Some(modified) = modified else {
                continue;
            };
            let unchanged = self.lists.read().ok().is_some_and(|lists| {
                lists
                    .iter()
                    .any(|l| l.path == *path && l.modified == Some(modified))
            });
            if unchanged {
                continue;
            }
            match load_list(path, &self.trust) {
                Ok((list, bytes)) => {
                    tracing::info!(path = %path.display(), lab = list.lab(), revoked = list.revoked_count(), "serve: status list loaded");
                    if let Ok(mut lists) = self.lists.write() {
                        lists.retain(|l| l.path != *path);
                        lists.push(LoadedList {
                            path: path.clone(),
                            modified: Some(modified),
                            list,
                            bytes: Arc::new(bytes),
                        });
                    }
                    self.next_epoch();
                }
                Err(reason) => {
                    tracing::warn!(path = %path.display(), %reason, "serve: status list refused; keeping the last good one");
                }
            }
        }
    }

    /// The newest loaded list of a lab, by kid (hex).
    fn with_list<T>(&self, kid: &str, f: impl FnOnce(Option<&LoadedList>) -> T) -> T {
        match self.lists.read() {
            Ok(lists) => f(lists
                .iter()
                .filter(|l| l.list.kid().eq_ignore_ascii_case(kid))
                .max_by_key(|l| l.list.issued())),
            Err(_) => f(None),
        }
    }

    /// Every loaded list, newest per lab.
    pub fn status_lists(&self) -> Vec<StatusListInfo> {
        let Ok(lists) = self.lists.read() else {
            return Vec::new();
        };
        let mut kids: Vec<&str> = lists.iter().map(|l| l.list.kid()).collect();
        kids.sort_unstable();
        kids.dedup();
        kids.into_iter()
            .filter_map(|kid| {
                lists
                    .iter()
                    .filter(|l| l.list.kid() == kid)
                    .max_by_key(|l| l.list.issued())
            })
            .map(|l| StatusListInfo {
                kid: l.list.kid().to_owned(),
                lab: l.list.lab().to_owned(),
                issued: rfc3339(l.list.issued()),
                next_update: rfc3339(l.list.next_update()),
                size: l.list.size(),
                revoked: l.list.revoked_count(),
            })
            .collect()
    }

    /// The signed bytes of a lab's newest list.
    pub fn status_list_bytes(&self, kid: &str) -> Option<Arc<Vec<u8>>> {
        self.with_list(kid, |l| l.map(|l| l.bytes.clone()))
    }

    /// Verifies a label as a request names it on `at`: a Digital Link's
    /// label must also be signed for the GTIN the link names.
    pub fn verify_ref(&self, label: &LabelRef<'_>, at: Date) -> Verification {
        let v = match decode_digits(&label.digits) {
            Ok(bytes) => check_link_gtin(self.judge_bytes(bytes, at), label.gtin.as_deref()),
            Err(e) => invalid(e.to_string()),
        };
        self.metrics.verification(v.status);
        v
    }

    /// The verdict on label bytes: cached without revocation, then checked
    /// against the revocation data of now. Not counted in the metrics.
    fn judge_bytes(&self, bytes: Vec<u8>, at: Date) -> Verification {
        let key: CacheKey = (Sha256::digest(&bytes).into(), at);
        let cached = self
            .cache
            .lock()
            .ok()
            .and_then(|mut c| c.get(&key).cloned());
        let base = match cached {
            Some(v) => {
                self.metrics.cache(true);
                v
            }
            None => {
                self.metrics.cache(false);
                let v = Arc::new(verify_with_status(
                    &LabelInput::Cose(bytes),
                    &self.trust,
                    at,
                    None,
                ));
                if let Ok(mut c) = self.cache.lock() {
                    c.put(key, v.clone());
                }
                v
            }
        };
        self.with_revocation(&base)
    }

    /// The cached verdict with the revocation status of now.
    fn with_revocation(&self, base: &Verification) -> Verification {
        let mut v = base.clone();
        if !matches!(
            v.status,
            LabelStatus::Valid | LabelStatus::SupportEnded | LabelStatus::NotYetValid
        ) {
            return v;
        }
        let (Some(claims), Some(issuer)) = (&v.claims, &v.issuer) else {
            return v;
        };
        let (serial, kid, lab) = (claims.serial, issuer.kid.clone(), issuer.lab.clone());
        self.with_list(&kid, |loaded| {
            let Some(loaded) = loaded else {
                v.revocation = Revocation::NotChecked {
                    note: "revocation not checked: this service holds no status list from the issuing lab"
                        .to_owned(),
                };
                return;
            };
            let list = &loaded.list;
            if list.is_revoked(serial) {
                let entry = list.entry(serial);
                let when_why = entry
                    .map(|e| format!(" on {}: {}", e.revoked_at, e.reason))
                    .unwrap_or_default();
                v.status = LabelStatus::Revoked;
                v.reason = format!(
                    "label {serial} was revoked by {lab}{when_why} (status list issued {})",
                    rfc3339(list.issued())
                );
                v.revocation = Revocation::Checked {
                    list_issued: list.issued(),
                    next_update: list.next_update(),
                    revoked: true,
                    revoked_at: entry.map(|e| e.revoked_at.clone()),
                    reason: entry.map(|e| e.reason.clone()),
                };
            } else if list.is_stale(time::OffsetDateTime::now_utc()) {
                // The same rule as `verify --status`: a list past its next
                // update cannot say the label was not withdrawn.
                v.revocation = Revocation::Stale {
                    list_issued: list.issued(),
                    next_update: list.next_update(),
                };
                v.status = LabelStatus::Unverifiable;
                v.reason = v.revocation.describe();
            } else {
                v.revocation = Revocation::Checked {
                    list_issued: list.issued(),
                    next_update: list.next_update(),
                    revoked: false,
                    revoked_at: None,
                    reason: None,
                };
            }
        });
        if v.status == LabelStatus::Revoked {
            return v;
        }
        if let Some((lab, record)) = self.registry_revocation(&kid, serial) {
            let list_note = match &v.revocation {
                Revocation::Checked { list_issued, .. } => format!(
                    "the lab's signed status list of {} does not list it yet",
                    rfc3339(*list_issued)
                ),
                _ => "this service holds no current signed status list that lists it".to_owned(),
            };
            v.status = LabelStatus::Revoked;
            v.reason = format!(
                "label {serial} was revoked by {lab} on {} ({}), as the lab's registry records",
                record.revoked_at, record.reason
            );
            v.revocation = Revocation::Registry {
                revoked_at: record.revoked_at.clone(),
                reason: record.reason.clone(),
                list_note,
            };
        }
        v
    }
}

fn invalid(reason: String) -> Verification {
    Verification {
        status: LabelStatus::Invalid,
        reason,
        claims: None,
        issuer: None,
        revocation: Revocation::NotChecked {
            note: "revocation not checked".to_owned(),
        },
    }
}

fn load_list(path: &Path, trust: &TrustStore) -> Result<(StatusList, Vec<u8>), String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_STATUS_LIST_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > MAX_STATUS_LIST_BYTES {
        return Err(format!("over the {MAX_STATUS_LIST_BYTES}-byte limit"));
    }
    let list = StatusList::verify(&bytes, trust).map_err(|e| e.to_string())?;
    Ok((list, bytes))
}
