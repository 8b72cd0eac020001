//! The simulated cameras' firmware image format and its check.
//!
//! An image is a payload followed by a 64-byte Ed25519 signature over the
//! payload. The payload starts with a header naming the format, the model
//! and the version, one per line, ended by an empty line:
//!
//! ```text
//! IOTMARK-FW 1
//! model: GC-200
//! version: 2.4.2
//!
//! <firmware bytes>
//! ```
//!
//! Each product's signing key is derived from its name, so the test image in
//! its example profile can be made again (`signed_image`).

use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use sha2::Digest;

/// Bytes of signature at the end of an image.
pub const SIGNATURE_LEN: usize = 64;

/// First line of every payload.
const MAGIC: &str = "IOTMARK-FW 1";

/// Why an image was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("the image is too short to hold a signature")]
    TooShort,
    #[error("the image header is not readable")]
    BadHeader,
    #[error("the image is for model {0}, not this one")]
    WrongModel(String),
    #[error("the signature does not verify against the manufacturer's key")]
    BadSignature,
}

/// The product's update signing key pair.
fn key_pair(product_name: &str) -> Option<Ed25519KeyPair> {
    let mut seed = sha2::Sha256::new();
    seed.update(b"iotmark simulated update signing key\0");
    seed.update(product_name.as_bytes());
    Ed25519KeyPair::from_seed_unchecked(&seed.finalize()).ok()
}

/// A signed image of `model` at `version` for `product_name`, with `filler`
/// bytes of firmware. `None` only if the key cannot be made.
pub fn signed_image(
    product_name: &str,
    model: &str,
    version: &str,
    filler: &[u8],
) -> Option<Vec<u8>> {
    let key = key_pair(product_name)?;
    let mut image = format!("{MAGIC}\nmodel: {model}\nversion: {version}\n\n").into_bytes();
    image.extend_from_slice(filler);
    let signature = key.sign(&image);
    image.extend_from_slice(signature.as_ref());
    Some(image)
}

/// Read the version from an image for `model`; with `check_signature`, the
/// signature must verify against `product_name`'s key.
pub fn check_image(
    product_name: &str,
    model: &str,
    image: &[u8],
    check_signature: bool,
) -> Result<String, ImageError> {
    if image.len() <= SIGNATURE_LEN {
        return Err(ImageError::TooShort);
    }
    let (payload, signature) = image.split_at(image.len() - SIGNATURE_LEN);
    let header_end = payload
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or(ImageError::BadHeader)?;
    let header = std::str::from_utf8(&payload[..header_end]).map_err(|_| ImageError::BadHeader)?;
    let mut lines = header.lines();
    if lines.next() != Some(MAGIC) {
        return Err(ImageError::BadHeader);
    }
    let mut image_model = None;
    let mut version = None;
    for line in lines {
        match line.split_once(": ") {
            Some(("model", m)) => image_model = Some(m),
            Some(("version", v)) => version = Some(v),
            _ => return Err(ImageError::BadHeader),
        }
    }
    let (Some(image_model), Some(version)) = (image_model, version) else {
        return Err(ImageError::BadHeader);
    };
    if image_model != model {
        return Err(ImageError::WrongModel(
            image_model.chars().take(64).collect(),
        ));
    }
    if version.is_empty() || version.len() > 64 {
        return Err(ImageError::BadHeader);
    }
    if check_signature {
        let key = key_pair(product_name).ok_or(ImageError::BadSignature)?;
        UnparsedPublicKey::new(&ED25519, key.public_key().as_ref())
            .verify(payload, signature)
            .map_err(|_| ImageError::BadSignature)?;
    }
    Ok(version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_images_verify_and_altered_ones_do_not() {
        let image = signed_image("good-camera", "GC-200", "2.4.2", b"firmware").unwrap();
        assert_eq!(
            check_image("good-camera", "GC-200", &image, true).as_deref(),
            Ok("2.4.2")
        );
        let mut altered = image.clone();
        let mid = altered.len() - SIGNATURE_LEN - 2;
        altered[mid] ^= 1;
        assert_eq!(
            check_image("good-camera", "GC-200", &altered, true),
            Err(ImageError::BadSignature)
        );
        assert!(check_image("good-camera", "GC-200", &altered, false).is_ok());
        assert_eq!(
            check_image("other", "GC-200", &image, true),
            Err(ImageError::BadSignature)
        );
        assert!(check_image("good-camera", "GC-210", &image, true).is_err());
        for junk in [&b""[..], &[0u8; 64][..], &[b'\n'; 200][..]] {
            assert!(check_image("good-camera", "GC-200", junk, true).is_err());
        }
    }
}
