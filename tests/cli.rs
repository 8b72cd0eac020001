//! End-to-end tests of the `iotmark` command line: every simulated product
//! through the UK PSTI suite over real loopback sockets, then labels issued,
//! verified and tampered with.

// Code here runs only inside tests: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

use std::collections::BTreeMap;
use std::time::Duration;

use util::*;

const CASES: [&str; 8] = [
    "5.1-1-1", "5.1-1-2", "5.1-2-1", "5.1-2-2", "5.2-1-1", "5.2-1-2", "5.3-13-1", "5.3-13-2",
];

/// Run the PSTI suite on a product and check the exit code, every test case's
/// verdict and every requirement's verdict.
fn check_product(product: &str, exit: i32, overrides: &[(&str, &str)], requirements: [&str; 3]) {
    let dir = tempfile::tempdir().unwrap();
    let run = run_psti(product, dir.path(), &[]);
    assert_eq!(
        run.code, exit,
        "{product}: exit code\nstderr:\n{}",
        run.stderr
    );

    let stdout = run.json();
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(stdout, written, "stdout JSON and report.json differ");
    assert_schema_valid("report.schema.json", &written);

    let mut expected: BTreeMap<String, String> = CASES
        .iter()
        .map(|c| (c.to_string(), "PASS".to_string()))
        .collect();
    for (case, verdict) in overrides {
        expected.insert(case.to_string(), verdict.to_string());
    }
    let got = case_verdicts(&written);
    assert_eq!(
        got, expected,
        "{product}: test-case verdicts\n{}",
        run.stdout
    );

    let reqs = requirement_verdicts(&written);
    let want: BTreeMap<String, String> = ["psti-1", "psti-2", "psti-3"]
        .iter()
        .zip(requirements)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(reqs, want, "{product}: requirement verdicts");

    // Every other output is there and well-formed.
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.starts_with("<?xml"), "junit.xml");
    let cucumber: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("cucumber.json")).unwrap()).unwrap();
    assert_eq!(
        cucumber.as_array().map(Vec::len),
        Some(3),
        "one feature per PSTI paragraph"
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains(written["verdict"].as_str().unwrap()));
    let evidence = std::fs::read_to_string(dir.path().join("evidence.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = evidence
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_all_schema_valid("evidence-record.schema.json", &records);
    let lines = evidence.lines().count() as u64;
    assert_eq!(written["evidence"]["records"].as_u64(), Some(lines));
    let last: serde_json::Value = serde_json::from_str(evidence.lines().last().unwrap()).unwrap();
    assert_eq!(
        last["hash"], written["evidence"]["head"],
        "head hash in the report"
    );
}

#[test]
fn good_camera_is_conformant() {
    check_product("good-camera", 0, &[], ["PASS", "PASS", "PASS"]);
}

#[test]
fn mirai_dvr_fails_passwords_only() {
    check_product(
        "mirai-dvr",
        1,
        &[("5.1-1-2", "FAIL")],
        ["FAIL", "PASS", "PASS"],
    );
}

#[test]
fn counter_password_plug_fails_passwords_only() {
    check_product(
        "counter-password-plug",
        1,
        &[("5.1-2-1", "FAIL"), ("5.1-2-2", "FAIL")],
        ["FAIL", "PASS", "PASS"],
    );
}

#[test]
fn serial_password_router_fails_passwords_only() {
    // Its declaration claims random passwords (5.1-2-1 passes on paper); the
    // functional test finds them derived from the MAC address.
    check_product(
        "serial-password-router",
        1,
        &[("5.1-2-2", "FAIL")],
        ["FAIL", "PASS", "PASS"],
    );
}

#[test]
fn reset_default_hub_fails_passwords_only() {
    check_product(
        "reset-default-hub",
        1,
        &[("5.1-1-2", "FAIL")],
        ["FAIL", "PASS", "PASS"],
    );
}

#[test]
fn no_contact_bulb_fails_reporting_only() {
    check_product(
        "no-contact-bulb",
        1,
        &[("5.2-1-2", "FAIL")],
        ["PASS", "FAIL", "PASS"],
    );
}

#[test]
fn vague_support_speaker_fails_support_only() {
    check_product(
        "vague-support-speaker",
        1,
        &[("5.3-13-2", "FAIL")],
        ["PASS", "PASS", "FAIL"],
    );
}

#[test]
fn failing_reasons_name_the_flaw() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_psti("mirai-dvr", dir.path(), &[]).json();
    let text = report.to_string();
    assert!(
        text.contains("undeclared-telnet-23"),
        "names the hidden telnet console"
    );
    assert!(text.contains("mirai dictionary"), "names the dictionary");
    assert!(
        !text.contains("xc3511"),
        "a working credential is masked in the report"
    );
    let evidence = std::fs::read_to_string(dir.path().join("evidence.jsonl")).unwrap();
    assert!(!evidence.contains("xc3511"), "and in the evidence");

    let dir = tempfile::tempdir().unwrap();
    let report = run_psti("vague-support-speaker", dir.path(), &[]).json();
    assert!(
        report.to_string().contains("two years"),
        "quotes the vague promise"
    );
}

#[test]
fn hanging_device_is_inconclusive_within_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_psti("tarpit", dir.path(), &["--timeout", "0.5"]);
    assert_eq!(run.code, 3, "inconclusive exit code\n{}", run.stderr);
    assert!(
        run.elapsed < Duration::from_secs(60),
        "took {:?}",
        run.elapsed
    );
    let report = run.json();
    let got = case_verdicts(&report);
    for case in ["5.1-1-2", "5.1-2-2", "5.2-1-2", "5.3-13-2"] {
        assert_eq!(got[case], "INCONCLUSIVE", "{case}: {report}");
    }
    for case in ["5.1-1-1", "5.1-2-1", "5.2-1-1", "5.3-13-1"] {
        assert_eq!(got[case], "PASS", "{case} only reads the declaration");
    }
    assert_eq!(report["verdict"], "inconclusive");
    assert!(report.to_string().contains("no answer within"), "{report}");
}

#[test]
fn shortened_support_period_fails() {
    let dir = tempfile::tempdir().unwrap();
    let first = run_psti("good-camera", &dir.path().join("first"), &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    // An earlier report that promised longer than the profile now does.
    let earlier = dir.path().join("earlier.json");
    let mut report = first.json();
    report["support_end"] = serde_json::json!("2032-06-30");
    std::fs::write(&earlier, serde_json::to_vec(&report).unwrap()).unwrap();
    let second = run_psti(
        "good-camera",
        &dir.path().join("second"),
        &["--previous-report", earlier.to_str().unwrap()],
    );
    assert_eq!(second.code, 1, "{}", second.stderr);
    let r = second.json();
    assert_eq!(case_verdicts(&r)["5.3-13-2"], "FAIL");
    assert!(r.to_string().contains("shortened"));

    // An earlier report with the same date is fine.
    let same = dir.path().join("same.json");
    std::fs::copy(dir.path().join("first/report.json"), &same).unwrap();
    let third = run_psti(
        "good-camera",
        &dir.path().join("third"),
        &["--previous-report", same.to_str().unwrap()],
    );
    assert_eq!(third.code, 0, "{}", third.stderr);
}

#[test]
fn bad_profile_exits_2_naming_file_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    let bad = edited_profile("good-camera", dir.path(), "bad-profile.json", |p| {
        p["ixit"]["interfaces"][0]["port"] = serde_json::json!(70000);
        p["product"]["gtin"] = serde_json::json!("12AB");
        p["conditions"]["telemetry"] = serde_json::json!("yes");
    });
    let run = iotmark([
        "run",
        "--profile",
        bad.to_str().unwrap(),
        "--device",
        "sim:good-camera",
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for needle in [
        "bad-profile.json",
        "/ixit/interfaces/0/port",
        "/product/gtin",
        "/conditions/telemetry",
    ] {
        assert!(
            run.stderr.contains(needle),
            "missing {needle}:\n{}",
            run.stderr
        );
    }

    std::fs::write(&bad, b"{ not json").unwrap();
    let run = iotmark([
        "run",
        "--profile",
        bad.to_str().unwrap(),
        "--device",
        "sim:good-camera",
        "--out",
        "x",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("line 1"), "{}", run.stderr);
}

#[test]
fn not_applicable_on_an_unconditional_provision_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited_profile("good-camera", dir.path(), "na.json", |p| {
        p["ics"]["5.2-1"] =
            serde_json::json!({"support": "N/A", "detail": "we do not take reports"});
    });
    let run = iotmark([
        "run",
        "--profile",
        path.to_str().unwrap(),
        "--device",
        "sim:good-camera",
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("/ics/5.2-1/support"), "{}", run.stderr);
}

#[test]
fn conditions_that_do_not_hold_make_password_cases_not_applicable() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited_profile("good-camera", dir.path(), "user-defined.json", |p| {
        p["conditions"]["preinstalled_passwords"] = serde_json::json!(false);
        p["ics"]["5.1-2"] = serde_json::json!({"support": "N/A", "detail": "Users choose their password at first start; nothing is pre-installed."});
    });
    let run = iotmark([
        "run",
        "--profile",
        path.to_str().unwrap(),
        "--device",
        "sim:good-camera",
        "--format",
        "json",
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    let got = case_verdicts(&r);
    assert_eq!(got["5.1-2-1"], "NOT_APPLICABLE");
    assert_eq!(got["5.1-2-2"], "NOT_APPLICABLE");
    assert!(
        r.to_string().contains("nothing is pre-installed"),
        "carries the ICS rationale"
    );
}

#[test]
fn catalogue_lists_the_psti_test_cases() {
    let run = iotmark(["catalogue", "--scheme", "uk-psti", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = run.json();
    let ids: Vec<&str> = c["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["5.1-1", "5.1-2", "5.2-1", "5.3-13"]);
    assert_eq!(c["test_cases"], 8);
    for p in c["provisions"].as_array().unwrap() {
        assert_eq!(p["status"], "mandatory");
        for t in p["test_cases"].as_array().unwrap() {
            assert!(["automated", "ixit", "assessor"].contains(&t["how"].as_str().unwrap()));
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(iotmark(["run"]).code, 2);
    assert_eq!(iotmark(["catalogue", "--scheme", "nope"]).code, 2);
    let dir = tempfile::tempdir().unwrap();
    let run = iotmark([
        "run",
        "--profile",
        profile("good-camera").to_str().unwrap(),
        "--device",
        "bluetooth:x",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("sim:<product> or net:<host>"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_simulation_can_play_another_declared_unit() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_psti("good-camera", dir.path(), &["--unit", "3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.json().to_string();
    assert!(
        text.contains("GC200-26W40-000104 accepts its declared password"),
        "{text}"
    );

    // A unit the profile does not declare cannot be under test.
    let run = run_psti("good-camera", &dir.path().join("x"), &["--unit", "9"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn fleets_run_every_unit_and_summarise() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_psti("good-camera", dir.path(), &["--units", "6", "--jobs", "3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.json();
    assert_eq!(summary["counts"]["conformant"], 6, "{summary}");
    let results = summary["results"].as_array().unwrap();
    let units: Vec<u64> = results
        .iter()
        .map(|r| r["unit"].as_u64().unwrap())
        .collect();
    assert_eq!(units, [0, 1, 2, 3, 4, 0], "the declared units in turn");
    for r in results {
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(r["report"].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!(report["verdict"], "conformant");
    }
    assert!(dir.path().join("fleet.json").is_file());

    let flawed = run_psti(
        "counter-password-plug",
        &dir.path().join("plug"),
        &["--units", "2"],
    );
    assert_eq!(flawed.code, 1, "{}", flawed.stderr);
    assert_eq!(flawed.json()["counts"]["not_conformant"], 2);

    let real = iotmark([
        "run",
        "--profile",
        profile("good-camera").to_str().unwrap(),
        "--device",
        "net:127.0.0.1",
        "--units",
        "2",
        "--out",
        dir.path().join("net").to_str().unwrap(),
    ]);
    assert_eq!(real.code, 2, "{}", real.stderr);
    assert!(real.stderr.contains("sim:<product>"), "{}", real.stderr);
}

#[test]
fn run_out_never_inherits_an_earlier_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let lab = dir.path().join("lab");
    for args in [
        vec!["keys", "init-authority", "--name", "A", "--out"],
        vec!["keys", "init-lab", "--name", "L", "--authority"],
    ] {
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        if args[1] == "init-authority" {
            args.push(dir.path().join("authority").display().to_string());
        } else {
            args.push(dir.path().join("authority").display().to_string());
            args.extend(["--out".into(), lab.display().to_string()]);
        }
        let r = iotmark(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let (key, cert) = (lab.join("lab.key"), lab.join("lab.pem"));
    let signed = [
        "--lab-key",
        key.to_str().unwrap(),
        "--lab-cert",
        cert.to_str().unwrap(),
    ];
    let first = run_psti("good-camera", &out, &signed);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(out.join("report.seal").is_file());

    // Again into the same folder: refused, and the earlier run is untouched.
    let before = std::fs::read(out.join("report.json")).unwrap();
    let again = run_psti("good-camera", &out, &[]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        again.stderr.contains("holds an earlier run"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("report.seal"), "{}", again.stderr);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(std::fs::read(out.join("report.json")).unwrap(), before);

    // --force empties it first: no seal of the earlier run survives, so the
    // new report is honestly unsigned rather than "tampered with".
    std::fs::write(out.join("stray.txt"), "left by hand").unwrap();
    let forced = run_psti("good-camera", &out, &["--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(!out.join("report.seal").exists());
    assert!(!out.join("stray.txt").exists());
    assert_ne!(std::fs::read(out.join("report.json")).unwrap(), before);
    let v = iotmark(["report", "verify", out.to_str().unwrap()]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert!(
        v.stdout.contains("the report is not signed"),
        "{}",
        v.stdout
    );
}

#[test]
fn feature_files_are_hashed_as_run() {
    let dir = tempfile::tempdir().unwrap();
    let features = dir.path().join("features");
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .arg(repo().join("features"))
        .arg(&features)
        .status()
        .unwrap();
    assert!(copy.success());
    // A changed scenario text: the report must vouch for this text, not for
    // the built-in file of the same name.
    let file = features.join("psti/passwords.feature");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("Scenario:", "Scenario: (edited)", 1)).unwrap();
    let out = dir.path().join("run");
    let r = run_psti(
        "good-camera",
        &out,
        &["--features", features.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report = r.json();
    let sha = |path: &std::path::Path| {
        let o = std::process::Command::new("sha256sum")
            .arg(path)
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()[..64].to_string()
    };
    let hash_of = |name: &str| {
        report["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == name)
            .unwrap_or_else(|| panic!("{name} in {}", report["features"]))["sha256"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(hash_of("psti/passwords.feature"), sha(&file));
    assert_ne!(
        hash_of("psti/passwords.feature"),
        sha(&repo().join("features/psti/passwords.feature"))
    );
    assert_eq!(
        hash_of("psti/support.feature"),
        sha(&features.join("psti/support.feature"))
    );
}

/// Runs `iotmark ARGS` with stdout a pipe whose reading end is closed before
/// the command writes anything: it must end as usual, without a panic.
fn with_closed_stdout(args: &[&str]) -> (i32, String) {
    let mut child = std::process::Command::new(bin())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (code, stderr) = with_closed_stdout(&["catalogue", "--scheme", "en303645-full"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let r = iotmark([
        "keys",
        "init-authority",
        "--name",
        "A",
        "--out",
        root.join("authority").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = iotmark([
        "keys",
        "init-lab",
        "--name",
        "L",
        "--authority",
        root.join("authority").to_str().unwrap(),
        "--out",
        root.join("lab").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run = root.join("run");
    let (code, stderr) = with_closed_stdout(&[
        "run",
        "--profile",
        profile("good-camera").to_str().unwrap(),
        "--device",
        "sim:good-camera",
        "--scheme",
        "uk-psti",
        "--out",
        run.to_str().unwrap(),
        "--lab-key",
        root.join("lab/lab.key").to_str().unwrap(),
        "--lab-cert",
        root.join("lab/lab.pem").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "run exits as usual: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let label = root.join("label");
    let (code, stderr) = with_closed_stdout(&[
        "issue",
        "--allow-simulated",
        "--report",
        run.to_str().unwrap(),
        "--key",
        root.join("lab/lab.key").to_str().unwrap(),
        "--cert",
        root.join("lab/lab.pem").to_str().unwrap(),
        "--out",
        label.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let png = label.join("label.png");
    let anchor = root.join("authority/authority.pem");
    let (code, stderr) = with_closed_stdout(&[
        "verify",
        png.to_str().unwrap(),
        "--trust-anchor",
        anchor.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "verify exits as usual: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let urls = root.join("urls.txt");
    let url = std::fs::read_to_string(label.join("label.url")).unwrap();
    std::fs::write(&urls, url.repeat(200)).unwrap();
    let (code, stderr) = with_closed_stdout(&[
        "verify",
        "--batch",
        urls.to_str().unwrap(),
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "--lab-cert",
        root.join("lab/lab.pem").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // As a user types it.
    let piped = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' verify '{}' --trust-anchor '{}' | head -1; exit ${{PIPESTATUS[0]}}",
            bin(),
            png.display(),
            anchor.display()
        ))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&piped.stdout);
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert_eq!(piped.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("VALID"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
