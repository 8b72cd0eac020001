//! The forgery corpus: a generator for every kind of forged or damaged label a
//! shelf can hold, and the check that each one is refused for the specific
//! reason expected. `tamper.rs` holds the focused cases (every single-bit flip,
//! every prefix, CBOR bombs); this corpus spans the categories and counts them.
//!
//! Run with `--nocapture` to see the count per category.

use std::collections::BTreeMap;

use coset::{iana, CoseSign1, HeaderBuilder, TaggedCborSerializable};
use ed25519_dalek::SigningKey;
use iotmark_labels::claims::Claims;
use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec, LabCredentials};
use iotmark_labels::status::StatusList;
use iotmark_labels::verify::{verify_with_status, LabelInput, LabelStatus, TrustStore};
use time::{Duration, OffsetDateTime};

use crate::kit::{forge, forge_with, realistic_claims, scope, today, Pki};

/// One forged input, what it is, and a phrase its rejection must contain.
struct Case {
    category: &'static str,
    bytes: Vec<u8>,
    expect: &'static str,
}

fn key_of(lab: &LabCredentials) -> SigningKey {
    let dir = tempfile::tempdir().unwrap();
    lab.write(dir.path()).unwrap();
    iotmark_labels::pki::load_signing_key(&dir.path().join("lab.key")).unwrap()
}

fn with_unprotected(genuine: &[u8], header: coset::Header) -> Vec<u8> {
    let mut sign1 = CoseSign1::from_tagged_slice(genuine).unwrap();
    sign1.unprotected = header;
    sign1.to_tagged_vec().unwrap()
}

/// Claims with the map head for `n` entries and the given raw entries after it.
fn raw_claims(entries: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![0xa0 | entries.len() as u8];
    for e in entries {
        out.extend_from_slice(e);
    }
    out
}

/// Splits genuine claims CBOR into its key/value entries (all keys are 1..=10,
/// one byte each); good enough for our own encoder's output.
fn entries(claims: &Claims) -> Vec<Vec<u8>> {
    let cbor = claims.to_cbor();
    let mut out = Vec::new();
    // After the map head, each entry is a one-byte key then its value.
    let mut i = 1;
    while i < cbor.len() {
        let start = i;
        i = skip(&cbor, i + 1);
        out.push(cbor[start..i].to_vec());
    }
    out
}

fn skip(b: &[u8], i: usize) -> usize {
    let major = b[i] >> 5;
    let info = b[i] & 0x1f;
    let (arg, head) = match info {
        0..=23 => (info as usize, 1),
        24 => (b[i + 1] as usize, 2),
        25 => (u16::from_be_bytes([b[i + 1], b[i + 2]]) as usize, 3),
        26 => (
            u32::from_be_bytes([b[i + 1], b[i + 2], b[i + 3], b[i + 4]]) as usize,
            5,
        ),
        _ => panic!("unexpected head"),
    };
    match major {
        0 | 1 => i + head,
        2 | 3 => i + head + arg,
        4 => {
            let mut j = i + head;
            for _ in 0..arg {
                j = skip(b, j);
            }
            j
        }
        _ => panic!("unexpected major type"),
    }
}

fn corpus(pki: &Pki, key: &SigningKey) -> Vec<Case> {
    let mut cases = Vec::new();
    let kid = pki.lab.certificate().kid();
    let claims = realistic_claims(today());
    let payload = claims.to_cbor();
    let genuine = pki.sign(&claims).into_bytes();

    // Bit flips: two per byte (lowest and highest bit) in every byte.
    for i in 0..genuine.len() {
        for mask in [0x01u8, 0x80] {
            let mut b = genuine.clone();
            b[i] ^= mask;
            cases.push(Case {
                category: "bit flip",
                bytes: b,
                expect: "",
            });
        }
    }
    // Wrong kid: unknown, and another trusted lab's (signature then fails).
    let mut other_kid = kid;
    other_kid[0] ^= 0xff;
    cases.push(Case {
        category: "wrong kid",
        bytes: forge(key, other_kid, payload.clone()),
        expect: "no lab certificate with kid",
    });
    let foreign = Pki::new();
    cases.push(Case {
        category: "wrong kid",
        bytes: forge(&key_of(&foreign.lab), kid, payload.clone()),
        expect: "COSE signature does not verify",
    });
    // Swapped algorithm.
    for alg in [
        iana::Algorithm::ES256,
        iana::Algorithm::ES384,
        iana::Algorithm::PS256,
        iana::Algorithm::A128GCM,
        iana::Algorithm::HMAC_256_256,
    ] {
        cases.push(Case {
            category: "swapped algorithm",
            bytes: forge_with(
                key,
                HeaderBuilder::new()
                    .algorithm(alg)
                    .key_id(kid.to_vec())
                    .build(),
                payload.clone(),
            ),
            expect: "unsupported algorithm",
        });
    }
    let mut text_alg = HeaderBuilder::new().key_id(kid.to_vec()).build();
    text_alg.alg = Some(coset::Algorithm::Text("EdDSA".into()));
    cases.push(Case {
        category: "swapped algorithm",
        bytes: forge_with(key, text_alg, payload.clone()),
        expect: "unsupported algorithm",
    });
    // Unprotected-header tricks: kid, alg, content type, or a counter-signature label there.
    for header in [
        HeaderBuilder::new().key_id(other_kid.to_vec()).build(),
        HeaderBuilder::new()
            .algorithm(iana::Algorithm::EdDSA)
            .build(),
        HeaderBuilder::new()
            .content_type("text/plain".into())
            .build(),
        HeaderBuilder::new()
            .value(33, coset::cbor::Value::Bytes(vec![0; 64]))
            .build(),
        HeaderBuilder::new().iv(vec![0; 12]).build(),
    ] {
        cases.push(Case {
            category: "unprotected header",
            bytes: with_unprotected(&genuine, header),
            expect: "unprotected header must be empty",
        });
    }
    // Truncation at every length.
    for n in 0..genuine.len() {
        cases.push(Case {
            category: "truncation",
            bytes: genuine[..n].to_vec(),
            expect: "",
        });
    }
    // Trailing bytes.
    for tail in [&[0x00u8][..], &[0xff], &[0xf6], &[0xa0], &[0; 100]] {
        cases.push(Case {
            category: "trailing bytes",
            bytes: [genuine.clone(), tail.to_vec()].concat(),
            expect: "not a COSE_Sign1 structure",
        });
    }
    // Oversize input.
    for len in [4097usize, 8192, 1 << 20] {
        let mut b = genuine.clone();
        b.resize(len, 0);
        cases.push(Case {
            category: "oversize",
            bytes: b,
            expect: "over the 4096-byte cap",
        });
    }
    // Non-canonical CBOR in the claims, correctly signed by the lab key.
    let e = entries(&claims);
    let refs: Vec<&[u8]> = e.iter().map(Vec::as_slice).collect();
    let mut variants: Vec<Vec<u8>> = Vec::new();
    // The serial 100042 in an 8-byte argument where 4 bytes fit.
    let long_serial = [0x01u8, 0x1b, 0, 0, 0, 0, 0, 0x01, 0x86, 0xca];
    let mut v = refs.clone();
    v[0] = &long_serial;
    variants.push(raw_claims(&v));
    // Map head with a 1-byte length argument (0xb8 0x0a) instead of 0xaa.
    variants.push([vec![0xb8, e.len() as u8], payload[1..].to_vec()].concat());
    // Indefinite-length map.
    variants.push([vec![0xbf], payload[1..].to_vec(), vec![0xff]].concat());
    // Keys out of order.
    {
        let mut v = refs.clone();
        v.swap(2, 3);
        variants.push(raw_claims(&v));
    }
    for v in variants {
        cases.push(Case {
            category: "non-canonical CBOR",
            bytes: forge(key, kid, v),
            expect: "claims:",
        });
    }
    // Duplicate map keys (a second manufacturer, a second serial).
    for dup in [2usize, 0, 4] {
        let mut v = refs.clone();
        v.insert(dup + 1, refs[dup]);
        v.pop(); // keep within the 10-entry bound, so the duplicate is what fails
        cases.push(Case {
            category: "duplicate map key",
            bytes: forge(key, kid, raw_claims(&v)),
            expect: "duplicate key",
        });
    }
    cases
}

/// Certificates that must not vouch for a label: expired, not yet valid,
/// issued by another authority, accredited for another scheme.
fn certificate_cases(pki: &Pki) -> Vec<(&'static str, TrustStore, Vec<u8>, &'static str)> {
    let t = today();
    let mut out = Vec::new();
    let spec = |from, to| {
        CertificateSpec::lab("Test Lab Ltd", &scope(&["uk-psti"])).valid_between(from, to)
    };
    for (category, from, to) in [
        (
            "expired certificate",
            t - Duration::days(400),
            t - Duration::days(30),
        ),
        (
            "not-yet-valid certificate",
            t + Duration::days(10),
            t + Duration::days(400),
        ),
    ] {
        let lab = pki.authority.issue_lab(&spec(from, to)).unwrap();
        let label = forge(
            &key_of(&lab),
            lab.certificate().kid(),
            realistic_claims(t).to_cbor(),
        );
        let trust =
            TrustStore::new(pki.authority.anchor().clone()).with_lab(lab.certificate().clone());
        out.push((
            category,
            trust,
            label,
            "lab certificate not valid on issue date",
        ));
    }
    // Same authority name, different key: the chain fails.
    let impostor =
        AuthorityCredentials::generate(&CertificateSpec::authority("Test Accreditation Body"))
            .unwrap();
    let lab = impostor
        .issue_lab(&CertificateSpec::lab("Test Lab Ltd", &scope(&["uk-psti"])))
        .unwrap();
    let label = lab
        .signer()
        .unwrap()
        .sign(&realistic_claims(t))
        .unwrap()
        .into_bytes();
    let trust = TrustStore::new(pki.authority.anchor().clone()).with_lab(lab.certificate().clone());
    out.push(("wrong-issuer certificate", trust, label, "signature"));
    // A lab accredited for en303645 only, labelling uk-psti.
    let narrow = pki
        .authority
        .issue_lab(&CertificateSpec::lab("Narrow Lab", &scope(&["en303645"])))
        .unwrap();
    let label = forge(
        &key_of(&narrow),
        narrow.certificate().kid(),
        realistic_claims(t).to_cbor(),
    );
    let trust =
        TrustStore::new(pki.authority.anchor().clone()).with_lab(narrow.certificate().clone());
    out.push((
        "out-of-scope certificate",
        trust,
        label,
        "outside the accreditation scope",
    ));
    out
}

#[test]
fn forgery_corpus_is_rejected_with_specific_reasons() {
    let pki = Pki::new();
    let key = key_of(&pki.lab);
    let trust = pki.trust();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let cases = corpus(&pki, &key);
    std::thread::scope(|s| {
        let chunks: Vec<&[Case]> = cases.chunks(cases.len().div_ceil(2)).collect();
        for chunk in chunks {
            let trust = &trust;
            s.spawn(move || {
                for c in chunk {
                    let v = verify_with_status(
                        &LabelInput::Cose(c.bytes.clone()),
                        trust,
                        today(),
                        None,
                    );
                    // A forged kid names a lab the verifier does not know:
                    // undecided (unverifiable), never accepted.
                    let unknown_lab = v.status == LabelStatus::Unverifiable
                        && v.reason.starts_with("no lab certificate with kid");
                    assert!(
                        v.status == LabelStatus::Invalid || unknown_lab,
                        "{}: accepted ({:?}: {})",
                        c.category,
                        v.status,
                        v.reason
                    );
                    assert!(!v.reason.is_empty(), "{}: no reason", c.category);
                    assert!(
                        v.reason.contains(c.expect),
                        "{}: {:?} lacks {:?}",
                        c.category,
                        v.reason,
                        c.expect
                    );
                }
            });
        }
    });
    for c in &cases {
        *counts.entry(c.category).or_default() += 1;
    }
    for (category, trust, label, expect) in certificate_cases(&pki) {
        let v = verify_with_status(&LabelInput::Cose(label), &trust, today(), None);
        assert_eq!(v.status, LabelStatus::Invalid, "{category}: accepted");
        assert!(
            v.reason.contains(expect),
            "{category}: {:?} lacks {expect:?}",
            v.reason
        );
        *counts.entry(category).or_default() += 1;
    }
    // Revoked: genuine, but on the lab's signed status list.
    let signer = pki.lab.signer().unwrap();
    let now = OffsetDateTime::now_utc();
    let list = StatusList::new([100_042u64, 7], 200_000, now, now + Duration::days(7)).unwrap();
    let list = StatusList::verify(&list.sign(&signer).unwrap(), &trust).unwrap();
    let label = pki.sign(&realistic_claims(today())).into_bytes();
    let v = verify_with_status(&LabelInput::Cose(label), &trust, today(), Some(&list));
    assert_eq!(v.status, LabelStatus::Revoked, "{}", v.reason);
    assert!(v.reason.contains("revoked"), "{}", v.reason);
    *counts.entry("revoked label").or_default() += 1;

    let total: usize = counts.values().sum();
    println!("forgery corpus: {total} cases, all rejected");
    for (category, n) in &counts {
        println!("  {category:28} {n}");
    }
    assert!(total > 500, "{total}");
}
