//! Reports a lab can defend, end to end through the CLI: the signed report
//! folder and `report verify` (every edit found and located), the label's tie
//! to its report, the statement of compliance and CRA sheet, the HTML page's
//! escaping, and `diff` between runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

use std::path::{Path, PathBuf};

use util::*;

/// A throwaway accreditation body and lab under `dir`.
struct Lab {
    anchor: PathBuf,
    key: PathBuf,
    cert: PathBuf,
}

fn lab(dir: &Path, name: &str) -> Lab {
    let auth = dir.join(format!("{name}-authority"));
    let lab = dir.join(format!("{name}-lab"));
    let r = iotmark([
        "keys",
        "init-authority",
        "--name",
        &format!("{name} Accreditation"),
        "--out",
        auth.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = iotmark([
        "keys",
        "init-lab",
        "--authority",
        auth.to_str().unwrap(),
        "--name",
        &format!("{name} Lab"),
        "--out",
        lab.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    Lab {
        anchor: auth.join("authority.pem"),
        key: lab.join("lab.key"),
        cert: lab.join("lab.pem"),
    }
}

fn signed_run(product: &str, out: &Path, lab: &Lab) -> serde_json::Value {
    let r = run_psti(
        product,
        out,
        &[
            "--lab-key",
            lab.key.to_str().unwrap(),
            "--lab-cert",
            lab.cert.to_str().unwrap(),
        ],
    );
    assert!(
        out.join("report.seal").exists(),
        "no seal: {}\n{}",
        r.stdout,
        r.stderr
    );
    r.json()
}

fn verify(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "report".to_string(),
        "verify".into(),
        dir.display().to_string(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    iotmark(args)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Change one character of a file at the first occurrence of `needle`.
fn edit_one_char(path: &Path, needle: &str, replacement: char) {
    let text = std::fs::read_to_string(path).unwrap();
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in {}", path.display()));
    let mut bytes = text.into_bytes();
    bytes[at + needle.len() - 1] = replacement as u8;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_signed_report_verifies_and_every_edit_is_found_and_located() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path(), "Good");
    let run = tmp.path().join("run");
    signed_run("good-camera", &run, &lab);

    // Untouched: valid, chain checked against the authority.
    let v = verify(&run, &["--trust-anchor", lab.anchor.to_str().unwrap()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let j = v.json();
    assert_eq!(j["valid"], true);
    assert_eq!(j["chain"], "checked");
    assert_eq!(j["findings"].as_array().unwrap().len(), 0);

    // The signed manifest follows its schema.
    let seal = std::fs::read(run.join("report.seal")).unwrap();
    let cert = iotmark_labels::LabCertificate::from_pem_file(&lab.cert).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&iotmark_labels::report_seal::open(&seal, &cert).unwrap()).unwrap();
    assert_schema_valid("report-seal.schema.json", &manifest);
    let names: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for f in [
        "report.json",
        "evidence.jsonl",
        "report.html",
        "junit.xml",
        "cucumber.json",
        "statement-of-compliance.html",
        "cra-user-information.html",
    ] {
        assert!(names.contains(&f), "{f} not sealed: {names:?}");
    }

    // One character of one test case's verdict in report.json: found, and
    // named down to the test case.
    let r = tmp.path().join("edited-report");
    copy_dir(&run, &r);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(r.join("report.json")).unwrap()).unwrap();
    let reason = report["provisions"][1]["test_cases"][1]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    let case = report["provisions"][1]["test_cases"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let first_word: String = reason.chars().take(12).collect();
    edit_one_char(&r.join("report.json"), &first_word, 'X');
    let v = verify(&r, &[]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    let j = v.json();
    assert_eq!(j["valid"], false);
    let finding = &j["findings"][0];
    assert_eq!(finding["file"], "report.json");
    assert_eq!(
        finding["location"].as_str().unwrap(),
        format!("/provisions/1/test_cases/1 ({case})")
    );

    // One character of one evidence line: found, with its line number.
    let e = tmp.path().join("edited-evidence");
    copy_dir(&run, &e);
    let text = std::fs::read_to_string(e.join("evidence.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 10, "{} evidence lines", lines.len());
    let line_no = lines.len() / 2 + 1;
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    edited[line_no - 1] = edited[line_no - 1].replacen("\"outcome\":\"", "\"outcome\":\"X", 1);
    assert_ne!(edited[line_no - 1], lines[line_no - 1]);
    std::fs::write(e.join("evidence.jsonl"), edited.join("\n") + "\n").unwrap();
    let v = verify(&e, &[]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    let j = v.json();
    assert_eq!(j["findings"][0]["file"], "evidence.jsonl");
    assert_eq!(j["findings"][0]["location"], format!("line {line_no}"));
    assert!(
        v.json()["reason"]
            .as_str()
            .unwrap()
            .contains("evidence.jsonl"),
        "{}",
        v.stdout
    );

    // The last evidence line removed: the chain still links, but it no longer
    // ends where the signed report says.
    let t = tmp.path().join("truncated-evidence");
    copy_dir(&run, &t);
    let shorter = lines[..lines.len() - 1].join("\n") + "\n";
    std::fs::write(t.join("evidence.jsonl"), shorter).unwrap();
    let v = verify(&t, &[]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert_eq!(
        v.json()["findings"][0]["location"],
        format!("line {}", lines.len())
    );

    // The HTML handed to the client, one character.
    let h = tmp.path().join("edited-html");
    copy_dir(&run, &h);
    edit_one_char(&h.join("report.html"), "GC-20", '9');
    let v = verify(&h, &[]);
    assert_eq!(v.code, 1);
    assert_eq!(v.json()["findings"][0]["file"], "report.html");

    // A seal flipped by one bit is refused outright.
    let s = tmp.path().join("edited-seal");
    copy_dir(&run, &s);
    let mut seal = std::fs::read(s.join("report.seal")).unwrap();
    let n = seal.len();
    seal[n - 10] ^= 0x01;
    std::fs::write(s.join("report.seal"), seal).unwrap();
    let v = verify(&s, &[]);
    assert_eq!(v.code, 1);
    assert!(
        v.json()["reason"].as_str().unwrap().contains("signature"),
        "{}",
        v.stdout
    );
}

/// `keys trust-list` by the authority of `authority_dir`, listing `labs`.
fn trust_list(authority_dir: &Path, labs: &[&Path], out: &Path) {
    let mut args = vec![
        "keys".to_string(),
        "trust-list".into(),
        "--authority".into(),
        authority_dir.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    for l in labs {
        args.push("--lab".into());
        args.push(l.display().to_string());
    }
    let r = iotmark(args);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn verification_checks_the_trust_list() {
    let tmp = tempfile::tempdir().unwrap();
    let good = lab(tmp.path(), "Good");
    let authority_dir = good.anchor.parent().unwrap();
    let run = tmp.path().join("run");
    signed_run("good-camera", &run, &good);
    // A second lab of the same authority, accredited for EN 303 645 only.
    let second = tmp.path().join("second-lab");
    let r = iotmark([
        "keys",
        "init-lab",
        "--authority",
        authority_dir.to_str().unwrap(),
        "--name",
        "Second Lab",
        "--scope",
        "en303645",
        "--out",
        second.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let anchor = good.anchor.to_str().unwrap();

    // The signing lab is on the list for the report's scheme: valid.
    let listed = tmp.path().join("listed.cose");
    trust_list(
        authority_dir,
        &[&good.cert, &second.join("lab.pem")],
        &listed,
    );
    let v = verify(
        &run,
        &[
            "--trust-anchor",
            anchor,
            "--trust-list",
            listed.to_str().unwrap(),
        ],
    );
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let j = v.json();
    assert_eq!(j["chain"], "trust-list");
    assert!(
        j["reason"].as_str().unwrap().contains("current trust list"),
        "{j}"
    );

    // A list without the signing lab: the report is not accredited work.
    let without = tmp.path().join("without.cose");
    trust_list(authority_dir, &[&second.join("lab.pem")], &without);
    let v = verify(
        &run,
        &[
            "--trust-anchor",
            anchor,
            "--trust-list",
            without.to_str().unwrap(),
        ],
    );
    assert_eq!(v.code, 1, "{}", v.stdout);
    let reason = v.json()["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("Good Lab") && reason.contains("is not on the trust list"),
        "{reason}"
    );

    // Signed by a lab listed, but not for the report's scheme (uk-psti).
    let narrow = tmp.path().join("narrow");
    copy_dir(&run, &narrow);
    let r = iotmark([
        "report",
        "sign",
        narrow.to_str().unwrap(),
        "--key",
        second.join("lab.key").to_str().unwrap(),
        "--cert",
        second.join("lab.pem").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = verify(
        &narrow,
        &[
            "--trust-anchor",
            anchor,
            "--trust-list",
            listed.to_str().unwrap(),
        ],
    );
    assert_eq!(v.code, 1, "{}", v.stdout);
    let reason = v.json()["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("lists lab Second Lab for en303645, not for the report's scheme uk-psti"),
        "{reason}"
    );
    // The certificate's own scope says so too, with the anchor alone.
    let v = verify(&narrow, &["--trust-anchor", anchor]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    let reason = v.json()["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("lab certificate") && reason.contains("uk-psti"),
        "{reason}"
    );

    // A damaged list is named; a list needs the anchor it is checked with.
    let damaged = tmp.path().join("damaged.cose");
    let mut bytes = std::fs::read(&listed).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 1;
    std::fs::write(&damaged, bytes).unwrap();
    let v = verify(
        &run,
        &[
            "--trust-anchor",
            anchor,
            "--trust-list",
            damaged.to_str().unwrap(),
        ],
    );
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert!(v.json()["reason"]
        .as_str()
        .unwrap()
        .contains("damaged.cose"));
    let v = verify(&run, &["--trust-list", listed.to_str().unwrap()]);
    assert_eq!(v.code, 2, "{}", v.stderr);
}

#[test]
fn verification_checks_who_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let good = lab(tmp.path(), "Good");
    let other = lab(tmp.path(), "Other");
    let run = tmp.path().join("run");
    signed_run("good-camera", &run, &good);

    // Another authority's anchor: the lab certificate does not chain to it.
    let v = verify(&run, &["--trust-anchor", other.anchor.to_str().unwrap()]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert!(v.json()["reason"]
        .as_str()
        .unwrap()
        .contains("lab certificate"));

    // Another lab's certificate swapped in beside the report.
    let v = verify(&run, &["--cert", other.cert.to_str().unwrap()]);
    assert_eq!(v.code, 1, "{}", v.stdout);

    // Re-signed by a lab the anchor does not accredit: still invalid under
    // the right anchor.
    let forged = tmp.path().join("forged");
    copy_dir(&run, &forged);
    let r = iotmark([
        "report",
        "sign",
        forged.to_str().unwrap(),
        "--key",
        other.key.to_str().unwrap(),
        "--cert",
        other.cert.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = verify(&forged, &["--trust-anchor", good.anchor.to_str().unwrap()]);
    assert_eq!(v.code, 1, "{}", v.stdout);

    // With neither an anchor nor a pinned certificate, the forged folder is
    // intact but its signer is only the certificate it carries: not valid,
    // undecided (exit 3), for the genuine folder as much as the forged one.
    for folder in [&forged, &run] {
        let v = verify(folder, &[]);
        assert_eq!(v.code, 3, "{}", v.stdout);
        let j = v.json();
        assert_eq!(j["valid"], false, "{}", v.stdout);
        assert_eq!(j["intact"], true, "{}", v.stdout);
        assert_eq!(j["chain"], "not-checked");
        assert!(
            j["reason"].as_str().unwrap().contains("--trust-anchor"),
            "{}",
            v.stdout
        );
    }
    // The right certificate pinned with --cert: valid without an anchor.
    let v = verify(&run, &["--cert", good.cert.to_str().unwrap()]);
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert_eq!(v.json()["chain"], "pinned");

    // Unsigned folder: invalid. No folder, or an unreadable anchor: bad input.
    let unsigned = tmp.path().join("unsigned");
    copy_dir(&run, &unsigned);
    std::fs::remove_file(unsigned.join("report.seal")).unwrap();
    assert_eq!(verify(&unsigned, &[]).code, 1);
    assert_eq!(verify(&tmp.path().join("nowhere"), &[]).code, 2);
    let v = verify(&run, &["--trust-anchor", "/nonexistent/authority.pem"]);
    assert_eq!(v.code, 2, "{}", v.stderr);
}

#[test]
fn signing_refuses_broken_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path(), "Good");
    let run = tmp.path().join("run");
    let r = run_psti("good-camera", &run, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    edit_one_char(&run.join("evidence.jsonl"), "\"outcome\":\"", 'Z');
    let r = iotmark([
        "report",
        "sign",
        run.to_str().unwrap(),
        "--key",
        lab.key.to_str().unwrap(),
        "--cert",
        lab.cert.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("evidence.jsonl line"), "{}", r.stderr);
    assert!(!run.join("report.seal").exists());
}

#[test]
fn a_label_is_tied_to_its_report() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = lab(tmp.path(), "Good");
    let run = tmp.path().join("run");
    signed_run("good-camera", &run, &lab);
    let labels = tmp.path().join("label");
    let r = iotmark([
        "issue",
        "--allow-simulated",
        "--report",
        run.join("report.json").to_str().unwrap(),
        "--key",
        lab.key.to_str().unwrap(),
        "--cert",
        lab.cert.to_str().unwrap(),
        "--out",
        labels.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let label = labels.join("label.cose");
    let v = verify(
        &run,
        &[
            "--trust-anchor",
            lab.anchor.to_str().unwrap(),
            "--label",
            label.to_str().unwrap(),
        ],
    );
    assert_eq!(v.code, 0, "{}", v.stdout);
    let j = v.json();
    assert_eq!(j["label"]["matches"], true);
    assert_eq!(j["label"]["status"], "valid");

    // The same label against another run of the same product: the report
    // hash differs, so the label does not vouch for that report.
    let rerun = tmp.path().join("rerun");
    signed_run("good-camera", &rerun, &lab);
    let v = verify(&rerun, &["--label", label.to_str().unwrap()]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert_eq!(v.json()["label"]["matches"], false);
}

/// The rows of a document's table, by id, as text.
fn rows(html: &str) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for part in html.split("<tr id=\"").skip(1) {
        let id = part.split('"').next().unwrap().to_string();
        let row = part.split("</tr>").next().unwrap();
        let cell = row.split("<td>").nth(1).unwrap_or("");
        out.insert(id, cell.to_string());
    }
    out
}

#[test]
fn the_statement_of_compliance_for_good_camera_has_every_schedule_4_field() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let r = run_psti("good-camera", &run, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report = r.json();
    assert_schema_valid("report.schema.json", &report);
    let profile: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(profile("good-camera")).unwrap()).unwrap();
    let product = &profile["product"];
    let decl = &profile["declaration"];

    let html = std::fs::read_to_string(run.join("statement-of-compliance.html")).unwrap();
    assert!(!html.contains("MISSING"), "{html}");
    assert!(!html.contains("NOT FOR ISSUE"));
    let rows = rows(&html);
    // Schedule 4: product type and batch; name and address of each
    // manufacturer; authorised representatives; prepared by or for the
    // manufacturer; declaration of compliance with the standard's number,
    // version and date; defined support period; signature, name and function
    // of the signatory; place and date of issue.
    let expect: &[(&str, Vec<&str>)] = &[
        (
            "product",
            vec![
                product["type"].as_str().unwrap(),
                product["batch"].as_str().unwrap(),
            ],
        ),
        (
            "manufacturers",
            vec![
                product["manufacturer"].as_str().unwrap(),
                product["manufacturer_address"].as_str().unwrap(),
            ],
        ),
        ("authorised_representatives", vec!["None"]),
        (
            "prepared_by",
            vec![
                "on behalf of the manufacturer",
                decl["prepared_by"].as_str().unwrap(),
            ],
        ),
        (
            "compliance",
            vec![
                "SI 2023/1007",
                "EN 303 645 V2.1.1 (2020-06)",
                "5.1-1",
                "5.3-13",
            ],
        ),
        ("standard", vec!["ETSI EN 303 645", "V2.1.1", "2020-06"]),
        (
            "support_period",
            vec![profile["ixit"]["user_info"]["support_period"]["end_date"]
                .as_str()
                .unwrap()],
        ),
        (
            "signatory_name",
            vec![decl["signatory"]["name"].as_str().unwrap()],
        ),
        (
            "signatory_function",
            vec![decl["signatory"]["function"].as_str().unwrap()],
        ),
        ("signature", vec!["class=\"sig\""]),
        (
            "place_of_issue",
            vec![decl["place_of_issue"].as_str().unwrap()],
        ),
        (
            "date_of_issue",
            vec![decl["date_of_issue"].as_str().unwrap()],
        ),
    ];
    for (id, needles) in expect {
        let cell = rows
            .get(*id)
            .unwrap_or_else(|| panic!("no {id} row in the statement: {rows:#?}"));
        for n in needles {
            assert!(cell.contains(n), "{id}: {n:?} not in {cell:?}");
        }
    }
    // Printable, self-contained.
    assert!(html.contains("@media print"));
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("<img"));

    // The CRA sheet: single point of contact, disclosure policy, support end.
    let cra = std::fs::read_to_string(run.join("cra-user-information.html")).unwrap();
    let cra_rows = self::rows(&cra);
    assert!(cra_rows["vulnerability_contact"].contains("mailto:security@goodcam.example"));
    assert!(cra_rows["disclosure_policy"].contains("disclosure-policy"));
    assert!(cra_rows["support_end"].contains("December 2031"));
    assert!(cra_rows["sbom"].contains("sbom"));
    assert!(!cra.contains("MISSING"), "{cra}");
}

#[test]
fn documents_say_what_is_missing_and_refuse_to_declare_a_failed_product() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = edited_profile("good-camera", tmp.path(), "bare.json", |p| {
        p.as_object_mut().unwrap().remove("declaration");
    });
    let run = tmp.path().join("bare");
    let r = iotmark([
        "run",
        "--profile",
        bare.to_str().unwrap(),
        "--device",
        "sim:good-camera",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(run.join("statement-of-compliance.html")).unwrap();
    let missing = html.split("id=\"missing\"").nth(1).expect("missing list");
    for f in [
        "signatory_name",
        "signatory_function",
        "place_of_issue",
        "date_of_issue",
    ] {
        assert!(missing.contains(f), "{f} not listed missing");
    }

    let failed = tmp.path().join("mirai");
    let r = run_psti("mirai-dvr", &failed, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let html = std::fs::read_to_string(failed.join("statement-of-compliance.html")).unwrap();
    assert!(html.contains("id=\"not-for-issue\""));
}

#[test]
fn report_html_is_self_contained_and_escapes_hostile_declarations() {
    let tmp = tempfile::tempdir().unwrap();
    let hostile = edited_profile("good-camera", tmp.path(), "hostile.json", |p| {
        p["product"]["manufacturer_address"] = "<script>alert('addr')</script>".into();
        p["ics"]["5.1-1"]["detail"] = "<img src=x onerror=alert(1)> & \"quoted\"".into();
        p["declaration"]["signatory"]["name"] = "</td><script>alert(2)</script>".into();
    });
    let run = tmp.path().join("run");
    let r = iotmark([
        "run",
        "--profile",
        hostile.to_str().unwrap(),
        "--device",
        "sim:good-camera",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    for file in [
        "report.html",
        "statement-of-compliance.html",
        "cra-user-information.html",
    ] {
        let html = std::fs::read_to_string(run.join(file)).unwrap();
        let lower = html.to_lowercase();
        for banned in [
            "<script",
            "<img",
            "<link",
            "<iframe",
            "<style src",
            "<meta http-equiv=\"refresh",
        ] {
            assert!(!lower.contains(banned), "{file} contains {banned}");
        }
    }
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("&lt;script&gt;alert(&#39;addr&#39;)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;"));
    // The page carries the parts a client and an auditor look for.
    for needle in [
        "id=\"verdict-table\"",
        "id=\"evidence\"",
        "id=\"declaration\"",
        "id=\"attestations\"",
        "psti/passwords.feature",
        "Profile SHA-256",
        "@media print",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle}");
    }
}

#[test]
fn diff_shows_changed_verdicts_and_a_shortened_support_period() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old");
    let r = run_psti("good-camera", &old, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // A later declaration ends support earlier than the page (and the first
    // run) says.
    let shorter = edited_profile("good-camera", tmp.path(), "shorter.json", |p| {
        p["ixit"]["user_info"]["support_period"]["end_date"] = "2030-06-30".into();
        p["product"]["firmware"] = "2.5.0".into();
    });
    let new = tmp.path().join("new");
    let r = iotmark([
        "run",
        "--profile",
        shorter.to_str().unwrap(),
        "--device",
        "sim:good-camera",
        "--out",
        new.to_str().unwrap(),
    ]);
    assert_ne!(r.code, 2, "{}", r.stderr);

    let same = iotmark(["diff", old.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert!(same.stdout.contains("no test case changed verdict"));

    let d = iotmark([
        "diff",
        old.join("report.json").to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(d.code, 1, "{}{}", d.stdout, d.stderr);
    let j = d.json();
    assert_eq!(j["worse"], true);
    assert_eq!(j["diff"]["support"]["shortened"], true);
    assert_eq!(j["diff"]["support"]["old_end"], "2031-12-31");
    let changes = j["diff"]["changes"].as_array().unwrap();
    let c = changes
        .iter()
        .find(|c| c["id"] == "5.3-13-2")
        .expect("5.3-13-2 changed");
    assert_eq!(c["old"], "PASS");
    assert_eq!(c["new"], "FAIL");
    assert_eq!(c["change"], "regressed");

    let text = iotmark(["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("SUPPORT PERIOD SHORTENED"));
    assert!(text.stdout.contains("5.3-13-2"));

    // The other way round is an improvement and an extension: exit 0.
    let back = iotmark(["diff", new.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(back.code, 0, "{}", back.stdout);

    let bad = iotmark(["diff", old.to_str().unwrap(), "/nonexistent"]);
    assert_eq!(bad.code, 2);
}

/// `iotmark ARGS` with one extra environment variable.
fn iotmark_with_env(args: &[&str], var: &str, value: &str) -> Run {
    let out = std::process::Command::new(bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .env(var, value)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: std::time::Duration::ZERO,
    }
}

#[test]
fn an_encrypted_lab_key_signs_a_report_only_with_its_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let var = "IOTMARK_TEST_REPORT_LAB_PASS";
    let passphrase = "lab passphrase for reports";
    let auth = root.join("authority");
    let lab = root.join("lab");
    let r = iotmark([
        "keys",
        "init-authority",
        "--name",
        "Report Accreditation",
        "--out",
        auth.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = iotmark_with_env(
        &[
            "keys",
            "init-lab",
            "--authority",
            auth.to_str().unwrap(),
            "--name",
            "Report Lab",
            "--out",
            lab.to_str().unwrap(),
            "--passphrase-env",
            var,
        ],
        var,
        passphrase,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run_dir = root.join("run");
    let r = run_psti("good-camera", &run_dir, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let key = lab.join("lab.key").display().to_string();
    let cert = lab.join("lab.pem").display().to_string();
    let run = run_dir.display().to_string();
    let sign = |with: Option<&str>| {
        let mut args = vec!["report", "sign", &run, "--key", &key, "--cert", &cert];
        if with.is_some() {
            args.extend(["--passphrase-env", var]);
        }
        iotmark_with_env(&args, var, with.unwrap_or(passphrase))
    };

    // Without the passphrase, and with a wrong one: bad input naming the key.
    for attempt in [None, Some("not the passphrase")] {
        let r = sign(attempt);
        assert_eq!(r.code, 2, "{attempt:?}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("lab.key"), "{attempt:?}: {}", r.stderr);
        assert!(!run_dir.join("report.seal").exists());
    }

    let r = sign(Some(passphrase));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let anchor = auth.join("authority.pem").display().to_string();
    let r = verify(&run_dir, &["--trust-anchor", &anchor]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}
