//! The reference label's claims, shared by the QR budget, the bulk
//! corpus and the verification benchmark: a camera with a GTIN, a
//! 46-character disclosure URL and a five-year support period.

use iotmark_labels::claims::{Claims, ReportDigest};
use time::{Date, Duration};

/// The reference claims with `serial`, issued on `issued`, for the report
/// whose digest is `report_sha256`.
pub fn reference_claims(serial: u64, issued: Date, report_sha256: ReportDigest) -> Claims {
    Claims {
        serial,
        issued,
        manufacturer: "Acme Connected Devices Ltd".into(),
        model: "AC-CAM-200".into(),
        firmware: "2.4.1".into(),
        gtin: Some("5012345678900".into()),
        support_end: issued + Duration::days(5 * 365),
        disclosure_contact: "https://acme-connected.example/security/report".into(),
        schemes: vec!["uk-psti".into()],
        report_sha256,
        simulated: false,
    }
}
