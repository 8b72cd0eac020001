//! The run report: scenario results rolled up per TS 103 701 test case, per
//! provision and per PSTI requirement, and the files a run writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use iotmark_adapters::profile::{RiskClass, SecurityLevel};

use crate::catalogue::{provision_order, Scheme, Status};
use crate::runner::ScenarioResult;
use crate::verdict::{Conformance, How, Verdict};
use crate::world::RunContext;

pub mod consistency;
mod cucumber;
mod declared;
pub mod diff;
pub mod documents;
mod html;
mod junit;
pub mod seal;

pub use cucumber::cucumber_json;
pub use declared::{AttestationRef, Declared, FeatureRef};
pub use html::{report_html, EvidenceExcerpts};
pub use junit::junit_xml;

/// The JSON Schema of `report.json`.
pub const REPORT_SCHEMA: &str = include_str!("../../../../schemas/report.schema.json");

/// Version of the report format.
pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductInfo {
    pub manufacturer: String,
    pub manufacturer_address: String,
    pub model: String,
    #[serde(rename = "type")]
    pub product_type: String,
    pub batch: Option<String>,
    pub gtin: Option<String>,
    pub firmware: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileRef {
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvidenceRange {
    pub first: u64,
    pub last: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioReport {
    pub name: String,
    pub feature: String,
    pub line: usize,
    pub verdict: Verdict,
    pub reason: String,
    pub duration_ms: u64,
    pub evidence: Option<EvidenceRange>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestCaseReport {
    pub id: String,
    pub kind: String,
    pub verdict: Verdict,
    pub how: How,
    pub reason: String,
    pub scenarios: Vec<ScenarioReport>,
    /// The assessor's signed-off judgement, for a test case decided by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<AttestationRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvisionReport {
    pub id: String,
    pub status: String,
    pub verdict: Verdict,
    pub test_cases: Vec<TestCaseReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequirementReport {
    /// `psti-1`, `psti-2`, `psti-3`.
    pub id: String,
    pub title: String,
    pub verdict: Verdict,
    pub provisions: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub not_applicable: usize,
    pub inconclusive: usize,
}

/// A declared IoTSF compliance class and the levels it stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RiskClassReport {
    pub class: u8,
    pub confidentiality: SecurityLevel,
    pub integrity: SecurityLevel,
    pub availability: SecurityLevel,
    /// One sentence for people, including whether the class reaches the
    /// minimum the IoTSF associates with EN 303 645.
    pub summary: String,
}

impl RiskClassReport {
    pub fn new(class: RiskClass) -> RiskClassReport {
        let (c, i, a) = class.levels();
        let min = RiskClass::MINIMUM_FOR_EN303645;
        let level = |l: SecurityLevel| format!("{l:?}").to_lowercase();
        let mut summary = format!(
            "Declared IoT Security Foundation compliance class {} (confidentiality {}, integrity {}, availability {}).",
            class.number(),
            level(c),
            level(i),
            level(a)
        );
        if class < min {
            summary.push_str(&format!(
                " Below class {}, the minimum the IoTSF associates with EN 303 645.",
                min.number()
            ));
        }
        RiskClassReport {
            class: class.number(),
            confidentiality: c,
            integrity: i,
            availability: a,
            summary,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvidenceSummary {
    pub file: String,
    pub records: u64,
    /// Hash of the last evidence record: editing any line breaks the chain to it.
    pub head: String,
}

/// How the run was set up, where that changes what was probed or how:
/// a lab must be able to say how each verdict was reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Longest one probe could take, seconds.
    pub probe_timeout_s: f64,
    /// Longest one scenario could take, seconds.
    pub scenario_timeout_s: u64,
    /// Probes per second on the device (`null`: unlimited).
    pub rate_per_second: Option<u32>,
    /// `syn-where-permitted` (half-open SYNs as root, connects otherwise)
    /// or `connect`; each scan's evidence names the method used.
    pub port_scan: String,
    /// `--resolve HOST:ADDR` overrides: names that were not looked up.
    #[serde(default)]
    pub resolve: Vec<String>,
    /// The packet capture the cloud test cases were judged from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<String>,
}

/// `report.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub report_version: u32,
    pub tool: Tool,
    pub verdict: Conformance,
    pub scheme: String,
    pub started: String,
    pub finished: String,
    pub device: String,
    pub product: ProductInfo,
    pub profile: ProfileRef,
    /// The defined support period's end date (YYYY-MM-DD), as declared and checked.
    pub support_end: String,
    /// Where security issues are reported: the declared disclosure policy.
    pub disclosure_contact: String,
    pub requirements: Vec<RequirementReport>,
    pub provisions: Vec<ProvisionReport>,
    /// The IoT Security Foundation compliance class the manufacturer declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_class: Option<RiskClassReport>,
    /// Counts of test-case verdicts.
    pub summary: Summary,
    pub evidence: EvidenceSummary,
    /// The feature files the verdicts came from, with their hashes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<FeatureRef>,
    /// What the manufacturer declared (ICS, conditions, IXIT summary,
    /// statement data), as read from the profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<Declared>,
    /// How the run was set up (set by the command that ran it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<RunSettings>,
}

fn psti_title(n: u8) -> &'static str {
    match n {
        1 => "No universal default passwords",
        2 => "A published way to report security issues",
        3 => "A published minimum security-update period",
        _ => "unknown",
    }
}

/// Join the reasons of the scenarios that decided a test case's verdict.
fn reason_for(verdict: Verdict, scenarios: &[&ScenarioResult]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for s in scenarios {
        if s.verdict == verdict && !s.reason.is_empty() && !parts.contains(&s.reason.as_str()) {
            parts.push(s.reason.as_str());
        }
    }
    parts.join(" | ")
}

pub use iotmark_text::rfc3339;

/// Roll scenario results up into the report.
pub fn build(
    ctx: &RunContext,
    scheme: Scheme,
    results: &[ScenarioResult],
    started: time::OffsetDateTime,
    finished: time::OffsetDateTime,
) -> Report {
    // Test cases in catalogue order, grouped by provision.
    // Sort key -> (provision id, status, its test-case ids in order).
    type ProvisionCases = (String, Status, Vec<String>);
    let mut by_provision: BTreeMap<(u32, u32, u32), ProvisionCases> = BTreeMap::new();
    let mut by_case: BTreeMap<String, Vec<&ScenarioResult>> = BTreeMap::new();
    for r in results {
        let p = r.meta.provision.to_string();
        let entry = by_provision
            .entry(provision_order(&p))
            .or_insert_with(|| (p.clone(), r.meta.status, Vec::new()));
        if !entry.2.contains(&r.meta.test_case) {
            entry.2.push(r.meta.test_case.clone());
        }
        by_case.entry(r.meta.test_case.clone()).or_default().push(r);
    }
    let mut summary = Summary::default();
    let mut provisions = Vec::new();
    let mut mandatory_verdicts = Vec::new();
    for (_, (id, status, cases)) in by_provision {
        let mut test_cases = Vec::new();
        for case in cases {
            let scenarios = by_case.get(&case).cloned().unwrap_or_default();
            let verdict = Verdict::combine(scenarios.iter().map(|s| s.verdict));
            match verdict {
                Verdict::Pass => summary.pass += 1,
                Verdict::Fail => summary.fail += 1,
                Verdict::NotApplicable => summary.not_applicable += 1,
                Verdict::Inconclusive => summary.inconclusive += 1,
            }
            if status == Status::Mandatory {
                mandatory_verdicts.push(verdict);
            }
            let first = scenarios.first();
            test_cases.push(TestCaseReport {
                id: case.clone(),
                kind: first
                    .map(|s| format!("{:?}", s.meta.kind).to_lowercase())
                    .unwrap_or_default(),
                verdict,
                how: first.map(|s| s.meta.how).unwrap_or(How::Automated),
                reason: reason_for(verdict, &scenarios),
                attestation: ctx.attestations.get(&case).map(AttestationRef::from),
                scenarios: scenarios
                    .iter()
                    .map(|s| ScenarioReport {
                        name: s.name.clone(),
                        feature: s.feature_path.clone(),
                        line: s.line,
                        verdict: s.verdict,
                        reason: s.reason.clone(),
                        duration_ms: u64::try_from(s.duration.as_millis()).unwrap_or(u64::MAX),
                        evidence: s
                            .evidence
                            .map(|(first, last)| EvidenceRange { first, last }),
                    })
                    .collect(),
            });
        }
        provisions.push(ProvisionReport {
            id,
            status: format!("{status:?}").to_lowercase(),
            verdict: Verdict::combine(test_cases.iter().map(|t| t.verdict)),
            test_cases,
        });
    }
    let mut requirements = Vec::new();
    for n in 1..=3u8 {
        let cases: Vec<&ScenarioResult> =
            results.iter().filter(|r| r.meta.psti == Some(n)).collect();
        if cases.is_empty() {
            continue;
        }
        let mut provs: Vec<String> = cases.iter().map(|r| r.meta.provision.to_string()).collect();
        provs.sort_by_key(|p| provision_order(p));
        provs.dedup();
        // A requirement's verdict is that of its test cases, not of single scenarios.
        let verdict = Verdict::combine(provisions.iter().flat_map(|p| {
            p.test_cases
                .iter()
                .filter(|t| cases.iter().any(|c| c.meta.test_case == t.id))
                .map(|t| t.verdict)
        }));
        requirements.push(RequirementReport {
            id: format!("psti-{n}"),
            title: psti_title(n).to_string(),
            verdict,
            provisions: provs,
        });
    }
    let p = &ctx.profile;
    Report {
        report_version: REPORT_VERSION,
        tool: Tool {
            name: "iotmark".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        verdict: Conformance::from_verdicts(mandatory_verdicts),
        scheme: scheme.name().to_string(),
        started: rfc3339(started),
        finished: rfc3339(finished),
        device: ctx.device.name().to_string(),
        product: ProductInfo {
            manufacturer: p.product.manufacturer.clone(),
            manufacturer_address: p.product.manufacturer_address.clone(),
            model: p.product.model.clone(),
            product_type: p.product.product_type.clone(),
            batch: p.product.batch.clone(),
            gtin: p.product.gtin.clone(),
            firmware: p.product.firmware.clone(),
        },
        profile: ProfileRef {
            path: p.source.display().to_string(),
            sha256: p.sha256.clone(),
        },
        support_end: iotmark_adapters::profile::format_date(
            p.ixit.user_info.support_period.end_date,
        ),
        disclosure_contact: p.ixit.user_info.disclosure_policy_url.clone(),
        requirements,
        provisions,
        risk_class: p.risk_class.map(RiskClassReport::new),
        summary,
        evidence: EvidenceSummary {
            file: "evidence.jsonl".into(),
            records: ctx.evidence.len(),
            head: ctx.evidence.head(),
        },
        features: declared::features(results),
        declared: Some(Declared::from_profile(p)),
        settings: None,
    }
}

/// Test cases left to an assessor that no attestation decided.
pub fn awaiting_attestation(report: &Report) -> Vec<String> {
    report
        .provisions
        .iter()
        .flat_map(|p| p.test_cases.iter())
        .filter(|t| t.how == How::Assessor && t.verdict == Verdict::Inconclusive)
        .map(|t| t.id.clone())
        .collect()
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    #[error("cannot write {file}: {detail}")]
    Write { file: PathBuf, detail: String },
    #[error("cannot read report {file}: {detail}")]
    Read { file: PathBuf, detail: String },
    #[error("report {file} is invalid: {detail}")]
    Invalid { file: PathBuf, detail: String },
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(|e| ReportError::Write {
        file: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// Write `report.json`, `junit.xml`, `cucumber.json` and `report.html` into
/// `dir` (the evidence log is already there, written as the run went).
pub fn write_all(
    dir: &Path,
    report: &Report,
    results: &[ScenarioResult],
) -> Result<(), ReportError> {
    let json = serde_json::to_vec_pretty(report).map_err(|e| ReportError::Write {
        file: dir.join("report.json"),
        detail: e.to_string(),
    })?;
    write(&dir.join("report.json"), &json)?;
    write(
        &dir.join("junit.xml"),
        junit_xml(report, results).as_bytes(),
    )?;
    write(
        &dir.join("cucumber.json"),
        cucumber_json(results).as_bytes(),
    )?;
    write_documents(dir, report)
}

/// Write `report.html` and the documents derived from the report (statement
/// of compliance, CRA user information), reading evidence excerpts from the
/// folder's evidence log.
pub fn write_documents(dir: &Path, report: &Report) -> Result<(), ReportError> {
    let excerpts = EvidenceExcerpts::read(&dir.join(&report.evidence.file), report);
    write(
        &dir.join("report.html"),
        report_html(report, &excerpts).as_bytes(),
    )?;
    let today = time::OffsetDateTime::now_utc().date();
    write(
        &dir.join(documents::STATEMENT_FILE),
        documents::statement_html(report, today).as_bytes(),
    )?;
    write(
        &dir.join(documents::CRA_FILE),
        documents::cra_html(report, today).as_bytes(),
    )?;
    Ok(())
}

/// Read and schema-check a `report.json`.
pub fn read(path: &Path) -> Result<(Report, Vec<u8>), ReportError> {
    let bytes = std::fs::read(path).map_err(|e| ReportError::Read {
        file: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let invalid = |detail: String| ReportError::Invalid {
        file: path.to_path_buf(),
        detail,
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    let schema: serde_json::Value = serde_json::from_str(REPORT_SCHEMA)
        .map_err(|e| invalid(format!("embedded schema: {e}")))?;
    let validator =
        jsonschema::validator_for(&schema).map_err(|e| invalid(format!("embedded schema: {e}")))?;
    let problems: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .take(20)
        .collect();
    if !problems.is_empty() {
        return Err(invalid(problems.join("; ")));
    }
    let report: Report = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
    Ok((report, bytes))
}
