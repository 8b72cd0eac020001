//! Property tests of the digits codec, over every length 0..600.

use iotmark_labels::qr::digits::{decode_digits, digits_len, encode_digits};

/// SplitMix64: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn round_trip_and_length_mutations() {
    let mut rng = Rng(0x1a2b_3c4d);
    for len in 0..600 {
        for round in 0..4 {
            let bytes = match round {
                0 => vec![0u8; len],
                1 => vec![0xffu8; len],
                _ => rng.bytes(len),
            };
            let digits = encode_digits(&bytes);
            assert_eq!(digits.len(), digits_len(len), "len {len}");
            assert_eq!(decode_digits(&digits).unwrap(), bytes, "len {len}");

            // One digit more or fewer never fits a chunking.
            if !digits.is_empty() {
                let at = rng.below(digits.len());
                let mut shorter = digits.clone();
                shorter.remove(at);
                assert!(
                    decode_digits(&shorter).is_err(),
                    "len {len}: dropped digit accepted"
                );
            }
            let mut longer = digits.clone();
            longer.insert(rng.below(digits.len() + 1), '7');
            assert!(
                decode_digits(&longer).is_err(),
                "len {len}: extra digit accepted"
            );

            // Other counts may fit a chunking, but never give back these bytes.
            for delta in [2usize, 3, 5, 17] {
                if digits.len() >= delta {
                    if let Ok(other) = decode_digits(&digits[..digits.len() - delta]) {
                        assert_ne!(other, bytes);
                    }
                }
            }
        }
    }
}

#[test]
fn every_digit_string_has_at_most_one_meaning() {
    // Random digit strings: decoding never panics, and whatever decodes
    // re-encodes to exactly the same string (canonical).
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let len = rng.below(60);
        let s: String = (0..len)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        if let Ok(bytes) = decode_digits(&s) {
            assert_eq!(encode_digits(&bytes), s);
        }
    }
}

#[test]
fn oversized_chunks_are_refused() {
    let mut digits = encode_digits(&[0x12; 20]);
    digits.replace_range(0..17, "72057594037927936"); // 2^56
    assert!(decode_digits(&digits).is_err());
    let tail = digits.len() - 15; // final 6-byte chunk, 15 digits
    let mut digits = encode_digits(&[0x12; 20]);
    digits.replace_range(tail.., "281474976710656"); // 2^48
    assert!(decode_digits(&digits).is_err());
}
