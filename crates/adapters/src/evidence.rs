//! The evidence log: every probe's request and response, trimmed and with
//! secrets masked, appended as one JSON line each and hash-chained so that any
//! later edit, removal or reordering of a line is detectable.
//!
//! Each line is written and flushed as soon as it is recorded, so a run that is
//! killed keeps everything it had recorded.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest request or response text kept per record.
pub const EXCERPT_LIMIT: usize = 1024;

/// What a probe did, before it is chained.
#[derive(Debug, Clone, Default)]
pub struct ProbeRecord {
    /// Kind of probe: `telnet-login`, `http-basic-login`, `http-get`, `operator`…
    pub probe: String,
    /// Where it went (`127.0.0.1:4431`, a URL).
    pub target: String,
    /// What was sent (secrets already masked by the caller).
    pub request: String,
    /// What came back, trimmed.
    pub response: String,
    /// Short outcome word: `accepted`, `rejected`, `200`, `timeout`…
    pub outcome: String,
    pub duration: Duration,
}

/// One line of `evidence.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    pub seq: u64,
    pub time: String,
    /// The test case (or phase) the probe was made for.
    pub context: String,
    pub probe: String,
    pub target: String,
    pub request: String,
    pub response: String,
    pub outcome: String,
    pub duration_ms: u64,
    /// Hash of the previous line's record ([`GENESIS`] for the first).
    pub prev: String,
    /// SHA-256 over `prev` and this record's other fields (see [`record_hash`]).
    pub hash: String,
}

/// The chained hash of a record: SHA-256 over the JSON of every field except
/// `hash` itself, in declaration order. `prev` is among those fields, which is
/// what chains the lines.
pub fn record_hash(r: &EvidenceRecord) -> String {
    #[derive(Serialize)]
    struct Unhashed<'a> {
        seq: u64,
        time: &'a str,
        context: &'a str,
        probe: &'a str,
        target: &'a str,
        request: &'a str,
        response: &'a str,
        outcome: &'a str,
        duration_ms: u64,
        prev: &'a str,
    }
    let body = Unhashed {
        seq: r.seq,
        time: &r.time,
        context: &r.context,
        probe: &r.probe,
        target: &r.target,
        request: &r.request,
        response: &r.response,
        outcome: &r.outcome,
        duration_ms: r.duration_ms,
        prev: &r.prev,
    };
    // Serialising plain strings and integers cannot fail.
    let json = serde_json::to_vec(&body).unwrap_or_default();
    hex::encode(Sha256::digest(&json))
}

/// Cut text to at most `limit` bytes on a character boundary, saying so.
pub fn excerpt(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} bytes in all]", &text[..end], text.len())
}

#[derive(Debug)]
struct Inner {
    next_seq: u64,
    head: String,
    sink: Option<File>,
    /// Records kept in memory for report excerpts, capped.
    kept: Vec<EvidenceRecord>,
    write_error: Option<String>,
}

/// An append-only, hash-chained log of probes for one run.
#[derive(Debug)]
pub struct EvidenceLog {
    path: Option<PathBuf>,
    inner: Mutex<Inner>,
}

/// Records kept in memory at most (the file keeps everything).
const KEPT_LIMIT: usize = 100_000;

impl EvidenceLog {
    /// A log written to `path` (created or truncated), one flushed line per record.
    pub fn create(path: &Path) -> std::io::Result<Arc<EvidenceLog>> {
        let file = File::create(path)?;
        Ok(Arc::new(EvidenceLog {
            path: Some(path.to_path_buf()),
            inner: Mutex::new(Inner {
                next_seq: 0,
                head: GENESIS.to_string(),
                sink: Some(file),
                kept: Vec::new(),
                write_error: None,
            }),
        }))
    }

    /// A log kept only in memory (for tests and dry runs).
    pub fn in_memory() -> Arc<EvidenceLog> {
        Arc::new(EvidenceLog {
            path: None,
            inner: Mutex::new(Inner {
                next_seq: 0,
                head: GENESIS.to_string(),
                sink: None,
                kept: Vec::new(),
                write_error: None,
            }),
        })
    }

    /// A handle that records under `context` (a test case id or a phase name).
    pub fn scope(self: &Arc<Self>, context: &str) -> Evidence {
        Evidence {
            log: Arc::clone(self),
            context: Arc::from(context),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock means a panic elsewhere mid-append; the data is still
        // a consistent prefix, so keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hash of the last record ([`GENESIS`] when empty).
    pub fn head(&self) -> String {
        self.lock().head.clone()
    }

    /// How many records were appended.
    pub fn len(&self) -> u64 {
        self.lock().next_seq
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first error met writing the file, if any (the run must report it).
    pub fn write_error(&self) -> Option<String> {
        self.lock().write_error.clone()
    }

    /// Records made under `context`, in order (from memory).
    pub fn records_for(&self, context: &str) -> Vec<EvidenceRecord> {
        self.lock()
            .kept
            .iter()
            .filter(|r| r.context == context)
            .cloned()
            .collect()
    }

    fn append(&self, context: &str, p: ProbeRecord) -> u64 {
        let time = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut inner = self.lock();
        let mut rec = EvidenceRecord {
            seq: inner.next_seq,
            time,
            context: context.to_string(),
            probe: p.probe,
            target: excerpt(&p.target, EXCERPT_LIMIT),
            request: excerpt(&p.request, EXCERPT_LIMIT),
            response: excerpt(&p.response, EXCERPT_LIMIT),
            outcome: excerpt(&p.outcome, 256),
            duration_ms: u64::try_from(p.duration.as_millis()).unwrap_or(u64::MAX),
            prev: inner.head.clone(),
            hash: String::new(),
        };
        rec.hash = record_hash(&rec);
        let seq = rec.seq;
        if let Some(file) = inner.sink.as_mut() {
            let mut line = serde_json::to_vec(&rec).unwrap_or_default();
            line.push(b'\n');
            if let Err(e) = file.write_all(&line).and_then(|_| file.flush()) {
                inner.write_error.get_or_insert_with(|| e.to_string());
            }
        }
        inner.head = rec.hash.clone();
        inner.next_seq += 1;
        if inner.kept.len() < KEPT_LIMIT {
            inner.kept.push(rec);
        }
        seq
    }
}

/// A cheap handle recording into one log under one context.
#[derive(Debug, Clone)]
pub struct Evidence {
    log: Arc<EvidenceLog>,
    context: Arc<str>,
}

impl Evidence {
    /// Append a probe record; returns its sequence number.
    pub fn record(&self, probe: ProbeRecord) -> u64 {
        self.log.append(&self.context, probe)
    }

    /// Append an observation that is not a network probe (an operator action,
    /// an analysis of declared data).
    pub fn note(&self, probe: &str, text: &str) -> u64 {
        self.record(ProbeRecord {
            probe: probe.to_string(),
            outcome: "noted".into(),
            response: text.to_string(),
            ..ProbeRecord::default()
        })
    }

    pub fn context(&self) -> &str {
        &self.context
    }

    /// The same log under another context.
    pub fn rescope(&self, context: &str) -> Evidence {
        self.log.scope(context)
    }

    pub fn log(&self) -> &Arc<EvidenceLog> {
        &self.log
    }
}

/// Why an evidence file does not check out.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainError {
    #[error("{file}: cannot read: {detail}")]
    Read { file: String, detail: String },
    #[error("{file} line {line}: not an evidence record: {detail}")]
    Malformed {
        file: String,
        line: usize,
        detail: String,
    },
    #[error("{file} line {line}: {detail}")]
    Broken {
        file: String,
        line: usize,
        detail: String,
    },
}

/// Check a whole evidence file: every line parses, sequence numbers count up
/// from 0, each `prev` is the previous `hash`, and each `hash` is right.
/// Returns the head hash and the number of records.
pub fn verify_chain(path: &Path) -> Result<(String, u64), ChainError> {
    let file_name = path.display().to_string();
    let file = File::open(path).map_err(|e| ChainError::Read {
        file: file_name.clone(),
        detail: e.to_string(),
    })?;
    let mut head = GENESIS.to_string();
    let mut count = 0u64;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| ChainError::Read {
            file: file_name.clone(),
            detail: e.to_string(),
        })?;
        let rec: EvidenceRecord =
            serde_json::from_str(&line).map_err(|e| ChainError::Malformed {
                file: file_name.clone(),
                line: n,
                detail: e.to_string(),
            })?;
        let broken = |detail: String| ChainError::Broken {
            file: file_name.clone(),
            line: n,
            detail,
        };
        if rec.seq != count {
            return Err(broken(format!(
                "sequence {} where {count} was due",
                rec.seq
            )));
        }
        if rec.prev != head {
            return Err(broken(
                "does not follow the previous line (prev hash differs)".into(),
            ));
        }
        if record_hash(&rec) != rec.hash {
            return Err(broken("content does not match its hash (edited)".into()));
        }
        head = rec.hash;
        count += 1;
    }
    Ok((head, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_detects_edits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.jsonl");
        let log = EvidenceLog::create(&path).unwrap();
        let ev = log.scope("5.1-1-2");
        for i in 0..5 {
            ev.record(ProbeRecord {
                probe: "http-get".into(),
                target: format!("127.0.0.1:{i}"),
                outcome: "200".into(),
                ..ProbeRecord::default()
            });
        }
        let (head, n) = verify_chain(&path).unwrap();
        assert_eq!(n, 5);
        assert_eq!(head, log.head());

        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replacen("127.0.0.1:3", "127.0.0.1:9", 1);
        std::fs::write(&path, edited).unwrap();
        let err = verify_chain(&path).unwrap_err();
        assert!(matches!(err, ChainError::Broken { line: 4, .. }), "{err}");

        let mut lines: Vec<&str> = text.lines().collect();
        lines.remove(2);
        std::fs::write(&path, lines.join("\n")).unwrap();
        let err = verify_chain(&path).unwrap_err();
        assert!(matches!(err, ChainError::Broken { line: 3, .. }), "{err}");
    }

    #[test]
    fn excerpts_respect_char_boundaries() {
        let s = "é".repeat(1000);
        let e = excerpt(&s, 11);
        assert!(e.starts_with("ééééé"));
        assert!(e.contains("2000 bytes in all"));
    }
}
