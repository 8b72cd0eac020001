//! JUnit XML for CI tools. One test suite per feature, one test case per
//! scenario. FAIL is a `failure`; INCONCLUSIVE is an `error` (the test could
//! not be carried out), NOT APPLICABLE is `skipped`.

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::Report;
use crate::runner::ScenarioResult;
use crate::verdict::Verdict;

pub fn junit_xml(report: &Report, results: &[ScenarioResult]) -> String {
    let mut junit = quick_junit::Report::new(format!("iotmark {}", report.scheme));
    let mut suites: Vec<TestSuite> = Vec::new();
    for r in results {
        let idx = match suites
            .iter()
            .position(|s| s.name.as_str() == r.feature_path)
        {
            Some(i) => i,
            None => {
                suites.push(TestSuite::new(r.feature_path.clone()));
                suites.len() - 1
            }
        };
        let mut status = match r.verdict {
            Verdict::Pass => TestCaseStatus::success(),
            Verdict::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
            Verdict::Inconclusive => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_type("INCONCLUSIVE");
                s
            }
            Verdict::NotApplicable => {
                let mut s = TestCaseStatus::skipped();
                s.set_type("NOT_APPLICABLE");
                s
            }
        };
        if r.verdict != Verdict::Pass {
            status.set_message(r.reason.clone());
        }
        let mut case = TestCase::new(format!("{} {}", r.meta.test_case, r.name), status);
        case.set_classname(format!("{}.{}", r.feature_path, r.meta.provision));
        case.set_time(r.duration);
        if r.verdict == Verdict::Pass && !r.reason.is_empty() {
            case.set_system_out(r.reason.clone());
        }
        suites[idx].add_test_case(case);
    }
    junit.add_test_suites(suites);
    junit.to_string().unwrap_or_default()
}
