//! Devices that fight back: the hostile simulated products through the UK
//! PSTI suite, end to end. Each run must end within a bound, keep the
//! harness's memory bounded, and leave every test case that needed an answer
//! from the device INCONCLUSIVE (with a reason), never PASS, while the test
//! cases that only read the declaration still PASS.
//!
//! Peak memory is the child's `VmHWM` (the kernel's resident-set high-water
//! mark) read from `/proc/<pid>/status` every 10 ms while it runs: the value
//! only grows, so the last reading before exit is the peak up to 10 ms before
//! the end. (`getrusage(RUSAGE_CHILDREN)` would need `unsafe`, which the
//! workspace forbids.)

// Test code: a panic is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod util;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use util::{bin, case_verdicts, profile};

/// Test cases decided by probing the device (login attempts, website pages).
const PROBED: [&str; 4] = ["5.1-1-2", "5.1-2-2", "5.2-1-2", "5.3-13-2"];
/// Test cases decided from the declaration (IXIT) alone.
const DECLARED: [&str; 4] = ["5.1-1-1", "5.1-2-1", "5.2-1-1", "5.3-13-1"];
/// Wall-time bound for one run with `--timeout 0.5`.
const WALL_BOUND: Duration = Duration::from_secs(60);
/// Peak resident memory bound for the harness.
const RSS_BOUND_KB: u64 = 100 * 1024;

struct Measured {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    peak_rss_kb: u64,
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `iotmark run` on `sim:<product>` (as `util::run_psti` does), measuring
/// wall time and peak RSS.
fn run_measured(product: &str, out: &std::path::Path) -> Measured {
    let started = Instant::now();
    let mut child = Command::new(bin())
        .args(["run", "--profile"])
        .arg(profile(product))
        .args(["--device", &format!("sim:{product}")])
        .args(["--scheme", "uk-psti", "--out"])
        .arg(out)
        .args(["--format", "json", "--timeout", "0.5"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the iotmark binary runs");
    let pid = child.id();
    let mut stdout_pipe = child.stdout.take().expect("stdout piped");
    let mut stderr_pipe = child.stderr.take().expect("stderr piped");
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout_pipe.read_to_string(&mut s);
        s
    });
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = vm_hwm_kb(pid) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if started.elapsed() > WALL_BOUND * 2 {
            let _ = child.kill();
            break child.wait().expect("wait for the killed child");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Measured {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        elapsed: started.elapsed(),
        peak_rss_kb: peak,
    }
}

fn assert_fights_back_inconclusive(product: &str, reason_hint: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run_measured(product, dir.path());
    eprintln!(
        "{product}: exit {} in {:.2} s, peak RSS {} KiB",
        run.code,
        run.elapsed.as_secs_f64(),
        run.peak_rss_kb
    );
    assert!(
        run.elapsed < WALL_BOUND,
        "{product}: took {:?}\n{}",
        run.elapsed,
        run.stderr
    );
    assert!(run.peak_rss_kb > 0, "{product}: no RSS reading");
    assert!(
        run.peak_rss_kb < RSS_BOUND_KB,
        "{product}: peak RSS {} KiB",
        run.peak_rss_kb
    );
    assert_eq!(
        run.code, 3,
        "{product}: inconclusive exit code\n{}",
        run.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{product}: stdout is not JSON ({e}): {}", run.stdout));
    assert_eq!(report["verdict"], "inconclusive", "{product}");
    let got = case_verdicts(&report);
    for case in PROBED {
        assert_eq!(got[case], "INCONCLUSIVE", "{product} {case}: {report}");
    }
    for case in DECLARED {
        assert_eq!(
            got[case], "PASS",
            "{product} {case} only reads the declaration"
        );
    }
    // No automated test case passes on a device that never answers properly,
    // and each inconclusive one says why.
    for p in report["provisions"].as_array().expect("provisions") {
        for t in p["test_cases"].as_array().expect("test cases") {
            if t["how"] == "automated" {
                assert_ne!(t["verdict"], "PASS", "{product}: {t}");
            }
            if t["verdict"] == "INCONCLUSIVE" {
                let reason = t["reason"].as_str().unwrap_or_default();
                assert!(!reason.trim().is_empty(), "{product}: no reason in {t}");
            }
        }
    }
    let text = report.to_string();
    assert!(
        reason_hint.iter().any(|h| text.contains(h)),
        "{product}: none of {reason_hint:?} in the report: {text}"
    );
    // The evidence log was written and every line is whole JSON.
    let evidence =
        std::fs::read_to_string(dir.path().join("evidence.jsonl")).expect("evidence.jsonl");
    assert!(evidence.lines().count() > 0, "{product}: empty evidence");
    for line in evidence.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("evidence line is JSON");
    }
}

#[test]
fn firehose_is_inconclusive_within_bounds() {
    assert_fights_back_inconclusive("firehose", &["larger than", "too large"]);
}

#[test]
fn garbage_is_inconclusive_within_bounds() {
    assert_fights_back_inconclusive(
        "garbage",
        &[
            "unexpected answer",
            "cannot connect",
            "error",
            "no answer within",
        ],
    );
}

#[test]
fn flapping_is_inconclusive_within_bounds() {
    assert_fights_back_inconclusive("flapping", &["cannot connect", "reset", "error", "closed"]);
}

#[test]
fn tarpit_is_inconclusive_within_bounds() {
    assert_fights_back_inconclusive("tarpit", &["no answer within"]);
}
