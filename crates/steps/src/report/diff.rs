//! Comparing two reports of the same product (a re-test after a firmware
//! update, a new batch): which test cases changed verdict, whether the overall
//! result moved, and whether the support period was shortened — which PSTI
//! forbids once published.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Report;
use crate::catalogue::provision_order;
use crate::verdict::{Conformance, Verdict};

/// How a test case moved between the runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Worse: towards FAIL (PASS or N/A to INCONCLUSIVE or FAIL, INCONCLUSIVE to FAIL).
    Regressed,
    /// Better: away from FAIL.
    Improved,
    /// Different, neither better nor worse (PASS and NOT_APPLICABLE swapped).
    Changed,
    /// Only in the new run.
    Added,
    /// Only in the old run.
    Removed,
}

/// One test case whose verdict differs.
#[derive(Debug, Clone, Serialize)]
pub struct CaseChange {
    pub id: String,
    pub provision: String,
    pub change: Change,
    pub old: Option<Verdict>,
    pub new: Option<Verdict>,
    /// The new run's reason (or the old one's, for a removed case).
    pub reason: String,
}

/// The support period end dates of both runs.
#[derive(Debug, Clone, Serialize)]
pub struct SupportChange {
    pub old_end: String,
    pub new_end: String,
    /// The new end date is earlier than the old one.
    pub shortened: bool,
}

/// What identifies a run, for the header of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct RunRef {
    pub scheme: String,
    pub manufacturer: String,
    pub model: String,
    pub firmware: String,
    pub batch: Option<String>,
    pub finished: String,
    pub verdict: Conformance,
}

impl RunRef {
    fn of(r: &Report) -> RunRef {
        RunRef {
            scheme: r.scheme.clone(),
            manufacturer: r.product.manufacturer.clone(),
            model: r.product.model.clone(),
            firmware: r.product.firmware.clone(),
            batch: r.product.batch.clone(),
            finished: r.finished.clone(),
            verdict: r.verdict,
        }
    }
}

/// The comparison.
#[derive(Debug, Clone, Serialize)]
pub struct ReportDiff {
    pub old: RunRef,
    pub new: RunRef,
    /// Warnings about comparing unlike runs (another model, another scheme).
    pub warnings: Vec<String>,
    pub verdict_changed: bool,
    pub changes: Vec<CaseChange>,
    pub unchanged: usize,
    pub support: SupportChange,
    pub regressions: usize,
}

impl ReportDiff {
    /// A re-test that should worry the lab or the manufacturer: a test case
    /// got worse, the overall result got worse, or the support period shrank.
    pub fn is_worse(&self) -> bool {
        self.regressions > 0
            || self.support.shortened
            || conformance_rank(self.new.verdict) < conformance_rank(self.old.verdict)
    }
}

fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Fail => 0,
        Verdict::Inconclusive => 1,
        Verdict::Pass | Verdict::NotApplicable => 2,
    }
}

fn conformance_rank(c: Conformance) -> u8 {
    match c {
        Conformance::NotConformant => 0,
        Conformance::Inconclusive => 1,
        Conformance::Conformant => 2,
    }
}

fn cases(r: &Report) -> BTreeMap<String, (String, Verdict, String)> {
    r.provisions
        .iter()
        .flat_map(|p| {
            p.test_cases
                .iter()
                .map(|t| (t.id.clone(), (p.id.clone(), t.verdict, t.reason.clone())))
        })
        .collect()
}

/// Compare `old` with `new`.
pub fn diff(old: &Report, new: &Report) -> ReportDiff {
    let mut warnings = Vec::new();
    if old.product.model != new.product.model
        || old.product.manufacturer != new.product.manufacturer
    {
        warnings.push(format!(
            "different products: {} {} and {} {}",
            old.product.manufacturer,
            old.product.model,
            new.product.manufacturer,
            new.product.model
        ));
    }
    if old.scheme != new.scheme {
        warnings.push(format!(
            "different schemes: {} and {}; test cases outside both are added or removed",
            old.scheme, new.scheme
        ));
    }
    let before = cases(old);
    let after = cases(new);
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for (id, (prov, nv, reason)) in &after {
        match before.get(id) {
            Some((_, ov, _)) if ov == nv => unchanged += 1,
            Some((_, ov, _)) => {
                let change = match rank(*nv).cmp(&rank(*ov)) {
                    std::cmp::Ordering::Less => Change::Regressed,
                    std::cmp::Ordering::Greater => Change::Improved,
                    std::cmp::Ordering::Equal => Change::Changed,
                };
                changes.push(CaseChange {
                    id: id.clone(),
                    provision: prov.clone(),
                    change,
                    old: Some(*ov),
                    new: Some(*nv),
                    reason: reason.clone(),
                });
            }
            None => changes.push(CaseChange {
                id: id.clone(),
                provision: prov.clone(),
                change: Change::Added,
                old: None,
                new: Some(*nv),
                reason: reason.clone(),
            }),
        }
    }
    for (id, (prov, ov, reason)) in &before {
        if !after.contains_key(id) {
            changes.push(CaseChange {
                id: id.clone(),
                provision: prov.clone(),
                change: Change::Removed,
                old: Some(*ov),
                new: None,
                reason: reason.clone(),
            });
        }
    }
    changes.sort_by(|a, b| {
        provision_order(&a.provision)
            .cmp(&provision_order(&b.provision))
            .then_with(|| a.id.cmp(&b.id))
    });
    let parse = iotmark_adapters::profile::parse_date;
    let shortened = match (parse(&old.support_end), parse(&new.support_end)) {
        (Some(o), Some(n)) => n < o,
        _ => false,
    };
    let regressions = changes
        .iter()
        .filter(|c| c.change == Change::Regressed)
        .count();
    ReportDiff {
        old: RunRef::of(old),
        new: RunRef::of(new),
        warnings,
        verdict_changed: old.verdict != new.verdict,
        changes,
        unchanged,
        support: SupportChange {
            old_end: old.support_end.clone(),
            new_end: new.support_end.clone(),
            shortened,
        },
        regressions,
    }
}

/// The comparison as text for a terminal.
pub fn diff_text(d: &ReportDiff) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let run = |r: &RunRef| {
        format!(
            "{} {} firmware {}{} ({}, {}, {})",
            r.manufacturer,
            r.model,
            r.firmware,
            r.batch
                .as_deref()
                .map(|b| format!(" batch {b}"))
                .unwrap_or_default(),
            r.scheme,
            r.finished,
            r.verdict.as_str()
        )
    };
    let _ = writeln!(out, "old: {}", run(&d.old));
    let _ = writeln!(out, "new: {}", run(&d.new));
    for w in &d.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    if d.verdict_changed {
        let _ = writeln!(
            out,
            "overall result: {} -> {}",
            d.old.verdict.as_str(),
            d.new.verdict.as_str()
        );
    }
    if d.changes.is_empty() {
        let _ = writeln!(
            out,
            "no test case changed verdict ({} compared)",
            d.unchanged
        );
    } else {
        let _ = writeln!(
            out,
            "{} test case(s) changed verdict, {} unchanged:",
            d.changes.len(),
            d.unchanged
        );
        for c in &d.changes {
            let v = |v: Option<Verdict>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
            let word = match c.change {
                Change::Regressed => "REGRESSED",
                Change::Improved => "improved",
                Change::Changed => "changed",
                Change::Added => "added",
                Change::Removed => "removed",
            };
            let _ = writeln!(
                out,
                "  {:<10} {:<9} {} -> {}  {}",
                c.id,
                word,
                v(c.old),
                v(c.new),
                c.reason
            );
        }
    }
    if d.support.shortened {
        let _ = writeln!(
            out,
            "SUPPORT PERIOD SHORTENED: {} -> {} (a published support period must not be shortened)",
            d.support.old_end, d.support.new_end
        );
    } else if d.support.old_end != d.support.new_end {
        let _ = writeln!(
            out,
            "support period extended: {} -> {}",
            d.support.old_end, d.support.new_end
        );
    }
    out
}
