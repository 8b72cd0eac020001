//! `iotmark run`: declare, select, run, judge, report (crate `iotmark-harness`).

use std::path::Path;

use anyhow::Context;
use iotmark_adapters::profile::Profile;
use iotmark_harness::pipeline::OnScenario;
use iotmark_harness::{execute_with, RunPlan};
use iotmark_steps::attestation::Attestations;
use iotmark_steps::report;
use iotmark_steps::runner::ScenarioResult;
use iotmark_steps::verdict::Conformance;
use iotmark_steps::world::PreviousReport;

use crate::cli::{Format, RunArgs};
use crate::output;
use crate::Exit;

/// Read the support end date and model from an earlier report.
pub fn previous_report(path: &Path) -> anyhow::Result<PreviousReport> {
    let (report, _) = report::read(path)?;
    let support_end = iotmark_labels::parse_date(&report.support_end)
        .with_context(|| format!("{}: /support_end is not a date", path.display()))?;
    Ok(PreviousReport {
        source: path.display().to_string(),
        model: report.product.model,
        support_end,
    })
}

/// A line per scenario on stderr as it finishes.
pub fn print_scenario(r: &ScenarioResult) {
    eprintln!(
        "  {} {:<9} {}",
        output::mark(r.verdict),
        r.meta.test_case,
        r.name
    );
}

pub fn exit_for(verdict: Conformance) -> Exit {
    match verdict {
        Conformance::Conformant => Exit::Success,
        Conformance::NotConformant => Exit::Negative,
        Conformance::Inconclusive => Exit::Inconclusive,
    }
}

/// What an earlier run leaves in its folder.
const RUN_FILES: &[&str] = &[
    "report.json",
    "evidence.jsonl",
    "report.seal",
    "report.html",
    "junit.xml",
    "cucumber.json",
    "fleet.json",
    "units",
];

/// Refuses an output folder that holds an earlier run, or with `force`
/// empties it: a new run must not sit beside an old seal, evidence log or
/// unit report that `report verify` or `issue` would take for its own.
pub fn prepare_out(out: &Path, force: bool) -> anyhow::Result<()> {
    let earlier: Vec<&str> = RUN_FILES
        .iter()
        .copied()
        .filter(|f| out.join(f).exists())
        .collect();
    if earlier.is_empty() {
        return Ok(());
    }
    if !force {
        anyhow::bail!(
            "--out {} holds an earlier run ({}); choose a new folder, or pass --force to empty it first",
            out.display(),
            earlier.join(", ")
        );
    }
    for entry in std::fs::read_dir(out).with_context(|| format!("cannot list {}", out.display()))? {
        let path = entry
            .with_context(|| format!("cannot list {}", out.display()))?
            .path();
        let removed = if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.with_context(|| format!("--force: cannot remove {}", path.display()))?;
    }
    Ok(())
}

pub async fn run(args: RunArgs) -> anyhow::Result<Exit> {
    prepare_out(&args.out, args.force)?;
    let scheme = super::scheme_arg(&args.scheme)?;
    let profile = Profile::load(&args.profile)?;
    let device = match (&args.device, &args.fleet) {
        (Some(d), _) => d.clone(),
        (None, Some(file)) => file.display().to_string(),
        (None, None) => anyhow::bail!("--device or --fleet is needed"),
    };
    let previous = args
        .previous_report
        .as_deref()
        .map(previous_report)
        .transpose()?;
    let text = args.format == Format::Text;
    if text {
        eprintln!(
            "running {} on {} ({} {})",
            scheme.name(),
            device,
            profile.product.manufacturer,
            profile.product.model
        );
    }
    let attestations = match args.attestations.as_deref() {
        Some(path) => Attestations::load(path)?,
        None => Attestations::none(),
    };
    let fleet = match &args.fleet {
        Some(file) => Some(iotmark_harness::fleet::load_fleet(file, &profile)?),
        None if args.units > 1 => Some(iotmark_harness::fleet::sim_units(
            &device, args.units, &profile,
        )?),
        None => None,
    };
    let probe = args.probe.settings();
    if let Some(units) = fleet {
        return super::fleet::run_fleet(
            iotmark_harness::fleet::FleetPlan {
                profile,
                source: device,
                scheme,
                out: args.out.clone(),
                probe,
                previous,
                features: args.features.clone(),
                attestations,
                units,
                jobs: args.jobs,
            },
            args.format,
        )
        .await;
    }
    let on_scenario: Option<OnScenario<'_>> = if text { Some(&print_scenario) } else { None };
    let out = execute_with(
        RunPlan {
            profile,
            device: &device,
            scheme,
            out: &args.out,
            probe: &probe,
            previous,
            features: args.features.as_deref(),
            unit: args.unit,
            on_scenario,
        },
        attestations,
    )
    .await?;
    if let (Some(key), Some(cert)) = (&args.lab_key, &args.lab_cert) {
        let sealed =
            super::report::sign_folder(&args.out, key, cert, args.lab_passphrase_env.as_deref())?;
        if text {
            eprintln!("report signed by {} (kid {})", sealed.lab, sealed.kid);
        }
    }
    let awaiting = report::awaiting_attestation(&out.report);
    if !awaiting.is_empty() {
        eprintln!(
            "{} test case(s) await an assessor attestation: {}",
            awaiting.len(),
            awaiting.join(", ")
        );
    }
    match args.format {
        Format::Json => output::print_json(&out.report)?,
        Format::Text => {
            out!("{}", output::verdict_table(&out.report));
            outln!(
                "report written to {}",
                args.out.join("report.json").display()
            );
        }
    }
    Ok(exit_for(out.report.verdict))
}
