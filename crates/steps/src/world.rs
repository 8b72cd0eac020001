//! The World: what one scenario knows while its steps run.

use std::sync::Arc;
use std::time::Duration;

use iotmark_adapters::device::{Device, LoginTarget, WebPage};
use iotmark_adapters::evidence::{Evidence, EvidenceLog};
use iotmark_adapters::profile::Profile;

use crate::analysis::text::FoundDate;
use crate::attestation::Attestations;
use crate::dictionary::Dictionary;

/// An earlier assessment of the same model, for the "never shortened" check.
#[derive(Debug, Clone)]
pub struct PreviousReport {
    /// Where it was read from.
    pub source: String,
    pub model: String,
    pub support_end: time::Date,
}

/// Everything a run shares between scenarios.
#[derive(Debug)]
pub struct RunContext {
    pub profile: Profile,
    pub device: Arc<dyn Device>,
    pub evidence: Arc<EvidenceLog>,
    pub dictionary: Dictionary,
    /// The run's clock: "today" for dates that must not have passed.
    pub now: time::OffsetDateTime,
    pub previous: Option<PreviousReport>,
    /// Longest a scenario may take before it is INCONCLUSIVE.
    pub scenario_timeout: Duration,
    /// Assessors' verdicts for the test cases that need human judgement.
    pub attestations: Attestations,
    /// Which of the profile's declared units (index into /units) is under test.
    pub unit: usize,
    /// A capture of the device's upstream traffic (`--capture`): the cloud
    /// test cases judge it instead of observing the device live.
    pub capture: Option<crate::capture::CaptureSource>,
}

impl RunContext {
    pub fn today(&self) -> time::Date {
        self.now.date()
    }
}

/// Why a step did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The product or declaration does not meet the requirement.
    Fail(String),
    /// What was needed to decide could not be obtained.
    Inconclusive(String),
    /// The step found the scenario does not apply (e.g. no earlier report).
    NotApplicable(String),
}

pub type StepResult = Result<(), StepError>;

/// Outcome of a dictionary sweep over the login interfaces.
#[derive(Debug, Clone, Default)]
pub struct SweepOutcome {
    pub attempts: usize,
    /// (interface description, username, masked password, dictionary source and row)
    pub accepted: Vec<String>,
    /// Interfaces that could not be swept, or not completely, with why.
    pub unfinished: Vec<String>,
    pub power_cycles: usize,
    /// What happened on each interface swept.
    pub interfaces: Vec<InterfaceSweep>,
    /// The dictionary used: its name and size.
    pub dictionary: String,
}

/// One interface's part in a sweep, for the coverage table in the reason.
#[derive(Debug, Clone, Default)]
pub struct InterfaceSweep {
    pub interface: String,
    /// The login kind (`telnet`, `http-basic`…).
    pub kind: String,
    /// Dictionary entries this interface was given.
    pub entries: usize,
    pub attempts: usize,
    /// The judge's references, or why it could not be calibrated.
    pub calibration: String,
    /// Both references were taken (declared credential accepted, a wrong
    /// password refused, told apart).
    pub calibrated: bool,
    pub accepted: usize,
    pub unjudged: usize,
}

impl std::fmt::Display for InterfaceSweep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {} of {} entries tried, {} accepted, {} not judged; calibration: {}",
            self.interface,
            self.kind,
            self.attempts,
            self.entries,
            self.accepted,
            self.unjudged,
            self.calibration
        )
    }
}

/// Per-scenario state.
#[derive(Debug)]
pub struct World {
    pub ctx: Arc<RunContext>,
    /// Evidence handle scoped to this scenario.
    pub ev: Evidence,
    pub targets: Vec<LoginTarget>,
    /// Enabled interfaces that authenticate but cannot be swept, with why.
    pub unswept: Vec<String>,
    pub sweep: Option<SweepOutcome>,
    /// The last page fetched, and what it was.
    pub page: Option<(String, WebPage)>,
    pub dates: Vec<FoundDate>,
    /// What passing steps observed, for the PASS reason.
    pub notes: Vec<String>,
    /// The recommended provisions of the catalogue (for 4-1).
    pub recommended: Arc<Vec<String>>,
}

impl World {
    pub fn new(ctx: Arc<RunContext>, ev: Evidence) -> World {
        World {
            ctx,
            ev,
            targets: Vec::new(),
            unswept: Vec::new(),
            sweep: None,
            page: None,
            dates: Vec::new(),
            notes: Vec::new(),
            recommended: Arc::new(Vec::new()),
        }
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    pub fn profile(&self) -> &Profile {
        &self.ctx.profile
    }
}
