//! Fleets: one scheme over many simulated units at once, each unit with its own
//! simulation, evidence log and report, and a summary of the whole batch.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use iotmark_adapters::profile::Profile;
use iotmark_steps::attestation::Attestations;
use iotmark_steps::catalogue::Scheme;
use iotmark_steps::verdict::Conformance;
use iotmark_steps::world::PreviousReport;
use serde::Serialize;

use super::run::{execute_with, RunPlan};
use crate::cli::{Format, ProbeArgs};
use crate::output;
use crate::Exit;

/// What every unit of the fleet shares.
pub struct FleetPlan {
    pub profile: Profile,
    pub device: String,
    pub scheme: Scheme,
    pub out: PathBuf,
    pub probe: ProbeArgs,
    pub previous: Option<PreviousReport>,
    pub features: Option<PathBuf>,
    pub attestations: Attestations,
    pub units: usize,
    pub jobs: usize,
    pub format: Format,
}

#[derive(Debug, Serialize)]
struct UnitResult {
    run: usize,
    /// Index into the profile's /units that this simulation played.
    unit: usize,
    serial: Option<String>,
    verdict: Option<Conformance>,
    error: Option<String>,
    report: Option<PathBuf>,
}

#[derive(Debug, Default, Serialize)]
struct Counts {
    conformant: usize,
    not_conformant: usize,
    inconclusive: usize,
    error: usize,
}

#[derive(Debug, Serialize)]
struct FleetSummary {
    scheme: String,
    device: String,
    units: usize,
    jobs: usize,
    wall_seconds: f64,
    counts: Counts,
    results: Vec<UnitResult>,
}

async fn one_unit(plan: Arc<FleetPlan>, run: usize) -> UnitResult {
    let declared = plan.profile.units.len();
    let unit = if declared == 0 { 0 } else { run % declared };
    let serial = plan.profile.units.get(unit).map(|u| u.serial.clone());
    let dir = plan.out.join("units").join(format!("{run:05}"));
    let result = execute_with(
        RunPlan {
            profile: plan.profile.clone(),
            device: &plan.device,
            scheme: plan.scheme,
            out: &dir,
            probe: &plan.probe,
            previous: plan.previous.clone(),
            features: plan.features.as_deref(),
            unit,
            progress: false,
        },
        plan.attestations.clone(),
    )
    .await;
    match result {
        Ok(out) => UnitResult {
            run,
            unit,
            serial,
            verdict: Some(out.report.verdict),
            error: None,
            report: Some(dir.join("report.json")),
        },
        Err(e) => UnitResult {
            run,
            unit,
            serial,
            verdict: None,
            error: Some(format!("{e:#}")),
            report: None,
        },
    }
}

pub async fn run_fleet(plan: FleetPlan) -> anyhow::Result<Exit> {
    if !plan.device.starts_with("sim:") {
        anyhow::bail!("--units runs many simulated units; it needs a sim:<product> device");
    }
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("cannot create {}", plan.out.display()))?;
    let started = Instant::now();
    let bar = if std::io::stderr().is_terminal() && plan.format == Format::Text {
        let bar = indicatif::ProgressBar::new(plan.units as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} units {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let plan = Arc::new(plan);
    let permits = Arc::new(tokio::sync::Semaphore::new(plan.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for run in 0..plan.units {
        let plan = Arc::clone(&plan);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = permits.acquire_owned().await;
            one_unit(plan, run).await
        });
    }
    let mut results = Vec::with_capacity(plan.units);
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
        bar.set_message(format!(
            "{} conformant, {} not, {} inconclusive, {} errors",
            counts.conformant, counts.not_conformant, counts.inconclusive, counts.error
        ));
        bar.inc(1);
        results.push(r);
    }
    bar.finish();
    results.sort_by_key(|r| r.run);
    let summary = FleetSummary {
        scheme: plan.scheme.name().to_string(),
        device: plan.device.clone(),
        units: plan.units,
        jobs: plan.jobs,
        wall_seconds: started.elapsed().as_secs_f64(),
        counts,
        results,
    };
    let path = plan.out.join("fleet.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&summary)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let c = &summary.counts;
    match plan.format {
        Format::Json => output::print_json(&summary)?,
        Format::Text => println!(
            "{} units of {} against {} in {:.1} s: {} conformant, {} not conformant, {} inconclusive, {} errors\nsummary written to {}",
            summary.units,
            summary.device,
            summary.scheme,
            summary.wall_seconds,
            c.conformant,
            c.not_conformant,
            c.inconclusive,
            c.error,
            path.display()
        ),
    }
    Ok(if c.error > 0 {
        Exit::Usage
    } else if c.not_conformant > 0 {
        Exit::Negative
    } else if c.inconclusive > 0 {
        Exit::Inconclusive
    } else {
        Exit::Success
    })
}
