//! Fleets: one scheme over many units at once, each unit with its own device,
//! evidence log and report, and a summary of the whole batch. The units are
//! `--units N` copies of one simulated product (playing the declared units in
//! turn), or the units a fleet file lists (`--fleet FILE`,
//! `schemas/fleet.schema.json`): real units on the bench network
//! (`net:<host>`), simulated ones, or both.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use iotmark_adapters::profile::Profile;
use iotmark_steps::attestation::Attestations;
use iotmark_steps::catalogue::Scheme;
use iotmark_steps::verdict::Conformance;
use iotmark_steps::world::PreviousReport;
use serde::Serialize;

use crate::pipeline::{execute_with, ProbeSettings, RunPlan};

/// One unit of a fleet: the device to open and which declared unit it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetUnit {
    /// `net:<host>` or `sim:<product>`.
    pub device: String,
    /// Index into the profile's /units.
    pub unit: usize,
    /// Its folder under OUT/units/.
    pub name: String,
}

/// What every unit of the fleet shares.
#[derive(Debug)]
pub struct FleetPlan {
    pub profile: Profile,
    /// The simulated product or the fleet file, for the summary.
    pub source: String,
    pub scheme: Scheme,
    pub out: PathBuf,
    pub probe: ProbeSettings,
    pub previous: Option<PreviousReport>,
    pub features: Option<PathBuf>,
    pub attestations: Attestations,
    pub units: Vec<FleetUnit>,
    pub jobs: usize,
}

#[derive(Debug, Serialize)]
pub struct UnitResult {
    pub run: usize,
    pub device: String,
    /// Index into the profile's /units: the declared unit this one is.
    pub unit: usize,
    pub serial: Option<String>,
    pub verdict: Option<Conformance>,
    pub error: Option<String>,
    pub report: Option<PathBuf>,
}

#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub conformant: usize,
    pub not_conformant: usize,
    pub inconclusive: usize,
    pub error: usize,
}

#[derive(Debug, Serialize)]
pub struct FleetSummary {
    pub scheme: String,
    pub device: String,
    pub units: usize,
    pub jobs: usize,
    pub wall_seconds: f64,
    pub counts: Counts,
    pub results: Vec<UnitResult>,
}

async fn one_unit(plan: Arc<FleetPlan>, run: usize) -> UnitResult {
    let Some(this) = plan.units.get(run) else {
        return UnitResult {
            run,
            device: String::new(),
            unit: 0,
            serial: None,
            verdict: None,
            error: Some(format!("no unit {run} in the fleet")),
            report: None,
        };
    };
    let unit = this.unit;
    let device = this.device.clone();
    let serial = plan.profile.units.get(unit).map(|u| u.serial.clone());
    let dir = plan.out.join("units").join(&this.name);
    let result = execute_with(
        RunPlan {
            profile: plan.profile.clone(),
            device: &device,
            scheme: plan.scheme,
            out: &dir,
            probe: &plan.probe,
            previous: plan.previous.clone(),
            features: plan.features.as_deref(),
            unit,
            on_scenario: None,
        },
        plan.attestations.clone(),
    )
    .await;
    match result {
        Ok(out) => UnitResult {
            run,
            device,
            unit,
            serial,
            verdict: Some(out.report.verdict),
            error: None,
            report: Some(dir.join("report.json")),
        },
        Err(e) => UnitResult {
            run,
            device,
            unit,
            serial,
            verdict: None,
            error: Some(format!("{e:#}")),
            report: None,
        },
    }
}

/// `count` units of the simulated product `device`, playing the profile's
/// declared units in turn.
pub fn sim_units(device: &str, count: usize, profile: &Profile) -> anyhow::Result<Vec<FleetUnit>> {
    if !device.starts_with("sim:") {
        anyhow::bail!(
            "--units runs many simulated units; it needs a sim:<product> device (real units: --fleet FILE)"
        );
    }
    let declared = profile.units.len();
    Ok((0..count)
        .map(|run| FleetUnit {
            device: device.to_string(),
            unit: if declared == 0 { 0 } else { run % declared },
            name: format!("{run:05}"),
        })
        .collect())
}

/// Most units one fleet file may list.
pub const MAX_FLEET_UNITS: usize = 10_000;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFile {
    #[serde(default, rename = "$schema")]
    _schema: Option<String>,
    fleet_version: u32,
    #[serde(default, rename = "description")]
    _description: Option<String>,
    units: Vec<FleetFileUnit>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFileUnit {
    device: String,
    #[serde(default)]
    unit: Option<usize>,
    #[serde(default)]
    serial: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Read a fleet file (`schemas/fleet.schema.json`) for units of the model
/// `profile` declares. Every problem names the file and the JSON path.
pub fn load_fleet(path: &Path, profile: &Profile) -> anyhow::Result<Vec<FleetUnit>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read fleet file {}", path.display()))?;
    parse_fleet(&text, profile).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn parse_fleet(text: &str, profile: &Profile) -> Result<Vec<FleetUnit>, String> {
    let file: FleetFile =
        serde_json::from_str(text).map_err(|e| format!("not a fleet file: {e}"))?;
    if file.fleet_version != 1 {
        return Err(format!(
            "/fleet_version: {} is not a version this iotmark reads (1)",
            file.fleet_version
        ));
    }
    if file.units.is_empty() || file.units.len() > MAX_FLEET_UNITS {
        return Err(format!(
            "/units: {} units; a fleet has 1 to {MAX_FLEET_UNITS}",
            file.units.len()
        ));
    }
    let mut names = BTreeSet::new();
    let mut net_units = BTreeSet::new();
    let mut units = Vec::with_capacity(file.units.len());
    for (i, u) in file.units.into_iter().enumerate() {
        let at = format!("/units/{i}");
        let is_net = u.device.starts_with("net:");
        let kind_ok = u
            .device
            .strip_prefix("net:")
            .or_else(|| u.device.strip_prefix("sim:"))
            .is_some_and(|rest| !rest.is_empty());
        if !kind_ok {
            return Err(format!(
                "{at}/device: {:?} is neither net:<host> nor sim:<product>",
                u.device
            ));
        }
        let by_serial = match &u.serial {
            Some(serial) => Some(
                profile
                    .units
                    .iter()
                    .position(|d| &d.serial == serial)
                    .ok_or_else(|| {
                        format!("{at}/serial: the profile declares no unit with serial {serial:?}")
                    })?,
            ),
            None => None,
        };
        let unit = match (u.unit, by_serial) {
            (Some(a), Some(b)) if a != b => {
                return Err(format!(
                    "{at}: unit {a} and serial {:?} (unit {b}) disagree",
                    u.serial.unwrap_or_default()
                ))
            }
            (Some(a), _) => a,
            (None, Some(b)) => b,
            // A real unit has its own serial and password: with more than one
            // declared, guessing which it is would test it with another's.
            (None, None) if is_net && profile.units.len() > 1 => {
                return Err(format!(
                    "{at}: a net: unit must say which declared unit it is (unit or serial); \
                     the profile declares {}",
                    profile.units.len()
                ))
            }
            (None, None) => 0,
        };
        if is_net && !profile.units.is_empty() && !net_units.insert(unit) {
            return Err(format!(
                "{at}: declared unit {unit} is already claimed by another net: unit"
            ));
        }
        if !profile.units.is_empty() && unit >= profile.units.len() {
            return Err(format!(
                "{at}/unit: {unit}, but the profile declares {} units",
                profile.units.len()
            ));
        }
        let name = u.name.unwrap_or_else(|| format!("{i:05}"));
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name != "."
            && name != ".."
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !name_ok {
            return Err(format!(
                "{at}/name: {name:?} must be 1 to 64 letters, digits, '_', '.' or '-'"
            ));
        }
        if !names.insert(name.clone()) {
            return Err(format!("{at}/name: {name:?} is used twice"));
        }
        units.push(FleetUnit {
            device: u.device,
            unit,
            name,
        });
    }
    Ok(units)
}

/// Runs every unit, at most `plan.jobs` at once; `on_unit` is told the
/// running counts after each unit. Writes OUT/fleet.json and returns it.
pub async fn run_fleet(
    plan: FleetPlan,
    on_unit: &mut (dyn FnMut(&Counts) + Send),
) -> anyhow::Result<FleetSummary> {
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("cannot create {}", plan.out.display()))?;
    let started = Instant::now();
    let plan = Arc::new(plan);
    let permits = Arc::new(tokio::sync::Semaphore::new(plan.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for run in 0..plan.units.len() {
        let plan = Arc::clone(&plan);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = permits.acquire_owned().await;
            one_unit(plan, run).await
        });
    }
    let mut results = Vec::with_capacity(plan.units.len());
    let mut counts = Counts::default();
    while let Some(joined) = tasks.join_next().await {
        let r = match joined {
            Ok(r) => r,
            Err(e) => anyhow::bail!("a unit's run stopped abnormally: {e}"),
        };
        match r.verdict {
            Some(Conformance::Conformant) => counts.conformant += 1,
            Some(Conformance::NotConformant) => counts.not_conformant += 1,
            Some(Conformance::Inconclusive) => counts.inconclusive += 1,
            None => counts.error += 1,
        }
        on_unit(&counts);
        results.push(r);
    }
    results.sort_by_key(|r| r.run);
    let summary = FleetSummary {
        scheme: plan.scheme.name().to_string(),
        device: plan.source.clone(),
        units: plan.units.len(),
        jobs: plan.jobs,
        wall_seconds: started.elapsed().as_secs_f64(),
        counts,
        results,
    };
    let path = plan.out.join("fleet.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&summary)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn camera() -> Profile {
        Profile::load(&repo().join("examples/profiles/good-camera.json")).unwrap()
    }

    #[test]
    fn example_fleets_follow_the_schema_and_load() {
        let schema: serde_json::Value = serde_json::from_slice(
            &std::fs::read(repo().join("schemas/fleet.schema.json")).unwrap(),
        )
        .unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let mut seen = 0;
        for entry in std::fs::read_dir(repo().join("examples/fleets")).unwrap() {
            let path = entry.unwrap().path();
            let doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            let units = load_fleet(&path, &camera()).unwrap();
            assert!(!units.is_empty());
            seen += 1;
        }
        assert!(seen >= 2);
        let bench = load_fleet(
            &repo().join("examples/fleets/bench-cameras.json"),
            &camera(),
        )
        .unwrap();
        assert_eq!(
            bench[1],
            FleetUnit {
                device: "net:192.0.2.22".into(),
                unit: 1,
                name: "gc200-000102".into()
            }
        );
    }

    #[test]
    fn bad_fleets_are_refused_with_the_path() {
        let p = camera();
        let cases = [
            (
                r#"{"fleet_version": 2, "units": [{"device": "net:a"}]}"#,
                "/fleet_version",
            ),
            (r#"{"fleet_version": 1, "units": []}"#, "/units"),
            (
                r#"{"fleet_version": 1, "units": [{"device": "tcp:a"}]}"#,
                "/units/0/device",
            ),
            (
                r#"{"fleet_version": 1, "units": [{"device": "net:a", "unit": 9}]}"#,
                "/units/0/unit",
            ),
            (
                r#"{"fleet_version": 1, "units": [{"device": "net:a", "serial": "nope"}]}"#,
                "/units/0/serial",
            ),
            (
                r#"{"fleet_version": 1, "units": [{"device": "net:a", "unit": 0, "serial": "GC200-26W40-000102"}]}"#,
                "disagree",
            ),
            (
                r#"{"fleet_version": 1, "units": [{"device": "net:a", "unit": 0, "name": "x"}, {"device": "net:b", "unit": 1, "name": "x"}]}"#,
                "/units/1/name",
            ),
            (
                r#"{"fleet_version": 1, "units": [{"device": "net:a", "unit": 0, "name": ".."}]}"#,
                "/units/0/name",
            ),
            (
                r#"{"fleet_version": 1, "units": [{"device": "net:a", "port": 1}]}"#,
                "unknown field",
            ),
            // Real units must say which declared unit they are, and two real
            // units cannot both be the same one.
            (
                r#"{"fleet_version": 1, "units": [{"device": "net:a"}]}"#,
                "/units/0: a net: unit must say which declared unit it is",
            ),
            (
                r#"{"fleet_version": 1, "units": [{"device": "net:a", "unit": 1}, {"device": "net:b", "serial": "GC200-26W40-000102"}]}"#,
                "/units/1: declared unit 1 is already claimed",
            ),
        ];
        for (text, expected) in cases {
            let err = parse_fleet(text, &p).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
