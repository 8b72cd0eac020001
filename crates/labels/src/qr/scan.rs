//! Reading label QR codes from photos and scans (PNG or JPEG), with rqrr.
//!
//! Images come from shelves and phones and may be hostile: the file size is
//! capped before reading, the dimensions are checked from the header before
//! any pixel is decoded, and the decoder runs under image's allocation limits.
//! rqrr is a third-party decoder of untrusted pixels; it runs under
//! `catch_unwind` so that a bug in it becomes an error rather than taking the
//! verifier down.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use image::{GrayImage, ImageFormat, ImageReader, Limits};

use crate::error::LabelError;
use crate::pki::files;

/// Largest image file accepted.
pub const MAX_IMAGE_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest width or height accepted, in pixels.
pub const MAX_IMAGE_DIMENSION: u32 = 8000;
/// Decoder allocation budget: an 8000×8000 RGBA image plus slack.
const MAX_DECODE_ALLOC: u64 = 320 * 1024 * 1024;
/// Photos larger than this (longest side) are first tried downscaled: faster,
/// and sensor noise smoothed away often helps the detector.
const FAST_PATH_SIDE: u32 = 1600;

/// Finds and decodes a QR code in an image file; returns its text (the URL).
pub fn decode_image(path: &Path) -> Result<String, LabelError> {
    decode_image_all(path).and_then(|all| first_label(all, Some(path)))
}

/// Every QR code found in a PNG or JPEG photo, label URLs first: a photo of
/// a shelf may hold several labels, each to be checked on its own.
pub fn decode_image_all(path: &Path) -> Result<Vec<String>, LabelError> {
    let bytes = files::read_bounded(path, MAX_IMAGE_FILE_BYTES)?;
    decode(&bytes, Some(path))
}

/// The first text, which [`scan`] put first when it looks like a label URL.
fn first_label(all: Vec<String>, path: Option<&Path>) -> Result<String, LabelError> {
    all.into_iter().next().ok_or_else(|| LabelError::NoQrCode {
        path: path.map(Path::to_path_buf),
        detail: None,
    })
}

/// Finds and decodes a QR code in PNG or JPEG bytes; returns its text (the URL).
pub fn decode_image_bytes(bytes: &[u8]) -> Result<String, LabelError> {
    if bytes.len() as u64 > MAX_IMAGE_FILE_BYTES {
        return Err(image_error(
            None,
            format!(
                "{} bytes, over the {MAX_IMAGE_FILE_BYTES}-byte limit",
                bytes.len()
            ),
        ));
    }
    decode(bytes, None).and_then(|all| first_label(all, None))
}

fn image_error(path: Option<&Path>, reason: impl Into<String>) -> LabelError {
    LabelError::Image {
        path: path.map(Path::to_path_buf),
        reason: reason.into(),
    }
}

fn reader<'a>(
    bytes: &'a [u8],
    path: Option<&Path>,
) -> Result<ImageReader<Cursor<&'a [u8]>>, LabelError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| image_error(path, format!("cannot read: {e}")))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg) => Ok(reader),
        _ => Err(image_error(path, "not a PNG or JPEG image")),
    }
}

fn decode(bytes: &[u8], path: Option<&Path>) -> Result<Vec<String>, LabelError> {
    let (width, height) = reader(bytes, path)?
        .into_dimensions()
        .map_err(|e| image_error(path, format!("cannot read image header: {e}")))?;
    if width > MAX_IMAGE_DIMENSION || height > MAX_IMAGE_DIMENSION {
        return Err(image_error(
            path,
            format!("{width}x{height} pixels exceeds the {MAX_IMAGE_DIMENSION}x{MAX_IMAGE_DIMENSION} limit"),
        ));
    }
    let mut reader = reader(bytes, path)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_DIMENSION);
    limits.max_image_height = Some(MAX_IMAGE_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let luma = reader
        .decode()
        .map_err(|e| image_error(path, format!("cannot decode: {e}")))?
        .into_luma8();

    let mut seen_undecodable = None;
    if luma.width().max(luma.height()) > FAST_PATH_SIDE {
        let (w, h) = scaled(luma.width(), luma.height());
        let small = image::imageops::thumbnail(&luma, w, h);
        match scan(&small) {
            Scan::Found(text) => return Ok(text),
            Scan::Undecodable(why) => seen_undecodable = Some(why),
            Scan::Nothing => {}
        }
    }
    match scan(&luma) {
        Scan::Found(text) => Ok(text),
        Scan::Undecodable(why) => Err(LabelError::NoQrCode {
            path: path.map(Path::to_path_buf),
            detail: Some(format!(
                "a code was detected but could not be decoded: {why}"
            )),
        }),
        Scan::Nothing => Err(LabelError::NoQrCode {
            path: path.map(Path::to_path_buf),
            detail: seen_undecodable
                .map(|why| format!("a code was detected but could not be decoded: {why}")),
        }),
    }
}

/// Dimensions with the longest side scaled to `FAST_PATH_SIDE`.
fn scaled(width: u32, height: u32) -> (u32, u32) {
    let longest = width.max(height).max(1);
    let scale =
        |v: u32| ((u64::from(v) * u64::from(FAST_PATH_SIDE) / u64::from(longest)) as u32).max(1);
    (scale(width), scale(height))
}

enum Scan {
    Found(Vec<String>),
    Undecodable(String),
    Nothing,
}

/// Runs rqrr over a greyscale image. If several codes are present, prefers one
/// whose text looks like a label URL.
fn scan(img: &GrayImage) -> Scan {
    let width = img.width() as usize;
    let height = img.height() as usize;
    let pixels = img.as_raw();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            pixels.get(y * width + x).copied().unwrap_or(255)
        });
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for grid in prepared.detect_grids() {
            match grid.decode() {
                Ok((_, text)) => found.push(text),
                Err(e) => errors.push(e.to_string()),
            }
        }
        (found, errors)
    }));
    let Ok((found, errors)) = result else {
        return Scan::Undecodable("the QR decoder failed on this image".to_owned());
    };
    if !found.is_empty() {
        // Label URLs first, each text once, otherwise in the order found.
        let mut texts: Vec<String> = Vec::new();
        let (labels, others): (Vec<String>, Vec<String>) = found
            .into_iter()
            .partition(|t| crate::qr::digits_from_url(t).is_ok());
        for t in labels.into_iter().chain(others) {
            if !texts.contains(&t) {
                texts.push(t);
            }
        }
        return Scan::Found(texts);
    }
    match errors.into_iter().next() {
        Some(e) => Scan::Undecodable(e),
        None => Scan::Nothing,
    }
}
