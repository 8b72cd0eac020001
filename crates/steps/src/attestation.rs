//! Assessor attestations: the signed-off verdicts of a laboratory's assessors
//! for the test cases that need human judgement (`@assessor` in the feature
//! files).
//!
//! The file is checked against `schemas/attestation.schema.json` first, so a
//! structural problem is reported with its JSON path, then against the
//! catalogue and the device profile of the run: an attestation may only decide
//! a test case the catalogue leaves to an assessor, once, for the product under
//! test. An automated verdict can never be overridden by a person's word.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use iotmark_adapters::profile::{format_date, parse_date, Profile};
use serde::{Deserialize, Serialize};

use crate::catalogue::Catalogue;
use crate::verdict::{How, Verdict};

/// The JSON Schema every attestation file is checked against.
pub const ATTESTATION_SCHEMA: &str = include_str!("../../../schemas/attestation.schema.json");

/// Attestation files larger than this are refused before parsing.
const MAX_ATTESTATION_BYTES: u64 = 4 * 1024 * 1024;

/// One problem found in an attestation file, located by JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttestationIssue {
    /// JSON pointer into the file (`/attestations/3/date`), `/` for the root.
    pub path: String,
    pub message: String,
}

impl fmt::Display for AttestationIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why an attestation file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestationError {
    #[error("cannot read attestations {file}: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("attestations {file} is {size} bytes; the limit is {limit}")]
    TooLarge {
        file: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("attestations {file} is not JSON: {message} (line {line}, column {column})")]
    Syntax {
        file: PathBuf,
        message: String,
        line: usize,
        column: usize,
    },
    #[error("attestations {file} are invalid:\n{}", list(.issues))]
    Invalid {
        file: PathBuf,
        issues: Vec<AttestationIssue>,
    },
}

fn list(issues: &[AttestationIssue]) -> String {
    issues
        .iter()
        .map(|i| format!("  - {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl AttestationError {
    /// Every located problem (empty for read and syntax errors).
    pub fn issues(&self) -> &[AttestationIssue] {
        match self {
            AttestationError::Invalid { issues, .. } => issues,
            _ => &[],
        }
    }
}

/// An assessor's verdict: only PASS or FAIL can be attested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AttestedVerdict {
    Pass,
    Fail,
}

impl From<AttestedVerdict> for Verdict {
    fn from(v: AttestedVerdict) -> Verdict {
        match v {
            AttestedVerdict::Pass => Verdict::Pass,
            AttestedVerdict::Fail => Verdict::Fail,
        }
    }
}

/// One signed-off judgement.
#[derive(Debug, Clone, Serialize)]
pub struct Attestation {
    pub test_case: String,
    pub verdict: AttestedVerdict,
    pub assessor: String,
    pub role: String,
    #[serde(serialize_with = "ser_date")]
    pub date: time::Date,
    pub rationale: String,
    pub evidence: Vec<String>,
    /// Where it sits in its file (`/attestations/3`).
    pub path: String,
}

fn ser_date<S: serde::Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*d))
}

impl Attestation {
    /// The reason a report gives for the verdict.
    pub fn reason(&self) -> String {
        format!(
            "attested by {} ({}) on {}: {}",
            self.assessor,
            self.role,
            format_date(self.date),
            self.rationale
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    #[serde(default)]
    #[allow(dead_code)]
    manufacturer: Option<String>,
    model: String,
    firmware: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttestation {
    test_case: String,
    verdict: AttestedVerdict,
    assessor: String,
    role: String,
    date: String,
    rationale: String,
    #[serde(default)]
    evidence: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(rename = "$schema", default)]
    _schema: Option<String>,
    #[allow(dead_code)]
    attestation_version: u32,
    #[serde(default)]
    standard: Option<String>,
    #[serde(default)]
    product: Option<RawProduct>,
    attestations: Vec<RawAttestation>,
}

/// A loaded attestation file, keyed by test case.
#[derive(Debug, Clone, Default)]
pub struct Attestations {
    /// The file they came from; `None` when no file was given.
    pub source: Option<PathBuf>,
    pub standard: Option<String>,
    /// Declared product (model, firmware), if the file names one.
    product: Option<(String, String)>,
    by_case: BTreeMap<String, Attestation>,
}

impl Attestations {
    /// No attestations: every assessor test case stays INCONCLUSIVE.
    pub fn none() -> Attestations {
        Attestations::default()
    }

    /// Read, validate and parse an attestation file.
    pub fn load(path: &Path) -> Result<Attestations, AttestationError> {
        let file = path.to_path_buf();
        let meta = std::fs::metadata(path).map_err(|source| AttestationError::Read {
            file: file.clone(),
            source,
        })?;
        if meta.len() > MAX_ATTESTATION_BYTES {
            return Err(AttestationError::TooLarge {
                file,
                size: meta.len(),
                limit: MAX_ATTESTATION_BYTES,
            });
        }
        let bytes = std::fs::read(path).map_err(|source| AttestationError::Read {
            file: file.clone(),
            source,
        })?;
        Attestations::from_bytes(&bytes, path)
    }

    /// Validate and parse attestation bytes; `source` names them in messages.
    pub fn from_bytes(bytes: &[u8], source: &Path) -> Result<Attestations, AttestationError> {
        let file = source.to_path_buf();
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| AttestationError::Syntax {
                file: file.clone(),
                message: e.to_string(),
                line: e.line(),
                column: e.column(),
            })?;
        let invalid = |issues| AttestationError::Invalid {
            file: file.clone(),
            issues,
        };
        let root = |message: String| {
            vec![AttestationIssue {
                path: "/".into(),
                message,
            }]
        };
        let schema: serde_json::Value = serde_json::from_str(ATTESTATION_SCHEMA)
            .map_err(|e| invalid(root(format!("embedded schema: {e}"))))?;
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| invalid(root(format!("embedded schema: {e}"))))?;
        let mut issues: Vec<AttestationIssue> = validator
            .iter_errors(&value)
            .map(|e| {
                let p = e.instance_path().to_string();
                AttestationIssue {
                    path: if p.is_empty() { "/".into() } else { p },
                    message: e.to_string(),
                }
            })
            .collect();
        if !issues.is_empty() {
            issues.sort_by(|a, b| a.path.cmp(&b.path));
            issues.dedup();
            return Err(invalid(issues));
        }
        let raw: RawFile =
            serde_json::from_value(value).map_err(|e| invalid(root(e.to_string())))?;
        let mut issues = Vec::new();
        let mut by_case = BTreeMap::new();
        for (i, a) in raw.attestations.into_iter().enumerate() {
            let path = format!("/attestations/{i}");
            let Some(date) = parse_date(&a.date) else {
                issues.push(AttestationIssue {
                    path: format!("{path}/date"),
                    message: format!("{:?} is not a calendar date", a.date),
                });
                continue;
            };
            if let Some(earlier) = by_case.get(&a.test_case) {
                let earlier: &Attestation = earlier;
                issues.push(AttestationIssue {
                    path: format!("{path}/test_case"),
                    message: format!(
                        "test case {} is already attested at {}",
                        a.test_case, earlier.path
                    ),
                });
                continue;
            }
            by_case.insert(
                a.test_case.clone(),
                Attestation {
                    test_case: a.test_case,
                    verdict: a.verdict,
                    assessor: a.assessor.trim().to_string(),
                    role: a.role.trim().to_string(),
                    date,
                    rationale: a.rationale.trim().to_string(),
                    evidence: a.evidence,
                    path,
                },
            );
        }
        if !issues.is_empty() {
            return Err(invalid(issues));
        }
        Ok(Attestations {
            source: Some(file),
            standard: raw.standard,
            product: raw.product.map(|p| (p.model, p.firmware)),
            by_case,
        })
    }

    /// The attestation for a test case, if any.
    pub fn get(&self, test_case: &str) -> Option<&Attestation> {
        self.by_case.get(test_case)
    }

    pub fn len(&self) -> usize {
        self.by_case.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_case.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Attestation> {
        self.by_case.values()
    }

    /// Check the attestations against the catalogue and the product: each
    /// names a test case the catalogue leaves to an assessor, is not dated in
    /// the future, and a declared product matches the profile.
    pub fn check(
        &self,
        catalogue: &Catalogue,
        profile: &Profile,
        today: time::Date,
    ) -> Result<(), AttestationError> {
        let Some(file) = self.source.clone() else {
            return Ok(());
        };
        let mut issues = Vec::new();
        if let Some((model, firmware)) = &self.product {
            if *model != profile.product.model {
                issues.push(AttestationIssue {
                    path: "/product/model".into(),
                    message: format!(
                        "the attestations are for model {model:?} but the profile declares {:?}",
                        profile.product.model
                    ),
                });
            }
            if *firmware != profile.product.firmware {
                issues.push(AttestationIssue {
                    path: "/product/firmware".into(),
                    message: format!(
                        "the attestations are for firmware {firmware:?} but the profile declares {:?}",
                        profile.product.firmware
                    ),
                });
            }
        }
        for a in self.by_case.values() {
            let scenarios: Vec<_> = catalogue
                .scenarios
                .iter()
                .filter(|s| s.meta.test_case == a.test_case)
                .filter(|s| {
                    self.standard.is_none()
                        || s.meta.standard.is_none()
                        || s.meta.standard == self.standard
                })
                .collect();
            if scenarios.is_empty() {
                issues.push(AttestationIssue {
                    path: format!("{}/test_case", a.path),
                    message: format!("the catalogue has no test case {}", a.test_case),
                });
            } else if scenarios.iter().any(|s| s.meta.how != How::Assessor) {
                issues.push(AttestationIssue {
                    path: format!("{}/test_case", a.path),
                    message: format!(
                        "test case {} is decided automatically; an attestation cannot decide it",
                        a.test_case
                    ),
                });
            }
            if a.date > today {
                issues.push(AttestationIssue {
                    path: format!("{}/date", a.path),
                    message: format!("{} is in the future", format_date(a.date)),
                });
            }
        }
        if issues.is_empty() {
            Ok(())
        } else {
            Err(AttestationError::Invalid { file, issues })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Attestations, AttestationError> {
        Attestations::from_bytes(text.as_bytes(), Path::new("att.json"))
    }

    const ONE: &str = r#"{"attestation_version": 1, "attestations": [
        {"test_case": "5.1-3-2", "verdict": "PASS", "assessor": "A. Person", "role": "Lead assessor",
         "date": "2026-01-05", "rationale": "Observed TLS 1.3 on every login."}]}"#;

    #[test]
    fn loads_and_indexes() {
        let a = parse(ONE).unwrap();
        assert_eq!(a.len(), 1);
        let got = a.get("5.1-3-2").unwrap();
        assert_eq!(got.verdict, AttestedVerdict::Pass);
        assert!(got
            .reason()
            .contains("A. Person (Lead assessor) on 2026-01-05"));
    }

    #[test]
    fn schema_errors_name_the_path() {
        let bad = ONE
            .replace("\"PASS\"", "\"MAYBE\"")
            .replace("2026-01-05", "yesterday");
        let err = parse(&bad).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("att.json"), "{text}");
        assert!(text.contains("/attestations/0/verdict"), "{text}");
        assert!(text.contains("/attestations/0/date"), "{text}");
    }

    #[test]
    fn duplicates_and_impossible_dates_are_refused() {
        let v: serde_json::Value = serde_json::from_str(ONE).unwrap();
        let mut two = v.clone();
        let first = v["attestations"][0].clone();
        two["attestations"].as_array_mut().unwrap().push(first);
        let err = parse(&two.to_string()).unwrap_err();
        assert!(
            err.to_string().contains("/attestations/1/test_case"),
            "{err}"
        );
        let bad = ONE.replace("2026-01-05", "2026-02-30");
        let err = parse(&bad).unwrap_err();
        assert!(err.to_string().contains("not a calendar date"), "{err}");
    }

    #[test]
    fn syntax_errors_give_the_line() {
        let err = parse("{\n  nope").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
