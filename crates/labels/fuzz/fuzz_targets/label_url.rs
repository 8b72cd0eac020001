//! URL and digits parsing: never panics; decoded digits re-encode identically.
#![no_main]

use iotmark_labels::qr::{decode_digits, digits_from_url, encode_digits, label_from_url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = label_from_url(text);
    if let Ok(digits) = digits_from_url(text) {
        if let Ok(bytes) = decode_digits(digits) {
            assert_eq!(encode_digits(&bytes), digits);
        }
    }
});
