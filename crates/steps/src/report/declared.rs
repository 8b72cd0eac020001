//! What the report repeats from the declaration and the run's inputs, so that
//! the report (and the documents made from it) stand alone: the ICS, the
//! conditions, an IXIT summary, the statement data, assessor attestations and
//! the feature files' hashes.

use serde::{Deserialize, Serialize};

use iotmark_adapters::profile::{format_date, Conditions, Profile, Support};

use crate::attestation::Attestation;
use crate::runner::ScenarioResult;

/// A feature file the run read, by path and SHA-256 of its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureRef {
    pub path: String,
    pub sha256: String,
}

/// An assessor attestation as the report keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationRef {
    pub assessor: String,
    pub role: String,
    pub date: String,
    pub verdict: String,
    pub rationale: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

impl From<&Attestation> for AttestationRef {
    fn from(a: &Attestation) -> AttestationRef {
        AttestationRef {
            assessor: a.assessor.clone(),
            role: a.role.clone(),
            date: format_date(a.date),
            verdict: match a.verdict {
                crate::attestation::AttestedVerdict::Pass => "PASS".into(),
                crate::attestation::AttestedVerdict::Fail => "FAIL".into(),
            },
            rationale: a.rationale.clone(),
            evidence: a.evidence.clone(),
        }
    }
}

/// One EN 303 645 condition and whether the declaration says it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionLine {
    pub number: u8,
    pub text: String,
    pub holds: bool,
}

/// One ICS row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcsLine {
    pub provision: String,
    /// `Y`, `N` or `N/A`.
    pub support: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The IXIT at a glance: the published user information and the names of the
/// declared mechanisms and interfaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IxitSummary {
    pub manufacturer_website: String,
    pub disclosure_policy_url: String,
    pub security_txt_url: String,
    pub support_period_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_notice_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_setup_url: Option<String>,
    #[serde(default)]
    pub auth_mechanisms: Vec<String>,
    #[serde(default)]
    pub interfaces: Vec<String>,
    #[serde(default)]
    pub update_mechanisms: Vec<String>,
}

/// A party to the statement: another manufacturer or an authorised representative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyLine {
    pub name: String,
    pub address: String,
}

/// The statement data the profile declares (see the profile's `declaration`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementData {
    pub signatory_name: String,
    pub signatory_function: String,
    pub place_of_issue: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_issue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepared_by: Option<String>,
    #[serde(default)]
    pub other_manufacturers: Vec<PartyLine>,
    #[serde(default)]
    pub authorised_representatives: Vec<PartyLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer_contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom_url: Option<String>,
}

/// The declaration as the report repeats it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    pub conditions: Vec<ConditionLine>,
    pub ics: Vec<IcsLine>,
    pub ixit: IxitSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementData>,
}

fn support_code(s: Support) -> &'static str {
    match s {
        Support::Yes => "Y",
        Support::No => "N",
        Support::NotApplicable => "N/A",
    }
}

/// A serde enum's name as it appears in JSON (`https`, `password`…).
fn json_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl Declared {
    pub fn from_profile(p: &Profile) -> Declared {
        let conditions = (1..=13u8)
            .map(|n| ConditionLine {
                number: n,
                text: Conditions::describe(n).to_string(),
                holds: p.conditions.holds(n),
            })
            .collect();
        let mut ics: Vec<IcsLine> = p
            .ics
            .iter()
            .map(|(id, e)| IcsLine {
                provision: id.to_string(),
                support: support_code(e.support).to_string(),
                detail: e.detail.clone(),
            })
            .collect();
        ics.sort_by_key(|l| crate::catalogue::provision_order(&l.provision));
        let u = &p.ixit.user_info;
        let ixit = IxitSummary {
            manufacturer_website: u.manufacturer_website.clone(),
            disclosure_policy_url: u.disclosure_policy_url.clone(),
            security_txt_url: u.security_txt_url(),
            support_period_url: u.support_period.url.clone(),
            privacy_notice_url: u.privacy_notice_url.clone(),
            secure_setup_url: u.secure_setup_url.clone(),
            auth_mechanisms: p
                .ixit
                .auth_mechanisms
                .iter()
                .map(|m| {
                    format!(
                        "{} ({}; on {}): {}",
                        m.id,
                        json_name(&m.factor),
                        m.interfaces.join(", "),
                        m.description
                    )
                })
                .collect(),
            interfaces: p
                .ixit
                .interfaces
                .iter()
                .map(|i| {
                    format!(
                        "{} {}/{}{}",
                        i.name,
                        json_name(&i.protocol),
                        i.port,
                        if i.enabled { "" } else { " (disabled)" }
                    )
                })
                .collect(),
            update_mechanisms: p
                .ixit
                .update_mechanisms
                .iter()
                .map(|m| format!("{}: {}", m.id, m.description))
                .collect(),
        };
        let statement = p.declaration.as_ref().map(|d| {
            let party = |x: &iotmark_adapters::profile::Party| PartyLine {
                name: x.name.clone(),
                address: x.address.clone(),
            };
            StatementData {
                signatory_name: d.signatory.name.clone(),
                signatory_function: d.signatory.function.clone(),
                place_of_issue: d.place_of_issue.clone(),
                date_of_issue: d.date_of_issue.map(format_date),
                prepared_by: d.prepared_by.clone(),
                other_manufacturers: d.other_manufacturers.iter().map(party).collect(),
                authorised_representatives: d
                    .authorised_representatives
                    .iter()
                    .map(party)
                    .collect(),
                security_contact: d.security_contact.clone(),
                manufacturer_contact: d.manufacturer_contact.clone(),
                support_type: d.support_type.clone(),
                sbom_url: d.sbom_url.clone(),
            }
        });
        Declared {
            conditions,
            ics,
            ixit,
            statement,
        }
    }
}

/// The feature files behind the results, each with the SHA-256 of its text:
/// the built-in copy when the path is one of those, else the file on disk.
pub fn features(results: &[ScenarioResult]) -> Vec<FeatureRef> {
    let mut out: Vec<FeatureRef> = Vec::new();
    for r in results {
        if out.iter().any(|f| f.path == r.feature_path) {
            continue;
        }
        // The hash of the text the runner parsed, not of a file looked up
        // again by name: a changed feature file is reported as changed.
        out.push(FeatureRef {
            path: r.feature_path.clone(),
            sha256: r.feature_sha256.clone(),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
