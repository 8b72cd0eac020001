//! `iotmark run`: declare, select, run, judge, report.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use iotmark_adapters::evidence::EvidenceLog;
use iotmark_adapters::probe::ProbeConfig;
use iotmark_adapters::profile::Profile;
use iotmark_steps::attestation::Attestations;
use iotmark_steps::catalogue::Scheme;
use iotmark_steps::report::{self, Report};
use iotmark_steps::runner::{self, ScenarioResult};
use iotmark_steps::verdict::Conformance;
use iotmark_steps::world::{PreviousReport, RunContext};

use crate::cli::{Format, ProbeArgs, RunArgs};
use crate::output;
use crate::Exit;

/// Everything needed to run a scheme once.
pub struct RunPlan<'a> {
    pub profile: Profile,
    pub device: &'a str,
    pub scheme: Scheme,
    pub out: &'a Path,
    pub probe: &'a ProbeArgs,
    pub previous: Option<PreviousReport>,
    pub features: Option<&'a Path>,
    pub unit: usize,
    /// Print a line per scenario on stderr as it finishes.
    pub progress: bool,
}

/// What a run produced.
pub struct RunOutput {
    pub report: Report,
}

fn probe_config(args: &ProbeArgs, device: &str) -> anyhow::Result<ProbeConfig> {
    if !(args.timeout > 0.0 && args.timeout <= 3600.0) {
        anyhow::bail!(
            "--timeout {} must be between 0 and 3600 seconds",
            args.timeout
        );
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let rate = match (args.rate, device.starts_with("net:")) {
        (Some(0), _) => anyhow::bail!("--rate must be at least 1 probe per second"),
        (Some(r), _) => Some(r),
        (None, true) => Some(20),
        (None, false) => None,
    };
    Ok(ProbeConfig {
        timeout,
        connect_timeout: timeout.min(Duration::from_secs(3)),
        rate_per_second: rate,
        resolve: args.resolve.clone(),
        scan_syn: !args.connect_scan,
        ..ProbeConfig::default()
    })
}

/// Read the support end date and model from an earlier report.
pub fn previous_report(path: &Path) -> anyhow::Result<PreviousReport> {
    let (report, _) = report::read(path)?;
    let support_end = iotmark_adapters::profile::parse_date(&report.support_end)
        .with_context(|| format!("{}: /support_end is not a date", path.display()))?;
    Ok(PreviousReport {
        source: path.display().to_string(),
        model: report.product.model,
        support_end,
    })
}

pub async fn execute(plan: RunPlan<'_>) -> anyhow::Result<RunOutput> {
    execute_with(plan, Attestations::none()).await
}

/// [`execute`] with assessor attestations for the test cases that need them.
pub async fn execute_with(
    plan: RunPlan<'_>,
    attestations: Attestations,
) -> anyhow::Result<RunOutput> {
    let catalogue = super::catalogue_arg(plan.features)?;
    let config = probe_config(plan.probe, plan.device)?;
    let settings = report::RunSettings {
        probe_timeout_s: plan.probe.timeout,
        scenario_timeout_s: plan.probe.scenario_timeout.max(1),
        rate_per_second: config.rate_per_second,
        port_scan: if config.scan_syn {
            "syn-where-permitted"
        } else {
            "connect"
        }
        .to_owned(),
        resolve: config.resolve.iter().map(ToString::to_string).collect(),
        capture: plan.probe.capture.as_ref().map(|c| c.display().to_string()),
    };
    std::fs::create_dir_all(plan.out)
        .with_context(|| format!("cannot create output folder {}", plan.out.display()))?;
    let evidence_path = plan.out.join("evidence.jsonl");
    let evidence = EvidenceLog::create(&evidence_path)
        .with_context(|| format!("cannot create {}", evidence_path.display()))?;
    let device = iotmark_adapters::open_device(plan.device, &plan.profile, config, plan.unit)
        .await
        .with_context(|| format!("cannot open device {}", plan.device))?;
    let dictionary = iotmark_steps::dictionary::embedded()?;
    let started = time::OffsetDateTime::now_utc();
    let ctx = Arc::new(RunContext {
        profile: plan.profile,
        device,
        evidence,
        dictionary,
        now: started,
        previous: plan.previous,
        scenario_timeout: Duration::from_secs(plan.probe.scenario_timeout.max(1)),
        attestations,
        unit: plan.unit,
        capture: plan
            .probe
            .capture
            .clone()
            .map(iotmark_steps::capture::CaptureSource::new),
    });
    let show = plan.progress;
    let progress = move |r: &ScenarioResult| {
        if show {
            eprintln!(
                "  {} {:<9} {}",
                output::mark(r.verdict),
                r.meta.test_case,
                r.name
            );
        }
    };
    let results = match runner::run(Arc::clone(&ctx), &catalogue, plan.scheme, &progress).await {
        Ok(r) => r,
        Err(errors) => {
            let list: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
            anyhow::bail!("the declaration is refused:\n{}", list.join("\n"));
        }
    };
    let finished = time::OffsetDateTime::now_utc();
    if let Some(e) = ctx.evidence.write_error() {
        anyhow::bail!("writing {} failed: {e}", evidence_path.display());
    }
    let mut report = report::build(&ctx, plan.scheme, &results, started, finished);
    report.settings = Some(settings);
    report::write_all(plan.out, &report, &results)?;
    Ok(RunOutput { report })
}

pub fn exit_for(verdict: Conformance) -> Exit {
    match verdict {
        Conformance::Conformant => Exit::Success,
        Conformance::NotConformant => Exit::Negative,
        Conformance::Inconclusive => Exit::Inconclusive,
    }
}

pub async fn run(args: RunArgs) -> anyhow::Result<Exit> {
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
        Some(file) => Some(super::fleet::load_fleet(file, &profile)?),
        None if args.units > 1 => Some(super::fleet::sim_units(&device, args.units, &profile)?),
        None => None,
    };
    if let Some(units) = fleet {
        return super::fleet::run_fleet(super::fleet::FleetPlan {
            profile,
            source: device,
            scheme,
            out: args.out.clone(),
            probe: args.probe.clone(),
            previous,
            features: args.features.clone(),
            attestations,
            units,
            jobs: args.jobs,
            format: args.format,
        })
        .await;
    }
    let out = execute_with(
        RunPlan {
            profile,
            device: &device,
            scheme,
            out: &args.out,
            probe: &args.probe,
            previous,
            features: args.features.as_deref(),
            unit: args.unit,
            progress: text,
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
            print!("{}", output::verdict_table(&out.report));
            println!(
                "report written to {}",
                args.out.join("report.json").display()
            );
        }
    }
    Ok(exit_for(out.report.verdict))
}
