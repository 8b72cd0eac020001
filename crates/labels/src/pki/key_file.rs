//! Private key files: PKCS#8 PEM, optionally encrypted with a passphrase.
//!
//! An encrypted key is a PKCS#8 `EncryptedPrivateKeyInfo` (RFC 5958) under
//! PBES2 (RFC 8018): scrypt (N = 2^14, r = 8, p = 1, a 16-byte random salt)
//! derives an AES-256-CBC key. This is the form `openssl pkcs8 -topk8 -scrypt`
//! writes, with its parameters, and `openssl pkey -passin` reads, so a lab can
//! move its key into other tools. scrypt rather than PBKDF2 because it is
//! memory-hard: each guess at the passphrase costs 16 MiB as well as time,
//! which is what makes a stolen key file expensive to attack with GPUs.
//! N = 2^15 would double that, but OpenSSL refuses to read it (its scrypt
//! memory limit is 32 MiB), so the strength has to come from the passphrase.
//!
//! Reading refuses KDF parameters far beyond what we write (a doctored file
//! must not make us allocate gigabytes or spin for hours), and tells a wrong
//! passphrase apart from a damaged file only as far as the format allows:
//! both are "cannot decrypt".

use std::fmt;
use std::path::Path;

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, KeypairBytes};
use ed25519_dalek::SigningKey;
use pkcs8::der::pem::LineEnding;
use pkcs8::pkcs5::{self, pbes2};
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo, SecretDocument};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::files;
use crate::error::LabelError;

/// log2 of scrypt's cost N for keys we write.
const SCRYPT_LOG_N: u8 = 14;
/// Largest scrypt N accepted when reading.
const MAX_SCRYPT_N: u64 = 1 << 20;
/// Most memory scrypt may take while reading a key (128·N·r bytes): 64 MiB,
/// twice OpenSSL's default limit; our own keys take 16 MiB.
const MAX_SCRYPT_MEMORY: u64 = 64 * 1024 * 1024;
/// Most work (128·N·r·p bytes mixed) accepted, so a hostile key file cannot
/// hold the process for minutes.
const MAX_SCRYPT_WORK: u64 = 4 * MAX_SCRYPT_MEMORY;
/// Largest scrypt r and p accepted when reading.
const MAX_SCRYPT_R: u16 = 32;
const MAX_SCRYPT_P: u16 = 16;
/// Most PBKDF2 iterations accepted when reading (OpenSSL-written keys).
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Longest key file we read.
const MAX_KEY_FILE: u64 = 16 * 1024;

const ENCRYPTED_LABEL: &str = "ENCRYPTED PRIVATE KEY";

/// A passphrase protecting a private key file. Wiped from memory when
/// dropped; never printed.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase; refuses an empty one, which would protect nothing.
    pub fn new(text: String) -> Result<Self, LabelError> {
        if text.is_empty() {
            return Err(LabelError::invalid("passphrase", "must not be empty"));
        }
        Ok(Self(Zeroizing::new(text)))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

fn key_error(path: &Path, reason: impl Into<String>) -> LabelError {
    LabelError::Key {
        path: Some(path.to_path_buf()),
        reason: reason.into(),
    }
}

/// The key as PKCS#8 PEM: plain, or encrypted under `passphrase`.
///
/// Plain keys are a version-1 PrivateKeyInfo holding only the private key
/// (the RFC 8410 form, what `openssl genpkey` writes), not ed25519-dalek's
/// default version 2 with the public key attached, which OpenSSL 3.0 cannot
/// read. Encrypted keys wrap that same structure.
pub(crate) fn encode(
    path: &Path,
    key: &SigningKey,
    passphrase: Option<&Passphrase>,
) -> Result<Zeroizing<String>, LabelError> {
    let keypair = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let Some(passphrase) = passphrase else {
        return keypair
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| key_error(path, format!("cannot encode key as PKCS#8: {e}")));
    };
    let der = keypair
        .to_pkcs8_der()
        .map_err(|e| key_error(path, format!("cannot encode key as PKCS#8: {e}")))?;
    let info = PrivateKeyInfo::try_from(der.as_bytes())
        .map_err(|e| key_error(path, format!("cannot encode key as PKCS#8: {e}")))?;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut salt)
        .and_then(|()| OsRng.try_fill_bytes(&mut iv))
        .map_err(|e| key_error(path, format!("OS random number generator failed: {e}")))?;
    let cost = pkcs5::scrypt::Params::new(SCRYPT_LOG_N, 8, 1, 32)
        .map_err(|e| key_error(path, format!("scrypt parameters: {e}")))?;
    let params = pbes2::Parameters::scrypt_aes256cbc(cost, &salt, &iv)
        .map_err(|e| key_error(path, format!("PBES2 parameters: {e}")))?;
    let encrypted = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|e| key_error(path, format!("cannot encrypt key: {e}")))?;
    encrypted
        .to_pem(ENCRYPTED_LABEL, LineEnding::LF)
        .map_err(|e| key_error(path, format!("cannot encode encrypted key: {e}")))
}

/// Writes a key to a new file with mode 0600.
pub(crate) fn write(
    path: &Path,
    key: &SigningKey,
    passphrase: Option<&Passphrase>,
) -> Result<(), LabelError> {
    let pem = encode(path, key, passphrase)?;
    files::write_new(path, pem.as_bytes(), files::KEY_MODE)
}

/// Whether a key file holds an encrypted key (judged from its PEM label).
pub fn is_encrypted(path: &Path) -> Result<bool, LabelError> {
    let text = Zeroizing::new(files::read_text(path, MAX_KEY_FILE)?);
    Ok(text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
}

/// Refuses KDF parameters that would cost far more than any key we write.
fn check_cost(path: &Path, info: &EncryptedPrivateKeyInfo<'_>) -> Result<(), LabelError> {
    let Some(params) = info.encryption_algorithm.pbes2() else {
        return Err(key_error(
            path,
            "encrypted with a PBES1 scheme; only PBES2 (scrypt or PBKDF2 with AES) is accepted",
        ));
    };
    if let Some(s) = params.kdf.scrypt() {
        let memory = s
            .cost_parameter
            .saturating_mul(128)
            .saturating_mul(u64::from(s.block_size));
        let work = memory.saturating_mul(u64::from(s.parallelization));
        if s.cost_parameter > MAX_SCRYPT_N
            || s.block_size > MAX_SCRYPT_R
            || s.parallelization > MAX_SCRYPT_P
            || memory > MAX_SCRYPT_MEMORY
            || work > MAX_SCRYPT_WORK
        {
            return Err(key_error(
                path,
                format!(
                    "scrypt parameters N={} r={} p={} exceed the accepted N≤{MAX_SCRYPT_N} r≤{MAX_SCRYPT_R} p≤{MAX_SCRYPT_P}, 128·N·r≤{MAX_SCRYPT_MEMORY} bytes and 128·N·r·p≤{MAX_SCRYPT_WORK}",
                    s.cost_parameter, s.block_size, s.parallelization
                ),
            ));
        }
    }
    if let Some(p) = params.kdf.pbkdf2() {
        if p.iteration_count > MAX_PBKDF2_ITERATIONS {
            return Err(key_error(
                path,
                format!(
                    "PBKDF2 with {} iterations exceeds the accepted {MAX_PBKDF2_ITERATIONS}",
                    p.iteration_count
                ),
            ));
        }
    }
    Ok(())
}

/// Reads an Ed25519 key from PKCS#8 PEM text, decrypting it when encrypted.
pub(crate) fn decode(
    path: &Path,
    text: &str,
    passphrase: Option<&Passphrase>,
) -> Result<SigningKey, LabelError> {
    let (label, doc) = SecretDocument::from_pem(text)
        .map_err(|e| key_error(path, format!("not a PKCS#8 PEM key: {e}")))?;
    if label != ENCRYPTED_LABEL {
        return SigningKey::from_pkcs8_der(doc.as_bytes())
            .map_err(|e| key_error(path, format!("not an Ed25519 PKCS#8 PEM key: {e}")));
    }
    let Some(passphrase) = passphrase else {
        return Err(key_error(
            path,
            "the key is encrypted; give its passphrase (--passphrase-env VAR names the environment variable holding it)",
        ));
    };
    let info = EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
        .map_err(|e| key_error(path, format!("not a PKCS#8 encrypted key: {e}")))?;
    check_cost(path, &info)?;
    let plain = info.decrypt(passphrase.as_bytes()).map_err(|_| {
        key_error(
            path,
            "cannot decrypt: wrong passphrase (or a damaged key file)",
        )
    })?;
    SigningKey::from_pkcs8_der(plain.as_bytes()).map_err(|_| {
        key_error(
            path,
            "cannot decrypt: wrong passphrase (or a damaged key file)",
        )
    })
}

/// Reads a key file (bounded) and decodes it.
pub(crate) fn read(path: &Path, passphrase: Option<&Passphrase>) -> Result<SigningKey, LabelError> {
    let text = Zeroizing::new(files::read_text(path, MAX_KEY_FILE)?);
    decode(path, &text, passphrase)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_keys_round_trip_and_wrong_passphrases_fail() {
        let path = Path::new("test.key");
        let key = SigningKey::from_bytes(&[9; 32]);
        let pass = Passphrase::new("correct horse".into()).unwrap();
        let pem = encode(path, &key, Some(&pass)).unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assert_eq!(decode(path, &pem, Some(&pass)).unwrap(), key);
        let wrong = Passphrase::new("battery staple".into()).unwrap();
        let err = decode(path, &pem, Some(&wrong)).unwrap_err().to_string();
        assert!(err.contains("wrong passphrase"), "{err}");
        let err = decode(path, &pem, None).unwrap_err().to_string();
        assert!(err.contains("the key is encrypted"), "{err}");
        // A plain key reads with or without a passphrase.
        let plain = encode(path, &key, None).unwrap();
        assert_eq!(decode(path, &plain, Some(&pass)).unwrap(), key);
        assert!(Passphrase::new(String::new()).is_err());
        assert_eq!(format!("{pass:?}"), "Passphrase(..)");
    }

    #[test]
    fn scrypt_costs_beyond_the_bounds_are_refused_before_deriving() {
        use base64::Engine as _;
        let path = Path::new("hostile.key");
        let key = SigningKey::from_bytes(&[7; 32]);
        let pass = Passphrase::new("correct horse".into()).unwrap();
        let pem = encode(path, &key, Some(&pass)).unwrap();
        let (_, doc) = SecretDocument::from_pem(&pem).unwrap();
        let mut der = doc.as_bytes().to_vec();
        // Our scrypt parameters in DER: N = 2^14, r = 8, p = 1. Rewrite them in
        // place (same lengths) to r = 32, p = 16: each under its own cap, but
        // 1 GiB of mixing in all.
        let ours = [0x02, 0x02, 0x40, 0x00, 0x02, 0x01, 0x08, 0x02, 0x01, 0x01];
        let at = der.windows(ours.len()).position(|w| w == ours).unwrap();
        der[at + 6] = 32;
        der[at + 9] = 16;
        let body = base64::engine::general_purpose::STANDARD.encode(&der);
        let mut hostile = format!("-----BEGIN {ENCRYPTED_LABEL}-----\n");
        for line in body.as_bytes().chunks(64) {
            hostile.push_str(std::str::from_utf8(line).unwrap());
            hostile.push('\n');
        }
        hostile.push_str(&format!("-----END {ENCRYPTED_LABEL}-----\n"));
        let started = std::time::Instant::now();
        let err = decode(path, &hostile, Some(&pass)).unwrap_err().to_string();
        assert!(err.contains("exceed"), "{err}");
        assert!(err.contains("hostile.key"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
