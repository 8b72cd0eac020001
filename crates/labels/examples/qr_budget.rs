//! Prints the QR budget of the reference label: its size in both claims
//! formats and both URL forms, and the QR version and module count at every
//! error-correction level.
//!
//! ```text
//! cargo run -p iotmark-labels --example qr_budget
//! ```

#[path = "common/reference.rs"]
mod reference;

use iotmark_labels::claims::{Claims, ReportDigest};
use iotmark_labels::pki::{AuthorityCredentials, CertificateSpec};
use iotmark_labels::qr::{self, EcLevel, DEFAULT_BASE_URL};

fn main() -> Result<(), iotmark_labels::LabelError> {
    let authority = AuthorityCredentials::generate(&CertificateSpec::authority("Example Body"))?;
    let lab = authority.issue_lab(&CertificateSpec::lab(
        "Example Lab",
        &["uk-psti".to_owned()],
    ))?;
    let signer = lab.signer()?;
    let today = time::OffsetDateTime::now_utc().date();
    let report = b"{\"verdict\":\"conformant\"}";
    // The reference label: a camera with a GTIN, a 46-character disclosure
    // URL and a six-digit serial.
    let compact = reference::reference_claims(100_042, today, ReportDigest::compact(report));
    let v1 = Claims {
        report_sha256: iotmark_labels::report_digest(report).into(),
        simulated: false,
        ..compact.clone()
    };
    println!("| claims | URL form | label bytes | URL chars | ECC L | ECC M | ECC Q | ECC H |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, claims) in [("format 1", &v1), ("compact", &compact)] {
        let label = signer.sign(claims)?;
        let forms = [
            ("path", qr::label_url(&label, DEFAULT_BASE_URL)?),
            (
                "GS1 Digital Link",
                qr::digital_link_url(&label, &qr::origin_of(DEFAULT_BASE_URL)?)?,
            ),
        ];
        for (form, url) in forms {
            let mut cells = Vec::new();
            for ec in [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H] {
                let v = qr::qr_version_at(&url, ec)?;
                let m = qr::modules_per_side(v);
                cells.push(format!("v{v} ({m}×{m})"));
            }
            println!(
                "| {name} | {form} | {} | {} | {} |",
                label.as_bytes().len(),
                url.len(),
                cells.join(" | ")
            );
        }
    }
    Ok(())
}
