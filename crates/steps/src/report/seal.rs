//! What a lab signs for a report folder (the seal manifest), and the checks a
//! verifier runs on the folder against it.
//!
//! The manifest names every output file with its size and SHA-256, repeats the
//! evidence summary (so the evidence log is covered twice: by its file hash and
//! by the chain head the report records), and holds a hash per part of
//! `report.json` (top-level fields, each provision, each test case) so that a
//! verifier can say *where* an edited report differs, not only that it does.
//! The signature itself is made by `iotmark_labels::report_seal`; this module
//! knows nothing of keys.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use iotmark_adapters::evidence::{verify_chain, ChainError};

use super::{EvidenceSummary, ReportError};

/// The signed seal beside the report.
pub const SEAL_FILE: &str = "report.seal";
/// The lab certificate written beside the seal.
pub const LAB_CERT_FILE: &str = "lab.pem";
/// Version of the manifest format.
pub const SEAL_VERSION: u32 = 1;
/// JSON Schema of the manifest.
pub const SEAL_SCHEMA: &str = include_str!("../../../../schemas/report-seal.schema.json");

/// Files a seal covers when they are present; the first two must be.
pub const SEALED_FILES: &[&str] = &[
    "report.json",
    "evidence.jsonl",
    "report.html",
    "junit.xml",
    "cucumber.json",
    super::documents::STATEMENT_FILE,
    super::documents::CRA_FILE,
];

/// Largest `report.json` read into memory.
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// One sealed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The seal manifest: the payload the lab signs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seal {
    pub seal_version: u32,
    /// When it was signed (RFC 3339, UTC).
    pub signed: String,
    /// The signing lab's certificate name and key id (hex).
    pub lab: String,
    pub kid: String,
    /// SHA-256 of `report.json`: the same value a label's report hash holds.
    pub report_sha256: String,
    /// The evidence summary the report holds, repeated.
    pub evidence: EvidenceSummary,
    /// JSON pointer of a part of `report.json` -> SHA-256 of its JSON.
    pub report_parts: BTreeMap<String, String>,
    pub files: Vec<SealedFile>,
}

/// Why a folder cannot be sealed or its seal read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    #[error("cannot read {file}: {detail}")]
    Read { file: PathBuf, detail: String },
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("evidence does not check out: {0}")]
    Evidence(#[from] ChainError),
    #[error("{file}: {detail}")]
    Inconsistent { file: PathBuf, detail: String },
    #[error("seal manifest is invalid: {detail}")]
    Manifest { detail: String },
}

/// One thing wrong with a sealed folder: which file, where in it, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub file: String,
    /// A line number, a JSON pointer, or nothing when only the whole file can be blamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub problem: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(at) => write!(f, "{} {}: {}", self.file, at, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Size and SHA-256 of a file, streamed.
fn hash_file(path: &Path) -> Result<(u64, String), SealError> {
    let read_err = |e: std::io::Error| SealError::Read {
        file: path.to_path_buf(),
        detail: e.to_string(),
    };
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(read_err)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok((total, hex::encode(hasher.finalize())))
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, SealError> {
    let read_err = |detail: String| SealError::Read {
        file: path.to_path_buf(),
        detail,
    };
    let file = std::fs::File::open(path).map_err(|e| read_err(e.to_string()))?;
    let mut buf = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| read_err(e.to_string()))?;
    if buf.len() as u64 > max {
        return Err(read_err(format!("larger than {max} bytes")));
    }
    Ok(buf)
}

/// Hashes of the parts of a report: every top-level field, each provision and
/// each test case (by JSON pointer). serde_json sorts object keys, so the same
/// value always hashes the same, whatever the file's formatting.
pub fn report_parts(report: &serde_json::Value) -> BTreeMap<String, String> {
    let mut parts = BTreeMap::new();
    let hash = |v: &serde_json::Value| hex_sha256(&serde_json::to_vec(v).unwrap_or_default());
    let Some(top) = report.as_object() else {
        return parts;
    };
    for (key, value) in top {
        parts.insert(format!("/{key}"), hash(value));
    }
    if let Some(requirements) = report.get("requirements").and_then(|r| r.as_array()) {
        for (i, r) in requirements.iter().enumerate() {
            parts.insert(format!("/requirements/{i}"), hash(r));
        }
    }
    if let Some(provisions) = report.get("provisions").and_then(|p| p.as_array()) {
        for (i, p) in provisions.iter().enumerate() {
            parts.insert(format!("/provisions/{i}"), hash(p));
            if let Some(cases) = p.get("test_cases").and_then(|c| c.as_array()) {
                for (j, t) in cases.iter().enumerate() {
                    parts.insert(format!("/provisions/{i}/test_cases/{j}"), hash(t));
                }
            }
        }
    }
    parts
}

/// The `id` at a pointer of the report, to name a part for people.
fn part_name(report: &serde_json::Value, pointer: &str) -> Option<String> {
    report
        .pointer(pointer)
        .and_then(|v| v.get("id"))
        .and_then(|v| v.as_str())
        .map(|s| s.to_string())
}

/// Build the manifest for a report folder. Refuses a folder whose evidence
/// chain is broken or does not end where the report says: a lab must not sign
/// what it could not defend.
pub fn manifest(
    dir: &Path,
    lab: &str,
    kid: &str,
    now: time::OffsetDateTime,
) -> Result<Seal, SealError> {
    let report_path = dir.join("report.json");
    let (report, bytes) = super::read(&report_path)?;
    let evidence_path = dir.join(&report.evidence.file);
    let (head, records) = verify_chain(&evidence_path)?;
    if head != report.evidence.head || records != report.evidence.records {
        return Err(SealError::Inconsistent {
            file: evidence_path,
            detail: format!(
                "holds {records} records ending in {head}; the report records {} ending in {}",
                report.evidence.records, report.evidence.head
            ),
        });
    }
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| SealError::Inconsistent {
            file: report_path.clone(),
            detail: e.to_string(),
        })?;
    let mut files = Vec::new();
    for name in SEALED_FILES {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let (size, sha256) = hash_file(&path)?;
        files.push(SealedFile {
            name: (*name).to_string(),
            bytes: size,
            sha256,
        });
    }
    Ok(Seal {
        seal_version: SEAL_VERSION,
        signed: super::rfc3339(now),
        lab: lab.to_string(),
        kid: kid.to_string(),
        report_sha256: hex_sha256(&bytes),
        evidence: report.evidence,
        report_parts: report_parts(&value),
        files,
    })
}

/// Parse and schema-check a manifest (after its signature was verified).
pub fn parse_manifest(bytes: &[u8]) -> Result<Seal, SealError> {
    let bad = |detail: String| SealError::Manifest { detail };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    let schema: serde_json::Value =
        serde_json::from_str(SEAL_SCHEMA).map_err(|e| bad(format!("embedded schema: {e}")))?;
    let validator =
        jsonschema::validator_for(&schema).map_err(|e| bad(format!("embedded schema: {e}")))?;
    let problems: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .take(10)
        .collect();
    if !problems.is_empty() {
        return Err(bad(problems.join("; ")));
    }
    serde_json::from_value(value).map_err(|e| bad(e.to_string()))
}

/// Where an edited `report.json` differs from the sealed one.
fn locate_report_edit(bytes: &[u8], seal: &Seal) -> Vec<Finding> {
    let finding = |location: Option<String>, problem: String| Finding {
        file: "report.json".into(),
        location,
        problem,
    };
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return vec![finding(
                Some(format!("line {} column {}", e.line(), e.column())),
                format!("no longer JSON ({e}); it was edited after signing"),
            )]
        }
    };
    let now = report_parts(&value);
    let mut changed: Vec<&String> = Vec::new();
    for (pointer, hash) in &seal.report_parts {
        if now.get(pointer) != Some(hash) {
            changed.push(pointer);
        }
    }
    let added: Vec<&String> = now
        .keys()
        .filter(|p| !seal.report_parts.contains_key(*p))
        .collect();
    // Keep the deepest parts: a changed test case also changes its provision
    // and /provisions; name only the test case.
    let deepest: Vec<&&String> = changed
        .iter()
        .filter(|p| !changed.iter().any(|q| q.starts_with(&format!("{p}/"))))
        .collect();
    let mut out: Vec<Finding> = deepest
        .iter()
        .map(|p| {
            let name = part_name(&value, p)
                .map(|id| format!(" ({id})"))
                .unwrap_or_default();
            let problem = if now.contains_key(p.as_str()) {
                "differs from what was signed"
            } else {
                "was removed after signing"
            };
            finding(Some(format!("{p}{name}")), problem.into())
        })
        .collect();
    out.extend(
        added
            .iter()
            .filter(|p| p.matches('/').count() == 1)
            .map(|p| finding(Some((*p).clone()), "was added after signing".into())),
    );
    if out.is_empty() {
        out.push(finding(
            None,
            "bytes differ from what was signed (the content parses the same: formatting was changed)"
                .into(),
        ));
    }
    out
}

/// Where edited evidence differs.
fn locate_evidence_edit(path: &Path, seal: &Seal) -> Finding {
    let file = seal.evidence.file.clone();
    match verify_chain(path) {
        Err(ChainError::Broken { line, detail, .. }) => Finding {
            file,
            location: Some(format!("line {line}")),
            problem: detail,
        },
        Err(ChainError::Malformed { line, detail, .. }) => Finding {
            file,
            location: Some(format!("line {line}")),
            problem: format!("not an evidence record: {detail}"),
        },
        Err(e) => Finding {
            file,
            location: None,
            problem: e.to_string(),
        },
        Ok((head, records)) if head != seal.evidence.head || records != seal.evidence.records => {
            Finding {
                file,
                location: Some(format!("line {}", records.min(seal.evidence.records) + 1)),
                problem: format!(
                    "the chain holds {records} records ending in {head}, but {} records ending in {} were signed (lines removed, added, or the chain recomputed)",
                    seal.evidence.records, seal.evidence.head
                ),
            }
        }
        Ok(_) => Finding {
            file,
            location: None,
            problem: "bytes differ from what was signed, though every record still chains".into(),
        },
    }
}

/// Check a folder against its (already signature-checked) manifest. Empty
/// means every sealed file is exactly what was signed.
pub fn check_folder(dir: &Path, seal: &Seal) -> Vec<Finding> {
    let mut findings = Vec::new();
    for required in ["report.json", seal.evidence.file.as_str()] {
        if !seal.files.iter().any(|f| f.name == required) {
            findings.push(Finding {
                file: required.to_string(),
                location: None,
                problem: "is not covered by the seal".into(),
            });
        }
    }
    for sealed in &seal.files {
        // Names come from a signed manifest, but never leave the folder anyway.
        if !SEALED_FILES.contains(&sealed.name.as_str()) {
            findings.push(Finding {
                file: sealed.name.clone(),
                location: None,
                problem: "is not a file a seal may cover".into(),
            });
            continue;
        }
        let path = dir.join(&sealed.name);
        let (size, sha256) = match hash_file(&path) {
            Ok(h) => h,
            Err(e) => {
                findings.push(Finding {
                    file: sealed.name.clone(),
                    location: None,
                    problem: format!("missing or unreadable: {e}"),
                });
                continue;
            }
        };
        if sha256 == sealed.sha256 && size == sealed.bytes {
            continue;
        }
        if sealed.name == "report.json" {
            match read_bounded(&path, MAX_REPORT_BYTES) {
                Ok(bytes) => findings.extend(locate_report_edit(&bytes, seal)),
                Err(e) => findings.push(Finding {
                    file: sealed.name.clone(),
                    location: None,
                    problem: e.to_string(),
                }),
            }
        } else if sealed.name == seal.evidence.file {
            findings.push(locate_evidence_edit(&path, seal));
        } else {
            findings.push(Finding {
                file: sealed.name.clone(),
                location: None,
                problem: format!(
                    "content differs from what was signed ({size} bytes now, {} signed)",
                    sealed.bytes
                ),
            });
        }
    }
    if seal.files.iter().any(|f| f.name == "report.json") {
        if let Ok(bytes) = read_bounded(&dir.join("report.json"), MAX_REPORT_BYTES) {
            if hex_sha256(&bytes) != seal.report_sha256 && findings.is_empty() {
                findings.push(Finding {
                    file: "report.json".into(),
                    location: None,
                    problem: "hash differs from the seal's report hash".into(),
                });
            }
        }
    }
    findings
}

/// SHA-256 (hex) of a file's bytes, for tying a label's report hash to a report.
pub fn file_sha256(path: &Path) -> Result<String, SealError> {
    Ok(hash_file(path)?.1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A seal over `report`'s parts only (no files, no evidence).
    fn seal_over(report: &serde_json::Value) -> Seal {
        Seal {
            seal_version: 1,
            signed: String::new(),
            lab: String::new(),
            kid: String::new(),
            report_sha256: String::new(),
            evidence: EvidenceSummary {
                file: "evidence.jsonl".into(),
                records: 0,
                head: String::new(),
            },
            report_parts: report_parts(report),
            files: Vec::new(),
        }
    }

    #[test]
    fn report_edits_are_located_to_the_deepest_part() {
        let original = serde_json::json!({
            "verdict": "conformant",
            "provisions": [
                {"id": "5.1-1", "test_cases": [{"id": "5.1-1-1", "verdict": "PASS"}, {"id": "5.1-1-2", "verdict": "PASS"}]},
                {"id": "5.2-1", "test_cases": [{"id": "5.2-1-1", "verdict": "PASS"}]}
            ]
        });
        let seal = seal_over(&original);
        let mut edited = original.clone();
        edited["provisions"][0]["test_cases"][1]["verdict"] = "FAIL".into();
        let found = locate_report_edit(&serde_json::to_vec(&edited).unwrap(), &seal);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].location.as_deref(),
            Some("/provisions/0/test_cases/1 (5.1-1-2)")
        );

        let pretty = serde_json::to_vec_pretty(&original).unwrap();
        let found = locate_report_edit(&pretty, &seal);
        assert!(found[0].problem.contains("formatting"), "{found:?}");

        let found = locate_report_edit(b"{\"verdict\": \"conf", &seal);
        assert!(found[0].location.as_deref().unwrap().starts_with("line 1"));
    }

    #[test]
    fn an_edit_to_provision_1_is_not_hidden_by_one_under_provision_10() {
        let provisions: Vec<serde_json::Value> = (0..11)
            .map(|i| {
                serde_json::json!({
                    "id": format!("5.{i}-1"),
                    "verdict": "PASS",
                    "test_cases": [{"id": format!("5.{i}-1-1"), "verdict": "PASS"}]
                })
            })
            .collect();
        let original = serde_json::json!({"verdict": "conformant", "provisions": provisions});
        let seal = seal_over(&original);
        let mut edited = original.clone();
        edited["provisions"][1]["verdict"] = "FAIL".into();
        edited["provisions"][10]["test_cases"][0]["verdict"] = "FAIL".into();
        let found = locate_report_edit(&serde_json::to_vec(&edited).unwrap(), &seal);
        let places: Vec<&str> = found.iter().filter_map(|f| f.location.as_deref()).collect();
        assert!(
            places.iter().any(|p| p.starts_with("/provisions/1 ")),
            "{places:?}"
        );
        assert!(
            places
                .iter()
                .any(|p| p.starts_with("/provisions/10/test_cases/0")),
            "{places:?}"
        );
    }
}
