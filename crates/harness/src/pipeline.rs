//! One run: open the device, run the scheme's scenarios against it, judge,
//! and write the report folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use iotmark_adapters::evidence::EvidenceLog;
use iotmark_adapters::probe::ProbeConfig;
use iotmark_adapters::profile::Profile;
use iotmark_steps::attestation::Attestations;
use iotmark_steps::catalogue::Catalogue;
use iotmark_steps::catalogue::Scheme;
use iotmark_steps::report::{self, Report};
use iotmark_steps::runner::{self, ScenarioResult};
use iotmark_steps::world::{PreviousReport, RunContext};

/// How probes behave during a run (the `run` command's probe flags).
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// Seconds a single probe may take before it is INCONCLUSIVE.
    pub timeout: f64,
    /// Seconds a whole scenario may take before it is INCONCLUSIVE.
    pub scenario_timeout: u64,
    /// Most probes per second (default: unlimited for sim:, 20 for net:).
    pub rate: Option<u32>,
    /// A packet capture of the device's upstream traffic.
    pub capture: Option<PathBuf>,
    /// Host names connected to at a fixed address instead of looked up.
    pub resolve: Vec<iotmark_adapters::probe::HostOverride>,
    /// Scan ports with full connects even where a SYN scan is possible.
    pub connect_scan: bool,
    /// The default-credential dictionary the login sweeps use.
    pub dictionary: iotmark_steps::dictionary::DictionaryChoice,
}

/// Called with each scenario's result as it finishes.
pub type OnScenario<'a> = &'a (dyn Fn(&ScenarioResult) + Send + Sync);

/// Everything needed to run a scheme once.
#[allow(missing_debug_implementations)]
pub struct RunPlan<'a> {
    pub profile: Profile,
    pub device: &'a str,
    pub scheme: Scheme,
    pub out: &'a Path,
    pub probe: &'a ProbeSettings,
    pub previous: Option<PreviousReport>,
    pub features: Option<&'a Path>,
    pub unit: usize,
    /// Told about each scenario as it finishes.
    pub on_scenario: Option<OnScenario<'a>>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutput {
    pub report: Report,
}

/// The catalogue: built in, or from a folder of feature files.
pub fn catalogue(dir: Option<&Path>) -> anyhow::Result<Catalogue> {
    Ok(match dir {
        Some(d) => Catalogue::from_dir(d)?,
        None => Catalogue::embedded()?,
    })
}

fn probe_config(args: &ProbeSettings, device: &str) -> anyhow::Result<ProbeConfig> {
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
    let catalogue = catalogue(plan.features)?;
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
    let device = crate::open_device(plan.device, &plan.profile, config, plan.unit)
        .await
        .with_context(|| format!("cannot open device {}", plan.device))?;
    let dictionary = iotmark_steps::dictionary::Dictionary::embedded(plan.probe.dictionary)?;
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
    let on_scenario = plan.on_scenario;
    let progress = move |r: &ScenarioResult| {
        if let Some(tell) = on_scenario {
            tell(r);
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
