//! The adapters' probes against simulated products opened as devices: the
//! port scan sees exactly the simulation's ports, and the TLS prober reads
//! the good camera's rustls server correctly.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use iotmark_adapters::device::Device;
use iotmark_adapters::evidence::EvidenceLog;
use iotmark_adapters::probe::tls::{TlsVersion, WeakSuiteSet};
use iotmark_adapters::probe::ProbeConfig;
use iotmark_adapters::profile::Profile;
use iotmark_sim::sim_profile;

fn profile(product: &str) -> Profile {
    Profile::from_bytes(sim_profile(product).unwrap().as_bytes(), Path::new(product)).unwrap()
}

fn quick() -> ProbeConfig {
    ProbeConfig {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        ..ProbeConfig::default()
    }
}

async fn open_device(
    spec: &str,
    profile: &Profile,
    config: ProbeConfig,
    unit: usize,
) -> Result<Arc<dyn Device>, iotmark_adapters::adapter::AdapterError> {
    let name = spec.strip_prefix("sim:").unwrap();
    iotmark_sim::open(spec, name, profile, config, unit).await
}

fn evidence() -> (tempfile::TempDir, Arc<EvidenceLog>) {
    let dir = tempfile::tempdir().unwrap();
    let log = EvidenceLog::create(&dir.path().join("evidence.jsonl")).unwrap();
    (dir, log)
}

fn records(dir: &tempfile::TempDir) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.path().join("evidence.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn sim_scan_reports_device_ports() {
    let device = open_device("sim:mirai-dvr", &profile("mirai-dvr"), quick(), 0)
        .await
        .unwrap();
    let (_dir, log) = evidence();
    let open = device
        .scan_tcp(&log.scope("scan"), 1..=65535)
        .await
        .unwrap();
    assert_eq!(open, vec![23, 443]);
    let open = device.scan_tcp(&log.scope("scan"), 1..=100).await.unwrap();
    assert_eq!(open, vec![23]);
}

#[tokio::test]
async fn rustls_device_accepts_only_tls12_and_no_weak_suites() {
    let device = open_device("sim:good-camera", &profile("good-camera"), quick(), 0)
        .await
        .unwrap();
    let (dir, log) = evidence();
    let report = device.probe_tls(&log.scope("tls"), 443).await.unwrap();
    assert_eq!(
        report.accepted_versions(),
        vec![TlsVersion::TLS12],
        "{report:?}"
    );
    assert!(!report.accepts_deprecated_versions());
    assert!(report.accepted_weak_sets().is_empty(), "{report:?}");
    assert!(report.certificate_sha256.is_some());
    assert!(report.versions[0].answer.starts_with("alert"), "{report:?}");
    assert_eq!(records(&dir).len(), 3 + WeakSuiteSet::ALL.len());
}
