//! Trust lists: never panic. As for status lists, each input is tried as the
//! signed envelope and as the JSON document inside a genuinely signed one
//! (lab entries, embedded PEM certificates, kids, scopes, times).
#![no_main]

use std::sync::OnceLock;

use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
use iotmark_labels::trust_list::TrustList;
use libfuzzer_sys::fuzz_target;

fn authority() -> &'static AuthorityCredentials {
    static AUTHORITY: OnceLock<AuthorityCredentials> = OnceLock::new();
    AUTHORITY.get_or_init(|| {
        AuthorityCredentials::generate(&CertificateSpec::authority("Fuzz Body")).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let authority = authority();
    let at = time::OffsetDateTime::now_utc().date();
    let _ = TrustList::verify(data, authority.anchor(), at);
    let signed = TrustList::sign_any_payload(authority, data.to_vec()).unwrap();
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
