//! Finished verification responses, cached: the bytes of a label page or of
//! a JSON verdict, keyed by the label digits, the GTIN a Digital Link names
//! (if the request came as one), the date judged on and what was asked for
//! (page or JSON), and stamped with the revocation epoch they
//! were made in (see [`super::verifier::Verifier::epoch`]).
//!
//! The table is indexed by a hash of the digits and GTIN with a key chosen at
//! random when the server starts (SipHash, so a client cannot aim two labels
//! at one slot), and every entry keeps both: an answer is served only for
//! exactly the digits and GTIN it was made for, so a genuine label's page is
//! never shown for a Digital Link naming another product.
//!
//! A response from an older epoch is never served: when a status list or
//! the registry's revocation table changes, the epoch moves on and the next
//! request for every label is verified and rendered again. What the bytes
//! depend on otherwise — the label, the trust store, the date, this
//! service's fixed settings — does not change while the server runs.
//!
//! The cache is bounded by bytes, split into shards so that two workers
//! rarely wait for the same lock, and least-recently-used entries go first.

use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use iotmark_labels::{LabelStatus, Verification};
use lru::LruCache;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use time::Date;

use super::middleware::add_security_headers;
use super::state::AppState;
use super::verifier::LabelRef;

const SHARDS: usize = 8;
/// Bytes of response bodies kept in all (each shard an eighth).
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What a cached response answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The label page (HTML).
    Page,
    /// The JSON verdict of the API.
    Json,
}

impl Kind {
    fn content_type(self) -> HeaderValue {
        match self {
            Kind::Page => HeaderValue::from_static("text/html; charset=utf-8"),
            Kind::Json => HeaderValue::from_static("application/json"),
        }
    }
}

type Key = (u64, Date, Kind);

#[derive(Debug)]
struct Entry {
    digits: Box<str>,
    gtin: Option<Box<str>>,
    epoch: u64,
    status: LabelStatus,
    body: Bytes,
}

#[derive(Debug)]
struct Shard {
    entries: LruCache<Key, Entry>,
    bytes: usize,
}

#[derive(Debug)]
pub struct ResponseCache {
    shards: [Mutex<Shard>; SHARDS],
    /// Every header of a page and of a JSON answer, made once: a clone of a
    /// made map costs less than inserting each header into a new one.
    page_headers: HeaderMap,
    json_headers: HeaderMap,
    hasher: RandomState,
}

fn headers(kind: Kind, tls: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, kind.content_type());
    add_security_headers(&mut headers, tls);
    headers
}

impl ResponseCache {
    /// An empty cache for a server speaking HTTPS (`tls`) or HTTP.
    pub fn new(tls: bool) -> Self {
        ResponseCache {
            shards: std::array::from_fn(|_| {
                Mutex::new(Shard {
                    entries: LruCache::unbounded(),
                    bytes: 0,
                })
            }),
            page_headers: headers(Kind::Page, tls),
            json_headers: headers(Kind::Json, tls),
            hasher: RandomState::new(),
        }
    }

    fn key(&self, label: &LabelRef<'_>, at: Date, kind: Kind) -> Key {
        (
            self.hasher
                .hash_one((&*label.digits, label.gtin.as_deref())),
            at,
            kind,
        )
    }

    fn shard(&self, key: &Key) -> &Mutex<Shard> {
        // SHARDS is small: the remainder fits.
        &self.shards[(key.0 % SHARDS as u64) as usize]
    }

    fn get(&self, key: &Key, label: &LabelRef<'_>, epoch: u64) -> Option<(LabelStatus, Bytes)> {
        let mut shard = self.shard(key).lock().ok()?;
        let entry = shard.entries.get(key)?;
        (entry.epoch == epoch
            && *entry.digits == *label.digits
            && entry.gtin.as_deref() == label.gtin.as_deref())
        .then(|| (entry.status, entry.body.clone()))
    }

    fn put(&self, key: Key, entry: Entry) {
        let Ok(mut shard) = self.shard(&key).lock() else {
            return;
        };
        let size = entry.body.len() + entry.digits.len();
        if let Some(old) = shard.entries.put(key, entry) {
            shard.bytes -= old.body.len() + old.digits.len();
        }
        shard.bytes += size;
        while shard.bytes > MAX_BYTES / SHARDS {
            match shard.entries.pop_lru() {
                Some((_, old)) => shard.bytes -= old.body.len() + old.digits.len(),
                None => break,
            }
        }
    }
}

/// The response for a label as the request names it, judged on `at`: from the cache if it was made in the current revocation epoch,
/// else verified, rendered by `render` and kept.
pub fn respond(
    state: &AppState,
    kind: Kind,
    label: &LabelRef<'_>,
    at: Date,
    render: impl FnOnce(&Verification) -> Vec<u8>,
) -> Response {
    // Read before verifying: an entry is stamped with an epoch no newer than
    // the revocation data it was made from.
    let epoch = state.verifier.epoch();
    let key = state.responses.key(label, at, kind);
    let body = match state.responses.get(&key, label, epoch) {
        Some((status, body)) => {
            state.metrics.cache(true);
            state.metrics.verification(status);
            body
        }
        None => {
            let v = state.verifier.verify_ref(label, at);
            let body = Bytes::from(render(&v));
            state.responses.put(
                key,
                Entry {
                    digits: (*label.digits).into(),
                    gtin: label.gtin.as_deref().map(Into::into),
                    epoch,
                    status: v.status,
                    body: body.clone(),
                },
            );
            body
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = match kind {
        Kind::Page => state.responses.page_headers.clone(),
        Kind::Json => state.responses.json_headers.clone(),
    };
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn label(digits: &str, gtin: Option<&str>) -> LabelRef<'static> {
        LabelRef {
            digits: Cow::Owned(digits.to_owned()),
            gtin: gtin.map(str::to_owned),
        }
    }

    fn entry(epoch: u64, len: usize) -> Entry {
        Entry {
            digits: "123".into(),
            gtin: None,
            epoch,
            status: LabelStatus::Valid,
            body: Bytes::from(vec![b'x'; len]),
        }
    }

    #[test]
    fn an_older_epoch_is_not_served() {
        let cache = ResponseCache::new(false);
        let l = label("123", None);
        let key = cache.key(&l, Date::MIN, Kind::Page);
        cache.put(key, entry(3, 10));
        assert!(cache.get(&key, &l, 3).is_some());
        assert!(cache.get(&key, &l, 4).is_none());
        let json = cache.key(&l, Date::MIN, Kind::Json);
        assert!(cache.get(&json, &l, 3).is_none());
    }

    #[test]
    fn only_the_same_digits_get_the_answer() {
        let cache = ResponseCache::new(false);
        // Another label that landed on the same slot is not given this one's answer.
        let key = cache.key(&label("123", None), Date::MIN, Kind::Page);
        cache.put(key, entry(0, 10));
        assert!(cache.get(&key, &label("124", None), 0).is_none());
        assert!(cache.get(&key, &label("123", None), 0).is_some());
    }

    #[test]
    fn a_digital_link_gets_only_the_answer_for_its_gtin() {
        let cache = ResponseCache::new(false);
        // The answer for the bare digits is not the answer for a link
        // naming a product, nor that for a link naming another product.
        let bare = label("123", None);
        let key = cache.key(&bare, Date::MIN, Kind::Page);
        cache.put(key, entry(0, 10));
        let linked = label("123", Some("05012345678900"));
        assert_ne!(cache.key(&linked, Date::MIN, Kind::Page), key);
        assert!(cache.get(&key, &linked, 0).is_none());
        let key = cache.key(&linked, Date::MIN, Kind::Page);
        cache.put(
            key,
            Entry {
                gtin: Some("05012345678900".into()),
                ..entry(0, 10)
            },
        );
        assert!(cache.get(&key, &linked, 0).is_some());
        assert!(cache
            .get(&key, &label("123", Some("04000000000009")), 0)
            .is_none());
        assert!(cache.get(&key, &bare, 0).is_none());
    }

    #[test]
    fn bounded_by_bytes() {
        let cache = ResponseCache::new(false);
        let big = MAX_BYTES / SHARDS / 4 + 1;
        for i in 0..10u64 {
            // All in one shard (the hash modulo the shard count picks it).
            cache.put((i * SHARDS as u64, Date::MIN, Kind::Json), entry(0, big));
        }
        let shard = cache.shards[0].lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(shard.entries.len(), 3);
        assert!(shard.bytes <= MAX_BYTES / SHARDS);
    }
}
