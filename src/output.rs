//! Printing for people (text) and programs (JSON on stdout).

use iotmark_steps::report::Report;
use iotmark_steps::verdict::Verdict;

/// The verdict table of a report, one line per test case.
pub fn verdict_table(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} {} (firmware {}) against {}: {}\n",
        report.product.manufacturer,
        report.product.model,
        report.product.firmware,
        report.scheme,
        report.verdict.as_str().to_uppercase()
    ));
    for r in &report.requirements {
        out.push_str(&format!(
            "  {:<7} {:<15} {}\n",
            r.id,
            r.verdict.as_str(),
            r.title
        ));
    }
    out.push_str(&format!(
        "  {:<10} {:<11} {:<9} {:<15} reason\n",
        "test case", "kind", "how", "verdict"
    ));
    for p in &report.provisions {
        for t in &p.test_cases {
            let reason: String = t.reason.chars().take(110).collect();
            out.push_str(&format!(
                "  {:<10} {:<11} {:<9} {:<15} {}\n",
                t.id,
                t.kind,
                format!("{:?}", t.how).to_lowercase(),
                t.verdict.as_str(),
                reason
            ));
        }
    }
    out.push_str(&format!(
        "  {} pass, {} fail, {} not applicable, {} inconclusive\n",
        report.summary.pass,
        report.summary.fail,
        report.summary.not_applicable,
        report.summary.inconclusive
    ));
    out
}

/// The short marker used in progress lines.
pub fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::NotApplicable => "N/A ",
        Verdict::Inconclusive => "INC ",
    }
}

/// Print a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
