//! End-to-end: keys, issue and verify through the CLI, checked with tools we
//! did not write (openssl) and with tampered inputs.

// Helpers here run only inside tests: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

use std::path::{Path, PathBuf};

use util::*;

struct Lab {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Lab {
    fn authority(&self) -> PathBuf {
        self.root.join("authority/authority.pem")
    }
    fn lab_key(&self) -> PathBuf {
        self.root.join("lab/lab.key")
    }
    fn lab_cert(&self) -> PathBuf {
        self.root.join("lab/lab.pem")
    }
}

fn new_lab(scope: &str) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let a = iotmark([
        "keys",
        "init-authority",
        "--name",
        "Test Accreditation Body",
        "--out",
        root.join("authority").to_str().unwrap(),
    ]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    let l = iotmark([
        "keys",
        "init-lab",
        "--authority",
        root.join("authority").to_str().unwrap(),
        "--name",
        "Test Lab One",
        "--scope",
        scope,
        "--out",
        root.join("lab").to_str().unwrap(),
    ]);
    assert_eq!(l.code, 0, "{}", l.stderr);
    Lab { _dir: dir, root }
}

fn issue(lab: &Lab, report: &Path, out: &Path) -> Run {
    iotmark([
        "issue",
        "--report",
        report.to_str().unwrap(),
        "--key",
        lab.lab_key().to_str().unwrap(),
        "--cert",
        lab.lab_cert().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ])
}

fn verify(lab: &Lab, input: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "verify".to_string(),
        input.to_string(),
        "--trust-anchor".into(),
        lab.authority().display().to_string(),
        "--lab-cert".into(),
        lab.lab_cert().display().to_string(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    iotmark(args)
}

#[test]
fn conformant_run_yields_a_label_that_verifies_every_way() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    let run = run_psti("good-camera", &work.path().join("run"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let label_dir = work.path().join("label");
    let issued = issue(&lab, &work.path().join("run/report.json"), &label_dir);
    assert_eq!(issued.code, 0, "{}", issued.stderr);
    let issued = issued.json();
    for f in [
        "label.cose",
        "label.json",
        "label.svg",
        "label.png",
        "label.url",
    ] {
        assert!(label_dir.join(f).is_file(), "{f} written");
    }
    let url = std::fs::read_to_string(label_dir.join("label.url")).unwrap();
    let url = url.trim();
    assert!(url.starts_with("HTTPS://IOTMARK.EXAMPLE/L/"), "{url}");
    assert!(url["HTTPS://IOTMARK.EXAMPLE/L/".len()..]
        .bytes()
        .all(|b| b.is_ascii_digit()));
    assert_eq!(issued["url"], url);
    // The good-camera label (56-character disclosure URL, GTIN, 32-byte report
    // hash) measures version 12 at ECC level M with the default base URL.
    let version = issued["qr_version"].as_u64().unwrap();
    assert!(version <= 12, "QR version {version}");

    let report_bytes = std::fs::read(work.path().join("run/report.json")).unwrap();
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(&report_bytes));

    for input in [
        label_dir.join("label.cose").display().to_string(),
        url.to_string(),
        label_dir.join("label.png").display().to_string(),
    ] {
        let v = verify(&lab, &input, &[]);
        assert_eq!(v.code, 0, "{input}: {}\n{}", v.stdout, v.stderr);
        let j = v.json();
        assert_eq!(j["valid"], true);
        assert_eq!(j["status"], "valid");
        assert_eq!(j["claims"]["support_end"], "2031-12-31");
        assert_eq!(
            j["claims"]["disclosure_contact"],
            "https://www.goodcam.example/security/disclosure-policy"
        );
        assert_eq!(j["claims"]["model"], "GC-200");
        assert_eq!(j["issuer"]["lab"], "Test Lab One");
        assert_eq!(j["issuer"]["kid"].as_str().unwrap().len(), 16);
        assert!(
            j.to_string().contains(&digest),
            "the label carries the report's hash"
        );
    }

    // Past the support period: authentic, but support ended.
    let v = verify(&lab, url, &["--at", "2032-01-01"]);
    assert_eq!(v.code, 1);
    assert_eq!(v.json()["status"], "support-ended");
    assert!(v.json()["reason"].as_str().unwrap().contains("2031-12-31"));

    // lab.pem is written beside the label, so the anchor alone suffices.
    let v = iotmark([
        "verify",
        label_dir.join("label.cose").to_str().unwrap(),
        "--trust-anchor",
        lab.authority().to_str().unwrap(),
    ]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
}

#[test]
fn tampered_and_foreign_labels_are_rejected_with_a_reason() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    assert_eq!(
        run_psti("good-camera", &work.path().join("run"), &[]).code,
        0
    );
    let label_dir = work.path().join("label");
    assert_eq!(
        issue(&lab, &work.path().join("run/report.json"), &label_dir).code,
        0
    );
    let cose = std::fs::read(label_dir.join("label.cose")).unwrap();

    // One flipped bit in each of a spread of positions.
    for pos in (0..cose.len()).step_by(7) {
        let mut bad = cose.clone();
        bad[pos] ^= 0x10;
        let path = work.path().join(format!("flip-{pos}.cose"));
        std::fs::write(&path, &bad).unwrap();
        let v = verify(&lab, path.to_str().unwrap(), &[]);
        assert_eq!(v.code, 1, "bit flip at byte {pos} accepted");
        let j = v.json();
        assert_eq!(j["valid"], false);
        assert!(!j["reason"].as_str().unwrap().is_empty());
    }

    // A different lab under the same authority cannot vouch for it.
    let other = new_lab("uk-psti");
    let v = iotmark([
        "verify",
        label_dir.join("label.cose").to_str().unwrap(),
        "--trust-anchor",
        other.authority().to_str().unwrap(),
        "--lab-cert",
        other.lab_cert().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(v.code, 1);
    assert!(
        v.json()["reason"].as_str().unwrap().contains("kid"),
        "{}",
        v.stdout
    );
}

#[test]
fn openssl_accepts_the_lab_certificate_chain() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("openssl is not installed; .ci/run installs it");
        return;
    }
    let lab = new_lab("uk-psti,en303645");
    let out = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(lab.authority())
        .arg(lab.lab_cert())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("OK"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn keys_are_private_files() {
    use std::os::unix::fs::PermissionsExt;
    let lab = new_lab("uk-psti");
    for key in [lab.root.join("authority/authority.key"), lab.lab_key()] {
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", key.display());
    }
}

#[test]
fn non_conformant_reports_and_out_of_scope_labs_get_no_label() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    assert_eq!(run_psti("mirai-dvr", &work.path().join("run"), &[]).code, 1);
    let refused = issue(
        &lab,
        &work.path().join("run/report.json"),
        &work.path().join("label"),
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("not-conformant"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("5.1-1-2 FAIL"),
        "says which test case: {}",
        refused.stderr
    );
    assert!(!work.path().join("label/label.cose").exists());

    let narrow = new_lab("en303645");
    assert_eq!(
        run_psti("good-camera", &work.path().join("good"), &[]).code,
        0
    );
    let refused = issue(
        &narrow,
        &work.path().join("good/report.json"),
        &work.path().join("l2"),
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("not accredited"),
        "{}",
        refused.stderr
    );

    // A hand-edited report no longer matches its schema or its hash.
    let edited = work.path().join("edited.json");
    let mut r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.path().join("run/report.json")).unwrap())
            .unwrap();
    r["verdict"] = serde_json::json!("very-conformant");
    std::fs::write(&edited, serde_json::to_vec(&r).unwrap()).unwrap();
    let bad = issue(&lab, &edited, &work.path().join("l3"));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("/verdict"), "{}", bad.stderr);
}

#[test]
fn garbage_inputs_to_verify_are_rejected_cleanly() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    let noise = work.path().join("noise.png");
    std::fs::write(&noise, b"\x89PNG\r\n\x1a\nthis is not a png").unwrap();
    let v = verify(&lab, noise.to_str().unwrap(), &[]);
    assert!(v.code == 1 || v.code == 2, "{}", v.stderr);
    let v = verify(&lab, "HTTPS://IOTMARK.EXAMPLE/L/12345", &[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    let v = verify(&lab, "HTTPS://IOTMARK.EXAMPLE/L/12a45", &[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
}
