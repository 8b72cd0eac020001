//! Trust lists: never panic. As for status lists, each input is tried as the
//! signed envelope and as the JSON document inside a genuinely signed one
//! (lab entries, embedded PEM certificates, kids, scopes, times). In the
//! input, `@AUTHKID@`, `@LABKID@` and `@LABPEM@` become the authority's kid,
//! a genuine lab's kid and its certificate (JSON-escaped PEM), so the fuzzer
//! can reach the per-lab checks (seeds: `seeds/trust_list/`).
#![no_main]

use std::sync::OnceLock;

use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
use iotmark_labels::trust_list::TrustList;
use iotmark_labels::LabCertificate;
use libfuzzer_sys::fuzz_target;

struct Fixture {
    authority: AuthorityCredentials,
    lab: LabCertificate,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let authority =
            AuthorityCredentials::generate(&CertificateSpec::authority("Fuzz Body")).unwrap();
        let lab = authority
            .issue_lab(&CertificateSpec::lab(
                "Fuzz Lab",
                &["uk-psti".to_owned(), "en303645".to_owned()],
            ))
            .unwrap()
            .certificate()
            .clone();
        Fixture { authority, lab }
    })
}

/// `data` with every `from` replaced by `to`.
fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
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
    let authority = &f.authority;
    let at = time::OffsetDateTime::now_utc().date();
    let _ = TrustList::verify(data, authority.anchor(), at);
    let pem = serde_json::to_string(f.lab.to_pem()).unwrap();
    let pem = pem.trim_matches('"');
    let payload = replace(
        data,
        b"@AUTHKID@",
        hex::encode(authority.anchor().kid()).as_bytes(),
    );
    let payload = replace(&payload, b"@LABKID@", hex::encode(f.lab.kid()).as_bytes());
    let payload = replace(&payload, b"@LABPEM@", pem.as_bytes());
    let signed = TrustList::sign_any_payload(authority, payload).unwrap();
    if let Ok(list) = TrustList::verify(&signed, authority.anchor(), at) {
        for lab in &list.labs {
            // Every listed scheme is within the lab certificate's scope.
            assert!(lab
                .scope
                .iter()
                .all(|s| lab.certificate.scope().contains(s)));
        }
    }
});
