//! QR codes: size budget, rendering, and decoding real images with rqrr.

use iotmark_labels::qr::digits::digits_len;
use iotmark_labels::qr::{self, EcLevel, DEFAULT_BASE_URL};
use iotmark_labels::verify::{verify, LabelInput, LabelStatus};
use iotmark_labels::LabelError;

use crate::kit::{realistic_claims, realistic_claims_v1, today, Pki};

/// The realistic label: compact claims fit a version-11 code at ECC M behind
/// the default base URL, as DESIGN.md promises; the same label in format 1
/// (257 bytes) needs version 12. `version_11_budget` gives the arithmetic:
/// version 11-M holds at most 229 label bytes behind the default base.
#[test]
fn realistic_label_qr_version() {
    let pki = Pki::new();
    for (claims, max_bytes, expected) in [
        (realistic_claims(today()), 229, 11),
        (realistic_claims_v1(today()), 260, 12),
    ] {
        let label = pki.sign(&claims);
        let url = qr::label_url(&label, DEFAULT_BASE_URL).unwrap();
        let version = qr::qr_version(&url).unwrap();
        println!(
            "realistic label, claims format {}: {} bytes, {} URL characters, QR version {version} at ECC M",
            claims.format().number(),
            label.as_bytes().len(),
            url.len()
        );
        assert!(
            label.as_bytes().len() <= max_bytes,
            "label grew to {} bytes",
            label.as_bytes().len()
        );
        assert_eq!(version, expected);
    }
}

/// Every ECC level, for the table in the README (`cargo run -p
/// iotmark-labels --example qr_budget` prints it in full).
#[test]
fn realistic_label_versions_per_ecc_level() {
    let pki = Pki::new();
    let label = pki.sign(&realistic_claims(today()));
    let url = qr::label_url(&label, DEFAULT_BASE_URL).unwrap();
    let link = qr::digital_link_url(&label, "HTTPS://IOTMARK.EXAMPLE/").unwrap();
    let at = |url: &str, ec| qr::qr_version_at(url, ec).unwrap();
    assert_eq!(at(&url, EcLevel::L), 10);
    assert_eq!(at(&url, EcLevel::M), 11);
    assert_eq!(at(&url, EcLevel::Q), 14);
    assert_eq!(qr::modules_per_side(11), 61);
    // The Digital Link form spends the GTIN and "?L=" on top.
    assert_eq!(at(&link, EcLevel::M), 12);
}

/// The largest label that fits version 11 at ECC M behind the default base.
#[test]
fn version_11_budget() {
    let url_for = |bytes: usize| format!("{DEFAULT_BASE_URL}{}", "9".repeat(digits_len(bytes)));
    assert_eq!(qr::qr_version(&url_for(229)).unwrap(), 11);
    assert_eq!(qr::qr_version(&url_for(230)).unwrap(), 12);
}

#[test]
fn png_round_trip_through_rqrr() {
    let pki = Pki::new();
    let label = pki.sign(&realistic_claims(today()));
    let url = qr::label_url(&label, DEFAULT_BASE_URL).unwrap();
    let png = qr::render_png(&url).unwrap();

    let decoded = qr::decode_image_bytes(&png).unwrap();
    assert_eq!(decoded, url);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("label.png");
    qr::write_png(&url, &path).unwrap();
    assert_eq!(qr::decode_image(&path).unwrap(), url);
    let v = verify(&LabelInput::Image(path), &pki.trust(), today());
    assert_eq!(v.status, LabelStatus::Valid, "{}", v.reason);
}

#[test]
fn png_geometry_is_8px_modules_with_4_module_quiet_zone() {
    let url = format!("{DEFAULT_BASE_URL}00000000000000000");
    let png = qr::render_png(&url).unwrap();
    let img = image::load_from_memory(&png).unwrap().into_luma8();
    let version = u32::from(qr::qr_version(&url).unwrap());
    let modules = 17 + 4 * version;
    assert_eq!(img.width(), (modules + 8) * 8);
    assert_eq!(img.height(), img.width());
    // Quiet zone white, top-left finder pattern black just inside it.
    assert_eq!(img.get_pixel(31, 31).0, [255]);
    assert_eq!(img.get_pixel(32, 32).0, [0]);
}

#[test]
fn jpeg_photo_decodes() {
    let pki = Pki::new();
    let label = pki.sign(&realistic_claims(today()));
    let url = qr::label_url(&label, DEFAULT_BASE_URL).unwrap();
    let png = qr::render_png(&url).unwrap();
    let img = image::load_from_memory(&png).unwrap().into_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&img)
        .unwrap();
    assert_eq!(qr::decode_image_bytes(&jpeg).unwrap(), url);
}

#[test]
fn svg_and_terminal_renderings() {
    let url = format!("{DEFAULT_BASE_URL}00000000000000000");
    let svg = qr::render_svg(&url).unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"));
    let text = qr::render_terminal(&url).unwrap();
    let version = usize::from(qr::qr_version(&url).unwrap());
    let side = 17 + 4 * version + 8;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), side.div_ceil(2));
    assert!(lines.iter().all(|l| l.chars().count() == side));
    assert!(text
        .chars()
        .all(|c| matches!(c, ' ' | '█' | '▀' | '▄' | '\n')));
}

#[test]
fn images_without_codes_and_non_images_are_clear_errors() {
    let blank = image::GrayImage::from_pixel(200, 200, image::Luma([255]));
    let mut png = Vec::new();
    blank
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let err = qr::decode_image_bytes(&png).unwrap_err();
    assert!(matches!(err, LabelError::NoQrCode { .. }), "{err}");
    assert!(err.to_string().contains("no QR code found"), "{err}");

    let err = qr::decode_image_bytes(b"GIF89a not really").unwrap_err();
    assert!(err.to_string().contains("not a PNG or JPEG"), "{err}");
    let err = qr::decode_image_bytes(&png[..png.len() / 2]).unwrap_err();
    assert!(matches!(err, LabelError::Image { .. }), "{err}");
}

#[test]
fn oversized_images_are_refused_before_decoding() {
    // A valid PNG header claiming 9000x10 pixels; refused from the header alone.
    let wide = image::GrayImage::from_pixel(9000, 1, image::Luma([255]));
    let mut png = Vec::new();
    wide.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let err = qr::decode_image_bytes(&png).unwrap_err();
    assert!(
        err.to_string().contains("exceeds the 8000x8000 limit"),
        "{err}"
    );
}

#[test]
fn custom_base_urls() {
    let pki = Pki::new();
    let label = pki.sign(&realistic_claims(today()));
    let url = qr::label_url(&label, "HTTP://127.0.0.1:8080/L").unwrap();
    assert!(url.starts_with("HTTP://127.0.0.1:8080/L/"));
    assert_eq!(qr::label_from_url(&url).unwrap(), label);
    assert_eq!(qr::label_from_url(&url.to_lowercase()).unwrap(), label);
    let err = qr::label_url(&label, "https://lower.example/l/").unwrap_err();
    assert!(err.to_string().contains("upper case"), "{err}");
}

#[test]
fn large_photo_with_a_small_code_decodes() {
    // A 2400x1800 "photo" with the code in one corner: exercises the
    // downscaled fast path.
    let pki = Pki::new();
    let label = pki.sign(&realistic_claims(today()));
    let url = qr::label_url(&label, DEFAULT_BASE_URL).unwrap();
    let code = image::load_from_memory(&qr::render_png(&url).unwrap())
        .unwrap()
        .into_luma8();
    let mut photo = image::GrayImage::from_pixel(2400, 1800, image::Luma([200]));
    image::imageops::overlay(&mut photo, &code, 1500, 900);
    let mut png = Vec::new();
    photo
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert_eq!(qr::decode_image_bytes(&png).unwrap(), url);
}

#[test]
fn digital_link_form_round_trips_and_binds_the_gtin() {
    let pki = Pki::new();
    let claims = realistic_claims(today());
    let label = pki.sign(&claims);
    let link = qr::digital_link_url(&label, "HTTPS://IOTMARK.EXAMPLE/").unwrap();
    assert!(
        link.starts_with("HTTPS://IOTMARK.EXAMPLE/01/05012345678900?L="),
        "{link}"
    );
    let parsed = qr::parse_label_url(&link).unwrap();
    assert_eq!(parsed.gtin.as_deref(), Some("05012345678900"));
    assert_eq!(qr::label_from_url(&link).unwrap(), label);

    // Every way in: the link, in lower case, with other attributes, as a PNG.
    let lower = link.to_lowercase();
    let extra = link.replace("?L=", "?17=301231&L=") + "#top";
    for url in [&link, &lower, &extra] {
        let v = verify(&LabelInput::Url(url.clone()), &pki.trust(), today());
        assert_eq!(v.status, LabelStatus::Valid, "{url}: {}", v.reason);
    }
    let png = qr::render_png(&link).unwrap();
    assert_eq!(qr::decode_image_bytes(&png).unwrap(), link);

    // The genuine label under another product's GTIN is refused.
    let other = link.replace("/01/05012345678900", "/01/04006381333931");
    let v = verify(&LabelInput::Url(other), &pki.trust(), today());
    assert_eq!(v.status, LabelStatus::Invalid);
    assert!(
        v.reason
            .contains("names GTIN 04006381333931, but the label is signed for GTIN 05012345678900"),
        "{}",
        v.reason
    );
    // A label without a GTIN has no Digital Link form, and cannot be given one.
    let bare = pki.sign(&iotmark_labels::Claims {
        gtin: None,
        ..claims
    });
    assert!(qr::digital_link_url(&bare, "HTTPS://IOTMARK.EXAMPLE/").is_err());
    let forced = format!(
        "HTTPS://IOTMARK.EXAMPLE/01/05012345678900?L={}",
        qr::encode_digits(bare.as_bytes())
    );
    let v = verify(&LabelInput::Url(forced), &pki.trust(), today());
    assert!(v.reason.ends_with("signed for no GTIN"), "{}", v.reason);
}

#[test]
fn digital_link_urls_need_a_gtin_path() {
    use iotmark_labels::UrlError;
    let cases = [
        ("https://x.example/?L=000", "no /01/<GTIN>"),
        ("https://x.example/01/?L=000", "no /01/<GTIN>"),
        (
            "https://x.example/01/4006381333932?L=000",
            "wrong check digit",
        ),
        ("https://x.example?L=000", "no path"),
    ];
    for (url, expected) in cases {
        match qr::parse_label_url(url) {
            Err(UrlError::DigitalLink { reason }) => {
                assert!(reason.contains(expected), "{url}: {reason}")
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    assert_eq!(
        qr::parse_label_url("https://x.example/01/96385074/10/LOT1?l=255")
            .unwrap()
            .gtin
            .as_deref(),
        Some("00000096385074")
    );
    assert_eq!(
        qr::parse_label_url("https://x.example/01/96385074?L=12a"),
        Err(UrlError::NonDigit { found: 'a' })
    );
    assert_eq!(
        qr::origin_of("HTTPS://IOTMARK.EXAMPLE/L/").unwrap(),
        "HTTPS://IOTMARK.EXAMPLE/"
    );
    assert_eq!(
        qr::origin_of("HTTP://127.0.0.1:8080").unwrap(),
        "HTTP://127.0.0.1:8080/"
    );
}

/// A photo of a shelf may hold several labels: every code is found, label
/// URLs first, each once.
#[test]
fn several_codes_in_one_photo_are_all_found() {
    let pki = Pki::new();
    let mut a = realistic_claims(today());
    let mut b = realistic_claims(today());
    a.serial = 1;
    b.serial = 2;
    let urls: Vec<String> = [a, b]
        .iter()
        .map(|c| qr::label_url(&pki.sign(c), DEFAULT_BASE_URL).unwrap())
        .collect();
    let images: Vec<image::RgbImage> = urls
        .iter()
        .map(|u| {
            image::load_from_memory(&qr::render_png(u).unwrap())
                .unwrap()
                .to_rgb8()
        })
        .collect();
    let (w, h) = (images[0].width(), images[0].height());
    let mut shelf = image::RgbImage::from_pixel(w * 2 + 40, h, image::Rgb([255, 255, 255]));
    image::imageops::overlay(&mut shelf, &images[0], 0, 0);
    image::imageops::overlay(&mut shelf, &images[1], i64::from(w) + 40, 0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shelf.png");
    shelf.save(&path).unwrap();
    let mut found = qr::decode_image_all(&path).unwrap();
    found.sort();
    let mut want = urls.clone();
    want.sort();
    assert_eq!(found, want);
    // The single-label reader still gives one of them.
    assert!(urls.contains(&qr::decode_image(&path).unwrap()));
}
