//! Claims decoding: never panics; whatever decodes re-encodes to the same bytes.
#![no_main]

use iotmark_labels::claims::Claims;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(claims) = Claims::from_cbor(data) {
        assert_eq!(claims.to_cbor(), data, "accepted a non-canonical encoding");
    }
});
