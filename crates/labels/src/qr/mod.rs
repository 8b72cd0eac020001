//! Label URLs and QR codes.
//!
//! A label travels as a URL that a phone camera opens:
//! `HTTPS://IOTMARK.EXAMPLE/L/<digits>`. The scheme, host and path prefix are
//! upper case so the QR encoder can put them in alphanumeric mode (5.5 bits a
//! character); the signed bytes follow as decimal digits (see [`digits`]) in
//! numeric mode. Scheme and host are case-insensitive, so browsers open it as
//! usual; the server must route the upper-case path prefix.
//!
//! When the product has a GTIN, the label can also travel as a GS1 Digital
//! Link URI: `HTTPS://IOTMARK.EXAMPLE/01/<GTIN-14>?L=<digits>` — the GTIN as
//! the primary key (AI 01) in the path and the signed bytes as a non-GS1
//! query attribute, so GS1 resolvers and retail scanners see the product and
//! iotmark sees the label. [`parse_label_url`] reads both forms; verification
//! then requires the label to be signed for the GTIN the path names.
//!
//! Codes use error-correction level M (15 % of codewords recoverable — scuffed
//! boxes and shop lighting) and the smallest version that fits.

pub mod digits;
mod scan;

use std::path::Path;

use qrcode::bits::Bits;
use qrcode::render::{svg, unicode};
use qrcode::types::QrError;
use qrcode::{Color, QrCode, Version};

pub use digits::{decode_digits, encode_digits};
pub use qrcode::EcLevel;
pub use scan::{
    decode_image, decode_image_all, decode_image_bytes, MAX_IMAGE_DIMENSION, MAX_IMAGE_FILE_BYTES,
};

use crate::claims::{check_gtin, gtin14, Claims};
use crate::cose::{SignedLabel, MAX_LABEL_BYTES};
use crate::error::{LabelError, UrlError};

/// Base URL used when a lab does not configure its own.
pub const DEFAULT_BASE_URL: &str = "HTTPS://IOTMARK.EXAMPLE/L/";

/// The query key holding the signed digits in the GS1 Digital Link form.
pub const DIGITAL_LINK_KEY: &str = "L";

/// Error-correction level for every label code.
pub const EC_LEVEL: EcLevel = EcLevel::M;

/// Pixels per module in PNG output.
pub const PNG_MODULE_PIXELS: u32 = 8;
/// Quiet zone around the code, in modules (the QR specification's minimum).
pub const QUIET_ZONE_MODULES: u32 = 4;

/// The characters QR alphanumeric mode can encode.
fn is_qr_alphanumeric(c: char) -> bool {
    matches!(c, '0'..='9' | 'A'..='Z' | ' ' | '$' | '%' | '*' | '+' | '-' | '.' | '/' | ':')
}

/// Checks a verification base URL and returns it ending in `/`.
///
/// It must be `HTTP://` or `HTTPS://` plus a host, in QR alphanumeric
/// characters only (`0-9 A-Z $ % * + - . / :`; space is in that set but never
/// valid in a URL, so it is refused too).
pub fn check_base_url(base: &str) -> Result<String, LabelError> {
    let invalid = |reason: String| LabelError::invalid("base URL", format!("{base:?}: {reason}"));
    if let Some(c) = base.chars().find(|&c| !is_qr_alphanumeric(c) || c == ' ') {
        let hint = if c.is_ascii_lowercase() {
            " (write the scheme, host and path in upper case)"
        } else {
            ""
        };
        return Err(invalid(format!(
            "{c:?} is not a QR alphanumeric character{hint}; use 0-9 A-Z $ % * + - . / :"
        )));
    }
    let rest = base
        .strip_prefix("HTTPS://")
        .or_else(|| base.strip_prefix("HTTP://"))
        .ok_or_else(|| invalid("must start with HTTPS:// or HTTP://".to_owned()))?;
    if rest.split('/').next().unwrap_or_default().is_empty() {
        return Err(invalid("has no host".to_owned()));
    }
    let mut normalised = base.to_owned();
    if !normalised.ends_with('/') {
        normalised.push('/');
    }
    Ok(normalised)
}

/// The URL for a label under a verification base URL.
pub fn label_url(label: &SignedLabel, base: &str) -> Result<String, LabelError> {
    let mut url = check_base_url(base)?;
    url.push_str(&encode_digits(label.as_bytes()));
    Ok(url)
}

/// The scheme and host of a base URL, ending in `/`: the stem under which the
/// GS1 Digital Link form puts its `01/<GTIN>` path.
pub fn origin_of(base: &str) -> Result<String, LabelError> {
    let base = check_base_url(base)?;
    let scheme_len = base.find("//").map_or(0, |i| i + 2);
    let host_end = base
        .get(scheme_len..)
        .and_then(|rest| rest.find('/'))
        .map_or(base.len(), |i| scheme_len + i);
    Ok(format!("{}/", base.get(..host_end).unwrap_or(&base)))
}

/// The GS1 Digital Link form of a label's URL, under `stem` (checked like a
/// base URL): `<stem>01/<GTIN-14>?L=<digits>`. The GTIN is the one the label
/// is signed for; a label without one has no Digital Link form.
pub fn digital_link_url(label: &SignedLabel, stem: &str) -> Result<String, LabelError> {
    let stem = check_base_url(stem)?;
    let claims = Claims::from_cbor(label.payload())?;
    let gtin = claims.gtin.ok_or_else(|| {
        LabelError::invalid(
            "label",
            "carries no GTIN, so it has no GS1 Digital Link form",
        )
    })?;
    Ok(format!(
        "{stem}01/{}?{DIGITAL_LINK_KEY}={}",
        gtin14(&gtin),
        encode_digits(label.as_bytes())
    ))
}

/// A label URL taken apart (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelUrl<'a> {
    /// The signed label's bytes as decimal digits.
    pub digits: &'a str,
    /// For the GS1 Digital Link form, the GTIN (14 digits, check digit
    /// checked) that its `/01/` path names. A label read from such a URL is
    /// genuine only if it is signed for this GTIN.
    pub gtin: Option<String>,
}

/// Parses either form of label URL. Scheme and host in either case; any
/// base path.
///
/// - GS1 Digital Link: a query parameter `L` (either case) holds the digits,
///   and the path must hold a GTIN primary key `…/01/<GTIN>`; other query
///   parameters and a fragment are ignored.
/// - Otherwise the digits are the last path segment, after dropping any query
///   or fragment and one trailing `/`.
pub fn parse_label_url(url: &str) -> Result<LabelUrl<'_>, UrlError> {
    let url = url.trim();
    let scheme_len = if starts_with_ignore_case(url, "https://") {
        "https://".len()
    } else if starts_with_ignore_case(url, "http://") {
        "http://".len()
    } else {
        return Err(UrlError::NotHttp);
    };
    let rest = url.get(scheme_len..).unwrap_or_default();
    let rest = rest.split('#').next().unwrap_or_default();
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let link_digits = query.and_then(|q| {
        q.split('&').find_map(|pair| {
            pair.split_once('=')
                .filter(|(k, _)| k.eq_ignore_ascii_case(DIGITAL_LINK_KEY))
                .map(|(_, v)| v)
        })
    });
    if let Some(digits) = link_digits {
        return Ok(LabelUrl {
            digits: check_digits(digits)?,
            gtin: Some(digital_link_gtin(path)?),
        });
    }
    let path = path.strip_suffix('/').unwrap_or(path);
    // The digits must be in the path, not the host.
    let (_, path) = path.split_once('/').ok_or(UrlError::NoDigits)?;
    let segment = path.rsplit('/').next().unwrap_or_default();
    Ok(LabelUrl {
        digits: check_digits(segment)?,
        gtin: None,
    })
}

/// The GTIN primary key in a Digital Link path (`host/…/01/<GTIN>[/qualifiers]`):
/// the last `01` segment followed by digits.
fn digital_link_gtin(host_and_path: &str) -> Result<String, UrlError> {
    let fail = |reason: String| UrlError::DigitalLink { reason };
    let (_, path) = host_and_path
        .split_once('/')
        .ok_or_else(|| fail("no path, so no /01/<GTIN>".to_owned()))?;
    let segments: Vec<&str> = path.split('/').collect();
    let gtin = segments
        .windows(2)
        .rev()
        .find_map(|w| match w {
            ["01", g] if !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()) => Some(*g),
            _ => None,
        })
        .ok_or_else(|| {
            fail("the query has an L= label but the path has no /01/<GTIN>".to_owned())
        })?;
    check_gtin(gtin).map_err(|e| fail(e.to_string()))?;
    Ok(gtin14(gtin))
}

/// Checks a run of label digits: present, digits only, not over the cap.
fn check_digits(segment: &str) -> Result<&str, UrlError> {
    if segment.is_empty() {
        return Err(UrlError::NoDigits);
    }
    if let Some(found) = segment.chars().find(|c| !c.is_ascii_digit()) {
        return Err(UrlError::NonDigit { found });
    }
    let max = digits::digits_len(MAX_LABEL_BYTES);
    if segment.len() > max {
        return Err(UrlError::TooManyDigits {
            len: segment.len(),
            max,
            max_bytes: MAX_LABEL_BYTES,
        });
    }
    Ok(segment)
}

/// Extracts the digits from a label URL of either form (see [`parse_label_url`]).
pub fn digits_from_url(url: &str) -> Result<&str, UrlError> {
    parse_label_url(url).map(|u| u.digits)
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Parses a label URL into a (structurally checked, not yet verified) label.
pub fn label_from_url(url: &str) -> Result<SignedLabel, LabelError> {
    let digits = digits_from_url(url)?;
    SignedLabel::from_bytes(decode_digits(digits)?)
}

/// Splits a URL into the prefix and the trailing run of digits.
fn split_url(url: &str) -> (&str, &str) {
    let digits_start = url
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map_or(url.len(), |(i, _)| i);
    url.split_at(digits_start)
}

/// The label digits always go in one numeric segment. A prefix of QR
/// alphanumeric characters is one alphanumeric segment; any other prefix (a
/// lower-case URL, the `?L=` of the Digital Link form) is split into segments
/// by qrcode's optimiser.
fn push_segments(bits: &mut Bits, url: &str, ec: EcLevel) -> Result<(), QrError> {
    let (prefix, digits) = split_url(url);
    if !prefix.is_empty() {
        if prefix.chars().all(is_qr_alphanumeric) {
            bits.push_alphanumeric_data(prefix.as_bytes())?;
        } else {
            bits.push_optimal_data(prefix.as_bytes())?;
        }
    }
    if !digits.is_empty() {
        bits.push_numeric_data(digits.as_bytes())?;
    }
    bits.push_terminator(ec)
}

/// Builds the code at level M (see [`build_code_at`]).
fn build_code(url: &str) -> Result<QrCode, LabelError> {
    build_code_at(url, EC_LEVEL)
}

/// Builds the code with explicit segments (alphanumeric prefix, numeric
/// digits) in the smallest version that holds them at level `ec`.
fn build_code_at(url: &str, ec: EcLevel) -> Result<QrCode, LabelError> {
    for v in 1..=40 {
        let mut bits = Bits::new(Version::Normal(v));
        match push_segments(&mut bits, url, ec) {
            Ok(()) => {
                return QrCode::with_bits(bits, ec).map_err(|e| LabelError::QrEncode {
                    reason: e.to_string(),
                })
            }
            Err(QrError::DataTooLong) => continue,
            Err(e) => {
                return Err(LabelError::QrEncode {
                    reason: e.to_string(),
                })
            }
        }
    }
    Err(LabelError::QrEncode {
        reason: format!(
            "{} characters do not fit a version-40 code at level {ec:?}",
            url.len()
        ),
    })
}

/// The QR version (1..=40) the encoder chooses for this URL at level M.
pub fn qr_version(url: &str) -> Result<u8, LabelError> {
    qr_version_at(url, EC_LEVEL)
}

/// Modules on a side of a code of this version (without the quiet zone).
pub fn modules_per_side(version: u8) -> u32 {
    17 + 4 * u32::from(version)
}

/// The QR version (1..=40) the encoder chooses for this URL at level `ec`.
pub fn qr_version_at(url: &str, ec: EcLevel) -> Result<u8, LabelError> {
    match build_code_at(url, ec)?.version() {
        Version::Normal(v) | Version::Micro(v) => {
            u8::try_from(v).map_err(|_| LabelError::QrEncode {
                reason: format!("unexpected version {v}"),
            })
        }
    }
}

/// The code as an SVG document (8-unit modules, 4-module quiet zone).
pub fn render_svg(url: &str) -> Result<String, LabelError> {
    let code = build_code(url)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .module_dimensions(PNG_MODULE_PIXELS, PNG_MODULE_PIXELS)
        .quiet_zone(true)
        .build())
}

/// The code as a PNG: black on white, 8 pixels a module, 4-module quiet zone.
pub fn render_png(url: &str) -> Result<Vec<u8>, LabelError> {
    let code = build_code(url)?;
    let modules = u32::try_from(code.width()).unwrap_or(u32::MAX);
    let side_modules = modules + 2 * QUIET_ZONE_MODULES;
    let side = side_modules * PNG_MODULE_PIXELS;
    let colors = code.to_colors();
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let mx = (x / PNG_MODULE_PIXELS).checked_sub(QUIET_ZONE_MODULES);
        let my = (y / PNG_MODULE_PIXELS).checked_sub(QUIET_ZONE_MODULES);
        let dark = match (mx, my) {
            (Some(mx), Some(my)) if mx < modules && my < modules => {
                colors.get((my * modules + mx) as usize) == Some(&Color::Dark)
            }
            _ => false,
        };
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| LabelError::QrEncode {
            reason: format!("PNG encoding failed: {e}"),
        })?;
    Ok(out)
}

/// Renders the PNG and writes it to `path` (replacing any existing file).
pub fn write_png(url: &str, path: &Path) -> Result<(), LabelError> {
    let png = render_png(url)?;
    std::fs::write(path, png).map_err(|e| LabelError::io("write", path, e))
}

/// The code as text for a terminal, two modules per character cell (Unicode
/// half blocks). Drawn light-on-dark — dark modules are blank cells — which is
/// what scans on the usual dark terminal background.
pub fn render_terminal(url: &str) -> Result<String, LabelError> {
    let code = build_code(url)?;
    Ok(code
        .render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Light)
        .light_color(unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(check_base_url(DEFAULT_BASE_URL).unwrap(), DEFAULT_BASE_URL);
        assert_eq!(
            check_base_url("HTTP://127.0.0.1:8080/L").unwrap(),
            "HTTP://127.0.0.1:8080/L/"
        );
        for bad in [
            "https://iotmark.example/l/",
            "HTTPS://",
            "FTP://X/",
            "HTTPS://A B/",
            "HTTPS://X/L?",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digits_from_urls() {
        assert_eq!(
            digits_from_url("HTTPS://X.EXAMPLE/L/000255").unwrap(),
            "000255"
        );
        assert_eq!(
            digits_from_url("https://x.example/l/000255/").unwrap(),
            "000255"
        );
        assert_eq!(
            digits_from_url("Https://x.example/a/b/000?utm=1#f").unwrap(),
            "000"
        );
        assert_eq!(digits_from_url("  https://x.example/000\n").unwrap(), "000");
        assert_eq!(digits_from_url("ftp://x/000"), Err(UrlError::NotHttp));
        assert_eq!(digits_from_url("https://123"), Err(UrlError::NoDigits));
        assert_eq!(
            digits_from_url("https://x/l/"),
            Err(UrlError::NonDigit { found: 'l' })
        );
        assert_eq!(digits_from_url("https://x/"), Err(UrlError::NoDigits));
        assert_eq!(digits_from_url("https://x//"), Err(UrlError::NoDigits));
        assert_eq!(
            digits_from_url("https://x/l/12x"),
            Err(UrlError::NonDigit { found: 'x' })
        );
        let huge = format!("https://x/l/{}", "1".repeat(20_000));
        assert!(matches!(
            digits_from_url(&huge),
            Err(UrlError::TooManyDigits { .. })
        ));
    }

    #[test]
    fn split_takes_trailing_digits() {
        assert_eq!(
            split_url("HTTP://127.0.0.1:80/L/0123"),
            ("HTTP://127.0.0.1:80/L/", "0123")
        );
        assert_eq!(split_url("123"), ("", "123"));
        assert_eq!(split_url("ABC"), ("ABC", ""));
    }

    #[test]
    fn lower_case_urls_still_render() {
        assert!(qr_version("https://x.example/l/0123").is_ok());
    }

    #[test]
    fn too_long_is_an_error() {
        let url = format!("{DEFAULT_BASE_URL}{}", "1".repeat(9000));
        assert!(matches!(build_code(&url), Err(LabelError::QrEncode { .. })));
    }
}
