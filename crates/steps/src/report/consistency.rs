//! Does a report add up? Every verdict in `report.json` is recomputed from
//! the verdicts below it and the scheme's rules, so a hand-edited overall
//! verdict (or a provision, or a summary count) cannot carry a label.
//!
//! The rules are those [`super::build`] applies: a test case combines its
//! scenarios, a provision its test cases, a PSTI requirement the test cases
//! of its provisions, and the overall verdict the test cases of the
//! mandatory provisions. The scheme's own catalogue decides which provisions
//! are mandatory and which test cases must be there: a run from edited
//! feature files cannot make a mandatory provision recommended or leave one
//! of its test cases out.

use std::collections::BTreeMap;

use crate::catalogue::{Catalogue, Scheme, Status};
use crate::verdict::{Conformance, Verdict};

use super::{Report, Summary};

/// Every way `report` disagrees with its own parts and its scheme, one
/// sentence each naming the part. Empty when everything adds up.
pub fn mismatches(report: &Report, catalogue: &Catalogue) -> Vec<String> {
    let mut out = Vec::new();
    let Some(scheme) = Scheme::parse(&report.scheme) else {
        out.push(format!(
            "/scheme: {:?} is not a scheme iotmark knows",
            report.scheme
        ));
        return out;
    };
    let required: BTreeMap<String, (Status, Vec<String>)> = catalogue
        .provisions(scheme)
        .into_iter()
        .map(|p| {
            let cases = p.test_cases.into_iter().map(|t| t.id).collect();
            (p.id, (p.status, cases))
        })
        .collect();

    let mut summary = Summary::default();
    let mut mandatory = Vec::new();
    for (i, p) in report.provisions.iter().enumerate() {
        let at = format!("/provisions/{i} ({})", p.id);
        match required.get(&p.id) {
            None => out.push(format!("{at}: not a provision of {}", scheme.name())),
            Some((status, _)) if status.as_str() != p.status => out.push(format!(
                "{at}/status: says {}, but {} makes it {}",
                p.status,
                scheme.name(),
                status.as_str()
            )),
            Some(_) => {}
        }
        for (j, t) in p.test_cases.iter().enumerate() {
            let recomputed = Verdict::combine(t.scenarios.iter().map(|s| s.verdict));
            if t.scenarios.is_empty() {
                out.push(format!(
                    "{at}/test_cases/{j} ({}): has no scenarios to take a verdict from",
                    t.id
                ));
            } else if recomputed != t.verdict {
                out.push(format!(
                    "{at}/test_cases/{j} ({}): says {}, but its scenarios give {recomputed}",
                    t.id, t.verdict
                ));
            }
            match recomputed {
                Verdict::Pass => summary.pass += 1,
                Verdict::Fail => summary.fail += 1,
                Verdict::NotApplicable => summary.not_applicable += 1,
                Verdict::Inconclusive => summary.inconclusive += 1,
            }
            // The scheme's status, not the report's, decides what counts.
            let is_mandatory = required
                .get(&p.id)
                .map_or(p.status == "mandatory", |(s, _)| *s == Status::Mandatory);
            if is_mandatory {
                mandatory.push(recomputed);
            }
        }
        let recomputed = Verdict::combine(
            p.test_cases
                .iter()
                .map(|t| Verdict::combine(t.scenarios.iter().map(|s| s.verdict))),
        );
        if recomputed != p.verdict {
            out.push(format!(
                "{at}/verdict: says {}, but its test cases give {recomputed}",
                p.verdict
            ));
        }
    }
    for (id, (status, cases)) in &required {
        if *status != Status::Mandatory {
            continue;
        }
        let reported = report.provisions.iter().find(|p| &p.id == id);
        for case in cases {
            if !reported.is_some_and(|p| p.test_cases.iter().any(|t| &t.id == case)) {
                out.push(format!(
                    "test case {case} of mandatory provision {id} ({}) is missing from the report",
                    scheme.name()
                ));
            }
        }
    }
    for (i, r) in report.requirements.iter().enumerate() {
        let recomputed = Verdict::combine(
            report
                .provisions
                .iter()
                .filter(|p| r.provisions.contains(&p.id))
                .flat_map(|p| p.test_cases.iter())
                .map(|t| Verdict::combine(t.scenarios.iter().map(|s| s.verdict))),
        );
        if recomputed != r.verdict {
            out.push(format!(
                "/requirements/{i} ({}): says {}, but its provisions' test cases give {recomputed}",
                r.id, r.verdict
            ));
        }
    }
    let s = &report.summary;
    if (s.pass, s.fail, s.not_applicable, s.inconclusive)
        != (
            summary.pass,
            summary.fail,
            summary.not_applicable,
            summary.inconclusive,
        )
    {
        out.push(format!(
            "/summary: counts {} pass, {} fail, {} not applicable, {} inconclusive; the test cases give {}, {}, {}, {}",
            s.pass,
            s.fail,
            s.not_applicable,
            s.inconclusive,
            summary.pass,
            summary.fail,
            summary.not_applicable,
            summary.inconclusive
        ));
    }
    let overall = Conformance::from_verdicts(mandatory);
    if overall != report.verdict {
        out.push(format!(
            "/verdict: says {}, but the mandatory test cases give {}",
            report.verdict.as_str(),
            overall.as_str()
        ));
    }
    out
}
