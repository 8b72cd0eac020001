//! Key and certificate files, checked against OpenSSL.

use std::path::Path;
use std::process::Command;

use iotmark_labels::pki::{
    init_authority, init_lab, load_signing_key, AuthorityCredentials, CertificateSpec,
    LabCredentials, SCOPE_EXTENSION_OID,
};
use iotmark_labels::verify::{verify_label, LabelStatus, TrustStore};
use iotmark_labels::{LabCertificate, LabelError, LabelSigner, TrustAnchor};

use crate::kit::{realistic_claims, scope, today};

const OPENSSL: &str = "/usr/bin/openssl";

fn openssl(args: &[&str], dir: &Path) -> Option<(bool, String)> {
    if !Path::new(OPENSSL).exists() {
        println!("NOTICE: {OPENSSL} not found; skipping the OpenSSL cross-check");
        return None;
    }
    let out = Command::new(OPENSSL)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

fn init_pair(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let authority_dir = root.join("authority");
    let lab_dir = root.join("lab");
    let authority_cert = init_authority("Example Accreditation Body", &authority_dir).unwrap();
    let lab_cert = init_lab(
        &authority_dir,
        "Example Test Lab",
        &scope(&["uk-psti", "en303645"]),
        &lab_dir,
    )
    .unwrap();
    (authority_cert, lab_cert)
}

#[test]
fn openssl_verifies_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (authority, lab) = init_pair(dir.path());
    assert_eq!(authority, dir.path().join("authority/authority.pem"));
    assert_eq!(lab, dir.path().join("lab/lab.pem"));

    let Some((ok, out)) = openssl(
        &[
            "verify",
            "-CAfile",
            "authority/authority.pem",
            "lab/lab.pem",
        ],
        dir.path(),
    ) else {
        return;
    };
    assert!(
        ok && out.trim() == "lab/lab.pem: OK",
        "openssl verify said: {out}"
    );

    // OpenSSL reads the certificates the way we meant them.
    let (ok, text) = openssl(
        &["x509", "-in", "lab/lab.pem", "-noout", "-text"],
        dir.path(),
    )
    .unwrap();
    assert!(ok, "{text}");
    assert!(
        text.contains("Issuer: CN = Example Accreditation Body"),
        "{text}"
    );
    assert!(text.contains("CA:FALSE"), "{text}");
    assert!(text.contains("Digital Signature"), "{text}");
    assert!(text.contains(&SCOPE_EXTENSION_OID.to_string()), "{text}");
    assert!(text.contains("ED25519"), "{text}");
    let (ok, text) = openssl(
        &["x509", "-in", "authority/authority.pem", "-noout", "-text"],
        dir.path(),
    )
    .unwrap();
    assert!(
        ok && text.contains("CA:TRUE, pathlen:0") && text.contains("Certificate Sign"),
        "{text}"
    );

    // And reads the PKCS#8 keys.
    for key in ["authority/authority.key", "lab/lab.key"] {
        let (ok, text) = openssl(&["pkey", "-in", key, "-noout"], dir.path()).unwrap();
        assert!(ok, "{key}: {text}");
    }
}

#[test]
fn openssl_rejects_a_lab_from_another_authority() {
    let dir = tempfile::tempdir().unwrap();
    init_pair(&dir.path().join("a"));
    init_pair(&dir.path().join("b"));
    let Some((ok, out)) = openssl(
        &[
            "verify",
            "-CAfile",
            "a/authority/authority.pem",
            "b/lab/lab.pem",
        ],
        dir.path(),
    ) else {
        return;
    };
    assert!(!ok, "openssl accepted a foreign lab: {out}");
}

#[cfg(unix)]
#[test]
fn key_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    init_pair(dir.path());
    for key in ["authority/authority.key", "lab/lab.key"] {
        let mode = std::fs::metadata(dir.path().join(key))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{key} has mode {mode:o}");
    }
    for cert in ["authority/authority.pem", "lab/lab.pem"] {
        let mode = std::fs::metadata(dir.path().join(cert))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode & 0o022, 0, "{cert} has mode {mode:o}");
    }
}

#[test]
fn files_load_back_and_sign() {
    let dir = tempfile::tempdir().unwrap();
    let (authority_pem, lab_pem) = init_pair(dir.path());
    let anchor = TrustAnchor::from_pem_file(&authority_pem).unwrap();
    let lab = LabCertificate::from_pem_file(&lab_pem).unwrap();
    assert_eq!(anchor.name(), "Example Accreditation Body");
    assert_eq!(lab.name(), "Example Test Lab");
    assert_eq!(lab.scope(), ["uk-psti", "en303645"]);
    assert_eq!(lab.not_before().date(), today());
    let years = lab.not_after().year() - lab.not_before().year();
    assert_eq!(years, 3);
    assert_eq!(anchor.not_after().year() - anchor.not_before().year(), 10);
    lab.check_issued_by(&anchor).unwrap();

    let signer = LabelSigner::from_files(&dir.path().join("lab/lab.key"), &lab_pem).unwrap();
    let label = signer.sign(&realistic_claims(today())).unwrap();
    let store = TrustStore::from_pem_files(&authority_pem, std::slice::from_ref(&lab_pem)).unwrap();
    let v = verify_label(&label, &store, today());
    assert_eq!(v.status, LabelStatus::Valid, "{}", v.reason);

    // The credentials round-trip through their directories too.
    let authority = AuthorityCredentials::load(&dir.path().join("authority")).unwrap();
    assert_eq!(authority.anchor().der(), anchor.der());
    let lab_creds = LabCredentials::load(&dir.path().join("lab")).unwrap();
    assert_eq!(lab_creds.certificate().kid(), lab.kid());
    assert_eq!(
        LabCertificate::from_pem(lab.to_pem()).unwrap().der(),
        lab.der()
    );
}

#[test]
fn existing_keys_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    init_pair(dir.path());
    let before = std::fs::read(dir.path().join("authority/authority.key")).unwrap();
    let err = init_authority("Another", &dir.path().join("authority")).unwrap_err();
    assert!(matches!(err, LabelError::AlreadyExists { .. }), "{err}");
    let err = init_lab(
        &dir.path().join("authority"),
        "L",
        &scope(&["uk-psti"]),
        &dir.path().join("lab"),
    )
    .unwrap_err();
    assert!(matches!(err, LabelError::AlreadyExists { .. }), "{err}");
    assert_eq!(
        std::fs::read(dir.path().join("authority/authority.key")).unwrap(),
        before
    );
}

#[test]
fn mismatched_and_malformed_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    init_pair(&dir.path().join("a"));
    init_pair(&dir.path().join("b"));
    // Lab key of one pair with the lab certificate of the other.
    let err = LabelSigner::from_files(
        &dir.path().join("a/lab/lab.key"),
        &dir.path().join("b/lab/lab.pem"),
    )
    .unwrap_err();
    assert!(matches!(err, LabelError::KeyMismatch { .. }), "{err}");
    // A lab certificate is not a trust anchor.
    let err = TrustAnchor::from_pem_file(&dir.path().join("a/lab/lab.pem")).unwrap_err();
    assert!(err.to_string().contains("not a CA certificate"), "{err}");
    // A key file where a certificate should be, and vice versa.
    let err = LabCertificate::from_pem_file(&dir.path().join("a/lab/lab.key")).unwrap_err();
    assert!(err.to_string().contains("lab.key"), "{err}");
    // lab.pem is world-readable (0644): refused as a key file before parsing.
    let err = load_signing_key(&dir.path().join("a/lab/lab.pem")).unwrap_err();
    assert!(
        matches!(err, LabelError::KeyPermissions { mode: 0o644, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("lab.pem") && err.to_string().contains("0644"),
        "{err}"
    );
    let private_copy = dir.path().join("cert-as-key.key");
    std::fs::copy(dir.path().join("a/lab/lab.pem"), &private_copy).unwrap();
    std::fs::set_permissions(
        &private_copy,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let err = load_signing_key(&private_copy).unwrap_err();
    assert!(matches!(err, LabelError::Key { .. }), "{err}");
    let err = load_signing_key(&dir.path().join("nope.key")).unwrap_err();
    assert!(matches!(err, LabelError::Io { .. }), "{err}");
}

#[test]
fn lab_validity_is_cut_to_the_authoritys() {
    let dir = tempfile::tempdir().unwrap();
    let authority = AuthorityCredentials::generate(
        &CertificateSpec::authority("Short-lived Body")
            .valid_between(today(), today() + time::Duration::days(200)),
    )
    .unwrap();
    authority.write(&dir.path().join("authority")).unwrap();
    let lab_pem = init_lab(
        &dir.path().join("authority"),
        "Lab",
        &scope(&["uk-psti"]),
        &dir.path().join("lab"),
    )
    .unwrap();
    let lab = LabCertificate::from_pem_file(&lab_pem).unwrap();
    assert_eq!(
        lab.not_after().date(),
        authority.anchor().not_after().date()
    );
}

#[test]
fn bad_names_and_scopes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        init_authority("", &dir.path().join("x")),
        Err(LabelError::InvalidInput { field: "name", .. })
    ));
    init_authority("Body", &dir.path().join("authority")).unwrap();
    for bad in [vec![], scope(&["UK PSTI"]), scope(&["uk-psti", "uk-psti"])] {
        let err = init_lab(
            &dir.path().join("authority"),
            "Lab",
            &bad,
            &dir.path().join("lab"),
        )
        .unwrap_err();
        assert!(
            matches!(err, LabelError::InvalidInput { field: "scope", .. }),
            "{bad:?}: {err}"
        );
    }
}
