//! Provision 4-1: the Implementation Conformance Statement justifies every
//! recommendation the product does not implement.

use iotmark_adapters::profile::Support;

use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

/// A justification shorter than this many words says nothing ("n/a", "not needed").
const MIN_JUSTIFICATION_WORDS: usize = 4;

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the manufacturer's implementation conformance statement",
            statement
        ),
        step!(
            r"every recommended provision has an entry in it",
            every_recommendation_declared
        ),
        step!(
            r"every recommended provision declared not applicable or not met carries a written justification",
            every_gap_justified
        ),
    ]
}

async fn statement(w: &mut World, _: Vec<String>) -> StepResult {
    let n = w.profile().ics.len();
    w.note(format!("{n} ICS entries"));
    Ok(())
}

async fn every_recommendation_declared(w: &mut World, _: Vec<String>) -> StepResult {
    if w.recommended.is_empty() {
        return Err(StepError::Inconclusive(
            "the catalogue lists no recommended provisions to check the ICS against".into(),
        ));
    }
    let missing: Vec<String> = w
        .recommended
        .iter()
        .filter(|id| !w.profile().ics.keys().any(|k| k.as_str() == id.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(StepError::Fail(format!(
            "the ICS says nothing about recommendation(s) {}: whether each is met, or why not, must be declared in /ics",
            missing.join(", ")
        )));
    }
    w.note(format!(
        "all {} recommendations are declared",
        w.recommended.len()
    ));
    Ok(())
}

async fn every_gap_justified(w: &mut World, _: Vec<String>) -> StepResult {
    let mut unjustified = Vec::new();
    let mut gaps = 0;
    for id in w.recommended.iter() {
        let Some((_, e)) = w.profile().ics.iter().find(|(k, _)| k.as_str() == id) else {
            continue;
        };
        if e.support == Support::Yes {
            continue;
        }
        gaps += 1;
        let words = e
            .detail
            .as_deref()
            .map(|d| d.split_whitespace().count())
            .unwrap_or(0);
        if words < MIN_JUSTIFICATION_WORDS {
            let what = if e.support == Support::No {
                "not met"
            } else {
                "not applicable"
            };
            unjustified.push(format!("/ics/{id} ({what})"));
        }
    }
    if !unjustified.is_empty() {
        return Err(StepError::Fail(format!(
            "no written justification (at least {MIN_JUSTIFICATION_WORDS} words) for {}",
            unjustified.join(", ")
        )));
    }
    w.note(format!(
        "{gaps} recommendation(s) declared not applicable or not met, each justified"
    ));
    Ok(())
}
