//! Status lists: never panic. Each input is tried twice: as the signed
//! envelope itself, and as the JSON document inside a genuinely signed
//! envelope, so the parser behind the signature check (JSON, base64url, zlib,
//! size and count cross-checks) sees the fuzzer's bytes too. `@KID@` in the
//! input becomes the signing lab's kid, so the fuzzer can get past the kid
//! cross-check (seeds: `seeds/status_list/`).
#![no_main]

use std::sync::OnceLock;

use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
use iotmark_labels::status::StatusList;
use iotmark_labels::verify::TrustStore;
use iotmark_labels::LabelSigner;
use libfuzzer_sys::fuzz_target;

struct Fixture {
    signer: LabelSigner,
    trust: TrustStore,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let authority =
            AuthorityCredentials::generate(&CertificateSpec::authority("Fuzz Body")).unwrap();
        let lab = authority
            .issue_lab(&CertificateSpec::lab("Fuzz Lab", &["uk-psti".to_owned()]))
            .unwrap();
        Fixture {
            signer: lab.signer().unwrap(),
            trust: TrustStore::new(authority.anchor().clone()).with_lab(lab.certificate().clone()),
        }
    })
}

/// `data` with every `from` replaced by `to`.
pub fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let _ = StatusList::verify(data, &f.trust);
    let kid = hex::encode(f.signer.certificate().kid());
    let payload = replace(data, b"@KID@", kid.as_bytes());
    let signed = StatusList::sign_any_payload(&f.signer, payload).unwrap();
    if let Ok(list) = StatusList::verify(&signed, &f.trust) {
        // Whatever is accepted answers every query without panicking.
        let _ = list.is_revoked(0);
        let _ = list.is_revoked(u64::MAX);
        let _ = list.is_revoked(list.size().saturating_sub(1));
        let _ = list.check_current(time::macros::date!(2026 - 01 - 01));
    }
});
