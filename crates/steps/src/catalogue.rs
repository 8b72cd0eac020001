//! The catalogue of test cases, derived from the feature files by parsing them.
//! There is no second list of provisions: tags on the scenarios say which
//! provision and TS 103 701 test case each one checks, and how.

use sha2::Digest as _;
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
        include_str!("../../../features/psti/passwords.feature"),
    ),
    (
        "psti/reporting.feature",
        include_str!("../../../features/psti/reporting.feature"),
    ),
    (
        "psti/support.feature",
        include_str!("../../../features/psti/support.feature"),
    ),
    (
        "en303645/4-reporting.feature",
        include_str!("../../../features/en303645/4-reporting.feature"),
    ),
    (
        "en303645/5.1-passwords.feature",
        include_str!("../../../features/en303645/5.1-passwords.feature"),
    ),
    (
        "en303645/5.2-vulnerability-reports.feature",
        include_str!("../../../features/en303645/5.2-vulnerability-reports.feature"),
    ),
    (
        "en303645/5.3-updates.feature",
        include_str!("../../../features/en303645/5.3-updates.feature"),
    ),
    (
        "en303645/5.4-security-parameters.feature",
        include_str!("../../../features/en303645/5.4-security-parameters.feature"),
    ),
    (
        "en303645/5.5-communication.feature",
        include_str!("../../../features/en303645/5.5-communication.feature"),
    ),
    (
        "en303645/5.6-attack-surface.feature",
        include_str!("../../../features/en303645/5.6-attack-surface.feature"),
    ),
    (
        "en303645/5.7-integrity.feature",
        include_str!("../../../features/en303645/5.7-integrity.feature"),
    ),
    (
        "en303645/5.8-personal-data.feature",
        include_str!("../../../features/en303645/5.8-personal-data.feature"),
    ),
    (
        "en303645/5.9-resilience.feature",
        include_str!("../../../features/en303645/5.9-resilience.feature"),
    ),
    (
        "en303645/5.10-telemetry.feature",
        include_str!("../../../features/en303645/5.10-telemetry.feature"),
    ),
    (
        "en303645/5.11-deletion.feature",
        include_str!("../../../features/en303645/5.11-deletion.feature"),
    ),
    (
        "en303645/5.12-installation.feature",
        include_str!("../../../features/en303645/5.12-installation.feature"),
    ),
    (
        "en303645/5.13-input-validation.feature",
        include_str!("../../../features/en303645/5.13-input-validation.feature"),
    ),
    (
        "en303645/6-data-protection.feature",
        include_str!("../../../features/en303645/6-data-protection.feature"),
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
    /// Two scenarios disagree about a provision or test case they share.
    #[error("{file}:{line}: scenario {scenario:?}: {detail}")]
    Inconsistent {
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
    /// TS 103 701 V1.1.1 has one test case that is both (5.3-10-1, "C/F").
    Mixed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Conceptual => "conceptual",
            Kind::Functional => "functional",
            Kind::Mixed => "mixed",
        }
    }

    /// Does the test case judge the declared design (and so fails when the
    /// ICS says the provision is not met)?
    pub fn reads_design(self) -> bool {
        matches!(self, Kind::Conceptual | Kind::Mixed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Mandatory,
    Recommended,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Mandatory => "mandatory",
            Status::Recommended => "recommended",
        }
    }
}

/// The status as EN 303 645 writes it: `M`, `R`, `M C(1)`, `R C(9,12)`.
pub fn status_code(status: Status, conditions: &[u8]) -> String {
    let letter = match status {
        Status::Mandatory => "M",
        Status::Recommended => "R",
    };
    if conditions.is_empty() {
        return letter.to_string();
    }
    let list: Vec<String> = conditions.iter().map(u8::to_string).collect();
    format!("{letter} C({})", list.join(","))
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
    /// Guideline of the 2018 UK Code of Practice (1–13), from `@cop2018-N`.
    pub cop2018: Option<u8>,
    /// The standard and version the scenario encodes, from a feature tag such
    /// as `@en303645-v2.1.1`; test-case and provision IDs are only unique
    /// within one version.
    pub standard: Option<String>,
    pub how: How,
    /// `@network`: a lab can decide it from the product's network interfaces
    /// (its ports, its API, the traffic it sends). Only functional test
    /// cases carry it: conceptual ones read the declaration.
    pub network: bool,
    /// Every tag, feature tags first, without `@`.
    pub tags: Vec<String>,
}

/// A parsed feature file.
#[derive(Debug, Clone)]
pub struct CatalogueFeature {
    /// Path relative to the features folder, e.g. `psti/passwords.feature`.
    pub path: String,
    /// SHA-256 (hex) of the text that was parsed: what the scenarios run
    /// from, wherever the file came from.
    pub sha256: String,
    pub feature: gherkin::Feature,
}

/// One scenario with its metadata.
#[derive(Debug, Clone)]
pub struct CatalogueScenario {
    /// Index into [`Catalogue::features`].
    pub feature: usize,
    /// The name of the `Rule:` it sits in: the provision's title.
    pub rule: Option<String>,
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
            let mut all: Vec<(gherkin::Scenario, Option<&gherkin::Rule>)> = feature
                .scenarios
                .iter()
                .map(|s| (s.clone(), None))
                .collect();
            for rule in &feature.rules {
                for s in &rule.scenarios {
                    all.push((s.clone(), Some(rule)));
                }
            }
            for (scenario, rule) in all {
                let mut tags = feature.tags.clone();
                if let Some(rule) = rule {
                    tags.extend(rule.tags.iter().cloned());
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
                    rule: rule.map(|r| r.name.trim().to_string()),
                    scenario,
                    meta,
                });
            }
            let sha256 = hex::encode(sha2::Sha256::digest(text.as_bytes()));
            features.push(CatalogueFeature {
                path,
                sha256,
                feature,
            });
        }
        let catalogue = Catalogue {
            features,
            scenarios,
        };
        catalogue.check_consistent()?;
        Ok(catalogue)
    }

    /// Scenarios that share a provision must agree on its status, conditions,
    /// title, PSTI paragraph, guideline and standard; scenarios that share a
    /// test case must agree on its kind and on how it is decided.
    fn check_consistent(&self) -> Result<(), CatalogueError> {
        let mut provisions: BTreeMap<(&Option<String>, &str), &CatalogueScenario> = BTreeMap::new();
        let mut cases: BTreeMap<(&Option<String>, &str), &CatalogueScenario> = BTreeMap::new();
        for s in &self.scenarios {
            let m = &s.meta;
            let err = |detail: String| CatalogueError::Inconsistent {
                file: self.features[s.feature].path.clone(),
                line: s.scenario.position.line,
                scenario: s.scenario.name.clone(),
                detail,
            };
            let first = provisions
                .entry((&m.standard, m.provision.as_str()))
                .or_insert(s);
            let f = &first.meta;
            if (f.status, &f.conditions, f.psti, f.cop2018, &first.rule)
                != (m.status, &m.conditions, m.psti, m.cop2018, &s.rule)
            {
                return Err(err(format!(
                    "provision {} is tagged differently here than in scenario {:?} (status, conditions, PSTI paragraph, guideline or rule title)",
                    m.provision, first.scenario.name
                )));
            }
            let first = cases
                .entry((&m.standard, m.test_case.as_str()))
                .or_insert(s);
            if (first.meta.kind, first.meta.how, first.meta.network) != (m.kind, m.how, m.network) {
                return Err(err(format!(
                    "test case {} has a different kind, way of deciding or @network tag here than in scenario {:?}",
                    m.test_case, first.scenario.name
                )));
            }
        }
        Ok(())
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
                    title: s.rule.clone(),
                    status: s.meta.status,
                    status_code: status_code(s.meta.status, &s.meta.conditions),
                    conditions: s.meta.conditions.clone(),
                    psti: s.meta.psti.map(|n| format!("psti-{n}")),
                    cop2018: s.meta.cop2018,
                    standard: s.meta.standard.clone(),
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
                    network: s.meta.network,
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
    /// The provision's title in our words: the name of its `Rule:`.
    pub title: Option<String>,
    pub status: Status,
    /// `M`, `R C(9,12)`, … as the standard writes the status column.
    pub status_code: String,
    /// EN 303 645 condition numbers that must all hold for it to apply.
    pub conditions: Vec<u8>,
    /// The UK PSTI Schedule 1 requirement it gives deemed compliance for.
    pub psti: Option<String>,
    /// The 2018 UK Code of Practice guideline it falls under.
    pub cop2018: Option<u8>,
    /// e.g. `en303645-v2.1.1`.
    pub standard: Option<String>,
    pub test_cases: Vec<TestCaseEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestCaseEntry {
    pub id: String,
    pub kind: Kind,
    pub how: How,
    /// Decidable from the product's network interfaces (`@network`).
    pub network: bool,
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
    let mut cop2018 = None;
    let mut standard = None;
    let mut network = false;
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
            "mixed" => set(&mut kind, Kind::Mixed as u8, tag)?,
            "mandatory" => set(&mut status, Status::Mandatory as u8, tag)?,
            "recommended" => set(&mut status, Status::Recommended as u8, tag)?,
            "automated" => set(&mut how_tag, 0, tag)?,
            "assessor" => set(&mut how_tag, 1, tag)?,
            "network" => network = true,
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
                } else if let Some(n) = t.strip_prefix("cop2018-") {
                    let n: u8 = n
                        .parse()
                        .ok()
                        .filter(|n| (1..=13).contains(n))
                        .ok_or_else(|| format!("bad Code of Practice tag @{t}"))?;
                    cop2018 = Some(n);
                } else if t.starts_with("en303645-v") {
                    if let Some(old) = standard.replace(t.to_string()) {
                        if old != t {
                            return Err(format!("two standard versions: @{old} and @{t}"));
                        }
                    }
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
    let kind = match kind.ok_or("no @conceptual, @functional or @mixed tag")? {
        0 => Kind::Conceptual,
        1 => Kind::Functional,
        _ => Kind::Mixed,
    };
    let status = match status.ok_or("no @mandatory or @recommended tag")? {
        0 => Status::Mandatory,
        _ => Status::Recommended,
    };
    if network && kind == Kind::Conceptual {
        return Err(
            "@network marks functional test cases; a conceptual one reads the declaration".into(),
        );
    }
    let how = match (how_tag.ok_or("no @automated or @assessor tag")?, kind) {
        (1, _) => How::Assessor,
        (_, Kind::Conceptual) => How::Ixit,
        (_, Kind::Functional | Kind::Mixed) => How::Automated,
    };
    Ok(ScenarioMeta {
        provision,
        test_case,
        kind,
        status,
        conditions,
        psti,
        cop2018,
        standard,
        how,
        network,
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
        let ids: Vec<String> = c
            .provisions(Scheme::UkPsti)
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, ["5.1-1", "5.1-2", "5.2-1", "5.3-13"]);
        for s in &psti {
            assert!(s.meta.psti.is_some(), "{}", s.scenario.name);
            assert_eq!(c.feature_of(s).path.split('/').next(), Some("psti"));
        }
        for s in &c.scenarios {
            assert_eq!(
                s.meta.standard.as_deref(),
                Some("en303645-v2.1.1"),
                "{}",
                s.scenario.name
            );
            assert!(
                s.rule.is_some(),
                "every scenario sits in a provision's Rule"
            );
        }
    }

    /// Every feature file in the source tree is compiled in, unchanged.
    #[test]
    fn every_feature_file_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../features");
        let on_disk = Catalogue::from_dir(&dir).unwrap();
        let mut disk: Vec<(String, String)> = on_disk
            .features
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(dir.join(&f.path)).unwrap();
                (f.path.clone(), text)
            })
            .collect();
        disk.sort();
        let mut embedded: Vec<(String, String)> = EMBEDDED
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        embedded.sort();
        let names = |v: &[(String, String)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        assert_eq!(names(&embedded), names(&disk), "add new files to EMBEDDED");
        assert_eq!(embedded, disk);
    }

    /// The reference list of EN 303 645 V2.1.1 provisions and TS 103 701
    /// V1.1.1 test cases, kept as data beside the crate.
    const REFERENCE: &str = include_str!("../data/en303645-v2.1.1-provisions.csv");

    struct RefProvision {
        id: String,
        status: String,
        psti: Option<String>,
        cop2018: Option<u8>,
        /// (test case, kind)
        cases: Vec<(String, Kind)>,
    }

    fn reference() -> Vec<RefProvision> {
        let mut rdr = csv::Reader::from_reader(REFERENCE.as_bytes());
        let mut out = Vec::new();
        for row in rdr.records() {
            let row = row.unwrap();
            let cases = row[5]
                .split_whitespace()
                .map(|c| {
                    let (id, kind) = c.trim_end_matches(')').split_once('(').unwrap();
                    let kind = match kind {
                        "C" => Kind::Conceptual,
                        "F" => Kind::Functional,
                        "C/F" => Kind::Mixed,
                        k => panic!("unknown kind {k}"),
                    };
                    (id.to_string(), kind)
                })
                .collect();
            out.push(RefProvision {
                id: row[0].to_string(),
                status: row[1].to_string(),
                psti: (!row[3].is_empty()).then(|| format!("psti-{}", &row[3])),
                cop2018: row[4].parse().ok(),
                cases,
            });
        }
        out
    }

    #[test]
    fn full_catalogue_matches_the_reference_list() {
        let reference = reference();
        assert_eq!(reference.len(), 68);
        let c = Catalogue::embedded().unwrap();
        let got = c.provisions(Scheme::En303645Full);
        let ids = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
        assert_eq!(
            ids(got.iter().map(|p| p.id.as_str()).collect()),
            ids(reference.iter().map(|p| p.id.as_str()).collect()),
            "provisions, in order"
        );
        let mut cases = 0;
        let mut kinds = BTreeMap::new();
        for (p, r) in got.iter().zip(&reference) {
            assert_eq!(p.status_code, r.status, "{}: status", p.id);
            assert_eq!(p.psti, r.psti, "{}: PSTI paragraph", p.id);
            assert_eq!(p.cop2018, r.cop2018, "{}: Code of Practice guideline", p.id);
            assert!(
                p.title.as_deref().is_some_and(|t| t.len() > 10),
                "{}: title",
                p.id
            );
            let got_cases: Vec<(String, Kind)> = p
                .test_cases
                .iter()
                .map(|t| (t.id.clone(), t.kind))
                .collect();
            assert_eq!(got_cases, r.cases, "{}: test cases and kinds", p.id);
            cases += got_cases.len();
            for (_, k) in got_cases {
                *kinds.entry(k.as_str()).or_insert(0) += 1;
            }
        }
        assert_eq!(cases, 109);
        assert_eq!(kinds["conceptual"], 62);
        assert_eq!(kinds["functional"], 46);
        assert_eq!(kinds["mixed"], 1);
    }

    #[test]
    fn mandatory_scheme_is_the_mandatory_provisions() {
        let c = Catalogue::embedded().unwrap();
        let want: Vec<String> = reference()
            .into_iter()
            .filter(|r| r.status.starts_with('M'))
            .map(|r| r.id)
            .collect();
        let got: Vec<String> = c
            .provisions(Scheme::En303645)
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn inconsistent_tags_are_refused() {
        let bad = "Feature: x\n\n  @5.1-3 @mandatory\n  Rule: a\n\n    @5.1-3-1 @conceptual @automated\n    Scenario: y\n      Given z\n\n  @5.1-3 @recommended\n  Rule: a\n\n    @5.1-3-2 @functional @automated\n    Scenario: w\n      Given z\n";
        let err = Catalogue::from_sources(vec![("x.feature".into(), bad.into())]).unwrap_err();
        assert!(err.to_string().contains("tagged differently"), "{err}");
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
