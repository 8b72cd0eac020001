//! COSE_Sign1 parsing and full verification of arbitrary bytes: never panics,
//! and never says Valid without a lab key (the trust store here is empty).
#![no_main]

use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
use iotmark_labels::verify::{verify, LabelInput, LabelStatus, TrustStore};
use iotmark_labels::SignedLabel;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn trust() -> &'static TrustStore {
    static TRUST: OnceLock<TrustStore> = OnceLock::new();
    TRUST.get_or_init(|| {
        let authority =
            AuthorityCredentials::generate(&CertificateSpec::authority("Fuzz Body")).unwrap();
        TrustStore::new(authority.anchor().clone())
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(label) = SignedLabel::from_bytes(data.to_vec()) {
        assert_eq!(label.as_bytes(), data);
    }
    let v = verify(
        &LabelInput::Cose(data.to_vec()),
        trust(),
        time::macros::date!(2026 - 01 - 01),
    );
    assert_eq!(v.status, LabelStatus::Invalid);
});
