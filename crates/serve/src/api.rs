//! The JSON API for regulators' tools, under `/api/v1/`.
//!
//! A verification answers exactly what `iotmark verify --format json` prints
//! (`valid`, `status`, `reason`, `claims`, `issuer`, `revocation`) plus the
//! date it was judged on. An input that is not a label link at all (letters in
//! the digits, a URL without digits) is a 400; a label that does not verify is
//! a 200 whose `status` is `invalid` — the request was fine, the label is not.

use std::borrow::Cow;
use std::cell::Cell;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use iotmark_labels::status::CONTENT_TYPE as STATUS_LIST_CONTENT_TYPE;
use iotmark_labels::verify::LabelStatus;
use iotmark_labels::Verification;
use serde::ser::{SerializeMap as _, SerializeSeq as _};
use serde::{Deserialize, Serialize};
use time::Date;

use super::body::{BudgetedBody, SMALL_BODY_BYTES};
use super::cache::{respond, Kind};
use super::error::{ApiError, ServeError};
use super::registry::RegistryHandle;
use super::state::AppState;
use super::verifier::{digits_segment, LabelRef, Verifier};

/// Most labels in one batch request.
pub const MAX_BATCH: usize = 1000;
/// Most labels per page of a registry listing.
const MAX_PER_PAGE: usize = 200;

#[derive(Debug, Serialize)]
struct Verified<'a> {
    #[serde(flatten)]
    verification: &'a Verification,
    checked_on: String,
}

/// A verification as the API answers it, serialised once (for the cache).
fn verified_bytes(v: &Verification, on: Date) -> Vec<u8> {
    serde_json::to_vec(&Verified {
        verification: v,
        checked_on: on.to_string(),
    })
    .unwrap_or_else(|_| b"null".to_vec())
}

#[derive(Debug, Deserialize)]
pub struct AtQuery {
    at: Option<String>,
}

fn parse_at(state: &AppState, at: Option<&str>) -> Result<Date, ServeError> {
    match at {
        None => Ok(state.today()),
        Some(text) => iotmark_labels::parse_date(text)
            .ok_or_else(|| ServeError::bad_request("`at` is not a date in the form YYYY-MM-DD")),
    }
}

/// A label given as a URL of either form or as bare digits.
fn label_ref(input: &str) -> Result<LabelRef<'_>, ServeError> {
    let input = input.trim();
    let lower = input.get(..8).unwrap_or(input).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        LabelRef::url(input)
    } else {
        LabelRef::digits(input)
    }
}

fn parse_json<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, ServeError> {
    serde_json::from_slice(body).map_err(|e| {
        ServeError::bad_request(format!(
            "the body is not the expected JSON ({} at line {} column {})",
            match e.classify() {
                serde_json::error::Category::Data => "wrong fields or types",
                serde_json::error::Category::Eof => "it ends early",
                _ => "syntax error",
            },
            e.line(),
            e.column()
        ))
    })
}

/// `GET /api/v1/verify/{digits}[?at=YYYY-MM-DD]`.
pub async fn verify_one(
    State(state): State<AppState>,
    uri: Uri,
    Query(q): Query<AtQuery>,
) -> Result<Response, ApiError> {
    let label = LabelRef::digits(digits_segment(&uri))?;
    let at = parse_at(&state, q.at.as_deref())?;
    Ok(respond(&state, Kind::Json, &label, at, |v| {
        verified_bytes(v, at)
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    /// The label URL from the QR code, or its digits.
    label: String,
    at: Option<String>,
}

/// `POST /api/v1/verify` with `{"label": URL or digits, "at"?: date}`.
pub async fn verify_post(
    State(state): State<AppState>,
    body: BudgetedBody,
) -> Result<Response, ApiError> {
    let request: VerifyRequest = parse_json(&body.bytes)?;
    drop(body);
    let at = parse_at(&state, request.at.as_deref())?;
    let label = label_ref(&request.label)?;
    Ok(respond(&state, Kind::Json, &label, at, |v| {
        verified_bytes(v, at)
    }))
}

/// One entry of a batch, borrowed from the body unless it has escapes.
#[derive(Debug, Deserialize)]
struct BatchEntry<'a>(#[serde(borrow)] Cow<'a, str>);

/// The entries of a batch: at most [`MAX_BATCH`] kept, the rest only counted.
#[derive(Debug)]
struct BatchLabels<'a> {
    kept: Vec<BatchEntry<'a>>,
    given: usize,
}

impl<'de: 'a, 'a> Deserialize<'de> for BatchLabels<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Entries<'a> {
            type Value = BatchLabels<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of label links")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut kept = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_BATCH));
                let mut given = 0usize;
                while given < MAX_BATCH {
                    match seq.next_element::<BatchEntry<'a>>()? {
                        Some(entry) => kept.push(entry),
                        None => return Ok(BatchLabels { kept, given }),
                    }
                    given += 1;
                }
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    given += 1;
                }
                Ok(BatchLabels { kept, given })
            }
        }
        d.deserialize_seq(Entries(std::marker::PhantomData))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest<'a> {
    #[serde(borrow)]
    labels: BatchLabels<'a>,
    at: Option<String>,
}

/// The batch answer, written straight into the response buffer as each
/// label is verified: `count`, `checked_on`, `results`, then `summary`.
struct BatchAnswer<'a> {
    labels: &'a [BatchEntry<'a>],
    verifier: &'a Verifier,
    at: Date,
    /// valid, revoked, support-ended, not-yet-valid, invalid,
    /// unverifiable (the order of `LabelStatus::ALL`), not-a-label.
    counts: Cell<[usize; 7]>,
}

struct BatchResults<'a>(&'a BatchAnswer<'a>);

#[derive(Serialize)]
struct NotALabel {
    error: &'static str,
    message: String,
}

impl Serialize for BatchResults<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let answer = self.0;
        let at = answer.at.to_string();
        let mut seq = s.serialize_seq(Some(answer.labels.len()))?;
        for BatchEntry(input) in answer.labels {
            let mut counts = answer.counts.get();
            match label_ref(input) {
                Ok(label) => {
                    let v = answer.verifier.verify_ref(&label, answer.at);
                    let i = LabelStatus::ALL
                        .iter()
                        .position(|s| *s == v.status)
                        .unwrap_or(4);
                    counts[i] += 1;
                    seq.serialize_element(&Verified {
                        verification: &v,
                        checked_on: at.clone(),
                    })?;
                }
                Err(e) => {
                    counts[6] += 1;
                    seq.serialize_element(&NotALabel {
                        error: "bad-request",
                        message: e.to_string(),
                    })?;
                }
            }
            answer.counts.set(counts);
        }
        seq.end()
    }
}

impl Serialize for BatchAnswer<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("count", &self.labels.len())?;
        map.serialize_entry("checked_on", &self.at.to_string())?;
        map.serialize_entry("results", &BatchResults(self))?;
        let c = self.counts.get();
        map.serialize_entry(
            "summary",
            &serde_json::json!({
                "valid": c[0], "revoked": c[1], "support-ended": c[2],
                "not-yet-valid": c[3], "invalid": c[4], "unverifiable": c[5],
                "not-a-label": c[6],
            }),
        )?;
        map.end()
    }
}

/// Parses a batch body and writes its answer (CPU work, blocking).
fn answer_batch(body: &[u8], verifier: &Verifier, today: Date) -> Result<Vec<u8>, ServeError> {
    let request: BatchRequest<'_> = parse_json(body)?;
    if request.labels.given > MAX_BATCH {
        return Err(ServeError::bad_request(format!(
            "at most {MAX_BATCH} labels per batch ({} given)",
            request.labels.given
        )));
    }
    let at = match request.at.as_deref() {
        None => today,
        Some(text) => iotmark_labels::parse_date(text)
            .ok_or_else(|| ServeError::bad_request("`at` is not a date in the form YYYY-MM-DD"))?,
    };
    let answer = BatchAnswer {
        labels: &request.labels.kept,
        verifier,
        at,
        counts: Cell::new([0; 7]),
    };
    // About 1 KiB per verdict.
    let mut out = Vec::with_capacity(256 + answer.labels.len() * 1024);
    serde_json::to_writer(&mut out, &answer).map_err(ServeError::internal)?;
    Ok(out)
}

/// `POST /api/v1/verify/batch` with `{"labels": [...], "at"?: date}`: one
/// result per label, in order; an entry that is not a label link gets an
/// `error` instead of a verdict.
///
/// The body is parsed where it lies (entries borrowed from it), on a
/// blocking thread once one of the batch workers for its size is free
/// (large batches queue apart from small ones), and the answer
/// is written as the labels are verified; the body's share of the memory
/// budget is given back when that is done.
pub async fn verify_batch(
    State(state): State<AppState>,
    body: BudgetedBody,
) -> Result<Response, ApiError> {
    let workers = if body.bytes.len() <= SMALL_BODY_BYTES {
        &state.batch_workers.small
    } else {
        &state.batch_workers.large
    };
    let worker = workers
        .clone()
        .acquire_owned()
        .await
        .map_err(ServeError::internal)?;
    let verifier = state.verifier.clone();
    let today = state.today();
    let answer = tokio::task::spawn_blocking(move || {
        let answer = answer_batch(&body.bytes, &verifier, today);
        drop(body);
        drop(worker);
        answer
    })
    .await
    .map_err(ServeError::internal)??;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer,
    )
        .into_response())
}

fn registry(state: &AppState) -> Result<&RegistryHandle, ServeError> {
    state
        .registry
        .as_ref()
        .ok_or(ServeError::Unavailable { what: "a registry" })
}

#[derive(Debug, Deserialize)]
pub struct LabelsQuery {
    manufacturer: Option<String>,
    model: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
}

/// `GET /api/v1/labels?manufacturer=&model=&page=&per_page=`.
pub async fn labels(
    State(state): State<AppState>,
    Query(q): Query<LabelsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(50);
    if page == 0 || per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(ServeError::bad_request(format!(
            "page starts at 1; per_page is 1 to {MAX_PER_PAGE}"
        ))
        .into());
    }
    let found = registry(&state)?
        .labels(q.manufacturer, q.model, page, per_page)
        .await?;
    Ok(Json(
        serde_json::to_value(found).map_err(ServeError::internal)?,
    ))
}

/// `GET /api/v1/labels/{serial}`.
pub async fn label(
    State(state): State<AppState>,
    Path(serial): Path<u64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let record = registry(&state)?.label(serial).await?;
    Ok(Json(
        serde_json::to_value(record).map_err(ServeError::internal)?,
    ))
}

/// `GET /api/v1/status-lists`.
pub async fn status_lists(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status_lists": state.verifier.status_lists() }))
}

/// `GET /api/v1/status-lists/{kid}`: the lab's signed list, as published.
pub async fn status_list(
    State(state): State<AppState>,
    Path(kid): Path<String>,
) -> Result<Response, ApiError> {
    if kid.len() != 16 || !kid.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServeError::bad_request("a kid is 16 hexadecimal digits").into());
    }
    let bytes = state
        .verifier
        .status_list_bytes(&kid)
        .ok_or(ServeError::NotFound)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/cose"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (
                header::HeaderName::from_static("x-iotmark-content"),
                HeaderValue::from_static(STATUS_LIST_CONTENT_TYPE),
            ),
        ],
        bytes.as_ref().clone(),
    )
        .into_response())
}

/// `GET /api/v1/log/head`.
pub async fn log_head(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let head = registry(&state)?.latest_head().await?;
    Ok(Json(
        serde_json::to_value(head).map_err(ServeError::internal)?,
    ))
}

/// `GET /api/v1/log/inclusion/{serial}`.
pub async fn log_inclusion(
    State(state): State<AppState>,
    Path(serial): Path<u64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let proof = registry(&state)?.inclusion(serial).await?;
    Ok(Json(
        serde_json::to_value(proof).map_err(ServeError::internal)?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

/// `GET /api/v1/log/consistency?from=N[&to=M]`.
pub async fn log_consistency(
    State(state): State<AppState>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let proof = registry(&state)?.consistency(q.from, q.to).await?;
    Ok(Json(
        serde_json::to_value(proof).map_err(ServeError::internal)?,
    ))
}

/// `GET /healthz`.
pub async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "ok",
        "status_lists": state.verifier.status_lists().len(),
        "labs": state.verifier.trust().labs.len(),
        "registry": state.registry.is_some(),
    }))
}

/// `GET /metrics` (Prometheus text format).
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(),
    )
        .into_response()
}
