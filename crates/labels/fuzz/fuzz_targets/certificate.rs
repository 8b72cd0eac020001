//! Certificate parsing: never panics.
#![no_main]

use iotmark_labels::{LabCertificate, TrustAnchor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = LabCertificate::from_der(data);
    let _ = TrustAnchor::from_der(data);
});
