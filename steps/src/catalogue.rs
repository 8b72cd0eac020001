//! The catalogue of test cases, derived from the feature files by parsing them.
//! There is no second list of provisions: tags on the scenarios say which
//! provision and TS 103 701 test case each one checks, and how.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gherkin::tagexpr::TagOperation;
use iotmark_adapters::profile::ProvisionId;
use serde::Serialize;

use crate::verdict::How;

/// The feature files compiled into the binary, so a run needs no source tree.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "psti/passwords.feature",
        include_str!("../../features/psti/passwords.feature"),
    ),
    (
        "psti/reporting.feature",
        include_str!("../../features/psti/reporting.feature"),
    ),
    (
        "psti/support.feature",
        include_str!("../../features/psti/support.feature"),
    ),
];

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    #[error("cannot read feature files in {dir}: {detail}")]
    Read { dir: PathBuf, detail: String },
    #[error("{file}: not valid Gherkin: {detail}")]
    Parse { file: String, detail: String },
    #[error("{file}:{line}: scenario {scenario:?}: {detail}")]
    Tags {
        file: String,
        line: usize,
        scenario: String,
        detail: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Conceptual,
    Functional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Mandatory,
    Recommended,
}

/// What a scenario's tags say about it.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioMeta {
    pub provision: ProvisionId,
    pub test_case: String,
    pub kind: Kind,
    pub status: Status,
    /// EN 303 645 condition numbers that must all hold for it to apply.
    pub conditions: Vec<u8>,
    /// PSTI Schedule 1 paragraph (1–3), if the scenario gives evidence for one.
    pub psti: Option<u8>,
    pub how: How,
    /// Every tag, feature tags first, without `@`.
    pub tags: Vec<String>,
}

/// A parsed feature file.
#[derive(Debug, Clone)]
pub struct CatalogueFeature {
    /// Path relative to the features folder, e.g. `psti/passwords.feature`.
    pub path: String,
    pub feature: gherkin::Feature,
}

/// One scenario with its metadata.
#[derive(Debug, Clone)]
pub struct CatalogueScenario {
    /// Index into [`Catalogue::features`].
    pub feature: usize,
    pub scenario: gherkin::Scenario,
    pub meta: ScenarioMeta,
}

#[derive(Debug, Clone)]
pub struct Catalogue {
    pub features: Vec<CatalogueFeature>,
    pub scenarios: Vec<CatalogueScenario>,
}

impl Catalogue {
    /// The feature files compiled into the binary.
    pub fn embedded() -> Result<Catalogue, CatalogueError> {
        Catalogue::from_sources(
            EMBEDDED
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        )
    }

    /// Every `*.feature` file below `dir`, in path order.
    pub fn from_dir(dir: &Path) -> Result<Catalogue, CatalogueError> {
        let mut files = Vec::new();
        collect_features(dir, dir, &mut files).map_err(|e| CatalogueError::Read {
            dir: dir.to_path_buf(),
            detail: e.to_string(),
        })?;
        files.sort();
        let mut sources = Vec::new();
        for rel in files {
            let text =
                std::fs::read_to_string(dir.join(&rel)).map_err(|e| CatalogueError::Read {
                    dir: dir.to_path_buf(),
                    detail: format!("{rel}: {e}"),
                })?;
            sources.push((rel, text));
        }
        Catalogue::from_sources(sources)
    }

    fn from_sources(sources: Vec<(String, String)>) -> Result<Catalogue, CatalogueError> {
        let mut features = Vec::new();
        let mut scenarios = Vec::new();
        for (path, text) in sources {
            let feature =
                gherkin::Feature::parse(&text, gherkin::GherkinEnv::default()).map_err(|e| {
                    CatalogueError::Parse {
                        file: path.clone(),
                        detail: e.to_string(),
                    }
                })?;
            let index = features.len();
            let mut all = feature.scenarios.clone();
            let mut rule_tags = Vec::new();
            for rule in &feature.rules {
                for s in &rule.scenarios {
                    all.push(s.clone());
                    rule_tags.push(rule.tags.clone());
                }
            }
            let plain = feature.scenarios.len();
            for (i, scenario) in all.into_iter().enumerate() {
                let mut tags = feature.tags.clone();
                if i >= plain {
                    tags.extend(rule_tags[i - plain].iter().cloned());
                }
                tags.extend(scenario.tags.iter().cloned());
                let meta = meta_from_tags(&tags).map_err(|detail| CatalogueError::Tags {
                    file: path.clone(),
                    line: scenario.position.line,
                    scenario: scenario.name.clone(),
                    detail,
                })?;
                scenarios.push(CatalogueScenario {
                    feature: index,
                    scenario,
                    meta,
                });
            }
            features.push(CatalogueFeature { path, feature });
        }
        Ok(Catalogue {
            features,
            scenarios,
        })
    }

    /// The scenarios a scheme selects, in catalogue order.
    pub fn select(&self, scheme: Scheme) -> Vec<&CatalogueScenario> {
        let expr = scheme.tag_expression();
        self.scenarios
            .iter()
            .filter(|s| eval(&expr, &s.meta.tags))
            .collect()
    }

    /// Provisions and their test cases, as the catalogue command lists them.
    pub fn provisions(&self, scheme: Scheme) -> Vec<ProvisionEntry> {
        let mut map: BTreeMap<ProvisionId, ProvisionEntry> = BTreeMap::new();
        for s in self.select(scheme) {
            let entry = map
                .entry(s.meta.provision.clone())
                .or_insert_with(|| ProvisionEntry {
                    id: s.meta.provision.to_string(),
                    status: s.meta.status,
                    conditions: s.meta.conditions.clone(),
                    psti: s.meta.psti.map(|n| format!("psti-{n}")),
                    test_cases: Vec::new(),
                });
            if let Some(tc) = entry
                .test_cases
                .iter_mut()
                .find(|t| t.id == s.meta.test_case)
            {
                tc.scenarios.push(s.scenario.name.clone());
            } else {
                entry.test_cases.push(TestCaseEntry {
                    id: s.meta.test_case.clone(),
                    kind: s.meta.kind,
                    how: s.meta.how,
                    scenarios: vec![s.scenario.name.clone()],
                });
            }
        }
        let mut list: Vec<ProvisionEntry> = map.into_values().collect();
        list.sort_by_key(|p| provision_order(&p.id));
        list
    }

    pub fn feature_of(&self, s: &CatalogueScenario) -> &CatalogueFeature {
        &self.features[s.feature]
    }
}

/// Sort key that puts `5.2-1` before `5.10-1` and `4-1` first.
pub fn provision_order(id: &str) -> (u32, u32, u32) {
    let (clause, num) = id.split_once('-').unwrap_or((id, "0"));
    let (major, minor) = clause.split_once('.').unwrap_or((clause, "0"));
    let n = |s: &str| {
        s.split('-')
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or(0)
    };
    (n(major), n(minor), n(num))
}

#[derive(Debug, Clone, Serialize)]
pub struct ProvisionEntry {
    pub id: String,
    pub status: Status,
    pub conditions: Vec<u8>,
    pub psti: Option<String>,
    pub test_cases: Vec<TestCaseEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestCaseEntry {
    pub id: String,
    pub kind: Kind,
    pub how: How,
    pub scenarios: Vec<String>,
}

fn collect_features(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_features(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "feature") {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

fn meta_from_tags(tags: &[String]) -> Result<ScenarioMeta, String> {
    let mut provision = None;
    let mut test_case = None;
    let mut kind = None;
    let mut status = None;
    let mut how_tag = None;
    let mut conditions = Vec::new();
    let mut psti = None;
    let set = |slot: &mut Option<_>, value, tag: &str| -> Result<(), String> {
        if slot.replace(value).is_some() {
            return Err(format!("more than one tag of the kind of @{tag}"));
        }
        Ok(())
    };
    for tag in tags {
        match tag.as_str() {
            "conceptual" => set(&mut kind, Kind::Conceptual as u8, tag)?,
            "functional" => set(&mut kind, Kind::Functional as u8, tag)?,
            "mandatory" => set(&mut status, Status::Mandatory as u8, tag)?,
            "recommended" => set(&mut status, Status::Recommended as u8, tag)?,
            "automated" => set(&mut how_tag, 0, tag)?,
            "assessor" => set(&mut how_tag, 1, tag)?,
            t => {
                if let Some(n) = t.strip_prefix("condition-") {
                    let n: u8 = n
                        .parse()
                        .ok()
                        .filter(|n| (1..=16).contains(n))
                        .ok_or_else(|| format!("bad condition tag @{t}"))?;
                    conditions.push(n);
                } else if let Some(n) = t.strip_prefix("psti-") {
                    let n: u8 = n
                        .parse()
                        .ok()
                        .filter(|n| (1..=3).contains(n))
                        .ok_or_else(|| format!("bad PSTI tag @{t}"))?;
                    psti = Some(n);
                } else if let Some(p) = ProvisionId::parse(t) {
                    if let Some(old) = provision.replace(p) {
                        if old.as_str() != t {
                            return Err(format!("two provision tags: @{old} and @{t}"));
                        }
                    }
                } else if let Some((prov, n)) = t.rsplit_once('-') {
                    if ProvisionId::parse(prov).is_some()
                        && n.bytes().all(|b| b.is_ascii_digit())
                        && test_case.replace(t.to_string()).is_some()
                    {
                        return Err(format!("more than one test-case tag (@{t})"));
                    }
                }
            }
        }
    }
    let provision = provision.ok_or("no provision tag such as @5.1-1")?;
    let test_case = test_case.ok_or("no test-case tag such as @5.1-1-2")?;
    if !test_case.starts_with(&format!("{provision}-")) {
        return Err(format!(
            "test case @{test_case} does not belong to provision @{provision}"
        ));
    }
    let kind = match kind.ok_or("no @conceptual or @functional tag")? {
        0 => Kind::Conceptual,
        _ => Kind::Functional,
    };
    let status = match status.ok_or("no @mandatory or @recommended tag")? {
        0 => Status::Mandatory,
        _ => Status::Recommended,
    };
    let how = match (how_tag.ok_or("no @automated or @assessor tag")?, kind) {
        (1, _) => How::Assessor,
        (_, Kind::Conceptual) => How::Ixit,
        (_, Kind::Functional) => How::Automated,
    };
    Ok(ScenarioMeta {
        provision,
        test_case,
        kind,
        status,
        conditions,
        psti,
        how,
        tags: tags.to_vec(),
    })
}

/// A conformance scheme: which scenarios count, and what conformance means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// The three UK PSTI Schedule 1 requirements.
    UkPsti,
    /// Every mandatory EN 303 645 provision.
    En303645,
    /// Mandatory and recommended provisions.
    En303645Full,
}

impl Scheme {
    pub const ALL: [Scheme; 3] = [Scheme::UkPsti, Scheme::En303645, Scheme::En303645Full];

    pub fn parse(name: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::UkPsti => "uk-psti",
            Scheme::En303645 => "en303645",
            Scheme::En303645Full => "en303645-full",
        }
    }

    /// The Gherkin tag expression that selects the scheme's scenarios.
    pub fn tag_expression_text(self) -> &'static str {
        match self {
            Scheme::UkPsti => "@psti-1 or @psti-2 or @psti-3",
            Scheme::En303645 => "@mandatory",
            Scheme::En303645Full => "@mandatory or @recommended",
        }
    }

    fn tag_expression(self) -> TagOperation {
        // The expressions above are constants that parse; a failure would be a
        // programming error caught by the catalogue tests, so fall back to a tag
        // no scenario carries rather than panic.
        self.tag_expression_text()
            .parse()
            .unwrap_or_else(|_| TagOperation::Tag("never".into()))
    }
}

fn eval(op: &TagOperation, tags: &[String]) -> bool {
    match op {
        TagOperation::And(a, b) => eval(a, tags) && eval(b, tags),
        TagOperation::Or(a, b) => eval(a, tags) || eval(b, tags),
        TagOperation::Not(a) => !eval(a, tags),
        TagOperation::Tag(t) => tags.iter().any(|x| x == t.trim_start_matches('@')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_parses_and_selects() {
        let c = Catalogue::embedded().unwrap();
        let psti = c.select(Scheme::UkPsti);
        assert_eq!(psti.len(), c.scenarios.len());
        let ids: Vec<String> = c
            .provisions(Scheme::UkPsti)
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, ["5.1-1", "5.1-2", "5.2-1", "5.3-13"]);
        for s in &c.scenarios {
            assert!(s.meta.psti.is_some(), "{}", s.scenario.name);
        }
    }

    #[test]
    fn tag_errors_are_located() {
        let bad = "Feature: x\n\n  @5.1-1 @5.2-1-1 @conceptual @mandatory @automated\n  Scenario: y\n    Given z\n";
        let err = Catalogue::from_sources(vec![("x.feature".into(), bad.into())]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("x.feature:4"), "{text}");
        assert!(text.contains("does not belong"), "{text}");
    }

    #[test]
    fn provision_sorting() {
        let mut v = vec!["5.10-1", "5.2-1", "4-1", "6-1", "5.1-5"];
        v.sort_by_key(|id| provision_order(id));
        assert_eq!(v, ["4-1", "5.1-5", "5.2-1", "5.10-1", "6-1"]);
    }
}
