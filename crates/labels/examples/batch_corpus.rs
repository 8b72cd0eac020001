//! A bulk-verification corpus and, in the same run, the raw Ed25519 rate it
//! is compared with.
//!
//! ```text
//! cargo run --release -p iotmark-labels --example batch_corpus -- DIR [N]
//! ```
//!
//! Writes `DIR/authority.pem`, `DIR/lab.pem` and `DIR/labels.txt` (N label
//! URLs, default 100000, one per line) for `iotmark verify --batch`, then
//! times on this machine: ed25519-dalek `verify_strict` over the labels' exact
//! signed bytes, one thread; the library's `verify` one label at a time (all
//! parsing and chain checks included), one thread; and `verify_many` (all
//! cores). Prints one JSON line of rates (labels per second).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "common/reference.rs"]
mod reference;

use std::io::Write as _;
use std::time::Instant;

use ed25519_dalek::Signature;
use iotmark_labels::claims::ReportDigest;
use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
use iotmark_labels::verify::{verify, verify_many, LabelInput, TrustStore};
use time::OffsetDateTime;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: batch_corpus DIR [N]"));
    let n: u64 = args.next().map_or(100_000, |s| s.parse().expect("N"));
    std::fs::create_dir_all(&dir).unwrap();

    let authority =
        AuthorityCredentials::generate(&CertificateSpec::authority("Batch Body")).unwrap();
    let lab = authority
        .issue_lab(&CertificateSpec::lab("Batch Lab", &["uk-psti".to_owned()]))
        .unwrap();
    std::fs::write(dir.join("authority.pem"), authority.anchor().to_pem()).unwrap();
    std::fs::write(dir.join("lab.pem"), lab.certificate().to_pem()).unwrap();
    let signer = lab.signer().unwrap();
    let today = OffsetDateTime::now_utc().date();
    let labels: Vec<_> = (0..n)
        .map(|i| {
            signer
                .sign(&reference::reference_claims(
                    1_000_000 + i,
                    today,
                    ReportDigest::compact(&i.to_be_bytes()),
                ))
                .unwrap()
        })
        .collect();
    let mut urls = std::io::BufWriter::new(std::fs::File::create(dir.join("labels.txt")).unwrap());
    for l in &labels {
        let url = iotmark_labels::qr::label_url(l, "HTTPS://IOTMARK.EXAMPLE/L/").unwrap();
        writeln!(urls, "{url}").unwrap();
    }
    urls.flush().unwrap();

    // Raw Ed25519 over the exact bytes each label signs.
    let key = *lab.certificate().public_key();
    let signed: Vec<(Vec<u8>, Signature)> = labels
        .iter()
        .map(|l| {
            let s = iotmark_labels::cose::to_coset(l).unwrap();
            (
                s.tbs_data(&[]),
                Signature::from_slice(&s.signature).unwrap(),
            )
        })
        .collect();
    let started = Instant::now();
    for (message, signature) in &signed {
        key.verify_strict(message, signature).unwrap();
    }
    let raw = n as f64 / started.elapsed().as_secs_f64();

    let trust = TrustStore::new(authority.anchor().clone()).with_lab(lab.certificate().clone());
    let inputs: Vec<LabelInput> = labels
        .iter()
        .map(|l| LabelInput::Cose(l.as_bytes().to_vec()))
        .collect();
    let started = Instant::now();
    for input in &inputs {
        assert!(verify(input, &trust, today).is_valid());
    }
    let one_thread = n as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let all = verify_many(&inputs, &trust, today, None);
    let many = n as f64 / started.elapsed().as_secs_f64();
    assert!(all.iter().all(|v| v.is_valid()));
    println!(
        "{{\"labels\":{n},\"cores\":{},\"raw_verify_strict_per_s\":{raw:.0},\"verify_one_thread_per_s\":{one_thread:.0},\"verify_many_per_s\":{many:.0},\"one_thread_vs_raw\":{:.2},\"many_vs_raw\":{:.2}}}",
        std::thread::available_parallelism().map_or(1, |p| p.get()),
        one_thread / raw,
        many / raw
    );
}
