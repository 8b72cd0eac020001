//! Runs the scenarios a scheme selects against one device and collects a
//! verdict per scenario.
//!
//! Applicability is decided from the declaration before anything runs. Each
//! scenario's steps run in order through the step registry; a step may pass,
//! fail, find the scenario not applicable, or be unable to decide. A scenario
//! that overruns its time budget is INCONCLUSIVE, and the run moves on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use iotmark_adapters::profile::{Conditions, Support};
use serde::Serialize;

use crate::catalogue::{Catalogue, CatalogueScenario, Scheme, Status};
use crate::defs::Registry;
use crate::verdict::{How, Verdict};
use crate::world::{RunContext, StepError, World};

/// A declaration the run must refuse (exit 2): it contradicts the rules for
/// filling in an ICS.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: {path}: {detail}")]
pub struct DeclarationError {
    pub file: String,
    /// JSON pointer into the profile.
    pub path: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Passed,
    Failed,
    Inconclusive,
    #[serde(rename = "not-applicable")]
    NotApplicable,
    Skipped,
    Undefined,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub status: StepStatus,
    pub duration: Duration,
    pub message: Option<String>,
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub feature_path: String,
    /// SHA-256 (hex) of the feature file's text as parsed for this run.
    pub feature_sha256: String,
    pub feature_name: String,
    pub name: String,
    pub line: usize,
    pub meta: crate::catalogue::ScenarioMeta,
    pub verdict: Verdict,
    pub reason: String,
    pub steps: Vec<StepRecord>,
    /// Sequence numbers of the first and last evidence records it made.
    pub evidence: Option<(u64, u64)>,
    pub duration: Duration,
}

/// Check the ICS against the catalogue: N/A is only allowed for a conditional
/// provision whose condition does not hold (checked for every provision the
/// catalogue knows, whichever scheme runs), and every provision the scheme
/// selects needs an ICS entry.
pub fn check_declaration(
    ctx: &RunContext,
    catalogue: &Catalogue,
    scheme: Scheme,
) -> Result<(), Vec<DeclarationError>> {
    let file = ctx.profile.source.display().to_string();
    let mut errors = Vec::new();
    let selected: Vec<String> = catalogue
        .provisions(scheme)
        .into_iter()
        .map(|p| p.id)
        .collect();
    for entry in catalogue.provisions(Scheme::En303645Full) {
        let path = format!("/ics/{}", entry.id);
        let ics = ctx
            .profile
            .ics
            .iter()
            .find(|(id, _)| id.as_str() == entry.id)
            .map(|(_, e)| e);
        let Some(ics) = ics else {
            if !selected.contains(&entry.id) {
                continue;
            }
            errors.push(DeclarationError {
                file: file.clone(),
                path,
                detail: format!(
                    "the scheme {} includes provision {} but the ICS has no entry for it",
                    scheme.name(),
                    entry.id
                ),
            });
            continue;
        };
        if ics.support == Support::NotApplicable {
            if entry.conditions.is_empty() {
                errors.push(DeclarationError {
                    file: file.clone(),
                    path: format!("{path}/support"),
                    detail: format!(
                        "N/A is declared for {}, which has no condition and so always applies",
                        entry.id
                    ),
                });
            } else if entry
                .conditions
                .iter()
                .all(|n| ctx.profile.conditions.holds(*n))
            {
                let held: Vec<String> = entry
                    .conditions
                    .iter()
                    .map(|n| format!("({n}) {}", Conditions::describe(*n)))
                    .collect();
                errors.push(DeclarationError {
                    file: file.clone(),
                    path: format!("{path}/support"),
                    detail: format!(
                        "N/A is declared for {} but its condition holds according to /conditions: {}",
                        entry.id,
                        held.join(", ")
                    ),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The NOT APPLICABLE reason when a scenario's conditions do not all hold.
fn not_applicable_reason(ctx: &RunContext, s: &CatalogueScenario) -> Option<String> {
    let failing: Vec<u8> = s
        .meta
        .conditions
        .iter()
        .copied()
        .filter(|n| !ctx.profile.conditions.holds(*n))
        .collect();
    if failing.is_empty() {
        return None;
    }
    let conds: Vec<String> = failing
        .iter()
        .map(|n| {
            format!(
                "condition ({n}) \"{}\" does not hold",
                Conditions::describe(*n)
            )
        })
        .collect();
    let rationale = ctx
        .profile
        .ics
        .iter()
        .find(|(id, _)| **id == s.meta.provision)
        .and_then(|(_, e)| e.detail.clone())
        .map(|d| format!("; ICS: {d}"))
        .unwrap_or_default();
    Some(format!("{}{rationale}", conds.join(", ")))
}

/// Run every scenario the scheme selects, calling `progress` after each.
pub async fn run(
    ctx: Arc<RunContext>,
    catalogue: &Catalogue,
    scheme: Scheme,
    progress: &(dyn Fn(&ScenarioResult) + Sync),
) -> Result<Vec<ScenarioResult>, Vec<DeclarationError>> {
    check_declaration(&ctx, catalogue, scheme)?;
    check_attestations(&ctx, catalogue)?;
    let registry = Registry::get();
    let recommended: Arc<Vec<String>> = Arc::new(
        catalogue
            .provisions(Scheme::En303645Full)
            .into_iter()
            .filter(|p| p.status == Status::Recommended)
            .map(|p| p.id)
            .collect(),
    );
    let mut results = Vec::new();
    for s in catalogue.select(scheme) {
        let result = run_scenario(&ctx, catalogue, s, registry, &recommended).await;
        progress(&result);
        results.push(result);
    }
    hold_failed_recommendations_against_4_1(&mut results);
    Ok(results)
}

/// Provision 4-1 asks that every recommendation the product does not meet be
/// justified in the ICS. A recommendation the ICS declares met but whose test
/// fails is not met, and nothing justifies it: 4-1 fails too, so a product
/// cannot pass by claiming recommendations it does not implement.
fn hold_failed_recommendations_against_4_1(results: &mut [ScenarioResult]) {
    let failed: Vec<String> = results
        .iter()
        .filter(|r| r.meta.status == Status::Recommended && r.verdict == Verdict::Fail)
        .map(|r| format!("{} ({})", r.meta.provision.as_str(), r.meta.test_case))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if failed.is_empty() {
        return;
    }
    let gap = format!(
        "recommendation(s) declared met in the ICS failed their tests: {}; a recommendation \
         not met needs a written justification",
        failed.join(", ")
    );
    for r in results
        .iter_mut()
        .filter(|r| r.meta.provision.as_str() == "4-1")
    {
        match r.verdict {
            Verdict::Pass => {
                r.verdict = Verdict::Fail;
                r.reason = gap.clone();
            }
            Verdict::Fail => r.reason = format!("{}; {gap}", r.reason),
            Verdict::NotApplicable | Verdict::Inconclusive => {}
        }
    }
}

/// The attestation file must fit the catalogue and the product (exit 2 if not).
fn check_attestations(
    ctx: &RunContext,
    catalogue: &Catalogue,
) -> Result<(), Vec<DeclarationError>> {
    ctx.attestations
        .check(catalogue, &ctx.profile, ctx.today())
        .map_err(|e| {
            let file = ctx
                .attestations
                .source
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if e.issues().is_empty() {
                vec![DeclarationError {
                    file,
                    path: "/".into(),
                    detail: e.to_string(),
                }]
            } else {
                e.issues()
                    .iter()
                    .map(|i| DeclarationError {
                        file: file.clone(),
                        path: i.path.clone(),
                        detail: i.message.clone(),
                    })
                    .collect()
            }
        })
}

async fn run_scenario(
    ctx: &Arc<RunContext>,
    catalogue: &Catalogue,
    s: &CatalogueScenario,
    registry: &Registry,
    recommended: &Arc<Vec<String>>,
) -> ScenarioResult {
    let feature = catalogue.feature_of(s);
    let started = Instant::now();
    let mut result = ScenarioResult {
        feature_path: feature.path.clone(),
        feature_sha256: feature.sha256.clone(),
        feature_name: feature.feature.name.clone(),
        name: s.scenario.name.clone(),
        line: s.scenario.position.line,
        meta: s.meta.clone(),
        verdict: Verdict::Pass,
        reason: String::new(),
        steps: Vec::new(),
        evidence: None,
        duration: Duration::ZERO,
    };
    let all_steps: Vec<&gherkin::Step> = feature
        .feature
        .background
        .iter()
        .flat_map(|b| b.steps.iter())
        .chain(s.scenario.steps.iter())
        .collect();
    let skipped = |status: StepStatus, message: Option<String>| {
        all_steps
            .iter()
            .map(|st| StepRecord {
                keyword: st.keyword.trim().to_string(),
                text: st.value.clone(),
                line: st.position.line,
                status,
                duration: Duration::ZERO,
                message: message.clone(),
            })
            .collect::<Vec<_>>()
    };

    if let Some(reason) = not_applicable_reason(ctx, s) {
        result.verdict = Verdict::NotApplicable;
        result.steps = skipped(StepStatus::Skipped, None);
        result.reason = reason;
        return result;
    }
    let ics = ctx
        .profile
        .ics
        .iter()
        .find(|(id, _)| **id == s.meta.provision)
        .map(|(_, e)| e);
    if s.meta.kind.reads_design() {
        if let Some(e) = ics.filter(|e| e.support == Support::No) {
            result.verdict = Verdict::Fail;
            result.steps = skipped(StepStatus::Skipped, None);
            result.reason = format!(
                "the manufacturer declares provision {} is not met (ICS: N){}",
                s.meta.provision,
                e.detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            );
            return result;
        }
    }

    if s.meta.how == How::Assessor {
        // The steps of an assessor scenario describe what a person checks; no
        // code runs them. The verdict is the attested one, or none at all.
        match ctx.attestations.get(&s.meta.test_case) {
            Some(a) => {
                let verdict = Verdict::from(a.verdict);
                result.verdict = verdict;
                result.reason = a.reason();
                result.steps = skipped(
                    if verdict == Verdict::Pass {
                        StepStatus::Passed
                    } else {
                        StepStatus::Failed
                    },
                    Some(result.reason.clone()),
                );
            }
            None => {
                result.verdict = Verdict::Inconclusive;
                result.reason = format!(
                    "no assessor attestation for test case {}: a person must judge it (give one with --attestations)",
                    s.meta.test_case
                );
                result.steps = skipped(StepStatus::Inconclusive, Some(result.reason.clone()));
            }
        }
        result.duration = started.elapsed();
        return result;
    }

    let context = format!("{} line {}", s.meta.test_case, result.line);
    let ev = ctx.evidence.scope(&context);
    let first_seq = ctx.evidence.len();
    let mut world = World::new(Arc::clone(ctx), ev);
    world.recommended = Arc::clone(recommended);
    let deadline = started + ctx.scenario_timeout;
    let mut outcome: Option<StepError> = None;
    for st in &all_steps {
        let mut rec = StepRecord {
            keyword: st.keyword.trim().to_string(),
            text: st.value.clone(),
            line: st.position.line,
            status: StepStatus::Skipped,
            duration: Duration::ZERO,
            message: None,
        };
        if outcome.is_some() {
            result.steps.push(rec);
            continue;
        }
        let step_started = Instant::now();
        let Some((def, captures)) = registry.find(&st.value) else {
            rec.status = StepStatus::Undefined;
            let msg = format!("no step definition matches {:?}", st.value);
            rec.message = Some(msg.clone());
            outcome = Some(StepError::Inconclusive(msg));
            result.steps.push(rec);
            continue;
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let res = match tokio::time::timeout(remaining, (def.run)(&mut world, captures)).await {
            Ok(r) => r,
            Err(_) => Err(StepError::Inconclusive(format!(
                "the scenario did not finish within its {} s budget",
                ctx.scenario_timeout.as_secs()
            ))),
        };
        rec.duration = step_started.elapsed();
        match res {
            Ok(()) => rec.status = StepStatus::Passed,
            Err(e) => {
                let (status, msg) = match &e {
                    StepError::Fail(m) => (StepStatus::Failed, m.clone()),
                    StepError::Inconclusive(m) => (StepStatus::Inconclusive, m.clone()),
                    StepError::NotApplicable(m) => (StepStatus::NotApplicable, m.clone()),
                };
                rec.status = status;
                rec.message = Some(msg);
                outcome = Some(e);
            }
        }
        result.steps.push(rec);
    }
    let last_seq = ctx.evidence.len();
    if last_seq > first_seq {
        result.evidence = Some((first_seq, last_seq - 1));
    }
    let (verdict, reason) = match outcome {
        None => (Verdict::Pass, world.notes.join("; ")),
        Some(StepError::Fail(m)) => (Verdict::Fail, m),
        Some(StepError::Inconclusive(m)) => (Verdict::Inconclusive, m),
        Some(StepError::NotApplicable(m)) => (Verdict::NotApplicable, m),
    };
    result.verdict = verdict;
    result.reason = reason;
    result.duration = started.elapsed();
    result
}
