//! Reading and writing key and certificate files.
//!
//! Private keys are created with mode 0600 in the `open` call itself, never
//! chmod'ed afterwards: there is no moment when another user could open the
//! file. Existing files are never overwritten — losing an authority key to a
//! mistyped `--out` is not recoverable.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::LabelError;

/// Mode for private keys.
pub(crate) const KEY_MODE: u32 = 0o600;
/// Mode for certificates.
pub(crate) const CERT_MODE: u32 = 0o644;

/// Reads at most `max` bytes of a file, failing if it is larger.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, LabelError> {
    let file = fs::File::open(path).map_err(|e| LabelError::io("read", path, e))?;
    let mut buf = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| LabelError::io("read", path, e))?;
    if buf.len() as u64 > max {
        let len = fs::metadata(path)
            .map(|m| m.len())
            .unwrap_or(buf.len() as u64);
        return Err(LabelError::FileTooLarge {
            path: path.to_path_buf(),
            len,
            max,
        });
    }
    Ok(buf)
}

/// Reads a bounded UTF-8 text file.
pub(crate) fn read_text(path: &Path, max: u64) -> Result<String, LabelError> {
    let bytes = read_bounded(path, max)?;
    String::from_utf8(bytes).map_err(|_| {
        LabelError::io(
            "read",
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
        )
    })
}

/// Creates the directory if needed and returns the paths, failing if any exists.
pub(crate) fn prepare_outputs(dir: &Path, names: &[&str]) -> Result<Vec<PathBuf>, LabelError> {
    fs::create_dir_all(dir).map_err(|e| LabelError::io("create directory", dir, e))?;
    let paths: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    for p in &paths {
        if p.exists() {
            return Err(LabelError::AlreadyExists { path: p.clone() });
        }
    }
    Ok(paths)
}

/// Creates a new file with `mode` (on unix) and writes `contents`.
pub(crate) fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), LabelError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            LabelError::AlreadyExists {
                path: path.to_path_buf(),
            }
        } else {
            LabelError::io("create", path, e)
        }
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| LabelError::io("write", path, e))
}
