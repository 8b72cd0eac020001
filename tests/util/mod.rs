//! Shared kit for the end-to-end tests: run the built CLI in a temp folder and
//! read what it wrote.

// Test support: a panic here is a test failure, which is what we want.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_iotmark")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn profile(name: &str) -> PathBuf {
    repo()
        .join("examples/profiles")
        .join(format!("{name}.json"))
}

/// The result of one CLI call.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Run `iotmark ARGS` and collect its exit code and output.
pub fn iotmark<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let started = Instant::now();
    let out: Output = Command::new(bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the iotmark binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Run the UK PSTI scheme on `sim:<product>` with its example profile.
pub fn run_psti(product: &str, out: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec![
        "run".into(),
        "--profile".into(),
        profile(product).display().to_string(),
        "--device".into(),
        format!("sim:{product}"),
        "--scheme".into(),
        "uk-psti".into(),
        "--out".into(),
        out.display().to_string(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    iotmark(args)
}

/// Validate a document against one of the project's schemas.
pub fn assert_schema_valid(schema_file: &str, doc: &serde_json::Value) {
    assert_all_schema_valid(schema_file, std::slice::from_ref(doc));
}

/// Validate many documents against one schema, compiled once.
pub fn assert_all_schema_valid(schema_file: &str, docs: &[serde_json::Value]) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas").join(schema_file)).expect("schema file"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for (i, doc) in docs.iter().enumerate() {
        let errors: Vec<String> = validator
            .iter_errors(doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{schema_file} violations in document {i}: {errors:#?}"
        );
    }
}

/// test-case id -> verdict, from a report.
pub fn case_verdicts(report: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for p in report["provisions"].as_array().expect("provisions") {
        for t in p["test_cases"].as_array().expect("test_cases") {
            out.insert(
                t["id"].as_str().expect("id").to_string(),
                t["verdict"].as_str().expect("verdict").to_string(),
            );
        }
    }
    out
}

/// requirement id -> verdict.
pub fn requirement_verdicts(
    report: &serde_json::Value,
) -> std::collections::BTreeMap<String, String> {
    report["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_string(),
                r["verdict"].as_str().expect("verdict").to_string(),
            )
        })
        .collect()
}

/// Write a copy of a product's example profile, changed by `edit`, into `dir`.
pub fn edited_profile(
    product: &str,
    dir: &Path,
    name: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> PathBuf {
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(profile(product)).expect("profile"))
            .expect("profile JSON");
    edit(&mut p);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&p).expect("JSON")).expect("write profile");
    path
}

/// Seal a run folder with a lab key (`iotmark report sign`), as a lab does
/// before `issue`.
pub fn seal(run: &Path, key: &Path, cert: &Path) {
    let r = iotmark([
        "report",
        "sign",
        run.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--cert",
        cert.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "report sign {}: {}", run.display(), r.stderr);
}

/// The claims `issue` would sign for a run's report, from its JSON, with the
/// given serial; `simulated` false. For labels a lab signs outside `issue`.
pub fn claims_for_report(report_json: &Path, serial: u64) -> iotmark_labels::Claims {
    let bytes = std::fs::read(report_json).unwrap();
    let r: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let date = |s: &str| {
        time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
    };
    iotmark_labels::Claims {
        serial,
        issued: time::OffsetDateTime::now_utc().date(),
        manufacturer: r["product"]["manufacturer"].as_str().unwrap().into(),
        model: r["product"]["model"].as_str().unwrap().into(),
        firmware: r["product"]["firmware"].as_str().unwrap().into(),
        gtin: r["product"]["gtin"].as_str().map(Into::into),
        support_end: date(r["support_end"].as_str().unwrap()),
        disclosure_contact: r["disclosure_contact"].as_str().unwrap().into(),
        schemes: vec![r["scheme"].as_str().unwrap().into()],
        report_sha256: iotmark_labels::claims::ReportDigest::compact(&bytes),
        simulated: false,
    }
}

/// Sign raw claims with a lab key, outside `iotmark issue` and its rules
/// (what a lab holding the key could do), and write `label.cose`,
/// `label.url` and `lab.pem` into `out`. With a registry, the label is
/// recorded in it (serial as given). Returns the label URL.
pub fn sign_raw_label(
    key: &Path,
    cert: &Path,
    claims: iotmark_labels::Claims,
    registry: Option<&Path>,
    out: &Path,
) -> String {
    let signer = iotmark_labels::LabelSigner::from_files(key, cert).unwrap();
    let label = match registry {
        Some(path) => {
            let mut reg = iotmark_registry::Registry::open(path).unwrap();
            let serial = claims.serial;
            reg.issue(&signer, Some(serial), |_| claims).unwrap().label
        }
        None => signer.sign(&claims).unwrap(),
    };
    std::fs::create_dir_all(out).unwrap();
    let url = iotmark_labels::qr::label_url(&label, iotmark_labels::qr::DEFAULT_BASE_URL).unwrap();
    std::fs::write(out.join("label.cose"), label.as_bytes()).unwrap();
    std::fs::write(out.join("label.url"), format!("{url}\n")).unwrap();
    std::fs::write(out.join("lab.pem"), signer.certificate().to_pem()).unwrap();
    let origin = iotmark_labels::qr::origin_of(iotmark_labels::qr::DEFAULT_BASE_URL).unwrap();
    let link = iotmark_labels::qr::digital_link_url(&label, &origin).ok();
    let json = serde_json::json!({"url": url, "digital_link_url": link});
    std::fs::write(out.join("label.json"), json.to_string()).unwrap();
    url
}

/// Copy a run folder (its files, not subfolders) to `to`; returns `to`.
pub fn copy_run(from: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
    to.to_path_buf()
}
