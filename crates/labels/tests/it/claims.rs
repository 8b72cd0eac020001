//! Deterministic CBOR claims: stable bytes, and every non-canonical variant refused.

use iotmark_labels::claims::{Claims, ClaimsFormat, ReportDigest};
use iotmark_labels::{ClaimsError, LabelError};
use time::macros::date;

fn minimal() -> Claims {
    Claims {
        serial: 1,
        issued: date!(2025 - 01 - 01),
        manufacturer: "A".into(),
        model: "B".into(),
        firmware: "1".into(),
        gtin: None,
        support_end: date!(2030 - 01 - 01),
        disclosure_contact: "mailto:a@b".into(),
        schemes: vec!["uk-psti".into()],
        report_sha256: [0; 32].into(),
        simulated: false,
    }
}

/// The expected encoding, written out field by field.
fn minimal_bytes() -> Vec<u8> {
    [
        &[0xa9][..],               // map(9)
        &[0x01, 0x01],             // 1: serial 1
        &[0x02, 0x19, 0x4e, 0x79], // 2: issued = 20089 days (2025-01-01)
        &[0x03, 0x61, b'A'],       // 3: manufacturer
        &[0x04, 0x61, b'B'],       // 4: model
        &[0x05, 0x61, b'1'],       // 5: firmware
        &[0x07, 0x19, 0x55, 0x9b], // 7: support_end = 21915 days (2030-01-01)
        &[0x08, 0x6a],             // 8: text(10)
        b"mailto:a@b",
        &[0x09, 0x81, 0x67], // 9: [text(7)]
        b"uk-psti",
        &[0x0a, 0x58, 0x20], // 10: bytes(32)
        &[0u8; 32],
    ]
    .concat()
}

fn decode_err(bytes: &[u8]) -> ClaimsError {
    match Claims::from_cbor(bytes) {
        Err(LabelError::Claims(e)) => e,
        other => panic!("expected a claims error, got {other:?}"),
    }
}

#[test]
fn encoding_is_stable() {
    assert_eq!(minimal().to_cbor(), minimal_bytes());
    assert_eq!(Claims::from_cbor(&minimal_bytes()).unwrap(), minimal());
    let with_gtin = Claims {
        gtin: Some("96385074".into()),
        ..minimal()
    };
    let bytes = with_gtin.to_cbor();
    assert_eq!(bytes[0], 0xaa);
    let gtin_entry = [&[0x06, 0x68][..], b"96385074"].concat();
    assert!(bytes.windows(gtin_entry.len()).any(|w| w == gtin_entry));
    assert_eq!(Claims::from_cbor(&bytes).unwrap(), with_gtin);
}

#[test]
fn non_canonical_integer_is_refused() {
    // serial 1 written as 0x18 0x01.
    let bytes = [&[0xa9, 0x01, 0x18, 0x01][..], &minimal_bytes()[3..]].concat();
    assert!(matches!(
        decode_err(&bytes),
        ClaimsError::NonCanonical { offset: 2, .. }
    ));
    // A date as a 4-byte integer where 2 bytes fit.
    let mut bytes = minimal_bytes();
    bytes.splice(4..7, [0x1a, 0x00, 0x00, 0x4e, 0x79]);
    assert!(matches!(
        decode_err(&bytes),
        ClaimsError::NonCanonical { .. }
    ));
}

#[test]
fn unsorted_keys_are_refused() {
    // Swap entries 3 (manufacturer) and 4 (model).
    let mut bytes = minimal_bytes();
    bytes[7..13].copy_from_slice(&[0x04, 0x61, b'B', 0x03, 0x61, b'A']);
    assert_eq!(
        decode_err(&bytes),
        ClaimsError::UnsortedKeys {
            key: 3,
            previous: 4
        }
    );
}

#[test]
fn duplicate_keys_are_refused() {
    let mut bytes = minimal_bytes();
    bytes[10] = 0x03; // model's key becomes 3 again
    assert_eq!(decode_err(&bytes), ClaimsError::DuplicateKey { key: 3 });
}

#[test]
fn trailing_bytes_are_refused() {
    let bytes = [minimal_bytes(), vec![0x00]].concat();
    assert_eq!(decode_err(&bytes), ClaimsError::TrailingBytes { count: 1 });
}

#[test]
fn indefinite_lengths_are_refused() {
    let bytes = [&[0xbf][..], &minimal_bytes()[1..], &[0xff]].concat();
    assert!(matches!(
        decode_err(&bytes),
        ClaimsError::NonCanonical { offset: 0, .. }
    ));
    // Manufacturer as an indefinite-length text string.
    let mut bytes = minimal_bytes();
    bytes.splice(8..10, [0x7f, 0x61, b'A', 0xff]);
    assert!(matches!(
        decode_err(&bytes),
        ClaimsError::NonCanonical { .. }
    ));
}

#[test]
fn unknown_keys_wrong_types_and_missing_fields_are_refused() {
    let mut bytes = minimal_bytes();
    bytes[0] = 0xaa;
    bytes.extend_from_slice(&[0x0b, 0x00]);
    assert_eq!(decode_err(&bytes), ClaimsError::UnknownKey { key: 11 });

    let mut bytes = minimal_bytes();
    bytes[2] = 0x61; // serial becomes text(1) "\x02"... type error first
    assert!(matches!(
        decode_err(&bytes),
        ClaimsError::WrongType {
            field: "serial",
            ..
        }
    ));

    let bytes = [&[0xa8][..], &minimal_bytes()[3..]].concat(); // no serial
    assert_eq!(
        decode_err(&bytes),
        ClaimsError::MissingField { field: "serial" }
    );

    let mut long = minimal();
    long.manufacturer = "M".repeat(129);
    assert!(matches!(
        decode_err(&long.to_cbor()),
        ClaimsError::TooLong {
            field: "manufacturer",
            len: 129,
            max: 128
        }
    ));

    let mut bad_gtin = minimal();
    bad_gtin.gtin = Some("96385075".into());
    assert!(matches!(
        decode_err(&bad_gtin.to_cbor()),
        ClaimsError::InvalidField { field: "gtin", .. }
    ));

    let mut bad_contact = minimal();
    bad_contact.disclosure_contact = "javascript:alert(1)".into();
    assert!(matches!(
        decode_err(&bad_contact.to_cbor()),
        ClaimsError::InvalidField {
            field: "disclosure_contact",
            ..
        }
    ));

    let mut no_schemes = minimal();
    no_schemes.schemes.clear();
    assert!(matches!(
        decode_err(&no_schemes.to_cbor()),
        ClaimsError::InvalidField {
            field: "schemes",
            ..
        }
    ));
}

#[test]
fn truncations_never_panic() {
    let bytes = minimal_bytes();
    for n in 0..bytes.len() {
        assert!(Claims::from_cbor(&bytes[..n]).is_err());
    }
}

#[test]
fn dates_before_1970_round_trip() {
    let old = Claims {
        issued: date!(1969 - 07 - 20),
        ..minimal()
    };
    assert_eq!(Claims::from_cbor(&old.to_cbor()).unwrap(), old);
}

// The compact format (format 2): what new labels carry.

fn minimal_compact() -> Claims {
    Claims {
        report_sha256: ReportDigest::Sha256Prefix([0; 16]),
        simulated: false,
        ..minimal()
    }
}

/// The expected compact encoding, field by field.
fn minimal_compact_bytes() -> Vec<u8> {
    [
        &[0xaa][..],               // map(10)
        &[0x00, 0x02],             // 0: format version 2
        &[0x01, 0x01],             // 1: serial 1
        &[0x02, 0x19, 0x4e, 0x79], // 2: issued
        &[0x03, 0x61, b'A'],       // 3: manufacturer
        &[0x04, 0x61, b'B'],       // 4: model
        &[0x05, 0x61, b'1'],       // 5: firmware
        &[0x07, 0x19, 0x55, 0x9b], // 7: support_end
        &[0x09, 0x81, 0x01],       // 9: [1] = uk-psti
        &[0x0a, 0x50],             // 10: bytes(16)
        &[0u8; 16],
        &[0x0b, 0x63], // 11: mailto contact without "mailto:"
        b"a@b",
    ]
    .concat()
}

#[test]
fn compact_encoding_is_stable() {
    assert_eq!(minimal_compact().format(), ClaimsFormat::Compact);
    assert_eq!(minimal().format(), ClaimsFormat::V1);
    assert_eq!(minimal_compact().to_cbor(), minimal_compact_bytes());
    assert_eq!(
        Claims::from_cbor(&minimal_compact_bytes()).unwrap(),
        minimal_compact()
    );
    // GTIN as packed digits, https contact under key 8 without its scheme,
    // a known and an unknown scheme.
    let full = Claims {
        gtin: Some("5012345678900".into()),
        disclosure_contact: "https://x.example/vdp".into(),
        schemes: vec!["en303645-full".into(), "other-scheme".into()],
        ..minimal_compact()
    };
    let bytes = full.to_cbor();
    assert_eq!(bytes[0], 0xab);
    let gtin = [0x06, 0x47, 0x50, 0x12, 0x34, 0x56, 0x78, 0x90, 0x0f];
    assert!(bytes.windows(gtin.len()).any(|w| w == gtin));
    let contact = [&[0x08, 0x6d][..], b"x.example/vdp"].concat();
    assert!(bytes.windows(contact.len()).any(|w| w == contact));
    let schemes = [&[0x09, 0x82, 0x03, 0x6c][..], b"other-scheme"].concat();
    assert!(bytes.windows(schemes.len()).any(|w| w == schemes));
    assert_eq!(Claims::from_cbor(&bytes).unwrap(), full);
}

#[test]
fn compact_is_smaller_than_v1_for_the_realistic_label() {
    let compact = crate::kit::realistic_claims(date!(2026 - 05 - 01));
    let v1 = crate::kit::realistic_claims_v1(date!(2026 - 05 - 01));
    assert_eq!(compact.format(), ClaimsFormat::Compact);
    let (c, o) = (compact.to_cbor().len(), v1.to_cbor().len());
    println!("realistic claims: format 1 {o} bytes, compact {c} bytes");
    assert_eq!(o - c, 36);
}

#[test]
fn compact_refuses_non_canonical_spellings() {
    let base = minimal_compact_bytes();
    // A known scheme as text rather than its code.
    let text_scheme = [&base[..22], &[0x09, 0x81, 0x67], b"uk-psti", &base[25..]].concat();
    assert!(matches!(
        decode_err(&text_scheme),
        ClaimsError::NonCanonical { .. }
    ));
    // An unknown scheme code.
    let mut unknown = base.clone();
    unknown[24] = 0x04;
    assert!(matches!(
        decode_err(&unknown),
        ClaimsError::InvalidField {
            field: "schemes",
            ..
        }
    ));
    // A version this verifier does not know.
    let mut v3 = base.clone();
    v3[2] = 0x03;
    assert!(matches!(
        decode_err(&v3),
        ClaimsError::InvalidField {
            field: "format version",
            ..
        }
    ));
    // Both contact keys.
    let both = [&[0xab][..], &base[1..22], &[0x08, 0x61, b'x'], &base[22..]].concat();
    assert!(matches!(
        decode_err(&both),
        ClaimsError::InvalidField {
            field: "disclosure_contact",
            ..
        }
    ));
    // A 32-byte digest under the compact format.
    let long_digest = [&base[..25], &[0x0a, 0x58, 0x20], &[0u8; 32], &base[43..]].concat();
    assert!(matches!(
        decode_err(&long_digest),
        ClaimsError::TooLong {
            field: "report_sha256",
            ..
        }
    ));
    // GTIN nibbles that are not digits, or a filler in the middle.
    for packed in [&[0x96, 0x38, 0x50, 0x7a][..], &[0x9f, 0x38, 0x50, 0x74]] {
        let with_gtin = [
            &[0xab][..],
            &base[1..18],
            &[0x06, 0x44],
            packed,
            &base[18..],
        ]
        .concat();
        assert!(
            matches!(
                decode_err(&with_gtin),
                ClaimsError::InvalidField { field: "gtin", .. }
            ),
            "{packed:02x?}"
        );
    }
    for n in 0..base.len() {
        assert!(Claims::from_cbor(&base[..n]).is_err());
    }
}

#[test]
fn compact_contacts_need_a_lower_case_scheme() {
    let upper = Claims {
        disclosure_contact: "HTTPS://x.example/vdp".into(),
        ..minimal_compact()
    };
    assert!(upper.validate().is_err());
    // The same contact is fine in a format-1 label, which keeps it verbatim.
    let v1 = Claims {
        disclosure_contact: "HTTPS://x.example/vdp".into(),
        ..minimal()
    };
    v1.validate().unwrap();
    assert_eq!(Claims::from_cbor(&v1.to_cbor()).unwrap(), v1);
}

#[test]
fn report_digests_match_their_report() {
    let report = b"{\"verdict\":\"conformant\"}";
    let compact = ReportDigest::compact(report);
    let full = ReportDigest::Sha256(iotmark_labels::report_digest(report));
    assert!(compact.matches(report) && full.matches(report));
    assert!(!compact.matches(b"{}") && !full.matches(b"{}"));
    assert_eq!(compact.as_bytes(), &full.as_bytes()[..16]);
    let json = serde_json::to_value(compact).unwrap();
    assert_eq!(json.as_str().unwrap().len(), 32);
    let back: ReportDigest = serde_json::from_value(json).unwrap();
    assert_eq!(back, compact);
}

/// Contacts a lab may not sign: refused when signing, and a label signed
/// with the lab's key anyway (outside the library's signer) is invalid.
#[test]
fn disclosure_contacts_a_lab_may_not_sign() {
    let pki = crate::kit::Pki::new();
    let dir = tempfile::tempdir().unwrap();
    pki.lab.write(dir.path()).unwrap();
    let key = iotmark_labels::pki::load_signing_key(&dir.path().join("lab.key")).unwrap();
    let kid = pki.lab.certificate().kid();
    for (contact, want) in [
        ("https://maker.example@evil.example/x", "user information"),
        ("https://javascript:alert(1)", "port that is not a number"),
        ("https://exa mple.com/", "whitespace"),
        ("https://bad_host!.example/", "not a DNS name"),
        ("https://[::1/x", "malformed IPv6"),
        ("mailto:a@maker.example,b@evil.example", "one address"),
        ("mailto:a@maker.example?cc=b@evil.example", "one address"),
        ("mailto:a@b@evil.example", "not a mailto: address"),
        ("javascript:alert(1)", "https: or mailto:"),
    ] {
        let mut c = crate::kit::realistic_claims(crate::kit::today());
        c.disclosure_contact = contact.into();
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains(want), "{contact}: {err}");
        let bytes = crate::kit::forge(&key, kid, c.to_cbor());
        let v = iotmark_labels::verify::verify(
            &iotmark_labels::verify::LabelInput::Cose(bytes),
            &pki.trust(),
            crate::kit::today(),
        );
        assert_eq!(
            v.status,
            iotmark_labels::verify::LabelStatus::Invalid,
            "{contact}"
        );
        // Compact claims store a contact without its scheme, so one with
        // neither scheme comes back as some mailto: and is refused as such.
        assert!(
            v.reason.contains("disclosure_contact"),
            "{contact}: {}",
            v.reason
        );
        if contact.starts_with("https:") || contact.starts_with("mailto:") {
            assert!(v.reason.contains(want), "{contact}: {}", v.reason);
        }
    }
    for good in [
        "https://maker.example/security",
        "https://maker.example:8443/security?x=1#a",
        "https://192.0.2.1/security",
        "https://[2001:db8::1]/security",
        "mailto:security@maker.example",
    ] {
        let mut c = crate::kit::realistic_claims(crate::kit::today());
        c.disclosure_contact = good.into();
        assert!(c.validate().is_ok(), "{good}");
    }
}

#[test]
fn demonstration_mark_round_trips_and_is_canonical() {
    let mut c = crate::kit::realistic_claims(crate::kit::today());
    c.simulated = true;
    let bytes = c.to_cbor();
    assert_eq!(Claims::from_cbor(&bytes).unwrap(), c);
    c.simulated = false;
    assert!(bytes.len() > c.to_cbor().len());
    // Format-1 claims cannot carry it.
    let mut v1 = c.clone();
    v1.report_sha256 = [1; 32].into();
    v1.simulated = true;
    assert!(v1.validate().is_err());
}
