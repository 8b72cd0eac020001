//! End-to-end: keys, issue and verify through the CLI, checked with tools we
//! did not write (openssl) and with tampered inputs.

// Code here runs only inside tests: a panic is a test failure.
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

/// Seal the run folder of `report` with the lab's key, then issue a
/// (demonstration) label from it.
fn issue(lab: &Lab, report: &Path, out: &Path) -> Run {
    seal(report.parent().unwrap(), &lab.lab_key(), &lab.lab_cert());
    issue_only(lab, report, out, &["--allow-simulated"])
}

/// `iotmark issue` on the run folder as it is.
fn issue_only(lab: &Lab, report: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "issue".to_string(),
        "--report".into(),
        report.display().to_string(),
        "--key".into(),
        lab.lab_key().display().to_string(),
        "--cert".into(),
        lab.lab_cert().display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    iotmark(args)
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
    // The good-camera label (compact claims: GTIN, 54-character disclosure
    // URL, 16-byte report hash prefix) fits version 11 at ECC level M with
    // the default base URL.
    let version = issued["qr_version"].as_u64().unwrap();
    assert_eq!(version, 11, "QR version");
    // Its GS1 Digital Link form names the GTIN and verifies as well.
    let link = issued["digital_link_url"].as_str().unwrap();
    assert!(
        link.starts_with("HTTPS://IOTMARK.EXAMPLE/01/05012345678900?L="),
        "{link}"
    );
    let v = verify(&lab, link, &[]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);

    let report_bytes = std::fs::read(work.path().join("run/report.json")).unwrap();
    use sha2::Digest;
    // Compact labels carry the first 16 bytes of the report's SHA-256.
    let digest = hex::encode(&sha2::Sha256::digest(&report_bytes)[..16]);

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
        let j = v.json();
        assert_eq!(j["valid"], false, "bit flip at byte {pos} accepted");
        let reason = j["reason"].as_str().unwrap();
        // A flip in the key id names a lab nobody gave the verifier: that
        // cannot be told from an unknown lab's label (exit 3); any other
        // flip is a label that is not genuine (exit 1).
        if reason.starts_with("no lab certificate with kid") {
            assert_eq!((v.code, j["status"].as_str()), (3, Some("unverifiable")));
        } else {
            assert_eq!(
                (v.code, j["status"].as_str()),
                (1, Some("invalid")),
                "{reason}"
            );
        }
    }

    // A different lab's certificate cannot vouch for it: the label's own lab
    // is unknown to this verifier, which cannot tell (exit 3).
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
    assert_eq!(v.code, 3);
    assert_eq!(v.json()["status"], "unverifiable");
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

    // A hand-edited report no longer matches its seal.
    let edited = copy_run(&work.path().join("run"), &work.path().join("edited"));
    let mut r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(edited.join("report.json")).unwrap()).unwrap();
    r["verdict"] = serde_json::json!("very-conformant");
    std::fs::write(edited.join("report.json"), serde_json::to_vec(&r).unwrap()).unwrap();
    let bad = issue_only(
        &lab,
        &edited,
        &work.path().join("l3"),
        &["--allow-simulated"],
    );
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("/verdict"), "{}", bad.stderr);
}

#[test]
fn garbage_inputs_to_verify_are_rejected_cleanly() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    let noise = work.path().join("noise.png");
    std::fs::write(&noise, b"\x89PNG\r\n\x1a\nthis is not a png").unwrap();
    let v = verify(&lab, noise.to_str().unwrap(), &[]);
    assert_eq!(v.code, 3, "{}", v.stderr);
    assert_eq!(v.json()["status"], "unverifiable");
    let v = verify(&lab, "HTTPS://IOTMARK.EXAMPLE/L/12345", &[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    let v = verify(&lab, "HTTPS://IOTMARK.EXAMPLE/L/12a45", &[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
}

/// Issue into the lab's registry (default: registry.db beside the key).
fn issue_into(lab: &Lab, report: &Path, out: &Path) -> serde_json::Value {
    let r = issue(lab, report, out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

/// A one-shot HTTP server on loopback serving `body` to every GET, until dropped.
struct Loopback {
    url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Loopback {
    fn serve(body: Vec<u8>) -> Self {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/status-list.cose", listener.local_addr().unwrap());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (s, h) = (stop.clone(), hits.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut conn, _)) => {
                        conn.set_nonblocking(false).unwrap();
                        let mut buf = [0u8; 4096];
                        let _ = conn.read(&mut buf);
                        h.fetch_add(1, Ordering::SeqCst);
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/cose\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = conn.write_all(head.as_bytes());
                        let _ = conn.write_all(&body);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        Loopback { url, stop, hits }
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn registry_records_labels_proves_them_and_revocation_is_checked() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    assert_eq!(run_psti("good-camera", &w.join("run"), &[]).code, 0);
    let report = w.join("run/report.json");
    let first = issue_into(&lab, &report, &w.join("l1"));
    let second = issue_into(&lab, &report, &w.join("l2"));
    assert_eq!(first["serial"], 1);
    assert_eq!(second["serial"], 2);
    assert_eq!(second["leaf_index"], 1);
    let registry = lab.root.join("lab/registry.db");
    assert!(registry.is_file(), "registry.db beside the key");
    let reg = registry.to_str().unwrap();

    // Inclusion proof, checked offline against the lab and authority certificates.
    let proof = w.join("inclusion.json");
    let p = iotmark([
        "log",
        "inclusion",
        "--registry",
        reg,
        "--serial",
        "1",
        "--out",
        proof.to_str().unwrap(),
    ]);
    assert_eq!(p.code, 0, "{}", p.stderr);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    assert_schema_valid("log-proof.schema.json", &doc);
    let check = |file: &Path| {
        iotmark([
            "log",
            "verify",
            file.to_str().unwrap(),
            "--cert",
            lab.lab_cert().to_str().unwrap(),
            "--trust-anchor",
            lab.authority().to_str().unwrap(),
            "--format",
            "json",
        ])
    };
    let v = check(&proof);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert_eq!(v.json()["valid"], true);
    // A moved leaf index does not verify.
    let mut bad = doc.clone();
    bad["leaf_index"] = serde_json::json!(1);
    let bad_path = w.join("bad.json");
    std::fs::write(&bad_path, serde_json::to_vec(&bad).unwrap()).unwrap();
    let v = check(&bad_path);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert_eq!(v.json()["valid"], false);

    // Consistency from the first head to the newest.
    let cons = w.join("consistency.json");
    let p = iotmark([
        "log",
        "consistency",
        "--registry",
        reg,
        "--from",
        "1",
        "--out",
        cons.to_str().unwrap(),
    ]);
    assert_eq!(p.code, 0, "{}", p.stderr);
    assert_schema_valid(
        "log-proof.schema.json",
        &serde_json::from_slice(&std::fs::read(&cons).unwrap()).unwrap(),
    );
    assert_eq!(check(&cons).code, 0);
    let a = iotmark(["log", "audit", "--registry", reg, "--format", "json"]);
    assert_eq!(a.code, 0, "{}{}", a.stdout, a.stderr);
    assert_eq!(a.json()["audit"]["labels"], 2);

    // Without a status list, verification says revocation was not checked.
    let label1 = w.join("l1/label.cose");
    let v = verify(&lab, label1.to_str().unwrap(), &[]);
    assert_eq!(v.code, 0);
    assert_eq!(v.json()["revocation"]["checked"], false);
    assert_eq!(v.json()["revocation"]["note"], "revocation not checked");

    // Revoke label 1: the status list is written beside the registry.
    let r = iotmark([
        "revoke",
        "--registry",
        reg,
        "--serial",
        "1",
        "--key",
        lab.lab_key().to_str().unwrap(),
        "--cert",
        lab.lab_cert().to_str().unwrap(),
        "--reason",
        "firmware 2.4.1 withdrawn by the manufacturer",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let status = lab.root.join("lab/status-list.cose");
    assert!(status.is_file());
    let st = status.to_str().unwrap();
    let v = verify(&lab, label1.to_str().unwrap(), &["--status", st]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    let j = v.json();
    assert_eq!(j["status"], "revoked");
    assert_eq!(j["valid"], false);
    assert_eq!(j["revocation"]["revoked"], true);
    let issued = j["revocation"]["status_list_issued"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(j["reason"].as_str().unwrap().contains(&issued), "{j}");
    // Why and since when, from the signed list.
    assert_eq!(
        j["revocation"]["reason"], "firmware 2.4.1 withdrawn by the manufacturer",
        "{j}"
    );
    let revoked_at = j["revocation"]["revoked_at"].as_str().unwrap();
    assert!(
        j["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("on {revoked_at}: firmware 2.4.1 withdrawn")),
        "{j}"
    );
    let v = verify(
        &lab,
        w.join("l2/label.cose").to_str().unwrap(),
        &["--status", st],
    );
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert_eq!(v.json()["revocation"]["checked"], true);
    assert_eq!(v.json()["revocation"]["revoked"], false);
    // Text output names the list's date.
    let t = iotmark([
        "verify",
        w.join("l2/label.cose").to_str().unwrap(),
        "--trust-anchor",
        lab.authority().to_str().unwrap(),
        "--status",
        st,
    ]);
    assert!(
        t.stdout.contains(&format!("status list of {issued}")),
        "{}",
        t.stdout
    );
    // Revoking twice, or an unknown serial, is refused.
    let again = iotmark([
        "revoke",
        "--registry",
        reg,
        "--serial",
        "1",
        "--key",
        lab.lab_key().to_str().unwrap(),
        "--cert",
        lab.lab_cert().to_str().unwrap(),
        "--reason",
        "again",
    ]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already revoked"), "{}", again.stderr);

    // Over loopback HTTP, then from the cache once the server is gone.
    let cache = w.join("cache");
    let server = Loopback::serve(std::fs::read(&status).unwrap());
    let url = server.url.clone();
    let by_url = |extra: &[&str]| {
        let mut args = vec![
            "--status",
            url.as_str(),
            "--status-cache",
            cache.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        verify(&lab, label1.to_str().unwrap(), &args)
    };
    let v = by_url(&[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert_eq!(v.json()["status"], "revoked");
    assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    drop(server);
    let v = by_url(&[]);
    assert_eq!(v.json()["status"], "revoked", "{}", v.stderr);
    assert!(v.json()["revocation"]["source"]
        .as_str()
        .unwrap()
        .contains("cached"));

    // A stale list (past its next update) cannot clear a label: the answer
    // is unverifiable (exit 3), never valid; a revocation it lists stands.
    let signer = iotmark_labels::LabelSigner::from_files(&lab.lab_key(), &lab.lab_cert()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let stale = iotmark_labels::status::StatusList::new(
        [1],
        3,
        now - time::Duration::days(10),
        now - time::Duration::days(3),
    )
    .unwrap()
    .sign(&signer)
    .unwrap();
    let stale_path = w.join("stale-status-list.cose");
    std::fs::write(&stale_path, stale).unwrap();
    let sp = stale_path.to_str().unwrap();
    let v = verify(
        &lab,
        w.join("l2/label.cose").to_str().unwrap(),
        &["--status", sp],
    );
    assert_eq!(v.code, 3, "{}{}", v.stdout, v.stderr);
    let j = v.json();
    assert_eq!(j["status"], "unverifiable", "{j}");
    assert!(
        j["reason"]
            .as_str()
            .unwrap()
            .contains("could not check whether this label was withdrawn"),
        "{j}"
    );
    assert_eq!(j["revocation"]["checked"], false, "{j}");
    let v = verify(&lab, label1.to_str().unwrap(), &["--status", sp]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert_eq!(v.json()["status"], "revoked");
    // A list that cannot be had at all: unverifiable too.
    let v = verify(
        &lab,
        w.join("l2/label.cose").to_str().unwrap(),
        &["--status", "http://127.0.0.1:9/status-list.cose"],
    );
    assert_eq!(v.code, 3, "{}{}", v.stdout, v.stderr);
    assert_eq!(v.json()["status"], "unverifiable");
}

#[test]
fn status_publish_keeps_a_list_fresh_with_nothing_revoked() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    assert_eq!(run_psti("good-camera", &w.join("run"), &[]).code, 0);
    let issued = issue(&lab, &w.join("run/report.json"), &w.join("label"));
    assert_eq!(issued.code, 0, "{}", issued.stderr);
    let registry = lab.root.join("lab/registry.db");
    let out = w.join("published.cose");
    let r = iotmark([
        "status",
        "publish",
        "--registry",
        registry.to_str().unwrap(),
        "--key",
        lab.lab_key().to_str().unwrap(),
        "--cert",
        lab.lab_cert().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let p = r.json();
    assert_eq!(p["revoked"], 0);
    assert!(out.is_file());
    let v = verify(
        &lab,
        w.join("label/label.cose").to_str().unwrap(),
        &["--status", out.to_str().unwrap()],
    );
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let j = v.json();
    assert_eq!(j["status"], "valid");
    assert_eq!(j["revocation"]["checked"], true, "{j}");
    assert_eq!(j["revocation"]["revoked"], false, "{j}");
    assert_eq!(
        j["revocation"]["status_list_next_update"], p["next_update"],
        "{j}"
    );
    // Another lab's key cannot publish for this registry.
    let other = new_lab("uk-psti");
    let r = iotmark([
        "status",
        "publish",
        "--registry",
        registry.to_str().unwrap(),
        "--key",
        other.lab_key().to_str().unwrap(),
        "--cert",
        other.lab_cert().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("belongs to lab"), "{}", r.stderr);
}

#[test]
fn each_outcome_is_told_apart() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    assert_eq!(run_psti("good-camera", &w.join("run"), &[]).code, 0);
    let r = issue(&lab, &w.join("run/report.json"), &w.join("label"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cose = w.join("label/label.cose");
    let c = cose.to_str().unwrap();
    let today = time::OffsetDateTime::now_utc().date();

    // Asked about a day before it was issued.
    let before = (today - time::Duration::days(1)).to_string();
    let v = verify(&lab, c, &["--at", &before]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    let j = v.json();
    assert_eq!(j["status"], "not-yet-valid", "{j}");
    assert!(
        j["reason"].as_str().unwrap().contains("was issued on"),
        "{j}"
    );

    // A photo that cannot be read as an image.
    let noise = w.join("noise.png");
    std::fs::write(&noise, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let v = verify(&lab, noise.to_str().unwrap(), &[]);
    assert_eq!(v.code, 3, "{}{}", v.stdout, v.stderr);
    assert_eq!(v.json()["status"], "unverifiable");

    // A lab certificate the verifier does not have.
    let v = iotmark([
        "verify",
        c,
        "--trust-anchor",
        lab.authority().to_str().unwrap(),
        "--lab-cert",
        new_lab("uk-psti").lab_cert().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(v.code, 3, "{}{}", v.stdout, v.stderr);
    let j = v.json();
    assert_eq!(j["status"], "unverifiable", "{j}");
    assert!(
        j["reason"]
            .as_str()
            .unwrap()
            .contains("no lab certificate with kid"),
        "{j}"
    );

    // A batch: each outcome counted on its own.
    let dir = w.join("batch");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&cose, dir.join("a-valid.cose")).unwrap();
    let r = issue(&lab, &w.join("run/report.json"), &w.join("label-2"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::copy(w.join("label-2/label.cose"), dir.join("b-revoked.cose")).unwrap();
    let revoke = iotmark([
        "revoke",
        "--registry",
        lab.root.join("lab/registry.db").to_str().unwrap(),
        "--serial",
        "2",
        "--key",
        lab.lab_key().to_str().unwrap(),
        "--cert",
        lab.lab_cert().to_str().unwrap(),
        "--reason",
        "recalled",
    ]);
    assert_eq!(revoke.code, 0, "{}", revoke.stderr);
    let mut bad = std::fs::read(&cose).unwrap();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::write(dir.join("c-invalid.cose"), bad).unwrap();
    std::fs::write(
        dir.join("d-unverifiable.png"),
        b"\x89PNG\r\n\x1a\nnot really",
    )
    .unwrap();
    std::fs::copy(lab.lab_cert(), dir.join("lab.pem")).unwrap();
    let status = lab.root.join("lab/status-list.cose");
    let batch = |at: Option<&str>| {
        let mut args = vec![
            "verify".to_string(),
            "--batch".into(),
            dir.display().to_string(),
            "--trust-anchor".into(),
            lab.authority().display().to_string(),
            "--status".into(),
            status.display().to_string(),
            "--format".into(),
            "json".into(),
        ];
        if let Some(at) = at {
            args.extend(["--at".into(), at.to_string()]);
        }
        let r = iotmark(args);
        let last = r.stdout.lines().last().unwrap().to_string();
        let summary: serde_json::Value = serde_json::from_str(&last).unwrap();
        (r.code, summary["summary"].clone())
    };
    let (code, s) = batch(None);
    assert_eq!(code, 1, "{s}");
    for (k, n) in [
        ("total", 4),
        ("valid", 1),
        ("revoked", 1),
        ("invalid", 1),
        ("unverifiable", 1),
        ("support-ended", 0),
        ("not-yet-valid", 0),
    ] {
        assert_eq!(s[k], n, "{k}: {s}");
    }
    let (_, s) = batch(Some("2040-01-01"));
    assert_eq!(s["support-ended"], 1, "{s}");
    assert_eq!(s["valid"], 0, "{s}");
    let (_, s) = batch(Some(&before));
    assert_eq!(s["not-yet-valid"], 1, "{s}");
    // Only undecidable labels besides valid ones: exit 3.
    std::fs::remove_file(dir.join("b-revoked.cose")).unwrap();
    std::fs::remove_file(dir.join("c-invalid.cose")).unwrap();
    let (code, s) = batch(None);
    assert_eq!(code, 3, "{s}");
}

#[test]
fn trust_list_names_the_labs_a_verifier_trusts() {
    let lab = new_lab("uk-psti");
    let root = &lab.root;
    // A second lab under the same authority, not put on the list.
    let l2 = iotmark([
        "keys",
        "init-lab",
        "--authority",
        root.join("authority").to_str().unwrap(),
        "--name",
        "Withdrawn Lab",
        "--scope",
        "uk-psti",
        "--out",
        root.join("lab2").to_str().unwrap(),
    ]);
    assert_eq!(l2.code, 0, "{}", l2.stderr);
    let list = root.join("trust-list.cose");
    let t = iotmark([
        "keys",
        "trust-list",
        "--authority",
        root.join("authority").to_str().unwrap(),
        "--lab",
        lab.lab_cert().to_str().unwrap(),
        "--out",
        list.to_str().unwrap(),
    ]);
    assert_eq!(t.code, 0, "{}", t.stderr);

    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    assert_eq!(run_psti("good-camera", &w.join("run"), &[]).code, 0);
    let report = w.join("run/report.json");
    let listed = issue_into(&lab, &report, &w.join("a"));
    seal(
        &w.join("run"),
        &root.join("lab2/lab.key"),
        &root.join("lab2/lab.pem"),
    );
    let withdrawn = iotmark([
        "issue",
        "--allow-simulated",
        "--report",
        report.to_str().unwrap(),
        "--key",
        root.join("lab2/lab.key").to_str().unwrap(),
        "--cert",
        root.join("lab2/lab.pem").to_str().unwrap(),
        "--out",
        w.join("b").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(withdrawn.code, 0, "{}", withdrawn.stderr);
    let withdrawn = withdrawn.json();

    let with_list = |input: &str, extra: &[&str]| {
        let mut args = vec![
            "verify".to_string(),
            input.to_string(),
            "--trust-anchor".into(),
            lab.authority().display().to_string(),
            "--trust-list".into(),
            list.display().to_string(),
            "--format".into(),
            "json".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        iotmark(args)
    };
    // A URL needs no lab certificate: the list supplies it.
    let v = with_list(listed["url"].as_str().unwrap(), &[]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert_eq!(
        v.json()["trust_list"]["authority"],
        "Test Accreditation Body"
    );
    // The other lab's label chains to the anchor, but the lab is not listed.
    let v = with_list(withdrawn["url"].as_str().unwrap(), &[]);
    assert_eq!(v.code, 1);
    assert!(
        v.json()["reason"]
            .as_str()
            .unwrap()
            .contains("not on the trust list"),
        "{}",
        v.stdout
    );
    // Even with its certificate offered (lab.pem beside the .cose), it is named and refused.
    let v = with_list(w.join("b/label.cose").to_str().unwrap(), &[]);
    assert_eq!(v.code, 1);
    let reason = v.json()["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("Withdrawn Lab") && reason.contains("not on the trust list"),
        "{reason}"
    );
    // An expired list is refused.
    let v = with_list(listed["url"].as_str().unwrap(), &["--at", "2031-01-01"]);
    assert_eq!(v.code, 2, "{}", v.stdout);
    assert!(
        v.stderr.contains("trust list") && v.stderr.contains("expired"),
        "{}",
        v.stderr
    );
    // A list signed by another authority is refused.
    let other = new_lab("uk-psti");
    let v = iotmark([
        "verify",
        listed["url"].as_str().unwrap(),
        "--trust-anchor",
        other.authority().to_str().unwrap(),
        "--trust-list",
        list.to_str().unwrap(),
    ]);
    assert_eq!(v.code, 2);
    assert!(v.stderr.contains("not the trust anchor"), "{}", v.stderr);
}

#[test]
fn readable_private_keys_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    std::fs::set_permissions(lab.lab_key(), std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(
        run_psti("good-camera", &work.path().join("run"), &[]).code,
        0
    );
    let r = issue_only(
        &lab,
        &work.path().join("run/report.json"),
        &work.path().join("l"),
        &["--allow-simulated"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("lab.key") && r.stderr.contains("0640"),
        "{}",
        r.stderr
    );
}

/// `iotmark ARGS` with extra environment variables (passphrases).
fn iotmark_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = std::process::Command::new(bin());
    cmd.args(args).env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = std::time::Instant::now();
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

#[test]
fn passphrase_protected_keys_issue_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let p = |s: &str| root.join(s).display().to_string();
    let env = [
        ("IOTMARK_TEST_AUTHORITY_PASS", "authority passphrase 1"),
        ("IOTMARK_TEST_LAB_PASS", "lab passphrase 2"),
        ("IOTMARK_TEST_WRONG_PASS", "not the passphrase"),
    ];
    let a = iotmark_env(
        &[
            "keys",
            "init-authority",
            "--name",
            "Test Accreditation Body",
            "--out",
            &p("authority"),
            "--passphrase-env",
            "IOTMARK_TEST_AUTHORITY_PASS",
        ],
        &env,
    );
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert!(
        a.stdout.contains("encrypted with the passphrase"),
        "{}",
        a.stdout
    );
    let key = std::fs::read_to_string(root.join("authority/authority.key")).unwrap();
    assert!(
        key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{key}"
    );

    // The authority's key cannot be used without its passphrase.
    let init_lab = |extra: &[&str]| {
        let mut args = vec!["keys", "init-lab", "--authority"];
        let authority = p("authority");
        let out = p("lab");
        args.push(&authority);
        args.extend(["--name", "Test Lab One", "--scope", "uk-psti", "--out"]);
        args.push(&out);
        args.extend(extra);
        iotmark_env(&args, &env)
    };
    let r = init_lab(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("the key is encrypted"), "{}", r.stderr);
    let r = init_lab(&[
        "--passphrase-env",
        "IOTMARK_TEST_LAB_PASS",
        "--authority-passphrase-env",
        "IOTMARK_TEST_UNSET_VARIABLE",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("IOTMARK_TEST_UNSET_VARIABLE is not set"),
        "{}",
        r.stderr
    );
    let r = init_lab(&[
        "--passphrase-env",
        "IOTMARK_TEST_LAB_PASS",
        "--authority-passphrase-env",
        "IOTMARK_TEST_AUTHORITY_PASS",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lab_key = p("lab/lab.key");
    let lab_cert = p("lab/lab.pem");
    assert!(std::fs::read_to_string(&lab_key)
        .unwrap()
        .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    let run = run_psti("good-camera", &root.join("run"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = p("run/report.json");
    let run_dir = p("run");
    let sealed = iotmark_env(
        &[
            "report",
            "sign",
            &run_dir,
            "--key",
            &lab_key,
            "--cert",
            &lab_cert,
            "--passphrase-env",
            "IOTMARK_TEST_LAB_PASS",
        ],
        &env,
    );
    assert_eq!(sealed.code, 0, "{}", sealed.stderr);
    let issue = |out: &str, pass: Option<&str>| {
        let out = p(out);
        let mut args = vec![
            "issue",
            "--allow-simulated",
            "--report",
            &report,
            "--key",
            &lab_key,
            "--cert",
            &lab_cert,
            "--out",
            &out,
        ];
        if let Some(var) = pass {
            args.extend(["--passphrase-env", var]);
        }
        iotmark_env(&args, &env)
    };
    let r = issue("label-none", None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--passphrase-env"), "{}", r.stderr);
    let r = issue("label-wrong", Some("IOTMARK_TEST_WRONG_PASS"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("wrong passphrase"), "{}", r.stderr);
    assert!(r.stderr.contains("lab.key"), "names the file: {}", r.stderr);
    let r = issue("label", Some("IOTMARK_TEST_LAB_PASS"));
    assert_eq!(r.code, 0, "{}", r.stderr);

    let registry = p("lab/registry.db");
    let revoke = |pass: &str| {
        iotmark_env(
            &[
                "revoke",
                "--registry",
                &registry,
                "--serial",
                "1",
                "--key",
                &lab_key,
                "--cert",
                &lab_cert,
                "--reason",
                "test",
                "--passphrase-env",
                pass,
            ],
            &env,
        )
    };
    let r = revoke("IOTMARK_TEST_WRONG_PASS");
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = revoke("IOTMARK_TEST_LAB_PASS");
    assert_eq!(r.code, 0, "{}", r.stderr);

    // openssl reads the encrypted key, and it is the certificate's key.
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("openssl is not installed; skipping the interoperability check");
        return;
    }
    let from_key = std::process::Command::new("openssl")
        .args([
            "pkey",
            "-in",
            &lab_key,
            "-passin",
            "env:IOTMARK_TEST_LAB_PASS",
            "-pubout",
        ])
        .env("IOTMARK_TEST_LAB_PASS", "lab passphrase 2")
        .output()
        .unwrap();
    assert!(
        from_key.status.success(),
        "openssl pkey: {}",
        String::from_utf8_lossy(&from_key.stderr)
    );
    let from_cert = std::process::Command::new("openssl")
        .args(["x509", "-in", &lab_cert, "-noout", "-pubkey"])
        .output()
        .unwrap();
    assert!(from_cert.status.success());
    assert_eq!(from_key.stdout, from_cert.stdout);
    let wrong = std::process::Command::new("openssl")
        .args([
            "pkey",
            "-in",
            &lab_key,
            "-passin",
            "pass:not the passphrase",
            "-noout",
        ])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
}

#[test]
fn verify_batch_from_a_folder_and_a_list_of_urls() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    let run = run_psti("good-camera", &work.path().join("run"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let label_dir = work.path().join("label");
    let issued = issue(&lab, &work.path().join("run/report.json"), &label_dir);
    assert_eq!(issued.code, 0, "{}", issued.stderr);
    let issued = issued.json();
    let url = issued["url"].as_str().unwrap();
    let link = issued["digital_link_url"].as_str().unwrap();

    // A folder: the label as .cose and .png, lab.pem inside, and other files ignored.
    let folder = work.path().join("shelf");
    std::fs::create_dir(&folder).unwrap();
    for f in ["label.cose", "label.png", "lab.pem", "label.json"] {
        std::fs::copy(label_dir.join(f), folder.join(f)).unwrap();
    }
    let batch = |target: &Path, extra: &[&str]| {
        let mut args = vec![
            "verify".to_string(),
            "--batch".into(),
            target.display().to_string(),
            "--trust-anchor".into(),
            lab.authority().display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        iotmark(args)
    };
    let r = batch(&folder, &["--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(lines[0]["input"].as_str().unwrap().ends_with("label.cose"));
    assert!(lines[1]["input"].as_str().unwrap().ends_with("label.png"));
    assert!(lines[..2].iter().all(|l| l["valid"] == true));
    assert_eq!(lines[2]["summary"]["total"], 2);
    assert_eq!(lines[2]["summary"]["all_valid"], true);

    // One tampered label makes the batch fail, and says which.
    let mut cose = std::fs::read(folder.join("label.cose")).unwrap();
    let n = cose.len();
    cose[n - 3] ^= 1;
    std::fs::write(folder.join("tampered.cose"), &cose).unwrap();
    let r = batch(&folder, &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let last: serde_json::Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["summary"]["invalid"], 1);
    assert_eq!(last["summary"]["all_valid"], false);
    assert!(r.stdout.contains("tampered.cose"));

    // A list of URLs: comments and blank lines skipped, unreadable lines invalid.
    let list = work.path().join("urls.txt");
    std::fs::write(
        &list,
        format!(
            "# shelf 3\n{url}\n\n{link}\n{}\nnot a label\n",
            url.to_lowercase()
        ),
    )
    .unwrap();
    let lab_cert = lab.lab_cert().display().to_string();
    let r = batch(&list, &["--lab-cert", &lab_cert]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(out.len(), 5, "{}", r.stdout);
    assert!(
        out[0].starts_with("VALID") && out[0].contains("urls.txt:2"),
        "{}",
        out[0]
    );
    assert!(out[1].starts_with("VALID") && out[1].contains("urls.txt:4"));
    assert!(out[2].starts_with("VALID"));
    assert!(out[3].starts_with("INVALID") && out[3].contains("urls.txt:6"));
    assert!(out[4].starts_with("3 of 4 labels valid"), "{}", out[4]);

    // --digital-link puts the GS1 Digital Link form in the QR code.
    let dl_dir = work.path().join("label-dl");
    let r = iotmark([
        "issue",
        "--report",
        work.path().join("run/report.json").to_str().unwrap(),
        "--key",
        lab.lab_key().to_str().unwrap(),
        "--cert",
        lab.lab_cert().to_str().unwrap(),
        "--out",
        dl_dir.to_str().unwrap(),
        "--digital-link",
        "--allow-simulated",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dl = r.json();
    assert_eq!(dl["url"], dl["digital_link_url"]);
    // The good-camera label is smaller than the reference label (short serial
    // and names), so even its Digital Link form fits version 11 at ECC M.
    assert_eq!(dl["qr_version"], 11);
    let png = dl_dir.join("label.png").display().to_string();
    let v = verify(&lab, &png, &[]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);

    // Without --batch or a label it is a usage error; an empty batch too.
    let r = iotmark([
        "verify",
        "--trust-anchor",
        lab.authority().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    let empty = work.path().join("empty.txt");
    std::fs::write(&empty, "# nothing\n").unwrap();
    assert_eq!(batch(&empty, &[]).code, 2);
}

/// Edit a copied run's report.json with `edit`.
fn edit_report(run: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = run.join("report.json");
    let mut r: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut r);
    std::fs::write(&path, serde_json::to_vec_pretty(&r).unwrap()).unwrap();
}

#[test]
fn issue_needs_a_sealed_run_that_adds_up() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let run = w.join("run");
    let r = run_psti(
        "good-camera",
        &run,
        &[
            "--lab-key",
            lab.lab_key().to_str().unwrap(),
            "--lab-cert",
            lab.lab_cert().to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let refused = |dir: &Path, name: &str, want: &[&str]| {
        let r = issue_only(
            &lab,
            dir,
            &w.join(format!("label-{name}")),
            &["--allow-simulated"],
        );
        assert_eq!(r.code, 1, "{name}: {}{}", r.stdout, r.stderr);
        for w in want {
            assert!(r.stderr.contains(w), "{name}: wants {w:?} in\n{}", r.stderr);
        }
        assert!(!w.join(format!("label-{name}/label.cose")).exists());
    };

    // The overall verdict, one test case, one evidence line, the seal.
    let d = copy_run(&run, &w.join("verdict"));
    edit_report(&d, |r| r["verdict"] = "not-conformant".into());
    refused(
        &d,
        "verdict",
        &["changed since it was sealed", "report.json /verdict"],
    );
    let d = copy_run(&run, &w.join("case"));
    edit_report(&d, |r| {
        r["provisions"][0]["test_cases"][0]["reason"] = "fine".into()
    });
    refused(
        &d,
        "case",
        &["report.json /provisions/0/test_cases/0 (5.1-1-1)"],
    );
    let d = copy_run(&run, &w.join("evidence"));
    let evidence = std::fs::read_to_string(d.join("evidence.jsonl")).unwrap();
    let mut lines: Vec<String> = evidence.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen("\"probe\":\"", "\"probe\":\"x", 1);
    std::fs::write(d.join("evidence.jsonl"), lines.join("\n") + "\n").unwrap();
    refused(&d, "evidence", &["evidence.jsonl line 3"]);
    let d = copy_run(&run, &w.join("unsealed"));
    std::fs::remove_file(d.join("report.seal")).unwrap();
    refused(&d, "unsealed", &["is not sealed", "report sign"]);

    // A run sealed by another lab's key is not this lab's to label.
    let other = new_lab("uk-psti");
    let d = copy_run(&run, &w.join("other-lab"));
    seal(&d, &other.lab_key(), &other.lab_cert());
    refused(
        &d,
        "other-lab",
        &["was sealed by the key with kid", "not by this lab key"],
    );

    // Sealed again after editing: the verdicts must still add up.
    let d = copy_run(&run, &w.join("resealed"));
    edit_report(&d, |r| {
        r["provisions"][0]["test_cases"][0]["verdict"] = "FAIL".into();
    });
    seal(&d, &lab.lab_key(), &lab.lab_cert());
    refused(
        &d,
        "resealed",
        &["(5.1-1-1): says FAIL, but its scenarios give PASS"],
    );
    let d = copy_run(&run, &w.join("summary"));
    edit_report(&d, |r| r["summary"]["fail"] = 1.into());
    seal(&d, &lab.lab_key(), &lab.lab_cert());
    refused(&d, "summary", &["/summary: counts"]);
    let d = copy_run(&run, &w.join("dropped"));
    edit_report(&d, |r| {
        r["provisions"][0]["test_cases"]
            .as_array_mut()
            .unwrap()
            .remove(1);
    });
    seal(&d, &lab.lab_key(), &lab.lab_cert());
    refused(&d, "dropped", &["is missing from the report"]);

    // The untouched run gives a label whose report hash is the sealed one.
    let r = issue_only(&lab, &run, &w.join("label"), &["--allow-simulated"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let seal_hash = iotmark([
        "report",
        "verify",
        run.to_str().unwrap(),
        "--trust-anchor",
        lab.authority().to_str().unwrap(),
        "--format",
        "json",
    ])
    .json()["report_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let label_hash = r.json()["claims"]["report_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        seal_hash.starts_with(&label_hash),
        "{seal_hash} / {label_hash}"
    );
}

#[test]
fn simulated_runs_give_only_demonstration_labels() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let run = w.join("run");
    assert_eq!(run_psti("good-camera", &run, &[]).code, 0);
    seal(&run, &lab.lab_key(), &lab.lab_cert());
    let r = issue_only(&lab, &run, &w.join("refused"), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("simulated product (sim:good-camera)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--allow-simulated"), "{}", r.stderr);

    let r = issue_only(&lab, &run, &w.join("demo"), &["--allow-simulated"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["claims"]["simulated"], true);
    let cose = w.join("demo/label.cose");
    let v = verify(&lab, cose.to_str().unwrap(), &[]);
    assert_eq!(v.code, 0, "{}", v.stdout);
    let j = v.json();
    assert_eq!(j["claims"]["simulated"], true, "{j}");
    assert_eq!(j["status"], "valid");
    let text = iotmark([
        "verify",
        cose.to_str().unwrap(),
        "--trust-anchor",
        lab.authority().to_str().unwrap(),
    ]);
    let first = text.stdout.lines().next().unwrap();
    assert!(
        first.starts_with(
            "VALID (DEMONSTRATION LABEL, NOT A TESTED PRODUCT): genuine demonstration label"
        ),
        "{first}"
    );

    // A label the lab signs without the mark says nothing of the kind.
    let raw = sign_raw_label(
        &lab.lab_key(),
        &lab.lab_cert(),
        claims_for_report(&run.join("report.json"), 77),
        None,
        &w.join("raw"),
    );
    let j = verify(&lab, &raw, &[]).json();
    assert_eq!(j["claims"]["simulated"], false, "{j}");
}

#[test]
fn claims_a_lab_may_not_sign_are_refused_at_issue_and_at_verify() {
    let lab = new_lab("uk-psti");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let run = w.join("run");
    assert_eq!(run_psti("good-camera", &run, &[]).code, 0);
    let today = time::OffsetDateTime::now_utc().date();

    let refused = |name: &str, edit: &dyn Fn(&mut serde_json::Value), want: &str| {
        let d = copy_run(&run, &w.join(name));
        edit_report(&d, |r| edit(r));
        seal(&d, &lab.lab_key(), &lab.lab_cert());
        let r = issue_only(
            &lab,
            &d,
            &w.join(format!("label-{name}")),
            &["--allow-simulated"],
        );
        assert_eq!(r.code, 1, "{name}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains(want),
            "{name}: wants {want:?} in\n{}",
            r.stderr
        );
    };
    refused(
        "forever",
        &|r| r["support_end"] = "9999-12-31".into(),
        "more than 30 years after the issue date",
    );
    refused(
        "ended",
        &|r| r["support_end"] = "2020-01-31".into(),
        "is not after the issue date",
    );
    let contact = |url: &'static str| {
        move |r: &mut serde_json::Value| {
            r["disclosure_contact"] = url.into();
            r["declared"]["ixit"]["disclosure_policy_url"] = url.into();
        }
    };
    refused(
        "userinfo",
        &contact("https://maker.example@evil.example/x"),
        "user information is not allowed",
    );
    refused(
        "javascript",
        &contact("https://javascript:alert(1)"),
        "port that is not a number",
    );
    refused(
        "two-addresses",
        &contact("mailto:a@maker.example,b@evil.example"),
        "must name one address",
    );
    refused(
        "not-checked",
        &|r| r["disclosure_contact"] = "https://other.example/security".into(),
        "is not the disclosure policy the run checked",
    );

    // The same rules, for labels the lab key signed outside `issue`.
    let base = claims_for_report(&run.join("report.json"), 500);
    let rejected = |name: &str, claims: iotmark_labels::Claims, want: &str| {
        let url = sign_raw_label(
            &lab.lab_key(),
            &lab.lab_cert(),
            claims,
            None,
            &w.join(format!("raw-{name}")),
        );
        let v = verify(&lab, &url, &[]);
        assert_eq!(v.code, 1, "{name}: {}", v.stdout);
        let j = v.json();
        assert_eq!(j["status"], "invalid", "{name}: {j}");
        let reason = j["reason"].as_str().unwrap();
        assert!(reason.contains(want), "{name}: wants {want:?} in {reason}");
    };
    let mut c = base.clone();
    c.issued = today + time::Duration::days(2);
    rejected("future", c, "is in the future");
    let mut c = base.clone();
    c.support_end = today + time::Duration::days(365 * 31);
    rejected("forever", c, "more than 30 years after the issue date");
    let mut c = base.clone();
    c.issued = today;
    c.support_end = today - time::Duration::days(1);
    rejected("backwards", c, "is not after the issue date");

    // One registry per key: a second one would restart the serials.
    let r = issue_only(
        &lab,
        &copy_run(&run, &w.join("first")),
        &w.join("label-first"),
        &["--allow-simulated"],
    );
    assert_eq!(r.code, 1, "unsealed copy: {}", r.stderr);
    seal(&w.join("first"), &lab.lab_key(), &lab.lab_cert());
    let r = issue_only(
        &lab,
        &w.join("first"),
        &w.join("label-first"),
        &["--allow-simulated"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["serial"], 1);
    let binding: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lab.root.join("lab/lab.key.registry.json")).unwrap())
            .unwrap();
    assert_schema_valid("key-registry.schema.json", &binding);
    let second = w.join("second-registry.db");
    let r = issue_only(
        &lab,
        &w.join("first"),
        &w.join("label-second"),
        &["--allow-simulated", "--registry", second.to_str().unwrap()],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("another registry"), "{}", r.stderr);
    assert!(!w.join("label-second/label.cose").exists());

    // Two different labels with one serial and kid, found in one batch.
    let mut a = base.clone();
    a.serial = 9;
    let mut b = base.clone();
    b.serial = 9;
    b.firmware = "2.4.2".into();
    let ua = sign_raw_label(&lab.lab_key(), &lab.lab_cert(), a, None, &w.join("dup-a"));
    let ub = sign_raw_label(&lab.lab_key(), &lab.lab_cert(), b, None, &w.join("dup-b"));
    let list = w.join("dups.txt");
    std::fs::write(&list, format!("{ua}\n{ua}\n{ub}\n")).unwrap();
    let r = iotmark([
        "verify",
        "--batch",
        list.to_str().unwrap(),
        "--trust-anchor",
        lab.authority().to_str().unwrap(),
        "--lab-cert",
        lab.lab_cert().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["status"], "valid");
    assert_eq!(
        lines[1]["status"], "valid",
        "the same label twice is one label"
    );
    assert_eq!(lines[2]["status"], "invalid");
    assert!(lines[2]["duplicate_serial_of"]
        .as_str()
        .unwrap()
        .ends_with("dups.txt:1"));
    assert!(lines[2]["reason"].as_str().unwrap().contains("serial 9"));
    assert_eq!(lines[3]["summary"]["duplicate_serials"], 1);
}
