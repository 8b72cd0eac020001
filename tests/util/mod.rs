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
