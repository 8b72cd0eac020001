//! Label verification against raw Ed25519 on the same signatures.
//!
//! ```text
//! cargo bench -p iotmark-labels --bench verify
//! ```
//!
//! - `raw/*`: ed25519-dalek alone over the labels' exact COSE Sig_structures
//!   and signatures: `verify_strict` one by one, `verify_batch`, and
//!   `verify_batch` plus the per-signature torsion check it would need to
//!   accept exactly what `verify_strict` accepts.
//! - `label/*`: iotmark's verification of the same labels: `verify_label`
//!   (parsed labels), `verify` from `.cose` bytes (parsing included) and
//!   `verify_many` (bytes, chain checks shared, all cores).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../examples/common/reference.rs"]
mod reference;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, VerifyingKey};
use iotmark_labels::claims::ReportDigest;
use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
use iotmark_labels::verify::{verify, verify_label, verify_many, LabelInput, TrustStore};
use iotmark_labels::SignedLabel;
use time::{Date, OffsetDateTime};

const N: usize = 1000;

struct Fixture {
    today: Date,
    trust: TrustStore,
    labels: Vec<SignedLabel>,
    inputs: Vec<LabelInput>,
    key: VerifyingKey,
    messages: Vec<Vec<u8>>,
    signatures: Vec<Signature>,
}

fn fixture() -> Fixture {
    let authority =
        AuthorityCredentials::generate(&CertificateSpec::authority("Bench Body")).unwrap();
    let lab = authority
        .issue_lab(&CertificateSpec::lab("Bench Lab", &["uk-psti".to_owned()]))
        .unwrap();
    let signer = lab.signer().unwrap();
    let today = OffsetDateTime::now_utc().date();
    let labels: Vec<SignedLabel> = (0..N as u64)
        .map(|serial| {
            signer
                .sign(&reference::reference_claims(
                    100_000 + serial,
                    today,
                    ReportDigest::compact(&serial.to_be_bytes()),
                ))
                .unwrap()
        })
        .collect();
    let (messages, signatures) = labels
        .iter()
        .map(|l| {
            let sign1 = iotmark_labels::cose::to_coset(l).unwrap();
            (
                sign1.tbs_data(&[]),
                Signature::from_slice(&sign1.signature).unwrap(),
            )
        })
        .unzip();
    Fixture {
        today,
        trust: TrustStore::new(authority.anchor().clone()).with_lab(lab.certificate().clone()),
        inputs: labels
            .iter()
            .map(|l| LabelInput::Cose(l.as_bytes().to_vec()))
            .collect(),
        labels,
        key: *lab.certificate().public_key(),
        messages,
        signatures,
    }
}

fn bench(c: &mut Criterion) {
    let f = fixture();

    let mut single = c.benchmark_group("single");
    single.bench_function("raw/verify_strict", |b| {
        b.iter(|| {
            f.key
                .verify_strict(&f.messages[0], &f.signatures[0])
                .unwrap()
        })
    });
    single.bench_function("label/verify_cose", |b| {
        b.iter(|| assert!(verify(&f.inputs[0], &f.trust, f.today).is_valid()))
    });
    single.bench_function("label/verify_label", |b| {
        b.iter(|| assert!(verify_label(&f.labels[0], &f.trust, f.today).is_valid()))
    });
    single.finish();

    let mut many = c.benchmark_group("batch_of_1000");
    many.throughput(Throughput::Elements(N as u64));
    many.sample_size(10);
    many.bench_function("raw/verify_strict_each", |b| {
        b.iter(|| {
            for (m, s) in f.messages.iter().zip(&f.signatures) {
                f.key.verify_strict(m, s).unwrap();
            }
        })
    });
    let keys = vec![f.key; N];
    many.bench_function("raw/verify_batch", |b| {
        b.iter_batched(
            || f.messages.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            |messages| ed25519_dalek::verify_batch(&messages, &f.signatures, &keys).unwrap(),
            BatchSize::SmallInput,
        )
    });
    many.bench_function("raw/verify_batch_plus_torsion_checks", |b| {
        b.iter_batched(
            || f.messages.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            |messages| {
                ed25519_dalek::verify_batch(&messages, &f.signatures, &keys).unwrap();
                for s in &f.signatures {
                    let r = CompressedEdwardsY(*s.r_bytes()).decompress().unwrap();
                    assert!(r.is_torsion_free());
                }
            },
            BatchSize::SmallInput,
        )
    });
    many.bench_function("label/verify_label_each", |b| {
        b.iter(|| {
            for l in &f.labels {
                assert!(verify_label(l, &f.trust, f.today).is_valid());
            }
        })
    });
    many.bench_function("label/verify_cose_each", |b| {
        b.iter(|| {
            for i in &f.inputs {
                assert!(verify(i, &f.trust, f.today).is_valid());
            }
        })
    });
    many.bench_function("label/verify_many", |b| {
        b.iter(|| {
            let all = verify_many(&f.inputs, &f.trust, f.today, None);
            assert!(all.iter().all(|v| v.is_valid()));
        })
    });
    many.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
