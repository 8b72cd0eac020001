//! Tampered and malformed labels: every one is Invalid with a specific reason.

use coset::{iana, CoseSign1, Header, HeaderBuilder, ProtectedHeader, TaggedCborSerializable};
use ed25519_dalek::SigningKey;
use iotmark_labels::cose::MAX_LABEL_BYTES;
use iotmark_labels::verify::{verify, LabelInput, LabelStatus, TrustStore};
use iotmark_labels::SignedLabel;

use crate::kit::{forge, forge_with, realistic_claims, today, Pki};

fn reason(bytes: Vec<u8>, trust: &TrustStore) -> String {
    let v = verify(&LabelInput::Cose(bytes), trust, today());
    assert_eq!(v.status, LabelStatus::Invalid, "accepted: {}", v.reason);
    assert!(!v.reason.is_empty());
    v.reason
}

/// A key whose private half the test knows but which the lab certificate certifies:
/// the lab's own key, recovered from the credentials via a written key file.
fn lab_key(pki: &Pki) -> SigningKey {
    let dir = tempfile::tempdir().unwrap();
    pki.lab.write(dir.path()).unwrap();
    iotmark_labels::pki::load_signing_key(&dir.path().join("lab.key")).unwrap()
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let pki = Pki::new();
    let trust = pki.trust();
    let label = pki.sign(&realistic_claims(today()));
    let bytes = label.as_bytes();
    let bits: Vec<usize> = (0..bytes.len() * 8).collect();
    // Two Ed25519 verifications per flip are slow in debug builds: use every core.
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let reasons: std::collections::BTreeSet<String> = std::thread::scope(|s| {
        let handles: Vec<_> = bits
            .chunks(bits.len().div_ceil(threads))
            .map(|chunk| {
                let trust = &trust;
                s.spawn(move || {
                    let mut kinds = std::collections::BTreeSet::new();
                    for &i in chunk {
                        let mut flipped = bytes.to_vec();
                        flipped[i / 8] ^= 1 << (i % 8);
                        let v = verify(&LabelInput::Cose(flipped), trust, today());
                        // A flip in the kid names an unknown lab: undecided,
                        // never accepted.
                        let unknown_lab = v.status == LabelStatus::Unverifiable
                            && v.reason.starts_with("no lab certificate with kid");
                        assert!(
                            v.status == LabelStatus::Invalid || unknown_lab,
                            "bit {i} flipped was accepted: {:?} {}",
                            v.status,
                            v.reason
                        );
                        assert!(!v.reason.is_empty(), "bit {i}: empty reason");
                        kinds.insert(
                            v.reason
                                .split_whitespace()
                                .take(4)
                                .collect::<Vec<_>>()
                                .join(" "),
                        );
                    }
                    kinds
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    // The flips hit different layers and say so.
    println!("{} bits flipped; reason kinds: {reasons:#?}", bits.len());
    assert!(reasons.len() >= 4, "{reasons:?}");
}

#[test]
fn structural_problems_have_specific_reasons() {
    let pki = Pki::new();
    let trust = pki.trust();
    let key = lab_key(&pki);
    let kid = pki.lab.certificate().kid();
    let payload = realistic_claims(today()).to_cbor();
    let genuine = forge(&key, kid, payload.clone());
    assert_eq!(
        verify(&LabelInput::Cose(genuine.clone()), &trust, today()).status,
        LabelStatus::Valid
    );

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "label is empty"),
        (
            "oversized",
            vec![0xd2; MAX_LABEL_BYTES + 1],
            "label is 4097 bytes, over the 4096-byte cap",
        ),
        (
            "untagged",
            genuine[1..].to_vec(),
            "not a COSE_Sign1 structure: does not start with CBOR tag 18",
        ),
        (
            "trailing byte",
            [genuine.clone(), vec![0]].concat(),
            "not a COSE_Sign1 structure",
        ),
        (
            "other algorithm",
            forge_with(
                &key,
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::ES256)
                    .key_id(kid.to_vec())
                    .build(),
                payload.clone(),
            ),
            "unsupported algorithm",
        ),
        (
            "no algorithm",
            forge_with(
                &key,
                HeaderBuilder::new().key_id(kid.to_vec()).build(),
                payload.clone(),
            ),
            "protected header has no alg",
        ),
        (
            "short kid",
            forge_with(
                &key,
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::EdDSA)
                    .key_id(kid[..7].to_vec())
                    .build(),
                payload.clone(),
            ),
            "kid must be 8 bytes, found 7",
        ),
        (
            "extra protected header",
            forge_with(
                &key,
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::EdDSA)
                    .key_id(kid.to_vec())
                    .content_type("application/cbor".into())
                    .build(),
                payload.clone(),
            ),
            "protected header must hold exactly alg and kid",
        ),
        (
            "unprotected header",
            with_unprotected(&genuine),
            "unprotected header must be empty",
        ),
        ("detached payload", detached(&genuine), "payload missing"),
        (
            "claims not canonical",
            forge(&key, kid, non_canonical_claims(&payload)),
            "claims: non-canonical CBOR",
        ),
        (
            "claims garbage",
            forge(&key, kid, vec![0xfc, 0x00]),
            "claims: malformed CBOR",
        ),
    ];
    for (name, bytes, expected) in cases {
        let r = reason(bytes, &trust);
        assert!(
            r.starts_with(expected),
            "{name}: got {r:?}, expected {expected:?}…"
        );
    }
}

/// The genuine label with `{4: kid}` in the unprotected header.
fn with_unprotected(genuine: &[u8]) -> Vec<u8> {
    let mut sign1 = CoseSign1::from_tagged_slice(genuine).unwrap();
    sign1.unprotected = HeaderBuilder::new().key_id(vec![1]).build();
    sign1.to_tagged_vec().unwrap()
}

fn detached(genuine: &[u8]) -> Vec<u8> {
    let mut sign1 = CoseSign1::from_tagged_slice(genuine).unwrap();
    sign1.payload = None;
    sign1.to_tagged_vec().unwrap()
}

/// The serial (key 1) re-encoded with a 2-byte argument where 1 byte fits.
fn non_canonical_claims(payload: &[u8]) -> Vec<u8> {
    // payload: map head, the format version {0: 2}, then key 1 and the
    // serial 100042 = 0x1a 00 01 86 ca.
    assert_eq!(&payload[1..5], &[0x00, 0x02, 0x01, 0x1a]);
    let mut out = payload[..4].to_vec();
    out.extend_from_slice(&[0x1b, 0, 0, 0, 0]);
    out.extend_from_slice(&payload[5..]);
    out
}

#[test]
fn non_canonical_envelope_is_rejected_even_with_a_good_signature() {
    let pki = Pki::new();
    let label = pki.sign(&realistic_claims(today()));
    let bytes = label.as_bytes();
    // Re-encode the 4-element array head as 0x98 0x04 (1-byte argument form):
    // same structure, same signature, different bytes.
    let mut stretched = vec![0xd2, 0x98, 0x04];
    stretched.extend_from_slice(&bytes[2..]);
    assert!(reason(stretched, &pki.trust()).starts_with("not a COSE_Sign1 structure"));

    // A protected header with the same content encoded differently (kid first):
    // signed over its own bytes, so the signature is good, but it is not the
    // canonical encoding.
    let key = lab_key(&pki);
    let kid = pki.lab.certificate().kid();
    let mut protected = vec![0xa2, 0x04, 0x48];
    protected.extend_from_slice(&kid);
    protected.extend_from_slice(&[0x01, 0x27]);
    let mut sign1 = CoseSign1 {
        protected: ProtectedHeader {
            original_data: Some(protected),
            header: HeaderBuilder::new()
                .algorithm(iana::Algorithm::EdDSA)
                .key_id(kid.to_vec())
                .build(),
        },
        unprotected: Header::default(),
        payload: Some(realistic_claims(today()).to_cbor()),
        signature: Vec::new(),
    };
    let tbs = sign1.tbs_data(&[]);
    sign1.signature = ed25519_dalek::Signer::sign(&key, &tbs).to_bytes().to_vec();
    let r = reason(sign1.to_tagged_vec().unwrap(), &pki.trust());
    assert_eq!(
        r,
        "protected header must hold exactly alg and kid, canonically encoded"
    );
}

#[test]
fn hostile_bytes_never_panic() {
    let pki = Pki::new();
    let trust = pki.trust();
    let label = pki.sign(&realistic_claims(today()));
    // Every prefix of a genuine label, and some classic CBOR bombs.
    for n in 0..label.as_bytes().len() {
        reason(label.as_bytes()[..n].to_vec(), &trust);
    }
    let bombs: Vec<Vec<u8>> = vec![
        vec![
            0xd2, 0x84, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
        [vec![0xd2, 0x84], vec![0x81; 4000]].concat(),
        [vec![0xd2, 0x84], vec![0xbf; 4000]].concat(),
        vec![0xd2, 0x84, 0x40, 0xa0, 0x5f, 0x41, 0x00, 0xff, 0x40],
    ];
    for b in bombs {
        reason(b, &trust);
        assert!(SignedLabel::from_bytes(vec![0xd2, 0x84, 0x9f]).is_err());
    }
}
