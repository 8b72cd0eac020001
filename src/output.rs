//! Printing for people (text) and programs (JSON on stdout).
//!
//! Everything on stdout goes through [`write_out`] (`outln!`, `out!`) or
//! [`QuietStdout`]: `iotmark verify … | head -1` closes the pipe early, and
//! that must end the output quietly, not panic as `println!` does.

/// `println!` that never panics on a closed stdout.
macro_rules! outln {
    () => {
        $crate::output::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that never panics on a closed stdout.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_out(format_args!($($arg)*))
    };
}

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
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Set once stdout is found closed (its reader, say `head -1`, went away).
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// What [`write_out`] does with a write error: a closed pipe silences the
/// rest of the output, and the command ends as it would have (its exit code
/// says what it concluded); any other error is reported once on stderr.
fn stdout_failed(e: &std::io::Error) {
    use std::sync::atomic::Ordering;
    if !STDOUT_CLOSED.swap(true, Ordering::Relaxed) && e.kind() != std::io::ErrorKind::BrokenPipe {
        eprintln!("warning: cannot write to standard output: {e}");
    }
}

/// Writes to stdout without panicking when it is closed: what `outln!` and
/// `out!` (our `println!` and `print!`) call.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        stdout_failed(&e);
    }
}

/// Stdout as a `Write` that swallows a closed pipe like [`write_out`], for
/// commands that stream through a `BufWriter`.
#[derive(Debug, Default)]
pub struct QuietStdout;

impl std::io::Write for QuietStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use std::sync::atomic::Ordering;
        if STDOUT_CLOSED.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        match std::io::stdout().lock().write_all(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                stdout_failed(&e);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Err(e) = std::io::stdout().lock().flush() {
            stdout_failed(&e);
        }
        Ok(())
    }
}
