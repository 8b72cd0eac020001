//! End-to-end tests of the full ETSI EN 303 645 catalogue: the catalogue
//! against the reference list, the `en303645` schemes on the good camera with
//! and without assessor attestations, declaration errors, the IXIT checks, and
//! the README's coverage table.

// Code here runs only inside tests: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use util::*;

fn attestations(name: &str) -> PathBuf {
    repo()
        .join("examples/attestations")
        .join(format!("{name}.json"))
}

/// `iotmark run` on sim:good-camera with the given profile and scheme.
fn run_camera(profile: &Path, scheme: &str, out: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<String> = [
        "run",
        "--profile",
        profile.to_str().unwrap(),
        "--device",
        "sim:good-camera",
        "--scheme",
        scheme,
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    iotmark(args)
}

fn catalogue(scheme: &str) -> Value {
    let run = iotmark(["catalogue", "--scheme", scheme, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

/// test case -> how, from a report or a catalogue.
fn hows(doc: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for p in doc["provisions"].as_array().unwrap() {
        for t in p["test_cases"].as_array().unwrap() {
            out.insert(
                t["id"].as_str().unwrap().to_string(),
                t["how"].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

#[test]
fn full_catalogue_lists_the_reference_provisions_and_test_cases() {
    let text =
        std::fs::read_to_string(repo().join("crates/steps/data/en303645-v2.1.1-provisions.csv"))
            .unwrap();
    let c = catalogue("en303645-full");
    let provisions = c["provisions"].as_array().unwrap();
    assert_eq!(provisions.len(), 68);
    assert_eq!(c["test_cases"], 109);
    let mut lines = text.lines();
    lines.next();
    let mut n = 0;
    for (line, p) in lines.zip(provisions) {
        // id,status,... where a quoted status holds a comma: R C(9,12).
        let (id, rest) = line.split_once(',').unwrap();
        let status = if let Some(q) = rest.strip_prefix('"') {
            q.split('"').next().unwrap()
        } else {
            rest.split(',').next().unwrap()
        };
        assert_eq!(p["id"], id);
        assert_eq!(p["status_code"], status, "{id}");
        assert_eq!(
            p["status"],
            if status.starts_with('M') {
                "mandatory"
            } else {
                "recommended"
            }
        );
        assert_eq!(p["standard"], "en303645-v2.1.1");
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{id}");
        n += 1;
    }
    assert_eq!(n, 68);
    let kinds: Vec<&str> = provisions
        .iter()
        .flat_map(|p| p["test_cases"].as_array().unwrap())
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "conceptual").count(), 62);
    assert_eq!(kinds.iter().filter(|k| **k == "functional").count(), 46);
    assert_eq!(kinds.iter().filter(|k| **k == "mixed").count(), 1);

    let mandatory = catalogue("en303645");
    assert!(mandatory["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "mandatory"));
}

#[test]
fn good_camera_is_conformant_with_its_attestations() {
    let dir = tempfile::tempdir().unwrap();
    let att = attestations("good-camera");
    for scheme in ["en303645", "en303645-full"] {
        let run = run_camera(
            &profile("good-camera"),
            scheme,
            &dir.path().join(scheme),
            &["--attestations", att.to_str().unwrap()],
        );
        assert_eq!(run.code, 0, "{scheme}: {}\n{}", run.stderr, run.stdout);
        let r = run.json();
        assert_schema_valid("report.schema.json", &r);
        assert_eq!(r["verdict"], "conformant");
        assert_eq!(r["risk_class"]["class"], 2);
        let how = hows(&r);
        for (case, verdict) in case_verdicts(&r) {
            assert!(
                verdict == "PASS" || verdict == "NOT_APPLICABLE",
                "{scheme} {case}: {verdict}"
            );
            if how[&case] == "assessor" && verdict == "PASS" {
                let text = r.to_string();
                assert!(text.contains("attested by Morgan Ellis (Lead assessor)"));
            }
        }
    }
}

#[test]
fn without_attestations_the_assessor_cases_are_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_camera(&profile("good-camera"), "en303645", dir.path(), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["verdict"], "inconclusive");
    let how = hows(&r);
    let verdicts = case_verdicts(&r);
    let mut waiting = 0;
    for (case, verdict) in &verdicts {
        if how[case] == "assessor" && verdict != "NOT_APPLICABLE" {
            assert_eq!(verdict, "INCONCLUSIVE", "{case}");
            assert!(
                run.stderr.contains(case.as_str()),
                "stderr names {case}: {}",
                run.stderr
            );
            waiting += 1;
        } else {
            assert_ne!(verdict, "INCONCLUSIVE", "{case}");
        }
    }
    assert!(waiting > 0);
    assert!(r
        .to_string()
        .contains("no assessor attestation for test case"));
    assert!(run.stderr.contains(&format!(
        "{waiting} test case(s) await an assessor attestation"
    )));
}

#[test]
fn not_applicable_on_an_unconditional_provision_is_refused_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    // A mandatory and a recommended provision without conditions; the
    // recommended one is refused even when the scheme leaves it out.
    for (id, scheme) in [
        ("5.5-1", "en303645"),
        ("5.6-5", "en303645"),
        ("4-1", "uk-psti"),
    ] {
        let path = edited_profile("good-camera", dir.path(), "na.json", |p| {
            p["ics"][id] =
                json!({"support": "N/A", "detail": "We consider this does not apply to us."});
        });
        // Each run its own folder: run --out never reuses an earlier run's.
        let run = run_camera(&path, scheme, &dir.path().join(format!("out-{id}")), &[]);
        assert_eq!(run.code, 2, "{id}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("/ics/{id}/support")),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("na.json"), "{}", run.stderr);
    }
    // N/A on a conditional provision whose condition holds is refused too.
    let path = edited_profile("good-camera", dir.path(), "na.json", |p| {
        p["ics"]["5.3-7"] = json!({"support": "N/A", "detail": "Updates are signed elsewhere."});
    });
    let run = run_camera(&path, "en303645", &dir.path().join("out-5.3-7"), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("/ics/5.3-7/support"), "{}", run.stderr);
}

#[test]
fn unjustified_recommendations_fail_4_1() {
    let dir = tempfile::tempdir().unwrap();
    let att = attestations("good-camera");
    type Edit = fn(&mut Value);
    let flaws: [(&str, Edit); 2] = [
        // A recommendation the ICS does not mention at all.
        ("recommendation(s) 5.9-1", |p| {
            p["ics"].as_object_mut().unwrap().remove("5.9-1");
        }),
        // One declared not met, with no real justification.
        ("/ics/5.6-9 (not met)", |p| {
            p["ics"]["5.6-9"] = json!({"support": "N", "detail": "no"});
        }),
    ];
    for (i, (needle, edit)) in flaws.into_iter().enumerate() {
        let path = edited_profile("good-camera", dir.path(), "gaps.json", edit);
        let run = run_camera(
            &path,
            "en303645",
            &dir.path().join(format!("gaps-{i}")),
            &["--attestations", att.to_str().unwrap()],
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        let r = run.json();
        let v = case_verdicts(&r);
        assert_eq!(v["4-1-1"], "FAIL");
        assert!(r.to_string().contains(needle), "{needle}");
        // Every other test case still passes.
        assert_eq!(v.values().filter(|v| *v == "FAIL").count(), 1, "{v:?}");
    }

    // A justified gap is fine.
    let path = edited_profile("good-camera", dir.path(), "justified.json", |p| {
        p["ics"]["5.6-9"] = json!({"support": "N", "detail": "The firmware is built by a two-person team without a formal secure development process; one is being adopted for the next model."});
    });
    let run = run_camera(
        &path,
        "en303645",
        &dir.path().join("ok"),
        &["--attestations", att.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Each IXIT flaw fails exactly the test case that reads it.
#[test]
fn ixit_flaws_fail_their_test_cases() {
    type Edit = fn(&mut Value);
    // (test case, scheme, flaw); a flaw in a shared table may fail more than
    // one test case, listed in `also`.
    let cases: [(&str, &str, Edit); 12] = [
        ("5.1-3-1", "en303645", |p| {
            p["ixit"]["interfaces"][0]["protocol"] = json!("http");
        }),
        ("5.1-5-1", "en303645", |p| {
            p["ixit"]["auth_mechanisms"][0]["brute_force"]["max_consecutive_failures"] =
                json!(1000);
        }),
        ("5.3-2-1", "en303645", |p| {
            p["ixit"]["update_mechanisms"][0]["channel"] = json!("none");
        }),
        ("5.3-7-1", "en303645", |p| {
            p["ixit"]["update_mechanisms"][0]["signature_algorithm"] = json!("md5-checksum");
        }),
        ("5.3-9-1", "en303645-full", |p| {
            p["ixit"]["update_mechanisms"][0]["verified_by"] = json!("companion-app");
        }),
        ("5.3-6-1", "en303645-full", |p| {
            p["ixit"]["update_mechanisms"][0]["user_controls"] = json!(["disable"]);
        }),
        ("5.4-1-1", "en303645", |p| {
            p["ixit"]["security_parameters"][0]["storage"] = json!("plain");
        }),
        ("5.4-3-1", "en303645", |p| {
            p["ixit"]["security_parameters"][1]["hard_coded"] = json!(true);
        }),
        ("5.4-4-1", "en303645", |p| {
            p["ixit"]["security_parameters"][1]["unique_per_device"] = json!(false);
        }),
        ("5.8-2-1", "en303645", |p| {
            p["ixit"]["communications"][0]["protection"] = json!("tls-1.1");
        }),
        ("5.6-1-1", "en303645", |p| {
            p["ixit"]["interfaces"].as_array_mut().unwrap().push(json!({
                "name": "mystery", "protocol": "other", "port": 9999, "enabled": true,
                "unauthenticated_use": "none given", "changes_configuration": false
            }));
        }),
        ("5.11-1-1", "en303645", |p| {
            p["ixit"]["deletion_functions"][0]["scope"] = json!("associated-services");
        }),
    ];
    let dir = tempfile::tempdir().unwrap();
    let att = attestations("good-camera");
    for (case, scheme, edit) in cases {
        let path = edited_profile("good-camera", dir.path(), "flawed.json", edit);
        let run = run_camera(
            &path,
            scheme,
            &dir.path().join(case),
            &["--attestations", att.to_str().unwrap()],
        );
        // Every flaw makes the product not conformant: a mandatory test case
        // fails, or a recommendation the ICS declared met fails, which leaves
        // an unjustified gap and fails 4-1 too.
        assert_eq!(run.code, 1, "{case}: {}", run.stderr);
        let r = run.json();
        let failed: Vec<String> = case_verdicts(&r)
            .into_iter()
            .filter(|(_, v)| v == "FAIL")
            .map(|(c, _)| c)
            .collect();
        // Weak protection of the camera's cloud link also fails the general
        // communication provisions that read the same mechanism.
        let also: &[&str] = match case {
            "5.8-2-1" => &["5.5-1-1", "5.5-7-1"],
            // A declared interface the product does not open fails the scan.
            "5.6-1-1" => &["5.6-1-2"],
            // A login declared on plain HTTP sends its password in the clear.
            "5.1-3-1" => &["5.1-3-2", "5.5-1-2"],
            // The mixed 5.3-10-1 reads the declared trust relationship too.
            "5.3-7-1" | "5.3-9-1" => &["5.3-10-1"],
            _ => &[],
        };
        let mut want: Vec<String> = also.iter().map(|c| c.to_string()).collect();
        want.push(case.to_string());
        if scheme == "en303645-full" {
            // The cases run under the full scheme are the recommendations.
            want.push("4-1-1".into());
        }
        want.sort();
        assert_eq!(failed, want, "{case}");
        assert_eq!(hows(&r)[case], "ixit");
    }
}

#[test]
fn attestation_files_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(attestations("good-camera")).unwrap())
            .unwrap();
    // An attestation cannot decide an automated test case, and must be for this product.
    doc["attestations"][0]["test_case"] = json!("5.1-1-2");
    doc["product"]["firmware"] = json!("9.9.9");
    doc["attestations"][1]["verdict"] = json!("PROBABLY");
    let bad = dir.path().join("bad-attestations.json");
    std::fs::write(&bad, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let run = run_camera(
        &profile("good-camera"),
        "en303645",
        &dir.path().join("out"),
        &["--attestations", bad.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("bad-attestations.json"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("/attestations/1/verdict"),
        "{}",
        run.stderr
    );

    doc["attestations"][1]["verdict"] = json!("FAIL");
    std::fs::write(&bad, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let run = run_camera(
        &profile("good-camera"),
        "en303645",
        &dir.path().join("out"),
        &["--attestations", bad.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    for needle in [
        "/attestations/0/test_case",
        "decided automatically",
        "/product/firmware",
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }

    // An attested FAIL fails the product.
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(attestations("good-camera")).unwrap())
            .unwrap();
    let idx = doc["attestations"]
        .as_array()
        .unwrap()
        .iter()
        .position(|a| a["test_case"] == "5.4-1-2")
        .unwrap();
    doc["attestations"][idx]["verdict"] = json!("FAIL");
    doc["attestations"][idx]["rationale"] = json!(
        "The administrator password hash was read out of the flash over the board's test pads."
    );
    let fail = dir.path().join("fail.json");
    std::fs::write(&fail, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let run = run_camera(
        &profile("good-camera"),
        "en303645",
        &dir.path().join("fail"),
        &["--attestations", fail.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(case_verdicts(&r)["5.4-1-2"], "FAIL");
    assert!(r.to_string().contains("read out of the flash"));
}

#[test]
fn the_example_attestations_are_schema_valid() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(attestations("good-camera")).unwrap())
            .unwrap();
    assert_schema_valid("attestation.schema.json", &doc);
}

/// The coverage section of the README, computed from the catalogue.
fn coverage_table(c: &Value) -> String {
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for p in c["provisions"].as_array().unwrap() {
        for t in p["test_cases"].as_array().unwrap() {
            let kind = t["kind"].as_str().unwrap().to_string();
            let how = t["how"].as_str().unwrap().to_string();
            *counts.entry((kind, how)).or_default() += 1;
        }
    }
    let n = |kind: &str, how: &str| {
        counts
            .get(&(kind.to_string(), how.to_string()))
            .copied()
            .unwrap_or(0)
    };
    let total: usize = counts.values().sum();
    let mut out = String::from(
        "| kind | test cases | automated (probes the product) | IXIT-checked | assessor-only |\n|---|---|---|---|---|\n",
    );
    for kind in ["conceptual", "functional", "mixed"] {
        let all = n(kind, "automated") + n(kind, "ixit") + n(kind, "assessor");
        out.push_str(&format!(
            "| {kind} | {all} | {} | {} | {} |\n",
            n(kind, "automated"),
            n(kind, "ixit"),
            n(kind, "assessor")
        ));
    }
    let sum = |how: &str| n("conceptual", how) + n("functional", how) + n("mixed", how);
    out.push_str(&format!(
        "| **all** | **{total}** | **{}** | **{}** | **{}** |\n",
        sum("automated"),
        sum("ixit"),
        sum("assessor")
    ));
    let functional = n("functional", "automated")
        + n("functional", "ixit")
        + n("functional", "assessor")
        + n("mixed", "automated")
        + n("mixed", "assessor");
    let automated = n("functional", "automated") + n("mixed", "automated");
    out.push_str(&format!(
        "\nOf the {functional} functional test cases (the mixed one included), {automated} are automated ({}%).\n",
        automated * 100 / functional.max(1)
    ));
    // The ones tagged @network: decidable from the product's network interfaces.
    let network: Vec<&Value> = c["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["test_cases"].as_array().unwrap())
        .filter(|t| t["network"] == true)
        .collect();
    let network_automated = network.iter().filter(|t| t["how"] == "automated").count();
    out.push_str(&format!(
        "Of the {} network-relevant functional test cases (tagged `@network`), {network_automated} are automated ({}%).\n",
        network.len(),
        network_automated * 100 / network.len().max(1)
    ));
    out
}

#[test]
fn readme_coverage_table_matches_the_catalogue() {
    let table = coverage_table(&catalogue("en303645-full"));
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "README.md's coverage table is stale; it should read:\n\n{table}"
    );
}

/// Run `en303645` on the camera with an edited profile and its attestations;
/// the report.
fn run_flawed(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> (Run, Value) {
    let path = edited_profile("good-camera", dir, &format!("{name}.json"), edit);
    let att = attestations("good-camera");
    let run = run_camera(
        &path,
        "en303645",
        &dir.join(name),
        &["--attestations", att.to_str().unwrap()],
    );
    let r = run.json();
    (run, r)
}

/// The reason given for one test case's verdict.
fn case_text(r: &Value, case: &str) -> String {
    r["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["test_cases"].as_array().unwrap())
        .find(|t| t["id"] == case)
        .map(|t| t.to_string())
        .unwrap()
}

#[test]
fn port_scan_catches_undeclared_and_closed_interfaces() {
    let dir = tempfile::tempdir().unwrap();
    // The camera serves port 443; a profile that declares both of its
    // interfaces there disabled leaves 443 open and undeclared.
    let (run, r) = run_flawed(dir.path(), "undeclared", |p| {
        for i in p["ixit"]["interfaces"].as_array_mut().unwrap() {
            i["enabled"] = json!(false);
        }
    });
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert_eq!(case_verdicts(&r)["5.6-1-2"], "FAIL");
    assert_eq!(hows(&r)["5.6-1-2"], "automated");
    let text = case_text(&r, "5.6-1-2");
    assert!(
        text.contains("no enabled declared interface: 443"),
        "{text}"
    );

    // A declared enabled interface that nothing answers on.
    let (run, r) = run_flawed(dir.path(), "closed", |p| {
        p["ixit"]["interfaces"].as_array_mut().unwrap().push(json!({
            "name": "rtsp", "protocol": "other", "port": 554, "enabled": true,
            "description": "Live video over RTSP",
            "unauthenticated_use": "none", "changes_configuration": false
        }));
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = case_verdicts(&r);
    assert_eq!(v["5.6-1-2"], "FAIL");
    let text = case_text(&r, "5.6-1-2");
    assert!(
        text.contains("declared enabled interface(s) not open: 554 (rtsp)"),
        "{text}"
    );
}

/// The response of the port scan's evidence record in a run's folder.
fn scan_evidence(out: &Path) -> String {
    let evidence = std::fs::read_to_string(out.join("evidence.jsonl")).unwrap();
    evidence
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["probe"] == "tcp-port-scan")
        .and_then(|r| r["response"].as_str().map(str::to_owned))
        .expect("a port scan record")
}

#[test]
fn the_scan_method_is_chosen_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    // Root may open and use a raw socket: then the default is a SYN scan.
    // (The 20 zero bytes are a TCP header the kernel drops as malformed.)
    let raw_allowed = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::RAW,
        Some(socket2::Protocol::TCP),
    )
    .and_then(|s| {
        s.send_to(
            &[0u8; 20],
            &std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into(),
        )
    })
    .is_ok();
    let att = attestations("good-camera");
    let att = att.to_str().unwrap();
    for (name, extra, method) in [
        (
            "connect",
            &["--connect-scan", "--attestations", att][..],
            "connect",
        ),
        (
            "default",
            &["--attestations", att][..],
            if raw_allowed { "syn" } else { "connect" },
        ),
    ] {
        let out = dir.path().join(name);
        let run = run_camera(&profile("good-camera"), "en303645", &out, extra);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(case_verdicts(&run.json())["5.6-1-2"], "PASS");
        let scan = scan_evidence(&out);
        assert!(scan.ends_with(&format!("({method} scan)")), "{scan}");
        // The report says how ports were to be scanned.
        let setting = if name == "connect" {
            "connect"
        } else {
            "syn-where-permitted"
        };
        assert_eq!(run.json()["settings"]["port_scan"], setting);
        assert_schema_valid("report.schema.json", &run.json());
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(
            html.contains(&format!("<dt>Port scan</dt><dd>{setting}</dd>")),
            "report.html shows the setting"
        );
        assert!(scan.starts_with("open: [443]"), "{scan}");
    }
}

#[test]
fn tls_survey_and_cleartext_logins_decide_5_5_1_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_camera(
        &profile("good-camera"),
        "en303645",
        &dir.path().join("good"),
        &[],
    );
    let r = run.json();
    assert_eq!(case_verdicts(&r)["5.5-1-2"], "PASS");
    let text = case_text(&r, "5.5-1-2");
    assert!(text.contains("port 443 (admin-api, admin-web)"), "{text}");

    // A web login declared on plain HTTP sends the password in the clear.
    let (run, r) = run_flawed(dir.path(), "plain", |p| {
        p["ixit"]["interfaces"][1]["protocol"] = json!("http");
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(case_verdicts(&r)["5.5-1-2"], "FAIL");
    let text = case_text(&r, "5.5-1-2");
    assert!(
        text.contains("HTTP form login on plain HTTP on admin-web (port 443)"),
        "{text}"
    );
}

#[test]
fn cleartext_credentials_fail_5_1_3_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_camera(
        &profile("good-camera"),
        "en303645",
        &dir.path().join("good"),
        &[],
    );
    let r = run.json();
    assert_eq!(case_verdicts(&r)["5.1-3-2"], "PASS");
    let text = case_text(&r, "5.1-3-2");
    assert!(
        text.contains("port 443 (admin-api, admin-web) negotiates TLS 1.2"),
        "{text}"
    );

    // The administrator mechanism also guards a telnet console.
    let (run, r) = run_flawed(dir.path(), "telnet", |p| {
        p["ixit"]["interfaces"].as_array_mut().unwrap().push(json!({
            "name": "console", "protocol": "telnet", "port": 23, "enabled": true,
            "login": {"kind": "telnet-prompt"},
            "description": "Service console", "changes_configuration": true
        }));
        p["ixit"]["auth_mechanisms"][0]["interfaces"]
            .as_array_mut()
            .unwrap()
            .push(json!("console"));
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(case_verdicts(&r)["5.1-3-2"], "FAIL");
    let text = case_text(&r, "5.1-3-2");
    assert!(
        text.contains("AUTH-ADMIN is offered on console (Telnet, port 23), which does not encrypt"),
        "{text}"
    );
}

#[test]
fn the_model_designation_on_the_device_must_match_5_3_16_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_camera(
        &profile("good-camera"),
        "en303645",
        &dir.path().join("good"),
        &[],
    );
    let r = run.json();
    assert_eq!(case_verdicts(&r)["5.3-16-2"], "PASS");
    assert!(case_text(&r, "5.3-16-2").contains("shows model GC-200"));

    // A declaration naming another model than the one the camera shows.
    let path = edited_profile("good-camera", dir.path(), "model.json", |p| {
        p["product"]["model"] = json!("GC-210");
    });
    let run = run_camera(&path, "en303645", &dir.path().join("model"), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(case_verdicts(&r)["5.3-16-2"], "FAIL");
    let text = case_text(&r, "5.3-16-2");
    assert!(
        text.contains("the declared model designation GC-210 is not shown"),
        "{text}"
    );
}

/// The good camera's attestations, rewritten for another camera of the
/// catalogue: the assessor test cases are not what these products get wrong.
fn attestations_for(product: &str, dir: &Path) -> PathBuf {
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(attestations("good-camera")).unwrap())
            .unwrap();
    let p: Value =
        serde_json::from_str(&std::fs::read_to_string(profile(product)).unwrap()).unwrap();
    doc["product"] = json!({
        "manufacturer": p["product"]["manufacturer"],
        "model": p["product"]["model"],
        "firmware": p["product"]["firmware"],
    });
    let path = dir.join(format!("{product}-attestations.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    path
}

/// `iotmark run` on `sim:<product>` with its example profile and attestations.
fn run_product(product: &str, scheme: &str, dir: &Path) -> Run {
    let att = attestations_for(product, dir);
    iotmark([
        "run",
        "--profile",
        profile(product).to_str().unwrap(),
        "--device",
        &format!("sim:{product}"),
        "--scheme",
        scheme,
        "--out",
        dir.join(format!("{product}-{scheme}")).to_str().unwrap(),
        "--format",
        "json",
        "--attestations",
        att.to_str().unwrap(),
    ])
}

/// Each flawed camera fails exactly the test cases of the provisions it
/// breaks, in both schemes; every other test case has the good camera's
/// verdict. Mandatory failures make the product not conformant (exit 1). A
/// failed recommendation that the ICS declared met is an unjustified gap, so
/// it fails 4-1 (mandatory) as well, and the product is not conformant either.
#[test]
fn flawed_products_fail_exactly_what_they_break() {
    let dir = tempfile::tempdir().unwrap();
    let flawed: [(&str, &[&str]); 13] = [
        ("no-lockout-camera", &["5.1-5-2"]),
        ("sticky-password-camera", &["5.1-4-2"]),
        ("unsigned-update-camera", &["5.3-2-2", "5.3-10-1"]),
        ("open-settings-camera", &["5.5-4-2", "5.5-5-2"]),
        ("chatty-camera", &["5.6-2-2"]),
        ("fragile-api-camera", &["5.13-1-2"]),
        ("cloud-tethered-camera", &["5.9-1-2", "5.9-2-2"]),
        ("shallow-erase-camera", &["5.11-1-2", "5.11-4-1"]),
        ("opaque-doorbell", &["5.8-3-1", "6-1-2"]),
        ("ignored-choices-camera", &["5.3-6-2", "6-3-2"]),
        (
            "undocumented-camera",
            &["5.11-3-1", "5.12-2-1", "5.12-3-1", "6-5-2"],
        ),
        (
            "cleartext-cloud-camera",
            &["5.5-6-2", "5.5-7-2", "5.8-1-2", "5.8-2-2"],
        ),
        ("reconnect-storm-camera", &["5.9-3-2"]),
    ];
    for scheme in ["en303645", "en303645-full"] {
        let good = run_product("good-camera", scheme, dir.path());
        assert_eq!(good.code, 0, "{scheme}: {}", good.stderr);
        let baseline = case_verdicts(&good.json());
        assert!(baseline
            .values()
            .all(|v| v == "PASS" || v == "NOT_APPLICABLE"));
        let mandatory: Vec<String> = hows(&catalogue("en303645")).into_keys().collect();
        for (product, breaks) in flawed {
            let run = run_product(product, scheme, dir.path());
            let r = run.json();
            assert_schema_valid("report.schema.json", &r);
            let mut want = baseline.clone();
            let mut mandatory_failure = false;
            for case in breaks.iter().filter(|c| baseline.contains_key(**c)) {
                want.insert(case.to_string(), "FAIL".into());
                if !mandatory.contains(&case.to_string()) {
                    want.insert("4-1-1".into(), "FAIL".into());
                }
                mandatory_failure = true;
                assert_eq!(hows(&r)[*case], "automated", "{product} {case}");
            }
            assert_eq!(
                case_verdicts(&r),
                want,
                "{product} {scheme}:\n{}",
                run.stdout
            );
            let exit = if mandatory_failure { 1 } else { 0 };
            assert_eq!(run.code, exit, "{product} {scheme}: {}", run.stderr);
        }
    }
}

#[test]
fn functional_probes_pass_on_the_good_camera_with_their_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_product("good-camera", "en303645-full", dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    for (case, needle) in [
        (
            "5.1-4-2",
            "the new password opened and the old one was refused",
        ),
        ("5.1-5-2", "at attempt 11"),
        ("5.3-2-2", "reports version 2.4.2"),
        (
            "5.3-10-1",
            "refused an image signed with a fresh Ed25519 key the manufacturer never held (HTTP 422); the status was unchanged",
        ),
        ("5.5-4-2", "refused a request without credentials"),
        ("5.5-5-2", "the settings were unchanged"),
        ("5.6-2-2", "show no software version and no secret"),
        ("5.8-3-1", "camera, microphone, motion sensor"),
        ("5.9-2-2", "answered while the uplink was cut"),
        ("5.11-1-2", "the stored item was gone"),
        ("5.13-1-2", "were all refused with HTTP 4xx"),
        ("6-1-2", "with purpose and processor"),
        ("5.9-1-2", "answered while the uplink was cut"),
        ("5.11-4-1", "says the data was deleted, and it was"),
        ("5.11-3-1", "Erase all data, Delete account"),
        ("5.12-2-1", "leave remote access off"),
        ("5.12-3-1", "at its secure value (2 check(s))"),
        ("6-5-2", "kinds of telemetry with purpose and processor"),
        ("5.3-6-2", "postpone_days=7"),
        ("6-3-2", "stayed withdrawn after a power cut"),
        ("5.5-6-2", "opened with a TLS ClientHello offering TLS 1.3"),
        ("5.5-7-2", "to TLS 1.2"),
        (
            "5.8-1-2",
            "a recording title the harness stored was readable",
        ),
        ("5.8-2-2", "for cloud.goodcam.example"),
        ("5.9-3-2", "reconnected"),
    ] {
        assert_eq!(case_verdicts(&r)[case], "PASS", "{case}");
        assert_eq!(hows(&r)[case], "automated", "{case}");
        let text = case_text(&r, case);
        assert!(text.contains(needle), "{case}: {text}");
    }
}
