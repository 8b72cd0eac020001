//! Signing and verifying: the happy paths and every trust failure.

use iotmark_labels::claims::Claims;
use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
use iotmark_labels::qr::{self, DEFAULT_BASE_URL};
use iotmark_labels::verify::{verify, verify_label, LabelInput, LabelStatus, TrustStore};
use iotmark_labels::{LabelError, LabelSigner, SignedLabel};
use time::Duration;

use crate::kit::{forge, realistic_claims, scope, today, Pki};

#[test]
fn sign_url_verify_round_trip() {
    let pki = Pki::new();
    let claims = realistic_claims(today());
    let label = pki.sign(&claims);
    let url = qr::label_url(&label, DEFAULT_BASE_URL).unwrap();
    assert!(url.starts_with(DEFAULT_BASE_URL));
    assert!(url[DEFAULT_BASE_URL.len()..]
        .bytes()
        .all(|b| b.is_ascii_digit()));

    let v = verify(&LabelInput::Url(url), &pki.trust(), today());
    assert_eq!(v.status, LabelStatus::Valid, "{}", v.reason);
    assert!(v.is_valid());
    assert_eq!(v.claims.as_ref(), Some(&claims));
    let issuer = v.issuer.unwrap();
    assert_eq!(issuer.lab, "Test Lab Ltd");
    assert_eq!(issuer.kid, hex::encode(pki.lab.certificate().kid()));
    assert!(v.reason.contains("security updates until"), "{}", v.reason);
}

#[test]
fn cose_bytes_verify_and_kid_is_the_certificates() {
    let pki = Pki::new();
    let label = pki.sign(&realistic_claims(today()));
    assert_eq!(label.kid().unwrap(), pki.lab.certificate().kid());
    let again = SignedLabel::from_bytes(label.as_bytes().to_vec()).unwrap();
    assert_eq!(again, label);
    let v = verify(&LabelInput::Cose(label.into_bytes()), &pki.trust(), today());
    assert_eq!(v.status, LabelStatus::Valid, "{}", v.reason);
}

#[test]
fn labels_parse_with_a_general_cose_library() {
    let pki = Pki::new();
    let label = pki.sign(&realistic_claims(today()));
    let sign1 = iotmark_labels::cose::to_coset(&label).unwrap();
    assert_eq!(
        sign1.protected.header.alg,
        Some(coset::Algorithm::Assigned(coset::iana::Algorithm::EdDSA))
    );
    assert_eq!(sign1.protected.header.key_id, pki.lab.certificate().kid());
    assert!(sign1.unprotected.is_empty());
    sign1
        .verify_signature(&[], |sig, tbs| {
            let sig = ed25519_dalek::Signature::from_slice(sig)?;
            pki.lab.certificate().public_key().verify_strict(tbs, &sig)
        })
        .unwrap();
}

#[test]
fn json_output_matches_the_cli_contract() {
    let pki = Pki::new();
    let claims = realistic_claims(today());
    let label = pki.sign(&claims);
    let v = verify_label(&label, &pki.trust(), today());
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["status"], "valid");
    assert!(json["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(
        json["claims"]["support_end"],
        claims.support_end.to_string()
    );
    assert_eq!(
        json["claims"]["disclosure_contact"],
        claims.disclosure_contact
    );
    assert_eq!(json["issuer"]["lab"], "Test Lab Ltd");
    assert_eq!(json["issuer"]["kid"].as_str().map(str::len), Some(16));

    let invalid = verify(
        &LabelInput::Url("https://x.example/l/123".into()),
        &pki.trust(),
        today(),
    );
    let json = serde_json::to_value(&invalid).unwrap();
    assert_eq!(json["valid"], false);
    assert_eq!(json["status"], "invalid");
    assert!(json["claims"].is_null() && json["issuer"].is_null());
}

#[test]
fn support_ended_after_support_end() {
    let pki = Pki::new();
    let mut claims = realistic_claims(today());
    claims.support_end = today() + Duration::days(30);
    let label = pki.sign(&claims);
    let on_last_day = verify_label(&label, &pki.trust(), claims.support_end);
    assert_eq!(
        on_last_day.status,
        LabelStatus::Valid,
        "{}",
        on_last_day.reason
    );
    let after = verify_label(&label, &pki.trust(), claims.support_end + Duration::days(1));
    assert_eq!(after.status, LabelStatus::SupportEnded);
    assert_eq!(
        after.reason,
        format!("security updates ended on {}", claims.support_end)
    );
    assert!(after.claims.is_some() && after.issuer.is_some());
    let json = serde_json::to_value(&after).unwrap();
    assert_eq!(json["status"], "support-ended");
}

#[test]
fn forged_signature_with_genuine_kid_is_rejected() {
    let pki = Pki::new();
    let forger = iotmark_labels::pki::generate_key().unwrap();
    let kid = pki.lab.certificate().kid();
    let bytes = forge(&forger, kid, realistic_claims(today()).to_cbor());
    let v = verify(&LabelInput::Cose(bytes), &pki.trust(), today());
    assert_eq!(v.status, LabelStatus::Invalid);
    assert_eq!(
        v.reason,
        format!(
            "COSE signature does not verify with the key of lab Test Lab Ltd (kid {})",
            hex::encode(kid)
        )
    );
    assert!(
        v.claims.is_none(),
        "unauthenticated claims must not be reported"
    );
}

#[test]
fn unknown_kid_is_rejected() {
    let pki = Pki::new();
    let other = Pki::new();
    let label = other.sign(&realistic_claims(today()));
    // A lab the verifier was not told about: it cannot tell.
    let v = verify_label(&label, &pki.trust(), today());
    assert_eq!(v.status, LabelStatus::Unverifiable);
    assert!(
        v.reason.starts_with(&format!(
            "no lab certificate with kid {} in the trust store",
            hex::encode(other.lab.certificate().kid())
        )),
        "{}",
        v.reason
    );
}

#[test]
fn lab_certificate_expired_before_issue_date_is_rejected() {
    let pki = Pki::new();
    let issued = today();
    let label = pki.sign(&realistic_claims(issued));
    // The authority certifies the same lab key again, with a validity that
    // ends before the label's issue date; a store holding only that one must
    // reject the label.
    let lab_key = pki.lab.certificate().public_key().to_bytes();
    let start = issued - Duration::days(400);
    let end = issued - Duration::days(1);
    let short = pki
        .authority
        .certify_lab_key(
            &lab_key,
            &CertificateSpec::lab("Test Lab Ltd", &scope(&["uk-psti"])).valid_between(start, end),
        )
        .unwrap();
    let store = TrustStore::new(pki.authority.anchor().clone()).with_lab(short.clone());
    let v = verify_label(&label, &store, issued);
    assert_eq!(v.status, LabelStatus::Invalid);
    assert_eq!(
        v.reason,
        format!("lab certificate not valid on issue date {issued}: valid from {start} to {end}")
    );
    assert!(
        v.claims.is_some(),
        "claims are authentic even though the certificate is not valid"
    );

    // With the renewed certificate also present (same key, same kid), it verifies.
    let renewed = store.with_lab(pki.lab.certificate().clone());
    assert_eq!(
        verify_label(&label, &renewed, issued).status,
        LabelStatus::Valid
    );
}

#[test]
fn label_verifies_after_lab_certificate_expiry() {
    // Validity is judged at the issue date: a label issued while the
    // certificate was valid stays valid after it expires.
    let pki = Pki::new();
    let label = pki.sign(&realistic_claims(today()));
    let much_later = today() + Duration::days(4 * 365);
    assert!(much_later > pki.lab.certificate().not_after().date());
    let v = verify_label(&label, &pki.trust(), much_later);
    assert_eq!(v.status, LabelStatus::Valid, "{}", v.reason);
}

#[test]
fn anchor_not_valid_on_issue_date_is_rejected() {
    let issued = today();
    let authority = AuthorityCredentials::generate(
        &CertificateSpec::authority("Old Accreditation Body")
            .valid_between(issued - Duration::days(3650), issued - Duration::days(10)),
    )
    .unwrap();
    // A lab certificate that outlives its authority (only the explicit API allows this).
    let lab = authority
        .issue_lab(
            &CertificateSpec::lab("Lab", &scope(&["uk-psti"]))
                .valid_between(issued - Duration::days(100), issued + Duration::days(100)),
        )
        .unwrap();
    let label = lab
        .signer()
        .unwrap()
        .sign(&realistic_claims(issued))
        .unwrap();
    let store = TrustStore::new(authority.anchor().clone()).with_lab(lab.certificate().clone());
    let v = verify_label(&label, &store, issued);
    assert_eq!(v.status, LabelStatus::Invalid);
    assert!(
        v.reason.starts_with(&format!(
            "trust anchor certificate not valid on issue date {issued}"
        )),
        "{}",
        v.reason
    );
}

#[test]
fn lab_certificate_from_another_authority_is_rejected() {
    let pki = Pki::new();
    let rogue = Pki::new();
    // Same authority name, different key: the issuer name matches, the signature does not.
    let label = rogue.sign(&realistic_claims(today()));
    let store =
        TrustStore::new(pki.authority.anchor().clone()).with_lab(rogue.lab.certificate().clone());
    let v = verify_label(&label, &store, today());
    assert_eq!(v.status, LabelStatus::Invalid);
    assert_eq!(
        v.reason,
        "lab certificate Test Lab Ltd signature does not verify with the key of trust anchor Test Accreditation Body"
    );

    // Different authority name: refused on the issuer name.
    let other = AuthorityCredentials::generate(&CertificateSpec::authority("Other Body")).unwrap();
    let lab = other
        .issue_lab(&CertificateSpec::lab("Other Lab", &scope(&["uk-psti"])))
        .unwrap();
    let label = lab
        .signer()
        .unwrap()
        .sign(&realistic_claims(today()))
        .unwrap();
    let store = TrustStore::new(pki.authority.anchor().clone()).with_lab(lab.certificate().clone());
    let v = verify_label(&label, &store, today());
    assert_eq!(
        v.reason,
        "lab certificate Other Lab was issued by Other Body, not by the trust anchor Test Accreditation Body"
    );
    assert!(v.issuer.is_none() && v.claims.is_none());
}

#[test]
fn schemes_outside_scope_are_rejected() {
    let pki = Pki::new();
    let mut claims = realistic_claims(today());
    claims.schemes = scope(&["en303645"]);
    let label = pki.sign(&claims);
    // The authority narrows the lab's scope (same key, new certificate).
    let narrowed = pki
        .authority
        .certify_lab_key(
            &pki.lab.certificate().public_key().to_bytes(),
            &CertificateSpec::lab("Test Lab Ltd", &scope(&["uk-psti"])),
        )
        .unwrap();
    let store = TrustStore::new(pki.authority.anchor().clone()).with_lab(narrowed);
    let v = verify_label(&label, &store, today());
    assert_eq!(v.status, LabelStatus::Invalid);
    assert_eq!(
        v.reason,
        "scheme en303645 is outside the accreditation scope of lab Test Lab Ltd (uk-psti)"
    );
}

#[test]
fn signer_refuses_what_verification_would_reject() {
    let pki = Pki::new();
    let signer = pki.lab.signer().unwrap();
    let mut claims = realistic_claims(today());
    claims.schemes = scope(&["en303645-full"]);
    assert!(matches!(
        signer.sign(&claims),
        Err(LabelError::SchemeOutOfScope { .. })
    ));
    let claims = realistic_claims(today() + Duration::days(5 * 365));
    assert!(matches!(
        signer.sign(&claims),
        Err(LabelError::NotValidOnIssueDate { .. })
    ));
    let mut claims = realistic_claims(today());
    claims.gtin = Some("5012345678901".into());
    assert!(matches!(signer.sign(&claims), Err(LabelError::Claims(_))));
}

#[test]
fn signer_needs_the_matching_key() {
    let pki = Pki::new();
    let wrong = iotmark_labels::pki::generate_key().unwrap();
    let err = LabelSigner::new(wrong, pki.lab.certificate().clone()).unwrap_err();
    assert!(matches!(err, LabelError::KeyMismatch { .. }), "{err}");
}

#[test]
fn classify_cli_arguments() {
    let pki = Pki::new();
    let label = pki.sign(&realistic_claims(today()));
    let dir = tempfile::tempdir().unwrap();
    let cose = dir.path().join("label.cose");
    std::fs::write(&cose, label.as_bytes()).unwrap();
    let png = dir.path().join("label.PNG");
    std::fs::write(&png, b"not checked yet").unwrap();

    assert_eq!(
        LabelInput::classify(cose.to_str().unwrap()).unwrap(),
        LabelInput::Cose(label.as_bytes().to_vec())
    );
    assert_eq!(
        LabelInput::classify(png.to_str().unwrap()).unwrap(),
        LabelInput::Image(png.clone())
    );
    assert_eq!(
        LabelInput::classify("HTTPS://IOTMARK.EXAMPLE/L/123").unwrap(),
        LabelInput::Url("HTTPS://IOTMARK.EXAMPLE/L/123".into())
    );
    assert!(matches!(
        LabelInput::classify("http://x/1").unwrap(),
        LabelInput::Url(_)
    ));
    for bad in ["label.txt", "missing.cose", "ftp://x/1"] {
        let err = LabelInput::classify(bad).unwrap_err();
        assert!(
            matches!(err, LabelError::InvalidInput { .. }),
            "{bad}: {err}"
        );
    }
    // A .png that is not an image holds no label to judge: unverifiable,
    // not a crash.
    let v = verify(
        &LabelInput::classify(png.to_str().unwrap()).unwrap(),
        &pki.trust(),
        today(),
    );
    assert_eq!(v.status, LabelStatus::Unverifiable);
    assert!(v.reason.contains("not a PNG or JPEG"), "{}", v.reason);
}

#[test]
fn claims_are_what_was_signed() {
    let pki = Pki::new();
    let claims = Claims {
        gtin: None,
        disclosure_contact: "mailto:psirt@acme.example".into(),
        schemes: scope(&["uk-psti", "en303645"]),
        ..realistic_claims(today())
    };
    let label = pki.sign(&claims);
    let v = verify_label(&label, &pki.trust(), today());
    assert_eq!(v.claims, Some(claims));
}

#[test]
fn format_1_labels_still_verify() {
    let pki = Pki::new();
    let claims = crate::kit::realistic_claims_v1(today());
    assert_eq!(claims.format(), iotmark_labels::claims::ClaimsFormat::V1);
    let label = pki.sign(&claims);
    let url = qr::label_url(&label, DEFAULT_BASE_URL).unwrap();
    for input in [LabelInput::Url(url), LabelInput::Cose(label.into_bytes())] {
        let v = verify(&input, &pki.trust(), today());
        assert_eq!(v.status, LabelStatus::Valid, "{}", v.reason);
        assert_eq!(v.claims.as_ref(), Some(&claims));
    }
}

#[test]
fn verify_many_gives_each_input_its_single_verdict_in_order() {
    use iotmark_labels::verify::{verify_many, verify_with_status};
    let pki = Pki::new();
    let other = Pki::new();
    let mut inputs = Vec::new();
    for serial in 0..40u64 {
        let claims = Claims {
            serial,
            ..realistic_claims(today())
        };
        let label = if serial % 5 == 4 {
            other.sign(&claims)
        } else {
            pki.sign(&claims)
        };
        let mut bytes = label.as_bytes().to_vec();
        match serial % 5 {
            1 => inputs.push(LabelInput::Url(
                qr::label_url(&label, DEFAULT_BASE_URL).unwrap(),
            )),
            2 => {
                let n = bytes.len();
                bytes[n - 1] ^= 1;
                inputs.push(LabelInput::Cose(bytes));
            }
            3 => inputs.push(LabelInput::Url("https://x.example/l/12x".into())),
            _ => inputs.push(LabelInput::Cose(bytes)),
        }
    }
    let trust = pki.trust();
    let many = verify_many(&inputs, &trust, today(), None);
    assert_eq!(many.len(), inputs.len());
    for (input, v) in inputs.iter().zip(&many) {
        assert_eq!(*v, verify_with_status(input, &trust, today(), None));
    }
    let valid = many.iter().filter(|v| v.is_valid()).count();
    assert_eq!(valid, 16);
    assert!(verify_many(&[], &trust, today(), None).is_empty());
}
