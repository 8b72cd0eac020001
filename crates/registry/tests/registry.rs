//! The registry against real keys and a real SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec, LabCredentials};
use iotmark_labels::status::StatusList;
use iotmark_labels::verify::{verify_with_status, LabelInput, LabelStatus, TrustStore};
use iotmark_labels::Claims;
use iotmark_registry::{Registry, RegistryError};
use time::{Duration, OffsetDateTime};

fn pki() -> (AuthorityCredentials, LabCredentials) {
    let authority =
        AuthorityCredentials::generate(&CertificateSpec::authority("Test Body")).unwrap();
    let lab = authority
        .issue_lab(&CertificateSpec::lab("Test Lab", &["uk-psti".to_owned()]))
        .unwrap();
    (authority, lab)
}

fn claims(serial: u64) -> Claims {
    let today = OffsetDateTime::now_utc().date();
    Claims {
        serial,
        issued: today,
        manufacturer: "Acme Connected Devices Ltd".into(),
        model: format!("CAM-{serial}"),
        firmware: "1.0.0".into(),
        gtin: None,
        support_end: today + Duration::days(700),
        disclosure_contact: "https://acme.example/security".into(),
        schemes: vec!["uk-psti".into()],
        report_sha256: iotmark_labels::claims::ReportDigest::Sha256([7; 32]),
        simulated: false,
    }
}

#[test]
fn issue_prove_revoke_and_audit() {
    let (authority, lab) = pki();
    let signer = lab.signer().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    let mut reg = Registry::open(&path).unwrap();
    let mut heads = Vec::new();
    for expected in 1..=13u64 {
        let r = reg.issue(&signer, None, claims).unwrap();
        assert_eq!(r.serial, expected);
        assert_eq!(r.leaf_index, expected - 1);
        heads.push(r.tree_head.clone());
    }
    // A requested serial is honoured once.
    assert_eq!(reg.issue(&signer, Some(100), claims).unwrap().serial, 100);
    assert!(matches!(
        reg.issue(&signer, Some(100), claims),
        Err(RegistryError::SerialTaken { serial: 100 })
    ));
    assert_eq!(reg.issue(&signer, None, claims).unwrap().serial, 101);
    drop(reg);

    // Reopened: WAL, and everything is still there.
    let mut reg = Registry::open(&path).unwrap();
    let mode: String = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(reg.label_count().unwrap(), 15);

    let key = lab.certificate().public_key();
    let kid = lab.certificate().kid();
    for serial in reg.serials().unwrap() {
        let proof = reg.inclusion_proof(serial).unwrap();
        proof.verify(key, kid).unwrap();
    }
    for first in 1..=15u64 {
        let proof = reg.consistency_proof(first, None).unwrap();
        proof.verify(key, kid).unwrap();
    }
    // Early heads returned by issue are consistent with the final log.
    let p = reg.consistency_proof(heads[4].tree_size, None).unwrap();
    if let iotmark_labels::transparency::LogProof::Consistency { first, .. } = &p {
        assert_eq!(first, &heads[4]);
    }
    // A proof checked against another lab's key fails.
    let (_, other) = pki();
    assert!(reg
        .inclusion_proof(3)
        .unwrap()
        .verify(other.certificate().public_key(), kid)
        .is_err());

    reg.revoke(5, "key compromise at the manufacturer").unwrap();
    assert!(matches!(
        reg.revoke(5, "again"),
        Err(RegistryError::AlreadyRevoked { serial: 5, .. })
    ));
    assert!(matches!(
        reg.revoke(9999, "nope"),
        Err(RegistryError::UnknownSerial { serial: 9999, .. })
    ));
    let now = OffsetDateTime::now_utc();
    let signed = reg
        .signed_status_list(&signer, now, now + Duration::days(7))
        .unwrap();
    let trust = TrustStore::new(authority.anchor().clone()).with_lab(lab.certificate().clone());
    let list = StatusList::verify(&signed, &trust).unwrap();
    assert!(list.is_revoked(5));
    assert!(!list.is_revoked(4));
    assert_eq!(list.revoked_count(), 1);
    let today = now.date();
    for serial in [4u64, 5] {
        let label = reg.label(serial).unwrap().unwrap().label;
        let v = verify_with_status(
            &LabelInput::Cose(label.as_bytes().to_vec()),
            &trust,
            today,
            Some(&list),
        );
        let want = if serial == 5 {
            LabelStatus::Revoked
        } else {
            LabelStatus::Valid
        };
        assert_eq!(v.status, want, "{}", v.reason);
    }

    let audit = reg.audit().unwrap();
    assert_eq!(audit.labels, 15);
    assert_eq!(audit.tree_heads, 15);
    assert_eq!(audit.revocations, 1);

    // Append-only, enforced by the database itself.
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "DELETE FROM labels WHERE serial = 1",
        "UPDATE log_leaves SET leaf_hash = zeroblob(32) WHERE leaf_index = 0",
        "DELETE FROM tree_heads",
        "DELETE FROM revocations",
    ] {
        let e = conn.execute(sql, []).unwrap_err();
        assert!(
            e.to_string().contains("append-only") || e.to_string().contains("permanent"),
            "{e}"
        );
    }

    // Another lab's key cannot write into this lab's registry.
    let e = reg
        .issue(&other.signer().unwrap(), None, claims)
        .unwrap_err();
    assert!(matches!(e, RegistryError::WrongLab { .. }), "{e}");
}

#[test]
fn tampering_with_the_file_is_caught_by_the_audit() {
    let (_, lab) = pki();
    let signer = lab.signer().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let mut reg = Registry::open(&path).unwrap();
    for _ in 0..5 {
        reg.issue(&signer, None, claims).unwrap();
    }
    reg.audit().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER leaves_append_only_u; UPDATE log_leaves SET leaf_hash = zeroblob(32) WHERE leaf_index = 2;",
    )
    .unwrap();
    let e = reg.audit().unwrap_err();
    assert!(e.to_string().contains("inconsistent"), "{e}");
}

#[test]
fn one_registry_per_key_and_never_an_older_copy() {
    use iotmark_registry::binding;
    let (_, lab) = pki();
    let signer = lab.signer().unwrap();
    let kid = hex::encode(lab.certificate().kid());
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("lab.key");
    let file = binding::binding_path(&key);
    assert_eq!(file, dir.path().join("lab.key.registry.json"));

    // The first registry binds the key; issuing raises the high-water mark.
    let first = dir.path().join("registry.db");
    let mut reg = Registry::open(&first).unwrap();
    binding::check(&file, &kid, &mut reg).unwrap();
    for _ in 0..3 {
        let r = reg.issue(&signer, None, claims).unwrap();
        binding::record_serial(&file, &kid, r.serial).unwrap();
    }
    // Opened again (as every `issue` does): still the key's registry.
    drop(reg);
    let mut reg = Registry::open(&first).unwrap();
    binding::check(&file, &kid, &mut reg).unwrap();
    let id = reg.registry_id().unwrap();
    assert_eq!(id.len(), 32);

    // A new registry for the same key: refused.
    let mut second = Registry::open(&dir.path().join("second.db")).unwrap();
    let err = binding::check(&file, &kid, &mut second).unwrap_err();
    assert!(matches!(err, RegistryError::SecondRegistry { .. }), "{err}");
    assert!(
        err.to_string().contains("second registry for one key"),
        "{err}"
    );

    // A true file copy of the first registry, rolled back below the mark.
    drop(reg);
    let snapshot = dir.path().join("snapshot.db");
    std::fs::copy(&first, &snapshot).unwrap();
    let mut reg = Registry::open(&first).unwrap();
    let r = reg.issue(&signer, None, claims).unwrap();
    binding::record_serial(&file, &kid, r.serial).unwrap();
    let mut stale = Registry::open(&snapshot).unwrap();
    assert_eq!(stale.registry_id().unwrap(), id);
    let err = binding::check(&file, &kid, &mut stale).unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::StaleRegistry {
                highest: 3,
                issued: 4,
                ..
            }
        ),
        "{err}"
    );

    // Another lab's key cannot take this registry over.
    let (_, other) = pki();
    let other_kid = hex::encode(other.certificate().kid());
    let err = binding::check(
        &dir.path().join("other.key.registry.json"),
        &other_kid,
        &mut reg,
    )
    .unwrap_err();
    assert!(matches!(err, RegistryError::WrongLab { .. }), "{err}");
    assert!(!dir.path().join("other.key.registry.json").exists());
}
