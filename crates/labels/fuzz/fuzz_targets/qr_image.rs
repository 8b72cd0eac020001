//! PNG/JPEG decoding and QR detection: never panics, bounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = iotmark_labels::qr::decode_image_bytes(data);
});
